//! Property tests: whatever text arrives (control characters, lone surrogate escapes, RTL
//! marks, `]]>`, `--`, markup, huge titles), the article decoders either refuse it with a
//! typed error or yield articles whose feeds are well-formed XML that independent parsers
//! (roxmltree, feed-rs, rss, atom_syndication) read back to the same titles, and JSON Feeds
//! that serde_json reads back the same way.

mod common;

use chrono::{DateTime, Utc};
use common::*;
use proptest::prelude::*;
use serde_json::{Value, json};
use vnfeed::feeds::FeedSet;
use vnfeed::import::json::{self as json_import, JsonErrorKind};
use vnfeed::import::{ImportError, Source, parse_source};
use vnfeed::model::{Article, Block, Draft, Format, Tombstone};
use vnfeed::render::{self, Site};

/// Stands for a lone surrogate: replaced by a `\ud800`-style escape in the JSON text, since
/// a Rust string cannot hold one.
const LONE_HIGH: char = '\u{E0F1}';
const LONE_LOW: char = '\u{E0F2}';

const PIECES: &[&str] = &[
    "]]>",
    "<![CDATA[",
    "--",
    "<!--",
    "-->",
    "&",
    "&amp;",
    "&#0;",
    "&#x1F;",
    "<",
    ">",
    "\"",
    "'",
    "\u{0}",
    "\u{1}",
    "\u{8}",
    "\u{B}",
    "\u{C}",
    "\u{1B}",
    "\u{7F}",
    "\u{85}",
    "\u{9F}",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "\n\n",
    "\u{200E}",
    "\u{200F}",
    "\u{202E}",
    "\u{2066}",
    "\u{FEFF}",
    "\u{FFFE}",
    "\u{FFFF}",
    "\u{FFFD}",
    "\u{D7FF}",
    "\u{E000}",
    "\u{10FFFF}",
    "\u{1F600}",
    "\u{0301}",
    "Đảng",
    "biên giới",
    "an ninh",
    "Ho\u{300}a",
    "ﷺ",
    "שלום",
    "مرحبا",
    " ",
    "\u{A0}",
    "\u{2028}",
    "<script>alert(1)</script>",
    "javascript:",
    "\\",
    "\\u0000",
    "%00",
    "../",
];

const HTML_PIECES: &[&str] = &[
    "<p>",
    "</p>",
    "<b>",
    "</b>",
    "<script>",
    "</script>",
    "<iframe src=x>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">",
    "<a href=\"https://bao.example/\">",
    "</a>",
    "<svg onload=alert(1)>",
    "<style>",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<p onclick=\"x()\">",
    "<math>",
    "<table><tr><td>",
    "<div style=\"x\">",
    "&",
    "&lt;",
    "<",
    "\u{0}",
    "\u{202E}",
];

fn hostile(pieces: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => proptest::sample::select(pieces).prop_map(str::to_string),
        2 => any::<char>().prop_map(String::from),
        1 => Just(LONE_HIGH.to_string()),
        1 => Just(LONE_LOW.to_string()),
        2 => "[a-zA-Zà-ỹĐđ ]{1,12}",
    ];
    proptest::collection::vec(piece, 0..max).prop_map(|v| v.concat())
}

/// One article as the JSON an API client or CMS export would send, lone surrogates included.
fn article_json() -> impl Strategy<Value = String> {
    (
        hostile(PIECES, 24),
        hostile(PIECES, 40),
        prop::option::of(hostile(HTML_PIECES, 30)),
        prop::option::of(hostile(PIECES, 8)),
        prop::option::of(hostile(PIECES, 16)),
        -1_850_000_000i64..253_402_300_000,
        proptest::sample::subsequence(
            vec!["security", "borders", "an-ninh", "party-affairs"],
            0..3,
        ),
    )
        .prop_map(|(title, body, html, author, summary, secs, categories)| {
            let published = DateTime::<Utc>::from_timestamp(secs, 0).unwrap();
            let mut v = json!({
                "title": title,
                "published": published.to_rfc3339(),
                "categories": categories,
                "author": author,
                "summary": summary,
            });
            match html {
                Some(html) => v["content_html"] = Value::String(html),
                None => v["body"] = Value::String(body),
            }
            v.to_string()
                .replace(LONE_HIGH, "\\ud800")
                .replace(LONE_LOW, "\\udfff")
        })
}

fn article_of(draft: Draft, n: usize) -> Article {
    draft.into_article(format!("bai-{n}"))
}

