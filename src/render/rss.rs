//! RSS 2.0 with the `rss` crate, plus the `atom`, `content` and `dc` namespaces.

use std::collections::BTreeMap;

use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::{Category, Channel, Guid, Item};

use super::{FeedView, GENERATOR, VERSION, body};
use crate::model::{Article, Format};
use crate::vietnamese::dateline::rfc822;

/// Minutes a reader may cache the feed.
const TTL_MINUTES: u32 = 15;

pub fn render(view: &FeedView<'_>) -> Vec<u8> {
    let namespaces: BTreeMap<String, String> = [
        ("atom", "http://www.w3.org/2005/Atom"),
        ("content", "http://purl.org/rss/1.0/modules/content/"),
        ("dc", "http://purl.org/dc/elements/1.1/"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let self_link = Link {
        href: view.site.feed_url(&view.feed.slug, Format::Rss),
        rel: "self".into(),
        mime_type: Some("application/rss+xml".into()),
        ..Link::default()
    };
    let channel = Channel {
        title: view.title(),
        link: view.site.index_url(),
        description: view.feed.description.clone(),
        language: Some("vi".into()),
        last_build_date: view.last_updated().map(rfc822),
        generator: Some(format!("{GENERATOR} {VERSION}")),
        ttl: Some(TTL_MINUTES.to_string()),
        items: view.articles.iter().map(|a| item(view, a)).collect(),
        atom_ext: Some(AtomExtension {
            links: vec![self_link],
        }),
        namespaces,
        ..Channel::default()
    };
    let mut out = channel
        .pretty_write_to(Vec::new(), b' ', 2)
        .expect("writing XML to memory cannot fail");
    out.push(b'\n');
    with_declaration(out)
}

fn item(view: &FeedView<'_>, article: &Article) -> Item {
    let link = view.site.article_url(article);
    let guid = match &article.url {
        // A GUID may only claim to be a permalink when it is the article's own URL.
        Some(url) => Guid {
            value: url.clone(),
            permalink: true,
        },
        None => Guid {
            value: article.guid(),
            permalink: false,
        },
    };
    Item {
        title: Some(article.title.clone()),
        link: Some(link),
        description: Some(article.summary.clone()),
        guid: Some(guid),
        pub_date: Some(rfc822(article.published)),
        content: Some(body::html_at(
            &article.body,
            &view.site.article_url(article),
        )),
        categories: article
            .categories
            .iter()
            .map(|slug| Category {
                name: view.feeds.title_of(slug).to_string(),
                domain: None,
            })
            .collect(),
        dublin_core_ext: article.author.as_ref().map(|author| DublinCoreExtension {
            creators: vec![author.clone()],
            ..DublinCoreExtension::default()
        }),
        ..Item::default()
    }
}

/// The `rss` crate writes no XML declaration; say the encoding outright.
pub(super) fn with_declaration(xml: Vec<u8>) -> Vec<u8> {
    const DECLARATION: &[u8] = b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
    if xml.starts_with(b"<?xml") {
        return xml;
    }
    let mut out = Vec::with_capacity(DECLARATION.len() + xml.len());
    out.extend_from_slice(DECLARATION);
    out.extend_from_slice(&xml);
    out
}
