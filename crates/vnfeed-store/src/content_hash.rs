//! The content hash of a draft: what makes re-importing an unchanged source a no-op. Its
//! bytes are fixed by the hashes already stored (a different encoding would make every
//! stored article look changed): SHA-256 of the compact JSON array
//! `[title, summary, body, author, published, updated, categories, url, image]` with every
//! object's keys in byte order (how `serde_json::Value` writes them), first 16 bytes in hex.
//! It is written straight into the hasher, with no `Value` tree and no string in between.

use std::io::Write;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::model::{Block, Draft, Image};

/// A hash of everything a draft says, so re-importing an unchanged source is a no-op.
pub fn content_hash(draft: &Draft) -> String {
    let mut hasher = Hasher(Sha256::new());
    let fields = (
        &draft.title,
        &draft.summary,
        draft.body.iter().map(SortedBlock::from).collect::<Vec<_>>(),
        &draft.author,
        draft.published.timestamp(),
        draft.updated.map(|u| u.timestamp()),
        &draft.categories,
        &draft.url,
        draft.image.as_ref().map(SortedImage::from),
    );
    // Tags came later: a draft without any hashes as before (so stored hashes still match),
    // one with some has them as a tenth element.
    let written = if draft.tags.is_empty() {
        serde_json::to_writer(&mut hasher, &fields)
    } else {
        let (a, b, c, d, e, f, g, h, i) = fields;
        serde_json::to_writer(&mut hasher, &(a, b, c, d, e, f, g, h, i, &draft.tags))
    };
    written.expect("a hasher takes every byte");
    hex(&hasher.0.finalize()[..16])
}

struct Hasher(Sha256);

impl Write for Hasher {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

/// A body block with its keys in byte order: fields are declared sorted, the tag last.
#[derive(Serialize)]
#[serde(untagged)]
enum SortedBlock<'a> {
    Paragraph {
        text: &'a str,
        r#type: &'static str,
    },
    Figure {
        caption: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        src: Option<&'a str>,
        r#type: &'static str,
    },
    Html {
        html: &'a str,
        r#type: &'static str,
    },
}

impl<'a> From<&'a Block> for SortedBlock<'a> {
    fn from(block: &'a Block) -> Self {
        match block {
            Block::Paragraph { text } => SortedBlock::Paragraph {
                text,
                r#type: "paragraph",
            },
            Block::Figure { caption, src } => SortedBlock::Figure {
                caption,
                src: src.as_deref(),
                r#type: "figure",
            },
            Block::Html { html } => SortedBlock::Html {
                html,
                r#type: "html",
            },
        }
    }
}

/// An image with its keys in byte order (`length`, `type`, `url`).
#[derive(Serialize)]
struct SortedImage<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    length: Option<u64>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    mime_type: Option<&'a str>,
    url: &'a str,
}

impl<'a> From<&'a Image> for SortedImage<'a> {
    fn from(image: &'a Image) -> Self {
        SortedImage {
            length: image.length,
            mime_type: image.mime_type.as_deref(),
            url: &image.url,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The encoding the stored hashes were made with: a `serde_json::Value` written out.
    fn by_value(draft: &Draft) -> String {
        let canonical = serde_json::json!([
            draft.title,
            draft.summary,
            draft.body,
            draft.author,
            draft.published.timestamp(),
            draft.updated.map(|u| u.timestamp()),
            draft.categories,
            draft.url,
            draft.image,
        ]);
        let digest = Sha256::digest(canonical.to_string().as_bytes());
        digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }

    fn draft() -> Draft {
        Draft {
            id: "hash-1".into(),
            title: "Đảng ủy xã \"Pò Hèn\" họp\tphiên thường kỳ".into(),
            summary: "Tóm tắt: \\ dấu gạch, \u{1} ký tự điều khiển, emoji 🇻🇳.".into(),
            body: vec![
                Block::Paragraph {
                    text: "Đoạn thứ nhất.\nDòng hai.".into(),
                },
                Block::Figure {
                    caption: "Mốc quốc giới 1116".into(),
                    src: Some("https://bao.example/anh/moc.jpg".into()),
                },
                Block::Figure {
                    caption: "Ảnh không có đường dẫn".into(),
                    src: None,
                },
                Block::Html {
                    html: "<p>Đã <b>lọc</b> &amp; an toàn</p>".into(),
                },
            ],
            author: Some("Phóng viên thường trú".into()),
            published: "2024-04-22T00:00:00Z".parse().unwrap(),
            updated: Some("2024-04-23T01:02:03Z".parse().unwrap()),
            categories: vec!["borders".into(), "security".into()],
            categorized: crate::model::Categorized::ByRules,
            url: Some("https://bao.example/tin/1".into()),
            image: Some(Image {
                url: "https://bao.example/anh/1.jpg".into(),
                mime_type: Some("image/jpeg".into()),
                length: Some(123_456),
            }),
            tags: vec![],
        }
    }

    #[test]
    fn tags_change_the_hash_and_no_tags_hash_as_before() {
        let bare = draft();
        let mut tagged = draft();
        tagged.tags = vec!["biển đông".into()];
        assert_eq!(content_hash(&bare), by_value(&bare));
        assert_ne!(content_hash(&tagged), content_hash(&bare));
    }

    #[test]
    fn the_hash_is_the_one_stored_hashes_were_made_with() {
        let full = draft();
        let mut bare = draft();
        bare.body.clear();
        bare.author = None;
        bare.updated = None;
        bare.categories.clear();
        bare.url = None;
        bare.image = None;
        let mut image_url_only = draft();
        image_url_only.image = Some(Image {
            url: "https://bao.example/anh/2.png".into(),
            mime_type: None,
            length: None,
        });
        let mut image_length_only = draft();
        image_length_only.image = Some(Image {
            url: "u".into(),
            mime_type: None,
            length: Some(0),
        });
        for d in [full, bare, image_url_only, image_length_only] {
            assert_eq!(content_hash(&d), by_value(&d), "{d:?}");
        }
        // And it is a hash of the content: one character more changes it.
        let mut edited = draft();
        edited.body.push(Block::Paragraph { text: ".".into() });
        assert_ne!(content_hash(&edited), content_hash(&draft()));
        assert_eq!(content_hash(&draft()).len(), 32);
    }
}
