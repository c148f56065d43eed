//! What every PostgreSQL query and write shares: the advisory lock keys, the NOTIFY
//! channel, the columns an article query selects (`COLUMNS`) and how such a row becomes a
//! `record::Row`, and the error type of code inside a transaction. `postgres.rs` and its
//! children (`write`, `history`, `labels`, `listen`, `copy`) all use these, so they live in
//! this leaf and not in `postgres.rs`, which uses its children.

use crate::record::Row;

/// Advisory lock keys ("vnfeed" in ASCII, then a number), held for one transaction.
pub(super) const MIGRATE_LOCK: i64 = 0x766e_6665_6564_0001;
pub(super) const WRITE_LOCK: i64 = 0x766e_6665_6564_0002;

/// The NOTIFY channel every write announces its new revision on.
pub const CHANNEL: &str = "vnfeed_changes";

pub(super) const COLUMNS: &str = "a.id, a.slug, a.title, a.summary, a.body, a.author, a.published, \
    a.updated, a.url, a.image, \
    ARRAY(SELECT ac.category FROM article_categories ac WHERE ac.article_id = a.id ORDER BY ac.category), \
    a.categories_explicit, a.tags";

/// Errors inside a transaction: SQL errors get the target attached afterwards.
pub(super) type DbError = crate::error::DbError<tokio_postgres::Error>;

pub(super) fn row_of(r: &tokio_postgres::Row) -> Row {
    Row {
        id: r.get(0),
        slug: r.get(1),
        title: r.get(2),
        summary: r.get(3),
        body: r.get(4),
        author: r.get(5),
        published: r.get(6),
        updated: r.get(7),
        url: r.get(8),
        image: r.get(9),
        categories: r.get(10),
        categories_explicit: r.get(11),
        tags: r.get(12),
    }
}
