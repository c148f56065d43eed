//! Routing: which bytes answer which request, and with what status.

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_TYPE, HOST, RETRY_AFTER};
use http::{Method, Request, Response, StatusCode, Version};
use http_body_util::{Either, Full};

use std::net::IpAddr;
use std::sync::Arc;

use super::api::BoxError;
use super::conditional::{FEED_CACHE_CONTROL, respond};
use super::representation::Rendered;
use super::response::{Body, Resp, json, redirect, strip_body, text, unavailable};
use super::state::AppState;
use super::{builtin, feed_headers, media, older, ondemand};
use crate::cache::OnDemand;
use crate::documents::labels::{MAX_SLUG_BYTES, kind_of_segment};
use crate::feeds::Lookup;
use crate::metrics::RouteLabel;
use crate::model::Format;

/// The response to `req`, with its security headers, and the route it is counted under in
/// `/metrics` (a fixed set, so the label cannot grow with what clients send). The path is
/// matched once, for both.
pub async fn handle<B>(
    state: &AppState,
    peer: IpAddr,
    req: Request<B>,
) -> (RouteLabel, Response<Body>)
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let (label, mut resp) = dispatch(state, peer, req).await;
    super::headers::secure(&mut resp);
    (label, resp)
}

// The routes that await more than the cache (store reads, renders, request bodies, files)
// are `Box::pin`ned: a request's future is built and moved into place by hyper for every
// request, and with them inline it was 4,400 bytes to copy even for a cached feed's 304;
// boxed it is 1,200, and only those slower routes pay an allocation.
async fn dispatch<B>(
    state: &AppState,
    peer: IpAddr,
    req: Request<B>,
) -> (RouteLabel, Response<Body>)
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let path = req.uri().path();
    let api = path.starts_with("/api/");
    let route = if api { None } else { route(path) };
    let label = match &route {
        _ if api => RouteLabel::Api,
        Some(route) => route.label(),
        None => RouteLabel::Unknown,
    };
    if let Err(why) = check_host(&req) {
        return (label, text(StatusCode::BAD_REQUEST, why).map(Either::Left));
    }
    let target_len = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if target_len > state.limits.max_target_bytes {
        return (
            label,
            text(StatusCode::URI_TOO_LONG, "request target too long\n").map(Either::Left),
        );
    }
    if api {
        return (
            label,
            Box::pin(super::api::handle(state, req))
                .await
                .map(Either::Left),
        );
    }
    let resp = match route {
        Some(route) => match limited(state, peer, &req, &route) {
            Some(refused) => refused,
            // Streamed from disk, not built in memory like every other answer.
            None if matches!(route, Route::Media) && is_read(&req) => {
                let head = req.method() == Method::HEAD;
                return (
                    label,
                    Box::pin(media::serve(state, req.headers(), head, req.uri().path())).await,
                );
            }
            None => answer(state, peer, &req, route).await,
        },
        None => text(StatusCode::NOT_FOUND, "not found\n"),
    };
    (label, resp.map(Either::Left))
}

fn is_read<B>(req: &Request<B>) -> bool {
    req.method() == Method::GET || req.method() == Method::HEAD
}

