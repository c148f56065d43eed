//! JSON Feed, OPML, images and the HTML pages, served by the real server and read back by
//! independent parsers (serde_json, feed-rs, rss, atom_syndication, roxmltree).

mod common;

use chrono::Utc;
use common::*;
use reqwest::StatusCode;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use vnfeed::import;

on_both_backends!(
    json_feed_carries_the_same_items_ids_and_instants_as_rss_and_atom,
    images_go_out_as_enclosures_in_every_format,
    pages_show_vietnamese_dates_autodiscovery_and_answer_304,
);

async fn ok(server: &TestServer, path: &str) -> (String, Vec<u8>) {
    let resp = server.get_with(path, &[]).await;
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    let ty = resp.headers()[CONTENT_TYPE].to_str().unwrap().to_string();
    (ty, resp.bytes().await.unwrap().to_vec())
}

async fn json_feed_carries_the_same_items_ids_and_instants_as_rss_and_atom(backend: Backend) {
    let server = TestServer::start(&backend, &[]).await;
    for slug in ["all", "security", "party-affairs", "borders"] {
        let (ty, json) = ok(&server, &format!("/feeds/{slug}.json")).await;
        assert_eq!(ty, "application/feed+json");
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["version"], "https://jsonfeed.org/version/1.1");
        assert_eq!(
            v["feed_url"],
            format!("{}/feeds/{slug}.json", server.url),
            "{slug}"
        );
        assert_eq!(v["language"], "vi");
        let (_, atom) = ok(&server, &format!("/feeds/{slug}.atom")).await;
        let atom = atom_syndication::Feed::read_from(&atom[..]).unwrap();
        let (_, rss) = ok(&server, &format!("/feeds/{slug}.rss")).await;
        let rss = rss::Channel::read_from(&rss[..]).unwrap();
        let items = v["items"].as_array().unwrap();
        assert!(!items.is_empty(), "{slug}");
        assert_eq!(items.len(), atom.entries().len());
        assert_eq!(items.len(), rss.items().len());
        for ((item, entry), rss_item) in items.iter().zip(atom.entries()).zip(rss.items()) {
            assert_eq!(item["id"], entry.id(), "the article GUID");
            assert_eq!(item["title"], entry.title().as_str());
            assert_eq!(item["title"].as_str(), rss_item.title());
            // Exact strings: RFC 3339 in Vietnam time, as Atom writes them.
            let published = item["date_published"].as_str().unwrap();
            assert_eq!(published, entry.published().unwrap().to_rfc3339());
            assert!(published.ends_with("+07:00"), "{published}");
            assert_eq!(item["date_modified"], entry.updated().to_rfc3339());
            let rfc822 =
                chrono::DateTime::parse_from_rfc2822(rss_item.pub_date().unwrap()).unwrap();
            assert_eq!(published, rfc822.to_rfc3339());
            assert_eq!(item["url"].as_str(), rss_item.link());
            assert!(item["content_html"].as_str().unwrap().contains("<p>"));
        }
        // An independent JSON Feed parser agrees.
        let parsed = feed_rs::parser::parse(&json[..]).unwrap();
        assert_eq!(parsed.entries.len(), items.len());
        assert_eq!(parsed.entries[0].id, items[0]["id"].as_str().unwrap());
    }
    // The same caching as the XML feeds.
    let first = server.get_with("/feeds/borders.json", &[]).await;
    assert_eq!(first.headers()[CACHE_CONTROL], "public, max-age=300");
    let etag = first.headers()[ETAG].to_str().unwrap().to_string();
    let again = server
        .get_with("/feeds/borders.json", &[(IF_NONE_MATCH, &etag)])
        .await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // The Vietnamese alias moves to the English slug in this format too.
    let moved = server.get_with("/feeds/bien-gioi.json", &[]).await;
    assert_eq!(moved.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(moved.headers()["location"], "/feeds/borders.json");
    server.stop().await;
}

