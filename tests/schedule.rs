//! Scheduled (embargoed) publishing through the real server: an article dated later than
//! now is stored (API, `vnfeed import`, both backends) but in no feed, page, archive, HTML
//! page or OPML until its time; the API calls it `scheduled` and lists it by status; at its
//! time it appears with no write (the timer, not the poll: the poll is set to a minute), its
//! feeds get new validators with `Last-Modified` = its time, and the WebSub hub is pinged.
//! Moving its time moves it; deleting it leaves no tombstone. Most tests run on a manual
//! clock the test moves; two run on the real clock with an article due seconds ahead.

mod common;

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use common::*;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use reqwest::header::{ACCEPT_ENCODING, ETAG, LAST_MODIFIED};
use serde_json::json;
use vnfeed::store::{Clock, FeedKey};

/// The manual clock's start: 22:00 in Hà Nội the evening before the embargo.
const EVENING: &str = "2026-11-26T15:00:00Z";
/// The embargo: 06:00 the next morning in Hà Nội.
const MORNING: &str = "2026-11-26T23:00:00Z";
const MORNING_HTTP: &str = "Thu, 26 Nov 2026 23:00:00 GMT";
const MORNING_VN: &str = "2026-11-27T06:00:00+07:00";
const SCHEDULED_TITLE: &str = "Khai mạc hội chợ biên giới Việt - Trung";

/// The poll is a minute: only the timer can deliver a due article within the waits below.
const NO_POLL: &[&str] = &["--poll-ms", "60000"];

/// A safety net for waits, not a timing goal: the time taken is printed.
const LIMIT: Duration = Duration::from_secs(15);

/// Every document a reader could find an article in, except its own page.
const DOCUMENTS: &[&str] = &[
    "/feeds/all.rss",
    "/feeds/all.atom",
    "/feeds/all.json",
    "/feeds/borders.rss",
    "/feeds/borders.atom",
    "/feeds/borders.json",
    "/feeds/borders/archive/1.rss",
    "/feeds/borders/archive/1.atom",
    "/feeds/borders/archive/1.json",
    "/categories/borders",
    "/",
];

fn article(id: &str, title: &str, published: &str) -> String {
    json!({
        "id": id,
        "title": title,
        "published": published,
        "author": "Ngọc Thư",
        "summary": "Hội chợ thương mại biên giới năm nay có hơn hai trăm gian hàng.",
        "body": "Hội chợ diễn ra trong năm ngày tại cửa khẩu.\n\nBa tỉnh biên giới cùng tham gia.",
        "categories": ["borders"],
    })
    .to_string()
}

fn say(what: &str) {
    let _ = writeln!(std::io::stderr(), "schedule: {what}");
}

/// Starts a server on `clock` with the API on, no samples, the poll off and `extra`, and
/// stores one article published before the clock's time, so every feed has a page.
async fn start(backend: &Backend, clock: &Clock, extra: &[&str]) -> TestServer {
    let flags = [&["--no-samples", "--api-token", TOKEN][..], NO_POLL, extra].concat();
    let server = TestServer::start_at(backend, &flags, clock.clone()).await;
    let old = article(
        "da-dang",
        "Tuần tra mốc quốc giới",
        "2026-11-20T08:00:00+07:00",
    );
    let posted = server.api("POST", "/api/articles", Some(&old)).await;
    assert_eq!(posted.status, 201, "{}", posted.json);
    assert_eq!(posted.json["status"], "published");
    server
}

/// Each document's status, ETag, Last-Modified and body.
async fn snapshot(server: &TestServer) -> Vec<(String, u16, String, String, String)> {
    let mut out = Vec::new();
    for path in DOCUMENTS {
        let r = server.get(path).send().await.unwrap();
        let h = |name| {
            r.headers()
                .get(name)
                .map_or(String::new(), |v: &reqwest::header::HeaderValue| {
                    v.to_str().unwrap().to_string()
                })
        };
        let (etag, modified) = (h(ETAG), h(LAST_MODIFIED));
        let status = r.status().as_u16();
        out.push((
            path.to_string(),
            status,
            etag,
            modified,
            r.text().await.unwrap(),
        ));
    }
    out
}

