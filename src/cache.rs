//! Finished responses: every feed in every format, rendered once per store change and kept
//! as identity, gzip and brotli bytes with their validators. A request only picks bytes from
//! here: no rendering, no compression, no store access. A change re-renders only the feeds
//! it touched (the store says which categories changed) and swaps the new set in whole.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use arc_swap::ArcSwap;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::feeds::{FeedDef, FeedSet};
use crate::model::{Article, Format, Tombstone};
use crate::render::{self, FeedView, Site};
use crate::store::{ChangeNotices, Store, StoreError};

/// A content coding a body is kept in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
}

impl Coding {
    /// The `Content-Encoding` token; `None` for identity.
    pub fn token(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Brotli => Some("br"),
        }
    }
}

/// One encoding of a response body with its strong ETag.
#[derive(Debug, Clone)]
pub struct Representation {
    pub body: Bytes,
    pub etag: String,
}

/// A response body ready to serve, in each content coding.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub content_type: &'static str,
    pub identity: Representation,
    pub gzip: Representation,
    /// `None` for one-off pages rendered per request, where brotli's cost is not repaid.
    pub brotli: Option<Representation>,
    /// Truncated to whole seconds, as HTTP dates are.
    pub last_modified: Option<DateTime<Utc>>,
}

/// gzip level 9 and brotli quality 9: a feed is compressed once per change and sent many
/// thousand times, but a write waits for its feeds to be compressed before it is served, so
/// the level is the strongest that keeps a 50-item feed within a few milliseconds (brotli 10
/// and 11 cost ten times as much for a few per cent; see benches/).
const GZIP_LEVEL: u32 = 9;
pub const BROTLI_QUALITY: u32 = 9;
const BROTLI_WINDOW: u32 = 22;

impl Rendered {
    /// A body kept in every coding: for bodies served many times (feeds, the index page).
    pub fn new(
        content_type: &'static str,
        body: Vec<u8>,
        last_modified: Option<DateTime<Utc>>,
    ) -> Rendered {
        let brotli = brotli(&body);
        let mut rendered = Rendered::without_brotli(content_type, body, last_modified);
        rendered.brotli = Some(Representation {
            body: Bytes::from(brotli),
            etag: tagged(&rendered.identity.etag, "br"),
        });
        rendered
    }

    /// A body kept as identity and gzip only: for pages rendered per request.
    pub fn without_brotli(
        content_type: &'static str,
        body: Vec<u8>,
        last_modified: Option<DateTime<Utc>>,
    ) -> Rendered {
        let digest = Sha256::digest(&body);
        let hash: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        // The ETag comes from the bytes alone, so replicas and restarts agree on it.
        let etag = format!("\"{hash}\"");
        let gzip = gzip(&body);
        Rendered {
            content_type,
            gzip: Representation {
                body: Bytes::from(gzip),
                etag: tagged(&etag, "gz"),
            },
            identity: Representation {
                body: Bytes::from(body),
                etag,
            },
            brotli: None,
            last_modified: last_modified.and_then(|t| DateTime::from_timestamp(t.timestamp(), 0)),
        }
    }

    /// The body in `coding`, if kept in it.
    pub fn representation(&self, coding: Coding) -> Option<&Representation> {
        match coding {
            Coding::Identity => Some(&self.identity),
            Coding::Gzip => Some(&self.gzip),
            Coding::Brotli => self.brotli.as_ref(),
        }
    }

    /// Every coding's ETag: they all carry the same content.
    pub fn etags(&self) -> impl Iterator<Item = &str> + Clone {
        [Some(&self.identity), Some(&self.gzip), self.brotli.as_ref()]
            .into_iter()
            .flatten()
            .map(|r| r.etag.as_str())
    }
}

/// `"hash"` -> `"hash-suffix"`: each coding gets its own strong ETag (RFC 9110 8.8.3.3).
fn tagged(etag: &str, suffix: &str) -> String {
    format!("{}-{suffix}\"", etag.trim_end_matches('"'))
}

/// gzip with a zeroed header timestamp, so equal input gives equal bytes.
pub fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::new(GZIP_LEVEL));
    encoder
        .write_all(body)
        .and_then(|_| encoder.finish())
        .expect("compressing into memory cannot fail")
}

/// brotli at `BROTLI_QUALITY`; deterministic, like gzip above.
pub fn brotli(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() / 4);
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY as i32,
        lgwin: BROTLI_WINDOW as i32,
        size_hint: body.len(),
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &body[..], &mut out, &params)
        .expect("compressing into memory cannot fail");
    out
}

