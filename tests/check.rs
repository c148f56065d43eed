//! `vnfeed check` against feeds written to break one rule each (tests/check/broken), clean
//! feeds that must give nothing (tests/check/clean), a misbehaving HTTP server on 127.0.0.1
//! for the HTTP rules, and the binary as a user runs it, against a live `vnfeed serve`.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use common::{repo, stdout, vnfeed, vnfeed_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vnfeed::check::{self, Finding, Options, Rule};

/// "Now" for every document check here: after every date in the corpus but the one meant
/// to be in the future.
fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-06-01T00:00:00Z")
        .unwrap()
        .to_utc()
}

fn corpus(dir: &str) -> PathBuf {
    repo().join("tests/check").join(dir)
}

fn check_file(path: &std::path::Path, location: Option<&str>) -> Vec<Finding> {
    let bytes = std::fs::read(path).unwrap();
    let options = Options {
        now: now(),
        location: location.map(str::to_string),
    };
    check::check_bytes(&path.display().to_string(), &bytes, &options).findings
}

/// Each broken feed, the one finding it must give, and its line.
const BROKEN: &[(&str, &str, u32)] = &[
    (
        "atom-content-or-alternate.xml",
        "atom-content-or-alternate",
        24,
    ),
    ("atom-content.xml", "atom-content", 22),
    ("atom-link.xml", "atom-link", 31),
    ("atom-missing-author.xml", "atom-missing-author", 24),
    ("atom-missing-element.xml", "atom-missing-element", 24),
    ("atom-namespace.xml", "atom-namespace", 2),
    ("atom-person.xml", "atom-person", 15),
    ("atom-text.xml", "atom-text", 25),
    ("date-future.xml", "date-future", 36),
    ("date-w3cdtf.no-zone.xml", "date-w3cdtf", 37),
    ("date-no-zone.xml", "date-no-zone", 36),
    ("date-rfc3339.json", "date-rfc3339", 16),
    ("date-rfc3339.xml", "date-rfc3339", 14),
    ("date-rfc822-form.xml", "date-rfc822-form", 26),
    ("date-rfc822.weekday.xml", "date-rfc822", 26),
    ("date-rfc822.xml", "date-rfc822", 26),
    ("date-rfc822.zone.xml", "date-rfc822", 26),
    ("date-w3cdtf.xml", "date-w3cdtf", 37),
    ("duplicate-enclosure.xml", "duplicate-enclosure", 29),
    ("duplicate-element.atom.xml", "duplicate-element", 28),
    ("duplicate-element.json", "duplicate-element", 14),
    ("duplicate-element.rss.xml", "duplicate-element", 32),
    ("duplicate-id.json", "duplicate-id", 22),
    ("duplicate-id.rss.xml", "duplicate-id", 35),
    ("duplicate-item.atom.xml", "duplicate-item", 26),
    ("duplicate-item.id.atom.xml", "duplicate-item", 26),
    ("duplicate-item.xml", "duplicate-item", 30),
    ("encoding.xml", "encoding", 23),
    ("html-in-text.atom.xml", "html-in-text", 21),
    ("html-in-text.json", "html-in-text", 14),
    ("html-in-text.xml", "html-in-text", 31),
    ("invalid-language.xml", "invalid-language", 7),
    ("invalid-url.atom.xml", "invalid-url", 12),
    ("invalid-url.json", "invalid-url", 23),
    ("invalid-url.rss.xml", "invalid-url", 20),
    ("invalid-url.tag.atom.xml", "invalid-url", 12),
    ("invalid-url.urn.atom.xml", "invalid-url", 26),
    ("json-item-content.json", "json-item-content", 21),
    ("json-missing-field.json", "json-missing-field", 21),
    ("json-syntax.json", "json-syntax", 18),
    ("json-type.json", "json-type", 22),
    ("json-version.json", "json-version", 2),
    ("local-time-as-gmt.xml", "local-time-as-gmt", 8),
    ("missing-language.xml", "missing-language", 3),
    ("missing-self-link.json", "missing-self-link", 1),
    ("missing-self-link.xml", "missing-self-link", 3),
    ("not-well-formed.xml", "not-well-formed", 19),
    ("relative-link.atom.xml", "relative-link", 31),
    ("relative-link.json", "relative-link", 15),
    ("relative-link.xml", "relative-link", 22),
    ("rss-enclosure.xml", "rss-enclosure", 28),
    ("rss-guid-permalink.xml", "rss-guid-permalink", 25),
    ("rss-integer.xml", "rss-integer", 9),
    (
        "rss-item-title-or-description.xml",
        "rss-item-title-or-description",
        30,
    ),
    ("rss-missing-element.xml", "rss-missing-element", 3),
    ("rss-version.xml", "rss-version", 2),
    ("self-link-mismatch.xml", "self-link-mismatch", 10),
    ("unknown-element.atom.xml", "unknown-element", 15),
    ("unknown-element.rss.xml", "unknown-element", 27),
    ("unknown-format.xml", "unknown-format", 2),
    ("unstable-guid.missing.xml", "unstable-guid", 30),
    ("unstable-guid.xml", "unstable-guid", 35),
    ("rss-cloud.xml", "rss-cloud", 10),
    ("rss-email.xml", "rss-email", 10),
    ("rss-missing-element.image.xml", "rss-missing-element", 11),
    ("duplicate-element.image.xml", "duplicate-element", 16),
    ("rss-integer.ttl.xml", "rss-integer", 9),
    ("atom-category.xml", "atom-category", 19),
    ("unexpected-whitespace.xml", "unexpected-whitespace", 12),
    ("duplicate-element.person.atom.xml", "duplicate-element", 18),
    ("atom-link.type.atom.xml", "atom-link", 20),
    ("blank.xml", "blank", 24),
    ("unknown-element.content.atom.xml", "unknown-element", 22),
    ("rss-syndication.xml", "rss-syndication", 10),
    ("rss-skip.xml", "rss-skip", 10),
    (
        "atom-source-incomplete.atom.xml",
        "atom-source-incomplete",
        32,
    ),
    ("rss-character-data.xml", "rss-character-data", 31),
    ("unregistered-scheme.xml", "unregistered-scheme", 37),
    ("html-invalid.atom.xml", "html-invalid", 22),
    ("html-in-text.xhtml.atom.xml", "html-in-text", 32),
    (
        "unregistered-link-rel.atom.xml",
        "unregistered-link-rel",
        32,
    ),
    ("non-canonical-id.atom.xml", "non-canonical-id", 26),
    ("duplicate-semantics.xml", "duplicate-semantics", 37),
    ("html-in-text.person.atom.xml", "html-in-text", 29),
    ("html-unsafe.atom.xml", "html-unsafe", 22),
    ("html-unsafe.rss.xml", "html-unsafe", 22),
    ("html-unsafe-style.atom.xml", "html-unsafe-style", 32),
    ("geo-coordinate.xml", "geo-coordinate", 29),
    ("invalid-url.blogchannel.xml", "invalid-url", 10),
    ("invalid-url.license.atom.xml", "invalid-url", 23),
    ("rss-integer.slash.xml", "rss-integer", 37),
    ("unknown-element.trackback.atom.xml", "unknown-element", 10),
    ("unexpected-attribute.xml", "unexpected-attribute", 35),
    ("unexpected-attribute.atom.xml", "unexpected-attribute", 31),
    ("rss-text-input-name.xml", "rss-text-input-name", 21),
    ("rss-source.xml", "rss-source", 37),
    ("rss-enclosure.type.xml", "rss-enclosure", 28),
    ("invalid-url.iri.xml", "invalid-url", 5),
    ("invalid-url.xml-base.atom.xml", "invalid-url", 24),
    ("unexpected-text.xml", "unexpected-text", 10),
    ("unexpected-text.content.atom.xml", "unexpected-text", 22),
    ("unknown-element.xhtml.atom.xml", "unknown-element", 33),
    (
        "atom-misplaced-metadata.atom.xml",
        "atom-misplaced-metadata",
        35,
    ),
    ("duplicate-id.atom.xml", "duplicate-id", 20),
    ("bad-characters.xml", "bad-characters", 19),
    ("not-well-formed.namespace.xml", "not-well-formed", 2),
];

