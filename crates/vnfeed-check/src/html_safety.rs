//! Unsafe HTML in feed content: elements and attributes that run script or pull in other
//! documents (`<script>`, `<object>`, `<meta>`, `onclick=`...) and style attributes that
//! can restyle or cover the reader's page (`position:absolute`, `expression(...)`). Readers
//! strip them, so the item does not show as written. The lists are the W3C Feed Validation
//! Service's (SecurityRisk, SecurityRiskAttr, DangerousStyleAttr), so the verdicts agree.

use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use roxmltree::Node;
use std::cell::RefCell;

use super::rules::Rule;
use super::sink::Sink;
use super::xml::XHTML_NS;

const SVG_NS: &str = "http://www.w3.org/2000/svg";
const MATHML_NS: &str = "http://www.w3.org/1998/Math/MathML";

/// Every HTML element name, safe or not; anything else is not HTML.
#[rustfmt::skip]
const HTML_ELEMENTS: &[&str] = &[
    "a", "abbr", "acronym", "address", "applet", "area", "article", "aside", "audio", "b",
    "base", "basefont", "bdi", "bdo", "big", "blockquote", "body", "br", "button", "canvas",
    "caption", "center", "cite", "code", "col", "colgroup", "command", "data", "datagrid",
    "datalist", "dd", "del", "details", "dfn", "dialog", "dir", "div", "dl", "dt", "em",
    "eventsource", "fieldset", "figcaption", "figure", "font", "footer", "form", "frame",
    "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr", "html", "i",
    "iframe", "img", "input", "ins", "isindex", "kbd", "label", "legend", "li", "link", "m",
    "main", "mark", "map", "menu", "meta", "meter", "nav", "noframes", "noscript", "object", "ol",
    "optgroup", "option", "output", "p", "param", "picture", "pre", "progress", "q", "rp", "rt",
    "ruby", "s", "samp", "script", "section", "select", "slot", "small", "source", "span",
    "strike", "strong", "style", "sub", "summary", "sup", "table", "tbody", "td", "template",
    "textarea", "tfoot", "th", "thead", "time", "title", "tr", "track", "tt", "u", "ul", "var",
    "xmp", "plaintext", "embed", "comment", "listing", "video", "wbr",
];

/// HTML elements readers keep; any other element is stripped as a risk.
#[rustfmt::skip]
const SAFE_ELEMENTS: &[&str] = &[
    "a", "abbr", "acronym", "address", "area", "article", "aside", "audio", "b", "bdi", "big",
    "blockquote", "br", "button", "canvas", "caption", "center", "cite", "code", "col",
    "colgroup", "command", "data", "datagrid", "datalist", "dd", "del", "details", "dfn",
    "dialog", "dir", "div", "dl", "dt", "em", "eventsource", "fieldset", "figcaption", "figure",
    "footer", "font", "form", "header", "h1", "h2", "h3", "h4", "h5", "h6", "hgroup", "hr", "i",
    "img", "input", "ins", "keygen", "kbd", "label", "legend", "li", "m", "main", "map", "mark",
    "menu", "meter", "multicol", "nav", "nextid", "ol", "output", "optgroup", "option", "p",
    "picture", "pre", "progress", "q", "rp", "rt", "ruby", "s", "samp", "section", "select",
    "small", "sound", "source", "spacer", "span", "strike", "strong", "sub", "summary", "sup",
    "table", "tbody", "td", "template", "textarea", "time", "tfoot", "th", "thead", "tr",
    "track", "tt", "u", "ul", "var", "video", "noscript", "wbr",
];

/// SVG Tiny's elements, less those that embed other documents.
#[rustfmt::skip]
const SVG_ELEMENTS: &[&str] = &[
    "a", "animate", "animateColor", "animateMotion", "animateTransform", "circle", "defs",
    "desc", "ellipse", "font-face", "font-face-name", "font-face-src", "g", "glyph", "hkern",
    "linearGradient", "line", "marker", "metadata", "missing-glyph", "mpath", "path", "polygon",
    "polyline", "radialGradient", "rect", "set", "stop", "svg", "switch", "text", "title",
    "tspan", "use",
];

