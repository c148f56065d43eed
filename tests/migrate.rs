//! `vnfeed migrate` as a user runs it: an SQLite store moved to PostgreSQL (and back) keeps
//! every article exactly as stored (slugs fixed at first insert, `updated`, content hashes,
//! tombstones), so the feeds render to the same bytes and re-importing the same files
//! changes nothing; the count check catches a target that held something else.

mod common;

use chrono::{DateTime, Utc};
use common::*;
use vnfeed::import;
use vnfeed::model::Format;
use vnfeed::store::{Store, StoredArticle};

async fn everything(store: &dyn Store) -> Vec<StoredArticle> {
    let mut all = Vec::new();
    loop {
        let after = all.last().map(|a: &StoredArticle| a.row.id.clone());
        let page = store.export(after.as_deref(), 7).await.unwrap();
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}

/// Every feed in both formats, as `vnfeed render` prints it.
fn renders(store: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for feed in ["all", "security", "party-affairs", "borders"] {
        for format in Format::ALL {
            let run = vnfeed(&[
                "render",
                "--store",
                store,
                "--feed",
                feed,
                "--format",
                format.extension(),
            ]);
            assert!(run.status.success(), "{}", stderr(&run));
            out.push(run.stdout);
        }
    }
    out
}

#[tokio::test]
async fn an_sqlite_store_moves_to_postgresql_and_back_exactly_as_stored() {
    let Some(pg) = Backend::postgres("migrate::sqlite_to_postgresql").await else {
        return;
    };
    let lite = Backend::sqlite();
    let source = lite.open().await;
    let feeds = feeds();
    let first: DateTime<Utc> = "2026-11-20T03:00:00Z".parse().unwrap();
    let samples = repo().join("samples");
    let report = import::import_paths(
        source.as_ref(),
        &feeds,
        std::slice::from_ref(&samples),
        first,
    )
    .await;
    assert!(report.is_success(), "{:?}", report.failed);
    // An edit (the slug stays the first title's, `updated` moves) and a delete (a
    // tombstone): state a fresh import could not reproduce.
    let mut edited = source.latest(Some("borders"), 1).await.unwrap()[0].clone();
    let (old_slug, old_title) = (edited.slug.clone(), edited.title.clone());
    let draft = vnfeed::model::Draft {
        id: edited.id.clone(),
        title: "Tiêu đề mới sau khi biên tập".into(),
        summary: edited.summary.clone(),
        body: edited.body.clone(),
        author: edited.author.clone(),
        published: edited.published,
        updated: None,
        categories: edited.categories.clone(),
        url: edited.url.clone(),
        image: edited.image.clone(),
    };
    let later: DateTime<Utc> = "2026-11-21T03:00:00Z".parse().unwrap();
    edited = source.upsert(vec![draft], later).await.unwrap()[0]
        .article
        .clone();
    assert_eq!(edited.slug, old_slug);
    let gone = source.latest(Some("security"), 1).await.unwrap()[0]
        .id
        .clone();
    source.delete(&gone, later).await.unwrap().unwrap();
    let articles = source.count().await.unwrap();
    drop(source);

    let from = format!("sqlite:{}", lite.location);
    let run = vnfeed(&["migrate", "--from", &from, "--to", &pg.location]);
    assert!(run.status.success(), "{}", stderr(&run));
    let said = stderr(&run);
    assert!(
        said.contains(&format!("migrated {articles} articles, 1 tombstones and ")),
        "{said}"
    );
    assert!(
        said.contains("history entries; count check passed"),
        "{said}"
    );

    let (source, target) = (lite.open().await, pg.open().await);
    assert_eq!(
        everything(source.as_ref()).await,
        everything(target.as_ref()).await,
        "every row, slug, instant and content hash"
    );
    assert_eq!(
        source.tombstones(None, 10).await.unwrap(),
        target.tombstones(None, 10).await.unwrap()
    );
    assert_eq!(
        target.by_slug(&old_slug).await.unwrap().unwrap().title,
        "Tiêu đề mới sau khi biên tập"
    );
    assert_eq!(renders(&lite.location), renders(&pg.location), "same bytes");
    assert_same_history(source.as_ref(), target.as_ref()).await;
    // The archive shows the article as it was first recorded, then as edited.
    let borders = target.history_len(Some("borders")).await.unwrap();
    let titles: Vec<String> = target
        .history(Some("borders"), 0, borders)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.id == edited.id)
        .map(|a| a.title)
        .collect();
    assert_eq!(titles, [old_title, edited.title.clone()]);

    // The hashes came along: the same files are still the same articles.
    let revision = target.revision().await.unwrap();
    let again = import::import_paths(target.as_ref(), &feeds, &[samples], later).await;
    assert_eq!((again.created, again.updated), (1, 1), "{again:?}");
    assert_eq!(
        again.unchanged as u64,
        articles - 1,
        "only the edited and the deleted sample differ from their files"
    );
    assert!(target.revision().await.unwrap() > revision);

    // Back again, into a fresh SQLite file.
    let back = Backend::sqlite();
    let to = format!("sqlite:{}", back.location);
    let run = vnfeed(&["migrate", "--from", &pg.location, "--to", &to]);
    assert!(run.status.success(), "{}", stderr(&run));
    let back_store = back.open().await;
    assert_eq!(
        everything(target.as_ref()).await,
        everything(back_store.as_ref()).await
    );
    assert_same_history(target.as_ref(), back_store.as_ref()).await;
}

