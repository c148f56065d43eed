//! What the RSS 2.0 and Atom 1.0 elements may hold beside the children their specs give
//! them: attributes and text. An attribute in no namespace that the spec does not give an
//! element (`isPermalink` for `isPermaLink`, `mode` from Atom 0.3) is read by no one, so
//! the value it was meant to carry is lost: W3C's UnexpectedAttribute. Text beside the
//! elements of a channel, an item, a feed or an entry (a URL written straight into
//! `<image>`) is lost the same way: W3C's UnexpectedText. Attributes in a namespace
//! (`xml:lang`, `xml:base`, extensions) are left alone. Only the feed's own structure is
//! walked, never the markup inside content.

use roxmltree::Node;

use super::rules::Rule;
use super::sink::Sink;
use super::xml::ATOM_NS;

/// RSS 2.0 elements with attributes; every other RSS element takes none.
const RSS: &[(&str, &[&str])] = &[
    ("rss", &["version"]),
    ("category", &["domain"]),
    (
        "cloud",
        &["domain", "port", "path", "registerProcedure", "protocol"],
    ),
    ("enclosure", &["url", "length", "type"]),
    ("guid", &["isPermaLink"]),
    ("source", &["url"]),
];

/// RSS elements whose children are RSS elements too, and which hold no text.
const RSS_CONTAINERS: &[&str] = &[
    "rss",
    "channel",
    "item",
    "image",
    "textInput",
    "skipHours",
    "skipDays",
];

/// Atom 1.0 elements with attributes; every other Atom element takes none.
const ATOM: &[(&str, &[&str])] = &[
    (
        "link",
        &["href", "rel", "type", "hreflang", "title", "length"],
    ),
    ("category", &["term", "scheme", "label"]),
    ("content", &["type", "src"]),
    ("title", &["type"]),
    ("subtitle", &["type"]),
    ("summary", &["type"]),
    ("rights", &["type"]),
    ("generator", &["uri", "version"]),
];

/// Atom elements whose children are Atom elements too, and which hold no text (not text
/// constructs or content).
const ATOM_CONTAINERS: &[&str] = &["feed", "entry", "source", "author", "contributor"];

pub fn rss(node: Node<'_, '_>, sink: &mut Sink<'_>) {
    walk(node, None, RSS, RSS_CONTAINERS, sink);
}

pub fn atom(node: Node<'_, '_>, sink: &mut Sink<'_>) {
    walk(node, Some(ATOM_NS), ATOM, ATOM_CONTAINERS, sink);
}

fn walk(
    node: Node<'_, '_>,
    ns: Option<&str>,
    table: &[(&str, &[&str])],
    containers: &[&str],
    sink: &mut Sink<'_>,
) {
    let name = node.tag_name().name();
    let allowed = table
        .iter()
        .find(|(element, _)| *element == name)
        .map_or(&[][..], |(_, attrs)| *attrs);
    for attr in node.attributes() {
        if attr.namespace().is_none() && !allowed.contains(&attr.name()) {
            let hint = allowed
                .iter()
                .find(|a| a.eq_ignore_ascii_case(attr.name()))
                .map(|a| format!(" (the attribute is spelled `{a}`)"))
                .unwrap_or_default();
            sink.at(
                attr.range().start,
                Rule::UnexpectedAttribute,
                format!(
                    "<{name}> has no attribute `{}`: readers ignore it{hint}",
                    attr.name()
                ),
            );
        }
    }
    if !containers.contains(&name) {
        return;
    }
    if let Some(t) = node
        .children()
        .find(|c| c.is_text() && !c.text().unwrap_or("").trim().is_empty())
    {
        let raw = t.text().unwrap_or("");
        let at = t.range().start + (raw.len() - raw.trim_start().len()).min(t.range().len());
        sink.at(
            at,
            Rule::UnexpectedText,
            format!(
                "<{name}> holds elements only, not the text \"{}\": readers drop it",
                raw.trim().chars().take(40).collect::<String>()
            ),
        );
    }
    for child in node.children().filter(Node::is_element) {
        if child.tag_name().namespace() == ns {
            walk(child, ns, table, containers, sink);
        }
    }
}
