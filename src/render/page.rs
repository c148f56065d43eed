//! HTML pages for people: the index of feeds (with autodiscovery links) and one page per
//! article, the item link of articles that have no URL of their own.

use super::{Site, body::escape};
use crate::feeds::{FeedDef, FeedSet};
use crate::model::{Article, Format};
use crate::vietnamese::dateline::human_vi;

const STYLE: &str = "body{font:18px/1.6 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#222}\
h1{line-height:1.25}figure{margin:1.5rem 0;font-style:italic;color:#555}.meta{color:#666}\
a{color:#0b5394}li{margin:.4rem 0}";

fn alternate_links(site: &Site, feeds: &[&FeedDef]) -> String {
    let mut out = String::new();
    for feed in feeds {
        for (format, mime) in [
            (Format::Rss, "application/rss+xml"),
            (Format::Atom, "application/atom+xml"),
        ] {
            out.push_str(&format!(
                "<link rel=\"alternate\" type=\"{mime}\" title=\"{}\" href=\"{}\">\n",
                escape(&format!("{} – {}", feed.title, site.title)),
                escape(&site.feed_url(&feed.slug, format)),
            ));
        }
    }
    out
}

fn document(title: &str, head: &str, main: &str) -> Vec<u8> {
    format!(
        "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n{head}<style>{STYLE}</style>\n</head>\n<body>\n{main}</body>\n</html>\n",
        escape(title)
    )
    .into_bytes()
}

pub fn index(site: &Site, feeds: &FeedSet) -> Vec<u8> {
    let all: Vec<&FeedDef> = feeds.feeds().collect();
    let mut main = format!("<h1>{}</h1>\n<ul>\n", escape(&site.title));
    for feed in &all {
        main.push_str(&format!(
            "<li><strong>{}</strong> ({}) — {} · <a href=\"{}\">RSS</a> · <a href=\"{}\">Atom</a></li>\n",
            escape(&feed.title),
            escape(&feed.title_en),
            escape(&feed.description),
            escape(&site.feed_url(&feed.slug, Format::Rss)),
            escape(&site.feed_url(&feed.slug, Format::Atom)),
        ));
    }
    main.push_str("</ul>\n");
    document(&site.title, &alternate_links(site, &all), &main)
}

pub fn article(site: &Site, feeds: &FeedSet, article: &Article) -> Vec<u8> {
    let categories: Vec<&FeedDef> = article
        .categories
        .iter()
        .filter_map(|c| feeds.category(c))
        .collect();
    let mut head = format!(
        "<link rel=\"canonical\" href=\"{}\">\n",
        escape(&site.article_url(article))
    );
    head.push_str(&alternate_links(site, &categories));
    let mut meta = escape(&human_vi(article.published));
    if let Some(author) = &article.author {
        meta.push_str(&format!(" · {}", escape(author)));
    }
    let labels: Vec<String> = categories.iter().map(|f| escape(&f.title)).collect();
    if !labels.is_empty() {
        meta.push_str(&format!(" · {}", labels.join(", ")));
    }
    let main = format!(
        "<p><a href=\"{}\">{}</a></p>\n<article>\n<h1>{}</h1>\n<p class=\"meta\">{meta}</p>\n{}</article>\n",
        escape(&site.index_url()),
        escape(&site.title),
        escape(&article.title),
        super::body::html_at(&article.body, &site.article_url(article)),
    );
    document(&format!("{} – {}", article.title, site.title), &head, &main)
}
