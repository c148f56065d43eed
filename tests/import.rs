//! Import into a real SQLite store: the text layout, JSON, encodings, classification,
//! idempotence, bad input, and a store that cannot take the writes.

mod common;

use chrono::{DateTime, Utc};
use common::*;
use vnfeed::import::{self, ImportError};
use vnfeed::model::Block;
use vnfeed::vietnamese::dateline::{rfc822, rfc3339};

on_both_backends!(
    two_files_with_one_id_are_reported_not_merged,
    text_layout_fields_are_stored_as_written,
    reimport_is_idempotent_and_an_edit_updates_the_same_article,
    encodings_are_decoded_and_normalized,
    categories_keep_diacritics_and_ignore_tone_placement,
    bad_files_are_reported_with_path_and_line_and_the_rest_imported,
    json_articles_with_explicit_categories_aliases_and_errors,
    the_shipped_samples_fill_every_category,
    a_batch_parsed_on_several_threads_is_stored_and_reported_in_file_order,
);

const NOW: &str = "2026-11-20T03:00:00Z";

fn now() -> DateTime<Utc> {
    NOW.parse().unwrap()
}

const ARTICLE: &str = "\
Đồn Biên phòng Pác Nậm tuần tra mốc quốc giới mùa mưa lũ

07:00 22/04/2024

Sáng nay, tổ công tác của Đồn Biên phòng Pác Nậm xuất phát sớm để kiểm tra các cột mốc trên tuyến biên giới sau những trận mưa lớn.

Cán bộ biên phòng kiểm tra cột mốc
Cán bộ biên phòng kiểm tra cột mốc.

Đoàn đã phát quang đường tuần tra, ghi nhận hai điểm sạt lở nhỏ và báo cáo để khắc phục kịp thời.

Hà Linh
";

async fn text_layout_fields_are_stored_as_written(backend: Backend) {
    let src = write_files(backend.path(), "in", &[("bp-0001.txt", ARTICLE.as_bytes())]);
    let store = backend.open().await;
    let report = import::import_paths(store.as_ref(), &feeds(), &[src], now()).await;
    assert!(report.is_success(), "{:?}", report.failed);
    assert_eq!(
        (report.created, report.updated, report.unchanged),
        (1, 0, 0)
    );

    let a = store
        .by_id("bp-0001")
        .await
        .unwrap()
        .expect("stored under the file name");
    assert_eq!(
        a.title,
        "Đồn Biên phòng Pác Nậm tuần tra mốc quốc giới mùa mưa lũ"
    );
    assert_eq!(
        a.slug,
        "don-bien-phong-pac-nam-tuan-tra-moc-quoc-gioi-mua-mua-lu"
    );
    assert_eq!(rfc822(a.published), "Mon, 22 Apr 2024 07:00:00 +0700");
    assert_eq!(rfc3339(a.published), "2024-04-22T07:00:00+07:00");
    assert_eq!(a.published.to_rfc3339(), "2024-04-22T00:00:00+00:00");
    assert_eq!(
        a.updated, a.published,
        "a new article's `updated` is its publication"
    );
    assert_eq!(a.author.as_deref(), Some("Hà Linh"));
    assert!(a.summary.starts_with("Sáng nay, tổ công tác"));
    assert_eq!(a.categories, vec!["borders".to_string()]);
    let figures: Vec<&Block> = a
        .body
        .iter()
        .filter(|b| matches!(b, Block::Figure { .. }))
        .collect();
    assert_eq!(
        figures,
        vec![&Block::Figure {
            caption: "Cán bộ biên phòng kiểm tra cột mốc.".into(),
            src: None
        }],
        "the caption pair becomes one figure"
    );
    assert_eq!(
        a.body.len(),
        3,
        "lead, figure, paragraph; the author is not body"
    );
}

