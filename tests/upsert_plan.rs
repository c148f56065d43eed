//! Issue 14: the upsert decisions are one pure plan (`vnfeed_store::plan`) that both
//! backends execute. The same drafts go to a real SQLite file and a real PostgreSQL database,
//! step by step: at each step both backends must plan the same thing, and the writes must
//! give the same outcome, the same article (or the same refusal). At the end both stores
//! must hold the same articles, tombstones, histories and revision, so they cannot drift.

mod common;

use chrono::{DateTime, Utc};
use common::*;
use vnfeed::model::{Article, Categorized, Draft};
use vnfeed::store::plan::Plan;
use vnfeed::store::{MigrateStore, Outcome, PostgresStore, SqliteStore, Store};

struct Pair {
    lite: SqliteStore,
    pg: PostgresStore,
}

/// What a write gave, comparable across backends.
type Written = Result<Vec<(Outcome, Article)>, String>;

impl Pair {
    /// Plans `draft` on both backends, checks the plans agree, then writes it on both and
    /// checks the results agree and follow the plan. Returns the plan.
    async fn step(&self, label: &str, draft: Draft, now: DateTime<Utc>) -> Result<Plan, String> {
        let planned = self.lite.plan(&draft, now).await.map_err(|e| e.to_string());
        let planned_pg = self.pg.plan(&draft, now).await.map_err(|e| e.to_string());
        assert_eq!(planned, planned_pg, "{label}: the backends plan alike");
        let written = self.write(label, vec![draft], now).await;
        match (&planned, &written) {
            (Ok(Plan::Unchanged { id, .. }), Ok(w)) => {
                assert_eq!((w[0].0, &w[0].1.id), (Outcome::Unchanged, id), "{label}")
            }
            (Ok(Plan::Write(plan)), Ok(w)) => {
                assert_eq!((w[0].0, &w[0].1.id), (plan.outcome, &plan.id), "{label}");
                assert_eq!(w[0].1.updated.timestamp(), plan.updated, "{label}");
            }
            (Err(planned), Err(refused)) => assert_eq!(planned, refused, "{label}"),
            _ => panic!("{label}: planned {planned:?}, wrote {written:?}"),
        }
        planned
    }

    /// Writes `drafts` as one batch on both backends; the results must agree.
    async fn write(&self, label: &str, drafts: Vec<Draft>, now: DateTime<Utc>) -> Written {
        fn comparable(
            r: Result<Vec<vnfeed::store::Upserted>, vnfeed::store::StoreError>,
        ) -> Written {
            r.map(|v| v.into_iter().map(|u| (u.outcome, u.article)).collect())
                .map_err(|e| e.to_string())
        }
        let lite = comparable(self.lite.upsert(drafts.clone(), now).await);
        let pg = comparable(self.pg.upsert(drafts, now).await);
        assert_eq!(lite, pg, "{label}: the backends write alike");
        lite
    }

    async fn delete(&self, id: &str, now: DateTime<Utc>) {
        let lite = self.lite.delete(id, now).await.unwrap();
        assert!(lite.is_some(), "{id} was stored");
        assert_eq!(lite, self.pg.delete(id, now).await.unwrap());
    }
}

fn written(plan: &Result<Plan, String>) -> &vnfeed::store::plan::Write {
    match plan {
        Ok(Plan::Write(w)) => w,
        other => panic!("expected a write, planned {other:?}"),
    }
}

fn draft(id: &str, title: &str, url: &str) -> Draft {
    DraftBuilder::new(id, title)
        .published_at("2025-03-01T01:00:00Z")
        .categories(&["borders"])
        .url(url)
        .build()
}

