//! How reports are shown: one line per finding for people and scripts
//! (`path:line:col: severity code: message`), JSON for tools, and the formats CI systems
//! read (SARIF, JUnit, GitHub annotations); and the exit verdict.

mod github;
mod junit;
mod sarif;

pub use github::github;
pub use junit::junit;
pub use sarif::sarif;

use serde::Serialize;

use super::{Report, Severity};

/// The overall outcome, from which `main` picks the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No errors (and, with `--strict`, no warnings): exit 0.
    Clean,
    /// At least one error: exit 1.
    Errors,
    /// Warnings only, and `--strict` asked for them to fail: exit 2.
    Warnings,
}

impl Verdict {
    pub fn of(reports: &[Report], strict: bool) -> Verdict {
        if reports.iter().any(|r| r.errors() > 0) {
            Verdict::Errors
        } else if strict && reports.iter().any(|r| r.warnings() > 0) {
            Verdict::Warnings
        } else {
            Verdict::Clean
        }
    }

    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Clean => 0,
            Verdict::Errors => 1,
            Verdict::Warnings => 2,
        }
    }
}

/// One line per finding, in report order.
pub fn text(reports: &[Report]) -> String {
    reports.iter().map(Report::to_string).collect()
}

/// `[{"source", "format", "errors", "warnings", "findings": [{line, column, severity, code,
/// message}]}]`, one object per input.
pub fn json(reports: &[Report]) -> String {
    #[derive(Serialize)]
    struct Out<'a> {
        #[serde(flatten)]
        report: &'a Report,
        errors: usize,
        warnings: usize,
    }
    let out: Vec<Out<'_>> = reports
        .iter()
        .map(|report| Out {
            report,
            errors: report.errors(),
            warnings: report.warnings(),
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&out).expect("reports serialize");
    s.push('\n');
    s
}

/// `checked 3 documents: 1 error, 2 warnings`.
pub fn summary(reports: &[Report]) -> String {
    let count = |sev: Severity| -> usize {
        reports
            .iter()
            .flat_map(|r| &r.findings)
            .filter(|f| f.severity == sev)
            .count()
    };
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    format!(
        "checked {}: {}, {}",
        plural(reports.len(), "document"),
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning")
    )
}
