//! Responses rendered on request rather than kept in the cache: older pages of the paged
//! feeds, archive pages (full ones cached by everyone for a year: they never change) and
//! files of the media directory.

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use sha2::{Digest, Sha256};

use super::AppState;
use super::conditional::{FEED_CACHE_CONTROL, respond};
use super::routes::{Resp, text, unavailable};
use crate::cache::Rendered;
use crate::documents::{Doc, Documents};
use crate::feeds::FeedDef;
use crate::model::Format;

/// A full archive page never changes (see `render::history`): caches may keep it forever.
pub const ARCHIVE_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// Images change rarely and get a new name when they do.
const MEDIA_CACHE_CONTROL: &str = "public, max-age=86400";

pub async fn page(
    state: &AppState,
    headers: &HeaderMap,
    head: bool,
    feed: &FeedDef,
    format: Format,
    number: u64,
) -> Resp {
    let docs = state.cache.documents();
    match docs.page(feed, number).await {
        Ok(Some(doc)) => respond_doc(headers, head, docs, feed, &doc, format, FEED_CACHE_CONTROL),
        Ok(None) => text(StatusCode::NOT_FOUND, "no such page: past the last one\n"),
        Err(e) => unavailable(&e),
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
    let docs = state.cache.documents();
    match docs.archive(feed, number).await {
        Ok(Some((doc, full))) => {
            let cache_control = if full {
                ARCHIVE_CACHE_CONTROL
            } else {
                // The newest archive page still grows until it is full.
                FEED_CACHE_CONTROL
            };
            respond_doc(headers, head, docs, feed, &doc, format, cache_control)
        }
        Ok(None) => text(StatusCode::NOT_FOUND, "no such archive page\n"),
        Err(e) => unavailable(&e),
    }
}

/// A page or archive document rendered now and answered with conditional GET. Not kept in
/// the cache: aggregators fetch old pages rarely, and each is cheap to render.
fn respond_doc(
    headers: &HeaderMap,
    head: bool,
    docs: &Documents,
    feed: &FeedDef,
    doc: &Doc,
    format: Format,
    cache_control: &'static str,
) -> Resp {
    let body = docs.render(feed, doc, format);
    let last_modified = docs.view(feed, doc).last_updated();
    let rendered = Rendered::without_brotli(format.content_type(), body, last_modified);
    respond(headers, head, &rendered, cache_control)
}

pub async fn media(state: &AppState, headers: &HeaderMap, head: bool, path: &str) -> Resp {
    let Some(media) = &state.cache.documents().media else {
        return text(StatusCode::NOT_FOUND, "no media directory\n");
    };
    match media.read(path).await {
        Some((bytes, mime)) => {
            let digest = Sha256::digest(&bytes);
            let etag: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
            let etag = format!("\"{etag}\"");
            super::conditional::respond_bytes(
                headers,
                head,
                mime,
                Bytes::from(bytes),
                &etag,
                MEDIA_CACHE_CONTROL,
            )
        }
        None => text(StatusCode::NOT_FOUND, "no such image\n"),
    }
}
