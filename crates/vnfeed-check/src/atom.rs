//! Atom 1.0 (RFC 4287): required elements, authors, links, text and content constructs,
//! IRIs and RFC 3339 dates, for a feed document or a single-entry document.

use roxmltree::Node;

use super::date;
use super::feed::{Facts, Item};
use super::html::{RelativeRefs, markup_in_text};
use super::media_type::is_media_type;
use super::rules::Rule;
use super::sink::Sink;
use super::vocabularies::{self, Level};
use super::xml::{self, ATOM_NS, XHTML_NS, XML_NS, attr_at, child, children, text, value_at};
use super::{html_safety, iri, language, structure};

const FEED: &[&str] = &[
    "author",
    "category",
    "contributor",
    "generator",
    "icon",
    "id",
    "link",
    "logo",
    "rights",
    "subtitle",
    "title",
    "updated",
    "entry",
];
const ENTRY: &[&str] = &[
    "author",
    "category",
    "content",
    "contributor",
    "id",
    "link",
    "published",
    "rights",
    "source",
    "summary",
    "title",
    "updated",
];
/// atom:source holds the feed's metadata, without its entries.
const SOURCE: &[&str] = &[
    "author",
    "category",
    "contributor",
    "generator",
    "icon",
    "id",
    "link",
    "logo",
    "rights",
    "subtitle",
    "title",
    "updated",
];
const PERSON: &[&str] = &["name", "uri", "email"];
/// Elements whose value is a URI or a date, where the W3C validator refuses surrounding
/// whitespace (UnexpectedWhitespace).
const NO_WHITESPACE: &[&str] = &["id", "updated", "published", "icon", "logo", "uri"];
/// Elements a feed or an entry may hold more than once; the rest appear at most once.
const REPEATABLE: &[&str] = &["author", "category", "contributor", "link", "entry"];
const ATOM: Option<&str> = Some(ATOM_NS);

pub fn check(root: Node<'_, '_>, sink: &mut Sink<'_>) -> Facts {
    let mut facts = Facts {
        root: root.range().start,
        language: root
            .ancestors()
            .find_map(|n| n.attribute((XML_NS, "lang")))
            .filter(|l| !l.is_empty())
            .map(str::to_string),
        language_hint: "add xml:lang=\"vi\" to <feed>",
        self_hint: "add <link rel=\"self\" href=\"…the feed's URL…\" type=\"application/atom+xml\"/>",
        ids_may_repeat: true,
        ..Facts::default()
    };
    let refs = RelativeRefs::new();
    if root.tag_name().name() == "entry" {
        structure::atom(root, sink);
        let item = entry(root, false, &refs, &mut facts, sink);
        facts.items.push(item);
        return facts;
    }
    structure::atom(root, sink);
    xml::unknown_children(root, ATOM, FEED, "an Atom feed", sink);
    xml::once(root, ATOM, FEED, REPEATABLE, "<feed>", sink);
    common(root, "<feed>", &refs, &mut facts, sink);
    vocabularies::check(root, Level::Feed, sink);
    for name in ["icon", "logo"] {
        if let Some(n) = child(root, ATOM, name) {
            reference(value_at(n), &text(n), &format!("<{name}>"), sink);
        }
    }
    misplaced_metadata(root, sink);
    let feed_has_author = child(root, ATOM, "author").is_some();
    for node in children(root, ATOM, "entry") {
        let item = entry(node, feed_has_author, &refs, &mut facts, sink);
        facts.items.push(item);
    }
    facts
}

/// The feed's own elements come before its entries (RFC 4287 leaves the order open, but
/// readers that stream a feed have already shown the entries when they meet them).
fn misplaced_metadata(root: Node<'_, '_>, sink: &mut Sink<'_>) {
    let atom_children = root
        .children()
        .filter(|c| c.is_element() && c.tag_name().namespace() == ATOM);
    let after_entries = atom_children.skip_while(|c| c.tag_name().name() != "entry");
    for late in after_entries.filter(|c| c.tag_name().name() != "entry") {
        sink.at(
            late.range().start,
            Rule::AtomMisplacedMetadata,
            format!(
                "<{}> comes after the first <entry>: the feed's own elements come first",
                late.tag_name().name()
            ),
        );
    }
}

