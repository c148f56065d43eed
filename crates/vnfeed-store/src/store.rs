//! The one interface every backend implements, so the importer, the renderer and the
//! server never see SQL: writes (upsert, delete, forget tombstones), the reads every
//! document is made of, and what tells a reader when to render again (revision, changes,
//! pushed notices). Only what the server uses; `vnfeed migrate`'s copies are
//! [`MigrateStore`](crate::MigrateStore)'s.

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::archive::ArchivePage;
use crate::changes::{ChangeNotices, Changes};
use crate::clock::Clock;
use crate::error::StoreError;
use crate::key::FeedKey;
use crate::labels::{LabelKey, LabelKind, LabelName, SitemapEntry};
use crate::model::{Article, Draft, Tombstone};
use crate::outcome::Upserted;

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
    ///
    /// [`archive::shown`]: crate::archive::shown
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
    ///
    /// [`archive`]: crate::archive
    /// [`archive::ARCHIVE_PAGE_ENTRIES`]: crate::archive::ARCHIVE_PAGE_ENTRIES
    /// [`archive::ARCHIVE_PAGE_BYTES`]: crate::archive::ARCHIVE_PAGE_BYTES
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
    ///
    /// [`archive::last_modified`]: crate::archive::last_modified
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
    ///
    /// [`clock`]: crate::clock
    fn clock(&self) -> &Clock;

    async fn by_slug(&self, slug: &str) -> Result<Option<Article>, StoreError>;

    async fn by_id(&self, id: &str) -> Result<Option<Article>, StoreError>;

    /// Deletes an article and leaves a [`Tombstone`] (deleted = `now`, categories as they
    /// were) in the same transaction, bumping the revision. `None` if there is no such id.
    /// An article never shown (scheduled: `published` after `now`, see
    /// [`archive::leaves_tombstone`]) leaves no tombstone: the value returned describes what
    /// went, but nothing of it is kept and no feed changes.
    ///
    /// [`archive::leaves_tombstone`]: crate::archive::leaves_tombstone
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

    /// Which categories and which labels changed after revision `since`, so a reader renders
    /// only the feeds and label documents that can differ; all read from one snapshot, so the
    /// two sets come from the same writes. A backend that keeps this must record, in the same
    /// transaction as every write (create, edit, delete), the article's categories and labels
    /// before and after it.
    ///
    /// The default cannot tell and says so (`categories: None`, `labels: None`): always
    /// correct, it just makes readers render every feed on each change.
    async fn changes_since(&self, since: i64) -> Result<Changes, StoreError> {
        let revision = self.revision().await?;
        let unchanged = revision == since;
        Ok(Changes {
            revision,
            categories: unchanged.then(BTreeSet::new),
            labels: unchanged.then(BTreeSet::new),
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
    ///
    /// [`labels`]: crate::labels
    async fn labelled(&self, label: &LabelKey, limit: usize) -> Result<Vec<Article>, StoreError>;

    /// Up to `limit` labels of a kind that have an article shown now, those with the newest
    /// article first (ties by slug), each with the name its newest article gives it.
    async fn label_names(
        &self,
        kind: LabelKind,
        limit: usize,
    ) -> Result<Vec<LabelName>, StoreError>;

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
