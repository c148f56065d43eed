//! vnfeed-store: the article store. The plain data every part of vnfeed shares (`model`),
//! the one interface every backend implements (`Store`), so the importer, the renderer and the
//! server never see SQL, and the backends: `sqlite` is the embedded default; `postgres` is one
//! database shared by several stateless replicas. `record` and `archive` hold the rules both
//! share.

pub mod model;

pub mod archive;
pub mod clock;
mod content_hash;
pub mod labels;
pub mod plan;
pub mod postgres;
pub mod record;
pub mod sqlite;

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::model::{Article, Draft, Tombstone};

pub use clock::Clock;
pub use content_hash::content_hash;
pub use labels::{LabelKey, LabelKind, LabelName, SitemapEntry};
pub use postgres::PostgresStore;
pub use record::{ArchivePageRow, HistoryEntry, StoredArticle};
pub use sqlite::SqliteStore;

/// The slug of the feed of every article, which is also its history key.
pub const ALL_SLUG: &str = "all";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("SQLite store {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("PostgreSQL store {target}: {}", postgres::describe(source))]
    Postgres {
        /// The URL without its password.
        target: String,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error("PostgreSQL store {target} is unreachable: {message}")]
    Unreachable { target: String, message: String },
    #[error("store {path}: schema version {found} is newer than this vnfeed knows ({known})")]
    SchemaTooNew {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("stored article `{id}` has a bad `{field}`: {message}")]
    Corrupt {
        id: String,
        field: &'static str,
        message: String,
    },
    #[error("store task failed: {0}")]
    Task(String),
    /// The write contradicts what is stored, e.g. its `url` belongs to another article.
    #[error("field `{field}`: {message}")]
    Conflict {
        field: &'static str,
        message: String,
    },
}

impl StoreError {
    /// False for a write the store refused on its merits (a conflict the client must fix):
    /// that is an answer, not a failure of the store.
    pub fn is_failure(&self) -> bool {
        !matches!(self, StoreError::Conflict { .. })
    }

    /// True when the store could not be reached or went away mid-request (a retry later may
    /// succeed), as opposed to a request it refused or data it could not read.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Unreachable { .. } => true,
            StoreError::Postgres { source, .. } => postgres::is_connection_error(source),
            StoreError::Sqlite { source, .. } => matches!(
                source.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            ),
            _ => false,
        }
    }
}

/// Which feed a read is about: every article (`all`), or one category's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeedKey<'a> {
    All,
    /// A category slug.
    Category(&'a str),
}

impl<'a> FeedKey<'a> {
    /// The feed whose history is kept under `key` ([`FeedKey::history_key`]).
    pub fn of_history_key(key: &'a str) -> FeedKey<'a> {
        if key == ALL_SLUG {
            FeedKey::All
        } else {
            FeedKey::Category(key)
        }
    }

    /// The category slug, or `None` for `all`.
    pub fn category(self) -> Option<&'a str> {
        match self {
            FeedKey::All => None,
            FeedKey::Category(slug) => Some(slug),
        }
    }

    /// The key of the feed's history and change marks: its category slug, or `all`.
    pub fn history_key(self) -> &'a str {
        self.category().unwrap_or(ALL_SLUG)
    }

    /// The same key owning its slug, for work moved to another thread.
    pub fn owned(self) -> OwnedFeedKey {
        OwnedFeedKey(self.category().map(str::to_string))
    }
}

/// A [`FeedKey`] that owns its category slug.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OwnedFeedKey(Option<String>);

impl OwnedFeedKey {
    pub fn as_key(&self) -> FeedKey<'_> {
        match &self.0 {
            None => FeedKey::All,
            Some(slug) => FeedKey::Category(slug),
        }
    }
}

/// An error inside a backend's transaction or blocking call, before the backend attaches
/// where it happened (the file or the database): the driver's error `E`, or a refusal or
/// corrupt row already typed.
pub(crate) enum DbError<E> {
    Sql(E),
    Store(StoreError),
}

impl<E> From<E> for DbError<E> {
    fn from(e: E) -> Self {
        DbError::Sql(e)
    }
}

impl From<StoreError> for DbError<tokio_postgres::Error> {
    fn from(e: StoreError) -> Self {
        DbError::Store(e)
    }
}

