//! vnfeed-check, the library behind `vnfeed check`: a validator for RSS 2.0, Atom 1.0 and
//! JSON Feed 1.1 documents, and for the HTTP side of a feed URL. The document checks are
//! offline and deterministic: the clock is an argument.
//!
//! The document is decoded and parsed once (`xml` with positions, or `json_feed`), each
//! format's module checks its spec's rules and gathers the format-neutral `feed::Facts`,
//! and `feed` applies the rules every format shares (self link, ids, dates, language).
//! Every finding carries the line and column it is about; the rule table is in [`rules`]
//! (and in docs/check-rules.md). Fetching is [`client`]'s; walking what a page, an OPML list
//! or a feed's paging links lead to is [`site`]'s; printing is [`output`]'s.
//!
//! # Checking bytes, a file or a URL
//!
//! ```
//! use vnfeed_check::{Options, Rule, Severity, check_bytes};
//!
//! let feed = r#"<?xml version="1.0" encoding="utf-8"?>
//! <rss version="2.0"><channel>
//!   <title>Tin nhanh</title>
//!   <link>https://bao.example/</link>
//!   <description>Tin trong ngày</description>
//!   <ttl>nửa giờ</ttl>
//! </channel></rss>"#;
//! let now = "2025-06-01T00:00:00Z".parse().unwrap();
//! let report = check_bytes("tin-nhanh.rss", feed.as_bytes(), &Options::at(now));
//! let ttl = report.findings.iter().find(|f| f.rule == Rule::RssInteger).unwrap();
//! // Line 6, column 8: the text of <ttl>, where the problem is.
//! assert_eq!((ttl.line, ttl.column, ttl.severity), (6, 8, Severity::Error));
//! assert!(!report.is_valid());
//! // The lines `vnfeed check` prints (this feed also lacks a self link and a language):
//! let printed = report.to_string();
//! assert!(printed.lines().any(|l| l.starts_with("tin-nhanh.rss:6:8: error rss-integer: ")));
//! ```
//!
//! [`check_file`] reads a path (or standard input for `-`), [`check_url`] fetches over
//! http or https and adds the HTTP checks, and [`check_input`] follows an HTML page's or
//! an OPML list's feeds and, with [`Walk::follow`], every page and archive:
//!
//! ```no_run
//! # async fn run() {
//! use vnfeed_check::{Client, Options, Walk, check_input, client::Limits};
//!
//! let client = Client::new(Limits::DEFAULT).unwrap();
//! let walk = Walk { follow: true, ..Walk::DEFAULT };
//! let options = Options::at(chrono::Utc::now());
//! let walked = check_input(&client, "https://bao.example/", &walk, &options).await;
//! for report in &walked.reports {
//!     print!("{report}");
//! }
//! # }
//! ```
//!
//! # In tests
//!
//! [`assert_valid_feed!`] fails a test with every finding listed when a feed has an error
//! (and [`assert_clean_feed!`] when it has any finding, warnings included):
//!
//! ```
//! let feed = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "Tin nhanh",
//!   "feed_url": "https://bao.example/tin.json", "language": "vi", "items": [
//!   {"id": "https://bao.example/a", "content_text": "Mưa lớn ở Hà Nội."}]}"#;
//! vnfeed_check::assert_valid_feed!(feed);
//! vnfeed_check::assert_clean_feed!(feed, "the feed of {}", "tin-nhanh");
//! ```
//!
//! ```should_panic
//! // Panics with "the feed has 1 error: feed:1:1: error json-syntax: ..."
//! vnfeed_check::assert_valid_feed!(b"{not json");
//! ```

mod atom;
mod blank;
mod characters;
pub mod client;
mod date;
mod discover;
mod document;
mod extensions;
mod feed;
mod finding;
mod html;
mod html_safety;
pub mod http;
mod iri;
mod json_feed;
mod language;
mod media_type;
mod options;
pub mod output;
mod report;
mod rss;
pub mod rules;
mod semantics;
mod sink;
pub mod site;
mod skip;
mod structure;
mod vocabularies;
mod xml;
mod xml_feed;

use chrono::Utc;

pub use client::Client;
pub use document::{check_bytes, check_document, check_file};
pub use finding::Finding;
pub use http::{check_url, check_url_with};
pub use options::Options;
pub use report::{Checked, FeedFormat, Report};
pub use rules::{Rule, Severity};
pub use site::{Walk, check_input};

/// Checks `feed` as of now and panics, listing every finding, if it has an error (or,
/// with `strict`, any finding). What [`assert_valid_feed!`] and [`assert_clean_feed!`] call.
#[doc(hidden)]
#[track_caller]
pub fn assert_feed(feed: &[u8], strict: bool, context: Option<std::fmt::Arguments<'_>>) {
    let report = check_bytes("feed", feed, &Options::at(Utc::now()));
    let failing = if strict {
        report.findings.len()
    } else {
        report.errors()
    };
    if failing > 0 {
        let what = if strict { "finding" } else { "error" };
        let plural = if failing == 1 { "" } else { "s" };
        let context = context.map(|c| format!("{c}: ")).unwrap_or_default();
        panic!("{context}the feed has {failing} {what}{plural}:\n{report}");
    }
}

/// Asserts that a feed (anything that is `AsRef<[u8]>`: bytes, a `String`, a `&str`) has
/// no error, checked as of now; on failure the panic lists every finding, one per line
/// (`feed:line:column: severity code: message`). Warnings are allowed; see
/// [`assert_clean_feed!`]. A message with format arguments may follow, as with `assert!`.
#[macro_export]
macro_rules! assert_valid_feed {
    ($feed:expr $(,)?) => {
        $crate::assert_feed(::std::convert::AsRef::<[u8]>::as_ref(&$feed), false, None)
    };
    ($feed:expr, $($arg:tt)+) => {
        $crate::assert_feed(
            ::std::convert::AsRef::<[u8]>::as_ref(&$feed),
            false,
            Some(format_args!($($arg)+)),
        )
    };
}

/// Like [`assert_valid_feed!`], but warnings fail too: what `vnfeed check --strict` asks.
#[macro_export]
macro_rules! assert_clean_feed {
    ($feed:expr $(,)?) => {
        $crate::assert_feed(::std::convert::AsRef::<[u8]>::as_ref(&$feed), true, None)
    };
    ($feed:expr, $($arg:tt)+) => {
        $crate::assert_feed(
            ::std::convert::AsRef::<[u8]>::as_ref(&$feed),
            true,
            Some(format_args!($($arg)+)),
        )
    };
}
