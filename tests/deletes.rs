//! Deleting through the API: the article leaves every feed, and the Atom feeds it was in
//! carry an RFC 6721 tombstone with the stored deletion time, for the configured days.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::*;
use serde_json::json;
use vnfeed::model::{Draft, article_guid};
use vnfeed::render::atom::TOMBSTONE_NS;

on_both_backends!(
    a_deleted_article_leaves_every_feed_and_its_atom_feeds_carry_a_tombstone,
    tombstones_last_the_configured_number_of_days,
    forgetting_tombstones_bumps_the_revision_only_when_some_went,
);

/// (ref, when) of every `at:deleted-entry` in an Atom feed.
fn tombstones(bytes: &[u8]) -> Vec<(String, String)> {
    assert_well_formed(bytes);
    let text = std::str::from_utf8(bytes).unwrap();
    let doc = roxmltree::Document::parse(text).unwrap();
    doc.descendants()
        .filter(|n| n.tag_name().name() == "deleted-entry")
        .inspect(|n| assert_eq!(n.tag_name().namespace(), Some(TOMBSTONE_NS)))
        .map(|n| {
            (
                n.attribute("ref").unwrap().to_string(),
                n.attribute("when").unwrap().to_string(),
            )
        })
        .collect()
}

fn article(id: &str, title: &str, categories: &[&str]) -> String {
    json!({
        "id": id,
        "title": title,
        "published": "2026-11-24T16:45:00+07:00",
        "body": "Nội dung ngắn để thử việc gỡ bài.",
        "categories": categories,
    })
    .to_string()
}

async fn a_deleted_article_leaves_every_feed_and_its_atom_feeds_carry_a_tombstone(
    backend: Backend,
) {
    let server = TestServer::with_api(&backend, &["--base-url", "https://tin.example"]).await;
    let posted = server
        .api(
            "POST",
            "/api/articles",
            Some(&article("go-01", "Bài sẽ bị gỡ", &["borders", "security"])),
        )
        .await;
    assert_eq!(posted.status, 201);
    let keep = article("giu-01", "Chi bộ họp định kỳ", &["party-affairs"]);
    assert_eq!(
        server
            .api("POST", "/api/articles", Some(&keep))
            .await
            .status,
        201
    );
    let paths = [
        "/feeds/borders.atom",
        "/feeds/security.atom",
        "/feeds/all.atom",
        "/feeds/all.rss",
        "/feeds/borders.rss",
        "/feeds/party-affairs.atom",
    ];
    let mut before = Vec::new();
    for path in paths {
        before.push(fetch(&server, path).await);
    }

    let deleted = server.api("DELETE", "/api/articles/go-01", None).await;
    assert_eq!(deleted.status, 200, "{}", deleted.json);
    assert_eq!(deleted.json["id"], "go-01");
    assert_eq!(deleted.json["guid"], article_guid("go-01"));
    assert_eq!(deleted.json["categories"], json!(["borders", "security"]));
    let when = deleted.json["deleted"].as_str().unwrap().to_string();
    assert!(when.ends_with("+07:00"), "{when}");
    let when_utc: DateTime<Utc> = DateTime::parse_from_rfc3339(&when).unwrap().into();
    let http_when = httpdate::fmt_http_date(when_utc.into());

    let guid = article_guid("go-01");
    for (path, old) in paths.iter().zip(&before) {
        let now = fetch(&server, path).await;
        let feed = parse_feed(&now.2);
        assert!(
            feed.entries
                .iter()
                .all(|e| e.id != guid && !e.id.contains("go-01")),
            "{path} still lists it"
        );
        if path.contains("party-affairs") {
            assert_eq!(now.0, old.0, "{path} was never touched");
            assert!(tombstones(&now.2).is_empty());
            continue;
        }
        assert_ne!(now.0, old.0, "{path}: ETag moved");
        assert_eq!(now.1, http_when, "{path}: Last-Modified is the deletion");
        if path.ends_with(".atom") {
            assert_eq!(
                tombstones(&now.2),
                vec![(guid.clone(), when.clone())],
                "{path}"
            );
        } else {
            assert!(!String::from_utf8_lossy(&now.2).contains("deleted-entry"));
        }
    }

    assert_eq!(
        server.api("GET", "/api/articles/go-01", None).await.status,
        404
    );
    assert_eq!(
        server
            .api("DELETE", "/api/articles/go-01", None)
            .await
            .status,
        404
    );
    let page = server.get_with("/articles/bai-se-bi-go", &[]).await;
    assert_eq!(page.status(), 404);

    // The tombstone is stored, not made up at render time: a restart serves the same bytes.
    let rendered = fetch(&server, "/feeds/borders.atom").await;
    server.stop().await;
    let server = TestServer::with_api(&backend, &["--base-url", "https://tin.example"]).await;
    assert_eq!(fetch(&server, "/feeds/borders.atom").await, rendered);

    // Publishing the id again brings the entry back and retires the tombstone.
    let again = server
        .api(
            "POST",
            "/api/articles",
            Some(&article("go-01", "Bài được đăng lại", &["borders"])),
        )
        .await;
    assert_eq!(again.status, 201);
    let borders = fetch(&server, "/feeds/borders.atom").await;
    assert!(tombstones(&borders.2).is_empty());
    assert_eq!(parse_feed(&borders.2).entries[0].id, guid);
    let security = fetch(&server, "/feeds/security.atom").await;
    assert!(tombstones(&security.2).is_empty());
    server.stop().await;
}

