//! The stored form of an article, shared by every backend so they cannot drift apart: the
//! row as it is kept (JSON body and image, whole-second instants) and the rows a copy moves.
//! The write decisions are in [`crate::plan`]; backends only run the SQL around both.

use chrono::{DateTime, Utc};

use crate::error::StoreError;
use crate::model::{Article, Block, Categorized, Image};

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
    /// True when the source named the categories ([`Categorized::Explicitly`]).
    pub categories_explicit: bool,
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
            categorized: categorized(self.categories_explicit),
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

/// The model's [`Categorized`] of the stored flag.
pub fn categorized(explicit: bool) -> Categorized {
    if explicit {
        Categorized::Explicitly
    } else {
        Categorized::ByRules
    }
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

impl StoredArticle {
    /// The article as stored, from what was just written and the draft's own body and image
    /// (what the row's JSON columns hold): reading it back would cost a query and a JSON
    /// parse per article, a fifth of a bulk import's time.
    pub fn written(self, body: Vec<Block>, image: Option<Image>) -> Result<Article, StoreError> {
        self.row.with(body, image)
    }
}