/// What a change listener has seen: how many change notifications arrived, when the last
/// one did, and whether it is connected right now.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChangeNotices {
    pub received: u64,
    pub last: Option<std::time::Instant>,
    pub listening: bool,
}

/// What a write did to one article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// One archive page of a feed as readers get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivePage {
    /// The articles shown now, oldest entry first, each as it is now.
    pub articles: Vec<Article>,
    /// See [`archive::last_modified`]; `None` for a page nothing was ever written to.
    pub last_modified: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct Upserted {
    pub outcome: Outcome,
    pub article: Article,
}

/// What changed in the store after a revision a reader has already seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    /// The store's revision now; the reader passes it back next time.
    pub revision: i64,
    /// The categories an article entered, left or changed in after the revision asked about
    /// (the `all` feed changes with any of them). `None` when the store cannot tell, and every
    /// feed must be taken as changed.
    pub categories: Option<BTreeSet<String>>,
}

/// How much a reader that last saw revision `since` must take as changed, before any
/// category marks are read: the one rule of [`Store::changes_since`] for every backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staleness {
    /// Nothing was committed since: no feed changed.
    Current,
    /// Never rendered (`since` < 0), or a store older than what the reader saw (a restored
    /// backup): anything may differ.
    Unknown,
    /// The categories marked at a revision after `since` changed.
    Marked,
}

impl Staleness {
    pub fn of(since: i64, revision: i64) -> Staleness {
        if revision == since {
            Staleness::Current
        } else if since < 0 || since > revision {
            Staleness::Unknown
        } else {
            Staleness::Marked
        }
    }
}

/// True when a batch's results changed anything, so its write must record a change.
pub(crate) fn any_changed(results: &[Upserted]) -> bool {
    results.iter().any(|r| r.outcome != Outcome::Unchanged)
}

/// Where each [`MigrateStore`] export starts when no cursor is given: before every row
/// (every id, feed and page sorts after these).
pub(crate) const FIRST_ARTICLE: &str = "";
pub(crate) const FIRST_PAGE: (&str, i64) = ("", -1);
pub(crate) const FIRST_ENTRY: (&str, i64, i64) = ("", 0, -1);

