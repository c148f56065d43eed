//! Issue 12, section 4: author and tag feeds. Every format of `/feeds/authors/{slug}` and
//! `/feeds/tags/{slug}` read back with feed-rs field by field, their HTML pages, their OPML
//! lists, 404 for an unknown label (leaving nothing in the cache), scheduled articles in
//! none of them, and a write re-rendering only the label documents it touched. Real server
//! on port 0, real stores on both backends, renders counted through `/metrics`.

mod common;

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use common::*;
use reqwest::StatusCode;
use reqwest::header::ETAG;
use vnfeed::model::article_guid;

on_both_backends!(
    author_and_tag_feeds_hold_exactly_their_articles_in_every_format,
    a_write_renders_again_only_the_author_and_tag_documents_it_touched,
    unknown_authors_and_tags_are_404_and_leave_nothing_in_the_cache,
);

const SITE: &str = "vnfeed";

/// A feed of any format read back with feed-rs (XML ones first checked well-formed).
fn read_feed(bytes: &[u8]) -> feed_rs::model::Feed {
    if bytes.starts_with(b"<") {
        return parse_feed(bytes);
    }
    feed_rs::parser::parse(bytes).expect("feed-rs reads the JSON Feed")
}

/// Three shown articles and one scheduled an hour ahead, written through the store.
async fn seed(backend: &Backend) {
    let store = backend.open().await;
    let drafts = vec![
        DraftBuilder::new("a-1", "Tàu cá về cảng an toàn")
            .author("Ngọc Thư")
            .tags(&["biển đông", "kinh tế"])
            .published_at("2025-05-01T01:00:00Z")
            .build(),
        DraftBuilder::new("a-2", "Giá cá tăng ở chợ đầu mối")
            .author("Ngọc Thư")
            .tags(&["kinh tế"])
            .published_at("2025-05-02T01:00:00Z")
            .build(),
        DraftBuilder::new("a-3", "Tuần tra trên biển")
            .author("Minh Khôi")
            .tags(&["biển đông"])
            .published_at("2025-05-03T01:00:00Z")
            .build(),
        DraftBuilder::new("a-4", "Bài hẹn giờ chưa đăng")
            .author("Hoàng Lan")
            .tags(&["biển đông", "bí mật"])
            .published(Utc::now() + Duration::hours(1))
            .build(),
    ];
    store.upsert(drafts, Utc::now()).await.unwrap();
}

