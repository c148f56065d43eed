//! The PostgreSQL side of paging and feed history (see [`crate::Store::history_len`]),
//! the same tables and rules as SQLite's `sqlite/history.rs`: entries recorded as articles are
//! written (under the write lock, so positions never race), frozen before an article changes,
//! holes where a deleted article was; pages and ranges read through the indexes.

use deadpool_postgres::GenericClient;

use super::write::load;
use super::{COLUMNS, DbError, row_of};
use crate::model::Article;
use crate::{from_snapshot, history_feed, snapshot};

/// Schema version 2: the history tables, filled for articles stored before they existed in
/// the only order known for them, oldest published first.
pub(super) const MIGRATION: &str = r#"
CREATE TABLE article_versions (
    version    BIGSERIAL PRIMARY KEY,
    article_id TEXT COLLATE "C" NOT NULL,
    snapshot   TEXT NOT NULL
);
CREATE TABLE feed_history (
    feed       TEXT COLLATE "C" NOT NULL,
    position   BIGINT NOT NULL,
    article_id TEXT COLLATE "C",
    version    BIGINT REFERENCES article_versions (version),
    PRIMARY KEY (feed, position)
);
CREATE INDEX feed_history_article ON feed_history (article_id);
CREATE INDEX article_versions_article ON article_versions (article_id);
INSERT INTO feed_history (feed, position, article_id)
    SELECT 'all', row_number() OVER (ORDER BY published, id) - 1, id FROM articles;
INSERT INTO feed_history (feed, position, article_id)
    SELECT category, row_number() OVER (PARTITION BY category ORDER BY published, article_id) - 1,
           article_id
    FROM article_categories;
"#;

/// Appends the article to the history of `all` and of each of its categories.
pub(super) async fn record(
    tx: &impl GenericClient,
    id: &str,
    categories: &[String],
) -> Result<(), tokio_postgres::Error> {
    let append = tx
        .prepare_cached(
            "INSERT INTO feed_history (feed, position, article_id)
             VALUES ($1, (SELECT coalesce(max(position) + 1, 0) FROM feed_history WHERE feed = $1), $2)",
        )
        .await?;
    tx.execute(&append, &[&history_feed(None), &id]).await?;
    for category in categories {
        tx.execute(&append, &[category, &id]).await?;
    }
    Ok(())
}

/// Before article `id` changes, points the entries that still show it live at a snapshot.
pub(super) async fn freeze(tx: &impl GenericClient, id: &str) -> Result<(), DbError> {
    let live = tx
        .query_opt(
            "SELECT 1 FROM feed_history WHERE article_id = $1 AND version IS NULL LIMIT 1",
            &[&id],
        )
        .await?;
    if live.is_none() {
        return Ok(());
    }
    let article = load(tx, id).await?;
    let row = tx
        .query_one(
            "INSERT INTO article_versions (article_id, snapshot) VALUES ($1, $2) RETURNING version",
            &[&id, &snapshot(&article)],
        )
        .await?;
    let version: i64 = row.get(0);
    tx.execute(
        "UPDATE feed_history SET version = $1 WHERE article_id = $2 AND version IS NULL",
        &[&version, &id],
    )
    .await?;
    Ok(())
}

/// Records an article restored from another store, unless some history already shows it.
pub(super) async fn record_if_new(
    tx: &impl GenericClient,
    id: &str,
    categories: &[String],
) -> Result<(), tokio_postgres::Error> {
    let known = tx
        .query_opt(
            "SELECT 1 FROM feed_history WHERE article_id = $1 LIMIT 1",
            &[&id],
        )
        .await?;
    match known {
        Some(_) => Ok(()),
        None => record(tx, id, categories).await,
    }
}

