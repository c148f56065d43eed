//! Issue 16, step 5: `vnfeed reclassify` after a change of the feed rules, through the real
//! binary on a real store of each backend, with the real server watching: a dry run changes
//! nothing; applying moves exactly the listed articles; a feed no article entered or left
//! keeps its ETag while the touched ones change; articles whose source named their
//! categories stay where they are.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use vnfeed::model::Categorized;

on_both_backends!(
    reclassify_moves_only_what_the_rules_chose_and_only_touched_feeds_change,
    a_store_from_before_the_flag_is_never_moved,
);

/// Classified borders by the shipped rules, and still after the change.
const BORDERS: &str = "Đồn Biên phòng Pò Hèn tuần tra bảo vệ cột mốc biên giới
07:00 22/04/2024
Đồn Biên phòng Pò Hèn phối hợp với lực lượng biên phòng Trung Quốc tuần tra song phương, kiểm tra cột mốc và đường biên giới quốc gia.

Cán bộ chiến sĩ đồn biên phòng duy trì tuần tra biên giới, quản lý cửa khẩu và phòng chống buôn lậu qua biên giới.
";

/// Classified security by the shipped rules; in no category once security's bar is raised.
const SECURITY: &str = "Công an huyện khởi tố vụ án trộm cắp tài sản
07:30 22/04/2024
Cơ quan Cảnh sát điều tra Công an huyện đã khởi tố vụ án, bắt giữ hai bị can về tội trộm cắp tài sản.

Các bị can khai nhận đã nhiều lần trộm cắp xe máy; vụ án đang được điều tra mở rộng.
";

/// In no category by the shipped rules; borders once \"hợp tác xã\" is a borders term.
const COOPERATIVE: &str = "Hợp tác xã chè mở rộng vùng trồng
08:00 22/04/2024
Hợp tác xã chè của xã đã mở rộng vùng trồng thêm ba mươi héc ta, liên kết với các hộ dân.

Sản phẩm chè của hợp tác xã được bán ở nhiều tỉnh.
";

/// Named security by its source, though its text is the cooperative's.
const EXPLICIT: &str = r#"{"id": "htx-json", "title": "Hợp tác xã dệt may tuyển lao động",
  "published": "2024-04-22T09:00:00+07:00",
  "body": "Hợp tác xã dệt may tuyển thêm năm mươi lao động.\n\nHợp tác xã trả lương đúng hạn.",
  "categories": ["security"]}"#;

/// A copy of the shipped feed definitions the test may change.
fn feeds_copy(dir: &Path) -> PathBuf {
    let feeds = dir.join("feeds");
    std::fs::create_dir_all(&feeds).unwrap();
    for entry in std::fs::read_dir(repo().join("feeds")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            std::fs::copy(&path, feeds.join(path.file_name().unwrap())).unwrap();
        }
    }
    feeds
}

/// The rule change: "hợp tác xã" becomes strong borders evidence, and security's bar is
/// raised out of reach.
fn change_rules(feeds: &Path) {
    let borders = feeds.join("borders.toml");
    let text = std::fs::read_to_string(&borders).unwrap();
    assert!(text.contains("[classify.terms]\n"));
    let text = text.replace(
        "[classify.terms]\n",
        "[classify.terms]\n\"hợp tác xã\" = 3\n",
    );
    std::fs::write(&borders, text).unwrap();
    let security = feeds.join("security.toml");
    let text = std::fs::read_to_string(&security).unwrap();
    assert!(text.contains("threshold = 5.0\n"));
    std::fs::write(
        &security,
        text.replace("threshold = 5.0\n", "threshold = 500.0\n"),
    )
    .unwrap();
}

fn run(args: &[&str]) -> String {
    let out = vnfeed(args);
    assert!(out.status.success(), "vnfeed {args:?}: {}", stderr(&out));
    stdout(&out)
}

async fn categories_of(backend: &Backend, id: &str) -> (Vec<String>, Categorized) {
    let a = backend.open().await.by_id(id).await.unwrap().unwrap();
    (a.categories, a.categorized)
}

