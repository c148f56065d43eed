//! Articles and tombstones in and out exactly as stored, for `vnfeed migrate`: nothing is
//! decided anew on the way in (slug, `updated` and content hash are kept).

use std::collections::BTreeSet;

use deadpool_postgres::GenericClient;

use super::write::{put_article, record_change, write_transaction};
use super::{COLUMNS, row_of};
use crate::model::Tombstone;
use crate::store::StoredArticle;

pub(super) async fn export(
    client: &impl GenericClient,
    after: &str,
    limit: usize,
) -> Result<Vec<StoredArticle>, tokio_postgres::Error> {
    let sql = format!(
        "SELECT {COLUMNS}, a.content_hash FROM articles a WHERE a.id > $1 ORDER BY a.id LIMIT $2"
    );
    let stmt = client.prepare_cached(&sql).await?;
    let rows = client.query(&stmt, &[&after, &(limit as i64)]).await?;
    Ok(rows
        .iter()
        .map(|r| StoredArticle {
            row: row_of(r),
            content_hash: r.get(11),
        })
        .collect())
}

pub(super) async fn restore(
    client: &mut deadpool_postgres::Object,
    articles: &[StoredArticle],
    tombstones: &[Tombstone],
) -> Result<(), tokio_postgres::Error> {
    let tx = write_transaction(client).await?;
    let mut touched = BTreeSet::new();
    for stored in articles {
        put_article(&tx, stored, &mut touched).await?;
        // The copy's history starts in copy order (by id): every article is in it, though
        // archive pages do not keep the source's boundaries.
        super::history::record_if_new(&tx, &stored.row.id, &stored.row.categories).await?;
        tx.execute("DELETE FROM tombstones WHERE id = $1", &[&stored.row.id])
            .await?;
    }
    for t in tombstones {
        tx.execute("DELETE FROM articles WHERE id = $1", &[&t.id])
            .await?;
        super::history::forget(&tx, &t.id).await?;
        tx.execute(
            "INSERT INTO tombstones (id, deleted, categories) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET deleted = excluded.deleted, categories = excluded.categories",
            &[&t.id, &t.deleted.timestamp(), &t.categories],
        )
        .await?;
        touched.extend(t.categories.iter().cloned());
    }
    if !articles.is_empty() || !tombstones.is_empty() {
        record_change(&tx, &touched).await?;
    }
    tx.commit().await
}
