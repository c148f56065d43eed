//! The server under attack, over raw TCP: slow heads, idle keep-alive connections, too many
//! connections, oversized heads and targets, and a shutdown with a request in flight.
//! Nothing here asserts a duration: each test checks what the server did, and every wait is
//! bounded so a broken defence fails the test instead of hanging it.

mod common;

use std::time::Duration;

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Far longer than any limit set below: reaching it means the server did not act.
const PATIENCE: Duration = Duration::from_secs(20);

async fn connect(server: &TestServer) -> TcpStream {
    TcpStream::connect(server.url.strip_prefix("http://").unwrap())
        .await
        .unwrap()
}

/// Reads until the server closes the connection; `None` if it did not within [`PATIENCE`].
async fn until_closed(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(PATIENCE, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok().map(|_| got)
}

/// Reads one response (head and Content-Length body) off a keep-alive connection.
async fn one_response(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&got).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .map_or(0, |v| v.trim().parse().unwrap());
            if body.len() >= len {
                return text;
            }
        }
        let n = tokio::time::timeout(PATIENCE, stream.read(&mut buf))
            .await
            .expect("a response within the patience")
            .unwrap();
        assert!(n > 0, "closed before a whole response: {text}");
        got.extend_from_slice(&buf[..n]);
    }
}

#[tokio::test]
async fn a_slowloris_head_is_cut_off_and_a_quick_one_on_the_next_connection_is_served() {
    let backend = Backend::sqlite();
    let server = TestServer::start(
        &backend,
        &[
            "--no-samples",
            "--header-timeout",
            "300ms",
            "--idle-timeout",
            "30s",
        ],
    )
    .await;
    let mut slow = connect(&server).await;
    slow.write_all(b"GET /feeds/all.rss HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // One header byte every 100 ms would take a minute to finish: the server must not wait.
    let mut cut_off = false;
    for _ in 0..600 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if slow.write_all(b"X").await.is_err() {
            cut_off = true;
            break;
        }
        let mut probe = [0u8; 64];
        if let Ok(Ok(0)) =
            tokio::time::timeout(Duration::from_millis(1), slow.read(&mut probe)).await
        {
            cut_off = true;
            break;
        }
    }
    assert!(cut_off, "the slow head was never cut off");

    let mut quick = connect(&server).await;
    quick
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(status_of(one_response(&mut quick).await.as_bytes()), 200);
    server.stop().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_but_a_busy_one_is_kept() {
    let backend = Backend::sqlite();
    let server = TestServer::start(
        &backend,
        &[
            "--no-samples",
            "--idle-timeout",
            "500ms",
            "--header-timeout",
            "30s",
        ],
    )
    .await;
    let mut conn = connect(&server).await;
    // Three requests on one connection, each sent before the idle limit: all answered.
    for _ in 0..3 {
        conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        assert_eq!(status_of(one_response(&mut conn).await.as_bytes()), 200);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Then silence: the server closes it, long before the header timeout of 30 s.
    let rest = until_closed(&mut conn).await.expect("closed when idle");
    assert!(rest.is_empty(), "no stray bytes: {rest:?}");
    server.stop().await;
}

#[tokio::test]
async fn connections_over_the_limit_get_503_and_a_freed_slot_is_reused() {
    connection_limit(&[]).await;
}

/// With thread-per-core accept loops the limit is the server's, not each loop's: the kernel
/// spreads the connections over both listeners, and the fourth is refused all the same.
#[tokio::test]
async fn the_connection_limit_holds_across_worker_threads() {
    connection_limit(&["--workers", "2"]).await;
}

async fn connection_limit(extra: &[&str]) {
    let backend = Backend::sqlite();
    let mut args = vec!["--no-samples", "--max-connections", "3"];
    args.extend_from_slice(extra);
    let server = TestServer::start(&backend, &args).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut c = connect(&server).await;
        // A served request proves the connection holds a slot.
        c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        assert_eq!(status_of(one_response(&mut c).await.as_bytes()), 200);
        held.push(c);
    }
    let mut extra = connect(&server).await;
    let refused = until_closed(&mut extra).await.expect("refused and closed");
    assert_eq!(status_of(&refused), 503);
    assert!(String::from_utf8_lossy(&refused).contains("retry-after: 1"));

    // A client that speaks first still reads its 503.
    let mut eager = connect(&server).await;
    eager
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(status_of(&until_closed(&mut eager).await.unwrap()), 503);

    drop(held.pop());
    // The slot comes back once the server has seen the close; retry for a bounded while.
    let mut served = false;
    for _ in 0..200 {
        let mut again = connect(&server).await;
        again
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        if status_of(&until_closed(&mut again).await.unwrap()) == 200 {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(served, "a freed slot was never reused");
    server.stop().await;
}

#[tokio::test]
async fn oversized_heads_and_targets_are_refused_with_431_and_414() {
    let backend = Backend::sqlite();
    let server = TestServer::start(
        &backend,
        &[
            "--no-samples",
            "--max-header-bytes",
            "8KiB",
            "--max-target-bytes",
            "1KiB",
        ],
    )
    .await;
    let ask = |request: String| {
        let server = &server;
        async move {
            let mut c = connect(server).await;
            // The server may answer and close before it has read everything.
            let _ = c.write_all(request.as_bytes()).await;
            status_of(&until_closed(&mut c).await.expect("answered and closed"))
        }
    };
    let big_header = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Dem: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(9000)
    );
    assert_eq!(ask(big_header).await, 431);
    let many: String = (0..200).map(|i| format!("X-Dem-{i}: 1\r\n")).collect();
    assert_eq!(
        ask(format!(
            "GET /healthz HTTP/1.1\r\nHost: x\r\n{many}Connection: close\r\n\r\n"
        ))
        .await,
        431
    );
    // A head that never ends cannot grow the server's buffer without bound.
    let endless = format!("GET /healthz HTTP/1.1\r\nX: {}", "b".repeat(64 << 10));
    assert_eq!(ask(endless).await, 431);
    let long_target = format!(
        "GET /feeds/all.rss?{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "q".repeat(1100)
    );
    assert_eq!(ask(long_target).await, 414);
    let fits = format!(
        "GET /feeds/all.rss?{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "q".repeat(900)
    );
    assert_eq!(ask(fits).await, 200);
    server.stop().await;
}

#[tokio::test]
async fn a_shutdown_finishes_the_request_in_flight_and_refuses_new_connections() {
    let backend = Backend::sqlite();
    let server = TestServer::with_api(&backend, &[]).await;
    let body = serde_json::json!({
        "id": "dang-gui", "title": "Bài gửi dở khi máy chủ dừng",
        "published": "2026-11-20T07:00:00+07:00", "body": "Nội dung đến sau.",
    })
    .to_string();
    let (first, second) = body.as_bytes().split_at(20);
    let mut conn = connect(&server).await;
    conn.write_all(raw_post_head(body.len()).as_bytes())
        .await
        .unwrap();
    conn.write_all(first).await.unwrap();
    // Make sure the server is inside the request before it is told to stop.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let url = server.url.clone();
    let stopping = tokio::spawn(server.stop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        TcpStream::connect(url.strip_prefix("http://").unwrap())
            .await
            .is_err(),
        "no new connections while stopping"
    );
    conn.write_all(second).await.unwrap();
    let response = until_closed(&mut conn)
        .await
        .expect("answered, then closed");
    assert_eq!(
        status_of(&response),
        201,
        "{}",
        String::from_utf8_lossy(&response)
    );
    stopping.await.unwrap();
    let store = backend.open().await;
    assert!(store.by_id("dang-gui").await.unwrap().is_some());
}
