//! The W3C parity harness behind `scripts/w3c-parity.sh`: runs the checker over the test
//! suite of the W3C Feed Validation Service (a checkout of w3c/feedvalidator, never copied
//! into this repository) and prints how often `vnfeed check` agrees with it.
//!
//! Each W3C test file names, in a `<!-- Description: ... Expect: [!]Class -->` comment, the
//! message class the W3C engine must (or, with `!`, must not) log for it. The class
//! hierarchy, and so whether a class is an Error or a Warning, is read from the checkout's
//! `src/feedvalidator/logging.py`. The W3C-to-vnfeed mapping is the rule table's `w3c()`
//! column (crates/vnfeed-check/src/rules.rs): one place, shared with docs/check-rules.md.
//!
//! The pass/fail verdict is the W3C engine's own: scripts/w3c-events.py runs it over the
//! same files and writes the Error and Warning classes it logs for each (the Expect comment
//! alone cannot give it, as most test files are fragments W3C also faults for other reasons).
//!
//! In scope: every `*.xml` under testcases/{atom,rss,rss20,xml} except RSS 1.0 and 0.90
//! (root element `RDF`), RSS 0.9x and other non-2.0 `<rss version>`s, Atom 0.3 (a `<feed>`
//! in the namespace http://purl.org/atom/ns#) and Atom entry documents (root `<entry>`).
//! A `<rss>` with no version is in scope, as are files whose root is no feed at all.
//!
//! Run it with `cargo run -p vnfeed-check --example w3c_parity -- PATH EVENTS [--list]`;
//! `--list` also prints every file where vnfeed and W3C disagree.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use chrono::Utc;
use vnfeed_check::{Options, Rule, Severity, check_bytes};

/// The suites in scope, under testcases/.
const SUITES: &[&str] = &["atom", "rss", "rss20", "xml"];

/// W3C message classes with their base classes, from logging.py.
struct Classes {
    bases: HashMap<String, Vec<String>>,
}

impl Classes {
    fn read(checkout: &Path) -> Classes {
        let path = checkout.join("src/feedvalidator/logging.py");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let mut bases = HashMap::new();
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("class ") else {
                continue;
            };
            let Some((name, rest)) = rest.split_once('(') else {
                continue;
            };
            let Some((list, _)) = rest.split_once(')') else {
                continue;
            };
            let list = list.split(',').map(|b| b.trim().to_string());
            bases.insert(name.trim().to_string(), list.collect());
        }
        Classes { bases }
    }

    fn known(&self, class: &str) -> bool {
        self.bases.contains_key(class)
    }

    /// True when `class` is `ancestor` or derives from it.
    fn is_a(&self, class: &str, ancestor: &str) -> bool {
        if class == ancestor {
            return true;
        }
        self.bases
            .get(class)
            .is_some_and(|bases| bases.iter().any(|b| self.is_a(b, ancestor)))
    }

    fn severity(&self, class: &str) -> Option<Severity> {
        if self.is_a(class, "Error") {
            Some(Severity::Error)
        } else if self.is_a(class, "Warning") {
            Some(Severity::Warning)
        } else {
            None
        }
    }
}

/// The W3C classes a rule stands for: the capitalised first word of each comma-separated
/// item of its `w3c()` column ("DuplicateValue (guid)" is DuplicateValue).
fn w3c_classes(rule: Rule) -> Vec<&'static str> {
    rule.w3c()
        .split(',')
        .filter_map(|item| item.split_whitespace().next())
        .filter(|word| word.starts_with(|c: char| c.is_ascii_uppercase()))
        .collect()
}

/// A test file's expectation.
struct Expect {
    negated: bool,
    class: String,
}

fn expectation(text: &str) -> Option<Expect> {
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        let after = &rest[start + 4..];
        let end = after.find("-->")?;
        let comment = &after[..end];
        rest = &after[end..];
        let Some(d) = comment.find("Description:") else {
            continue;
        };
        let Some(e) = comment[d..].find("Expect:") else {
            continue;
        };
        let value = comment[d + e + "Expect:".len()..].trim_start();
        let (negated, value) = match value.strip_prefix('!') {
            Some(v) => (true, v),
            None => (false, value),
        };
        let class: String = value
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        return Some(Expect { negated, class });
    }
    None
}

/// Why a file is out of scope, from its root element, or None when it is in scope.
fn out_of_scope(text: &str) -> Option<&'static str> {
    let (name, attrs) = root_element(text)?;
    let local = name.rsplit(':').next().unwrap_or(name);
    match local {
        "RDF" => Some("RSS 1.0 / 0.90"),
        "entry" => Some("Atom entry document"),
        "feed" if attrs.contains("http://purl.org/atom/ns#") => Some("Atom 0.3"),
        "rss" => match attribute(attrs, "version") {
            Some(v) if v != "2.0" => Some("RSS 0.9x / other version"),
            _ => None,
        },
        _ => None,
    }
}

