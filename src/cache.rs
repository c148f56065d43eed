//! Finished documents: every feed's subscription document in every format, and the HTML
//! index and feed pages, rendered once per store change and kept as identity, gzip and brotli
//! bytes with their validators. A request only picks bytes from here: no rendering, no
//! compression, no store access. A change re-renders only the feeds it touched (the store
//! says which categories changed; at a scheduled article's time, the store says which
//! categories the articles that came due are in) and swaps the new set in whole, drops the touched feeds'
//! older pages and archive pages, and says which feeds' bytes changed (for WebSub).
//!
//! Older pages and archive pages are rendered when first asked for, on a bounded pool, and
//! kept in a cache bounded in bytes (`older`, `pool`; single flight in `fill`). Page 1 of
//! every feed is pinned: the byte bound (`--cache-bytes`) counts it first, and the older
//! documents get the rest. Of that rest, [`ON_DEMAND_SHARE`] goes to the documents there are
//! too many of to render ahead (authors' and tags' feeds, sitemaps: `ondemand`), on the same
//! pool.

mod fill;
mod older;
mod ondemand;
mod pool;

pub use fill::OlderError;
pub use older::{DocId, Found};
pub use ondemand::{OPML_LABELS, OnDemand, Served};

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::documents::{Doc, Documents};
use crate::feeds::FeedDef;
use crate::http::representation::Rendered;
use crate::metrics::{DocumentCacheSize, Metrics};
use crate::model::Format;
use crate::render::html::{self, Html};
use crate::store::{ChangeNotices, FeedKey, StoreError};

type Key = (String, Format);

/// One feed's subscription document in each format.
type Formats = HashMap<Format, Arc<Rendered>>;

/// Everything rendered, swapped in whole.
#[derive(Clone, Default)]
struct Renders {
    /// The subscription document (page 1) of every feed (by slug) in every format; keyed by
    /// slug first so that a request finds its bytes with the &str it has, making no String.
    feeds: HashMap<String, Formats>,
    /// The HTML page of every feed, by slug, found with a &str like `feeds`.
    html: HashMap<String, Arc<Rendered>>,
    /// The HTML index page (rendered with the `all` feed).
    index: Option<Arc<Rendered>>,
}

/// `--cache-bytes`' default: room for page 1 of a few hundred feeds and some thousand
/// older pages and archive pages.
pub const DEFAULT_CACHE_BYTES: u64 = 64 << 20;
/// `--render-queue`'s default: renders waiting for a worker before requests get 503.
pub const DEFAULT_RENDER_QUEUE: usize = 64;
/// The share (1/N) of the bytes left after page 1 of every feed that the documents rendered
/// on demand may keep (authors' and tags' feeds and pages, their OPML lists, sitemaps): a
/// full sitemap is some 7 MiB in two codings, so the default 64 MiB budget keeps two.
pub const ON_DEMAND_SHARE: u64 = 4;

/// `--render-workers`' default (asked for with 0): half the CPU cores, at least one.
pub fn default_render_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

/// What the document cache and its render pool may use (see `config::LimitArgs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Every document kept, every coding counted, page 1 of every feed first.
    pub cache_bytes: u64,
    /// Older pages and archive pages rendered at once.
    pub render_workers: usize,
    /// Renders that may wait for a worker.
    pub render_queue: usize,
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds {
            cache_bytes: DEFAULT_CACHE_BYTES,
            render_workers: default_render_workers(),
            render_queue: DEFAULT_RENDER_QUEUE,
        }
    }
}

/// The feeds whose subscription document a refresh changed, in a stable order: what a
/// WebSub hub is told about.
pub type Changed = Vec<Key>;