#[async_trait]
pub trait Store: Send + Sync {
    /// Creates or updates each draft, all in one transaction: either every draft of the batch
    /// is stored or none is. An article is matched by id, then by URL. A draft whose content
    /// is unchanged changes nothing; a changed one keeps its id, slug and GUID and gets
    /// `updated` = the draft's own, or `now`. Creating an article removes any tombstone of
    /// its id (a feed never holds an entry and its tombstone). A draft matched by id whose
    /// `url` belongs to another article fails the batch with [`StoreError::Conflict`].
    async fn upsert(
        &self,
        drafts: Vec<Draft>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Upserted>, StoreError>;

    /// The newest `limit` articles of a feed, newest first,
    /// ties broken by id so the order is the same on every call.
    ///
    /// Like every read that feeds a document ([`Store::page`], [`Store::count_in`],
    /// [`Store::archive`], [`Store::by_slug`]), it shows only articles whose time has come by
    /// the store's clock (`published` <= now, see [`archive::shown`]): an article dated in the
    /// future is stored but shown nowhere until then ([`Store::next_due`] says when).
    async fn latest(&self, feed: FeedKey<'_>, limit: usize) -> Result<Vec<Article>, StoreError>;

    /// Page `offset / limit + 1` of the paged feed: the `limit` articles after the newest
    /// `offset` of a feed, in the order of [`Store::latest`]. Reads the
    /// category's index up to `offset + limit` entries and only the page's articles.
    async fn page(
        &self,
        feed: FeedKey<'_>,
        offset: u64,
        limit: usize,
    ) -> Result<Vec<Article>, StoreError>;

    /// How many articles a feed shows now.
    async fn count_in(&self, feed: FeedKey<'_>) -> Result<u64, StoreError>;

    /// How many archive pages a feed's history has: the
    /// number of its newest. See [`archive`] for what a history holds: one entry per article,
    /// showing it as it is now, moved to the end whenever the article is written; pages close
    /// at [`archive::ARCHIVE_PAGE_ENTRIES`] entries or [`archive::ARCHIVE_PAGE_BYTES`].
    async fn archive_count(&self, feed: FeedKey<'_>) -> Result<u64, StoreError>;

    /// Archive page `number` (1-based, from the oldest) of a feed's history, with its
    /// `Last-Modified`; `None` if there is no such page. Reads only that page's entries.
    async fn archive(
        &self,
        feed: FeedKey<'_>,
        number: u64,
    ) -> Result<Option<ArchivePage>, StoreError>;

    /// The `Last-Modified` of a feed's paged documents (see [`archive::last_modified`]): its
    /// last change as the store recorded it, in the transaction of the write that made it,
    /// or the newest article shown if that came later. `None` for a feed never written to.
    async fn last_modified(&self, feed: FeedKey<'_>) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// The earliest `published` still in the future in a feed: when
    /// its documents next change without a write, so a reader knows when to render again.
    async fn next_due(&self, feed: FeedKey<'_>) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// The categories of the articles whose time came in (`after`, `upto`]: the feeds that
    /// changed with no write between a render at `after` and one at `upto`. Walks the
    /// articles' time index over that span only.
    async fn categories_due(
        &self,
        after: DateTime<Utc>,
        upto: DateTime<Utc>,
    ) -> Result<BTreeSet<String>, StoreError>;

    /// The articles of a feed whose time has not come yet, the soonest due first (ties by
    /// id): `limit` of them after the first `offset`. For editors: no feed shows these.
    async fn scheduled(
        &self,
        feed: FeedKey<'_>,
        offset: u64,
        limit: usize,
    ) -> Result<Vec<Article>, StoreError>;

    /// The clock this store shows articles by (see [`clock`]): what "now" is for every read
    /// here, and for anyone deciding whether an article is shown yet.
    fn clock(&self) -> &Clock;

    async fn by_slug(&self, slug: &str) -> Result<Option<Article>, StoreError>;

    async fn by_id(&self, id: &str) -> Result<Option<Article>, StoreError>;

    /// Deletes an article and leaves a [`Tombstone`] (deleted = `now`, categories as they
    /// were) in the same transaction, bumping the revision. `None` if there is no such id.
    /// An article never shown (scheduled: `published` after `now`, see
    /// [`archive::leaves_tombstone`]) leaves no tombstone: the value returned describes what
    /// went, but nothing of it is kept and no feed changes.
    async fn delete(&self, id: &str, now: DateTime<Utc>) -> Result<Option<Tombstone>, StoreError>;

    /// The newest `limit` tombstones of a feed (of every category, for [`FeedKey::All`]),
    /// newest first, ties broken by id.
    async fn tombstones(
        &self,
        feed: FeedKey<'_>,
        limit: usize,
    ) -> Result<Vec<Tombstone>, StoreError>;

    /// Drops tombstones deleted before `before`; bumps the revision if any went (a change of
    /// their feeds at `now`), so every replica renders the same feeds. Returns how many went.
    async fn forget_tombstones(
        &self,
        before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Proves the store can commit a durable write now, without changing anything readers
    /// see (the revision stays). `/healthz` calls it only while writes are failing, to see
    /// them recover. The default only reads; a backend should override it with a real write.
    async fn probe_write(&self) -> Result<(), StoreError> {
        self.revision().await.map(|_| ())
    }

    /// A counter that grows with every committed change, from this process or any other
    /// writing the same store; readers poll it to know when to render again.
    async fn revision(&self) -> Result<i64, StoreError>;

    /// Which categories changed after revision `since`, so a reader renders only the feeds
    /// that can differ. A backend that keeps this must record, in the same transaction as
    /// every write (create, edit, delete), the article's categories before and after it.
    ///
    /// The default cannot tell and says so (`categories: None`): always correct, it just
    /// makes readers render every feed on each change.
    async fn changes_since(&self, since: i64) -> Result<Changes, StoreError> {
        let revision = self.revision().await?;
        let categories = (revision == since).then(BTreeSet::new);
        Ok(Changes {
            revision,
            categories,
        })
    }

    /// How many operations through this handle have failed since it was opened (an
    /// unreachable database, I/O, corrupt rows), for `/metrics`.
    fn error_count(&self) -> u64 {
        0
    }

    /// Pushed word of changes committed by any process, for backends that have it
    /// (PostgreSQL's LISTEN/NOTIFY). The value changes on each notification and on each
    /// reconnection (changes may have been missed while away). `None`: poll `revision`.
    fn change_notices(&self) -> Option<tokio::sync::watch::Receiver<ChangeNotices>> {
        None
    }

    /// The newest `limit` articles filed under a label (an author or a tag, see
    /// [`labels`]), newest first, ties broken by id, only those shown now (as
    /// [`Store::latest`]). Walks the label's index: an unknown label costs one index seek.
    async fn labelled(&self, label: &LabelKey, limit: usize) -> Result<Vec<Article>, StoreError>;

    /// Up to `limit` labels of a kind that have an article shown now, those with the newest
    /// article first (ties by slug), each with the name its newest article gives it.
    async fn label_names(
        &self,
        kind: LabelKind,
        limit: usize,
    ) -> Result<Vec<LabelName>, StoreError>;

    /// Which labels changed after revision `since` (as [`Store::changes_since`] tells the
    /// categories): the label documents to render again. `None` when the store cannot tell.
    async fn labels_changed_since(
        &self,
        since: i64,
    ) -> Result<Option<BTreeSet<LabelKey>>, StoreError>;

    /// The articles shown now, oldest first (ties by id), `limit` after the first `offset`:
    /// a sitemap page. Slugs, titles and times only.
    async fn sitemap(&self, offset: u64, limit: usize) -> Result<Vec<SitemapEntry>, StoreError>;

    /// The articles published from `since` until now, newest first (ties by id), at most
    /// `limit`: the news sitemap.
    async fn recent(
        &self,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<SitemapEntry>, StoreError>;
}

/// What only `vnfeed migrate` needs: every article, tombstone and history row exactly as
/// stored, out of one store and into another. Kept apart from [`Store`] so the server, the
/// importer and the renderers see only what they use.
#[async_trait]
pub trait MigrateStore: Store {
    /// How many articles are stored, those still scheduled (dated in the future) included:
    /// what a copy must carry over. [`Store::count_in`] counts only what readers see now.
    async fn count_stored(&self) -> Result<u64, StoreError>;

    /// Up to `limit` articles exactly as stored, in byte order of id, after `after` (from the
    /// first with `None`): a full copy for `vnfeed migrate`, a page at a time.
    async fn export(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredArticle>, StoreError>;

    /// Writes exported articles and tombstones as they are, in one transaction: nothing is
    /// decided anew (slug, `updated`, hash are kept), an article or tombstone with the same
    /// id is overwritten, and the revision moves on so readers render again.
    async fn restore(
        &self,
        articles: Vec<StoredArticle>,
        tombstones: Vec<Tombstone>,
    ) -> Result<(), StoreError>;

    /// Up to `limit` feed-history entries exactly as stored, in byte order of feed, then by
    /// page and position, after `after` (from the first with `None`), for `vnfeed migrate`.
    async fn export_history(
        &self,
        after: Option<(&str, i64, i64)>,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>, StoreError>;

    /// Up to `limit` archive pages (their tallies and change times) exactly as stored, by
    /// feed then page, after `after`.
    async fn export_pages(
        &self,
        after: Option<(&str, i64)>,
        limit: usize,
    ) -> Result<Vec<ArchivePageRow>, StoreError>;

    /// Makes another store's feed history this store's: `clear` first empties this one (the
    /// first call of a copy), then `pages` and `entries` are written as given, in one
    /// transaction. The revision moves on.
    async fn restore_history(
        &self,
        clear: bool,
        pages: Vec<ArchivePageRow>,
        entries: Vec<HistoryEntry>,
    ) -> Result<(), StoreError>;
}

/// A store URL fit for logs and errors: its password (in the user info or a `password` query
/// parameter) replaced by `***`.
pub fn redact(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return "(an unparsable URL)".to_string();
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    if parsed.query_pairs().any(|(k, _)| k == "password") {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "password" { "***".into() } else { v };
                (k.into_owned(), v.into_owned())
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}
