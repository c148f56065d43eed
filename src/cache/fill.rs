//! The render cache both kinds of document rendered on request are kept in (`older`: older
//! pages and archive pages; `ondemand`: authors', tags', sitemaps): bounded in bytes, and
//! filled one render at a time per document (single flight). A missing document is rendered
//! once however many requests ask for it together: the first renders it on a turn of the
//! render pool (`pool`), timed for the metrics; the others wait for that render and take it.
//! A render is kept only if no invalidation that could touch its document landed while it
//! ran, as its store read may predate the write; it is answered either way.
//!
//! The cache is quick_cache's: its weight bound is a byte bound here (every coding of a
//! document counted), and its eviction (CLOCK-Pro-like, with a small "cold" space for
//! documents asked for once) keeps a scan of many distinct pages from pushing out the
//! pages readers keep coming back to. One shard, so that the bound is one global figure
//! and any document up to it can be kept.

use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Instant;

use quick_cache::sync::{Cache, DefaultLifecycle};
use quick_cache::{DefaultHashBuilder, OptionsBuilder, Weighter};

use super::pool::{Busy, RenderPool};
use crate::metrics::{DocumentCacheSize, Metrics};
use crate::store::{Clock, StoreError};

/// Why a document rendered on request could not be had (named for the older pages, the
/// first documents rendered on request).
#[derive(Debug, thiserror::Error)]
pub enum OlderError {
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Bookkeeping a kept document costs besides its bytes (key, entry, Arc, headers).
const ENTRY_OVERHEAD: u64 = 256;

/// The key of a document in a [`RenderCache`].
pub(super) trait DocKey: Clone + Eq + Hash + Send + Sync + 'static {
    /// Bytes the key owns besides its own size (a slug), counted against the bound.
    fn owned_bytes(&self) -> u64;
}

/// A document kept in a [`RenderCache`].
pub(super) trait Kept: Send + Sync + 'static {
    /// Bytes it holds, every coding counted.
    fn bytes(&self) -> u64;

    /// Whether it still holds by the store's clock. By default it holds until a write
    /// touches it (then it is invalidated); a document that changes with no write says when.
    fn fresh(&self, _clock: &Clock) -> bool {
        true
    }
}

#[derive(Clone)]
struct Bytes;

impl<K: DocKey, V: Kept> Weighter<K, Arc<V>> for Bytes {
    fn weight(&self, key: &K, kept: &Arc<V>) -> u64 {
        kept.bytes() + key.owned_bytes() + ENTRY_OVERHEAD
    }
}

pub(super) struct RenderCache<K, V> {
    cache: Cache<K, Arc<V>, Bytes>,
    pool: Arc<RenderPool>,
    metrics: Arc<Metrics>,
    /// The store's: what "now" is for a document that changes with no write.
    clock: Clock,
}

impl<K: DocKey, V: Kept> RenderCache<K, V> {
    /// A cache of `capacity` bytes of documents of some `typical` bytes each (which only
    /// sizes its index), rendering on `pool`.
    pub fn new(
        capacity: u64,
        typical: u64,
        pool: Arc<RenderPool>,
        metrics: Arc<Metrics>,
        clock: Clock,
    ) -> RenderCache<K, V> {
        let options = OptionsBuilder::new()
            .shards(1)
            .estimated_items_capacity((capacity / typical).clamp(64, 1 << 20) as usize)
            .weight_capacity(capacity)
            .build()
            .expect("the options are in range");
        RenderCache {
            cache: Cache::with_options(
                options,
                Bytes,
                DefaultHashBuilder::default(),
                DefaultLifecycle::default(),
            ),
            pool,
            metrics,
            clock,
        }
    }

    /// The document if it is kept and still holds: no render, no store read. One that no
    /// longer holds goes.
    pub fn cached(&self, key: &K) -> Option<Arc<V>> {
        let found = self.cache.get(key)?;
        if found.fresh(&self.clock) {
            self.metrics.document_lookup(true);
            return Some(found);
        }
        self.cache.remove(key);
        None
    }

    /// The document of `key`: kept, or rendered now by `render` on a turn of the pool, or,
    /// when another request is rendering it already, that render once done. `kind` names the
    /// render in the metrics; `None` from `render` (no such document) is answered, not kept.
    ///
    /// `began` and `now` read a count that every invalidation that could touch the document
    /// moves on: `began` once the render is this request's to do, `now` when it is done. The
    /// render is kept only if they agree.
    pub async fn fill(
        &self,
        key: &K,
        kind: &'static str,
        began: impl FnOnce() -> u64,
        now: impl FnOnce() -> u64,
        render: impl Future<Output = Result<Option<V>, StoreError>>,
    ) -> Result<Option<Arc<V>>, OlderError> {
        let guard = match self.cache.get_value_or_guard_async(key).await {
            Ok(found) if found.fresh(&self.clock) => {
                // Rendered meanwhile, by the request this one waited for.
                self.metrics.document_lookup(true);
                return Ok(Some(found));
            }
            Ok(_) => {
                // Kept but no longer holding: it goes, and the next to get here renders it.
                self.cache.remove(key);
                match self.cache.get_value_or_guard_async(key).await {
                    Ok(found) => return Ok(Some(found)),
                    Err(guard) => guard,
                }
            }
            Err(guard) => guard,
        };
        self.metrics.document_lookup(false);
        let began = began();
        // Refused: the guard goes, and a request waiting on it tries the pool in turn.
        let turn = self.pool.turn().await.inspect_err(|_| {
            self.metrics.render_rejected();
        })?;
        let start = Instant::now();
        let rendered = render.await?;
        drop(turn);
        self.metrics.document_rendered(kind, start.elapsed());
        // Nothing is kept for a document that does not exist: the guard goes unfilled.
        let Some(rendered) = rendered else {
            return Ok(None);
        };
        let rendered = Arc::new(rendered);
        // A change that landed during the render: what was read may be older than it, so it
        // is answered to this request but not kept.
        if now() == began {
            let _ = guard.insert(Arc::clone(&rendered));
        }
        Ok(Some(rendered))
    }

    /// Drops the document of `key`, if kept.
    pub fn remove(&self, key: &K) {
        self.cache.remove(key);
    }

    /// Keeps only the documents `keep` says yes to.
    pub fn retain(&self, keep: impl Fn(&K, &Arc<V>) -> bool) {
        self.cache.retain(keep);
    }

    /// Bytes the documents may take from now on.
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

/// Runs `work` as a task of its own and waits for it: a client that goes away does not
/// cancel a render that others may be waiting for, nor leave the pool's count behind the CPU
/// actually in use.
pub(super) async fn detached<T: Send + 'static>(
    work: impl Future<Output = Result<T, OlderError>> + Send + 'static,
) -> Result<T, OlderError> {
    tokio::spawn(work)
        .await
        .map_err(|e| OlderError::Store(StoreError::Task(e.to_string())))?
}
