//! The scale run: a million synthetic Vietnamese articles through vnfeed's own importer into
//! a store (an SQLite file, or a PostgreSQL database with `--store postgres://...`), then the
//! figures issue 4 asks for, each printed beside its goal:
//! import throughput, a cold 50-item category feed, write -> served, and the server's peak
//! resident memory with that store. Prints numbers; asserts nothing about time.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use clap::Parser;
use vnfeed::cache::Rendered;
use vnfeed::config::StoreLocation;
use vnfeed::feeds::FeedSet;
use vnfeed::import;
use vnfeed::model::{Block, Draft, Format};
use vnfeed::render::{self, FeedView, Site};
use vnfeed::store::Store;
use vnfeed::vietnamese::dateline::rfc3339;
use vnfeed_bench::probe;
use vnfeed_bench::report::{Goal, line, ms, summarize};
use vnfeed_bench::synthetic;

#[derive(Debug, Parser)]
#[command(about = "Fill a store with synthetic articles and measure vnfeed at that scale")]
struct Args {
    /// The store to fill: an SQLite file (replaced, unless --reuse finds it full enough) or
    /// an empty PostgreSQL database (`postgres://...`).
    #[arg(long, default_value = "target/bench/million.db", value_parser = StoreLocation::parse)]
    store: StoreLocation,
    #[arg(long, default_value_t = 1_000_000)]
    articles: u64,
    /// Keep a store that already holds at least --articles articles.
    #[arg(long)]
    reuse: bool,
    /// Articles generated per chunk handed to the importer.
    #[arg(long, default_value_t = 10_000)]
    chunk: u64,
    #[arg(long, default_value_t = 2016)]
    seed: u64,
    /// The vnfeed binary to measure (the release build).
    #[arg(long, default_value = "target/release/vnfeed")]
    vnfeed: PathBuf,
    #[arg(long, default_value = "feeds")]
    feeds: PathBuf,
    /// The server's --poll-ms, which bounds write -> served when no write API answers.
    #[arg(long, default_value_t = 10)]
    poll_ms: u64,
    /// Writes timed for write -> served.
    #[arg(long, default_value_t = 20)]
    writes: u64,
    /// Where the server's log goes.
    #[arg(long, default_value = "target/bench/scale-server.log")]
    server_log: PathBuf,
}

const LIMIT: usize = 50;
const TOKEN: &str = "bench-token-not-a-secret";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let feeds = Arc::new(FeedSet::load(&args.feeds)?);
    if let StoreLocation::Sqlite(path) = &args.store
        && let Some(dir) = path.parent()
    {
        std::fs::create_dir_all(dir)?;
    }
    println!(
        "== scale: {} synthetic articles in {}",
        args.articles, args.store
    );
    fill(&args, &feeds).await?;
    cold_render(&args, &feeds).await?;
    let server = ServerProcess::start(&args)?;
    let result = write_to_served(&args, &feeds, &server).await;
    server.report_memory("after start-up and the timed writes");
    server.stop();
    result
}

