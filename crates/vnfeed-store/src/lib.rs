//! vnfeed-store: the article store. The plain data every part of vnfeed shares (`model`),
//! the one interface every backend implements (`Store`), so the importer, the renderer and the
//! server never see SQL, and the backends: `sqlite` is the embedded default; `postgres` is one
//! database shared by several stateless replicas. `record` and `archive` hold the rules both
//! share.
//!
//! This file only declares the modules and re-exports what others use; every item lives in
//! a file of its own idea, which the files here name directly (`crate::store::Store`), so no
//! file depends on itself through the root (`tests/module_cycles.rs`).

pub mod model;

pub mod archive;
mod changes;
pub mod clock;
mod content_hash;
mod error;
mod key;
pub mod labels;
mod migrate;
mod outcome;
pub mod plan;
pub mod postgres;
pub mod record;
pub mod sqlite;
mod store;

pub use archive::ArchivePage;
pub use changes::{ChangeNotices, Changes, Staleness};
pub use clock::Clock;
pub use content_hash::content_hash;
pub use error::{StoreError, redact};
pub use key::{ALL_SLUG, FeedKey, OwnedFeedKey};
pub use labels::{LabelKey, LabelKind, LabelName, SitemapEntry};
pub use migrate::MigrateStore;
pub use outcome::{Outcome, Upserted};
pub use postgres::PostgresStore;
pub use record::{ArchivePageRow, HistoryEntry, StoredArticle};
pub use sqlite::SqliteStore;
pub use store::Store;
