//! The SQLite side of paging, feed history and validators (rules in [`crate::archive`]):
//! moving an article's entries to the end of the history as it is written, keeping each
//! page's tally and each feed's last change, and reading a page of the paged feed or an
//! archive page through the indexes alone, with only the articles whose time has come.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::row::{COLUMNS, DbError, finish, raw_row};
use crate::archive::{self, OpenPage};
use crate::key::FeedKey;
use crate::model::Article;
use crate::record::HistoryEntry;

/// Schema version 4: the first history tables (one frozen copy per edit), filled for articles
/// stored before they existed in the only order known for them, oldest published first.
/// Kept as it was so older files migrate step by step; [`ONE_ENTRY_PER_ARTICLE`] replaces it.
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

/// Schema version 6: one history entry per (feed, article) showing the live article, pages
/// stored with their tallies, and each feed's last change (see [`crate::archive`]). The old
/// history keeps, per feed, the newest entry of each article still in that feed, on the page
/// it was on (position / 100 + 1, as pages were counted); the frozen copies go. A feed whose
/// old pages were all full gets an empty newest page, so they stay closed. Change times start
/// as the old validator (the newest `updated` or deletion), never later than the upgrade.
pub(super) const ONE_ENTRY_PER_ARTICLE: &str = r#"
CREATE TABLE history_entries (
    feed       TEXT NOT NULL,
    page       INTEGER NOT NULL,
    position   INTEGER NOT NULL,
    article_id TEXT NOT NULL,
    weight     INTEGER NOT NULL,
    PRIMARY KEY (feed, page, position)
) WITHOUT ROWID;
CREATE INDEX history_entries_article ON history_entries (article_id);
CREATE TABLE archive_pages (
    feed     TEXT NOT NULL,
    page     INTEGER NOT NULL,
    entries  INTEGER NOT NULL,
    bytes    INTEGER NOT NULL,
    appended INTEGER NOT NULL,
    changed  INTEGER NOT NULL,
    PRIMARY KEY (feed, page)
) WITHOUT ROWID;
CREATE TABLE feed_changes (
    feed    TEXT PRIMARY KEY,
    changed INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO history_entries (feed, page, position, article_id, weight)
    SELECT h.feed, h.position / 100 + 1, h.position, h.article_id,
           length(CAST(a.title AS BLOB)) + length(CAST(a.summary AS BLOB))
           + length(CAST(a.body AS BLOB)) + coalesce(length(CAST(a.author AS BLOB)), 0)
           + coalesce(length(CAST(a.url AS BLOB)), 0) + coalesce(length(CAST(a.image AS BLOB)), 0)
    FROM (SELECT feed, position, article_id, row_number() OVER (
              PARTITION BY feed, article_id ORDER BY position DESC) AS newest
          FROM feed_history WHERE article_id IS NOT NULL) h
    JOIN articles a ON a.id = h.article_id
    WHERE h.newest = 1 AND (h.feed = 'all' OR EXISTS (
        SELECT 1 FROM article_categories c WHERE c.article_id = h.article_id AND c.category = h.feed));
INSERT INTO archive_pages (feed, page, entries, bytes, appended, changed)
    SELECT h.feed, h.page, count(*), sum(h.weight), max(h.position) + 1,
           min(max(a.updated), CAST(strftime('%s', 'now') AS INTEGER))
    FROM history_entries h JOIN articles a ON a.id = h.article_id GROUP BY h.feed, h.page;
INSERT OR IGNORE INTO archive_pages (feed, page, entries, bytes, appended, changed)
    SELECT feed, (max(position) + 1) / 100 + 1, 0, 0, 0, CAST(strftime('%s', 'now') AS INTEGER)
    FROM feed_history GROUP BY feed;
INSERT INTO feed_changes (feed, changed)
    SELECT feed, min(max(changed), CAST(strftime('%s', 'now') AS INTEGER)) FROM (
        SELECT 'all' AS feed, updated AS changed FROM articles
        UNION ALL SELECT c.category, a.updated FROM article_categories c
            JOIN articles a ON a.id = c.article_id
        UNION ALL SELECT 'all', deleted FROM tombstones
        UNION ALL SELECT j.value, t.deleted FROM tombstones t, json_each(t.categories) j)
    GROUP BY feed;
DROP TABLE feed_history;
DROP TABLE article_versions;
"#;

/// The newest archive page of `feed` as stored (page 0 if it has none), with the number of
/// entries ever appended to it.
pub(super) fn open_page(tx: &Transaction<'_>, feed: &str) -> rusqlite::Result<(OpenPage, i64)> {
    let found = tx
        .prepare_cached(
            "SELECT page, entries, bytes, appended FROM archive_pages WHERE feed = ?1
             ORDER BY page DESC LIMIT 1",
        )?
        .query_row(params![feed], |r| {
            let open = OpenPage {
                page: r.get(0)?,
                entries: r.get(1)?,
                bytes: r.get(2)?,
            };
            Ok((open, r.get(3)?))
        })
        .optional()?;
    Ok(found.unwrap_or_default())
}

/// Writes feed-history entries: those a batch appended, or a copy's, as they were stored.
pub(super) fn insert_entries(tx: &Transaction<'_>, rows: &[HistoryEntry]) -> rusqlite::Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO history_entries (feed, page, position, article_id, weight)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for e in rows {
        insert.execute(params![e.feed, e.page, e.position, e.article_id, e.weight])?;
    }
    Ok(())
}

