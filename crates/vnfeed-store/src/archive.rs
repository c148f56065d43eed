//! The rules of a feed's history (RFC 5005 archived feeds) and of its validators, shared by
//! every backend so they cannot drift apart: which archive page an entry goes to, what an
//! entry weighs, what a document's `Last-Modified` is, and which articles are shown yet.
//! Backends only run the SQL around these, and answer a page read as an [`ArchivePage`].
//!
//! The history of a feed holds **one entry per article**, always showing the article as it
//! is now (no frozen copies): every write that creates or changes an article takes it out
//! of the history of every feed it was in and appends it to the end of the history of every
//! feed it is in now, so an archive holds one version of each entry and the newest version
//! is where a client walking the archives from the newest end meets it first (RFC 5005
//! section 4 lets a client keep the newest version of an id). A deletion takes it out.
//!
//! Entries are grouped into numbered archive pages, counted from the oldest. An entry goes
//! to the newest page unless that page already holds [`ARCHIVE_PAGE_ENTRIES`] entries or
//! adding it would pass [`ARCHIVE_PAGE_BYTES`]: then the page is closed early and the next
//! page starts (an article heavier than the cap gets a page of its own). A closed page never
//! gains an entry from a write; it only loses the entries of articles that changed, moved
//! or were deleted since. The page of every entry is stored, so every replica and every
//! backend serves the same pages.

use chrono::{DateTime, Utc};

use crate::model::Article;
use crate::record::Row;

/// Entries per archive page at most.
pub const ARCHIVE_PAGE_ENTRIES: i64 = 100;

/// Stored bytes of the articles of one archive page at most (see [`weight`]): 2 MiB, which
/// holds a hundred articles of ordinary length (5-15 KB of text each) while a page of long
/// reads is closed early. A rendered document is its entries' text plus markup, a few KB per
/// entry; escaping can expand text (`<` is four bytes in XML), six times in the worst case.
pub const ARCHIVE_PAGE_BYTES: i64 = 2 * 1024 * 1024;

/// The newest archive page of a feed as stored: its number (0 while the feed has none) and
/// what it holds now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenPage {
    pub page: i64,
    pub entries: i64,
    pub bytes: i64,
}

/// The archive page an entry of `weight` bytes goes to when the feed's newest page is `open`.
pub fn place(open: OpenPage, weight: i64) -> i64 {
    if open.page == 0 {
        return 1;
    }
    let fits = open.entries < ARCHIVE_PAGE_ENTRIES
        && (open.entries == 0 || open.bytes.saturating_add(weight) <= ARCHIVE_PAGE_BYTES);
    if fits { open.page } else { open.page + 1 }
}

/// What an article weighs in an archive page: the bytes of the text it is rendered from,
/// as stored (so both backends and every replica count the same).
pub fn weight(row: &Row) -> i64 {
    let optional = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    let bytes = row.title.len()
        + row.summary.len()
        + row.body.len()
        + optional(&row.author)
        + optional(&row.url)
        + optional(&row.image);
    i64::try_from(bytes).unwrap_or(i64::MAX)
}

/// A document's `Last-Modified`, in Unix seconds: the later of the last stored change of the
/// document (written by the write that made it, at that write's `now`) and the newest
/// `published` among the articles it shows. The second covers articles that were written
/// before their time and appeared at it, with no write then; since only articles whose time
/// has come are shown, neither can be later than now (a far-future date pins nothing).
pub fn last_modified(stored_change: Option<i64>, newest_shown: Option<i64>) -> Option<i64> {
    stored_change.max(newest_shown)
}

/// One archive page of a feed as readers get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivePage {
    /// The articles shown now, oldest entry first, each as it is now.
    pub articles: Vec<Article>,
    /// See [`last_modified`]; `None` for a page nothing was ever written to.
    pub last_modified: Option<DateTime<Utc>>,
}

/// [`last_modified`] as an instant; a stored value out of range is no validator at all.
pub fn last_modified_at(
    stored_change: Option<i64>,
    newest_shown: Option<i64>,
) -> Option<DateTime<Utc>> {
    last_modified(stored_change, newest_shown).and_then(|s| DateTime::from_timestamp(s, 0))
}

/// Whether an article published at `published` is shown at `now` (both Unix seconds): an
/// article dated in the future is stored but in no feed, page, archive or HTML page until
/// its time.
pub fn shown(published: i64, now: i64) -> bool {
    published <= now
}

/// Whether deleting an article published at `published` leaves a tombstone at `now`: only if
/// it was ever shown. A scheduled article was in no feed, so there is nothing to retract.
pub fn leaves_tombstone(published: i64, now: i64) -> bool {
    shown(published, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(page: i64, entries: i64, bytes: i64) -> OpenPage {
        OpenPage {
            page,
            entries,
            bytes,
        }
    }

    #[test]
    fn a_page_closes_at_its_entry_count_or_its_byte_cap_whichever_comes_first() {
        assert_eq!(place(OpenPage::default(), 10), 1);
        assert_eq!(place(open(1, 99, 0), 10), 1);
        assert_eq!(place(open(1, ARCHIVE_PAGE_ENTRIES, 0), 10), 2);
        assert_eq!(place(open(3, 5, ARCHIVE_PAGE_BYTES - 10), 10), 3);
        assert_eq!(place(open(3, 5, ARCHIVE_PAGE_BYTES - 10), 11), 4);
        // An entry heavier than the cap still gets a page: its own, or an empty one.
        assert_eq!(place(open(4, 0, 0), ARCHIVE_PAGE_BYTES * 3), 4);
        assert_eq!(place(open(4, 1, 1), ARCHIVE_PAGE_BYTES * 3), 5);
    }

    #[test]
    fn last_modified_is_the_later_of_the_change_and_the_newest_shown() {
        assert_eq!(last_modified(None, None), None);
        assert_eq!(last_modified(Some(5), None), Some(5));
        assert_eq!(last_modified(None, Some(7)), Some(7));
        assert_eq!(last_modified(Some(9), Some(7)), Some(9));
        assert!(shown(10, 10) && !shown(11, 10));
        assert!(leaves_tombstone(10, 10) && !leaves_tombstone(11, 10));
    }
}
