//! RSS 2.0 (the RSS Advisory Board's specification): required channel elements, items,
//! guids, enclosures, RFC 822 dates, full URLs, and what `feed` needs to know.

use roxmltree::Node;

use super::date::{self, W3cdtf};
use super::feed::{Facts, Item};
use super::html::{RelativeRefs, markup_in_text};
use super::rules::Rule;
use super::sink::Sink;
use super::vocabularies::{self, Level};
use super::xml::{
    self, ATOM_NS, CONTENT_NS, DC_NS, XHTML_NS, attr_at, child, children, text, value_at,
};
use super::{extensions, html_safety, iri, language, semantics, skip, structure};

const CHANNEL: &[&str] = &[
    "title",
    "link",
    "description",
    "language",
    "copyright",
    "managingEditor",
    "webMaster",
    "pubDate",
    "lastBuildDate",
    "category",
    "generator",
    "docs",
    "cloud",
    "ttl",
    "image",
    "rating",
    "textInput",
    "skipHours",
    "skipDays",
    "item",
];
const ITEM: &[&str] = &[
    "title",
    "link",
    "description",
    "author",
    "category",
    "comments",
    "enclosure",
    "guid",
    "pubDate",
    "source",
];

pub fn check(rss: Node<'_, '_>, sink: &mut Sink<'_>) -> Facts {
    let mut facts = Facts {
        root: rss.range().start,
        language_hint: "add <language>vi</language> to the channel",
        self_hint: "add <atom:link rel=\"self\" href=\"…the feed's URL…\" type=\"application/rss+xml\"/> \
                    to the channel (xmlns:atom=\"http://www.w3.org/2005/Atom\")",
        ..Facts::default()
    };
    structure::rss(rss, sink);
    match rss.attribute("version") {
        None => sink.at(
            rss.range().start,
            Rule::RssVersion,
            "<rss> has no version: write version=\"2.0\"",
        ),
        Some("2.0") => {}
        Some(v) => sink.at(
            attr_at(rss, "version"),
            Rule::RssVersion,
            format!("version \"{v}\" is not 2.0: this checker validates RSS 2.0"),
        ),
    }
    let Some(channel) = child(rss, None, "channel") else {
        sink.at(
            rss.range().start,
            Rule::RssMissingElement,
            "<rss> has no <channel>",
        );
        return facts;
    };
    xml::once(rss, None, &["channel"], &[], "<rss>", sink);
    facts.root = channel.range().start;
    xml::unknown_children(channel, None, CHANNEL, "an RSS 2.0 channel", sink);
    xml::once(
        channel,
        None,
        CHANNEL,
        &["category", "item"],
        "<channel>",
        sink,
    );
    semantics::channel(channel, sink);
    extensions::channel(channel, sink);
    vocabularies::check(channel, Level::Feed, sink);
    for name in ["title", "link", "description"] {
        if child(channel, None, name).is_none() {
            sink.at(
                channel.range().start,
                Rule::RssMissingElement,
                format!("<channel> has no <{name}>"),
            );
        }
    }
    if let Some(title) = child(channel, None, "title") {
        plain_text(title, "the channel <title>", sink);
    }
    for name in ["link", "docs"] {
        if let Some(link) = child(channel, None, name) {
            full_url(
                value_at(link),
                &text(link),
                &format!("channel <{name}>"),
                sink,
            );
        }
    }
    if let Some(lang) = child(channel, None, "language") {
        let value = text(lang);
        if let Err(why) = language::check(&value) {
            sink.at(value_at(lang), Rule::InvalidLanguage, why);
        }
        facts.language = Some(value);
    }
    for name in ["pubDate", "lastBuildDate"] {
        if let Some(d) = child(channel, None, name) {
            rfc822(d, &mut facts, sink);
        }
    }
    for d in children(channel, Some(DC_NS), "date") {
        dc_date(d, &mut facts, sink);
    }
    if let Some(ttl) = child(channel, None, "ttl") {
        integer(ttl, "<ttl>", u32::MAX, sink);
    }
    for name in ["managingEditor", "webMaster"] {
        if let Some(e) = child(channel, None, name) {
            email(e, sink);
        }
    }
    if let Some(image) = child(channel, None, "image") {
        self::image(image, sink);
    }
    if let Some(input) = child(channel, None, "textInput") {
        text_input(input, sink);
    }
    if let Some(node) = child(channel, None, "skipHours") {
        skip::hours(node, sink);
    }
    if let Some(node) = child(channel, None, "skipDays") {
        skip::days(node, sink);
    }
    if let Some(cloud) = child(channel, None, "cloud") {
        self::cloud(cloud, sink);
    }
    for link in children(channel, Some(ATOM_NS), "link") {
        if link.attribute("rel") == Some("self")
            && let Some(href) = link.attribute("href")
        {
            facts
                .self_links
                .push((attr_at(link, "href"), href.to_string()));
        }
    }
    let refs = RelativeRefs::new();
    for node in children(channel, None, "item") {
        let item = item(node, &refs, &mut facts, sink);
        facts.items.push(item);
    }
    facts
}

