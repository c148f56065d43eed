//! Elements and attributes that are there but empty (W3C's NotBlank and AttrNotBlank): an
//! empty title or id says nothing, and readers show or key on the empty string.

use roxmltree::Node;

use super::rules::Rule;
use super::sink::Sink;
use super::xml::{ATOM_NS, attr_at};

const SY_NS: &str = "http://purl.org/rss/1.0/modules/syndication/";

/// Atom elements whose value must say something: text constructs, content without src,
/// ids, the generator, icon and logo, a person's name and uri.
const ATOM_ELEMENTS: &[&str] = &[
    "title",
    "subtitle",
    "rights",
    "summary",
    "content",
    "id",
    "generator",
    "icon",
    "logo",
    "name",
    "uri",
];
/// RSS 2.0 elements (no namespace) that are pointless when empty.
const RSS_ELEMENTS: &[&str] = &["title", "category", "generator", "ttl"];
/// Syndication module elements (sy:), which are numbers and dates.
const SY_ELEMENTS: &[&str] = &["updatePeriod", "updateFrequency", "updateBase"];
/// Atom attributes that may be left out but not left empty, by element.
const ATOM_ATTRIBUTES: &[(&str, &str)] = &[
    ("category", "term"),
    ("link", "rel"),
    ("link", "title"),
    ("link", "type"),
    ("title", "type"),
    ("subtitle", "type"),
    ("rights", "type"),
    ("summary", "type"),
    ("content", "type"),
];

pub fn check(root: Node<'_, '_>, sink: &mut Sink<'_>) {
    let is_rss = root.tag_name().namespace().is_none();
    for node in root.descendants().filter(Node::is_element) {
        let name = node.tag_name().name();
        let list = match node.tag_name().namespace() {
            Some(ATOM_NS) => ATOM_ELEMENTS,
            Some(SY_NS) => SY_ELEMENTS,
            None if is_rss => RSS_ELEMENTS,
            _ => continue,
        };
        let empty = !node.children().any(|c| c.is_element())
            && node
                .children()
                .filter_map(|c| c.text())
                .all(|t| t.trim().is_empty());
        let src = name == "content" && node.has_attribute("src");
        if list.contains(&name) && empty && !src {
            sink.at(
                node.range().start,
                Rule::Blank,
                format!("<{name}> is empty: leave it out or give it a value"),
            );
        }
        if node.tag_name().namespace() != Some(ATOM_NS) {
            continue;
        }
        for (element, attr) in ATOM_ATTRIBUTES {
            if *element == name && node.attribute(*attr).is_some_and(|v| v.trim().is_empty()) {
                sink.at(
                    attr_at(node, attr),
                    Rule::Blank,
                    format!("the {attr} of <{name}> is empty: leave it out or give it a value"),
                );
            }
        }
    }
}
