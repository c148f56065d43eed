//! HTTP as a hostile or careless client speaks it, over real sockets: requests without a
//! `Host` or with two, a client that writes a whole oversized body before it reads the
//! answer, browsers that sniff types or frame pages, a client looping over the pages the
//! cache does not hold, and a SIGTERM while a blocking read is stuck. Nothing here asserts
//! a duration: every wait is bounded, so a broken defence fails the test instead of
//! hanging it.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use reqwest::header::{ETAG, IF_NONE_MATCH};
use scraper::{Html, Selector};
use sha2::{Digest, Sha256};

/// Far longer than any bound the server keeps: reaching it means the server did not act.
const PATIENCE: Duration = Duration::from_secs(20);

fn addr(server: &TestServer) -> String {
    server.url.strip_prefix("http://").unwrap().to_string()
}

/// Sends `request` as written on a fresh connection and reads until the server closes it.
async fn raw(server: &TestServer, request: &'static str) -> String {
    let addr = addr(server);
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut got = Vec::new();
        let _ = stream.read_to_end(&mut got);
        String::from_utf8_lossy(&got).into_owned()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_1_1_needs_exactly_one_host() {
    let backend = Backend::sqlite();
    let server = TestServer::start(&backend, &[]).await;
    let cases: [(&'static str, u16); 7] = [
        ("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", 400),
        (
            "GET /healthz HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n",
            400,
        ),
        (
            "GET /feeds/all.rss HTTP/1.1\r\nHost: a.example\r\nhost: a.example\r\nConnection: close\r\n\r\n",
            400,
        ),
        (
            "GET /healthz HTTP/1.1\r\nHost: user@a.example\r\nConnection: close\r\n\r\n",
            400,
        ),
        // HTTP/1.0 had no Host: still served.
        ("GET /healthz HTTP/1.0\r\n\r\n", 200),
        (
            "GET /healthz HTTP/1.1\r\nHost: a.example:8080\r\nConnection: close\r\n\r\n",
            200,
        ),
        (
            "GET /api/articles HTTP/1.1\r\nConnection: close\r\n\r\n",
            400,
        ),
    ];
    for (request, status) in cases {
        let response = raw(&server, request).await;
        assert_eq!(
            status_of(response.as_bytes()),
            status,
            "{request:?}\n{response}"
        );
        if status == 400 {
            assert!(
                response
                    .to_ascii_lowercase()
                    .contains("x-content-type-options: nosniff"),
                "{response}"
            );
        }
    }
    server.stop().await;
}

/// A server with the samples, one item per feed page (so `?page=2` exists), the API on and
/// one image in its media directory.
async fn sample_server(backend: &Backend, extra: &[&str]) -> TestServer {
    let media = backend.path().join("media");
    std::fs::create_dir_all(&media).unwrap();
    std::fs::write(media.join("anh.png"), PNG_1X1).unwrap();
    let mut args = vec![
        "--api-token",
        TOKEN,
        "--limit",
        "1",
        "--media-dir",
        media.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    TestServer::start(backend, &args).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_says_nosniff_and_pages_refuse_scripts_and_frames() {
    let backend = Backend::sqlite();
    let server = sample_server(&backend, &[]).await;
    let slug = backend.open().await.latest(FeedKey::All, 1).await.unwrap()[0]
        .slug
        .clone();
    let page_etag = server.get("/feeds/all.rss").send().await.unwrap().headers()[ETAG].clone();
    let requests = [
        server.get("/feeds/all.rss"),
        server.get("/feeds/all.atom"),
        server.get("/feeds/borders.json"),
        server.get("/feeds/all.rss?page=2"),
        server.get("/feeds/all.rss?page=x"),
        server.get("/feeds/all/archive/1.atom"),
        server
            .get("/feeds/all.rss")
            .header(IF_NONE_MATCH, page_etag),
        server.get("/feeds.opml"),
        server.get("/healthz"),
        server.get("/metrics"),
        server.get("/media/anh.png"),
        server.get("/media/khong-co.png"),
        server.get("/khong-co"),
        server.get("/api/articles"),
        server.get("/api/articles").bearer_auth(TOKEN),
        client().post(format!("{}/feeds/all.rss", server.url)),
        client().head(format!("{}/feeds/all.rss", server.url)),
    ];
    let mut statuses = Vec::new();
    for request in requests {
        let resp = request.send().await.unwrap();
        let url = resp.url().to_string();
        statuses.push(resp.status().as_u16());
        assert_eq!(
            resp.headers()
                .get("x-content-type-options")
                .map(|v| v.to_str().unwrap()),
            Some("nosniff"),
            "{url}: {}",
            resp.status()
        );
    }
    // The list covers successes, a 304 and the errors.
    for status in [200, 304, 400, 401, 404, 405] {
        assert!(statuses.contains(&status), "{status} in {statuses:?}");
    }

    for path in [
        "/".to_string(),
        "/categories/borders".into(),
        format!("/articles/{slug}"),
    ] {
        let resp = server.get(&path).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .unwrap_or_else(|| panic!("{path}: no {name}"))
                .to_str()
                .unwrap()
                .to_string()
        };
        assert!(header("content-type").starts_with("text/html"));
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert_eq!(header("x-frame-options"), "DENY");
        assert_eq!(header("referrer-policy"), "strict-origin-when-cross-origin");
        let policy = header("content-security-policy");
        let directives: std::collections::BTreeMap<&str, Vec<&str>> = policy
            .split(';')
            .filter_map(|d| {
                let mut words = d.split_whitespace();
                Some((words.next()?, words.collect()))
            })
            .collect();
        // No script of any kind: nothing allows one, and everything else defaults to none.
        assert_eq!(directives["default-src"], ["'none'"], "{policy}");
        assert!(!directives.contains_key("script-src"), "{policy}");
        assert_eq!(directives["frame-ancestors"], ["'none'"], "{policy}");
        assert_eq!(directives["base-uri"], ["'none'"], "{policy}");
        assert!(!policy.contains("unsafe"), "{policy}");
        assert!(directives["img-src"].contains(&"'self'"), "{policy}");
        let body = resp.text().await.unwrap();
        let html = Html::parse_document(&body);
        let scripts = Selector::parse("script").unwrap();
        assert_eq!(html.select(&scripts).count(), 0, "{path}: a script");
        // The one inline stylesheet is the one the policy names by its hash.
        let styles: Vec<String> = html
            .select(&Selector::parse("style").unwrap())
            .map(|s| s.text().collect())
            .collect();
        assert_eq!(styles.len(), 1, "{path}");
        use base64::Engine;
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&styles[0]));
        assert_eq!(
            directives["style-src"],
            [format!("'sha256-{hash}'").as_str()],
            "{path}: {policy}"
        );
        // No style attribute, which a hash does not allow.
        assert_eq!(
            html.select(&Selector::parse("[style]").unwrap()).count(),
            0,
            "{path}"
        );
    }
    server.stop().await;
}

/// Writes a whole `body` of `len` bytes to `POST /api/articles`, declared with
/// Content-Length or sent chunked, and only then reads the answer, as Python's http.client
/// does; returns the status, or the error the client saw.
fn post_then_read(addr: &str, len: usize, chunked: bool) -> std::io::Result<u16> {
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(PATIENCE))?;
    stream.set_write_timeout(Some(PATIENCE))?;
    let body = vec![b' '; len];
    if chunked {
        stream.write_all(
            format!(
                "POST /api/articles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\
                 Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            .as_bytes(),
        )?;
        for chunk in body.chunks(64 << 10) {
            stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())?;
            stream.write_all(chunk)?;
            stream.write_all(b"\r\n")?;
        }
        stream.write_all(b"0\r\n\r\n")?;
    } else {
        stream.write_all(raw_post_head(len).as_bytes())?;
        stream.write_all(&body)?;
    }
    let mut got = Vec::new();
    stream.read_to_end(&mut got)?;
    Ok(status_of(&got))
}

