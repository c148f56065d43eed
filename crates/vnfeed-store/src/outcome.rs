//! What a write did to each article it was given: created, updated or left unchanged, and
//! the article as it is now.

use crate::model::Article;

/// What a write did to one article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

#[derive(Debug, Clone)]
pub struct Upserted {
    pub outcome: Outcome,
    pub article: Article,
}

/// True when a batch's results changed anything, so its write must record a change.
pub(crate) fn any_changed(results: &[Upserted]) -> bool {
    results.iter().any(|r| r.outcome != Outcome::Unchanged)
}