fn item(node: Node<'_, '_>, refs: &RelativeRefs, facts: &mut Facts, sink: &mut Sink<'_>) -> Item {
    xml::unknown_children(node, None, ITEM, "an RSS 2.0 item", sink);
    xml::once(node, None, ITEM, &["category", "enclosure"], "<item>", sink);
    for extra in children(node, None, "enclosure").skip(1) {
        sink.at(
            extra.range().start,
            Rule::DuplicateEnclosure,
            "<item> has more than one <enclosure>: many readers take only the first",
        );
    }
    semantics::item(node, sink);
    extensions::item(node, sink);
    vocabularies::check(node, Level::Entry, sink);
    let title = child(node, None, "title");
    let description = child(node, None, "description");
    if title.is_none() && description.is_none() {
        sink.at(
            node.range().start,
            Rule::RssItemTitleOrDescription,
            "<item> has neither <title> nor <description>",
        );
    }
    if let Some(t) = title {
        plain_text(t, "the item <title>", sink);
    }
    if let Some(a) = child(node, None, "author") {
        email(a, sink);
    }
    let html_fields = description
        .into_iter()
        .chain(child(node, Some(CONTENT_NS), "encoded"));
    for field in html_fields {
        relative_refs(field, refs, sink);
        let what = format!("<{}>", qualified(field));
        html_safety::report(
            value_at(field),
            &what,
            html_safety::in_html(&text(field)),
            sink,
        );
    }
    if let Some(body) = child(node, Some(XHTML_NS), "body") {
        let found = html_safety::in_xhtml(body);
        html_safety::report(body.range().start, "<xhtml:body>", found, sink);
    }
    for name in ["link", "comments"] {
        if let Some(l) = child(node, None, name) {
            full_url(value_at(l), &text(l), &format!("item <{name}>"), sink);
        }
    }
    if let Some(source) = child(node, None, "source") {
        match source.attribute("url") {
            Some(u) => full_url(attr_at(source, "url"), u, "the url of <source>", sink),
            None => sink.at(
                source.range().start,
                Rule::RssSource,
                "<source> needs a url attribute: the URL of the feed the item came from",
            ),
        }
    }
    for enclosure in children(node, None, "enclosure") {
        self::enclosure(enclosure, sink);
    }
    let mut date = None;
    if let Some(d) = child(node, None, "pubDate") {
        date = rfc822(d, facts, sink);
    }
    for d in children(node, Some(DC_NS), "date") {
        dc_date(d, facts, sink);
    }
    let id = match child(node, None, "guid") {
        Some(g) => Some(guid(g, sink)),
        None => {
            sink.at(
                node.range().start,
                Rule::UnstableGuid,
                "<item> has no <guid>: readers fall back to its link or title, which change",
            );
            None
        }
    };
    Item {
        at: node.range().start,
        id,
        link: child(node, None, "link").map(text),
        title: title.map(text),
        date,
        updated: None,
    }
}

