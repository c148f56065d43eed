//! The PostgreSQL side of paging, feed history and validators, the same tables and rules
//! as SQLite's `sqlite/history.rs` (rules in [`crate::archive`]): an article's entries moved
//! to the end of the history as it is written (under the write lock, so pages and positions
//! never race), each page's tally and each feed's last change kept, pages and archive pages
//! read through the indexes, with only the articles whose time has come.

use deadpool_postgres::GenericClient;

use super::sql::{COLUMNS, DbError, row_of};
use crate::archive::{self, OpenPage};
use crate::key::FeedKey;
use crate::model::Article;

/// Schema version 2: the first history tables (one frozen copy per edit), filled for
/// articles stored before they existed, oldest published first. Kept as it was so older
/// databases migrate step by step; [`ONE_ENTRY_PER_ARTICLE`] replaces it.
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

/// Schema version 3: one entry per (feed, article), as SQLite's version 6 (see there for
/// how the old history is carried over).
pub(super) const ONE_ENTRY_PER_ARTICLE: &str = r#"
CREATE TABLE history_entries (
    feed       TEXT COLLATE "C" NOT NULL,
    page       BIGINT NOT NULL,
    position   BIGINT NOT NULL,
    article_id TEXT COLLATE "C" NOT NULL,
    weight     BIGINT NOT NULL,
    PRIMARY KEY (feed, page, position)
);
CREATE INDEX history_entries_article ON history_entries (article_id);
CREATE TABLE archive_pages (
    feed     TEXT COLLATE "C" NOT NULL,
    page     BIGINT NOT NULL,
    entries  BIGINT NOT NULL,
    bytes    BIGINT NOT NULL,
    appended BIGINT NOT NULL,
    changed  BIGINT NOT NULL,
    PRIMARY KEY (feed, page)
);
CREATE TABLE feed_changes (
    feed    TEXT COLLATE "C" PRIMARY KEY,
    changed BIGINT NOT NULL
);
INSERT INTO history_entries (feed, page, position, article_id, weight)
    SELECT h.feed, h.position / 100 + 1, h.position, h.article_id,
           octet_length(a.title) + octet_length(a.summary) + octet_length(a.body)
           + coalesce(octet_length(a.author), 0) + coalesce(octet_length(a.url), 0)
           + coalesce(octet_length(a.image), 0)
    FROM (SELECT feed, position, article_id, row_number() OVER (
              PARTITION BY feed, article_id ORDER BY position DESC) AS newest
          FROM feed_history WHERE article_id IS NOT NULL) h
    JOIN articles a ON a.id = h.article_id
    WHERE h.newest = 1 AND (h.feed = 'all' OR EXISTS (
        SELECT 1 FROM article_categories c WHERE c.article_id = h.article_id AND c.category = h.feed));
INSERT INTO archive_pages (feed, page, entries, bytes, appended, changed)
    SELECT h.feed, h.page, count(*), sum(h.weight), max(h.position) + 1,
           least(max(a.updated), extract(epoch FROM now())::BIGINT)
    FROM history_entries h JOIN articles a ON a.id = h.article_id GROUP BY h.feed, h.page;
INSERT INTO archive_pages (feed, page, entries, bytes, appended, changed)
    SELECT feed, (max(position) + 1) / 100 + 1, 0, 0, 0, extract(epoch FROM now())::BIGINT
    FROM feed_history GROUP BY feed
    ON CONFLICT (feed, page) DO NOTHING;
INSERT INTO feed_changes (feed, changed)
    SELECT feed, least(max(changed), extract(epoch FROM now())::BIGINT) FROM (
        SELECT 'all' AS feed, updated AS changed FROM articles
        UNION ALL SELECT c.category, a.updated FROM article_categories c
            JOIN articles a ON a.id = c.article_id
        UNION ALL SELECT 'all', deleted FROM tombstones
        UNION ALL SELECT unnest(categories), deleted FROM tombstones) changes
    GROUP BY feed;
DROP TABLE feed_history;
DROP TABLE article_versions;
"#;