/// Imports the synthetic articles unless the store already has them.
async fn fill(args: &Args, feeds: &Arc<FeedSet>) -> Result<(), Box<dyn std::error::Error>> {
    let exists = match &args.store {
        StoreLocation::Sqlite(path) => path.exists(),
        StoreLocation::Postgres(_) => true,
    };
    if args.reuse && exists {
        let count = open(args).await?.count().await?;
        if count >= args.articles {
            println!("import          reusing the store: {count} articles (no import timed)");
            return Ok(());
        }
    }
    match &args.store {
        StoreLocation::Sqlite(path) => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        StoreLocation::Postgres(_) => {
            let count = open(args).await?.count().await?;
            if count > 0 {
                return Err(format!(
                    "{} already holds {count} articles: give an empty database (or --reuse)",
                    args.store
                )
                .into());
            }
        }
    }
    let store = open(args).await?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<import::Source>>(2);
    let (total, chunk, seed) = (args.articles, args.chunk, args.seed);
    // Generating is not importing: it runs on its own thread, ahead of the importer.
    let generator = std::thread::spawn(move || {
        for start in (0..total).step_by(chunk as usize) {
            let sources = (start..(start + chunk).min(total))
                .map(|n| synthetic::article(n, seed))
                .collect();
            if tx.send(sources).is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    let cpu_before = probe::cpu_seconds();
    let mut waited = Duration::ZERO;
    let mut created = 0usize;
    let mut next_progress = 100_000;
    loop {
        let wait = Instant::now();
        let Ok(sources) = tokio::task::block_in_place(|| rx.recv()) else {
            break;
        };
        waited += wait.elapsed();
        let report = import::import_sources(store.as_ref(), feeds, &sources, Utc::now()).await;
        if let Some(first) = report.failed.first() {
            return Err(format!("import failed: {first}").into());
        }
        created += report.created;
        if created >= next_progress {
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "  {created} articles, {secs:.0} s, {:.0}/s",
                created as f64 / secs
            );
            next_progress += 100_000;
        }
    }
    generator.join().map_err(|_| "the generator panicked")?;
    let secs = started.elapsed().as_secs_f64();
    let cpu = probe::cpu_seconds() - cpu_before;
    let rate = created as f64 / secs;
    line(
        "import",
        &format!(
            "{created} articles in {secs:.1} s = {rate:.0} articles/s (text layout parsed, classified, \
             stored in 500-article transactions; {:.1} s of it waiting for the generator; \
             CPU {:.0} us/article, generating included)",
            waited.as_secs_f64(),
            cpu * 1e6 / created.max(1) as f64
        ),
        Goal::AtLeast(rate, 20_000.0),
    );
    if let StoreLocation::Sqlite(path) = &args.store {
        let size = std::fs::metadata(path)?.len();
        println!("store size      {:.0} MB", size as f64 / 1e6);
    }
    Ok(())
}

async fn open(args: &Args) -> Result<Arc<dyn Store>, Box<dyn std::error::Error>> {
    Ok(vnfeed::app::open_store(&args.store).await?)
}

/// A 50-item feed from a store nobody has read yet: a new connection, and (SQLite) the
/// file's pages evicted from the kernel's cache first, so the index walk goes to the disk.
/// PostgreSQL's own buffer cache is the server's and is not evicted: a new connection only.
async fn cold_render(args: &Args, feeds: &Arc<FeedSet>) -> Result<(), Box<dyn std::error::Error>> {
    let site = Site::new("http://127.0.0.1:8080", "vnfeed");
    for slug in ["security", "party-affairs", "borders", "all"] {
        let feed = feeds.category(slug).unwrap_or(feeds.all()).clone();
        if let StoreLocation::Sqlite(path) = &args.store {
            for suffix in ["", "-wal"] {
                probe::evict_from_page_cache(Path::new(&format!("{}{suffix}", path.display())))?;
            }
        }
        let store = open(args).await?;
        let category = (!feed.is_all()).then_some(slug);
        let t0 = Instant::now();
        let articles = store.latest(category, LIMIT).await?;
        let queried = t0.elapsed();
        let view = FeedView {
            site: &site,
            feed: &feed,
            feeds,
            articles: &articles,
            tombstones: &[],
        };
        let t1 = Instant::now();
        let body = render::feed(&view, Format::Rss);
        let rendered = t1.elapsed();
        let total = queried + rendered;
        line(
            &format!("cold {slug}.rss"),
            &format!(
                "{} items: query {} + render {} = {} ({} KB)",
                articles.len(),
                ms(queried),
                ms(rendered),
                ms(total),
                body.len() / 1000
            ),
            Goal::Below(total, Duration::from_millis(5)),
        );
        if slug == "security" {
            // What a refresh pays per feed on top: the other format, and three codings each.
            let t2 = Instant::now();
            for format in Format::ALL {
                let _ = Rendered::new(format.content_type(), render::feed(&view, format), None);
            }
            println!(
                "                then every format in identity, gzip and brotli: {}",
                ms(t2.elapsed())
            );
            let mut warm = Vec::new();
            for _ in 0..20 {
                let t = Instant::now();
                let articles = store.latest(category, LIMIT).await?;
                let view = FeedView {
                    articles: &articles,
                    ..view
                };
                let _ = render::feed(&view, Format::Rss);
                warm.push(t.elapsed());
            }
            println!("warm {slug}.rss   {}", summarize(&mut warm));
        }
    }
    Ok(())
}

/// `vnfeed serve` on the filled store, as its own process.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    fn start(args: &Args) -> Result<ServerProcess, Box<dyn std::error::Error>> {
        let addr = free_loopback_port()?;
        let log = std::fs::File::create(&args.server_log)?;
        let started = Instant::now();
        let child = Command::new(&args.vnfeed)
            .args(["serve", "--no-samples", "--addr", &addr.to_string()])
            .arg("--store")
            .arg(match &args.store {
                StoreLocation::Sqlite(path) => path.display().to_string(),
                StoreLocation::Postgres(url) => url.clone(),
            })
            .arg("--feeds")
            .arg(&args.feeds)
            .args(["--poll-ms", &args.poll_ms.to_string()])
            .env("VNFEED_API_TOKEN", TOKEN)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", args.vnfeed.display()))?;
        let server = ServerProcess { child, addr };
        loop {
            if probe::get(addr, "/feeds/all.rss", &[]).is_ok_and(|r| r.status == 200) {
                break;
            }
            if started.elapsed() > Duration::from_secs(300) {
                server.stop();
                return Err("the server did not serve a feed within 300 s".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        println!(
            "server start    {} from exec to the first feed served (every feed rendered)",
            ms(started.elapsed())
        );
        Ok(server)
    }

    fn report_memory(&self, when: &str) {
        match probe::peak_rss_kib(self.child.id()) {
            Some(kib) => line(
                "peak RSS",
                &format!("{:.1} MB (VmHWM {kib} kB, {when})", kib as f64 / 1024.0),
                Goal::AtMost(kib as f64 / 1024.0, 150.0),
            ),
            None => println!(
                "peak RSS        unknown: no /proc/{}/status",
                self.child.id()
            ),
        }
    }

    fn stop(mut self) {
        // SIGTERM: the server's own graceful stop.
        // SAFETY: signalling our own child by its id.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}

fn free_loopback_port() -> std::io::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.local_addr()
}

/// A new article, newer than every other, written through the API when the server has one
/// (it renders the article's feeds before answering) and else straight into the store from
/// this process, as `vnfeed import` from cron would (the server finds it on its next poll).
/// Timed until a GET of the article's feed returns it.
async fn write_to_served(
    args: &Args,
    feeds: &Arc<FeedSet>,
    server: &ServerProcess,
) -> Result<(), Box<dyn std::error::Error>> {
    let store = open(args).await?;
    let mut via_api = None;
    let mut times = Vec::new();
    for k in 0..args.writes {
        let source = synthetic::article(args.articles + 10_000 + k, args.seed ^ 0xA11);
        let (mut drafts, _) = import::parse_source(&source, feeds)?;
        let mut draft = drafts.remove(0);
        draft.id = format!("ghi-moi-{k}");
        let slug = draft
            .categories
            .first()
            .cloned()
            .unwrap_or_else(|| "all".into());
        let path = format!("/feeds/{slug}.rss");
        let before = probe::get(server.addr, &path, &[])?;
        let etag = before.header("etag").unwrap_or_default().to_string();
        let started = Instant::now();
        let api = match via_api {
            Some(false) => false,
            _ => {
                let status = post_article(server.addr, &draft)?;
                let api = !matches!(status, 404 | 405);
                if api && !(200..300).contains(&status) {
                    return Err(format!("POST /api/articles answered {status}").into());
                }
                via_api = Some(api);
                api
            }
        };
        if !api {
            store.upsert(vec![draft.clone()], Utc::now()).await?;
        }
        loop {
            let resp = probe::get(server.addr, &path, &[("If-None-Match", &etag)])?;
            if resp.status == 200 && contains(&resp.body, draft.title.as_bytes()) {
                break;
            }
            if started.elapsed() > Duration::from_secs(30) {
                return Err(format!("article {} not in {path} after 30 s", draft.id).into());
            }
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
        times.push(started.elapsed());
    }
    let how = if via_api == Some(true) {
        "POST /api/articles".to_string()
    } else {
        format!(
            "no write API on this build: a store write from another process, found by the \
             server's poll every {} ms",
            args.poll_ms
        )
    };
    let median = median(&mut times);
    line(
        "write->served",
        &format!("{} ({how})", summarize(&mut times)),
        Goal::Below(median, Duration::from_millis(50)),
    );
    Ok(())
}

fn post_article(addr: SocketAddr, draft: &Draft) -> std::io::Result<u16> {
    let body: Vec<String> = draft
        .body
        .iter()
        .filter_map(|b| match b {
            Block::Paragraph { text } => Some(text.clone()),
            _ => None,
        })
        .collect();
    let json = serde_json::json!({
        "id": draft.id,
        "title": draft.title,
        "published": rfc3339(draft.published),
        "author": draft.author,
        "summary": draft.summary,
        "body": body.join("\n\n"),
        "categories": draft.categories,
    });
    let auth = format!("Bearer {TOKEN}");
    let resp = probe::exchange(
        addr,
        "POST",
        "/api/articles",
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &auth),
        ],
        json.to_string().as_bytes(),
    )?;
    Ok(resp.status)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}
