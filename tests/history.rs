//! RFC 5005 feed history over real HTTP: paged feeds (`?page=N`) in every format, and
//! archive pages that no unrelated write changes, walked back to the first article.

mod common;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use common::*;
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH};
use vnfeed::model::{Draft, article_guid};
use vnfeed::store::{SqliteStore, Store};

on_both_backends!(
    paged_feeds_walk_every_article_once_in_every_format,
    closed_archive_pages_keep_their_bytes_and_lead_back_to_the_first_article,
);

fn draft(n: usize, published: DateTime<Utc>, category: &str) -> Draft {
    DraftBuilder::new(format!("bai-{n:04}"), format!("Bản tin biên giới số {n}"))
        .summary(format!("Tóm tắt bản tin số {n} về tuần tra đường biên."))
        .paragraph(format!(
            "Nội dung bản tin số {n}: tổ công tác kiểm tra mốc quốc giới."
        ))
        .author("Phóng viên thường trú")
        .published(published)
        .categories(&[category])
        .build()
}

fn t0() -> DateTime<Utc> {
    "2020-01-01T01:00:00Z".parse().unwrap()
}

/// `count` border articles, one hour apart, written in batches as an importer would.
async fn fill(store: &dyn Store, from: usize, count: usize) {
    let drafts: Vec<Draft> = (from..from + count)
        .map(|n| draft(n, t0() + Duration::hours(n as i64), "borders"))
        .collect();
    for batch in drafts.chunks(60) {
        store.upsert(batch.to_vec(), Utc::now()).await.unwrap();
    }
}

async fn get(server: &TestServer, path: &str) -> reqwest::Response {
    server.get_with(path, &[]).await
}

async fn body(server: &TestServer, path: &str) -> Vec<u8> {
    let resp = get(server, path).await;
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    resp.bytes().await.unwrap().to_vec()
}

fn atom_links(bytes: &[u8]) -> Vec<(String, String)> {
    let feed = atom_syndication::Feed::read_from(bytes).unwrap();
    feed.links()
        .iter()
        .map(|l| (l.rel().to_string(), l.href().to_string()))
        .collect()
}

fn link<'a>(links: &'a [(String, String)], rel: &str) -> Option<&'a str> {
    links
        .iter()
        .find(|(r, _)| r == rel)
        .map(|(_, h)| h.as_str())
}

fn rss_links(bytes: &[u8]) -> Vec<(String, String)> {
    let channel = rss::Channel::read_from(bytes).unwrap();
    channel
        .atom_ext()
        .unwrap()
        .links()
        .iter()
        .map(|l| (l.rel().to_string(), l.href().to_string()))
        .collect()
}

