//! Feed documents: which articles and which history links make up each document of a feed
//! (a page of the paged feed, or an archive page), read from the store and ready to render.
//! The cache, the on-demand routes and `vnfeed render` all go through here, so a document
//! is the same bytes whoever asks for it.

pub mod labels;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::feeds::{FeedDef, FeedSet};
use crate::media::MediaDir;
use crate::model::{Article, Format, Tombstone};
use crate::render::history::{self, Nav};
use crate::render::{self, FeedView, Site};
use crate::store::{FeedKey, Store, StoreError};

/// One document's content: its articles and where it sits in the feed's history.
#[derive(Debug, Clone)]
pub struct Doc {
    pub articles: Vec<Article>,
    /// RFC 6721 deletions: only the subscription document carries them.
    pub tombstones: Vec<Tombstone>,
    pub nav: Nav,
    /// The document's `Last-Modified`, as the store keeps it (see `store::archive`): the
    /// time of its last change, so every replica sends the same, never a future date.
    pub last_modified: Option<DateTime<Utc>>,
}

/// Reads feed documents from the store.
#[derive(Clone)]
pub struct Documents {
    pub store: Arc<dyn Store>,
    pub feeds: Arc<FeedSet>,
    pub site: Arc<Site>,
    /// Items per page of the paged feed.
    pub limit: usize,
    pub media: Option<Arc<MediaDir>>,
}

fn key(feed: &FeedDef) -> FeedKey<'_> {
    if feed.is_all() {
        FeedKey::All
    } else {
        FeedKey::Category(&feed.slug)
    }
}

impl Documents {
    /// Page `number` (1-based) of the paged feed; `None` past the last page. Page 1 always
    /// exists, empty or not.
    pub async fn page(&self, feed: &FeedDef, number: u64) -> Result<Option<Doc>, StoreError> {
        let key = key(feed);
        let count = self.store.count_in(key).await?;
        let last = history::page_count(count, self.limit);
        if number == 0 || number > last {
            return Ok(None);
        }
        let offset = (number - 1).saturating_mul(self.limit as u64);
        let articles = self.store.page(key, offset, self.limit).await?;
        let (newest_archive, tombstones) = if number == 1 {
            let newest = Some(self.store.archive_count(key).await?).filter(|n| *n > 0);
            (newest, self.store.tombstones(key, self.limit).await?)
        } else {
            (None, Vec::new())
        };
        // Any change to the feed may shift every page: they share the feed's time.
        let last_modified = self.store.last_modified(key).await?;
        Ok(Some(Doc {
            articles: self.measured(articles).await,
            tombstones,
            nav: Nav::Page {
                number,
                last,
                newest_archive,
            },
            last_modified,
        }))
    }

    /// Archive page `number` (1-based, counted from the oldest history entry) and whether it
    /// is closed, i.e. no write will add to it again; `None` if there is no such page.
    pub async fn archive(
        &self,
        feed: &FeedDef,
        number: u64,
    ) -> Result<Option<(Doc, bool)>, StoreError> {
        let key = key(feed);
        let newest = self.store.archive_count(key).await?;
        let Some(page) = self.store.archive(key, number).await? else {
            return Ok(None);
        };
        // A page opened between the two reads: this one is then no longer the newest.
        let newest = newest.max(number);
        // Oldest first in the history; newest first in a feed document, like every feed.
        let mut articles = page.articles;
        articles.reverse();
        let doc = Doc {
            articles: self.measured(articles).await,
            tombstones: Vec::new(),
            nav: Nav::Archive { number, newest },
            last_modified: page.last_modified,
        };
        Ok(Some((doc, history::archive_is_closed(number, newest))))
    }

    /// Fills in image types and lengths the articles do not give, from the media directory.
    async fn measured(&self, mut articles: Vec<Article>) -> Vec<Article> {
        if let Some(media) = &self.media {
            media.complete(&mut articles).await;
        }
        articles
    }

    pub fn render(&self, feed: &FeedDef, doc: &Doc, format: Format) -> Vec<u8> {
        render::document(&self.view(feed, doc), &doc.nav, format)
    }

    pub fn view<'a>(&'a self, feed: &'a FeedDef, doc: &'a Doc) -> FeedView<'a> {
        FeedView {
            site: &self.site,
            feed,
            feeds: &self.feeds,
            articles: &doc.articles,
            tombstones: &doc.tombstones,
        }
    }
}
