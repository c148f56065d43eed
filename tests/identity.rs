//! Feed identity (issue 12 §2): the site file `feeds/site.toml` and per-feed icons and logos,
//! vnfeed's built-in icon and logo where none is given, emitted in every format and served
//! by the server. Each format is read back by its own parser and by feed-rs.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use reqwest::header::{CONTENT_TYPE, ETAG, IF_NONE_MATCH, X_CONTENT_TYPE_OPTIONS};
use tempfile::TempDir;
use vnfeed::identity::{self, BUILTINS};

/// A copy of the shipped feeds directory, for a test to change.
fn feeds_copy(dir: &Path) -> PathBuf {
    let target = dir.join("feeds");
    std::fs::create_dir_all(&target).unwrap();
    for entry in std::fs::read_dir(repo().join("feeds")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, target.join(path.file_name().unwrap())).unwrap();
    }
    target
}

/// Appends `lines` to the top-level table of a feed file (before its first `[section]`).
/// `vnfeed serve` on `feeds` and `store`, run to its end (the tests using it expect it to
/// refuse to start).
fn serve_on(feeds: &Path, store: &Path) -> std::process::Output {
    vnfeed(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--feeds",
        feeds.to_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
    ])
}

fn add_to_feed(feeds: &Path, file: &str, lines: &str) {
    let path = feeds.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let at = text.find("\n[").map_or(text.len(), |i| i + 1);
    std::fs::write(&path, format!("{}{lines}\n{}", &text[..at], &text[at..])).unwrap();
}

async fn body(server: &TestServer, path: &str) -> Vec<u8> {
    fetch(server, path).await.2
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap()
}

