//! Checking one document whatever its format: JSON Feed or XML (RSS, Atom) is told from the
//! bytes and handed to its checks; a file or standard input becomes a sorted `Report`. The
//! HTTP and site fronts call these, so they live here and not in `lib.rs`, which re-exports
//! them.

use crate::options::Options;
use crate::report::{Checked, FeedFormat, Report};
use crate::rules::Rule;
use crate::{json_feed, xml_feed};

/// Checks one document, whatever its format.
pub fn check_document(bytes: &[u8], options: &Options) -> Checked {
    if json_feed::looks_like_json(bytes) {
        return Checked {
            format: Some(FeedFormat::JsonFeed),
            encoding: None,
            findings: json_feed::check(bytes, options),
        };
    }
    xml_feed::check(bytes, options)
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
