//! A bulk import's writes. Each batch is written as [`Store::upsert`] writes one, all of it or
//! none of it, but the batches are made durable together, at [`Bulk::commit`]: in a store of a
//! million articles most of a commit's cost is writing again every index page the batch
//! touched (ids, slugs and URLs land at random places), and a page touched by several batches
//! of one transaction is written once. docs/benchmarks.md, "Transactions of a bulk import",
//! has the figures.
//!
//! [`Store::upsert`]: crate::store::Store::upsert

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::StoreError;
use crate::model::Draft;
use crate::outcome::Upserted;

#[async_trait]
pub trait Bulk: Send {
    /// Writes the drafts as one unit, as [`Store::upsert`] does: on an error none of them is
    /// written, and the batches before stay. They are durable once [`Bulk::commit`] returns
    /// (SQLite: not before, and no reader sees them before; PostgreSQL commits each batch
    /// at once).
    ///
    /// [`Store::upsert`]: crate::store::Store::upsert
    async fn upsert(
        &mut self,
        drafts: Vec<Draft>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Upserted>, StoreError>;

    /// Makes every batch written since the last commit durable. On an error none of them is
    /// stored (SQLite). A session dropped without committing stores none of its uncommitted
    /// batches (SQLite).
    async fn commit(&mut self) -> Result<(), StoreError>;
}
