//! Sitemaps for search engines and news aggregators, and `robots.txt` that names them:
//! the sitemap index (`/sitemap.xml`) over numbered sitemaps (`/sitemaps/{n}.xml`) of at most
//! [`SITEMAP_URLS`] article pages each with their `lastmod`, and the Google News sitemap
//! (`/news-sitemap.xml`) of the articles of the last [`NEWS_WINDOW_HOURS`] hours. Pure
//! functions of what the store read; dates in Vietnam time, as every feed writes them.

use std::fmt::Write;

use super::Site;
use crate::store::SitemapEntry;
use crate::vietnamese::dateline::rfc3339;

pub const CONTENT_TYPE: &str = "application/xml; charset=utf-8";
pub const ROBOTS_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// URLs in one sitemap at most: the sitemaps.org limit.
pub const SITEMAP_URLS: u64 = 50_000;
/// How far back the news sitemap reaches: Google News takes articles of the last two days.
pub const NEWS_WINDOW_HOURS: i64 = 48;
/// URLs in the news sitemap at most: Google News' limit.
pub const NEWS_URLS: usize = 1_000;

const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const NEWS_NS: &str = "http://www.google.com/schemas/sitemap-news/0.9";
const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Where the URLs of the sitemaps go: the site's index page first, then every article page
/// shown, oldest first, so the older sitemaps keep their contents as articles are added.
/// How many sitemaps `articles` articles take (never none: the index page is in the first).
pub fn sitemap_count(articles: u64) -> u64 {
    (articles + 1).div_ceil(SITEMAP_URLS)
}

/// Which articles sitemap `number` (from 1) lists: (offset, limit) among the articles
/// oldest first. The first has the index page and one article less.
pub fn sitemap_range(number: u64) -> (u64, usize) {
    match number {
        0 | 1 => (0, (SITEMAP_URLS - 1) as usize),
        n => ((n - 1) * SITEMAP_URLS - 1, SITEMAP_URLS as usize),
    }
}

pub fn sitemap_url(site: &Site, number: u64) -> String {
    format!("{}/sitemaps/{number}.xml", site.base_url)
}

/// The sitemap index: one `<sitemap>` per numbered sitemap.
pub fn index(site: &Site, count: u64) -> Vec<u8> {
    let mut out = format!("{DECLARATION}<sitemapindex xmlns=\"{SITEMAP_NS}\">\n");
    for number in 1..=count.max(1) {
        let loc = escape(&sitemap_url(site, number));
        let _ = writeln!(out, "  <sitemap>\n    <loc>{loc}</loc>\n  </sitemap>");
    }
    out.push_str("</sitemapindex>\n");
    out.into_bytes()
}

/// Sitemap `number`: its article pages with their last change; the first also the index
/// page (with no `lastmod`: it changes with every article).
pub fn sitemap(site: &Site, number: u64, entries: &[SitemapEntry]) -> Vec<u8> {
    let mut out = format!("{DECLARATION}<urlset xmlns=\"{SITEMAP_NS}\">\n");
    if number == 1 {
        let loc = escape(&site.index_url());
        let _ = writeln!(out, "  <url>\n    <loc>{loc}</loc>\n  </url>");
    }
    for entry in entries {
        let loc = escape(&site.page_url(&entry.slug));
        let lastmod = rfc3339(entry.updated);
        let _ = writeln!(
            out,
            "  <url>\n    <loc>{loc}</loc>\n    <lastmod>{lastmod}</lastmod>\n  </url>"
        );
    }
    out.push_str("</urlset>\n");
    out.into_bytes()
}

/// The Google News sitemap: the articles given (those of the last two days, newest first).
pub fn news(site: &Site, entries: &[SitemapEntry]) -> Vec<u8> {
    let mut out =
        format!("{DECLARATION}<urlset xmlns=\"{SITEMAP_NS}\" xmlns:news=\"{NEWS_NS}\">\n");
    let name = escape(&site.title);
    for entry in entries {
        let loc = escape(&site.page_url(&entry.slug));
        let published = rfc3339(entry.published);
        let title = escape(&entry.title);
        let _ = write!(
            out,
            "  <url>\n    <loc>{loc}</loc>\n    <news:news>\n      <news:publication>\n        \
             <news:name>{name}</news:name>\n        <news:language>vi</news:language>\n      \
             </news:publication>\n      <news:publication_date>{published}</news:publication_date>\n      \
             <news:title>{title}</news:title>\n    </news:news>\n  </url>\n"
        );
    }
    out.push_str("</urlset>\n");
    out.into_bytes()
}

/// `robots.txt`: everything may be crawled but the API; the sitemaps are named.
pub fn robots(site: &Site) -> Vec<u8> {
    format!(
        "User-agent: *\nDisallow: /api/\n\nSitemap: {base}/sitemap.xml\nSitemap: {base}/news-sitemap.xml\n",
        base = site.base_url
    )
    .into_bytes()
}

/// XML character data and attribute values: the five predefined entities.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sitemaps_hold_at_most_the_limit_with_the_index_page_first() {
        assert_eq!(sitemap_count(0), 1);
        assert_eq!(sitemap_count(SITEMAP_URLS - 1), 1);
        assert_eq!(sitemap_count(SITEMAP_URLS), 2);
        assert_eq!(sitemap_range(1), (0, 49_999));
        assert_eq!(sitemap_range(2), (49_999, 50_000));
        assert_eq!(sitemap_range(3), (99_999, 50_000));
    }

    #[test]
    fn titles_and_names_are_escaped() {
        let site = Site::new("https://tin.example/", "A & B <tin>");
        let entry = SitemapEntry {
            slug: "bai".into(),
            title: "\"X\" & 'Y' <Z>".into(),
            published: "2024-04-22T00:00:00Z".parse().unwrap(),
            updated: "2024-04-22T00:00:00Z".parse().unwrap(),
        };
        let xml = String::from_utf8(news(&site, &[entry])).unwrap();
        assert!(xml.contains("<news:name>A &amp; B &lt;tin&gt;</news:name>"));
        assert!(
            xml.contains("<news:title>&quot;X&quot; &amp; &apos;Y&apos; &lt;Z&gt;</news:title>")
        );
        assert!(
            xml.contains(
                "<news:publication_date>2024-04-22T07:00:00+07:00</news:publication_date>"
            )
        );
        roxmltree::Document::parse(&xml).unwrap();
    }
}
