//! Articles and tombstones in and out exactly as stored, for `vnfeed migrate`: nothing is
//! decided anew on the way in (slug, `updated` and content hash are kept); and the feed
//! history (entries and archive pages) likewise. The backend's [`MigrateStore`] is here.

use std::collections::BTreeSet;

use async_trait::async_trait;
use rusqlite::{Connection, params};

use super::row::{COLUMNS, DbError, raw_row};
use super::{Replacing, SqliteStore, corrupt, put_article, record_change, write_transaction};
use crate::error::StoreError;
use crate::migrate::MigrateStore;
use crate::model::Tombstone;
use crate::record::{ArchivePageRow, HistoryEntry, StoredArticle};

pub(super) fn export(
    conn: &Connection,
    after: &str,
    limit: usize,
) -> Result<Vec<StoredArticle>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS}, a.content_hash FROM articles a WHERE a.id > ?1 ORDER BY a.id LIMIT ?2"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params![after, limit as i64], |r| {
            Ok(StoredArticle {
                row: raw_row(r)?,
                content_hash: r.get(13)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub(super) fn restore(
    conn: &mut Connection,
    articles: &[StoredArticle],
    tombstones: &[Tombstone],
) -> Result<(), DbError> {
    let tx = write_transaction(conn)?;
    let mut touched = BTreeSet::new();
    // A copy is a change of its feeds now, for their Last-Modified.
    let now = chrono::Utc::now().timestamp();
    let mut batch = super::batch::Batch::new(now);
    for stored in articles {
        // Replacing reads the article's rows: those pending go in first.
        batch.flush(&tx)?;
        put_article(&tx, &mut batch, stored, Replacing::SameId, &mut touched)?;
        // The copy's history starts in copy order (by id): every article is in it, though
        // archive pages do not keep the source's boundaries.
        let weight = crate::archive::weight(&stored.row);
        let (id, categories) = (&stored.row.id, &stored.row.categories);
        append_if_new(&tx, &mut batch, id, categories, weight)?;
        tx.prepare_cached("DELETE FROM tombstones WHERE id = ?1")?
            .execute(params![stored.row.id])?;
    }
    batch.flush(&tx)?;
    for t in tombstones {
        let categories =
            serde_json::to_string(&t.categories).map_err(|e| corrupt(&t.id, "categories", e))?;
        super::labels::touch(&tx, &t.id)?;
        tx.prepare_cached("DELETE FROM articles WHERE id = ?1")?
            .execute(params![t.id])?;
        super::history::leave(&tx, &t.id, now)?;
        tx.prepare_cached(
            "INSERT OR REPLACE INTO tombstones (id, deleted, categories) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![t.id, t.deleted.timestamp(), categories])?;
        touched.extend(t.categories.iter().cloned());
    }
    if !articles.is_empty() || !tombstones.is_empty() {
        record_change(&tx, &touched, now)?;
    }
    tx.commit()?;
    Ok(())
}

/// Records an article restored from another store, unless some history already shows it.
fn append_if_new(
    tx: &rusqlite::Transaction<'_>,
    batch: &mut super::batch::Batch,
    id: &str,
    categories: &[String],
    weight: i64,
) -> rusqlite::Result<()> {
    // The entries of the articles before it must be in the table to be seen.
    batch.flush(tx)?;
    let known = tx
        .prepare_cached("SELECT 1 FROM history_entries WHERE article_id = ?1")?
        .exists(params![id])?;
    if known {
        return Ok(());
    }
    batch.append(tx, id, categories, weight)
}

pub(super) fn export_history(
    conn: &Connection,
    after: (&str, i64, i64),
    limit: usize,
) -> rusqlite::Result<Vec<HistoryEntry>> {
    conn.prepare_cached(
        "SELECT feed, page, position, article_id, weight FROM history_entries
         WHERE (feed, page, position) > (?1, ?2, ?3) ORDER BY feed, page, position LIMIT ?4",
    )?
    .query_map(params![after.0, after.1, after.2, limit as i64], |r| {
        Ok(HistoryEntry {
            feed: r.get(0)?,
            page: r.get(1)?,
            position: r.get(2)?,
            article_id: r.get(3)?,
            weight: r.get(4)?,
        })
    })?
    .collect()
}

pub(super) fn export_pages(
    conn: &Connection,
    after: (&str, i64),
    limit: usize,
) -> rusqlite::Result<Vec<ArchivePageRow>> {
    conn.prepare_cached(
        "SELECT feed, page, entries, bytes, appended, changed FROM archive_pages
         WHERE (feed, page) > (?1, ?2) ORDER BY feed, page LIMIT ?3",
    )?
    .query_map(params![after.0, after.1, limit as i64], |r| {
        Ok(ArchivePageRow {
            feed: r.get(0)?,
            page: r.get(1)?,
            entries: r.get(2)?,
            bytes: r.get(3)?,
            appended: r.get(4)?,
            changed: r.get(5)?,
        })
    })?
    .collect()
}

pub(super) fn restore_history(
    conn: &mut Connection,
    clear: bool,
    pages: &[ArchivePageRow],
    entries: &[HistoryEntry],
) -> rusqlite::Result<()> {
    let tx = write_transaction(conn)?;
    if clear {
        tx.execute_batch("DELETE FROM history_entries; DELETE FROM archive_pages;")?;
    }
    let mut page = tx.prepare_cached(
        "INSERT INTO archive_pages (feed, page, entries, bytes, appended, changed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for p in pages {
        page.execute(params![
            p.feed, p.page, p.entries, p.bytes, p.appended, p.changed
        ])?;
    }
    drop(page);
    super::history::insert_entries(&tx, entries)?;
    let feeds: BTreeSet<String> = entries.iter().map(|e| e.feed.clone()).collect();
    record_change(&tx, &feeds, chrono::Utc::now().timestamp())?;
    tx.commit()
}

#[async_trait]
impl MigrateStore for SqliteStore {
    async fn count_stored(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .read(|conn| conn.query_row("SELECT count(*) FROM articles", [], |r| r.get(0)))
            .await?;
        Ok(n.max(0) as u64)
    }

    async fn export(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredArticle>, StoreError> {
        let after = after.unwrap_or(crate::migrate::FIRST_ARTICLE).to_string();
        self.read_typed(move |conn| export(conn, &after, limit))
            .await
    }

    async fn export_history(
        &self,
        after: Option<(&str, i64, i64)>,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let (feed, page, position) = after.unwrap_or(crate::migrate::FIRST_ENTRY);
        let feed = feed.to_string();
        self.read(move |conn| export_history(conn, (&feed, page, position), limit))
            .await
    }

    async fn export_pages(
        &self,
        after: Option<(&str, i64)>,
        limit: usize,
    ) -> Result<Vec<ArchivePageRow>, StoreError> {
        let (feed, page) = after.unwrap_or(crate::migrate::FIRST_PAGE);
        let feed = feed.to_string();
        self.read(move |conn| export_pages(conn, (&feed, page), limit))
            .await
    }

    async fn restore_history(
        &self,
        clear: bool,
        pages: Vec<ArchivePageRow>,
        entries: Vec<HistoryEntry>,
    ) -> Result<(), StoreError> {
        self.with_conn(move |conn| restore_history(conn, clear, &pages, &entries))
            .await
    }

    async fn restore(
        &self,
        articles: Vec<StoredArticle>,
        tombstones: Vec<Tombstone>,
    ) -> Result<(), StoreError> {
        self.with_conn_typed(move |conn| restore(conn, &articles, &tombstones))
            .await
    }
}