#[rustfmt::skip]
const SVG_ATTRIBUTES: &[&str] = &[
    "accent-height", "accumulate", "additive", "alphabetic", "arabic-form", "ascent",
    "attributeName", "attributeType", "baseProfile", "bbox", "begin", "by", "calcMode",
    "cap-height", "class", "color", "color-rendering", "content", "cx", "cy", "d", "dx", "dy",
    "descent", "display", "dur", "end", "fill", "fill-opacity", "fill-rule", "font-family",
    "font-size", "font-stretch", "font-style", "font-variant", "font-weight", "from", "fx",
    "fy", "g1", "g2", "glyph-name", "gradientUnits", "hanging", "height", "horiz-adv-x",
    "horiz-origin-x", "id", "ideographic", "k", "keyPoints", "keySplines", "keyTimes", "lang",
    "mathematical", "marker-end", "marker-mid", "marker-start", "markerHeight", "markerUnits",
    "markerWidth", "max", "min", "name", "offset", "opacity", "orient", "origin",
    "overline-position", "overline-thickness", "panose-1", "path", "pathLength", "points",
    "preserveAspectRatio", "r", "refX", "refY", "repeatCount", "repeatDur",
    "requiredExtensions", "requiredFeatures", "restart", "rotate", "rx", "ry", "slope", "stemh",
    "stemv", "stop-color", "stop-opacity", "strikethrough-position", "strikethrough-thickness",
    "stroke", "stroke-dasharray", "stroke-dashoffset", "stroke-linecap", "stroke-linejoin",
    "stroke-miterlimit", "stroke-opacity", "stroke-width", "style", "systemLanguage", "target",
    "text-anchor", "to", "transform", "type", "u1", "u2", "underline-position",
    "underline-thickness", "unicode", "unicode-range", "units-per-em", "values", "version",
    "viewBox", "visibility", "width", "widths", "x", "x-height", "x1", "x2", "y", "y1", "y2",
    "zoomAndPan",
];

#[rustfmt::skip]
const MATHML_ELEMENTS: &[&str] = &[
    "annotation", "annotation-xml", "maction", "math", "merror", "mfrac", "mi", "mmultiscripts",
    "mn", "mo", "mover", "mpadded", "mphantom", "mprescripts", "mroot", "mrow", "mspace",
    "msqrt", "mstyle", "msub", "msubsup", "msup", "mtable", "mtd", "mtext", "mtr", "munder",
    "munderover", "none", "semantics",
];

#[rustfmt::skip]
const MATHML_ATTRIBUTES: &[&str] = &[
    "actiontype", "align", "columnalign", "columnlines", "columnspacing", "columnspan", "depth",
    "display", "displaystyle", "encoding", "equalcolumns", "equalrows", "fence", "fontstyle",
    "fontweight", "frame", "height", "linethickness", "lspace", "mathbackground", "mathcolor",
    "mathvariant", "maxsize", "minsize", "other", "rowalign", "rowlines", "rowspacing",
    "rowspan", "rspace", "scriptlevel", "selection", "separator", "stretchy", "width",
];

/// CSS properties a reader keeps in a style attribute.
#[rustfmt::skip]
const SAFE_CSS_PROPERTIES: &[&str] = &[
    "azimuth", "background", "background-color", "border", "border-bottom",
    "border-bottom-color", "border-bottom-style", "border-bottom-width", "border-collapse",
    "border-color", "border-left", "border-left-color", "border-left-style",
    "border-left-width", "border-right", "border-right-color", "border-right-style",
    "border-right-width", "border-spacing", "border-style", "border-top", "border-top-color",
    "border-top-style", "border-top-width", "border-width", "clear", "color", "cursor",
    "direction", "display", "elevation", "float", "font", "font-family", "font-size",
    "font-style", "font-variant", "font-weight", "height", "letter-spacing", "line-height",
    "list-style-type", "margin", "margin-bottom", "margin-left", "margin-right", "margin-top",
    "overflow", "padding", "padding-bottom", "padding-left", "padding-right", "padding-top",
    "pause", "pause-after", "pause-before", "pitch", "pitch-range", "richness", "speak",
    "speak-header", "speak-numeral", "speak-punctuation", "speech-rate", "stress", "text-align",
    "text-decoration", "text-indent", "unicode-bidi", "vertical-align", "voice-family",
    "volume", "white-space", "width",
];

