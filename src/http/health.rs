//! `/healthz`, and what the server knows of its store's health: a live read on each check,
//! plus the last write that failed, since reads can keep working while writes fail (a full
//! disk). While writes are failing, each check tries a write probe, so recovery shows
//! without waiting for the next real write.
//!
//! The number of articles it reports is counted again only when the store's revision moved
//! or [`COUNT_KEPT`] has passed: counting walks the whole time index (35-48 ms at a million
//! articles), and `/healthz` is open to anyone, unlimited, so a loop of checks must cost a
//! one-row read each, not a count each.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use http::StatusCode;
use serde_json::{Value, json};

use crate::store::{FeedKey, Store, StoreError};
use crate::vietnamese::dateline::rfc3339;

/// How long a count of the articles shown answers while the store's revision stays the
/// same: articles that come due (scheduled publishing) change the count without a write.
pub const COUNT_KEPT: Duration = Duration::from_secs(60);

/// Shared by the write paths (which report) and `/healthz` (which reads and clears).
#[derive(Debug, Default)]
pub struct StoreHealth {
    /// When writes started failing, if they are.
    failing_since: Mutex<Option<DateTime<Utc>>>,
    /// The last count of the articles shown. Checks that arrive while it is being taken
    /// wait for it rather than count again.
    counted: tokio::sync::Mutex<Option<Counted>>,
}

/// A count of the articles shown, at a store revision and a time.
#[derive(Debug, Clone, Copy)]
struct Counted {
    revision: i64,
    at: Instant,
    articles: u64,
}

impl StoreHealth {
    /// Records a failed write; the time kept is the first failure of the run.
    pub fn write_failed(&self, e: &StoreError) {
        tracing::warn!(error = %e, "store write failed");
        let mut since = self.failing_since.lock().unwrap_or_else(|p| p.into_inner());
        since.get_or_insert_with(Utc::now);
    }

    pub fn write_ok(&self) {
        *self.failing_since.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    fn failing_since(&self) -> Option<DateTime<Utc>> {
        *self.failing_since.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The articles the store shows: after a live read of its revision (one row), the last
    /// count if the revision is the same and the count younger than [`COUNT_KEPT`], else a
    /// new count.
    async fn articles(&self, store: &dyn Store) -> Result<u64, StoreError> {
        let revision = store.revision().await?;
        let mut counted = self.counted.lock().await;
        if let Some(last) = *counted
            && last.revision == revision
            && last.at.elapsed() < COUNT_KEPT
        {
            return Ok(last.articles);
        }
        let articles = store.count_in(FeedKey::All).await?;
        *counted = Some(Counted {
            revision,
            at: Instant::now(),
            articles,
        });
        Ok(articles)
    }
}

/// The answer to `/healthz`: `ok` when the store reads and writes; `degraded` naming what
/// fails otherwise. A degraded server still serves its last good feeds, so it answers 200
/// and stays in the load balancer's rotation (every replica of a shared database degrades
/// together; taking them all out would turn a store outage into a site outage). 503 only
/// while it has nothing to serve yet.
/// `revision` is the one the cache serves (-1 before the first render).
pub async fn report(store: &dyn Store, health: &StoreHealth, revision: i64) -> (StatusCode, Value) {
    let serving = revision >= 0;
    let degraded = |mut body: Value| {
        body["status"] = json!("degraded");
        body["serving"] = json!(if serving {
            "the last good feeds"
        } else {
            "nothing yet"
        });
        body["revision"] = json!(revision);
        let status = if serving {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        (status, body)
    };
    let articles = match health.articles(store).await {
        Ok(n) => n,
        Err(e) => {
            return degraded(json!({"store": "unavailable", "reads": "failing",
                "error": e.to_string()}));
        }
    };
    if let Some(since) = health.failing_since() {
        match store.probe_write().await {
            Ok(()) => health.write_ok(),
            Err(e) => {
                health.write_failed(&e);
                return degraded(json!({"store": "not writable", "writes": "failing",
                    "since": rfc3339(since), "error": e.to_string(), "articles": articles}));
            }
        }
    }
    let body = json!({"status": "ok", "articles": articles, "revision": revision});
    (StatusCode::OK, body)
}
