//! An XML feed checked whole: decoded, parsed with strict well-formedness (roxmltree, which
//! refuses what XML forbids where quick-xml lets it through), told RSS from Atom and handed
//! to their rules, then the checks every XML feed gets (xml:lang, xml:base, characters,
//! blanks, the feed facts). It uses the format rules, which use `xml`'s helpers, so it is a
//! file of its own above them.

use roxmltree::{Document, Node, ParsingOptions};

use super::finding::Finding;
use super::options::Options;
use super::report::{Checked, FeedFormat};
use super::rules::Rule;
use super::sink::{LineIndex, Sink};
use super::xml::{ATOM_NS, XML_NS, decode};
use super::{atom, blank, characters, feed, iri, language, rss};

const ATOM_03_NS: &str = "http://purl.org/atom/ns#";
const RDF_NS: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

pub fn check(bytes: &[u8], options: &Options) -> Checked {
    let (text, encoding) = match decode(bytes) {
        Ok(decoded) => decoded,
        Err(finding) => {
            return Checked {
                format: None,
                encoding: None,
                findings: vec![finding],
            };
        }
    };
    let parsing = ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    };
    let doc = match Document::parse_with_options(&text, parsing) {
        Ok(doc) => doc,
        Err(e) => {
            let pos = e.pos();
            let message = e.to_string();
            let suffix = format!(" at {}:{}", pos.row, pos.col);
            let message = message
                .strip_suffix(&suffix)
                .unwrap_or(&message)
                .to_string();
            return Checked {
                format: None,
                encoding: Some(encoding),
                findings: vec![Finding::new(Rule::NotWellFormed, pos.row, pos.col, message)],
            };
        }
    };
    if let Some(finding) = namespace_with_whitespace(&doc, &text) {
        // As fatal as any well-formedness error: every element name in it is unreadable.
        return Checked {
            format: None,
            encoding: Some(encoding),
            findings: vec![finding],
        };
    }
    let mut sink = Sink::new(&text);
    let root = doc.root_element();
    let name = root.tag_name();
    let format = match (name.namespace(), name.name()) {
        (None, "rss") => {
            let facts = rss::check(root, &mut sink);
            finish(&doc, facts, options, &mut sink);
            Some(FeedFormat::Rss)
        }
        (Some(ATOM_NS), "feed" | "entry") => {
            let facts = atom::check(root, &mut sink);
            finish(&doc, facts, options, &mut sink);
            Some(FeedFormat::Atom)
        }
        (ns, "feed") => {
            // Nothing inside can be read as Atom, so one finding says it all.
            let why = match ns {
                None => "<feed> is in no namespace: add xmlns=\"http://www.w3.org/2005/Atom\""
                    .to_string(),
                Some(ATOM_03_NS) => {
                    "Atom 0.3 is obsolete: use Atom 1.0 (http://www.w3.org/2005/Atom)".to_string()
                }
                Some(other) => {
                    format!("<feed> is in the namespace {other}, not http://www.w3.org/2005/Atom")
                }
            };
            sink.at(root.range().start, Rule::AtomNamespace, why);
            Some(FeedFormat::Atom)
        }
        (Some(RDF_NS), "RDF") => {
            sink.at(
                root.range().start,
                Rule::UnknownFormat,
                "RSS 1.0 (RDF) is not checked: only RSS 2.0, Atom 1.0 and JSON Feed",
            );
            None
        }
        (_, other) => {
            sink.at(
                root.range().start,
                Rule::UnknownFormat,
                format!("<{other}> is not a feed: expected <rss> (RSS 2.0) or <feed> (Atom 1.0)"),
            );
            None
        }
    };
    Checked {
        format,
        encoding: Some(encoding),
        findings: sink.into_findings(),
    }
}

/// A namespace name is a URI reference, which holds no whitespace (roxmltree takes any
/// string); a line break inside `xmlns:x="…"` is the usual way it happens.
fn namespace_with_whitespace(doc: &Document<'_>, text: &str) -> Option<Finding> {
    let element = doc.descendants().filter(Node::is_element).find(|e| {
        e.namespaces()
            .any(|ns| ns.uri().contains(char::is_whitespace))
    })?;
    let ns = element
        .namespaces()
        .find(|ns| ns.uri().contains(char::is_whitespace))?;
    let (line, column) = LineIndex::new(text).position(element.range().start);
    let prefix = ns
        .name()
        .map_or("xmlns".to_string(), |p| format!("xmlns:{p}"));
    Some(Finding::new(
        Rule::NotWellFormed,
        line,
        column,
        format!(
            "the namespace name of {prefix} holds whitespace, so it is no URI: {:?}",
            ns.uri()
        ),
    ))
}

fn finish(doc: &Document<'_>, facts: feed::Facts, options: &Options, sink: &mut Sink<'_>) {
    // xml:lang may stand on any element; each one must be a language tag.
    for node in doc.descendants().filter(Node::is_element) {
        if let Some(attr) = node.attribute_node((XML_NS, "lang"))
            && !attr.value().is_empty()
            && let Err(why) = language::check(attr.value())
        {
            sink.at(attr.range_value().start, Rule::InvalidLanguage, why);
        }
        // xml:base is an IRI reference, read as written: no whitespace is trimmed.
        if let Some(attr) = node.attribute_node((XML_NS, "base"))
            && let Err(why) = iri::reference(attr.value())
        {
            sink.at(
                attr.range_value().start,
                Rule::InvalidUrl,
                format!("xml:base is not a valid IRI reference: {why}"),
            );
        }
    }
    characters::check(doc, sink);
    blank::check(doc.root_element(), sink);
    feed::check(&facts, options, sink);
}
