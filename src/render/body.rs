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

/// Escapes plain text for HTML element content: `&`, `<` and `>` only, so that text with
/// none of them (nearly every summary) is written exactly as it is.
pub fn escape_text(text: &str) -> String {
    if !text.contains(['&', '<', '>']) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The body as HTML: paragraphs, figures with their caption, and sanitized HTML as stored.
pub fn html(blocks: &[Block]) -> String {
    render(blocks, None)
}

/// The body as a feed or a page shows it, away from where it was written: relative URLs (in
/// stored HTML and in figure sources) are made absolute against `base`, the article's URL,
/// since a reader would resolve them against its own address. A `base` that is not an
/// absolute URL leaves them as they are.
pub fn html_at(blocks: &[Block], base: &str) -> String {
    render(blocks, url::Url::parse(base).ok().as_ref())
}

fn render(blocks: &[Block], base: Option<&url::Url>) -> String {
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
                    let src = match base.map(|b| b.join(src)) {
                        Some(Ok(absolute)) => absolute.to_string(),
                        _ => src.clone(),
                    };
                    out.push_str(&format!(
                        "<img src=\"{}\" alt=\"{}\">",
                        escape(&src),
                        escape(caption)
                    ));
                }
                out.push_str("<figcaption>");
                out.push_str(&escape(caption));
                out.push_str("</figcaption></figure>\n");
            }
            Block::Html { html } => {
                match base {
                    Some(base) => out.push_str(&crate::sanitize::with_absolute_urls(html, base)),
                    None => out.push_str(html),
                }
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

    #[test]
    fn text_escapes_markup_characters_only() {
        assert_eq!(
            escape_text("<img src=x onerror=alert(1)> & \"c\" 'd' &amp;"),
            "&lt;img src=x onerror=alert(1)&gt; &amp; \"c\" 'd' &amp;amp;"
        );
        assert_eq!(escape_text("Tóm tắt \"x\"."), "Tóm tắt \"x\".");
    }

    #[test]
    fn feeds_and_pages_get_absolute_urls() {
        let blocks = [
            Block::Html {
                html: "<p><a href=\"/bien-gioi/to-cong-tac\" rel=\"noopener noreferrer\">tổ</a> \
                       <a href=\"https://a.example/\" rel=\"noopener noreferrer\">a</a></p>"
                    .into(),
            },
            Block::Figure {
                caption: "Mốc giới.".into(),
                src: Some("anh/moc-gioi.jpg".into()),
            },
        ];
        let out = html_at(&blocks, "https://tin.example/bien-gioi/cung-giu-moc-gioi");
        assert!(
            out.contains("href=\"https://tin.example/bien-gioi/to-cong-tac\""),
            "{out}"
        );
        assert!(out.contains("href=\"https://a.example/\""), "{out}");
        assert!(
            out.contains("src=\"https://tin.example/bien-gioi/anh/moc-gioi.jpg\""),
            "{out}"
        );
        // As stored (the API's answer), nothing moves.
        assert!(html(&blocks).contains("href=\"/bien-gioi/to-cong-tac\""));
    }
}
