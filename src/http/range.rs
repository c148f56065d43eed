//! Range requests (RFC 9110 section 14) for files served whole: one `bytes=` range, honoured
//! only while `If-Range` (if sent) still matches. Several ranges at once are answered with
//! the whole file, which the RFC allows and which spares us multipart bodies.

use http::HeaderMap;
use http::header::{IF_RANGE, RANGE};

/// What to send of a representation of `length` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// All of it (no usable Range): 200.
    Whole,
    /// Bytes `start..end` (end exclusive): 206.
    Range { start: u64, end: u64 },
    /// Nothing the client asked for exists: 416.
    Unsatisfiable,
}

/// The part of a representation (`length` bytes, with `etag` and `last_modified` as sent)
/// that the request's `Range` and `If-Range` ask for.
pub fn requested(headers: &HeaderMap, length: u64, etag: &str, last_modified: &str) -> Part {
    let Some(range) = headers.get(RANGE).and_then(|v| v.to_str().ok()) else {
        return Part::Whole;
    };
    if let Some(if_range) = headers.get(IF_RANGE) {
        // A strong match only (RFC 9110 13.1.5): an entity tag, or the exact date sent.
        let same = if_range
            .to_str()
            .is_ok_and(|v| !v.starts_with("W/") && (v == etag || v == last_modified));
        if !same {
            return Part::Whole;
        }
    }
    parse(range, length).unwrap_or(Part::Whole)
}

/// One `bytes=` range against `length`; `None` when the header is not one we honour.
fn parse(header: &str, length: u64) -> Option<Part> {
    let (unit, spec) = header.trim().split_once('=')?;
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return None;
    }
    let (first, last) = spec.trim().split_once('-')?;
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (start, end) = match (first.trim().is_empty(), last.trim().is_empty()) {
        // `bytes=-N`: the last N bytes.
        (true, false) => {
            let n = number(last)?;
            if n == 0 || length == 0 {
                return Some(Part::Unsatisfiable);
            }
            (length.saturating_sub(n), length)
        }
        // `bytes=N-`: from N to the end.
        (false, true) => (number(first)?, length),
        (false, false) => {
            let (start, last) = (number(first)?, number(last)?);
            if last < start {
                return None;
            }
            (start, last.saturating_add(1).min(length))
        }
        (true, true) => return None,
    };
    Some(if start >= length {
        Part::Unsatisfiable
    } else {
        Part::Range { start, end }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(range: &'static str, if_range: Option<&'static str>) -> Part {
        let mut h = HeaderMap::new();
        h.insert(RANGE, http::HeaderValue::from_static(range));
        if let Some(v) = if_range {
            h.insert(IF_RANGE, http::HeaderValue::from_static(v));
        }
        requested(&h, 1000, "\"e\"", "Mon, 22 Apr 2024 00:00:00 GMT")
    }

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        let r = |start, end| Part::Range { start, end };
        assert_eq!(part("bytes=0-99", None), r(0, 100));
        assert_eq!(part("bytes=900-", None), r(900, 1000));
        assert_eq!(part("bytes=-100", None), r(900, 1000));
        assert_eq!(part("bytes=-5000", None), r(0, 1000));
        assert_eq!(part("bytes=990-5000", None), r(990, 1000));
        assert_eq!(part("BYTES = 1-1", None), r(1, 2));
        assert_eq!(part("bytes=1000-", None), Part::Unsatisfiable);
        assert_eq!(part("bytes=-0", None), Part::Unsatisfiable);
        for ignored in [
            "bytes=5-1",
            "bytes=0-1,5-9",
            "items=0-1",
            "bytes=-",
            "bytes=a-b",
            "bytes=+1-2",
            "bytes=99999999999999999999-",
        ] {
            assert_eq!(part(ignored, None), Part::Whole, "{ignored}");
        }
        assert_eq!(part("bytes=0-0", Some("\"e\"")), r(0, 1));
        assert_eq!(
            part("bytes=0-0", Some("Mon, 22 Apr 2024 00:00:00 GMT")),
            r(0, 1)
        );
        assert_eq!(part("bytes=0-0", Some("\"old\"")), Part::Whole);
        assert_eq!(part("bytes=0-0", Some("W/\"e\"")), Part::Whole);
    }
}
