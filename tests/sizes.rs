//! Every input has a size: one article's stored text (`--max-article-bytes`, from the API and
//! from `vnfeed import`) and one file read by `vnfeed import` (`--max-file-bytes`).

mod common;

use common::*;
use serde_json::json;

on_both_backends!(
    an_article_over_the_cap_gets_413_naming_its_field_and_is_not_stored,
    the_cap_on_an_article_is_configurable,
);

fn article(id: &str, field: &str, value: &str) -> String {
    let mut v = json!({
        "id": id,
        "title": "Đồn biên phòng tuần tra mùa lũ",
        "published": "2026-11-25T08:00:00+07:00",
        "categories": ["bien-gioi"],
        "body": "Tổ công tác đi dọc đường biên suốt buổi sáng.",
    });
    v[field] = json!(value);
    if field == "content_html" {
        v.as_object_mut().unwrap().remove("body");
    }
    v.to_string()
}

async fn an_article_over_the_cap_gets_413_naming_its_field_and_is_not_stored(backend: Backend) {
    let server = TestServer::with_api(&backend, &[]).await;
    // 1.5 MB of text: under the 2 MiB body limit, over the 1 MiB article cap by default.
    let long = "Tổ công tác đi dọc đường biên.\n\n".repeat(40_000);
    assert!(
        long.len() > 1 << 20 && long.len() < 2 << 20,
        "{}",
        long.len()
    );
    for field in ["body", "content_html", "summary"] {
        let reply = server
            .api(
                "POST",
                "/api/articles",
                Some(&article("qua-dai", field, &long)),
            )
            .await;
        assert_eq!(reply.status, 413, "{field}: {}", reply.json);
        assert_eq!(reply.json["field"], field, "{}", reply.json);
        let message = reply.json["error"].as_str().unwrap();
        assert!(message.contains("--max-article-bytes"), "{message}");
        assert!(message.contains("over the limit of 1048576"), "{message}");
    }
    let reply = server.api("GET", "/api/articles/qua-dai", None).await;
    assert_eq!(reply.status, 404, "nothing was stored");
    let reply = server
        .api(
            "POST",
            "/api/articles",
            Some(&article("vua-du", "body", &long[..long.len() / 2])),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.json);
    server.stop().await;
}

async fn the_cap_on_an_article_is_configurable(backend: Backend) {
    let server = TestServer::with_api(&backend, &["--max-article-bytes", "2KiB"]).await;
    let reply = server
        .api(
            "POST",
            "/api/articles",
            Some(&article("tom-tat-dai", "summary", &"â".repeat(1000))),
        )
        .await;
    assert_eq!(reply.status, 413, "{}", reply.json);
    assert_eq!(reply.json["field"], "summary");
    assert!(
        reply.json["error"]
            .as_str()
            .unwrap()
            .contains("field `summary` alone is 2000 bytes"),
        "{}",
        reply.json
    );
    let reply = server
        .api(
            "POST",
            "/api/articles",
            Some(&article("tom-tat-ngan", "summary", &"â".repeat(500))),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.json);
    server.stop().await;
}

const SHORT: &str = r#"{"id": "bai-ngan", "title": "Bài ngắn", "published": "2026-11-25T08:00:00+07:00",
    "categories": ["bien-gioi"], "body": "Nội dung ngắn."}"#;

#[test]
fn import_reports_an_article_over_the_cap_by_file_and_imports_the_others() {
    let dir = tempdir();
    let long = article("bai-dai", "body", &"Tuần tra biên giới. ".repeat(60_000));
    let src = write_files(
        dir.path(),
        "in",
        &[
            ("a-dai.json", long.as_bytes()),
            ("b-ngan.json", SHORT.as_bytes()),
        ],
    );
    let store = dir.path().join("s.db");
    let store = store.to_str().unwrap();
    let out = vnfeed(&["import", "--store", store, src.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    let named = format!(
        "error: {}: the article's text is",
        src.join("a-dai.json").display()
    );
    assert!(err.contains(&named), "{err}");
    assert!(err.contains("field `body` alone is"), "{err}");
    assert!(
        err.contains("imported 1, updated 0, unchanged 0, failed 1"),
        "{err}"
    );

    // A lower cap, given as a flag, refuses the short one too.
    let out = vnfeed(&[
        "import",
        "--store",
        store,
        "--max-article-bytes",
        "16",
        src.join("b-ngan.json").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("over the limit of 16"), "{err}");
}

#[test]
fn import_refuses_a_file_over_the_cap_before_reading_it_and_imports_the_others() {
    let dir = tempdir();
    let padded = format!("{SHORT}{}", " ".repeat(4096));
    let src = write_files(
        dir.path(),
        "in",
        &[
            ("a-lon.json", padded.as_bytes()),
            ("b-ngan.json", SHORT.as_bytes()),
        ],
    );
    let store = dir.path().join("s.db");
    let store = store.to_str().unwrap();
    let args = |path: &str| vnfeed(&["import", "--store", store, "--max-file-bytes", "4KiB", path]);
    let out = args(src.to_str().unwrap());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    let named = format!(
        "error: {}: larger than the limit of 4096 bytes (--max-file-bytes): {} bytes",
        src.join("a-lon.json").display(),
        padded.len()
    );
    assert!(err.contains(&named), "{err}");
    assert!(
        err.contains("imported 1, updated 0, unchanged 0, failed 1"),
        "{err}"
    );

    // A file with no size to check first (a device) is read no further than the cap.
    let zero = dir.path().join("zero.json");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let out = args(zero.to_str().unwrap());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    let named = format!(
        "error: {}: larger than the limit of 4096 bytes (--max-file-bytes)",
        zero.display()
    );
    assert!(err.contains(&named), "{err}");
}
