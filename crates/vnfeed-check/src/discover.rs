//! What a document points to, for a check that walks a site: an HTML page's
//! `<link rel="alternate">` feeds, an OPML list's `xmlUrl`s, and a feed's `rel="next"`
//! page and `prev-archive` archive (RFC 5005; JSON Feed's `next_url`). Pure functions of
//! bytes and a base URL; the walk itself is `site`'s.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use url::Url;

/// The feed types a page may announce as alternates.
const FEED_TYPES: &[&str] = &[
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
];

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";

/// What kind of thing a body that is not a feed is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An HTML page, to look into for alternate feeds.
    Html,
    /// An OPML subscription list.
    Opml,
}

/// Tells an HTML page or an OPML list from anything else, by Content-Type when there is one
/// and by the first markup otherwise.
pub fn kind(body: &[u8], content_type: Option<&str>) -> Option<Kind> {
    match content_type {
        Some("text/html" | "application/xhtml+xml") => return Some(Kind::Html),
        Some("text/x-opml" | "application/opml+xml") => return Some(Kind::Opml),
        _ => {}
    }
    let head = String::from_utf8_lossy(&body[..body.len().min(1024)]).to_ascii_lowercase();
    let start = head
        .trim_start_matches('\u{feff}')
        .split('<')
        .map(str::trim_start)
        .find(|tag| !tag.is_empty() && !tag.starts_with('?') && !tag.starts_with("!--"))?;
    if start.starts_with("!doctype html") || start.starts_with("html") {
        Some(Kind::Html)
    } else if start.starts_with("opml") {
        Some(Kind::Opml)
    } else {
        None
    }
}

/// The feeds an HTML page announces with `<link rel="alternate" type="…feed type…">`, in
/// page order, resolved against `<base href>` or the page's URL; duplicates dropped.
pub fn alternates(html: &[u8], page: &Url) -> Vec<Url> {
    struct Links(RefCell<Vec<Vec<(String, String)>>>);
    impl TokenSink for Links {
        type Handle = ();
        fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
            if let Token::TagToken(Tag {
                kind: TagKind::StartTag,
                name,
                attrs,
                ..
            }) = token
                && (&*name == "link" || &*name == "base")
            {
                let mut attributes = vec![("".to_string(), name.to_string())];
                attributes.extend(
                    attrs
                        .iter()
                        .map(|a| (a.name.local.to_string(), a.value.to_string())),
                );
                self.0.borrow_mut().push(attributes);
            }
            TokenSinkResult::Continue
        }
    }
    let text = String::from_utf8_lossy(html);
    let queue = BufferQueue::default();
    queue.push_back(StrTendril::from_slice(&text));
    let tokenizer = Tokenizer::new(Links(RefCell::new(Vec::new())), TokenizerOpts::default());
    let _ = tokenizer.feed(&queue);
    tokenizer.end();
    let tags = tokenizer.sink.0.take();
    let get = |tag: &[(String, String)], name: &str| {
        tag.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
    };
    let base = tags
        .iter()
        .find(|t| get(t, "").as_deref() == Some("base"))
        .and_then(|t| get(t, "href"))
        .and_then(|href| page.join(&href).ok())
        .unwrap_or_else(|| page.clone());
    let mut out: Vec<Url> = Vec::new();
    for tag in tags
        .iter()
        .filter(|t| get(t, "").as_deref() == Some("link"))
    {
        let rel = get(tag, "rel").unwrap_or_default().to_ascii_lowercase();
        let kind = get(tag, "type").unwrap_or_default().to_ascii_lowercase();
        let is_feed = rel.split_ascii_whitespace().any(|r| r == "alternate")
            && FEED_TYPES.contains(&kind.split(';').next().unwrap_or("").trim());
        if let (true, Some(href)) = (is_feed, get(tag, "href"))
            && let Ok(url) = base.join(&href)
            && !out.contains(&url)
        {
            out.push(url);
        }
    }
    out
}

/// Every `xmlUrl` of an OPML document, nested outlines included, in document order,
/// resolved against `base` when there is one; duplicates dropped.
pub fn opml_feeds(opml: &[u8], base: Option<&Url>) -> Result<Vec<Url>, String> {
    let text = std::str::from_utf8(opml).map_err(|e| format!("the OPML is not UTF-8: {e}"))?;
    let document = roxmltree::Document::parse(text)
        .map_err(|e| format!("the OPML is not well-formed XML: {e}"))?;
    let mut out: Vec<Url> = Vec::new();
    for outline in document.descendants().filter(|n| n.has_tag_name("outline")) {
        let Some(href) = outline.attribute("xmlUrl") else {
            continue;
        };
        let url = match base {
            Some(base) => base.join(href.trim()),
            None => Url::parse(href.trim()),
        };
        match url {
            Ok(url) if !out.contains(&url) => out.push(url),
            Ok(_) => {}
            Err(e) => {
                let line = document.text_pos_at(outline.range().start).row;
                return Err(format!("line {line}: xmlUrl `{href}` is not a URL: {e}"));
            }
        }
    }
    Ok(out)
}

