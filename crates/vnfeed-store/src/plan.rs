//! The upsert decisions, once for every backend: which stored article a draft refers to,
//! whether its URL is free, whether anything changed, how `updated` moves, whether a
//! tombstone is retired and the article leaves the feed histories it was in. [`plan`] is a
//! pure function of the draft and what the store held when the write started ([`Lookup`]);
//! each backend looks that up, calls it, and runs the [`Write`] it returns as straight-line
//! SQL. `tests/upsert_plan.rs` feeds the same drafts to both backends and compares the plans.

use chrono::{DateTime, Utc};

use crate::content_hash::content_hash;
use crate::error::StoreError;
use crate::model::{Categorized, Draft};
use crate::outcome::Outcome;
use crate::record::{Row, StoredArticle, corrupt};
use vnfeed_vietnamese::slug::slugify;

/// A stored article as far as the decisions need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    pub id: String,
    pub slug: String,
    pub content_hash: String,
    pub updated: i64,
    pub categorized: Categorized,
}

/// What the store holds that a draft may refer to, read inside the write's transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lookup {
    /// The article stored under the draft's id.
    pub by_id: Option<Existing>,
    /// The article whose URL is the draft's `url` (`None` for a draft without one).
    pub by_url: Option<Existing>,
}

/// What an upsert does with one draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Same content as stored: nothing is written; `id` is the stored article's. With
    /// `categorized`, only who chose the categories differs (the same categories, now named
    /// by the source, or now derived by the rules): that flag alone is written. No document
    /// shows it, so no feed changes and the revision stays.
    Unchanged {
        id: String,
        categorized: Option<Categorized>,
    },
    Write(Write),
}

/// A row to insert or overwrite, and what goes with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub outcome: Outcome,
    pub id: String,
    /// `None` for a new article: the backend picks the first free of [`slug_candidates`].
    pub slug: Option<String>,
    pub updated: i64,
    pub content_hash: String,
    pub body: String,
    pub image: Option<String>,
    /// A new article removes any tombstone of its id: a feed never holds an entry and its
    /// tombstone (its feeds change, whatever categories the new article has).
    pub retire_tombstone: bool,
    /// An edited article first leaves every feed history it is in, wherever it was; it is
    /// appended again at the end, in the feeds of its new categories.
    pub leave_history: bool,
}

impl Write {
    /// The row to store for `draft`, under `slug` (the stored one, or a new unique one).
    pub fn into_stored(self, draft: Draft, slug: String) -> StoredArticle {
        StoredArticle {
            row: Row {
                id: self.id,
                slug,
                title: draft.title,
                summary: draft.summary,
                body: self.body,
                author: draft.author,
                published: draft.published.timestamp(),
                updated: self.updated,
                url: draft.url,
                image: self.image,
                categories_explicit: draft.categorized == Categorized::Explicitly,
                categories: draft.categories,
                tags: draft.tags,
            },
            content_hash: self.content_hash,
        }
    }
}

/// Decides what to write for `draft`, given what the store holds for it.
///
/// A draft refers to the article stored under its id, else to the one holding its URL. Its
/// URL must then be free or that article's own: a URL another article holds is a
/// [`StoreError::Conflict`], whichever way the draft matched. (Matched by URL, the URL is the
/// matched article's own; matched by nothing, no article holds it; so in practice the
/// conflict is a draft matched by id that carries another article's URL.)
pub fn plan(draft: &Draft, lookup: Lookup, now: DateTime<Utc>) -> Result<Plan, StoreError> {
    let Lookup { by_id, by_url } = lookup;
    let found = by_id.or_else(|| by_url.clone());
    if let (Some(url), Some(owner)) = (&draft.url, &by_url) {
        let matched = found.as_ref().map(|f| f.id.as_str());
        if matched != Some(owner.id.as_str()) {
            return Err(url_conflict(url, owner.id.clone()));
        }
    }
    let hash = content_hash(draft);
    let (outcome, id, slug, updated) = match found {
        Some(old) if old.content_hash == hash => {
            let categorized = (old.categorized != draft.categorized).then_some(draft.categorized);
            return Ok(Plan::Unchanged {
                id: old.id,
                categorized,
            });
        }
        Some(old) => {
            // An edit must move `updated` forward, even if the clock or the source says
            // otherwise, or readers would not notice it.
            let wanted = draft.updated.unwrap_or(now).max(draft.published);
            let updated = wanted.timestamp().max(old.updated + 1);
            (Outcome::Updated, old.id, Some(old.slug), updated)
        }
        None => {
            let updated = draft
                .updated
                .unwrap_or(draft.published)
                .max(draft.published);
            (
                Outcome::Created,
                draft.id.clone(),
                None,
                updated.timestamp(),
            )
        }
    };
    let body = serde_json::to_string(&draft.body).map_err(|e| corrupt(&id, "body", e))?;
    let image = draft
        .image
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| corrupt(&id, "image", e))?;
    Ok(Plan::Write(Write {
        retire_tombstone: outcome == Outcome::Created,
        leave_history: outcome == Outcome::Updated,
        outcome,
        id,
        slug,
        updated,
        content_hash: hash,
        body,
        image,
    }))
}