/// Keywords allowed in the box properties (background, border, margin, padding), whose
/// other values can place content outside the item or load images.
#[rustfmt::skip]
const SAFE_CSS_KEYWORDS: &[&str] = &[
    "aqua", "auto", "black", "block", "blue", "bold", "both", "bottom", "brown", "center",
    "collapse", "dashed", "dotted", "fuchsia", "gray", "green", "!important", "italic", "left",
    "lime", "maroon", "medium", "none", "navy", "normal", "nowrap", "olive", "pointer",
    "purple", "red", "right", "solid", "silver", "teal", "top", "transparent", "underline",
    "white", "yellow",
];

/// The most problems one field reports by name; the rest are counted.
const NAMED: usize = 3;

/// What a piece of content holds that readers strip.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Unsafe {
    /// Unsafe elements and event-handler attributes, as `<script>` or `onclick`.
    pub risks: Vec<String>,
    /// Style attribute values (or the parts of them) that are not safe CSS.
    pub styles: Vec<String>,
    /// What is not HTML at all: unknown elements, and the first HTML syntax error.
    pub invalid: Vec<String>,
}

impl Unsafe {
    fn risk(&mut self, what: String) {
        if !self.risks.contains(&what) {
            self.risks.push(what);
        }
    }

    fn style(&mut self, value: &str) {
        for part in unsafe_style(value) {
            if !self.styles.contains(&part) {
                self.styles.push(part);
            }
        }
    }

    fn attribute(&mut self, name: &str, value: &str) {
        let lower = name.to_ascii_lowercase();
        if lower == "style" {
            self.style(value);
        } else if lower.starts_with("on") {
            self.risk(name.to_string());
        }
    }

    /// `a, b, c and 2 more`, for a message.
    pub fn list(items: &[String]) -> String {
        let named: Vec<&str> = items.iter().take(NAMED).map(String::as_str).collect();
        match items.len().saturating_sub(NAMED) {
            0 => named.join(", "),
            n => format!("{} and {n} more", named.join(", ")),
        }
    }
}

/// Reports what `found` holds in the field `what` (as `<description>`), at `at`: one
/// finding per rule, naming the first few problems.
pub fn report(at: usize, what: &str, found: Unsafe, sink: &mut Sink<'_>) {
    if !found.risks.is_empty() {
        sink.at(
            at,
            Rule::HtmlUnsafe,
            format!(
                "{what} holds HTML readers strip as unsafe: {}",
                Unsafe::list(&found.risks)
            ),
        );
    }
    if !found.invalid.is_empty() {
        sink.at(
            at,
            Rule::HtmlInvalid,
            format!("{what} is not valid HTML: {}", Unsafe::list(&found.invalid)),
        );
    }
    if !found.styles.is_empty() {
        sink.at(
            at,
            Rule::HtmlUnsafeStyle,
            format!(
                "{what} has a style attribute readers strip: {}",
                Unsafe::list(&found.styles)
            ),
        );
    }
}

