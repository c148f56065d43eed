//! No text field reaches a reader as live markup. Hostile markup, entities, double-escaped
//! entities and CDATA tricks go into every text field (title, summary, author, body text,
//! figure caption, `content_html`, the site title); every output format is rendered and read
//! back with an independent parser (roxmltree for RSS and Atom, serde_json for JSON Feed),
//! and every field a reader shows as HTML (RSS `description` and `content:encoded`, Atom
//! `content type="html"`, JSON `content_html`, the HTML pages) is parsed by html5ever, as a
//! browser or a feed reader would, to check that it holds no script, no iframe, no `on*`
//! attribute and no `javascript:` URL, and that the plain-text fields read back as the text
//! that was meant.

mod common;

use chrono::DateTime;
use common::*;
use proptest::prelude::*;
use scraper::{ElementRef, Html, Selector};
use serde_json::{Value, json};
use vnfeed::feeds::FeedSet;
use vnfeed::import::json as json_import;
use vnfeed::model::{Article, Block, Format};
use vnfeed::render::{self, Site};
use vnfeed::vietnamese::text::clean_line;

const RSS_CONTENT: &str = "http://purl.org/rss/1.0/modules/content/";
const DC: &str = "http://purl.org/dc/elements/1.1/";
const ATOM: &str = "http://www.w3.org/2005/Atom";

/// What an attacker types: markup, entities that decode to markup, entities that decode to
/// entities, and ways out of a CDATA section.
const PIECES: &[&str] = &[
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "&lt;img src=x onerror=alert(1)&gt;",
    "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;",
    "&#60;iframe src=x&#62;",
    "&#x3C;svg onload=alert(1)&#x3E;",
    "&amp;amp;",
    "&lt;",
    "&gt;",
    "&quot;",
    "&nbsp;",
    "]]>",
    "]]&gt;",
    "<![CDATA[",
    "<![CDATA[<script>alert(1)</script>]]>",
    "]]><script>alert(1)</script><![CDATA[",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<svg onload=alert(1)>",
    "<p onclick=\"x()\">",
    "\" onmouseover=\"alert(1)",
    "' onfocus='alert(1)",
    "</title><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "</style><script>alert(1)</script>",
    "<plaintext>",
    "<xmp>",
    "<!--",
    "-->",
    "<math><mi xlink:href=\"javascript:alert(1)\">",
    "<",
    ">",
    "&",
    "\"",
    "'",
    "=",
    "Tóm tắt",
    "Đảng",
    "biên giới",
    " ",
];

fn hostile(max: usize) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => proptest::sample::select(PIECES).prop_map(str::to_string),
        1 => any::<char>().prop_map(String::from),
        2 => "[a-zA-Zà-ỹĐđ ]{1,10}",
        1 => Just("\u{feff}".to_string()),
    ];
    proptest::collection::vec(piece, 0..max).prop_map(|v| v.concat())
}

/// One hostile article: its JSON fields, then a caption and image source for a figure.
#[derive(Debug, Clone)]
struct Input {
    title: String,
    summary: Option<String>,
    author: Option<String>,
    /// `content_html` when `html` is true, else the plain `body`.
    body: String,
    html: bool,
    caption: String,
    src: String,
    site_title: String,
}

fn input() -> impl Strategy<Value = Input> {
    (
        hostile(8),
        prop::option::of(hostile(8)),
        prop::option::of(hostile(4)),
        hostile(16),
        any::<bool>(),
        hostile(6),
        hostile(3),
        hostile(4),
    )
        .prop_map(
            |(title, summary, author, body, html, caption, src, site_title)| Input {
                title,
                summary,
                author,
                body,
                html,
                caption,
                src,
                site_title,
            },
        )
}

