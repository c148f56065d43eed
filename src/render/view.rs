//! What every renderer reads: the site (its URLs and name), one feed's view of the store,
//! and the generator's name. A leaf of `render`: the format modules all use it, and it uses
//! none of them.

use chrono::{DateTime, Utc};

use crate::feeds::{FeedDef, FeedSet};
use crate::identity::{Images, SiteFile};
use crate::model::{Article, Format, Tombstone};
use crate::polling::Polling;

/// Where the site lives and what it is called: everything links from `base_url`.
#[derive(Debug, Clone)]
pub struct Site {
    /// Absolute, without a trailing slash.
    pub base_url: String,
    pub title: String,
    /// The WebSub hub every subscription document names, if any.
    pub hub: Option<String>,
    /// How long readers may keep a feed whose file sets no `ttl` (`--feed-ttl`).
    pub polling: Polling,
    /// The combined feed's description, from the site file; its built-in one otherwise.
    pub description: Option<String>,
    /// Icon, logo and favicon: the site file's, or vnfeed's built-in ones.
    pub images: Images,
}

impl Site {
    pub fn new(base_url: &str, title: &str) -> Site {
        Site {
            base_url: base_url.trim_end_matches('/').to_string(),
            title: title.to_string(),
            hub: None,
            polling: Polling::default(),
            description: None,
            images: Images::builtin(),
        }
    }

    /// The site file's description and images (its title is chosen with `--site-title`).
    pub fn with_site_file(mut self, file: &SiteFile) -> Site {
        self.description = file.description.clone();
        self.images = file.images();
        self
    }

    /// Sets the site default of the polling hint (minutes).
    pub fn with_ttl(mut self, minutes: u32) -> Site {
        self.polling = Polling::every(minutes);
        self
    }

    /// How long readers may keep `feed`: its own `ttl`, else the site default.
    pub fn polling(&self, feed: &FeedDef) -> Polling {
        feed.ttl.map_or(self.polling, Polling::every)
    }

    pub fn with_hub(mut self, hub: Option<String>) -> Site {
        self.hub = hub;
        self
    }

    pub fn index_url(&self) -> String {
        format!("{}/", self.base_url)
    }

    pub fn feed_url(&self, slug: &str, format: Format) -> String {
        format!("{}/feeds/{slug}.{}", self.base_url, format.extension())
    }

    /// Page `number` of the paged feed; page 1 is the feed itself.
    pub fn feed_page_url(&self, slug: &str, format: Format, number: u64) -> String {
        match number {
            0 | 1 => self.feed_url(slug, format),
            n => format!("{}?page={n}", self.feed_url(slug, format)),
        }
    }

    pub fn archive_url(&self, slug: &str, format: Format, number: u64) -> String {
        format!(
            "{}/feeds/{slug}/archive/{number}.{}",
            self.base_url,
            format.extension()
        )
    }

    /// The HTML page of a feed: a category's latest articles and its feed links. An
    /// author's or a tag's feed (slug `authors/…`, `tags/…`) has its page at `/authors/…`.
    pub fn category_url(&self, slug: &str) -> String {
        if slug.contains('/') {
            return format!("{}/{slug}", self.base_url);
        }
        format!("{}/categories/{slug}", self.base_url)
    }

    pub fn opml_url(&self) -> String {
        format!("{}/feeds.opml", self.base_url)
    }

    /// An image URL as readers must see it: absolute. Paths on this server (`/media/...`)
    /// get the base URL in front.
    pub fn absolute(&self, url: &str) -> String {
        if url.starts_with('/') {
            format!("{}{url}", self.base_url)
        } else {
            url.to_string()
        }
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

    /// The feed's description; the site file's for the combined feed when it gives one.
    pub fn description(&self) -> &str {
        match &self.site.description {
            Some(d) if self.feed.is_all() => d,
            _ => &self.feed.description,
        }
    }

    /// The feed's icon, logo and favicon as absolute URLs: its own where its definition
    /// gives them, the site's otherwise.
    pub fn images(&self) -> Images {
        let mut images = self
            .site
            .images
            .with(self.feed.icon.as_deref(), self.feed.logo.as_deref());
        for image in [&mut images.icon, &mut images.logo, &mut images.favicon] {
            image.url = self.site.absolute(&image.url);
        }
        if let Some(svg) = &mut images.svg {
            svg.url = self.site.absolute(&svg.url);
        }
        images
    }

    /// Whether items carry their whole body, or only the lead and the link.
    pub fn full_content(&self) -> bool {
        self.feed.content == crate::feeds::ContentMode::Full
    }

    /// The article's image as readers get it: an absolute URL, with its type and size when
    /// the article says (or the media directory measured them before rendering).
    pub fn image(&self, article: &Article) -> Option<ImageRef> {
        article.image.as_ref().map(|image| ImageRef {
            url: self.site.absolute(&image.url),
            mime_type: image.mime_type.clone(),
            length: image.length,
        })
    }
}

/// An image as every format writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub url: String,
    pub mime_type: Option<String>,
    pub length: Option<u64>,
}

pub const GENERATOR: &str = "vnfeed";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
