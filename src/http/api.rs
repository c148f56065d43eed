//! The publishing API, `/api/articles[/{id}]`: JSON in (the same fields as the JSON import),
//! JSON out, bearer tokens, and `{"error", "field"}` with the status that fits. A write is
//! answered only after the feeds were rendered again, so the next request sees it.

use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use http::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Body;
use serde_json::{Map, Value, json};

use super::auth::{Tokens, Verdict};
use super::state::AppState;
use crate::import::json::{self, JsonError, JsonErrorKind};
use crate::model::{Article, Block};
use crate::store::{FeedKey, Outcome, StoreError};
use crate::vietnamese::dateline::rfc3339;

use super::response::{Resp, json, strip_body};
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How many articles a list returns unless `limit` says otherwise, and at most.
const DEFAULT_LIST: usize = 50;
const MAX_LIST: usize = 1000;
/// The deepest page a list reaches: a page costs a walk of the index up to it.
const MAX_LIST_PAGE: u64 = 1000;

/// Which articles a list shows: `published` (in the feeds now, newest first) or `scheduled`
/// (dated in the future, soonest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Published,
    Scheduled,
}

impl Status {
    fn of(article: &Article, now: chrono::DateTime<Utc>) -> Status {
        if crate::store::archive::shown(article.published.timestamp(), now.timestamp()) {
            Status::Published
        } else {
            Status::Scheduled
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Status::Published => "published",
            Status::Scheduled => "scheduled",
        }
    }
}

/// An answer other than success: always JSON `{"error": ..., "field": ...}`.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    message: String,
    field: Option<String>,
    headers: Vec<(http::HeaderName, HeaderValue)>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            field: None,
            headers: Vec::new(),
        }
    }

    fn field(status: StatusCode, field: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            field: Some(field.to_string()),
            ..ApiError::new(status, message)
        }
    }

    fn with_header(mut self, name: http::HeaderName, value: &'static str) -> ApiError {
        self.headers.push((name, HeaderValue::from_static(value)));
        self
    }

    fn store(e: StoreError) -> ApiError {
        match e {
            StoreError::Conflict { field, message } => {
                ApiError::field(StatusCode::CONFLICT, field, message)
            }
            e => {
                tracing::warn!(error = %e, "API: store failed");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("the store is unavailable: {e}"),
                )
                .with_header(RETRY_AFTER, "5")
            }
        }
    }

    fn response(self) -> Resp {
        let body = json!({"error": self.message, "field": self.field});
        let mut resp = json(self.status, body.to_string());
        for (name, value) in self.headers {
            resp.headers_mut().insert(name, value);
        }
        resp
    }
}

impl From<JsonError> for ApiError {
    fn from(e: JsonError) -> ApiError {
        let status = match e.kind {
            JsonErrorKind::Syntax => StatusCode::BAD_REQUEST,
            JsonErrorKind::Content => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError {
            field: e.field,
            ..ApiError::new(status, e.message)
        }
    }
}

enum Target<'a> {
    Collection,
    One(&'a str),
}

/// Answers any request under `/api/`.
pub async fn handle<B>(state: &AppState, req: Request<B>) -> Resp
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    match serve(state, req).await {
        Ok(resp) => resp,
        Err(e) => e.response(),
    }
}

async fn serve<B>(state: &AppState, req: Request<B>) -> Result<Resp, ApiError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let path = req.uri().path().to_string();
    let target = match path.strip_prefix("/api/articles") {
        Some("") => Target::Collection,
        Some(rest) => match rest.strip_prefix('/').map(json::valid_id) {
            Some(Ok(_)) => Target::One(&path["/api/articles/".len()..]),
            _ => return Err(ApiError::new(StatusCode::NOT_FOUND, "not found")),
        },
        None => return Err(ApiError::new(StatusCode::NOT_FOUND, "not found")),
    };
    authorize(&state.api.tokens, req.headers()).await?;
    let method = req.method().clone();
    let head = method == Method::HEAD;
    let resp = match (method, target) {
        (Method::GET | Method::HEAD, Target::Collection) => list(state, req.uri().query()).await,
        (Method::POST, Target::Collection) => write(state, req, None).await,
        (Method::GET | Method::HEAD, Target::One(id)) => match state.store.by_id(id).await {
            Ok(Some(article)) => Ok(json(
                StatusCode::OK,
                article_json(state, &article).to_string(),
            )),
            Ok(None) => Err(no_such(id)),
            Err(e) => Err(ApiError::store(e)),
        },
        (Method::PUT, Target::One(id)) => {
            let id = id.to_string();
            write(state, req, Some(&id)).await
        }
        (Method::DELETE, Target::One(id)) => delete(state, id).await,
        (_, target) => {
            let allow = match target {
                Target::Collection => "GET, HEAD, POST",
                Target::One(_) => "GET, HEAD, PUT, DELETE",
            };
            Err(
                ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
                    .with_header(ALLOW, allow),
            )
        }
    }?;
    Ok(if head { strip_body(resp) } else { resp })
}

