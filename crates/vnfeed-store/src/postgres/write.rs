//! Writes: every change to the articles, in one transaction each, serialized across
//! replicas by an advisory lock (as SQLite's single writer serializes them), and announced
//! with NOTIFY so other replicas render again.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Object};

use super::sql::{CHANNEL, COLUMNS, DbError, WRITE_LOCK, row_of};
use crate::model::{Article, Categorized, Draft, Tombstone};
use crate::outcome::{Outcome, Upserted};
use crate::plan::{self, Existing, Lookup, Plan};
use crate::record;
use crate::record::StoredArticle;

/// A transaction holding the store's write lock until it ends, so writers from every
/// replica take turns (slugs are checked for uniqueness, the revision moves by one).
pub(super) async fn write_transaction(
    client: &mut Object,
) -> Result<deadpool_postgres::Transaction<'_>, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
        .await?;
    Ok(tx)
}

pub(super) async fn upsert(
    client: &mut Object,
    drafts: Vec<Draft>,
    now: DateTime<Utc>,
) -> Result<Vec<Upserted>, DbError> {
    let tx = write_transaction(client).await?;
    let mut results = Vec::with_capacity(drafts.len());
    let mut touched = BTreeSet::new();
    for draft in drafts {
        results.push(upsert_one(&tx, draft, now, &mut touched).await?);
    }
    if crate::outcome::any_changed(&results) {
        record_change(&tx, &touched, now.timestamp()).await?;
    }
    tx.commit().await?;
    Ok(results)
}

