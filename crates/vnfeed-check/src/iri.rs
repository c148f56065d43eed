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

/// The syntax of the two schemes feeds use for ids, as the W3C validator reads them:
/// `tag:` (RFC 4151) and `urn:` (RFC 8141, with `urn:uuid:` in RFC 4122's form).
fn scheme_syntax(s: &str) -> Result<(), String> {
    let scheme = s.split(':').next().unwrap_or("").to_ascii_lowercase();
    match scheme.as_str() {
        "tag" => tag(s).map_err(|why| format!("not a tag: URI (RFC 4151): {why}")),
        "urn" => urn(s).map_err(|why| format!("not a URN (RFC 8141): {why}")),
        _ => Ok(()),
    }
}

/// `tag:authority,date:specific[#fragment]`; the authority an e-mail address or a domain
/// name, in lower case; the date `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
fn tag(s: &str) -> Result<(), String> {
    let rest = s
        .strip_prefix("tag:")
        .ok_or("the scheme is written `tag:`")?;
    let (authority, rest) = rest
        .split_once(',')
        .ok_or("no `,` between the authority and the date")?;
    let (local, domain) = match authority.split_once('@') {
        Some((l, d)) => (Some(l), d),
        None => (None, authority),
    };
    let lower = |t: &str, extra: &[u8]| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || extra.contains(&b))
    };
    if !local.is_none_or(|l| lower(l, b"-._")) || !lower(domain, b".-") {
        return Err(format!(
            "the authority `{authority}` is not a lower-case domain name or e-mail address"
        ));
    }
    let (date, specific) = rest.split_once(':').ok_or("no `:` after the date")?;
    let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
    let date_ok = match date.split('-').collect::<Vec<_>>().as_slice() {
        [y] => digits(y, 4),
        [y, m] => digits(y, 4) && digits(m, 2),
        [y, m, d] => digits(y, 4) && digits(m, 2) && digits(d, 2),
        _ => false,
    };
    if !date_ok {
        return Err(format!(
            "the date `{date}` is not YYYY, YYYY-MM or YYYY-MM-DD"
        ));
    }
    let (specific, fragment) = specific.split_once('#').unwrap_or((specific, ""));
    let allowed = |c: char| c.is_ascii_alphanumeric() || ";/?:@&=+$.-_!~*'()%,".contains(c);
    match specific
        .chars()
        .chain(fragment.chars())
        .find(|c| !allowed(*c))
    {
        Some(c) => Err(format!("`{c}` may not stand in its specific part")),
        None => Ok(()),
    }
}

/// `urn:NID:NSS`: a namespace id of 2 to 32 letters, digits and hyphens (not first), and a
/// namespace-specific string of URI characters.
fn urn(s: &str) -> Result<(), String> {
    let rest = &s[4..];
    let (nid, nss) = rest
        .split_once(':')
        .ok_or("no `:` after the namespace id")?;
    let nid_ok = (2..=32).contains(&nid.len())
        && nid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !nid.starts_with('-');
    if !nid_ok {
        return Err(format!("`{nid}` is not a namespace id"));
    }
    let bytes = nss.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            if !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
            {
                return Err("a `%` not followed by two hex digits".into());
            }
            i += 3;
            continue;
        }
        if !(b.is_ascii_alphanumeric() || b"()+,.:=@;$_!*'-".contains(&b)) {
            return Err(format!(
                "`{}` may not stand in its namespace-specific string",
                nss[i..].chars().next().unwrap_or('?')
            ));
        }
        i += 1;
    }
    if nss.is_empty() {
        return Err("the namespace-specific string is empty".into());
    }
    if nid.eq_ignore_ascii_case("uuid") {
        let groups: Vec<&str> = nss.split('-').collect();
        let lengths = [8, 4, 4, 4, 12];
        let uuid = groups.len() == 5
            && groups
                .iter()
                .zip(lengths)
                .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
        if !uuid {
            return Err(format!("`{nss}` is not a UUID (8-4-4-4-12 hex digits)"));
        }
    }
    Ok(())
}

