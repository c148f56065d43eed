//! The embedded SQLite store: one file, WAL, `synchronous=FULL`, a schema that migrates
//! itself on open. One connection writes; a small pool of connections reads (WAL lets
//! readers and the writer work at once), so a slow read never holds up a write. All of
//! vnfeed's SQL for SQLite lives here (paging and feed history in `sqlite/history.rs`,
//! migration copies in `sqlite/copy.rs`, the reader pool in `sqlite/readers.rs`).

mod batch;
#[cfg(test)]
mod batch_tests;
mod copy;
mod history;
mod labels;
#[cfg(test)]
mod query_plans;
mod readers;
mod row;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::plan::{self, Plan};
use super::record;
use crate::archive::ArchivePage;
use crate::changes::{Changes, Staleness};
use crate::clock::Clock;
use crate::error::StoreError;
use crate::key::FeedKey;
use crate::labels::{LabelKey, LabelKind, LabelName, SitemapEntry};
use crate::model::{Article, Categorized, Draft, Tombstone};
use crate::outcome::{Outcome, Upserted};
use crate::record::StoredArticle;
use crate::store::Store;
use row::{COLUMNS, DbError, finish, raw_row};

/// Each entry moves the schema one version up; `PRAGMA user_version` records how far a file is.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE articles (
    id           TEXT PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    summary      TEXT NOT NULL,
    body         TEXT NOT NULL,
    author       TEXT,
    published    INTEGER NOT NULL,
    updated      INTEGER NOT NULL,
    url          TEXT UNIQUE,
    image        TEXT,
    content_hash TEXT NOT NULL
);
CREATE INDEX articles_newest ON articles (published DESC, id DESC);
CREATE TABLE article_categories (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    category   TEXT NOT NULL,
    published  INTEGER NOT NULL,
    PRIMARY KEY (article_id, category)
) WITHOUT ROWID;
CREATE INDEX categories_newest ON article_categories (category, published DESC, article_id DESC);
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('revision', 0);
"#,
    r#"
