//! File descriptors as an attacker spends them: idle sockets up to the process's limit, a
//! WebSub hub that accepts and never answers, a token file that cannot be read. Each runs
//! `vnfeed serve` as its own process, under a descriptor limit set for it alone.

mod common;

use std::io::Read;
use std::net::TcpStream;
use std::time::Duration;

use common::*;
use vnfeed::descriptors::RESERVED;

/// Longer than any answer takes on a loaded machine; the bound for a new request
/// while the sockets are held.
const ANSWER_WITHIN: Duration = Duration::from_secs(2);

const IDLE_SOCKETS: usize = 1015;

fn nofile(soft: u64, hard: u64) -> Rlimit {
    (libc::RLIMIT_NOFILE, soft, hard)
}

fn store_args(dir: &std::path::Path) -> Vec<String> {
    vec![
        "--store".into(),
        dir.join("s.db").display().to_string(),
        "--no-samples".into(),
    ]
}

/// Whether this process may hold the sockets the test opens; says so when it may not.
fn can_open_sockets(test: &str) -> bool {
    let limit = raise_own_nofile();
    let enough = limit >= IDLE_SOCKETS as u64 + 200;
    if !enough {
        println!("SKIPPED: {test}: this process may open only {limit} descriptors");
    }
    enough
}

/// Opens `n` connections that send nothing.
fn idle_sockets(url: &str, n: usize) -> Vec<TcpStream> {
    let addr = url.strip_prefix("http://").unwrap();
    (0..n)
        .map(|i| TcpStream::connect(addr).unwrap_or_else(|e| panic!("socket {i}: {e}")))
        .collect()
}