/// The current renders of every feed and page, swapped in whole when the store changes.
pub struct FeedCache {
    docs: Documents,
    renders: ArcSwap<Renders>,
    /// The store revision the current renders reflect; -1 before the first render.
    revision: AtomicI64,
    /// When the next article dated in the future is due (`None`: none): feeds change then
    /// with no write, so a refresh from then on renders them again. Watched by the timer
    /// that wakes for it (`schedule`).
    due: watch::Sender<Option<DateTime<Utc>>>,
    /// The store's clock when the last refresh began (Unix seconds): every article due by
    /// then is in the renders, so a refresh at a due time renders only the feeds of the
    /// articles that came due since.
    rendered_at: AtomicI64,
    /// One refresh at a time: two racing ones could swap an older render over a newer one.
    refreshing: tokio::sync::Mutex<()>,
    /// Told about the feeds each refresh changed (not about the first render).
    on_change: Option<tokio::sync::mpsc::UnboundedSender<Changed>>,
    metrics: Arc<Metrics>,
    bounds: Bounds,
    /// Older pages and archive pages, rendered on demand.
    older: Arc<older::OlderDocs>,
    /// Authors' and tags' documents and sitemaps, rendered on demand.
    ondemand: Arc<ondemand::OnDemandDocs>,
    /// Bytes of the current renders (page 1 and the HTML pages), counted against the bound.
    pinned: AtomicU64,
}

impl FeedCache {
    /// A cache of the documents `docs` reads, counting its renders and lookups in the
    /// server's `metrics`; empty until the first [`FeedCache::refresh`].
    pub fn new(docs: Documents, metrics: Arc<Metrics>) -> Self {
        let bounds = Bounds::default();
        let (older, ondemand) = on_demand_docs(&docs, bounds, &metrics);
        FeedCache {
            older,
            ondemand,
            docs,
            renders: ArcSwap::from_pointee(Renders::default()),
            revision: AtomicI64::new(-1),
            due: watch::Sender::new(None),
            rendered_at: AtomicI64::new(0),
            refreshing: tokio::sync::Mutex::new(()),
            on_change: None,
            metrics,
            bounds,
            pinned: AtomicU64::new(0),
        }
    }

    /// Bounds the cache in bytes and the render pool (from the command line).
    pub fn with_bounds(mut self, bounds: Bounds) -> Self {
        self.bounds = bounds;
        (self.older, self.ondemand) = on_demand_docs(&self.docs, bounds, &self.metrics);
        self
    }

    /// Sends the list of changed feeds to `tx` after every refresh that changed any.
    pub fn notify(mut self, tx: tokio::sync::mpsc::UnboundedSender<Changed>) -> Self {
        self.on_change = Some(tx);
        self
    }

    pub fn get(&self, slug: &str, format: Format) -> Option<Arc<Rendered>> {
        self.renders.load().feeds.get(slug)?.get(&format).cloned()
    }

    /// The HTML page of a feed.
    pub fn html(&self, slug: &str) -> Option<Arc<Rendered>> {
        self.renders.load().html.get(slug).cloned()
    }

    /// The HTML index page.
    pub fn index(&self) -> Option<Arc<Rendered>> {
        self.renders.load().index.clone()
    }

    /// An older page or archive page: from the cache, or rendered now on the render pool
    /// (shared with any request for the same document meanwhile).
    pub async fn older(
        &self,
        feed: &FeedDef,
        doc: DocId,
        format: Format,
    ) -> Result<Arc<Found>, OlderError> {
        self.older.get(feed, doc, format).await
    }

    /// What the cache holds now, for the metrics' gauges.
    pub fn size(&self) -> DocumentCacheSize {
        // Both caches of documents rendered on request count as one.
        let (older, ondemand) = (self.older.size(), self.ondemand.size());
        DocumentCacheSize {
            bytes: older.bytes + ondemand.bytes,
            entries: older.entries + ondemand.entries,
            capacity: older.capacity + ondemand.capacity,
            pinned: self.pinned.load(Ordering::Relaxed),
        }
    }

    /// When the feeds next change with no write (the next scheduled article), as of the
    /// last refresh; the receiver sees each new value.
    pub fn next_due(&self) -> watch::Receiver<Option<DateTime<Utc>>> {
        self.due.subscribe()
    }

    /// A document rendered on demand, if it is kept: no render, no store read.
    pub fn on_demand_cached(&self, key: &OnDemand) -> Option<Arc<Served>> {
        self.ondemand.cached(key)
    }

    /// A document rendered on demand: from the cache or rendered now on the render pool;
    /// `None` when there is no such document (an unknown author or tag).
    pub async fn on_demand(&self, key: OnDemand) -> Result<Option<Arc<Served>>, OlderError> {
        self.ondemand.get(key).await
    }

