//! The headers of feed responses, read back from the real server: WebSub discovery `Link`
//! headers (hub and self) on every feed document when a hub is configured, and the polling
//! hint, where RSS `<ttl>`, `sy:updatePeriod`/`sy:updateFrequency` and `Cache-Control:
//! max-age` all come from one setting per feed (its TOML `ttl`, else `--feed-ttl`).

mod common;

use common::*;
use reqwest::header::{CACHE_CONTROL, IF_NONE_MATCH, LINK};

const HUB: &str = "https://hub.example/websub";
const BASE: &str = "https://tin.example";

/// Every `Link` header field of a response, in order.
fn links(resp: &reqwest::Response) -> Vec<String> {
    resp.headers()
        .get_all(LINK)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

/// Enough border articles for a second page of three.
async fn fill(server: &TestServer) {
    for n in 1..=5 {
        let body = serde_json::json!({
            "id": format!("bien-gioi-{n}"),
            "title": format!("Tuần tra biên giới đợt {n}"),
            "published": format!("2026-11-2{n}T08:00:00+07:00"),
            "body": "Đồn biên phòng tuần tra cột mốc.",
            "categories": ["borders"],
        });
        let r = server
            .api("POST", "/api/articles", Some(&body.to_string()))
            .await;
        assert_eq!(r.status, 201, "{}", r.json);
    }
}

#[tokio::test]
async fn every_feed_document_sends_websub_discovery_links_when_a_hub_is_set() {
    let backend = Backend::sqlite();
    let server = TestServer::with_api(
        &backend,
        &["--hub", HUB, "--base-url", BASE, "--limit", "3"],
    )
    .await;
    fill(&server).await;
    let mut documents = Vec::new();
    for feed in ["all", "borders"] {
        for ext in ["rss", "atom", "json"] {
            documents.push(format!("/feeds/{feed}.{ext}"));
            documents.push(format!("/feeds/{feed}.{ext}?page=2"));
            documents.push(format!("/feeds/{feed}/archive/1.{ext}"));
        }
    }
    for path in &documents {
        let resp = server.get(path).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let expected = [
            format!("<{HUB}>; rel=\"hub\""),
            format!("<{BASE}{path}>; rel=\"self\""),
        ];
        assert_eq!(links(&resp), expected, "{path}");
        // The self URL in the header is the one the document names for itself.
        let etag = header(&resp, reqwest::header::ETAG);
        let body = resp.text().await.unwrap();
        let own = format!("{BASE}{path}").replace('&', "&amp;");
        assert!(body.contains(&own), "{path}: the body does not name {own}");
        // A revalidation (304) carries them too.
        let again = server.get_with(path, &[(IF_NONE_MATCH, &etag)]).await;
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(links(&again), expected, "{path} (304)");
    }
    // Not on what is not a feed document, nor on an error.
    for path in ["/", "/categories/borders", "/feeds.opml", "/feeds/nope.rss"] {
        let resp = server.get(path).send().await.unwrap();
        assert!(links(&resp).is_empty(), "{path}: {:?}", links(&resp));
    }
    let past = server
        .get("/feeds/borders.rss?page=9")
        .send()
        .await
        .unwrap();
    assert_eq!(past.status(), 404);
    assert!(links(&past).is_empty());
    server.stop().await;
}

#[tokio::test]
async fn without_a_hub_no_link_headers_are_sent() {
    let backend = Backend::sqlite();
    let server = TestServer::start(&backend, &[]).await;
    for path in [
        "/feeds/all.rss",
        "/feeds/all.atom",
        "/feeds/all/archive/1.json",
    ] {
        let resp = server.get(path).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert!(links(&resp).is_empty(), "{path}");
    }
    server.stop().await;
}

/// The shipped feed definitions, with `ttl = 60` added to the borders feed.
fn feeds_with_borders_ttl(dir: &std::path::Path, ttl: &str) -> String {
    let target = dir.join("feeds");
    std::fs::create_dir_all(&target).unwrap();
    for entry in std::fs::read_dir(repo().join("feeds")).unwrap() {
        let path = entry.unwrap().path();
        let mut text = std::fs::read_to_string(&path).unwrap();
        if path.file_name().unwrap() == "borders.toml" {
            text = text.replacen(
                "slug = \"borders\"",
                &format!("slug = \"borders\"\n{ttl}"),
                1,
            );
        }
        std::fs::write(target.join(path.file_name().unwrap()), text).unwrap();
    }
    target.display().to_string()
}

/// `<ttl>`, `sy:updatePeriod`, `sy:updateFrequency` and `Cache-Control` of an RSS document.
async fn hints(server: &TestServer, path: &str) -> (String, Option<(String, String)>, String) {
    let resp = server.get(path).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    let cache_control = header(&resp, CACHE_CONTROL);
    let bytes = resp.bytes().await.unwrap();
    let channel = rss::Channel::read_from(&bytes[..]).unwrap();
    let sy = channel
        .syndication_ext()
        .map(|s| (s.period().to_string(), s.frequency().to_string()));
    (channel.ttl().unwrap().to_string(), sy, cache_control)
}

#[tokio::test]
async fn ttl_and_max_age_come_from_the_feeds_setting_or_the_site_default() {
    let backend = Backend::sqlite();
    let feeds = feeds_with_borders_ttl(backend.path(), "ttl = 60");
    let server = TestServer::with_api(
        &backend,
        &["--feeds", &feeds, "--feed-ttl", "10", "--limit", "3"],
    )
    .await;
    fill(&server).await;
    // The borders feed's own hour, on every page of it.
    for path in [
        "/feeds/borders.rss",
        "/feeds/borders.rss?page=2",
        "/feeds/borders/archive/1.rss",
    ] {
        let (ttl, sy, cache_control) = hints(&server, path).await;
        assert_eq!(ttl, "60", "{path}");
        assert_eq!(sy, Some(("hourly".into(), "1".into())), "{path}");
        assert_eq!(cache_control, "public, max-age=3600", "{path}");
    }
    for ext in ["atom", "json"] {
        let resp = server
            .get(&format!("/feeds/borders.{ext}"))
            .send()
            .await
            .unwrap();
        assert_eq!(header(&resp, CACHE_CONTROL), "public, max-age=3600");
    }
    // Every other feed: the site default, ten minutes, six times an hour.
    for path in ["/feeds/all.rss", "/feeds/security.rss?page=1"] {
        let (ttl, sy, cache_control) = hints(&server, path).await;
        assert_eq!(ttl, "10", "{path}");
        assert_eq!(sy, Some(("hourly".into(), "6".into())), "{path}");
        assert_eq!(cache_control, "public, max-age=600", "{path}");
    }
    // The feeds stay valid for `vnfeed check`.
    let rss = server.get("/feeds/borders.rss").send().await.unwrap();
    let file = backend.path().join("borders.rss");
    std::fs::write(&file, rss.bytes().await.unwrap()).unwrap();
    let out = vnfeed(&["check", "--strict", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    server.stop().await;
}

#[test]
fn a_feed_ttl_out_of_range_is_refused_naming_the_file_and_field() {
    let dir = tempdir();
    let feeds = feeds_with_borders_ttl(dir.path(), "ttl = 0");
    let err = vnfeed::feeds::FeedSet::load(std::path::Path::new(&feeds)).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("borders.toml") && message.contains("field `ttl`"),
        "{message}"
    );
    let feeds = feeds_with_borders_ttl(dir.path(), "ttl = \"15 phút\"");
    let err = vnfeed::feeds::FeedSet::load(std::path::Path::new(&feeds)).unwrap_err();
    assert!(err.to_string().contains("borders.toml"), "{err}");
}
