//! JUnit XML, the test report format CI systems (GitLab, Jenkins, Azure, ...) read: one
//! testsuite, one testcase per document, one `<failure>` per error (and per warning with
//! `--strict`, since those fail the run too).

use crate::{Finding, Report, Severity};

/// The JUnit document for all the reports.
pub fn junit(reports: &[Report], strict: bool) -> String {
    let fails = |f: &Finding| f.severity == Severity::Error || strict;
    let failed = reports
        .iter()
        .filter(|r| r.findings.iter().any(fails))
        .count();
    let counts = format!(
        "tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\"",
        reports.len()
    );
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!("<testsuites name=\"vnfeed check\" {counts}>\n"));
    out.push_str(&format!("  <testsuite name=\"vnfeed check\" {counts}>\n"));
    for report in reports {
        let name = escape(&report.source);
        out.push_str(&format!(
            "    <testcase classname=\"vnfeed check\" name=\"{name}\">\n"
        ));
        let mut others = String::new();
        for finding in &report.findings {
            let line = escape(&format!("{}:{finding}", report.source));
            if fails(finding) {
                out.push_str(&format!(
                    "      <failure type=\"{}\" message=\"{}\">{line}</failure>\n",
                    finding.rule.code(),
                    escape(&finding.message)
                ));
            } else {
                others.push_str(&line);
                others.push('\n');
            }
        }
        if !others.is_empty() {
            out.push_str(&format!("      <system-out>{others}</system-out>\n"));
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Text and attribute escaping; characters XML 1.0 forbids (they can come from the
/// checked document, quoted in a message) become U+FFFD.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push_str(&format!("&#{};", c as u32)),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}
