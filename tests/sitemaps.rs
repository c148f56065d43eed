//! Issue 12, section 6: `/sitemap.xml` (an index of numbered sitemaps listing every article
//! page shown, with `lastmod`), `/news-sitemap.xml` (Google News, the last 48 hours), both
//! named by `/robots.txt`, both from the bounded document cache and dropped by a write.
//! Validated against the sitemap XSDs in tests/fixtures/sitemaps with xmllint when it is
//! installed (the test says when it is not), and always by a strict structural check of
//! every element with roxmltree. Real server on port 0, real stores on both backends.

mod common;

use std::process::Command;

use chrono::{DateTime, Duration, DurationRound, Utc};
use common::*;
use reqwest::StatusCode;
use vnfeed::store::Clock;
use vnfeed::vietnamese::dateline::rfc3339;

on_both_backends!(
    sitemaps_list_every_shown_article_and_news_the_last_two_days,
    the_news_sitemaps_two_days_are_the_stores_clocks,
);

/// A news sitemap `<url>`: its `loc`, its publication's fields, the rest of `news:news`.
type NewsUrl = (String, Vec<(String, String)>, Vec<(String, String)>);

const SM: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const NEWS: &str = "http://www.google.com/schemas/sitemap-news/0.9";

/// Validates `bytes` against `schema` (in tests/fixtures/sitemaps) with xmllint, or says
/// plainly that it could not.
fn xsd_valid(bytes: &[u8], schema: &str, what: &str) {
    let Ok(version) = Command::new("xmllint").arg("--version").output() else {
        println!("SKIPPED (no xmllint): XSD validation of {what}; the strict roxmltree check ran");
        return;
    };
    assert!(version.status.success() || !version.stderr.is_empty());
    let dir = tempdir();
    let file = dir.path().join("doc.xml");
    std::fs::write(&file, bytes).unwrap();
    let schema = fixture("sitemaps").join(schema);
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(&schema)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{what} is not valid against {}:\n{}",
        schema.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The element children of `node`, each checked to be in `ns`.
fn children<'a>(node: roxmltree::Node<'a, 'a>, ns: &str) -> Vec<roxmltree::Node<'a, 'a>> {
    node.children()
        .filter(|n| {
            assert!(
                !n.is_text() || n.text().unwrap().trim().is_empty(),
                "stray text in <{}>",
                node.tag_name().name()
            );
            n.is_element()
        })
        .inspect(|n| assert_eq!(n.tag_name().namespace(), Some(ns), "{n:?}"))
        .collect()
}

