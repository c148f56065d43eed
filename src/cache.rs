//! Finished responses: every feed in every format, rendered once per store change and kept
//! as identity and gzip bytes with their validators. A request only picks bytes from here.

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

use crate::feeds::FeedSet;
use crate::model::Format;
use crate::render::{self, FeedView, Site};
use crate::store::{Store, StoreError};

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
    /// Truncated to whole seconds, as HTTP dates are.
    pub last_modified: Option<DateTime<Utc>>,
}

impl Rendered {
    pub fn new(
        content_type: &'static str,
        body: Vec<u8>,
        last_modified: Option<DateTime<Utc>>,
    ) -> Rendered {
        let digest = Sha256::digest(&body);
        let hash: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        let gzip = gzip(&body);
        Rendered {
            content_type,
            // The ETag comes from the bytes alone, so replicas and restarts agree on it.
            identity: Representation {
                body: Bytes::from(body),
                etag: format!("\"{hash}\""),
            },
            gzip: Representation {
                body: Bytes::from(gzip),
                etag: format!("\"{hash}-gz\""),
            },
            last_modified,
        }
    }
}

/// gzip with a zeroed header timestamp, so equal input gives equal bytes.
fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder
        .write_all(body)
        .and_then(|_| encoder.finish())
        .expect("compressing into memory cannot fail")
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

    /// Renders again if the store changed since the last render. Returns whether it did.
    pub async fn refresh(&self) -> Result<bool, StoreError> {
        // Read the revision first: a write landing during the render bumps it again, and
        // the next refresh picks it up.
        let revision = self.store.revision().await?;
        if revision == self.revision() {
            return Ok(false);
        }
        let mut renders = HashMap::new();
        for feed in self.feeds.feeds() {
            let category = (!feed.is_all()).then_some(feed.slug.as_str());
            let articles = self.store.latest(category, self.limit).await?;
            let view = FeedView {
                site: &self.site,
                feed,
                feeds: &self.feeds,
                articles: &articles,
            };
            let last_modified = view.last_updated();
            for format in Format::ALL {
                let body = render::feed(&view, format);
                let rendered = Rendered::new(format.content_type(), body, last_modified);
                renders.insert((feed.slug.clone(), format), Arc::new(rendered));
            }
        }
        self.renders.store(Arc::new(renders));
        self.revision.store(revision, Ordering::Release);
        Ok(true)
    }

    /// Polls the store for changes made by anyone (the API, `vnfeed import` from cron) until
    /// the task is dropped. A failed poll keeps the last good renders.
    pub async fn watch(self: Arc<Self>, interval: Duration) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match self.refresh().await {
                Ok(true) => tracing::info!(revision = self.revision(), "feeds rendered"),
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "store poll failed; serving the last render"),
            }
        }
    }
}
