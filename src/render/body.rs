//! Article bodies as HTML fragments, for `content:encoded`, Atom `content` and pages.

use crate::model::Block;

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The body as HTML: paragraphs, figures with their caption, and sanitized HTML as stored.
pub fn html(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        match block {
            Block::Paragraph { text } => {
                out.push_str("<p>");
                out.push_str(&escape(text));
                out.push_str("</p>\n");
            }
            Block::Figure { caption, src } => {
                out.push_str("<figure>");
                if let Some(src) = src {
                    out.push_str(&format!(
                        "<img src=\"{}\" alt=\"{}\">",
                        escape(src),
                        escape(caption)
                    ));
                }
                out.push_str("<figcaption>");
                out.push_str(&escape(caption));
                out.push_str("</figcaption></figure>\n");
            }
            Block::Html { html } => {
                out.push_str(html);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_shows_a_caption_once() {
        let out = html(&[
            Block::Paragraph {
                text: "a < b & \"c\" ]]>".into(),
            },
            Block::Figure {
                caption: "Ảnh.".into(),
                src: None,
            },
        ]);
        assert_eq!(
            out,
            "<p>a &lt; b &amp; &quot;c&quot; ]]&gt;</p>\n<figure><figcaption>Ảnh.</figcaption></figure>\n"
        );
    }
}