const IMAGE: &[&str] = &["url", "title", "link", "width", "height", "description"];
const TEXT_INPUT: &[&str] = &["title", "description", "name", "link"];
const CLOUD: &[&str] = &["domain", "port", "path", "registerProcedure", "protocol"];

/// The channel image: url, title and link required, each once; a size in range.
fn image(image: Node<'_, '_>, sink: &mut Sink<'_>) {
    xml::once(image, None, IMAGE, &[], "<image>", sink);
    required(image, &["url", "title", "link"], "<image>", sink);
    for name in ["url", "link"] {
        if let Some(u) = child(image, None, name) {
            full_url(value_at(u), &text(u), &format!("image <{name}>"), sink);
        }
    }
    for name in ["title", "description"] {
        if let Some(t) = child(image, None, name) {
            plain_text(t, &format!("the image <{name}>"), sink);
        }
    }
    if let Some(w) = child(image, None, "width") {
        integer(w, "image <width>", 144, sink);
    }
    if let Some(h) = child(image, None, "height") {
        integer(h, "image <height>", 400, sink);
    }
}

/// textInput: title, description, name and link, each exactly once.
fn text_input(input: Node<'_, '_>, sink: &mut Sink<'_>) {
    xml::once(input, None, TEXT_INPUT, &[], "<textInput>", sink);
    required(input, TEXT_INPUT, "<textInput>", sink);
    if let Some(l) = child(input, None, "link") {
        full_url(value_at(l), &text(l), "textInput <link>", sink);
    }
    if let Some(t) = child(input, None, "title") {
        plain_text(t, "the textInput <title>", sink);
    }
    if let Some(n) = child(input, None, "name") {
        let value = text(n);
        // An HTML form field name, as W3C reads it: a letter first.
        if !value.starts_with(|c: char| c.is_ascii_alphabetic()) {
            sink.at(
                value_at(n),
                Rule::RssTextInputName,
                format!(
                    "the textInput <name> is the name of a form field, which starts with a letter, not \"{value}\""
                ),
            );
        }
    }
}

fn required(parent: Node<'_, '_>, names: &[&str], label: &str, sink: &mut Sink<'_>) {
    for name in names {
        if child(parent, None, name).is_none() {
            sink.at(
                parent.range().start,
                Rule::RssMissingElement,
                format!("{label} has no <{name}>"),
            );
        }
    }
}

/// cloud: all five attributes, the port a whole number from 1 to 65535.
fn cloud(cloud: Node<'_, '_>, sink: &mut Sink<'_>) {
    for attr in CLOUD {
        if cloud.attribute(*attr).is_none() {
            sink.at(
                cloud.range().start,
                Rule::RssCloud,
                format!("<cloud> has no {attr} attribute"),
            );
        }
    }
    if let Some(port) = cloud.attribute("port")
        && !port.parse::<u16>().is_ok_and(|p| p > 0)
    {
        sink.at(
            attr_at(cloud, "port"),
            Rule::RssCloud,
            format!("the cloud port is a whole number from 1 to 65535, not \"{port}\""),
        );
    }
}

/// managingEditor, webMaster and author: an e-mail address, optionally with the name in
/// parentheses after it (`redaction@example.com (Tòa soạn)`). A bare name is an error; other
/// spellings with an address are left alone, as the W3C validator only warns about them.
fn email(node: Node<'_, '_>, sink: &mut Sink<'_>) {
    plain_text(node, &format!("<{}>", node.tag_name().name()), sink);
    let value = text(node);
    if value.starts_with("mailto:") {
        return;
    }
    let address = match value.strip_suffix(')').and_then(|v| v.split_once('(')) {
        Some((address, _)) => address.trim(),
        None if value.contains('@') => return,
        None => value.as_str(),
    };
    if !is_addr_spec(address) {
        sink.at(
            value_at(node),
            Rule::RssEmail,
            format!(
                "<{}> \"{value}\" is not an e-mail address (write `name@example.com (Name)`)",
                node.tag_name().name()
            ),
        );
    }
}

fn is_addr_spec(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-+.'!#$%&*/=?^`{|}~".contains(&b));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    local_ok && domain_ok
}

