//! Issue 11, section 1: older pages (`?page=N`) and archive pages come from a cache bounded
//! in bytes, are rendered once on a bounded pool (one render for many identical requests),
//! are refused with 503 and Retry-After when the pool is full, and are dropped exactly when
//! a write touches their feed. Full archive pages are not promised immutable: a takedown
//! changes them. Real server on port 0, real stores, renders counted through `/metrics`.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use common::*;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, ETAG, RETRY_AFTER};
use vnfeed::model::{Block, Draft, article_guid};
use vnfeed::store::Store;

on_both_backends!(
    older_pages_and_archive_pages_are_rendered_once_then_served_from_the_cache,
    a_write_or_takedown_drops_the_documents_of_exactly_the_feeds_it_touched,
);

fn draft(n: usize, category: &str, paragraphs: usize) -> Draft {
    let t0: DateTime<Utc> = "2021-03-01T01:00:00Z".parse().unwrap();
    Draft {
        id: format!("{category}-{n:04}"),
        title: format!("Bản tin {category} số {n}"),
        summary: format!("Tóm tắt bản tin số {n}."),
        body: (0..paragraphs)
            .map(|p| Block::Paragraph {
                text: format!("Đoạn {p} của bản tin số {n}: tổ công tác kiểm tra mốc quốc giới."),
            })
            .collect(),
        author: Some("Phóng viên thường trú".into()),
        published: t0 + Duration::hours(n as i64),
        updated: None,
        categories: vec![category.to_string()],
        categorized: vnfeed::model::Categorized::ByRules,
        url: None,
        image: None,
        tags: Vec::new(),
    }
}

/// `count` articles of `category`, numbered from `from`, written as an importer would.
async fn fill(store: &dyn Store, category: &str, from: usize, count: usize, paragraphs: usize) {
    let drafts: Vec<Draft> = (from..from + count)
        .map(|n| draft(n, category, paragraphs))
        .collect();
    for batch in drafts.chunks(100) {
        store.upsert(batch.to_vec(), Utc::now()).await.unwrap();
    }
}

/// A series of `/metrics`, 0 when absent (a counter not yet touched is not shown).
fn series(m: &BTreeMap<String, f64>, name: &str) -> f64 {
    m.get(name).copied().unwrap_or(0.0)
}

const PAGE_RENDERS: &str = "vnfeed_document_renders_total{kind=\"page\"}";
const ARCHIVE_RENDERS: &str = "vnfeed_document_renders_total{kind=\"archive\"}";

/// The renders counter must be there at all: a server that renders per request without
/// counting would pass every "no more renders" check.
async fn renders(server: &TestServer) -> (f64, f64) {
    let m = server.metrics().await;
    assert!(
        m.contains_key("vnfeed_document_cache_misses_total"),
        "no document cache in /metrics: {m:?}"
    );
    (series(&m, PAGE_RENDERS), series(&m, ARCHIVE_RENDERS))
}

async fn get(server: &TestServer, path: &str, coding: &str) -> reqwest::Response {
    server
        .get(path)
        .header(ACCEPT_ENCODING, coding)
        .send()
        .await
        .unwrap()
}

