//! Conditional GET and content coding for cached bodies: picks identity or gzip, answers
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

use crate::cache::Rendered;

/// How long shared caches and readers may reuse a response without asking again.
pub const FEED_MAX_AGE: u32 = 300;

/// Whether the client accepts gzip (`gzip`, `x-gzip` or `*` with a non-zero q).
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut gzip = None;
    let mut star = None;
    for value in headers.get_all(ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let coding = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .filter_map(|q| q.trim().parse::<f32>().ok())
                .next_back()
                .unwrap_or(1.0);
            match coding.as_str() {
                "gzip" | "x-gzip" => gzip = Some(q > 0.0),
                "*" => star = Some(q > 0.0),
                _ => {}
            }
        }
    }
    gzip.or(star).unwrap_or(false)
}

/// Weak comparison (RFC 9110 8.8.3.2): `W/` prefixes are ignored.
fn none_match(header: &str, etags: &[&str]) -> bool {
    header.split(',').map(str::trim).any(|tag| {
        tag == "*" || {
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            etags
                .iter()
                .any(|e| e.strip_prefix("W/").unwrap_or(e) == tag)
        }
    })
}

/// True if the request's validators say the client already has this content.
pub fn not_modified(
    headers: &HeaderMap,
    etags: &[&str],
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

pub fn http_date(t: DateTime<Utc>) -> String {
    httpdate::fmt_http_date(t.into())
}

/// The response for a cached body: 304 or 200, gzip when accepted, no body for HEAD.
pub fn respond(
    request: &HeaderMap,
    head: bool,
    rendered: &Rendered,
    cache_control: &str,
) -> Response<Full<Bytes>> {
    let gzip = accepts_gzip(request);
    let chosen = if gzip {
        &rendered.gzip
    } else {
        &rendered.identity
    };
    // Both codings carry the same content: a client holding either is up to date.
    let etags = [rendered.identity.etag.as_str(), rendered.gzip.etag.as_str()];
    let fresh = not_modified(request, &etags, rendered.last_modified);
    let mut builder = Response::builder()
        .header(ETAG, &chosen.etag)
        .header(CACHE_CONTROL, cache_control)
        .header(VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Some(lm) = rendered.last_modified {
        builder = builder.header(LAST_MODIFIED, http_date(lm));
    }
    if fresh {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Full::new(Bytes::new()))
            .expect("static headers are valid");
    }
    builder = builder
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, rendered.content_type)
        .header(CONTENT_LENGTH, chosen.body.len());
    if gzip {
        builder = builder.header(CONTENT_ENCODING, "gzip");
    }
    let body = if head {
        Bytes::new()
    } else {
        chosen.body.clone()
    };
    builder
        .body(Full::new(body))
        .expect("static headers are valid")
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
    fn if_none_match_takes_precedence_over_if_modified_since() {
        let lm = DateTime::from_timestamp(1_713_744_000, 0);
        let etags = ["\"abc\"", "\"abc-gz\""];
        let stale_etag_fresh_date = headers(&[
            ("if-none-match", "\"old\""),
            ("if-modified-since", "Sun, 01 Jan 2045 00:00:00 GMT"),
        ]);
        assert!(!not_modified(&stale_etag_fresh_date, &etags, lm));
        assert!(not_modified(
            &headers(&[("if-none-match", "W/\"x\", \"abc\"")]),
            &etags,
            lm
        ));
        assert!(not_modified(
            &headers(&[("if-none-match", "*")]),
            &etags,
            lm
        ));
        assert!(not_modified(
            &headers(&[("if-modified-since", "Mon, 22 Apr 2024 00:00:00 GMT")]),
            &etags,
            lm
        ));
        assert!(!not_modified(
            &headers(&[("if-modified-since", "Sun, 21 Apr 2024 23:59:59 GMT")]),
            &etags,
            lm
        ));
    }
}
