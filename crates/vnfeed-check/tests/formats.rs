//! The CI report formats read back by real readers: SARIF validated against the official
//! SARIF 2.1.0 JSON schema (the copy the serde-sarif crate ships, found through `cargo
//! metadata`) and deserialized by serde-sarif's types; JUnit parsed by roxmltree; GitHub
//! annotations checked line by line.

use std::path::PathBuf;

use vnfeed_check::{Options, Report, check_bytes, output};

/// Two documents: one with an error at a place, a warning at a place and a finding at
/// `0:0`; one clean.
fn reports() -> Vec<Report> {
    let now = "2025-06-01T00:00:00Z".parse().unwrap();
    let broken = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
  <title>Tin &amp; "nhanh" <nóng></title>
  <link>https://bao.example/</link>
  <description>Tin trong ngày</description>
  <ttl>nửa giờ</ttl>
</channel></rss>"#
        .replace("<nóng>", "&lt;nóng&gt;");
    let clean = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "Tin",
        "feed_url": "https://bao.example/tin.json", "language": "vi", "items": [
        {"id": "https://bao.example/a", "content_text": "Mưa lớn."}]}"#;
    let mut out = vec![
        check_bytes("feeds/tin nhanh.rss", broken.as_bytes(), &Options::at(now)),
        check_bytes("feeds/tin.json", clean.as_bytes(), &Options::at(now)),
    ];
    // A finding about the input as a whole, as a failed fetch gives.
    out.push(Report::failed(
        "https://bao.example/feed.rss",
        vnfeed_check::Rule::HttpFetch,
        "GET https://bao.example/feed.rss: connection refused",
    ));
    out
}