/// Larger than the loopback socket buffers hold (a 3 MiB body sometimes fits in them, and
/// then even an abrupt close lets the client read its answer), and well under the bytes a
/// closing connection is drained of.
const BIG_BODY: usize = 16 << 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_writes_a_whole_oversized_body_before_reading_gets_the_413() {
    let backend = Backend::sqlite();
    let server = TestServer::with_api(&backend, &["--max-body", "2MiB"]).await;
    let addr = addr(&server);
    let outcomes = tokio::task::spawn_blocking(move || {
        let mut outcomes = Vec::new();
        for round in 0..10 {
            // Refused from its declared length before a byte of it is read, or counted as
            // it arrives when chunked.
            let chunked = round % 2 == 1;
            outcomes.push(post_then_read(&addr, BIG_BODY, chunked).map_err(|e| e.kind()));
        }
        outcomes
    })
    .await
    .unwrap();
    assert_eq!(outcomes, vec![Ok(413); 10], "every client reads its 413");
    // The server is none the worse: the next request is answered.
    assert_eq!(server.get("/healthz").send().await.unwrap().status(), 200);
    server.stop().await;
}

/// Starts the real binary, `vnfeed serve`, and returns it with the URL it listens on.
fn spawn_server(dir: &std::path::Path, extra: &[&str], env: &[(&str, &str)]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vnfeed"))
        .args([
            "--log-format",
            "json",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--no-samples",
        ])
        .arg("--store")
        .arg(dir.join("s.db"))
        .arg("--feeds")
        .arg(repo().join("feeds"))
        .args(extra)
        .envs(env.iter().copied())
        .env_remove("RUST_LOG")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the server logs until it listens")
            .unwrap();
        let object: serde_json::Value = serde_json::from_str(&line).unwrap();
        if let Some(url) = object["url"].as_str() {
            break url.to_string();
        }
    };
    // Keep reading the log, so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, url)
}

