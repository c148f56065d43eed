//! Articles and tombstones in and out exactly as stored, for `vnfeed migrate`: nothing is
//! decided anew on the way in (slug, `updated` and content hash are kept).

use std::collections::BTreeSet;

use rusqlite::{Connection, params};

use super::{COLUMNS, DbError, corrupt, put_article, raw_row, record_change, write_transaction};
use crate::model::Tombstone;
use crate::store::StoredArticle;

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
    for stored in articles {
        put_article(&tx, stored, &mut touched)?;
        // The copy's history starts in copy order (by id): every article is in it, though
        // archive pages do not keep the source's boundaries.
        super::history::record_if_new(&tx, &stored.row.id, &stored.row.categories)?;
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
