//! Routing: which bytes answer which request, and with what status.

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_TYPE, LOCATION};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;

use super::AppState;
use super::api::BoxError;
use super::conditional::{FEED_MAX_AGE, respond};
use crate::cache::Rendered;
use crate::feeds::Lookup;
use crate::model::Format;

type Resp = Response<Full<Bytes>>;

pub async fn handle<B>(state: &AppState, req: Request<B>) -> Resp
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    if req.uri().path().starts_with("/api/") {
        return super::api::handle(state, req).await;
    }
    let path = req.uri().path().to_string();
    let head = req.method() == Method::HEAD;
    let route = match route(&path) {
        Some(route) => route,
        None => return text(StatusCode::NOT_FOUND, "not found\n"),
    };
    if req.method() != Method::GET && !head {
        let mut resp = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        resp.headers_mut()
            .insert(ALLOW, http::HeaderValue::from_static("GET, HEAD"));
        return resp;
    }
    let headers = req.headers();
    let feed_cache = format!("public, max-age={FEED_MAX_AGE}");
    let resp = match route {
        Route::Index => respond(headers, head, &state.index, &feed_cache),
        Route::Health => health(state).await,
        Route::Feed(name, format) => match state.feeds.lookup(name) {
            Some(Lookup::Feed(feed)) => match state.cache.get(&feed.slug, format) {
                Some(rendered) => respond(headers, head, &rendered, &feed_cache),
                None => text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "feeds are not rendered yet\n",
                ),
            },
            Some(Lookup::Alias(feed)) => {
                redirect(&format!("/feeds/{}.{}", feed.slug, format.extension()))
            }
            None => text(StatusCode::NOT_FOUND, "no such feed\n"),
        },
        Route::Article(slug) => match state.store.by_slug(slug).await {
            Ok(Some(article)) => {
                let page = crate::render::page::article(&state.site, &state.feeds, &article);
                // Rendered per request: brotli would cost more than it saves here.
                let rendered = Rendered::without_brotli(
                    "text/html; charset=utf-8",
                    page,
                    Some(article.updated),
                );
                respond(headers, head, &rendered, &feed_cache)
            }
            Ok(None) => text(StatusCode::NOT_FOUND, "no such article\n"),
            Err(e) => {
                tracing::warn!(error = %e, "article lookup failed");
                text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the store is unavailable\n",
                )
            }
        },
    };
    if head { strip_body(resp) } else { resp }
}

enum Route<'a> {
    Index,
    Health,
    Feed(&'a str, Format),
    Article(&'a str),
}

/// Maps a path to a route. Nothing here touches the file system: a path that is not one of
/// these shapes (`..`, `%00`, anything else) is simply not found.
fn route(path: &str) -> Option<Route<'_>> {
    match path {
        "/" => return Some(Route::Index),
        "/healthz" => return Some(Route::Health),
        _ => {}
    }
    if let Some(file) = path.strip_prefix("/feeds/") {
        let (name, ext) = file.rsplit_once('.')?;
        let format = Format::from_extension(ext)?;
        return is_name(name).then_some(Route::Feed(name, format));
    }
    if let Some(slug) = path.strip_prefix("/articles/") {
        return is_name(slug).then_some(Route::Article(slug));
    }
    None
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `ok` when the store answers. When it does not, `degraded`: the replica still serves its
/// last good feeds, so it answers 200 and stays in the load balancer's rotation (every
/// replica of a shared database degrades together; taking them all out would turn a
/// database outage into a site outage). 503 only while it has nothing to serve yet.
async fn health(state: &AppState) -> Resp {
    let revision = state.cache.revision();
    match state.store.count().await {
        Ok(count) => {
            let body = serde_json::json!({
                "status": "ok",
                "articles": count,
                "revision": revision,
            });
            json(StatusCode::OK, body.to_string())
        }
        Err(e) => {
            let serving = revision >= 0;
            let body = serde_json::json!({
                "status": "degraded",
                "store": "unavailable",
                "error": e.to_string(),
                "serving": if serving { "the last good feeds" } else { "nothing yet" },
                "revision": revision,
            });
            let status = if serving {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            json(status, body.to_string())
        }
    }
}

fn text(status: StatusCode, body: &'static str) -> Resp {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .expect("static headers are valid")
}

fn json(status: StatusCode, body: String) -> Resp {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json")
        .header(http::header::CACHE_CONTROL, "no-store")
        .body(Full::new(Bytes::from(body)))
        .expect("static headers are valid")
}

fn redirect(location: &str) -> Resp {
    Response::builder()
        .status(StatusCode::MOVED_PERMANENTLY)
        .header(LOCATION, location)
        .header(CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from(format!("moved to {location}\n"))))
        .expect("a slug is a valid header value")
}

/// HEAD gets every header GET would, Content-Length included, and no body.
pub(super) fn strip_body(resp: Resp) -> Resp {
    let (parts, _) = resp.into_parts();
    Response::from_parts(parts, Full::new(Bytes::new()))
}
