//! SARIF 2.1.0 (OASIS), the format code-scanning services read: one run, the whole rule
//! table as the tool's rules, one result per finding with its place when it has one.

use serde_json::{Value, json};

use crate::{Finding, Report, Rule, Severity};

/// Where the schema is published; code-scanning uploads accept this address.
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// One SARIF log for all the reports.
pub fn sarif(reports: &[Report]) -> String {
    let rules: Vec<Value> = Rule::ALL
        .iter()
        .map(|rule| {
            json!({
                "id": rule.code(),
                "shortDescription": { "text": rule.summary() },
                "defaultConfiguration": { "level": level(rule.severity()) },
            })
        })
        .collect();
    let results: Vec<Value> = reports
        .iter()
        .flat_map(|report| report.findings.iter().map(move |f| result(report, f)))
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "vnfeed check",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&log).expect("a SARIF log serializes");
    out.push('\n');
    out
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn result(report: &Report, finding: &Finding) -> Value {
    let index = Rule::ALL
        .iter()
        .position(|r| *r == finding.rule)
        .expect("every rule is in the table");
    let mut physical = json!({ "artifactLocation": { "uri": uri(&report.source) } });
    // Findings about the whole input or the HTTP exchange have no place (line 0), and a
    // SARIF region starts at line 1: they get the artifact alone.
    if finding.line > 0 {
        physical["region"] = json!({
            "startLine": finding.line,
            "startColumn": finding.column.max(1),
        });
    }
    json!({
        "ruleId": finding.rule.code(),
        "ruleIndex": index,
        "level": level(finding.severity),
        "message": { "text": finding.message },
        "locations": [{ "physicalLocation": physical }],
    })
}

/// A URL as it is; a path as a relative URI reference (`/` separators, unsafe bytes
/// percent-encoded), which code scanning resolves against the repository root.
fn uri(source: &str) -> String {
    if source.contains("://") {
        return source.to_string();
    }
    let mut out = String::new();
    for byte in source.replace('\\', "/").bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            uri("tests/check/bản tin.xml"),
            "tests/check/b%E1%BA%A3n%20tin.xml"
        );
        assert_eq!(
            uri("http://127.0.0.1:8080/feeds/all.rss"),
            "http://127.0.0.1:8080/feeds/all.rss"
        );
        assert_eq!(uri("feeds\\a#1.xml"), "feeds/a%231.xml");
    }
}
