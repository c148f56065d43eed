//! vnfeed passes its own validator: every feed the server serves (every slug, `all`
//! included, in every format, its first and second pages and its archive page), fetched
//! over HTTP by `vnfeed::check::http::check_url`, gives no finding at all, warnings and the
//! HTTP side included.

mod common;

use chrono::Utc;
use common::*;
use serde_json::json;
use vnfeed::check::{self, Options};
use vnfeed::model::Format;

/// Items per page: small, so every feed has a second page.
const LIMIT: &str = "2";

/// The samples, plus what the samples do not show: an article published through the API
/// with HTML content (links and an image, one of them relative, as newsroom exports have
/// them), and a deleted one, whose tombstone the Atom feeds carry.
async fn server_with_every_kind_of_item() -> (Backend, TestServer) {
    let backend = Backend::sqlite();
    let server = TestServer::start(&backend, &["--api-token", TOKEN, "--limit", LIMIT]).await;
    let html = json!({
        "id": "kiem-tra-html-01",
        "title": "Bộ đội biên phòng & dân bản cùng giữ mốc giới",
        "published": "2025-03-30T08:15:00+07:00",
        "categories": ["borders"],
        "url": "https://baobientap.example/bien-gioi/cung-giu-moc-gioi",
        "content_html": "<p>Sáng 30/3, tổ công tác <a href=\"/bien-gioi/to-cong-tac\">đồn biên phòng</a> \
                         cùng người dân phát quang <a href=\"https://baobientap.example/\">đường tuần tra</a>.</p>\
                         <figure><img src=\"anh/moc-gioi.jpg\" alt=\"Mốc giới\"><figcaption>Mốc giới sau khi sơn lại.</figcaption></figure>",
    });
    let posted = server
        .api("POST", "/api/articles", Some(&html.to_string()))
        .await;
    assert_eq!(posted.status, 201, "{}", posted.json);
    let deleted = server
        .api(
            "DELETE",
            "/api/articles/2024-10-03-canh-bao-gia-danh-nhan-vien-dien-luc",
            None,
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.json);
    (backend, server)
}

#[tokio::test]
async fn every_feed_vnfeed_serves_passes_the_checker_without_a_finding() {
    let (_backend, server) = server_with_every_kind_of_item().await;
    // The feeds do carry what the checks below must see.
    let (_, _, rss) = fetch(&server, "/feeds/all.rss").await;
    let rss = String::from_utf8(rss).unwrap();
    for made_absolute in [
        "href=\"https://baobientap.example/bien-gioi/to-cong-tac\"",
        "src=\"https://baobientap.example/bien-gioi/anh/moc-gioi.jpg\"",
    ] {
        assert!(rss.contains(made_absolute), "{made_absolute} in {rss}");
    }
    let (_, _, atom) = fetch(&server, "/feeds/all.atom").await;
    assert!(
        String::from_utf8(atom)
            .unwrap()
            .contains("<at:deleted-entry ")
    );
    let options = Options::at(Utc::now());
    let mut documents = Vec::new();
    for feed in feeds().feeds() {
        for format in Format::ALL {
            let (slug, ext) = (&feed.slug, format.extension());
            documents.push(format!("/feeds/{slug}.{ext}"));
            documents.push(format!("/feeds/{slug}.{ext}?page=2"));
            documents.push(format!("/feeds/{slug}/archive/1.{ext}"));
        }
    }
    assert_eq!(
        documents.len(),
        4 * 3 * Format::ALL.len(),
        "three categories and `all`"
    );
    let mut findings = Vec::new();
    for path in &documents {
        let url = format!("{}{path}", server.url);
        let report = check::http::check_url(&url, &options).await;
        assert!(
            report.format.is_some(),
            "{url} is a feed: {:?}",
            report.findings
        );
        findings.extend(report.findings.iter().map(|f| {
            format!(
                "{url}:{}:{}: {} {}: {}",
                f.line,
                f.column,
                f.severity.as_str(),
                f.rule,
                f.message
            )
        }));
    }
    assert!(findings.is_empty(), "{}", findings.join("\n"));
    server.stop().await;
}