/// Appends the article (of `weight` bytes) to the end of the history of `all` and of each
/// of its categories, on the page [`archive::place`] picks.
pub(super) async fn append(
    tx: &impl GenericClient,
    id: &str,
    categories: &[String],
    weight: i64,
    now: i64,
) -> Result<(), tokio_postgres::Error> {
    let newest = tx
        .prepare_cached(
            "SELECT page, entries, bytes, appended FROM archive_pages WHERE feed = $1
             ORDER BY page DESC LIMIT 1",
        )
        .await?;
    let tally = tx
        .prepare_cached(
            "INSERT INTO archive_pages (feed, page, entries, bytes, appended, changed)
             VALUES ($1, $2, 1, $3, 1, $4)
             ON CONFLICT (feed, page) DO UPDATE SET entries = archive_pages.entries + 1,
                 bytes = archive_pages.bytes + excluded.bytes,
                 appended = archive_pages.appended + 1,
                 changed = greatest(archive_pages.changed, excluded.changed)",
        )
        .await?;
    let insert = tx
        .prepare_cached(
            "INSERT INTO history_entries (feed, page, position, article_id, weight)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .await?;
    let feeds =
        std::iter::once(FeedKey::All.history_key()).chain(categories.iter().map(String::as_str));
    for feed in feeds {
        let (open, appended) = match tx.query_opt(&newest, &[&feed]).await? {
            Some(r) => {
                let open = OpenPage {
                    page: r.get(0),
                    entries: r.get(1),
                    bytes: r.get(2),
                };
                (open, r.get::<_, i64>(3))
            }
            None => (OpenPage::default(), 0),
        };
        let page = archive::place(open, weight);
        let position = if page == open.page { appended } else { 0 };
        tx.execute(&tally, &[&feed, &page, &weight, &now]).await?;
        tx.execute(&insert, &[&feed, &page, &position, &id, &weight])
            .await?;
    }
    Ok(())
}

/// Records an article restored from another store, unless some history already shows it.
pub(super) async fn append_if_new(
    tx: &impl GenericClient,
    id: &str,
    categories: &[String],
    weight: i64,
    now: i64,
) -> Result<(), tokio_postgres::Error> {
    let known = tx
        .query_opt(
            "SELECT 1 FROM history_entries WHERE article_id = $1 LIMIT 1",
            &[&id],
        )
        .await?;
    match known {
        Some(_) => Ok(()),
        None => append(tx, id, categories, weight, now).await,
    }
}

/// Takes article `id` out of every feed's history (before it is written again, or deleted):
/// the pages it leaves change at `now`; every other entry keeps its page and place.
pub(super) async fn leave(
    tx: &impl GenericClient,
    id: &str,
    now: i64,
) -> Result<(), tokio_postgres::Error> {
    let left = tx
        .query(
            "DELETE FROM history_entries WHERE article_id = $1 RETURNING feed, page, weight",
            &[&id],
        )
        .await?;
    let update = tx
        .prepare_cached(
            "UPDATE archive_pages SET entries = entries - 1, bytes = bytes - $3,
                 changed = greatest(changed, $4) WHERE feed = $1 AND page = $2",
        )
        .await?;
    for row in left {
        let (feed, page, weight): (String, i64, i64) = (row.get(0), row.get(1), row.get(2));
        tx.execute(&update, &[&feed, &page, &weight, &now]).await?;
    }
    Ok(())
}

/// Marks `all` and `categories` as changed at `now`, for their `Last-Modified`; never moves
/// a feed's time back.
pub(super) async fn mark_changed<'a>(
    tx: &impl GenericClient,
    categories: impl IntoIterator<Item = &'a String>,
    now: i64,
) -> Result<(), tokio_postgres::Error> {
    let mark = tx
        .prepare_cached(
            "INSERT INTO feed_changes (feed, changed) VALUES ($1, $2)
             ON CONFLICT (feed) DO UPDATE
                 SET changed = greatest(feed_changes.changed, excluded.changed)",
        )
        .await?;
    tx.execute(&mark, &[&FeedKey::All.history_key(), &now])
        .await?;
    for category in categories {
        tx.execute(&mark, &[category, &now]).await?;
    }
    Ok(())
}

pub(super) async fn archive_count(
    client: &impl GenericClient,
    feed: FeedKey<'_>,
) -> Result<u64, tokio_postgres::Error> {
    let stmt = client
        .prepare_cached("SELECT coalesce(max(page), 0) FROM archive_pages WHERE feed = $1")
        .await?;
    let n: i64 = client
        .query_one(&stmt, &[&feed.history_key()])
        .await?
        .get(0);
    Ok(n.max(0) as u64)
}

