//! The PostgreSQL side of labels (rules in [`crate::labels`]), the same tables and reads as
//! SQLite's `sqlite/labels.rs`: `article_labels` indexed like `article_categories`, the
//! revision at which each label last changed, and the sitemap reads (no bodies).

use std::collections::BTreeSet;

use deadpool_postgres::GenericClient;

use super::sql::{COLUMNS, DbError, row_of};
use crate::labels::{self, LabelKey, LabelKind, LabelName, SitemapEntry};
use crate::model::Article;
use crate::record::{Row, instant};

/// Appended to the schema: the tags column, the label index and the label revisions.
/// Authors of articles stored before it are filled in by [`backfill`], in the same step.
pub(super) const MIGRATION: &str = r#"
ALTER TABLE articles ADD COLUMN tags TEXT[] NOT NULL DEFAULT '{}';
CREATE TABLE article_labels (
    article_id TEXT COLLATE "C" NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    kind       TEXT COLLATE "C" NOT NULL,
    slug       TEXT COLLATE "C" NOT NULL,
    name       TEXT NOT NULL,
    published  BIGINT NOT NULL,
    PRIMARY KEY (article_id, kind, slug)
);
CREATE INDEX labels_newest ON article_labels (kind, slug, published DESC, article_id DESC);
CREATE TABLE label_revisions (
    kind     TEXT COLLATE "C" NOT NULL,
    slug     TEXT COLLATE "C" NOT NULL,
    revision BIGINT NOT NULL,
    PRIMARY KEY (kind, slug)
);
CREATE INDEX label_revisions_since ON label_revisions (revision);
"#;

/// Files every stored article under its author (the slug is Rust's, not SQL's).
pub(super) async fn backfill(tx: &impl GenericClient) -> Result<(), tokio_postgres::Error> {
    let rows = tx
        .query(
            "SELECT id, author, published FROM articles WHERE author IS NOT NULL",
            &[],
        )
        .await?;
    let insert = tx
        .prepare(
            "INSERT INTO article_labels (article_id, kind, slug, name, published)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .await?;
    for r in rows {
        let (id, author, published): (String, String, i64) = (r.get(0), r.get(1), r.get(2));
        for (kind, slug, name) in labels::of(Some(&author), &[]) {
            tx.execute(&insert, &[&id, &kind.as_str(), &slug, &name, &published])
                .await?;
        }
    }
    Ok(())
}

/// Replaces an article's labels with the row's, marking the labels it had and has as
/// changed at `revision` (the one the write's `record_change` will move to).
pub(super) async fn replace(
    tx: &impl GenericClient,
    row: &Row,
) -> Result<(), tokio_postgres::Error> {
    touch(tx, &row.id).await?;
    tx.execute(
        "DELETE FROM article_labels WHERE article_id = $1",
        &[&row.id],
    )
    .await?;
    let insert = tx
        .prepare_cached(
            "INSERT INTO article_labels (article_id, kind, slug, name, published)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .await?;
    let mark = tx.prepare_cached(MARK).await?;
    for (kind, slug, name) in labels::of_row(row) {
        tx.execute(
            &insert,
            &[&row.id, &kind.as_str(), &slug, &name, &row.published],
        )
        .await?;
        tx.execute(&mark, &[&kind.as_str(), &slug]).await?;
    }
    Ok(())
}

/// Marks a label changed at the revision the running write moves to (`record_change`
/// adds one to it before the transaction commits, under the write lock).
const MARK: &str = "INSERT INTO label_revisions (kind, slug, revision)
     VALUES ($1, $2, (SELECT value FROM meta WHERE key = 'revision') + 1)
     ON CONFLICT (kind, slug) DO UPDATE SET revision = excluded.revision";

/// Marks the labels an article has now as changed (before it is deleted or rewritten).
pub(super) async fn touch(tx: &impl GenericClient, id: &str) -> Result<(), tokio_postgres::Error> {
    let had = tx
        .query(
            "SELECT kind, slug FROM article_labels WHERE article_id = $1",
            &[&id],
        )
        .await?;
    let mark = tx.prepare_cached(MARK).await?;
    for r in had {
        let (kind, slug): (String, String) = (r.get(0), r.get(1));
        tx.execute(&mark, &[&kind, &slug]).await?;
    }
    Ok(())
}

pub(super) async fn changed_since(
    tx: &impl GenericClient,
    since: i64,
) -> Result<BTreeSet<LabelKey>, tokio_postgres::Error> {
    let rows = tx
        .query(
            "SELECT kind, slug FROM label_revisions WHERE revision > $1",
            &[&since],
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some(LabelKey::new(
                LabelKind::parse(r.get(0))?,
                r.get::<_, String>(1),
            ))
        })
        .collect())
}

pub(super) async fn labelled(
    client: &impl GenericClient,
    label: &LabelKey,
    limit: usize,
    now: i64,
) -> Result<Vec<Article>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM article_labels l JOIN articles a ON a.id = l.article_id
         WHERE l.kind = $1 AND l.slug = $2 AND l.published <= $3
         ORDER BY l.published DESC, l.article_id DESC LIMIT $4"
    );
    let stmt = client.prepare_cached(&sql).await?;
    let rows = client
        .query(
            &stmt,
            &[&label.kind.as_str(), &label.slug, &now, &(limit as i64)],
        )
        .await?;
    rows.iter()
        .map(|r| row_of(r).into_article().map_err(DbError::Store))
        .collect()
}

pub(super) async fn names(
    client: &impl GenericClient,
    kind: LabelKind,
    limit: usize,
    now: i64,
) -> Result<Vec<LabelName>, tokio_postgres::Error> {
    // Each label's newest article names it (ties: the greatest article id, as in SQLite).
    let rows = client
        .query(
            "SELECT slug, name FROM (
                 SELECT DISTINCT ON (slug) slug, name, published FROM article_labels
                 WHERE kind = $1 AND published <= $2
                 ORDER BY slug, published DESC, article_id DESC) newest
             ORDER BY published DESC, slug LIMIT $3",
            &[&kind.as_str(), &now, &(limit as i64)],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| LabelName {
            slug: r.get(0),
            name: r.get(1),
        })
        .collect())
}

pub(super) async fn sitemap(
    client: &impl GenericClient,
    offset: u64,
    limit: usize,
    now: i64,
) -> Result<Vec<SitemapEntry>, DbError> {
    let offset = offset.min(i64::MAX as u64) as i64;
    entries(
        client,
        "SELECT id, slug, title, published, updated FROM articles WHERE published <= $1
         ORDER BY published, id LIMIT $2 OFFSET $3",
        &[&now, &(limit as i64), &offset],
    )
    .await
}

pub(super) async fn recent(
    client: &impl GenericClient,
    since: i64,
    limit: usize,
    now: i64,
) -> Result<Vec<SitemapEntry>, DbError> {
    entries(
        client,
        "SELECT id, slug, title, published, updated FROM articles
         WHERE published <= $1 AND published >= $3
         ORDER BY published DESC, id DESC LIMIT $2",
        &[&now, &(limit as i64), &since],
    )
    .await
}

async fn entries(
    client: &impl GenericClient,
    sql: &str,
    args: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<SitemapEntry>, DbError> {
    let stmt = client.prepare_cached(sql).await?;
    let rows = client.query(&stmt, args).await?;
    rows.iter()
        .map(|r| {
            let id: String = r.get(0);
            Ok(SitemapEntry {
                slug: r.get(1),
                title: r.get(2),
                published: instant(&id, "published", r.get(3))?,
                updated: instant(&id, "updated", r.get(4))?,
            })
        })
        .collect()
}
