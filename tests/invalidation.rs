//! A write re-renders only the feeds it touched: the store names the categories (and the
//! labels) that changed since a revision, and the cache keeps the other feeds' renders (the
//! very same bytes).

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use common::*;
use vnfeed::cache::FeedCache;
use vnfeed::documents::Documents;
use vnfeed::metrics::Metrics;
use vnfeed::model::{Draft, Format};
use vnfeed::render::Site;
use vnfeed::store::{LabelKey, LabelKind, Store, StoreError};

on_both_backends!(
    the_store_names_the_categories_changed_since_a_revision,
    the_store_names_the_labels_changed_since_a_revision_with_the_categories,
    a_write_renders_again_only_the_feeds_it_touched,
);

fn at(rfc3339: &str) -> DateTime<Utc> {
    rfc3339.parse().unwrap()
}

fn draft(id: &str, title: &str, categories: &[&str]) -> Draft {
    DraftBuilder::new(id, title)
        .author("Thu Trang")
        .categories(categories)
        .build()
}

fn set(items: &[&str]) -> Option<BTreeSet<String>> {
    Some(items.iter().map(|s| s.to_string()).collect())
}

fn labels(items: &[(LabelKind, &str)]) -> Option<BTreeSet<LabelKey>> {
    Some(items.iter().map(|(k, s)| LabelKey::new(*k, *s)).collect())
}

async fn upsert(store: &dyn Store, drafts: Vec<Draft>) -> Result<(), StoreError> {
    store
        .upsert(drafts, at("2026-01-01T00:00:00Z"))
        .await
        .map(|_| ())
}

async fn the_store_names_the_categories_changed_since_a_revision(backend: Backend) {
    let store = backend.open().await;
    let fresh = store.changes_since(-1).await.unwrap();
    assert_eq!(fresh.revision, 0);
    assert_eq!(
        fresh.categories, None,
        "a reader that never rendered renders all"
    );

    upsert(
        store.as_ref(),
        vec![draft("a1", "Công an xã tuần tra đêm", &["security"])],
    )
    .await
    .unwrap();
    let first = store.changes_since(0).await.unwrap();
    assert_eq!(first.revision, 1);
    assert_eq!(first.categories, set(&["security"]));

    // Nothing changed: same revision, nothing named.
    upsert(
        store.as_ref(),
        vec![draft("a1", "Công an xã tuần tra đêm", &["security"])],
    )
    .await
    .unwrap();
    let same = store.changes_since(1).await.unwrap();
    assert_eq!(same.revision, 1);
    assert_eq!(same.categories, set(&[]));

    // Moving an article changes the feed it left as well as the one it entered.
    upsert(
        store.as_ref(),
        vec![draft("a1", "Đồn biên phòng tuần tra đêm", &["borders"])],
    )
    .await
    .unwrap();
    let moved = store.changes_since(1).await.unwrap();
    assert_eq!(moved.revision, 2);
    assert_eq!(moved.categories, set(&["borders", "security"]));

    // An article in no category changes only the `all` feed.
    upsert(
        store.as_ref(),
        vec![draft("a2", "Thời tiết cuối tuần", &[])],
    )
    .await
    .unwrap();
    let uncategorized = store.changes_since(2).await.unwrap();
    assert_eq!(uncategorized.revision, 3);
    assert_eq!(uncategorized.categories, set(&[]));
    // Older revisions still see everything since then, from one snapshot.
    assert_eq!(
        store.changes_since(1).await.unwrap().categories,
        set(&["borders", "security"])
    );
    // A reader ahead of the store (a restored backup) renders everything.
    assert_eq!(store.changes_since(9).await.unwrap().categories, None);

    // A batch that fails rolls back its change marks with it: `a1` may not take the URL
    // `a3` already has, so `a5` is not stored either and no category is marked.
    let url = Some("https://bao.example.vn/bai-a3".to_string());
    let a3 = Draft {
        url: url.clone(),
        ..draft("a3", "Hội nghị cấp ủy quý hai", &["party-affairs"])
    };
    upsert(store.as_ref(), vec![a3]).await.unwrap();
    let before = store.revision().await.unwrap();
    let steals_url = Draft {
        url,
        ..draft("a1", "Đồn biên phòng tuần tra đêm", &["borders"])
    };
    let batch = vec![
        draft("a5", "Bắt đối tượng trộm cắp", &["security"]),
        steals_url,
    ];
    assert!(upsert(store.as_ref(), batch).await.is_err());
    let after = store.changes_since(before).await.unwrap();
    assert_eq!(after.revision, before);
    assert_eq!(after.categories, set(&[]));
    assert!(store.by_id("a5").await.unwrap().is_none());
}