/// The root element's name and its attribute text, skipping the prolog.
fn root_element(text: &str) -> Option<(&str, &str)> {
    let mut rest = text;
    loop {
        let lt = rest.find('<')?;
        rest = &rest[lt..];
        if rest.starts_with("<!--") {
            rest = &rest[rest.find("-->")? + 3..];
        } else if rest.starts_with("<?") {
            rest = &rest[rest.find("?>")? + 2..];
        } else if rest.starts_with("<!DOCTYPE") {
            let end = match (rest.find('['), rest.find('>')) {
                (Some(b), Some(g)) if b < g => rest.find("]>").or(rest.find("] >"))?,
                (_, Some(g)) => g,
                _ => return None,
            };
            rest = &rest[end + 1..];
        } else {
            let tag = &rest[1..rest.find('>')?];
            let split = tag
                .find(|c: char| c.is_whitespace() || c == '/')
                .unwrap_or(tag.len());
            return Some((&tag[..split], &tag[split..]));
        }
    }
}

fn attribute<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let at = attrs.find(name)?;
    let rest = attrs[at + name.len()..].trim_start().strip_prefix('=')?;
    let rest = rest.trim_start();
    let quote = rest.chars().next()?;
    let rest = &rest[1..];
    Some(&rest[..rest.find(quote)?])
}

/// The W3C engine's Error classes for each file, from scripts/w3c-events.py's JSON lines.
fn read_events(path: &Path) -> HashMap<String, Vec<String>> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut out = HashMap::new();
    for line in text.lines() {
        let value: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{}: {e}: {line}", path.display()));
        let file = value["file"].as_str().unwrap_or_default().to_string();
        if let Some(crash) = value.get("crash") {
            panic!("the W3C engine failed on {file}: {crash}");
        }
        let errors = value["errors"].as_array().into_iter().flatten();
        let errors = errors.filter_map(|e| e.as_str().map(str::to_string));
        out.insert(file, errors.collect());
    }
    out
}

fn xml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            xml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "xml") {
            out.push(path);
        }
    }
}

#[derive(Default)]
struct Tally {
    files: usize,
    same_verdict: usize,
    false_errors: Vec<String>,
    missed_failures: Vec<String>,
    errors_tested: usize,
    errors_found: usize,
    warnings_tested: usize,
    warnings_found: usize,
    missed_errors: BTreeMap<String, Vec<String>>,
    missed_warnings: BTreeMap<String, Vec<String>>,
    out_of_scope: BTreeMap<&'static str, usize>,
    unknown_class: BTreeSet<String>,
}

