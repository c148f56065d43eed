//! JSON articles (one object or an array): the import format for CMS exports, and the body
//! of the publishing API. Decoded field by field so every error names its field.

use serde_json::{Map, Value};

use crate::classify::ArticleText;
use crate::feeds::FeedSet;
use crate::model::{Block, Categorized, Draft, Image};
use crate::vietnamese::dateline;
use crate::vietnamese::text::{clean, clean_line};

/// What is wrong with one JSON article, and in which field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", field.as_ref().map(|f| format!("field `{f}`: ")).unwrap_or_default())]
pub struct JsonError {
    pub kind: JsonErrorKind,
    pub field: Option<String>,
    pub message: String,
}

/// Whether the text was not JSON at all, or JSON that is not a valid article. The API
/// answers the first with 400 and the second with 422.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonErrorKind {
    Syntax,
    Content,
}

fn field_err(field: &str, message: impl Into<String>) -> JsonError {
    JsonError {
        kind: JsonErrorKind::Content,
        field: Some(field.to_string()),
        message: message.into(),
    }
}

fn content_err(message: impl Into<String>) -> JsonError {
    JsonError {
        kind: JsonErrorKind::Content,
        field: None,
        message: message.into(),
    }
}

const KNOWN_FIELDS: &[&str] = &[
    "id",
    "title",
    "published",
    "updated",
    "author",
    "summary",
    "body",
    "content_html",
    "categories",
    "url",
    "image",
    "tags",
];

/// Longest accepted id, in bytes; ids travel in URLs and GUIDs.
const MAX_ID_LEN: usize = 200;

/// Decodes a document holding one article object or an array of them.
pub fn parse_document(text: &str) -> Result<Vec<Value>, JsonError> {
    match parse_value(text)? {
        Value::Array(items) => Ok(items),
        object @ Value::Object(_) => Ok(vec![object]),
        _ => Err(content_err(
            "expected an article object or an array of them",
        )),
    }
}

/// Decodes a document holding exactly one article object (the publishing API's body).
pub fn parse_object(text: &str) -> Result<Map<String, Value>, JsonError> {
    match parse_value(text)? {
        Value::Object(object) => Ok(object),
        _ => Err(content_err("expected one article object")),
    }
}

fn parse_value(text: &str) -> Result<Value, JsonError> {
    serde_json::from_str(&repair_lone_surrogates(text)).map_err(|e| JsonError {
        kind: JsonErrorKind::Syntax,
        field: None,
        message: format!("line {} column {}: {e}", e.line(), e.column()),
    })
}

