//! Articles and tombstones in and out exactly as stored, for `vnfeed migrate`: nothing is
//! decided anew on the way in (slug, `updated` and content hash are kept); and the feed
//! history (entries and frozen versions) likewise.

use std::collections::BTreeSet;

use deadpool_postgres::GenericClient;

use super::write::{put_article, record_change, write_transaction};
use super::{COLUMNS, row_of};
use crate::model::Tombstone;
use crate::{ArticleVersion, HistoryEntry, StoredArticle};

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

pub(super) async fn export_history(
    client: &impl GenericClient,
    after: (&str, i64),
    limit: usize,
) -> Result<Vec<HistoryEntry>, tokio_postgres::Error> {
    let stmt = client
        .prepare_cached(
            "SELECT feed, position, article_id, version FROM feed_history
             WHERE (feed, position) > ($1, $2) ORDER BY feed, position LIMIT $3",
        )
        .await?;
    let rows = client
        .query(&stmt, &[&after.0, &after.1, &(limit as i64)])
        .await?;
    Ok(rows
        .iter()
        .map(|r| HistoryEntry {
            feed: r.get(0),
            position: r.get(1),
            article_id: r.get(2),
            version: r.get(3),
        })
        .collect())
}

pub(super) async fn export_versions(
    client: &impl GenericClient,
    after: i64,
    limit: usize,
) -> Result<Vec<ArticleVersion>, tokio_postgres::Error> {
    let stmt = client
        .prepare_cached(
            "SELECT version, article_id, snapshot FROM article_versions
             WHERE version > $1 ORDER BY version LIMIT $2",
        )
        .await?;
    let rows = client.query(&stmt, &[&after, &(limit as i64)]).await?;
    Ok(rows
        .iter()
        .map(|r| ArticleVersion {
            version: r.get(0),
            article_id: r.get(1),
            snapshot: r.get(2),
        })
        .collect())
}

pub(super) async fn restore_history(
    client: &mut deadpool_postgres::Object,
    clear: bool,
    versions: &[ArticleVersion],
    entries: &[HistoryEntry],
) -> Result<(), tokio_postgres::Error> {
    let tx = write_transaction(client).await?;
    if clear {
        tx.batch_execute("DELETE FROM feed_history; DELETE FROM article_versions;")
            .await?;
    }
    let version = tx
        .prepare_cached(
            "INSERT INTO article_versions (version, article_id, snapshot) VALUES ($1, $2, $3)",
        )
        .await?;
    for v in versions {
        tx.execute(&version, &[&v.version, &v.article_id, &v.snapshot])
            .await?;
    }
    // Versions came with their numbers: the next frozen one must come after them.
    tx.batch_execute(
        "SELECT setval(pg_get_serial_sequence('article_versions', 'version'),
                       coalesce((SELECT max(version) FROM article_versions), 0) + 1, false)",
    )
    .await?;
    let entry = tx
        .prepare_cached(
            "INSERT INTO feed_history (feed, position, article_id, version) VALUES ($1, $2, $3, $4)",
        )
        .await?;
    for e in entries {
        tx.execute(&entry, &[&e.feed, &e.position, &e.article_id, &e.version])
            .await?;
    }
    let feeds: BTreeSet<String> = entries.iter().map(|e| e.feed.clone()).collect();
    record_change(&tx, &feeds).await?;
    tx.commit().await
}