/// The `href` of every `<link rel="icon">` of a page.
fn page_icons(html: &[u8]) -> Vec<String> {
    let page = scraper::Html::parse_document(std::str::from_utf8(html).unwrap());
    let selector = scraper::Selector::parse("link[rel=icon]").unwrap();
    page.select(&selector)
        .map(|l| l.value().attr("href").unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn every_format_names_the_built_in_icon_and_logo_and_the_server_serves_them() {
    let backend = Backend::sqlite();
    let server = TestServer::start(&backend, &[]).await;
    let base = &server.url;

    // RSS: the channel image's title and link are the channel's, exactly.
    let rss_bytes = body(&server, "/feeds/security.rss").await;
    let channel = rss::Channel::read_from(&rss_bytes[..]).unwrap();
    let image = channel.image().expect("an RSS <image>");
    assert_eq!(image.url(), format!("{base}/icon.png"));
    assert_eq!(image.title(), channel.title());
    assert_eq!(image.title(), "An ninh – vnfeed");
    assert_eq!(image.link(), channel.link());
    assert_eq!(image.link(), format!("{base}/"));
    assert_eq!(
        (image.width(), image.height()),
        (Some("144"), Some("144")),
        "the 512 px icon at RSS's largest width"
    );
    let parsed = feed_rs::parser::parse(&rss_bytes[..]).unwrap();
    assert_eq!(parsed.logo.unwrap().uri, format!("{base}/icon.png"));

    // Atom: a square icon and a 2:1 logo.
    let atom_bytes = body(&server, "/feeds/security.atom").await;
    let atom = atom_syndication::Feed::read_from(&atom_bytes[..]).unwrap();
    assert_eq!(atom.icon(), Some(format!("{base}/icon.png").as_str()));
    assert_eq!(atom.logo(), Some(format!("{base}/logo.png").as_str()));
    let parsed = feed_rs::parser::parse(&atom_bytes[..]).unwrap();
    assert_eq!(parsed.icon.unwrap().uri, format!("{base}/icon.png"));
    assert_eq!(parsed.logo.unwrap().uri, format!("{base}/logo.png"));

    // JSON Feed: icon (large) and favicon (small); feed-rs calls them logo and icon.
    let json_bytes = body(&server, "/feeds/security.json").await;
    let feed = json(&json_bytes);
    assert_eq!(feed["icon"], format!("{base}/icon.png"));
    assert_eq!(feed["favicon"], format!("{base}/favicon.png"));
    let parsed = feed_rs::parser::parse(&json_bytes[..]).unwrap();
    assert_eq!(parsed.logo.unwrap().uri, format!("{base}/icon.png"));
    assert_eq!(parsed.icon.unwrap().uri, format!("{base}/favicon.png"));

    // Pages: the SVG for browsers that take it, the PNG for the others.
    for page in ["/", "/categories/security"] {
        assert_eq!(
            page_icons(&body(&server, page).await),
            [format!("{base}/icon.svg"), format!("{base}/favicon.png")],
            "{page}"
        );
    }

    // Every image is served: its bytes, its type, nosniff, and a 304 for its ETag.
    for image in BUILTINS {
        let resp = server.get(image.path).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{}", image.path);
        let header = |name| resp.headers()[name].to_str().unwrap().to_string();
        assert_eq!(header(CONTENT_TYPE), image.content_type);
        assert_eq!(header(X_CONTENT_TYPE_OPTIONS), "nosniff");
        let etag = header(ETAG);
        assert!(etag.starts_with('"') && etag.len() == 34, "{etag}");
        assert_eq!(resp.bytes().await.unwrap(), image.bytes);
        let again = server
            .get_with(image.path, &[(IF_NONE_MATCH, etag.as_str())])
            .await;
        assert_eq!(again.status(), 304, "{}", image.path);
        assert_eq!(again.headers()[ETAG], etag.as_str());
        assert!(again.bytes().await.unwrap().is_empty());
        let head = client().head(format!("{base}{}", image.path)).send().await;
        let head = head.unwrap();
        assert_eq!(
            head.headers()["content-length"],
            image.bytes.len().to_string()
        );
        assert!(head.bytes().await.unwrap().is_empty());
    }
    let wrong = server
        .get_with("/icon.png", &[(IF_NONE_MATCH, "\"something-else\"")])
        .await;
    assert_eq!(wrong.status(), 200);
    assert_eq!(
        server.get("/icon.png/x").send().await.unwrap().status(),
        404
    );
    server.stop().await;
}

#[tokio::test]
async fn the_site_file_and_a_feed_file_replace_the_built_in_images() {
    let dir = TempDir::new().unwrap();
    let feeds = feeds_copy(dir.path());
    std::fs::write(
        feeds.join("site.toml"),
        "title = \"Báo Biên Tập\"\ndescription = \"Mọi tin của Báo Biên Tập.\"\n\
         icon = \"/media/bieu-tuong.png\"\nlogo = \"https://cdn.baobientap.example/logo.png\"\n",
    )
    .unwrap();
    add_to_feed(
        &feeds,
        "security.toml",
        "icon = \"https://cdn.baobientap.example/an-ninh.png\"",
    );
    let feeds_arg = feeds.display().to_string();
    let backend = Backend::sqlite();
    let server = TestServer::start(&backend, &["--feeds", &feeds_arg]).await;
    let base = &server.url;
    let site_icon = format!("{base}/media/bieu-tuong.png");
    let site_logo = "https://cdn.baobientap.example/logo.png";
    let feed_icon = "https://cdn.baobientap.example/an-ninh.png";

    // The site's: title and description from the file, its icon and logo everywhere.
    let all = rss::Channel::read_from(&body(&server, "/feeds/all.rss").await[..]).unwrap();
    assert_eq!(all.title(), "Tất cả bài viết – Báo Biên Tập");
    assert_eq!(all.description(), "Mọi tin của Báo Biên Tập.");
    let image = all.image().unwrap();
    assert_eq!(
        (image.url(), image.title(), image.link()),
        (site_icon.as_str(), all.title(), all.link())
    );
    assert_eq!(
        (image.width(), image.height()),
        (None, None),
        "size unknown"
    );
    let borders =
        atom_syndication::Feed::read_from(&body(&server, "/feeds/borders.atom").await[..]).unwrap();
    assert_eq!(borders.icon(), Some(site_icon.as_str()));
    assert_eq!(borders.logo(), Some(site_logo));
    let borders = json(&body(&server, "/feeds/borders.json").await);
    assert_eq!(
        (&borders["icon"], &borders["favicon"]),
        (&site_icon.clone().into(), &site_icon.clone().into())
    );
    assert_eq!(page_icons(&body(&server, "/").await), [site_icon.as_str()]);

    // The feed's own icon, the site's logo.
    let security = body(&server, "/feeds/security.rss").await;
    let security = rss::Channel::read_from(&security[..]).unwrap();
    assert_eq!(security.image().unwrap().url(), feed_icon);
    assert_eq!(security.image().unwrap().title(), "An ninh – Báo Biên Tập");
    let atom = atom_syndication::Feed::read_from(&body(&server, "/feeds/security.atom").await[..])
        .unwrap();
    assert_eq!(
        (atom.icon(), atom.logo()),
        (Some(feed_icon), Some(site_logo))
    );
    let security = json(&body(&server, "/feeds/security.json").await);
    assert_eq!(
        (&security["icon"], &security["favicon"]),
        (&feed_icon.into(), &feed_icon.into())
    );
    server.stop().await;

    // `--site-title` wins over the file's title.
    let server = TestServer::start(
        &backend,
        &["--feeds", &feeds_arg, "--site-title", "Tin Nhanh"],
    )
    .await;
    let all = rss::Channel::read_from(&body(&server, "/feeds/all.rss").await[..]).unwrap();
    assert_eq!(all.title(), "Tất cả bài viết – Tin Nhanh");
    assert_eq!(all.image().unwrap().title(), "Tất cả bài viết – Tin Nhanh");
    server.stop().await;
}

#[test]
fn a_bad_icon_logo_or_content_setting_stops_the_start_naming_the_file_and_field() {
    for (file, line, expected) in [
        (
            "site.toml",
            "icon = \"http://cdn.example/icon.png\"",
            "site.toml field `icon`: `http://cdn.example/icon.png` must be an https:// URL",
        ),
        (
            "site.toml",
            "colour = \"red\"",
            "site.toml line 1: unknown field `colour`",
        ),
        (
            "security.toml",
            "logo = \"//cdn.example/logo.png\"",
            "security.toml field `logo`: `//cdn.example/logo.png` is a scheme-relative URL",
        ),
        (
            "borders.toml",
            "content = \"short\"",
            "borders.toml field `content`: `short` is not `full` or `summary`",
        ),
    ] {
        let dir = TempDir::new().unwrap();
        let feeds = feeds_copy(dir.path());
        if file == "site.toml" {
            std::fs::write(feeds.join(file), format!("{line}\n")).unwrap();
        } else {
            add_to_feed(&feeds, file, line);
        }
        let store = dir.path().join("vnfeed.db");
        let out = serve_on(&feeds, &store);
        assert!(!out.status.success(), "{line}: started");
        let err = stderr(&out);
        assert!(err.contains(expected), "{line}: {err}");
        assert!(
            err.contains(&feeds.join(file).display().to_string()),
            "{err}"
        );
        assert!(
            !store.exists(),
            "definitions are checked before the store is touched"
        );
    }
}

/// A definition file that is not a small regular file (a FIFO would block the start for
/// ever, a link to `/dev/zero` would be read without end, a dump would be read whole) stops
/// the start at once, naming the file, before the store is touched.
#[test]
fn a_fifo_a_device_or_a_huge_definition_file_is_refused_at_once() {
    type Make = fn(&Path);
    let cases: [(&str, Make, &str); 4] = [
        (
            "site.toml",
            |p| assert!(Command::new("mkfifo").arg(p).status().unwrap().success()),
            "not a regular file",
        ),
        (
            "site.toml",
            |p| std::os::unix::fs::symlink("/dev/zero", p).unwrap(),
            "not a regular file",
        ),
        (
            "site.toml",
            |p| std::fs::write(p, "#".repeat(2 << 20)).unwrap(),
            "larger than 1048576 bytes",
        ),
        (
            "zz-extra.toml",
            |p| assert!(Command::new("mkfifo").arg(p).status().unwrap().success()),
            "not a regular file",
        ),
    ];
    for (file, make, expected) in cases {
        let dir = TempDir::new().unwrap();
        let feeds = feeds_copy(dir.path());
        let _ = std::fs::remove_file(feeds.join(file));
        make(&feeds.join(file));
        let store = dir.path().join("vnfeed.db");
        let started = std::time::Instant::now();
        let out = serve_on(&feeds, &store);
        assert!(!out.status.success(), "{file} ({expected}): started");
        let err = stderr(&out);
        let named = format!("{}: {expected}", feeds.join(file).display());
        assert!(err.contains(&named), "{err}");
        assert!(!store.exists(), "the store is not touched");
        eprintln!("{file} ({expected}): refused in {:?}", started.elapsed());
    }
}

#[test]
fn the_built_in_definitions_are_the_repository_s_feeds_directory() {
    let mut on_disk: Vec<(String, String)> = std::fs::read_dir(repo().join("feeds"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    on_disk.sort();
    let embedded: Vec<(String, String)> = vnfeed::feeds::embedded_files()
        .into_iter()
        .map(|(p, t)| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                t.to_string(),
            )
        })
        .collect();
    assert!(on_disk.iter().any(|(n, _)| n == identity::SITE_FILE));
    assert_eq!(embedded, on_disk);
    // And both read the same way.
    let slugs = |set: &vnfeed::feeds::FeedSet| -> Vec<String> {
        set.feeds().map(|f| f.slug.clone()).collect()
    };
    assert_eq!(slugs(&vnfeed::feeds::FeedSet::embedded()), slugs(&feeds()));
    assert_eq!(
        identity::SiteFile::embedded(),
        identity::SiteFile::load(&repo().join("feeds")).unwrap()
    );
}

#[test]
fn an_icon_path_this_server_does_not_serve_is_named_at_start_up() {
    let dir = TempDir::new().unwrap();
    let feeds = feeds_copy(dir.path());
    std::fs::write(
        feeds.join("site.toml"),
        "icon = \"/media/bieu-tuong.png\"\nlogo = \"/logo.png\"\n",
    )
    .unwrap();
    add_to_feed(&feeds, "borders.toml", "logo = \"/anh/bien-gioi.png\"");
    let feeds = feeds.display().to_string();
    // No --media-dir: /media/ is not served either; /logo.png is the built-in logo.
    let server = ServeProcess::start_in(dir.path(), &["--feeds", &feeds]).unwrap();
    let warned: Vec<String> = server
        .log()
        .lines()
        .filter(|l| l.contains("an icon or logo this server does not serve"))
        .map(String::from)
        .collect();
    assert_eq!(warned.len(), 2, "{warned:#?}");
    assert!(
        warned[0].contains("url=\"/media/bieu-tuong.png\""),
        "{}",
        warned[0]
    );
    assert!(
        warned[1].contains("url=\"/anh/bien-gioi.png\""),
        "{}",
        warned[1]
    );
    drop(server);
    // With a media directory, only the path outside /media/ is.
    let media = dir.path().join("media");
    std::fs::create_dir(&media).unwrap();
    let media = media.display().to_string();
    let server =
        ServeProcess::start_in(dir.path(), &["--feeds", &feeds, "--media-dir", &media]).unwrap();
    let log = server.log();
    assert_eq!(log.matches("does not serve").count(), 1, "{log}");
    assert!(log.contains("url=\"/anh/bien-gioi.png\""), "{log}");
}
