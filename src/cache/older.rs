//! Older pages (`?page=N`, N > 1) and archive pages of every feed: rendered on the render
//! pool when first asked for, then kept as identity and gzip bytes (no brotli: see
//! `Rendered::without_brotli`) with their validators until a change
//! touches their feed, in a cache bounded in bytes (`fill`). Many requests for the same
//! missing document share one render (single flight); a request that finds the pool full is
//! refused rather than queued.
//!
//! Invalidation: the store says which categories a write touched, not which of their
//! entries. A write moves every page of a paged feed it touches (a new article shifts them
//! all), and may change any of its archive pages (a takedown empties an entry; the newest
//! page grows), so each feed has a generation, part of every key, moved on when a write
//! touches the feed: that feed's documents are dropped at once, the other feeds' kept.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::fill::{DocKey, Kept, OlderError, RenderCache, detached};
use super::pool::RenderPool;
use crate::documents::Documents;
use crate::feeds::FeedDef;
use crate::http::representation::Rendered;
use crate::metrics::{DocumentCacheSize, Metrics};
use crate::model::Format;
use crate::store::StoreError;

/// Which document of a feed, besides its subscription document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocId {
    /// Page `n` of the paged feed, n > 1 (page 1 is kept by the feed cache).
    Page(u64),
    /// Archive page `n`, from 1.
    Archive(u64),
}

impl DocId {
    fn kind(self) -> &'static str {
        match self {
            DocId::Page(_) => "page",
            DocId::Archive(_) => "archive",
        }
    }
}

/// What a request for an older page or archive page finds.
#[derive(Debug)]
// Always behind an `Arc` (one allocation per entry): the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
pub enum Found {
    /// The document; `full` for an archive page whose range of the history is complete.
    Document { rendered: Rendered, full: bool },
    /// No such page (past the last one): kept too, so asking again costs no store read.
    Missing,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    slug: String,
    doc: DocId,
    format: Format,
    /// The feed's generation when the render started (see the module header).
    generation: u64,
}

impl DocKey for Key {
    fn owned_bytes(&self) -> u64 {
        self.slug.len() as u64
    }
}

/// Held until a write touches its feed.
impl Kept for Found {
    fn bytes(&self) -> u64 {
        match self {
            Found::Document { rendered, .. } => rendered.weight() as u64,
            Found::Missing => 0,
        }
    }
}

pub struct OlderDocs {
    docs: Documents,
    cache: RenderCache<Key, Found>,
    /// Each feed's generation, by slug; the feed set is fixed while the server runs.
    generations: HashMap<String, AtomicU64>,
}

impl OlderDocs {
    pub fn new(
        docs: Documents,
        capacity: u64,
        pool: Arc<RenderPool>,
        metrics: Arc<Metrics>,
    ) -> OlderDocs {
        // A 50-item feed document in three codings is some tens of KiB.
        let typical = 32 << 10;
        let clock = docs.store.clock().clone();
        let cache = RenderCache::new(capacity, typical, pool, metrics, clock);
        let generations = docs
            .feeds
            .feeds()
            .map(|feed| (feed.slug.clone(), AtomicU64::new(0)))
            .collect();
        OlderDocs {
            docs,
            cache,
            generations,
        }
    }

    fn generation(&self, slug: &str) -> u64 {
        self.generations
            .get(slug)
            .map_or(0, |g| g.load(Ordering::Acquire))
    }

    /// The document, from the cache or rendered now on the pool.
    pub async fn get(
        self: &Arc<Self>,
        feed: &FeedDef,
        doc: DocId,
        format: Format,
    ) -> Result<Arc<Found>, OlderError> {
        let key = Key {
            slug: feed.slug.clone(),
            doc,
            format,
            generation: self.generation(&feed.slug),
        };
        if let Some(found) = self.cache.cached(&key) {
            return Ok(found);
        }
        let this = Arc::clone(self);
        let feed = feed.clone();
        detached(async move { this.fill(key, feed).await }).await
    }

    async fn fill(&self, key: Key, feed: FeedDef) -> Result<Arc<Found>, OlderError> {
        // Kept only while the feed's generation is still the key's: a change that landed
        // since the request came moved it on, and the render may have read the store before.
        let began = || key.generation;
        let now = || self.generation(&key.slug);
        let render = async { self.render(&feed, key.doc, key.format).await.map(Some) };
        let found = self
            .cache
            .fill(&key, key.doc.kind(), began, now, render)
            .await?;
        Ok(found.expect("an older render always finds a document or `Found::Missing`"))
    }

    /// Reads the document through the store's readers and renders it on a blocking thread.
    async fn render(
        &self,
        feed: &FeedDef,
        doc: DocId,
        format: Format,
    ) -> Result<Found, StoreError> {
        let (doc, full) = match doc {
            DocId::Page(n) => match self.docs.page(feed, n).await? {
                Some(doc) => (doc, false),
                None => return Ok(Found::Missing),
            },
            DocId::Archive(n) => match self.docs.archive(feed, n).await? {
                Some((doc, full)) => (doc, full),
                None => return Ok(Found::Missing),
            },
        };
        let (docs, feed) = (self.docs.clone(), feed.clone());
        tokio::task::spawn_blocking(move || {
            let body = docs.render(&feed, &doc, format);
            let last_modified = doc.last_modified;
            let rendered = Rendered::without_brotli(format.content_type(), body, last_modified);
            Found::Document { rendered, full }
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))
    }

    /// Drops the documents of the feeds named: a write touched them.
    pub fn invalidate<'a>(&self, touched: impl IntoIterator<Item = &'a str>) {
        let mut any = false;
        for slug in touched {
            if let Some(generation) = self.generations.get(slug) {
                generation.fetch_add(1, Ordering::AcqRel);
                any = true;
            }
        }
        if any {
            self.cache
                .retain(|key, _| key.generation == self.generation(&key.slug));
        }
    }

    /// What older pages and archive pages may take: the rest of the budget once the pinned
    /// documents (page 1 of every feed) are counted.
    pub fn set_capacity(&self, bytes: u64) {
        self.cache.set_capacity(bytes);
    }

    pub fn size(&self) -> DocumentCacheSize {
        self.cache.size()
    }
}
