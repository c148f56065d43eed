//! Files of the media directory: opened and checked off the async workers, validated by
//! size and mtime, streamed a chunk at a time, whole or as one `Range`.

use std::time::SystemTime;

use bytes::Bytes;
use http::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, LAST_MODIFIED,
    RETRY_AFTER,
};
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use http_body_util::{Either, Full};

use super::conditional::not_modified;
use super::range::{self, Part};
use super::response::{Body, Resp, text};
use super::state::AppState;
use crate::media::Refused;

/// Images change rarely and get a new name when they do.
const MEDIA_CACHE_CONTROL: &str = "public, max-age=86400";

/// Seconds a client is asked to wait when the media directory did not answer in time.
const MEDIA_RETRY_AFTER: &str = "5";

/// A file of the media directory: opened and checked off the async workers, validated by
/// its size and mtime, and streamed a chunk at a time, whole or as one `Range`.
pub async fn serve(
    state: &AppState,
    headers: &HeaderMap,
    head: bool,
    path: &str,
) -> Response<Body> {
    let whole = |resp: Resp| resp.map(Either::Left);
    let Some(media) = &state.media else {
        return whole(text(StatusCode::NOT_FOUND, "no media directory\n"));
    };
    let image = match media.image(path).await {
        Ok(image) => image,
        Err(Refused::Missing) => return whole(text(StatusCode::NOT_FOUND, "no such image\n")),
        Err(e) => {
            tracing::warn!(path, error = %e, "media file not served");
            let mut resp = text(
                StatusCode::SERVICE_UNAVAILABLE,
                "the media directory is not answering\n",
            );
            resp.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static(MEDIA_RETRY_AFTER));
            return whole(resp);
        }
    };
    // A clock set wrong on the file must not promise clients a date still to come.
    let modified = image.modified.min(SystemTime::now());
    let last_modified = httpdate::fmt_http_date(modified);
    let builder = Response::builder()
        .header(ETAG, &*image.etag)
        .header(LAST_MODIFIED, &last_modified)
        .header(CACHE_CONTROL, MEDIA_CACHE_CONTROL)
        .header(ACCEPT_RANGES, "bytes");
    let empty = || Either::Left(Full::new(Bytes::new()));
    if not_modified(headers, [&*image.etag].into_iter(), Some(modified.into())) {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(empty())
            .expect("the headers are valid");
    }
    // Range applies to GET only (RFC 9110 14.2).
    let part = if head {
        Part::Whole
    } else {
        range::requested(headers, image.length, &image.etag, &last_modified)
    };
    let builder = builder.header(CONTENT_TYPE, image.mime_type);
    let (builder, start, end) = match part {
        Part::Whole => (builder.status(StatusCode::OK), 0, image.length),
        Part::Range { start, end } => (
            builder.status(StatusCode::PARTIAL_CONTENT).header(
                CONTENT_RANGE,
                format!("bytes {start}-{}/{}", end - 1, image.length),
            ),
            start,
            end,
        ),
        Part::Unsatisfiable => {
            return builder
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(CONTENT_RANGE, format!("bytes */{}", image.length))
                .header(CONTENT_LENGTH, 0)
                .body(empty())
                .expect("the headers are valid");
        }
    };
    let body = if head {
        empty()
    } else {
        Either::Right(image.body(start, end))
    };
    builder
        .header(CONTENT_LENGTH, end - start)
        .body(body)
        .expect("the headers are valid")
}