/// What feeds, entries and sources share: id, title, updated, people, links, text.
fn common(
    node: Node<'_, '_>,
    label: &str,
    refs: &RelativeRefs,
    facts: &mut Facts,
    sink: &mut Sink<'_>,
) {
    for name in ["id", "title", "updated"] {
        if child(node, ATOM, name).is_none() {
            sink.at(
                node.range().start,
                Rule::AtomMissingElement,
                format!("{label} has no <{name}>"),
            );
        }
    }
    if let Some(id) = child(node, ATOM, "id") {
        let value = text(id);
        match iri::absolute(&value) {
            Err(why) => sink.at(
                value_at(id),
                Rule::InvalidUrl,
                format!("<id> must be an absolute IRI: {why}"),
            ),
            Ok(url) => {
                super::rss::unregistered_scheme(value_at(id), &url, "<id>", sink);
                if let Some(canonical) = iri::non_canonical(&value, &url) {
                    sink.at(
                        value_at(id),
                        Rule::NonCanonicalId,
                        format!(
                            "<id> `{value}` is not in canonical form: write `{canonical}`, \
                             as readers compare ids character by character"
                        ),
                    );
                }
            }
        }
    }
    for name in ["author", "contributor"] {
        for person in children(node, ATOM, name) {
            self::person(person, sink);
        }
    }
    for name in ["title", "subtitle", "summary", "rights"] {
        if let Some(t) = child(node, ATOM, name) {
            text_construct(t, refs, sink);
        }
    }
    links(node, label, facts, sink);
    for category in children(node, ATOM, "category") {
        self::category(category, sink);
    }
    if let Some(generator) = child(node, ATOM, "generator") {
        if let Some(e) = generator.children().find(Node::is_element) {
            sink.at(
                e.range().start,
                Rule::UnknownElement,
                "<generator> holds text only",
            );
        }
        plain_text(value_at(generator), &text(generator), "<generator>", sink);
        if let Some(uri) = generator.attribute("uri") {
            reference(attr_at(generator, "uri"), uri, "the generator uri", sink);
        }
    }
    whitespace(node, sink);
    for name in ["updated", "published"] {
        if let Some(d) = child(node, ATOM, name) {
            rfc3339(d, facts, sink);
        }
    }
}

fn entry(
    node: Node<'_, '_>,
    feed_has_author: bool,
    refs: &RelativeRefs,
    facts: &mut Facts,
    sink: &mut Sink<'_>,
) -> Item {
    xml::unknown_children(node, ATOM, ENTRY, "an Atom entry", sink);
    xml::once(node, ATOM, ENTRY, REPEATABLE, "<entry>", sink);
    common(node, "<entry>", refs, facts, sink);
    vocabularies::check(node, Level::Entry, sink);
    if let Some(source) = child(node, ATOM, "source") {
        xml::unknown_children(source, ATOM, SOURCE, "atom:source", sink);
        xml::once(source, ATOM, SOURCE, REPEATABLE, "<source>", sink);
        links(source, "<source>", facts, sink);
        // RFC 4287 4.2.11: a source SHOULD keep the original feed's id, title and updated.
        for name in ["id", "title", "updated"] {
            if child(source, ATOM, name).is_none() {
                sink.at(
                    source.range().start,
                    Rule::AtomSourceIncomplete,
                    format!("<source> has no <{name}>: copy the original feed's, so readers can tell where the entry came from"),
                );
            }
        }
    }
    let source_author = child(node, ATOM, "source").and_then(|s| child(s, ATOM, "author"));
    if !feed_has_author && child(node, ATOM, "author").is_none() && source_author.is_none() {
        sink.at(
            node.range().start,
            Rule::AtomMissingAuthor,
            "<entry> has no <author>, and neither has the feed",
        );
    }
    let content = child(node, ATOM, "content");
    let alternate = children(node, ATOM, "link")
        .find(|l| l.attribute("rel").unwrap_or("alternate") == "alternate");
    match content {
        Some(c) => self::content(c, node, refs, sink),
        None if alternate.is_none() => sink.at(
            node.range().start,
            Rule::AtomContentOrAlternate,
            "<entry> has neither <content> nor a rel=\"alternate\" link",
        ),
        None => {}
    }
    let instant = |name: &str| {
        child(node, ATOM, name).and_then(|d| date::rfc3339(&text(d), true).ok().map(|s| s.instant))
    };
    Item {
        at: node.range().start,
        id: child(node, ATOM, "id").map(|id| (value_at(id), text(id))),
        link: alternate
            .and_then(|l| l.attribute("href"))
            .map(str::to_string),
        title: child(node, ATOM, "title").map(text),
        date: instant("published").or_else(|| instant("updated")),
        updated: instant("updated"),
    }
}

