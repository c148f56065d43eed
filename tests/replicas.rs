//! Several stateless replicas on one PostgreSQL database, as deployed behind a load
//! balancer: they serve byte-identical feeds with identical validators, a write through one
//! is served by the other through LISTEN/NOTIFY (the revision poll is set to a minute so it
//! cannot be what delivers it), and a database outage is ridden out: the last good feeds
//! stay up, health says degraded, writes get 503, and both recover by themselves with
//! nothing acknowledged lost.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::*;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, ETAG, LAST_MODIFIED};
use serde_json::json;

const BASE: &str = "https://tin.example";

/// Replica flags: the same public URL (links are part of the bytes), the API on, and a
/// revision poll too slow to deliver anything within the waits below.
const REPLICA: &[&str] = &["--base-url", BASE, "--poll-ms", "60000"];

/// Longest wait for a change to reach the other replica. Far under the one-minute poll, so
/// only a notification can deliver it in time; far over the 2 s goal, so a loaded machine
/// does not fail the test (the time taken is printed).
const PROPAGATION_LIMIT: Duration = Duration::from_secs(15);

fn article(id: &str, title: &str) -> String {
    json!({
        "id": id,
        "title": title,
        "published": "2026-11-24T09:30:00+07:00",
        "author": "Ngọc Hân",
        "body": "Đồn biên phòng cửa khẩu tổ chức tuần tra chung với lực lượng bạn.\n\nHai bên thống nhất lịch tuần tra tháng tới.",
        "categories": ["bien-gioi"],
    })
    .to_string()
}

/// Every feed in every coding, as a client would fetch it: status, ETag, Last-Modified, bytes.
/// (An empty feed has no Last-Modified.)
async fn snapshot(server: &TestServer) -> Vec<(String, u16, String, Option<String>, Vec<u8>)> {
    let mut seen = Vec::new();
    for feed in ["all", "security", "party-affairs", "borders"] {
        for ext in ["rss", "atom", "json"] {
            for coding in ["identity", "gzip", "br"] {
                let path = format!("/feeds/{feed}.{ext}");
                let r = server.get_with(&path, &[(ACCEPT_ENCODING, coding)]).await;
                let status = r.status().as_u16();
                let etag = r.headers()[ETAG].to_str().unwrap().to_string();
                let modified = r
                    .headers()
                    .get(LAST_MODIFIED)
                    .map(|v| v.to_str().unwrap().to_string());
                let body = r.bytes().await.unwrap().to_vec();
                seen.push((format!("{path} {coding}"), status, etag, modified, body));
            }
        }
    }
    seen
}

async fn assert_agree(a: &TestServer, b: &TestServer) {
    let (sa, sb) = (snapshot(a).await, snapshot(b).await);
    for (x, y) in sa.iter().zip(&sb) {
        assert_eq!(x.1, 200, "{}", x.0);
        assert_eq!(
            (&x.0, x.1, &x.2, &x.3),
            (&y.0, y.1, &y.2, &y.3),
            "validators differ"
        );
        assert!(x.4 == y.4, "{}: the replicas serve different bytes", x.0);
    }
}

/// Waits until `server`'s borders feed mentions `needle`; returns how long that took.
async fn until_served(server: &TestServer, needle: &str) -> Duration {
    let what = format!("`{needle}` served (no change notification arrived?)");
    server
        .wait_until("/feeds/borders.atom", PROPAGATION_LIMIT, &what, |body| {
            body.contains(needle)
        })
        .await
}

async fn health(server: &TestServer) -> (u16, serde_json::Value) {
    let r = server.get_with("/healthz", &[]).await;
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_slice(&r.bytes().await.unwrap()).unwrap(),
    )
}

/// Waits until `b` has rendered the store revision `a` serves. One refresh reads its feeds
/// one after another, so a write landing meanwhile can reach one feed of that render and
/// not another; the refresh its notification triggers then evens them out. Comparing
/// replicas byte for byte is only meaningful once that has happened.
async fn until_caught_up(a: &TestServer, b: &TestServer) {
    let want = a.metrics().await["vnfeed_rendered_revision"];
    b.wait_until(
        "/metrics",
        PROPAGATION_LIMIT,
        &format!("B renders revision {want}"),
        |m| parse_exposition(m).get("vnfeed_rendered_revision") == Some(&want),
    )
    .await;
}