/// The names and texts of an element's children, in order.
fn fields(node: roxmltree::Node<'_, '_>, ns: &str) -> Vec<(String, String)> {
    children(node, ns)
        .into_iter()
        .map(|n| {
            (
                n.tag_name().name().to_string(),
                n.text().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// A urlset's URLs strictly: `url` elements of `loc` then an optional `lastmod`.
fn urlset(xml: &str) -> Vec<(String, Option<String>)> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "urlset");
    assert_eq!(root.tag_name().namespace(), Some(SM));
    let urls = children(root, SM);
    assert!(urls.len() <= 50_000);
    urls.into_iter()
        .map(|url| {
            assert_eq!(url.tag_name().name(), "url");
            match fields(url, SM).as_slice() {
                [(loc, l)] if loc == "loc" => (l.clone(), None),
                [(loc, l), (lastmod, m)] if loc == "loc" && lastmod == "lastmod" => {
                    (l.clone(), Some(m.clone()))
                }
                other => panic!("a <url> of {other:?}"),
            }
        })
        .collect()
}

fn secs(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::seconds(1)).unwrap()
}

async fn sitemaps_list_every_shown_article_and_news_the_last_two_days(backend: Backend) {
    let now = secs(Utc::now());
    let store = backend.open().await;
    let old = at("2024-04-22T00:00:00Z");
    let fresh = now - Duration::hours(2);
    let yesterday = now - Duration::hours(30);
    let drafts = vec![
        DraftBuilder::new("cu", "Tin cũ & \"xưa\"")
            .published(old)
            .build(),
        DraftBuilder::new("moi", "Tin mới <nhất>")
            .published(fresh)
            .build(),
        DraftBuilder::new("hom-qua", "Tin hôm qua")
            .published(yesterday)
            .build(),
        DraftBuilder::new("hen-gio", "Tin hẹn giờ")
            .published(now + Duration::hours(3))
            .build(),
    ];
    store.upsert(drafts, now).await.unwrap();
    let server = TestServer::start(
        &backend,
        &["--no-samples", "--site-title", "Báo Biên Cương"],
    )
    .await;
    let base = server.url.clone();

    let (_, _, robots) = fetch(&server, "/robots.txt").await;
    assert_eq!(
        String::from_utf8(robots).unwrap(),
        format!(
            "User-agent: *\nDisallow: /api/\n\nSitemap: {base}/sitemap.xml\nSitemap: {base}/news-sitemap.xml\n"
        )
    );

    let (_, _, index) = fetch(&server, "/sitemap.xml").await;
    xsd_valid(&index, "siteindex.xsd", "/sitemap.xml");
    let text = String::from_utf8(index).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "sitemapindex");
    let maps: Vec<Vec<(String, String)>> = children(doc.root_element(), SM)
        .into_iter()
        .map(|s| {
            assert_eq!(s.tag_name().name(), "sitemap");
            fields(s, SM)
        })
        .collect();
    assert_eq!(
        maps,
        [[("loc".to_string(), format!("{base}/sitemaps/1.xml"))]]
    );

    let (_, last_modified, sitemap) = fetch(&server, "/sitemaps/1.xml").await;
    xsd_valid(&sitemap, "sitemap.xsd", "/sitemaps/1.xml");
    let page = |slug: &str| format!("{base}/articles/{slug}");
    assert_eq!(
        urlset(&String::from_utf8(sitemap).unwrap()),
        [
            (format!("{base}/"), None),
            (
                page("tin-cu-xua"),
                Some("2024-04-22T07:00:00+07:00".to_string())
            ),
            (page("tin-hom-qua"), Some(rfc3339(yesterday))),
            (page("tin-moi-nhat"), Some(rfc3339(fresh))),
        ],
        "oldest first, the scheduled article absent"
    );
    assert_eq!(last_modified, httpdate::fmt_http_date(fresh.into()));
    let past = server.get("/sitemaps/2.xml").send().await.unwrap();
    assert_eq!(past.status(), StatusCode::NOT_FOUND);

    let (_, _, news) = fetch(&server, "/news-sitemap.xml").await;
    xsd_valid(&news, "news-validation.xsd", "/news-sitemap.xml");
    let news = String::from_utf8(news).unwrap();
    let doc = roxmltree::Document::parse(&news).unwrap();
    let got: Vec<NewsUrl> = children(doc.root_element(), SM)
        .into_iter()
        .map(|url| {
            let parts: Vec<_> = url.children().filter(|n| n.is_element()).collect();
            assert_eq!(parts.len(), 2, "<loc> and <news:news>");
            assert_eq!(parts[0].tag_name().name(), "loc");
            assert_eq!(parts[1].tag_name().namespace(), Some(NEWS));
            let inner = children(parts[1], NEWS);
            assert_eq!(inner[0].tag_name().name(), "publication");
            (
                parts[0].text().unwrap().to_string(),
                fields(inner[0], NEWS),
                inner[1..]
                    .iter()
                    .map(|n| {
                        (
                            n.tag_name().name().to_string(),
                            n.text().unwrap().to_string(),
                        )
                    })
                    .collect(),
            )
        })
        .collect();
    let publication = vec![
        ("name".to_string(), "Báo Biên Cương".to_string()),
        ("language".to_string(), "vi".to_string()),
    ];
    let item = |slug: &str, when: DateTime<Utc>, title: &str| {
        (
            page(slug),
            publication.clone(),
            vec![
                ("publication_date".to_string(), rfc3339(when)),
                ("title".to_string(), title.to_string()),
            ],
        )
    };
    assert_eq!(
        got,
        [
            item("tin-moi-nhat", fresh, "Tin mới <nhất>"),
            item("tin-hom-qua", yesterday, "Tin hôm qua"),
        ],
        "the last 48 hours, newest first"
    );
    assert!(rfc3339(fresh).ends_with("+07:00"));

    // From the cache: asking again renders nothing.
    let renders = |m: &std::collections::BTreeMap<String, f64>| {
        m.get("vnfeed_document_renders_total{kind=\"sitemap\"}")
            .copied()
            .unwrap_or(0.0)
    };
    let before = renders(&server.metrics().await);
    // Index, sitemap 1, the news sitemap, and the look at sitemap 2 that found none.
    assert_eq!(before, 4.0);
    for path in ["/sitemap.xml", "/sitemaps/1.xml", "/news-sitemap.xml"] {
        fetch(&server, path).await;
    }
    assert_eq!(renders(&server.metrics().await), before);

    // A write drops them: the new article is listed at once.
    store
        .upsert(
            vec![
                DraftBuilder::new("vua-dang", "Tin vừa đăng")
                    .published(now - Duration::minutes(1))
                    .build(),
            ],
            Utc::now(),
        )
        .await
        .unwrap();
    server
        .wait_for_revision(store.revision().await.unwrap())
        .await;
    let (_, _, sitemap) = fetch(&server, "/sitemaps/1.xml").await;
    let urls = urlset(&String::from_utf8(sitemap).unwrap());
    assert_eq!(urls.last().unwrap().0, page("tin-vua-dang"));
    let (_, _, news) = fetch(&server, "/news-sitemap.xml").await;
    assert!(
        String::from_utf8(news)
            .unwrap()
            .contains(&page("tin-vua-dang"))
    );
    server.stop().await;
}

