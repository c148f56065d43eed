//! The real server on an ephemeral port, spoken to by a real HTTP client.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::*;
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG,
    IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION, VARY,
};
use vnfeed::import;

on_both_backends!(
    feeds_are_served_with_types_and_validators_and_answer_304,
    gzip_head_and_errors,
    index_autodiscovery_article_pages_and_health,
    an_import_from_another_writer_appears_within_two_seconds_and_only_where_it_belongs,
    a_restarted_server_serves_the_same_bytes_and_validators,
);

async fn feeds_are_served_with_types_and_validators_and_answer_304(backend: Backend) {
    let server = TestServer::start(&backend, &[]).await;
    for (path, ty) in [
        ("/feeds/security.rss", "application/rss+xml; charset=utf-8"),
        ("/feeds/borders.atom", "application/atom+xml; charset=utf-8"),
        ("/feeds/all.rss", "application/rss+xml; charset=utf-8"),
    ] {
        let resp = server.get_with(path, &[]).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&resp, CONTENT_TYPE), ty);
        assert_eq!(header(&resp, VARY), "Accept-Encoding");
        assert_eq!(header(&resp, CACHE_CONTROL), "public, max-age=300");
        let etag = header(&resp, ETAG);
        let last_modified = header(&resp, LAST_MODIFIED);
        assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
        let body = resp.bytes().await.unwrap();
        assert_well_formed(&body);
        let parsed = feed_rs::parser::parse(&body[..]).unwrap();
        assert!(!parsed.entries.is_empty(), "samples fill {path}");

        let by_etag = server.get_with(path, &[(IF_NONE_MATCH, &etag)]).await;
        assert_eq!(by_etag.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(header(&by_etag, ETAG), etag);
        assert!(by_etag.bytes().await.unwrap().is_empty());

        let by_date = server
            .get_with(path, &[(IF_MODIFIED_SINCE, &last_modified)])
            .await;
        assert_eq!(by_date.status(), StatusCode::NOT_MODIFIED);

        // If-None-Match wins: a stale ETag gets the body even with a fresh date.
        let stale = server
            .get_with(
                path,
                &[
                    (IF_NONE_MATCH, "\"stale\""),
                    (IF_MODIFIED_SINCE, &last_modified),
                ],
            )
            .await;
        assert_eq!(stale.status(), StatusCode::OK);

        let earlier = server
            .get_with(
                path,
                &[(IF_MODIFIED_SINCE, "Mon, 01 Jan 2024 00:00:00 GMT")],
            )
            .await;
        assert_eq!(earlier.status(), StatusCode::OK);
    }
    server.stop().await;
}

