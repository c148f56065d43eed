//! The publishing API over real HTTP: tokens, every error status, writes that show in the
//! feeds on the very next request, deletions with RFC 6721 tombstones.

mod common;

use common::*;
use serde_json::{Value, json};
use vnfeed::model::article_guid;

on_both_backends!(
    with_no_token_the_api_is_off_and_says_so,
    a_missing_or_wrong_token_gets_401_with_a_bearer_challenge,
    a_post_is_in_the_feeds_on_the_next_request_and_other_feeds_keep_their_etag,
    an_update_keeps_its_guid_gets_a_new_updated_and_is_never_listed_twice,
    the_list_filters_by_category_and_limit,
    rejected_requests_leave_the_store_and_the_feeds_exactly_as_they_were,
    a_lone_surrogate_escape_becomes_a_replacement_character,
);

fn border_article(id: &str, title: &str) -> String {
    json!({
        "id": id,
        "title": title,
        "published": "2026-11-25T08:00:00+07:00",
        "author": "Hải Đăng",
        "body": "Tổ công tác của đồn biên phòng đi dọc đường biên suốt buổi sáng.\n\nMọi cột mốc đều nguyên vẹn.",
        "categories": ["bien-gioi"],
    })
    .to_string()
}

async fn with_no_token_the_api_is_off_and_says_so(backend: Backend) {
    let server = TestServer::start(&backend, &["--no-samples"]).await;
    for method in ["GET", "POST", "DELETE"] {
        let path = if method == "POST" {
            "/api/articles"
        } else {
            "/api/articles/x"
        };
        let reply = server.api(method, path, None).await;
        assert_eq!(reply.status, 403, "{method}");
        assert!(
            reply.json["error"]
                .as_str()
                .unwrap()
                .contains("no token is configured"),
            "{}",
            reply.json
        );
    }
    server.stop().await;
}

async fn a_missing_or_wrong_token_gets_401_with_a_bearer_challenge(backend: Backend) {
    let tokens = backend.path().join("tokens.txt");
    std::fs::write(&tokens, "# biên tập viên\ncu-aaaaaaaaaaaaaaaaaaaa\n").unwrap();
    let server = TestServer::start(
        &backend,
        &["--no-samples", "--token-file", tokens.to_str().unwrap()],
    )
    .await;
    let call = |token: Option<&'static str>| {
        let mut req = client().get(format!("{}/api/articles", server.url));
        if let Some(t) = token {
            req = req.header("authorization", t);
        }
        async move { ApiReply::from(req.send().await.unwrap()).await }
    };
    let missing = call(None).await;
    assert_eq!(missing.status, 401);
    assert_eq!(
        missing.header("www-authenticate"),
        "Bearer realm=\"vnfeed\""
    );
    for wrong in [
        "Bearer cu-aaaaaaaaaaaaaaaaaaa",
        "Bearer cu-aaaaaaaaaaaaaaaaaaaaa",
        "Basic cu-aaaaaaaaaaaaaaaaaaaa",
        "Bearer ",
    ] {
        let reply = call(Some(wrong)).await;
        assert_eq!(reply.status, 401, "{wrong}");
        assert!(
            reply.header("www-authenticate").starts_with("Bearer"),
            "{wrong}"
        );
        assert!(reply.json["error"].is_string());
    }
    assert_eq!(
        call(Some("Bearer cu-aaaaaaaaaaaaaaaaaaaa")).await.status,
        200
    );

    // Rotation without a restart: add the new token, then remove the old one.
    std::fs::write(
        &tokens,
        "cu-aaaaaaaaaaaaaaaaaaaa\nmoi-bbbbbbbbbbbbbbbbbbb\n",
    )
    .unwrap();
    assert_eq!(
        call(Some("Bearer moi-bbbbbbbbbbbbbbbbbbb")).await.status,
        200
    );
    std::fs::write(&tokens, "moi-bbbbbbbbbbbbbbbbbbb\n").unwrap();
    assert_eq!(
        call(Some("Bearer cu-aaaaaaaaaaaaaaaaaaaa")).await.status,
        401
    );
    assert_eq!(
        call(Some("Bearer moi-bbbbbbbbbbbbbbbbbbb")).await.status,
        200
    );
    server.stop().await;
}

