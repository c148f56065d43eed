//! Which feed a read is about: every article (`all`) or one category's, one type for both
//! so that "all" is never `None` in one place and the string `"all"` in another.

/// The slug of the feed of every article, which is also its history key.
pub const ALL_SLUG: &str = "all";

/// Which feed a read is about: every article (`all`), or one category's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeedKey<'a> {
    All,
    /// A category slug.
    Category(&'a str),
}

impl<'a> FeedKey<'a> {
    /// The feed whose history is kept under `key` ([`FeedKey::history_key`]).
    pub fn of_history_key(key: &'a str) -> FeedKey<'a> {
        if key == ALL_SLUG {
            FeedKey::All
        } else {
            FeedKey::Category(key)
        }
    }

    /// The category slug, or `None` for `all`.
    pub fn category(self) -> Option<&'a str> {
        match self {
            FeedKey::All => None,
            FeedKey::Category(slug) => Some(slug),
        }
    }

    /// The key of the feed's history and change marks: its category slug, or `all`.
    pub fn history_key(self) -> &'a str {
        self.category().unwrap_or(ALL_SLUG)
    }

    /// The same key owning its slug, for work moved to another thread.
    pub fn owned(self) -> OwnedFeedKey {
        OwnedFeedKey(self.category().map(str::to_string))
    }
}

/// A [`FeedKey`] that owns its category slug.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OwnedFeedKey(Option<String>);

impl OwnedFeedKey {
    pub fn as_key(&self) -> FeedKey<'_> {
        match &self.0 {
            None => FeedKey::All,
            Some(slug) => FeedKey::Category(slug),
        }
    }
}
