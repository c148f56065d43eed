//! Conditional GET and content coding for cached bodies: picks brotli, gzip or identity, answers
//! 304 when the client's validators still hold (If-None-Match before If-Modified-Since,
//! RFC 9110 13.2.2), and sets the caching headers.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG,
    IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, VARY,
};
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use http_body_util::Full;

use super::representation::{Coding, Rendered};

/// How long shared caches and readers may reuse an HTML page or the OPML list without
/// asking again (5 minutes). Feed documents take their feed's own time (`polling`).
pub const FEED_CACHE_CONTROL: &str = "public, max-age=300";

/// What a request's Accept-Encoding allows, read in one pass: for brotli, gzip (or
/// `x-gzip`) and `*`, whether it was named and with a non-zero q.
#[derive(Debug, Default, Clone, Copy)]
struct Acceptable {
    brotli: Option<bool>,
    gzip: Option<bool>,
    star: Option<bool>,
}

impl Acceptable {
    fn of(headers: &HeaderMap) -> Acceptable {
        let mut found = Acceptable::default();
        for value in headers.get_all(ACCEPT_ENCODING) {
            let Ok(value) = value.to_str() else { continue };
            for part in value.split(',') {
                let mut pieces = part.split(';');
                let name = pieces.next().unwrap_or("").trim();
                let slot = if name.eq_ignore_ascii_case("br") {
                    &mut found.brotli
                } else if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                    &mut found.gzip
                } else if name == "*" {
                    &mut found.star
                } else {
                    continue;
                };
                let q = pieces
                    .filter_map(|p| p.trim().strip_prefix("q="))
                    .filter_map(|q| q.trim().parse::<f32>().ok())
                    .next_back()
                    .unwrap_or(1.0);
                *slot = Some(q > 0.0);
            }
        }
        found
    }

    /// Identity is always acceptable here: we never answer 406.
    fn allows(self, coding: Coding) -> bool {
        let named = match coding {
            Coding::Identity => return true,
            Coding::Gzip => self.gzip,
            Coding::Brotli => self.brotli,
        };
        named.or(self.star).unwrap_or(false)
    }
}

/// The coding to send: brotli when accepted and kept (smallest), then gzip, then identity.
pub fn choose_coding(headers: &HeaderMap, rendered: &Rendered) -> Coding {
    let acceptable = Acceptable::of(headers);
    [Coding::Brotli, Coding::Gzip]
        .into_iter()
        .find(|&c| rendered.representation(c).is_some() && acceptable.allows(c))
        .unwrap_or(Coding::Identity)
}

/// Weak comparison (RFC 9110 8.8.3.2): `W/` prefixes are ignored.
fn none_match<'a>(header: &str, etags: impl Iterator<Item = &'a str> + Clone) -> bool {
    header.split(',').map(str::trim).any(|tag| {
        tag == "*" || {
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            etags
                .clone()
                .any(|e| e.strip_prefix("W/").unwrap_or(e) == tag)
        }
    })
}

/// True if the request's validators say the client already has this content.
pub fn not_modified<'a>(
    headers: &HeaderMap,
    etags: impl Iterator<Item = &'a str> + Clone,
    last_modified: Option<DateTime<Utc>>,
) -> bool {
    if let Some(inm) = headers.get(IF_NONE_MATCH) {
        // If-None-Match wins over If-Modified-Since whenever it is present.
        return inm.to_str().is_ok_and(|v| none_match(v, etags));
    }
    match (headers.get(IF_MODIFIED_SINCE), last_modified) {
        (Some(ims), Some(lm)) => ims
            .to_str()
            .ok()
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .is_some_and(|since| {
                let since: DateTime<Utc> = since.into();
                lm.timestamp() <= since.timestamp()
            }),
        _ => false,
    }
}

