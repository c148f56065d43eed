//! Articles and tombstones in and out exactly as stored, for `vnfeed migrate`: nothing is
//! decided anew on the way in (slug, `updated` and content hash are kept); and the feed
//! history (entries and frozen versions) likewise.

use std::collections::BTreeSet;

use rusqlite::{Connection, params};

use super::{
    COLUMNS, DbError, Replacing, corrupt, put_article, raw_row, record_change, write_transaction,
};
use crate::model::Tombstone;
use crate::{ArticleVersion, HistoryEntry, StoredArticle};

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
                content_hash: r.get(11)?,
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
    let mut positions = super::history::Positions::default();
    for stored in articles {
        put_article(&tx, stored, Replacing::SameId, &mut touched)?;
        // The copy's history starts in copy order (by id): every article is in it, though
        // archive pages do not keep the source's boundaries.
        super::history::record_if_new(&tx, &mut positions, &stored.row.id, &stored.row.categories)?;
        tx.prepare_cached("DELETE FROM tombstones WHERE id = ?1")?
            .execute(params![stored.row.id])?;
    }
    for t in tombstones {
        let categories =
            serde_json::to_string(&t.categories).map_err(|e| corrupt(&t.id, "categories", e))?;
        tx.prepare_cached("DELETE FROM articles WHERE id = ?1")?
            .execute(params![t.id])?;
        super::history::forget(&tx, &t.id)?;
        tx.prepare_cached(
            "INSERT OR REPLACE INTO tombstones (id, deleted, categories) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![t.id, t.deleted.timestamp(), categories])?;
        touched.extend(t.categories.iter().cloned());
    }
    if !articles.is_empty() || !tombstones.is_empty() {
        record_change(&tx, &touched)?;
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn export_history(
    conn: &Connection,
    after: (&str, i64),
    limit: usize,
) -> rusqlite::Result<Vec<HistoryEntry>> {
    conn.prepare_cached(
        "SELECT feed, position, article_id, version FROM feed_history
         WHERE (feed, position) > (?1, ?2) ORDER BY feed, position LIMIT ?3",
    )?
    .query_map(params![after.0, after.1, limit as i64], |r| {
        Ok(HistoryEntry {
            feed: r.get(0)?,
            position: r.get(1)?,
            article_id: r.get(2)?,
            version: r.get(3)?,
        })
    })?
    .collect()
}

pub(super) fn export_versions(
    conn: &Connection,
    after: i64,
    limit: usize,
) -> rusqlite::Result<Vec<ArticleVersion>> {
    conn.prepare_cached(
        "SELECT version, article_id, snapshot FROM article_versions
         WHERE version > ?1 ORDER BY version LIMIT ?2",
    )?
    .query_map(params![after, limit as i64], |r| {
        Ok(ArticleVersion {
            version: r.get(0)?,
            article_id: r.get(1)?,
            snapshot: r.get(2)?,
        })
    })?
    .collect()
}

pub(super) fn restore_history(
    conn: &mut Connection,
    clear: bool,
    versions: &[ArticleVersion],
    entries: &[HistoryEntry],
) -> rusqlite::Result<()> {
    let tx = write_transaction(conn)?;
    if clear {
        tx.execute_batch("DELETE FROM feed_history; DELETE FROM article_versions;")?;
    }
    let mut version = tx.prepare_cached(
        "INSERT INTO article_versions (version, article_id, snapshot) VALUES (?1, ?2, ?3)",
    )?;
    for v in versions {
        version.execute(params![v.version, v.article_id, v.snapshot])?;
    }
    let mut entry = tx.prepare_cached(
        "INSERT INTO feed_history (feed, position, article_id, version) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for e in entries {
        entry.execute(params![e.feed, e.position, e.article_id, e.version])?;
    }
    drop((version, entry));
    let feeds: BTreeSet<String> = entries.iter().map(|e| e.feed.clone()).collect();
    record_change(&tx, &feeds)?;
    tx.commit()
}
