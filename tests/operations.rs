//! What operators see: `/metrics` in the Prometheus text format (every line parsed back and
//! the counts checked against the requests the test made), and `--log-format json` lines
//! from the real binary.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use reqwest::header::{ACCEPT, CONTENT_TYPE, ETAG, IF_NONE_MATCH};

on_both_backends!(metrics_count_what_was_served);

async fn metrics_count_what_was_served(backend: Backend) {
    let server = TestServer::start(&backend, &[]).await;
    let feed = server.get_with("/feeds/borders.rss", &[]).await;
    let etag = feed.headers()[ETAG].clone();
    for _ in 0..2 {
        let again = server
            .get_with(
                "/feeds/borders.rss",
                &[(IF_NONE_MATCH, etag.to_str().unwrap())],
            )
            .await;
        assert_eq!(again.status(), 304);
    }
    assert_eq!(server.get_with("/khong-co", &[]).await.status(), 404);
    assert_eq!(server.get_with("/healthz", &[]).await.status(), 200);

    let m = server.metrics().await;
    let requests = |route: &str, status: u16| {
        m.get(&format!(
            "vnfeed_http_requests_total{{route=\"{route}\",status=\"{status}\"}}"
        ))
        .copied()
    };
    assert_eq!(requests("feed", 200), Some(1.0), "{m:#?}");
    assert_eq!(requests("feed", 304), Some(2.0));
    assert_eq!(requests("unknown", 404), Some(1.0));
    assert_eq!(requests("health", 200), Some(1.0));
    assert_eq!(m["vnfeed_http_not_modified_share"], 2.0 / 3.0);
    // Start-up renders the four feeds (all and three categories) once; nothing since.
    assert_eq!(m["vnfeed_feed_renders_total"], 4.0);
    assert_eq!(m["vnfeed_feed_render_seconds_count"], 4.0);
    assert!(m["vnfeed_feed_render_seconds_sum"] > 0.0);
    assert_eq!(m["vnfeed_feed_render_seconds_bucket{le=\"+Inf\"}"], 4.0);
    assert_eq!(m["vnfeed_store_errors_total"], 0.0);
    assert!(m["vnfeed_rendered_revision"] >= 1.0);
    match backend.kind {
        Kind::Sqlite => assert!(
            !m.contains_key("vnfeed_change_listener_connected"),
            "no listener on SQLite"
        ),
        Kind::Postgres => {
            // The listener connects in the background; its first tick is the connection.
            server
                .wait_until(
                    "/metrics",
                    Duration::from_secs(10),
                    "the change listener connected",
                    |text| text.contains("\nvnfeed_change_listener_connected 1\n"),
                )
                .await;
            let m = server.metrics().await;
            assert_eq!(m["vnfeed_change_notification_age_seconds"], -1.0);
        }
    }
    let open = server
        .get_with(
            "/metrics",
            &[(ACCEPT, "application/openmetrics-text; version=1.0.0")],
        )
        .await;
    assert_eq!(
        open.headers()[CONTENT_TYPE],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    assert!(open.text().await.unwrap().ends_with("# EOF\n"));
    server.stop().await;
}

#[test]
fn json_logs_are_one_object_per_line() {
    let dir = tempdir();
    let store = dir.path().join("s.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_vnfeed"))
        .args(["--log-format", "json", "serve", "--addr", "127.0.0.1:0"])
        .arg("--store")
        .arg(&store)
        .current_dir(repo())
        .env_remove("RUST_LOG")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut seen = Vec::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        let object: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(
            object["timestamp"].as_str().unwrap().ends_with('Z'),
            "{line}"
        );
        assert!(["INFO", "WARN"].contains(&object["level"].as_str().unwrap()));
        let listening = object["message"]
            .as_str()
            .unwrap()
            .starts_with("listening on");
        seen.push(object);
        if listening {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let listening = seen.last().unwrap();
    assert!(
        listening["url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:"),
        "fields sit beside the message: {listening}"
    );
    assert!(
        seen.iter().any(|o| o["summary"]
            .as_str()
            .is_some_and(|s| s.ends_with("failed 0"))),
        "{seen:#?}"
    );
}