async fn reimport_is_idempotent_and_an_edit_updates_the_same_article(backend: Backend) {
    let src = write_files(backend.path(), "in", &[("bp-0001.txt", ARTICLE.as_bytes())]);
    let store = backend.open_for_copy().await;
    let f = feeds();
    import::import_paths(store.as_ref(), &f, std::slice::from_ref(&src), now()).await;
    let first = store.by_id("bp-0001").await.unwrap().unwrap();
    let rev = store.revision().await.unwrap();

    let again = import::import_paths(store.as_ref(), &f, std::slice::from_ref(&src), now()).await;
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 1));
    assert_eq!(
        store.revision().await.unwrap(),
        rev,
        "nothing changed, nothing written"
    );
    assert_eq!(store.by_id("bp-0001").await.unwrap().unwrap(), first);

    let edited = ARTICLE.replace("mùa mưa lũ", "sau mưa lũ");
    std::fs::write(src.join("bp-0001.txt"), edited).unwrap();
    let later: DateTime<Utc> = "2026-11-21T01:02:03Z".parse().unwrap();
    let edit = import::import_paths(store.as_ref(), &f, std::slice::from_ref(&src), later).await;
    assert_eq!((edit.created, edit.updated, edit.unchanged), (0, 1, 0));
    assert_eq!(
        store.count_stored().await.unwrap(),
        1,
        "an edit never makes a second article"
    );
    let a = store.by_id("bp-0001").await.unwrap().unwrap();
    assert_eq!(
        a.title,
        "Đồn Biên phòng Pác Nậm tuần tra mốc quốc giới sau mưa lũ"
    );
    assert_eq!(a.guid(), first.guid());
    assert_eq!(
        a.slug, first.slug,
        "the slug is kept so links survive title edits"
    );
    assert_eq!(rfc3339(a.updated), "2026-11-21T08:02:03+07:00");
    assert_eq!(a.published, first.published);
    assert!(store.revision().await.unwrap() > rev);
}

async fn encodings_are_decoded_and_normalized(backend: Backend) {
    let store = backend.open().await;
    let f = feeds();
    let paths = ["nfd.txt", "windows-1258.txt", "bom.txt"]
        .map(fixture)
        .to_vec();
    let report = import::import_paths(store.as_ref(), &f, &paths, now()).await;
    assert!(report.is_success(), "{:?}", report.failed);
    assert_eq!(report.created, 3);
    assert_eq!(
        report.notes,
        vec![format!(
            "{}: not valid UTF-8, decoded as Windows-1258",
            fixture("windows-1258.txt").display()
        )]
    );
    use unicode_normalization::UnicodeNormalization;
    for id in ["nfd", "windows-1258", "bom"] {
        let a = store.by_id(id).await.unwrap().unwrap();
        for text in [&a.title, &a.summary] {
            assert_eq!(*text, text.nfc().collect::<String>(), "{id} is stored NFC");
            assert!(!text.starts_with('\u{feff}'), "{id}: BOM removed");
        }
    }
    let nfd = store.by_id("nfd").await.unwrap().unwrap();
    assert!(nfd.title.contains("Đảng ủy"), "{}", nfd.title);
    assert!(nfd.categories.contains(&"party-affairs".to_string()));
    let cp = store.by_id("windows-1258").await.unwrap().unwrap();
    assert!(cp.title.contains("biên giới"), "{}", cp.title);
    assert!(cp.categories.contains(&"borders".to_string()));
}

async fn categories_keep_diacritics_and_ignore_tone_placement(backend: Backend) {
    let store = backend.open().await;
    let f = feeds();
    let paths = ["dang-trap.txt", "tone-placement.txt"]
        .map(fixture)
        .to_vec();
    let report = import::import_paths(store.as_ref(), &f, &paths, now()).await;
    assert!(report.is_success(), "{:?}", report.failed);
    let trap = store.by_id("dang-trap").await.unwrap().unwrap();
    assert!(
        trap.summary.contains("đang")
            || trap
                .body
                .iter()
                .any(|b| matches!(b, Block::Paragraph { text } if text.contains("đang")))
    );
    assert_eq!(
        trap.categories,
        Vec::<String>::new(),
        "`đang` is not `Đảng`"
    );
    let tone = store.by_id("tone-placement").await.unwrap().unwrap();
    assert!(
        tone.categories.contains(&"party-affairs".to_string()),
        "Tỉnh uỷ = Tỉnh ủy"
    );
    assert!(
        tone.title.contains("Uỷ ban"),
        "the author's spelling is kept: {}",
        tone.title
    );
}