/// Renders `articles` (and a tombstone) in both formats and reads every byte back.
fn assert_feeds_read_back(feeds: &FeedSet, articles: Vec<Article>) {
    let site = Site::new("https://tin.example", "Báo <Thử> & \"Kiểm\"");
    let content = FeedContent {
        tombstones: vec![Tombstone {
            id: "da-go".into(),
            deleted: DateTime::from_timestamp(1_764_000_000, 0).unwrap(),
            categories: vec![],
        }],
        articles,
    };
    let feed = feeds.all();
    let view = content.view(&site, feed, feeds);
    let rss = render::feed(&view, Format::Rss);
    let atom = render::feed(&view, Format::Atom);
    for bytes in [&rss, &atom] {
        let parsed = parse_feed(bytes);
        let titles: Vec<String> = parsed
            .entries
            .iter()
            .map(|e| {
                e.title
                    .as_ref()
                    .map(|t| t.content.clone())
                    .unwrap_or_default()
            })
            .collect();
        let expected: Vec<&str> = content.articles.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(titles, expected);
    }
    let channel = rss::Channel::read_from(&rss[..]).expect("rss reads the feed");
    for (item, article) in channel.items().iter().zip(&content.articles) {
        assert_eq!(item.title(), Some(article.title.as_str()));
        // Readers show `description` as HTML: parsed as HTML, it reads as the summary.
        let description = scraper::Html::parse_fragment(item.description().unwrap_or(""));
        let text: String = description.root_element().text().collect();
        // As a browser's decoder does, html5ever drops a byte order mark that opens the text.
        let summary = article.summary.strip_prefix('\u{feff}');
        assert_eq!(text, summary.unwrap_or(&article.summary));
    }
    let atom_feed = atom_syndication::Feed::read_from(&atom[..]).expect("atom reads the feed");
    assert_eq!(atom_feed.entries().len(), content.articles.len());
    let json: Value =
        serde_json::from_slice(&render::feed(&view, Format::Json)).expect("JSON Feed is JSON");
    let items = json["items"].as_array().expect("JSON Feed items");
    for (item, article) in items.iter().zip(&content.articles) {
        assert_eq!(item["title"].as_str().unwrap_or(""), article.title);
    }
    assert_eq!(items.len(), content.articles.len());
}

/// No tag left by the sanitizer carries a script, an event handler or a `javascript:` URL.
/// Every `<` in ammonia's output opens a tag: text has `&lt;`.
fn assert_sanitized(html: &str) {
    for tag in html.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or("").to_ascii_lowercase();
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        assert!(
            !["script", "iframe", "style", "svg", "math"].contains(&name.as_str()),
            "<{tag}> in {html}"
        );
        assert!(!tag.contains("javascript:"), "<{tag}> in {html}");
        let handler = tag
            .split_whitespace()
            .skip(1)
            .any(|attr| attr.starts_with("on"));
        assert!(!handler, "<{tag}> in {html}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn any_json_article_is_refused_cleanly_or_renders_well_formed(docs in prop::collection::vec(article_json(), 1..4)) {
        let feeds = feeds();
        let mut articles = Vec::new();
        for (n, doc) in docs.iter().enumerate() {
            let object = match json_import::parse_object(doc) {
                Ok(o) => o,
                Err(e) => panic!("serde_json wrote it, so it parses: {e}\n{doc}"),
            };
            match json_import::to_draft(&Value::Object(object), &feeds) {
                Ok(draft) => {
                    for block in &draft.body {
                        if let Block::Html { html } = block {
                            assert_sanitized(html);
                        }
                    }
                    articles.push(article_of(draft, n));
                }
                Err(e) => {
                    prop_assert_eq!(e.kind, JsonErrorKind::Content);
                    prop_assert!(e.field.is_some(), "{}", e);
                }
            }
        }
        assert_feeds_read_back(&feeds, articles);
    }

    #[test]
    fn any_text_file_is_refused_with_a_line_or_renders_well_formed(
        title in hostile(PIECES, 20),
        dateline in prop_oneof![Just("07:00 22/04/2024".to_string()), hostile(PIECES, 6)],
        body in hostile(PIECES, 60),
    ) {
        let source = Source {
            path: "tep.txt".into(),
            bytes: format!("{title}\n\n{dateline}\n\n{body}\n").into_bytes(),
        };
        let feeds = feeds();
        match parse_source(&source, &feeds) {
            Ok((drafts, _)) => {
                let articles = drafts.into_iter().map(|d| article_of(d, 0)).collect();
                assert_feeds_read_back(&feeds, articles);
            }
            Err(ImportError::Text { source: e, .. }) => {
                prop_assert!(e.line >= 1 && !e.reason.is_empty())
            }
            Err(e) => panic!("a text file fails only with a line: {e}"),
        }
    }

    #[test]
    fn any_bytes_as_a_json_body_get_a_typed_error_or_an_object(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let text = String::from_utf8_lossy(&bytes);
        if let Err(e) = json_import::parse_object(&text) {
            prop_assert!(!e.message.is_empty());
        }
    }
}

#[test]
fn a_one_megabyte_title_of_hostile_text_renders_well_formed() {
    let feeds = feeds();
    let unit = "Đảng ]]> -- \u{202E}\u{1}<script>&amp;\u{FFFE}\u{200F} ";
    let title = unit.repeat((1 << 20) / unit.len() + 1);
    assert!(title.len() > 1 << 20);
    let doc = json!({
        "id": "mot-megabyte",
        "title": title,
        "published": "2026-11-20T07:00:00+07:00",
        "body": title,
    })
    .to_string()
        + "";
    let object = json_import::parse_object(&doc).unwrap();
    let draft = json_import::to_draft(&Value::Object(object), &feeds).unwrap();
    assert!(draft.title.len() > 900_000, "cleaning keeps the text");
    assert!(!draft.title.contains('\u{1}') && !draft.title.contains('\u{FFFE}'));
    assert!(draft.title.contains("]]> --"));
    assert_feeds_read_back(&feeds, vec![article_of(draft, 0)]);
}
