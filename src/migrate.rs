//! Moving a store to another backend (`vnfeed migrate`, e.g. SQLite to PostgreSQL when one
//! server is no longer enough): every article, tombstone and feed-history entry copied
//! exactly as stored, a page at a time, then checked by counting both sides. Articles are
//! copied by id and the history is replaced whole, so an interrupted run is run again.

use std::collections::BTreeMap;

use indicatif::ProgressBar;

use crate::store::{FeedKey, MigrateStore, StoreError};

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
    #[error(
        "count check failed: feed `{feed}` has {source_len} archive pages in the source, \
         {target_len} in the target"
    )]
    History {
        feed: String,
        source_len: u64,
        target_len: u64,
    },
}

/// What was copied, as both stores now count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migrated {
    pub articles: u64,
    pub tombstones: u64,
    /// Feed-history entries (archive pages' contents).
    pub history: u64,
}

/// Copies everything in `from` into `to`, advancing `progress` by articles copied.
pub async fn copy(
    from: &dyn MigrateStore,
    to: &dyn MigrateStore,
    progress: &ProgressBar,
) -> Result<Migrated, MigrateError> {
    progress.set_length(from.count_stored().await?);
    let mut after: Option<String> = None;
    loop {
        let page = from.export(after.as_deref(), PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.row.id.clone());
        let copied = page.len() as u64;
        to.restore(page, Vec::new()).await?;
        progress.inc(copied);
    }
    let tombstones = from.tombstones(FeedKey::All, ALL).await?;
    to.restore(Vec::new(), tombstones).await?;
    let (feeds, entries) = copy_history(from, to).await?;
    let mut migrated = check(from, to).await?;
    for (feed, source_len) in feeds {
        let target_len = to.archive_count(FeedKey::of_history_key(&feed)).await?;
        if source_len != target_len {
            return Err(MigrateError::History {
                feed,
                source_len,
                target_len,
            });
        }
    }
    migrated.history = entries;
    Ok(migrated)
}

/// Replaces the target's feed history with the source's, pages before the entries on them,
/// so archive pages keep their boundaries and contents. Returns each feed's number of
/// archive pages in the source, and how many entries were copied.
async fn copy_history(
    from: &dyn MigrateStore,
    to: &dyn MigrateStore,
) -> Result<(BTreeMap<String, u64>, u64), MigrateError> {
    // Restoring articles recorded them in copy order: start from nothing.
    to.restore_history(true, Vec::new(), Vec::new()).await?;
    let mut pages = BTreeMap::new();
    let mut after: Option<(String, i64)> = None;
    loop {
        let batch = from
            .export_pages(after.as_ref().map(|(f, p)| (f.as_str(), *p)), PAGE)
            .await?;
        let Some(last) = batch.last() else { break };
        after = Some((last.feed.clone(), last.page));
        for page in &batch {
            let newest = pages.entry(page.feed.clone()).or_insert(0);
            *newest = (*newest).max(page.page.max(0) as u64);
        }
        to.restore_history(false, batch, Vec::new()).await?;
    }
    let mut copied = 0;
    let mut after: Option<(String, i64, i64)> = None;
    loop {
        let batch = from
            .export_history(after.as_ref().map(|(f, g, p)| (f.as_str(), *g, *p)), PAGE)
            .await?;
        let Some(last) = batch.last() else { break };
        after = Some((last.feed.clone(), last.page, last.position));
        copied += batch.len() as u64;
        to.restore_history(false, Vec::new(), batch).await?;
    }
    Ok((pages, copied))
}

/// The counts on both sides, and the newest articles read back the same from both.
async fn check(from: &dyn MigrateStore, to: &dyn MigrateStore) -> Result<Migrated, MigrateError> {
    let source_articles = from.count_stored().await?;
    let target_articles = to.count_stored().await?;
    let source_tombstones = from.tombstones(FeedKey::All, ALL).await?.len() as u64;
    let target_tombstones = to.tombstones(FeedKey::All, ALL).await?.len() as u64;
    if (source_articles, source_tombstones) != (target_articles, target_tombstones) {
        return Err(MigrateError::Counts {
            source_articles,
            source_tombstones,
            target_articles,
            target_tombstones,
        });
    }
    if from.latest(FeedKey::All, 100).await? != to.latest(FeedKey::All, 100).await? {
        return Err(MigrateError::Content);
    }
    Ok(Migrated {
        articles: target_articles,
        tombstones: target_tombstones,
        history: 0,
    })
}
