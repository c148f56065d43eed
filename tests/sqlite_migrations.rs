//! An SQLite store written by an older vnfeed opens in this one with nothing lost: the
//! migration that keeps each article's categories in its own row fills that column from the
//! categories table, and every read (feeds, pages, by id, history) sees the same lists.

mod common;

use chrono::{Duration, Utc};
use common::*;
use vnfeed::model::{Article, Draft};
use vnfeed::store::{SqliteStore, Store};

fn draft(n: usize, categories: &[&str]) -> Draft {
    DraftBuilder::new(format!("tin-{n:02}"), format!("Tin thời sự số {n}"))
        .summary(format!("Tóm tắt tin số {n}."))
        .paragraph(format!(
            "Nội dung tin số {n}: đoàn công tác làm việc tại cửa khẩu."
        ))
        .published(at("2025-03-01T02:00:00Z") + Duration::minutes(n as i64))
        .categories(categories)
        .build()
}

fn ids_and_categories(articles: &[Article]) -> Vec<(String, Vec<String>)> {
    articles
        .iter()
        .map(|a| (a.id.clone(), a.categories.clone()))
        .collect()
}

#[tokio::test]
async fn a_store_from_before_the_categories_column_reads_the_same_categories() {
    let dir = tempdir();
    let path = dir.path().join("vnfeed.db");
    let drafts = vec![
        draft(0, &[]),
        draft(1, &["borders"]),
        // Given out of byte order: every read returns them sorted.
        draft(2, &["security", "borders"]),
        draft(3, &["party-affairs", "security", "borders"]),
    ];
    let before = {
        let store = SqliteStore::open(&path).unwrap();
        store.upsert(drafts, Utc::now()).await.unwrap();
        ids_and_categories(&store.latest(FeedKey::All, 10).await.unwrap())
    };
    assert_eq!(
        before,
        [
            ("tin-03", vec!["borders", "party-affairs", "security"]),
            ("tin-02", vec!["borders", "security"]),
            ("tin-01", vec!["borders"]),
            ("tin-00", vec![]),
        ]
        .map(|(id, cats)| (id.to_string(), cats.into_iter().map(String::from).collect()))
    );
    // Back to schema version 4, before the column existed (and the history of then).
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        before_labels(&conn);
        back_to_frozen_history(&conn);
        conn.execute_batch("ALTER TABLE articles DROP COLUMN categories; PRAGMA user_version = 4;")
            .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        ids_and_categories(&store.latest(FeedKey::All, 10).await.unwrap()),
        before
    );
    // Issue 16: rows from before the flag count as named by their source, so
    // `vnfeed reclassify` never moves what an editor may have chosen.
    for article in store.latest(FeedKey::All, 10).await.unwrap() {
        assert_eq!(
            article.categorized,
            vnfeed::model::Categorized::Explicitly,
            "{}",
            article.id
        );
    }
    assert_eq!(
        ids_and_categories(&store.page(FeedKey::All, 0, 10).await.unwrap()),
        before
    );
    let in_borders: Vec<_> = before
        .iter()
        .filter(|(id, _)| id != "tin-00")
        .cloned()
        .collect();
    assert_eq!(
        ids_and_categories(
            &store
                .latest(FeedKey::Category("borders"), 10)
                .await
                .unwrap()
        ),
        in_borders
    );
    assert_eq!(
        ids_and_categories(
            &store
                .page(FeedKey::Category("borders"), 0, 10)
                .await
                .unwrap()
        ),
        in_borders
    );
    let one = store.by_id("tin-03").await.unwrap().unwrap();
    assert_eq!(one.categories, before[0].1);
    let archive = store.archive(FeedKey::All, 1).await.unwrap().unwrap();
    let mut history = ids_and_categories(&archive.articles);
    history.reverse();
    assert_eq!(history, before);

    // Written after the migration: an edit that moves an article between categories is
    // read back with its new list, and leaves the old category's feed.
    store
        .upsert(vec![draft(3, &["security"])], Utc::now())
        .await
        .unwrap();
    let edited = store.by_id("tin-03").await.unwrap().unwrap();
    assert_eq!(edited.categories, ["security"]);
    let borders = ids_and_categories(
        &store
            .latest(FeedKey::Category("borders"), 10)
            .await
            .unwrap(),
    );
    assert_eq!(
        borders
            .iter()
            .map(|(id, _)| id.as_str())
            .collect::<Vec<_>>(),
        ["tin-02", "tin-01"]
    );
    let security = store
        .latest(FeedKey::Category("security"), 10)
        .await
        .unwrap();
    assert_eq!(
        ids_and_categories(&security),
        [
            ("tin-03".to_string(), vec!["security".to_string()]),
            (
                "tin-02".to_string(),
                vec!["borders".to_string(), "security".to_string()]
            ),
        ]
    );
}

/// Takes out what schema version 8 added: tags and the author/tag index.
fn before_labels(conn: &rusqlite::Connection) {
    conn.execute_batch(
        "DROP TABLE article_labels; DROP TABLE label_revisions;
         ALTER TABLE articles DROP COLUMN tags; PRAGMA user_version = 7;",
    )
    .unwrap();
}

