//! Finished responses: every feed's subscription document in every format, and the HTML
//! index and feed pages, rendered once per store change and kept as identity, gzip and brotli
//! bytes with their validators. A request only picks bytes from here: no rendering, no
//! compression, no store access. A change re-renders only the feeds it touched (the store
//! says which categories changed) and swaps the new set in whole, and says which feeds'
//! bytes changed (for WebSub).

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use http::HeaderValue;
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::documents::{Doc, Documents};
use crate::feeds::{FeedDef, FeedSet};
use crate::media::MediaDir;
use crate::metrics::Metrics;
use crate::model::{Article, Format, Tombstone};
use crate::render::page::{self, Html};
use crate::render::{FeedView, Site};
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
    /// `etag` as a header value, made once: a 304 then costs no formatting or copying.
    pub etag_header: HeaderValue,
}

impl Representation {
    fn new(body: Vec<u8>, etag: String) -> Representation {
        Representation {
            body: Bytes::from(body),
            etag_header: HeaderValue::from_str(&etag).expect("an ETag is quoted hex"),
            etag,
        }
    }
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
    /// `last_modified` as an HTTP date header value, made once.
    pub last_modified_header: Option<HeaderValue>,
}

/// gzip level 9 and brotli quality 5: a feed is compressed once per change and sent many
/// thousand times, but a write waits for its feeds to be compressed before it is served.
/// Measured on a 50-item feed (benches/, the `render` bench): gzip 9 and brotli 5 take under
/// a millisecond each, and brotli 5 is a tenth smaller than gzip 9; brotli 9 is 6% smaller
/// still but takes ten times as long, brotli 11 over a hundred times.
const GZIP_LEVEL: u32 = 9;
pub const BROTLI_QUALITY: u32 = 5;
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
        rendered.brotli = Some(Representation::new(
            brotli,
            tagged(&rendered.identity.etag, "br"),
        ));
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
        let last_modified = last_modified.and_then(|t| DateTime::from_timestamp(t.timestamp(), 0));
        Rendered {
            content_type,
            gzip: Representation::new(gzip, tagged(&etag, "gz")),
            identity: Representation::new(body, etag),
            brotli: None,
            last_modified,
            last_modified_header: last_modified.map(|t| {
                let date = httpdate::fmt_http_date(t.into());
                HeaderValue::from_str(&date).expect("an HTTP date is ASCII")
            }),
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

/// One feed's subscription document in each format.
type Formats = HashMap<Format, Arc<Rendered>>;

/// Everything rendered, swapped in whole.
#[derive(Clone, Default)]
struct Renders {
    /// The subscription document (page 1) of every feed (by slug) in every format; keyed by
    /// slug first so that a request finds its bytes with the &str it has, making no String.
    feeds: HashMap<String, Formats>,
    /// The HTML index (key `None`) and the page of every feed (key: its slug).
    pages: HashMap<Option<String>, Arc<Rendered>>,
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
    /// When the next article dated in the future is due (Unix seconds; `i64::MAX`: none):
    /// feeds change then with no write, so a refresh from then on renders them again.
    due: AtomicI64,
    /// One refresh at a time: two racing ones could swap an older render over a newer one.
    refreshing: tokio::sync::Mutex<()>,
    /// Told about the feeds each refresh changed (not about the first render).
    on_change: Option<tokio::sync::mpsc::UnboundedSender<Changed>>,
    metrics: Arc<Metrics>,
}

impl FeedCache {
    pub fn new(store: Arc<dyn Store>, feeds: Arc<FeedSet>, site: Arc<Site>, limit: usize) -> Self {
        FeedCache {
            docs: Documents {
                store,
                feeds,
                site,
                limit,
                media: None,
            },
            renders: ArcSwap::from_pointee(Renders::default()),
            revision: AtomicI64::new(-1),
            due: AtomicI64::new(i64::MAX),
            refreshing: tokio::sync::Mutex::new(()),
            on_change: None,
            metrics: Arc::new(Metrics::new()),
        }
    }

    /// The server's metrics; renders are counted here.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Completes image types and lengths from this media directory before rendering.
    pub fn with_media(mut self, media: Option<Arc<MediaDir>>) -> Self {
        self.docs.media = media;
        self
    }

    /// Sends the list of changed feeds to `tx` after every refresh that changed any.
    pub fn notify(mut self, tx: tokio::sync::mpsc::UnboundedSender<Changed>) -> Self {
        self.on_change = Some(tx);
        self
    }

    /// How this cache reads documents: for the ones rendered per request.
    pub fn documents(&self) -> &Documents {
        &self.docs
    }

    pub fn get(&self, slug: &str, format: Format) -> Option<Arc<Rendered>> {
        self.renders.load().feeds.get(slug)?.get(&format).cloned()
    }

    /// The HTML page of a feed (`Some(slug)`) or the index (`None`).
    pub fn page(&self, slug: Option<&str>) -> Option<Arc<Rendered>> {
        self.renders
            .load()
            .pages
            .get(&slug.map(str::to_string))
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
        let mut changes = self.docs.store.changes_since(since).await?;
        let due = Utc::now().timestamp() >= self.due.load(Ordering::Acquire);
        if changes.revision == since && !due {
            return Ok(false);
        }
        if due {
            // Which feeds the due articles are in is not worth a query: render them all.
            changes.categories = None;
        }
        let next_due = self.docs.store.next_due(None).await?;
        self.due.store(
            next_due.map_or(i64::MAX, |t| t.timestamp()),
            Ordering::Release,
        );
        let current = self.renders.load_full();
        let mut renders = Renders::clone(&current);
        let mut jobs = tokio::task::JoinSet::new();
        for feed in self.docs.feeds.feeds() {
            let changed = match &changes.categories {
                None => true,
                Some(categories) => feed.is_all() || categories.contains(&feed.slug),
            };
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
            jobs.spawn_blocking(move || {
                let start = Instant::now();
                let done = job.run();
                (done, start.elapsed())
            });
        }
        while let Some(done) = jobs.join_next().await {
            let (((slug, formats), pages), took) =
                done.map_err(|e| StoreError::Task(e.to_string()))?;
            self.metrics.rendered(took);
            renders.feeds.insert(slug, formats);
            renders.pages.extend(pages);
        }
        let changed = changed(&current, &renders);
        self.renders.store(Arc::new(renders));
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

type JobOutput = ((String, Formats), Vec<(Option<String>, Arc<Rendered>)>);

impl RenderJob {
    fn run(self) -> JobOutput {
        let docs = &self.docs;
        let last_modified = self.doc.last_modified;
        let feeds = Format::ALL
            .into_iter()
            .map(|format| {
                let body = docs.render(&self.feed, &self.doc, format);
                let rendered = Rendered::new(format.content_type(), body, last_modified);
                (format, Arc::new(rendered))
            })
            .collect();
        let feeds = (self.feed.slug.clone(), feeds);
        let html = Html {
            site: &docs.site,
            feeds: &docs.feeds,
        };
        let page_of = |body| Arc::new(Rendered::new(page::CONTENT_TYPE, body, last_modified));
        let mut pages = vec![(
            Some(self.feed.slug.clone()),
            page_of(html.category(&self.feed, &self.doc.articles)),
        )];
        if self.feed.is_all() {
            pages.push((None, page_of(html.index(&self.doc.articles))));
        }
        (feeds, pages)
    }
}
