//! `vnfeed check` over https: a TLS server on 127.0.0.1 with a certificate from a CA the
//! test makes (rcgen), trusted through `--ca-file` / `VNFEED_CHECK_CA` or not at all; and
//! the client's bounds: redirects, a redirect loop, a body over the size cap, a server that
//! never answers. No traffic leaves the machine.

mod common;

use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::repo;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vnfeed::check::client::{Client, Limits};
use vnfeed::check::{self, Options};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-06-01T00:00:00Z")
        .unwrap()
        .to_utc()
}

/// A CA, and a server certificate it signed for `names`.
struct Pki {
    ca_pem: String,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

fn pki(names: &[&str]) -> Pki {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "vnfeed test CA");
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let leaf = CertificateParams::new(names)
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        chain: vec![leaf.der().clone()],
        key: PrivatePkcs8KeyDer::from(leaf_key.serialize_der()).into(),
    }
}

/// Serves over TLS, one request per connection, until the test ends:
/// `/feed.rss` the clean RSS feed (self link pointing here), honouring If-None-Match and
/// gzip; `/moved` a 308 to it; `/loop` a 302 to itself; `/big` 64 KiB of feed-looking
/// bytes; `/silent` reads the request and never answers. Returns `https://127.0.0.1:PORT`.
async fn tls_server(pki: &Pki) -> String {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(pki.chain.clone(), pki.key.clone_key())
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://{}", listener.local_addr().unwrap());
    let feed = std::fs::read_to_string(repo().join("tests/check/clean/rss.xml"))
        .unwrap()
        .replace(
            "https://baothunghiem.example/feeds/bien-gioi.rss",
            &format!("{base}/feed.rss"),
        );
    let feed = Arc::new(feed.into_bytes());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, feed) = (acceptor.clone(), Arc::clone(&feed));
            tokio::spawn(async move {
                // A client that does not trust the certificate hangs up here.
                let Ok(mut stream) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
                let path = head.split(' ').nth(1).unwrap_or("/").to_string();
                let has = |h: &str| head.lines().any(|l| l.starts_with(h));
                let wants_gzip = head
                    .lines()
                    .any(|l| l.starts_with("accept-encoding:") && l.contains("gzip"));
                let (status, headers, body) = match path.as_str() {
                    "/feed.rss" if has("if-none-match: \"v1\"") => (
                        "304 Not Modified",
                        "ETag: \"v1\"\r\n".to_string(),
                        Vec::new(),
                    ),
                    "/feed.rss" => {
                        let mut headers = "Content-Type: application/rss+xml; charset=utf-8\r\n\
                                           ETag: \"v1\"\r\nVary: Accept-Encoding\r\n"
                            .to_string();
                        let body = if wants_gzip {
                            headers.push_str("Content-Encoding: gzip\r\n");
                            gzip(&feed)
                        } else {
                            feed.to_vec()
                        };
                        ("200 OK", headers, body)
                    }
                    "/moved" => (
                        "308 Permanent Redirect",
                        "Location: /feed.rss\r\n".to_string(),
                        Vec::new(),
                    ),
                    "/loop" => ("302 Found", "Location: /loop\r\n".to_string(), Vec::new()),
                    "/big" => (
                        "200 OK",
                        "Content-Type: application/rss+xml\r\n".to_string(),
                        [b"<rss>".repeat(64 * 1024 / 5), b"</rss>".to_vec()].concat(),
                    ),
                    "/silent" => {
                        std::future::pending::<()>().await;
                        unreachable!()
                    }
                    _ => ("404 Not Found", String::new(), Vec::new()),
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.write_all(&body).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    base
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn trusting(pki: &Pki, dir: &Path, limits: Limits) -> Client {
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    Client::with_ca_file(limits, &ca).unwrap()
}

fn codes(report: &check::Report) -> Vec<&'static str> {
    report.findings.iter().map(|f| f.rule.code()).collect()
}

#[tokio::test]
async fn an_https_feed_from_a_trusted_ca_is_fetched_and_checked_without_a_finding() {
    let pki = pki(&["127.0.0.1"]);
    let base = tls_server(&pki).await;
    let dir = common::tempdir();
    let client = trusting(&pki, dir.path(), Limits::DEFAULT);
    let url = format!("{base}/feed.rss");
    let report = check::check_url_with(&client, &url, &Options::at(now())).await;
    assert_eq!(report.format, Some(check::FeedFormat::Rss), "{report}");
    // The conditional GET and the gzip GET went over TLS too, and were honoured.
    assert!(report.findings.is_empty(), "{report}");
    assert!(report.redirects.is_empty());
}

#[tokio::test]
async fn certificate_problems_are_http_fetch_errors_that_say_which() {
    let pki = pki(&["127.0.0.1"]);
    let base = tls_server(&pki).await;
    let url = format!("{base}/feed.rss");
    // The built-in roots only: the test CA is unknown.
    let untrusting = Client::new(Limits::DEFAULT).unwrap();
    let report = check::check_url_with(&untrusting, &url, &Options::at(now())).await;
    assert_eq!(codes(&report), ["http-fetch"]);
    assert_eq!(
        report.findings[0].message,
        format!(
            "GET {url}: certificate problem: the certificate is not signed by a trusted authority \
             (self-signed, a private CA, or an incomplete chain) (a private CA can be trusted \
             with --ca-file or VNFEED_CHECK_CA)"
        )
    );
    // Trusted CA, wrong name.
    let other = pki_named_elsewhere();
    let base = tls_server(&other).await;
    let dir = common::tempdir();
    let client = trusting(&other, dir.path(), Limits::DEFAULT);
    let report =
        check::check_url_with(&client, &format!("{base}/feed.rss"), &Options::at(now())).await;
    assert_eq!(codes(&report), ["http-fetch"]);
    assert!(
        report.findings[0]
            .message
            .contains("certificate problem: the certificate is not valid for this host name"),
        "{report}"
    );
}

fn pki_named_elsewhere() -> Pki {
    pki(&["feeds.baothunghiem.example"])
}

#[tokio::test]
async fn redirects_are_followed_and_a_permanent_one_is_a_warning() {
    let pki = pki(&["127.0.0.1"]);
    let base = tls_server(&pki).await;
    let dir = common::tempdir();
    let client = trusting(&pki, dir.path(), Limits::DEFAULT);
    let moved = format!("{base}/moved");
    let report = check::check_url_with(&client, &moved, &Options::at(now())).await;
    assert_eq!(codes(&report), ["http-redirect"], "{report}");
    assert_eq!(
        report.findings[0].message,
        format!(
            "{moved} answered 308 Permanent Redirect to {base}/feed.rss: update the subscription to the new URL"
        )
    );
    assert_eq!(report.redirects.len(), 1);
    assert_eq!(report.redirects[0].status, 308);
    let looping =
        check::check_url_with(&client, &format!("{base}/loop"), &Options::at(now())).await;
    assert_eq!(codes(&looping), ["http-fetch"]);
    assert_eq!(
        looping.findings[0].message,
        format!("GET {base}/loop: more than 5 redirects")
    );
}

#[tokio::test]
async fn a_body_over_the_cap_and_a_silent_server_are_errors_not_hangs() {
    let pki = pki(&["127.0.0.1"]);
    let base = tls_server(&pki).await;
    let dir = common::tempdir();
    let limits = Limits {
        max_body: 16 * 1024,
        timeout: Duration::from_secs(1),
        ..Limits::DEFAULT
    };
    let client = trusting(&pki, dir.path(), limits);
    let big = check::check_url_with(&client, &format!("{base}/big"), &Options::at(now())).await;
    assert_eq!(codes(&big), ["http-fetch"]);
    assert_eq!(
        big.findings[0].message,
        format!("GET {base}/big: the body is larger than the 16384 bytes a fetch may download")
    );
    let silent =
        check::check_url_with(&client, &format!("{base}/silent"), &Options::at(now())).await;
    assert_eq!(codes(&silent), ["http-fetch"]);
    assert_eq!(
        silent.findings[0].message,
        format!("GET {base}/silent: no complete answer within 1s")
    );
}

async fn vnfeed(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_vnfeed"));
    command.args(args).env_remove("VNFEED_CHECK_CA");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().await.expect("the binary runs")
}

#[tokio::test]
async fn the_command_trusts_a_ca_given_by_option_or_environment() {
    let pki = pki(&["127.0.0.1"]);
    let base = tls_server(&pki).await;
    let dir = common::tempdir();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let ca = ca.display().to_string();
    let url = format!("{base}/feed.rss");
    let refused = vnfeed(&["check", &url], &[]).await;
    assert_eq!(refused.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&refused.stdout);
    assert!(
        stdout.starts_with(&format!(
            "{url}:0:0: error http-fetch: GET {url}: certificate problem: "
        )),
        "{stdout}"
    );
    for out in [
        vnfeed(&["check", "--strict", "--ca-file", &ca, &url], &[]).await,
        vnfeed(&["check", "--strict", &url], &[("VNFEED_CHECK_CA", &ca)]).await,
    ] {
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), "");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "checked 1 document: 0 errors, 0 warnings\n"
        );
    }
    // A CA file that holds no certificate is refused before anything is fetched, by name.
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let out = vnfeed(
        &["check", "--ca-file", &empty.display().to_string(), &url],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "error: the CA file {} holds no PEM certificate\n",
            empty.display()
        )
    );
}
