//! A feed's content held by the test, for rendering straight through `render` without a
//! server: the articles and tombstones a `FeedView` borrows.

use vnfeed::feeds::{FeedDef, FeedSet};
use vnfeed::model::{Article, Tombstone};
use vnfeed::render::{FeedView, Site};
use vnfeed::store::{FeedKey, Store, StoreError};

/// What one feed shows, read from the store: its newest articles and its tombstones.
pub struct FeedContent {
    pub articles: Vec<Article>,
    pub tombstones: Vec<Tombstone>,
}

impl FeedContent {
    pub async fn load(
        store: &dyn Store,
        feed: &FeedDef,
        limit: usize,
    ) -> Result<FeedContent, StoreError> {
        let key = if feed.is_all() {
            FeedKey::All
        } else {
            FeedKey::Category(&feed.slug)
        };
        Ok(FeedContent {
            articles: store.latest(key, limit).await?,
            tombstones: store.tombstones(key, limit).await?,
        })
    }

    pub fn view<'a>(
        &'a self,
        site: &'a Site,
        feed: &'a FeedDef,
        feeds: &'a FeedSet,
    ) -> FeedView<'a> {
        FeedView {
            site,
            feed,
            feeds,
            articles: &self.articles,
            tombstones: &self.tombstones,
        }
    }
}