async fn author_and_tag_feeds_hold_exactly_their_articles_in_every_format(backend: Backend) {
    seed(&backend).await;
    let server = TestServer::start(&backend, &["--no-samples"]).await;
    let base = server.url.clone();
    let cases = [
        ("authors/ngoc-thu", "Ngọc Thư", vec!["a-2", "a-1"]),
        ("authors/minh-khoi", "Minh Khôi", vec!["a-3"]),
        ("tags/bien-dong", "Từ khóa: biển đông", vec!["a-3", "a-1"]),
        ("tags/kinh-te", "Từ khóa: kinh tế", vec!["a-2", "a-1"]),
    ];
    for (path, title, ids) in &cases {
        for ext in ["rss", "atom", "json"] {
            let url = format!("/feeds/{path}.{ext}");
            let (_, last_modified, bytes) = fetch(&server, &url).await;
            let feed = read_feed(&bytes);
            assert_eq!(
                feed.title.as_ref().unwrap().content,
                format!("{title} – {SITE}"),
                "{url}"
            );
            let got: Vec<String> = feed.entries.iter().map(|e| e.id.clone()).collect();
            let want: Vec<String> = ids.iter().map(|id| article_guid(id)).collect();
            assert_eq!(got, want, "{url}: its articles, newest first");
            let newest = &feed.entries[0];
            let author = newest.authors.first().and_then(|a| a.name.as_deref());
            let expected_author = match *path {
                "authors/minh-khoi" | "tags/bien-dong" => "Minh Khôi",
                _ => "Ngọc Thư",
            };
            assert_eq!(author, Some(expected_author), "{url}");
            assert_eq!(
                last_modified,
                httpdate::fmt_http_date(newest.published.unwrap().into()),
                "{url}: Last-Modified is the newest article's time"
            );
            let text = String::from_utf8(bytes.clone()).unwrap();
            assert!(
                text.contains(&format!("{base}/feeds/{path}.{ext}")),
                "{url}: names itself"
            );
            assert!(!text.contains("Bài hẹn giờ"), "{url}: scheduled article");
        }
        // The exact dates of the RSS and Atom documents.
        let (_, _, rss) = fetch(&server, &format!("/feeds/{path}.rss")).await;
        let rss = String::from_utf8(rss).unwrap();
        let newest_day = match ids[0] {
            "a-2" => "Fri, 02 May 2025 08:00:00 +0700",
            _ => "Sat, 03 May 2025 08:00:00 +0700",
        };
        assert!(
            rss.contains(&format!("<pubDate>{newest_day}</pubDate>")),
            "{rss}"
        );
        let (_, _, atom) = fetch(&server, &format!("/feeds/{path}.atom")).await;
        let atom = String::from_utf8(atom).unwrap();
        assert!(
            atom.contains(&format!("<link href=\"{base}/{path}\" rel=\"alternate\"")),
            "{atom}"
        );
        // The HTML page: its title, its articles, autodiscovery of its feeds.
        let page = server.get(&format!("/{path}")).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "/{path}");
        let html = scraper::Html::parse_document(&page.text().await.unwrap());
        let select = |css: &str| scraper::Selector::parse(css).unwrap();
        let heading: String = html.select(&select("h1")).next().unwrap().text().collect();
        assert_eq!(heading.trim(), *title, "/{path}");
        let links: Vec<&str> = html
            .select(&select("link[rel=alternate]"))
            .map(|l| l.value().attr("href").unwrap())
            .collect();
        assert_eq!(
            links,
            ["rss", "atom", "json"].map(|e| format!("{base}/feeds/{path}.{e}")),
            "/{path}"
        );
        let cards = html.select(&select("ul.articles li")).count();
        assert_eq!(cards, ids.len(), "/{path}");
    }

    // A label whose only article is scheduled is not there yet.
    for path in [
        "/feeds/authors/hoang-lan.rss",
        "/feeds/tags/bi-mat.json",
        "/authors/hoang-lan",
    ] {
        let resp = server.get(path).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
    }

    // The OPML lists: live labels only, newest first, each in every format.
    for (path, slugs) in [
        ("/feeds/authors.opml", vec!["minh-khoi", "ngoc-thu"]),
        ("/feeds/tags.opml", vec!["bien-dong", "kinh-te"]),
    ] {
        let (_, _, bytes) = fetch(&server, path).await;
        let text = String::from_utf8(bytes).unwrap();
        let doc = roxmltree::Document::parse(&text).unwrap();
        let groups: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("outline") && n.attribute("xmlUrl").is_none())
            .collect();
        assert_eq!(groups.len(), 3, "{path}");
        for (group, ext) in groups.iter().zip(["rss", "atom", "json"]) {
            let urls: Vec<&str> = group
                .children()
                .filter_map(|n| n.attribute("xmlUrl"))
                .collect();
            let kind = if path.contains("authors") {
                "authors"
            } else {
                "tags"
            };
            let want: Vec<String> = slugs
                .iter()
                .map(|s| format!("{base}/feeds/{kind}/{s}.{ext}"))
                .collect();
            assert_eq!(urls, want, "{path} {ext}");
        }
        assert!(
            !text.contains("hoang-lan") && !text.contains("bi-mat"),
            "{path}"
        );
    }
    // The category list is still only categories.
    let (_, _, opml) = fetch(&server, "/feeds.opml").await;
    assert!(!String::from_utf8(opml).unwrap().contains("/feeds/authors/"));
    server.stop().await;
}

const LABEL_FEED_RENDERS: &str = "vnfeed_document_renders_total{kind=\"label_feed\"}";

fn series(m: &BTreeMap<String, f64>, name: &str) -> f64 {
    m.get(name).copied().unwrap_or(0.0)
}