/// What one feed shows, read from the store: its newest articles and its tombstones.
pub struct FeedContent {
    pub articles: Vec<Article>,
    pub tombstones: Vec<Tombstone>,
}

impl FeedContent {
    pub async fn load(
        store: &dyn Store,
        feed: &FeedDef,
        limit: usize,
    ) -> Result<FeedContent, StoreError> {
        let category = (!feed.is_all()).then_some(feed.slug.as_str());
        Ok(FeedContent {
            articles: store.latest(category, limit).await?,
            tombstones: store.tombstones(category, limit).await?,
        })
    }

    pub fn view<'a>(
        &'a self,
        site: &'a Site,
        feed: &'a FeedDef,
        feeds: &'a FeedSet,
    ) -> FeedView<'a> {
        FeedView {
            site,
            feed,
            feeds,
            articles: &self.articles,
            tombstones: &self.tombstones,
        }
    }
}

type Key = (String, Format);

/// The current renders of every feed, swapped in whole when the store changes.
pub struct FeedCache {
    store: Arc<dyn Store>,
    feeds: Arc<FeedSet>,
    site: Arc<Site>,
    limit: usize,
    renders: ArcSwap<HashMap<Key, Arc<Rendered>>>,
    /// The store revision the current renders reflect; -1 before the first render.
    revision: AtomicI64,
    /// One refresh at a time: two racing ones could swap an older render over a newer one.
    refreshing: tokio::sync::Mutex<()>,
}

impl FeedCache {
    pub fn new(store: Arc<dyn Store>, feeds: Arc<FeedSet>, site: Arc<Site>, limit: usize) -> Self {
        FeedCache {
            store,
            feeds,
            site,
            limit,
            renders: ArcSwap::from_pointee(HashMap::new()),
            revision: AtomicI64::new(-1),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    pub fn get(&self, slug: &str, format: Format) -> Option<Arc<Rendered>> {
        self.renders
            .load()
            .get(&(slug.to_string(), format))
            .cloned()
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
        let changes = self.store.changes_since(since).await?;
        if changes.revision == since {
            return Ok(false);
        }
        let current = self.renders.load_full();
        let mut renders = HashMap::clone(&current);
        let mut jobs = tokio::task::JoinSet::new();
        for feed in self.feeds.feeds() {
            let changed = match &changes.categories {
                None => true,
                Some(categories) => feed.is_all() || categories.contains(&feed.slug),
            };
            let rendered_before = current.contains_key(&(feed.slug.clone(), Format::Rss));
            if !changed && rendered_before {
                continue;
            }
            let content = FeedContent::load(self.store.as_ref(), feed, self.limit).await?;
            // Rendering and compressing are CPU work: off the threads that answer requests,
            // and one feed per blocking thread so a write's feeds are ready together.
            let job = RenderJob {
                site: Arc::clone(&self.site),
                feeds: Arc::clone(&self.feeds),
                feed: feed.clone(),
                content,
            };
            jobs.spawn_blocking(move || job.run());
        }
        while let Some(done) = jobs.join_next().await {
            let done = done.map_err(|e| StoreError::Task(e.to_string()))?;
            renders.extend(done);
        }
        self.renders.store(Arc::new(renders));
        self.revision.store(changes.revision, Ordering::Release);
        Ok(true)
    }

    /// Renders again whenever the store announces a change (PostgreSQL's NOTIFY, from any
    /// replica), and polls its revision every `interval` as the safety net for missed
    /// announcements and for backends without them (SQLite written by `vnfeed import` from
    /// cron). Runs until the task is dropped. A failed refresh keeps the last good renders.
    pub async fn watch(self: Arc<Self>, interval: Duration) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut changes = self.store.change_notices();
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

/// Waits for the next announced change; false once the announcer is gone (never, with none).
async fn next_change(changes: &mut Option<watch::Receiver<ChangeNotices>>) -> bool {
    match changes {
        Some(rx) => rx.changed().await.is_ok(),
        None => std::future::pending().await,
    }
}

/// One feed to render in every format, owning what it needs to run on a blocking thread.
struct RenderJob {
    site: Arc<Site>,
    feeds: Arc<FeedSet>,
    feed: FeedDef,
    content: FeedContent,
}

impl RenderJob {
    fn run(self) -> Vec<(Key, Arc<Rendered>)> {
        let view = self.content.view(&self.site, &self.feed, &self.feeds);
        let last_modified = view.last_updated();
        Format::ALL
            .into_iter()
            .map(|format| {
                let body = render::feed(&view, format);
                let rendered = Rendered::new(format.content_type(), body, last_modified);
                ((self.feed.slug.clone(), format), Arc::new(rendered))
            })
            .collect()
    }
}
