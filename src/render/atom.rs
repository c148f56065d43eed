//! Atom 1.0 (RFC 4287) with `atom_syndication`, with RFC 5005 history links and `fh:archive`,
//! and the WebSub hub.

use std::collections::BTreeMap;

use atom_syndication::extension::{Extension, ExtensionMap};
use atom_syndication::{
    Category, Content, Entry, Feed, FixedDateTime, Generator, Link, Person, Text, WriteConfig,
};
use chrono::{DateTime, Utc};

use super::body;
use super::history::Nav;
use super::rss::FH_NAMESPACE;
use super::view::{FeedView, GENERATOR, VERSION};
use crate::model::{Article, Format, Tombstone, feed_guid};
use crate::vietnamese::dateline::{rfc3339, to_vietnam};

/// RFC 6721, The Atom "deleted-entry" Element.
pub const TOMBSTONE_NS: &str = "http://purl.org/atompub/tombstones/1.0";

const ATOM: &str = "application/atom+xml";

pub fn render(view: &FeedView<'_>, nav: &Nav) -> Vec<u8> {
    let site = view.site;
    let slug = &view.feed.slug;
    // An empty feed still needs an `updated`; the epoch keeps it deterministic.
    let updated = view.last_updated().unwrap_or(DateTime::UNIX_EPOCH);
    let mut links = vec![
        link(&nav.self_url(site, slug, Format::Atom), "self", ATOM),
        link(&site.category_url(slug), "alternate", "text/html"),
    ];
    for l in nav.links(site, slug, Format::Atom) {
        links.push(link(&l.href, l.rel, ATOM));
    }
    if let (Some(hub), true) = (&site.hub, nav.is_subscription()) {
        links.push(Link {
            href: hub.clone(),
            rel: "hub".into(),
            ..Link::default()
        });
    }
    // RFC 4287 4.2.5 and 4.2.8: a square icon, a logo twice as wide as high.
    let images = view.images();
    let mut namespaces = namespaces(view.tombstones);
    let mut extensions = tombstones(view.tombstones);
    if nav.is_archive() {
        namespaces.insert("fh".to_string(), FH_NAMESPACE.to_string());
        let archive = Extension {
            name: "fh:archive".into(),
            ..Extension::default()
        };
        extensions.insert(
            "fh".into(),
            BTreeMap::from([("archive".to_string(), vec![archive])]),
        );
    }
    let feed = Feed {
        title: Text::plain(view.title()),
        id: feed_guid(slug),
        updated: fixed(updated),
        links,
        extensions,
        namespaces,
        subtitle: Some(Text::plain(view.description().to_string())),
        icon: Some(images.icon.url),
        logo: Some(images.logo.url),
        generator: Some(Generator {
            value: GENERATOR.into(),
            uri: None,
            version: Some(VERSION.into()),
        }),
        lang: Some("vi".into()),
        entries: view.articles.iter().map(|a| entry(view, a)).collect(),
        ..Feed::default()
    };
    let config = WriteConfig {
        write_document_declaration: true,
        indent_size: Some(2),
    };
    let mut out = feed
        .write_with_config(Vec::new(), config)
        .expect("writing XML to memory cannot fail");
    out.push(b'\n');
    out
}

fn entry(view: &FeedView<'_>, article: &Article) -> Entry {
    let author = article
        .author
        .clone()
        .unwrap_or_else(|| view.site.title.clone());
    Entry {
        title: Text::plain(article.title.clone()),
        id: article.guid(),
        updated: fixed(article.updated),
        published: Some(fixed(article.published)),
        authors: vec![Person {
            name: author,
            ..Person::default()
        }],
        categories: article
            .categories
            .iter()
            .map(|slug| Category {
                term: slug.clone(),
                scheme: None,
                label: Some(view.feeds.title_of(slug).to_string()),
            })
            .collect(),
        links: entry_links(view, article),
        summary: Some(Text::plain(article.summary.clone())),
        // A summary-only feed keeps the summary and the alternate link, which RFC 4287 4.1.2
        // requires of an entry without content.
        content: view.full_content().then(|| Content {
            value: Some(body::html_at(
                &article.body,
                &view.site.article_url(article),
            )),
            content_type: Some("html".into()),
            ..Content::default()
        }),
        ..Entry::default()
    }
}

/// The namespace is declared only when used, so a feed without deletions stays plain Atom.
fn namespaces(tombstones: &[Tombstone]) -> BTreeMap<String, String> {
    match tombstones {
        [] => BTreeMap::new(),
        _ => BTreeMap::from([("at".to_string(), TOMBSTONE_NS.to_string())]),
    }
}

fn tombstones(tombstones: &[Tombstone]) -> ExtensionMap {
    if tombstones.is_empty() {
        return ExtensionMap::new();
    }
    let deleted = tombstones
        .iter()
        .map(|t| Extension {
            name: "at:deleted-entry".into(),
            // `ref` is the entry's Atom id, `when` the stored deletion time (RFC 6721 §2).
            // atom_syndication writes attribute values as given: both are plain ASCII.
            attrs: BTreeMap::from([
                ("ref".to_string(), t.guid()),
                ("when".to_string(), rfc3339(t.deleted)),
            ]),
            ..Extension::default()
        })
        .collect();
    ExtensionMap::from([(
        "at".to_string(),
        BTreeMap::from([("deleted-entry".to_string(), deleted)]),
    )])
}

fn entry_links(view: &FeedView<'_>, article: &Article) -> Vec<Link> {
    let mut links = vec![link(
        &view.site.article_url(article),
        "alternate",
        "text/html",
    )];
    if let Some(image) = view.image(article) {
        links.push(Link {
            href: image.url,
            rel: "enclosure".into(),
            mime_type: image.mime_type,
            length: image.length.map(|l| l.to_string()),
            ..Link::default()
        });
    }
    links
}

fn link(href: &str, rel: &str, mime: &str) -> Link {
    Link {
        href: href.to_string(),
        rel: rel.to_string(),
        mime_type: Some(mime.to_string()),
        ..Link::default()
    }
}

fn fixed(t: DateTime<Utc>) -> FixedDateTime {
    to_vietnam(t).fixed_offset()
}