async fn bad_files_are_reported_with_path_and_line_and_the_rest_imported(backend: Backend) {
    let store = backend.open_for_copy().await;
    let f = feeds();
    let mut paths: Vec<_> = [
        "impossible-date.txt",
        "no-dateline.txt",
        "empty.txt",
        "pre-1900.txt",
    ]
    .map(fixture)
    .to_vec();
    let good = write_files(backend.path(), "in", &[("bp-0001.txt", ARTICLE.as_bytes())]);
    paths.push(good);
    let report = import::import_paths(store.as_ref(), &f, &paths, now()).await;
    assert_eq!(report.created, 1, "the good file is imported");
    assert_eq!(report.failed.len(), 4);
    let messages: Vec<String> = report.failed.iter().map(|e| e.to_string()).collect();
    let find = |name: &str| {
        messages
            .iter()
            .find(|m| m.contains(name))
            .unwrap_or_else(|| panic!("no error names {name}: {messages:?}"))
            .clone()
    };
    let impossible = find("impossible-date.txt");
    assert!(
        impossible.contains("line 3") && impossible.contains("31/02/2024"),
        "{impossible}"
    );
    let no_date = find("no-dateline.txt");
    assert!(
        no_date.contains("line ") && no_date.contains("dateline"),
        "{no_date}"
    );
    assert!(find("empty.txt").contains("line 1: no title"));
    let old = find("pre-1900.txt");
    assert!(old.contains("1899"), "{old}");
    for e in &report.failed {
        assert!(matches!(e, ImportError::Text { .. }), "{e}");
    }
    assert_eq!(
        store.count_stored().await.unwrap(),
        1,
        "nothing half-written"
    );
}

async fn json_articles_with_explicit_categories_aliases_and_errors(backend: Backend) {
    let store = backend.open().await;
    let f = feeds();
    let good = r#"[
      {"id": "tt-2025-07", "title": "Công an phường  Bến Thành\u000b ra quân",
       "published": "2025-03-01T09:15:00+07:00", "updated": "2025-03-02T10:00:00+07:00",
       "author": "Trần Vy", "summary": "Tóm tắt.",
       "body": "Đoạn một.\n\nĐoạn hai.", "categories": ["an-ninh", "borders"],
       "url": "https://baobientap.example/an-ninh/ra-quan",
       "image": {"url": "https://baobientap.example/anh/1.jpg", "type": "image/jpeg", "length": 1234}},
      {"title": "Bài không có id", "published": "6:05 5/1/2025",
       "content_html": "<p onclick=\"x()\">Chi bộ họp <script>alert(1)</script>thường kỳ.</p>"}
    ]"#;
    let bad =
        r#"{"title": "Sai", "published": "2024-01-01", "body": "x", "categories": ["weather"]}"#;
    let src = write_files(
        backend.path(),
        "json",
        &[("a.json", good.as_bytes()), ("b.json", bad.as_bytes())],
    );
    let report = import::import_paths(store.as_ref(), &f, &[src], now()).await;
    assert_eq!(report.created, 2);
    assert_eq!(report.failed.len(), 1);
    let err = report.failed[0].to_string();
    assert!(
        err.contains("b.json") && err.contains("field `categories`") && err.contains("weather"),
        "{err}"
    );

    let a = store.by_id("tt-2025-07").await.unwrap().unwrap();
    assert_eq!(a.title, "Công an phường Bến Thành ra quân");
    assert_eq!(
        a.categories,
        vec!["borders".to_string(), "security".to_string()]
    );
    assert_eq!(rfc3339(a.published), "2025-03-01T09:15:00+07:00");
    assert_eq!(rfc3339(a.updated), "2025-03-02T10:00:00+07:00");
    assert_eq!(
        a.url.as_deref(),
        Some("https://baobientap.example/an-ninh/ra-quan")
    );
    assert_eq!(a.image.as_ref().map(|i| i.length), Some(Some(1234)));
    assert_eq!(a.body.len(), 2);

    let all = store.latest(FeedKey::All, 10).await.unwrap();
    let html = all.iter().find(|x| x.title == "Bài không có id").unwrap();
    assert_eq!(
        rfc3339(html.published),
        "2025-01-05T06:05:00+07:00",
        "day first"
    );
    assert_eq!(
        html.categories,
        vec!["party-affairs".to_string()],
        "classified by keywords"
    );
    let Block::Html { html: body } = &html.body[0] else {
        panic!("{:?}", html.body)
    };
    assert!(
        !body.contains("script") && !body.contains("onclick"),
        "{body}"
    );
    assert_eq!(html.summary, "Chi bộ họp thường kỳ.");
    assert!(html.id.starts_with("t-"), "a derived id: {}", html.id);
}

