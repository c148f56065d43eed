//! The SQLite side of paging and feed history (see [`crate::Store::history_len`]):
//! recording entries as articles are written, freezing them before an article changes, and
//! reading a page or a range of entries through the indexes alone.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{COLUMNS, DbError, finish, load, raw_row};
use crate::model::Article;
use crate::{from_snapshot, history_feed, snapshot};

/// Schema version 2: the history tables, filled for articles stored before they existed in
/// the only order known for them, oldest published first.
pub(super) const MIGRATION: &str = r#"
CREATE TABLE article_versions (
    version    INTEGER PRIMARY KEY,
    article_id TEXT NOT NULL,
    snapshot   TEXT NOT NULL
);
CREATE TABLE feed_history (
    feed       TEXT NOT NULL,
    position   INTEGER NOT NULL,
    article_id TEXT,
    version    INTEGER REFERENCES article_versions (version),
    PRIMARY KEY (feed, position)
) WITHOUT ROWID;
CREATE INDEX feed_history_article ON feed_history (article_id);
INSERT INTO feed_history (feed, position, article_id)
    SELECT 'all', row_number() OVER (ORDER BY published, id) - 1, id FROM articles;
INSERT INTO feed_history (feed, position, article_id)
    SELECT category, row_number() OVER (PARTITION BY category ORDER BY published, article_id) - 1,
           article_id
    FROM article_categories;
"#;

/// The next free position of each feed appended to in one write transaction: read from the
/// index the first time (one B-tree descent), then counted here. Only for the transaction
/// it was made in, which holds the write lock: nobody else appends meanwhile.
#[derive(Default)]
pub(super) struct Positions(HashMap<String, i64>);

impl Positions {
    fn take(&mut self, tx: &Transaction<'_>, feed: &str) -> rusqlite::Result<i64> {
        let next = match self.0.get_mut(feed) {
            Some(next) => next,
            None => {
                // `max(position)` on the primary key is one descent, whatever the length.
                let first: i64 = tx
                    .prepare_cached(
                        "SELECT coalesce(max(position) + 1, 0) FROM feed_history WHERE feed = ?1",
                    )?
                    .query_row(params![feed], |r| r.get(0))?;
                self.0.entry(feed.to_string()).or_insert(first)
            }
        };
        let position = *next;
        *next += 1;
        Ok(position)
    }
}

/// Appends the article to the history of `all` and of each of its categories.
pub(super) fn record(
    tx: &Transaction<'_>,
    positions: &mut Positions,
    id: &str,
    categories: &[String],
) -> rusqlite::Result<()> {
    let mut append = tx.prepare_cached(
        "INSERT INTO feed_history (feed, position, article_id) VALUES (?1, ?2, ?3)",
    )?;
    let feeds = std::iter::once(history_feed(None)).chain(categories.iter().map(String::as_str));
    for feed in feeds {
        append.execute(params![feed, positions.take(tx, feed)?, id])?;
    }
    Ok(())
}

/// Records an article restored from another store, unless some history already shows it.
pub(super) fn record_if_new(
    tx: &Transaction<'_>,
    positions: &mut Positions,
    id: &str,
    categories: &[String],
) -> rusqlite::Result<()> {
    let known = tx
        .prepare_cached("SELECT 1 FROM feed_history WHERE article_id = ?1")?
        .exists(params![id])?;
    if known {
        return Ok(());
    }
    record(tx, positions, id, categories)
}

/// Before article `id` changes, points the history entries that still show it live at a
/// snapshot of it as it is now, so those entries keep showing what they recorded.
pub(super) fn freeze(tx: &Transaction<'_>, id: &str) -> Result<(), DbError> {
    let live = tx
        .prepare_cached("SELECT 1 FROM feed_history WHERE article_id = ?1 AND version IS NULL")?
        .exists(params![id])?;
    if !live {
        return Ok(());
    }
    let article = load(tx, id)?;
    tx.prepare_cached("INSERT INTO article_versions (article_id, snapshot) VALUES (?1, ?2)")?
        .execute(params![id, snapshot(&article)])?;
    let version = tx.last_insert_rowid();
    tx.prepare_cached(
        "UPDATE feed_history SET version = ?1 WHERE article_id = ?2 AND version IS NULL",
    )?
    .execute(params![version, id])?;
    Ok(())
}

/// A deleted article leaves holes where its entries were (`article_id` NULL): removed
/// everywhere, archives included, while every other entry keeps its position.
pub(super) fn forget(tx: &Transaction<'_>, id: &str) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE feed_history SET article_id = NULL, version = NULL WHERE article_id = ?1",
    )?
    .execute(params![id])?;
    tx.prepare_cached("DELETE FROM article_versions WHERE article_id = ?1")?
        .execute(params![id])?;
    Ok(())
}

