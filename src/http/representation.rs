//! HTTP representations: a response body kept in each content coding (identity, gzip,
//! brotli) with its strong ETag and Last-Modified, made once so that serving it is only a
//! choice among finished bytes. The cache holds these; `conditional` picks one per request.

use std::io::Write;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use http::HeaderValue;
use sha2::{Digest, Sha256};

/// A content coding a body is kept in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
}

impl Coding {
    /// The `Content-Encoding` token; `None` for identity.
    pub fn token(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Brotli => Some("br"),
        }
    }
}

/// One encoding of a response body with its strong ETag.
#[derive(Debug, Clone)]
pub struct Representation {
    pub body: Bytes,
    pub etag: String,
    /// `etag` as a header value, made once: a 304 then costs no formatting or copying.
    pub etag_header: HeaderValue,
}

impl Representation {
    fn new(body: Vec<u8>, etag: String) -> Representation {
        Representation {
            body: Bytes::from(body),
            etag_header: HeaderValue::from_str(&etag).expect("an ETag is quoted hex"),
            etag,
        }
    }
}

/// A response body ready to serve, in each content coding.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub content_type: &'static str,
    pub identity: Representation,
    pub gzip: Representation,
    /// `None` for one-off pages rendered per request, where brotli's cost is not repaid.
    pub brotli: Option<Representation>,
    /// Truncated to whole seconds, as HTTP dates are.
    pub last_modified: Option<DateTime<Utc>>,
    /// `last_modified` as an HTTP date header value, made once.
    pub last_modified_header: Option<HeaderValue>,
}

/// gzip level 9 and brotli quality 5 for a body kept for many requests: a feed is compressed
/// once per change and sent many thousand times, but a write waits for its feeds to be
/// compressed before it is served: brotli 5 is smaller than gzip 9 for about the same time,
/// higher qualities cost many times more (docs/benchmarks.md, "Latest figures", Micro).
const GZIP_LEVEL: u32 = 9;
/// gzip level 6 (zlib's default) for a body compressed on a request's behalf: an older
/// page or archive page on a cache miss, an article page on every request. A client that
/// asks for documents nobody asked for before makes the server compress at its pace, so
/// time matters more than the last bytes (the levels compared: docs/benchmarks.md, "Older
/// pages and archives").
pub const GZIP_ON_DEMAND_LEVEL: u32 = 6;
pub const BROTLI_QUALITY: u32 = 5;
const BROTLI_WINDOW: u32 = 22;

impl Rendered {
    /// A body kept in every coding: for bodies served many times (feeds, the index page).
    pub fn new(
        content_type: &'static str,
        body: Vec<u8>,
        last_modified: Option<DateTime<Utc>>,
    ) -> Rendered {
        Rendered::encoded(content_type, body, last_modified, GZIP_LEVEL, true)
    }

    /// A body kept as identity and gzip (at [`GZIP_ON_DEMAND_LEVEL`]) only: for bodies
    /// compressed on a request's behalf (older pages and archive pages on a cache miss,
    /// article pages), where brotli would nearly double the compression time of a miss for
    /// a sixth fewer bytes (docs/benchmarks.md).
    pub fn without_brotli(
        content_type: &'static str,
        body: Vec<u8>,
        last_modified: Option<DateTime<Utc>>,
    ) -> Rendered {
        Rendered::encoded(
            content_type,
            body,
            last_modified,
            GZIP_ON_DEMAND_LEVEL,
            false,
        )
    }

    fn encoded(
        content_type: &'static str,
        body: Vec<u8>,
        last_modified: Option<DateTime<Utc>>,
        gzip_level: u32,
        with_brotli: bool,
    ) -> Rendered {
        let digest = Sha256::digest(&body);
        let hash: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        // The ETag comes from the bytes alone, so replicas and restarts agree on it.
        let etag = format!("\"{hash}\"");
        let gzip = gzip_at(&body, gzip_level);
        let brotli = with_brotli.then(|| Representation::new(brotli(&body), tagged(&etag, "br")));
        let last_modified = last_modified.and_then(|t| DateTime::from_timestamp(t.timestamp(), 0));
        Rendered {
            content_type,
            gzip: Representation::new(gzip, tagged(&etag, "gz")),
            identity: Representation::new(body, etag),
            brotli,
            last_modified,
            last_modified_header: last_modified.map(|t| {
                let date = httpdate::fmt_http_date(t.into());
                HeaderValue::from_str(&date).expect("an HTTP date is ASCII")
            }),
        }
    }

    /// The bytes kept, every coding together: what this costs a cache.
    pub fn weight(&self) -> usize {
        [Some(&self.identity), Some(&self.gzip), self.brotli.as_ref()]
            .into_iter()
            .flatten()
            .map(|r| r.body.len() + r.etag.len())
            .sum()
    }

    /// The body in `coding`, if kept in it.
    pub fn representation(&self, coding: Coding) -> Option<&Representation> {
        match coding {
            Coding::Identity => Some(&self.identity),
            Coding::Gzip => Some(&self.gzip),
            Coding::Brotli => self.brotli.as_ref(),
        }
    }

    /// Every coding's ETag: they all carry the same content.
    pub fn etags(&self) -> impl Iterator<Item = &str> + Clone {
        [Some(&self.identity), Some(&self.gzip), self.brotli.as_ref()]
            .into_iter()
            .flatten()
            .map(|r| r.etag.as_str())
    }
}

/// `"hash"` -> `"hash-suffix"`: each coding gets its own strong ETag (RFC 9110 8.8.3.3).
fn tagged(etag: &str, suffix: &str) -> String {
    format!("{}-{suffix}\"", etag.trim_end_matches('"'))
}

/// gzip at the level kept bodies get; see [`gzip_at`].
pub fn gzip(body: &[u8]) -> Vec<u8> {
    gzip_at(body, GZIP_LEVEL)
}

/// gzip with a zeroed header timestamp, so equal input gives equal bytes.
pub fn gzip_at(body: &[u8], level: u32) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::new(level));
    encoder
        .write_all(body)
        .and_then(|_| encoder.finish())
        .expect("compressing into memory cannot fail")
}

/// brotli at `BROTLI_QUALITY`; deterministic, like gzip above.
pub fn brotli(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() / 4);
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY as i32,
        lgwin: BROTLI_WINDOW as i32,
        size_hint: body.len(),
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &body[..], &mut out, &params)
        .expect("compressing into memory cannot fail");
    out
}