async fn answer<B>(state: &AppState, peer: IpAddr, req: &Request<B>, route: Route<'_>) -> Resp {
    let query = req.uri().query().unwrap_or("");
    let head = req.method() == Method::HEAD;
    if !is_read(req) {
        let mut resp = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        resp.headers_mut()
            .insert(ALLOW, http::HeaderValue::from_static("GET, HEAD"));
        return resp;
    }
    let headers = req.headers();
    let resp = match route {
        Route::Index => cached(headers, head, state.cache.index(), page_cache_control()),
        Route::Health => Box::pin(health(state)).await,
        Route::Opml => respond(headers, head, &state.opml, page_cache_control()),
        Route::Category(name) => match state.feeds.lookup(name) {
            Some(Lookup::Feed(feed)) => cached(
                headers,
                head,
                state.cache.html(&feed.slug),
                page_cache_control(),
            ),
            Some(Lookup::Alias(feed)) => redirect(&format!("/categories/{}", feed.slug)),
            None => text(StatusCode::NOT_FOUND, "no such category\n"),
        },
        Route::Metrics => metrics(state, headers),
        Route::Feed(name, format) => match state.feeds.lookup(name) {
            Some(Lookup::Feed(feed)) => match page_number(query) {
                Some(n) => {
                    let mut resp = match n {
                        1 => cached(
                            headers,
                            head,
                            state.cache.get(&feed.slug, format),
                            feed_headers::cache_control(&state.site, feed),
                        ),
                        n => Box::pin(older::page_n(state, headers, head, feed, format, n)).await,
                    };
                    let self_url = state.site.feed_page_url(&feed.slug, format, n);
                    feed_headers::add_links(&mut resp, &state.site, &self_url);
                    resp
                }
                None => text(
                    StatusCode::BAD_REQUEST,
                    "page must be a whole number from 1\n",
                ),
            },
            Some(Lookup::Alias(feed)) => {
                let moved = format!("/feeds/{}.{}", feed.slug, format.extension());
                match query {
                    "" => redirect(&moved),
                    q => redirect(&format!("{moved}?{q}")),
                }
            }
            None => text(StatusCode::NOT_FOUND, "no such feed\n"),
        },
        Route::Archive(name, number, format) => match state.feeds.lookup(name) {
            Some(Lookup::Feed(feed)) => {
                let mut resp =
                    Box::pin(older::archive(state, headers, head, feed, format, number)).await;
                let self_url = state.site.archive_url(&feed.slug, format, number);
                feed_headers::add_links(&mut resp, &state.site, &self_url);
                resp
            }
            Some(Lookup::Alias(feed)) => redirect(&format!(
                "/feeds/{}/archive/{number}.{}",
                feed.slug,
                format.extension()
            )),
            None => text(StatusCode::NOT_FOUND, "no such feed\n"),
        },
        Route::OnDemand(key) => Box::pin(ondemand::answer(state, peer, headers, head, key)).await,
        Route::Media => unreachable!("GET and HEAD of /media are answered by `handle`"),
        Route::Builtin(image) => builtin::serve(headers, head, image),
        Route::Article(slug) => match Box::pin(state.store.by_slug(slug)).await {
            Ok(Some(article)) => {
                let html = crate::render::html::Html {
                    site: &state.site,
                    feeds: &state.feeds,
                };
                // Rendered per request: brotli would cost more than it saves here.
                let rendered = Rendered::without_brotli(
                    crate::render::html::CONTENT_TYPE,
                    html.article(&article),
                    Some(article.updated),
                );
                respond(headers, head, &rendered, page_cache_control())
            }
            Ok(None) => text(StatusCode::NOT_FOUND, "no such article\n"),
            Err(e) => unavailable(&e),
        },
    };
    if head { strip_body(resp) } else { resp }
}

/// A 429 when `route` is one the cache does not answer and `peer` has used up its rate.
fn limited<B>(state: &AppState, peer: IpAddr, req: &Request<B>, route: &Route<'_>) -> Option<Resp> {
    let uncached = match route {
        Route::Feed(..) => page_number(req.uri().query().unwrap_or("")).is_some_and(|n| n > 1),
        Route::Archive(..) | Route::Media | Route::Article(_) => true,
        _ => false,
    };
    if !uncached || !matches!(*req.method(), Method::GET | Method::HEAD) {
        return None;
    }
    let wait = state.rate.check(peer).err()?;
    let mut resp = text(
        StatusCode::TOO_MANY_REQUESTS,
        "too many requests from your address: see Retry-After\n",
    );
    // Whole seconds, rounded up: a client that waits that long finds a token.
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    resp.headers_mut()
        .insert(RETRY_AFTER, http::HeaderValue::from(seconds.max(1)));
    Some(resp)
}

