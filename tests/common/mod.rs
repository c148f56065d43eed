//! Shared test plumbing: temp stores on each backend, the real server on an ephemeral port,
//! a real HTTP client, and strict XML checks. Every test gets its own directory and store.
#![allow(dead_code, unused_imports)]

mod backend;
mod cluster;
mod command;
mod content;
mod draft;
mod process;

pub use backend::*;
pub use cluster::*;
pub use command::*;
pub use content::FeedContent;
pub use draft::*;
pub use process::*;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Parser;
use tempfile::TempDir;
use tokio::sync::oneshot;
use vnfeed::app::Server;
use vnfeed::config::{Cli, Command};
use vnfeed::feeds::FeedSet;
use vnfeed::store::SqliteStore;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures").join(name)
}

pub fn feeds() -> FeedSet {
    FeedSet::load(&repo().join("feeds")).expect("the shipped feed definitions load")
}

pub fn open_store(dir: &Path) -> SqliteStore {
    SqliteStore::open(&dir.join("vnfeed.db")).expect("store opens")
}

/// Writes `files` (name, contents) into a fresh directory under `dir`.
pub fn write_files(dir: &Path, sub: &str, files: &[(&str, &[u8])]) -> PathBuf {
    let target = dir.join(sub);
    std::fs::create_dir_all(&target).unwrap();
    for (name, bytes) in files {
        std::fs::write(target.join(name), bytes).unwrap();
    }
    target
}

/// Fails the test unless `bytes` is well-formed XML 1.0 by a strict parser. quick-xml (under
/// `rss`, `atom_syndication` and feed-rs) lets forbidden characters through; roxmltree doesn't.
pub fn assert_well_formed(bytes: &[u8]) {
    let text = std::str::from_utf8(bytes).expect("feeds are UTF-8");
    if let Err(e) = roxmltree::Document::parse(text) {
        panic!("not well-formed XML: {e}\n{text}");
    }
}