async fn a_post_is_in_the_feeds_on_the_next_request_and_other_feeds_keep_their_etag(
    backend: Backend,
) {
    let server = TestServer::with_api(&backend, &[]).await;
    let first_body = border_article("bg-0001", "Đồn biên phòng tuần tra cột mốc số 12");
    let first = server.api("POST", "/api/articles", Some(&first_body)).await;
    assert_eq!(first.status, 201, "{}", first.json);
    let borders_before = fetch(&server, "/feeds/borders.atom").await;
    // Last-Modified counts whole seconds: the POST comes in a later one than the setup.
    next_second().await;
    let posted_from = std::time::SystemTime::now();
    let security_before = fetch(&server, "/feeds/security.atom").await;
    let all_rss_before = fetch(&server, "/feeds/all.rss").await;

    let created = server
        .api(
            "POST",
            "/api/articles",
            Some(
                &json!({
                    "id": "bg-0002",
                    "title": "Bộ đội biên phòng giúp dân bản gặt lúa",
                    "published": "09:30 26/11/2026",
                    "summary": "Hai mươi chiến sĩ xuống đồng cùng bà con.",
                    "content_html": "<p>Chiến sĩ <b>biên phòng</b> gặt lúa.</p><script>alert(1)</script>",
                    "categories": ["borders"],
                })
                .to_string(),
            ),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.json);
    assert_eq!(created.header("location"), "/api/articles/bg-0002");
    let a = &created.json;
    assert_eq!(a["id"], "bg-0002");
    assert_eq!(a["guid"], article_guid("bg-0002"));
    assert_eq!(a["slug"], "bo-doi-bien-phong-giup-dan-ban-gat-lua");
    assert_eq!(a["published"], "2026-11-26T09:30:00+07:00");
    assert_eq!(a["updated"], "2026-11-26T09:30:00+07:00");
    assert_eq!(a["categories"], json!(["borders"]));
    assert_eq!(
        a["content_html"],
        "<p>Chiến sĩ <b>biên phòng</b> gặt lúa.</p>"
    );
    assert_eq!(
        a["link"],
        format!(
            "{}/articles/bo-doi-bien-phong-giup-dan-ban-gat-lua",
            server.url
        )
    );

    // No poll interval to wait for: the very next request has it.
    let borders = fetch(&server, "/feeds/borders.atom").await;
    assert_ne!(borders.0, borders_before.0, "ETag moved");
    // The time of the write, not the article's own date (Thu, 26 Nov 2026 02:30:00 GMT).
    assert_written_between(&borders.1, posted_from);
    assert_ne!(borders.1, borders_before.1, "Last-Modified moved");
    let feed = parse_feed(&borders.2);
    assert_eq!(feed.entries.len(), 2);
    let entry = &feed.entries[0];
    assert_eq!(entry.id, article_guid("bg-0002"));
    assert_eq!(
        entry.title.as_ref().unwrap().content,
        "Bộ đội biên phòng giúp dân bản gặt lúa"
    );
    let text = String::from_utf8(borders.2.clone()).unwrap();
    assert!(text.contains("<published>2026-11-26T09:30:00+07:00</published>"));
    assert!(!text.contains("script"), "sanitized: {text}");
    assert_eq!(
        fetch(&server, "/feeds/security.atom").await.0,
        security_before.0,
        "a feed the article is not in keeps its ETag"
    );
    assert_ne!(fetch(&server, "/feeds/all.rss").await.0, all_rss_before.0);

    // The same body again changes nothing, not even an ETag.
    let again = server.api("POST", "/api/articles", Some(&first_body)).await;
    assert_eq!(again.status, 200);
    assert_eq!(fetch(&server, "/feeds/borders.atom").await.0, borders.0);
    server.stop().await;
}

