//! What every request handler shares: the store, the feeds, the document cache, the
//! metrics, the media directory, the limits, and the publishing API's settings. The handlers (`routes`, `api`,
//! `older`, `media`) use it; it uses none of them, so the server's modules form no circle.

use std::sync::Arc;

use super::auth::Tokens;
use super::representation::Rendered;
use super::{health, limits, rate};
use crate::cache::FeedCache;
use crate::feeds::FeedSet;
use crate::media::MediaDir;
use crate::metrics::Metrics;
use crate::render::Site;
use crate::store::Store;

/// What every request handler shares. Cloning the `Arc`s is cheap.
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub feeds: Arc<FeedSet>,
    pub site: Arc<Site>,
    pub cache: Arc<FeedCache>,
    /// The server's counters and gauges, shared with the cache (which counts its renders).
    pub metrics: Arc<Metrics>,
    /// The images served at `/media/`, with `--media-dir`.
    pub media: Option<Arc<MediaDir>>,
    /// The OPML subscription list never changes while the server runs: rendered once.
    pub opml: Rendered,
    /// The publishing API's tokens and limits; off until configured.
    pub api: ApiConfig,
    /// What a client may cost the server: connections, timeouts, head sizes, request rates.
    /// Set with [`AppState::with_limits`], which also sizes `rate`.
    pub limits: limits::Limits,
    /// Each client's requests on the routes the cache does not answer.
    pub rate: rate::ClientRate,
    /// Whether writes are failing, for `/healthz`.
    pub health: health::StoreHealth,
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        feeds: Arc<FeedSet>,
        site: Arc<Site>,
        cache: Arc<FeedCache>,
        metrics: Arc<Metrics>,
        media: Option<Arc<MediaDir>>,
    ) -> AppState {
        let opml = Rendered::new(
            crate::render::opml::CONTENT_TYPE,
            crate::render::opml::render(&site, &feeds),
            None,
        );
        AppState {
            store,
            feeds,
            site,
            cache,
            metrics,
            media,
            opml,
            api: ApiConfig::default(),
            limits: limits::Limits::default(),
            rate: rate::ClientRate::default(),
            health: health::StoreHealth::default(),
        }
    }

    /// The limits to enforce, the rate limit's table and buckets made to match.
    pub fn with_limits(mut self, limits: limits::Limits) -> AppState {
        self.rate = rate::ClientRate::new(limits.rate.clone());
        self.limits = limits;
        self
    }
}

/// Request bodies larger than this are refused unless configured otherwise.
pub const DEFAULT_MAX_BODY: u64 = 2 << 20;

/// The API's own settings.
#[derive(Debug)]
pub struct ApiConfig {
    pub tokens: Tokens,
    pub max_body: u64,
    /// The cap on one article's stored text (`--max-article-bytes`).
    pub max_article_bytes: usize,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            tokens: Tokens::default(),
            max_body: DEFAULT_MAX_BODY,
            max_article_bytes: crate::import::size::DEFAULT_MAX_ARTICLE_BYTES,
        }
    }
}
