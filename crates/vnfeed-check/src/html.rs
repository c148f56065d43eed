//! HTML inside feeds: markup where a field is plain text, and relative URLs inside HTML
//! content, which readers resolve against the wrong base (or not at all).

use std::sync::{Arc, Mutex};

/// Element names that, written as `<p>` or `</p>`, mean someone put HTML in plain text.
/// Only real HTML names count, so `a < b` or `<Hà Nội>` is not flagged.
const HTML_ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "article",
    "aside",
    "audio",
    "b",
    "big",
    "blockquote",
    "br",
    "center",
    "cite",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "figcaption",
    "figure",
    "font",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "i",
    "iframe",
    "img",
    "ins",
    "li",
    "mark",
    "nav",
    "object",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "script",
    "section",
    "small",
    "source",
    "span",
    "strike",
    "strong",
    "style",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "tt",
    "u",
    "ul",
    "video",
];

/// Named character references that show up double-escaped in titles.
const ENTITIES: &[&str] = &[
    "amp", "apos", "bull", "copy", "gt", "hellip", "laquo", "ldquo", "lsquo", "lt", "mdash",
    "nbsp", "ndash", "quot", "raquo", "rdquo", "reg", "rsquo", "trade",
];

/// The first piece of HTML in a plain-text value (a tag or a character reference), if any.
/// The value is the decoded text, so `&lt;b&gt;` in the XML is the tag `<b>` here.
pub fn markup_in_text(text: &str) -> Option<String> {
    for (i, c) in text.char_indices() {
        if c != '<' && c != '&' {
            continue;
        }
        let rest = &text[i + 1..];
        match c {
            '<' => {
                let name_part = rest.strip_prefix('/').unwrap_or(rest);
                let end = name_part
                    .find(|c: char| !c.is_ascii_alphanumeric())
                    .unwrap_or(name_part.len());
                let name = &name_part[..end];
                let follows = name_part[end..].chars().next();
                if !name.is_empty()
                    && matches!(follows, Some('>' | '/' | ' ' | '\t' | '\n'))
                    && HTML_ELEMENTS.contains(&name.to_ascii_lowercase().as_str())
                {
                    let close = text[i..].find('>').map_or(text.len(), |j| i + j + 1);
                    return Some(text[i..close].chars().take(40).collect());
                }
            }
            '&' => {
                // W3C's reading: `&#` and a digit or `x`, or `&` and a word that is an HTML
                // entity name, with or without its `;` (`alpha&omega`, `Jos&eacute;`).
                if let Some(num) = rest.strip_prefix('#')
                    && num.starts_with(|c: char| c.is_ascii_digit() || c == 'x' || c == 'X')
                {
                    let end = num
                        .find(|c: char| !c.is_ascii_alphanumeric())
                        .unwrap_or(num.len());
                    return Some(format!("&#{};", &num[..end]));
                }
                let end = rest
                    .find(|c: char| !c.is_ascii_alphanumeric())
                    .unwrap_or(rest.len());
                let name = &rest[..end];
                if !name.is_empty()
                    && (ENTITIES.contains(&name)
                        || html5ever::data::NAMED_ENTITIES
                            .contains_key(format!("{name};").as_str()))
                {
                    return Some(format!("&{name};"));
                }
            }
            _ => {}
        }
    }
    None
}

/// Finds relative URLs in HTML with a real HTML parser: ammonia (html5ever underneath)
/// calls back for every relative URL in a URL attribute (`href`, `src`, ...).
pub struct RelativeRefs {
    cleaner: ammonia::Builder<'static>,
    found: Arc<Mutex<Vec<String>>>,
}

impl RelativeRefs {
    pub fn new() -> RelativeRefs {
        let found = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&found);
        let mut cleaner = ammonia::Builder::default();
        cleaner
            .add_tags(["video", "audio", "source", "iframe"])
            .add_tag_attributes("video", ["src", "poster"])
            .add_tag_attributes("audio", ["src"])
            .add_tag_attributes("source", ["src"])
            .add_tag_attributes("iframe", ["src"])
            .url_relative(ammonia::UrlRelative::Custom(Box::new(Collect(sink))));
        RelativeRefs { cleaner, found }
    }

    /// The relative URLs in `html`, in document order.
    pub fn find(&self, html: &str) -> Vec<String> {
        // Only the callbacks matter; the cleaned HTML is thrown away.
        drop(self.cleaner.clean(html));
        std::mem::take(&mut *self.found.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The callback: note the URL, keep the attribute (the output is not used).
struct Collect(Arc<Mutex<Vec<String>>>);

impl ammonia::UrlRelativeEvaluate<'static> for Collect {
    fn evaluate<'url>(&self, url: &'url str) -> Option<std::borrow::Cow<'url, str>> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(url.to_string());
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_tags_and_references_but_not_prose() {
        assert_eq!(markup_in_text("Tin <b>nóng</b>").as_deref(), Some("<b>"));
        assert_eq!(markup_in_text("Kết thúc</p>").as_deref(), Some("</p>"));
        assert_eq!(markup_in_text("Bão &amp; lũ").as_deref(), Some("&amp;"));
        assert_eq!(
            markup_in_text("Giá &#8220;sốc&#8221;").as_deref(),
            Some("&#8220;")
        );
        assert_eq!(markup_in_text("a < b và c > d"), None);
        assert_eq!(markup_in_text("<Hà Nội> & <Huế>"), None);
        assert_eq!(markup_in_text("AT&T; R&D"), None);
        assert_eq!(markup_in_text("alpha&omega").as_deref(), Some("&omega;"));
        assert_eq!(
            markup_in_text("Jos&eacute; Garc&iacute;a").as_deref(),
            Some("&eacute;")
        );
        assert_eq!(markup_in_text("mã &#0").as_deref(), Some("&#0;"));
    }

    #[test]
    fn relative_urls_in_html() {
        let refs = RelativeRefs::new();
        let html = "<p><a href=\"/bai-viet/1\">một</a> <a href='https://a.example/'>hai</a>\
                    <img src=anh.jpg alt=x><a href=\"mailto:toa-soan@a.example\">ba</a></p>";
        assert_eq!(refs.find(html), vec!["/bai-viet/1", "anh.jpg"]);
        assert!(refs.find("<p>không có liên kết</p>").is_empty());
    }
}