async fn paged_feeds_walk_every_article_once_in_every_format(backend: Backend) {
    let store = backend.open().await;
    fill(store.as_ref(), 0, 7).await;
    let server = TestServer::start(&backend, &["--no-samples", "--limit", "3"]).await;
    let base = format!("{}/feeds/borders", server.url);

    // Atom: first/next/last on page 1, previous on page 2, 3 pages of 3, 3 and 1.
    let page1 = body(&server, "/feeds/borders.atom").await;
    let links = atom_links(&page1);
    assert_eq!(link(&links, "self"), Some(format!("{base}.atom").as_str()));
    assert_eq!(link(&links, "first"), Some(format!("{base}.atom").as_str()));
    assert_eq!(
        link(&links, "next"),
        Some(format!("{base}.atom?page=2").as_str())
    );
    assert_eq!(
        link(&links, "last"),
        Some(format!("{base}.atom?page=3").as_str())
    );
    assert_eq!(link(&links, "previous"), None);
    assert_eq!(
        link(&links, "prev-archive"),
        Some(format!("{base}/archive/1.atom").as_str()),
        "the subscription document leads to the archives too"
    );
    let mut seen = Vec::new();
    let mut next = Some(format!("{base}.atom"));
    let mut pages = 0;
    while let Some(url) = next {
        let bytes = body(&server, url.strip_prefix(&server.url).unwrap()).await;
        assert_well_formed(&bytes);
        let feed = atom_syndication::Feed::read_from(&bytes[..]).unwrap();
        seen.extend(feed.entries().iter().map(|e| e.id().to_string()));
        let links = atom_links(&bytes);
        if pages > 0 {
            assert!(link(&links, "previous").is_some(), "{url}");
        }
        next = link(&links, "next").map(str::to_string);
        pages += 1;
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..7)
        .rev()
        .map(|n| article_guid(&format!("bai-{n:04}")))
        .collect();
    assert_eq!(seen, expected, "newest first, each article once");

    // RSS carries the same relations as atom:link.
    let rss2 = body(&server, "/feeds/borders.rss?page=2").await;
    assert_well_formed(&rss2);
    let links = rss_links(&rss2);
    assert_eq!(
        link(&links, "self"),
        Some(format!("{base}.rss?page=2").as_str())
    );
    assert_eq!(
        link(&links, "previous"),
        Some(format!("{base}.rss").as_str())
    );
    assert_eq!(
        link(&links, "next"),
        Some(format!("{base}.rss?page=3").as_str())
    );
    assert_eq!(link(&links, "first"), Some(format!("{base}.rss").as_str()));
    assert_eq!(
        link(&links, "prev-archive"),
        None,
        "only on the subscription document"
    );
    let items = rss::Channel::read_from(&rss2[..]).unwrap();
    let titles: Vec<&str> = items.items().iter().map(|i| i.title().unwrap()).collect();
    assert_eq!(
        titles,
        [
            "Bản tin biên giới số 3",
            "Bản tin biên giới số 2",
            "Bản tin biên giới số 1"
        ]
    );

    // JSON Feed: next_url chains to the end, where it is absent.
    let mut json_ids = Vec::new();
    let mut next = Some(format!("{base}.json"));
    while let Some(url) = next {
        let bytes = body(&server, url.strip_prefix(&server.url).unwrap()).await;
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["feed_url"], url.as_str());
        json_ids.extend(
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_string()),
        );
        next = v.get("next_url").map(|u| u.as_str().unwrap().to_string());
    }
    assert_eq!(json_ids, expected);

    // Past the end, and not a page number.
    for (path, status) in [
        ("/feeds/borders.atom?page=4", StatusCode::NOT_FOUND),
        (
            "/feeds/borders.json?page=99999999999999999999",
            StatusCode::BAD_REQUEST,
        ),
        ("/feeds/borders.rss?page=0", StatusCode::BAD_REQUEST),
        ("/feeds/borders.rss?page=-1", StatusCode::BAD_REQUEST),
        ("/feeds/borders.rss?page=02", StatusCode::BAD_REQUEST),
        ("/feeds/borders.rss?page=abc", StatusCode::BAD_REQUEST),
        ("/feeds/security.rss?page=2", StatusCode::NOT_FOUND),
        ("/feeds/security.rss?page=1", StatusCode::OK),
    ] {
        assert_eq!(get(&server, path).await.status(), status, "{path}");
    }
    // Page 1 by number is the subscription document, byte for byte.
    assert_eq!(body(&server, "/feeds/borders.atom?page=1").await, page1);
    // An alias keeps the page it was asked for.
    let moved = get(&server, "/feeds/bien-gioi.atom?page=2").await;
    assert_eq!(moved.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(moved.headers()["location"], "/feeds/borders.atom?page=2");
    server.stop().await;
}

/// The archive pages of `feed` in `ext`, walked from the subscription document through
/// `prev-archive` links, oldest first: (path, bytes).
async fn walk_archives(server: &TestServer, feed: &str) -> Vec<(String, Vec<u8>)> {
    let current = body(server, &format!("/feeds/{feed}.atom")).await;
    let mut next = link(&atom_links(&current), "prev-archive").map(str::to_string);
    let mut out = Vec::new();
    while let Some(url) = next {
        let path = url.strip_prefix(&server.url).unwrap().to_string();
        let bytes = body(server, &path).await;
        next = link(&atom_links(&bytes), "prev-archive").map(str::to_string);
        out.push((path, bytes));
    }
    out.reverse();
    out
}

fn entry_ids(bytes: &[u8]) -> Vec<String> {
    atom_syndication::Feed::read_from(bytes)
        .unwrap()
        .entries()
        .iter()
        .map(|e| e.id().to_string())
        .collect()
}

