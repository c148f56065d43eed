//! Atom 1.0 (RFC 4287) with `atom_syndication`.

use std::collections::BTreeMap;

use atom_syndication::extension::{Extension, ExtensionMap};
use atom_syndication::{
    Category, Content, Entry, Feed, FixedDateTime, Generator, Link, Person, Text, WriteConfig,
};
use chrono::{DateTime, Utc};

use super::{FeedView, GENERATOR, VERSION, body};
use crate::model::{Article, Format, Tombstone, feed_guid};
use crate::vietnamese::dateline::{rfc3339, to_vietnam};

/// RFC 6721, The Atom "deleted-entry" Element.
pub const TOMBSTONE_NS: &str = "http://purl.org/atompub/tombstones/1.0";

pub fn render(view: &FeedView<'_>) -> Vec<u8> {
    let site = view.site;
    let slug = &view.feed.slug;
    // An empty feed still needs an `updated`; the epoch keeps it deterministic.
    let updated = view.last_updated().unwrap_or(DateTime::UNIX_EPOCH);
    let feed = Feed {
        title: Text::plain(view.title()),
        id: feed_guid(slug),
        updated: fixed(updated),
        links: vec![
            link(
                &site.feed_url(slug, Format::Atom),
                "self",
                "application/atom+xml",
            ),
            link(&site.index_url(), "alternate", "text/html"),
        ],
        subtitle: Some(Text::plain(view.feed.description.clone())),
        generator: Some(Generator {
            value: GENERATOR.into(),
            uri: None,
            version: Some(VERSION.into()),
        }),
        lang: Some("vi".into()),
        entries: view.articles.iter().map(|a| entry(view, a)).collect(),
        extensions: tombstones(view.tombstones),
        namespaces: namespaces(view.tombstones),
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
        links: vec![link(
            &view.site.article_url(article),
            "alternate",
            "text/html",
        )],
        summary: Some(Text::plain(article.summary.clone())),
        content: Some(Content {
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