/// The article the importer makes of `input`, with a figure added after its body, or `None`
/// when the importer refuses it (an empty title, say).
fn article(input: &Input, feeds: &FeedSet) -> Option<Article> {
    let mut doc = json!({
        "id": "bai-hiem",
        "title": input.title,
        "published": "2024-04-22T07:00:00+07:00",
        "summary": input.summary,
        "author": input.author,
        "categories": ["borders"],
    });
    let key = if input.html { "content_html" } else { "body" };
    doc[key] = Value::String(input.body.clone());
    let object = json_import::parse_object(&doc.to_string()).expect("serde_json wrote it");
    let mut article = json_import::to_draft(&Value::Object(object), feeds)
        .ok()?
        .into_article("bai-hiem".into());
    article.body.push(Block::Figure {
        caption: clean_line(&input.caption),
        src: Some(format!("anh/{}.jpg", input.src)),
    });
    Some(article)
}

/// Fails unless the HTML, parsed as a reader parses it, holds no script, iframe, object or
/// embed element, no `on*` attribute and no `javascript:` URL.
fn assert_inert(html: &Html, what: &str, source: &str) {
    for node in html.tree.nodes() {
        let Some(element) = ElementRef::wrap(node) else {
            continue;
        };
        let name = element.value().name();
        assert!(
            !["script", "iframe", "object", "embed", "frame"].contains(&name),
            "{what}: a live <{name}> in {source:?}"
        );
        for (attr, value) in element.value().attrs() {
            assert!(
                !attr.to_ascii_lowercase().starts_with("on"),
                "{what}: a live {attr}= on <{name}> in {source:?}"
            );
            let url = value.trim().to_ascii_lowercase();
            assert!(
                !url.starts_with("javascript:"),
                "{what}: a javascript: URL in {attr}= on <{name}> in {source:?}"
            );
        }
    }
}

/// A feed field that readers show as HTML: inert, and its text.
fn html_field(html: &str, what: &str) -> String {
    let parsed = Html::parse_fragment(html);
    assert_inert(&parsed, what, html);
    parsed.root_element().text().collect()
}

/// `text` as an HTML parser reads it back from a field it opens: as a browser's decoder
/// does, html5ever drops a byte order mark at the very start.
fn as_opening_text(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

fn select<'a>(html: &'a Html, css: &str) -> Vec<ElementRef<'a>> {
    let selector = Selector::parse(css).unwrap();
    html.select(&selector).collect()
}

fn text_of(element: &ElementRef<'_>) -> String {
    element.text().collect()
}

/// The text of the one child element `name` (in namespace `ns`) of `node`.
fn child_text<'a>(node: roxmltree::Node<'a, 'a>, ns: &str, name: &str) -> Option<String> {
    node.children()
        .find(|c| c.has_tag_name((ns, name)))
        .map(|c| c.children().filter_map(|t| t.text()).collect())
}

fn rss_child(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    node.children()
        .find(|c| {
            c.is_element() && c.tag_name().name() == name && c.tag_name().namespace().is_none()
        })
        .map(|c| c.children().filter_map(|t| t.text()).collect())
}

