//! Older pages (`?page=N`, N > 1) and archive pages of every feed: rendered on the render
//! pool when first asked for, then kept as identity and gzip bytes (no brotli: see
//! `Rendered::without_brotli`) with their validators until a change
//! touches their feed, in a cache bounded in bytes. Many requests for the same missing
//! document share one render (single flight); a request that finds the pool full is
//! refused rather than queued.
//!
//! The cache is quick_cache's: its weight bound is a byte bound here (every coding of a
//! document counted), and its eviction (CLOCK-Pro-like, with a small "cold" space for
//! documents asked for once) keeps a scan of many distinct pages from pushing out the
//! pages readers keep coming back to. One shard, so that the bound is one global figure
//! and any document up to it can be kept.
//!
//! Invalidation: the store says which categories a write touched, not which of their
//! entries. A write moves every page of a paged feed it touches (a new article shifts them
//! all), and may change any of its archive pages (a takedown empties an entry; the newest
//! page grows), so each feed has a generation, part of every key, moved on when a write
//! touches the feed: that feed's documents are dropped at once, the other feeds' kept.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use quick_cache::sync::{Cache, DefaultLifecycle};
use quick_cache::{DefaultHashBuilder, OptionsBuilder, Weighter};

use super::pool::{Busy, RenderPool};
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

#[derive(Debug, thiserror::Error)]
pub enum OlderError {
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    slug: String,
    doc: DocId,
    format: Format,
    /// The feed's generation when the render started (see the module header).
    generation: u64,
}

/// Bookkeeping a kept document costs besides its bytes (key, entry, Arc, headers).
const ENTRY_OVERHEAD: u64 = 256;

#[derive(Clone)]
struct Bytes;

impl Weighter<Key, Arc<Found>> for Bytes {
    fn weight(&self, key: &Key, found: &Arc<Found>) -> u64 {
        let body = match found.as_ref() {
            Found::Document { rendered, .. } => rendered.weight() as u64,
            Found::Missing => 0,
        };
        body + key.slug.len() as u64 + ENTRY_OVERHEAD
    }
}

pub struct OlderDocs {
    docs: Documents,
    cache: Cache<Key, Arc<Found>, Bytes>,
    /// Each feed's generation, by slug; the feed set is fixed while the server runs.
    generations: HashMap<String, AtomicU64>,
    pool: Arc<RenderPool>,
    metrics: Arc<Metrics>,
}

impl OlderDocs {
    pub fn new(
        docs: Documents,
        capacity: u64,
        pool: Arc<RenderPool>,
        metrics: Arc<Metrics>,
    ) -> OlderDocs {
        let options = OptionsBuilder::new()
            .shards(1)
            // A 50-item feed document in three codings is some tens of KiB.
            .estimated_items_capacity((capacity / (32 << 10)).clamp(64, 1 << 20) as usize)
            .weight_capacity(capacity)
            .build()
            .expect("the options are in range");
        let cache = Cache::with_options(
            options,
            Bytes,
            DefaultHashBuilder::default(),
            DefaultLifecycle::default(),
        );
        let generations = docs
            .feeds
            .feeds()
            .map(|feed| (feed.slug.clone(), AtomicU64::new(0)))
            .collect();
        OlderDocs {
            docs,
            cache,
            generations,
            pool,
            metrics,
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
        if let Some(found) = self.cache.get(&key) {
            self.metrics.document_lookup(true);
            return Ok(found);
        }
        // A task of its own: a client that goes away does not cancel a render that others
        // may be waiting for, nor leave the pool's count behind the CPU actually in use.
        let this = Arc::clone(self);
        let feed = feed.clone();
        tokio::spawn(async move { this.fill(key, feed).await })
            .await
            .map_err(|e| OlderError::Store(StoreError::Task(e.to_string())))?
    }

    async fn fill(&self, key: Key, feed: FeedDef) -> Result<Arc<Found>, OlderError> {
        let guard = match self.cache.get_value_or_guard_async(&key).await {
            Ok(found) => {
                // Rendered meanwhile, by the request this one waited for.
                self.metrics.document_lookup(true);
                return Ok(found);
            }
            Err(guard) => guard,
        };
        self.metrics.document_lookup(false);
        // Refused: the guard goes, and a request waiting on it tries the pool in turn.
        let turn = self.pool.turn().await.inspect_err(|_| {
            self.metrics.render_rejected();
        })?;
        let start = Instant::now();
        let found = Arc::new(self.render(&feed, key.doc, key.format).await?);
        drop(turn);
        self.metrics
            .document_rendered(key.doc.kind(), start.elapsed());
        // A change that landed during the render moved the generation on: what was read may
        // be older than it, so it is answered to this request but not kept.
        if self.generation(&key.slug) == key.generation {
            let _ = guard.insert(Arc::clone(&found));
        }
        Ok(found)
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
        if bytes != self.cache.capacity() {
            self.cache.set_capacity(bytes);
        }
    }

    pub fn size(&self) -> DocumentCacheSize {
        DocumentCacheSize {
            bytes: self.cache.weight(),
            entries: self.cache.len() as u64,
            capacity: self.cache.capacity(),
            pinned: 0,
        }
    }
}
