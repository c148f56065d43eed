//! A feed's content held by the test, for rendering straight through `render` without a
//! server: the articles and tombstones a `FeedView` borrows.

use vnfeed::feeds::{FeedDef, FeedSet};
use vnfeed::model::{Article, Tombstone};
use vnfeed::render::{FeedView, Site};
use vnfeed::store::{Store, StoreError};

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
        let category = (!feed.is_all()).then_some(feed.slug.as_str());
        Ok(FeedContent {
            articles: store.latest(category, limit).await?,
            tombstones: store.tombstones(category, limit).await?,
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