enum Route<'a> {
    Index,
    Health,
    Opml,
    Category(&'a str),
    Metrics,
    Feed(&'a str, Format),
    /// A feed's archive page, numbered from 1.
    Archive(&'a str, u64, Format),
    /// A file of the media directory (the path is checked there).
    Media,
    Article(&'a str),
    /// Rendered on demand (`ondemand`): an author's or a tag's feed or page, their OPML
    /// lists, the sitemaps, `robots.txt`.
    OnDemand(OnDemand),
    /// vnfeed's own icon or logo, from the binary.
    Builtin(&'static crate::identity::Builtin),
}

/// Maps a path to a route. Nothing here touches the file system: a path that is not one of
/// these shapes (`..`, `%00`, anything else) is simply not found.
fn route(path: &str) -> Option<Route<'_>> {
    match path {
        "/" => return Some(Route::Index),
        "/healthz" => return Some(Route::Health),
        "/feeds.opml" => return Some(Route::Opml),
        "/metrics" => return Some(Route::Metrics),
        _ => {}
    }
    if let Some(image) = crate::identity::builtin(path) {
        return Some(Route::Builtin(image));
    }
    if let Some(key) = on_demand(path) {
        return Some(Route::OnDemand(key));
    }
    if let Some(file) = path.strip_prefix("/feeds/") {
        let (stem, ext) = file.rsplit_once('.')?;
        let format = Format::from_extension(ext)?;
        // A feed's name has no `/`: splitting on a byte is cheaper than on "/archive/".
        if let Some((name, rest)) = stem.split_once('/') {
            let number = parse_number(rest.strip_prefix("archive/")?)?;
            return is_name(name).then_some(Route::Archive(name, number, format));
        }
        return is_name(stem).then_some(Route::Feed(stem, format));
    }
    if let Some(slug) = path.strip_prefix("/categories/") {
        return is_name(slug).then_some(Route::Category(slug));
    }
    if path.starts_with(crate::media::URL_PREFIX) {
        return Some(Route::Media);
    }
    if let Some(slug) = path.strip_prefix("/articles/") {
        return is_name(slug).then_some(Route::Article(slug));
    }
    None
}

/// The paths of the documents rendered on demand: `/feeds/{authors,tags}/{slug}.{format}`,
/// `/feeds/{authors,tags}.opml`, `/{authors,tags}/{slug}`, `/sitemap.xml`,
/// `/sitemaps/{n}.xml`, `/news-sitemap.xml`, `/robots.txt`.
fn on_demand(path: &str) -> Option<OnDemand> {
    use crate::store::LabelKey;
    match path {
        "/sitemap.xml" => return Some(OnDemand::SitemapIndex),
        "/news-sitemap.xml" => return Some(OnDemand::NewsSitemap),
        "/robots.txt" => return Some(OnDemand::Robots),
        _ => {}
    }
    let label = |kind, slug: &str| {
        (is_name(slug) && slug.len() <= MAX_SLUG_BYTES).then(|| LabelKey::new(kind, slug))
    };
    if let Some(number) = path.strip_prefix("/sitemaps/") {
        return Some(OnDemand::Sitemap(parse_number(
            number.strip_suffix(".xml")?,
        )?));
    }
    if let Some(file) = path.strip_prefix("/feeds/") {
        let (stem, ext) = file.rsplit_once('.')?;
        if ext == "opml" {
            return kind_of_segment(stem).map(OnDemand::LabelOpml);
        }
        let (segment, slug) = stem.split_once('/')?;
        let kind = kind_of_segment(segment)?;
        return Some(OnDemand::LabelFeed(
            label(kind, slug)?,
            Format::from_extension(ext)?,
        ));
    }
    let (segment, slug) = path.strip_prefix('/')?.split_once('/')?;
    Some(OnDemand::LabelPage(label(kind_of_segment(segment)?, slug)?))
}

/// RFC 9112 §3.2: a request with more than one `Host`, or a `Host` that is not an
/// authority, is refused with 400, and so is an HTTP/1.1 request with none (HTTP/1.0 had
/// no `Host`). An empty `Host` is what a client sends for a target with no authority.
fn check_host<B>(req: &Request<B>) -> Result<(), &'static str> {
    let mut hosts = req.headers().get_all(HOST).iter();
    match (hosts.next(), hosts.next()) {
        (Some(_), Some(_)) => Err("more than one Host header\n"),
        (None, _) if req.version() >= Version::HTTP_11 => {
            Err("an HTTP/1.1 request needs a Host header\n")
        }
        (Some(host), None) if !host.is_empty() => host
            .to_str()
            .ok()
            .and_then(|h| h.parse::<http::uri::Authority>().ok())
            .filter(|a| !a.as_str().contains('@'))
            .map(|_| ())
            .ok_or("the Host header is not a host name and port\n"),
        _ => Ok(()),
    }
}

/// A page number as written by us: digits, no sign, no leading zero, from 1.
fn parse_number(s: &str) -> Option<u64> {
    let digits = !s.is_empty() && !s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| s.parse().ok()).flatten()
}

/// The `page` query parameter: 1 when absent; `None` when it is not a page number.
fn page_number(query: &str) -> Option<u64> {
    match url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "page") {
        None => Some(1),
        Some((_, v)) => parse_number(&v),
    }
}