async fn gzip_head_and_errors(backend: Backend) {
    let server = TestServer::start(&backend, &[]).await;
    let plain = server.get_with("/feeds/all.atom", &[]).await;
    let plain_etag = header(&plain, ETAG);
    let plain_body = plain.bytes().await.unwrap();

    let gz = server
        .get_with("/feeds/all.atom", &[(ACCEPT_ENCODING, "gzip, deflate")])
        .await;
    assert_eq!(header(&gz, CONTENT_ENCODING), "gzip");
    let gz_etag = header(&gz, ETAG);
    assert_ne!(gz_etag, plain_etag, "each coding has its own strong ETag");
    let gz_body = gz.bytes().await.unwrap();
    assert!(gz_body.len() < plain_body.len() / 2);
    assert_eq!(gunzip(&gz_body), plain_body.to_vec());
    let again = server
        .get_with(
            "/feeds/all.atom",
            &[(ACCEPT_ENCODING, "gzip"), (IF_NONE_MATCH, &gz_etag)],
        )
        .await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    let head = client()
        .head(format!("{}/feeds/all.atom", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(header(&head, ETAG), plain_etag);
    assert_eq!(header(&head, CONTENT_LENGTH), plain_body.len().to_string());
    assert!(head.bytes().await.unwrap().is_empty());

    for path in [
        "/feeds/weather.rss",
        "/feeds/security.xml",
        "/articles/khong-co-bai-nay",
        "/nothing",
    ] {
        let resp = server.get_with(path, &[]).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(!resp.text().await.unwrap().is_empty());
    }
    for target in [
        "/feeds/../vnfeed.db",
        "/feeds/%2e%2e/vnfeed.db",
        "/feeds/%2e%2e/",
        "/feeds/borders.rss%00",
        "/articles/../../etc/passwd",
    ] {
        assert_eq!(
            raw_status(&server.url, "GET", target).await,
            404,
            "{target}"
        );
    }
    let post = client()
        .post(format!("{}/feeds/all.rss", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&post, reqwest::header::ALLOW), "GET, HEAD");

    let alias = server.get_with("/feeds/xay-dung-dang.atom", &[]).await;
    assert_eq!(alias.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(header(&alias, LOCATION), "/feeds/party-affairs.atom");
    for (alias, slug) in [("an-ninh", "security"), ("bien-gioi", "borders")] {
        let resp = server.get_with(&format!("/feeds/{alias}.rss"), &[]).await;
        assert_eq!(header(&resp, LOCATION), format!("/feeds/{slug}.rss"));
    }
    server.stop().await;
}

async fn index_autodiscovery_article_pages_and_health(backend: Backend) {
    let server = TestServer::start(&backend, &["--site-title", "Báo Thử"]).await;
    let index = server.get_with("/", &[]).await;
    assert_eq!(header(&index, CONTENT_TYPE), "text/html; charset=utf-8");
    let html = index.text().await.unwrap();
    for slug in ["all", "security", "party-affairs", "borders"] {
        for (ext, ty) in [
            ("rss", "application/rss+xml"),
            ("atom", "application/atom+xml"),
        ] {
            let link = format!("type=\"{ty}\" title=");
            assert!(html.contains(&link));
            assert!(
                html.contains(&format!("href=\"{}/feeds/{slug}.{ext}\"", server.url)),
                "{slug}.{ext}"
            );
        }
    }
    assert!(
        html.contains("Xây dựng Đảng") && html.contains("Biên giới") && html.contains("An ninh")
    );

    let feed = server
        .get_with("/feeds/security.rss", &[])
        .await
        .bytes()
        .await
        .unwrap();
    let channel = rss::Channel::read_from(&feed[..]).unwrap();
    let item = channel
        .items()
        .iter()
        .find(|i| i.link().unwrap().starts_with(&server.url))
        .expect("a sample without its own URL links to its page here");
    let page = server
        .get_with(item.link().unwrap().strip_prefix(&server.url).unwrap(), &[])
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains(&format!("<h1>{}</h1>", item.title().unwrap())));
    assert!(page.contains("(GMT+7)"), "dates for people: {page}");
    assert!(page.contains("<link rel=\"canonical\""));

    let health = server.get_with("/healthz", &[]).await;
    assert_eq!(health.status(), StatusCode::OK);
    let json: serde_json::Value = serde_json::from_slice(&health.bytes().await.unwrap()).unwrap();
    assert_eq!(json["status"], "ok");
    assert!(json["articles"].as_u64().unwrap() >= 14);
    server.stop().await;
}

const BORDER_ARTICLE: &str = "\
Bộ đội Biên phòng mở lớp học tình thương cho trẻ em bản Na Hối

15:30 20/11/2026

Đồn Biên phòng Na Hối vừa mở lớp học tình thương cho hai mươi em nhỏ sống gần đường biên.

Các chiến sĩ thay nhau đứng lớp vào buổi tối sau giờ tuần tra.

Thanh Tâm
";

async fn an_import_from_another_writer_appears_within_two_seconds_and_only_where_it_belongs(
    backend: Backend,
) {
    let server = TestServer::start(&backend, &[]).await;
    let validators = |path: &'static str| {
        let req = server.get(path);
        async move {
            let r = req.send().await.unwrap();
            (header(&r, ETAG), header(&r, LAST_MODIFIED))
        }
    };
    let security_before = validators("/feeds/security.atom").await;
    let borders_before = validators("/feeds/borders.atom").await;

    // A second connection to the same store, as `vnfeed import` from cron would open.
    let writer = backend.open().await;
    let src = write_files(
        backend.path(),
        "cron",
        &[("na-hoi-01.txt", BORDER_ARTICLE.as_bytes())],
    );
    // In a later second than the samples the server imported at start: Last-Modified counts
    // whole seconds.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    tokio::time::sleep(Duration::from_nanos(
        1_000_000_000 - u64::from(now.subsec_nanos()) + 1_000_000,
    ))
    .await;
    let now = Utc::now();
    let report = import::import_paths(writer.as_ref(), &feeds(), &[src], now).await;
    assert_eq!(report.created, 1);
    server
        .wait_until(
            "/feeds/borders.atom",
            Duration::from_secs(2),
            "the import served",
            |body| body.contains("Na Hối"),
        )
        .await;
    let borders_after = validators("/feeds/borders.atom").await;
    assert_ne!(borders_after.0, borders_before.0);
    // The time of the import's write, not the article's date (Fri, 20 Nov 2026 08:30:00 GMT).
    let written = now.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    assert_eq!(borders_after.1, written);
    assert_ne!(borders_after.1, borders_before.1);
    assert_eq!(
        validators("/feeds/security.atom").await,
        security_before,
        "another category's validators do not move"
    );
    server.stop().await;
}