fn draft(id: &str) -> Draft {
    DraftBuilder::new(id, "Tin cũ đã gỡ")
        .summary("Tóm tắt.")
        .body(Vec::new())
        .published_at("2026-09-01T07:00:00+07:00")
        .categories(&["borders"])
        .build()
}

async fn tombstones_last_the_configured_number_of_days(backend: Backend) {
    let deleted_at: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-10-10T09:00:00+07:00")
        .unwrap()
        .into();
    let age = (Utc::now() - deleted_at).num_days();
    assert!(age > 30, "the test assumes a deletion over 30 days old");
    // A store of its own per round: a stopped server's last expiry pass may still be running
    // on the blocking pool and would take the next round's tombstone.
    for (round, (days, kept)) in [(None, false), (Some(age + 10), true)]
        .into_iter()
        .enumerate()
    {
        let backend = backend.fresh(&format!("tombstone-days-{round}")).await;
        {
            let store = backend.open().await;
            store
                .upsert(vec![draft("cu-01")], deleted_at)
                .await
                .unwrap();
            let t = store.delete("cu-01", deleted_at).await.unwrap().unwrap();
            assert_eq!(t.deleted, deleted_at);
            assert_eq!(
                store
                    .tombstones(FeedKey::Category("borders"), 50)
                    .await
                    .unwrap(),
                vec![t]
            );
            assert!(
                store
                    .tombstones(FeedKey::Category("security"), 50)
                    .await
                    .unwrap()
                    .is_empty()
            );
        }
        let days = days.map(|d| d.to_string());
        let mut extra = Vec::new();
        if let Some(d) = &days {
            extra = vec!["--tombstone-days", d.as_str()];
        }
        let server = TestServer::with_api(&backend, &extra).await;
        let feed = fetch(&server, "/feeds/borders.atom").await;
        let expected = if kept {
            vec![(
                article_guid("cu-01"),
                "2026-10-10T09:00:00+07:00".to_string(),
            )]
        } else {
            Vec::new()
        };
        assert_eq!(tombstones(&feed.2), expected, "--tombstone-days {days:?}");
        server.stop().await;
    }
}

async fn forgetting_tombstones_bumps_the_revision_only_when_some_went(backend: Backend) {
    let store = backend.open().await;
    let now = Utc::now();
    store.upsert(vec![draft("a")], now).await.unwrap();
    store.delete("a", now).await.unwrap();
    let revision = store.revision().await.unwrap();
    assert_eq!(
        store
            .forget_tombstones(now - Duration::days(1), now)
            .await
            .unwrap(),
        0
    );
    assert_eq!(store.revision().await.unwrap(), revision);
    assert_eq!(
        store
            .forget_tombstones(now + Duration::seconds(1), now)
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.revision().await.unwrap(), revision + 1);
    assert!(store.tombstones(FeedKey::All, 50).await.unwrap().is_empty());
    assert!(store.delete("a", now).await.unwrap().is_none());
}
