//! The documents of an author or a tag (`/feeds/authors/{slug}`, `/feeds/tags/{slug}` and
//! their HTML pages): the label's newest articles shown now, under a feed definition made
//! for it. A label with no article shown is no document at all (the HTTP side answers 404).
//! One page, no archives: a reader following a journalist wants what is new.

use chrono::{DateTime, Utc};

use super::{Doc, Documents};
use crate::feeds::FeedDef;
use crate::model::Article;
use crate::render::Nav;
use crate::store::{LabelKey, LabelKind, StoreError};
use crate::vietnamese::slug::slugify;

/// Longest label slug a URL may name: the longest `slugify` makes.
pub const MAX_SLUG_BYTES: usize = 80;

/// The path segment of a kind's feeds and pages: `authors`, `tags`.
pub fn segment(kind: LabelKind) -> &'static str {
    match kind {
        LabelKind::Author => "authors",
        LabelKind::Tag => "tags",
    }
}

pub fn kind_of_segment(segment: &str) -> Option<LabelKind> {
    match segment {
        "authors" => Some(LabelKind::Author),
        "tags" => Some(LabelKind::Tag),
        _ => None,
    }
}

/// A label's feed as the renderers take it: its feed definition and its document.
pub struct LabelDoc {
    pub feed: FeedDef,
    pub doc: Doc,
}

impl Documents {
    /// The label's feed document; `None` when no article shown now has the label.
    pub async fn label(&self, key: &LabelKey) -> Result<Option<LabelDoc>, StoreError> {
        let articles = self.store.labelled(key, self.limit).await?;
        let Some(name) = articles.first().and_then(|a| name_in(key, a)) else {
            return Ok(None);
        };
        let last_modified: Option<DateTime<Utc>> = articles.iter().map(|a| a.updated).max();
        let doc = Doc {
            articles: self.measured(articles).await,
            tombstones: Vec::new(),
            nav: Nav::None,
            last_modified,
        };
        Ok(Some(LabelDoc {
            feed: label_feed(key, &name),
            doc,
        }))
    }
}

/// The feed definition of a label named `name`.
pub fn label_feed(key: &LabelKey, name: &str) -> FeedDef {
    let path = format!("{}/{}", segment(key.kind), key.slug);
    let (title, description) = match key.kind {
        LabelKind::Author => (
            name.to_string(),
            format!("Bài viết của tác giả {name}, mới nhất trước."),
        ),
        LabelKind::Tag => (
            format!("Từ khóa: {name}"),
            format!("Bài viết có từ khóa “{name}”, mới nhất trước."),
        ),
    };
    FeedDef::label(path, title, description)
}

/// How the article names the label: its author line, or its tag of that slug.
fn name_in(key: &LabelKey, article: &Article) -> Option<String> {
    match key.kind {
        LabelKind::Author => article.author.clone(),
        LabelKind::Tag => article
            .tags
            .iter()
            .find(|t| slugify(t) == key.slug)
            .cloned(),
    }
}
