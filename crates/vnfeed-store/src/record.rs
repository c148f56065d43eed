//! The stored form of an article, shared by every backend so they cannot drift apart: the
//! row as it is kept (JSON body and image, whole-second instants) and the write rules (which
//! article a draft refers to, when it counts as changed, how `updated` moves and how a slug is
//! chosen). Backends only run the SQL around these.

use chrono::{DateTime, Utc};

use super::{Outcome, StoreError, content_hash};
use crate::model::{Article, Block, Draft, Image};
use vnfeed_vietnamese::slug::slugify;

/// An article row as stored, before its JSON columns are decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// `Vec<Block>` as JSON.
    pub body: String,
    pub author: Option<String>,
    /// Unix seconds: both backends keep whole seconds, so an instant reads back the same
    /// from either (and feeds rendered from either are byte-identical).
    pub published: i64,
    pub updated: i64,
    pub url: Option<String>,
    /// `Image` as JSON.
    pub image: Option<String>,
    /// Sorted by byte order (SQLite's BINARY, PostgreSQL's `COLLATE "C"`).
    pub categories: Vec<String>,
    /// See [`Draft::tags`]: kept as the draft gave them.
    pub tags: Vec<String>,
}

impl Row {
    pub fn into_article(self) -> Result<Article, StoreError> {
        let body: Vec<Block> =
            serde_json::from_str(&self.body).map_err(|e| corrupt(&self.id, "body", e))?;
        let image: Option<Image> = match &self.image {
            Some(json) => {
                Some(serde_json::from_str(json).map_err(|e| corrupt(&self.id, "image", e))?)
            }
            None => None,
        };
        self.with(body, image)
    }

    /// The article this row holds, with its JSON columns already decoded.
    fn with(self, body: Vec<Block>, image: Option<Image>) -> Result<Article, StoreError> {
        Ok(Article {
            published: instant(&self.id, "published", self.published)?,
            updated: instant(&self.id, "updated", self.updated)?,
            id: self.id,
            slug: self.slug,
            title: self.title,
            summary: self.summary,
            body,
            author: self.author,
            categories: self.categories,
            url: self.url,
            image,
            tags: self.tags,
        })
    }
}

/// One article exactly as a store keeps it, with the hash of the source it came from, so a
/// store moved to another backend keeps its slugs, its `updated` and its idempotence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredArticle {
    pub row: Row,
    pub content_hash: String,
}

/// One feed-history entry exactly as stored (see [`crate::archive`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub feed: String,
    pub page: i64,
    pub position: i64,
    pub article_id: String,
    pub weight: i64,
}

/// One archive page exactly as stored: what it holds now, how many entries were ever
/// appended to it (the next position), and when it last changed (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivePageRow {
    pub feed: String,
    pub page: i64,
    pub entries: i64,
    pub bytes: i64,
    pub appended: i64,
    pub changed: i64,
}

pub fn corrupt(id: &str, field: &'static str, message: impl ToString) -> StoreError {
    StoreError::Corrupt {
        id: id.to_string(),
        field,
        message: message.to_string(),
    }
}

pub fn instant(id: &str, field: &'static str, secs: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp(secs, 0).ok_or_else(|| corrupt(id, field, "timestamp out of range"))
}

/// A draft matched by id whose `url` belongs to another article.
pub fn url_conflict(url: &str, owner: String) -> StoreError {
    StoreError::Conflict {
        field: "url",
        message: format!("`{url}` is already the URL of article `{owner}`"),
    }
}

/// What is stored under a draft's id (or URL) when the write starts.
#[derive(Debug, Clone)]
pub struct Existing {
    pub id: String,
    pub slug: String,
    pub content_hash: String,
    pub updated: i64,
}

/// What an upsert does with one draft.
#[derive(Debug, Clone)]
pub enum Plan {
    /// Same content as stored: nothing is written; `id` is the stored article's.
    Unchanged {
        id: String,
    },
    Write(Write),
}

/// A row to insert or overwrite, with the article's categories.
#[derive(Debug, Clone)]
pub struct Write {
    pub outcome: Outcome,
    pub id: String,
    /// `None` for a new article: the backend picks the first free of `slug_candidates`.
    pub slug: Option<String>,
    pub updated: i64,
    pub content_hash: String,
    pub body: String,
    pub image: Option<String>,
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
                categories: draft.categories,
                tags: draft.tags,
            },
            content_hash: self.content_hash,
        }
    }
}

impl StoredArticle {
    /// The article as stored, from what was just written and the draft's own body and image
    /// (what the row's JSON columns hold): reading it back would cost a query and a JSON
    /// parse per article, a fifth of a bulk import's time.
    pub fn written(self, body: Vec<Block>, image: Option<Image>) -> Result<Article, StoreError> {
        self.row.with(body, image)
    }
}

/// Decides what to write for `draft`, given what the store holds for it.
pub fn plan(
    draft: &Draft,
    found: Option<Existing>,
    now: DateTime<Utc>,
) -> Result<Plan, StoreError> {
    let hash = content_hash(draft);
    let (outcome, id, slug, updated) = match found {
        Some(old) if old.content_hash == hash => return Ok(Plan::Unchanged { id: old.id }),
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
        outcome,
        id,
        slug,
        updated,
        content_hash: hash,
        body,
        image,
    }))
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
            url: None,
            image: None,
            tags: vec![],
        }
    }

    #[test]
    fn an_edit_moves_updated_forward_even_against_the_clock() {
        let d = draft();
        let stored = Existing {
            id: "a-1".into(),
            slug: "don-bien-phong-po-hen".into(),
            content_hash: "other".into(),
            updated: 2_000_000_000,
        };
        let now = "2024-05-01T00:00:00Z".parse().unwrap();
        let Plan::Write(w) = plan(&d, Some(stored), now).unwrap() else {
            panic!("a changed draft is written")
        };
        assert_eq!(w.outcome, Outcome::Updated);
        assert_eq!(w.updated, 2_000_000_001);
        assert_eq!(w.slug.as_deref(), Some("don-bien-phong-po-hen"));
    }

    #[test]
    fn slugs_fall_back_and_count_up() {
        let got: Vec<String> = slug_candidates("!!!").take(3).collect();
        assert_eq!(got, ["bai-viet", "bai-viet-2", "bai-viet-3"]);
    }
}
