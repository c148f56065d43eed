//! The `Store` contract, checked on every backend with the same code: matching by id then
//! URL, slugs fixed at first insert and made unique, `updated` moving forward, newest-first
//! order with a byte-order id tie-break, the revision counter, concurrent writers, and a
//! failed batch leaving nothing behind.

mod common;

use chrono::{DateTime, Utc};
use common::*;
use vnfeed::model::Draft;
use vnfeed::store::{Outcome, StoreError};

on_both_backends!(
    slugs_are_unique_and_fixed_at_first_insert,
    a_draft_is_matched_by_id_then_by_url,
    order_is_newest_first_with_a_byte_order_id_tie_break,
    the_revision_moves_only_when_something_changed,
    concurrent_writers_from_two_handles_agree,
    a_batch_that_fails_writes_nothing_and_the_next_continues_the_history,
);

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn draft(id: &str, title: &str, published: &str) -> Draft {
    DraftBuilder::new(id, title)
        .summary(format!("Tóm tắt của {title}."))
        .paragraph(format!("Nội dung bài {title}."))
        .author("Lan Chi")
        .published(at(published))
        .categories(&["borders"])
        .build()
}

const NOW: &str = "2026-11-20T03:00:00Z";

async fn slugs_are_unique_and_fixed_at_first_insert(backend: Backend) {
    let store = backend.open().await;
    let title = "Tuần tra đường biên ở Lũng Cú";
    let first = store
        .upsert(
            vec![
                draft("a", title, "2025-01-01T00:00:00Z"),
                draft("b", title, "2025-01-02T00:00:00Z"),
            ],
            at(NOW),
        )
        .await
        .unwrap();
    let slugs: Vec<&str> = first.iter().map(|u| u.article.slug.as_str()).collect();
    assert_eq!(
        slugs,
        [
            "tuan-tra-duong-bien-o-lung-cu",
            "tuan-tra-duong-bien-o-lung-cu-2"
        ]
    );
    let third = store
        .upsert(vec![draft("c", title, "2025-01-03T00:00:00Z")], at(NOW))
        .await
        .unwrap();
    assert_eq!(third[0].article.slug, "tuan-tra-duong-bien-o-lung-cu-3");

    let mut retitled = draft("a", "Tiêu đề đã sửa", "2025-01-01T00:00:00Z");
    retitled.summary = "Đã sửa.".to_string();
    let edit = store.upsert(vec![retitled], at(NOW)).await.unwrap();
    assert_eq!(edit[0].outcome, Outcome::Updated);
    assert_eq!(
        edit[0].article.slug, "tuan-tra-duong-bien-o-lung-cu",
        "links survive a new title"
    );
    assert_eq!(edit[0].article.title, "Tiêu đề đã sửa");
    assert_eq!(edit[0].article.updated, at(NOW));
    let by_slug = store
        .by_slug("tuan-tra-duong-bien-o-lung-cu-2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_slug.id, "b");
}

async fn a_draft_is_matched_by_id_then_by_url(backend: Backend) {
    let store = backend.open_for_copy().await;
    let mut original = draft(
        "cms-1",
        "Chợ biên giới Tà Lùng mở lại",
        "2025-02-01T01:00:00Z",
    );
    original.url = Some("https://bao.example/cho-ta-lung".to_string());
    store.upsert(vec![original.clone()], at(NOW)).await.unwrap();

    // The same URL under another id (a feed that lost the CMS id): the same article.
    let mut by_url = original.clone();
    by_url.id = "https://bao.example/cho-ta-lung".to_string();
    by_url.summary = "Tóm tắt mới.".to_string();
    let later = at("2026-11-21T00:00:00Z");
    let done = store.upsert(vec![by_url], later).await.unwrap();
    assert_eq!(done[0].outcome, Outcome::Updated);
    assert_eq!(done[0].article.id, "cms-1", "the stored id is kept");
    assert_eq!(done[0].article.updated, later);
    assert_eq!(store.count_stored().await.unwrap(), 1);

    // An edit whose clock is behind the stored `updated` still moves it forward.
    let mut stale = original.clone();
    stale.summary = "Sửa lần nữa.".to_string();
    stale.updated = Some(at("2025-02-01T01:00:00Z"));
    let done = store.upsert(vec![stale], later).await.unwrap();
    assert_eq!(done[0].article.updated, at("2026-11-21T00:00:01Z"));

    let unchanged = store.upsert(vec![original.clone()], at(NOW)).await.unwrap();
    assert_eq!(
        unchanged[0].outcome,
        Outcome::Updated,
        "back to the first text"
    );
    let again = store.upsert(vec![original], at(NOW)).await.unwrap();
    assert_eq!(again[0].outcome, Outcome::Unchanged);
}

async fn order_is_newest_first_with_a_byte_order_id_tie_break(backend: Backend) {
    let store = backend.open().await;
    let same = "2025-03-01T02:00:00Z";
    // Ids a locale-aware collation would order differently from byte order: upper case
    // before lower, digits before letters, and a non-ASCII letter last.
    let ids = ["b-tin", "B-tin", "a-tin", "9-tin", "đ-tin", "a-tin-2"];
    let drafts = ids
        .iter()
        .enumerate()
        .map(|(i, id)| draft(id, &format!("Tin số {i}"), same))
        .chain([draft("newest", "Tin mới nhất", "2025-03-02T00:00:00Z")])
        .collect();
    store.upsert(drafts, at(NOW)).await.unwrap();
    let got: Vec<String> = store
        .latest(FeedKey::All, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(
        got,
        [
            "newest", "đ-tin", "b-tin", "a-tin-2", "a-tin", "B-tin", "9-tin"
        ]
    );
    let in_category: Vec<String> = store
        .latest(FeedKey::Category("borders"), 3)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(in_category, ["newest", "đ-tin", "b-tin"]);
    assert!(
        store
            .latest(FeedKey::Category("security"), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn the_revision_moves_only_when_something_changed(backend: Backend) {
    let store = backend.open().await;
    let start = store.revision().await.unwrap();
    let d = draft("r-1", "Hội nghị biên phòng", "2025-04-01T00:00:00Z");
    store.upsert(vec![d.clone()], at(NOW)).await.unwrap();
    let after_insert = store.revision().await.unwrap();
    assert!(after_insert > start);
    store.upsert(vec![d.clone()], at(NOW)).await.unwrap();
    assert_eq!(store.revision().await.unwrap(), after_insert);
    let other_handle = backend.open().await;
    let mut edited = d;
    edited.author = Some("Minh Anh".to_string());
    other_handle.upsert(vec![edited], at(NOW)).await.unwrap();
    assert!(
        store.revision().await.unwrap() > after_insert,
        "a write through another handle is seen"
    );
}

async fn concurrent_writers_from_two_handles_agree(backend: Backend) {
    // Two replicas writing at once: the same new articles (same title, so the same slug
    // candidates) from both sides. Neither may fail, and the result is one article per id.
    let a = backend.open_for_copy().await;
    let b = backend.open().await;
    let batch: Vec<Draft> = (0..20)
        .map(|i| {
            draft(
                &format!("dong-thoi-{i:02}"),
                "Tin viết cùng lúc",
                "2025-05-01T00:00:00Z",
            )
        })
        .collect();
    let (ra, rb) = tokio::join!(
        a.upsert(batch.clone(), at(NOW)),
        b.upsert(batch.iter().rev().cloned().collect(), at(NOW))
    );
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    let created = ra
        .iter()
        .chain(&rb)
        .filter(|u| u.outcome == Outcome::Created)
        .count();
    assert_eq!(created, 20, "each article created once");
    assert_eq!(a.count_stored().await.unwrap(), 20);
    let mut slugs: Vec<String> = a
        .latest(FeedKey::All, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.slug)
        .collect();
    slugs.sort();
    slugs.dedup();
    assert_eq!(slugs.len(), 20, "slugs stay unique");
}

async fn a_batch_that_fails_writes_nothing_and_the_next_continues_the_history(backend: Backend) {
    let store = backend.open_for_copy().await;
    let mut owner = draft("chu-url", "Bài giữ địa chỉ", "2025-03-01T00:00:00Z");
    owner.url = Some("https://bao.example/giu".to_string());
    store.upsert(vec![owner], at(NOW)).await.unwrap();
    let revision = store.revision().await.unwrap();
    assert_eq!(history_ids(store.as_ref(), FeedKey::All).await, ["chu-url"]);
    assert_eq!(
        history_ids(store.as_ref(), FeedKey::Category("borders")).await,
        ["chu-url"]
    );

    // Two new articles, then one matched by id whose URL is the first article's: the
    // third fails, so the batch's whole transaction goes, the first two included.
    store
        .upsert(
            vec![draft(
                "doi-url",
                "Bài sẽ đổi địa chỉ",
                "2025-03-02T00:00:00Z",
            )],
            at(NOW),
        )
        .await
        .unwrap();
    let revision = revision + 1;
    let mut clash = draft("doi-url", "Bài sẽ đổi địa chỉ", "2025-03-02T00:00:00Z");
    clash.url = Some("https://bao.example/giu".to_string());
    let batch = vec![
        draft("moi-1", "Tin mới một", "2025-03-03T00:00:00Z"),
        draft("moi-2", "Tin mới hai", "2025-03-04T00:00:00Z"),
        clash,
    ];
    let failed = store.upsert(batch, at(NOW)).await;
    assert!(
        matches!(failed, Err(StoreError::Conflict { field: "url", .. })),
        "{failed:?}"
    );
    assert_eq!(
        store.count_stored().await.unwrap(),
        2,
        "nothing half-written"
    );
    assert!(store.by_id("moi-1").await.unwrap().is_none());
    assert_eq!(store.revision().await.unwrap(), revision);
    for feed in [FeedKey::All, FeedKey::Category("borders")] {
        let ids = history_ids(store.as_ref(), feed).await;
        assert_eq!(ids, ["chu-url", "doi-url"], "{feed:?}");
    }

    // The next batch numbers its history entries on from what is stored: no gap where
    // the failed batch's entries would have been, every entry readable.
    store
        .upsert(
            vec![
                draft("moi-1", "Tin mới một", "2025-03-03T00:00:00Z"),
                draft("moi-2", "Tin mới hai", "2025-03-04T00:00:00Z"),
            ],
            at(NOW),
        )
        .await
        .unwrap();
    for feed in [FeedKey::All, FeedKey::Category("borders")] {
        assert_eq!(store.archive_count(feed).await.unwrap(), 1);
        let ids = history_ids(store.as_ref(), feed).await;
        assert_eq!(ids, ["chu-url", "doi-url", "moi-1", "moi-2"], "{feed:?}");
    }
}

/// The ids on a feed's first archive page, oldest entry first.
async fn history_ids(store: &dyn vnfeed::store::Store, feed: FeedKey<'_>) -> Vec<String> {
    let page = store.archive(feed, 1).await.unwrap().unwrap();
    page.articles.into_iter().map(|a| a.id).collect()
}
