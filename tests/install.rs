//! Install anywhere (issue 12 §8): the binary carries its feed definitions, so `vnfeed
//! serve` from a directory with nothing in it serves every feed; `--feeds DIR` replaces them.

mod common;

use common::*;
use tempfile::TempDir;

#[tokio::test]
async fn serve_from_an_empty_directory_uses_the_built_in_definitions() {
    let dir = TempDir::new().unwrap();
    let server = ServeProcess::start_in(dir.path(), &[])
        .unwrap_or_else(|log| panic!("vnfeed serve did not start in an empty directory:\n{log}"));
    let get = |path: &str| {
        let url = format!("{}{path}", server.url);
        async move {
            let resp = client().get(&url).send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    let (status, opml) = get("/feeds.opml").await;
    assert_eq!(status, 200);
    for slug in ["all", "borders", "party-affairs", "security"] {
        assert!(
            opml.contains(&format!("/feeds/{slug}.rss\"")),
            "{slug}: {opml}"
        );
    }
    let (status, rss) = get("/feeds/security.rss").await;
    assert_eq!(status, 200);
    let channel = rss::Channel::read_from(rss.as_bytes()).unwrap();
    assert_eq!(channel.title(), "An ninh – vnfeed");
    assert!(!channel.items().is_empty(), "the samples were imported");
    assert_eq!(get("/icon.png").await.0, 200);
    assert!(
        server.log().contains("feed definitions: the built-in ones"),
        "{}",
        server.log()
    );
    // The store went where the user is, and nothing else did.
    let made: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("vnfeed.db"))
        .collect();
    assert!(made.is_empty(), "{made:?}");
    assert!(dir.path().join("vnfeed.db").exists());
}

#[tokio::test]
async fn feeds_dir_replaces_the_built_in_definitions() {
    let dir = TempDir::new().unwrap();
    let feeds = write_files(
        dir.path(),
        "feeds",
        &[(
            "weather.toml",
            "slug = \"weather\"\ntitle = \"Thời tiết\"\ntitle_en = \"Weather\"\n\
             description = \"Dự báo thời tiết.\"\nkeywords = [\"mưa\", \"bão\"]\n"
                .as_bytes(),
        )],
    );
    let feeds = feeds.display().to_string();
    let server = ServeProcess::start_in(dir.path(), &["--feeds", &feeds]).unwrap();
    let status = |path: &'static str| {
        let url = format!("{}{path}", server.url);
        async move { client().get(&url).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status("/feeds/weather.rss").await, 200);
    assert_eq!(status("/feeds/security.rss").await, 404);
    // No site.toml there: the built-in title and images.
    let rss = client()
        .get(format!("{}/feeds/weather.rss", server.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let channel = rss::Channel::read_from(rss.as_bytes()).unwrap();
    assert_eq!(channel.title(), "Thời tiết – vnfeed");
    assert_eq!(
        channel.image().unwrap().url(),
        format!("{}/icon.png", server.url)
    );

    // A directory that is not there is an error, as before.
    let missing = dir.path().join("nowhere");
    let out = vnfeed(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--feeds",
        missing.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("cannot read the feeds directory"),
        "{}",
        stderr(&out)
    );
}
