//! Articles and tombstones in and out exactly as stored, for `vnfeed migrate`: nothing is
//! decided anew on the way in (slug, `updated` and content hash are kept); and the feed
//! history (entries and archive pages) likewise. The backend's [`MigrateStore`] is here.

use std::collections::BTreeSet;

use async_trait::async_trait;
use deadpool_postgres::GenericClient;

use super::PostgresStore;
use super::sql::{COLUMNS, row_of};
use super::write::{put_article, record_change, write_transaction};
use crate::error::StoreError;
use crate::migrate::MigrateStore;
use crate::model::Tombstone;
use crate::record::{ArchivePageRow, HistoryEntry, StoredArticle};

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
            content_hash: r.get(13),
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
    // A copy is a change of its feeds now, for their Last-Modified.
    let now = chrono::Utc::now().timestamp();
    for stored in articles {
        put_article(&tx, stored, &mut touched).await?;
        // The copy's history starts in copy order (by id): every article is in it, though
        // archive pages do not keep the source's boundaries.
        let weight = crate::archive::weight(&stored.row);
        let (id, categories) = (&stored.row.id, &stored.row.categories);
        super::history::append_if_new(&tx, id, categories, weight, now).await?;
        tx.execute("DELETE FROM tombstones WHERE id = $1", &[&stored.row.id])
            .await?;
    }
    for t in tombstones {
        super::labels::touch(&tx, &t.id).await?;
        tx.execute("DELETE FROM articles WHERE id = $1", &[&t.id])
            .await?;
        super::history::leave(&tx, &t.id, now).await?;
        tx.execute(
            "INSERT INTO tombstones (id, deleted, categories) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET deleted = excluded.deleted, categories = excluded.categories",
            &[&t.id, &t.deleted.timestamp(), &t.categories],
        )
        .await?;
        touched.extend(t.categories.iter().cloned());
    }
    if !articles.is_empty() || !tombstones.is_empty() {
        record_change(&tx, &touched, now).await?;
    }
    tx.commit().await
}

pub(super) async fn export_history(
    client: &impl GenericClient,
    after: (&str, i64, i64),
    limit: usize,
) -> Result<Vec<HistoryEntry>, tokio_postgres::Error> {
    let stmt = client
        .prepare_cached(
            "SELECT feed, page, position, article_id, weight FROM history_entries
             WHERE (feed, page, position) > ($1, $2, $3) ORDER BY feed, page, position LIMIT $4",
        )
        .await?;
    let rows = client
        .query(&stmt, &[&after.0, &after.1, &after.2, &(limit as i64)])
        .await?;
    Ok(rows
        .iter()
        .map(|r| HistoryEntry {
            feed: r.get(0),
            page: r.get(1),
            position: r.get(2),
            article_id: r.get(3),
            weight: r.get(4),
        })
        .collect())
}

pub(super) async fn export_pages(
    client: &impl GenericClient,
    after: (&str, i64),
    limit: usize,
) -> Result<Vec<ArchivePageRow>, tokio_postgres::Error> {
    let stmt = client
        .prepare_cached(
            "SELECT feed, page, entries, bytes, appended, changed FROM archive_pages
             WHERE (feed, page) > ($1, $2) ORDER BY feed, page LIMIT $3",
        )
        .await?;
    let rows = client
        .query(&stmt, &[&after.0, &after.1, &(limit as i64)])
        .await?;
    Ok(rows
        .iter()
        .map(|r| ArchivePageRow {
            feed: r.get(0),
            page: r.get(1),
            entries: r.get(2),
            bytes: r.get(3),
            appended: r.get(4),
            changed: r.get(5),
        })
        .collect())
}

pub(super) async fn restore_history(
    client: &mut deadpool_postgres::Object,
    clear: bool,
    pages: &[ArchivePageRow],
    entries: &[HistoryEntry],
) -> Result<(), tokio_postgres::Error> {
    let tx = write_transaction(client).await?;
    if clear {
        tx.batch_execute("DELETE FROM history_entries; DELETE FROM archive_pages;")
            .await?;
    }
    let page = tx
        .prepare_cached(
            "INSERT INTO archive_pages (feed, page, entries, bytes, appended, changed)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .await?;
    for p in pages {
        tx.execute(
            &page,
            &[
                &p.feed,
                &p.page,
                &p.entries,
                &p.bytes,
                &p.appended,
                &p.changed,
            ],
        )
        .await?;
    }
    let entry = tx
        .prepare_cached(
            "INSERT INTO history_entries (feed, page, position, article_id, weight)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .await?;
    for e in entries {
        tx.execute(
            &entry,
            &[&e.feed, &e.page, &e.position, &e.article_id, &e.weight],
        )
        .await?;
    }
    let feeds: BTreeSet<String> = entries.iter().map(|e| e.feed.clone()).collect();
    record_change(&tx, &feeds, chrono::Utc::now().timestamp()).await?;
    tx.commit().await
}

#[async_trait]
impl MigrateStore for PostgresStore {
    async fn count_stored(&self) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_one("SELECT count(*) FROM articles", &[])
            .await
            .map_err(|e| self.err(e))?;
        Ok(row.get::<_, i64>(0).max(0) as u64)
    }

    async fn export(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredArticle>, StoreError> {
        let client = self.client().await?;
        export(
            &client,
            after.unwrap_or(crate::migrate::FIRST_ARTICLE),
            limit,
        )
        .await
        .map_err(|e| self.err(e))
    }

    async fn export_history(
        &self,
        after: Option<(&str, i64, i64)>,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let client = self.client().await?;
        export_history(&client, after.unwrap_or(crate::migrate::FIRST_ENTRY), limit)
            .await
            .map_err(|e| self.err(e))
    }

    async fn export_pages(
        &self,
        after: Option<(&str, i64)>,
        limit: usize,
    ) -> Result<Vec<ArchivePageRow>, StoreError> {
        let client = self.client().await?;
        export_pages(&client, after.unwrap_or(crate::migrate::FIRST_PAGE), limit)
            .await
            .map_err(|e| self.err(e))
    }

    async fn restore_history(
        &self,
        clear: bool,
        pages: Vec<ArchivePageRow>,
        entries: Vec<HistoryEntry>,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        restore_history(&mut client, clear, &pages, &entries)
            .await
            .map_err(|e| self.err(e))
    }

    async fn restore(
        &self,
        articles: Vec<StoredArticle>,
        tombstones: Vec<Tombstone>,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        restore(&mut client, &articles, &tombstones)
            .await
            .map_err(|e| self.err(e))
    }
}