pub(super) fn len(conn: &Connection, category: Option<&str>) -> rusqlite::Result<u64> {
    let n: i64 = conn
        .prepare_cached("SELECT coalesce(max(position) + 1, 0) FROM feed_history WHERE feed = ?1")?
        .query_row(params![history_feed(category)], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

pub(super) fn range(
    conn: &Connection,
    category: Option<&str>,
    start: u64,
    end: u64,
) -> Result<Vec<Article>, DbError> {
    let rows: Vec<(Option<String>, Option<String>)> = conn
        .prepare_cached(
            "SELECT h.article_id, v.snapshot FROM feed_history h
             LEFT JOIN article_versions v ON v.version = h.version
             WHERE h.feed = ?1 AND h.position >= ?2 AND h.position < ?3
             ORDER BY h.position",
        )?
        .query_map(
            params![history_feed(category), clamp(start), clamp(end)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, frozen) in rows {
        match (id, frozen) {
            (Some(id), Some(json)) => out.push(from_snapshot(&id, &json).map_err(DbError::Store)?),
            (Some(id), None) => out.extend(load_optional(conn, &id)?),
            // The article was deleted: a hole.
            (None, _) => {}
        }
    }
    Ok(out)
}

fn load_optional(conn: &Connection, id: &str) -> Result<Option<Article>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM articles a WHERE a.id = ?1");
    let raw = conn
        .prepare_cached(&sql)?
        .query_row(params![id], raw_row)
        .optional()?;
    raw.map(finish).transpose()
}

/// SQLite integers are signed; positions past `i64::MAX` cannot exist.
fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A page of the paged feed. The inner query walks the covering index (newest first) past
/// `offset` entries without touching a single article row; only the page's articles are read,
/// found by (published, id) in `articles_newest`, where a page's articles are neighbours (see
/// `latest_sql`).
pub(super) fn page(
    conn: &Connection,
    category: Option<&str>,
    offset: u64,
    limit: usize,
) -> Result<Vec<Article>, DbError> {
    let limit = clamp(limit as u64);
    let offset = clamp(offset);
    let mut stmt = conn.prepare_cached(&page_sql(category.is_some()))?;
    let raws = match category {
        None => stmt.query_map(params![limit, offset], raw_row)?,
        Some(category) => stmt.query_map(params![limit, offset, category], raw_row)?,
    }
    .collect::<Result<Vec<_>, _>>()?;
    raws.into_iter().map(finish).collect()
}

/// The query behind [`page`]: `?1` articles after the newest `?2`, of category `?3` when
/// `in_category`.
fn page_sql(in_category: bool) -> String {
    if in_category {
        format!(
            "SELECT {COLUMNS} FROM (SELECT article_id, published FROM article_categories
                 WHERE category = ?3 ORDER BY published DESC, article_id DESC
                 LIMIT ?1 OFFSET ?2) p
             JOIN articles a INDEXED BY articles_newest
                 ON a.published = p.published AND a.id = p.article_id
             ORDER BY p.published DESC, p.article_id DESC"
        )
    } else {
        format!(
            "SELECT {COLUMNS} FROM (SELECT id, published FROM articles
                 ORDER BY published DESC, id DESC LIMIT ?1 OFFSET ?2) p
             JOIN articles a INDEXED BY articles_newest
                 ON a.published = p.published AND a.id = p.id
             ORDER BY p.published DESC, p.id DESC"
        )
    }
}

pub(super) fn count(conn: &Connection, category: Option<&str>) -> rusqlite::Result<u64> {
    let n: i64 = match category {
        None => conn
            .prepare_cached("SELECT count(*) FROM articles")?
            .query_row([], |r| r.get(0))?,
        Some(category) => conn
            .prepare_cached("SELECT count(*) FROM article_categories WHERE category = ?1")?
            .query_row(params![category], |r| r.get(0))?,
    };
    Ok(n.max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of_page(conn: &Connection, category: Option<&str>) -> String {
        let sql = page_sql(category.is_some());
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        fn detail(r: &rusqlite::Row<'_>) -> rusqlite::Result<String> {
            r.get(3)
        }
        let rows: Vec<String> = match category {
            None => stmt.query_map(params![5, 10], detail),
            Some(c) => stmt.query_map(params![5, 10, c], detail),
        }
        .unwrap()
        .map(Result::unwrap)
        .collect();
        rows.join("\n")
    }

    fn plan(conn: &Connection, sql: &str) -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get::<_, String>(3))
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
        let store = super::super::SqliteStore::open(&dir.path().join("s.db")).unwrap();
        let conn = store.conn.lock().unwrap();
        let inner_category = plan(
            &conn,
            "SELECT article_id, published FROM article_categories WHERE category = 'x' \
             ORDER BY published DESC, article_id DESC LIMIT 5 OFFSET 10",
        );
        assert!(
            inner_category.contains("USING COVERING INDEX categories_newest"),
            "{inner_category}"
        );
        let inner_all = plan(
            &conn,
            "SELECT id, published FROM articles ORDER BY published DESC, id DESC LIMIT 5 OFFSET 10",
        );
        assert!(
            inner_all.contains("USING COVERING INDEX articles_newest"),
            "{inner_all}"
        );
        // The page's articles, by their place in the time-ordered index (see `page`).
        for (feed, inner) in [
            (None, "SELECT id, published FROM articles"),
            (
                Some("x"),
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
        let history = plan(
            &conn,
            "SELECT h.article_id, v.snapshot FROM feed_history h \
             LEFT JOIN article_versions v ON v.version = h.version \
             WHERE h.feed = 'x' AND h.position >= 0 AND h.position < 100 ORDER BY h.position",
        );
        assert!(
            history.contains("SEARCH h USING PRIMARY KEY (feed=? AND position>? AND position<?)"),
            "{history}"
        );
        assert!(!history.contains("SCAN"), "{history}");
        let tail = plan(
            &conn,
            "SELECT coalesce(max(position) + 1, 0) FROM feed_history WHERE feed = 'x'",
        );
        assert!(
            tail.contains("SEARCH feed_history USING PRIMARY KEY"),
            "{tail}"
        );
    }
}