/// Renders `article` in every format and checks what a reader would see.
fn assert_reads_as_text(article: &Article, site_title: &str, feeds: &FeedSet) {
    let site = Site::new("https://tin.example", site_title);
    let content = FeedContent {
        articles: vec![article.clone()],
        tombstones: vec![],
    };
    let feed = feeds.category("borders").expect("the borders feed");
    let view = content.view(&site, feed, feeds);
    let caption = article
        .body
        .iter()
        .find_map(|b| match b {
            Block::Figure { caption, .. } => Some(caption.as_str()),
            _ => None,
        })
        .unwrap();
    let paragraphs: Vec<&str> = article
        .body
        .iter()
        .filter_map(|b| match b {
            Block::Paragraph { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    let check_body = |html: &str, what: &str| {
        let parsed = Html::parse_fragment(html);
        assert_inert(&parsed, what, html);
        let captions: Vec<String> = select(&parsed, "figcaption").iter().map(text_of).collect();
        assert_eq!(captions, [caption], "{what}: the caption, as text");
        if !paragraphs.is_empty() {
            let texts: Vec<String> = select(&parsed, "p").iter().map(text_of).collect();
            assert_eq!(texts, paragraphs, "{what}: the paragraphs, as text");
        }
    };

    // RSS 2.0.
    let rss = render::feed(&view, Format::Rss);
    assert_well_formed(&rss);
    let text = std::str::from_utf8(&rss).unwrap();
    let doc = roxmltree::Document::parse(text).unwrap();
    let channel = doc.root_element().first_element_child().unwrap();
    let item = channel
        .children()
        .find(|c| c.has_tag_name("item"))
        .expect("one item");
    assert_eq!(
        rss_child(item, "title").as_deref(),
        Some(article.title.as_str())
    );
    let description = rss_child(item, "description").expect("a description");
    assert_eq!(
        html_field(&description, "RSS description"),
        as_opening_text(&article.summary),
        "RSS description: the summary, as text"
    );
    let encoded = child_text(item, RSS_CONTENT, "encoded").expect("content:encoded");
    check_body(&encoded, "RSS content:encoded");
    assert_eq!(child_text(item, DC, "creator"), article.author);
    let channel_description = rss_child(channel, "description").expect("a channel description");
    assert_eq!(
        html_field(&channel_description, "RSS channel description"),
        as_opening_text(&feed.description)
    );

    // Atom 1.0.
    let atom = render::feed(&view, Format::Atom);
    assert_well_formed(&atom);
    let text = std::str::from_utf8(&atom).unwrap();
    let doc = roxmltree::Document::parse(text).unwrap();
    let entry = doc
        .root_element()
        .children()
        .find(|c| c.has_tag_name((ATOM, "entry")))
        .expect("one entry");
    let typed = |name: &str| {
        let node = entry.children().find(|c| c.has_tag_name((ATOM, name)))?;
        let text: String = node.children().filter_map(|t| t.text()).collect();
        Some((node.attribute("type").unwrap_or("text").to_string(), text))
    };
    assert_eq!(typed("title"), Some(("text".into(), article.title.clone())));
    if !article.summary.is_empty() {
        assert_eq!(
            typed("summary"),
            Some(("text".into(), article.summary.clone()))
        );
    }
    let (kind, content) = typed("content").expect("Atom content");
    assert_eq!(kind, "html");
    check_body(&content, "Atom content");
    let author = entry
        .children()
        .find(|c| c.has_tag_name((ATOM, "author")))
        .and_then(|a| child_text(a, ATOM, "name"));
    if article.author.is_some() {
        assert_eq!(author, article.author);
    }

    // JSON Feed 1.1.
    let json: Value = serde_json::from_slice(&render::feed(&view, Format::Json)).unwrap();
    let item = &json["items"][0];
    assert_eq!(item["title"], article.title.as_str());
    if !article.summary.is_empty() {
        assert_eq!(item["summary"], article.summary.as_str());
    }
    check_body(
        item["content_html"].as_str().expect("content_html"),
        "JSON content_html",
    );
    if let Some(author) = &article.author {
        assert_eq!(item["authors"][0]["name"], author.as_str());
    }

    // The HTML pages.
    let pages = render::html::Html { site: &site, feeds };
    let page = String::from_utf8(pages.article(article)).unwrap();
    let parsed = Html::parse_document(&page);
    assert_inert(&parsed, "article page", &page);
    let h1: Vec<String> = select(&parsed, "h1").iter().map(text_of).collect();
    assert_eq!(h1, [article.title.as_str()]);
    let title: Vec<String> = select(&parsed, "title").iter().map(text_of).collect();
    assert_eq!(title, [format!("{} – {}", article.title, site_title)]);
    let captions: Vec<String> = select(&parsed, "figcaption").iter().map(text_of).collect();
    assert_eq!(captions, [caption]);
    let page = String::from_utf8(pages.category(feed, std::slice::from_ref(article))).unwrap();
    let parsed = Html::parse_document(&page);
    assert_inert(&parsed, "category page", &page);
    let cards: Vec<String> = select(&parsed, "ul.articles h3")
        .iter()
        .map(text_of)
        .collect();
    assert_eq!(cards, [article.title.as_str()]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn hostile_text_in_any_field_reaches_readers_as_text(input in input()) {
        let feeds = feeds();
        if let Some(article) = article(&input, &feeds) {
            assert_reads_as_text(&article, &clean_line(&input.site_title), &feeds);
        }
    }
}

/// The first case: a plain-text summary with markup went into RSS `description`
/// as it was, and readers show `description` as HTML.
#[test]
fn a_summary_with_markup_is_escaped_in_rss_description() {
    let feeds = feeds();
    let input = Input {
        title: "Tin".into(),
        summary: Some("Tóm tắt <img src=x onerror=alert(1)>".into()),
        author: None,
        body: "Đoạn một.".into(),
        html: false,
        caption: "Ảnh.".into(),
        src: "a".into(),
        site_title: "Báo".into(),
    };
    let article = article(&input, &feeds).unwrap();
    assert_eq!(article.summary, "Tóm tắt <img src=x onerror=alert(1)>");
    assert_reads_as_text(&article, "Báo", &feeds);
}

/// The second case: sanitized `content_html` holds `&lt;img …&gt;` as text; the
/// summary taken from it decodes the entities (it is text), and RSS must not show that text
/// as markup.
#[test]
fn a_summary_taken_from_content_html_never_becomes_markup() {
    let feeds = feeds();
    let input = Input {
        title: "Tin".into(),
        summary: None,
        author: Some("Phóng viên".into()),
        body: "<p>&lt;img src=x onerror=alert(1)&gt;</p>".into(),
        html: true,
        caption: "Ảnh.".into(),
        src: "a".into(),
        site_title: "Báo".into(),
    };
    let article = article(&input, &feeds).unwrap();
    assert_eq!(article.summary, "<img src=x onerror=alert(1)>");
    assert_reads_as_text(&article, "Báo", &feeds);
    let site = Site::new("https://tin.example", "Báo");
    let content = FeedContent {
        articles: vec![article],
        tombstones: vec![],
    };
    let view = content.view(&site, feeds.all(), &feeds);
    let rss = String::from_utf8(render::feed(&view, Format::Rss)).unwrap();
    assert!(
        rss.contains("<description><![CDATA[&lt;img src=x onerror=alert(1)&gt;]]></description>"),
        "{rss}"
    );
}

/// Unchanged content renders to unchanged bytes: a summary with no markup characters is
/// written as it was before descriptions were escaped.
#[test]
fn a_plain_summary_is_written_as_it_was() {
    let feeds = feeds();
    let site = Site::new("https://tin.example", "Báo");
    let mut article = article(
        &Input {
            title: "Tin".into(),
            summary: Some("Tóm tắt \"trích dẫn\" và 'nháy đơn'.".into()),
            author: None,
            body: "Đoạn.".into(),
            html: false,
            caption: "Ảnh.".into(),
            src: "a".into(),
            site_title: "Báo".into(),
        },
        &feeds,
    )
    .unwrap();
    article.published = DateTime::from_timestamp(1_713_744_000, 0).unwrap();
    let content = FeedContent {
        articles: vec![article],
        tombstones: vec![],
    };
    let view = content.view(&site, feeds.all(), &feeds);
    let rss = String::from_utf8(render::feed(&view, Format::Rss)).unwrap();
    assert!(
        rss.contains("<description><![CDATA[Tóm tắt \"trích dẫn\" và 'nháy đơn'.]]></description>"),
        "{rss}"
    );
}
