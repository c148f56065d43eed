//! Operational metrics for `/metrics`, in the Prometheus text exposition (the OpenMetrics
//! text format, which Prometheus reads): requests by route and status, the share of
//! conditional-capable GETs answered 304, feed renders and their times, older pages and
//! archive pages rendered on demand, the document cache's hits and size, requests turned
//! away by a full render queue, store errors, and how long ago the last change
//! notification arrived. One set per server; counting is a
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

/// The route a request is counted under: a fixed set, so the label cannot grow with what
/// clients send. The router names a request's route with it and the counters read it, so a
/// route cannot be renamed on one side only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteLabel {
    Index,
    Health,
    Metrics,
    Opml,
    Category,
    Feed,
    Archive,
    Media,
    Article,
    Api,
    Unknown,
}

/// How many routes carry validators (see [`RouteLabel::validated`]).
const VALIDATED_ROUTES: usize = 7;

impl RouteLabel {
    pub const fn as_str(self) -> &'static str {
        match self {
            RouteLabel::Index => "index",
            RouteLabel::Health => "health",
            RouteLabel::Metrics => "metrics",
            RouteLabel::Opml => "opml",
            RouteLabel::Category => "category",
            RouteLabel::Feed => "feed",
            RouteLabel::Archive => "archive",
            RouteLabel::Media => "media",
            RouteLabel::Article => "article",
            RouteLabel::Api => "api",
            RouteLabel::Unknown => "unknown",
        }
    }

    /// For the routes whose answers carry validators (ETag, Last-Modified), and so whose
    /// 304s make the 304 share, their slot among those counters.
    const fn validated(self) -> Option<usize> {
        match self {
            RouteLabel::Feed => Some(0),
            RouteLabel::Index => Some(1),
            RouteLabel::Category => Some(2),
            RouteLabel::Opml => Some(3),
            RouteLabel::Archive => Some(4),
            RouteLabel::Article => Some(5),
            RouteLabel::Media => Some(6),
            RouteLabel::Health | RouteLabel::Metrics | RouteLabel::Api | RouteLabel::Unknown => {
                None
            }
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    status: u16,
}

/// What the document cache holds, as `/metrics` shows it.
#[derive(Debug, Clone, Copy, Default)]
pub struct DocumentCacheSize {
    pub bytes: u64,
    pub entries: u64,
    pub capacity: u64,
    pub pinned: u64,
}

pub struct Metrics {
    registry: Registry,
    /// Shown only for stores that push changes (PostgreSQL).
    notifications: Registry,
    /// One scrape at a time: the gauges are set from the store just before encoding.
    scrape: std::sync::Mutex<()>,
    requests: Family<RequestLabels, Counter>,
    /// `requests`' counters for 200 and 304 of the routes that carry validators, by
    /// [`RouteLabel::validated`] slot then status: found without hashing or locking, since
    /// aggregators poll those by the thousand. Also what the 304 share is computed from.
    validated: [[OnceLock<Counter>; 2]; VALIDATED_ROUTES],
    not_modified_share: Gauge<f64, AtomicU64>,
    renders: Counter,
    render_seconds: Histogram,
    document_renders: Family<KindLabels, Counter>,
    document_render_seconds: Histogram,
    document_hits: Counter,
    document_misses: Counter,
    render_rejected: Counter,
    document_cache_bytes: Gauge,
    document_cache_entries: Gauge,
    document_cache_capacity: Gauge,
    pinned_bytes: Gauge,
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
        let document_renders = Family::<KindLabels, Counter>::default();
        registry.register(
            "document_renders",
            "Older pages (kind=page) and archive pages (kind=archive) rendered on a cache miss, \
             one format in every coding",
            document_renders.clone(),
        );
        let document_render_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 14));
        registry.register(
            "document_render_seconds",
            "Time to read, render and compress one older page or archive page",
            document_render_seconds.clone(),
        );
        let document_hits = Counter::default();
        registry.register(
            "document_cache_hits",
            "Older pages and archive pages answered from the cache (or from a render another \
             request started)",
            document_hits.clone(),
        );
        let document_misses = Counter::default();
        registry.register(
            "document_cache_misses",
            "Older pages and archive pages not in the cache when asked for",
            document_misses.clone(),
        );
        let render_rejected = Counter::default();
        registry.register(
            "render_queue_rejected",
            "Requests answered 503 because every render worker was busy and the queue full",
            render_rejected.clone(),
        );
        let document_cache_bytes = Gauge::default();
        registry.register(
            "document_cache_bytes",
            "Bytes of older pages and archive pages kept (every coding)",
            document_cache_bytes.clone(),
        );
        let document_cache_entries = Gauge::default();
        registry.register(
            "document_cache_entries",
            "Older pages and archive pages kept (one per feed, document and format)",
            document_cache_entries.clone(),
        );
        let document_cache_capacity = Gauge::default();
        registry.register(
            "document_cache_capacity_bytes",
            "What older pages and archive pages may take: --cache-bytes less the pinned bytes",
            document_cache_capacity.clone(),
        );
        let pinned_bytes = Gauge::default();
        registry.register(
            "pinned_document_bytes",
            "Bytes of page 1 of every feed and of the HTML pages, always kept (every coding)",
            pinned_bytes.clone(),
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
            document_renders,
            document_render_seconds,
            document_hits,
            document_misses,
            render_rejected,
            document_cache_bytes,
            document_cache_entries,
            document_cache_capacity,
            pinned_bytes,
            store_errors,
            revision,
            notification_age,
            listening,
        }
    }

    /// One answered request, counted under `route`, a label from a fixed set.
    pub fn request(&self, route: RouteLabel, status: u16) {
        let labels = RequestLabels {
            route: route.as_str(),
            status,
        };
        let slot = match status {
            200 => 0,
            304 => 1,
            _ => {
                self.requests.get_or_create(&labels).inc();
                return;
            }
        };
        match route.validated() {
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

    /// One older page (`kind` "page") or archive page ("archive") rendered, taking `took`.
    pub fn document_rendered(&self, kind: &'static str, took: Duration) {
        self.document_renders
            .get_or_create(&KindLabels { kind })
            .inc();
        self.document_render_seconds.observe(took.as_secs_f64());
    }

    /// An older page or archive page found in the cache (`true`) or not.
    pub fn document_lookup(&self, hit: bool) {
        if hit {
            self.document_hits.inc();
        } else {
            self.document_misses.inc();
        }
    }

    /// A request turned away with 503: the render queue was full.
    pub fn render_rejected(&self) {
        self.render_rejected.inc();
    }

    /// The document cache's size now, for the next scrape.
    pub fn document_cache(&self, size: DocumentCacheSize) {
        let gauge = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.document_cache_bytes.set(gauge(size.bytes));
        self.document_cache_entries.set(gauge(size.entries));
        self.document_cache_capacity.set(gauge(size.capacity));
        self.pinned_bytes.set(gauge(size.pinned));
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