/// A deleted article leaves holes where its entries were, archives included.
pub(super) async fn forget(tx: &impl GenericClient, id: &str) -> Result<(), tokio_postgres::Error> {
    tx.execute(
        "UPDATE feed_history SET article_id = NULL, version = NULL WHERE article_id = $1",
        &[&id],
    )
    .await?;
    tx.execute("DELETE FROM article_versions WHERE article_id = $1", &[&id])
        .await?;
    Ok(())
}

pub(super) async fn len(
    client: &impl GenericClient,
    category: Option<&str>,
) -> Result<u64, DbError> {
    let stmt = client
        .prepare_cached("SELECT coalesce(max(position) + 1, 0) FROM feed_history WHERE feed = $1")
        .await?;
    let n: i64 = client
        .query_one(&stmt, &[&history_feed(category)])
        .await?
        .get(0);
    Ok(n.max(0) as u64)
}

pub(super) async fn range(
    client: &impl GenericClient,
    category: Option<&str>,
    start: u64,
    end: u64,
) -> Result<Vec<Article>, DbError> {
    let stmt = client
        .prepare_cached(
            "SELECT h.article_id, v.snapshot FROM feed_history h
             LEFT JOIN article_versions v ON v.version = h.version
             WHERE h.feed = $1 AND h.position >= $2 AND h.position < $3
             ORDER BY h.position",
        )
        .await?;
    let rows = client
        .query(
            &stmt,
            &[&history_feed(category), &clamp(start), &clamp(end)],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let id: Option<String> = row.get(0);
        let frozen: Option<String> = row.get(1);
        match (id, frozen) {
            (Some(id), Some(json)) => out.push(from_snapshot(&id, &json)?),
            (Some(id), None) => {
                let sql = format!("SELECT {COLUMNS} FROM articles a WHERE a.id = $1");
                let stmt = client.prepare_cached(&sql).await?;
                if let Some(row) = client.query_opt(&stmt, &[&id]).await? {
                    out.push(row_of(&row).into_article()?);
                }
            }
            // The article was deleted: a hole.
            (None, _) => {}
        }
    }
    Ok(out)
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A page of the paged feed: the inner query skips `offset` entries of the covering index
/// (index-only scan) before the page's articles are read.
pub(super) async fn page(
    client: &impl GenericClient,
    category: Option<&str>,
    offset: u64,
    limit: usize,
) -> Result<Vec<Article>, DbError> {
    let (limit, offset) = (clamp(limit as u64), clamp(offset));
    let rows = match category {
        None => {
            let sql = format!(
                "SELECT {COLUMNS} FROM (SELECT id, published FROM articles
                     ORDER BY published DESC, id DESC LIMIT $1 OFFSET $2) p
                 JOIN articles a ON a.id = p.id ORDER BY p.published DESC, p.id DESC"
            );
            let stmt = client.prepare_cached(&sql).await?;
            client.query(&stmt, &[&limit, &offset]).await?
        }
        Some(category) => {
            let sql = format!(
                "SELECT {COLUMNS} FROM (SELECT article_id, published FROM article_categories
                     WHERE category = $1 ORDER BY published DESC, article_id DESC
                     LIMIT $2 OFFSET $3) p
                 JOIN articles a ON a.id = p.article_id
                 ORDER BY p.published DESC, p.article_id DESC"
            );
            let stmt = client.prepare_cached(&sql).await?;
            client.query(&stmt, &[&category, &limit, &offset]).await?
        }
    };
    rows.iter()
        .map(|r| row_of(r).into_article().map_err(DbError::from))
        .collect()
}

pub(super) async fn count(
    client: &impl GenericClient,
    category: Option<&str>,
) -> Result<u64, DbError> {
    let n: i64 = match category {
        None => {
            client
                .query_one("SELECT count(*) FROM articles", &[])
                .await?
        }
        Some(category) => {
            client
                .query_one(
                    "SELECT count(*) FROM article_categories WHERE category = $1",
                    &[&category],
                )
                .await?
        }
    }
    .get(0);
    Ok(n.max(0) as u64)
}
