//! Issue 11, "History": editing an article does not grow its feeds' history. One large
//! article edited 100 times leaves one copy of it in the store and in every archive page
//! (an archive holds one version of an entry), archive pages close early at the byte cap,
//! and a real `vnfeed serve` answering them stays small in memory.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use chrono::{DateTime, Duration, Utc};
use common::*;
use reqwest::StatusCode;
use vnfeed::model::{Block, Draft, article_guid};
use vnfeed::store::Store;
use vnfeed::store::archive::ARCHIVE_PAGE_BYTES;

on_both_backends!(
    a_hundred_edits_of_a_large_article_leave_one_copy_in_the_history,
    archive_pages_close_early_at_the_byte_cap_and_hold_every_article_once,
);

/// About `bytes` of Vietnamese text in paragraphs, with `mark` in the first one.
fn long_body(bytes: usize, mark: usize) -> Vec<Block> {
    let sentence = "Tổ công tác Đồn Biên phòng kiểm tra mốc quốc giới và đường biên suốt đêm. ";
    let per_paragraph = 40;
    let paragraphs = bytes / (sentence.len() * per_paragraph) + 1;
    (0..paragraphs)
        .map(|p| Block::Paragraph {
            text: format!("Đoạn {p}, bản {mark}. {}", sentence.repeat(per_paragraph)),
        })
        .collect()
}

fn draft(id: &str, n: usize, body: Vec<Block>) -> Draft {
    let published: DateTime<Utc> = "2025-06-01T01:00:00Z".parse().unwrap();
    Draft {
        id: id.to_string(),
        title: format!("Phóng sự dài số {n}"),
        summary: "Một ngày trên đường tuần tra biên giới.".into(),
        body,
        author: Some("Phóng viên thường trú".into()),
        published: published + Duration::minutes(n as i64),
        updated: None,
        categories: vec!["borders".into()],
        categorized: vnfeed::model::Categorized::ByRules,
        url: None,
        image: None,
        tags: Vec::new(),
    }
}

const ARTICLE_BYTES: usize = 512 * 1024;

/// The large article, then 100 edits of it (each changes its text).
async fn edit_a_hundred_times(store: &dyn Store) {
    for edit in 0..=100 {
        let d = draft("phong-su", 0, long_body(ARTICLE_BYTES, edit));
        store.upsert(vec![d], Utc::now()).await.unwrap();
    }
}

async fn body_of(server: &TestServer, path: &str) -> Vec<u8> {
    let resp = server.get(path).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    resp.bytes().await.unwrap().to_vec()
}

/// Every archive page of the feed in JSON, walked by number.
async fn archive_pages(server: &TestServer, feed: &str) -> Vec<Vec<u8>> {
    let mut pages = Vec::new();
    for number in 1.. {
        let resp = server
            .get(&format!("/feeds/{feed}/archive/{number}.json"))
            .send()
            .await
            .unwrap();
        if resp.status() == StatusCode::NOT_FOUND {
            break;
        }
        assert_eq!(resp.status(), StatusCode::OK);
        pages.push(resp.bytes().await.unwrap().to_vec());
    }
    pages
}

fn item_ids(json: &[u8]) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(json).unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

/// The SQLite file's size once its WAL is checkpointed into it, in bytes.
fn sqlite_bytes(location: &str) -> u64 {
    let conn = rusqlite::Connection::open(location).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    std::fs::metadata(location).unwrap().len()
}

async fn a_hundred_edits_of_a_large_article_leave_one_copy_in_the_history(backend: Backend) {
    let store = backend.open().await;
    edit_a_hundred_times(store.as_ref()).await;
    let server = TestServer::start(&backend, &["--no-samples"]).await;
    // One copy of the article as the feed itself sends it: the measure of "one copy".
    let one_copy = body_of(&server, "/feeds/borders.json").await.len();
    assert!(one_copy > ARTICLE_BYTES, "{one_copy}");
    for feed in ["all", "borders"] {
        let pages = archive_pages(&server, feed).await;
        assert_eq!(pages.len(), 1, "{feed}: one archive page");
        let ids = item_ids(&pages[0]);
        assert_eq!(ids, [article_guid("phong-su")], "{feed}: one entry");
        let size = pages[0].len();
        println!("{feed}: archive page 1 is {size} bytes, one copy {one_copy}");
        assert!(
            size <= one_copy + 4096,
            "{feed}: archive page of {size} bytes for one copy of {one_copy}"
        );
        let text = String::from_utf8(pages[0].clone()).unwrap();
        assert!(text.contains("bản 100."), "{feed}: the newest version");
        assert!(!text.contains("bản 99."), "{feed}: no older version");
    }
    server.stop().await;
    if backend.kind == Kind::Sqlite {
        let bytes = sqlite_bytes(&backend.location);
        println!("store after 100 edits of a {ARTICLE_BYTES}-byte article: {bytes} bytes");
        // The live article and the pages its last overwrite freed (the next write reuses
        // them): a couple of copies, never one per edit.
        assert!(
            bytes < 3 * ARTICLE_BYTES as u64,
            "the store holds {bytes} bytes after 100 edits of one {ARTICLE_BYTES}-byte article"
        );
    }
}

