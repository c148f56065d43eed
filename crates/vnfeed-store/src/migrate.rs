//! What only `vnfeed migrate` needs of a store: every article, tombstone and history row
//! exactly as stored, out of one store and into another, a page at a time.

use async_trait::async_trait;

use crate::error::StoreError;
use crate::model::Tombstone;
use crate::record::{ArchivePageRow, HistoryEntry, StoredArticle};
use crate::store::Store;

/// Where each [`MigrateStore`] export starts when no cursor is given: before every row
/// (every id, feed and page sorts after these).
pub(crate) const FIRST_ARTICLE: &str = "";
pub(crate) const FIRST_PAGE: (&str, i64) = ("", -1);
pub(crate) const FIRST_ENTRY: (&str, i64, i64) = ("", 0, -1);

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
