//! `vnfeed check` on whole sites, against the real server on port 0: its index page's
//! autodiscovery links, its feeds' paging (`rel="next"`) and archive (`rel="prev-archive"`)
//! links with `--follow`, and its OPML list, by URL and as a file. Every document the
//! server serves must come out clean.

mod common;

use std::collections::BTreeSet;

use chrono::Utc;
use common::*;
use vnfeed::check::client::{Client, Limits};
use vnfeed::check::{Options, Report, Walk, check_input};
use vnfeed::model::Format;

fn sources(reports: &[Report]) -> Vec<String> {
    reports.iter().map(|r| r.source.clone()).collect()
}

fn findings(reports: &[Report]) -> String {
    reports.iter().map(Report::to_string).collect()
}

async fn walk(input: &str, walk: Walk) -> vnfeed::check::site::Walked {
    let client = Client::new(Limits::DEFAULT).unwrap();
    check_input(&client, input, &walk, &Options::at(Utc::now())).await
}

#[tokio::test]
async fn the_index_page_leads_to_every_feed_it_announces() {
    let backend = Backend::sqlite();
    let server = TestServer::start(&backend, &[]).await;
    let walked = walk(&format!("{}/", server.url), Walk::DEFAULT).await;
    let mut want = BTreeSet::new();
    for feed in feeds().feeds() {
        for format in Format::ALL {
            want.insert(format!(
                "{}/feeds/{}.{}",
                server.url,
                feed.slug,
                format.extension()
            ));
        }
    }
    let got: BTreeSet<String> = sources(&walked.reports).into_iter().collect();
    assert_eq!(got, want);
    assert_eq!(walked.reports.len(), want.len(), "each feed once");
    assert!(walked.reports.iter().all(|r| r.format.is_some()));
    assert_eq!(findings(&walked.reports), "");
    assert_eq!(walked.not_checked, 0);
    server.stop().await;
}

#[tokio::test]
async fn follow_walks_every_page_and_archive_within_the_bound() {
    let backend = Backend::sqlite();
    let server = TestServer::start(&backend, &["--limit", "2"]).await;
    let start = format!("{}/feeds/all.atom", server.url);
    let plain = walk(&start, Walk::DEFAULT).await;
    assert_eq!(sources(&plain.reports), std::slice::from_ref(&start));
    let walked = walk(
        &start,
        Walk {
            follow: true,
            ..Walk::DEFAULT
        },
    )
    .await;
    let got = sources(&walked.reports);
    assert_eq!(got[0], start);
    assert!(got.contains(&format!("{start}?page=2")), "{got:?}");
    assert!(
        got.contains(&format!("{}/feeds/all/archive/1.atom", server.url)),
        "{got:?}"
    );
    assert_eq!(
        got.iter().collect::<BTreeSet<_>>().len(),
        got.len(),
        "no document twice"
    );
    assert!(got.len() > 3, "{got:?}");
    assert_eq!(findings(&walked.reports), "");
    assert_eq!(walked.not_checked, 0);
    // The bound: three documents, the first three of the same walk, and the rest counted.
    let bounded = walk(
        &start,
        Walk {
            follow: true,
            max_documents: 3,
            ..Walk::DEFAULT
        },
    )
    .await;
    assert_eq!(sources(&bounded.reports), got[..3]);
    assert!(bounded.not_checked > 0);
    // JSON Feed's next_url is followed too.
    let json = walk(
        &format!("{}/feeds/all.json", server.url),
        Walk {
            follow: true,
            ..Walk::DEFAULT
        },
    )
    .await;
    assert!(
        sources(&json.reports).contains(&format!("{}/feeds/all.json?page=2", server.url)),
        "{:?}",
        sources(&json.reports)
    );
    server.stop().await;
}

#[tokio::test]
async fn an_opml_list_is_every_xml_url_by_url_or_file() {
    let backend = Backend::sqlite();
    let server = TestServer::start(&backend, &[]).await;
    let opml_url = format!("{}/feeds.opml", server.url);
    let (_, _, opml) = fetch(&server, "/feeds.opml").await;
    let doc = roxmltree::Document::parse(std::str::from_utf8(&opml).unwrap()).unwrap();
    let want: Vec<String> = doc
        .descendants()
        .filter_map(|n| n.attribute("xmlUrl"))
        .map(str::to_string)
        .collect();
    assert!(want.len() >= 4, "{want:?}");
    for concurrency in [1, 3] {
        let walked = walk(
            &opml_url,
            Walk {
                concurrency,
                ..Walk::DEFAULT
            },
        )
        .await;
        assert_eq!(
            sources(&walked.reports),
            want,
            "in list order, concurrency {concurrency}"
        );
        assert_eq!(findings(&walked.reports), "");
    }
    let dir = tempdir();
    let file = dir.path().join("feeds.opml");
    std::fs::write(&file, &opml).unwrap();
    let walked = walk(&file.display().to_string(), Walk::DEFAULT).await;
    assert_eq!(sources(&walked.reports), want);
    assert_eq!(findings(&walked.reports), "");
    server.stop().await;
}

#[tokio::test]
async fn the_command_follows_and_says_where_it_stopped() {
    let backend = Backend::sqlite();
    let server = TestServer::start(&backend, &["--limit", "2"]).await;
    let start = format!("{}/feeds/all.rss", server.url);
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_vnfeed"))
        .args([
            "check",
            "--strict",
            "--follow",
            "--max-documents",
            "2",
            &start,
        ])
        .output()
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(&format!(
            "{start}: stopped after 2 documents (--max-documents); "
        )),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("checked 2 documents: 0 errors, 0 warnings\n"),
        "{stderr}"
    );
    server.stop().await;
}