/// Says a measured figure on the terminal (the harness would swallow `println!`).
fn report(what: &str, took: Duration) {
    let _ = writeln!(std::io::stderr(), "replicas: {what} in {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_serve_identical_feeds_and_a_write_through_one_reaches_the_other() {
    let Some(backend) = Backend::postgres("replicas::two_replicas_serve_identical_feeds").await
    else {
        return;
    };
    // Only A imports the samples; B starts on the same, already filled, database.
    let a = TestServer::start(&backend, &[REPLICA, &["--api-token", TOKEN]].concat()).await;
    let b = TestServer::start(&backend, &[REPLICA, &["--api-token", TOKEN]].concat()).await;
    assert_agree(&a, &b).await;

    let title = "Tuần tra chung trên tuyến biên giới Lạng Sơn";
    let posted = a
        .api(
            "POST",
            "/api/articles",
            Some(&article("lang-son-01", title)),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.json);
    report(
        "a write through A served by B",
        until_served(&b, title).await,
    );
    until_caught_up(&a, &b).await;
    assert_agree(&a, &b).await;

    let deleted = b.api("DELETE", "/api/articles/lang-son-01", None).await;
    assert_eq!(deleted.status, 200);
    let took = a
        .wait_until(
            "/feeds/borders.rss",
            PROPAGATION_LIMIT,
            "the delete through B served by A",
            |body| !body.contains(title),
        )
        .await;
    report("a delete through B served by A", took);
    until_caught_up(&b, &a).await;
    assert_agree(&a, &b).await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_ride_out_a_database_outage_and_lose_nothing_acknowledged() {
    let Some(mut cluster) =
        PrivateCluster::start("replicas::replicas_ride_out_a_database_outage").await
    else {
        return;
    };
    let backend = Backend::postgres_on(&cluster.url, "outage").await;
    let flags = [REPLICA, &["--api-token", TOKEN, "--no-samples"]].concat();
    let a = TestServer::start(&backend, &flags).await;
    let b = TestServer::start(&backend, &flags).await;

    let mut acknowledged = Vec::new();
    for i in 1..=3 {
        let id = format!("truoc-{i}");
        let title = format!("Bản tin biên giới số {i} trước sự cố");
        let r = a
            .api("POST", "/api/articles", Some(&article(&id, &title)))
            .await;
        assert_eq!(r.status, 201, "{}", r.json);
        acknowledged.push((id, title));
    }
    until_served(&b, &acknowledged[2].1).await;
    until_caught_up(&a, &b).await;
    let before = snapshot(&b).await;
    assert_agree(&a, &b).await;

    cluster.stop().await;
    for server in [&a, &b] {
        let after = snapshot(server).await;
        assert!(after == before, "the last good feeds, byte for byte");
        let (status, body) = health(server).await;
        assert_eq!(status, 200, "still serving: stays in rotation");
        assert_eq!(body["status"], "degraded", "{body}");
        assert_eq!(body["store"], "unavailable", "{body}");
        let refused = server
            .api(
                "POST",
                "/api/articles",
                Some(&article("trong-su-co", "Bài gửi lúc mất kết nối")),
            )
            .await;
        assert_eq!(refused.status, 503, "{}", refused.json);
        assert_eq!(refused.headers["retry-after"], "5");
        let page = server
            .get_with("/articles/ban-tin-bien-gioi-so-1-truoc-su-co", &[])
            .await;
        assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
        let m = server.metrics().await;
        assert!(m["vnfeed_store_errors_total"] >= 2.0, "{m:#?}");
    }
    a.wait_until(
        "/metrics",
        Duration::from_secs(10),
        "A's listener noticed the outage",
        |m| m.contains("\nvnfeed_change_listener_connected 0\n"),
    )
    .await;

    cluster.restart().await;
    let start = Instant::now();
    for server in [&a, &b] {
        while health(server).await.1["status"] != "ok" {
            assert!(start.elapsed() < Duration::from_secs(30), "no recovery");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    report(
        "both replicas healthy again after the restart",
        start.elapsed(),
    );

    // Writes work again through either replica, and the other hears of them: its change
    // listener reconnected by itself.
    let title = "Bản tin biên giới gửi sau khi khôi phục";
    let r = b
        .api("POST", "/api/articles", Some(&article("sau-1", title)))
        .await;
    assert_eq!(r.status, 201, "{}", r.json);
    acknowledged.push(("sau-1".to_string(), title.to_string()));
    report(
        "a write through B served by A after the outage",
        until_served(&a, title).await,
    );
    let m = a.metrics().await;
    assert_eq!(m["vnfeed_change_listener_connected"], 1.0);
    let age = m["vnfeed_change_notification_age_seconds"];
    assert!(
        (0.0..PROPAGATION_LIMIT.as_secs_f64()).contains(&age),
        "{age}"
    );

    for (id, title) in &acknowledged {
        for server in [&a, &b] {
            let got = server
                .api("GET", &format!("/api/articles/{id}"), None)
                .await;
            assert_eq!(got.status, 200, "acknowledged `{id}` is kept");
            assert_eq!(got.json["title"], title.as_str());
        }
    }
    let listed = a.api("GET", "/api/articles?limit=50", None).await;
    assert_eq!(
        listed.json["articles"].as_array().map(Vec::len),
        Some(acknowledged.len()),
        "nothing refused during the outage was stored: {}",
        listed.json
    );
    until_caught_up(&b, &a).await;
    assert_agree(&a, &b).await;
    a.stop().await;
    b.stop().await;
}