async fn etags(server: &TestServer) -> Vec<String> {
    let mut tags = Vec::new();
    for feed in ["all", "borders", "security", "party-affairs"] {
        tags.push(fetch(server, &format!("/feeds/{feed}.atom")).await.0);
    }
    tags
}

async fn reclassify_moves_only_what_the_rules_chose_and_only_touched_feeds_change(
    backend: Backend,
) {
    let feeds = feeds_copy(backend.path());
    let input = write_files(
        backend.path(),
        "in",
        &[
            ("don-po-hen.txt", BORDERS.as_bytes()),
            ("trom-cap.txt", SECURITY.as_bytes()),
            ("htx-che.txt", COOPERATIVE.as_bytes()),
            ("htx-json.json", EXPLICIT.as_bytes()),
        ],
    );
    let (store, feeds_arg) = (backend.location.as_str(), feeds.to_str().unwrap());
    run(&[
        "import",
        "--store",
        store,
        "--feeds",
        feeds_arg,
        input.to_str().unwrap(),
    ]);
    let by_rules = Categorized::ByRules;
    assert_eq!(
        categories_of(&backend, "don-po-hen").await,
        (vec!["borders".into()], by_rules)
    );
    assert_eq!(
        categories_of(&backend, "trom-cap").await,
        (vec!["security".into()], by_rules)
    );
    assert_eq!(categories_of(&backend, "htx-che").await, (vec![], by_rules));
    let explicit = (vec!["security".to_string()], Categorized::Explicitly);
    assert_eq!(categories_of(&backend, "htx-json").await, explicit);

    let server = TestServer::start(&backend, &["--no-samples"]).await;
    let before = etags(&server).await;
    let revision = backend.open().await.revision().await.unwrap();

    // The rules as shipped: nothing to move.
    let unchanged = run(&[
        "reclassify",
        "--dry-run",
        "--store",
        store,
        "--feeds",
        feeds_arg,
    ]);
    assert_eq!(unchanged, "would move 0 articles\n");

    change_rules(&feeds);
    let dry = run(&[
        "reclassify",
        "--dry-run",
        "--store",
        store,
        "--feeds",
        feeds_arg,
    ]);
    let moved: Vec<&str> = dry.lines().filter(|l| !l.starts_with("  ")).collect();
    assert_eq!(
        moved,
        [
            "htx-che (hop-tac-xa-che-mo-rong-vung-trong): Hợp tác xã chè mở rộng vùng trồng",
            "trom-cap (cong-an-huyen-khoi-to-vu-an-trom-cap-tai-san): Công an huyện khởi tố vụ án trộm cắp tài sản",
            "would move 2 articles",
        ],
        "{dry}"
    );
    assert!(dry.contains("\n  (none) -> borders\n"), "{dry}");
    assert!(dry.contains("\n  security -> (none)\n"), "{dry}");
    // The same explanation terms as `vnfeed classify --explain`.
    assert!(dry.contains("borders 9.0 >= "), "{dry}");
    assert!(dry.contains("\"hợp tác xã\" title +9.0"), "{dry}");
    assert!(
        dry.contains("security ") && dry.contains(" < 500.0"),
        "{dry}"
    );
    let explained = run(&[
        "classify",
        "--explain",
        "--feeds",
        feeds_arg,
        input.join("htx-che.txt").to_str().unwrap(),
    ]);
    for line in explained.lines().filter(|l| l.starts_with("  ")) {
        assert!(dry.contains(&format!("{line}\n")), "{line} in {dry}");
    }

    // A dry run changes nothing.
    assert_eq!(backend.open().await.revision().await.unwrap(), revision);
    assert_eq!(categories_of(&backend, "htx-che").await, (vec![], by_rules));

    let applied = run(&["reclassify", "--store", store, "--feeds", feeds_arg]);
    assert_eq!(applied, dry.replace("would move 2", "moved 2"));
    let after_revision = backend.open().await.revision().await.unwrap();
    assert_eq!(after_revision, revision + 1, "one transaction");
    assert_eq!(
        categories_of(&backend, "htx-che").await,
        (vec!["borders".into()], by_rules)
    );
    assert_eq!(
        categories_of(&backend, "trom-cap").await,
        (vec![], by_rules)
    );
    assert_eq!(
        categories_of(&backend, "don-po-hen").await,
        (vec!["borders".into()], by_rules)
    );
    assert_eq!(
        categories_of(&backend, "htx-json").await,
        explicit,
        "explicit stays"
    );

    server.wait_for_revision(after_revision).await;
    let after = etags(&server).await;
    assert_ne!(after[0], before[0], "all: an article changed");
    assert_ne!(after[1], before[1], "borders: htx-che entered");
    assert_ne!(after[2], before[2], "security: trom-cap left");
    assert_eq!(
        after[3], before[3],
        "party-affairs: untouched, same validator"
    );

    // Run again: the store now agrees with the rules.
    let again = run(&["reclassify", "--store", store, "--feeds", feeds_arg]);
    assert_eq!(again, "moved 0 articles\n");
    assert_eq!(
        backend.open().await.revision().await.unwrap(),
        after_revision
    );
    server.stop().await;
}