    pub fn revision(&self) -> i64 {
        self.revision.load(Ordering::Acquire)
    }

    /// Renders again the feeds the store changed since the last render: `all` and the
    /// categories the store names (every feed when it cannot tell). Returns whether it did.
    pub async fn refresh(&self) -> Result<bool, StoreError> {
        let _one_at_a_time = self.refreshing.lock().await;
        let since = self.revision();
        // The changes are read before the articles: a write landing during the render moves
        // the revision on again, and the next refresh picks it up.
        let mut changes = self.docs.store.changes_since(since).await?;
        let labels = changes.labels.take();
        let clock = self.docs.store.clock();
        let now = clock.now();
        let due = self.due.borrow().is_some_and(|due| now >= due);
        if changes.revision == since && !due {
            return Ok(false);
        }
        if due && let Some(categories) = &mut changes.categories {
            // The feeds of the articles that came due since the last refresh, and `all`.
            let after = DateTime::from_timestamp(self.rendered_at.load(Ordering::Acquire), 0)
                .unwrap_or_default();
            categories.extend(self.docs.store.categories_due(after, now).await?);
        }
        let mut next_due = self.docs.store.next_due(FeedKey::All).await?;
        let later = clock.now();
        if later.timestamp() > now.timestamp() {
            // A second turned while asking: an article due in it may be neither in the feeds
            // read before it nor counted as still to come. Look again at once.
            next_due = Some(next_due.map_or(later, |d| d.min(later)));
        }
        self.due
            .send_if_modified(|due| std::mem::replace(due, next_due) != next_due);
        let current = self.renders.load_full();
        let mut renders = Renders::clone(&current);
        let mut jobs = tokio::task::JoinSet::new();
        let touched = |feed: &FeedDef| match &changes.categories {
            None => true,
            Some(categories) => feed.is_all() || categories.contains(&feed.slug),
        };
        for feed in self.docs.feeds.feeds() {
            let changed = touched(feed);
            let rendered_before = current.feeds.contains_key(&feed.slug);
            if !changed && rendered_before {
                continue;
            }
            let doc = self
                .docs
                .page(feed, 1)
                .await?
                .expect("page 1 of a feed always exists");
            // Rendering and compressing are CPU work: off the threads that answer requests,
            // and one feed per blocking thread so a write's feeds are ready together.
            let job = RenderJob {
                docs: self.docs.clone(),
                feed: feed.clone(),
                doc,
            };
            jobs.spawn_blocking(move || job.run());
        }
        while let Some(done) = jobs.join_next().await {
            let done = done.map_err(|e| StoreError::Task(e.to_string()))?;
            self.metrics.rendered(done.took);
            renders.html.insert(done.slug.clone(), done.html);
            renders.feeds.insert(done.slug, done.formats);
            if let Some(index) = done.index {
                renders.index = Some(index);
            }
        }
        let changed = changed(&current, &renders);
        let pinned = renders.weight();
        self.renders.store(Arc::new(renders));
        self.older.invalidate(
            self.docs
                .feeds
                .feeds()
                .filter(|feed| touched(feed))
                .map(|feed| feed.slug.as_str()),
        );
        // A due article may be under any label: then every label's documents go.
        let labels = if due { None } else { labels };
        self.ondemand.invalidate(labels.as_ref(), true);
        self.pinned.store(pinned, Ordering::Relaxed);
        let rest = self.bounds.cache_bytes.saturating_sub(pinned);
        let on_demand = rest / ON_DEMAND_SHARE;
        self.older.set_capacity(rest - on_demand);
        self.ondemand.set_capacity(on_demand);
        self.rendered_at.store(now.timestamp(), Ordering::Release);
        let first = self.revision.swap(changes.revision, Ordering::AcqRel) < 0;
        if let (Some(tx), false, false) = (&self.on_change, first, changed.is_empty()) {
            // The receiver lives as long as the server; if it is gone, nobody listens.
            let _ = tx.send(changed);
        }
        Ok(true)
    }