fn guid(g: Node<'_, '_>, sink: &mut Sink<'_>) -> (usize, String) {
    let value = text(g);
    let permalink = match g.attribute("isPermaLink") {
        None | Some("true") => true,
        Some("false") => false,
        Some(other) => {
            sink.at(
                attr_at(g, "isPermaLink"),
                Rule::RssGuidPermalink,
                format!("isPermaLink is \"true\" or \"false\", not \"{other}\""),
            );
            false
        }
    };
    if permalink && let Err(why) = iri::web_url(&value) {
        sink.at(
            value_at(g),
            Rule::RssGuidPermalink,
            format!("a guid is a full URL unless isPermaLink=\"false\": {why}"),
        );
    }
    (value_at(g), value)
}

fn enclosure(e: Node<'_, '_>, sink: &mut Sink<'_>) {
    for attr in ["url", "length", "type"] {
        if e.attribute(attr).is_none() {
            sink.at(
                e.range().start,
                Rule::RssEnclosure,
                format!("<enclosure> has no {attr} attribute"),
            );
        }
    }
    if let Some(url) = e.attribute("url") {
        // W3C reads an enclosure url as an http URL, whose path may be an IRI's.
        match iri::absolute(url) {
            Err(why) => sink.at(
                attr_at(e, "url"),
                Rule::InvalidUrl,
                format!("the enclosure url must be a full URL: {why}"),
            ),
            Ok(parsed) => {
                unregistered_scheme(attr_at(e, "url"), &parsed, "the enclosure url", sink)
            }
        }
    }
    if let Some(kind) = e.attribute("type")
        && !super::media_type::is_media_type(kind)
    {
        sink.at(
            attr_at(e, "type"),
            Rule::RssEnclosure,
            format!("the enclosure type is a media type (`audio/mpeg`), not \"{kind}\""),
        );
    }
    if let Some(length) = e.attribute("length")
        && length.parse::<u64>().is_err()
    {
        sink.at(
            attr_at(e, "length"),
            Rule::RssEnclosure,
            format!("the enclosure length is a number of bytes, not \"{length}\""),
        );
    }
}

/// A full URL in any scheme: RSS 2.0 says "the URL", and the W3C validator takes ftp:,
/// feed: or even javascript: there (an unregistered scheme is only a warning).
///
/// RSS 2.0 predates IRIs, so its URLs are URIs: a host or path in another script is
/// written in its ASCII form (punycode, percent-escapes), which every reader can fetch.
fn full_url(at: usize, value: &str, what: &str, sink: &mut Sink<'_>) {
    if let Some(c) = value.chars().find(|c| !c.is_ascii()) {
        sink.at(
            at,
            Rule::InvalidUrl,
            format!(
                "{what} must be a URI, which holds ASCII only, not `{c}`: write the host in \
                 punycode and percent-encode the path (`{}`)",
                ascii_form(value)
            ),
        );
        return;
    }
    match iri::absolute(value) {
        Err(why) => sink.at(
            at,
            Rule::InvalidUrl,
            format!("{what} must be a full URL: {why}"),
        ),
        Ok(url) => unregistered_scheme(at, &url, what, sink),
    }
}

/// The URI form of an IRI: punycode host, percent-encoded UTF-8 elsewhere, as `url` writes it.
fn ascii_form(value: &str) -> String {
    url::Url::parse(value).map_or_else(|_| value.to_string(), String::from)
}

pub(crate) fn unregistered_scheme(at: usize, url: &url::Url, what: &str, sink: &mut Sink<'_>) {
    if let Some(scheme) = iri::unregistered_scheme(url) {
        sink.at(
            at,
            Rule::UnregisteredScheme,
            format!("{what} uses the scheme `{scheme}:`, which is not registered: readers will not open it"),
        );
    }
}