async fn the_shipped_samples_fill_every_category(backend: Backend) {
    let store = backend.open().await;
    let f = feeds();
    let report =
        import::import_sources(store.as_ref(), &f, &vnfeed::samples::sources(), now()).await;
    assert!(report.is_success(), "{:?}", report.failed);
    assert!(report.created >= 14, "{}", report.summary());
    for feed in f.categories() {
        let items = store
            .latest(FeedKey::Category(&feed.slug), 50)
            .await
            .unwrap();
        assert!(
            items.len() >= 4,
            "{} has only {} items",
            feed.slug,
            items.len()
        );
    }
    let all = store.latest(FeedKey::All, 100).await.unwrap();
    let trap: Vec<_> = all
        .iter()
        .filter(|a| {
            a.body
                .iter()
                .any(|b| matches!(b, Block::Paragraph { text } if text.contains(" đang ")))
        })
        .collect();
    assert!(!trap.is_empty(), "a sample uses `đang`");
    for a in all.windows(2) {
        assert!(
            (a[0].published, &a[0].id) > (a[1].published, &a[1].id),
            "newest first with an id tie-break"
        );
    }
}

async fn two_files_with_one_id_are_reported_not_merged(backend: Backend) {
    let store = backend.open().await;
    // Enough files before the duplicate that it lands in a later write batch.
    let fillers = import::BATCH_FILES;
    let mut first: Vec<(String, Vec<u8>)> =
        vec![("bp-0001.txt".into(), ARTICLE.as_bytes().to_vec())];
    for i in 0..fillers {
        let text = ARTICLE.replace("Pác Nậm", &format!("Pác Nậm {i}"));
        first.push((format!("filler-{i:05}.txt"), text.into_bytes()));
    }
    let files: Vec<(&str, &[u8])> = first
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let a = write_files(backend.path(), "a", &files);
    let edited = ARTICLE.replace("Hà Linh", "Hà Linh Chi");
    let b = write_files(backend.path(), "b", &[("bp-0001.txt", edited.as_bytes())]);
    let report = import::import_paths(store.as_ref(), &feeds(), &[a, b.clone()], now()).await;
    assert_eq!(report.created, fillers + 1);
    assert_eq!(report.failed.len(), 1);
    let err = report.failed[0].to_string();
    assert!(
        err.starts_with(&b.join("bp-0001.txt").display().to_string()),
        "{err}"
    );
    assert!(
        err.contains("article id `bp-0001` is already used by"),
        "{err}"
    );
    let stored = store.by_id("bp-0001").await.unwrap().unwrap();
    assert_eq!(
        stored.author.as_deref(),
        Some("Hà Linh"),
        "the first file wins, untouched"
    );
}

/// A batch large enough to be read and parsed on several threads (issue 15): every file's
/// article is stored under its own id with its own text, and the failures come in the
/// order a one-thread import gives: files that could not be read first, then the others,
/// each group in file order.
async fn a_batch_parsed_on_several_threads_is_stored_and_reported_in_file_order(backend: Backend) {
    let store = backend.open().await;
    let cap = 4096;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let (mut bad_text, mut too_large) = (Vec::new(), Vec::new());
    for i in 0..300 {
        let name = format!("bp-{i:04}.txt");
        let text = if i % 37 == 5 {
            bad_text.push(name.clone());
            ARTICLE.replace("07:00 22/04/2024", "10:00 31/02/2024")
        } else if i % 53 == 7 {
            too_large.push(name.clone());
            ARTICLE.repeat(cap / ARTICLE.len() + 1)
        } else {
            ARTICLE.replace("Pác Nậm", &format!("Pác Nậm {i}"))
        };
        files.push((name, text.into_bytes()));
    }
    let listed: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let dir = write_files(backend.path(), "many", &listed);
    let caps = import::Caps {
        max_file_bytes: cap as u64,
        ..import::Caps::default()
    };
    let report = import::import_paths_capped(store.as_ref(), &feeds(), &[dir], now(), caps).await;
    let failed: Vec<String> = report
        .failed
        .iter()
        .map(|e| match e {
            ImportError::FileTooLarge { path, .. } | ImportError::Text { path, .. } => {
                path.file_name().unwrap().to_string_lossy().into_owned()
            }
            other => panic!("unexpected failure: {other}"),
        })
        .collect();
    let expected: Vec<String> = too_large.iter().chain(&bad_text).cloned().collect();
    assert!(too_large.len() >= 5 && bad_text.len() >= 8);
    assert_eq!(failed, expected);
    assert_eq!(report.created, 300 - expected.len());
    for (name, _) in &files {
        let id = name.trim_end_matches(".txt");
        let stored = store.by_id(id).await.unwrap();
        if expected.contains(name) {
            assert!(stored.is_none(), "{name} was not to be stored");
            continue;
        }
        let i: usize = id["bp-".len()..].parse().unwrap();
        let title = stored.unwrap_or_else(|| panic!("{name} stored")).title;
        assert!(
            title.ends_with(&format!("Pác Nậm {i} tuần tra mốc quốc giới mùa mưa lũ")),
            "{name}: {title}"
        );
    }
}