/// Replaces `\uD800`-`\uDFFF` escapes that are not a valid surrogate pair with `\uFFFD`.
/// JavaScript strings cut in half carry them, and serde_json rejects the whole document;
/// one replacement character is a better outcome than a lost article.
pub fn repair_lone_surrogates(text: &str) -> std::borrow::Cow<'_, str> {
    fn escape_at(b: &[u8], i: usize) -> Option<u16> {
        let hex = b.get(i..i + 6)?;
        if hex[0] != b'\\' || hex[1] != b'u' {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(&hex[2..]).ok()?, 16).ok()
    }
    let b = text.as_bytes();
    let mut out: Option<String> = None;
    let (mut i, mut copied, mut in_string) = (0, 0, false);
    while i < b.len() {
        match b[i] {
            b'"' => in_string = !in_string,
            b'\\' if in_string => {
                let unit = escape_at(b, i);
                let lone = match unit {
                    Some(0xD800..=0xDBFF) => {
                        if matches!(escape_at(b, i + 6), Some(0xDC00..=0xDFFF)) {
                            i += 12;
                            continue;
                        }
                        true
                    }
                    Some(0xDC00..=0xDFFF) => true,
                    _ => false,
                };
                if lone {
                    let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
                    out.push_str(&text[copied..i]);
                    out.push_str("\\uFFFD");
                    i += 6;
                    copied = i;
                } else {
                    // Skip the escaped character, so `\"` does not end the string.
                    i += 2;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    match out {
        Some(mut out) => {
            out.push_str(&text[copied..]);
            std::borrow::Cow::Owned(out)
        }
        None => std::borrow::Cow::Borrowed(text),
    }
}

/// Turns one JSON article into a draft. Explicit `categories` win; without them the
/// feeds' keyword rules decide.
pub fn to_draft(value: &Value, feeds: &FeedSet) -> Result<Draft, JsonError> {
    let obj = value
        .as_object()
        .ok_or_else(|| content_err("an article must be a JSON object"))?;
    if let Some(unknown) = obj.keys().find(|k| !KNOWN_FIELDS.contains(&k.as_str())) {
        return Err(field_err(unknown, "unknown field"));
    }
    let title = clean_line(&required_str(obj, "title")?);
    if title.is_empty() {
        return Err(field_err("title", "must not be empty"));
    }
    let published = instant(obj, "published")?.ok_or_else(|| field_err("published", "missing"))?;
    let updated = instant(obj, "updated")?;
    if updated.is_some_and(|u| u < published) {
        return Err(field_err("updated", "is earlier than `published`"));
    }
    let author = optional_str(obj, "author")?
        .map(|a| clean_line(&a))
        .filter(|a| !a.is_empty());
    let body = match (
        optional_str(obj, "body")?,
        optional_str(obj, "content_html")?,
    ) {
        (Some(_), Some(_)) => {
            return Err(field_err(
                "content_html",
                "give `body` or `content_html`, not both",
            ));
        }
        (Some(text), None) => plain_body(&text),
        (None, Some(html)) => vec![Block::Html {
            html: crate::sanitize::html(&html),
        }],
        (None, None) => Vec::new(),
    };
    let summary = match optional_str(obj, "summary")? {
        Some(s) => clean_line(&s),
        None => first_text(&body),
    };
    if body.is_empty() && summary.is_empty() {
        return Err(field_err(
            "body",
            "an article needs a `body`, `content_html` or `summary`",
        ));
    }
    let url = optional_str(obj, "url")?
        .map(|u| absolute_url("url", &u))
        .transpose()?;
    let image = image(obj)?;
    let categories = match obj.get("categories") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            let mut slugs = Vec::new();
            for item in items {
                let name = item
                    .as_str()
                    .ok_or_else(|| field_err("categories", "must be an array of feed slugs"))?;
                let feed = feeds
                    .category(name)
                    .ok_or_else(|| field_err("categories", format!("unknown category `{name}`")))?;
                slugs.push(feed.slug.clone());
            }
            slugs.sort();
            slugs.dedup();
            Some(slugs).filter(|s| !s.is_empty())
        }
        Some(_) => return Err(field_err("categories", "must be an array of feed slugs")),
    };
    let (categories, categorized) = match categories {
        Some(named) => (named, Categorized::Explicitly),
        None => (
            feeds.classify(&ArticleText::of(&title, &summary, &body)),
            Categorized::ByRules,
        ),
    };
    let tags = match obj.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let names = items
                .iter()
                .map(|item| {
                    item.as_str()
                        .ok_or_else(|| field_err("tags", "must be an array of strings"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            super::tags::normalize(names).map_err(|e| field_err("tags", e.to_string()))?
        }
        Some(_) => return Err(field_err("tags", "must be an array of strings")),
    };
    let id = match optional_str(obj, "id")? {
        Some(id) => valid_id(&id)?,
        None => derived_id(url.as_deref(), &title, published.timestamp()),
    };
    Ok(Draft {
        id,
        title,
        summary,
        body,
        author,
        published,
        updated,
        categories,
        categorized,
        url,
        image,
        tags,
    })
}

fn required_str(obj: &Map<String, Value>, field: &str) -> Result<String, JsonError> {
    optional_str(obj, field)?.ok_or_else(|| field_err(field, "missing"))
}

fn optional_str(obj: &Map<String, Value>, field: &str) -> Result<Option<String>, JsonError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(clean(s))),
        Some(_) => Err(field_err(field, "must be a string")),
    }
}

fn instant(
    obj: &Map<String, Value>,
    field: &str,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, JsonError> {
    optional_str(obj, field)?
        .map(|s| dateline::parse(&s).map_err(|e| field_err(field, e.to_string())))
        .transpose()
}

fn plain_body(text: &str) -> Vec<Block> {
    text.replace("\r\n", "\n")
        .split("\n\n")
        .map(clean_line)
        .filter(|p| !p.is_empty())
        .map(|text| Block::Paragraph { text })
        .collect()
}

fn first_text(body: &[Block]) -> String {
    body.iter()
        .find_map(|b| match b {
            Block::Paragraph { text } => Some(text.clone()),
            Block::Html { html } => {
                Some(clean_line(&crate::sanitize::text_of(html))).filter(|t| !t.is_empty())
            }
            Block::Figure { .. } => None,
        })
        .unwrap_or_default()
}

/// An image is an absolute URL, or a file of the server's media directory (`/media/...`).
fn image_url(field: &str, raw: &str) -> Result<String, JsonError> {
    let raw = raw.trim();
    if raw.starts_with(crate::media::URL_PREFIX) {
        let ok = raw.len() > crate::media::URL_PREFIX.len()
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b))
            && !raw.contains("/.")
            && !raw.contains("//");
        return if ok {
            Ok(raw.to_string())
        } else {
            Err(field_err(
                field,
                format!("`{raw}` is not a plain path under /media/ (a-z, 0-9, -, _, ., /)"),
            ))
        };
    }
    absolute_url(field, raw)
}

