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
        ids_and_categories(&store.latest(None, 10).await.unwrap())
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
    // Back to schema version 4, before the column existed.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("ALTER TABLE articles DROP COLUMN categories; PRAGMA user_version = 4;")
            .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        ids_and_categories(&store.latest(None, 10).await.unwrap()),
        before
    );
    assert_eq!(
        ids_and_categories(&store.page(None, 0, 10).await.unwrap()),
        before
    );
    let in_borders: Vec<_> = before
        .iter()
        .filter(|(id, _)| id != "tin-00")
        .cloned()
        .collect();
    assert_eq!(
        ids_and_categories(&store.latest(Some("borders"), 10).await.unwrap()),
        in_borders
    );
    assert_eq!(
        ids_and_categories(&store.page(Some("borders"), 0, 10).await.unwrap()),
        in_borders
    );
    let one = store.by_id("tin-03").await.unwrap().unwrap();
    assert_eq!(one.categories, before[0].1);
    let mut history = ids_and_categories(&store.history(None, 0, 10).await.unwrap());
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
    let borders = ids_and_categories(&store.latest(Some("borders"), 10).await.unwrap());
    assert_eq!(
        borders
            .iter()
            .map(|(id, _)| id.as_str())
            .collect::<Vec<_>>(),
        ["tin-02", "tin-01"]
    );
    let security = store.latest(Some("security"), 10).await.unwrap();
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
