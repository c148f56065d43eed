//! GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=…::message`, one
//! per finding (warnings as `::warning`), which GitHub shows as annotations on the files.

use crate::{Finding, Report, Severity};

/// One workflow command per finding.
pub fn github(reports: &[Report]) -> String {
    let mut out = String::new();
    for report in reports {
        for finding in &report.findings {
            out.push_str(&command(&report.source, finding));
            out.push('\n');
        }
    }
    out
}

fn command(source: &str, finding: &Finding) -> String {
    let kind = match finding.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    // A file gets an annotation on its line; a URL or standard input is not a file of the
    // repository, so it goes in the message instead.
    let is_file = !(source == "-" || source.contains("://"));
    let mut properties = Vec::new();
    let mut message = escape_data(&finding.message);
    if is_file {
        properties.push(format!("file={}", escape_property(source)));
        if finding.line > 0 {
            properties.push(format!("line={}", finding.line));
            properties.push(format!("col={}", finding.column));
        }
    } else {
        message = format!("{}: {message}", escape_data(source));
    }
    properties.push(format!(
        "title={}",
        escape_property(&format!("vnfeed check {}", finding.rule.code()))
    ));
    format!("::{kind} {}::{message}", properties.join(","))
}

/// The escaping of GitHub's own toolkit (`@actions/core`, `command.ts`).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rule;

    #[test]
    fn files_are_annotated_at_their_line_and_urls_named_in_the_message() {
        let f = Finding::new(Rule::RssInteger, 9, 10, "<ttl> is 15%, not\na number");
        assert_eq!(
            command("feeds/a,b.xml", &f),
            "::error file=feeds/a%2Cb.xml,line=9,col=10,title=vnfeed check rss-integer::<ttl> is 15%25, not%0Aa number"
        );
        let g = Finding::global(Rule::HttpNoGzip, "not compressed");
        assert_eq!(
            command("http://h.example/a.rss", &g),
            "::warning title=vnfeed check http-no-gzip::http://h.example/a.rss: not compressed"
        );
    }
}
