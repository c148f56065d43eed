//! Issue 11, "Validators": `Last-Modified` is the time of the feed's last change as the store
//! recorded it (so a back-dated article moves it and a far-future date pins nothing), and an
//! article dated in the future is shown nowhere until its time. Dates are exact strings.

mod common;

use chrono::{DateTime, Utc};
use common::*;
use reqwest::StatusCode;
use reqwest::header::{IF_MODIFIED_SINCE, LAST_MODIFIED};
use vnfeed::model::{Block, Draft};

on_both_backends!(
    a_back_dated_article_on_page_one_moves_last_modified,
    an_article_dated_9999_is_shown_nowhere_and_pins_no_date,
    an_article_dated_soon_appears_at_its_time_with_its_time_as_last_modified,
);

fn draft(id: &str, title: &str, published: &str) -> Draft {
    Draft {
        id: id.to_string(),
        title: title.to_string(),
        summary: format!("Tóm tắt: {title}."),
        body: vec![Block::Paragraph {
            text: format!("Nội dung: {title}."),
        }],
        author: None,
        published: published.parse().unwrap(),
        updated: None,
        categories: vec!["borders".into()],
        categorized: vnfeed::model::Categorized::ByRules,
        url: None,
        image: None,
        tags: Vec::new(),
    }
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

async fn last_modified(server: &TestServer, path: &str) -> String {
    let resp = server.get(path).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    resp.headers()[LAST_MODIFIED].to_str().unwrap().to_string()
}

async fn status_since(server: &TestServer, path: &str, since: &str) -> StatusCode {
    let resp = server
        .get(path)
        .header(IF_MODIFIED_SINCE, since)
        .send()
        .await
        .unwrap();
    resp.status()
}

const FEEDS: [&str; 6] = [
    "/feeds/borders.atom",
    "/feeds/borders.rss",
    "/feeds/borders.json",
    "/feeds/all.atom",
    "/categories/borders",
    "/",
];

async fn a_back_dated_article_on_page_one_moves_last_modified(backend: Backend) {
    let store = backend.open().await;
    let first = draft("moc-1", "Cắm mốc quốc giới số 1", "2024-04-22T00:00:00Z");
    store
        .upsert(vec![first], at("2024-05-01T00:00:00Z"))
        .await
        .unwrap();
    let server = TestServer::start(&backend, &["--no-samples"]).await;
    for path in FEEDS {
        assert_eq!(
            last_modified(&server, path).await,
            "Wed, 01 May 2024 00:00:00 GMT",
            "{path}: the time of the write, not the article's date"
        );
    }
    assert_eq!(
        last_modified(&server, "/feeds/borders/archive/1.atom").await,
        "Wed, 01 May 2024 00:00:00 GMT"
    );

    // Written a day later but dated two days before the first: it lands on page 1 below it.
    let back_dated = draft("moc-0", "Cắm mốc quốc giới số 0", "2024-04-20T00:00:00Z");
    store
        .upsert(vec![back_dated], at("2024-05-02T00:00:00Z"))
        .await
        .unwrap();
    server
        .wait_until(
            "/feeds/borders.atom",
            std::time::Duration::from_secs(10),
            "the back-dated article reaches the feed",
            |body| body.contains("Cắm mốc quốc giới số 0"),
        )
        .await;
    for path in FEEDS {
        assert_eq!(
            status_since(&server, path, "Wed, 01 May 2024 00:00:00 GMT").await,
            StatusCode::OK,
            "{path}: an If-Modified-Since client learns of the back-dated article"
        );
        assert_eq!(
            last_modified(&server, path).await,
            "Thu, 02 May 2024 00:00:00 GMT",
            "{path}"
        );
        assert_eq!(
            status_since(&server, path, "Thu, 02 May 2024 00:00:00 GMT").await,
            StatusCode::NOT_MODIFIED,
            "{path}"
        );
    }
    // The archive page it was appended to changed then too.
    assert_eq!(
        last_modified(&server, "/feeds/borders/archive/1.atom").await,
        "Thu, 02 May 2024 00:00:00 GMT"
    );
    server.stop().await;
}

async fn an_article_dated_9999_is_shown_nowhere_and_pins_no_date(backend: Backend) {
    let store = backend.open().await;
    let today = draft(
        "tin-nay",
        "Tuần tra đường biên hôm nay",
        "2024-04-22T00:00:00Z",
    );
    store
        .upsert(vec![today], at("2024-05-01T00:00:00Z"))
        .await
        .unwrap();
    let far = draft("tin-xa", "Bài hẹn giờ năm 9999", "9999-12-31T00:00:00Z");
    store
        .upsert(vec![far], at("2024-05-03T00:00:00Z"))
        .await
        .unwrap();
    let server = TestServer::start(&backend, &["--no-samples", "--limit", "1"]).await;
    for path in FEEDS.iter().copied().chain([
        "/feeds/borders/archive/1.json",
        "/feeds/all/archive/1.rss",
        "/feeds/borders.atom?page=1",
    ]) {
        let resp = server.get(path).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        // Stored, and the write counts as a change of the feed; the date pins nothing.
        assert_eq!(
            resp.headers()[LAST_MODIFIED],
            "Fri, 03 May 2024 00:00:00 GMT",
            "{path}"
        );
        let body = resp.text().await.unwrap();
        assert!(body.contains("Tuần tra đường biên hôm nay"), "{path}");
        assert!(!body.contains("9999"), "{path}: {body}");
        assert!(!body.contains("Bài hẹn giờ"), "{path}");
    }
    // Not counted: with one article per page, the feed has one page.
    assert_eq!(
        server
            .get("/feeds/borders.atom?page=2")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    // Its own page waits too; the API, for the newsroom, still has it.
    let page = server.get("/articles/bai-hen-gio-nam-9999").send().await;
    assert_eq!(page.unwrap().status(), StatusCode::NOT_FOUND);
    assert!(store.by_id("tin-xa").await.unwrap().is_some());
    assert_eq!(
        store.next_due(FeedKey::All).await.unwrap(),
        Some(at("9999-12-31T00:00:00Z")),
        "the store says when the feed next changes"
    );
    assert_eq!(
        store.next_due(FeedKey::Category("security")).await.unwrap(),
        None,
        "nothing due in a feed it is not in"
    );
    server.stop().await;
}

async fn an_article_dated_soon_appears_at_its_time_with_its_time_as_last_modified(
    backend: Backend,
) {
    let store = backend.open().await;
    let now = Utc::now();
    store
        .upsert(
            vec![draft("cu", "Tin đã đăng", "2024-04-22T00:00:00Z")],
            now,
        )
        .await
        .unwrap();
    // Whole seconds, as stored: due two to three seconds from now.
    let due = DateTime::from_timestamp(now.timestamp() + 3, 0).unwrap();
    let soon = draft("sap", "Tin hẹn giờ sắp đăng", &due.to_rfc3339());
    store.upsert(vec![soon], now).await.unwrap();
    let server = TestServer::start(&backend, &["--no-samples"]).await;
    let before = server.get("/feeds/borders.atom").send().await.unwrap();
    let before = before.text().await.unwrap();
    assert!(
        Utc::now() >= due || !before.contains("Tin hẹn giờ sắp đăng"),
        "shown before its time"
    );
    assert_eq!(store.next_due(FeedKey::All).await.unwrap(), Some(due));
    // No write happens: the server renders it again once it is due.
    server
        .wait_until(
            "/feeds/borders.atom",
            std::time::Duration::from_secs(15),
            "the article appears at its time",
            |body| body.contains("Tin hẹn giờ sắp đăng"),
        )
        .await;
    assert!(Utc::now() >= due, "appeared before its time");
    let expected = due.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    for path in FEEDS {
        assert_eq!(last_modified(&server, path).await, expected, "{path}");
    }
    assert!(
        server
            .get("/categories/borders")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("Tin hẹn giờ sắp đăng")
    );
    assert_eq!(store.next_due(FeedKey::All).await.unwrap(), None);
    server.stop().await;
}
