//! The SQLite side of labels (rules in [`crate::labels`]): one `article_labels` row per
//! (article, author or tag), indexed like `article_categories` so a label's feed walks an
//! index newest first; `label_revisions`, the revision at which each label last changed; and
//! the sitemap reads, which take only slugs, titles and times, never bodies.

use std::collections::BTreeSet;

use rusqlite::{Connection, Transaction, params};

use super::row::{COLUMNS, DbError, finish, raw_row};
use crate::labels::{self, LabelKey, LabelKind, LabelName, SitemapEntry};
use crate::model::Article;
use crate::record::{Row, instant};

/// Appended to the schema: the tags column, the label index and the label revisions.
/// Authors of articles stored before it are filled in by [`backfill`], in the same step.
pub(super) const MIGRATION: &str = r#"
ALTER TABLE articles ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
CREATE TABLE article_labels (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    slug       TEXT NOT NULL,
    name       TEXT NOT NULL,
    published  INTEGER NOT NULL,
    PRIMARY KEY (article_id, kind, slug)
) WITHOUT ROWID;
CREATE INDEX labels_newest ON article_labels (kind, slug, published DESC, article_id DESC);
CREATE TABLE label_revisions (
    kind     TEXT NOT NULL,
    slug     TEXT NOT NULL,
    revision INTEGER NOT NULL,
    PRIMARY KEY (kind, slug)
) WITHOUT ROWID;
CREATE INDEX label_revisions_since ON label_revisions (revision);
"#;

/// Files every stored article under its author (the slug is Rust's, not SQL's).
pub(super) fn backfill(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let rows = tx
        .prepare("SELECT id, author, published FROM articles WHERE author IS NOT NULL")?
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut insert = tx.prepare(
        "INSERT INTO article_labels (article_id, kind, slug, name, published)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (id, author, published) in rows {
        for (kind, slug, name) in labels::of(Some(&author), &[]) {
            insert.execute(params![id, kind.as_str(), slug, name, published])?;
        }
    }
    Ok(())
}

/// The `tags` column: a JSON array.
pub(super) fn encode(tags: &[String]) -> String {
    serde_json::to_string(tags).expect("a list of strings serializes")
}

/// Takes away an article's labels before it is written again, marking them as changed. Runs
/// inside the write's transaction, before `record_change` moves the revision on by one:
/// every mark is that coming revision.
pub(super) fn clear(tx: &Transaction<'_>, id: &str) -> rusqlite::Result<()> {
    touch(tx, id)?;
    tx.prepare_cached("DELETE FROM article_labels WHERE article_id = ?1")?
        .execute(params![id])?;
    Ok(())
}

/// One article's row of `article_labels`.
pub(super) struct LabelRow {
    pub article_id: String,
    pub kind: LabelKind,
    pub slug: String,
    pub name: String,
    pub published: i64,
}

/// The labels of a stored row, as rows to insert.
pub(super) fn rows_of(row: &Row) -> impl Iterator<Item = LabelRow> + '_ {
    labels::of_row(row)
        .into_iter()
        .map(|(kind, slug, name)| LabelRow {
            article_id: row.id.clone(),
            kind,
            slug,
            name,
            published: row.published,
        })
}

/// Writes label rows (their labels are marked by the caller).
pub(super) fn insert(tx: &Transaction<'_>, rows: &[LabelRow]) -> rusqlite::Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO article_labels (article_id, kind, slug, name, published)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for r in rows {
        insert.execute(params![
            r.article_id,
            r.kind.as_str(),
            r.slug,
            r.name,
            r.published
        ])?;
    }
    Ok(())
}

/// Marks the labels an article has now as changed (before it is deleted or rewritten).
pub(super) fn touch(tx: &Transaction<'_>, id: &str) -> rusqlite::Result<()> {
    let had = tx
        .prepare_cached("SELECT kind, slug FROM article_labels WHERE article_id = ?1")?
        .query_map(params![id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    for (kind, slug) in had {
        mark(tx, &kind, &slug)?;
    }
    Ok(())
}

/// Marks a label as changed at the coming revision (the one `record_change` moves to).
pub(super) fn mark(tx: &Transaction<'_>, kind: &str, slug: &str) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO label_revisions (kind, slug, revision)
         VALUES (?1, ?2, (SELECT value FROM meta WHERE key = 'revision') + 1)
         ON CONFLICT (kind, slug) DO UPDATE SET revision = excluded.revision",
    )?
    .execute(params![kind, slug])?;
    Ok(())
}

/// The labels changed after revision `since` (the caller has checked it is not newer than
/// the store's).
pub(super) fn changed_since(conn: &Connection, since: i64) -> rusqlite::Result<BTreeSet<LabelKey>> {
    let rows = conn
        .prepare_cached("SELECT kind, slug FROM label_revisions WHERE revision > ?1")?
        .query_map(params![since], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(kind, slug)| Some(LabelKey::new(LabelKind::parse(&kind)?, slug)))
        .collect())
}

