//! The security headers, set in one place on every response the routes make: `nosniff` on
//! all of them (a feed, an image or an error is never run as HTML because a browser guessed),
//! and on HTML pages a Content-Security-Policy that allows no script at all, the pages' one
//! inline stylesheet by its hash, and images from this server or over https (article images
//! live on the newsroom's CDN); they may not be framed, and send only their origin away.

use std::sync::LazyLock;

use http::HeaderValue;
use http::header::{
    CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};

/// Images from this server (the favicon, local media) or over https (article images, a
/// configured icon). No `data:`: since the pages link a real favicon, nothing uses it.
static PAGE_POLICY: LazyLock<HeaderValue> = LazyLock::new(|| {
    let policy = format!(
        "default-src 'none'; style-src {}; img-src 'self' https:; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'",
        crate::render::html::style_hash()
    );
    HeaderValue::from_str(&policy).expect("the policy is ASCII")
});

const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
const REFERRER: HeaderValue = HeaderValue::from_static("strict-origin-when-cross-origin");
const DENY: HeaderValue = HeaderValue::from_static("DENY");

/// Adds the headers `resp` needs for what it is.
pub fn secure<B>(resp: &mut http::Response<B>) {
    let html = resp
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("text/html"))
        });
    let headers = resp.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
    if html {
        headers.insert(CONTENT_SECURITY_POLICY, PAGE_POLICY.clone());
        headers.insert(REFERRER_POLICY, REFERRER);
        headers.insert(X_FRAME_OPTIONS, DENY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http_body_util::Full;

    type Resp = http::Response<Full<Bytes>>;

    fn with_type(content_type: &str) -> Resp {
        let mut resp = Resp::new(Full::new(Bytes::new()));
        resp.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
        resp
    }

    #[test]
    fn pages_get_a_policy_and_everything_gets_nosniff() {
        let mut page = with_type("text/html; charset=utf-8");
        secure(&mut page);
        let policy = page.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(policy.starts_with("default-src 'none'; style-src 'sha256-"));
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert_eq!(page.headers()[X_FRAME_OPTIONS], "DENY");
        assert_eq!(page.headers()[X_CONTENT_TYPE_OPTIONS], "nosniff");

        let mut feed = with_type("application/rss+xml; charset=utf-8");
        secure(&mut feed);
        assert_eq!(feed.headers()[X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(!feed.headers().contains_key(CONTENT_SECURITY_POLICY));
    }
}