async fn a_restarted_server_serves_the_same_bytes_and_validators(backend: Backend) {
    let mut seen = Vec::new();
    for _ in 0..2 {
        let server = TestServer::start(&backend, &["--base-url", "https://tin.example"]).await;
        let mut run = Vec::new();
        for path in ["/feeds/all.rss", "/feeds/all.atom", "/feeds/borders.rss"] {
            let r = server.get_with(path, &[]).await;
            let v = (header(&r, ETAG), header(&r, LAST_MODIFIED));
            run.push((v, r.bytes().await.unwrap()));
        }
        seen.push(run);
        server.stop().await;
    }
    assert_eq!(seen[0], seen[1]);
    let body = String::from_utf8(seen[0][0].1.to_vec()).unwrap();
    assert!(
        body.contains("<atom:link href=\"https://tin.example/feeds/all.rss\" rel=\"self\""),
        "{body}"
    );
}

/// `/healthz` is open to anyone and unlimited, and counting the articles walks the whole
/// time index (35-48 ms at a million articles): it counts once per store revision (or once
/// a minute), and a loop of checks costs a one-row read each. Seen from outside: an article
/// put into the file behind the store's back, without a new revision, is not counted until
/// the next real write moves the revision.
#[tokio::test]
async fn healthz_counts_the_articles_once_per_store_revision() {
    async fn articles(server: &TestServer) -> u64 {
        let resp = server.get_with("/healthz", &[]).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let json: serde_json::Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
        assert_eq!(json["status"], "ok", "{json}");
        json["articles"].as_u64().unwrap()
    }
    let backend = Backend::sqlite();
    let server = TestServer::start(&backend, &[]).await;
    let samples = articles(&server).await;
    assert!(samples >= 14, "{samples}");

    let file = rusqlite::Connection::open(&backend.location).unwrap();
    let copied = file
        .execute(
            "INSERT INTO articles (id, slug, title, summary, body, author, published, updated,
                 content_hash, categories, categories_explicit, tags)
             SELECT 'sau-lung', slug || '-sau-lung', title, summary, body, author, published,
                 updated, content_hash, categories, categories_explicit, tags
             FROM articles LIMIT 1",
            [],
        )
        .unwrap();
    assert_eq!(copied, 1);
    for _ in 0..3 {
        assert_eq!(
            articles(&server).await,
            samples,
            "the same revision, the same count"
        );
    }

    let store = backend.open().await;
    store
        .upsert(
            vec![
                DraftBuilder::new("ghi-that", "Bài viết ghi qua kho")
                    .paragraph("Nội dung ngắn.")
                    .published("2026-11-20T03:00:00Z".parse().unwrap())
                    .build(),
            ],
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        articles(&server).await,
        samples + 2,
        "a new revision: counted again, the article behind its back too"
    );
    server.stop().await;
}
