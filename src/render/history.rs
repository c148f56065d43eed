//! Feed history (RFC 5005): where a document sits among a feed's pages and archives, and the
//! links that say so. Pure arithmetic and URLs; the store says how many articles there are.
//!
//! Two ways back in time, for two kinds of reader:
//! - Paged feeds (`?page=N`, RFC 5005 section 3): the newest first, `limit` per page, page 1
//!   being the subscription document. Pages shift as articles arrive; they are for browsing.
//! - Archived feeds (RFC 5005 section 4): a feed's history holds each of its articles once,
//!   as it is now, in the order they were last written; the store groups it into numbered
//!   pages, counted from the oldest, closed at a count or a byte cap (`store::archive`). A
//!   new or edited article, even a back-dated one, only ever goes to the newest page; a
//!   closed page only loses the entries of articles edited, moved or deleted since.

use super::view::Site;
use crate::model::Format;

/// Which document of a feed's history is being rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Nav {
    /// A standalone render with no history links.
    #[default]
    None,
    /// Page `number` of the paged feed, of `last`. Page 1 is the subscription document: it
    /// also points at the newest archive page, if any.
    Page {
        number: u64,
        last: u64,
        newest_archive: Option<u64>,
    },
    /// Archive page `number`; `newest` is the newest archive page there is.
    Archive { number: u64, newest: u64 },
}

/// Pages of the paged feed for `count` articles: at least one, even when empty.
pub fn page_count(count: u64, limit: usize) -> u64 {
    count.div_ceil(limit.max(1) as u64).max(1)
}

/// An archive page is closed once a newer one exists: no write adds to it again (it can
/// still lose entries); the newest one may still grow.
pub fn archive_is_closed(number: u64, newest: u64) -> bool {
    number < newest
}

/// One link a document carries: an RFC 5005 / RFC 4287 / WebSub relation and its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NavLink {
    pub rel: &'static str,
    pub href: String,
}

impl Nav {
    pub fn is_archive(&self) -> bool {
        matches!(self, Nav::Archive { .. })
    }

    /// Only the subscription document names the hub: it is the WebSub topic.
    pub fn is_subscription(&self) -> bool {
        matches!(self, Nav::None | Nav::Page { number: 1, .. })
    }

    /// The document's own URL.
    pub fn self_url(&self, site: &Site, slug: &str, format: Format) -> String {
        match *self {
            Nav::None => site.feed_url(slug, format),
            Nav::Page { number, .. } => site.feed_page_url(slug, format, number),
            Nav::Archive { number, .. } => site.archive_url(slug, format, number),
        }
    }

    /// The history links besides `self`, in a fixed order.
    pub fn links(&self, site: &Site, slug: &str, format: Format) -> Vec<NavLink> {
        let page = |n| site.feed_page_url(slug, format, n);
        let archive = |n| site.archive_url(slug, format, n);
        let mut out = Vec::new();
        let mut push = |rel, href| out.push(NavLink { rel, href });
        match *self {
            Nav::None => {}
            Nav::Page {
                number,
                last,
                newest_archive,
            } => {
                push("first", page(1));
                if number > 1 {
                    push("previous", page(number - 1));
                }
                if number < last {
                    push("next", page(number + 1));
                }
                push("last", page(last));
                if number == 1
                    && let Some(newest) = newest_archive
                {
                    push("prev-archive", archive(newest));
                }
            }
            Nav::Archive { number, newest } => {
                push("current", site.feed_url(slug, format));
                if number > 1 {
                    push("prev-archive", archive(number - 1));
                }
                if number < newest {
                    push("next-archive", archive(number + 1));
                }
            }
        }
        out
    }

    /// The older document a JSON Feed's `next_url` leads to.
    pub fn older(&self, site: &Site, slug: &str, format: Format) -> Option<String> {
        let wanted = if self.is_archive() {
            "prev-archive"
        } else {
            "next"
        };
        self.links(site, slug, format)
            .into_iter()
            .find(|l| l.rel == wanted)
            .map(|l| l.href)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rels(nav: Nav) -> Vec<(&'static str, String)> {
        let site = Site::new("https://tin.example", "Tin");
        nav.links(&site, "borders", Format::Atom)
            .into_iter()
            .map(|l| (l.rel, l.href))
            .collect()
    }

    #[test]
    fn only_the_newest_archive_page_grows() {
        assert!(archive_is_closed(1, 2));
        assert!(!archive_is_closed(2, 2));
        assert_eq!(page_count(0, 50), 1);
        assert_eq!(page_count(50, 50), 1);
        assert_eq!(page_count(51, 50), 2);
    }

    #[test]
    fn page_links_follow_rfc_5005_names() {
        let first = rels(Nav::Page {
            number: 1,
            last: 3,
            newest_archive: Some(2),
        });
        let base = "https://tin.example/feeds/borders";
        assert_eq!(
            first,
            vec![
                ("first", format!("{base}.atom")),
                ("next", format!("{base}.atom?page=2")),
                ("last", format!("{base}.atom?page=3")),
                ("prev-archive", format!("{base}/archive/2.atom")),
            ]
        );
        let middle = rels(Nav::Page {
            number: 2,
            last: 3,
            newest_archive: Some(2),
        });
        assert_eq!(middle[1], ("previous", format!("{base}.atom")));
        assert_eq!(middle[2], ("next", format!("{base}.atom?page=3")));
        assert!(middle.iter().all(|(rel, _)| *rel != "prev-archive"));
        let archive = rels(Nav::Archive {
            number: 1,
            newest: 2,
        });
        assert_eq!(
            archive,
            vec![
                ("current", format!("{base}.atom")),
                ("next-archive", format!("{base}/archive/2.atom")),
            ]
        );
    }
}
