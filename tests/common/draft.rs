//! Drafts for tests: one builder instead of a `Draft { .. }` literal in every file, so a new
//! field of `Draft` is one change here.

use chrono::{DateTime, Utc};
use vnfeed::model::{Block, Draft};

/// A draft with a title, a summary and one paragraph derived from the title, published at
/// [`DraftBuilder::DEFAULT_PUBLISHED`], in no category, with no author, URL or image.
pub struct DraftBuilder(Draft);

impl From<Draft> for DraftBuilder {
    fn from(draft: Draft) -> DraftBuilder {
        DraftBuilder(draft)
    }
}

impl DraftBuilder {
    pub const DEFAULT_PUBLISHED: &'static str = "2025-05-02T01:30:00Z";

    pub fn new(id: impl Into<String>, title: impl Into<String>) -> DraftBuilder {
        let title = title.into();
        DraftBuilder(Draft {
            id: id.into(),
            summary: format!("{title}: phần tóm tắt."),
            body: vec![Block::Paragraph {
                text: format!("{title}. Nội dung chi tiết của bài viết."),
            }],
            title,
            author: None,
            published: at(Self::DEFAULT_PUBLISHED),
            updated: None,
            categories: Vec::new(),
            categorized: vnfeed::model::Categorized::ByRules,
            url: None,
            image: None,
            tags: Vec::new(),
        })
    }

    /// Tags as the store takes them (already normalized: lowercase NFC, sorted).
    pub fn tags(mut self, tags: &[&str]) -> Self {
        self.0.tags = tags.iter().map(|t| t.to_string()).collect();
        self
    }

    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.0.summary = summary.into();
        self
    }

    /// The body becomes this one paragraph.
    pub fn paragraph(mut self, text: impl Into<String>) -> Self {
        self.0.body = vec![Block::Paragraph { text: text.into() }];
        self
    }

    pub fn body(mut self, body: Vec<Block>) -> Self {
        self.0.body = body;
        self
    }

    pub fn author(mut self, author: impl Into<String>) -> Self {
        self.0.author = Some(author.into());
        self
    }

    pub fn published(mut self, published: DateTime<Utc>) -> Self {
        self.0.published = published;
        self
    }

    /// `published` from an RFC 3339 string.
    pub fn published_at(self, rfc3339: &str) -> Self {
        self.published(at(rfc3339))
    }

    pub fn updated(mut self, updated: DateTime<Utc>) -> Self {
        self.0.updated = Some(updated);
        self
    }

    pub fn categories(mut self, categories: &[&str]) -> Self {
        self.0.categories = categories.iter().map(|c| c.to_string()).collect();
        self
    }

    /// Who chose the categories (by default the rules, as for a text file).
    pub fn categorized(mut self, categorized: vnfeed::model::Categorized) -> Self {
        self.0.categorized = categorized;
        self
    }

    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.0.url = Some(url.into());
        self
    }

    pub fn build(self) -> Draft {
        self.0
    }
}

/// An instant from an RFC 3339 string.
pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap_or_else(|e| panic!("{rfc3339}: {e}"))
        .into()
}
