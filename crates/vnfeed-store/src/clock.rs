//! What time it is for the store and everything reading it: which articles are shown (an
//! article dated later than now waits for its time), whether an article is scheduled, and
//! when a timer waiting for the next due article wakes. One clock per store, so the
//! store's reads, the API and the timer never disagree about "now".
//!
//! The system clock in production; a manual clock in tests, which a test moves forward so a
//! scheduled article comes due without waiting for it (a waiting timer wakes at once).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

/// The longest a system-clock wait sleeps before looking at the wall clock again: a wall
/// clock stepped (NTP, a suspended VM) while asleep costs at most this much lateness. It is
/// a look at the clock, not at the store.
const SYSTEM_RECHECK: Duration = Duration::from_secs(60);

/// Cloning is shallow: clones of a manual clock move together.
#[derive(Clone, Default)]
pub struct Clock {
    /// `None`: the system clock.
    manual: Option<Arc<watch::Sender<DateTime<Utc>>>>,
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.manual {
            None => f.write_str("Clock::system"),
            Some(now) => write!(f, "Clock::manual({})", *now.borrow()),
        }
    }
}

impl Clock {
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that stands at `start` until [`Clock::set`] or [`Clock::advance`] moves it.
    pub fn manual(start: DateTime<Utc>) -> Clock {
        Clock {
            manual: Some(Arc::new(watch::Sender::new(start))),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.manual {
            None => Utc::now(),
            Some(now) => *now.borrow(),
        }
    }

    /// Moves a manual clock to `to` (never back: time read by a reader does not reverse)
    /// and wakes every [`Clock::sleep_until`] that is now due.
    ///
    /// # Panics
    /// On the system clock, which nobody sets.
    pub fn set(&self, to: DateTime<Utc>) {
        let now = self.manual.as_ref().expect("only a manual clock is set");
        now.send_if_modified(|now| {
            let later = to > *now;
            if later {
                *now = to;
            }
            later
        });
    }

    /// Moves a manual clock forward by `by` (see [`Clock::set`]).
    pub fn advance(&self, by: chrono::Duration) {
        self.set(self.now() + by);
    }

    /// Resolves once the clock reads `at` or later (at once if it already does).
    pub async fn sleep_until(&self, at: DateTime<Utc>) {
        match &self.manual {
            Some(now) => {
                let mut rx = now.subscribe();
                // The sender lives in `self`, so the wait cannot end for want of it.
                let _ = rx.wait_for(|now| *now >= at).await;
            }
            None => loop {
                let left = (at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
                if left.is_zero() {
                    return;
                }
                tokio::time::sleep(left.min(SYSTEM_RECHECK)).await;
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    #[tokio::test]
    async fn a_manual_clock_wakes_a_sleeper_when_set_past_its_time_and_never_goes_back() {
        let clock = Clock::manual(at(1_000));
        let sleeper = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep_until(at(1_010)).await }
        });
        clock.set(at(1_005));
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished(), "woke before its time");
        clock.set(at(900));
        assert_eq!(
            clock.now(),
            at(1_005),
            "a clock set back stays where it was"
        );
        clock.advance(chrono::Duration::seconds(5));
        tokio::time::timeout(Duration::from_secs(5), sleeper)
            .await
            .expect("the sleeper wakes once the clock reaches its time")
            .unwrap();
    }

    #[tokio::test]
    async fn the_system_clock_returns_at_once_for_a_time_already_past() {
        let clock = Clock::system();
        tokio::time::timeout(
            Duration::from_secs(5),
            clock.sleep_until(Utc::now() - chrono::Duration::seconds(1)),
        )
        .await
        .expect("no wait for a past time");
    }
}