async fn older_pages_and_archive_pages_are_rendered_once_then_served_from_the_cache(
    backend: Backend,
) {
    let store = backend.open().await;
    fill(store.as_ref(), "borders", 0, 230, 2).await;
    let server = TestServer::start(&backend, &["--no-samples"]).await;
    assert_eq!(renders(&server).await, (0.0, 0.0));

    for (path, kind) in [
        ("/feeds/borders.rss?page=2", 0),
        ("/feeds/borders/archive/1.atom", 1),
    ] {
        let before = renders(&server).await;
        let first = get(&server, path, "identity").await;
        assert_eq!(first.status(), StatusCode::OK, "{path}");
        let etag = first.headers()[ETAG].to_str().unwrap().to_string();
        let bytes = first.bytes().await.unwrap();
        assert_well_formed(&bytes);
        // Again, and in each coding: all from the one render.
        for coding in ["identity", "gzip", "br", "gzip, br"] {
            let again = get(&server, path, coding).await;
            assert_eq!(again.status(), StatusCode::OK, "{path} {coding}");
            if coding == "identity" {
                assert_eq!(again.headers()[ETAG].to_str().unwrap(), etag);
                assert_eq!(again.bytes().await.unwrap(), bytes, "{path}: same bytes");
            } else if coding == "gzip" {
                let gz = again.bytes().await.unwrap();
                assert_eq!(
                    gunzip(&gz),
                    bytes.to_vec(),
                    "{path}: gzip is the same document"
                );
            }
        }
        let after = renders(&server).await;
        let rendered = if kind == 0 {
            after.0 - before.0
        } else {
            after.1 - before.1
        };
        assert_eq!(rendered, 1.0, "{path}: one render for five GETs");
    }
    let m = server.metrics().await;
    assert!(
        series(&m, "vnfeed_document_cache_hits_total") >= 8.0,
        "{m:?}"
    );
    assert_eq!(series(&m, "vnfeed_document_cache_misses_total"), 2.0);
    // Another format of the same page is another document.
    let json = get(&server, "/feeds/borders.json?page=2", "gzip").await;
    assert_eq!(json.status(), StatusCode::OK);
    assert_eq!(renders(&server).await.0, 2.0);
    // A page past the last is answered 404 from the cache the second time.
    for _ in 0..2 {
        let past = get(&server, "/feeds/borders.rss?page=999", "gzip").await;
        assert_eq!(past.status(), StatusCode::NOT_FOUND);
    }
    assert_eq!(renders(&server).await.0, 3.0);
    server.stop().await;
}

async fn a_write_or_takedown_drops_the_documents_of_exactly_the_feeds_it_touched(backend: Backend) {
    let store = backend.open().await;
    fill(store.as_ref(), "borders", 0, 230, 1).await;
    fill(store.as_ref(), "security", 0, 120, 1).await;
    let server = TestServer::with_api(&backend, &[]).await;
    let taken_down = "borders-0042";
    let archive = "/feeds/borders/archive/1.atom";
    let security_page = "/feeds/security.atom?page=2";

    let before = get(&server, archive, "identity").await;
    assert_eq!(before.status(), StatusCode::OK);
    let full_page = before.bytes().await.unwrap();
    assert!(entry_ids(&full_page).contains(&article_guid(taken_down)));
    let security_before = get(&server, security_page, "identity").await;
    let security_etag = security_before.headers()[ETAG].clone();
    let borders_page2 = entry_ids(
        &get(&server, "/feeds/borders.atom?page=2", "identity")
            .await
            .bytes()
            .await
            .unwrap(),
    );
    let counted = renders(&server).await;
    assert_eq!(counted, (2.0, 1.0));

    // A takedown through the API: the full archive page holding the article changes, and its
    // headers never promised caches that it would not.
    let deleted = server
        .api("DELETE", &format!("/api/articles/{taken_down}"), None)
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.json);
    let after = get(&server, archive, "identity").await;
    assert_eq!(after.status(), StatusCode::OK);
    let cache_control = after.headers()[CACHE_CONTROL].to_str().unwrap().to_string();
    assert!(!cache_control.contains("immutable"), "{cache_control}");
    assert_eq!(cache_control, "public, max-age=86400");
    let ids = entry_ids(&after.bytes().await.unwrap());
    assert!(!ids.contains(&article_guid(taken_down)), "taken down");
    assert_eq!(ids.len(), 99);
    // The other feed's documents were kept: no render, the same validator.
    let security_again = get(&server, security_page, "identity").await;
    assert_eq!(security_again.headers()[ETAG], security_etag);
    assert_eq!(renders(&server).await, (2.0, 2.0));

    // A new article shifts every page of its feed: page 2 is rendered again and now starts
    // with what was the last entry of page 1.
    let page1 = entry_ids(
        &get(&server, "/feeds/borders.atom", "identity")
            .await
            .bytes()
            .await
            .unwrap(),
    );
    let created = server
        .api(
            "POST",
            "/api/articles",
            Some(
                &serde_json::json!({
                    "id": "borders-9000",
                    "title": "Bản tin biên giới mới nhất",
                    "published": "2025-01-01T08:00:00+07:00",
                    "summary": "Tin mới.",
                    "content_html": "<p>Tin mới.</p>",
                    "categories": ["borders"],
                })
                .to_string(),
            ),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.json);
    let shifted = entry_ids(
        &get(&server, "/feeds/borders.atom?page=2", "identity")
            .await
            .bytes()
            .await
            .unwrap(),
    );
    assert_eq!(shifted[0], *page1.last().unwrap());
    assert_eq!(shifted[1..], borders_page2[..borders_page2.len() - 1]);
    let security_again = get(&server, security_page, "identity").await;
    assert_eq!(security_again.headers()[ETAG], security_etag);
    assert_eq!(renders(&server).await, (3.0, 2.0));
    server.stop().await;
}

