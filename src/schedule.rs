//! Scheduled publishing: the timer that makes an article dated in the future appear at its
//! time with no write. The store shows only articles whose time has come (by its clock), so
//! all a reader has to do is render again at that moment; this task sleeps until the next
//! due article (the time the cache learnt at its last refresh, one indexed `min` query, not
//! a scan of the store) and then refreshes the cache, which re-renders the feeds, gives them
//! their new validators (`Last-Modified` = the article's `published`, the same on every
//! replica) and tells the WebSub hub. A write that adds, moves or deletes a scheduled article
//! changes that time, and the timer sleeps again until the new one.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::cache::FeedCache;
use crate::store::Clock;

/// How long the timer waits before trying again after a refresh at a due time failed (the
/// store unreachable) or left that time standing: the last good renders stay served.
const RETRY: Duration = Duration::from_secs(1);

/// Wakes the cache at every due time by `clock` (the store's), for as long as the task runs.
pub async fn run(cache: Arc<FeedCache>, clock: Clock) {
    let mut due = cache.next_due();
    loop {
        let next = *due.borrow_and_update();
        tokio::select! {
            () = wait(&clock, next) => {}
            changed = due.changed() => {
                if changed.is_err() {
                    return;
                }
                continue;
            }
        }
        match cache.refresh().await {
            Ok(_) => {
                tracing::info!(due = ?next, revision = cache.revision(), "scheduled articles due: feeds rendered")
            }
            Err(e) => {
                tracing::warn!(error = %e, "scheduled articles due, but the feeds could not be rendered; retrying")
            }
        }
        if *due.borrow() == next {
            // Still the same due time: the refresh failed (or a concurrent one is mid-way).
            tokio::time::sleep(RETRY).await;
        }
    }
}

/// Sleeps until `at` by `clock`; for ever when nothing is scheduled.
async fn wait(clock: &Clock, at: Option<DateTime<Utc>>) {
    match at {
        Some(at) => clock.sleep_until(at).await,
        None => std::future::pending().await,
    }
}