async fn an_update_keeps_its_guid_gets_a_new_updated_and_is_never_listed_twice(backend: Backend) {
    let server = TestServer::with_api(&backend, &[]).await;
    let body = border_article("bg-0100", "Tuần tra cột mốc 45");
    assert_eq!(
        server
            .api("POST", "/api/articles", Some(&body))
            .await
            .status,
        201
    );
    let before = fetch(&server, "/feeds/all.atom").await;
    let edited_from = std::time::SystemTime::now();

    // PUT the edit, with the id only in the path.
    let mut edit: Value =
        serde_json::from_str(&border_article("bg-0100", "Tuần tra cột mốc 45 và 46")).unwrap();
    edit.as_object_mut().unwrap().remove("id");
    edit["updated"] = json!("2026-11-25T10:15:00+07:00");
    let put = server
        .api("PUT", "/api/articles/bg-0100", Some(&edit.to_string()))
        .await;
    assert_eq!(put.status, 200, "{}", put.json);
    assert_eq!(put.json["guid"], article_guid("bg-0100"));
    assert_eq!(put.json["slug"], "tuan-tra-cot-moc-45", "the slug is kept");
    assert_eq!(put.json["updated"], "2026-11-25T10:15:00+07:00");

    let after = fetch(&server, "/feeds/all.atom").await;
    assert_ne!(after.0, before.0);
    // The time of the edit, not its `updated` (Wed, 25 Nov 2026 03:15:00 GMT).
    assert_written_between(&after.1, edited_from);
    let feed = parse_feed(&after.2);
    assert_eq!(feed.entries.len(), 1, "one article, one entry");
    assert_eq!(
        feed.entries[0].title.as_ref().unwrap().content,
        "Tuần tra cột mốc 45 và 46"
    );
    let text = String::from_utf8(after.2.clone()).unwrap();
    assert!(
        text.contains("<updated>2026-11-25T10:15:00+07:00</updated>"),
        "{text}"
    );

    // A PUT to a new id creates; an id in the body that disagrees with the path is refused.
    let new = server
        .api(
            "PUT",
            "/api/articles/bg-0101",
            Some(&border_article("bg-0101", "Cắm mốc phụ ở khe suối")),
        )
        .await;
    assert_eq!(new.status, 201);
    let clash = server
        .api(
            "PUT",
            "/api/articles/bg-0102",
            Some(&border_article("bg-0103", "Một tiêu đề khác")),
        )
        .await;
    assert_eq!(clash.status, 422);
    assert_eq!(clash.json["field"], "id");

    let got = server.api("GET", "/api/articles/bg-0100", None).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json["title"], "Tuần tra cột mốc 45 và 46");
    assert_eq!(
        got.json["body"],
        "Tổ công tác của đồn biên phòng đi dọc đường biên suốt buổi sáng.\n\nMọi cột mốc đều nguyên vẹn."
    );
    let missing = server.api("GET", "/api/articles/khong-co", None).await;
    assert_eq!(missing.status, 404);
    assert!(missing.json["error"].as_str().unwrap().contains("khong-co"));
    server.stop().await;
}