fn integer(node: Node<'_, '_>, what: &str, max: u32, sink: &mut Sink<'_>) {
    let value = text(node);
    match value.parse::<u32>() {
        Ok(0) => sink.at(
            value_at(node),
            Rule::RssInteger,
            format!("{what} is a positive whole number, not 0"),
        ),
        Ok(n) if n <= max => {}
        Ok(_) => sink.at(
            value_at(node),
            Rule::RssInteger,
            format!("{what} is at most {max}, not {value}"),
        ),
        Err(_) => sink.at(
            value_at(node),
            Rule::RssInteger,
            format!("{what} is a whole number, not \"{value}\""),
        ),
    }
}

fn plain_text(node: Node<'_, '_>, what: &str, sink: &mut Sink<'_>) {
    let value = text(node);
    if let Some(markup) = markup_in_text(&value) {
        sink.at(
            value_at(node),
            Rule::HtmlInText,
            format!("{what} is plain text but contains HTML: {markup}"),
        );
    } else if looks_like_a_tag(&value) {
        // Many readers take RSS text for HTML; only `&#x3C;` survives both readings.
        let raw = &node.document().input_text()[node.range()];
        if ["&lt;", "&#60;", "<![CDATA["]
            .iter()
            .any(|w| raw.contains(w))
        {
            sink.at(
                value_at(node),
                Rule::RssCharacterData,
                format!(
                    "{what} has a `<` written as `&lt;` or in CDATA: write `&#x3C;` (and `&#x26;` \
                     for `&`), which readers that treat RSS text as HTML also show as text"
                ),
            );
        }
    }
}

/// `<` before a letter or `/`, which an HTML reading would take for a tag.
fn looks_like_a_tag(value: &str) -> bool {
    value
        .match_indices('<')
        .any(|(i, _)| value[i + 1..].starts_with(|c: char| c == '/' || c.is_ascii_alphabetic()))
}

fn relative_refs(node: Node<'_, '_>, refs: &RelativeRefs, sink: &mut Sink<'_>) {
    if xml::has_base(node) {
        return;
    }
    let found = refs.find(&text(node));
    if let Some(first) = found.first() {
        let more = match found.len() {
            1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        sink.at(
            value_at(node),
            Rule::RelativeLink,
            format!(
                "<{}> links to the relative URL `{first}`{more}: readers resolve it against \
                 their own address; write full URLs",
                qualified(node)
            ),
        );
    }
}

fn qualified(node: Node<'_, '_>) -> String {
    let name = node.tag_name();
    match name.namespace().and_then(|ns| node.lookup_prefix(ns)) {
        Some(prefix) if !prefix.is_empty() => format!("{prefix}:{}", name.name()),
        _ => name.name().to_string(),
    }
}

/// Checks an RFC 822 date element and records it; returns the instant when valid.
fn rfc822(
    node: Node<'_, '_>,
    facts: &mut Facts,
    sink: &mut Sink<'_>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let value = text(node);
    let at = value_at(node);
    let name = node.tag_name().name();
    match date::rfc822(&value) {
        Ok(d) => {
            if let Some(problem) = d.problem {
                sink.at(
                    at,
                    Rule::DateRfc822Form,
                    format!("<{name}> \"{value}\": {problem}"),
                );
            }
            facts.date(at, d.stamp, &format!("<{name}> \"{value}\""), sink);
            Some(d.stamp.instant)
        }
        Err(why) => {
            sink.at(
                at,
                Rule::DateRfc822,
                format!("<{name}> \"{value}\" is not an RFC 822 date: {why}"),
            );
            None
        }
    }
}

fn dc_date(node: Node<'_, '_>, facts: &mut Facts, sink: &mut Sink<'_>) {
    let value = text(node);
    let at = value_at(node);
    match date::w3cdtf(&value) {
        Ok(W3cdtf::Stamp(stamp)) => facts.date(at, stamp, &format!("<dc:date> \"{value}\""), sink),
        Ok(W3cdtf::Date) => {}
        // W3C-DTF: "a time zone designator ... is required" once there is a time.
        Ok(W3cdtf::NoZone) => sink.at(
            at,
            Rule::DateW3cdtf,
            format!("<dc:date> \"{value}\" has a time but no zone, which W3C-DTF requires: add +07:00 or Z"),
        ),
        Err(why) => sink.at(at, Rule::DateW3cdtf, why),
    }
}
