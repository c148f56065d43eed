//! The query plans SQLite picks for the reads that must walk an index, pinned so a schema
//! or query change that loses an index fails here. A test-only child of `sqlite`: it opens
//! a store and reads the SQL of `sqlite` (the feed queries), `history`, `labels` and
//! `batch` (a write's read-ahead).

use rusqlite::{Connection, params};

use super::SqliteStore;
use super::batch::{KNOWN_BY_ID, SLUGS_TAKEN, TOMBSTONED};
use super::history::page_sql;
use super::labels::{SITEMAP_SQL, labelled_sql};
use super::latest_sql;
use super::row::COLUMNS;
use crate::key::FeedKey;

/// EXPLAIN QUERY PLAN, one line per step.
fn plan(conn: &Connection, sql: &str, args: impl rusqlite::Params) -> String {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let steps = stmt
        .query_map(args, |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    steps.join("\n")
}

fn plan_of_page(conn: &Connection, feed: FeedKey<'_>) -> String {
    let sql = page_sql(feed != FeedKey::All);
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    fn detail(r: &rusqlite::Row<'_>) -> rusqlite::Result<String> {
        r.get(3)
    }
    let rows: Vec<String> = match feed.category() {
        None => stmt.query_map(params![5, 10, 1_000], detail),
        Some(c) => stmt.query_map(params![5, 10, 1_000, c], detail),
    }
    .unwrap()
    .map(Result::unwrap)
    .collect();
    rows.join("\n")
}

/// Paging and history must read what a page needs through an index, never scan a table:
/// pin the query plans so a schema or query change that loses the index fails here.
#[test]
fn paging_and_history_queries_use_their_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("s.db")).unwrap();
    let conn = store.conn.lock().unwrap();
    let inner_category = plan(
        &conn,
        "SELECT article_id, published FROM article_categories WHERE category = 'x' \
         AND published <= 1000 ORDER BY published DESC, article_id DESC LIMIT 5 OFFSET 10",
        [],
    );
    assert!(
        inner_category.contains("USING COVERING INDEX categories_newest"),
        "{inner_category}"
    );
    let inner_all = plan(
        &conn,
        "SELECT id, published FROM articles WHERE published <= 1000 \
         ORDER BY published DESC, id DESC LIMIT 5 OFFSET 10",
        [],
    );
    assert!(
        inner_all.contains("USING COVERING INDEX articles_newest"),
        "{inner_all}"
    );
    // The page's articles, by their place in the time-ordered index (see `page`).
    for (feed, inner) in [
        (FeedKey::All, "SELECT id, published FROM articles"),
        (
            FeedKey::Category("x"),
            "SELECT article_id, published FROM article_categories",
        ),
    ] {
        let whole = plan_of_page(&conn, feed);
        assert!(
            whole.contains("SEARCH a USING INDEX articles_newest (published=? AND id=?)"),
            "{inner}: {whole}"
        );
        assert!(!whole.contains("autoindex"), "{inner}: {whole}");
        assert!(!whole.contains("CORRELATED"), "{inner}: {whole}");
    }
    let archive = plan(
        &conn,
        &format!(
            "SELECT {COLUMNS} FROM history_entries h JOIN articles a ON a.id = h.article_id \
             WHERE h.feed = 'x' AND h.page = 3 AND a.published <= 1000 ORDER BY h.position"
        ),
        [],
    );
    assert!(
        archive.contains("SEARCH h USING PRIMARY KEY (feed=? AND page=?)"),
        "{archive}"
    );
    assert!(
        archive.contains("SEARCH a USING INDEX sqlite_autoindex_articles_1 (id=?)"),
        "{archive}"
    );
    assert!(!archive.contains("TEMP B-TREE"), "{archive}");
    let newest = plan(
        &conn,
        "SELECT page, entries, bytes, appended FROM archive_pages WHERE feed = 'x' \
         ORDER BY page DESC LIMIT 1",
        [],
    );
    assert!(
        newest.contains("SEARCH archive_pages USING PRIMARY KEY (feed=?)"),
        "{newest}"
    );
    assert!(!newest.contains("TEMP B-TREE"), "{newest}");
}

#[test]
fn a_label_feed_and_a_sitemap_walk_indexes_and_never_sort() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("plan.db")).unwrap();
    let conn = store.conn.lock().unwrap();
    let label = plan(
        &conn,
        &labelled_sql(),
        params!["tag", "bien-dong", 1_000, 50],
    );
    assert!(
        label.contains(
            "SEARCH l USING COVERING INDEX labels_newest (kind=? AND slug=? AND published<?)"
        ),
        "{label}"
    );
    assert!(
        label.contains("SEARCH a USING INDEX articles_newest (published=? AND id=?)"),
        "{label}"
    );
    let sitemap = plan(&conn, SITEMAP_SQL, params![1_000, 50_000, 0]);
    assert!(sitemap.contains("articles_newest"), "{sitemap}");
    for plan in [&label, &sitemap] {
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
        assert!(!plan.contains("SCAN"), "{plan}");
    }
}

#[test]
fn feed_queries_walk_an_index_newest_first_and_never_sort() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("plan.db")).unwrap();
    let conn = store.conn.lock().unwrap();

    let all = plan(&conn, &latest_sql(false), params![50, 1_000]);
    assert!(
        all.contains("SEARCH a USING INDEX articles_newest (published<?)"),
        "{all}"
    );
    let category = plan(&conn, &latest_sql(true), params![50, 1_000, "borders"]);
    assert!(
        category.contains(
            "SEARCH c USING COVERING INDEX categories_newest (category=? AND published<?)"
        ),
        "{category}"
    );
    // Each article by its place in the time-ordered index, not by its id (see latest_sql).
    assert!(
        category.contains("SEARCH a USING INDEX articles_newest (published=? AND id=?)"),
        "{category}"
    );
    for plan in [&all, &category] {
        // A sort would mean reading every matching row before the first is returned.
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
        // Categories come from the article's own row: no second lookup per article.
        assert!(!plan.contains("CORRELATED"), "{plan}");
        assert!(!plan.contains("autoindex"), "{plan}");
    }
    // One step per table read: nothing else runs per article.
    assert_eq!(all.lines().count(), 1, "{all}");
    assert_eq!(category.lines().count(), 2, "{category}");
}

/// A batch's read-ahead must seek each key in an index: a scan would read every article
/// of a million-article store once per batch.
#[test]
fn the_read_ahead_seeks_each_key_and_scans_nothing_stored() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("plan.db")).unwrap();
    let conn = store.conn.lock().unwrap();
    for (sql, index) in [
        (
            KNOWN_BY_ID,
            "SEARCH articles USING INDEX sqlite_autoindex_articles_1 (id=?)",
        ),
        (
            SLUGS_TAKEN,
            "SEARCH articles USING COVERING INDEX sqlite_autoindex_articles_2 (slug=?)",
        ),
        (TOMBSTONED, "SEARCH tombstones USING PRIMARY KEY (id=?)"),
    ] {
        let plan = plan(&conn, sql, params!["[\"a\",\"b\"]"]);
        assert!(plan.contains(index), "{sql}\n{plan}");
        assert!(!plan.contains("SCAN articles"), "{sql}\n{plan}");
        assert!(!plan.contains("SCAN tombstones"), "{sql}\n{plan}");
    }
}
