//! What a reader learns of the writes since it last looked: the revision now and the
//! categories and labels touched ([`Changes`]), the one rule of how much is stale before any mark is
//! read ([`Staleness`]), and what a change listener has heard ([`ChangeNotices`]).

use std::collections::BTreeSet;

use crate::labels::LabelKey;

/// What changed in the store after a revision a reader has already seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    /// The store's revision now; the reader passes it back next time.
    pub revision: i64,
    /// The categories an article entered, left or changed in after the revision asked about
    /// (the `all` feed changes with any of them). `None` when the store cannot tell, and every
    /// feed must be taken as changed.
    pub categories: Option<BTreeSet<String>>,
    /// The labels (authors, tags) an article gained, lost or changed under after the
    /// revision asked about, from the same snapshot: the label documents to render again.
    /// `None` when the store cannot tell.
    pub labels: Option<BTreeSet<LabelKey>>,
}

/// How much a reader that last saw revision `since` must take as changed, before any
/// category marks are read: the one rule of
/// [`Store::changes_since`](crate::Store::changes_since) for every backend.
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

/// What a change listener has seen: how many change notifications arrived, when the last
/// one did, and whether it is connected right now.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChangeNotices {
    pub received: u64,
    pub last: Option<std::time::Instant>,
    pub listening: bool,
}