/// The status of one `GET /healthz` on a new connection; `None` if nothing came back in
/// [`ANSWER_WITHIN`] (or the connection was closed unanswered).
fn status_within(url: &str) -> Option<u16> {
    let addr = url.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect_timeout(&addr.parse().unwrap(), ANSWER_WITHIN).ok()?;
    stream.set_read_timeout(Some(ANSWER_WITHIN)).unwrap();
    std::io::Write::write_all(
        &mut stream,
        format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .ok()?;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    (!response.is_empty()).then(|| status_of(&response))
}

#[test]
fn the_soft_limit_is_raised_to_the_hard_one_so_idle_sockets_leave_room() {
    if !can_open_sockets("the_soft_limit_is_raised_to_the_hard_one_so_idle_sockets_leave_room") {
        return;
    }
    let dir = tempdir();
    let args = store_args(dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = ServeProcess::start(&args, &[nofile(1024, 4096)])
        .unwrap_or_else(|log| panic!("the server did not start:\n{log}"));
    assert_eq!(server.nofile(), (4096, 4096));
    let log = server.log();
    assert!(
        log.contains(&format!(
            "open-file limit 4096 (raised from 1024): 1024 for connections, {RESERVED} kept"
        )),
        "{log}"
    );
    let sockets = idle_sockets(&server.url, IDLE_SOCKETS);
    let status = status_within(&server.url);
    assert!(
        matches!(status, Some(200 | 503)),
        "with {IDLE_SOCKETS} idle sockets a new request got {status:?}"
    );
    drop(sockets);
}

#[test]
fn a_limit_that_cannot_hold_max_connections_and_the_reserve_stops_start_up() {
    let dir = tempdir();
    let args = store_args(dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let log = match ServeProcess::start(&args, &[nofile(1024, 1024)]) {
        Ok(server) => panic!("started at a limit of 1024:\n{}", server.log()),
        Err(log) => log,
    };
    let expected = format!(
        "the open-file limit is 1024 (hard limit 1024), which cannot hold --max-connections \
         1024 plus {RESERVED} descriptors kept for the store, hub pings and media: raise \
         LimitNOFILE (ulimit -n) to at least {}, or set --max-connections {} or lower",
        1024 + RESERVED,
        1024 - RESERVED
    );
    assert!(log.contains(&expected), "{log}");
}

#[test]
fn at_the_largest_max_connections_that_fits_idle_sockets_get_503_not_silence() {
    if !can_open_sockets(
        "at_the_largest_max_connections_that_fits_idle_sockets_get_503_not_silence",
    ) {
        return;
    }
    let dir = tempdir();
    let fits = (1024 - RESERVED).to_string();
    let mut args = store_args(dir.path());
    args.extend(["--max-connections".into(), fits]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = ServeProcess::start(&args, &[nofile(1024, 1024)])
        .unwrap_or_else(|log| panic!("the server did not start:\n{log}"));
    let sockets = idle_sockets(&server.url, IDLE_SOCKETS);
    let status = status_within(&server.url);
    assert_eq!(status, Some(503), "with {IDLE_SOCKETS} idle sockets");
    assert!(
        server.open_fds() < 1024,
        "{} descriptors open",
        server.open_fds()
    );
    drop(sockets);
    // Once the clients leave, the server answers again.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while status_within(&server.url) != Some(200) {
        assert!(
            std::time::Instant::now() < deadline,
            "never answered 200 again"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_systemd_unit_leaves_room_for_the_default_connections_and_the_reserve() {
    let unit = std::fs::read_to_string(repo().join("deploy/vnfeed@.service")).unwrap();
    let limit: u64 = unit
        .lines()
        .find_map(|l| l.trim().strip_prefix("LimitNOFILE="))
        .expect("the unit sets LimitNOFILE")
        .parse()
        .unwrap();
    let default_connections = vnfeed::http::limits::Limits::default().max_connections as u64;
    assert!(
        limit >= default_connections + RESERVED,
        "LimitNOFILE={limit}"
    );
}

/// A hub that accepts every connection and never reads or answers; it keeps the sockets.
fn silent_hub() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let accepted = std::sync::Arc::new(AtomicUsize::new(0));
    let count = std::sync::Arc::clone(&accepted);
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            count.fetch_add(1, Ordering::Relaxed);
            held.push(stream);
        }
    });
    (url, accepted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_that_never_answers_holds_a_fixed_number_of_descriptors() {
    const WRITES: usize = 200;
    // What the server may open beyond its idle count: the hub requests, and a few for
    // the store and the API client's own connection.
    const SLACK: usize = 8;
    if !can_open_sockets("a_hub_that_never_answers_holds_a_fixed_number_of_descriptors") {
        return;
    }
    let (hub, accepted) = silent_hub();
    let dir = tempdir();
    let mut args = store_args(dir.path());
    args.extend(
        [
            "--hub",
            &hub,
            "--hub-attempts",
            "8",
            "--hub-backoff-ms",
            "10",
            "--api-token",
            TOKEN,
        ]
        .map(String::from),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = ServeProcess::start(&args, &[])
        .unwrap_or_else(|log| panic!("the server did not start:\n{log}"));
    let client = client();
    let post = |i: usize| {
        let body = serde_json::json!({
            "id": format!("bai-{i}"),
            "title": format!("Tuần tra biên giới, đợt {i}"),
            "published": "2026-11-25T08:00:00+07:00",
            "categories": ["bien-gioi", "an-ninh"],
            "body": "Tổ công tác đi dọc đường biên suốt buổi sáng.",
        });
        client
            .post(format!("{}/api/articles", server.url))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };
    let idle = server.open_fds();
    assert_eq!(post(0).await.unwrap().status(), 201);
    let bound = idle + vnfeed::websub::CONCURRENT_PINGS + SLACK;
    let mut most = idle;
    for i in 1..=WRITES {
        assert_eq!(post(i).await.unwrap().status(), 201);
        most = most.max(server.open_fds());
        assert!(
            most <= bound,
            "after {i} writes the server holds {most} descriptors (idle {idle}, bound {bound})"
        );
    }
    // The pings that time out meanwhile are replaced by the queued ones, never added to.
    tokio::time::sleep(Duration::from_secs(3)).await;
    most = most.max(server.open_fds());
    let hub_connections = accepted.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "{WRITES} writes against a silent hub: server descriptors idle {idle}, at most {most} \
         (bound {bound}); the hub saw {hub_connections} connections"
    );
    assert!(most <= bound, "{most} descriptors (bound {bound})");
    assert!(hub_connections >= 1, "the hub was pinged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_token_file_gets_503_with_retry_after_not_401() {
    let backend = Backend::sqlite();
    let tokens = backend.path().join("tokens");
    std::fs::write(&tokens, format!("{TOKEN}\n")).unwrap();
    let server = TestServer::start(
        &backend,
        &["--no-samples", "--token-file", tokens.to_str().unwrap()],
    )
    .await;
    assert_eq!(server.api("GET", "/api/articles", None).await.status, 200);
    // Not gone (that revokes), but unreadable: as out of descriptors or on an I/O error.
    std::fs::remove_file(&tokens).unwrap();
    std::fs::create_dir(&tokens).unwrap();
    let reply = server.api("GET", "/api/articles", None).await;
    assert_eq!(reply.status, 503, "{}", reply.json);
    assert_eq!(reply.header("retry-after"), "5");
    assert!(reply.headers.get("www-authenticate").is_none());
    std::fs::remove_dir(&tokens).unwrap();
    assert_eq!(server.api("GET", "/api/articles", None).await.status, 401);
    server.stop().await;
}
