//! XML documents: the character encoding (BOM, the XML declaration, encoding_rs to decode),
//! the namespaces, and the small helpers the RSS and Atom rules share to read a parsed tree
//! with positions. A leaf: checking a whole XML feed, which uses those rules, is
//! `xml_feed`'s.

use encoding_rs::Encoding;
use roxmltree::Node;

use super::finding::Finding;
use super::rules::Rule;
use super::sink::{LineIndex, Sink};

pub const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
pub const XHTML_NS: &str = "http://www.w3.org/1999/xhtml";
pub const DC_NS: &str = "http://purl.org/dc/elements/1.1/";
pub const CONTENT_NS: &str = "http://purl.org/rss/1.0/modules/content/";

/// Decodes the document: a BOM wins, then the XML declaration's encoding, then UTF-8.
pub fn decode(bytes: &[u8]) -> Result<(String, &'static Encoding), Finding> {
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        return decode_as(&bytes[bom..], encoding);
    }
    let encoding = match declared_encoding(bytes) {
        Some(label) => Encoding::for_label(label.as_bytes()).ok_or_else(|| {
            Finding::new(
                Rule::Encoding,
                1,
                1,
                format!("unknown character encoding `{label}` in the XML declaration"),
            )
        })?,
        None => encoding_rs::UTF_8,
    };
    if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
        // The declaration was readable as ASCII, so the bytes are not UTF-16.
        return Err(Finding::new(
            Rule::Encoding,
            1,
            1,
            format!(
                "the declaration says {}, but the document is not UTF-16",
                encoding.name()
            ),
        ));
    }
    decode_as(bytes, encoding)
}

fn decode_as(
    bytes: &[u8],
    encoding: &'static Encoding,
) -> Result<(String, &'static Encoding), Finding> {
    if let Some(text) = encoding.decode_without_bom_handling_and_without_replacement(bytes) {
        return Ok((text.into_owned(), encoding));
    }
    // Say where: decode with replacement and find the first replacement character.
    let (lossy, _) = encoding.decode_without_bom_handling(bytes);
    let at = lossy.find('\u{FFFD}').unwrap_or(0);
    let (line, column) = LineIndex::new(&lossy).position(at);
    Err(Finding::new(
        Rule::Encoding,
        line,
        column,
        format!("bytes that are not valid {}", encoding.name()),
    ))
}

/// The `encoding` of an XML declaration written in ASCII-compatible bytes.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = bytes.strip_prefix(b"<?xml")?;
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].to_string())
}

/// The character data of an element (text and CDATA; child elements are skipped), trimmed.
pub fn text(node: Node<'_, '_>) -> String {
    let mut out = String::new();
    for child in node.children().filter(Node::is_text) {
        out.push_str(child.text().unwrap_or(""));
    }
    out.trim().to_string()
}

/// Where an element's value starts: its text if it has some, else the element.
pub fn value_at(node: Node<'_, '_>) -> usize {
    node.children()
        .find(|c| c.is_text() && !c.text().unwrap_or("").trim().is_empty())
        .map_or(node.range().start, |t| {
            let raw = t.text().unwrap_or("");
            t.range().start + (raw.len() - raw.trim_start().len()).min(t.range().len())
        })
}

/// Where an attribute's value starts, or the element when it has no such attribute.
pub fn attr_at(node: Node<'_, '_>, name: &str) -> usize {
    node.attribute_node(name)
        .map_or(node.range().start, |a| a.range_value().start)
}

/// Whether an `xml:base` applies to this element (relative references can be resolved).
pub fn has_base(node: Node<'_, '_>) -> bool {
    node.ancestors().any(|n| n.has_attribute((XML_NS, "base")))
}

/// Child elements in a namespace (`None` for no namespace) with a local name.
pub fn children<'a, 'i>(
    node: Node<'a, 'i>,
    ns: Option<&'a str>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children().filter(move |c| {
        c.is_element() && c.tag_name().namespace() == ns && c.tag_name().name() == name
    })
}

pub fn child<'a, 'i>(
    node: Node<'a, 'i>,
    ns: Option<&'a str>,
    name: &'a str,
) -> Option<Node<'a, 'i>> {
    children(node, ns, name).next()
}

/// Reports each repeat of an element of `known` that may appear once in `parent` (all but
/// the `repeatable` ones).
pub fn once(
    parent: Node<'_, '_>,
    ns: Option<&str>,
    known: &[&str],
    repeatable: &[&str],
    label: &str,
    sink: &mut Sink<'_>,
) {
    for name in known.iter().filter(|n| !repeatable.contains(n)) {
        for extra in children(parent, ns, name).skip(1) {
            sink.at(
                extra.range().start,
                Rule::DuplicateElement,
                format!(
                    "{label} contains more than one <{}>",
                    extra.tag_name().name()
                ),
            );
        }
    }
}

/// Reports child elements of `parent` in `ns` that are not in `known`.
pub fn unknown_children(
    parent: Node<'_, '_>,
    ns: Option<&str>,
    known: &[&str],
    label: &str,
    sink: &mut Sink<'_>,
) {
    for c in parent.children().filter(Node::is_element) {
        if c.tag_name().namespace() == ns && !known.contains(&c.tag_name().name()) {
            let hint = if ns.is_none() {
                " (extensions need a namespace)"
            } else {
                ""
            };
            sink.at(
                c.range().start,
                Rule::UnknownElement,
                format!(
                    "<{}> is not an element of {label}{hint}",
                    c.tag_name().name()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_by_bom_declaration_or_utf8() {
        let (text, enc) =
            decode("<?xml version='1.0' encoding='utf-8'?><a>Đảng</a>".as_bytes()).unwrap();
        assert!(text.contains("Đảng"));
        assert_eq!(enc, encoding_rs::UTF_8);
        let mut w1258 = b"<?xml version=\"1.0\" encoding=\"windows-1258\"?><a>".to_vec();
        w1258.extend_from_slice(&[0xD0, 0xE0]);
        w1258.extend_from_slice(b"</a>");
        let (text, enc) = decode(&w1258).unwrap();
        assert_eq!(enc, encoding_rs::WINDOWS_1258);
        assert!(text.contains("Đà"), "{text}");
        let bad = decode(b"<a>\n ok \xff</a>").unwrap_err();
        assert_eq!((bad.rule, bad.line, bad.column), (Rule::Encoding, 2, 5));
        let unknown = decode(b"<?xml version='1.0' encoding='klingon'?><a/>").unwrap_err();
        assert!(unknown.message.contains("klingon"));
    }
}