async fn a_write_renders_again_only_the_author_and_tag_documents_it_touched(backend: Backend) {
    seed(&backend).await;
    let server = TestServer::with_api(&backend, &[]).await;
    let paths = [
        "/feeds/authors/ngoc-thu.atom",
        "/feeds/authors/minh-khoi.atom",
        "/feeds/tags/bien-dong.atom",
        "/feeds/tags/kinh-te.atom",
    ];
    let mut etags = BTreeMap::new();
    for path in paths {
        let (etag, _, _) = fetch(&server, path).await;
        etags.insert(path, etag);
    }
    let rendered = series(&server.metrics().await, LABEL_FEED_RENDERS);
    assert_eq!(rendered, 4.0);

    // a-2 moves from tag "kinh tế" to "thời sự"; its author stays. Touched: ngoc-thu,
    // kinh-te (old), thoi-su (new). Untouched: minh-khoi, bien-dong.
    let edited = server
        .api(
            "PUT",
            "/api/articles/a-2",
            Some(
                &serde_json::json!({
                    "title": "Giá cá tăng ở chợ đầu mối",
                    "published": "2025-05-02T08:00:00+07:00",
                    "summary": "Giá cá tăng.",
                    "body": "Giá cá tăng.",
                    "author": "Ngọc Thư",
                    "tags": ["Thời sự"],
                })
                .to_string(),
            ),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.json);
    assert_eq!(edited.json["tags"], serde_json::json!(["thời sự"]));
    let revision = backend.open().await.revision().await.unwrap();
    server.wait_for_revision(revision).await;

    for path in paths {
        let (etag, _, bytes) = fetch(&server, path).await;
        let ids: Vec<String> = read_feed(&bytes)
            .entries
            .into_iter()
            .map(|e| e.id)
            .collect();
        match path {
            "/feeds/authors/ngoc-thu.atom" => {
                assert_ne!(etag, etags[path], "{path}: touched");
                assert_eq!(ids, [article_guid("a-2"), article_guid("a-1")]);
            }
            "/feeds/tags/kinh-te.atom" => {
                assert_ne!(etag, etags[path], "{path}: touched");
                assert_eq!(ids, [article_guid("a-1")]);
            }
            _ => assert_eq!(etag, etags[path], "{path}: untouched"),
        }
    }
    let (_, _, now) = fetch(&server, "/feeds/tags/thoi-su.json").await;
    let ids: Vec<String> = read_feed(&now).entries.into_iter().map(|e| e.id).collect();
    assert_eq!(ids, [article_guid("a-2")]);
    // Two touched documents and the new one rendered; the two untouched came from the cache.
    let rendered = series(&server.metrics().await, LABEL_FEED_RENDERS);
    assert_eq!(rendered, 7.0);

    // A deletion touches its labels too.
    let deleted = server.api("DELETE", "/api/articles/a-3", None).await;
    assert_eq!(deleted.status, 200, "{}", deleted.json);
    let gone = server
        .get("/feeds/authors/minh-khoi.rss")
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    let (_, _, bien_dong) = fetch(&server, "/feeds/tags/bien-dong.atom").await;
    let ids: Vec<String> = read_feed(&bien_dong)
        .entries
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, [article_guid("a-1")]);
    server.stop().await;
}