fn entry_ids(bytes: &[u8]) -> Vec<String> {
    atom_syndication::Feed::read_from(bytes)
        .unwrap()
        .entries()
        .iter()
        .map(|e| e.id().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_stays_under_its_byte_bound_with_many_distinct_documents() {
    let backend = Backend::sqlite();
    let store = backend.open().await;
    fill(store.as_ref(), "borders", 0, 600, 3).await;
    let bound = 1u64 << 20;
    let server = TestServer::start(
        &backend,
        &["--no-samples", "--cache-bytes", "1MiB", "--limit", "10"],
    )
    .await;
    // 60 pages and 6 archive pages in three formats: several times the bound.
    let mut paths = Vec::new();
    for ext in ["rss", "atom", "json"] {
        paths.extend((2..=60).map(|n| format!("/feeds/borders.{ext}?page={n}")));
        paths.extend((1..=6).map(|n| format!("/feeds/borders/archive/{n}.{ext}")));
    }
    let mut served = 0u64;
    for path in &paths {
        let resp = get(&server, path, "gzip, br").await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        served += resp.bytes().await.unwrap().len() as u64;
        let m = server.metrics().await;
        let kept = series(&m, "vnfeed_document_cache_bytes");
        let capacity = series(&m, "vnfeed_document_cache_capacity_bytes");
        let pinned = series(&m, "vnfeed_pinned_document_bytes");
        assert!(pinned > 0.0, "page 1 of every feed is counted: {m:?}");
        assert_eq!(capacity + pinned, bound as f64, "the bound is shared");
        assert!(
            kept <= capacity,
            "{path}: {kept} bytes kept, over {capacity}"
        );
    }
    let m = server.metrics().await;
    let renders = series(&m, PAGE_RENDERS) + series(&m, ARCHIVE_RENDERS);
    assert_eq!(renders, paths.len() as f64);
    let entries = series(&m, "vnfeed_document_cache_entries");
    assert!(
        entries < paths.len() as f64,
        "some were evicted: {entries} of {}",
        paths.len()
    );
    assert!(served > 0);
    // Page 1 is pinned: still answered from the feed cache, every feed.
    for feed in ["all", "borders", "security", "party-affairs"] {
        let resp = get(&server, &format!("/feeds/{feed}.rss"), "gzip").await;
        assert_eq!(resp.status(), StatusCode::OK);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_concurrent_requests_share_one_render() {
    let backend = Backend::sqlite();
    let store = backend.open().await;
    fill(store.as_ref(), "borders", 0, 300, 20).await;
    // One worker and no queue: a flood of one URL must still cost one render and no 503.
    let server = Arc::new(
        TestServer::start(
            &backend,
            &[
                "--no-samples",
                "--render-workers",
                "1",
                "--render-queue",
                "0",
            ],
        )
        .await,
    );
    let path = "/feeds/borders/archive/2.json";
    let mut flood = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let server = Arc::clone(&server);
        flood.spawn(async move {
            let resp = get(&server, path, "gzip").await;
            let status = resp.status();
            let etag = resp
                .headers()
                .get(ETAG)
                .map(|v| v.to_str().unwrap().to_string());
            (status, etag)
        });
    }
    let mut etags = std::collections::BTreeSet::new();
    while let Some(done) = flood.join_next().await {
        let (status, etag) = done.unwrap();
        assert_eq!(status, StatusCode::OK);
        etags.insert(etag.unwrap());
    }
    assert_eq!(etags.len(), 1, "{etags:?}");
    assert_eq!(renders(&server).await, (0.0, 1.0));
    let m = server.metrics().await;
    assert_eq!(series(&m, "vnfeed_document_cache_misses_total"), 1.0);
    assert_eq!(series(&m, "vnfeed_document_cache_hits_total"), 31.0);
    Arc::into_inner(server).unwrap().stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_render_queue_answers_503_with_retry_after_and_spares_page_1_health_and_writes() {
    let backend = Backend::sqlite();
    let store = backend.open().await;
    fill(store.as_ref(), "borders", 0, 600, 20).await;
    let server = Arc::new(
        TestServer::with_api(
            &backend,
            &[
                "--render-workers",
                "1",
                "--render-queue",
                "1",
                "--limit",
                "20",
            ],
        )
        .await,
    );
    // Distinct documents, all at once: one renders, one waits, the rest are turned away.
    let mut paths = Vec::new();
    for ext in ["rss", "atom", "json"] {
        paths.extend((1..=6).map(|n| format!("/feeds/borders/archive/{n}.{ext}")));
        paths.extend((2..=8).map(|n| format!("/feeds/borders.{ext}?page={n}")));
    }
    let mut flood = tokio::task::JoinSet::new();
    for path in paths.clone() {
        let server = Arc::clone(&server);
        flood.spawn(async move {
            let resp = get(&server, &path, "gzip").await;
            let retry = resp
                .headers()
                .get(RETRY_AFTER)
                .map(|v| v.to_str().unwrap().to_string());
            (path, resp.status(), retry)
        });
    }
    // Meanwhile page 1, /healthz and a write are answered as usual.
    for feed in ["all", "borders"] {
        assert_eq!(
            get(&server, &format!("/feeds/{feed}.rss"), "gzip")
                .await
                .status(),
            StatusCode::OK
        );
    }
    assert_eq!(
        get(&server, "/healthz", "identity").await.status(),
        StatusCode::OK
    );
    let created = server
        .api(
            "POST",
            "/api/articles",
            Some(
                &serde_json::json!({
                    "id": "an-ninh-1",
                    "title": "Tin an ninh trong lúc trang cũ bị dồn dập",
                    "published": "2025-01-01T08:00:00+07:00",
                    "summary": "Tin mới.",
                    "content_html": "<p>Tin mới.</p>",
                    "categories": ["security"],
                })
                .to_string(),
            ),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.json);

    let mut refused = Vec::new();
    while let Some(done) = flood.join_next().await {
        let (path, status, retry) = done.unwrap();
        match status {
            StatusCode::OK => {}
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(
                    retry.as_deref(),
                    Some("1"),
                    "{path}: 503 says when to retry"
                );
                refused.push(path);
            }
            other => panic!("{path}: {other}"),
        }
    }
    assert!(
        !refused.is_empty(),
        "{} distinct documents at once, one worker, a queue of one: some must be refused",
        paths.len()
    );
    let m = server.metrics().await;
    assert_eq!(
        series(&m, "vnfeed_render_queue_rejected_total"),
        refused.len() as f64
    );
    // Refused is not broken: once the flood is over, each is served.
    for path in &refused {
        assert_eq!(
            get(&server, path, "gzip").await.status(),
            StatusCode::OK,
            "{path}"
        );
    }
    Arc::into_inner(server).unwrap().stop().await;
}
