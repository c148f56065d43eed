//! URL and IRI checks: absolute URLs where RSS wants "the URL", IRIs for atom:id, IRI
//! references for Atom hrefs. The `url` crate does the parsing; it quietly percent-encodes
//! characters an IRI may never hold (spaces, `<`, `"`...), so those are refused first.

/// Why a value is not an IRI reference, if it is not.
fn forbidden_character(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    for (i, c) in s.char_indices() {
        let bad = match c {
            ' ' | '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`' => true,
            c if c.is_control() => true,
            '%' => {
                !(bytes.len() > i + 2
                    && bytes[i + 1].is_ascii_hexdigit()
                    && bytes[i + 2].is_ascii_hexdigit())
            }
            _ => false,
        };
        if bad {
            return Some(match c {
                '%' => "a `%` not followed by two hex digits".to_string(),
                c if c.is_control() => format!("the control character U+{:04X}", c as u32),
                c => format!("the character `{c}`, which must be percent-encoded"),
            });
        }
    }
    None
}

/// An absolute URL or IRI (`http://…`, `urn:uuid:…`, `tag:…`).
pub fn absolute(s: &str) -> Result<url::Url, String> {
    if s.is_empty() {
        return Err("it is empty".into());
    }
    if let Some(why) = forbidden_character(s) {
        return Err(format!("it contains {why}"));
    }
    let url = url::Url::parse(s).map_err(|e| match e {
        url::ParseError::RelativeUrlWithoutBase => "it is relative, not a full URL".to_string(),
        e => e.to_string(),
    })?;
    if matches!(url.scheme(), "http" | "https" | "ftp")
        && !s[url.scheme().len() + 1..].starts_with("//")
    {
        return Err(format!("an {}: URL needs `//` and a host", url.scheme()));
    }
    Ok(url)
}

/// An absolute http(s) URL, as RSS links and enclosures need.
pub fn web_url(s: &str) -> Result<url::Url, String> {
    let url = absolute(s)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("`{}:` is not an http or https URL", url.scheme()));
    }
    Ok(url)
}

/// An IRI reference: absolute, or relative to a base. `Ok(true)` when relative.
pub fn reference(s: &str) -> Result<bool, String> {
    if let Some(why) = forbidden_character(s) {
        return Err(format!("it contains {why}"));
    }
    match url::Url::parse(s) {
        Ok(_) => absolute(s).map(|_| false),
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            let base = url::Url::parse("http://base.invalid/").expect("a valid base");
            base.join(s).map(|_| true).map_err(|e| e.to_string())
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Whether two URLs name the same resource, ignoring what URL syntax lets vary
/// (case of scheme and host, a default port, an empty path).
pub fn same_resource(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_urls_and_iris() {
        assert!(absolute("http://127.0.0.1:8080/feeds/all.rss").is_ok());
        assert!(absolute("urn:uuid:5cf86e70-4df0-5227-b85e-3a4acd37e7bd").is_ok());
        assert!(absolute("tag:baobientap.example,2024:bai-1").is_ok());
        assert!(absolute("https://baobientap.example/biên-giới").is_ok());
        assert!(absolute("/feeds/all.rss").unwrap_err().contains("relative"));
        assert!(absolute("http://a/b c").unwrap_err().contains("` `"));
        assert!(absolute("http:/a/b").unwrap_err().contains("//"));
        assert!(absolute("ftp://ftp.example.com/a").is_ok());
        assert!(absolute("javascript:alert(1)").is_ok());
        assert!(absolute("http://a/%zz").unwrap_err().contains("%"));
        assert!(web_url("urn:uuid:x").unwrap_err().contains("urn"));
    }

    #[test]
    fn references_may_be_relative() {
        assert_eq!(reference("/articles/a"), Ok(true));
        assert_eq!(reference("http://a/b"), Ok(false));
        assert!(reference("a b").is_err());
    }

    #[test]
    fn same_resource_ignores_url_spelling() {
        assert!(same_resource(
            "HTTP://Example.com:80/a",
            "http://example.com/a"
        ));
        assert!(same_resource("http://example.com", "http://example.com/"));
        assert!(!same_resource(
            "http://example.com/a",
            "http://example.com/b"
        ));
    }
}