/// Articles stored before the flag existed count as explicit (the safe default the
/// migration gives old rows): reclassify leaves them. Re-importing their text-layout source
/// marks them as the rules' without changing anything readers see; then they can move.
async fn a_store_from_before_the_flag_is_never_moved(backend: Backend) {
    let shipped = repo().join("feeds");
    let changed = feeds_copy(backend.path());
    change_rules(&changed);
    let input = write_files(
        backend.path(),
        "in",
        &[("htx-che.txt", COOPERATIVE.as_bytes())],
    );
    let store = backend.location.as_str();
    let (shipped, changed) = (shipped.to_str().unwrap(), changed.to_str().unwrap());
    let files = input.to_str().unwrap();
    run(&["import", "--store", store, "--feeds", shipped, files]);
    // As an old store holds it after the migration.
    mark_all_explicit(&backend).await;
    let old = (vec![], Categorized::Explicitly);
    assert_eq!(categories_of(&backend, "htx-che").await, old);
    let dry = run(&[
        "reclassify",
        "--dry-run",
        "--store",
        store,
        "--feeds",
        changed,
    ]);
    assert_eq!(dry, "would move 0 articles\n");
    let applied = run(&["reclassify", "--store", store, "--feeds", changed]);
    assert_eq!(applied, "moved 0 articles\n");
    assert_eq!(categories_of(&backend, "htx-che").await, old);

    // The newsroom re-imports its text files under the rules they were sorted by.
    let revision = backend.open().await.revision().await.unwrap();
    run(&["import", "--store", store, "--feeds", shipped, files]);
    let by_rules = (vec![], Categorized::ByRules);
    assert_eq!(categories_of(&backend, "htx-che").await, by_rules);
    assert_eq!(
        backend.open().await.revision().await.unwrap(),
        revision,
        "only the flag changed: no feed did"
    );
    let dry = run(&[
        "reclassify",
        "--dry-run",
        "--store",
        store,
        "--feeds",
        changed,
    ]);
    assert!(dry.ends_with("would move 1 articles\n"), "{dry}");
}

/// Sets every stored article's flag to what the schema migration gives existing rows.
async fn mark_all_explicit(backend: &Backend) {
    let sql = "UPDATE articles SET categories_explicit = TRUE";
    match backend.kind {
        Kind::Sqlite => {
            let conn = rusqlite::Connection::open(&backend.location).unwrap();
            conn.execute(&sql.replace("TRUE", "1"), []).unwrap();
        }
        Kind::Postgres => {
            let (client, connection) =
                tokio_postgres::connect(&backend.location, tokio_postgres::NoTls)
                    .await
                    .unwrap();
            tokio::spawn(connection);
            client.execute(sql, &[]).await.unwrap();
        }
    }
}
