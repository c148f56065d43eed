//! Using vnfeed-check from another crate's tests: render your feed as your code does, then
//! let the checker judge it. In your crate, add `vnfeed-check` under `[dev-dependencies]`
//! and put tests like the ones below in `tests/`. (`cargo run --example feed_in_tests`
//! prints the findings for the feed this file renders; `cargo test --example feed_in_tests`
//! runs the tests.)

use vnfeed_check::{Options, check_bytes};

/// Stands for the code under test: a tiny RSS renderer.
fn render_rss(title: &str, items: &[(&str, &str)]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\"><channel>\n",
    );
    out.push_str(&format!(
        "<title>{title}</title>\n<link>https://bao.example/</link>\n"
    ));
    out.push_str("<description>Tin trong ngày</description><language>vi</language>\n");
    out.push_str("<atom:link href=\"https://bao.example/tin.rss\" rel=\"self\" type=\"application/rss+xml\"/>\n");
    for (slug, headline) in items {
        out.push_str(&format!(
            "<item><title>{headline}</title><link>https://bao.example/{slug}</link>\
             <guid>https://bao.example/{slug}</guid>\
             <pubDate>Mon, 22 Apr 2024 07:00:00 +0700</pubDate></item>\n"
        ));
    }
    out.push_str("</channel></rss>\n");
    out
}

fn main() {
    let feed = render_rss("Tin nhanh", &[("mua-lon", "Mưa lớn ở Hà Nội")]);
    let report = check_bytes("tin.rss", feed.as_bytes(), &Options::at(chrono::Utc::now()));
    print!("{report}");
    println!("{} errors, {} warnings", report.errors(), report.warnings());
}

#[cfg(test)]
mod tests {
    use super::*;
    use vnfeed_check::Rule;

    #[test]
    fn the_rendered_feed_is_valid() {
        let feed = render_rss("Tin nhanh", &[("mua-lon", "Mưa lớn ở Hà Nội")]);
        // Fails with every finding listed, one `feed:line:column: severity code: message` a line.
        vnfeed_check::assert_clean_feed!(feed, "the rendered feed");
    }

    #[test]
    fn a_title_with_markup_is_reported_where_it_is() {
        // A renderer that passed the CMS's HTML into a plain-text title: the checker says
        // which rule and where.
        let feed = render_rss("Tin nhanh", &[("a", "Giá vàng &lt;b&gt;tăng&lt;/b&gt;")]);
        let now = "2025-06-01T00:00:00Z".parse().unwrap();
        let report = check_bytes("tin.rss", feed.as_bytes(), &Options::at(now));
        let found: Vec<(Rule, u32, u32)> = report
            .findings
            .iter()
            .map(|f| (f.rule, f.line, f.column))
            .collect();
        // Line 7 is the item; column 14 is where the title's text starts.
        assert_eq!(found, [(Rule::HtmlInText, 7, 14)], "{report}");
    }
}
