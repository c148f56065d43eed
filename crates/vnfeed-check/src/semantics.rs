//! RSS channels and items that say one thing twice, in the core vocabulary and in an
//! extension (`<pubDate>` and `<dc:date>`, `<author>` and `<dc:creator>`...): when the two
//! disagree, readers pick one at random (W3C's DuplicateSemantics). Also inline XHTML
//! descriptions (xhtml:body, atom:content) beside RSS's own.

use roxmltree::Node;

use super::rules::Rule;
use super::sink::Sink;
use super::xml::{ATOM_NS, DC_NS, XHTML_NS, child};

const DCTERMS_NS: &str = "http://purl.org/dc/terms/";
const ADMIN_NS: &str = "http://webns.net/mvcb/";
const CC_NS: &str = "http://web.resource.org/cc/";
const CREATIVE_COMMONS_NS: &str = "http://backend.userland.com/creativeCommonsRssModule";

/// One element, by namespace (None for RSS's own) and name, and how a message writes it.
type Name = (Option<&'static str>, &'static str, &'static str);

const CHANNEL: &[(Name, Name)] = &[
    (
        (None, "managingEditor", "managingEditor"),
        (Some(DC_NS), "creator", "dc:creator"),
    ),
    (
        (None, "category", "category"),
        (Some(DC_NS), "subject", "dc:subject"),
    ),
    (
        (None, "pubDate", "pubDate"),
        (Some(DC_NS), "date", "dc:date"),
    ),
    (
        (None, "webMaster", "webMaster"),
        (Some(DC_NS), "publisher", "dc:publisher"),
    ),
    (
        (None, "language", "language"),
        (Some(DC_NS), "language", "dc:language"),
    ),
    (
        (None, "copyright", "copyright"),
        (Some(DC_NS), "rights", "dc:rights"),
    ),
    (
        (None, "lastBuildDate", "lastBuildDate"),
        (Some(DCTERMS_NS), "modified", "dcterms:modified"),
    ),
    (
        (None, "generator", "generator"),
        (Some(ADMIN_NS), "generatorAgent", "admin:generatorAgent"),
    ),
    (
        (
            Some(CREATIVE_COMMONS_NS),
            "license",
            "creativeCommons:license",
        ),
        (Some(CC_NS), "license", "cc:license"),
    ),
];

const ITEM: &[(Name, Name)] = &[
    ((None, "guid", "guid"), (Some(ATOM_NS), "id", "atom:id")),
    (
        (None, "pubDate", "pubDate"),
        (Some(ATOM_NS), "published", "atom:published"),
    ),
    (
        (None, "pubDate", "pubDate"),
        (Some(DC_NS), "date", "dc:date"),
    ),
    (
        (None, "author", "author"),
        (Some(DC_NS), "creator", "dc:creator"),
    ),
    (
        (None, "category", "category"),
        (Some(DC_NS), "subject", "dc:subject"),
    ),
    (
        (None, "source", "source"),
        (Some(DC_NS), "source", "dc:source"),
    ),
    (
        (
            Some(CREATIVE_COMMONS_NS),
            "license",
            "creativeCommons:license",
        ),
        (Some(CC_NS), "license", "cc:license"),
    ),
];

pub fn channel(channel: Node<'_, '_>, sink: &mut Sink<'_>) {
    pairs(channel, "<channel>", CHANNEL, sink);
}

pub fn item(item: Node<'_, '_>, sink: &mut Sink<'_>) {
    pairs(item, "<item>", ITEM, sink);
    // RSS has its description; a second, inline one is a second version of the text.
    for (ns, name, label) in [
        (XHTML_NS, "body", "xhtml:body"),
        (ATOM_NS, "content", "atom:content"),
    ] {
        if let Some(extra) = child(item, Some(ns), name) {
            sink.at(
                extra.range().start,
                Rule::DuplicateSemantics,
                format!(
                    "<item> has <{label}>, a second description beside RSS's own: readers pick one"
                ),
            );
        }
    }
}

fn pairs(parent: Node<'_, '_>, label: &str, table: &[(Name, Name)], sink: &mut Sink<'_>) {
    for ((core_ns, core, core_label), (ext_ns, ext, ext_label)) in table {
        if child(parent, *core_ns, core).is_some()
            && let Some(second) = child(parent, *ext_ns, ext)
        {
            sink.at(
                second.range().start,
                Rule::DuplicateSemantics,
                format!(
                    "{label} has both <{core_label}> and <{ext_label}>, which mean the same: \
                     keep one, as readers pick either"
                ),
            );
        }
    }
}
