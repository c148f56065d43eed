//! JSON Feed 1.1 (jsonfeed.org/version/1.1): version, title, items and their ids and
//! content, member types, RFC 3339 dates and URLs. serde_json judges the syntax (strict
//! RFC 8259, with line and column); jsonc-parser, with every leniency off, gives the tree
//! with byte ranges so each finding points at its member.

mod members;

use jsonc_parser::ast::{Object, ObjectProp, Value};
use jsonc_parser::common::Ranged;

use super::date;
use super::feed::{self, Facts, Item};
use super::finding::Finding;
use super::html::{RelativeRefs, markup_in_text};
use super::options::Options;
use super::rules::Rule;
use super::sink::{LineIndex, Sink};
use super::{iri, language};

use members::{JsonFeed, get, kind};

const VERSIONS: &[&str] = &[
    "https://jsonfeed.org/version/1.1",
    "https://jsonfeed.org/version/1",
];

/// A document is read as JSON when its first non-blank character opens a value.
pub fn looks_like_json(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| matches!(b, b'{' | b'['))
}

pub fn check(bytes: &[u8], options: &Options) -> Vec<Finding> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or("");
            let (line, column) = LineIndex::new(valid).position(valid.len());
            return vec![Finding::new(
                Rule::Encoding,
                line,
                column,
                "JSON must be UTF-8: invalid bytes here",
            )];
        }
    };
    let mut sink = Sink::new(text);
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        let at = sink.index().offset(e.line(), e.column());
        let message = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        sink.at(
            at,
            Rule::JsonSyntax,
            message.strip_suffix(&suffix).unwrap_or(&message),
        );
        return sink.into_findings();
    }
    let strict = jsonc_parser::ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let parsed = jsonc_parser::parse_to_ast(text, &Default::default(), &strict);
    let root = match parsed {
        Ok(jsonc_parser::ParseResult { value: Some(v), .. }) => v,
        Ok(_) => {
            sink.at(0, Rule::JsonSyntax, "the document is empty");
            return sink.into_findings();
        }
        Err(e) => {
            sink.at(e.range().start, Rule::JsonSyntax, e.kind().to_string());
            return sink.into_findings();
        }
    };
    let Value::Object(object) = &root else {
        sink.at(
            root.start(),
            Rule::JsonType,
            format!("a JSON Feed is an object, not {}", kind(&root)),
        );
        return sink.into_findings();
    };
    let facts = JsonFeed {
        sink: &mut sink,
        refs: RelativeRefs::new(),
    }
    .feed(object);
    feed::check(&facts, options, &mut sink);
    sink.into_findings()
}

impl JsonFeed<'_, '_> {
    fn feed(&mut self, feed: &Object<'_>) -> Facts {
        let mut facts = Facts {
            root: feed.start(),
            language_hint: "add \"language\": \"vi\"",
            self_hint: "add \"feed_url\" with the feed's URL",
            ..Facts::default()
        };
        self.duplicates(feed, "the feed");
        match get(feed, "version") {
            None => self.sink.at(
                feed.start(),
                Rule::JsonVersion,
                "no `version`: write \"version\": \"https://jsonfeed.org/version/1.1\"",
            ),
            Some(p) => {
                if let Some(v) = self.string(p, "version")
                    && !VERSIONS.contains(&v)
                {
                    self.sink.at(
                        p.value.start(),
                        Rule::JsonVersion,
                        format!("version \"{v}\" is not https://jsonfeed.org/version/1.1"),
                    );
                }
            }
        }
        self.required(feed, "title", "the feed");
        if let Some(p) = get(feed, "title") {
            self.plain_text(p, "title");
        }
        for name in ["description", "user_comment"] {
            if let Some(p) = get(feed, name) {
                self.string(p, name);
            }
        }
        for name in ["home_page_url", "feed_url", "next_url", "icon", "favicon"] {
            if let Some(p) = get(feed, name) {
                self.url(p, name);
            }
        }
        if let Some(p) = get(feed, "feed_url")
            && let Value::StringLit(s) = &p.value
        {
            facts
                .self_links
                .push((p.value.start(), s.value.to_string()));
        }
        if let Some(p) = get(feed, "expired")
            && !matches!(p.value, Value::BooleanLit(_))
        {
            self.wrong_type(p, "expired", "true or false");
        }
        facts.language = get(feed, "language").and_then(|p| self.language(p));
        self.authors(feed);
        if let Some(p) = get(feed, "hubs") {
            self.array_of_objects(p, "hubs");
        }
        match get(feed, "items") {
            None => self.sink.at(
                feed.start(),
                Rule::JsonMissingField,
                "the feed has no `items` (use [] for none)",
            ),
            Some(p) => match &p.value {
                Value::Array(items) => {
                    for v in &items.elements {
                        match v {
                            Value::Object(item) => {
                                let item = self.item(item, &mut facts);
                                facts.items.push(item);
                            }
                            other => self.sink.at(
                                other.start(),
                                Rule::JsonType,
                                format!("each item is an object, not {}", kind(other)),
                            ),
                        }
                    }
                }
                _ => self.wrong_type(p, "items", "an array"),
            },
        }
        facts
    }

