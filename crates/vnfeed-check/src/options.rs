//! What a check needs beyond the bytes: the instant it runs at and where the document came
//! from. Read by the format checks and the HTTP front, re-exported by `lib.rs`.

use chrono::{DateTime, Utc};

/// What the checker needs beyond the bytes.
#[derive(Debug, Clone)]
pub struct Options {
    /// "Now", for dates in the future. Passed in so a check is repeatable.
    pub now: DateTime<Utc>,
    /// The URL the document was fetched from, if any: the self link must match it.
    pub location: Option<String>,
}

impl Options {
    pub fn at(now: DateTime<Utc>) -> Options {
        Options {
            now,
            location: None,
        }
    }

    /// The same options, for a document fetched from `location`.
    pub fn located(mut self, location: &str) -> Options {
        self.location = Some(location.to_string());
        self
    }
}
