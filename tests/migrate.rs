//! `vnfeed migrate` as a user runs it: an SQLite store moved to PostgreSQL (and back) keeps
//! every article exactly as stored (slugs fixed at first insert, `updated`, content hashes,
//! tombstones), so the feeds render to the same bytes and re-importing the same files
//! changes nothing; the count check catches a target that held something else.

mod common;

use chrono::{DateTime, Utc};
use common::*;
use vnfeed::import;
use vnfeed::model::Format;
use vnfeed::store::{LabelKey, LabelKind, MigrateStore, StoredArticle};

async fn everything(store: &dyn MigrateStore) -> Vec<StoredArticle> {
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
    let source = lite.open_for_copy().await;
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
    let mut edited = source
        .latest(FeedKey::Category("borders"), 1)
        .await
        .unwrap()[0]
        .clone();
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
        categorized: vnfeed::model::Categorized::ByRules,
        url: edited.url.clone(),
        image: edited.image.clone(),
        tags: vec!["biên giới mới".into(), "cột mốc".into()],
    };
    let later: DateTime<Utc> = "2026-11-21T03:00:00Z".parse().unwrap();
    edited = source.upsert(vec![draft], later).await.unwrap()[0]
        .article
        .clone();
    assert_eq!(edited.slug, old_slug);
    let gone = source
        .latest(FeedKey::Category("security"), 1)
        .await
        .unwrap()[0]
        .id
        .clone();
    source.delete(&gone, later).await.unwrap().unwrap();
    let articles = source.count_stored().await.unwrap();
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

    let (source, target) = (lite.open_for_copy().await, pg.open_for_copy().await);
    let copied = everything(target.as_ref()).await;
    assert_eq!(
        everything(source.as_ref()).await,
        copied,
        "every row, slug, instant and content hash"
    );
    // Who chose the categories goes with each article (issue 16): the samples have both.
    let explicit = copied.iter().filter(|a| a.row.categories_explicit).count();
    assert!(
        explicit > 0 && explicit < copied.len(),
        "{explicit} of {}",
        copied.len()
    );
    assert_eq!(
        source.tombstones(FeedKey::All, 10).await.unwrap(),
        target.tombstones(FeedKey::All, 10).await.unwrap()
    );
    // Tags and authors came along, and the label index with them.
    let author = vnfeed::vietnamese::slug::slugify(edited.author.as_deref().unwrap());
    for label in [
        LabelKey::new(LabelKind::Tag, "cot-moc"),
        LabelKey::new(LabelKind::Author, author),
    ] {
        let there = target.labelled(&label, 50).await.unwrap();
        assert!(there.iter().any(|a| a.id == edited.id), "{label:?}");
        assert_eq!(
            source.labelled(&label, 50).await.unwrap(),
            there,
            "{label:?}"
        );
    }
    assert_eq!(
        target.by_slug(&old_slug).await.unwrap().unwrap().title,
        "Tiêu đề mới sau khi biên tập"
    );
    assert_eq!(renders(&lite.location), renders(&pg.location), "same bytes");
    assert_same_history(source.as_ref(), target.as_ref()).await;
    // The archive shows the article once, as edited (it no longer keeps a copy per edit).
    let mut titles = Vec::new();
    for number in 1..=target
        .archive_count(FeedKey::Category("borders"))
        .await
        .unwrap()
    {
        let page = target
            .archive(FeedKey::Category("borders"), number)
            .await
            .unwrap()
            .unwrap();
        titles.extend(
            page.articles
                .into_iter()
                .filter(|a| a.id == edited.id)
                .map(|a| a.title),
        );
    }
    assert_ne!(old_title, edited.title);
    assert_eq!(titles, [edited.title.clone()]);

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
    let back_store = back.open_for_copy().await;
    assert_eq!(
        everything(target.as_ref()).await,
        everything(back_store.as_ref()).await
    );
    assert_same_history(target.as_ref(), back_store.as_ref()).await;
}

/// Every feed's history has the same archive pages, each with the same entries in the same
/// order and the same Last-Modified, and the stored pages and entries are the same.
async fn assert_same_history(a: &dyn MigrateStore, b: &dyn MigrateStore) {
    for feed in [
        FeedKey::All,
        FeedKey::Category("security"),
        FeedKey::Category("party-affairs"),
        FeedKey::Category("borders"),
    ] {
        let newest = a.archive_count(feed).await.unwrap();
        assert!(newest > 0, "{feed:?}");
        assert_eq!(newest, b.archive_count(feed).await.unwrap(), "{feed:?}");
        for number in 1..=newest {
            let (x, y) = (
                a.archive(feed, number).await.unwrap(),
                b.archive(feed, number).await.unwrap(),
            );
            assert_eq!(x, y, "{feed:?} page {number}");
        }
    }
    let pages = a.export_pages(None, 1000).await.unwrap();
    assert!(!pages.is_empty());
    assert_eq!(pages, b.export_pages(None, 1000).await.unwrap());
    let entries = a.export_history(None, 10_000).await.unwrap();
    assert_eq!(entries, b.export_history(None, 10_000).await.unwrap());
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
        lite.open_for_copy().await.as_ref(),
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
    let report =
        import::import_paths(pg.open_for_copy().await.as_ref(), &feeds, &[extra], now).await;
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
