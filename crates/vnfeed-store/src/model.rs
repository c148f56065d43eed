//! The domain: articles, their bodies and images, and the feeds they are grouped into.
//! Plain data with no I/O; timestamps are typed instants, rendered to Vietnam time only at the edges.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One block of an article body. Kept structured rather than as HTML so every renderer
/// (RSS, Atom, the HTML page) escapes text itself and a caption can never be shown twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Paragraph {
        text: String,
    },
    Figure {
        caption: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        src: Option<String>,
    },
    /// HTML that has already been through the sanitizer (from a JSON `content_html`).
    Html {
        html: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    pub url: String,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
}

/// Who chose an article's categories. Stored with it, so `vnfeed reclassify` moves only what
/// the rules chose when the rules change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Categorized {
    /// The source named them (JSON `categories`, the API): never moved by new rules. Also
    /// what articles stored before this was recorded are taken to be: nothing an editor may
    /// have chosen is moved by a guess.
    Explicitly,
    /// The rules of the feed definitions derived them from the text.
    ByRules,
}

/// What an importer hands to the store: everything but the store's own decisions
/// (the unique slug, and `updated` when the source does not say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// The caller's stable id: the text file's name, a JSON `id`, or one derived from the URL.
    pub id: String,
    pub title: String,
    /// Plain text, never HTML (a summary taken from `content_html` has its entities
    /// decoded): every output that shows it as HTML escapes it.
    pub summary: String,
    pub body: Vec<Block>,
    pub author: Option<String>,
    pub published: DateTime<Utc>,
    /// Set only when the source says when the article was last edited.
    pub updated: Option<DateTime<Utc>>,
    /// Feed slugs, sorted and unique.
    pub categories: Vec<String>,
    /// Who chose `categories`.
    pub categorized: Categorized,
    pub url: Option<String>,
    pub image: Option<Image>,
    /// Keywords: NFC, lowercase, diacritics kept (`biển đông`), unique by their slug, in
    /// byte order. Each names a tag feed, `/feeds/tags/{slug}`.
    pub tags: Vec<String>,
}

impl Draft {
    /// The article this draft becomes when first stored under `slug` (`updated` as the
    /// store sets it on creation): for rendering a draft with no store, as the property tests
    /// and the fuzz targets do.
    pub fn into_article(self, slug: String) -> Article {
        Article {
            slug,
            updated: self.updated.unwrap_or(self.published).max(self.published),
            id: self.id,
            title: self.title,
            summary: self.summary,
            body: self.body,
            author: self.author,
            published: self.published,
            categories: self.categories,
            categorized: self.categorized,
            url: self.url,
            image: self.image,
            tags: self.tags,
        }
    }
}

/// A stored article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    pub id: String,
    /// ASCII, unique in the store, fixed at first insert so links survive title edits.
    pub slug: String,
    pub title: String,
    /// Plain text, never HTML: see [`Draft::summary`].
    pub summary: String,
    pub body: Vec<Block>,
    pub author: Option<String>,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub categories: Vec<String>,
    /// Who chose `categories`.
    pub categorized: Categorized,
    pub url: Option<String>,
    pub image: Option<Image>,
    /// See [`Draft::tags`].
    pub tags: Vec<String>,
}

impl Article {
    /// The GUID / Atom id. A name-based UUID of the article id, so it never depends on the
    /// base URL, the title or the slug: an edited or moved article keeps it.
    pub fn guid(&self) -> String {
        article_guid(&self.id)
    }
}

/// What is left of a deleted article: enough for an RFC 6721 `at:deleted-entry`, so
/// aggregators that saw it can retract it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tombstone {
    pub id: String,
    /// When it was deleted, as stored (whole seconds): never the time of a render.
    pub deleted: DateTime<Utc>,
    /// The categories it was in when deleted, sorted.
    pub categories: Vec<String>,
}

impl Tombstone {
    pub fn guid(&self) -> String {
        article_guid(&self.id)
    }
}

const GUID_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6f1c_2a3e_9b4d_4c1f_8a7e_5d3b_2c1a_0f9e);

pub fn article_guid(id: &str) -> String {
    let uuid = uuid::Uuid::new_v5(&GUID_NAMESPACE, format!("article:{id}").as_bytes());
    format!("urn:uuid:{uuid}")
}

pub fn feed_guid(slug: &str) -> String {
    let uuid = uuid::Uuid::new_v5(&GUID_NAMESPACE, format!("feed:{slug}").as_bytes());
    format!("urn:uuid:{uuid}")
}

/// Output formats of a feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    Rss,
    Atom,
    /// JSON Feed 1.1.
    Json,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Rss, Format::Atom, Format::Json];

    pub fn extension(self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
            Format::Json => "json",
        }
    }

    pub fn from_extension(ext: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.extension() == ext)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            // JSON is UTF-8 by definition (RFC 8259): no charset parameter.
            Format::Json => "application/feed+json",
        }
    }

    /// The media type alone, for `type` attributes of links.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml",
            Format::Atom => "application/atom+xml",
            Format::Json => "application/feed+json",
        }
    }

    /// How the format is called in links people read.
    pub fn label(self) -> &'static str {
        match self {
            Format::Rss => "RSS",
            Format::Atom => "Atom",
            Format::Json => "JSON Feed",
        }
    }
}
