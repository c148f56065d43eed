//! The PostgreSQL store: one database shared by several stateless replicas. A small
//! connection pool, a schema that migrates itself (under an advisory lock, so replicas
//! starting together do not race), writes serialized by an advisory lock as SQLite's single
//! writer serializes them, and a NOTIFY inside every write transaction so other replicas
//! render again at once (`listen`). Writes live in `write`, the verbatim copy for
//! `vnfeed migrate` in `copy`. The rules are `record`'s, shared with SQLite; instants
//! are whole seconds and text sorts by byte (`COLLATE "C"`), so both backends return the same
//! articles in the same order. All of vnfeed's SQL for PostgreSQL lives here and below.

mod copy;
mod history;
mod labels;
mod listen;
mod sql;
mod write;

use std::collections::BTreeSet;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio::sync::watch;
use tokio_postgres::{IsolationLevel, NoTls};

use super::record;
use crate::archive::ArchivePage;
use crate::changes::{ChangeNotices, Changes, Staleness};
use crate::clock::Clock;
use crate::error::{StoreError, redact};
use crate::key::FeedKey;
use crate::labels::{LabelKey, LabelKind, LabelName, SitemapEntry};
use crate::model::{Article, Draft, Tombstone};
use crate::outcome::Upserted;
use crate::store::Store;
// What a driver error means is decided with the store's errors; kept reachable here too.
pub use crate::error::{describe, is_connection_error};
pub use sql::CHANNEL;
use sql::{COLUMNS, DbError, MIGRATE_LOCK, row_of};

/// Each entry moves the schema one version up; `vnfeed_schema` records how far a database is.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE articles (
    id           TEXT COLLATE "C" PRIMARY KEY,
    slug         TEXT COLLATE "C" NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    summary      TEXT NOT NULL,
    body         TEXT NOT NULL,
    author       TEXT,
    published    BIGINT NOT NULL,
    updated      BIGINT NOT NULL,
    url          TEXT COLLATE "C" UNIQUE,
    image        TEXT,
    content_hash TEXT NOT NULL
);
CREATE INDEX articles_newest ON articles (published DESC, id DESC);
CREATE TABLE article_categories (
    article_id TEXT COLLATE "C" NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    category   TEXT COLLATE "C" NOT NULL,
    published  BIGINT NOT NULL,
    PRIMARY KEY (article_id, category)
);
CREATE INDEX categories_newest ON article_categories (category, published DESC, article_id DESC);
CREATE TABLE meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO meta (key, value) VALUES ('revision', 0);
-- The revision at which each category last changed, so a reader re-renders only the feeds
-- a write touched.
CREATE TABLE category_revisions (
    category TEXT COLLATE "C" PRIMARY KEY,
    revision BIGINT NOT NULL
);
-- What is left of a deleted article, for RFC 6721 deleted-entry elements.
CREATE TABLE tombstones (
    id         TEXT COLLATE "C" PRIMARY KEY,
    deleted    BIGINT NOT NULL,
    categories TEXT[] COLLATE "C" NOT NULL
);
CREATE INDEX tombstones_newest ON tombstones (deleted DESC, id DESC);
"#,
    history::MIGRATION,
    history::ONE_ENTRY_PER_ARTICLE,
    r#"
-- Issue 16: whether the source named the article's categories, so `vnfeed reclassify` moves
-- only those the feed rules derived. Rows stored before cannot tell: TRUE, so no category an
-- editor may have chosen is moved by a guess (see sqlite.rs).
ALTER TABLE articles ADD COLUMN categories_explicit BOOLEAN NOT NULL DEFAULT TRUE;
"#,
    labels::MIGRATION,
];

const REVISION_SQL: &str = "SELECT value FROM meta WHERE key = 'revision'";

/// Cloning is shallow: clones share the pool and the change listener.
#[derive(Clone)]
pub struct PostgresStore {
    inner: std::sync::Arc<Inner>,
    /// What "now" is for every read: which articles are shown yet.
    clock: Clock,
}