#[test]
fn sigterm_exits_within_the_grace_while_a_blocking_read_is_stuck() {
    let dir = tempdir();
    let tokens = dir.path().join("tokens");
    std::fs::write(&tokens, format!("{TOKEN}\n")).unwrap();
    // The grace by environment, so that a server that knows no such setting still starts,
    // and waits its old 30 s before it would exit.
    let (mut child, url) = spawn_server(
        dir.path(),
        &["--token-file", tokens.to_str().unwrap()],
        &[("VNFEED_SHUTDOWN_GRACE", "1s")],
    );
    // The token file is read again on each API request, on a blocking thread: as a FIFO with
    // no writer, its open() never returns (as a read on a hung network mount would not).
    std::fs::remove_file(&tokens).unwrap();
    let path = std::ffi::CString::new(tokens.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0, "mkfifo");
    let addr = url.strip_prefix("http://").unwrap().to_string();
    let stuck = std::thread::spawn(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let request = format!(
            "GET /api/articles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut got = Vec::new();
        let _ = stream.read_to_end(&mut got);
    });
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        !stuck.is_finished(),
        "the API request is stuck on the token file, as the test means it to be"
    );

    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    // Far past the grace, and past the old 30 s drain too: only a hang reaches it.
    let limit = std::time::Instant::now() + Duration::from_secs(45);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() > limit {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    if status.is_none() {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let status = status.expect("the server exits after SIGTERM though a blocking read is stuck");
    stuck.join().unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_looping_over_uncached_routes_gets_429_but_not_on_cached_ones() {
    let backend = Backend::sqlite();
    // Loopback is exempt by default; this server limits it, so the test can be the client.
    let server = sample_server(
        &backend,
        &[
            "--rate-limit-loopback",
            "--client-rate",
            "1",
            "--client-burst",
            "5",
        ],
    )
    .await;
    let slug = backend.open().await.latest(FeedKey::All, 1).await.unwrap()[0]
        .slug
        .clone();
    let uncached = [
        "/feeds/all.rss?page=2".to_string(),
        "/feeds/borders/archive/1.atom".into(),
        "/media/anh.png".into(),
        format!("/articles/{slug}"),
    ];
    let mut statuses = Vec::new();
    let mut retry_after = Vec::new();
    for n in 0..40 {
        let resp = server
            .get(&uncached[n % uncached.len()])
            .send()
            .await
            .unwrap();
        statuses.push(resp.status().as_u16());
        if resp.status() == 429 {
            let wait = resp.headers()["retry-after"].to_str().unwrap();
            retry_after.push(wait.parse::<u64>().expect("Retry-After in seconds"));
        }
    }
    // The burst is served (each answered as it would be without the limit: the archive
    // page may not exist), then the client waits.
    assert!(
        statuses[..5].iter().all(|s| *s != 429),
        "the burst is served: {statuses:?}"
    );
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(retry_after.iter().all(|s| *s >= 1), "{retry_after:?}");
    // The cached routes answer the same client as before.
    for path in [
        "/feeds/all.rss",
        "/feeds/all.rss?page=1",
        "/",
        "/categories/borders",
        "/healthz",
    ] {
        for _ in 0..10 {
            assert_eq!(
                server.get(path).send().await.unwrap().status(),
                200,
                "{path}"
            );
        }
    }
    server.stop().await;

    // By default a loopback client is not limited.
    let backend = Backend::sqlite();
    let server = sample_server(&backend, &["--client-rate", "1", "--client-burst", "5"]).await;
    for _ in 0..40 {
        let resp = server.get("/feeds/all.rss?page=2").send().await.unwrap();
        assert_eq!(resp.status(), 200);
    }
    server.stop().await;
}