fn person(node: Node<'_, '_>, sink: &mut Sink<'_>) {
    let label = format!("<{}>", node.tag_name().name());
    xml::unknown_children(node, ATOM, PERSON, "an Atom person construct", sink);
    // A second name is a duplicate-element (W3C's DuplicateElement), as for email and uri.
    xml::once(node, ATOM, PERSON, &[], &label, sink);
    if child(node, ATOM, "name").is_none() {
        sink.at(
            node.range().start,
            Rule::AtomPerson,
            format!("{label} has no <name>"),
        );
    }
    if let Some(name) = child(node, ATOM, "name") {
        plain_text(value_at(name), &text(name), "<name>", sink);
    }
    if let Some(email) = child(node, ATOM, "email") {
        let value = text(email);
        let valid = value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !value.contains(char::is_whitespace)
        });
        if !valid {
            sink.at(
                value_at(email),
                Rule::AtomPerson,
                format!("<email> \"{value}\" is not an e-mail address"),
            );
        }
    }
    if let Some(uri) = child(node, ATOM, "uri") {
        reference(value_at(uri), &text(uri), "<uri>", sink);
    }
}

/// A category has a term; its scheme is an absolute IRI.
fn category(node: Node<'_, '_>, sink: &mut Sink<'_>) {
    if node.attribute("term").is_none() {
        sink.at(
            node.range().start,
            Rule::AtomCategory,
            "<category> has no term attribute",
        );
    }
    if let Some(label) = node.attribute("label") {
        plain_text(attr_at(node, "label"), label, "the category label", sink);
    }
    if let Some(scheme) = node.attribute("scheme")
        && let Err(why) = iri::absolute(scheme)
    {
        sink.at(
            attr_at(node, "scheme"),
            Rule::InvalidUrl,
            format!("the category scheme must be an absolute IRI: {why}"),
        );
    }
}

/// Ids, dates and URIs with whitespace around them, which RFC 4287's grammar has no room for.
fn whitespace(node: Node<'_, '_>, sink: &mut Sink<'_>) {
    let people = ["author", "contributor"]
        .into_iter()
        .flat_map(|p| children(node, ATOM, p));
    let holders = std::iter::once(node).chain(people);
    for holder in holders {
        for name in NO_WHITESPACE {
            for element in children(holder, ATOM, name) {
                let raw: String = element
                    .children()
                    .filter(Node::is_text)
                    .filter_map(|t| t.text())
                    .collect();
                if !raw.is_empty() && raw.trim() != raw {
                    sink.at(
                        element.range().start,
                        Rule::UnexpectedWhitespace,
                        format!("<{name}> has whitespace around its value"),
                    );
                }
            }
        }
    }
}

fn links(node: Node<'_, '_>, label: &str, facts: &mut Facts, sink: &mut Sink<'_>) {
    let mut alternates: Vec<(Option<&str>, Option<&str>)> = Vec::new();
    for link in children(node, ATOM, "link") {
        if let Some(rel) = link.attribute("rel")
            && !rel.trim().is_empty()
            && !is_known_rel(rel)
        {
            sink.at(
                attr_at(link, "rel"),
                Rule::UnregisteredLinkRel,
                format!(
                    "the link rel \"{rel}\" is neither a registered relation nor a full IRI: \
                     readers will not know what it means"
                ),
            );
        }
        let Some(href) = link.attribute("href") else {
            sink.at(link.range().start, Rule::AtomLink, "<link> has no href");
            continue;
        };
        let at = attr_at(link, "href");
        if let Some(title) = link.attribute("title") {
            plain_text(attr_at(link, "title"), title, "the link title", sink);
        }
        if let Some(kind) = link.attribute("type")
            && !is_media_type(kind)
        {
            sink.at(
                attr_at(link, "type"),
                Rule::AtomLink,
                format!("the link type \"{kind}\" is not a media type"),
            );
        }
        if let Some(lang) = link.attribute("hreflang")
            && let Err(why) = language::check(lang)
        {
            sink.at(attr_at(link, "hreflang"), Rule::InvalidLanguage, why);
        }
        if let Some(length) = link.attribute("length")
            && length.parse::<u64>().is_err()
        {
            sink.at(
                attr_at(link, "length"),
                Rule::AtomLink,
                format!("the link length is a number of bytes, not \"{length}\""),
            );
        }
        if reference(at, href, "the link href", sink) == Some(true) && !xml::has_base(link) {
            sink.at(
                at,
                Rule::RelativeLink,
                format!("the link href `{href}` is relative and no xml:base says against what"),
            );
        }
        match link.attribute("rel").unwrap_or("alternate") {
            "alternate" => {
                let key = (link.attribute("type"), link.attribute("hreflang"));
                if alternates.contains(&key) {
                    sink.at(
                        link.range().start,
                        Rule::AtomLink,
                        format!("{label} has two rel=\"alternate\" links with the same type and hreflang"),
                    );
                }
                alternates.push(key);
            }
            // The feed's self link, or a lone entry document's; not an entry's in a feed.
            "self" if node.tag_name().name() == "feed" || node.parent_element().is_none() => {
                facts.self_links.push((at, href.to_string()));
            }
            _ => {}
        }
    }
}