/// A draft whose `url` belongs to another article.
pub fn url_conflict(url: &str, owner: String) -> StoreError {
    StoreError::Conflict {
        field: "url",
        message: format!("`{url}` is already the URL of article `{owner}`"),
    }
}

/// Slugs to try for a new article, in order: the title's slug, then `-2`, `-3`, ...
pub fn slug_candidates(title: &str) -> impl Iterator<Item = String> {
    let mut base = slugify(title);
    if base.is_empty() {
        base = "bai-viet".to_string();
    }
    std::iter::once(base.clone()).chain((2u64..).map(move |n| format!("{base}-{n}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> Draft {
        Draft {
            id: "a-1".into(),
            title: "Đồn Biên phòng Pò Hèn".into(),
            summary: "Tóm tắt.".into(),
            body: vec![],
            author: None,
            published: "2024-04-22T00:00:00Z".parse().unwrap(),
            updated: None,
            categories: vec!["borders".into()],
            categorized: Categorized::ByRules,
            url: None,
            image: None,
            tags: vec![],
        }
    }

    fn stored(id: &str) -> Existing {
        Existing {
            id: id.into(),
            slug: "don-bien-phong-po-hen".into(),
            content_hash: "other".into(),
            updated: 2_000_000_000,
            categorized: Categorized::ByRules,
        }
    }

    #[test]
    fn an_edit_moves_updated_forward_even_against_the_clock() {
        let d = draft();
        let lookup = Lookup {
            by_id: Some(stored("a-1")),
            by_url: None,
        };
        let now = "2024-05-01T00:00:00Z".parse().unwrap();
        let Plan::Write(w) = plan(&d, lookup, now).unwrap() else {
            panic!("a changed draft is written")
        };
        assert_eq!(w.outcome, Outcome::Updated);
        assert_eq!(w.updated, 2_000_000_001);
        assert_eq!(w.slug.as_deref(), Some("don-bien-phong-po-hen"));
        assert!(w.leave_history && !w.retire_tombstone);
    }

    #[test]
    fn a_url_held_by_another_article_is_a_conflict_and_its_own_is_not() {
        let mut d = draft();
        d.url = Some("https://bao.example/a".into());
        let now = "2024-05-01T00:00:00Z".parse().unwrap();
        let by_id_other_owner = Lookup {
            by_id: Some(stored("a-1")),
            by_url: Some(stored("b-2")),
        };
        assert!(matches!(
            plan(&d, by_id_other_owner, now),
            Err(StoreError::Conflict { field: "url", .. })
        ));
        let by_url = Lookup {
            by_id: None,
            by_url: Some(stored("b-2")),
        };
        let Plan::Write(w) = plan(&d, by_url, now).unwrap() else {
            panic!("a changed draft is written")
        };
        assert_eq!((w.outcome, w.id.as_str()), (Outcome::Updated, "b-2"));
        let Plan::Write(w) = plan(&d, Lookup::default(), now).unwrap() else {
            panic!("a new draft is written")
        };
        assert_eq!(w.outcome, Outcome::Created);
        assert!(w.retire_tombstone && !w.leave_history);
    }

    #[test]
    fn slugs_fall_back_and_count_up() {
        let got: Vec<String> = slug_candidates("!!!").take(3).collect();
        assert_eq!(got, ["bai-viet", "bai-viet-2", "bai-viet-3"]);
    }
}