    fn item(&mut self, item: &Object<'_>, facts: &mut Facts) -> Item {
        self.duplicates(item, "this item");
        self.required(item, "id", "this item");
        let id = get(item, "id").and_then(|p| {
            self.string(p, "id")
                .map(|s| (p.value.start(), s.to_string()))
        });
        for name in ["url", "external_url", "image", "banner_image"] {
            if let Some(p) = get(item, name) {
                self.url(p, name);
            }
        }
        for name in ["title", "summary", "content_text"] {
            if let Some(p) = get(item, name) {
                self.plain_text(p, name);
            }
        }
        let html = get(item, "content_html");
        if let Some(p) = html
            && let Some(h) = self.string(p, "content_html")
            && let Some(first) = self.refs.find(h).first()
        {
            self.sink.at(
                p.value.start(),
                Rule::RelativeLink,
                format!("content_html links to the relative URL `{first}`: JSON Feed has no base to resolve it"),
            );
        }
        if html.is_none() && get(item, "content_text").is_none() {
            self.sink.at(
                item.start(),
                Rule::JsonItemContent,
                "the item has neither content_html nor content_text",
            );
        }
        let mut dates = [None, None];
        for (i, name) in ["date_published", "date_modified"].into_iter().enumerate() {
            if let Some(p) = get(item, name) {
                dates[i] = self.date(p, name, facts);
            }
        }
        if let Some(p) = get(item, "language") {
            self.language(p);
        }
        if let Some(p) = get(item, "tags")
            && let Some(tags) = self.array(p, "tags")
        {
            for tag in tags.iter().filter(|t| !matches!(t, Value::StringLit(_))) {
                self.sink.at(
                    tag.start(),
                    Rule::JsonType,
                    format!("each tag is a string, not {}", kind(tag)),
                );
            }
        }
        self.authors(item);
        if let Some(p) = get(item, "attachments") {
            for a in self.array_of_objects(p, "attachments") {
                self.attachment(a);
            }
        }
        let text_of = |name: &str| match get(item, name).map(|p| &p.value) {
            Some(Value::StringLit(s)) => Some(s.value.to_string()),
            _ => None,
        };
        Item {
            at: item.start(),
            id,
            link: text_of("url"),
            title: text_of("title"),
            date: dates[0],
            updated: None,
        }
    }

    fn authors(&mut self, obj: &Object<'_>) {
        let mut people = Vec::new();
        if let Some(p) = get(obj, "author") {
            match &p.value {
                Value::Object(a) => people.push(a),
                _ => self.wrong_type(p, "author", "an object"),
            }
        }
        if let Some(p) = get(obj, "authors") {
            people.extend(self.array_of_objects(p, "authors"));
        }
        for person in people {
            self.duplicates(person, "this author");
            if let Some(p) = get(person, "name") {
                self.string(p, "name");
            }
            for name in ["url", "avatar"] {
                if let Some(p) = get(person, name) {
                    self.url(p, name);
                }
            }
        }
    }

    fn attachment(&mut self, a: &Object<'_>) {
        self.duplicates(a, "this attachment");
        for name in ["url", "mime_type"] {
            self.required(a, name, "this attachment");
        }
        if let Some(p) = get(a, "url") {
            self.url(p, "url");
        }
        for name in ["mime_type", "title"] {
            if let Some(p) = get(a, name) {
                self.string(p, name);
            }
        }
        for name in ["size_in_bytes", "duration_in_seconds"] {
            if let Some(p) = get(a, name)
                && !matches!(p.value, Value::NumberLit(_))
            {
                self.wrong_type(p, name, "a number");
            }
        }
    }

    fn date(
        &mut self,
        p: &ObjectProp<'_>,
        name: &str,
        facts: &mut Facts,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        let value = self.string(p, name)?;
        let at = p.value.start();
        match date::rfc3339(value, false) {
            Ok(stamp) => {
                facts.date(at, stamp, &format!("{name} \"{value}\""), self.sink);
                Some(stamp.instant)
            }
            Err(why) => {
                self.sink.at(
                    at,
                    Rule::DateRfc3339,
                    format!("{name} \"{value}\" is not an RFC 3339 date-time: {why}"),
                );
                None
            }
        }
    }

    fn language(&mut self, p: &ObjectProp<'_>) -> Option<String> {
        let value = self.string(p, "language")?.to_string();
        if let Err(why) = language::check(&value) {
            self.sink.at(p.value.start(), Rule::InvalidLanguage, why);
        }
        Some(value)
    }

    fn url(&mut self, p: &ObjectProp<'_>, name: &str) {
        let Some(value) = self.string(p, name) else {
            return;
        };
        match iri::reference(value) {
            Ok(false) => {}
            Ok(true) => self.sink.at(
                p.value.start(),
                Rule::RelativeLink,
                format!("{name} `{value}` is relative: JSON Feed has no base to resolve it"),
            ),
            Err(why) => self.sink.at(
                p.value.start(),
                Rule::InvalidUrl,
                format!("{name} is not a valid URL: {why}"),
            ),
        }
    }

    fn plain_text(&mut self, p: &ObjectProp<'_>, name: &str) {
        if let Some(value) = self.string(p, name)
            && let Some(markup) = markup_in_text(value)
        {
            let at = p.value.start();
            self.sink.at(
                at,
                Rule::HtmlInText,
                format!("{name} is plain text but contains HTML: {markup}"),
            );
        }
    }
}