-- The revision at which each category last changed, so a reader re-renders only the feeds
-- a write touched. One row per category: it never grows with the number of writes.
CREATE TABLE category_revisions (
    category TEXT PRIMARY KEY,
    revision INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO category_revisions (category, revision)
    SELECT DISTINCT category, (SELECT value FROM meta WHERE key = 'revision') FROM article_categories;
"#,
    r#"
CREATE TABLE tombstones (
    id         TEXT PRIMARY KEY,
    deleted    INTEGER NOT NULL,
    categories TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX tombstones_newest ON tombstones (deleted DESC, id DESC);
"#,
    history::MIGRATION,
    r#"
-- Each article's categories in its own row (sorted, comma-separated, '' for none), so a
-- feed reads an article in one row instead of one more B-tree range per article.
-- article_categories stays the source of category feeds and of their index.
ALTER TABLE articles ADD COLUMN categories TEXT NOT NULL DEFAULT '';
UPDATE articles SET categories = coalesce((
    SELECT group_concat(category, ',') FROM (
        SELECT category FROM article_categories c WHERE c.article_id = articles.id
        ORDER BY category)), '');
"#,
    history::ONE_ENTRY_PER_ARTICLE,
    r#"
-- Issue 16: whether the source named the article's categories (1) or the feed rules derived
-- them (0), so `vnfeed reclassify` moves only the latter. Rows stored before cannot tell: 1,
-- so no category an editor may have chosen is moved by a guess (re-importing a source the
-- rules classify marks it 0 without changing anything else).
ALTER TABLE articles ADD COLUMN categories_explicit INTEGER NOT NULL DEFAULT 1;
"#,
    labels::MIGRATION,
];

const REVISION_SQL: &str = "SELECT value FROM meta WHERE key = 'revision'";

/// Cloning is shallow: clones share the writer connection and the readers.
#[derive(Clone)]
pub struct SqliteStore {
    path: PathBuf,
    /// The one connection that writes (and runs migrations).
    conn: Arc<Mutex<Connection>>,
    /// Connections that only read, [`readers::READERS`] of them.
    readers: Arc<readers::Readers>,
    /// Failed operations, for `/metrics`.
    errors: Arc<AtomicU64>,
    /// What "now" is for every read: which articles are shown yet.
    clock: Clock,
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the store file.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let err = sqlite_err(path);
        let mut conn = Connection::open(path).map_err(&err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(&err)?;
        // WAL lets the server read while `vnfeed import` writes from cron; FULL makes every
        // acknowledged commit survive a power cut, not just a crash of the process.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(&err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(&err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(&err)?;
        // An upsert alone uses a dozen statements; the default cache of 16 would thrash
        // once the readers' statements join them.
        conn.set_prepared_statement_cache_capacity(64);
        migrate(&mut conn, path)?;
        // Opened after the migration: readers see the schema as it now is.
        let readers = readers::Readers::open(path).map_err(&err)?;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            conn: Arc::new(Mutex::new(conn)),
            readers: Arc::new(readers),
            errors: Arc::new(AtomicU64::new(0)),
            clock: Clock::system(),
        })
    }

    /// Shows articles by `clock` instead of the system clock (tests move a manual one).
    pub fn with_clock(mut self, clock: Clock) -> SqliteStore {
        self.clock = clock;
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What an upsert of `draft` alone would do now, decided as [`Store::upsert`] decides it,
    /// without writing: for comparing the backends' decisions.
    pub async fn plan(&self, draft: &Draft, now: DateTime<Utc>) -> Result<Plan, StoreError> {
        let draft = draft.clone();
        self.read_typed(move |conn| {
            let found = batch::lookup(conn, &draft)?;
            plan::plan(&draft, found, now).map_err(DbError::Store)
        })
        .await
    }

    /// Runs `f` on the writer connection off the async runtime's threads.
    async fn with_conn<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    {
        self.with_conn_typed(move |c| f(c).map_err(Into::into))
            .await
    }

    async fn with_conn_typed<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, DbError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        let joined = tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut guard)
        })
        .await;
        self.finish_call(joined)
    }

    /// Runs `f` on one of the reader connections off the async runtime's threads, waiting
    /// for one to be free. `f` must only read: the connections are `query_only`.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    {
        self.read_typed(move |c| f(c).map_err(Into::into)).await
    }

    async fn read_typed<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, DbError> + Send + 'static,
    {
        let mut lease = self.readers.lease().await;
        let joined = tokio::task::spawn_blocking(move || f(lease.conn())).await;
        self.finish_call(joined)
    }

    /// A blocking call's result with the path attached to SQL errors, counting failures.
    fn finish_call<T>(
        &self,
        joined: Result<Result<T, DbError>, tokio::task::JoinError>,
    ) -> Result<T, StoreError> {
        let result = match joined {
            Ok(result) => result.map_err(|e| match e {
                DbError::Sql(source) => StoreError::Sqlite {
                    path: self.path.display().to_string(),
                    source,
                },
                DbError::Store(e) => e,
            }),
            Err(e) => Err(StoreError::Task(e.to_string())),
        };
        if let Err(e) = &result
            && e.is_failure()
        {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        result
    }
}

