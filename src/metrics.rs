//! Operational metrics for `/metrics`, in the Prometheus text exposition (the OpenMetrics
//! text format, which Prometheus reads): requests by route and status, the share of
//! conditional-capable GETs answered 304, feed renders and their times, store errors, and
//! how long ago the last change notification arrived. One set per server; counting is a
//! few atomic adds, so it stays on the request path.

use std::sync::OnceLock;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelSet, text};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::store::Store;

/// The routes whose answers carry validators (ETag, Last-Modified): the 304 share is theirs.
pub const VALIDATED_ROUTES: [&str; 7] = [
    "feed", "index", "category", "opml", "archive", "article", "media",
];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    status: u16,
}

pub struct Metrics {
    registry: Registry,
    /// Shown only for stores that push changes (PostgreSQL).
    notifications: Registry,
    /// One scrape at a time: the gauges are set from the store just before encoding.
    scrape: std::sync::Mutex<()>,
    requests: Family<RequestLabels, Counter>,
    /// `requests`' counters for 200 and 304 of the routes that carry validators, by
    /// [`VALIDATED_ROUTES`] index then status: found without hashing or locking, since
    /// aggregators poll those by the thousand. Also what the 304 share is computed from.
    validated: [[OnceLock<Counter>; 2]; VALIDATED_ROUTES.len()],
    not_modified_share: Gauge<f64, AtomicU64>,
    renders: Counter,
    render_seconds: Histogram,
    store_errors: Counter,
    revision: Gauge,
    notification_age: Gauge<f64, AtomicU64>,
    listening: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("vnfeed");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route and status",
            requests.clone(),
        );
        let not_modified_share = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "http_not_modified_share",
            "Share of GETs of the index, feeds and articles answered 304 Not Modified since start",
            not_modified_share.clone(),
        );
        let renders = Counter::default();
        registry.register(
            "feed_renders",
            "Feeds rendered (every format and coding of one feed)",
            renders.clone(),
        );
        // 0.5 ms to 4 s.
        let render_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 14));
        registry.register(
            "feed_render_seconds",
            "Time to render and compress one feed",
            render_seconds.clone(),
        );
        let store_errors = Counter::default();
        registry.register(
            "store_errors",
            "Store operations that failed (unreachable database, I/O, corrupt rows)",
            store_errors.clone(),
        );
        let revision = Gauge::default();
        registry.register(
            "rendered_revision",
            "The store revision the served feeds reflect (-1 before the first render)",
            revision.clone(),
        );
        let mut notifications = Registry::with_prefix("vnfeed");
        let notification_age = Gauge::<f64, AtomicU64>::default();
        notifications.register(
            "change_notification_age_seconds",
            "Seconds since the last change notification from the database (replication lag \
             bound: a replica has heard of every change older than this); -1 before the first",
            notification_age.clone(),
        );
        let listening = Gauge::default();
        notifications.register(
            "change_listener_connected",
            "1 while the change listener is connected to the database, 0 while it reconnects",
            listening.clone(),
        );
        Metrics {
            registry,
            notifications,
            scrape: std::sync::Mutex::new(()),
            requests,
            validated: Default::default(),
            not_modified_share,
            renders,
            render_seconds,
            store_errors,
            revision,
            notification_age,
            listening,
        }
    }

    /// One answered request, counted under `route`, a label from a fixed set.
    pub fn request(&self, route: &'static str, status: u16) {
        let labels = RequestLabels { route, status };
        let slot = match status {
            200 => 0,
            304 => 1,
            _ => {
                self.requests.get_or_create(&labels).inc();
                return;
            }
        };
        match VALIDATED_ROUTES.iter().position(|r| *r == route) {
            Some(i) => self.validated[i][slot]
                .get_or_init(|| self.requests.get_or_create(&labels).clone())
                .inc(),
            None => self.requests.get_or_create(&labels).inc(),
        };
    }

    /// One feed rendered in every format and coding, taking `took`.
    pub fn rendered(&self, took: Duration) {
        self.renders.inc();
        self.render_seconds.observe(took.as_secs_f64());
    }

    /// The metrics as of now, with the gauges read from `store` and `revision` first.
    pub fn encode(&self, store: &dyn Store, revision: i64) -> String {
        let _one_at_a_time = self.scrape.lock().unwrap_or_else(|e| e.into_inner());
        self.revision.set(revision);
        let errors = store.error_count();
        let counted = self.store_errors.get();
        if errors > counted {
            self.store_errors.inc_by(errors - counted);
        }
        // A 200 or 304 of these routes answers a GET or HEAD: anything else gets a 405.
        let count = |slot: usize| -> u64 {
            self.validated
                .iter()
                .filter_map(|statuses| statuses[slot].get())
                .map(Counter::get)
                .sum()
        };
        let (ok, not_modified) = (count(0), count(1));
        let share = match ok + not_modified {
            0 => 0.0,
            n => not_modified as f64 / n as f64,
        };
        self.not_modified_share.set(share);
        let mut text = String::new();
        let written = text::encode_registry(&mut text, &self.registry).and_then(|()| {
            if let Some(notices) = store.change_notices() {
                let notices = *notices.borrow();
                let age = notices.last.map_or(-1.0, |at| at.elapsed().as_secs_f64());
                self.notification_age.set(age);
                self.listening.set(i64::from(notices.listening));
                text::encode_registry(&mut text, &self.notifications)?;
            }
            text::encode_eof(&mut text)
        });
        written.expect("writing to a String cannot fail");
        text
    }
}