pub(super) async fn delete(
    client: &mut Object,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<Tombstone>, DbError> {
    let tx = write_transaction(client).await?;
    super::labels::touch(&tx, id).await?;
    // article_categories and article_labels rows go with it (ON DELETE CASCADE).
    let row = tx
        .query_opt(
            "DELETE FROM articles a WHERE a.id = $1 RETURNING ARRAY(SELECT ac.category \
             FROM article_categories ac WHERE ac.article_id = a.id ORDER BY ac.category), \
             a.published",
            &[&id],
        )
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let categories: Vec<String> = row.get(0);
    let published: i64 = row.get(1);
    super::history::leave(&tx, id, now.timestamp()).await?;
    if crate::archive::leaves_tombstone(published, now.timestamp()) {
        tx.execute(
            "INSERT INTO tombstones (id, deleted, categories) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET deleted = excluded.deleted, categories = excluded.categories",
            &[&id, &now.timestamp(), &categories],
        )
        .await?;
    }
    let touched = categories.iter().cloned().collect();
    record_change(&tx, &touched, now.timestamp()).await?;
    tx.commit().await?;
    Ok(Some(Tombstone {
        id: id.to_string(),
        deleted: record::instant(id, "deleted", now.timestamp())?,
        categories,
    }))
}

pub(super) async fn forget_tombstones(
    client: &mut Object,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64, tokio_postgres::Error> {
    let tx = write_transaction(client).await?;
    let gone = tx
        .query(
            "DELETE FROM tombstones WHERE deleted < $1 RETURNING categories",
            &[&before.timestamp()],
        )
        .await?;
    if !gone.is_empty() {
        let categories = gone
            .iter()
            .flat_map(|r| r.get::<_, Vec<String>>(0))
            .collect();
        record_change(&tx, &categories, now.timestamp()).await?;
    }
    tx.commit().await?;
    Ok(gone.len() as u64)
}

/// Moves the revision on, marks `categories` (those the changed articles had before and
/// have after) and `all` as changed at it and at `now` (their `Last-Modified`), and announces
/// it. The notification is delivered at commit, and only if the transaction commits.
pub(super) async fn record_change(
    tx: &impl GenericClient,
    categories: &BTreeSet<String>,
    now: i64,
) -> Result<i64, tokio_postgres::Error> {
    super::history::mark_changed(tx, categories, now).await?;
    let row = tx
        .query_one(
            "UPDATE meta SET value = value + 1 WHERE key = 'revision' RETURNING value",
            &[],
        )
        .await?;
    let revision: i64 = row.get(0);
    let mark = tx
        .prepare_cached(
            "INSERT INTO category_revisions (category, revision) VALUES ($1, $2) \
             ON CONFLICT (category) DO UPDATE SET revision = excluded.revision",
        )
        .await?;
    for category in categories {
        tx.execute(&mark, &[category, &revision]).await?;
    }
    tx.execute(
        "SELECT pg_notify($1, $2)",
        &[&CHANNEL, &revision.to_string()],
    )
    .await?;
    Ok(revision)
}

/// What the store holds for `draft`: the article under its id and the one holding its URL.
pub(super) async fn lookup(
    client: &impl GenericClient,
    draft: &Draft,
) -> Result<Lookup, tokio_postgres::Error> {
    Ok(Lookup {
        by_id: existing(client, "id", &draft.id).await?,
        by_url: match &draft.url {
            Some(url) => existing(client, "url", url).await?,
            None => None,
        },
    })
}

async fn existing(
    client: &impl GenericClient,
    column: &str,
    key: &str,
) -> Result<Option<Existing>, tokio_postgres::Error> {
    let stmt = client
        .prepare_cached(&format!(
            "SELECT id, slug, content_hash, updated, categories_explicit FROM articles \
             WHERE {column} = $1"
        ))
        .await?;
    Ok(client.query_opt(&stmt, &[&key]).await?.map(|r| Existing {
        id: r.get(0),
        slug: r.get(1),
        content_hash: r.get(2),
        updated: r.get(3),
        categorized: record::categorized(r.get(4)),
    }))
}

/// The first of the title's slug candidates no other article has.
async fn unique_slug(
    tx: &impl GenericClient,
    title: &str,
) -> Result<String, tokio_postgres::Error> {
    let stmt = tx
        .prepare_cached("SELECT 1 FROM articles WHERE slug = $1")
        .await?;
    for candidate in plan::slug_candidates(title) {
        if tx.query_opt(&stmt, &[&candidate]).await?.is_none() {
            return Ok(candidate);
        }
    }
    unreachable!("the candidates never run out")
}

/// Writes one draft; the categories of a created or changed article, before and after, go
/// into `touched`.
async fn upsert_one(
    tx: &impl GenericClient,
    draft: Draft,
    now: DateTime<Utc>,
    touched: &mut BTreeSet<String>,
) -> Result<Upserted, DbError> {
    let found = lookup(tx, &draft).await?;
    let write = match plan::plan(&draft, found, now)? {
        Plan::Unchanged { id, categorized } => {
            if let Some(categorized) = categorized {
                let explicit = categorized == Categorized::Explicitly;
                tx.execute(
                    "UPDATE articles SET categories_explicit = $2 WHERE id = $1",
                    &[&id, &explicit],
                )
                .await?;
            }
            return Ok(Upserted {
                outcome: Outcome::Unchanged,
                article: load(tx, &id).await?,
            });
        }
        Plan::Write(write) => write,
    };
    let slug = match write.slug.clone() {
        Some(slug) => slug,
        None => unique_slug(tx, &draft.title).await?,
    };
    let (id, outcome) = (write.id.clone(), write.outcome);
    if write.retire_tombstone {
        let retired = tx
            .query(
                "DELETE FROM tombstones WHERE id = $1 RETURNING categories",
                &[&id],
            )
            .await?;
        touched.extend(retired.iter().flat_map(|r| r.get::<_, Vec<String>>(0)));
    }
    if write.leave_history {
        super::history::leave(tx, &id, now.timestamp()).await?;
    }
    let categories = draft.categories.clone();
    let (body, image) = (draft.body.clone(), draft.image.clone());
    let stored = write.into_stored(draft, slug);
    put_article(tx, &stored, touched).await?;
    let weight = crate::archive::weight(&stored.row);
    super::history::append(tx, &id, &categories, weight, now.timestamp()).await?;
    Ok(Upserted {
        outcome,
        article: stored.written(body, image)?,
    })
}

/// Writes an article row as given (overwriting one with the same id) and replaces its
/// categories; its categories before and after go into `touched`.
pub(super) async fn put_article(
    tx: &impl GenericClient,
    stored: &StoredArticle,
    touched: &mut BTreeSet<String>,
) -> Result<(), tokio_postgres::Error> {
    let row = &stored.row;
    let upsert = tx
        .prepare_cached(
            "INSERT INTO articles (id, slug, title, summary, body, author, published, updated, url, image,
                 content_hash, categories_explicit, tags)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, title = excluded.title,
                 summary = excluded.summary, body = excluded.body, author = excluded.author,
                 published = excluded.published, updated = excluded.updated, url = excluded.url,
                 image = excluded.image, content_hash = excluded.content_hash,
                 categories_explicit = excluded.categories_explicit, tags = excluded.tags",
        )
        .await?;
    tx.execute(
        &upsert,
        &[
            &row.id,
            &row.slug,
            &row.title,
            &row.summary,
            &row.body,
            &row.author,
            &row.published,
            &row.updated,
            &row.url,
            &row.image,
            &stored.content_hash,
            &row.categories_explicit,
            &row.tags,
        ],
    )
    .await?;
    super::labels::replace(tx, row).await?;
    let before = tx
        .query(
            "DELETE FROM article_categories WHERE article_id = $1 RETURNING category",
            &[&row.id],
        )
        .await?;
    touched.extend(before.iter().map(|r| r.get::<_, String>(0)));
    let insert = tx
        .prepare_cached(
            "INSERT INTO article_categories (article_id, category, published) VALUES ($1, $2, $3)",
        )
        .await?;
    for category in &row.categories {
        tx.execute(&insert, &[&row.id, category, &row.published])
            .await?;
        touched.insert(category.clone());
    }
    Ok(())
}

pub(super) async fn load(tx: &impl GenericClient, id: &str) -> Result<Article, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM articles a WHERE a.id = $1");
    let stmt = tx.prepare_cached(&sql).await?;
    let row = tx.query_one(&stmt, &[&id]).await?;
    Ok(row_of(&row).into_article()?)
}