/// Adds to each archive page the entries and bytes it `gained` (each entry also counts as
/// appended), creating the pages that are new; each changed at `now`.
pub(super) fn add_to_pages(
    tx: &Transaction<'_>,
    gained: &BTreeMap<(String, i64), (i64, i64)>,
    now: i64,
) -> rusqlite::Result<()> {
    if gained.is_empty() {
        return Ok(());
    }
    let mut add = tx.prepare_cached(
        "INSERT INTO archive_pages (feed, page, entries, bytes, appended, changed)
         VALUES (?1, ?2, ?3, ?4, ?3, ?5)
         ON CONFLICT (feed, page) DO UPDATE SET entries = entries + excluded.entries,
             bytes = bytes + excluded.bytes, appended = appended + excluded.appended,
             changed = max(changed, excluded.changed)",
    )?;
    for ((feed, page), (entries, bytes)) in gained {
        add.execute(params![feed, page, entries, bytes, now])?;
    }
    Ok(())
}

/// Takes article `id` out of every feed's history (before it is written again, or deleted):
/// the pages it leaves change at `now`; every other entry keeps its page and place. A batch
/// with entries or tallies pending is flushed first.
pub(super) fn leave(tx: &Transaction<'_>, id: &str, now: i64) -> rusqlite::Result<()> {
    let left = tx
        .prepare_cached(
            "DELETE FROM history_entries WHERE article_id = ?1 RETURNING feed, page, weight",
        )?
        .query_map(params![id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut update = tx.prepare_cached(
        "UPDATE archive_pages SET entries = entries - 1, bytes = bytes - ?3,
             changed = max(changed, ?4) WHERE feed = ?1 AND page = ?2",
    )?;
    for (feed, page, weight) in left {
        update.execute(params![feed, page, weight, now])?;
    }
    Ok(())
}

/// Marks `all` and `categories` as changed at `now`, for their `Last-Modified`. Never moves
/// a feed's time back, whatever clock a writer has.
pub(super) fn mark_changed<'a>(
    tx: &Transaction<'_>,
    categories: impl IntoIterator<Item = &'a String>,
    now: i64,
) -> rusqlite::Result<()> {
    let mut mark = tx.prepare_cached(
        "INSERT INTO feed_changes (feed, changed) VALUES (?1, ?2)
         ON CONFLICT (feed) DO UPDATE SET changed = max(changed, excluded.changed)",
    )?;
    mark.execute(params![FeedKey::All.history_key(), now])?;
    for category in categories {
        mark.execute(params![category, now])?;
    }
    Ok(())
}

/// How many archive pages a feed has: the number of its newest.
pub(super) fn archive_count(conn: &Connection, feed: FeedKey<'_>) -> rusqlite::Result<u64> {
    let n: i64 = conn
        .prepare_cached("SELECT coalesce(max(page), 0) FROM archive_pages WHERE feed = ?1")?
        .query_row(params![feed.history_key()], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

/// Archive page `number`, oldest entry first, with the articles shown at `now`, and its
/// `Last-Modified`; `None` past the newest page.
pub(super) fn archive(
    conn: &Connection,
    feed: FeedKey<'_>,
    number: u64,
    now: i64,
) -> Result<Option<crate::archive::ArchivePage>, DbError> {
    let newest = archive_count(conn, feed)?;
    if number == 0 || number > newest {
        return Ok(None);
    }
    let feed = feed.history_key();
    let page = clamp(number);
    let sql = format!(
        "SELECT {COLUMNS} FROM history_entries h JOIN articles a ON a.id = h.article_id
         WHERE h.feed = ?1 AND h.page = ?2 AND a.published <= ?3 ORDER BY h.position"
    );
    let raws = conn
        .prepare_cached(&sql)?
        .query_map(params![feed, page, now], raw_row)?
        .collect::<Result<Vec<_>, _>>()?;
    let changed: Option<i64> = conn
        .prepare_cached("SELECT changed FROM archive_pages WHERE feed = ?1 AND page = ?2")?
        .query_row(params![feed, page], |r| r.get(0))
        .optional()?;
    let newest_shown = raws.iter().map(|r| r.published).max();
    let articles = raws.into_iter().map(finish).collect::<Result<_, _>>()?;
    Ok(Some(crate::archive::ArchivePage {
        articles,
        last_modified: archive::last_modified_at(changed, newest_shown),
    }))
}

/// The feed's `Last-Modified` at `now`: its last stored change and its newest article shown.
pub(super) fn last_modified(
    conn: &Connection,
    feed: FeedKey<'_>,
    now: i64,
) -> rusqlite::Result<Option<chrono::DateTime<chrono::Utc>>> {
    let changed: Option<i64> = conn
        .prepare_cached("SELECT changed FROM feed_changes WHERE feed = ?1")?
        .query_row(params![feed.history_key()], |r| r.get(0))
        .optional()?;
    let newest_shown: Option<i64> = match feed.category() {
        None => conn
            .prepare_cached("SELECT max(published) FROM articles WHERE published <= ?1")?
            .query_row(params![now], |r| r.get(0))?,
        Some(category) => conn
            .prepare_cached(
                "SELECT max(published) FROM article_categories
                 WHERE category = ?1 AND published <= ?2",
            )?
            .query_row(params![category, now], |r| r.get(0))?,
    };
    Ok(archive::last_modified_at(changed, newest_shown))
}

/// The earliest `published` after `now` in a feed: when it next changes with no write.
pub(super) fn next_due(
    conn: &Connection,
    feed: FeedKey<'_>,
    now: i64,
) -> rusqlite::Result<Option<i64>> {
    match feed.category() {
        None => conn
            .prepare_cached("SELECT min(published) FROM articles WHERE published > ?1")?
            .query_row(params![now], |r| r.get(0)),
        Some(category) => conn
            .prepare_cached(
                "SELECT min(published) FROM article_categories WHERE category = ?1 AND published > ?2",
            )?
            .query_row(params![category, now], |r| r.get(0)),
    }
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
    feed: FeedKey<'_>,
    offset: u64,
    limit: usize,
    now: i64,
) -> Result<Vec<Article>, DbError> {
    let limit = clamp(limit as u64);
    let offset = clamp(offset);
    let mut stmt = conn.prepare_cached(&page_sql(feed != FeedKey::All))?;
    let raws = match feed.category() {
        None => stmt.query_map(params![limit, offset, now], raw_row)?,
        Some(category) => stmt.query_map(params![limit, offset, now, category], raw_row)?,
    }
    .collect::<Result<Vec<_>, _>>()?;
    raws.into_iter().map(finish).collect()
}

/// The query behind [`page`]: `?1` articles after the newest `?2` published by `?3`, of
/// category `?4` when `in_category`.
pub(super) fn page_sql(in_category: bool) -> String {
    if in_category {
        format!(
            "SELECT {COLUMNS} FROM (SELECT article_id, published FROM article_categories
                 WHERE category = ?4 AND published <= ?3 ORDER BY published DESC, article_id DESC
                 LIMIT ?1 OFFSET ?2) p
             JOIN articles a INDEXED BY articles_newest
                 ON a.published = p.published AND a.id = p.article_id
             ORDER BY p.published DESC, p.article_id DESC"
        )
    } else {
        format!(
            "SELECT {COLUMNS} FROM (SELECT id, published FROM articles WHERE published <= ?3
                 ORDER BY published DESC, id DESC LIMIT ?1 OFFSET ?2) p
             JOIN articles a INDEXED BY articles_newest
                 ON a.published = p.published AND a.id = p.id
             ORDER BY p.published DESC, p.id DESC"
        )
    }
}

pub(super) fn count(conn: &Connection, feed: FeedKey<'_>, now: i64) -> rusqlite::Result<u64> {
    let n: i64 = match feed.category() {
        None => conn
            .prepare_cached("SELECT count(*) FROM articles WHERE published <= ?1")?
            .query_row(params![now], |r| r.get(0))?,
        Some(category) => conn
            .prepare_cached(
                "SELECT count(*) FROM article_categories WHERE category = ?1 AND published <= ?2",
            )?
            .query_row(params![category, now], |r| r.get(0))?,
    };
    Ok(n.max(0) as u64)
}