/// The store's file cannot grow (a file-size limit, as a full disk or a quota would do):
/// `vnfeed import` is not killed by SIGXFSZ but reports each file it could not store by name,
/// stores the others whole, exits with an error, and keeps what the store held. Run again
/// without the limit, the same import stores the rest and leaves the stored ones unchanged.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_store_that_cannot_grow_names_every_file_not_stored_and_keeps_the_rest_whole() {
    use std::os::unix::process::CommandExt;
    use vnfeed::store::{MigrateStore, SqliteStore, Store};

    let dir = tempdir();
    let store = dir.path().join("vnfeed.db");
    let store_arg = store.to_str().unwrap();
    let first = write_files(dir.path(), "first", &[("truoc-1.txt", ARTICLE.as_bytes())]);
    let out = vnfeed(&["import", "--store", store_arg, first.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));

    let files: Vec<(String, Vec<u8>)> = (0..300)
        .map(|i| {
            let text = ARTICLE.replace("Pác Nậm", &format!("Pác Nậm {i}"));
            (format!("sau-{i:03}.txt"), text.into_bytes())
        })
        .collect();
    let listed: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let more = write_files(dir.path(), "more", &listed);
    // Room for the store as it is and a little more, not for 300 more articles.
    let limit = std::fs::metadata(&store).unwrap().len() + 128 * 1024;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_vnfeed"));
    cmd.args(["import", "--store", store_arg, more.to_str().unwrap()]);
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let cap = libc::rlimit {
                rlim_cur: limit,
                rlim_max: libc::RLIM_INFINITY,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &cap) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().expect("vnfeed import runs");
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "an error exit, not a signal: {err}"
    );
    let summary = err.lines().last().unwrap_or_default();
    let counts: Vec<usize> = summary
        .split(", ")
        .map(|part| part.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    let (imported, failed) = (counts[0], counts[3]);
    assert_eq!(imported + failed, 300, "{summary}");
    assert!(failed > 0, "the limit refused nothing: {summary}");

    let opened = SqliteStore::open(&store).unwrap();
    assert!(opened.by_id("truoc-1").await.unwrap().is_some(), "kept");
    let mut stored = 0;
    for (i, (name, _)) in files.iter().enumerate() {
        let named = err
            .lines()
            .find(|l| l.contains(&format!("/{name}:")))
            .inspect(|line| {
                assert!(
                    line.starts_with("error: ") && line.contains(store_arg),
                    "{line}"
                )
            });
        match opened.by_id(name.trim_end_matches(".txt")).await.unwrap() {
            Some(article) => {
                assert!(named.is_none(), "{name} stored and reported: {err}");
                // Whole: the title and body as in the file.
                assert!(
                    article.title.contains(&format!("Pác Nậm {i} ")),
                    "{}",
                    article.title
                );
                stored += 1;
            }
            None => assert!(named.is_some(), "{name} neither stored nor named: {err}"),
        }
    }
    assert_eq!(stored, imported);
    assert_eq!(opened.count_stored().await.unwrap(), 1 + imported as u64);
    drop(opened);

    let again = vnfeed(&["import", "--store", store_arg, more.to_str().unwrap()]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(
        stderr(&again).lines().last().unwrap_or_default(),
        format!("imported {failed}, updated 0, unchanged {imported}, failed 0")
    );
}