/// The `<loc>` of each `<url>` of a news sitemap, in order.
fn news_locs(xml: &[u8]) -> Vec<String> {
    let xml = std::str::from_utf8(xml).unwrap();
    let doc = roxmltree::Document::parse(xml).unwrap();
    children(doc.root_element(), SM)
        .into_iter()
        .map(|url| {
            let loc = url.children().find(|n| n.is_element()).unwrap();
            assert_eq!(loc.tag_name().name(), "loc");
            loc.text().unwrap().to_string()
        })
        .collect()
}

/// The news sitemap's 48 hours are counted on the store's clock, the one that decides which
/// articles are shown: which articles it lists, and when the kept document goes stale with no
/// write (its oldest article leaving the window). Here that clock is a manual one a month
/// ahead of the wall clock, so a sitemap judged by the wall clock lists an article from 60
/// hours back and is never found stale.
async fn the_news_sitemaps_two_days_are_the_stores_clocks(backend: Backend) {
    let now = secs(Utc::now()) + Duration::days(30);
    let clock = Clock::manual(now);
    let store = backend.open().await;
    let drafts = vec![
        DraftBuilder::new("sap-het", "Tin sắp hết hạn")
            .published(now - Duration::hours(47))
            .build(),
        DraftBuilder::new("moi", "Tin mới")
            .published(now - Duration::hours(1))
            .build(),
        DraftBuilder::new("da-cu", "Tin đã cũ")
            .published(now - Duration::hours(60))
            .build(),
    ];
    store.upsert(drafts, now).await.unwrap();
    let server = TestServer::start_at(&backend, &["--no-samples"], clock.clone()).await;
    let page = |slug: &str| format!("{}/articles/{slug}", server.url);
    let renders = |m: &std::collections::BTreeMap<String, f64>| {
        m.get("vnfeed_document_renders_total{kind=\"sitemap\"}")
            .copied()
            .unwrap_or(0.0)
    };

    let (_, _, news) = fetch(&server, "/news-sitemap.xml").await;
    assert_eq!(
        news_locs(&news),
        [page("tin-moi"), page("tin-sap-het-han")],
        "the last 48 hours by the store's clock, newest first"
    );
    let rendered = renders(&server.metrics().await);
    assert_eq!(rendered, 1.0);

    // A minute before the oldest leaves the window: still the kept document.
    clock.advance(Duration::minutes(59));
    let (_, _, news) = fetch(&server, "/news-sitemap.xml").await;
    assert_eq!(news_locs(&news), [page("tin-moi"), page("tin-sap-het-han")]);
    assert_eq!(renders(&server.metrics().await), rendered);

    // It has left the window, with no write: the kept document is stale, rendered anew
    // without it.
    clock.advance(Duration::minutes(2));
    let (_, _, news) = fetch(&server, "/news-sitemap.xml").await;
    assert_eq!(news_locs(&news), [page("tin-moi")]);
    assert_eq!(renders(&server.metrics().await), rendered + 1.0);
    server.stop().await;
}