/// Archive page `number`, oldest entry first, with the articles shown at `now`, and its
/// `Last-Modified`; `None` past the newest page.
pub(super) async fn archive(
    client: &impl GenericClient,
    feed: FeedKey<'_>,
    number: u64,
    now: i64,
) -> Result<Option<crate::archive::ArchivePage>, DbError> {
    let newest = archive_count(client, feed).await?;
    if number == 0 || number > newest {
        return Ok(None);
    }
    let feed = feed.history_key();
    let page = clamp(number);
    let sql = format!(
        "SELECT {COLUMNS} FROM history_entries h JOIN articles a ON a.id = h.article_id
         WHERE h.feed = $1 AND h.page = $2 AND a.published <= $3 ORDER BY h.position"
    );
    let stmt = client.prepare_cached(&sql).await?;
    let rows = client.query(&stmt, &[&feed, &page, &now]).await?;
    let changed: Option<i64> = client
        .query_opt(
            "SELECT changed FROM archive_pages WHERE feed = $1 AND page = $2",
            &[&feed, &page],
        )
        .await?
        .map(|r| r.get(0));
    let raws: Vec<_> = rows.iter().map(row_of).collect();
    let newest_shown = raws.iter().map(|r| r.published).max();
    let articles = raws
        .into_iter()
        .map(|r| r.into_article())
        .collect::<Result<_, _>>()?;
    Ok(Some(crate::archive::ArchivePage {
        articles,
        last_modified: archive::last_modified_at(changed, newest_shown),
    }))
}

/// The feed's `Last-Modified` at `now`: its last stored change and its newest article shown.
pub(super) async fn last_modified(
    client: &impl GenericClient,
    feed: FeedKey<'_>,
    now: i64,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, tokio_postgres::Error> {
    let changed: Option<i64> = client
        .query_opt(
            "SELECT changed FROM feed_changes WHERE feed = $1",
            &[&feed.history_key()],
        )
        .await?
        .map(|r| r.get(0));
    let newest_shown: Option<i64> = match feed.category() {
        None => client
            .query_one(
                "SELECT max(published) FROM articles WHERE published <= $1",
                &[&now],
            )
            .await?
            .get(0),
        Some(category) => client
            .query_one(
                "SELECT max(published) FROM article_categories
                 WHERE category = $1 AND published <= $2",
                &[&category, &now],
            )
            .await?
            .get(0),
    };
    Ok(archive::last_modified_at(changed, newest_shown))
}

/// The earliest `published` after `now` in a feed: when it next changes with no write.
pub(super) async fn next_due(
    client: &impl GenericClient,
    feed: FeedKey<'_>,
    now: i64,
) -> Result<Option<i64>, tokio_postgres::Error> {
    let row = match feed.category() {
        None => {
            client
                .query_one(
                    "SELECT min(published) FROM articles WHERE published > $1",
                    &[&now],
                )
                .await?
        }
        Some(category) => {
            client
                .query_one(
                    "SELECT min(published) FROM article_categories
                     WHERE category = $1 AND published > $2",
                    &[&category, &now],
                )
                .await?
        }
    };
    Ok(row.get(0))
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A page of the paged feed: the inner query skips `offset` entries of the covering index
/// (index-only scan) before the page's articles are read.
pub(super) async fn page(
    client: &impl GenericClient,
    feed: FeedKey<'_>,
    offset: u64,
    limit: usize,
    now: i64,
) -> Result<Vec<Article>, DbError> {
    let (limit, offset) = (clamp(limit as u64), clamp(offset));
    let rows = match feed.category() {
        None => {
            let sql = format!(
                "SELECT {COLUMNS} FROM (SELECT id, published FROM articles WHERE published <= $3
                     ORDER BY published DESC, id DESC LIMIT $1 OFFSET $2) p
                 JOIN articles a ON a.id = p.id ORDER BY p.published DESC, p.id DESC"
            );
            let stmt = client.prepare_cached(&sql).await?;
            client.query(&stmt, &[&limit, &offset, &now]).await?
        }
        Some(category) => {
            let sql = format!(
                "SELECT {COLUMNS} FROM (SELECT article_id, published FROM article_categories
                     WHERE category = $1 AND published <= $4
                     ORDER BY published DESC, article_id DESC LIMIT $2 OFFSET $3) p
                 JOIN articles a ON a.id = p.article_id
                 ORDER BY p.published DESC, p.article_id DESC"
            );
            let stmt = client.prepare_cached(&sql).await?;
            client
                .query(&stmt, &[&category, &limit, &offset, &now])
                .await?
        }
    };
    rows.iter()
        .map(|r| row_of(r).into_article().map_err(DbError::from))
        .collect()
}

pub(super) async fn count(
    client: &impl GenericClient,
    feed: FeedKey<'_>,
    now: i64,
) -> Result<u64, DbError> {
    let n: i64 = match feed.category() {
        None => {
            client
                .query_one(
                    "SELECT count(*) FROM articles WHERE published <= $1",
                    &[&now],
                )
                .await?
        }
        Some(category) => {
            client
                .query_one(
                    "SELECT count(*) FROM article_categories
                     WHERE category = $1 AND published <= $2",
                    &[&category, &now],
                )
                .await?
        }
    }
    .get(0);
    Ok(n.max(0) as u64)
}