/// Every feed's history (what its archive pages are cut from) has the same entries, in the
/// same positions, showing the same versions of the articles.
async fn assert_same_history(a: &dyn Store, b: &dyn Store) {
    for feed in [
        None,
        Some("security"),
        Some("party-affairs"),
        Some("borders"),
    ] {
        let len = a.history_len(feed).await.unwrap();
        assert!(len > 0, "{feed:?}");
        assert_eq!(len, b.history_len(feed).await.unwrap(), "{feed:?}");
        let (x, y) = (
            a.history(feed, 0, len).await.unwrap(),
            b.history(feed, 0, len).await.unwrap(),
        );
        assert_eq!(x, y, "{feed:?}");
    }
    let versions = a.export_versions(None, 100).await.unwrap();
    assert!(!versions.is_empty(), "the edit froze a version");
    assert_eq!(versions, b.export_versions(None, 100).await.unwrap());
}

#[tokio::test]
async fn the_count_check_fails_when_the_target_held_other_articles() {
    let Some(pg) = Backend::postgres("migrate::count_check").await else {
        return;
    };
    let lite = Backend::sqlite();
    let now: DateTime<Utc> = "2026-11-20T03:00:00Z".parse().unwrap();
    let feeds = feeds();
    import::import_sources(
        lite.open().await.as_ref(),
        &feeds,
        &vnfeed::samples::sources(),
        now,
    )
    .await;
    let extra = write_files(
        pg.path(),
        "extra",
        &[(
            "rieng.txt",
            "Bài chỉ có ở kho đích\n\n07:00 01/11/2026\n\nMột đoạn văn.\n".as_bytes(),
        )],
    );
    let report = import::import_paths(pg.open().await.as_ref(), &feeds, &[extra], now).await;
    assert_eq!(report.created, 1);

    let run = vnfeed(&["migrate", "--from", &lite.location, "--to", &pg.location]);
    assert!(!run.status.success());
    let err = stderr(&run);
    assert!(err.contains("count check failed"), "{err}");
    assert!(
        err.contains("did the target hold other articles before"),
        "{err}"
    );

    let same = vnfeed(&["migrate", "--from", &lite.location, "--to", &lite.location]);
    assert!(!same.status.success());
    assert!(
        stderr(&same).contains("name the same store"),
        "{}",
        stderr(&same)
    );
}