/// The response for a cached body: 304 or 200, the best coding accepted, no body for HEAD.
/// Every header value is made in advance or static: answering copies no bytes and parses
/// nothing, which is most of what a 304 costs beyond hyper itself.
pub fn respond(
    request: &HeaderMap,
    head: bool,
    rendered: &Rendered,
    cache_control: HeaderValue,
) -> Response<Full<Bytes>> {
    let coding = choose_coding(request, rendered);
    let chosen = rendered
        .representation(coding)
        .unwrap_or(&rendered.identity);
    // Every coding carries the same content: a client holding any of them is up to date.
    let fresh = not_modified(request, rendered.etags(), rendered.last_modified);
    let body = if fresh || head {
        Bytes::new()
    } else {
        chosen.body.clone()
    };
    let mut resp = Response::new(Full::new(body));
    let headers = resp.headers_mut();
    headers.reserve(8);
    headers.insert(ETAG, chosen.etag_header.clone());
    headers.insert(CACHE_CONTROL, cache_control);
    headers.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Some(lm) = &rendered.last_modified_header {
        headers.insert(LAST_MODIFIED, lm.clone());
    }
    if fresh {
        *resp.status_mut() = StatusCode::NOT_MODIFIED;
        return resp;
    }
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(rendered.content_type),
    );
    headers.insert(CONTENT_LENGTH, HeaderValue::from(chosen.body.len()));
    if let Some(token) = coding.token() {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static(token));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_static(v));
        }
        map
    }

    /// Whether the client accepts gzip (`gzip`, `x-gzip` or `*` with a non-zero q).
    fn accepts_gzip(headers: &HeaderMap) -> bool {
        Acceptable::of(headers).allows(Coding::Gzip)
    }

    #[test]
    fn gzip_negotiation_honours_q_zero() {
        assert!(accepts_gzip(&headers(&[("accept-encoding", "gzip, br")])));
        assert!(accepts_gzip(&headers(&[(
            "accept-encoding",
            "br;q=1, *;q=0.5"
        )])));
        assert!(!accepts_gzip(&headers(&[(
            "accept-encoding",
            "gzip;q=0, *"
        )])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "identity")])));
        assert!(!accepts_gzip(&headers(&[])));
    }

    #[test]
    fn brotli_is_preferred_then_gzip_then_identity() {
        let rendered = Rendered::new("text/plain", b"xin chao ".repeat(50), None);
        let page = Rendered::without_brotli("text/plain", b"xin chao ".repeat(50), None);
        let pick =
            |ae: &'static str, r: &Rendered| choose_coding(&headers(&[("accept-encoding", ae)]), r);
        assert_eq!(pick("gzip, deflate, br", &rendered), Coding::Brotli);
        assert_eq!(pick("br;q=0, gzip", &rendered), Coding::Gzip);
        assert_eq!(pick("BR", &rendered), Coding::Brotli);
        assert_eq!(pick("*", &rendered), Coding::Brotli);
        assert_eq!(
            pick("gzip, br", &page),
            Coding::Gzip,
            "a page kept without brotli"
        );
        assert_eq!(pick("identity", &rendered), Coding::Identity);
        assert_eq!(pick("br;q=0, gzip;q=0", &rendered), Coding::Identity);
        assert_eq!(choose_coding(&headers(&[]), &rendered), Coding::Identity);
    }

    #[test]
    fn if_none_match_takes_precedence_over_if_modified_since() {
        let lm = DateTime::from_timestamp(1_713_744_000, 0);
        let etags = ["\"abc\"", "\"abc-gz\""].into_iter();
        let stale_etag_fresh_date = headers(&[
            ("if-none-match", "\"old\""),
            ("if-modified-since", "Sun, 01 Jan 2045 00:00:00 GMT"),
        ]);
        assert!(!not_modified(&stale_etag_fresh_date, etags.clone(), lm));
        assert!(not_modified(
            &headers(&[("if-none-match", "W/\"x\", \"abc\"")]),
            etags.clone(),
            lm
        ));
        assert!(not_modified(
            &headers(&[("if-none-match", "*")]),
            etags.clone(),
            lm
        ));
        assert!(not_modified(
            &headers(&[("if-modified-since", "Mon, 22 Apr 2024 00:00:00 GMT")]),
            etags.clone(),
            lm
        ));
        assert!(!not_modified(
            &headers(&[("if-modified-since", "Sun, 21 Apr 2024 23:59:59 GMT")]),
            etags.clone(),
            lm
        ));
    }
}