/// The SARIF 2.1.0 schema as serde-sarif ships it (src/schema.json of its package).
fn sarif_schema() -> serde_json::Value {
    // Only the host's packages: they are the ones already downloaded to build this test.
    let rustc = std::process::Command::new("rustc")
        .arg("-vV")
        .output()
        .unwrap();
    let host = String::from_utf8(rustc.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("rustc names its host");
    let metadata = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--filter-platform",
            &host,
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        metadata.status.success(),
        "{}",
        String::from_utf8_lossy(&metadata.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&metadata.stdout).unwrap();
    let manifest = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "serde-sarif")
        .expect("serde-sarif is a dev-dependency")["manifest_path"]
        .as_str()
        .unwrap()
        .to_string();
    let path = PathBuf::from(manifest)
        .with_file_name("src")
        .join("schema.json");
    let mut schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // The published 2.1.0 schema writes one malformed regex (a stray `]`) for `language`
    // in a few places, which jsonschema's check of the schema itself refuses. Only that
    // pattern is replaced, by what it means; vnfeed writes no `language`.
    fn fix(value: &mut serde_json::Value, fixed: &mut usize) {
        const TYPO: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
        match value {
            serde_json::Value::String(s) if s == TYPO => {
                *s = "^[a-zA-Z]{2}$|^[a-zA-Z]{2}-[a-zA-Z]{2}$".into();
                *fixed += 1;
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|v| fix(v, fixed)),
            serde_json::Value::Object(o) => o.values_mut().for_each(|v| fix(v, fixed)),
            _ => {}
        }
    }
    let mut fixed = 0;
    fix(&mut schema, &mut fixed);
    assert!(
        fixed > 0,
        "the schema's language pattern changed: drop this fix"
    );
    assert_eq!(
        schema["title"],
        "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema",
        "{}",
        path.display()
    );
    schema
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let reports = reports();
    let text = output::sarif(&reports);
    let log: serde_json::Value = serde_json::from_str(&text).unwrap();
    let schema = sarif_schema();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}\n{text}", errors.join("\n"));
    // The schema is not vacuous: a log without `version` is refused.
    let mut broken = log.clone();
    broken.as_object_mut().unwrap().remove("version");
    assert!(!validator.is_valid(&broken));
    // serde-sarif's types read it too.
    let typed: serde_sarif::sarif::Sarif = serde_json::from_str(&text).unwrap();
    assert_eq!(typed.runs.len(), 1);

    let results = log["runs"][0]["results"].as_array().unwrap();
    let findings: Vec<_> = reports.iter().flat_map(|r| &r.findings).collect();
    assert_eq!(results.len(), findings.len());
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), vnfeed_check::Rule::ALL.len());
    let ttl = results
        .iter()
        .find(|r| r["ruleId"] == "rss-integer")
        .unwrap();
    assert_eq!(ttl["level"], "error");
    assert_eq!(
        rules[ttl["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "rss-integer"
    );
    let place = &ttl["locations"][0]["physicalLocation"];
    assert_eq!(place["artifactLocation"]["uri"], "feeds/tin%20nhanh.rss");
    assert_eq!(place["region"]["startLine"], 6);
    assert_eq!(place["region"]["startColumn"], 8);
    let fetch = results
        .iter()
        .find(|r| r["ruleId"] == "http-fetch")
        .unwrap();
    let place = &fetch["locations"][0]["physicalLocation"];
    assert_eq!(
        place["artifactLocation"]["uri"],
        "https://bao.example/feed.rss"
    );
    assert!(place.get("region").is_none(), "{place}");
}

#[test]
fn junit_output_has_a_testcase_per_document_and_a_failure_per_error() {
    let reports = reports();
    for strict in [false, true] {
        let text = output::junit(&reports, strict);
        let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let suite = doc
            .descendants()
            .find(|n| n.has_tag_name("testsuite"))
            .unwrap();
        let cases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        let names: Vec<&str> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
        assert_eq!(
            names,
            [
                "feeds/tin nhanh.rss",
                "feeds/tin.json",
                "https://bao.example/feed.rss"
            ]
        );
        assert_eq!(suite.attribute("tests"), Some("3"));
        assert_eq!(suite.attribute("failures"), Some("2"));
        for (case, report) in cases.iter().zip(&reports) {
            let failures: Vec<(&str, &str)> = case
                .children()
                .filter(|n| n.has_tag_name("failure"))
                .map(|f| {
                    (
                        f.attribute("type").unwrap(),
                        f.attribute("message").unwrap(),
                    )
                })
                .collect();
            let want: Vec<(&str, &str)> = report
                .findings
                .iter()
                .filter(|f| strict || f.severity == vnfeed_check::Severity::Error)
                .map(|f| (f.rule.code(), f.message.as_str()))
                .collect();
            assert_eq!(failures, want, "strict {strict}: {text}");
            let out = case
                .children()
                .find(|n| n.has_tag_name("system-out"))
                .and_then(|n| n.text())
                .unwrap_or("");
            let warnings = report.warnings();
            assert_eq!(
                out.lines().count(),
                if strict { 0 } else { warnings },
                "{text}"
            );
        }
        let first = &reports[0];
        assert!(first.errors() >= 1 && first.warnings() >= 1, "{first}");
    }
}

#[test]
fn github_output_is_one_workflow_command_per_finding() {
    let reports = reports();
    let text = output::github(&reports);
    let lines: Vec<&str> = text.lines().collect();
    let findings: Vec<_> = reports.iter().flat_map(|r| &r.findings).collect();
    assert_eq!(lines.len(), findings.len());
    for line in &lines {
        assert!(
            line.starts_with("::error ") || line.starts_with("::warning "),
            "{line}"
        );
    }
    let ttl = findings
        .iter()
        .position(|f| f.rule.code() == "rss-integer")
        .unwrap();
    assert!(
        lines[ttl].starts_with(
            "::error file=feeds/tin nhanh.rss,line=6,col=8,title=vnfeed check rss-integer::"
        ),
        "{}",
        lines[ttl]
    );
    assert_eq!(
        *lines.last().unwrap(),
        "::error title=vnfeed check http-fetch::https://bao.example/feed.rss: \
         GET https://bao.example/feed.rss: connection refused"
    );
}