/// A WebSub hub on loopback that answers 204 and records each ping's `hub.url`.
struct Hub {
    url: String,
    topics: Arc<Mutex<Vec<String>>>,
}

impl Hub {
    async fn start() -> Hub {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hub", listener.local_addr().unwrap());
        let topics: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = Arc::clone(&topics);
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let seen = Arc::clone(&seen);
                let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let seen = Arc::clone(&seen);
                    async move {
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        for (k, v) in url::form_urlencoded::parse(&body) {
                            if k == "hub.url" {
                                seen.lock().unwrap().push(v.into_owned());
                            }
                        }
                        let resp = hyper::Response::builder()
                            .status(204)
                            .body(Full::new(Bytes::new()))
                            .unwrap();
                        Ok::<_, Infallible>(resp)
                    }
                });
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Hub { url, topics }
    }

    fn topics(&self) -> BTreeSet<String> {
        self.topics.lock().unwrap().iter().cloned().collect()
    }

    async fn wait_for(&self, topic: &str) {
        let start = Instant::now();
        while !self.topics().contains(topic) {
            assert!(
                start.elapsed() < LIMIT,
                "the hub never heard of {topic}: {:?}",
                self.topics()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn a_scheduled_article_is_shown_nowhere_until_the_clock_reaches_it_then_everywhere(
    backend: Backend,
) {
    let clock = Clock::manual(at(EVENING));
    let hub = Hub::start().await;
    let server = start(&backend, &clock, &["--hub", &hub.url]).await;
    let opml = server.get("/feeds.opml").send().await.unwrap();
    let opml = opml.bytes().await.unwrap();
    let before = snapshot(&server).await;
    // The published article's pings first, then only what the scheduled one causes.
    let pinged: Vec<String> = ["all", "borders"]
        .iter()
        .flat_map(|feed| {
            ["rss", "atom", "json"].map(|ext| format!("{}/feeds/{feed}.{ext}", server.url))
        })
        .collect();
    for topic in &pinged {
        hub.wait_for(topic).await;
    }
    hub.topics.lock().unwrap().clear();

    let posted = post_fair(&server, MORNING_VN).await;
    assert_eq!(posted.json["status"], "scheduled");
    let slug = posted.json["slug"].as_str().unwrap().to_string();
    let got = server.api("GET", "/api/articles/hoi-cho", None).await;
    assert_eq!(
        (got.json["status"].as_str(), got.json["published"].as_str()),
        (Some("scheduled"), Some(MORNING_VN))
    );
    let listed = server
        .api("GET", "/api/articles?status=scheduled", None)
        .await;
    let ids: Vec<_> = listed.json["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["hoi-cho"]);
    let published = server.api("GET", "/api/articles", None).await;
    assert_eq!(published.json["articles"].as_array().unwrap().len(), 1);
    assert_eq!(published.json["articles"][0]["id"], "da-dang");

    // Not in any document, byte for byte as before, validators included.
    assert_eq!(snapshot(&server).await, before);
    for path in ["/feeds/borders.atom?page=2", &format!("/articles/{slug}")] {
        let status = server.get(path).send().await.unwrap().status();
        assert_eq!(status, 404, "{path}");
    }
    let opml_now = server.get("/feeds.opml").send().await.unwrap();
    assert_eq!(opml_now.bytes().await.unwrap(), opml);

    // One second short of its time: still nothing.
    clock.set(at(MORNING) - chrono::Duration::seconds(1));
    let got = server.api("GET", "/api/articles/hoi-cho", None).await;
    assert_eq!(got.json["status"], "scheduled");
    assert_eq!(snapshot(&server).await, before);

    // Its time: it appears with no write, on the timer (the poll is a minute).
    let renders = server.metrics().await["vnfeed_feed_renders_total"];
    clock.set(at(MORNING));
    let took = server
        .wait_until("/feeds/borders.atom", LIMIT, "the article appears", |b| {
            b.contains(SCHEDULED_TITLE)
        })
        .await;
    say(&format!(
        "appeared {took:?} after the manual clock reached its time"
    ));
    // Only the feeds it is in were rendered again: `borders` and `all`, not `security` or
    // `party-affairs`.
    assert_eq!(
        server.metrics().await["vnfeed_feed_renders_total"] - renders,
        2.0
    );
    let after = snapshot(&server).await;
    for ((path, _, etag_before, _, _), (_, status, etag, modified, body)) in
        before.iter().zip(&after)
    {
        assert_eq!(*status, 200, "{path}");
        assert!(body.contains(SCHEDULED_TITLE), "{path}: not shown");
        assert_ne!(etag, etag_before, "{path}: same ETag");
        assert_eq!(modified, MORNING_HTTP, "{path}: Last-Modified");
    }
    let feed = parse_feed(after[4].4.as_bytes());
    assert_eq!(
        feed.entries[0].title.as_ref().unwrap().content,
        SCHEDULED_TITLE
    );
    let page = server
        .get(&format!("/articles/{slug}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let got = server.api("GET", "/api/articles/hoi-cho", None).await;
    assert_eq!(got.json["status"], "published");
    let listed = server
        .api("GET", "/api/articles?status=scheduled", None)
        .await;
    assert_eq!(listed.json["articles"], json!([]));
    for topic in &pinged {
        hub.wait_for(topic).await;
    }
    // Once each: storing it while scheduled pinged nothing; no other feed was pinged.
    let mut heard = hub.topics.lock().unwrap().clone();
    heard.sort();
    let mut expected = pinged.clone();
    expected.sort();
    assert_eq!(heard, expected);
    server.stop().await;
}

async fn moving_a_scheduled_articles_time_earlier_rearms_the_timer(backend: Backend) {
    let clock = Clock::manual(at(EVENING));
    let server = start(&backend, &clock, &[]).await;
    let late = article("hoi-cho", SCHEDULED_TITLE, "2026-11-28T06:00:00+07:00");
    let posted = server.api("POST", "/api/articles", Some(&late)).await;
    assert_eq!(posted.status, 201, "{}", posted.json);

    // Moved to the morning before: the timer, asleep until the 28th, must wake on the 27th.
    let early = article("hoi-cho", SCHEDULED_TITLE, MORNING_VN);
    let put = server
        .api("PUT", "/api/articles/hoi-cho", Some(&early))
        .await;
    assert_eq!(put.status, 200, "{}", put.json);
    assert_eq!(put.json["status"], "scheduled");
    clock.set(at(MORNING));
    server
        .wait_until("/feeds/borders.rss", LIMIT, "shown at its new time", |b| {
            b.contains(SCHEDULED_TITLE)
        })
        .await;
    let (_, modified, _) = fetch(&server, "/feeds/borders.rss").await;
    assert_eq!(modified, MORNING_HTTP);

    // Moved later again, past the clock: it leaves the feeds, and comes back at the new time.
    let again = article("hoi-cho", SCHEDULED_TITLE, "2026-11-27T08:00:00+07:00");
    let put = server
        .api("PUT", "/api/articles/hoi-cho", Some(&again))
        .await;
    assert_eq!(put.json["status"], "scheduled");
    let (_, _, body) = fetch(&server, "/feeds/borders.rss").await;
    assert!(!String::from_utf8(body).unwrap().contains(SCHEDULED_TITLE));
    clock.set(at("2026-11-27T01:00:00Z"));
    server
        .wait_until(
            "/feeds/borders.rss",
            LIMIT,
            "shown at its later time",
            |b| b.contains(SCHEDULED_TITLE),
        )
        .await;
    let (_, modified, _) = fetch(&server, "/feeds/borders.rss").await;
    assert_eq!(modified, "Fri, 27 Nov 2026 01:00:00 GMT");
    server.stop().await;
}

async fn deleting_a_scheduled_article_leaves_no_tombstone(backend: Backend) {
    let clock = Clock::manual(at(EVENING));
    let server = start(&backend, &clock, &[]).await;
    post_fair(&server, MORNING_VN).await;
    let before = snapshot(&server).await;
    let deleted = server.api("DELETE", "/api/articles/hoi-cho", None).await;
    assert_eq!(deleted.status, 200, "{}", deleted.json);
    assert_eq!(deleted.json["tombstone"], false);
    let store = backend.open().await;
    assert_eq!(store.tombstones(FeedKey::All, 10).await.unwrap(), vec![]);
    let after = snapshot(&server).await;
    for (b, a) in before.iter().zip(&after) {
        assert_eq!((&b.0, b.1, &b.2, &b.4), (&a.0, a.1, &a.2, &a.4), "changed");
        assert!(!a.4.contains("hoi-cho"), "{}: mentions it", a.0);
    }
    // Its time passes: nothing appears.
    clock.set(at(MORNING) + chrono::Duration::minutes(1));
    let got = server.api("GET", "/api/articles/hoi-cho", None).await;
    assert_eq!(got.status, 404);
    let (_, _, body) = fetch(&server, "/feeds/borders.atom").await;
    let body = String::from_utf8(body).unwrap();
    assert!(!body.contains("hoi-cho") && !body.contains("deleted-entry"));

    // A published article, deleted, does leave one.
    let deleted = server.api("DELETE", "/api/articles/da-dang", None).await;
    assert_eq!(deleted.json["tombstone"], true);
    let kept = store.tombstones(FeedKey::All, 10).await.unwrap();
    assert_eq!(
        kept.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        ["da-dang"]
    );
    server.stop().await;
}

async fn the_editors_list_pages_and_filters_by_status(backend: Backend) {
    let clock = Clock::manual(at(EVENING));
    let server = start(&backend, &clock, &[]).await;
    for (id, hour) in [("c", 9), ("a", 7), ("b", 8)] {
        let when = format!("2026-11-27T{hour:02}:00:00+07:00");
        let r = server
            .api("POST", "/api/articles", Some(&article(id, id, &when)))
            .await;
        assert_eq!(r.status, 201, "{}", r.json);
    }
    let first = server
        .api(
            "GET",
            "/api/articles?status=scheduled&category=borders&limit=2",
            None,
        )
        .await;
    let ids = |reply: &ApiReply| -> Vec<String> {
        reply.json["articles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                assert_eq!(a["status"], "scheduled");
                a["id"].as_str().unwrap().to_string()
            })
            .collect()
    };
    assert_eq!(ids(&first), ["a", "b"], "soonest first");
    let next = first.json["next"].as_str().unwrap();
    assert_eq!(
        next,
        "/api/articles?category=borders&status=scheduled&limit=2&page=2"
    );
    let second = server.api("GET", next, None).await;
    assert_eq!(ids(&second), ["c"]);
    assert!(second.json.get("next").is_none(), "{}", second.json);
    for bad in ["status=draft", "page=0", "page=1001"] {
        let r = server
            .api("GET", &format!("/api/articles?{bad}"), None)
            .await;
        assert_eq!(r.status, 422, "{bad}: {}", r.json);
    }
    let anonymous = server
        .get("/api/articles?status=scheduled")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    server.stop().await;
}

async fn an_imported_future_article_is_stored_and_scheduled(backend: Backend) {
    let file = backend.path().join("hen-gio.json");
    std::fs::write(
        &file,
        article("nhap-hen-gio", SCHEDULED_TITLE, "2099-01-01T06:00:00+07:00"),
    )
    .unwrap();
    let out = vnfeed(&[
        "import",
        "--store",
        &backend.location,
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let server = TestServer::with_api(&backend, &[]).await;
    let got = server.api("GET", "/api/articles/nhap-hen-gio", None).await;
    assert_eq!(got.status, 200, "{}", got.json);
    assert_eq!(got.json["status"], "scheduled");
    for path in ["/feeds/all.atom", "/feeds/borders.rss", "/"] {
        let (_, _, body) = fetch(&server, path).await;
        assert!(!String::from_utf8(body).unwrap().contains(SCHEDULED_TITLE));
    }
    server.stop().await;
}

/// Posts the scheduled fair article, published at `published` (RFC 3339), and checks that
/// the API took it.
async fn post_fair(server: &TestServer, published: &str) -> ApiReply {
    let posted = server
        .api(
            "POST",
            "/api/articles",
            Some(&article("hoi-cho", SCHEDULED_TITLE, published)),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.json);
    posted
}

/// A time `ahead` from now on the real clock, in whole seconds (as stored).
fn due_in(ahead: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp() + ahead, 0).unwrap()
}

async fn on_the_real_clock_an_article_due_two_seconds_ahead_appears_at_its_time(backend: Backend) {
    let server = start(&backend, &Clock::system(), &[]).await;
    let due = due_in(2);
    post_fair(&server, &due.to_rfc3339()).await;
    let (etag, _, body) = fetch(&server, "/feeds/borders.atom").await;
    assert!(
        Utc::now() >= due || !String::from_utf8(body).unwrap().contains(SCHEDULED_TITLE),
        "shown before its time"
    );
    server
        .wait_until("/feeds/borders.atom", LIMIT, "the article appears", |b| {
            b.contains(SCHEDULED_TITLE)
        })
        .await;
    let seen = Utc::now();
    assert!(seen >= due, "appeared before its time");
    say(&format!(
        "real clock ({:?}): served {} ms after its time",
        backend.kind,
        (seen - due).num_milliseconds()
    ));
    let (etag_after, modified, _) = fetch(&server, "/feeds/borders.atom").await;
    assert_ne!(etag_after, etag);
    assert_eq!(
        modified,
        due.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
    );
    server.stop().await;
}

on_both_backends!(
    a_scheduled_article_is_shown_nowhere_until_the_clock_reaches_it_then_everywhere,
    moving_a_scheduled_articles_time_earlier_rearms_the_timer,
    deleting_a_scheduled_article_leaves_no_tombstone,
    the_editors_list_pages_and_filters_by_status,
    an_imported_future_article_is_stored_and_scheduled,
    on_the_real_clock_an_article_due_two_seconds_ahead_appears_at_its_time,
);

/// Every feed in every coding, as a client would fetch it.
async fn feeds_of(server: &TestServer) -> Vec<(String, String, String, Vec<u8>)> {
    let mut seen = Vec::new();
    for feed in ["all", "borders", "security"] {
        for ext in ["rss", "atom", "json"] {
            for coding in ["identity", "gzip", "br"] {
                let path = format!("/feeds/{feed}.{ext}");
                let r = server.get_with(&path, &[(ACCEPT_ENCODING, coding)]).await;
                assert_eq!(r.status(), 200, "{path}");
                let etag = header(&r, ETAG);
                let modified = maybe_header(&r, LAST_MODIFIED).unwrap_or_default();
                let body = r.bytes().await.unwrap().to_vec();
                seen.push((format!("{path} {coding}"), etag, modified, body));
            }
        }
    }
    seen
}

/// Two replicas on one PostgreSQL database, on the real clock, each with its own timer and
/// the poll off: both publish an article due seconds ahead, with byte-identical feeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_postgres_replica_publishes_a_scheduled_article_with_identical_feeds() {
    let Some(backend) = Backend::postgres("schedule::every_replica_publishes").await else {
        return;
    };
    let flags = ["--base-url", "https://tin.example"];
    let a = start(&backend, &Clock::system(), &flags).await;
    let b = TestServer::start_at(
        &backend,
        &[&["--no-samples", "--api-token", TOKEN][..], NO_POLL, &flags].concat(),
        Clock::system(),
    )
    .await;
    // Three seconds: B must first hear of the write (NOTIFY) to know when to wake.
    let due = due_in(3);
    post_fair(&a, &due.to_rfc3339()).await;
    let (ta, tb) = tokio::join!(
        a.wait_until("/feeds/borders.atom", LIMIT, "A publishes", |body| body
            .contains(SCHEDULED_TITLE)),
        b.wait_until("/feeds/borders.atom", LIMIT, "B publishes", |body| body
            .contains(SCHEDULED_TITLE)),
    );
    let seen = Utc::now();
    assert!(seen >= due, "published before its time");
    say(&format!(
        "replicas: both served it by {} ms after its time (A waited {ta:?}, B {tb:?})",
        (seen - due).num_milliseconds()
    ));
    let (fa, fb) = (feeds_of(&a).await, feeds_of(&b).await);
    let expected = due.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    for (x, y) in fa.iter().zip(&fb) {
        assert_eq!((&x.0, &x.1, &x.2), (&y.0, &y.1, &y.2), "validators differ");
        assert!(x.3 == y.3, "{}: the replicas serve different bytes", x.0);
        if !x.0.contains("security") {
            assert_eq!(x.2, expected, "{}: Last-Modified", x.0);
        }
    }
    a.stop().await;
    b.stop().await;
}