async fn closed_archive_pages_keep_their_bytes_and_lead_back_to_the_first_article(
    backend: Backend,
) {
    let store = backend.open().await;
    fill(store.as_ref(), 0, 250).await;
    let server = TestServer::start(&backend, &["--no-samples"]).await;

    let archives = walk_archives(&server, "borders").await;
    let paths: Vec<&str> = archives.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/feeds/borders/archive/1.atom",
            "/feeds/borders/archive/2.atom",
            "/feeds/borders/archive/3.atom"
        ]
    );
    let sizes: Vec<usize> = archives.iter().map(|(_, b)| entry_ids(b).len()).collect();
    assert_eq!(sizes, [100, 100, 50]);
    // Page 1 holds the 100 oldest, counted from the oldest.
    let first: BTreeSet<String> = entry_ids(&archives[0].1).into_iter().collect();
    let oldest: BTreeSet<String> = (0..100)
        .map(|n| article_guid(&format!("bai-{n:04}")))
        .collect();
    assert_eq!(first, oldest);

    for (path, bytes) in &archives {
        assert_well_formed(bytes);
        let text = std::str::from_utf8(bytes).unwrap();
        assert!(
            text.contains("xmlns:fh=\"http://purl.org/syndication/history/1.0\"")
                && text.contains("<fh:archive"),
            "{path} is marked as an archive"
        );
        let links = atom_links(bytes);
        assert_eq!(
            link(&links, "current"),
            Some(format!("{}/feeds/borders.atom", server.url).as_str())
        );
    }
    let middle = atom_links(&archives[1].1);
    assert!(
        link(&middle, "prev-archive")
            .unwrap()
            .ends_with("/archive/1.atom")
    );
    assert!(
        link(&middle, "next-archive")
            .unwrap()
            .ends_with("/archive/3.atom")
    );

    // Full pages are kept by caches for a day, never promised immutable (a takedown
    // changes them); the newest, still growing, like a feed.
    let full = get(&server, "/feeds/borders/archive/2.rss").await;
    assert_eq!(full.headers()[CACHE_CONTROL], "public, max-age=86400");
    let etag = full.headers()[ETAG].to_str().unwrap().to_string();
    let rss_before = full.bytes().await.unwrap();
    let again = server
        .get_with("/feeds/borders/archive/2.rss", &[(IF_NONE_MATCH, &etag)])
        .await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let growing = get(&server, "/feeds/borders/archive/3.json").await;
    assert_eq!(growing.headers()[CACHE_CONTROL], "public, max-age=300");
    let json: serde_json::Value = serde_json::from_slice(&growing.bytes().await.unwrap()).unwrap();
    assert_eq!(
        json["next_url"],
        format!("{}/feeds/borders/archive/2.json", server.url),
        "JSON Feed's next_url leads to the older archive page"
    );
    assert_eq!(
        get(&server, "/feeds/borders/archive/4.atom").await.status(),
        StatusCode::NOT_FOUND
    );
    for bad in [
        "/feeds/borders/archive/0.atom",
        "/feeds/borders/archive/01.atom",
    ] {
        assert_eq!(
            get(&server, bad).await.status(),
            StatusCode::NOT_FOUND,
            "{bad}"
        );
    }
    assert_eq!(
        get(&server, "/feeds/security/archive/1.atom")
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "an empty history has no archive page"
    );

    // New articles (one back-dated before all others), and an edit of an archived article.
    let mut late = vec![draft(
        900,
        "2001-05-05T05:00:00Z".parse().unwrap(),
        "borders",
    )];
    late.push(draft(901, t0() + Duration::days(400), "borders"));
    let mut edited = draft(5, t0() + Duration::hours(5), "borders");
    edited.title = "Bản tin biên giới số 5 (đã đính chính)".into();
    late.push(edited);
    store.upsert(late, Utc::now()).await.unwrap();
    // Written behind the server's back: served once its next poll has seen the change.
    server
        .wait_for_revision(store.revision().await.unwrap())
        .await;

    let after = walk_archives(&server, "borders").await;
    assert_eq!(after.len(), 3);
    assert_eq!(
        after[1], archives[1],
        "a closed page no write touched keeps its bytes"
    );
    assert_eq!(
        body(&server, "/feeds/borders/archive/2.rss").await,
        rss_before.to_vec()
    );
    // The edited article left its old page (one version of an entry in the archives), and
    // every other entry there kept its place.
    let mut expected = entry_ids(&archives[0].1);
    expected.retain(|id| *id != article_guid("bai-0005"));
    assert_eq!(entry_ids(&after[0].1), expected);
    // The newcomers and the correction go to the end of the history, the newest page.
    let newest = atom_syndication::Feed::read_from(&after[2].1[..]).unwrap();
    assert_eq!(newest.entries().len(), 53);
    let titles: Vec<&str> = newest
        .entries()
        .iter()
        .map(|e| e.title().as_str())
        .collect();
    assert!(titles.contains(&"Bản tin biên giới số 5 (đã đính chính)"));
    assert!(titles.contains(&"Bản tin biên giới số 900"));

    // Back-filling from the archives finds every article there is.
    let mut all_ids = BTreeSet::new();
    for (_, bytes) in &after {
        all_ids.extend(entry_ids(bytes));
    }
    let stored: BTreeSet<String> = store
        .latest(FeedKey::Category("borders"), 1000)
        .await
        .unwrap()
        .iter()
        .map(|a| a.guid())
        .collect();
    assert_eq!(stored.len(), 252);
    assert_eq!(all_ids, stored);

    // A deletion (a takedown) reaches the archives: the article leaves its page, every
    // other entry keeps its place, and the other full pages keep their bytes.
    store.delete("bai-0042", Utc::now()).await.unwrap().unwrap();
    server
        .wait_for_revision(store.revision().await.unwrap())
        .await;
    let gone = walk_archives(&server, "borders").await;
    assert_eq!(gone[1], after[1]);
    let first = entry_ids(&gone[0].1);
    assert_eq!(first.len(), 98);
    assert!(!first.contains(&article_guid("bai-0042")));
    let mut before = entry_ids(&after[0].1);
    before.retain(|id| *id != article_guid("bai-0042"));
    assert_eq!(first, before);
    server.stop().await;
}