/// Checks an IRI reference; `Some(true)` when valid and relative.
fn reference(at: usize, value: &str, what: &str, sink: &mut Sink<'_>) -> Option<bool> {
    match iri::reference(value) {
        Ok(relative) => Some(relative),
        Err(why) => {
            sink.at(
                at,
                Rule::InvalidUrl,
                format!("{what} is not a valid IRI: {why}"),
            );
            None
        }
    }
}

fn text_construct(node: Node<'_, '_>, refs: &RelativeRefs, sink: &mut Sink<'_>) {
    let name = node.tag_name().name();
    let kind = node.attribute("type").unwrap_or("text");
    match kind {
        "text" | "html" | "xhtml" => {}
        other => {
            sink.at(
                attr_at(node, "type"),
                Rule::AtomText,
                format!("<{name}> type is \"text\", \"html\" or \"xhtml\", not \"{other}\""),
            );
            return;
        }
    }
    construct_body(node, kind, Rule::AtomText, refs, sink);
}

fn content(node: Node<'_, '_>, entry: Node<'_, '_>, refs: &RelativeRefs, sink: &mut Sink<'_>) {
    let kind = node.attribute("type").unwrap_or("text");
    let is_construct = matches!(kind, "text" | "html" | "xhtml");
    if !is_construct && !is_media_type(kind) {
        sink.at(
            attr_at(node, "type"),
            Rule::AtomContent,
            format!("<content> type is text, html, xhtml or a media type, not \"{kind}\""),
        );
        return;
    }
    let has_summary = child(entry, ATOM, "summary").is_some();
    if is_construct && node.has_attribute("type") && node.has_attribute("src") {
        sink.at(
            attr_at(node, "type"),
            Rule::AtomContent,
            format!("<content> with src has a media type, not \"{kind}\""),
        );
    }
    if let Some(src) = node.attribute("src") {
        reference(attr_at(node, "src"), src, "the content src", sink);
        if let Some(t) = stray_text(node) {
            sink.at(
                t,
                Rule::UnexpectedText,
                "<content> with src must be empty: readers fetch the src and drop this text",
            );
        } else if node.has_children() {
            sink.at(
                node.range().start,
                Rule::AtomContent,
                "<content> with src must be empty",
            );
        } else if !has_summary {
            sink.at(
                entry.range().start,
                Rule::AtomContent,
                "an entry whose <content> has src needs a <summary>",
            );
        }
        return;
    }
    let xml_or_text = is_construct
        || kind.starts_with("text/")
        || kind.ends_with("+xml")
        || kind.ends_with("/xml");
    if !xml_or_text && !has_summary {
        sink.at(
            entry.range().start,
            Rule::AtomContent,
            format!("an entry with base64 <content> ({kind}) needs a <summary>"),
        );
    }
    if is_construct {
        construct_body(node, kind, Rule::AtomContent, refs, sink);
        return;
    }
    let is_xml = kind.ends_with("+xml") || kind.ends_with("/xml");
    let first_element = node.children().find(Node::is_element);
    match first_element {
        Some(e) if !is_xml => {
            // W3C's UndefinedElement: only XML media types hold elements.
            sink.at(
                e.range().start,
                Rule::UnknownElement,
                format!(
                    "<{}> cannot stand in <content> of type {kind}: escape it or use an XML media type",
                    e.tag_name().name()
                ),
            );
            return;
        }
        Some(_) => {
            if let Some(t) = stray_text(node) {
                sink.at(
                    t,
                    Rule::UnexpectedText,
                    format!("<content> of type {kind} holds an XML document, not text beside it"),
                );
            }
            return;
        }
        None => {}
    }
    if !xml_or_text && !is_base64(&text(node)) {
        sink.at(
            value_at(node),
            Rule::AtomContent,
            format!("<content> of type {kind} is binary, written in base64, which this is not"),
        );
    } else if kind
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/html"))
    {
        // A text/html media type is escaped HTML too, and readers show it as such.
        let found = html_safety::in_html(&text(node));
        html_safety::report(value_at(node), "<content>", found, sink);
    }
}

