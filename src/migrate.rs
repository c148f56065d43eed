//! Moving a store to another backend (`vnfeed migrate`, e.g. SQLite to PostgreSQL when one
//! server is no longer enough): every article and tombstone copied exactly as stored, a page
//! at a time, then checked by counting both sides. Copying is idempotent (by id), so an
//! interrupted run is simply run again.

use indicatif::ProgressBar;

use crate::store::{Store, StoreError};

/// Articles per read and per write transaction.
const PAGE: usize = 500;

/// More tombstones than any store keeps (they expire after days).
const ALL: usize = 1 << 40;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("--from and --to name the same store")]
    SameStore,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "count check failed: the source holds {source_articles} articles and {source_tombstones} \
         tombstones, the target {target_articles} and {target_tombstones} (did the target hold \
         other articles before, or was the source written to during the copy?)"
    )]
    Counts {
        source_articles: u64,
        source_tombstones: u64,
        target_articles: u64,
        target_tombstones: u64,
    },
    #[error("check failed: the newest articles read back from the target differ from the source's")]
    Content,
}

/// What was copied, as both stores now count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migrated {
    pub articles: u64,
    pub tombstones: u64,
}

/// Copies everything in `from` into `to`, advancing `progress` by articles copied.
pub async fn copy(
    from: &dyn Store,
    to: &dyn Store,
    progress: &ProgressBar,
) -> Result<Migrated, MigrateError> {
    progress.set_length(from.count().await?);
    let mut after: Option<String> = None;
    loop {
        let page = from.export(after.as_deref(), PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.row.id.clone());
        let copied = page.len() as u64;
        to.restore(page, Vec::new()).await?;
        progress.inc(copied);
    }
    let tombstones = from.tombstones(None, ALL).await?;
    to.restore(Vec::new(), tombstones).await?;
    check(from, to).await
}

/// The counts on both sides, and the newest articles read back the same from both.
async fn check(from: &dyn Store, to: &dyn Store) -> Result<Migrated, MigrateError> {
    let source_articles = from.count().await?;
    let target_articles = to.count().await?;
    let source_tombstones = from.tombstones(None, ALL).await?.len() as u64;
    let target_tombstones = to.tombstones(None, ALL).await?.len() as u64;
    if (source_articles, source_tombstones) != (target_articles, target_tombstones) {
        return Err(MigrateError::Counts {
            source_articles,
            source_tombstones,
            target_articles,
            target_tombstones,
        });
    }
    if from.latest(None, 100).await? != to.latest(None, 100).await? {
        return Err(MigrateError::Content);
    }
    Ok(Migrated {
        articles: target_articles,
        tombstones: target_tombstones,
    })
}