/// Where the broken feeds that need a location pretend to have been fetched from.
fn location_of(file: &str) -> Option<&'static str> {
    (file == "self-link-mismatch.xml").then_some("https://baothunghiem.example/feeds/bien-gioi.rss")
}

#[test]
fn each_broken_feed_gives_exactly_its_finding() {
    let mut failures = Vec::new();
    for (file, code, line) in BROKEN {
        let findings = check_file(&corpus("broken").join(file), location_of(file));
        let got: Vec<(&str, u32)> = findings.iter().map(|f| (f.rule.code(), f.line)).collect();
        if got != [(*code, *line)] {
            failures.push(format!(
                "{file}: want [{code} at line {line}], got {findings:#?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_corpus_covers_every_document_rule_and_nothing_is_left_out() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(corpus("broken"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let listed: BTreeSet<String> = BROKEN.iter().map(|(f, _, _)| f.to_string()).collect();
    assert_eq!(
        on_disk, listed,
        "every file in tests/check/broken is in BROKEN and back"
    );
    for (file, code, _) in BROKEN {
        let stem = file.split('.').next().unwrap();
        assert_eq!(stem, *code, "{file} is named after its rule");
    }
    let covered: BTreeSet<&str> = BROKEN.iter().map(|(_, c, _)| *c).collect();
    let missing: Vec<&str> = Rule::ALL
        .iter()
        .filter(|r| !r.is_http() && **r != Rule::Unreadable)
        .map(|r| r.code())
        .filter(|c| !covered.contains(c))
        .collect();
    assert!(missing.is_empty(), "rules with no broken feed: {missing:?}");
}

#[test]
fn the_rules_doc_lists_every_rule_with_its_severity() {
    let doc = std::fs::read_to_string(repo().join("docs/check-rules.md")).unwrap();
    for rule in Rule::ALL {
        let row = format!("| `{}` | {} |", rule.code(), rule.severity().as_str());
        assert!(doc.contains(&row), "docs/check-rules.md has no row {row}");
    }
}

#[test]
fn clean_feeds_give_no_findings_at_all() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus("clean"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 4, "rss, atom, json feed and windows-1258 rss");
    for file in files {
        let findings = check_file(&file, None);
        assert!(findings.is_empty(), "{}: {findings:#?}", file.display());
    }
}

#[test]
fn a_fresh_local_time_labelled_gmt_in_a_vietnamese_feed_is_caught() {
    // All dates GMT, language vi: the last item is 3 hours ahead of "now" as GMT, and 4
    // hours behind it once read as Vietnam time, which is what it really was.
    let feed = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>Tin nhanh</title>
    <link>https://baothunghiem.example/</link>
    <description>Tin mới nhất.</description>
    <language>vi</language>
    <atom:link href="https://baothunghiem.example/tin-nhanh.rss" rel="self"/>
    <item>
      <title>Mưa lớn ở vùng núi phía Bắc</title>
      <guid isPermaLink="false">tin-nhanh-1</guid>
      <pubDate>Sun, 01 Jun 2025 03:00:00 GMT</pubDate>
    </item>
  </channel>
</rss>"#
        .as_bytes();
    let findings = check::check_bytes("tin-nhanh.rss", feed, &Options::at(now())).findings;
    let got: Vec<(&str, u32)> = findings.iter().map(|f| (f.rule.code(), f.line)).collect();
    assert_eq!(
        got,
        [("date-future", 12), ("local-time-as-gmt", 12)],
        "{findings:#?}"
    );
    // Read an hour later than the writer's clock, the same date is no longer suspect.
    let later = Options::at(now() + chrono::Duration::hours(8));
    assert!(
        check::check_bytes("tin-nhanh.rss", feed, &later)
            .findings
            .is_empty()
    );
}

#[test]
fn positions_are_lines_and_character_columns() {
    let findings = check_file(&corpus("broken").join("rss-integer.xml"), None);
    assert_eq!((findings[0].line, findings[0].column), (9, 10));
    let json = check_file(&corpus("broken").join("json-type.json"), None);
    assert_eq!((json[0].line, json[0].column), (22, 13));
}

// ---------------------------------------------------------------------------------------
// HTTP rules, against a real server on 127.0.0.1 that misbehaves on purpose.

/// How the test server behaves; `Default` is a well-behaved feed server.
#[derive(Clone)]
struct Behaviour {
    status: &'static str,
    content_type: Option<&'static str>,
    etag: Option<&'static str>,
    last_modified: Option<&'static str>,
    honour_conditionals: bool,
    gzip: Gzip,
    vary: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Gzip {
    Honour,
    Never,
    Corrupt,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            status: "200 OK",
            content_type: Some("application/rss+xml; charset=utf-8"),
            etag: Some("\"v1\""),
            last_modified: Some("Tue, 13 May 2025 02:30:00 GMT"),
            honour_conditionals: true,
            gzip: Gzip::Honour,
            vary: true,
        }
    }
}

/// Serves the clean RSS feed (with its self link pointing here) at /feed.rss, and a
/// permanent redirect to it at /old.rss, one request per connection, until the test ends.
async fn misbehaving_server(behaviour: Behaviour) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/feed.rss", listener.local_addr().unwrap());
    let body = std::fs::read_to_string(corpus("clean").join("rss.xml"))
        .unwrap()
        .replace("https://baothunghiem.example/feeds/bien-gioi.rss", &url);
    let body = Arc::new(body.into_bytes());
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let (body, b) = (Arc::clone(&body), behaviour.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
                if head.starts_with("get /old.rss ") {
                    let moved = "HTTP/1.1 301 Moved Permanently\r\nLocation: /feed.rss\r\n\
                                 Content-Length: 0\r\nConnection: close\r\n\r\n";
                    let _ = stream.write_all(moved.as_bytes()).await;
                    let _ = stream.shutdown().await;
                    return;
                }
                let has = |h: &str| head.lines().any(|l| l.starts_with(h));
                let conditional = has("if-none-match:") || has("if-modified-since:");
                let wants_gzip = head
                    .lines()
                    .any(|l| l.starts_with("accept-encoding:") && l.contains("gzip"));
                let mut headers = String::new();
                for (name, value) in [
                    ("Content-Type", b.content_type),
                    ("ETag", b.etag),
                    ("Last-Modified", b.last_modified),
                ] {
                    if let Some(v) = value {
                        headers.push_str(&format!("{name}: {v}\r\n"));
                    }
                }
                if b.vary {
                    headers.push_str("Vary: Accept-Encoding\r\n");
                }
                let (status, payload) = if conditional && b.honour_conditionals {
                    ("304 Not Modified", Vec::new())
                } else if wants_gzip && b.gzip != Gzip::Never {
                    headers.push_str("Content-Encoding: gzip\r\n");
                    let gz = if b.gzip == Gzip::Corrupt {
                        b"not gzip at all".to_vec()
                    } else {
                        gzip(&body)
                    };
                    (b.status, gz)
                } else {
                    (b.status, body.to_vec())
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
                    payload.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.write_all(&payload).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    url
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

async fn http_codes(behaviour: Behaviour) -> Vec<String> {
    let url = misbehaving_server(behaviour).await;
    let report = check::http::check_url(&url, &Options::at(now())).await;
    report
        .findings
        .iter()
        .map(|f| f.rule.code().to_string())
        .collect()
}

/// W3C calls a wrong Content-Type (UnexpectedContentType) and a charset that disagrees with
/// the document (EncodingMismatch) warnings, since readers sniff and cope; so does vnfeed.
#[tokio::test]
async fn a_wrong_content_type_or_charset_is_a_warning_as_at_w3c() {
    for content_type in [
        "text/html; charset=utf-8",
        "application/rss+xml; charset=iso-8859-1",
    ] {
        let behaviour = Behaviour {
            content_type: Some(content_type),
            ..Behaviour::default()
        };
        let url = misbehaving_server(behaviour).await;
        let report = check::http::check_url(&url, &Options::at(now())).await;
        let got: Vec<(&str, check::Severity)> = report
            .findings
            .iter()
            .map(|f| (f.rule.code(), f.severity))
            .collect();
        assert_eq!(got.len(), 1, "{content_type}: {got:?}");
        assert_eq!(
            got[0].1,
            check::Severity::Warning,
            "{content_type}: {got:?}"
        );
        assert!(report.is_valid(), "{content_type}: {got:?}");
    }
}

#[tokio::test]
async fn each_http_rule_is_caught_by_a_server_that_breaks_it() {
    let mut seen = BTreeSet::new();
    type Tweak = fn(&mut Behaviour);
    let cases: &[(&str, Tweak, &[&str])] = &[
        ("a well-behaved server", |_| {}, &[]),
        ("404", |b| b.status = "404 Not Found", &["http-status"]),
        (
            "html",
            |b| b.content_type = Some("text/html; charset=utf-8"),
            &["http-content-type"],
        ),
        ("no type", |b| b.content_type = None, &["http-content-type"]),
        (
            "latin-1",
            |b| b.content_type = Some("application/rss+xml; charset=iso-8859-1"),
            &["http-charset"],
        ),
        (
            "no charset",
            |b| b.content_type = Some("application/rss+xml"),
            &["http-no-charset"],
        ),
        (
            "no validators",
            |b| (b.etag, b.last_modified) = (None, None),
            &["http-validators"],
        ),
        (
            "unquoted etag",
            |b| b.etag = Some("v1"),
            &["http-validators"],
        ),
        (
            "ignores conditionals",
            |b| b.honour_conditionals = false,
            &["http-conditional", "http-conditional"],
        ),
        ("never gzip", |b| b.gzip = Gzip::Never, &["http-no-gzip"]),
        (
            "broken gzip",
            |b| b.gzip = Gzip::Corrupt,
            &["http-gzip-invalid"],
        ),
        ("no vary", |b| b.vary = false, &["http-vary"]),
    ];
    for (what, tweak, want) in cases {
        let mut behaviour = Behaviour::default();
        tweak(&mut behaviour);
        let got = http_codes(behaviour).await;
        assert_eq!(got, *want, "{what}");
        seen.extend(got);
    }
    // Nothing listening: bind a port, then free it.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    for url in [
        format!("http://{closed}/feed.rss"),
        format!("ftp://{closed}/feed.rss"),
    ] {
        let report = check::http::check_url(&url, &Options::at(now())).await;
        let codes: Vec<&str> = report.findings.iter().map(|f| f.rule.code()).collect();
        assert_eq!(codes, ["http-fetch"], "{url}: {:?}", report.findings);
        seen.insert("http-fetch".to_string());
    }
    // A permanent redirect: followed, the feed checked at its new URL (so its self link
    // matches), and one warning to update the subscription.
    let feed = misbehaving_server(Behaviour::default()).await;
    let old = feed.replace("/feed.rss", "/old.rss");
    let moved = check::http::check_url(&old, &Options::at(now())).await;
    let codes: Vec<&str> = moved.findings.iter().map(|f| f.rule.code()).collect();
    assert_eq!(codes, ["http-redirect"], "{:?}", moved.findings);
    assert_eq!(
        moved.findings[0].message,
        format!(
            "{old} answered 301 Moved Permanently to {feed}: update the subscription to the new URL"
        )
    );
    assert_eq!(moved.redirects.len(), 1);
    assert_eq!(moved.redirects[0].to, feed);
    seen.insert("http-redirect".to_string());
    let untested: Vec<&str> = Rule::ALL
        .iter()
        .filter(|r| r.is_http() && !seen.contains(r.code()))
        .map(|r| r.code())
        .collect();
    assert!(
        untested.is_empty(),
        "HTTP rules no case breaks: {untested:?}"
    );
}

// ---------------------------------------------------------------------------------------
// The binary.

#[test]
fn the_command_prints_one_line_per_finding_and_exits_by_severity() {
    let clean = vnfeed(&[
        "check",
        "tests/check/clean/rss.xml",
        "tests/check/clean/json-feed.json",
    ]);
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&clean.stderr)
    );
    assert_eq!(stdout(&clean), "");
    assert!(
        String::from_utf8_lossy(&clean.stderr)
            .contains("checked 2 documents: 0 errors, 0 warnings")
    );

    let error = vnfeed(&["check", "tests/check/broken/rss-integer.xml"]);
    assert_eq!(error.status.code(), Some(1));
    assert_eq!(
        stdout(&error),
        "tests/check/broken/rss-integer.xml:9:10: error rss-integer: <ttl> is a whole number, not \"15 phút\"\n"
    );

    // Warnings alone pass, unless --strict.
    let warning = ["check", "tests/check/broken/missing-language.xml"];
    let loose = vnfeed(&warning);
    assert_eq!(loose.status.code(), Some(0));
    assert!(
        stdout(&loose)
            .starts_with("tests/check/broken/missing-language.xml:3:3: warning missing-language: ")
    );
    let strict = vnfeed(&[&warning[..], &["--strict"]].concat());
    assert_eq!(strict.status.code(), Some(2));
    assert_eq!(stdout(&strict), stdout(&loose));

    let missing = vnfeed(&["check", "tests/check/no-such-feed.xml"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stdout(&missing)
            .starts_with("tests/check/no-such-feed.xml:0:0: error unreadable: cannot read")
    );
}

#[test]
fn the_command_reads_standard_input_and_speaks_json() {
    let feed = std::fs::read(corpus("broken").join("json-version.json")).unwrap();
    let out = vnfeed_with(&["check", "--format", "json", "-"], &[], &feed);
    assert_eq!(out.status.code(), Some(1));
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    assert_eq!(reports[0]["source"], "-");
    assert_eq!(reports[0]["format"], "json");
    assert_eq!(reports[0]["errors"], 1);
    assert_eq!(reports[0]["warnings"], 0);
    let finding = &reports[0]["findings"][0];
    assert_eq!(finding["line"], 2);
    assert_eq!(finding["column"], 14);
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["code"], "json-version");
}

/// `vnfeed serve` as a child process on 127.0.0.1:0; killed when dropped.
struct ChildServer {
    child: std::process::Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl ChildServer {
    fn start() -> ChildServer {
        let dir = common::tempdir();
        let mut child = Command::new(env!("CARGO_BIN_EXE_vnfeed"))
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--poll-ms",
                "60000",
                "--store",
            ])
            .arg(dir.path().join("vnfeed.db"))
            .arg("--feeds")
            .arg(repo().join("feeds"))
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("vnfeed serve starts");
        // The server logs "listening on http://127.0.0.1:PORT" once it accepts connections.
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("the server logs before exiting")
                .unwrap();
            if let Some(at) = line.find("listening on http://") {
                let url = line[at + "listening on ".len()..]
                    .split_whitespace()
                    .next()
                    .unwrap();
                break url.to_string();
            }
        };
        // Keep draining the log so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        ChildServer {
            child,
            url,
            _dir: dir,
        }
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_binary_passes_every_feed_a_live_server_announces() {
    let server = ChildServer::start();
    // The feeds a reader would find: the index page's autodiscovery links.
    let index = plain_get(&format!("{}/", server.url));
    let feeds: Vec<String> = index
        .split("<link rel=\"alternate\"")
        .skip(1)
        .filter_map(|tag| {
            tag.split("href=\"")
                .nth(1)?
                .split('"')
                .next()
                .map(str::to_string)
        })
        .collect();
    assert!(
        feeds.len() >= 8,
        "every slug in RSS and Atom at least: {feeds:?}"
    );
    let mut args = vec!["check", "--strict"];
    args.extend(feeds.iter().map(String::as_str));
    let out = vnfeed(&args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stdout(&out), "", "no findings at all, HTTP side included");
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!(
            "checked {} documents: 0 errors, 0 warnings",
            feeds.len()
        )),
        "{err}"
    );
}

/// A plain GET over a TcpStream: this test has no async runtime.
fn plain_get(url: &str) -> String {
    use std::io::Read;
    let rest = url.strip_prefix("http://").unwrap();
    let (addr, path) = rest
        .split_once('/')
        .map(|(a, p)| (a, format!("/{p}")))
        .unwrap();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}