async fn the_list_filters_by_category_and_limit(backend: Backend) {
    let server = TestServer::with_api(&backend, &[]).await;
    for (i, hour) in ["07", "08", "09"].iter().enumerate() {
        let body = json!({
            "id": format!("bg-list-{i}"),
            "title": format!("Bản tin biên giới số {i}"),
            "published": format!("{hour}:00 20/11/2026"),
            "body": "Tin ngắn về đường biên.",
            "categories": ["borders"],
        });
        assert_eq!(
            server
                .api("POST", "/api/articles", Some(&body.to_string()))
                .await
                .status,
            201
        );
    }
    let security = json!({"id": "an-ninh-1", "title": "Công an phường tuần tra đêm",
        "published": "10:00 20/11/2026", "body": "Tuần tra.", "categories": ["security"]});
    server
        .api("POST", "/api/articles", Some(&security.to_string()))
        .await;

    let list = server
        .api("GET", "/api/articles?category=bien-gioi&limit=2", None)
        .await;
    assert_eq!(list.status, 200);
    let ids: Vec<&str> = list.json["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["bg-list-2", "bg-list-1"]);
    let all = server.api("GET", "/api/articles", None).await;
    assert_eq!(all.json["articles"].as_array().unwrap().len(), 4);
    for (query, field) in [
        ("?limit=0", "limit"),
        ("?limit=1001", "limit"),
        ("?limit=abc", "limit"),
        ("?category=thoi-tiet", "category"),
    ] {
        let reply = server
            .api("GET", &format!("/api/articles{query}"), None)
            .await;
        assert_eq!(reply.status, 422, "{query}");
        assert_eq!(reply.json["field"], field, "{query}");
    }
    server.stop().await;
}

/// Every kind of bad request, each answered with its status and field, none of which may
/// change the store or a feed.
async fn rejected_requests_leave_the_store_and_the_feeds_exactly_as_they_were(backend: Backend) {
    let server = TestServer::with_api(&backend, &["--max-body", "4KiB"]).await;
    assert_eq!(
        server
            .api(
                "POST",
                "/api/articles",
                Some(&border_article("bg-keep", "Bài giữ nguyên"))
            )
            .await
            .status,
        201
    );
    let store = backend.open_for_copy().await;
    let revision = store.revision().await.unwrap();
    let feeds_before = fetch(&server, "/feeds/all.atom").await;

    let valid: Value = serde_json::from_str(&border_article("bg-new", "Bài mới")).unwrap();
    let with = |key: &str, value: Value| {
        let mut v = valid.clone();
        v[key] = value;
        v.to_string()
    };
    let without = |key: &str| {
        let mut v = valid.clone();
        v.as_object_mut().unwrap().remove(key);
        v.to_string()
    };
    let cases: Vec<(String, u16, Value)> = vec![
        ("{\"title\": ".into(), 400, Value::Null),
        ("không phải JSON".into(), 400, Value::Null),
        ("[]".into(), 422, Value::Null),
        ("\"một chuỗi\"".into(), 422, Value::Null),
        (without("title"), 422, json!("title")),
        (with("title", json!("   ")), 422, json!("title")),
        (with("title", json!(42)), 422, json!("title")),
        (without("published"), 422, json!("published")),
        (
            with("published", json!("31/02/2026")),
            422,
            json!("published"),
        ),
        (
            with("published", json!("25:00 01/01/2026")),
            422,
            json!("published"),
        ),
        (
            with("updated", json!("2020-01-01T00:00:00+07:00")),
            422,
            json!("updated"),
        ),
        (
            with("categories", json!(["thoi-tiet"])),
            422,
            json!("categories"),
        ),
        (
            with("categories", json!("borders")),
            422,
            json!("categories"),
        ),
        (with("id", json!("có dấu cách")), 422, json!("id")),
        (with("id", json!("x".repeat(201))), 422, json!("id")),
        (with("url", json!("javascript:alert(1)")), 422, json!("url")),
        (
            with("image", json!({"url": "ftp://x/a.jpg"})),
            422,
            json!("image.url"),
        ),
        (with("tieu_de", json!("x")), 422, json!("tieu_de")),
        (with("body", json!("x".repeat(5000))), 413, Value::Null),
    ];
    for (body, status, field) in &cases {
        let reply = server.api("POST", "/api/articles", Some(body)).await;
        assert_eq!(reply.status, *status, "{body:.80}: {}", reply.json);
        assert_eq!(&reply.json["field"], field, "{body:.80}");
        assert!(reply.json["error"].as_str().is_some_and(|e| !e.is_empty()));
    }

    // Wrong or missing Content-Type, non-UTF-8 bytes, a chunked body over the limit.
    let post = || {
        client()
            .post(format!("{}/api/articles", server.url))
            .bearer_auth(TOKEN)
    };
    let body = border_article("bg-new", "Bài mới");
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/json; charset=windows-1258"),
        None,
    ] {
        let mut req = post().body(body.clone());
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        let reply = ApiReply::from(req.send().await.unwrap()).await;
        assert_eq!(reply.status, 415, "{ct:?}");
    }
    let latin = post()
        .header("content-type", "application/json")
        .body(b"{\"title\": \"Bi\xeAn gi\xf5i\"}".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(latin.status(), 400);
    assert_eq!(chunked_post(&server.url, 10, 1024).await, 413);

    // The URL of another article: a conflict, named.
    let conflict = server
        .api(
            "POST",
            "/api/articles",
            Some(
                &json!({
            "id": "bg-a", "title": "A", "published": "2026-11-20T07:00:00+07:00", "body": "a",
            "url": "https://bao.example/a"})
                .to_string(),
            ),
        )
        .await;
    assert_eq!(conflict.status, 201);
    let revision = revision + 1;
    let feeds_before = (feeds_before, fetch(&server, "/feeds/all.atom").await);
    let clash = server
        .api(
            "POST",
            "/api/articles",
            Some(
                &json!({
            "id": "bg-keep", "title": "B", "published": "2026-11-20T07:00:00+07:00", "body": "b",
            "url": "https://bao.example/a"})
                .to_string(),
            ),
        )
        .await;
    assert_eq!(clash.status, 409, "{}", clash.json);
    assert_eq!(clash.json["field"], "url");

    assert_eq!(
        store.revision().await.unwrap(),
        revision,
        "nothing was written"
    );
    assert_eq!(store.count_stored().await.unwrap(), 2);
    assert_eq!(
        store.by_id("bg-keep").await.unwrap().unwrap().title,
        "Bài giữ nguyên"
    );
    assert_ne!(feeds_before.0.0, feeds_before.1.0);
    assert_eq!(fetch(&server, "/feeds/all.atom").await.0, feeds_before.1.0);
    server.stop().await;
}

/// POSTs `count` chunks of `size` spaces with no Content-Length (chunked), over raw TCP.
async fn chunked_post(base_url: &str, count: usize, size: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base_url.strip_prefix("http://").unwrap();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/articles HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for _ in 0..count {
        let chunk = format!("{size:x}\r\n{}\r\n", " ".repeat(size));
        // The server may answer 413 and close before all chunks are sent.
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    status_of(&response)
}

async fn a_lone_surrogate_escape_becomes_a_replacement_character(backend: Backend) {
    let server = TestServer::with_api(&backend, &[]).await;
    let body = r#"{"id": "cat-doi", "title": "Tin b\ud83d\u1ecb c\u1eaft \udc00 đôi",
        "published": "2026-11-20T07:00:00+07:00", "body": "Chuỗi bị cắt\ud800"}"#;
    let reply = server.api("POST", "/api/articles", Some(body)).await;
    assert_eq!(reply.status, 201, "{}", reply.json);
    assert_eq!(reply.json["title"], "Tin b\u{FFFD}ị cắt \u{FFFD} đôi");
    assert_eq!(reply.json["body"], "Chuỗi bị cắt\u{FFFD}");
    parse_feed(&fetch(&server, "/feeds/all.atom").await.2);
    server.stop().await;
}

/// `Last-Modified` is an HTTP date from `from` (to the second) to now: the time of a write
/// made through the API, which takes the server's clock.
fn assert_written_between(last_modified: &str, from: std::time::SystemTime) {
    let at = httpdate::parse_http_date(last_modified).unwrap();
    let from_second = from
        - std::time::Duration::from_nanos(u64::from(
            from.duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos(),
        ));
    assert!(
        from_second <= at && at <= std::time::SystemTime::now(),
        "Last-Modified {last_modified} is not the time of the write"
    );
}

/// Sleeps into the next whole second of the clock.
async fn next_second() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let rest = 1_000_000_000 - u64::from(now.subsec_nanos());
    tokio::time::sleep(std::time::Duration::from_nanos(rest + 1_000_000)).await;
}