fn sqlite_err(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Sqlite {
        path: path.display().to_string(),
        source,
    }
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let err = sqlite_err(path);
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(&err)?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::SchemaTooNew {
            path: path.display().to_string(),
            found: version,
            known,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction().map_err(&err)?;
        tx.execute_batch(sql).map_err(&err)?;
        if *sql == labels::MIGRATION {
            labels::backfill(&tx).map_err(&err)?;
        }
        tx.pragma_update(None, "user_version", (i + 1) as i64)
            .map_err(&err)?;
        tx.commit().map_err(&err)?;
    }
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn upsert(
        &self,
        drafts: Vec<Draft>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Upserted>, StoreError> {
        self.with_conn_typed(move |conn| {
            if drafts.len() >= BULK_DRAFTS {
                // Kept for the next batches of the import: dropping it after each would read
                // the same index pages in again every time.
                conn.pragma_update(None, "cache_size", BULK_CACHE_SIZE)?;
            }
            upsert_all(conn, drafts, now)
        })
        .await
    }

    async fn delete(&self, id: &str, now: DateTime<Utc>) -> Result<Option<Tombstone>, StoreError> {
        let id = id.to_string();
        self.with_conn_typed(move |conn| {
            let tx = write_transaction(conn)?;
            let published: Option<i64> = tx
                .prepare_cached("SELECT published FROM articles WHERE id = ?1")?
                .query_row(params![id], |r| r.get(0))
                .optional()?;
            let Some(published) = published else {
                return Ok(None);
            };
            let categories = tx
                .prepare_cached(
                    "SELECT category FROM article_categories WHERE article_id = ?1 ORDER BY category",
                )?
                .query_map(params![id], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            let tombstone = Tombstone {
                deleted: instant(&id, "deleted", now.timestamp())?,
                categories,
                id,
            };
            let categories_json = serde_json::to_string(&tombstone.categories)
                .map_err(|e| corrupt(&tombstone.id, "categories", e))?;
            // article_categories and article_labels rows go with it (ON DELETE CASCADE).
            labels::touch(&tx, &tombstone.id)?;
            tx.prepare_cached("DELETE FROM articles WHERE id = ?1")?
                .execute(params![tombstone.id])?;
            history::leave(&tx, &tombstone.id, now.timestamp())?;
            if crate::archive::leaves_tombstone(published, now.timestamp()) {
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO tombstones (id, deleted, categories) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![tombstone.id, now.timestamp(), categories_json])?;
            }
            let touched = tombstone.categories.iter().cloned().collect();
            record_change(&tx, &touched, now.timestamp())?;
            tx.commit()?;
            Ok(Some(tombstone))
        })
        .await
    }

    async fn tombstones(
        &self,
        feed: FeedKey<'_>,
        limit: usize,
    ) -> Result<Vec<Tombstone>, StoreError> {
        let feed = feed.owned();
        self.read_typed(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, deleted, categories FROM tombstones t
                 WHERE ?1 IS NULL OR EXISTS (SELECT 1 FROM json_each(t.categories) WHERE value = ?1)
                 ORDER BY deleted DESC, id DESC LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![feed.as_key().category(), limit as i64], |r| {
                    Ok((r.get::<_, String>(0)?, r.get(1)?, r.get::<_, String>(2)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(id, deleted, categories)| {
                    Ok(Tombstone {
                        deleted: instant(&id, "deleted", deleted)?,
                        categories: serde_json::from_str(&categories)
                            .map_err(|e| corrupt(&id, "categories", e))?,
                        id,
                    })
                })
                .collect()
        })
        .await
    }

    async fn probe_write(&self) -> Result<(), StoreError> {
        // A committed change to a row nobody reads: it reaches the WAL and is synced.
        self.with_conn(|conn| {
            conn.prepare_cached(
                "INSERT INTO meta (key, value) VALUES ('write_probe', 1) \
                 ON CONFLICT (key) DO UPDATE SET value = value + 1",
            )?
            .execute([])
            .map(|_| ())
        })
        .await
    }

    async fn forget_tombstones(
        &self,
        before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.with_conn(move |conn| {
            let tx = write_transaction(conn)?;
            let gone = tx
                .prepare_cached("DELETE FROM tombstones WHERE deleted < ?1 RETURNING categories")?
                .query_map(params![before.timestamp()], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            if !gone.is_empty() {
                record_change(&tx, &tombstone_categories(&gone), now.timestamp())?;
            }
            tx.commit()?;
            Ok(gone.len() as u64)
        })
        .await
    }

    async fn latest(&self, feed: FeedKey<'_>, limit: usize) -> Result<Vec<Article>, StoreError> {
        let feed = feed.owned();
        let now = self.clock.now().timestamp();
        self.read_typed(move |conn| {
            let limit = limit as i64;
            let mut stmt = conn.prepare_cached(&latest_sql(feed.as_key() != FeedKey::All))?;
            let rows = match feed.as_key() {
                FeedKey::All => stmt.query_map(params![limit, now], raw_row)?,
                FeedKey::Category(cat) => stmt.query_map(params![limit, now, cat], raw_row)?,
            }
            .collect::<Result<Vec<_>, _>>()?;
            drop(stmt);
            rows.into_iter().map(finish).collect()
        })
        .await
    }

    async fn by_slug(&self, slug: &str) -> Result<Option<Article>, StoreError> {
        // The article's own page, like its feeds, waits for its time.
        let now = self.clock.now().timestamp();
        let found = self.one("a.slug", slug.to_string()).await?;
        Ok(found.filter(|a| crate::archive::shown(a.published.timestamp(), now)))
    }

    async fn by_id(&self, id: &str) -> Result<Option<Article>, StoreError> {
        self.one("a.id", id.to_string()).await
    }

    async fn page(
        &self,
        feed: FeedKey<'_>,
        offset: u64,
        limit: usize,
    ) -> Result<Vec<Article>, StoreError> {
        let feed = feed.owned();
        let now = self.clock.now().timestamp();
        self.read_typed(move |conn| history::page(conn, feed.as_key(), offset, limit, now))
            .await
    }

    async fn count_in(&self, feed: FeedKey<'_>) -> Result<u64, StoreError> {
        let feed = feed.owned();
        let now = self.clock.now().timestamp();
        self.read(move |conn| history::count(conn, feed.as_key(), now))
            .await
    }

    async fn archive_count(&self, feed: FeedKey<'_>) -> Result<u64, StoreError> {
        let feed = feed.owned();
        self.read(move |conn| history::archive_count(conn, feed.as_key()))
            .await
    }

    async fn archive(
        &self,
        feed: FeedKey<'_>,
        number: u64,
    ) -> Result<Option<ArchivePage>, StoreError> {
        let feed = feed.owned();
        let now = self.clock.now().timestamp();
        self.read_typed(move |conn| {
            // One read transaction: the page count and the page come from one snapshot.
            let tx = conn.transaction()?;
            let page = history::archive(&tx, feed.as_key(), number, now)?;
            tx.commit()?;
            Ok(page)
        })
        .await
    }

    async fn last_modified(&self, feed: FeedKey<'_>) -> Result<Option<DateTime<Utc>>, StoreError> {
        let feed = feed.owned();
        let now = self.clock.now().timestamp();
        self.read(move |conn| history::last_modified(conn, feed.as_key(), now))
            .await
    }

    async fn next_due(&self, feed: FeedKey<'_>) -> Result<Option<DateTime<Utc>>, StoreError> {
        let feed = feed.owned();
        let now = self.clock.now().timestamp();
        let due = self
            .read(move |conn| history::next_due(conn, feed.as_key(), now))
            .await?;
        Ok(due.and_then(|secs| DateTime::from_timestamp(secs, 0)))
    }

    async fn scheduled(
        &self,
        feed: FeedKey<'_>,
        offset: u64,
        limit: usize,
    ) -> Result<Vec<Article>, StoreError> {
        let feed = feed.owned();
        let now = self.clock.now().timestamp();
        let (limit, offset) = (limit as i64, i64::try_from(offset).unwrap_or(i64::MAX));
        self.read_typed(move |conn| {
            let sql = match feed.as_key() {
                FeedKey::All => format!(
                    "SELECT {COLUMNS} FROM articles a WHERE a.published > ?1 \
                     ORDER BY a.published, a.id LIMIT ?2 OFFSET ?3"
                ),
                FeedKey::Category(_) => format!(
                    "SELECT {COLUMNS} FROM article_categories c \
                     JOIN articles a ON a.id = c.article_id \
                     WHERE c.category = ?4 AND c.published > ?1 \
                     ORDER BY c.published, c.article_id LIMIT ?2 OFFSET ?3"
                ),
            };
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = match feed.as_key() {
                FeedKey::All => stmt.query_map(params![now, limit, offset], raw_row)?,
                FeedKey::Category(cat) => {
                    stmt.query_map(params![now, limit, offset, cat], raw_row)?
                }
            }
            .collect::<Result<Vec<_>, _>>()?;
            drop(stmt);
            rows.into_iter().map(finish).collect()
        })
        .await
    }

    async fn categories_due(
        &self,
        after: DateTime<Utc>,
        upto: DateTime<Utc>,
    ) -> Result<BTreeSet<String>, StoreError> {
        let (after, upto) = (after.timestamp(), upto.timestamp());
        self.read(move |conn| {
            // The `categories` column (comma-joined) saves a lookup per article.
            let mut stmt = conn.prepare_cached(
                "SELECT categories FROM articles WHERE published > ?1 AND published <= ?2",
            )?;
            let mut due = BTreeSet::new();
            for joined in stmt.query_map(params![after, upto], |r| r.get::<_, String>(0))? {
                due.extend(
                    joined?
                        .split(',')
                        .filter(|c| !c.is_empty())
                        .map(str::to_string),
                );
            }
            Ok(due)
        })
        .await
    }

    fn clock(&self) -> &Clock {
        &self.clock
    }

    fn error_count(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    async fn labelled(&self, label: &LabelKey, limit: usize) -> Result<Vec<Article>, StoreError> {
        let label = label.clone();
        let now = self.clock.now().timestamp();
        self.read_typed(move |conn| labels::labelled(conn, &label, limit, now))
            .await
    }

    async fn label_names(
        &self,
        kind: LabelKind,
        limit: usize,
    ) -> Result<Vec<LabelName>, StoreError> {
        let now = self.clock.now().timestamp();
        self.read(move |conn| labels::names(conn, kind, limit, now))
            .await
    }

    async fn sitemap(&self, offset: u64, limit: usize) -> Result<Vec<SitemapEntry>, StoreError> {
        let now = self.clock.now().timestamp();
        self.read_typed(move |conn| labels::sitemap(conn, offset, limit, now))
            .await
    }

    async fn recent(
        &self,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<SitemapEntry>, StoreError> {
        let now = self.clock.now().timestamp();
        let since = since.timestamp();
        self.read_typed(move |conn| labels::recent(conn, since, limit, now))
            .await
    }

    async fn revision(&self) -> Result<i64, StoreError> {
        self.read(|conn| {
            conn.prepare_cached(REVISION_SQL)?
                .query_row([], |r| r.get(0))
        })
        .await
    }

    async fn changes_since(&self, since: i64) -> Result<Changes, StoreError> {
        self.read(move |conn| {
            // One read transaction: the revision, the categories and the labels come from one
            // snapshot.
            let tx = conn.transaction()?;
            let revision: i64 = tx
                .prepare_cached(REVISION_SQL)?
                .query_row([], |r| r.get(0))?;
            let (categories, labels) = match Staleness::of(since, revision) {
                Staleness::Current => (Some(BTreeSet::new()), Some(BTreeSet::new())),
                Staleness::Unknown => (None, None),
                Staleness::Marked => {
                    let mut stmt = tx.prepare_cached(
                        "SELECT category FROM category_revisions WHERE revision > ?1",
                    )?;
                    let changed = stmt
                        .query_map(params![since], |r| r.get(0))?
                        .collect::<Result<BTreeSet<String>, _>>()?;
                    (Some(changed), Some(labels::changed_since(&tx, since)?))
                }
            };
            Ok(Changes {
                revision,
                categories,
                labels,
            })
        })
        .await
    }
}

/// A connection that writes this many drafts at once (an import batch) gets a bigger page
/// cache: with SQLite's default 2 MiB, every index page an insert touches in a large store is
/// a `pread`, a fifth of a bulk write's CPU time (see benches/). The server keeps the default
/// and its small memory: it writes one article at a time.
const BULK_DRAFTS: usize = 256;
/// 64 MiB (negative: KiB, as `PRAGMA cache_size` takes it).
const BULK_CACHE_SIZE: i64 = -65_536;

fn upsert_all(
    conn: &mut Connection,
    drafts: Vec<Draft>,
    now: DateTime<Utc>,
) -> Result<Vec<Upserted>, DbError> {
    let tx = write_transaction(conn)?;
    let mut batch = batch::Batch::for_drafts(&tx, &drafts, now.timestamp())?;
    let mut results = Vec::with_capacity(drafts.len());
    let mut touched = BTreeSet::new();
    for draft in drafts {
        results.push(upsert_one(&tx, &mut batch, draft, now, &mut touched)?);
    }
    batch.flush(&tx)?;
    if crate::outcome::any_changed(&results) {
        record_change(&tx, &touched, now.timestamp())?;
    }
    tx.commit()?;
    Ok(results)
}

/// Moves the store's revision on and marks `categories` (and `all`) as changed at it and at
/// `now` (their `Last-Modified`). Every write that changes something calls this inside its
/// transaction, with the categories the changed articles had before and have after.
fn record_change(
    tx: &rusqlite::Transaction<'_>,
    categories: &BTreeSet<String>,
    now: i64,
) -> rusqlite::Result<()> {
    history::mark_changed(tx, categories, now)?;
    tx.prepare_cached("UPDATE meta SET value = value + 1 WHERE key = 'revision'")?
        .execute([])?;
    let mut mark = tx.prepare_cached(
        "INSERT INTO category_revisions (category, revision) \
         VALUES (?1, (SELECT value FROM meta WHERE key = 'revision')) \
         ON CONFLICT (category) DO UPDATE SET revision = excluded.revision",
    )?;
    for category in categories {
        mark.execute(params![category])?;
    }
    Ok(())
}

/// The newest `?1` articles published by `?2`, of category `?3` when `in_category`. Both
/// walk an index from `?2` down and stop after `?1` rows (`articles_newest`, `categories_newest`), so a
/// feed costs the same with a thousand articles or a million; the test below holds the
/// query plans to that.
///
/// A category's articles are found through `articles_newest` by (published, id), not through
/// the id index: ids are not in time order, so the newest 50 of a category are 50 random
/// leaves of the id index, while in `articles_newest` they sit on a few neighbouring leaves
/// (cold, every leaf is a read from the disk). `article_categories.published` is always the
/// article's own: `put_article` writes both.
fn latest_sql(in_category: bool) -> String {
    if in_category {
        format!(
            "SELECT {COLUMNS} FROM article_categories c \
             JOIN articles a INDEXED BY articles_newest \
                 ON a.published = c.published AND a.id = c.article_id \
             WHERE c.category = ?3 AND c.published <= ?2 \
             ORDER BY c.published DESC, c.article_id DESC LIMIT ?1"
        )
    } else {
        format!(
            "SELECT {COLUMNS} FROM articles a WHERE a.published <= ?2 \
             ORDER BY a.published DESC, a.id DESC LIMIT ?1"
        )
    }
}

impl SqliteStore {
    async fn one(&self, column: &'static str, key: String) -> Result<Option<Article>, StoreError> {
        self.read_typed(move |conn| {
            let sql = format!("SELECT {COLUMNS} FROM articles a WHERE {column} = ?1");
            let raw = conn
                .prepare_cached(&sql)?
                .query_row(params![key], raw_row)
                .optional()?;
            raw.map(finish).transpose()
        })
        .await
    }
}

/// A transaction that takes the write lock up front (waiting out `busy_timeout`): a
/// deferred one that read first cannot upgrade once another process has written, and fails
/// at once with "database is locked" (cron import and server writing at the same time).
fn write_transaction(conn: &mut Connection) -> rusqlite::Result<rusqlite::Transaction<'_>> {
    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
}

/// The categories named by tombstones' stored JSON lists. An unreadable list names none:
/// `all` re-renders with any change, and a category feed simply keeps a stale tombstone.
fn tombstone_categories(lists: &[String]) -> BTreeSet<String> {
    lists
        .iter()
        .filter_map(|json| serde_json::from_str::<Vec<String>>(json).ok())
        .flatten()
        .collect()
}

/// The `categories` column: the list in byte order (as `record::Row` reads it back and as
/// article_categories' key sorts it) joined with commas, '' for none (category slugs never
/// contain a comma).
fn join_categories(categories: &[String]) -> String {
    let mut sorted: Vec<&str> = categories.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.join(",")
}

fn corrupt(id: &str, field: &'static str, message: impl ToString) -> DbError {
    DbError::Store(record::corrupt(id, field, message))
}

fn instant(id: &str, field: &'static str, secs: i64) -> Result<DateTime<Utc>, DbError> {
    record::instant(id, field, secs).map_err(DbError::Store)
}

/// Writes one draft; the categories of a created or changed article, before and after, go
/// into `touched`.
fn upsert_one(
    tx: &rusqlite::Transaction<'_>,
    batch: &mut batch::Batch,
    mut draft: Draft,
    now: DateTime<Utc>,
    touched: &mut BTreeSet<String>,
) -> Result<Upserted, DbError> {
    let planned = plan::plan(&draft, batch.lookup(tx, &draft)?, now).map_err(DbError::Store)?;
    let write = match planned {
        Plan::Unchanged { id, categorized } => {
            if let Some(categorized) = categorized {
                tx.prepare_cached("UPDATE articles SET categories_explicit = ?2 WHERE id = ?1")?
                    .execute(params![id, categorized == Categorized::Explicitly])?;
                batch.wrote(&id);
            }
            return Ok(Upserted {
                outcome: Outcome::Unchanged,
                article: load(tx, &id)?,
            });
        }
        Plan::Write(write) => write,
    };
    let (id, outcome) = (write.id.clone(), write.outcome);
    let replacing = match outcome {
        Outcome::Created => Replacing::Nothing,
        _ => Replacing::SameId,
    };
    if replacing == Replacing::SameId {
        // What follows reads the rows the batch has pending: they go in first.
        batch.flush(tx)?;
    }
    let slug = match write.slug.clone() {
        Some(slug) => slug,
        None => batch.new_slug(tx, &draft.title)?,
    };
    if write.retire_tombstone && batch.may_have_tombstone(&id) {
        let retired = tx
            .prepare_cached("DELETE FROM tombstones WHERE id = ?1 RETURNING categories")?
            .query_map(params![id], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        touched.extend(tombstone_categories(&retired));
    }
    if write.leave_history {
        history::leave(tx, &id, now.timestamp())?;
    }
    // The row keeps the body and image as JSON (`write`); the result takes the draft's own.
    let (body, image) = (std::mem::take(&mut draft.body), draft.image.take());
    let stored = write.into_stored(draft, slug);
    put_article(tx, batch, &stored, replacing, touched)?;
    let weight = crate::archive::weight(&stored.row);
    batch.append(tx, &id, &stored.row.categories, weight)?;
    batch.wrote(&id);
    let article = stored.written(body, image).map_err(DbError::Store)?;
    Ok(Upserted { outcome, article })
}

/// Whether `put_article` may be overwriting an article (whose categories must go first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Replacing {
    /// No article has this id: nothing to overwrite or clear.
    Nothing,
    SameId,
}

/// Writes an article row as given (overwriting one with the same id) and replaces its
/// categories and labels (the new rows go through `batch`, which writes them at its next
/// flush; a caller replacing an article flushes first); its categories before and after go
/// into `touched`.
fn put_article(
    tx: &rusqlite::Transaction<'_>,
    batch: &mut batch::Batch,
    stored: &StoredArticle,
    replacing: Replacing,
    touched: &mut BTreeSet<String>,
) -> rusqlite::Result<()> {
    let row = &stored.row;
    tx.prepare_cached(
        "INSERT INTO articles (id, slug, title, summary, body, author, published, updated, url, image,
             content_hash, categories, categories_explicit, tags)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, title = excluded.title,
             summary = excluded.summary, body = excluded.body, author = excluded.author,
             published = excluded.published, updated = excluded.updated, url = excluded.url,
             image = excluded.image, content_hash = excluded.content_hash,
             categories = excluded.categories, categories_explicit = excluded.categories_explicit,
             tags = excluded.tags",
    )?
    .execute(params![
        row.id,
        row.slug,
        row.title,
        row.summary,
        row.body,
        row.author,
        row.published,
        row.updated,
        row.url,
        row.image,
        stored.content_hash,
        join_categories(&row.categories),
        row.categories_explicit,
        labels::encode(&row.tags)
    ])?;
    // A new article has no labels or categories yet (their rows go with their article, ON
    // DELETE CASCADE): only one written again has old ones to take away.
    if replacing == Replacing::SameId {
        labels::clear(tx, &row.id)?;
        let before = tx
            .prepare_cached(
                "DELETE FROM article_categories WHERE article_id = ?1 RETURNING category",
            )?
            .query_map(params![row.id], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        touched.extend(before);
    }
    for label in labels::rows_of(row) {
        batch.mark_label(tx, label.kind, &label.slug)?;
        batch.add_label(label);
    }
    for category in &row.categories {
        batch.add_category(&row.id, category, row.published);
        if !touched.contains(category) {
            touched.insert(category.clone());
        }
    }
    Ok(())
}

fn load(conn: &Connection, id: &str) -> Result<Article, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM articles a WHERE a.id = ?1");
    let raw = conn.prepare_cached(&sql)?.query_row(params![id], raw_row)?;
    finish(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(id: &str) -> Draft {
        Draft {
            id: id.into(),
            title: format!("Bài {id}"),
            summary: "Tóm tắt.".into(),
            body: vec![crate::model::Block::Paragraph {
                text: "Nội dung.".into(),
            }],
            author: None,
            published: DateTime::from_timestamp(1_764_000_000, 0).unwrap(),
            updated: None,
            categories: vec!["borders".into()],
            categorized: Categorized::ByRules,
            url: None,
            image: None,
            tags: Vec::new(),
        }
    }

    /// Issue 11: a write must not wait for readers. Every reader connection is held in the
    /// middle of a read transaction (as slow archive renders would hold them); the write
    /// still commits, and the readers' snapshots do not see it until they end.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_lands_while_every_reader_is_busy() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("busy.db")).unwrap();
        store.upsert(vec![draft("a")], Utc::now()).await.unwrap();
        let release = Arc::new(std::sync::Barrier::new(readers::READERS + 1));
        let (started, mut started_rx) = tokio::sync::mpsc::unbounded_channel();
        let mut held = tokio::task::JoinSet::new();
        for _ in 0..readers::READERS {
            let (store, release, started) = (store.clone(), Arc::clone(&release), started.clone());
            held.spawn(async move {
                store
                    .read(move |conn| {
                        let tx = conn.transaction()?;
                        let before: i64 =
                            tx.query_row("SELECT count(*) FROM articles", [], |r| r.get(0))?;
                        started.send(()).unwrap();
                        release.wait();
                        let after: i64 =
                            tx.query_row("SELECT count(*) FROM articles", [], |r| r.get(0))?;
                        Ok((before, after))
                    })
                    .await
                    .unwrap()
            });
        }
        for _ in 0..readers::READERS {
            started_rx.recv().await.unwrap();
        }
        // Every reader is now inside its transaction, and stays there until released. A
        // write that needed one of them would never finish: the guard turns that into a
        // failure instead of a hung test.
        let write = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            store.upsert(vec![draft("b")], Utc::now()),
        )
        .await
        .expect("the write waited for the busy readers");
        assert_eq!(write.unwrap()[0].outcome, Outcome::Created);
        let release_all = tokio::task::spawn_blocking(move || {
            release.wait();
        });
        while let Some(snapshots) = held.join_next().await {
            // A read transaction keeps the snapshot it started with.
            assert_eq!(snapshots.unwrap(), (1, 1));
        }
        release_all.await.unwrap();
        assert_eq!(
            crate::migrate::MigrateStore::count_stored(&store)
                .await
                .unwrap(),
            2
        );
    }
}
