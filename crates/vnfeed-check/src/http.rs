//! The HTTP side of a feed URL: redirects, status, Content-Type and charset, validators,
//! whether a conditional GET really answers 304, and whether gzip is honoured. The fetching
//! itself (TLS, redirects, time and size limits) is `client`'s.

use std::io::Read;

use bytes::Bytes;
use http::StatusCode;
use http::header::{
    ACCEPT, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, ETAG, HeaderMap, HeaderName,
    IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, VARY,
};

use super::client::{Client, Fetched, Limits};
use super::document::check_document;
use super::finding::Finding;
use super::options::Options;
use super::report::{FeedFormat, Report};
use super::rules::Rule;

const ACCEPT_FEEDS: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
                            application/xml;q=0.9, application/json;q=0.9, text/xml;q=0.8, */*;q=0.1";

/// Fetches `url` with a client of default limits and checks the exchange and the document.
pub async fn check_url(url: &str, options: &Options) -> Report {
    match Client::new(Limits::DEFAULT) {
        Ok(client) => check_url_with(&client, url, options).await,
        Err(e) => Report::failed(url, Rule::HttpFetch, e.to_string()),
    }
}

/// Fetches `url` with `client` and checks the exchange and the document.
pub async fn check_url_with(client: &Client, url: &str, options: &Options) -> Report {
    fetch_and_check(client, url, options).await.report
}

/// What a URL turned out to hold, with the body when it was not a feed, so the caller can
/// look inside an HTML page or an OPML list, or follow a feed's paging links.
pub(crate) struct UrlCheck {
    pub report: Report,
    /// The body as checked (after any decoding), when there was one.
    pub body: Option<Bytes>,
    /// The Content-Type's essence, lower-cased.
    pub content_type: Option<String>,
    /// The URL the body came from, after redirects.
    pub final_url: Option<String>,
}

pub(crate) async fn fetch_and_check(client: &Client, url: &str, options: &Options) -> UrlCheck {
    let mut check = UrlCheck {
        report: Report::new(url),
        body: None,
        content_type: None,
        final_url: None,
    };
    if let Err(why) = fetch_into(client, url, options, &mut check).await {
        check
            .report
            .findings
            .push(Finding::global(Rule::HttpFetch, why));
    }
    check.report.sort();
    check
}

async fn get(
    client: &Client,
    url: &str,
    headers: &[(HeaderName, &str)],
) -> Result<Fetched, String> {
    let mut all = vec![(ACCEPT, ACCEPT_FEEDS)];
    all.extend(headers.iter().cloned());
    client.get(url, &all).await.map_err(|e| e.to_string())
}

async fn fetch_into(
    client: &Client,
    url: &str,
    options: &Options,
    check: &mut UrlCheck,
) -> Result<(), String> {
    let Fetched {
        url: location,
        status,
        headers,
        body: raw,
        redirects,
    } = get(client, url, &[(ACCEPT_ENCODING, "identity")]).await?;
    let mut http = Vec::new();
    for redirect in redirects.iter().filter(|r| r.is_permanent()) {
        http.push(Finding::global(
            Rule::HttpRedirect,
            format!(
                "{} answered {} to {}: update the subscription to the new URL",
                redirect.from, redirect.status, redirect.to
            ),
        ));
    }
    check.report.redirects = redirects;
    check.final_url = Some(location.to_string());
    if status != StatusCode::OK {
        check.report.findings.extend(http);
        check.report.findings.push(Finding::global(
            Rule::HttpStatus,
            format!("the server answered {status} (a feed answers 200 OK)"),
        ));
        return Ok(());
    }
    let body = match header(&headers, CONTENT_ENCODING) {
        None => raw,
        Some(coding) if coding.eq_ignore_ascii_case("identity") => raw,
        Some(coding) => {
            http.push(Finding::global(
                Rule::HttpGzipInvalid,
                format!("the server sent Content-Encoding: {coding} to a request that accepted only identity"),
            ));
            let cap = client.limits().max_body;
            gunzip(&raw, cap)
                .filter(|plain| plain.len() <= cap)
                .map(Bytes::from)
                .unwrap_or(raw)
        }
    };
    check.content_type = header(&headers, CONTENT_TYPE).map(|v| {
        v.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    check.body = Some(body.clone());
    let document_options = Options {
        now: options.now,
        location: Some(location.to_string()),
    };
    let checked = check_document(&body, &document_options);
    check.report.format = checked.format;
    check.report.findings.extend(checked.findings);
    content_type(&headers, checked.format, checked.encoding, &mut http);
    if checked.format.is_some() {
        // Only a feed is worth the extra requests; a web page or a list of feeds is looked into instead.
        validators(client, location.as_str(), &headers, &mut http).await?;
        compression(client, location.as_str(), &body, &mut http).await?;
    }
    check.report.findings.extend(http);
    Ok(())
}

fn header(headers: &HeaderMap, name: HeaderName) -> Option<String> {
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
    client: &Client,
    url: &str,
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
    client: &Client,
    url: &str,
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
        // Decompressing one byte past the identity body is enough to tell them apart, and
        // keeps a gzip bomb from filling memory.
        Some("gzip" | "x-gzip") => match gunzip(&body, identity.len()) {
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

/// Decompresses at most `limit + 1` bytes, so a body that inflates past the limit is seen
/// as such without being inflated whole.
fn gunzip(bytes: &[u8], limit: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}
