//! Tests of [`super::batch`]: one batch writes what the same drafts written one by one
//! write (its read-ahead's query plans are pinned in `query_plans.rs`). A file of its own,
//! so that `batch.rs` does not name the store (`SqliteStore`) it is a part of.

use crate::model::{Block, Categorized, Draft};
use crate::store::Store;
use chrono::{DateTime, Utc};

fn draft(id: &str, title: &str, minute: i64, categories: &[&str]) -> Draft {
    Draft {
        id: id.into(),
        title: title.into(),
        summary: format!("Tóm tắt {id}."),
        body: vec![Block::Paragraph {
            text: format!("Nội dung của {id}."),
        }],
        author: Some(["Minh Châu", "Quốc Bảo"][minute as usize % 2].into()),
        published: DateTime::from_timestamp(1_700_000_000 + minute * 60, 0).unwrap(),
        updated: None,
        categories: categories.iter().map(|c| c.to_string()).collect(),
        categorized: Categorized::ByRules,
        url: None,
        image: None,
        tags: if minute % 3 == 0 {
            vec!["biển đông".into()]
        } else {
            Vec::new()
        },
    }
}

/// Every row a write leaves, table by table, in key order, but the revision numbers
/// (one write or many move the revision by different steps).
fn dump(store: &crate::sqlite::SqliteStore) -> Vec<String> {
    let conn = store.conn.lock().unwrap();
    let queries = [
        "SELECT id, slug, title, summary, body, author, published, updated, url, image,
                content_hash, categories, categories_explicit, tags FROM articles ORDER BY id",
        "SELECT article_id, category, published FROM article_categories
         ORDER BY article_id, category",
        "SELECT article_id, kind, slug, name, published FROM article_labels
         ORDER BY article_id, kind, slug",
        "SELECT feed, page, position, article_id, weight FROM history_entries
         ORDER BY feed, page, position",
        "SELECT feed, page, entries, bytes, appended, changed FROM archive_pages
         ORDER BY feed, page",
        "SELECT feed, changed FROM feed_changes ORDER BY feed",
        "SELECT id, deleted, categories FROM tombstones ORDER BY id",
        "SELECT category FROM category_revisions ORDER BY category",
        "SELECT kind, slug FROM label_revisions ORDER BY kind, slug",
    ];
    let mut rows = Vec::new();
    for sql in queries {
        let mut stmt = conn.prepare(sql).unwrap();
        let n = stmt.column_count();
        let got = stmt
            .query_map([], |r| {
                (0..n)
                    .map(|i| Ok(format!("{:?}", r.get::<_, rusqlite::types::Value>(i)?)))
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .unwrap()
            .collect::<rusqlite::Result<Vec<_>>>()
            .unwrap();
        rows.extend(got.into_iter().map(|r| r.join(" | ")));
    }
    rows
}

/// A batch keeps what it read ahead and what it will write in memory; whatever the
/// drafts do to each other inside one batch (the same id twice, the same slug wanted
/// twice, a URL matching an article the batch just wrote, a tombstone retired, an
/// archive page filled and a new one started, only the categorization changing), the
/// store must end up exactly as if each draft had been written on its own.
#[tokio::test]
async fn one_batch_writes_what_the_same_drafts_written_one_by_one_write() {
    let dir = tempfile::tempdir().unwrap();
    let now: DateTime<Utc> = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
    let mut before = vec![
        draft("old-1", "Tin A", 0, &["borders"]),
        draft("gone", "Tin bị xóa", 1, &["security"]),
        draft("same", "Tin giữ nguyên", 2, &["security"]),
    ];
    before[0].url = Some("https://bao.example/a".into());
    let mut batch = vec![
        // Its first slug is an older article's; the next is free.
        draft("n1", "Tin A", 10, &["borders"]),
        draft("n2", "Tin B", 11, &["security", "borders"]),
        // The same first slug as the draft before it, in the same batch.
        draft("n3", "Tin B", 12, &[]),
    ];
    // The same id again in the batch, edited: it leaves the histories it just joined.
    let mut edited = draft("n2", "Tin B", 11, &["party-affairs"]);
    edited.summary = "Tóm tắt đã sửa.".into();
    batch.push(edited);
    // A deleted article comes back: its tombstone goes.
    batch.push(draft("gone", "Tin bị xóa", 1, &["security"]));
    // Matched by URL to an article stored before (another id), and changed.
    let mut by_url = draft("x-1", "Tin A mới", 0, &["borders"]);
    by_url.url = Some("https://bao.example/a".into());
    batch.push(by_url);
    // Then that article by its own id, changed again.
    let mut again = draft("old-1", "Tin A mới nữa", 0, &["security"]);
    again.url = Some("https://bao.example/a".into());
    batch.push(again);
    // Only who chose the categories changes.
    let mut recategorized = draft("same", "Tin giữ nguyên", 2, &["security"]);
    recategorized.categorized = Categorized::Explicitly;
    batch.push(recategorized);
    // Enough in one category to close an archive page and start the next.
    for i in 0..130 {
        batch.push(draft(
            &format!("b-{i:03}"),
            &format!("Tin biên giới {i}"),
            20 + i,
            &["borders"],
        ));
    }
    // A third article wanting the slug two new ones of this batch took before it.
    batch.push(draft("n4", "Tin B", 300, &[]));

    let mut dumps = Vec::new();
    let mut outcomes = Vec::new();
    for one_by_one in [false, true] {
        let store =
            crate::sqlite::SqliteStore::open(&dir.path().join(format!("{one_by_one}.db"))).unwrap();
        store.upsert(before.clone(), now).await.unwrap();
        store.delete("gone", now).await.unwrap();
        let mut got = Vec::new();
        if one_by_one {
            for d in &batch {
                got.extend(store.upsert(vec![d.clone()], now).await.unwrap());
            }
        } else {
            got = store.upsert(batch.clone(), now).await.unwrap();
        }
        outcomes.push(
            got.iter()
                .map(|u| (u.outcome, u.article.id.clone(), u.article.slug.clone()))
                .collect::<Vec<_>>(),
        );
        dumps.push(dump(&store));
    }
    assert_eq!(outcomes[0], outcomes[1]);
    assert_eq!(dumps[0], dumps[1]);
    // And the cases happened: the slugs counted up, the id came twice, the tombstone went.
    let slugs: Vec<&str> = outcomes[0].iter().map(|(_, _, s)| s.as_str()).collect();
    assert_eq!(&slugs[..4], ["tin-a-2", "tin-b", "tin-b-2", "tin-b"]);
    assert_eq!(outcomes[0][3].0, crate::outcome::Outcome::Updated);
    assert_eq!(outcomes[0][4].0, crate::outcome::Outcome::Created);
    assert_eq!(
        (outcomes[0][5].0, outcomes[0][5].1.as_str()),
        (crate::outcome::Outcome::Updated, "old-1")
    );
    assert_eq!(outcomes[0][7].0, crate::outcome::Outcome::Unchanged);
    assert_eq!(outcomes[0].last().unwrap().2, "tin-b-3");
    // No tombstone row (id, deleted, ...) is left for the article that came back.
    assert!(
        dumps[0]
            .iter()
            .all(|row| !row.starts_with("Text(\"gone\") | Integer(")),
        "{dumps:?}"
    );
    assert!(
        dumps[0]
            .iter()
            .any(|row| row.starts_with("Text(\"borders\") | Integer(2) |")),
        "a second page of borders"
    );
}
