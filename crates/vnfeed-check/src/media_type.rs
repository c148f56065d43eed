//! What a `type` attribute may name: a MIME media type (`type/subtype`, RFC 6838), as the
//! Atom content rules and RSS enclosures both ask. A leaf, so neither format's file has to
//! use the other's.

/// `type/subtype` with RFC 6838 name characters; composite types cannot be inline content.
pub(crate) fn is_media_type(s: &str) -> bool {
    let essence = s.split(';').next().unwrap_or("").trim();
    let Some((top, sub)) = essence.split_once('/') else {
        return false;
    };
    let token = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    token(top)
        && token(sub)
        && !matches!(top.to_ascii_lowercase().as_str(), "multipart" | "message")
}
