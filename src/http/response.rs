//! The response types and the small answers every route shares: plain text, JSON, a
//! redirect, a store outage, a HEAD without its body. A leaf: it knows nothing of routes.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, LOCATION};
use http::{Response, StatusCode};
use http_body_util::Full;

/// A response built in memory.
pub type Resp = Response<Full<Bytes>>;

/// What any response carries: bytes in memory, or a media file read as it is sent.
pub type Body = http_body_util::Either<Full<Bytes>, crate::media::FileBody>;

pub fn text(status: StatusCode, body: &'static str) -> Resp {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .expect("static headers are valid")
}

pub fn json(status: StatusCode, body: String) -> Resp {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json")
        .header(http::header::CACHE_CONTROL, "no-store")
        .body(Full::new(Bytes::from(body)))
        .expect("static headers are valid")
}

pub fn redirect(location: &str) -> Resp {
    Response::builder()
        .status(StatusCode::MOVED_PERMANENTLY)
        .header(LOCATION, location)
        .header(CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from(format!("moved to {location}\n"))))
        .expect("a slug is a valid header value")
}

pub fn unavailable(e: &crate::store::StoreError) -> Resp {
    tracing::warn!(error = %e, "store read failed");
    text(
        StatusCode::SERVICE_UNAVAILABLE,
        "the store is unavailable\n",
    )
}

/// HEAD gets every header GET would, Content-Length included, and no body.
pub fn strip_body(resp: Resp) -> Resp {
    let (parts, _) = resp.into_parts();
    Response::from_parts(parts, Full::new(Bytes::new()))
}