async fn archive_pages_close_early_at_the_byte_cap_and_hold_every_article_once(backend: Backend) {
    let store = backend.open().await;
    // 9 articles of 700 KB: two fit under the 2 MiB cap, far fewer than 100 entries.
    let heavy = 700 * 1024;
    let drafts: Vec<Draft> = (0..9)
        .map(|n| draft(&format!("dai-{n:02}"), n, long_body(heavy, n)))
        .collect();
    for batch in drafts.chunks(3) {
        store.upsert(batch.to_vec(), Utc::now()).await.unwrap();
    }
    let server = TestServer::start(&backend, &["--no-samples"]).await;
    let pages = archive_pages(&server, "borders").await;
    let counts: Vec<usize> = pages.iter().map(|p| item_ids(p).len()).collect();
    println!("entries per archive page: {counts:?}");
    assert_eq!(counts, [2, 2, 2, 2, 1], "pages close at the byte cap");
    let mut seen = BTreeSet::new();
    for page in &pages {
        let size = page.len();
        assert!(
            size < ARCHIVE_PAGE_BYTES as usize + 64 * 1024,
            "a page of {size} bytes, past the cap"
        );
        for id in item_ids(page) {
            assert!(seen.insert(id.clone()), "{id} twice in the archives");
        }
    }
    let all: BTreeSet<String> = (0..9)
        .map(|n| article_guid(&format!("dai-{n:02}")))
        .collect();
    assert_eq!(seen, all, "every article in the archives, once");
    server.stop().await;
}

/// `VmHWM` (peak resident set) of a process, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

/// A real `vnfeed serve` process: 8 clients each fetch every archive page of the edited
/// article's feeds in every format twice, and the process's peak RSS stays within a fixed
/// bound (with a frozen copy per edit, one such page was 50 MB in JSON alone).
#[tokio::test]
async fn peak_rss_stays_bounded_while_clients_fetch_the_archives_of_an_edited_article() {
    let dir = tempdir();
    let path = dir.path().join("vnfeed.db");
    {
        let store = vnfeed::store::SqliteStore::open(&path).unwrap();
        edit_a_hundred_times(&store).await;
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_vnfeed"))
        .args(["serve", "--addr", "127.0.0.1:0", "--no-samples", "--store"])
        .arg(&path)
        .current_dir(repo())
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // Read the log on a thread of its own to the end, so the server never blocks on it.
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some(at) = line.find("http://127.0.0.1:") {
                let rest = &line[at..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || ":/.".contains(c)))
                    .unwrap_or(rest.len());
                let _ = tx.send(rest[..end].to_string());
            }
        }
    });
    let url = rx.recv_timeout(std::time::Duration::from_secs(30)).ok();
    let url = url.expect("the server says where it listens");
    let before = peak_rss_kib(pid);
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let url = url.clone();
        clients.spawn(async move {
            let http = client();
            for _ in 0..2 {
                for feed in ["all", "borders"] {
                    for ext in ["json", "atom", "rss"] {
                        let r = http
                            .get(format!("{url}/feeds/{feed}/archive/1.{ext}"))
                            .send()
                            .await
                            .unwrap();
                        assert_eq!(r.status(), StatusCode::OK);
                        r.bytes().await.unwrap();
                    }
                }
            }
        });
    }
    while let Some(done) = clients.join_next().await {
        done.unwrap();
    }
    let after = peak_rss_kib(pid);
    child.kill().unwrap();
    child.wait().unwrap();
    println!("vnfeed serve peak RSS: {before} KiB at start, {after} KiB after 96 archive GETs");
    // 8 renders at once of a page with one 512 KiB article, each with its gzip copy.
    assert!(
        after < 128 * 1024,
        "peak RSS {after} KiB while serving archives of one edited article"
    );
}