/// `Cache-Control` of the HTML pages and the OPML list.
fn page_cache_control() -> http::HeaderValue {
    http::HeaderValue::from_static(FEED_CACHE_CONTROL)
}

/// A response from the cache, or 503 before the first render.
fn cached(
    headers: &http::HeaderMap,
    head: bool,
    rendered: Option<Arc<Rendered>>,
    cache_control: http::HeaderValue,
) -> Resp {
    match rendered {
        Some(rendered) => respond(headers, head, &rendered, cache_control),
        None => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "feeds are not rendered yet\n",
        ),
    }
}

impl Route<'_> {
    fn label(&self) -> RouteLabel {
        match self {
            Route::Index => RouteLabel::Index,
            Route::Health => RouteLabel::Health,
            Route::Metrics => RouteLabel::Metrics,
            Route::Opml => RouteLabel::Opml,
            Route::Category(_) => RouteLabel::Category,
            Route::Feed(..) => RouteLabel::Feed,
            Route::Archive(..) => RouteLabel::Archive,
            // Images, as the media directory's are.
            Route::Media | Route::Builtin(_) => RouteLabel::Media,
            Route::Article(_) => RouteLabel::Article,
            Route::OnDemand(key) => match key {
                OnDemand::LabelFeed(..) => RouteLabel::Feed,
                OnDemand::LabelPage(_) => RouteLabel::Category,
                OnDemand::LabelOpml(_) => RouteLabel::Opml,
                OnDemand::SitemapIndex
                | OnDemand::Sitemap(_)
                | OnDemand::NewsSitemap
                | OnDemand::Robots => RouteLabel::Index,
            },
        }
    }
}

/// Prometheus asks for OpenMetrics; anyone else gets the classic text type. The body is
/// the same (the OpenMetrics text format, which the classic parser reads too).
fn metrics(state: &AppState, headers: &http::HeaderMap) -> Resp {
    let openmetrics = headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/openmetrics-text"));
    let content_type = if openmetrics {
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    } else {
        "text/plain; version=0.0.4; charset=utf-8"
    };
    state.metrics.document_cache(state.cache.size());
    let body = state
        .metrics
        .encode(state.store.as_ref(), state.cache.revision());
    Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, content_type)
        .header(http::header::CACHE_CONTROL, "no-store")
        .body(Full::new(Bytes::from(body)))
        .expect("static headers are valid")
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

async fn health(state: &AppState) -> Resp {
    let revision = state.cache.revision();
    let (status, body) = super::health::report(state.store.as_ref(), &state.health, revision).await;
    json(status, body.to_string())
}
