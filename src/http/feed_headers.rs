//! What a feed document's response says besides its bytes and validators: how long it may be
//! kept (`Cache-Control`, from the feed's polling hint, the same time as its RSS `<ttl>`, see
//! `polling`) and, when a WebSub hub is configured, where to subscribe: WebSub §4 discovery,
//! `Link: <hub>; rel="hub"` and `Link: <self>; rel="self"`, for readers that look only at
//! the headers (FreshRSS). Every feed document carries them: page 1, `?page=N` and archive
//! pages, in every format; `self` is the URL of that document.

use http::header::LINK;
use http::{HeaderValue, StatusCode};

use super::response::Resp;
use crate::feeds::FeedDef;
use crate::render::Site;

/// `Cache-Control` for a document of `feed` that may still change.
pub fn cache_control(site: &Site, feed: &FeedDef) -> HeaderValue {
    HeaderValue::try_from(site.polling(feed).cache_control())
        .expect("digits and ASCII make a valid header value")
}

/// Adds the WebSub discovery links to a feed document's response (200 or 304), when the
/// site has a hub. `self_url` is the document's own URL, as its body names it.
pub fn add_links(resp: &mut Resp, site: &Site, self_url: &str) {
    let Some(hub) = &site.hub else { return };
    if !matches!(resp.status(), StatusCode::OK | StatusCode::NOT_MODIFIED) {
        return;
    }
    let headers = resp.headers_mut();
    for (url, rel) in [(hub.as_str(), "hub"), (self_url, "self")] {
        // Both are URLs we checked or built (ASCII); a value that still cannot be a header
        // is left out rather than sent broken.
        if let Ok(value) = HeaderValue::try_from(format!("<{url}>; rel=\"{rel}\"")) {
            headers.append(LINK, value);
        }
    }
}
