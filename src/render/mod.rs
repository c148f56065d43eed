//! Rendering: pure functions from a feed's view of the store to bytes. No I/O, no clock:
//! the same view always renders the same bytes, so ETags change only when content does.

pub mod atom;
pub mod body;
pub mod page;
pub mod rss;

use chrono::{DateTime, Utc};

use crate::feeds::{FeedDef, FeedSet};
use crate::model::{Article, Format, Tombstone};

/// Items in a feed unless configured otherwise.
pub const DEFAULT_LIMIT: usize = 50;

/// Where the site lives and what it is called: everything links from `base_url`.
#[derive(Debug, Clone)]
pub struct Site {
    /// Absolute, without a trailing slash.
    pub base_url: String,
    pub title: String,
}

impl Site {
    pub fn new(base_url: &str, title: &str) -> Site {
        Site {
            base_url: base_url.trim_end_matches('/').to_string(),
            title: title.to_string(),
        }
    }

    pub fn index_url(&self) -> String {
        format!("{}/", self.base_url)
    }

    pub fn feed_url(&self, slug: &str, format: Format) -> String {
        format!("{}/feeds/{slug}.{}", self.base_url, format.extension())
    }

    /// The article's own URL when it has one, else its page on this server.
    pub fn article_url(&self, article: &Article) -> String {
        article
            .url
            .clone()
            .unwrap_or_else(|| self.page_url(&article.slug))
    }

    pub fn page_url(&self, slug: &str) -> String {
        format!("{}/articles/{slug}", self.base_url)
    }
}

/// Everything a renderer needs for one feed.
#[derive(Debug, Clone, Copy)]
pub struct FeedView<'a> {
    pub site: &'a Site,
    pub feed: &'a FeedDef,
    /// For the Vietnamese labels of item categories.
    pub feeds: &'a FeedSet,
    /// Newest first, already limited.
    pub articles: &'a [Article],
    /// Articles deleted from this feed, newest first: Atom carries them as RFC 6721
    /// `at:deleted-entry`, and their time moves the feed's last change.
    pub tombstones: &'a [Tombstone],
}

impl FeedView<'_> {
    /// The newest `updated` among the items or deletion among the tombstones: the feed's
    /// last change, never the render time. A deletion must move it, or a reader asking
    /// with `If-Modified-Since` would never learn of it.
    pub fn last_updated(&self) -> Option<DateTime<Utc>> {
        let updated = self.articles.iter().map(|a| a.updated);
        let deleted = self.tombstones.iter().map(|t| t.deleted);
        updated.chain(deleted).max()
    }

    pub fn title(&self) -> String {
        format!("{} – {}", self.feed.title, self.site.title)
    }
}

/// Renders a feed in a format.
pub fn feed(view: &FeedView<'_>, format: Format) -> Vec<u8> {
    match format {
        Format::Rss => rss::render(view),
        Format::Atom => atom::render(view),
    }
}

pub const GENERATOR: &str = "vnfeed";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