/// Feed vocabularies whose elements have no place inside XHTML (W3C's list, in part).
const FEED_VOCABULARIES: &[&str] = &[
    ATOM_NS,
    "http://www.w3.org/2007/app",
    "http://purl.org/rss/1.0/modules/content/",
    "http://purl.org/dc/elements/1.1/",
    "http://purl.org/dc/terms/",
    "http://purl.org/syndication/history/1.0",
    "http://purl.org/syndication/thread/1.0",
    "http://purl.org/rss/1.0/modules/syndication/",
    "http://purl.org/rss/1.0/modules/slash/",
    "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "http://search.yahoo.com/mrss/",
];

/// Inside inline XHTML, an element in no namespace (`<b xmlns="">`) is no XHTML element,
/// and one of a feed vocabulary (`app:edited`) is misplaced; SVG, MathML and other
/// namespaces are left to the HTML rules.
fn xhtml_namespaces(node: Node<'_, '_>, sink: &mut Sink<'_>) {
    for e in node.descendants().skip(1).filter(Node::is_element) {
        let name = e.tag_name().name();
        let why = match e.tag_name().namespace() {
            None | Some("") => format!(
                "<{name}> inside XHTML is in no namespace: XHTML elements are in http://www.w3.org/1999/xhtml"
            ),
            Some(ns) if FEED_VOCABULARIES.contains(&ns) => {
                format!(
                    "<{name}> ({ns}) is a feed element, not content: it has no place inside XHTML"
                )
            }
            Some(_) => continue,
        };
        sink.at(e.range().start, Rule::UnknownElement, why);
    }
}

/// Where the first non-blank text directly in an element starts, if it has any.
fn stray_text(node: Node<'_, '_>) -> Option<usize> {
    let t = node
        .children()
        .find(|c| c.is_text() && !c.text().unwrap_or("").trim().is_empty())?;
    let raw = t.text().unwrap_or("");
    Some(t.range().start + (raw.len() - raw.trim_start().len()).min(t.range().len()))
}

/// Base64 (RFC 4648's alphabet, padded), line breaks and spaces allowed between groups.
fn is_base64(value: &str) -> bool {
    let data: Vec<u8> = value.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let body = data
        .strip_suffix(b"==")
        .or_else(|| data.strip_suffix(b"="))
        .unwrap_or(&data);
    data.len().is_multiple_of(4)
        && body
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
}

/// text and html hold character data only; xhtml holds exactly one xhtml:div.
fn markup_shape(node: Node<'_, '_>, kind: &str) -> Result<(), String> {
    let elements: Vec<Node<'_, '_>> = node.children().filter(Node::is_element).collect();
    if kind == "xhtml" {
        let stray_text = node
            .children()
            .any(|c| c.is_text() && !c.text().unwrap_or("").trim().is_empty());
        let one_div = elements.len() == 1
            && elements[0].tag_name().namespace() == Some(XHTML_NS)
            && elements[0].tag_name().name() == "div";
        if !one_div || stray_text {
            return Err("of type xhtml must hold exactly one xhtml:div (xmlns=\"http://www.w3.org/1999/xhtml\")".into());
        }
    } else if let Some(e) = elements.first() {
        return Err(format!(
            "of type {kind} contains the element <{}>: escape the markup or use type=\"xhtml\"",
            e.tag_name().name()
        ));
    }
    Ok(())
}

