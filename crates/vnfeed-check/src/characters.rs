//! Characters that are the trace of a wrong decoding somewhere before the feed was written
//! (W3C's BadCharacters): C1 control characters (U+0080 to U+009F, which is what Windows-1252
//! punctuation becomes when read as Latin-1), U+FFFD (a byte some decoder could not read),
//! and UTF-8 read twice as Latin-1 (`Ã©` for `é`). Vietnamese text from a legacy CMS is
//! where these turn up: readers show them as boxes or as `Ä‘` for `đ`.

use roxmltree::Document;

use super::rules::Rule;
use super::sink::Sink;

/// Reports the first bad character of each text and attribute value in the document.
pub fn check(doc: &Document<'_>, sink: &mut Sink<'_>) {
    for node in doc.descendants() {
        if node.is_text() {
            let text = node.text().unwrap_or("");
            if let Some((offset, why)) = first_bad(text) {
                // The character where it stands in the source; the text's start when it
                // was written as a character reference.
                let bad = text[offset..].chars().next().unwrap_or(' ');
                let raw = &doc.input_text()[node.range()];
                let at = node.range().start + raw.find(bad).unwrap_or(0);
                let parent = node.parent_element().map_or("", |p| p.tag_name().name());
                sink.at(
                    at,
                    Rule::BadCharacters,
                    format!("the text of <{parent}> {why}"),
                );
            }
        } else if node.is_element() {
            for attr in node.attributes() {
                if let Some((_, why)) = first_bad(attr.value()) {
                    sink.at(
                        attr.range_value().start,
                        Rule::BadCharacters,
                        format!(
                            "the {} attribute of <{}> {why}",
                            attr.name(),
                            node.tag_name().name()
                        ),
                    );
                }
            }
        }
    }
}

/// The byte offset and a description of the first bad character of `text`, if any.
fn first_bad(text: &str) -> Option<(usize, String)> {
    if let Some((i, c)) = text
        .char_indices()
        .find(|(_, c)| ('\u{80}'..='\u{9f}').contains(c) || *c == '\u{fffd}')
    {
        let why = if c == '\u{fffd}' {
            "holds U+FFFD, the mark of bytes a decoder could not read: the text was damaged before it reached the feed".to_string()
        } else {
            format!(
                "holds the control character U+{:04X}, likely Windows-1252 text read as Latin-1 (curly quotes, dashes): decode it as Windows-1252",
                c as u32
            )
        };
        return Some((i, why));
    }
    double_encoded(text).map(|i| {
        (
            i,
            "is UTF-8 read twice (`Ã©` for `é`): decode the source once, as UTF-8".to_string(),
        )
    })
}

/// Where UTF-8 read as Latin-1 shows (`Ã` or `Â` before a character of U+0080 to U+00BF),
/// when the whole text is Latin-1 and its bytes are valid UTF-8, so that is what it was.
fn double_encoded(text: &str) -> Option<usize> {
    let mut previous = ' ';
    let mut found = None;
    for (i, c) in text.char_indices() {
        if found.is_none() && ('\u{80}'..='\u{bf}').contains(&c) && matches!(previous, 'Â' | 'Ã')
        {
            found = Some(i - previous.len_utf8());
        }
        previous = c;
    }
    let at = found?;
    let latin1: Option<Vec<u8>> = text
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect();
    String::from_utf8(latin1?).is_ok().then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_c1_controls_replacement_characters_and_double_encoding() {
        assert_eq!(first_bad("Tin \u{93}nóng\u{94}").map(|b| b.0), Some(4));
        assert_eq!(first_bad("Tin n\u{fffd}ng").map(|b| b.0), Some(5));
        // "Hà Nội" is not Latin-1, so it is left alone; "cafÃ©" is "café" read twice.
        assert_eq!(first_bad("Hà Nội, Ã©"), None);
        assert_eq!(first_bad("cafÃ©").map(|b| b.0), Some(3));
        assert_eq!(first_bad("NGÃ BA"), None);
    }
}
