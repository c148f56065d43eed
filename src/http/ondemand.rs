//! The routes of the documents rendered on demand: authors' and tags' feeds and pages, their
//! OPML lists, the sitemaps and `robots.txt`. A document the cache holds is answered at once;
//! a miss (a render, or a 404 for an unknown author or tag) first counts against the
//! client's request rate, so a loop over random slugs is throttled like any uncached route.

use http::header::RETRY_AFTER;
use http::{HeaderMap, HeaderValue, StatusCode};

use std::net::IpAddr;

use super::AppState;
use super::conditional::{FEED_CACHE_CONTROL, respond};
use super::older::refused;
use super::response::{Resp, text};
use crate::cache::OnDemand;

pub async fn answer(
    state: &AppState,
    peer: IpAddr,
    headers: &HeaderMap,
    head: bool,
    key: OnDemand,
) -> Resp {
    if let Some(served) = state.cache.on_demand_cached(&key) {
        return respond(headers, head, &served.rendered, FEED_CACHE_CONTROL);
    }
    if let Err(wait) = state.rate.check(peer) {
        let mut resp = text(
            StatusCode::TOO_MANY_REQUESTS,
            "too many requests from your address: see Retry-After\n",
        );
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        resp.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        return resp;
    }
    let missing = match &key {
        OnDemand::LabelFeed(..) | OnDemand::LabelPage(_) => "no such author or tag\n",
        _ => "no such sitemap\n",
    };
    match state.cache.on_demand(key).await {
        Ok(Some(served)) => respond(headers, head, &served.rendered, FEED_CACHE_CONTROL),
        Ok(None) => text(StatusCode::NOT_FOUND, missing),
        Err(e) => refused(&e),
    }
}