/// A store from before tags (schema version 7) opens with every author filed: its authors'
/// feeds hold their articles with no write.
#[tokio::test]
async fn a_store_from_before_labels_files_every_author() {
    use vnfeed::store::{LabelKey, LabelKind};
    let dir = tempdir();
    let path = dir.path().join("vnfeed.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        let drafts: Vec<Draft> = (0..3)
            .map(|n| {
                let mut d = draft(n, &["borders"]);
                d.author = Some(if n == 1 { "Minh Khôi" } else { "Ngọc Thư" }.into());
                d
            })
            .collect();
        store.upsert(drafts, Utc::now()).await.unwrap();
    }
    before_labels(&rusqlite::Connection::open(&path).unwrap());
    let store = SqliteStore::open(&path).unwrap();
    let ids = |articles: Vec<Article>| articles.into_iter().map(|a| a.id).collect::<Vec<_>>();
    let ngoc_thu = LabelKey::new(LabelKind::Author, "ngoc-thu");
    assert_eq!(
        ids(store.labelled(&ngoc_thu, 10).await.unwrap()),
        ["tin-02", "tin-00"]
    );
    let minh_khoi = LabelKey::new(LabelKind::Author, "minh-khoi");
    assert_eq!(
        ids(store.labelled(&minh_khoi, 10).await.unwrap()),
        ["tin-01"]
    );
    assert!(
        store
            .by_id("tin-00")
            .await
            .unwrap()
            .unwrap()
            .tags
            .is_empty()
    );
}

/// Turns the history tables of this vnfeed back into those of schema versions 4 and 5 (one
/// entry per write, frozen copies in `article_versions`), entries in the same order.
fn back_to_frozen_history(conn: &rusqlite::Connection) {
    conn.execute_batch(
        "CREATE TABLE article_versions (
             version INTEGER PRIMARY KEY, article_id TEXT NOT NULL, snapshot TEXT NOT NULL);
         CREATE TABLE feed_history (
             feed TEXT NOT NULL, position INTEGER NOT NULL, article_id TEXT,
             version INTEGER REFERENCES article_versions (version),
             PRIMARY KEY (feed, position)) WITHOUT ROWID;
         CREATE INDEX feed_history_article ON feed_history (article_id);
         INSERT INTO feed_history (feed, position, article_id)
             SELECT feed, row_number() OVER (PARTITION BY feed ORDER BY page, position) - 1,
                    article_id FROM history_entries;
         DROP TABLE history_entries; DROP TABLE archive_pages; DROP TABLE feed_changes;
         ALTER TABLE articles DROP COLUMN categories_explicit;",
    )
    .unwrap();
}

/// A store of schema version 5 where one article was edited 50 times (a full frozen copy per
/// edit in every feed it is in, as vnfeed kept them) opens with one entry per article: the
/// copies are gone, every article is still in its feeds' archives once, the old pages keep
/// their numbers, and the next write goes to a new page after the full ones.
#[tokio::test]
async fn a_store_with_frozen_copies_keeps_one_entry_per_article() {
    let dir = tempdir();
    let path = dir.path().join("vnfeed.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        let drafts: Vec<Draft> = (0..150).map(|n| draft(n, &["borders"])).collect();
        store.upsert(drafts, Utc::now()).await.unwrap();
    }
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        before_labels(&conn);
        back_to_frozen_history(&conn);
        // 50 edits of tin-07 under the old rules: each froze a copy and appended an entry,
        // so the history had 200 entries: two full pages.
        conn.execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
             INSERT INTO article_versions (version, article_id, snapshot)
                 SELECT i, 'tin-07', '{\"frozen\": true}' FROM n;
             UPDATE feed_history SET version = 1 WHERE article_id = 'tin-07';
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 49)
             INSERT INTO feed_history (feed, position, article_id, version)
                 SELECT f.feed, 150 + i, 'tin-07', CASE WHEN i < 49 THEN i + 2 END
                 FROM n, (SELECT 'all' AS feed UNION ALL SELECT 'borders') f;
             PRAGMA user_version = 5;",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 8);
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name IN ('article_versions', 'feed_history')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0, "the frozen copies are gone");
    for feed in [FeedKey::All, FeedKey::Category("borders")] {
        // 200 old entries made two full pages; page 3 is new and empty, so they stay closed.
        assert_eq!(store.archive_count(feed).await.unwrap(), 3, "{feed:?}");
        let mut seen = Vec::new();
        for number in 1..=3 {
            let page = store.archive(feed, number).await.unwrap().unwrap();
            seen.extend(page.articles.into_iter().map(|a| a.id));
        }
        let mut expected: Vec<String> = (0..150).map(|n| format!("tin-{n:02}")).collect();
        // tin-07's newest entry was its last edit: at the end of the history.
        expected.retain(|id| id != "tin-07");
        expected.push("tin-07".into());
        assert_eq!(seen, expected, "{feed:?}: each article once");
    }
    let entries: i64 = conn
        .query_row("SELECT count(*) FROM history_entries", [], |r| r.get(0))
        .unwrap();
    assert_eq!(entries, 300);
    let second = store
        .archive(FeedKey::Category("borders"), 2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.articles.len(), 51);
    // New articles go to page 3, not to the old pages.
    let more: Vec<Draft> = (150..160).map(|n| draft(n, &["borders"])).collect();
    store.upsert(more, Utc::now()).await.unwrap();
    assert_eq!(
        store
            .archive_count(FeedKey::Category("borders"))
            .await
            .unwrap(),
        3
    );
    let third = store
        .archive(FeedKey::Category("borders"), 3)
        .await
        .unwrap()
        .unwrap();
    let ids: Vec<String> = third.articles.into_iter().map(|a| a.id).collect();
    let expected: Vec<String> = (150..160).map(|n| format!("tin-{n:03}")).collect();
    assert_eq!(ids, expected);
    let second = store
        .archive(FeedKey::Category("borders"), 2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.articles.len(), 51, "a closed page gains nothing");
}
