//! Untrusted HTML (a JSON `content_html`) made safe to put in a feed or page: ammonia's
//! allow-list drops scripts, event handlers, `javascript:` URLs and iframes.

use crate::vietnamese::text::clean;

/// Sanitized HTML, also cleaned of characters XML forbids.
pub fn html(untrusted: &str) -> String {
    clean(&ammonia::Builder::default().clean(untrusted).to_string())
}

/// Sanitized HTML with its relative URLs made absolute against `base`. Cleaning again with
/// the same allow-list changes nothing else, so this is safe on stored HTML.
pub fn with_absolute_urls(html: &str, base: &url::Url) -> String {
    let mut builder = ammonia::Builder::default();
    builder.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()));
    clean(&builder.clean(html).to_string())
}

/// The text of an HTML fragment, tags dropped, entities decoded: for summaries and keywords.
/// It is text, not HTML: `<p>&lt;b&gt;</p>` gives `<b>`, which an output escapes again
/// wherever it shows the text as HTML (RSS `description`).
pub fn text_of(html: &str) -> String {
    let escaped = ammonia::Builder::empty().clean(html).to_string();
    // ammonia's serializer escapes exactly these in text nodes.
    escaped
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_scripts_handlers_and_javascript_urls() {
        let out = html(
            r#"<p onclick="x()">Chào <script>alert(1)</script><a href="javascript:evil()">a</a><iframe src="https://x"></iframe></p>"#,
        );
        assert!(!out.contains("script"), "{out}");
        assert!(!out.contains("onclick"), "{out}");
        assert!(!out.contains("javascript"), "{out}");
        assert!(!out.contains("iframe"), "{out}");
        assert!(out.starts_with("<p>Chào "), "{out}");
    }

    #[test]
    fn text_of_keeps_text_and_decodes_entities() {
        assert_eq!(
            text_of("<p>An &amp; ninh &lt;3</p><b>Đảng</b>"),
            "An & ninh <3Đảng"
        );
    }
}