/// An absolute URL or IRI (`http://…`, `urn:uuid:…`, `tag:…`).
pub fn absolute(s: &str) -> Result<url::Url, String> {
    if s.is_empty() {
        return Err("it is empty".into());
    }
    scheme_syntax(s)?;
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
    scheme_syntax(s)?;
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

/// The canonical form of an absolute URI when `s` is not in it (RFC 3986 section 6:
/// lower-case scheme and host, no default port or empty userinfo, no dot segments, a `/`
/// path for an empty one, percent-escapes upper-case and only for characters that need
/// them), so ids can be compared character by character. IRIs with non-ASCII characters
/// are left alone: their canonical URI form would be escaped, which is no fault of theirs.
pub fn non_canonical(s: &str, url: &url::Url) -> Option<String> {
    if !s.is_ascii() {
        return None;
    }
    let bytes = s.as_bytes();
    let mut escapes_ok = true;
    for (i, b) in bytes.iter().enumerate() {
        if *b != b'%' || i + 3 > bytes.len() {
            continue;
        }
        let hex = &s[i + 1..i + 3];
        let Ok(value) = u8::from_str_radix(hex, 16) else {
            continue;
        };
        let unreserved = value.is_ascii_alphanumeric() || b"-._~".contains(&value);
        if unreserved || hex.bytes().any(|h| h.is_ascii_lowercase()) {
            escapes_ok = false;
        }
    }
    let serialized = url.as_str();
    if serialized == s && escapes_ok {
        return None;
    }
    Some(canonical_escapes(serialized))
}

/// `%7e` -> `~`, `%c3` -> `%C3`: unreserved characters unescaped, escapes upper-case.
fn canonical_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let hex = rest.get(i + 1..i + 3).unwrap_or("");
        match u8::from_str_radix(hex, 16) {
            Ok(v) if hex.len() == 2 && (v.is_ascii_alphanumeric() || b"-._~".contains(&v)) => {
                out.push(v as char);
            }
            Ok(_) if hex.len() == 2 => {
                out.push('%');
                out.push_str(&hex.to_ascii_uppercase());
            }
            _ => {
                out.push('%');
                rest = &rest[i + 1..];
                continue;
            }
        }
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    out
}

/// URI schemes W3C's validator knows as registered (RFC 4395's registry, as it read it),
/// plus the web's own `https`, `ws` and `wss`.
#[rustfmt::skip]
const REGISTERED_SCHEMES: &[&str] = &[
    "ftp", "http", "gopher", "mailto", "news", "nntp", "telnet", "wais", "file", "prospero",
    "z39.50s", "z39.50r", "cid", "mid", "vemmi", "service", "imap", "nfs", "acap", "rtsp", "tip",
    "pop", "data", "dav", "opaquelocktoken", "sip", "sips", "tel", "fax", "modem", "ldap",
    "https", "soap.beep", "soap.beeps", "xmlrpc.beep", "xmlrpc.beeps", "urn", "go", "h323",
    "ipp", "tftp", "mupdate", "pres", "im", "mtqp", "iris.beep", "dict", "snmp", "crid", "tag",
    "dns", "info", "aaa", "aaas", "cap", "iax", "icap", "iris", "iris.xpc", "iris.xpcs",
    "iris.lwz", "msrp", "msrps", "shttp", "thismessage", "tv", "xmpp", "ws", "wss",
];

/// The scheme of an absolute URL when it is not a registered one (`doi:`, `foo:`), which
/// readers will not know how to open.
pub fn unregistered_scheme(url: &url::Url) -> Option<&str> {
    let scheme = url.scheme();
    (scheme.bytes().all(|b| b.is_ascii_alphabetic()) && !REGISTERED_SCHEMES.contains(&scheme))
        .then_some(scheme)
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
    fn canonical_ids() {
        let check = |s: &str| non_canonical(s, &absolute(s).unwrap());
        for fine in [
            "http://example.org/id/1234",
            "http://example.org/id/1234?",
            "http://example.org/id/1234#",
            "tag:baothunghiem.example,2025:bai/1",
            "urn:uuid:2f1d6c0a-8b3e-5c47-9d12-6a0e4b7f3c21",
            "https://baothunghiem.example/tin/b%C3%A3o",
        ] {
            assert_eq!(check(fine), None, "{fine}");
        }
        assert_eq!(
            check("Http://Example.org:80/./a").as_deref(),
            Some("http://example.org/a")
        );
        assert_eq!(
            check("http://example.com").as_deref(),
            Some("http://example.com/")
        );
        assert_eq!(
            check("http://example.com/%7esmith/%c3%87").as_deref(),
            Some("http://example.com/~smith/%C3%87")
        );
    }

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
        assert!(web_url("urn:uuid:x").is_err());
    }

    #[test]
    fn tag_and_urn_syntax() {
        assert!(absolute("tag:baobientap.example,2024-05-01:bai-1#x").is_ok());
        assert!(absolute("tag:toa-soan@baobientap.example,2024:a").is_ok());
        assert!(
            absolute("tag:baobientap.example,24:a")
                .unwrap_err()
                .contains("date")
        );
        assert!(
            absolute("tag:BaoBienTap.example,2024:a")
                .unwrap_err()
                .contains("authority")
        );
        assert!(
            absolute("tag:baobientap.example:a")
                .unwrap_err()
                .contains("`,`")
        );
        assert!(
            absolute("tag:baobientap.example,2024:{a}")
                .unwrap_err()
                .contains("`{`")
        );
        assert!(absolute("urn:isbn:0451450523").is_ok());
        assert!(absolute("urn:-x:1").unwrap_err().contains("namespace id"));
        assert!(
            absolute("urn:uuid:5cf86e70-4df0")
                .unwrap_err()
                .contains("UUID")
        );
        assert!(reference("urn:a/b:1").is_err());
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