#[tokio::test]
async fn both_backends_plan_and_write_the_same_sequence_of_drafts_alike() {
    let Some(pg) = Backend::postgres("upsert_plan::same_sequence").await else {
        return;
    };
    let lite = Backend::sqlite();
    let pair = Pair {
        lite: SqliteStore::open(std::path::Path::new(&lite.location)).unwrap(),
        pg: PostgresStore::connect(&pg.location).await.unwrap(),
    };
    let now = at("2025-03-02T00:00:00Z");
    let later = at("2025-03-03T00:00:00Z");
    let (u1, u2) = ("https://bao.example/a", "https://bao.example/b");

    let new = pair
        .step("new", draft("a", "Tuần tra biên giới", u1), now)
        .await;
    let plan = written(&new);
    assert_eq!(plan.outcome, Outcome::Created);
    assert_eq!(
        plan.slug, None,
        "a new article's slug is picked by the backend"
    );
    assert!(plan.retire_tombstone && !plan.leave_history);

    let again = pair
        .step("same again", draft("a", "Tuần tra biên giới", u1), later)
        .await;
    assert_eq!(
        again,
        Ok(Plan::Unchanged {
            id: "a".into(),
            categorized: None
        })
    );

    // The same content, its categories now named by the source: only that flag is written.
    let named = DraftBuilder::from(draft("a", "Tuần tra biên giới", u1))
        .categorized(Categorized::Explicitly)
        .build();
    let revision = pair.lite.revision().await.unwrap();
    let flagged = pair.step("now named by the source", named, later).await;
    assert_eq!(
        flagged,
        Ok(Plan::Unchanged {
            id: "a".into(),
            categorized: Some(Categorized::Explicitly)
        })
    );
    let stored = pair.pg.by_id("a").await.unwrap().unwrap();
    assert_eq!(stored.categorized, Categorized::Explicitly);
    assert_eq!(
        pair.lite.revision().await.unwrap(),
        revision,
        "no feed changed"
    );

    let edit = pair
        .step(
            "edit by id",
            draft("a", "Tuần tra biên giới (sửa)", u1),
            later,
        )
        .await;
    let plan = written(&edit);
    assert_eq!((plan.outcome, plan.id.as_str()), (Outcome::Updated, "a"));
    assert_eq!(
        plan.slug.as_deref(),
        Some("tuan-tra-bien-gioi"),
        "slugs stay"
    );
    assert!(plan.leave_history && !plan.retire_tombstone);

    let by_url = pair
        .step(
            "edit matched by URL",
            draft("cms-9", "Tuần tra, bản cuối", u1),
            later,
        )
        .await;
    let plan = written(&by_url);
    assert_eq!((plan.outcome, plan.id.as_str()), (Outcome::Updated, "a"));

    let other = pair
        .step("another new", draft("b", "Cột mốc 1116", u2), later)
        .await;
    assert_eq!(written(&other).outcome, Outcome::Created);

    let conflict = pair
        .step(
            "URL of another article",
            draft("b", "Cột mốc 1116", u1),
            later,
        )
        .await;
    let refused = conflict.expect_err("a URL held by another article is refused");
    assert!(
        refused.contains("is already the URL of article `a`"),
        "{refused}"
    );

    // A batch whose second draft conflicts writes nothing, on both.
    let batch = vec![
        draft("c", "Bài sẽ không được lưu", "https://bao.example/c"),
        draft("b", "Cột mốc 1116", u1),
    ];
    assert!(pair.write("failing batch", batch, later).await.is_err());
    assert!(pair.lite.by_id("c").await.unwrap().is_none());
    assert!(pair.pg.by_id("c").await.unwrap().is_none());

    pair.delete("a", later).await;
    let republished = pair
        .step(
            "re-publish after delete",
            draft("a", "Tuần tra biên giới", u1),
            later,
        )
        .await;
    let plan = written(&republished);
    assert_eq!(plan.outcome, Outcome::Created);
    assert!(plan.retire_tombstone, "re-publishing retires the tombstone");

    // Everything readers and a copy see is the same on both.
    let (l, p) = (&pair.lite, &pair.pg);
    assert_eq!(
        l.latest(FeedKey::All, 50).await.unwrap(),
        p.latest(FeedKey::All, 50).await.unwrap()
    );
    assert!(l.tombstones(FeedKey::All, 50).await.unwrap().is_empty());
    assert!(p.tombstones(FeedKey::All, 50).await.unwrap().is_empty());
    assert_eq!(l.revision().await.unwrap(), p.revision().await.unwrap());
    assert_eq!(l.count_stored().await.unwrap(), 2);
    assert_eq!(p.count_stored().await.unwrap(), 2);
    assert_eq!(
        l.export_history(None, 100).await.unwrap(),
        p.export_history(None, 100).await.unwrap()
    );
    assert_eq!(
        l.export_pages(None, 100).await.unwrap(),
        p.export_pages(None, 100).await.unwrap()
    );
}