async fn authorize(tokens: &Tokens, headers: &HeaderMap) -> Result<(), ApiError> {
    match tokens.check(headers).await {
        Verdict::Granted => Ok(()),
        Verdict::Off => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "the publishing API is off: no token is configured (set VNFEED_API_TOKEN or --token-file)",
        )),
        Verdict::Missing => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "send a bearer token: `Authorization: Bearer <token>`",
        )
        .with_header(WWW_AUTHENTICATE, "Bearer realm=\"vnfeed\"")),
        // Never 401: a client takes that as a revoked token and may stop publishing.
        Verdict::Unavailable => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the token file cannot be read just now; try again",
        )
        .with_header(RETRY_AFTER, "5")),
        Verdict::Invalid => Err(
            ApiError::new(StatusCode::UNAUTHORIZED, "the token is not valid").with_header(
                WWW_AUTHENTICATE,
                "Bearer realm=\"vnfeed\", error=\"invalid_token\"",
            ),
        ),
    }
}

fn no_such(id: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, format!("no article with id `{id}`"))
}

async fn list(state: &AppState, query: Option<&str>) -> Result<Resp, ApiError> {
    let mut category = None;
    let mut limit = DEFAULT_LIST;
    let mut status = Status::Published;
    let mut page = 1;
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "category" if value != "all" => {
                let feed = state.feeds.category(&value).ok_or_else(|| {
                    ApiError::field(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "category",
                        format!("unknown category `{value}`"),
                    )
                })?;
                category = Some(feed.slug.clone());
            }
            "limit" => {
                limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_LIST).contains(n))
                    .ok_or_else(|| {
                        ApiError::field(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "limit",
                            format!("`{value}` is not a whole number from 1 to {MAX_LIST}"),
                        )
                    })?;
            }
            "status" => {
                status = match value.as_ref() {
                    "published" => Status::Published,
                    "scheduled" => Status::Scheduled,
                    _ => {
                        return Err(ApiError::field(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "status",
                            format!("`{value}` is not `published` or `scheduled`"),
                        ));
                    }
                };
            }
            "page" => {
                page = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_LIST_PAGE).contains(n))
                    .ok_or_else(|| {
                        ApiError::field(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "page",
                            format!("`{value}` is not a whole number from 1 to {MAX_LIST_PAGE}"),
                        )
                    })?;
            }
            _ => {}
        }
    }
    let offset = (page - 1) * limit as u64;
    let key = category.as_deref().map_or(FeedKey::All, FeedKey::Category);
    let articles = match status {
        Status::Published => state.store.page(key, offset, limit).await,
        Status::Scheduled => state.store.scheduled(key, offset, limit).await,
    }
    .map_err(ApiError::store)?;
    let items: Vec<Value> = articles.iter().map(|a| article_json(state, a)).collect();
    let mut body = json!({ "articles": items });
    if articles.len() == limit && page < MAX_LIST_PAGE {
        // Only a full page may have a next one; the client follows `next` until it is absent.
        let mut next = url::form_urlencoded::Serializer::new(String::new());
        if let Some(category) = category.as_deref() {
            next.append_pair("category", category);
        }
        next.append_pair("status", status.as_str())
            .append_pair("limit", &limit.to_string())
            .append_pair("page", &(page + 1).to_string());
        body["next"] = Value::String(format!("/api/articles?{}", next.finish()));
    }
    Ok(json(StatusCode::OK, body.to_string()))
}

/// POST (`path_id` None) and PUT: create or update one article.
async fn write<B>(
    state: &AppState,
    req: Request<B>,
    path_id: Option<&str>,
) -> Result<Resp, ApiError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let (parts, body) = req.into_parts();
    let mut object = read_object(&parts.headers, body, state.api.max_body).await?;
    if let Some(id) = path_id {
        match object.get("id") {
            None | Some(Value::Null) => {
                object.insert("id".into(), Value::String(id.to_string()));
            }
            Some(Value::String(given)) if given == id => {}
            Some(_) => {
                return Err(ApiError::field(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "id",
                    format!("differs from the id in the URL, `{id}`"),
                ));
            }
        }
    }
    let draft = json::to_draft(&Value::Object(object), &state.feeds)?;
    crate::import::size::check_article(&draft, state.api.max_article_bytes)
        .map_err(|e| ApiError::field(StatusCode::PAYLOAD_TOO_LARGE, e.field, e.to_string()))?;
    let upserted = state
        .store
        .upsert(vec![draft], state.store.clock().now())
        .await
        .map_err(|e| write_failed(state, e))?
        .pop()
        .ok_or_else(|| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "nothing was stored"))?;
    state.health.write_ok();
    refresh_feeds(state).await?;
    let article = upserted.article;
    let status = match upserted.outcome {
        Outcome::Created => StatusCode::CREATED,
        Outcome::Updated | Outcome::Unchanged => StatusCode::OK,
    };
    let mut resp = json(status, article_json(state, &article).to_string());
    if status == StatusCode::CREATED
        && let Ok(location) = HeaderValue::from_str(&format!("/api/articles/{}", article.id))
    {
        resp.headers_mut().insert(LOCATION, location);
    }
    Ok(resp)
}