async fn a_write_renders_again_only_the_feeds_it_touched(backend: Backend) {
    let store: Arc<dyn Store> = backend.open().await;
    upsert(
        store.as_ref(),
        vec![
            draft("s1", "Công an phường giữ trật tự lễ hội", &["security"]),
            draft(
                "p1",
                "Chi bộ khu phố sinh hoạt chuyên đề",
                &["party-affairs"],
            ),
            draft("b1", "Cột mốc mới trên đường biên", &["borders"]),
        ],
    )
    .await
    .unwrap();
    let docs = Documents {
        store: Arc::clone(&store),
        feeds: arc(feeds()),
        site: arc(Site::new("http://127.0.0.1:8080", "vnfeed")),
        limit: 50,
        media: None,
    };
    let cache = FeedCache::new(docs, Arc::new(Metrics::new()));
    assert!(cache.refresh().await.unwrap());
    assert!(!cache.refresh().await.unwrap(), "nothing changed");
    let before: Vec<_> = ["all", "security", "party-affairs", "borders"]
        .iter()
        .map(|slug| (*slug, cache.get(slug, Format::Atom).unwrap()))
        .collect();

    upsert(
        store.as_ref(),
        vec![draft(
            "b2",
            "Đồn biên phòng đón đoàn công tác",
            &["borders"],
        )],
    )
    .await
    .unwrap();
    assert!(cache.refresh().await.unwrap());
    for (slug, old) in before {
        let new = cache.get(slug, Format::Atom).unwrap();
        let reused = Arc::ptr_eq(&old, &new);
        match slug {
            "all" | "borders" => {
                assert!(!reused, "{slug} is rendered again");
                assert_ne!(old.identity.etag, new.identity.etag, "{slug}");
                let feed = feed_rs::parser::parse(&new.identity.body[..]).unwrap();
                let titles: Vec<_> = feed
                    .entries
                    .iter()
                    .map(|e| e.title.as_ref().unwrap().content.clone())
                    .collect();
                assert!(
                    titles.contains(&"Đồn biên phòng đón đoàn công tác".to_string()),
                    "{slug}: {titles:?}"
                );
            }
            _ => assert!(reused, "{slug} is untouched: its render is kept as it was"),
        }
    }
    assert_eq!(cache.revision(), store.revision().await.unwrap());
}

/// The labels (authors, tags) a write touched come with its categories in one `Changes`,
/// read from one snapshot: the old and the new labels of an article written, none for a
/// write that changed nothing or an article with no labels.
async fn the_store_names_the_labels_changed_since_a_revision_with_the_categories(backend: Backend) {
    let store = backend.open().await;
    let fresh = store.changes_since(-1).await.unwrap();
    assert_eq!(
        (fresh.categories, fresh.labels),
        (None, None),
        "a reader that never rendered renders all"
    );

    let a1 = DraftBuilder::new("a1", "Tuần tra trên biển")
        .author("Thu Trang")
        .tags(&["Biển Đông"])
        .categories(&["borders"])
        .build();
    upsert(store.as_ref(), vec![a1.clone()]).await.unwrap();
    let first = store.changes_since(0).await.unwrap();
    assert_eq!(first.revision, 1);
    assert_eq!(first.categories, set(&["borders"]));
    assert_eq!(
        first.labels,
        labels(&[
            (LabelKind::Author, "thu-trang"),
            (LabelKind::Tag, "bien-dong")
        ])
    );

    // Nothing changed: nothing named.
    upsert(store.as_ref(), vec![a1]).await.unwrap();
    let same = store.changes_since(1).await.unwrap();
    assert_eq!((same.revision, same.labels), (1, labels(&[])));

    // A new tag: the article's labels before and after the write.
    let retagged = DraftBuilder::new("a1", "Tuần tra trên biển")
        .author("Thu Trang")
        .tags(&["Trường Sa"])
        .categories(&["borders"])
        .build();
    upsert(store.as_ref(), vec![retagged]).await.unwrap();
    let moved = store.changes_since(1).await.unwrap();
    assert_eq!(moved.revision, 2);
    assert_eq!(moved.categories, set(&["borders"]));
    assert_eq!(
        moved.labels,
        labels(&[
            (LabelKind::Author, "thu-trang"),
            (LabelKind::Tag, "bien-dong"),
            (LabelKind::Tag, "truong-sa"),
        ])
    );

    // An article with no labels names none.
    let plain = DraftBuilder::new("a2", "Thời tiết cuối tuần").build();
    upsert(store.as_ref(), vec![plain]).await.unwrap();
    let unlabelled = store.changes_since(2).await.unwrap();
    assert_eq!((unlabelled.revision, unlabelled.labels), (3, labels(&[])));
    // A reader ahead of the store (a restored backup) renders every label's documents.
    assert_eq!(store.changes_since(9).await.unwrap().labels, None);
}