fn absolute_url(field: &str, raw: &str) -> Result<String, JsonError> {
    let parsed = url::Url::parse(raw.trim())
        .map_err(|e| field_err(field, format!("`{raw}` is not an absolute URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(field_err(
            field,
            format!("`{raw}` is not an http or https URL"),
        ));
    }
    Ok(parsed.to_string())
}

fn image(obj: &Map<String, Value>) -> Result<Option<Image>, JsonError> {
    match obj.get("image") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(u)) => Ok(Some(Image {
            url: image_url("image", u)?,
            mime_type: None,
            length: None,
        })),
        Some(Value::Object(o)) => {
            let url = match o.get("url") {
                Some(Value::String(u)) => image_url("image.url", u)?,
                _ => return Err(field_err("image.url", "missing")),
            };
            let mime_type = match o.get("type") {
                None | Some(Value::Null) => None,
                Some(Value::String(t)) if t.contains('/') && !t.contains(char::is_whitespace) => {
                    Some(t.clone())
                }
                Some(_) => {
                    return Err(field_err(
                        "image.type",
                        "must be a MIME type like image/jpeg",
                    ));
                }
            };
            let length =
                match o.get("length") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(v.as_u64().ok_or_else(|| {
                        field_err("image.length", "must be a whole number of bytes")
                    })?),
                };
            if let Some(k) = o
                .keys()
                .find(|k| !["url", "type", "length"].contains(&k.as_str()))
            {
                return Err(field_err(&format!("image.{k}"), "unknown field"));
            }
            Ok(Some(Image {
                url,
                mime_type,
                length,
            }))
        }
        Some(_) => Err(field_err("image", "must be a URL or an object with `url`")),
    }
}

/// Ids travel in URLs and GUIDs, so they are kept to a safe alphabet.
pub fn valid_id(id: &str) -> Result<String, JsonError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:~".contains(&b));
    if ok {
        Ok(id.to_string())
    } else {
        Err(field_err(
            "id",
            format!("`{id}` must be 1 to {MAX_ID_LEN} characters of A-Z a-z 0-9 - _ . : ~"),
        ))
    }
}

/// Without an id, an article is known by its URL, else by its title and publication time.
fn derived_id(url: Option<&str>, title: &str, published: i64) -> String {
    use sha2::{Digest, Sha256};
    let (prefix, key) = match url {
        Some(u) => ("u", u.to_string()),
        None => ("t", format!("{title}\n{published}")),
    };
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().take(10).map(|b| format!("{b:02x}")).collect();
    format!("{prefix}-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogate_escapes_become_replacement_characters() {
        let repaired = |s: &str| repair_lone_surrogates(s).into_owned();
        assert_eq!(repaired(r#"{"a":"x\ud800y"}"#), r#"{"a":"x\uFFFDy"}"#);
        assert_eq!(
            repaired(r#"["\udc00","\ud800\ud800"]"#),
            r#"["\uFFFD","\uFFFD\uFFFD"]"#
        );
        // A valid pair, an escaped backslash before `u`, and escapes outside strings stay.
        for kept in [
            r#"["\ud83d\ude00"]"#,
            r#"["\\ud800"]"#,
            r#"{"k\"":"Đảng"}"#,
            r#"\ud800"#,
        ] {
            assert_eq!(repaired(kept), kept);
        }
        let value = parse_value(r#""Tin\ud83d""#).unwrap();
        assert_eq!(value, Value::String("Tin\u{FFFD}".into()));
    }

    #[test]
    fn syntax_and_content_errors_are_told_apart() {
        assert_eq!(parse_object("{").unwrap_err().kind, JsonErrorKind::Syntax);
        assert_eq!(parse_object("[]").unwrap_err().kind, JsonErrorKind::Content);
        assert_eq!(
            parse_document("1").unwrap_err().kind,
            JsonErrorKind::Content
        );
    }
}