#[tokio::test]
async fn a_store_from_before_history_is_migrated_with_every_article_in_it() {
    let dir = tempdir();
    let path = dir.path().join("vnfeed.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        fill(&store, 0, 5).await;
    }
    // Turn the file back into a store of the schema before history (schema version 3, the
    // history tables came with version 4): no history tables, and none of the later columns.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TABLE history_entries; DROP TABLE archive_pages; DROP TABLE feed_changes; \
             DROP TABLE article_labels; DROP TABLE label_revisions; \
             ALTER TABLE articles DROP COLUMN tags; \
             ALTER TABLE articles DROP COLUMN categories; \
             ALTER TABLE articles DROP COLUMN categories_explicit; PRAGMA user_version = 3;",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.archive_count(FeedKey::All).await.unwrap(), 1);
    assert_eq!(
        store
            .archive_count(FeedKey::Category("borders"))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .archive_count(FeedKey::Category("security"))
            .await
            .unwrap(),
        0
    );
    let archive_ids = |page: vnfeed::store::ArchivePage| -> Vec<String> {
        page.articles.into_iter().map(|a| a.id).collect()
    };
    let ids = archive_ids(
        store
            .archive(FeedKey::Category("borders"), 1)
            .await
            .unwrap()
            .unwrap(),
    );
    assert_eq!(
        ids,
        ["bai-0000", "bai-0001", "bai-0002", "bai-0003", "bai-0004"]
    );
    // The next write goes to the end.
    fill(&store, 5, 1).await;
    assert_eq!(
        store
            .archive_count(FeedKey::Category("borders"))
            .await
            .unwrap(),
        1
    );
    let ids = archive_ids(
        store
            .archive(FeedKey::Category("borders"), 1)
            .await
            .unwrap()
            .unwrap(),
    );
    assert_eq!(ids.last().map(String::as_str), Some("bai-0005"));
    // Paging reads through the same store methods.
    let page = store
        .page(FeedKey::Category("borders"), 2, 2)
        .await
        .unwrap();
    let ids: Vec<&str> = page.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["bai-0003", "bai-0002"]);
    assert_eq!(
        store.count_in(FeedKey::Category("borders")).await.unwrap(),
        6
    );
    assert_eq!(
        store.count_in(FeedKey::Category("security")).await.unwrap(),
        0
    );
}