/// The newest `limit` articles shown by `now` under a label: a walk of `labels_newest`.
pub(super) fn labelled(
    conn: &Connection,
    label: &LabelKey,
    limit: usize,
    now: i64,
) -> Result<Vec<Article>, DbError> {
    let raws = conn
        .prepare_cached(&labelled_sql())?
        .query_map(
            params![label.kind.as_str(), label.slug, now, limit as i64],
            raw_row,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    raws.into_iter().map(finish).collect()
}

/// The query behind [`labelled`]: a walk of `labels_newest` from `?3` down, each article
/// found by its place in `articles_newest` (as a category feed finds it): an unknown label is
/// one seek that finds nothing.
pub(super) fn labelled_sql() -> String {
    format!(
        "SELECT {COLUMNS} FROM article_labels l
         JOIN articles a INDEXED BY articles_newest
             ON a.published = l.published AND a.id = l.article_id
         WHERE l.kind = ?1 AND l.slug = ?2 AND l.published <= ?3
         ORDER BY l.published DESC, l.article_id DESC LIMIT ?4"
    )
}

/// Up to `limit` labels of a kind with an article shown by `now`, those with the newest
/// article first (ties by slug), each named as its newest article names it.
pub(super) fn names(
    conn: &Connection,
    kind: LabelKind,
    limit: usize,
    now: i64,
) -> rusqlite::Result<Vec<LabelName>> {
    // Each label's newest article names it (ties: the greatest article id, as in PostgreSQL).
    conn.prepare_cached(
        "SELECT slug, (SELECT n.name FROM article_labels n
                 WHERE n.kind = ?1 AND n.slug = l.slug AND n.published <= ?2
                 ORDER BY n.published DESC, n.article_id DESC LIMIT 1),
             max(published) AS newest
         FROM article_labels l WHERE kind = ?1 AND published <= ?2
         GROUP BY slug ORDER BY newest DESC, slug LIMIT ?3",
    )?
    .query_map(params![kind.as_str(), now, limit as i64], |r| {
        Ok(LabelName {
            slug: r.get(0)?,
            name: r.get(1)?,
        })
    })?
    .collect()
}

/// Articles shown by `now`, oldest first (ties by id), `limit` after the first `offset`.
pub(super) const SITEMAP_SQL: &str = "SELECT id, slug, title, published, updated FROM articles
     WHERE published <= ?1 ORDER BY published, id LIMIT ?2 OFFSET ?3";

pub(super) fn sitemap(
    conn: &Connection,
    offset: u64,
    limit: usize,
    now: i64,
) -> Result<Vec<SitemapEntry>, DbError> {
    entries(
        conn,
        SITEMAP_SQL,
        params![now, limit as i64, offset.min(i64::MAX as u64) as i64],
    )
}

/// Articles published from `since` to `now`, newest first (ties by id), at most `limit`.
pub(super) fn recent(
    conn: &Connection,
    since: i64,
    limit: usize,
    now: i64,
) -> Result<Vec<SitemapEntry>, DbError> {
    entries(
        conn,
        "SELECT id, slug, title, published, updated FROM articles
         WHERE published <= ?1 AND published >= ?3
         ORDER BY published DESC, id DESC LIMIT ?2",
        params![now, limit as i64, since],
    )
}

fn entries(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<SitemapEntry>, DbError> {
    let rows = conn
        .prepare_cached(sql)?
        .query_map(args, |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(id, slug, title, published, updated)| {
            Ok(SitemapEntry {
                slug,
                title,
                published: instant(&id, "published", published).map_err(DbError::Store)?,
                updated: instant(&id, "updated", updated).map_err(DbError::Store)?,
            })
        })
        .collect()
}
