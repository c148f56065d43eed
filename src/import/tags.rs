//! Tags (keywords) as every importer hands them to the store: each NFC, whitespace folded,
//! lowercase with its diacritics kept (`Biển Đông` -> `biển đông`), unique by its ASCII slug
//! (the first spelling wins), sorted by byte order; bounded in number and length, since each
//! names a feed of its own.

use crate::vietnamese::slug::slugify;
use crate::vietnamese::text::clean_line;

/// Tags an article may have at most.
pub const MAX_TAGS: usize = 20;
/// Characters a tag may have at most.
pub const MAX_TAG_CHARS: usize = 60;

/// Why a list of tags was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error("more than {MAX_TAGS} tags")]
    TooMany,
    #[error("tag `{0}` is longer than {MAX_TAG_CHARS} characters")]
    TooLong(String),
    #[error("tag `{0}` has no letter or digit")]
    NoSlug(String),
}

/// The tags of `raw`, normalized; empty entries are skipped.
pub fn normalize<'a>(raw: impl IntoIterator<Item = &'a str>) -> Result<Vec<String>, TagError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for tag in raw {
        let tag = clean_line(tag).to_lowercase();
        if tag.is_empty() {
            continue;
        }
        if tag.chars().count() > MAX_TAG_CHARS {
            return Err(TagError::TooLong(tag));
        }
        let slug = slugify(&tag);
        if slug.is_empty() {
            return Err(TagError::NoSlug(tag));
        }
        if !out.iter().any(|(s, _)| *s == slug) {
            out.push((slug, tag));
        }
        if out.len() > MAX_TAGS {
            return Err(TagError::TooMany);
        }
    }
    let mut tags: Vec<String> = out.into_iter().map(|(_, tag)| tag).collect();
    tags.sort();
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_case_folded_deduplicated_by_slug_and_sorted() {
        let got = normalize(["Biển  Đông", " kinh tế ", "BIỂN ĐÔNG", "", "Bien Dong"]).unwrap();
        assert_eq!(got, ["biển đông", "kinh tế"]);
    }

    #[test]
    fn decomposed_input_comes_out_composed() {
        let got = normalize(["Vie\u{323}\u{302}t Nam"]).unwrap();
        assert_eq!(got, ["việt nam"]);
    }

    #[test]
    fn bad_tags_are_named() {
        assert_eq!(normalize(["!!!"]), Err(TagError::NoSlug("!!!".into())));
        let long = "a".repeat(MAX_TAG_CHARS + 1);
        assert_eq!(
            normalize([long.as_str()]),
            Err(TagError::TooLong(long.clone()))
        );
        let many: Vec<String> = (0..=MAX_TAGS).map(|i| format!("t{i}")).collect();
        assert_eq!(
            normalize(many.iter().map(String::as_str)),
            Err(TagError::TooMany)
        );
    }
}
