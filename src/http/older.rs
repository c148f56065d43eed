//! Older pages of the paged feeds (`?page=N`) and archive pages, from the document cache
//! (rendered on the render pool on a miss).

use http::header::RETRY_AFTER;
use http::{HeaderMap, HeaderValue, StatusCode};

use super::conditional::respond;
use super::feed_headers;
use super::response::{Resp, text, unavailable};
use super::state::AppState;
use crate::cache::{DocId, Found, OlderError};
use crate::feeds::FeedDef;
use crate::model::Format;

/// A full archive page changes only when an article in it is taken down (or its newest
/// neighbour appears): caches may keep it for a day without asking, so a takedown reaches
/// every cache within a day with no purge. Not `immutable`: a DELETE does change it (see
/// docs/hostile-clients.md, "Pages and archives").
pub const ARCHIVE_CACHE_CONTROL: &str = "public, max-age=86400";

/// What a client told "the render queue is full" should wait before asking again: renders
/// take milliseconds, so the queue has drained by then.
const RENDER_RETRY_AFTER_SECONDS: &str = "1";

pub async fn page_n(
    state: &AppState,
    headers: &HeaderMap,
    head: bool,
    feed: &FeedDef,
    format: Format,
    number: u64,
) -> Resp {
    match state.cache.older(feed, DocId::Page(number), format).await {
        Ok(found) => match found.as_ref() {
            Found::Document { rendered, .. } => respond(
                headers,
                head,
                rendered,
                feed_headers::cache_control(&state.site, feed),
            ),
            Found::Missing => text(StatusCode::NOT_FOUND, "no such page: past the last one\n"),
        },
        Err(e) => refused(&e),
    }
}

pub async fn archive(
    state: &AppState,
    headers: &HeaderMap,
    head: bool,
    feed: &FeedDef,
    format: Format,
    number: u64,
) -> Resp {
    match state
        .cache
        .older(feed, DocId::Archive(number), format)
        .await
    {
        Ok(found) => match found.as_ref() {
            Found::Document { rendered, full } => {
                let cache_control = if *full {
                    HeaderValue::from_static(ARCHIVE_CACHE_CONTROL)
                } else {
                    // The newest archive page still grows until it is full.
                    feed_headers::cache_control(&state.site, feed)
                };
                respond(headers, head, rendered, cache_control)
            }
            Found::Missing => text(StatusCode::NOT_FOUND, "no such archive page\n"),
        },
        Err(e) => refused(&e),
    }
}

/// 503 for a document that could not be had now: the render queue is full (with
/// Retry-After), or the store failed.
pub(super) fn refused(e: &OlderError) -> Resp {
    match e {
        OlderError::Busy(_) => {
            let mut resp = text(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many documents are being rendered; retry shortly\n",
            );
            resp.headers_mut().insert(
                RETRY_AFTER,
                HeaderValue::from_static(RENDER_RETRY_AFTER_SECONDS),
            );
            resp
        }
        OlderError::Store(e) => unavailable(e),
    }
}
