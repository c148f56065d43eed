//! Eight writers publish 200 articles each while readers poll every feed with conditional
//! GET: no error status, no lost write, every body well-formed, and the final feeds hold
//! exactly the newest articles of what was written, in order. SQLite only, to keep the
//! suite within its time budget: it is the longest test here.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use chrono::{DateTime, Duration, Utc};
use common::*;
use serde_json::json;
use vnfeed::model::article_guid;

const WRITERS: usize = 8;
const EACH: usize = 200;
const CATEGORIES: [&str; 3] = ["security", "borders", "party-affairs"];
const FEEDS: [&str; 4] = ["all", "security", "borders", "party-affairs"];

/// Article `n` of the run: a distinct time (so the newest-first order is known) and one
/// category, taken in turn.
fn nth(n: usize) -> (String, DateTime<Utc>, &'static str) {
    let base: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-11-01T00:00:00+07:00")
        .unwrap()
        .into();
    (
        format!("ds-{n:04}"),
        base + Duration::minutes(n as i64),
        CATEGORIES[n % 3],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_writers_and_polling_readers_lose_nothing_and_see_only_well_formed_feeds() {
    let backend = Backend::sqlite();
    let server = Arc::new(TestServer::with_api(&backend, &[]).await);
    let done = Arc::new(AtomicBool::new(false));
    let (fresh, unchanged) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));

    let mut readers = tokio::task::JoinSet::new();
    for r in 0..2 {
        let (server, done) = (Arc::clone(&server), Arc::clone(&done));
        let (fresh, unchanged) = (Arc::clone(&fresh), Arc::clone(&unchanged));
        readers.spawn(async move {
            // One client per reader, keeping its connections alive, as an aggregator would.
            let http = client();
            let mut etags: HashMap<String, String> = HashMap::new();
            while !done.load(Ordering::Acquire) {
                for slug in FEEDS {
                    let path = format!("/feeds/{slug}.{}", ["rss", "atom"][r]);
                    let mut req = http.get(format!("{}{path}", server.url));
                    if let Some(etag) = etags.get(&path) {
                        req = req.header("if-none-match", etag);
                    }
                    let resp = req.send().await.unwrap();
                    match resp.status().as_u16() {
                        304 => {
                            unchanged.fetch_add(1, Ordering::Relaxed);
                        }
                        200 => {
                            let etag = resp.headers()["etag"].to_str().unwrap().to_string();
                            assert_well_formed(&resp.bytes().await.unwrap());
                            etags.insert(path, etag);
                            fresh.fetch_add(1, Ordering::Relaxed);
                        }
                        other => panic!("{path}: status {other}"),
                    }
                }
                // An aggregator's pace, compressed: often enough to catch every change.
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        });
    }

    let mut writers = tokio::task::JoinSet::new();
    for w in 0..WRITERS {
        let server = Arc::clone(&server);
        writers.spawn(async move {
            let http = client();
            for i in 0..EACH {
                let (id, published, category) = nth(i * WRITERS + w);
                let body = json!({
                    "id": id, "title": format!("Tin đồng thời {id}"),
                    "published": published.to_rfc3339(), "body": "Nội dung.",
                    "categories": [category],
                });
                let req = http
                    .post(format!("{}/api/articles", server.url))
                    .bearer_auth(TOKEN)
                    .header("content-type", "application/json")
                    .body(body.to_string());
                let reply = ApiReply::from(req.send().await.unwrap()).await;
                assert_eq!(reply.status, 201, "{id}: {}", reply.json);
            }
        });
    }
    while let Some(w) = writers.join_next().await {
        w.unwrap();
    }
    done.store(true, Ordering::Release);
    while let Some(r) = readers.join_next().await {
        r.unwrap();
    }
    eprintln!(
        "readers got {} fresh feeds and {} 304s while {} articles were written",
        fresh.load(Ordering::Relaxed),
        unchanged.load(Ordering::Relaxed),
        WRITERS * EACH
    );

    let total = WRITERS * EACH;
    let store = backend.open_for_copy().await;
    assert_eq!(store.count_stored().await.unwrap(), total as u64);
    for n in 0..total {
        let (id, published, category) = nth(n);
        let stored = store.by_id(&id).await.unwrap().expect("no write lost");
        assert_eq!(
            (stored.published, stored.categories),
            (published, vec![category.to_string()])
        );
    }
    for slug in FEEDS {
        let mut expected: Vec<(DateTime<Utc>, String)> = (0..total)
            .map(nth)
            .filter(|(_, _, c)| slug == "all" || *c == slug)
            .map(|(id, published, _)| (published, article_guid(&id)))
            .collect();
        expected.sort_by(|a, b| b.cmp(a));
        let expected: Vec<String> = expected.into_iter().take(50).map(|(_, g)| g).collect();
        for ext in ["rss", "atom"] {
            let (_, _, body) = fetch(&server, &format!("/feeds/{slug}.{ext}")).await;
            let got: Vec<String> = parse_feed(&body)
                .entries
                .into_iter()
                .map(|e| e.id)
                .collect();
            assert_eq!(got, expected, "{slug}.{ext}");
        }
    }
    Arc::try_unwrap(server).ok().unwrap().stop().await;
}
