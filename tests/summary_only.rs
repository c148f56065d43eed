//! Summary-only feeds (issue 12 §5): `content = "summary"` in a feed's TOML file drops the
//! body from every format (RSS `content:encoded`, Atom `content`, JSON Feed `content_html`)
//! and keeps the lead and the link; the other feeds keep the whole body. Read back by the
//! `rss`, `atom_syndication` and feed-rs parsers, and passed by `vnfeed check`.

mod common;

use chrono::Utc;
use common::*;
use tempfile::TempDir;
use vnfeed::check::{self, Options};
use vnfeed::model::Format;

/// The shipped definitions with `security` made summary-only.
fn summary_feeds(dir: &std::path::Path) -> String {
    let feeds = dir.join("feeds");
    std::fs::create_dir_all(&feeds).unwrap();
    for entry in std::fs::read_dir(repo().join("feeds")).unwrap() {
        let path = entry.unwrap().path();
        let mut text = std::fs::read_to_string(&path).unwrap();
        if path.ends_with("security.toml") {
            let at = text.find("\n[").unwrap() + 1;
            text.insert_str(at, "content = \"summary\"\n");
        }
        std::fs::write(feeds.join(path.file_name().unwrap()), text).unwrap();
    }
    feeds.display().to_string()
}

#[tokio::test]
async fn a_summary_only_feed_carries_the_lead_and_the_link_and_no_body() {
    let dir = TempDir::new().unwrap();
    let feeds = summary_feeds(dir.path());
    let backend = Backend::sqlite();
    let server = TestServer::start(&backend, &["--feeds", &feeds]).await;

    // RSS: description (the lead) and link, no content:encoded.
    let rss_bytes = fetch(&server, "/feeds/security.rss").await.2;
    let text = String::from_utf8(rss_bytes.clone()).unwrap();
    assert!(!text.contains("<content:encoded>"), "{text}");
    let channel = rss::Channel::read_from(&rss_bytes[..]).unwrap();
    assert!(channel.items().len() >= 3, "the samples fill the feed");
    for item in channel.items() {
        assert_eq!(item.content(), None);
        assert!(!item.description().unwrap().is_empty());
        assert!(item.link().unwrap().starts_with("http"));
    }
    // Atom: summary and the alternate link (RFC 4287 4.1.2 asks for it without content).
    let atom_bytes = fetch(&server, "/feeds/security.atom").await.2;
    let atom = atom_syndication::Feed::read_from(&atom_bytes[..]).unwrap();
    for entry in atom.entries() {
        assert!(entry.content().is_none(), "{}", entry.title().as_str());
        assert!(!entry.summary().unwrap().as_str().is_empty());
        assert!(entry.links().iter().any(|l| l.rel() == "alternate"));
    }
    // JSON Feed: the lead as content_text (an item needs content_html or content_text).
    let json_bytes = fetch(&server, "/feeds/security.json").await.2;
    let json: serde_json::Value = serde_json::from_slice(&json_bytes).unwrap();
    for item in json["items"].as_array().unwrap() {
        assert!(item.get("content_html").is_none(), "{item}");
        assert_eq!(item["content_text"], item["summary"]);
        assert!(!item["summary"].as_str().unwrap().is_empty());
    }
    // The same articles, by the same feed-rs reader: the lead, no body.
    for bytes in [&rss_bytes, &atom_bytes, &json_bytes] {
        let feed = feed_rs::parser::parse(&bytes[..]).unwrap();
        assert_eq!(feed.entries.len(), channel.items().len());
        for entry in &feed.entries {
            let body = entry.content.as_ref().and_then(|c| c.body.as_deref());
            let summary = entry.summary.as_ref().map(|s| s.content.as_str());
            assert!(body.is_none() || body == summary, "{body:?} {summary:?}");
            assert!(!entry.links.is_empty());
        }
    }

    // Other feeds, and the combined one, keep the whole body; the same article is in both.
    let all = rss::Channel::read_from(&fetch(&server, "/feeds/all.rss").await.2[..]).unwrap();
    let first = &channel.items()[0];
    let full = all
        .items()
        .iter()
        .find(|i| i.guid() == first.guid())
        .expect("the article is in `all`");
    assert!(full.content().unwrap().len() > first.description().unwrap().len());
    let borders =
        rss::Channel::read_from(&fetch(&server, "/feeds/borders.rss").await.2[..]).unwrap();
    assert!(borders.items().iter().all(|i| i.content().is_some()));

    // Every document of the summary feed, pages and archive too, passes the checker.
    let options = Options::at(Utc::now());
    let mut findings = Vec::new();
    for format in Format::ALL {
        let ext = format.extension();
        for path in [
            format!("/feeds/security.{ext}"),
            format!("/feeds/security/archive/1.{ext}"),
        ] {
            let url = format!("{}{path}", server.url);
            let report = check::http::check_url(&url, &options).await;
            assert!(report.format.is_some(), "{url}: {:?}", report.findings);
            findings.extend(
                report
                    .findings
                    .iter()
                    .map(|f| format!("{url}:{}: {} {}", f.line, f.rule, f.message)),
            );
        }
    }
    assert!(findings.is_empty(), "{}", findings.join("\n"));
    server.stop().await;
}
