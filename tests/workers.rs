//! `--workers N`: thread-per-core accept loops, each a single-threaded runtime on its own
//! SO_REUSEPORT listener. The same server, the same bytes, whichever thread a connection
//! lands on; and a shutdown that waits for every worker.

mod common;

use common::*;
use reqwest::header::{ETAG, IF_NONE_MATCH};

/// Names of this process's threads (the test server runs in the test's own process).
fn thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_string())
        .collect()
}

#[tokio::test]
async fn worker_threads_serve_the_same_bytes_and_stop_on_shutdown() {
    let backend = Backend::sqlite();
    let server = TestServer::start(&backend, &["--workers", "3"]).await;
    let workers = |names: Vec<String>| {
        let mut w: Vec<String> = names
            .into_iter()
            .filter(|n| n.starts_with("vnfeed-worker-"))
            .collect();
        w.sort();
        w
    };

    // Many fresh connections: the kernel hashes them over the three listeners. Every one
    // gets the same bytes and validator, and a 304 for that validator.
    let first = server.get("/feeds/all.rss").send().await.unwrap();
    assert_eq!(first.status(), 200);
    let etag = header(&first, ETAG);
    let body = first.bytes().await.unwrap();
    // Answered, so the server runs: its workers are up.
    assert_eq!(
        workers(thread_names()),
        ["vnfeed-worker-0", "vnfeed-worker-1", "vnfeed-worker-2"]
    );
    parse_feed(&body);
    for _ in 0..24 {
        // A client of its own: a new connection each time.
        let c = client();
        let r = c
            .get(format!("{}/feeds/all.rss", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, ETAG), etag);
        assert_eq!(r.bytes().await.unwrap(), body);
        let r = c
            .get(format!("{}/feeds/all.rss", server.url))
            .header(IF_NONE_MATCH, &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 304);
    }

    let url = server.url.clone();
    server.stop().await;
    assert!(
        workers(thread_names()).is_empty(),
        "every worker thread has ended once the server stopped"
    );
    assert!(
        client().get(format!("{url}/healthz")).send().await.is_err(),
        "nothing listens after shutdown"
    );
}

#[test]
fn workers_past_the_bound_are_refused_by_name() {
    let out = vnfeed(&["serve", "--workers", "100000"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("--workers") && err.contains("from 0 to 256"),
        "{err}"
    );
}