    /// Renders again whenever the store announces a change (PostgreSQL's NOTIFY, from any
    /// replica), and polls its revision every `interval` as the safety net for missed
    /// announcements and for backends without them (SQLite written by `vnfeed import` from
    /// cron). Runs until the task is dropped. A failed refresh keeps the last good renders.
    pub async fn watch(self: Arc<Self>, interval: Duration) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut changes = self.docs.store.change_notices();
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                announced = next_change(&mut changes) => {
                    if !announced {
                        changes = None;
                    }
                }
            }
            match self.refresh().await {
                Ok(true) => tracing::info!(revision = self.revision(), "feeds rendered"),
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "store poll failed; serving the last render"),
            }
        }
    }
}

/// The two caches of documents rendered on demand, sharing one render pool.
fn on_demand_docs(
    docs: &Documents,
    bounds: Bounds,
    metrics: &Arc<Metrics>,
) -> (Arc<older::OlderDocs>, Arc<ondemand::OnDemandDocs>) {
    let pool = Arc::new(pool::RenderPool::new(
        bounds.render_workers,
        bounds.render_queue,
    ));
    let on_demand = bounds.cache_bytes / ON_DEMAND_SHARE;
    let older = older::OlderDocs::new(
        docs.clone(),
        bounds.cache_bytes - on_demand,
        Arc::clone(&pool),
        Arc::clone(metrics),
    );
    let ondemand = ondemand::OnDemandDocs::new(docs.clone(), on_demand, pool, Arc::clone(metrics));
    (Arc::new(older), Arc::new(ondemand))
}

impl Renders {
    /// Bytes kept, every coding of every document.
    fn weight(&self) -> u64 {
        let feeds = self.feeds.values().flat_map(|formats| formats.values());
        feeds
            .chain(self.html.values())
            .chain(&self.index)
            .map(|rendered| rendered.weight() as u64)
            .sum()
    }
}

/// Waits for the next announced change; false once the announcer is gone (never, with none).
async fn next_change(changes: &mut Option<watch::Receiver<ChangeNotices>>) -> bool {
    match changes {
        Some(rx) => rx.changed().await.is_ok(),
        None => std::future::pending().await,
    }
}

/// The subscription documents whose bytes differ between two sets of renders.
fn changed(before: &Renders, after: &Renders) -> Changed {
    let mut out: Changed = after
        .feeds
        .iter()
        .flat_map(|(slug, formats)| formats.iter().map(move |(format, now)| (slug, format, now)))
        .filter(|(slug, format, now)| {
            before
                .feeds
                .get(*slug)
                .and_then(|formats| formats.get(format))
                .is_none_or(|old| old.identity.etag != now.identity.etag)
        })
        .map(|(slug, format, _)| (slug.clone(), *format))
        .collect();
    out.sort();
    out
}

/// One feed to render in every format and as its HTML page (`all` also as the index),
/// owning what it needs to run on a blocking thread.
struct RenderJob {
    docs: Documents,
    feed: FeedDef,
    doc: Doc,
}

/// What a [`RenderJob`] made, and the time it took.
struct JobOutput {
    slug: String,
    formats: Formats,
    html: Arc<Rendered>,
    /// With the `all` feed only.
    index: Option<Arc<Rendered>>,
    took: Duration,
}

impl RenderJob {
    fn run(self) -> JobOutput {
        let start = Instant::now();
        let docs = &self.docs;
        let last_modified = self.doc.last_modified;
        let formats = Format::ALL
            .into_iter()
            .map(|format| {
                let body = docs.render(&self.feed, &self.doc, format);
                let rendered = Rendered::new(format.content_type(), body, last_modified);
                (format, Arc::new(rendered))
            })
            .collect();
        let renderer = Html {
            site: &docs.site,
            feeds: &docs.feeds,
        };
        let as_html = |body| Arc::new(Rendered::new(html::CONTENT_TYPE, body, last_modified));
        let html = as_html(renderer.category(&self.feed, &self.doc.articles));
        let index = self
            .feed
            .is_all()
            .then(|| as_html(renderer.index(&self.doc.articles)));
        JobOutput {
            slug: self.feed.slug,
            formats,
            html,
            index,
            took: start.elapsed(),
        }
    }
}