/// The older documents a feed links to: Atom `link` elements (in Atom or RSS) with
/// `rel="next"` or `rel="prev-archive"`, or JSON Feed's `next_url`, resolved against `base`.
/// A document that cannot be read gives none: its findings already say why.
pub fn older_documents(feed: &[u8], base: &Url) -> Vec<Url> {
    let mut hrefs = Vec::new();
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(feed) {
        if let Some(next) = json.get("next_url").and_then(|v| v.as_str()) {
            hrefs.push(next.to_string());
        }
    } else {
        let text = String::from_utf8_lossy(feed);
        let options = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        };
        if let Ok(document) = roxmltree::Document::parse_with_options(&text, options) {
            hrefs.extend(
                document
                    .descendants()
                    .filter(|n| n.has_tag_name((ATOM_NS, "link")))
                    .filter(|n| matches!(n.attribute("rel"), Some("next" | "prev-archive")))
                    .filter_map(|n| n.attribute("href"))
                    .map(|h| h.trim().to_string()),
            );
        }
    }
    let mut out: Vec<Url> = Vec::new();
    for url in hrefs.iter().filter_map(|h| base.join(h).ok()) {
        if !out.contains(&url) {
            out.push(url);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternates_are_the_announced_feeds_resolved_against_base() {
        let page = Url::parse("https://bao.example/tin/").unwrap();
        let html = br#"<!DOCTYPE html><html><head>
            <base href="/goc/">
            <link rel="stylesheet" href="a.css">
            <link rel="alternate" type="application/rss+xml" href="tin.rss">
            <link rel="Alternate" type="application/atom+xml; charset=utf-8" href="https://khac.example/tin.atom">
            <link rel="alternate" type="text/html" hreflang="en" href="/en/">
            <link rel="alternate" type="application/rss+xml" href="tin.rss">
            </head><body><link rel="alternate" type="application/feed+json" href="tin.json"></body></html>"#;
        let got: Vec<String> = alternates(html, &page).iter().map(Url::to_string).collect();
        assert_eq!(
            got,
            [
                "https://bao.example/goc/tin.rss",
                "https://khac.example/tin.atom",
                "https://bao.example/goc/tin.json"
            ]
        );
    }

    #[test]
    fn kinds_are_told_by_type_then_by_first_markup() {
        assert_eq!(kind(b"<rss/>", Some("text/html")), Some(Kind::Html));
        assert_eq!(
            kind(
                b"\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!-- x --><opml version=\"2.0\">",
                None
            ),
            Some(Kind::Opml)
        );
        assert_eq!(kind(b"  <!doctype HTML><html>", None), Some(Kind::Html));
        assert_eq!(
            kind(b"<?xml version=\"1.0\"?><rss version=\"2.0\">", None),
            None
        );
        assert_eq!(kind(b"{\"version\": 1}", Some("application/json")), None);
    }

    #[test]
    fn opml_feeds_are_every_xml_url_nested_included() {
        let opml = br#"<?xml version="1.0"?><opml version="2.0"><head/><body>
            <outline text="Tin"><outline text="a" xmlUrl="https://a.example/a.rss"/>
            <outline text="b" type="rss" xmlUrl="/b.atom"/></outline>
            <outline text="no feed" htmlUrl="https://c.example/"/>
            <outline text="a again" xmlUrl="https://a.example/a.rss"/></body></opml>"#;
        let base = Url::parse("http://127.0.0.1:8080/feeds.opml").unwrap();
        let got: Vec<String> = opml_feeds(opml, Some(&base))
            .unwrap()
            .iter()
            .map(Url::to_string)
            .collect();
        assert_eq!(
            got,
            ["https://a.example/a.rss", "http://127.0.0.1:8080/b.atom"]
        );
        let error = opml_feeds(
            b"<opml>\n<body><outline xmlUrl=\"b.atom\"/></body></opml>",
            None,
        )
        .unwrap_err();
        assert_eq!(
            error,
            "line 2: xmlUrl `b.atom` is not a URL: relative URL without a base"
        );
    }

    #[test]
    fn older_documents_are_next_pages_and_previous_archives() {
        let base = Url::parse("http://h.example/feeds/all.atom").unwrap();
        let atom = br#"<feed xmlns="http://www.w3.org/2005/Atom">
            <link rel="self" href="/feeds/all.atom"/><link rel="first" href="/feeds/all.atom"/>
            <link rel="next" href="/feeds/all.atom?page=2"/>
            <link rel="prev-archive" href="all/archive/3.atom"/>
            <link rel="next-archive" href="all/archive/5.atom"/></feed>"#;
        let got: Vec<String> = older_documents(atom, &base)
            .iter()
            .map(Url::to_string)
            .collect();
        assert_eq!(
            got,
            [
                "http://h.example/feeds/all.atom?page=2",
                "http://h.example/feeds/all/archive/3.atom"
            ]
        );
        let rss = br#"<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
            <atom:link rel="next" href="http://h.example/feeds/all.rss?page=2"/>
            <link>http://h.example/</link></channel></rss>"#;
        assert_eq!(older_documents(rss, &base).len(), 1);
        let json =
            br#"{"version": "https://jsonfeed.org/version/1.1", "next_url": "all.json?page=3"}"#;
        assert_eq!(
            older_documents(json, &base)[0].as_str(),
            "http://h.example/feeds/all.json?page=3"
        );
        assert!(older_documents(b"<rss><channel>", &base).is_empty());
    }
}
