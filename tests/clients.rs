//! Real clients against the real server: headless Chromium driven over WebDriver through the
//! index, a category, an article, its author's page and a tag's page (text, dates, no console
//! errors, screenshots), and the
//! newsboat feed reader subscribed to every RSS and Atom feed. Each says plainly when the
//! program it needs is not installed (`.ci/run` installs both) and then does not pretend to pass
//! anything else.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{ClientBuilder, Locator};
use serde_json::json;
use vnfeed::vietnamese::dateline::human_vi;

/// The first of `names` found on PATH or at the given absolute paths.
fn program(names: &[&str]) -> Option<PathBuf> {
    for name in names {
        let path = Path::new(name);
        if path.is_absolute() && path.is_file() {
            return Some(path.to_path_buf());
        }
        let paths = std::env::var_os("PATH").unwrap_or_default();
        if let Some(found) = std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
        {
            return Some(found);
        }
    }
    None
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Kills the child when dropped, so a failing assertion leaves no driver running.
struct Killed(tokio::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.start_kill();
    }
}

/// chromedriver's log endpoint (not in W3C WebDriver, which has no console access): the
/// browser's console messages since the last call.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

/// A server whose pages reach nothing but itself: the shipped text samples (no outside
/// image URLs) and one article whose image is in the media directory.
async fn local_only_server(backend: &Backend) -> TestServer {
    let media = backend.path().join("media");
    std::fs::create_dir_all(&media).unwrap();
    std::fs::write(media.join("cot-moc.png"), PNG_1X1).unwrap();
    let mut sources: Vec<PathBuf> = std::fs::read_dir(repo().join("samples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    sources.sort();
    let with_image = r#"{"id": "le-thuong-co", "title": "Lễ thượng cờ tại cột mốc 79",
        "published": "2025-04-02T07:30:00+07:00", "categories": ["borders"],
        "author": "Hà Vy", "tags": ["Cột mốc", "Lễ thượng cờ"],
        "body": "Sáng nay, cán bộ, chiến sĩ đồn biên phòng làm lễ thượng cờ tại cột mốc 79.\n\nBuổi lễ có đông đảo bà con các bản lân cận tham dự.",
        "image": "/media/cot-moc.png"}"#;
    sources.push(write_files(
        backend.path(),
        "in",
        &[("le-thuong-co.json", with_image.as_bytes())],
    ));
    let store = backend.open().await;
    let report =
        vnfeed::import::import_paths(store.as_ref(), &feeds(), &sources, chrono::Utc::now()).await;
    assert!(report.is_success(), "{:?}", report.failed);
    TestServer::start(
        backend,
        &[
            "--no-samples",
            "--site-title",
            "Báo Biên Cương",
            "--media-dir",
            media.to_str().unwrap(),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_reads_the_index_a_category_and_an_article() {
    let (Some(chromium), Some(driver)) = (
        program(&["chromium", "chromium-browser", "google-chrome"]),
        program(&["chromedriver", "/usr/lib/chromium/chromedriver"]),
    ) else {
        eprintln!(
            "SKIPPED: browser test: chromium and chromedriver are not installed \
             (apt-get install chromium chromium-driver; .ci/run installs them)"
        );
        return;
    };
    let backend = Backend::sqlite();
    let server = local_only_server(&backend).await;
    let store = backend.open().await;

    let port = free_port();
    let _driver = Killed(
        tokio::process::Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts"),
    );
    let profile = tempdir();
    let caps = json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-quic", "--disable-default-apps",
                "--disable-extensions", "--no-proxy-server",
                // Nothing but loopback can even be resolved.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        },
        "goog:loggingPrefs": {"browser": "ALL"},
    });
    let webdriver = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let client = loop {
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(caps.as_object().unwrap().clone());
        match builder.connect(&webdriver).await {
            Ok(client) => break client,
            Err(e) if Instant::now() < deadline => {
                eprintln!("waiting for chromedriver: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("no WebDriver session: {e}"),
        }
    };
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let save = |name: &str, png: Vec<u8>| {
        let path = shots.join(name);
        std::fs::write(&path, png).unwrap();
        eprintln!("screenshot: {}", path.display());
    };

    // The index.
    client.goto(&format!("{}/", server.url)).await.unwrap();
    assert_eq!(client.title().await.unwrap(), "Báo Biên Cương");
    let h1 = client.find(Locator::Css("h1")).await.unwrap();
    assert_eq!(h1.text().await.unwrap(), "Báo Biên Cương");
    let newest = store.latest(FeedKey::All, 1).await.unwrap().remove(0);
    let first_time = client.find(Locator::Css("ul.articles time")).await.unwrap();
    assert_eq!(
        first_time.text().await.unwrap(),
        human_vi(newest.published),
        "the newest article's date, the Vietnamese way"
    );
    save("index.png", client.screenshot().await.unwrap());
    // The icons the page links (the built-in SVG and PNG) load under the page's CSP.
    for selector in [
        "link[rel=icon][type='image/svg+xml']",
        "link[rel=icon]:not([type])",
    ] {
        let width = client
            .execute_async(
                "const [selector, done] = arguments; \
                 const i = new Image(); i.onload = () => done(i.naturalWidth); \
                 i.onerror = () => done(0); i.src = document.querySelector(selector).href;",
                vec![json!(selector)],
            )
            .await
            .unwrap();
        assert_eq!(width, json!(64), "{selector}");
    }

    // Follow a category.
    follow(&client, "Biên giới").await;
    assert_eq!(
        client.current_url().await.unwrap().as_str(),
        format!("{}/categories/borders", server.url)
    );
    assert_eq!(texts(&client, "h1").await, ["Biên giới"]);
    let borders = store
        .latest(FeedKey::Category("borders"), 50)
        .await
        .unwrap();
    let titles = texts(&client, "ul.articles h3 a").await;
    let expected: Vec<String> = borders.iter().map(|a| a.title.clone()).collect();
    assert_eq!(titles, expected, "the category's articles, newest first");
    let dates = texts(&client, "ul.articles time").await;
    let expected: Vec<String> = borders.iter().map(|a| human_vi(a.published)).collect();
    assert_eq!(dates, expected);
    save("category.png", client.screenshot().await.unwrap());

    // Follow its newest article (the one with the image).
    follow(&client, &borders[0].title).await;
    assert_eq!(
        client.current_url().await.unwrap().as_str(),
        format!("{}/articles/{}", server.url, borders[0].slug)
    );
    let text = texts(&client, "article").await.concat();
    assert!(text.starts_with(&borders[0].title), "{text}");
    assert!(text.contains(&human_vi(borders[0].published)), "{text}");
    assert!(text.contains("Thứ Tư, 02/04/2025, 07:30 (GMT+7)"), "{text}");
    let script = |js: &'static str| client.execute(js, vec![]);
    let loaded = script(
        "const i = document.querySelector('article img'); return i && i.complete && i.naturalWidth;",
    )
    .await
    .unwrap();
    assert_eq!(loaded, json!(1), "the media image loads");
    save("article.png", client.screenshot().await.unwrap());

    // A phone: the page fits, nothing scrolls sideways.
    client.set_window_size(390, 844).await.unwrap();
    let overflow = script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
    )
    .await
    .unwrap();
    assert_eq!(overflow, json!(0), "no horizontal scrolling at 390 px");
    save("article-phone.png", client.screenshot().await.unwrap());

    // The author's page and a tag's page, followed from the article.
    client.set_window_size(1280, 1000).await.unwrap();
    follow(&client, "Hà Vy").await;
    assert_eq!(
        client.current_url().await.unwrap().as_str(),
        format!("{}/authors/ha-vy", server.url)
    );
    assert_eq!(texts(&client, "h1").await, ["Hà Vy"]);
    assert_eq!(
        texts(&client, "ul.articles h3 a").await,
        [borders[0].title.clone()]
    );
    assert_eq!(
        texts(&client, "ul.articles time").await,
        [human_vi(borders[0].published)]
    );
    save("author.png", client.screenshot().await.unwrap());
    client.back().await.unwrap();
    follow(&client, "cột mốc").await;
    assert_eq!(
        client.current_url().await.unwrap().as_str(),
        format!("{}/tags/cot-moc", server.url)
    );
    assert_eq!(texts(&client, "h1").await, ["Từ khóa: cột mốc"]);
    assert_eq!(
        texts(&client, "ul.articles h3 a").await,
        [borders[0].title.clone()]
    );
    save("tag.png", client.screenshot().await.unwrap());

    let log = client
        .issue_cmd(BrowserLog)
        .await
        .expect("chromedriver gives the console log");
    let errors: Vec<&serde_json::Value> = log
        .as_array()
        .expect("a list of log entries")
        .iter()
        .filter(|e| e["level"] == "SEVERE" || e["level"] == "WARNING")
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    client.close().await.unwrap();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newsboat_loads_every_item_of_every_feed() {
    let Some(newsboat) = program(&["newsboat"]) else {
        eprintln!(
            "SKIPPED: feed reader test: newsboat is not installed \
             (apt-get install newsboat; .ci/run installs it)"
        );
        return;
    };
    let backend = Backend::sqlite();
    let server = TestServer::start(&backend, &["--site-title", "Báo Thử"]).await;
    let home = tempdir();
    // newsboat has no JSON Feed support: it reads RSS and Atom.
    let mut urls = Vec::new();
    for slug in ["all", "security", "party-affairs", "borders"] {
        for ext in ["rss", "atom"] {
            urls.push(format!("{}/feeds/{slug}.{ext}", server.url));
        }
    }
    let urls_file = home.path().join("urls");
    std::fs::write(&urls_file, urls.join("\n") + "\n").unwrap();
    let config = home.path().join("config");
    std::fs::write(&config, "reload-threads 2\n").unwrap();
    let cache = home.path().join("cache.db");
    let run = tokio::process::Command::new(&newsboat)
        .arg("-u")
        .arg(&urls_file)
        .arg("-c")
        .arg(&cache)
        .arg("-C")
        .arg(&config)
        .args(["-x", "reload", "print-unread"])
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .env("XDG_DATA_HOME", home.path())
        .env("XDG_CACHE_HOME", home.path())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("newsboat finishes")
        .expect("newsboat runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "newsboat: {stdout}\n{stderr}");

    // What we serve, read by the rss and atom crates: item id (RSS guid, Atom id) -> title.
    // newsboat keeps one item per id, however many feeds carry it.
    let mut served: BTreeMap<String, String> = BTreeMap::new();
    let mut per_feed = Vec::new();
    for url in &urls {
        let path = url.strip_prefix(&server.url).unwrap();
        let body = server.get_with(path, &[]).await.bytes().await.unwrap();
        let items: Vec<(String, String)> = if url.ends_with(".rss") {
            rss::Channel::read_from(&body[..])
                .unwrap()
                .items()
                .iter()
                .map(|i| {
                    let guid = i.guid().unwrap().value().to_string();
                    (guid, i.title().unwrap().to_string())
                })
                .collect()
        } else {
            atom_syndication::Feed::read_from(&body[..])
                .unwrap()
                .entries()
                .iter()
                .map(|e| (e.id().to_string(), e.title().to_string()))
                .collect()
        };
        assert!(!items.is_empty(), "{url}");
        per_feed.push((url.clone(), items.len()));
        served.extend(items);
    }
    assert_eq!(
        stdout.trim(),
        format!("{} unread articles", served.len()),
        "every item is new to the reader"
    );

    // What newsboat stored, from its own cache: every item, with the title we served.
    let db = rusqlite::Connection::open(&cache).unwrap();
    let stored = pairs(&db, "SELECT guid, title FROM rss_item");
    assert_eq!(stored, served, "newsboat has every item, titled as served");
    let feed_titles = pairs(&db, "SELECT rssurl, title FROM rss_feed");
    assert_eq!(
        feed_titles[&format!("{}/feeds/borders.atom", server.url)],
        "Biên giới – Báo Thử"
    );
    assert_eq!(
        feed_titles[&format!("{}/feeds/party-affairs.rss", server.url)],
        "Xây dựng Đảng – Báo Thử"
    );
    assert_eq!(
        feed_titles.keys().cloned().collect::<BTreeSet<_>>(),
        urls.iter().cloned().collect::<BTreeSet<_>>()
    );
    eprintln!(
        "newsboat: {} feeds ({per_feed:?}), {} distinct items, said `{}`",
        feed_titles.len(),
        served.len(),
        stdout.trim()
    );
    server.stop().await;
}

/// Two text columns of a query on newsboat's cache, as a map.
fn pairs(db: &rusqlite::Connection, sql: &str) -> BTreeMap<String, String> {
    let mut stmt = db.prepare(sql).unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The text of every element `css` selects.
async fn texts(client: &fantoccini::Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for element in client.find_all(Locator::Css(css)).await.unwrap() {
        out.push(element.text().await.unwrap());
    }
    out
}

/// Clicks the link whose text is `text`.
async fn follow(client: &fantoccini::Client, text: &str) {
    let link = client.find(Locator::LinkText(text)).await.unwrap();
    link.click().await.unwrap();
}
