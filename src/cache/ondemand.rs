//! Documents there are too many of to render ahead: every author's and every tag's feed
//! and HTML page, the lists of them (OPML), the sitemaps and `robots.txt`. Each is rendered
//! when first asked for, on the render pool shared with older pages (single flight: requests
//! for the same missing document wait for one render), and kept in a cache bounded in bytes
//! (`fill`; its share of `--cache-bytes`, see `FeedCache`), identity and gzip codings counted.
//!
//! What is not there is not kept: a request for an unknown author or tag costs one index
//! seek under a pool turn and leaves nothing behind, so a client asking for millions of
//! random slugs cannot fill the cache (and the HTTP side counts such misses against its
//! request rate).
//!
//! Invalidation: the store says which labels a write touched (the old and new authors and
//! tags of each article written), and only their documents go, with the OPML list of their
//! kind. Sitemaps go with any change. A render that overlapped an invalidation is answered
//! but not kept (the epoch), as its store read may predate the write. The news sitemap
//! also goes when its oldest article leaves the 48-hour window, by the store's clock (the
//! one that decides which articles are shown).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Utc;

use super::fill::{DocKey, Kept, OlderError, RenderCache, detached};
use super::pool::RenderPool;
use crate::documents::Documents;
use crate::documents::labels::{self as label_docs, LabelDoc};
use crate::feeds::FeedDef;
use crate::http::representation::Rendered;
use crate::metrics::{DocumentCacheSize, Metrics};
use crate::model::Format;
use crate::render::html::{self, Html};
use crate::render::{opml, sitemap};
use crate::store::{Clock, FeedKey, LabelKey, LabelKind, StoreError};

/// Labels listed in `/feeds/authors.opml` or `/feeds/tags.opml` at most: those with the
/// newest articles. A newsroom has thousands of tags; a reader importing a list wants the
/// live ones, and the document stays some hundred KiB.
pub const OPML_LABELS: usize = 500;

/// One document rendered on demand.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OnDemand {
    /// An author's or a tag's feed in one format.
    LabelFeed(LabelKey, Format),
    /// An author's or a tag's HTML page.
    LabelPage(LabelKey),
    /// The OPML list of a kind's feeds.
    LabelOpml(LabelKind),
    SitemapIndex,
    /// Numbered sitemap, from 1.
    Sitemap(u64),
    NewsSitemap,
    Robots,
}

impl OnDemand {
    fn is_sitemap(&self) -> bool {
        matches!(
            self,
            OnDemand::SitemapIndex | OnDemand::Sitemap(_) | OnDemand::NewsSitemap
        )
    }

    fn kind(&self) -> &'static str {
        match self {
            OnDemand::LabelFeed(..) => "label_feed",
            OnDemand::LabelPage(_) => "label_page",
            OnDemand::LabelOpml(_) => "label_opml",
            OnDemand::SitemapIndex | OnDemand::Sitemap(_) | OnDemand::NewsSitemap => "sitemap",
            OnDemand::Robots => "robots",
        }
    }
}

/// A document rendered on demand, and until when it holds without a write (Unix seconds, by
/// the store's clock).
#[derive(Debug)]
pub struct Served {
    pub rendered: Rendered,
    expires: Option<i64>,
}

impl Kept for Served {
    fn bytes(&self) -> u64 {
        self.rendered.weight() as u64
    }

    fn fresh(&self, clock: &Clock) -> bool {
        self.expires.is_none_or(|t| clock.now().timestamp() < t)
    }
}

impl DocKey for OnDemand {
    fn owned_bytes(&self) -> u64 {
        match self {
            OnDemand::LabelFeed(label, _) | OnDemand::LabelPage(label) => label.slug.len() as u64,
            _ => 0,
        }
    }
}

pub struct OnDemandDocs {
    docs: Documents,
    cache: RenderCache<OnDemand, Served>,
    /// Moved on by every invalidation; a render keeps its document only if it did not move.
    epoch: AtomicU64,
}

impl OnDemandDocs {
    pub fn new(
        docs: Documents,
        capacity: u64,
        pool: Arc<RenderPool>,
        metrics: Arc<Metrics>,
    ) -> OnDemandDocs {
        let clock = docs.store.clock().clone();
        OnDemandDocs {
            cache: RenderCache::new(capacity, 16 << 10, pool, metrics, clock),
            docs,
            epoch: AtomicU64::new(0),
        }
    }

    /// The document if it is kept and still holds by the store's clock: no render, no
    /// store read.
    pub fn cached(&self, key: &OnDemand) -> Option<Arc<Served>> {
        self.cache.cached(key)
    }

    /// The document, from the cache or rendered now on the pool; `None` when there is no
    /// such document (an unknown label, a sitemap past the last).
    pub async fn get(self: &Arc<Self>, key: OnDemand) -> Result<Option<Arc<Served>>, OlderError> {
        if let Some(found) = self.cached(&key) {
            return Ok(Some(found));
        }
        let this = Arc::clone(self);
        detached(async move { this.fill(key).await }).await
    }

    async fn fill(&self, key: OnDemand) -> Result<Option<Arc<Served>>, OlderError> {
        // Read as the render begins and as it ends: kept only if no invalidation came between.
        let epoch = || self.epoch.load(Ordering::Acquire);
        let render = self.render(&key);
        self.cache
            .fill(&key, key.kind(), epoch, epoch, render)
            .await
    }

