//! Content codings over real HTTP: brotli when the client takes it, then gzip, then identity,
//! each with its own strong ETag, all decoding to the very same feed bytes.

mod common;

use std::io::Read;

use common::*;
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH, ETAG, IF_NONE_MATCH, VARY,
};

on_both_backends!(brotli_is_preferred_then_gzip_and_every_coding_is_the_same_feed,);

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .expect("valid brotli");
    out
}

async fn brotli_is_preferred_then_gzip_and_every_coding_is_the_same_feed(backend: Backend) {
    let server = TestServer::start(&backend, &[]).await;
    for path in ["/feeds/all.rss", "/feeds/security.atom", "/"] {
        let plain = server.get_with(path, &[]).await;
        assert_eq!(maybe_header(&plain, CONTENT_ENCODING), None, "{path}");
        let plain_etag = maybe_header(&plain, ETAG).unwrap();
        let plain_body = plain.bytes().await.unwrap();

        let mut etags = vec![plain_etag.clone()];
        for (accept, coding) in [
            ("gzip, deflate, br, zstd", "br"),
            ("br;q=0, gzip", "gzip"),
            ("gzip;q=0.5, br;q=0.8", "br"),
        ] {
            let resp = server.get_with(path, &[(ACCEPT_ENCODING, accept)]).await;
            assert_eq!(resp.status(), StatusCode::OK);
            assert_eq!(
                maybe_header(&resp, CONTENT_ENCODING).as_deref(),
                Some(coding),
                "{path} {accept}"
            );
            assert_eq!(
                maybe_header(&resp, VARY).as_deref(),
                Some("Accept-Encoding")
            );
            let etag = maybe_header(&resp, ETAG).unwrap();
            let length: usize = maybe_header(&resp, CONTENT_LENGTH)
                .unwrap()
                .parse()
                .unwrap();
            let body = resp.bytes().await.unwrap();
            assert_eq!(body.len(), length);
            let decoded = match coding {
                "br" => unbrotli(&body),
                _ => gunzip(&body),
            };
            assert_eq!(
                decoded,
                plain_body.to_vec(),
                "{path} {coding} decodes to the feed"
            );
            assert!(body.len() < plain_body.len(), "{path} {coding} is smaller");

            // A client holding this coding's ETag is up to date, whatever it asks for now.
            let again = server
                .get_with(path, &[(ACCEPT_ENCODING, accept), (IF_NONE_MATCH, &etag)])
                .await;
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
            assert_eq!(maybe_header(&again, ETAG).as_deref(), Some(etag.as_str()));
            etags.push(etag);
        }
        etags.sort();
        etags.dedup();
        assert_eq!(
            etags.len(),
            3,
            "identity, gzip and br each have their own ETag: {etags:?}"
        );
        assert!(
            etags.iter().all(|e| e.starts_with('"') && e.ends_with('"')),
            "{etags:?}"
        );
    }

    // Brotli is the smallest of the three for a full feed.
    let gz = body_in(&server, "/feeds/all.atom", "gzip").await;
    let br = body_in(&server, "/feeds/all.atom", "br").await;
    assert!(br.len() < gz.len(), "br {} < gzip {}", br.len(), gz.len());
    server.stop().await;
}

async fn body_in(server: &TestServer, path: &str, accept: &'static str) -> Vec<u8> {
    let resp = server
        .get(path)
        .header(ACCEPT_ENCODING, accept)
        .send()
        .await;
    resp.unwrap().bytes().await.unwrap().to_vec()
}
