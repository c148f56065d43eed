//! JSON Feed 1.1 (https://jsonfeed.org/version/1.1), written with serde. Items carry the same
//! ids (the article GUIDs) and instants (RFC 3339 in Vietnam time) as the RSS and Atom feeds.
//! No JSON Feed crate is both maintained and complete, and the format is a dozen fields.

use serde::Serialize;

use super::body;
use super::history::Nav;
use super::view::FeedView;
use crate::model::{Article, Format};
use crate::vietnamese::dateline::rfc3339;

pub const VERSION_URL: &str = "https://jsonfeed.org/version/1.1";

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: String,
    home_page_url: String,
    feed_url: String,
    description: &'a str,
    icon: String,
    favicon: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_url: Option<String>,
    language: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<Hub>,
    items: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct Hub {
    #[serde(rename = "type")]
    kind: &'static str,
    url: String,
}

#[derive(Serialize)]
struct Item<'a> {
    id: String,
    url: String,
    title: &'a str,
    /// JSON Feed 1.1: an item has `content_html` or `content_text`, or both. A summary-only
    /// feed gives the lead as `content_text` instead of the body as `content_html`.
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<&'a str>,
    summary: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Author<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<&'a str>,
    language: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<Attachment>,
}

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct Attachment {
    url: String,
    mime_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    size_in_bytes: Option<u64>,
}

pub fn render(view: &FeedView<'_>, nav: &Nav) -> Vec<u8> {
    let site = view.site;
    let slug = &view.feed.slug;
    let hubs = match (&site.hub, nav.is_subscription()) {
        (Some(url), true) => vec![Hub {
            kind: "WebSub",
            url: url.clone(),
        }],
        _ => Vec::new(),
    };
    let images = view.images();
    let feed = JsonFeed {
        version: VERSION_URL,
        title: view.title(),
        home_page_url: site.category_url(slug),
        feed_url: nav.self_url(site, slug, Format::Json),
        description: view.description(),
        icon: images.icon.url,
        favicon: images.favicon.url,
        next_url: nav.older(site, slug, Format::Json),
        language: "vi",
        hubs,
        items: view.articles.iter().map(|a| item(view, a)).collect(),
    };
    let mut out = serde_json::to_vec_pretty(&feed).expect("plain structs serialize");
    out.push(b'\n');
    out
}

fn item<'a>(view: &'a FeedView<'_>, article: &'a Article) -> Item<'a> {
    let image = view.image(article);
    let full = view.full_content();
    let attachments = image
        .iter()
        .filter_map(|i| {
            Some(Attachment {
                url: i.url.clone(),
                mime_type: i.mime_type.clone()?,
                size_in_bytes: i.length,
            })
        })
        .collect();
    Item {
        id: article.guid(),
        url: view.site.article_url(article),
        title: &article.title,
        content_html: full.then(|| body::html_at(&article.body, &view.site.article_url(article))),
        // The lead; the title when an article has none, so the item is never without content.
        content_text: (!full).then(|| match article.summary.trim() {
            "" => article.title.as_str(),
            _ => article.summary.as_str(),
        }),
        summary: &article.summary,
        image: image.map(|i| i.url),
        date_published: rfc3339(article.published),
        date_modified: rfc3339(article.updated),
        authors: article.author.iter().map(|name| Author { name }).collect(),
        tags: article
            .categories
            .iter()
            .map(|slug| view.feeds.title_of(slug))
            .collect(),
        language: "vi",
        attachments,
    }
}