pub struct TestServer {
    pub url: String,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    /// Starts `vnfeed serve` in this process on 127.0.0.1:0, on the backend's store, with
    /// the given extra arguments.
    pub async fn start(backend: &Backend, extra: &[&str]) -> TestServer {
        let mut argv: Vec<String> = vec![
            "vnfeed".into(),
            "serve".into(),
            "--addr".into(),
            "127.0.0.1:0".into(),
            "--store".into(),
            backend.location.clone(),
        ];
        if !extra.contains(&"--feeds") {
            argv.extend(["--feeds".into(), repo().join("feeds").display().to_string()]);
        }
        if !extra.contains(&"--poll-ms") {
            argv.extend(["--poll-ms".into(), "100".into()]);
        }
        argv.extend(extra.iter().map(|s| s.to_string()));
        let Command::Serve(args) = Cli::try_parse_from(argv).expect("valid arguments").command
        else {
            unreachable!()
        };
        let server = Server::prepare(&args).await.expect("server starts");
        let url = server.url.clone();
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(async move {
            server
                .run(async {
                    let _ = rx.await;
                })
                .await
                .expect("server runs");
        });
        TestServer {
            url,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// Fetches `path` until its body passes `ready`, failing the test (naming `what`) after
    /// `limit`; returns how long it took.
    pub async fn wait_until(
        &self,
        path: &str,
        limit: std::time::Duration,
        what: &str,
        ready: impl Fn(&str) -> bool,
    ) -> std::time::Duration {
        let start = std::time::Instant::now();
        loop {
            let body = self.get(path).send().await.unwrap().text().await.unwrap();
            if ready(&body) {
                return start.elapsed();
            }
            assert!(start.elapsed() < limit, "{what}: not after {limit:?}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Waits until the server has rendered revision `revision` of its store (or a later
    /// one): a write made straight to the store, as `vnfeed import` from cron makes it, is
    /// served from the next poll on.
    pub async fn wait_for_revision(&self, revision: i64) {
        let limit = std::time::Duration::from_secs(30);
        self.wait_until(
            "/metrics",
            limit,
            &format!("revision {revision} rendered"),
            |m| {
                parse_exposition(m)
                    .get("vnfeed_rendered_revision")
                    .is_some_and(|r| *r >= revision as f64)
            },
        )
        .await;
    }

    /// `/metrics`, checked to be the classic text type and parsed by [`parse_exposition`].
    pub async fn metrics(&self) -> std::collections::BTreeMap<String, f64> {
        let r = self.get("/metrics").send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.headers()[reqwest::header::CONTENT_TYPE],
            "text/plain; version=0.0.4; charset=utf-8"
        );
        parse_exposition(&r.text().await.unwrap())
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        client().get(format!("{}{path}", self.url))
    }

    /// GETs `path` with `headers` and returns the response, whatever its status.
    pub async fn get_with(
        &self,
        path: &str,
        headers: &[(reqwest::header::HeaderName, &str)],
    ) -> reqwest::Response {
        let mut request = self.get(path);
        for (name, value) in headers {
            request = request.header(name, *value);
        }
        request
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }
}

/// No automatic decompression or redirects: the tests look at exactly what was sent.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Sends a request line exactly as written (an HTTP client library would normalize `..` and
/// `%2e%2e` away) and returns the status code.
pub async fn raw_status(base_url: &str, method: &str, target: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base_url.strip_prefix("http://").unwrap();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request =
        format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    status_of(&response)
}

/// The status code of a raw HTTP/1.1 response.
pub fn status_of(response: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(response);
    text.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"))
}

/// The head of a raw `POST /api/articles` with the test token, for sending a body by hand.
pub fn raw_post_head(content_length: usize) -> String {
    format!(
        "POST /api/articles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {content_length}\r\n\r\n"
    )
}

pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

pub fn tempdir() -> TempDir {
    tempfile::tempdir().unwrap()
}

pub fn arc<T>(t: T) -> Arc<T> {
    Arc::new(t)
}

/// The token the API tests configure.
pub const TOKEN: &str = "thu-nghiem-0123456789abcdef";

/// What an API call answered: status, headers and the body parsed as JSON.
pub struct ApiReply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub json: serde_json::Value,
}

impl TestServer {
    /// Starts a server with the publishing API on (token [`TOKEN`]) and no samples.
    pub async fn with_api(backend: &Backend, extra: &[&str]) -> TestServer {
        let mut args = vec!["--no-samples", "--api-token", TOKEN];
        args.extend_from_slice(extra);
        TestServer::start(backend, &args).await
    }

    /// An API call with the test token and, if `body` is given, `Content-Type: application/json`.
    pub async fn api(&self, method: &str, path: &str, body: Option<&str>) -> ApiReply {
        let mut req = client()
            .request(method.parse().unwrap(), format!("{}{path}", self.url))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            req = req
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        ApiReply::from(req.send().await.unwrap()).await
    }
}

impl ApiReply {
    pub async fn from(resp: reqwest::Response) -> ApiReply {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap();
        let json = if bytes.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
        };
        ApiReply {
            status,
            headers,
            json,
        }
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
    }
}

/// A feed's ETag, Last-Modified (empty for an empty feed) and body, fetched unconditionally.
pub async fn fetch(server: &TestServer, path: &str) -> (String, String, Vec<u8>) {
    let resp = server.get(path).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    let h = |n: &str| {
        resp.headers()
            .get(n)
            .map_or("", |v| v.to_str().unwrap())
            .to_string()
    };
    let (etag, lm) = (h("etag"), h("last-modified"));
    (etag, lm, resp.bytes().await.unwrap().to_vec())
}

/// Parses a feed back with feed-rs after checking it is well-formed XML.
pub fn parse_feed(bytes: &[u8]) -> feed_rs::model::Feed {
    assert_well_formed(bytes);
    feed_rs::parser::parse(bytes).expect("feed-rs reads the feed")
}

/// A real 1×1 PNG (a browser shows it), for image tests.
pub const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x56, 0xc8, 0x2d, 0xd8, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// The samples of a text exposition, `name{labels}` -> value. Fails on any line that is
/// neither a sample nor one of the comment forms the format allows.
pub fn parse_exposition(text: &str) -> std::collections::BTreeMap<String, f64> {
    let mut samples = std::collections::BTreeMap::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line == "# EOF" {
            assert!(lines.peek().is_none(), "# EOF is the last line");
            continue;
        }
        if let Some(comment) = line.strip_prefix("# ") {
            let kind = comment.split(' ').next().unwrap();
            assert!(["HELP", "TYPE", "UNIT"].contains(&kind), "{line}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        let name_end = series.find('{').unwrap_or(series.len());
        assert!(
            series[..name_end]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            "{line}"
        );
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("{line}"));
        assert!(
            samples.insert(series.to_string(), value).is_none(),
            "{line}"
        );
    }
    samples
}

/// A response header's value, which the test requires to be there.
pub fn header(resp: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    maybe_header(resp, name.clone()).unwrap_or_else(|| panic!("no {name} header"))
}

/// A response header's value, if it was sent.
pub fn maybe_header(resp: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<String> {
    resp.headers()
        .get(&name)
        .map(|v| v.to_str().unwrap().to_string())
}