async fn unknown_authors_and_tags_are_404_and_leave_nothing_in_the_cache(backend: Backend) {
    seed(&backend).await;
    let server = TestServer::start(&backend, &["--no-samples"]).await;
    let (etag, _, _) = fetch(&server, "/feeds/tags/kinh-te.rss").await;
    let before = server.metrics().await;
    let entries = series(&before, "vnfeed_document_cache_entries");
    let bytes = series(&before, "vnfeed_document_cache_bytes");
    const PROBES: usize = 500;
    let start = std::time::Instant::now();
    for n in 0..PROBES {
        let path = match n % 3 {
            0 => format!("/feeds/tags/khong-co-{n}.rss"),
            1 => format!("/feeds/authors/khong-co-{n}.json"),
            _ => format!("/tags/khong-co-{n}"),
        };
        let resp = server.get(&path).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let took = start.elapsed();
    println!(
        "{PROBES} requests for unknown labels: {:?} each on average ({:?})",
        took / PROBES as u32,
        backend.kind
    );
    let after = server.metrics().await;
    assert_eq!(series(&after, "vnfeed_document_cache_entries"), entries);
    assert_eq!(series(&after, "vnfeed_document_cache_bytes"), bytes);
    // Slugs that are not slugs never reach the store.
    for path in [
        "/feeds/tags/Bi%E1%BB%83n.rss",
        "/feeds/tags/a/b.rss",
        &format!("/feeds/tags/{}.rss", "a".repeat(81)),
        "/feeds/people.opml",
    ] {
        let resp = server.get(path).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // The known one is still served from the cache, unchanged.
    let again = server.get("/feeds/tags/kinh-te.rss").send().await.unwrap();
    assert_eq!(again.headers()[ETAG].to_str().unwrap(), etag);
    server.stop().await;
}

/// `vnfeed import` of the text layout: the `Từ khóa:` line gives the article its tags.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keyword_line_of_an_imported_file_makes_tag_feeds() {
    let backend = Backend::sqlite();
    let dir = tempdir();
    let text = "Ngư dân bám biển đầu năm\n\n07:00 22/04/2024\n\nĐoàn tàu cá ra khơi.\n\n\
                Ngọc Thư\n\nTừ khóa: Biển Đông, Ngư dân\n";
    let files = write_files(dir.path(), "in", &[("bai.txt", text.as_bytes())]);
    let out = vnfeed(&[
        "import",
        "--store",
        &backend.location,
        files.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let server = TestServer::start(&backend, &["--no-samples"]).await;
    for path in [
        "/feeds/tags/bien-dong.json",
        "/feeds/tags/ngu-dan.json",
        "/feeds/authors/ngoc-thu.json",
    ] {
        let (_, _, bytes) = fetch(&server, path).await;
        let feed = read_feed(&bytes);
        assert_eq!(feed.entries.len(), 1, "{path}");
        assert_eq!(
            feed.entries[0].title.as_ref().unwrap().content,
            "Ngư dân bám biển đầu năm"
        );
    }
    let (_, _, bytes) = fetch(&server, "/feeds/tags/bien-dong.json").await;
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(json["title"], "Từ khóa: biển đông – vnfeed");
    server.stop().await;
}

/// `vnfeed check` (through `check::http::check_url`, as `vnfeed check URL` runs it) finds
/// nothing at all in the authors' and tags' feeds, in every format.
#[tokio::test]
async fn author_and_tag_feeds_pass_the_checker_without_a_finding() {
    use vnfeed::check::{self, Options};
    let backend = Backend::sqlite();
    let server = TestServer::start(&backend, &["--api-token", TOKEN]).await;
    let posted = server
        .api(
            "POST",
            "/api/articles",
            Some(
                &serde_json::json!({
                    "id": "co-tu-khoa",
                    "title": "Bộ đội biên phòng & dân bản cùng giữ mốc giới",
                    "published": "2025-03-30T08:15:00+07:00",
                    "author": "Ngọc Tú",
                    "tags": ["Mốc giới", "Biên phòng <& dân bản>"],
                    "content_html": "<p>Sáng 30/3, tổ công tác <a href=\"/to-cong-tac\">đồn biên phòng</a> phát quang đường tuần tra.</p>",
                })
                .to_string(),
            ),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.json);
    let options = Options::at(Utc::now());
    let mut findings = Vec::new();
    for stem in [
        "authors/ngoc-tu",
        "tags/moc-gioi",
        "tags/bien-phong-dan-ban",
    ] {
        for ext in ["rss", "atom", "json"] {
            let url = format!("{}/feeds/{stem}.{ext}", server.url);
            let report = check::http::check_url(&url, &options).await;
            assert!(report.format.is_some(), "{url}: {:?}", report.findings);
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
    }
    assert!(findings.is_empty(), "{}", findings.join("\n"));
    server.stop().await;
}

/// A client looping over unknown slugs is throttled (429 with Retry-After) once its burst is
/// spent, while the author and tag documents the cache holds are still answered to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loop_over_unknown_slugs_gets_429_but_cached_label_feeds_do_not() {
    let backend = Backend::sqlite();
    seed(&backend).await;
    let server = TestServer::start(
        &backend,
        &[
            "--no-samples",
            "--rate-limit-loopback",
            "--client-rate",
            "1",
            "--client-burst",
            "5",
        ],
    )
    .await;
    // Rendered once (a miss: one token), then held.
    let (etag, _, _) = fetch(&server, "/feeds/tags/kinh-te.rss").await;
    let mut statuses = Vec::new();
    for n in 0..8 {
        let resp = server
            .get(&format!("/feeds/tags/ngau-nhien-{n}.rss"))
            .send()
            .await
            .unwrap();
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(resp.headers().contains_key("retry-after"));
        }
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(&statuses[..4], [404; 4], "{statuses:?}");
    assert_eq!(&statuses[5..], [429; 3], "{statuses:?}");
    for _ in 0..20 {
        let hit = server.get("/feeds/tags/kinh-te.rss").send().await.unwrap();
        assert_eq!(hit.status(), StatusCode::OK);
        assert_eq!(hit.headers()[ETAG].to_str().unwrap(), etag);
    }
    server.stop().await;
}
