//! What a check hands back: the findings for one document (`Checked`) or for one input (a
//! file, standard input or a URL: `Report`), and the format it was found to be. The format
//! checks, the HTTP front and the output formats pass these to each other; `lib.rs`
//! re-exports them.

use serde::Serialize;

use crate::client;
use crate::finding::Finding;
use crate::rules::{Rule, Severity};

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
