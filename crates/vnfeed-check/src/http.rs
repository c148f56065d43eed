//! The HTTP side of a feed URL: status, Content-Type and charset, validators, whether a
//! conditional GET really answers 304, and whether gzip is honoured. Plain http only:
//! this build has no TLS library, and says so rather than fail obscurely.

use std::io::Read;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, ETAG, HeaderMap, IF_MODIFIED_SINCE,
    IF_NONE_MATCH, LAST_MODIFIED, VARY,
};

use super::{FeedFormat, Finding, Options, Report, Rule, check_document};

const ACCEPT_FEEDS: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
                            application/xml;q=0.9, application/json;q=0.9, text/xml;q=0.8, */*;q=0.1";

/// Fetches `url` and checks the exchange and the document.
pub async fn check_url(url: &str, options: &Options) -> Report {
    let mut report = Report {
        source: url.to_string(),
        format: None,
        findings: Vec::new(),
    };
    match fetch_and_check(url, options, &mut report).await {
        Ok(()) => {}
        Err(why) => report.findings.push(Finding::global(Rule::HttpFetch, why)),
    }
    report.sort();
    report
}

fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .user_agent(concat!("vnfeed-check/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::limited(5))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| format!("cannot start an HTTP client: {e}"))
}

/// An error with its causes, since reqwest's own message is often just "error sending request".
fn describe(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(&format!(": {s}"));
        source = s.source();
    }
    out
}

/// One response, read whole, and the URL it finally came from (after redirects).
struct Fetched {
    url: reqwest::Url,
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

async fn get(
    client: &reqwest::Client,
    url: &reqwest::Url,
    headers: &[(reqwest::header::HeaderName, &str)],
) -> Result<Fetched, String> {
    let mut request = client.get(url.clone()).header(ACCEPT, ACCEPT_FEEDS);
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("GET {url}: {}", describe(&e)))?;
    let (final_url, status, headers) = (
        response.url().clone(),
        response.status(),
        response.headers().clone(),
    );
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("GET {url}: reading the body: {}", describe(&e)))?;
    Ok(Fetched {
        url: final_url,
        status,
        headers,
        body: body.to_vec(),
    })
}

async fn fetch_and_check(url: &str, options: &Options, report: &mut Report) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    match parsed.scheme() {
        "http" => {}
        "https" => {
            return Err(
                "https is not supported: this build of vnfeed check speaks plain http only \
                        (no TLS library); download the feed and check the file"
                    .into(),
            );
        }
        other => {
            return Err(format!(
                "`{other}:` URLs cannot be fetched; use http:// or a file path"
            ));
        }
    }
    let client = client()?;
    let Fetched {
        url: location,
        status,
        headers,
        body: raw,
    } = get(&client, &parsed, &[(ACCEPT_ENCODING, "identity")]).await?;
    if status != StatusCode::OK {
        report.findings.push(Finding::global(
            Rule::HttpStatus,
            format!("the server answered {status} (a feed answers 200 OK)"),
        ));
        return Ok(());
    }
    let mut http = Vec::new();
    let body = match header(&headers, CONTENT_ENCODING) {
        None => raw,
        Some(coding) if coding.eq_ignore_ascii_case("identity") => raw,
        Some(coding) => {
            http.push(Finding::global(
                Rule::HttpGzipInvalid,
                format!("the server sent Content-Encoding: {coding} to a request that accepted only identity"),
            ));
            gunzip(&raw).unwrap_or(raw)
        }
    };
    let document_options = Options {
        now: options.now,
        location: Some(location.to_string()),
    };
    let checked = check_document(&body, &document_options);
    report.format = checked.format;
    report.findings.extend(checked.findings);
    content_type(&headers, checked.format, checked.encoding, &mut http);
    validators(&client, &location, &headers, &mut http).await?;
    compression(&client, &location, &body, &mut http).await?;
    report.findings.extend(http);
    Ok(())
}

fn header(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
}

fn content_type(
    headers: &HeaderMap,
    format: Option<FeedFormat>,
    encoding: Option<&'static encoding_rs::Encoding>,
    out: &mut Vec<Finding>,
) {
    let Some(value) = header(headers, CONTENT_TYPE) else {
        out.push(Finding::global(
            Rule::HttpContentType,
            "the response has no Content-Type",
        ));
        return;
    };
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let charset = parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"').to_string())
    });
    let (accepted, best): (&[&str], &str) = match format {
        Some(FeedFormat::Rss) => (
            &["application/rss+xml", "application/xml", "text/xml"],
            "application/rss+xml",
        ),
        Some(FeedFormat::Atom) => (
            &["application/atom+xml", "application/xml", "text/xml"],
            "application/atom+xml",
        ),
        Some(FeedFormat::JsonFeed) => (
            &["application/feed+json", "application/json"],
            "application/feed+json",
        ),
        None => {
            if essence == "text/html" {
                out.push(Finding::global(
                    Rule::HttpContentType,
                    "this is a web page (text/html), not a feed: look for its <link rel=\"alternate\"> feed URLs",
                ));
            }
            return;
        }
    };
    if !accepted.contains(&essence.as_str()) {
        out.push(Finding::global(
            Rule::HttpContentType,
            format!("Content-Type is {essence}; this feed should be served as {best}"),
        ));
    }
    match (charset, format) {
        (Some(charset), Some(FeedFormat::JsonFeed)) => {
            if encoding_rs::Encoding::for_label(charset.as_bytes()) != Some(encoding_rs::UTF_8) {
                out.push(Finding::global(
                    Rule::HttpCharset,
                    format!("Content-Type says charset={charset}, but JSON is always UTF-8"),
                ));
            }
        }
        (Some(charset), _) => {
            let said = encoding_rs::Encoding::for_label(charset.as_bytes());
            if let Some(actual) = encoding
                && said != Some(actual)
            {
                out.push(Finding::global(
                    Rule::HttpCharset,
                    format!(
                        "Content-Type says charset={charset}, but the document is {}: readers that \
                         trust the header will garble the text",
                        actual.name()
                    ),
                ));
            }
        }
        (None, Some(FeedFormat::Rss | FeedFormat::Atom)) => out.push(Finding::global(
            Rule::HttpNoCharset,
            format!("Content-Type has no charset: say `{essence}; charset=utf-8`"),
        )),
        (None, _) => {}
    }
}

async fn validators(
    client: &reqwest::Client,
    url: &reqwest::Url,
    headers: &HeaderMap,
    out: &mut Vec<Finding>,
) -> Result<(), String> {
    let etag = header(headers, ETAG);
    let last_modified = header(headers, LAST_MODIFIED);
    if etag.is_none() && last_modified.is_none() {
        out.push(Finding::global(
            Rule::HttpValidators,
            "neither ETag nor Last-Modified: readers must download the whole feed every time",
        ));
        return Ok(());
    }
    if let Some(tag) = &etag {
        let opaque = tag.strip_prefix("W/").unwrap_or(tag);
        if !(opaque.len() >= 2 && opaque.starts_with('"') && opaque.ends_with('"')) {
            out.push(Finding::global(
                Rule::HttpValidators,
                format!("ETag {tag} is not a quoted string (RFC 9110 8.8.3)"),
            ));
        }
    }
    if let Some(date) = &last_modified
        && httpdate::parse_http_date(date).is_err()
    {
        out.push(Finding::global(
            Rule::HttpValidators,
            format!("Last-Modified `{date}` is not an HTTP date"),
        ));
    }
    let conditions = [(IF_NONE_MATCH, &etag), (IF_MODIFIED_SINCE, &last_modified)];
    for (name, value) in conditions {
        let Some(value) = value else { continue };
        let status = get(
            client,
            url,
            &[(name.clone(), value), (ACCEPT_ENCODING, "identity")],
        )
        .await?
        .status;
        if status != StatusCode::NOT_MODIFIED {
            out.push(Finding::global(
                Rule::HttpConditional,
                format!("a GET with {name}: {value} answered {status}, not 304 Not Modified"),
            ));
        }
    }
    Ok(())
}

async fn compression(
    client: &reqwest::Client,
    url: &reqwest::Url,
    identity: &[u8],
    out: &mut Vec<Finding>,
) -> Result<(), String> {
    let Fetched {
        status,
        headers,
        body,
        ..
    } = get(client, url, &[(ACCEPT_ENCODING, "gzip")]).await?;
    if status != StatusCode::OK {
        out.push(Finding::global(
            Rule::HttpStatus,
            format!("a GET with Accept-Encoding: gzip answered {status}"),
        ));
        return Ok(());
    }
    let coding = header(&headers, CONTENT_ENCODING).map(|c| c.to_ascii_lowercase());
    match coding.as_deref() {
        None | Some("identity") => {
            out.push(Finding::global(
                Rule::HttpNoGzip,
                "the response is not compressed although the request accepted gzip",
            ));
            return Ok(());
        }
        Some("gzip" | "x-gzip") => match gunzip(&body) {
            Some(plain) if plain == identity => {}
            Some(_) => out.push(Finding::global(
                Rule::HttpGzipInvalid,
                "the gzip body decompresses to a different document than the identity one",
            )),
            None => out.push(Finding::global(
                Rule::HttpGzipInvalid,
                "Content-Encoding says gzip but the body is not valid gzip",
            )),
        },
        Some(other) => out.push(Finding::global(
            Rule::HttpGzipInvalid,
            format!("the server sent Content-Encoding: {other}, which the request did not accept"),
        )),
    }
    let varies = headers.get_all(VARY).iter().any(|v| {
        String::from_utf8_lossy(v.as_bytes()).split(',').any(|f| {
            matches!(
                f.trim().to_ascii_lowercase().as_str(),
                "accept-encoding" | "*"
            )
        })
    });
    if !varies {
        out.push(Finding::global(
            Rule::HttpVary,
            "the body depends on Accept-Encoding but Vary does not say so: caches may hand gzip to \
             readers that cannot read it",
        ));
    }
    Ok(())
}

fn gunzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}
