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
mod extensions;
mod feed;
mod html;
mod html_safety;
pub mod http;
mod iri;
mod json_feed;
mod language;
pub mod output;
mod rss;
pub mod rules;
mod semantics;
pub mod site;
mod skip;
mod structure;
mod vocabularies;
mod xml;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use client::Client;
pub use http::{check_url, check_url_with};
pub use rules::{Rule, Severity};
pub use site::{Walk, check_input};

/// One problem, where it is. `line` and `column` are 1-based (columns count characters);
/// both are 0 for findings about the HTTP exchange or the input as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub line: u32,
    pub column: u32,
    pub severity: Severity,
    #[serde(rename = "code", serialize_with = "serialize_rule")]
    pub rule: Rule,
    pub message: String,
}

fn serialize_rule<S: serde::Serializer>(rule: &Rule, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(rule.code())
}

impl Finding {
    pub fn new(rule: Rule, line: u32, column: u32, message: impl Into<String>) -> Finding {
        Finding {
            line,
            column,
            severity: rule.severity(),
            rule,
            message: message.into(),
        }
    }

    /// A finding about the input or the exchange, not a place in the document.
    pub fn global(rule: Rule, message: impl Into<String>) -> Finding {
        Finding::new(rule, 0, 0, message)
    }
}

/// The formats the checker knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FeedFormat {
    #[serde(rename = "rss")]
    Rss,
    #[serde(rename = "atom")]
    Atom,
    #[serde(rename = "json")]
    JsonFeed,
}

/// `line:column: severity code: message`, on one line.
impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {} {}: {}",
            self.line,
            self.column,
            self.severity.as_str(),
            self.rule.code(),
            self.message.replace('\n', " ")
        )
    }
}

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

/// The findings for one input (a file, standard input or a URL).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The path or URL as given; `-` for standard input.
    pub source: String,
    pub format: Option<FeedFormat>,
    pub findings: Vec<Finding>,
    /// For a URL, the redirects followed to reach the document (permanent ones are also
    /// `http-redirect` findings).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redirects: Vec<client::Redirect>,
}

impl Report {
    /// A report with no findings yet.
    pub fn new(source: &str) -> Report {
        Report {
            source: source.to_string(),
            format: None,
            findings: Vec::new(),
            redirects: Vec::new(),
        }
    }

    /// A report whose input could not be checked at all.
    pub fn failed(source: &str, rule: Rule, message: impl Into<String>) -> Report {
        let mut report = Report::new(source);
        report.findings.push(Finding::global(rule, message));
        report
    }

    /// No errors (warnings allowed): what `vnfeed check` exits 0 for.
    pub fn is_valid(&self) -> bool {
        self.errors() == 0
    }

    /// No finding at all, warnings included: what `vnfeed check --strict` exits 0 for.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }

    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Puts findings in document order, HTTP findings first, so output is stable.
    pub(crate) fn sort(&mut self) {
        self.findings.sort_by(|a, b| {
            (a.line, a.column, a.rule, &a.message).cmp(&(b.line, b.column, b.rule, &b.message))
        });
    }
}

/// One line per finding, `source:line:column: severity code: message`, as `vnfeed check`
/// prints them.
impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for finding in &self.findings {
            writeln!(f, "{}:{finding}", self.source)?;
        }
        Ok(())
    }
}

/// A document after the checks: its format (when it could be told) and the findings.
#[derive(Debug, Clone)]
pub struct Checked {
    pub format: Option<FeedFormat>,
    /// The character encoding the document was read in (XML only; JSON is UTF-8).
    pub encoding: Option<&'static encoding_rs::Encoding>,
    pub findings: Vec<Finding>,
}

/// Checks one document, whatever its format.
pub fn check_document(bytes: &[u8], options: &Options) -> Checked {
    if json_feed::looks_like_json(bytes) {
        return Checked {
            format: Some(FeedFormat::JsonFeed),
            encoding: None,
            findings: json_feed::check(bytes, options),
        };
    }
    xml::check(bytes, options)
}

/// Checks a document read from `source` (a path, `-`, or anything else for the label).
pub fn check_bytes(source: &str, bytes: &[u8], options: &Options) -> Report {
    let checked = check_document(bytes, options);
    let mut report = Report::new(source);
    report.format = checked.format;
    report.findings = checked.findings;
    report.sort();
    report
}

/// Checks a file, or standard input when `path` is `-`.
pub fn check_file(path: &str, options: &Options) -> Report {
    use std::io::Read;
    let read = if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).map(|_| buf)
    } else {
        std::fs::read(path)
    };
    match read {
        Ok(bytes) => check_bytes(path, &bytes, options),
        Err(e) => Report::failed(path, Rule::Unreadable, format!("cannot read {path}: {e}")),
    }
}

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

/// Maps byte offsets in a document to 1-based lines and character columns, the way
/// roxmltree counts them, without rescanning the text for every finding.
pub(crate) struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    pub fn new(text: &'t str) -> LineIndex<'t> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    pub fn position(&self, offset: usize) -> (u32, u32) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let column = self.text[self.starts[line]..offset].chars().count() + 1;
        (line as u32 + 1, column as u32)
    }

    /// The byte offset of a 1-based line and byte column (as serde_json reports them).
    pub fn offset(&self, line: usize, byte_column: usize) -> usize {
        let start = self
            .starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len());
        (start + byte_column.saturating_sub(1)).min(self.text.len())
    }
}

/// Collects findings against byte offsets of one document.
pub(crate) struct Sink<'t> {
    index: LineIndex<'t>,
    findings: Vec<Finding>,
}

impl<'t> Sink<'t> {
    pub fn new(text: &'t str) -> Sink<'t> {
        Sink {
            index: LineIndex::new(text),
            findings: Vec::new(),
        }
    }

    pub fn at(&mut self, offset: usize, rule: Rule, message: impl Into<String>) {
        let (line, column) = self.index.position(offset);
        self.findings
            .push(Finding::new(rule, line, column, message));
    }

    pub fn line_of(&self, offset: usize) -> u32 {
        self.index.position(offset).0
    }

    pub fn index(&self) -> &LineIndex<'t> {
        &self.index
    }

    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_counts_characters_not_bytes() {
        let text = "ab\nĐảng x\n\nz";
        let index = LineIndex::new(text);
        assert_eq!(index.position(0), (1, 1));
        assert_eq!(index.position(3), (2, 1));
        let x = text.find('x').unwrap();
        assert_eq!(index.position(x), (2, 6));
        assert_eq!(index.position(text.len()), (4, 2));
        let z = text.find('z').unwrap();
        assert_eq!(index.position(z), (4, 1));
    }
}