/// The body of a text construct or of text/html/xhtml content: its shape (reported under
/// `rule`), then HTML in plain text or relative URLs in HTML.
fn construct_body(
    node: Node<'_, '_>,
    kind: &str,
    rule: Rule,
    refs: &RelativeRefs,
    sink: &mut Sink<'_>,
) {
    let name = node.tag_name().name();
    if kind == "xhtml" {
        // Escaped markup in inline XHTML shows as tags on the reader's screen.
        let all_text: String = node
            .descendants()
            .filter(Node::is_text)
            .filter_map(|t| t.text())
            .collect();
        if let Some(markup) = markup_in_text(&all_text) {
            sink.at(
                value_at(node),
                Rule::HtmlInText,
                format!("<{name}> is type=\"xhtml\" but holds escaped HTML: {markup} (write it as XHTML elements)"),
            );
        }
    }
    if kind != "xhtml"
        && let Some(e) = node.children().find(Node::is_element)
    {
        // W3C's UndefinedElement: only inline XHTML may hold elements.
        sink.at(
            e.range().start,
            Rule::UnknownElement,
            format!(
                "<{}> cannot stand in <{name}> of type {kind}: escape the markup or use type=\"xhtml\"",
                e.tag_name().name()
            ),
        );
        return;
    }
    if let Err(why) = markup_shape(node, kind) {
        sink.at(node.range().start, rule, format!("<{name}> {why}"));
        return;
    }
    if kind == "xhtml" {
        xhtml_namespaces(node, sink);
    }
    let value = text(node);
    let what = format!("<{name}>");
    match kind {
        "html" => html_safety::report(value_at(node), &what, html_safety::in_html(&value), sink),
        "xhtml" => {
            html_safety::report(node.range().start, &what, html_safety::in_xhtml(node), sink)
        }
        _ => {}
    }
    match kind {
        "text" => {
            if let Some(markup) = markup_in_text(&value) {
                sink.at(
                    value_at(node),
                    Rule::HtmlInText,
                    format!(
                        "<{name}> is type=\"text\" but contains HTML: {markup} (say type=\"html\")"
                    ),
                );
            }
        }
        "html" if !xml::has_base(node) => {
            if let Some(first) = refs.find(&value).first() {
                sink.at(
                    value_at(node),
                    Rule::RelativeLink,
                    format!("<{name}> links to the relative URL `{first}` and no xml:base says against what"),
                );
            }
        }
        _ => {}
    }
}

/// Link relations of the IANA registry that Atom feeds use (RFC 4287, 5005, 4685, 4946,
/// AtomPub, WebSub, ...), as W3C's validator knows them.
const LINK_RELATIONS: &[&str] = &[
    "alternate",
    "current",
    "describedby",
    "edit",
    "edit-media",
    "enclosure",
    "first",
    "hub",
    "last",
    "license",
    "next",
    "next-archive",
    "payment",
    "prev-archive",
    "previous",
    "related",
    "replies",
    "search",
    "self",
    "service",
    "up",
    "via",
];

/// A registered relation (bare or under the IANA prefix) or an extension relation, which
/// is an absolute IRI.
fn is_known_rel(rel: &str) -> bool {
    let bare = rel
        .strip_prefix("http://www.iana.org/assignments/relation/")
        .unwrap_or(rel);
    LINK_RELATIONS.contains(&bare) || iri::absolute(rel).is_ok()
}

/// Markup in a value that is plain text by definition (names, labels, titles of links).
fn plain_text(at: usize, value: &str, what: &str, sink: &mut Sink<'_>) {
    if let Some(markup) = markup_in_text(value) {
        sink.at(
            at,
            Rule::HtmlInText,
            format!("{what} is plain text but contains HTML: {markup}"),
        );
    }
}

fn rfc3339(node: Node<'_, '_>, facts: &mut Facts, sink: &mut Sink<'_>) {
    let value = text(node);
    let at = value_at(node);
    let name = node.tag_name().name();
    match date::rfc3339(&value, true) {
        Ok(stamp) => facts.date(at, stamp, &format!("<{name}> \"{value}\""), sink),
        Err(why) => sink.at(
            at,
            Rule::DateRfc3339,
            format!("<{name}> \"{value}\" is not an RFC 3339 date-time: {why}"),
        ),
    }
}