struct Inner {
    /// The URL without its password, for errors and logs.
    target: String,
    config: tokio_postgres::Config,
    pool: Pool,
    changes: OnceLock<watch::Receiver<ChangeNotices>>,
    errors: AtomicU64,
}

impl PostgresStore {
    /// Connects and migrates the schema. Fails if the database cannot be reached now;
    /// afterwards, an outage only fails the calls made during it.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let target = redact(url);
        let mut config: tokio_postgres::Config =
            url.parse().map_err(|source| StoreError::Postgres {
                target: target.clone(),
                source,
            })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(3));
        }
        if config.get_application_name().is_none() {
            config.application_name("vnfeed");
        }
        config.keepalives_idle(Duration::from_secs(30));
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            // `Fast` drops connections whose socket closed (a restarted server) without a
            // round trip per checkout.
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(8)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(5)))
            .create_timeout(Some(Duration::from_secs(5)))
            .recycle_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(|e| StoreError::Unreachable {
                target: target.clone(),
                message: e.to_string(),
            })?;
        let store = PostgresStore {
            inner: std::sync::Arc::new(Inner {
                target,
                config,
                pool,
                changes: OnceLock::new(),
                errors: AtomicU64::new(0),
            }),
            clock: Clock::system(),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Shows articles by `clock` instead of the system clock (tests move a manual one).
    pub fn with_clock(mut self, clock: Clock) -> PostgresStore {
        self.clock = clock;
        self
    }

    /// The URL without its password.
    pub fn target(&self) -> &str {
        &self.inner.target
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.inner.pool.get().await.map_err(|e| match e {
            deadpool_postgres::PoolError::Backend(source) => self.err(source),
            other => {
                self.inner.errors.fetch_add(1, Ordering::Relaxed);
                StoreError::Unreachable {
                    target: self.inner.target.clone(),
                    message: other.to_string(),
                }
            }
        })
    }

    fn db_err(&self, e: DbError) -> StoreError {
        match e {
            DbError::Sql(source) => self.err(source),
            DbError::Store(e) => self.counted(e),
        }
    }

    /// Counts a failure found after the driver answered (a row that cannot be decoded).
    fn counted(&self, e: StoreError) -> StoreError {
        if e.is_failure() {
            self.inner.errors.fetch_add(1, Ordering::Relaxed);
        }
        e
    }

    /// Every driver error passes here, so it is counted once.
    fn err(&self, source: tokio_postgres::Error) -> StoreError {
        self.inner.errors.fetch_add(1, Ordering::Relaxed);
        StoreError::Postgres {
            target: self.inner.target.clone(),
            source,
        }
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let known = MIGRATIONS.len() as i32;
        let result: Result<Option<i32>, tokio_postgres::Error> = async {
            let tx = client.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])
                .await?;
            tx.batch_execute("CREATE TABLE IF NOT EXISTS vnfeed_schema (version INTEGER NOT NULL)")
                .await?;
            let found: i32 = tx
                .query_opt("SELECT version FROM vnfeed_schema", &[])
                .await?
                .map_or(0, |r| r.get(0));
            if found > known {
                return Ok(Some(found));
            }
            for sql in MIGRATIONS.iter().skip(found as usize) {
                tx.batch_execute(sql).await?;
                if *sql == labels::MIGRATION {
                    labels::backfill(&tx).await?;
                }
            }
            tx.execute("DELETE FROM vnfeed_schema", &[]).await?;
            tx.execute("INSERT INTO vnfeed_schema (version) VALUES ($1)", &[&known])
                .await?;
            tx.commit().await?;
            Ok(None)
        }
        .await;
        match result.map_err(|e| self.err(e))? {
            Some(found) => Err(StoreError::SchemaTooNew {
                path: self.inner.target.clone(),
                found: found.into(),
                known: known.into(),
            }),
            None => Ok(()),
        }
    }

    /// What an upsert of `draft` alone would do now, decided as [`Store::upsert`] decides it,
    /// without writing: for comparing the backends' decisions.
    pub async fn plan(
        &self,
        draft: &Draft,
        now: DateTime<Utc>,
    ) -> Result<crate::plan::Plan, StoreError> {
        let client = self.client().await?;
        let found = write::lookup(&client, draft)
            .await
            .map_err(|e| self.err(e))?;
        crate::plan::plan(draft, found, now).map_err(|e| self.counted(e))
    }

    async fn one(&self, column: &'static str, key: &str) -> Result<Option<Article>, StoreError> {
        let client = self.client().await?;
        let sql = format!("SELECT {COLUMNS} FROM articles a WHERE {column} = $1");
        let row = async {
            let stmt = client.prepare_cached(&sql).await?;
            client.query_opt(&stmt, &[&key]).await
        }
        .await
        .map_err(|e| self.err(e))?;
        row.map(|r| row_of(&r).into_article())
            .transpose()
            .map_err(|e| self.counted(e))
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn upsert(
        &self,
        drafts: Vec<Draft>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Upserted>, StoreError> {
        let mut client = self.client().await?;
        write::upsert(&mut client, drafts, now)
            .await
            .map_err(|e| self.db_err(e))
    }

    async fn delete(&self, id: &str, now: DateTime<Utc>) -> Result<Option<Tombstone>, StoreError> {
        let mut client = self.client().await?;
        write::delete(&mut client, id, now)
            .await
            .map_err(|e| self.db_err(e))
    }

    async fn forget_tombstones(
        &self,
        before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut client = self.client().await?;
        write::forget_tombstones(&mut client, before, now)
            .await
            .map_err(|e| self.err(e))
    }

    async fn tombstones(
        &self,
        feed: FeedKey<'_>,
        limit: usize,
    ) -> Result<Vec<Tombstone>, StoreError> {
        let client = self.client().await?;
        let rows = async {
            let stmt = client
                .prepare_cached(
                    "SELECT id, deleted, categories FROM tombstones \
                     WHERE $1::TEXT IS NULL OR $1 = ANY (categories) \
                     ORDER BY deleted DESC, id DESC LIMIT $2",
                )
                .await?;
            client
                .query(&stmt, &[&feed.category(), &(limit as i64)])
                .await
        }
        .await
        .map_err(|e| self.err(e))?;
        rows.iter()
            .map(|r| {
                let id: String = r.get(0);
                Ok(Tombstone {
                    deleted: record::instant(&id, "deleted", r.get(1))?,
                    categories: r.get(2),
                    id,
                })
            })
            .collect::<Result<_, _>>()
            .map_err(|e| self.counted(e))
    }

    async fn latest(&self, feed: FeedKey<'_>, limit: usize) -> Result<Vec<Article>, StoreError> {
        let client = self.client().await?;
        let limit = limit as i64;
        let now = self.clock.now().timestamp();
        let rows = async {
            match feed {
                FeedKey::All => {
                    let sql = format!(
                        "SELECT {COLUMNS} FROM articles a WHERE a.published <= $2 \
                         ORDER BY a.published DESC, a.id DESC LIMIT $1"
                    );
                    let stmt = client.prepare_cached(&sql).await?;
                    client.query(&stmt, &[&limit, &now]).await
                }
                FeedKey::Category(cat) => {
                    let sql = format!(
                        "SELECT {COLUMNS} FROM article_categories c JOIN articles a ON a.id = c.article_id \
                         WHERE c.category = $1 AND c.published <= $3 \
                         ORDER BY c.published DESC, c.article_id DESC LIMIT $2"
                    );
                    let stmt = client.prepare_cached(&sql).await?;
                    client.query(&stmt, &[&cat, &limit, &now]).await
                }
            }
        }
        .await
        .map_err(|e| self.err(e))?;
        rows.iter()
            .map(|r| row_of(r).into_article())
            .collect::<Result<_, _>>()
            .map_err(|e| self.counted(e))
    }

    async fn by_slug(&self, slug: &str) -> Result<Option<Article>, StoreError> {
        // The article's own page, like its feeds, waits for its time.
        let now = self.clock.now().timestamp();
        let found = self.one("a.slug", slug).await?;
        Ok(found.filter(|a| crate::archive::shown(a.published.timestamp(), now)))
    }

    async fn by_id(&self, id: &str) -> Result<Option<Article>, StoreError> {
        self.one("a.id", id).await
    }

    async fn page(
        &self,
        feed: FeedKey<'_>,
        offset: u64,
        limit: usize,
    ) -> Result<Vec<Article>, StoreError> {
        let client = self.client().await?;
        let now = self.clock.now().timestamp();
        let result = history::page(&client, feed, offset, limit, now).await;
        result.map_err(|e| self.db_err(e))
    }

    async fn count_in(&self, feed: FeedKey<'_>) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let now = self.clock.now().timestamp();
        let result = history::count(&client, feed, now).await;
        result.map_err(|e| self.db_err(e))
    }

    async fn archive_count(&self, feed: FeedKey<'_>) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let result = history::archive_count(&client, feed).await;
        result.map_err(|e| self.err(e))
    }

    async fn archive(
        &self,
        feed: FeedKey<'_>,
        number: u64,
    ) -> Result<Option<ArchivePage>, StoreError> {
        let mut client = self.client().await?;
        let now = self.clock.now().timestamp();
        let result: Result<_, DbError> = async {
            // REPEATABLE READ: the page count and the page come from one snapshot.
            let tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await?;
            let page = history::archive(&tx, feed, number, now).await?;
            tx.commit().await?;
            Ok(page)
        }
        .await;
        result.map_err(|e| self.db_err(e))
    }

    async fn last_modified(&self, feed: FeedKey<'_>) -> Result<Option<DateTime<Utc>>, StoreError> {
        let client = self.client().await?;
        let now = self.clock.now().timestamp();
        let result = history::last_modified(&client, feed, now).await;
        result.map_err(|e| self.err(e))
    }

    async fn next_due(&self, feed: FeedKey<'_>) -> Result<Option<DateTime<Utc>>, StoreError> {
        let client = self.client().await?;
        let now = self.clock.now().timestamp();
        let due = history::next_due(&client, feed, now)
            .await
            .map_err(|e| self.err(e))?;
        Ok(due.and_then(|secs| DateTime::from_timestamp(secs, 0)))
    }

    async fn scheduled(
        &self,
        feed: FeedKey<'_>,
        offset: u64,
        limit: usize,
    ) -> Result<Vec<Article>, StoreError> {
        let client = self.client().await?;
        let now = self.clock.now().timestamp();
        let (limit, offset) = (limit as i64, i64::try_from(offset).unwrap_or(i64::MAX));
        let rows = async {
            match feed {
                FeedKey::All => {
                    let sql = format!(
                        "SELECT {COLUMNS} FROM articles a WHERE a.published > $1 \
                         ORDER BY a.published, a.id LIMIT $2 OFFSET $3"
                    );
                    let stmt = client.prepare_cached(&sql).await?;
                    client.query(&stmt, &[&now, &limit, &offset]).await
                }
                FeedKey::Category(cat) => {
                    let sql = format!(
                        "SELECT {COLUMNS} FROM article_categories c JOIN articles a ON a.id = c.article_id \
                         WHERE c.category = $4 AND c.published > $1 \
                         ORDER BY c.published, c.article_id LIMIT $2 OFFSET $3"
                    );
                    let stmt = client.prepare_cached(&sql).await?;
                    client.query(&stmt, &[&now, &limit, &offset, &cat]).await
                }
            }
        }
        .await
        .map_err(|e| self.err(e))?;
        rows.iter()
            .map(|r| row_of(r).into_article())
            .collect::<Result<_, _>>()
            .map_err(|e| self.counted(e))
    }

    async fn categories_due(
        &self,
        after: DateTime<Utc>,
        upto: DateTime<Utc>,
    ) -> Result<BTreeSet<String>, StoreError> {
        let client = self.client().await?;
        let (after, upto) = (after.timestamp(), upto.timestamp());
        let rows = client
            .query(
                "SELECT DISTINCT c.category FROM articles a
                 JOIN article_categories c ON c.article_id = a.id
                 WHERE a.published > $1 AND a.published <= $2",
                &[&after, &upto],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn clock(&self) -> &Clock {
        &self.clock
    }

    async fn labelled(&self, label: &LabelKey, limit: usize) -> Result<Vec<Article>, StoreError> {
        let client = self.client().await?;
        let now = self.clock.now().timestamp();
        labels::labelled(&client, label, limit, now)
            .await
            .map_err(|e| self.db_err(e))
    }

    async fn label_names(
        &self,
        kind: LabelKind,
        limit: usize,
    ) -> Result<Vec<LabelName>, StoreError> {
        let client = self.client().await?;
        let now = self.clock.now().timestamp();
        labels::names(&client, kind, limit, now)
            .await
            .map_err(|e| self.err(e))
    }

    async fn sitemap(&self, offset: u64, limit: usize) -> Result<Vec<SitemapEntry>, StoreError> {
        let client = self.client().await?;
        let now = self.clock.now().timestamp();
        labels::sitemap(&client, offset, limit, now)
            .await
            .map_err(|e| self.db_err(e))
    }

    async fn recent(
        &self,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<SitemapEntry>, StoreError> {
        let client = self.client().await?;
        let now = self.clock.now().timestamp();
        labels::recent(&client, since.timestamp(), limit, now)
            .await
            .map_err(|e| self.db_err(e))
    }

    async fn revision(&self) -> Result<i64, StoreError> {
        let client = self.client().await?;
        let row = async {
            let stmt = client.prepare_cached(REVISION_SQL).await?;
            client.query_one(&stmt, &[]).await
        }
        .await
        .map_err(|e| self.err(e))?;
        Ok(row.get(0))
    }

    async fn changes_since(&self, since: i64) -> Result<Changes, StoreError> {
        let mut client = self.client().await?;
        let result: Result<Changes, tokio_postgres::Error> = async {
            // REPEATABLE READ: the revision, the categories and the labels come from one
            // snapshot.
            let tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await?;
            let revision: i64 = tx.query_one(REVISION_SQL, &[]).await?.get(0);
            let (categories, labels) = match Staleness::of(since, revision) {
                Staleness::Current => (Some(BTreeSet::new()), Some(BTreeSet::new())),
                Staleness::Unknown => (None, None),
                Staleness::Marked => {
                    let rows = tx
                        .query(
                            "SELECT category FROM category_revisions WHERE revision > $1",
                            &[&since],
                        )
                        .await?;
                    let categories = rows.iter().map(|r| r.get(0)).collect();
                    (
                        Some(categories),
                        Some(labels::changed_since(&tx, since).await?),
                    )
                }
            };
            tx.commit().await?;
            Ok(Changes {
                revision,
                categories,
                labels,
            })
        }
        .await;
        result.map_err(|e| self.err(e))
    }

    fn error_count(&self) -> u64 {
        self.inner.errors.load(Ordering::Relaxed)
    }

    fn change_notices(&self) -> Option<watch::Receiver<ChangeNotices>> {
        let rx = self
            .inner
            .changes
            .get_or_init(|| listen::spawn(self.inner.config.clone(), self.inner.target.clone()));
        Some(rx.clone())
    }
}
