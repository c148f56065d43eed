//! Labels: the authors and tags an article is filed under, each naming a feed of its own
//! (`/feeds/authors/{slug}`, `/feeds/tags/{slug}`). The rules both backends share: which
//! labels a stored row has (the author's slug, each tag's slug), and the plain data the
//! label reads return. Backends keep one index row per (article, label) and the revision at
//! which each label last changed, so a reader re-renders only the label documents a write
//! touched.

use chrono::{DateTime, Utc};
use vnfeed_vietnamese::slug::slugify;

use crate::record::Row;

/// What a label is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LabelKind {
    Author,
    Tag,
}

impl LabelKind {
    pub const ALL: [LabelKind; 2] = [LabelKind::Author, LabelKind::Tag];

    /// As stored, and as the URL's path segment names it in the plural (`authors`, `tags`).
    pub fn as_str(self) -> &'static str {
        match self {
            LabelKind::Author => "author",
            LabelKind::Tag => "tag",
        }
    }

    pub fn parse(s: &str) -> Option<LabelKind> {
        LabelKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One label: its kind and its ASCII slug.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LabelKey {
    pub kind: LabelKind,
    pub slug: String,
}

impl LabelKey {
    pub fn new(kind: LabelKind, slug: impl Into<String>) -> LabelKey {
        LabelKey {
            kind,
            slug: slug.into(),
        }
    }
}

/// A label as listed (the OPML of authors or tags): its slug and the name people read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelName {
    pub slug: String,
    /// The author line, or the tag with its diacritics, as the newest article gives it.
    pub name: String,
}

/// One line of a sitemap: an article page and its times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapEntry {
    pub slug: String,
    pub title: String,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// The labels of a stored row: (kind, slug, name), unique by (kind, slug), sorted. A name
/// with no letter or digit has no slug and no label.
pub fn of_row(row: &Row) -> Vec<(LabelKind, String, String)> {
    of(row.author.as_deref(), &row.tags)
}

pub fn of(author: Option<&str>, tags: &[String]) -> Vec<(LabelKind, String, String)> {
    let authors = author.map(|a| (LabelKind::Author, a));
    let tags = tags.iter().map(|t| (LabelKind::Tag, t.as_str()));
    let mut out: Vec<(LabelKind, String, String)> = authors
        .into_iter()
        .chain(tags)
        .filter_map(|(kind, name)| {
            let slug = slugify(name);
            (!slug.is_empty()).then(|| (kind, slug, name.to_string()))
        })
        .collect();
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_author_and_tags_become_slugged_labels() {
        let got = of(
            Some("Ngọc Thư"),
            &["biển đông".into(), "Biển Đông".into(), "!!!".into()],
        );
        assert_eq!(
            got,
            vec![
                (LabelKind::Author, "ngoc-thu".into(), "Ngọc Thư".into()),
                (LabelKind::Tag, "bien-dong".into(), "Biển Đông".into()),
            ]
        );
    }
}