fn pct(n: usize, of: usize) -> String {
    if of == 0 {
        return "-".into();
    }
    format!("{:.1}%", 100.0 * n as f64 / of as f64)
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let list = args.iter().any(|a| a == "--list");
    args.retain(|a| a != "--list");
    let (Some(checkout), Some(events)) = (args.first(), args.get(1)) else {
        eprintln!("usage: w3c_parity PATH-TO-W3C-FEEDVALIDATOR-CHECKOUT W3C-EVENTS.jsonl [--list]");
        std::process::exit(2);
    };
    let checkout = PathBuf::from(checkout);
    let classes = Classes::read(&checkout);
    let w3c_errors = read_events(Path::new(events));

    // The rules standing for each W3C class, by the class hierarchy: a rule mapped to
    // InvalidFullLink answers a test expecting InvalidLink, as the W3C test runner's
    // isinstance check would.
    let matches =
        |expected: &str, rule: Rule| w3c_classes(rule).iter().any(|c| classes.is_a(c, expected));

    let mut tally = Tally::default();
    let mut files = Vec::new();
    for suite in SUITES {
        xml_files(&checkout.join("testcases").join(suite), &mut files);
    }
    files.sort();
    let now = Utc::now();
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let name = path
            .strip_prefix(checkout.join("testcases"))
            .unwrap()
            .display()
            .to_string();
        if let Some(why) = out_of_scope(&text) {
            *tally.out_of_scope.entry(why).or_default() += 1;
            continue;
        }
        let Some(expect) = expectation(&text) else {
            *tally.out_of_scope.entry("no Expect: comment").or_default() += 1;
            continue;
        };
        if !classes.known(&expect.class) && expect.class != "Message" {
            tally.unknown_class.insert(expect.class.clone());
        }
        tally.files += 1;
        let options = Options {
            now,
            // W3C's runner validates each file as if fetched from here.
            location: Some(format!("http://www.feedvalidator.org/testcases/{name}")),
        };
        let findings = check_bytes(&name, &bytes, &options).findings;
        let expected_severity = classes.severity(&expect.class);
        let Some(errors) = w3c_errors.get(&name) else {
            panic!("{name}: not in the W3C events file");
        };
        let w3c_fails = !errors.is_empty();
        let vnfeed_fails = findings.iter().any(|f| f.severity == Severity::Error);
        let codes: BTreeSet<&str> = findings.iter().map(|f| f.rule.code()).collect();
        let line = format!(
            "{name} (Expect: {}{}) W3C errors: {errors:?} vnfeed: {codes:?}",
            if expect.negated { "!" } else { "" },
            expect.class
        );
        if w3c_fails == vnfeed_fails {
            tally.same_verdict += 1;
        } else if vnfeed_fails {
            let errors: BTreeSet<&str> = findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .map(|f| f.rule.code())
                .collect();
            tally
                .false_errors
                .push(format!("{line} errors: {errors:?}"));
        } else {
            tally.missed_failures.push(line.clone());
        }
        if expect.negated {
            continue;
        }
        let Some(severity) = expected_severity else {
            continue;
        };
        let found = findings
            .iter()
            .any(|f| f.severity == severity && matches(&expect.class, f.rule));
        let (tested, hit, missed) = match severity {
            Severity::Error => (
                &mut tally.errors_tested,
                &mut tally.errors_found,
                &mut tally.missed_errors,
            ),
            Severity::Warning => (
                &mut tally.warnings_tested,
                &mut tally.warnings_found,
                &mut tally.missed_warnings,
            ),
        };
        *tested += 1;
        if found {
            *hit += 1;
        } else {
            missed.entry(expect.class.clone()).or_default().push(line);
        }
    }

    let t = &tally;
    println!("W3C feedvalidator test suite, in scope: {} files", t.files);
    println!();
    println!("| measure | count | % | goal |");
    println!("|---|---|---|---|");
    println!(
        "| same pass/fail verdict as W3C | {} of {} | {} | ≥ 99% |",
        t.same_verdict,
        t.files,
        pct(t.same_verdict, t.files)
    );
    println!(
        "| false errors (W3C valid, vnfeed errors) | {} | | 0 |",
        t.false_errors.len()
    );
    println!(
        "| missed failures (W3C errors, vnfeed none) | {} | | |",
        t.missed_failures.len()
    );
    println!(
        "| tested error class found | {} of {} | {} | ≥ 95% |",
        t.errors_found,
        t.errors_tested,
        pct(t.errors_found, t.errors_tested)
    );
    println!(
        "| matching warning given | {} of {} | {} | ≥ 80% |",
        t.warnings_found,
        t.warnings_tested,
        pct(t.warnings_found, t.warnings_tested)
    );
    println!();
    let skipped: Vec<String> = t
        .out_of_scope
        .iter()
        .map(|(why, n)| format!("{why}: {n}"))
        .collect();
    println!("out of scope: {}", skipped.join(", "));
    if !t.unknown_class.is_empty() {
        println!("Expect classes not in logging.py: {:?}", t.unknown_class);
    }
    for rule in Rule::ALL {
        for class in w3c_classes(*rule) {
            match classes.severity(class) {
                Some(s) if s != rule.severity() => println!(
                    "severity differs: {} is a {} but W3C's {class} a {}",
                    rule.code(),
                    rule.severity().as_str(),
                    s.as_str()
                ),
                None if !classes.known(class) => {
                    println!("{} names {class}, not a W3C class", rule.code())
                }
                _ => {}
            }
        }
    }
    let by_class = |title: &str, missed: &BTreeMap<String, Vec<String>>| {
        let mut counts: Vec<(usize, &String)> = missed.iter().map(|(c, v)| (v.len(), c)).collect();
        counts.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        let line: Vec<String> = counts.iter().map(|(n, c)| format!("{c} {n}")).collect();
        println!("{title}: {}", line.join(", "));
    };
    println!();
    by_class("error classes not found", &t.missed_errors);
    by_class("warning classes not given", &t.missed_warnings);
    if list {
        println!("\n## false errors");
        t.false_errors.iter().for_each(|l| println!("{l}"));
        println!("\n## missed failures");
        t.missed_failures.iter().for_each(|l| println!("{l}"));
        println!("\n## error classes not found");
        t.missed_errors
            .values()
            .flatten()
            .for_each(|l| println!("{l}"));
        println!("\n## warning classes not given");
        t.missed_warnings
            .values()
            .flatten()
            .for_each(|l| println!("{l}"));
    }
}
