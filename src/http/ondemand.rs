//! The routes of the documents rendered on demand: authors' and tags' feeds and pages, their
//! OPML lists, the sitemaps and `robots.txt`. A document the cache holds is answered at once;
//! a miss (a render, or a 404 for an unknown author or tag) first counts against the
//! client's request rate, so a loop over random slugs is throttled like any uncached route.

use http::header::RETRY_AFTER;
use http::{HeaderMap, HeaderValue, StatusCode};

use std::net::IpAddr;

use super::conditional::{FEED_CACHE_CONTROL, respond};
use super::feed_headers;
use super::older::refused;
use super::response::{Resp, text};
use super::state::AppState;
use crate::cache::OnDemand;

pub async fn answer(
    state: &AppState,
    peer: IpAddr,
    headers: &HeaderMap,
    head: bool,
    key: OnDemand,
) -> Resp {
    if let Some(served) = state.cache.on_demand_cached(&key) {
        let mut resp = respond(headers, head, &served.rendered, cache_control(state, &key));
        discovery_links(&mut resp, state, &key);
        return resp;
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
    match state.cache.on_demand(key.clone()).await {
        Ok(Some(served)) => {
            let mut resp = respond(headers, head, &served.rendered, cache_control(state, &key));
            discovery_links(&mut resp, state, &key);
            resp
        }
        Ok(None) => text(StatusCode::NOT_FOUND, missing),
        Err(e) => refused(&e),
    }
}

/// An author's or a tag's feed and page may be kept as long as the site's polling hint says
/// (their RSS `ttl` is the site default, no TOML names them); the rest as any feed page.
fn cache_control(state: &AppState, key: &OnDemand) -> HeaderValue {
    match key {
        OnDemand::LabelFeed(..) | OnDemand::LabelPage(_) => {
            HeaderValue::try_from(state.site.polling.cache_control())
                .expect("digits and ASCII make a valid header value")
        }
        _ => HeaderValue::from_static(FEED_CACHE_CONTROL),
    }
}

/// WebSub discovery (`Link` rel hub and self) on an author's or a tag's feed, as on every
/// other feed document.
fn discovery_links(resp: &mut Resp, state: &AppState, key: &OnDemand) {
    if let OnDemand::LabelFeed(label, format) = key {
        let path = format!("{}s/{}", label.kind.as_str(), label.slug);
        let self_url = state.site.feed_url(&path, *format);
        feed_headers::add_links(resp, &state.site, &self_url);
    }
}