/// Escaped HTML (an RSS description, Atom type="html"), read by html5ever's tokenizer.
pub fn in_html(html: &str) -> Unsafe {
    let mut found = Unsafe::default();
    // `<?import>` loads behaviours in old Internet Explorer; HTML parses it as a comment.
    if html.to_ascii_lowercase().contains("<?import ") {
        found.risk("<?import>".into());
    }
    let tokenizer = Tokenizer::new(Tags::default(), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(html.into());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    if let Some(error) = tokenizer.sink.error.take() {
        found.invalid.push(error);
    }
    for (name, attrs) in tokenizer.sink.tags.take() {
        if !HTML_ELEMENTS.contains(&name.as_str()) {
            found.invalid.push(format!("<{name}>"));
            continue;
        }
        if !SAFE_ELEMENTS.contains(&name.as_str()) {
            found.risk(format!("<{name}>"));
            continue;
        }
        for (attr, value) in attrs {
            found.attribute(&attr, &value);
        }
    }
    found
}

/// Inline XHTML (Atom type="xhtml", RSS xhtml:body): every element below `container`, with
/// SVG and MathML judged by their own lists.
pub fn in_xhtml(container: Node<'_, '_>) -> Unsafe {
    let mut found = Unsafe::default();
    for element in container.descendants().skip(1).filter(Node::is_element) {
        let name = element.tag_name().name();
        let (safe_elements, safe_attributes): (&[&str], Option<&[&str]>) =
            match element.tag_name().namespace() {
                Some(XHTML_NS) if !HTML_ELEMENTS.contains(&name) => {
                    found.invalid.push(format!("<{name}>"));
                    continue;
                }
                Some(XHTML_NS) => (SAFE_ELEMENTS, None),
                Some(SVG_NS) => (SVG_ELEMENTS, Some(SVG_ATTRIBUTES)),
                Some(MATHML_NS) => (MATHML_ELEMENTS, Some(MATHML_ATTRIBUTES)),
                _ => continue,
            };
        if !safe_elements.contains(&name) {
            found.risk(format!("<{name}>"));
        }
        for attr in element.attributes().filter(|a| a.namespace().is_none()) {
            match safe_attributes {
                Some(_) if attr.name() == "style" => found.style(attr.value()),
                Some(list) if !list.contains(&attr.name()) => found.risk(attr.name().to_string()),
                Some(_) => {}
                None => found.attribute(attr.name(), attr.value()),
            }
        }
    }
    found
}

/// A start tag's name and its attributes' names and values.
type StartTag = (String, Vec<(String, String)>);

/// Collects start tags and the first syntax error.
#[derive(Default)]
struct Tags {
    tags: RefCell<Vec<StartTag>>,
    error: RefCell<Option<String>>,
}

impl TokenSink for Tags {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        match token {
            Token::TagToken(tag) if tag.kind == TagKind::StartTag => {
                let attrs = tag
                    .attrs
                    .iter()
                    .map(|a| (a.name.local.to_string(), a.value.to_string()))
                    .collect();
                self.tags.borrow_mut().push((tag.name.to_string(), attrs));
            }
            Token::ParseError(why) => {
                self.error
                    .borrow_mut()
                    .get_or_insert_with(|| why.into_owned());
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// The unsafe parts of a style attribute: the whole value when it holds characters or a
/// shape CSS declarations do not (`url(`, `expression(`, comments, escapes), else each
/// property readers drop and each box-property value that is not a plain colour, length
/// or keyword.
fn unsafe_style(style: &str) -> Vec<String> {
    if !plain_characters(style) || !declarations(style) {
        return vec![style.to_string()];
    }
    let mut found = Vec::new();
    let lower = style.to_lowercase();
    for declaration in lower.split(';') {
        let Some((property, value)) = declaration.split_once(':') else {
            continue;
        };
        let property = property.trim();
        if !SAFE_CSS_PROPERTIES.contains(&property) {
            found.push(property.to_string());
        } else if matches!(
            property.split('-').next(),
            Some("background" | "border" | "margin" | "padding")
        ) {
            for keyword in value.split_whitespace() {
                if !SAFE_CSS_KEYWORDS.contains(&keyword) && !plain_value(keyword) {
                    found.push(keyword.to_string());
                }
            }
        }
    }
    found.dedup();
    found
}

/// Letters, digits, `:,;#%.!` and spaces; hyphens between word characters; quoted words;
/// parentheses around digits and commas.
fn plain_characters(style: &str) -> bool {
    let chars: Vec<char> = style.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_alphanumeric() || c.is_whitespace() || ":,;#%.!".contains(c) {
            i += 1;
        } else if c == '-' {
            let joins = i > 0
                && word(chars[i - 1])
                && chars.get(i + 1).is_some_and(|&n| word(n))
                && (i < 2 || chars[i - 2] != '-');
            if !joins {
                return false;
            }
            i += 1;
        } else if c == '\'' || c == '"' || c == '(' {
            let (close, inside): (char, fn(char) -> bool) = match c {
                '(' => (')', |c| c.is_ascii_digit() || c == ',' || c.is_whitespace()),
                _ => (c, |c| c.is_alphanumeric() || c == '_' || c.is_whitespace()),
            };
            let len = chars[i + 1..].iter().take_while(|&&c| inside(c)).count();
            if len == 0 || chars.get(i + 1 + len) != Some(&close) {
                return false;
            }
            i += len + 2;
        } else {
            return false;
        }
    }
    true
}

/// `property: value` declarations separated by semicolons, no colon inside a value.
fn declarations(style: &str) -> bool {
    style.split(';').all(|declaration| {
        if declaration.trim().is_empty() {
            return true;
        }
        let Some((property, value)) = declaration.split_once(':') else {
            return false;
        };
        let property = property.trim();
        !property.is_empty()
            && property
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
            && !value.contains(':')
    })
}

/// A hex colour, an rgb() colour, or a short number with an optional unit.
fn plain_value(value: &str) -> bool {
    if let Some(hex) = value.strip_prefix('#') {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    if let Some(rgb) = value.strip_prefix("rgb(") {
        return rgb
            .bytes()
            .all(|b| b.is_ascii_digit() || b"%,)".contains(&b));
    }
    let number = [
        "cm", "em", "ex", "in", "mm", "pc", "pt", "px", "%", ",", ")",
    ]
    .iter()
    .find_map(|unit| value.strip_suffix(unit))
    .unwrap_or(value);
    // `\d?\.?\d?\d`: up to three digits, or one digit at most, a dot and one or two.
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    match number.split_once('.') {
        Some((int, frac)) => {
            int.len() <= 1 && (1..=2).contains(&frac.len()) && digits(int) && digits(frac)
        }
        None => (1..=3).contains(&number.len()) && digits(number),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_embeds_and_event_handlers_are_risks() {
        let found = in_html(
            "<p onclick=\"x()\">Tin</p><script src=\"https://a.example/x.js\"></script>\
             <object data=\"x.swf\"></object><?import namespace=\"x\">",
        );
        assert_eq!(
            found.risks,
            ["<?import>", "onclick", "<script>", "<object>"]
        );
        assert!(found.styles.is_empty());
        assert_eq!(
            in_html("<p><b>Bão</b> số 3 <a href=\"/x\">vào</a></p>"),
            Unsafe::default()
        );
    }

    #[test]
    fn styles_that_move_or_load_things_are_flagged() {
        assert_eq!(
            unsafe_style("color: red; font-weight: bold"),
            Vec::<String>::new()
        );
        assert_eq!(
            unsafe_style("margin: 0 1em; border: 1px solid #ccc"),
            Vec::<String>::new()
        );
        assert_eq!(unsafe_style("position:absolute"), ["position"]);
        assert_eq!(unsafe_style("mso-tab-count: 3;"), ["mso-tab-count"]);
        assert_eq!(unsafe_style("margin: 99999em"), ["99999em"]);
        assert_eq!(
            unsafe_style("background: url(http://a.example/x.png)"),
            ["background: url(http://a.example/x.png)"]
        );
        assert_eq!(unsafe_style("bogus"), ["bogus"]);
    }
}