#[tokio::test]
async fn opml_lists_every_feed_in_every_format_with_vietnamese_titles() {
    let backend = Backend::sqlite();
    let server = TestServer::start(&backend, &["--site-title", "Báo Thử"]).await;
    let (ty, opml) = ok(&server, "/feeds.opml").await;
    assert_eq!(ty, "text/x-opml; charset=utf-8");
    assert_well_formed(&opml);
    let text = String::from_utf8(opml).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "opml");
    assert_eq!(root.attribute("version"), Some("2.0"));
    let title = root
        .descendants()
        .find(|n| n.has_tag_name("title"))
        .unwrap()
        .text();
    assert_eq!(title, Some("Báo Thử – nguồn tin"));
    let groups: Vec<_> = root
        .descendants()
        .find(|n| n.has_tag_name("body"))
        .unwrap()
        .children()
        .filter(|n| n.is_element())
        .collect();
    let names: Vec<_> = groups
        .iter()
        .map(|g| g.attribute("text").unwrap())
        .collect();
    assert_eq!(names, ["RSS", "Atom", "JSON Feed"]);
    let mut urls = Vec::new();
    for (group, ext) in groups.iter().zip(["rss", "atom", "json"]) {
        let feeds: Vec<(&str, &str)> = group
            .children()
            .filter(|n| n.is_element())
            .map(|n| (n.attribute("text").unwrap(), n.attribute("xmlUrl").unwrap()))
            .collect();
        assert_eq!(
            feeds,
            [
                ("Tất cả bài viết", format!("{}/feeds/all.{ext}", server.url)),
                ("Biên giới", format!("{}/feeds/borders.{ext}", server.url)),
                (
                    "Xây dựng Đảng",
                    format!("{}/feeds/party-affairs.{ext}", server.url)
                ),
                ("An ninh", format!("{}/feeds/security.{ext}", server.url)),
            ]
            .iter()
            .map(|(t, u)| (*t, u.as_str()))
            .collect::<Vec<_>>()
        );
        for node in group.children().filter(|n| n.is_element()) {
            assert_eq!(node.attribute("type"), Some("rss"));
            assert_eq!(node.attribute("language"), Some("vi"));
        }
        urls.extend(feeds.iter().map(|(_, u)| u.to_string()));
    }
    for url in urls {
        let (_, body) = ok(&server, url.strip_prefix(&server.url).unwrap()).await;
        feed_rs::parser::parse(&body[..]).unwrap_or_else(|e| panic!("{url}: {e}"));
    }
    let (_, index) = ok(&server, "/").await;
    let index = String::from_utf8(index).unwrap();
    assert!(index.contains(&format!("href=\"{}/feeds.opml\"", server.url)));
    server.stop().await;
}

