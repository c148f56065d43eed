//! vnfeed's built-in icon and logo (`identity::BUILTINS`), served from the binary: a fixed
//! set of small files held as static bytes, so a request copies nothing and allocates only
//! its headers, whatever a client sends. Validated by a strong ETag of the bytes (the same on
//! every replica and after every restart); already compressed (PNG) or tiny (SVG), so sent
//! as they are.

use std::sync::LazyLock;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, ETAG};
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use http_body_util::Full;
use sha2::{Digest, Sha256};

use super::conditional::not_modified;
use super::response::Resp;
use crate::identity::{BUILTINS, Builtin};

/// A day: the URLs stay the same when a new release changes an image, so not `immutable`;
/// after a day a reader revalidates and gets a 304 until then.
const CACHE: &str = "public, max-age=86400";

/// Each built-in image's ETag, made once.
static ETAGS: LazyLock<Vec<HeaderValue>> = LazyLock::new(|| {
    BUILTINS
        .iter()
        .map(|b| {
            let digest = Sha256::digest(b.bytes);
            let hex: String = digest.iter().take(16).map(|x| format!("{x:02x}")).collect();
            HeaderValue::from_str(&format!("\"{hex}\"")).expect("quoted hex")
        })
        .collect()
});

/// The answer to GET or HEAD of a built-in image: 200, or 304 when the client's ETag holds.
pub fn serve(headers: &HeaderMap, head: bool, image: &'static Builtin) -> Resp {
    let index = BUILTINS
        .iter()
        .position(|b| b.path == image.path)
        .expect("a built-in image");
    let etag = &ETAGS[index];
    let tag = etag.to_str().expect("ASCII");
    let fresh = not_modified(headers, std::iter::once(tag), None);
    let body = if fresh || head {
        Bytes::new()
    } else {
        Bytes::from_static(image.bytes)
    };
    let mut resp = Response::new(Full::new(body));
    let out = resp.headers_mut();
    out.insert(ETAG, etag.clone());
    out.insert(CACHE_CONTROL, HeaderValue::from_static(CACHE));
    if fresh {
        *resp.status_mut() = StatusCode::NOT_MODIFIED;
        return resp;
    }
    out.insert(CONTENT_TYPE, HeaderValue::from_static(image.content_type));
    out.insert(CONTENT_LENGTH, HeaderValue::from(image.bytes.len()));
    resp
}