async fn delete(state: &AppState, id: &str) -> Result<Resp, ApiError> {
    // Read first only to say whether a tombstone is kept (the store decides by the same rule).
    let published = state
        .store
        .by_id(id)
        .await
        .map_err(ApiError::store)?
        .map(|a| a.published);
    let now = state.store.clock().now();
    let tombstone = state
        .store
        .delete(id, now)
        .await
        .map_err(|e| write_failed(state, e))?
        .ok_or_else(|| no_such(id))?;
    let kept = published
        .is_none_or(|p| crate::store::archive::leaves_tombstone(p.timestamp(), now.timestamp()));
    state.health.write_ok();
    refresh_feeds(state).await?;
    let body = json!({
        "id": tombstone.id,
        "guid": crate::model::article_guid(&tombstone.id),
        "deleted": rfc3339(tombstone.deleted),
        "categories": tombstone.categories,
        "tombstone": kept,
    });
    Ok(json(StatusCode::OK, body.to_string()))
}

/// A write the store refused: a conflict is the client's, anything else the store's, and
/// `/healthz` hears of it.
fn write_failed(state: &AppState, e: StoreError) -> ApiError {
    if !matches!(e, StoreError::Conflict { .. }) {
        state.health.write_failed(&e);
    }
    ApiError::store(e)
}

/// Renders the feeds again before a write is acknowledged. The write is already durable;
/// if rendering fails the client is told, and may safely retry (a write is idempotent).
async fn refresh_feeds(state: &AppState) -> Result<(), ApiError> {
    state.cache.refresh().await.map(|_| ()).map_err(|e| {
        tracing::warn!(error = %e, "API: stored, but the feeds could not be rendered");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("stored, but the feeds could not be rendered again ({e}); retrying is safe"),
        )
        .with_header(RETRY_AFTER, "5")
    })
}

/// Checks the type and size, then reads and decodes the body as one JSON object.
async fn read_object<B>(
    headers: &HeaderMap,
    body: B,
    max: u64,
) -> Result<Map<String, Value>, ApiError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    if !is_json(headers) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the article as `Content-Type: application/json` (UTF-8)",
        ));
    }
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {max} bytes"),
        )
    };
    // Refuse a declared oversize body before reading any of it.
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(too_large());
    }
    let limit = usize::try_from(max).unwrap_or(usize::MAX);
    let bytes = match tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, limit).collect()).await
    {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<LengthLimitError>() => return Err(too_large()),
        Ok(Err(e)) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("cannot read the body: {e}"),
            ));
        }
        Err(_) => {
            return Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "the body did not arrive in time",
            ));
        }
    };
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("the body is not UTF-8 (byte {})", e.valid_up_to()),
        )
    })?;
    Ok(json::parse_object(text)?)
}

/// A slow sender may not hold a writer's slot for ever: the whole body must arrive in this.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// `application/json`, with no charset or `charset=utf-8`.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut parts = value.split(';').map(str::trim);
    let essence = parts.next().unwrap_or("");
    essence.eq_ignore_ascii_case("application/json")
        && parts.all(|p| match p.split_once('=') {
            Some((k, v)) if k.trim().eq_ignore_ascii_case("charset") => {
                v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
            }
            _ => true,
        })
}

/// An article as the API shows it: what the feeds show, with timestamps in Vietnam time.
/// `guid`, `slug` and `link` are the store's; the other fields are those a client sends.
fn article_json(state: &AppState, article: &Article) -> Value {
    let now = state.store.clock().now();
    let mut obj = json!({
        "id": article.id,
        "status": Status::of(article, now).as_str(),
        "guid": article.guid(),
        "slug": article.slug,
        "link": state.site.article_url(article),
        "title": article.title,
        "published": rfc3339(article.published),
        "updated": rfc3339(article.updated),
        "author": article.author,
        "summary": article.summary,
        "categories": article.categories,
        "tags": article.tags,
        "url": article.url,
        "image": article.image,
    });
    let plain: Option<Vec<&str>> = article
        .body
        .iter()
        .map(|b| match b {
            Block::Paragraph { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    let (key, value) = match (plain, article.body.as_slice()) {
        (Some(paragraphs), _) => ("body", paragraphs.join("\n\n")),
        // What was sent as `content_html` comes back as stored, sanitized.
        (None, [Block::Html { html }]) => ("content_html", html.clone()),
        (None, blocks) => ("content_html", crate::render::body::html(blocks)),
    };
    obj[key] = Value::String(value);
    obj
}