async fn images_go_out_as_enclosures_in_every_format(backend: Backend) {
    let media = backend.path().join("media");
    std::fs::create_dir_all(media.join("2026")).unwrap();
    std::fs::write(media.join("2026/cot-moc.jpg"), PNG_1X1).unwrap();
    let json = r#"[
      {"id": "anh-co-so", "title": "Lễ thượng cờ tại cột mốc 79",
       "published": "2026-11-02T07:30:00+07:00", "categories": ["borders"],
       "body": "Cán bộ, chiến sĩ đồn biên phòng làm lễ thượng cờ tại cột mốc 79.",
       "image": "/media/2026/cot-moc.jpg"},
      {"id": "anh-co-the", "title": "Đoàn công tác thăm bản Nà Lừ",
       "published": "2026-11-01T09:00:00+07:00", "categories": ["borders"],
       "body": "Đoàn công tác tặng quà các hộ nghèo ở bản Nà Lừ.",
       "image": {"url": "https://anh.example/2026/na-lu.webp", "type": "image/webp", "length": 31337}}
    ]"#;
    let src = write_files(backend.path(), "in", &[("anh.json", json.as_bytes())]);
    let store = backend.open().await;
    let report = import::import_paths(store.as_ref(), &feeds(), &[src], Utc::now()).await;
    assert!(report.is_success(), "{:?}", report.failed);
    let server = TestServer::start(
        &backend,
        &["--no-samples", "--media-dir", media.to_str().unwrap()],
    )
    .await;
    let local = format!("{}/media/2026/cot-moc.jpg", server.url);
    let remote = "https://anh.example/2026/na-lu.webp";

    let (_, rss) = ok(&server, "/feeds/borders.rss").await;
    assert_well_formed(&rss);
    let channel = rss::Channel::read_from(&rss[..]).unwrap();
    let items = channel.items();
    // Measured: the type from the bytes (a PNG_1X1 named .jpg), the length from the file.
    let enclosure = items[0].enclosure().unwrap();
    assert_eq!(
        (enclosure.url(), enclosure.mime_type(), enclosure.length()),
        (
            local.as_str(),
            "image/png",
            PNG_1X1.len().to_string().as_str()
        )
    );
    let enclosure = items[1].enclosure().unwrap();
    assert_eq!(
        (enclosure.url(), enclosure.mime_type(), enclosure.length()),
        (remote, "image/webp", "31337")
    );
    let media_content = &items[1].extensions()["media"]["content"][0];
    assert_eq!(media_content.attrs()["url"], remote);
    assert_eq!(media_content.attrs()["type"], "image/webp");
    assert_eq!(media_content.attrs()["fileSize"], "31337");
    assert_eq!(media_content.attrs()["medium"], "image");

    let (_, atom) = ok(&server, "/feeds/borders.atom").await;
    let feed = atom_syndication::Feed::read_from(&atom[..]).unwrap();
    let enclosures: Vec<(String, Option<String>, Option<String>)> = feed
        .entries()
        .iter()
        .flat_map(|e| e.links().iter().filter(|l| l.rel() == "enclosure"))
        .map(|l| {
            (
                l.href().to_string(),
                l.mime_type().map(str::to_string),
                l.length().map(str::to_string),
            )
        })
        .collect();
    assert_eq!(
        enclosures,
        [
            (
                local.clone(),
                Some("image/png".into()),
                Some(PNG_1X1.len().to_string())
            ),
            (
                remote.to_string(),
                Some("image/webp".into()),
                Some("31337".into())
            ),
        ]
    );

    let (_, json) = ok(&server, "/feeds/borders.json").await;
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(v["items"][0]["image"], local);
    assert_eq!(
        v["items"][0]["attachments"],
        serde_json::json!([{"url": local, "mime_type": "image/png", "size_in_bytes": PNG_1X1.len()}])
    );
    assert_eq!(v["items"][1]["image"], remote);

    // The file is served, with its real type; nothing outside the directory is.
    let (ty, bytes) = ok(&server, "/media/2026/cot-moc.jpg").await;
    assert_eq!((ty.as_str(), bytes.as_slice()), ("image/png", PNG_1X1));
    for bad in [
        "/media/../anh.json",
        "/media/2026/.hidden",
        "/media/2026/none.png",
    ] {
        let status = raw_status(&server.url, "GET", bad).await;
        assert_eq!(status, 404, "{bad}");
    }

    // Measured once: a later render does not read the file again.
    std::fs::write(
        media.join("2026/cot-moc.jpg"),
        [PNG_1X1, &[0u8; 100]].concat(),
    )
    .unwrap();
    let json = r#"{"id": "bai-moi", "title": "Bài mới về biên giới", "published": "2026-11-03T07:00:00+07:00",
        "categories": ["borders"], "body": "Nội dung ngắn."}"#;
    let src = write_files(backend.path(), "in2", &[("moi.json", json.as_bytes())]);
    let report = import::import_paths(store.as_ref(), &feeds(), &[src], Utc::now()).await;
    assert!(report.is_success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let channel = loop {
        let (_, rss) = ok(&server, "/feeds/borders.rss").await;
        let channel = rss::Channel::read_from(&rss[..]).unwrap();
        if channel.items().len() == 3 {
            break channel;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the new article never showed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(
        channel.items()[1].enclosure().unwrap().length(),
        PNG_1X1.len().to_string()
    );
    server.stop().await;
}

async fn pages_show_vietnamese_dates_autodiscovery_and_answer_304(backend: Backend) {
    let json = r#"{"id": "tuan-tra-bien", "title": "Tuần tra đường biên <mùa> lũ",
        "published": "2024-04-22T07:00:00+07:00", "categories": ["borders"],
        "author": "Hoàng Yến", "summary": "Tổ tuần tra vượt suối lũ để kiểm tra cột mốc.",
        "body": "Tổ tuần tra vượt suối lũ để kiểm tra cột mốc.\n\nMọi cột mốc đều nguyên vẹn."}"#;
    let src = write_files(backend.path(), "in", &[("tt.json", json.as_bytes())]);
    let store = backend.open().await;
    let report = import::import_paths(store.as_ref(), &feeds(), &[src], Utc::now()).await;
    assert!(report.is_success(), "{:?}", report.failed);
    let server = TestServer::start(&backend, &["--no-samples", "--site-title", "Báo Thử"]).await;
    let date = "Thứ Hai, 22/04/2024, 07:00 (GMT+7)";

    let alternates = |html: &str, slug: &str| {
        for (ext, ty) in [
            ("rss", "application/rss+xml"),
            ("atom", "application/atom+xml"),
            ("json", "application/feed+json"),
        ] {
            let href = format!("href=\"{}/feeds/{slug}.{ext}\"", server.url);
            assert!(
                html.lines()
                    .any(|l| l.starts_with("<link rel=\"alternate\" type=\"")
                        && l.contains(&format!("type=\"{ty}\""))
                        && l.contains(&href)),
                "{slug}.{ext} autodiscovery"
            );
        }
    };

    let (ty, index) = ok(&server, "/").await;
    assert_eq!(ty, "text/html; charset=utf-8");
    let index = String::from_utf8(index).unwrap();
    for slug in ["all", "borders", "party-affairs", "security"] {
        alternates(&index, slug);
        assert!(index.contains(&format!("href=\"{}/categories/{slug}\"", server.url)));
    }
    assert!(index.contains("<html lang=\"vi\">"));
    assert!(index.contains("name=\"viewport\""));
    assert!(index.contains(&format!(
        "<time datetime=\"2024-04-22T07:00:00+07:00\">{date}</time>"
    )));
    assert!(
        index.contains("Tuần tra đường biên &#60;mùa&#62; lũ")
            || index.contains("Tuần tra đường biên &lt;mùa&gt; lũ")
    );

    let (_, page) = ok(&server, "/categories/borders").await;
    let page = String::from_utf8(page).unwrap();
    alternates(&page, "borders");
    assert!(page.contains("<h1>Biên giới</h1>"));
    assert!(page.contains(&format!(
        "{}/articles/tuan-tra-duong-bien-mua-lu",
        server.url
    )));
    assert!(page.contains(date));
    let (_, empty) = ok(&server, "/categories/security").await;
    assert!(
        String::from_utf8(empty)
            .unwrap()
            .contains("Chưa có bài viết nào.")
    );

    let (_, article) = ok(&server, "/articles/tuan-tra-duong-bien-mua-lu").await;
    let article = String::from_utf8(article).unwrap();
    alternates(&article, "borders");
    assert!(article.contains(&format!(
        "<link rel=\"canonical\" href=\"{}/articles/tuan-tra-duong-bien-mua-lu\">",
        server.url
    )));
    assert!(article.contains(date));
    assert!(article.contains("Hoàng Yến"));
    assert!(article.contains("<p>Mọi cột mốc đều nguyên vẹn.</p>"));
    assert_eq!(
        article.matches("Tổ tuần tra vượt suối lũ").count(),
        1,
        "the summary opens the body: shown once, not twice"
    );

    for page in [&index, &page, &article] {
        assert!(!page.contains("<script"), "no JavaScript");
    }
    // Conditional GET on every page.
    for path in [
        "/",
        "/categories/borders",
        "/articles/tuan-tra-duong-bien-mua-lu",
    ] {
        let first = server.get_with(path, &[]).await;
        let etag = first.headers()[ETAG].to_str().unwrap().to_string();
        let modified = first.headers()[LAST_MODIFIED].to_str().unwrap().to_string();
        let by_etag = server.get_with(path, &[(IF_NONE_MATCH, &etag)]).await;
        assert_eq!(by_etag.status(), StatusCode::NOT_MODIFIED, "{path}");
        let by_date = server
            .get_with(path, &[(IF_MODIFIED_SINCE, &modified)])
            .await;
        assert_eq!(by_date.status(), StatusCode::NOT_MODIFIED, "{path}");
    }
    let moved = server.get_with("/categories/bien-gioi", &[]).await;
    assert_eq!(moved.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(moved.headers()["location"], "/categories/borders");
    assert_eq!(
        server.get_with("/categories/khong-co", &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    server.stop().await;
}