    /// Reads what the document needs and renders it on a blocking thread.
    async fn render(&self, key: &OnDemand) -> Result<Option<Served>, StoreError> {
        let docs = &self.docs;
        let site = Arc::clone(&docs.site);
        let job: Box<dyn FnOnce() -> Served + Send> = match key.clone() {
            OnDemand::LabelFeed(label, format) => {
                let Some(LabelDoc { feed, doc }) = docs.label(&label).await? else {
                    return Ok(None);
                };
                let docs = docs.clone();
                Box::new(move || {
                    let body = docs.render(&feed, &doc, format);
                    served(format.content_type(), body, doc.last_modified, None)
                })
            }
            OnDemand::LabelPage(label) => {
                let Some(LabelDoc { feed, doc }) = docs.label(&label).await? else {
                    return Ok(None);
                };
                let feeds = Arc::clone(&docs.feeds);
                Box::new(move || {
                    let html = Html {
                        site: &site,
                        feeds: &feeds,
                    };
                    let body = html.category(&feed, &doc.articles);
                    served(html::CONTENT_TYPE, body, doc.last_modified, None)
                })
            }
            OnDemand::LabelOpml(kind) => {
                let names = docs.store.label_names(kind, OPML_LABELS).await?;
                Box::new(move || {
                    let feeds: Vec<FeedDef> = names
                        .iter()
                        .map(|n| label_docs::label_feed(&LabelKey::new(kind, &n.slug), &n.name))
                        .collect();
                    let title = match kind {
                        LabelKind::Author => "tác giả",
                        LabelKind::Tag => "từ khóa",
                    };
                    served(
                        opml::CONTENT_TYPE,
                        opml::labels(&site, title, &feeds),
                        None,
                        None,
                    )
                })
            }
            OnDemand::SitemapIndex => {
                let count = sitemap::sitemap_count(docs.store.count_in(FeedKey::All).await?);
                let last_modified = docs.store.last_modified(FeedKey::All).await?;
                Box::new(move || {
                    let body = sitemap::index(&site, count);
                    served(sitemap::CONTENT_TYPE, body, last_modified, None)
                })
            }
            OnDemand::Sitemap(number) => {
                let count = sitemap::sitemap_count(docs.store.count_in(FeedKey::All).await?);
                if number == 0 || number > count {
                    return Ok(None);
                }
                let (offset, limit) = sitemap::sitemap_range(number);
                let entries = docs.store.sitemap(offset, limit).await?;
                let last_modified = entries.iter().map(|e| e.updated).max();
                Box::new(move || {
                    let body = sitemap::sitemap(&site, number, &entries);
                    served(sitemap::CONTENT_TYPE, body, last_modified, None)
                })
            }
            OnDemand::NewsSitemap => {
                let window = chrono::Duration::hours(sitemap::NEWS_WINDOW_HOURS);
                let since = docs.store.clock().now() - window;
                let entries = docs.store.recent(since, sitemap::NEWS_URLS).await?;
                let last_modified = entries.iter().map(|e| e.updated).max();
                // It changes with no write when its oldest article leaves the window.
                let expires = entries.last().map(|e| (e.published + window).timestamp());
                Box::new(move || {
                    let body = sitemap::news(&site, &entries);
                    served(sitemap::CONTENT_TYPE, body, last_modified, expires)
                })
            }
            OnDemand::Robots => Box::new(move || {
                let body = sitemap::robots(&site);
                served(sitemap::ROBOTS_CONTENT_TYPE, body, None, None)
            }),
        };
        tokio::task::spawn_blocking(job)
            .await
            .map(Some)
            .map_err(|e| StoreError::Task(e.to_string()))
    }

    /// Drops what a change touched: the documents of `labels` (every label's with `None`)
    /// and, when `any` change happened, the sitemaps.
    pub fn invalidate(&self, labels: Option<&BTreeSet<LabelKey>>, any: bool) {
        if !any && labels.is_some_and(BTreeSet::is_empty) {
            return;
        }
        self.epoch.fetch_add(1, Ordering::AcqRel);
        match labels {
            None => self
                .cache
                .retain(|key, _| matches!(key, OnDemand::Robots) || (!any && key.is_sitemap())),
            Some(labels) => {
                let mut kinds = BTreeSet::new();
                for label in labels {
                    for format in Format::ALL {
                        self.cache
                            .remove(&OnDemand::LabelFeed(label.clone(), format));
                    }
                    self.cache.remove(&OnDemand::LabelPage(label.clone()));
                    kinds.insert(label.kind);
                }
                for kind in kinds {
                    self.cache.remove(&OnDemand::LabelOpml(kind));
                }
                if any {
                    self.cache.retain(|key, _| !key.is_sitemap());
                }
            }
        }
    }

    pub fn set_capacity(&self, bytes: u64) {
        self.cache.set_capacity(bytes);
    }

    pub fn size(&self) -> DocumentCacheSize {
        self.cache.size()
    }
}

fn served(
    content_type: &'static str,
    body: Vec<u8>,
    last_modified: Option<chrono::DateTime<Utc>>,
    expires: Option<i64>,
) -> Served {
    Served {
        rendered: Rendered::without_brotli(content_type, body, last_modified),
        expires,
    }
}
