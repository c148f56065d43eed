//! The scale run: a million synthetic Vietnamese articles of a real story's size (about 4 KB,
//! `--size short` for the old 1.3 KB ones) into a store (an SQLite file, or a PostgreSQL
//! database with `--store postgres://...`), then the figures issues 4 and 15 ask for, each
//! printed beside its goal: how fast the store takes articles (per 100,000 of the fill, then
//! the store alone and the whole `vnfeed import` path into that full store, with the CPU each
//! costs per article), a cold 50-item category feed, write -> served, and the server's peak
//! resident memory with that store. `--write-only` stops after the write figures.
//! Prints numbers; asserts nothing about time.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use clap::{Parser, ValueEnum};
use vnfeed::config::StoreLocation;
use vnfeed::feeds::FeedSet;
use vnfeed::http::representation::Rendered;
use vnfeed::import;
use vnfeed::model::{Block, Draft, Format};
use vnfeed::render::{self, FeedView, Site};
use vnfeed::store::{FeedKey, MigrateStore, Store};
use vnfeed::vietnamese::dateline::rfc3339;
use vnfeed_bench::probe;
use vnfeed_bench::report::{Goal, line, ms, summarize};
use vnfeed_bench::synthetic::{self, Length};

#[derive(Debug, Clone, Parser)]
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
    /// Articles per store transaction in the bulk fill.
    #[arg(long, default_value_t = 5_000)]
    chunk: u64,
    #[arg(long, default_value_t = 2016)]
    seed: u64,
    /// `seed`: about 4 KB (a title, a dateline, four or five paragraphs, a caption and an
    /// author), a real story's size; `short`: about 1.3 KB, as the first figures were taken.
    #[arg(long, value_enum, default_value_t = Size::Seed)]
    size: Size,
    /// `random`: each article's file (so its id) is named by a hash of its number, as
    /// newsroom files often are (the seed is `000_ba79d43b9d51b0f4.txt`), so ids arrive in no
    /// order; `sequential`: `tong-hop-0000001.txt`, ids in the order of time.
    #[arg(long, value_enum, default_value_t = Ids::Random)]
    ids: Ids,
    /// The fill's rate is printed for each this many articles.
    #[arg(long, default_value_t = 100_000)]
    every: u64,
    /// Articles timed through the whole import path, into the full store.
    #[arg(long, default_value_t = 50_000)]
    import_path: u64,
    /// Articles parsed beforehand and timed into the full store by the store alone.
    #[arg(long, default_value_t = 100_000)]
    store_alone: u64,
    /// Only the write figures: no cold feeds, no server.
    #[arg(long)]
    write_only: bool,
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

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Size {
    Seed,
    Short,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Ids {
    Random,
    Sequential,
}

impl Args {
    fn length(&self) -> Length {
        match self.size {
            Size::Seed => Length::Seed,
            Size::Short => Length::Short,
        }
    }

    /// Article `n` of this run.
    fn article(&self, n: u64) -> import::Source {
        let mut source = synthetic::article_of(n, self.seed, self.length());
        if let Ids::Random = self.ids {
            // splitmix64's finalizer: a bijection, so no two articles share a name.
            let mut h = n ^ self.seed.rotate_left(32);
            h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            h ^= h >> 31;
            source.path = PathBuf::from(format!("{h:016x}.txt"));
        }
        source
    }
}

const LIMIT: usize = 50;
/// Each cold feed is measured this many times, evicting the store file before each.
const COLD_ROUNDS: usize = 5;
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
        "== scale: {} synthetic articles ({:?} size, {:?} ids) in {}; load average at the start: {}",
        args.articles,
        args.size,
        args.ids,
        args.store,
        probe::load_average()
    );
    fill(&args, &feeds).await?;
    if args.write_only {
        return Ok(());
    }
    cold_render(&args, &feeds).await?;
    let server = ServerProcess::start(&args)?;
    let result = write_to_served(&args, &feeds, &server).await;
    server.report_memory("after start-up and the timed writes");
    server.stop();
    result
}

/// Fills the store with the synthetic articles (unless it already has them), then times the
/// whole `vnfeed import` path on more articles going into that full store.
async fn fill(args: &Args, feeds: &Arc<FeedSet>) -> Result<(), Box<dyn std::error::Error>> {
    let exists = match &args.store {
        StoreLocation::Sqlite(path) => path.exists(),
        StoreLocation::Postgres(_) => true,
    };
    if args.reuse && exists {
        let count = open_for_copy(args).await?.count_stored().await?;
        if count >= args.articles {
            println!("store write     reusing the store: {count} articles (no bulk write timed)");
            return more_into_the_full_store(args, feeds, count).await;
        }
    }
    match &args.store {
        StoreLocation::Sqlite(path) => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        StoreLocation::Postgres(_) => {
            let count = open_for_copy(args).await?.count_stored().await?;
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
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Draft>>(2);
    let (total, chunk) = (args.articles, args.chunk);
    let parse_feeds = Arc::clone(feeds);
    let producer_args = args.clone();
    // Generating and parsing run ahead on their own threads, so what is timed below is the
    // store taking drafts: the figure the 20,000/s goal is about.
    let producer = std::thread::spawn(move || {
        for start in (0..total).step_by(chunk as usize) {
            let range = start..(start + chunk).min(total);
            let drafts = parse_in_parallel(&parse_feeds, &producer_args, range);
            if tx.send(drafts).is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    let mut busy = Duration::ZERO;
    let mut written = 0u64;
    // The current stretch of `--every` articles: where it began, and its store time.
    let (mut stretch_from, mut stretch_busy) = (0u64, Duration::ZERO);
    while let Ok(drafts) = tokio::task::block_in_place(|| rx.recv()) {
        let n = drafts.len() as u64;
        let t = Instant::now();
        store.upsert(drafts, Utc::now()).await?;
        busy += t.elapsed();
        stretch_busy += t.elapsed();
        written += n;
        if written - stretch_from >= args.every || written == total {
            println!(
                "fill            articles {stretch_from:>7}-{written:<7} {:>7.0} articles/s of store time \
                 ({:.1} s; {:.0} s since the start)",
                (written - stretch_from) as f64 / stretch_busy.as_secs_f64(),
                stretch_busy.as_secs_f64(),
                started.elapsed().as_secs_f64(),
            );
            (stretch_from, stretch_busy) = (written, Duration::ZERO);
        }
    }
    producer.join().map_err(|_| "the generator panicked")?;
    let wall = started.elapsed().as_secs_f64();
    let rate = written as f64 / busy.as_secs_f64();
    line(
        "store write",
        &format!(
            "{written} articles in {:.1} s of store time = {rate:.0} articles/s \
             ({chunk}-article transactions, durable commits; wall {wall:.1} s = {:.0}/s \
             while generating and parsing kept up)",
            busy.as_secs_f64(),
            written as f64 / wall,
        ),
        Goal::AtLeast(rate, 20_000.0),
    );
    report_size(args)?;
    more_into_the_full_store(args, feeds, written).await
}

/// Two more figures on the full store: the whole `vnfeed import` path, and the store alone
/// taking drafts parsed beforehand, with the CPU each costs per article (the wall clock on a
/// shared machine says as much about the neighbours as about vnfeed).
async fn more_into_the_full_store(
    args: &Args,
    feeds: &Arc<FeedSet>,
    count: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    import_path(args, feeds, count).await?;
    store_alone(args, feeds, count + args.import_path).await?;
    report_size(args)
}

/// `--store-alone` drafts, parsed and split into `--chunk`-article transactions before the
/// clock starts, written while nothing else in this process runs.
async fn store_alone(
    args: &Args,
    feeds: &Arc<FeedSet>,
    first: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    let count = args.store_alone;
    let mut drafts = parse_in_parallel(feeds, args, first..first + count);
    let mut batches = Vec::new();
    while !drafts.is_empty() {
        let rest = drafts.split_off(drafts.len().min(args.chunk as usize));
        batches.push(std::mem::replace(&mut drafts, rest));
    }
    let store = open(args).await?;
    let (user_before, system_before) = probe::cpu_user_system();
    let started = Instant::now();
    for batch in batches {
        store.upsert(batch, Utc::now()).await?;
    }
    let secs = started.elapsed().as_secs_f64();
    let (user, system) = probe::cpu_user_system();
    let (user, system) = (user - user_before, system - system_before);
    let cpu = user + system;
    let rate = count as f64 / secs;
    let per_article = |s: f64| s * 1e6 / count as f64;
    line(
        "store alone",
        &format!(
            "{count} more pre-parsed articles in {secs:.1} s = {rate:.0} articles/s \
             (CPU {:.0} us/article, of it {:.0} us in the kernel: {:.0}/s on one free core; \
             {:.0} us/article waiting)",
            per_article(cpu),
            per_article(system),
            count as f64 / cpu,
            per_article(secs - cpu).max(0.0),
        ),
        Goal::AtLeast(rate, 20_000.0),
    );
    Ok(())
}

/// The SQLite file's size and the machine's load now.
fn report_size(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    if let StoreLocation::Sqlite(path) = &args.store {
        let size = std::fs::metadata(path)?.len();
        println!(
            "store size      {:.0} MB (load average now: {})",
            size as f64 / 1e6,
            probe::load_average()
        );
    }
    Ok(())
}

/// Articles `range`, generated and parsed on every core.
fn parse_in_parallel(feeds: &FeedSet, args: &Args, range: std::ops::Range<u64>) -> Vec<Draft> {
    let numbers: Vec<u64> = range.collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = numbers.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = numbers
            .chunks(per_thread)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|&n| {
                            let (mut drafts, _) = import::parse_source(&args.article(n), feeds)
                                .expect("synthetic articles parse");
                            drafts.remove(0)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().expect("parsing does not panic"))
            .collect()
    })
}

/// The whole import path, as `vnfeed import` runs it (decode, parse, NFC, classify, store in
/// `import::BATCH_FILES`-file transactions, parsing the next batch while one is written), for
/// `--import-path` new articles into the full store.
async fn import_path(
    args: &Args,
    feeds: &Arc<FeedSet>,
    first: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    let sources: Vec<import::Source> = (first..first + args.import_path)
        .map(|n| args.article(n))
        .collect();
    let store = open(args).await?;
    let cpu_before = probe::cpu_seconds();
    let started = Instant::now();
    let report = import::import_sources(store.as_ref(), feeds, &sources, Utc::now()).await;
    let secs = started.elapsed().as_secs_f64();
    let cpu = probe::cpu_seconds() - cpu_before;
    if let Some(first) = report.failed.first() {
        return Err(format!("import failed: {first}").into());
    }
    let rate = report.created as f64 / secs;
    line(
        "import path",
        &format!(
            "{} more articles in {secs:.1} s = {rate:.0} articles/s through vnfeed::import \
             (text layout decoded, parsed, classified, stored; CPU {:.0} us/article)",
            report.created,
            cpu * 1e6 / report.created.max(1) as f64
        ),
        Goal::AtLeast(rate, 20_000.0),
    );
    Ok(())
}

async fn open(args: &Args) -> Result<Arc<dyn Store>, Box<dyn std::error::Error>> {
    Ok(vnfeed::app::open_store(&args.store).await?)
}

async fn open_for_copy(args: &Args) -> Result<Arc<dyn MigrateStore>, Box<dyn std::error::Error>> {
    Ok(vnfeed::app::open_for_copy(&args.store).await?)
}

/// A 50-item feed from a store nobody has read yet: a new connection, and the file's pages
/// evicted from the kernel's cache first, so the index walk goes to the disk.
async fn cold_render(args: &Args, feeds: &Arc<FeedSet>) -> Result<(), Box<dyn std::error::Error>> {
    let site = Site::new("http://127.0.0.1:8080", "vnfeed");
    // The process itself warm (code paged in, the blocking pool's thread started), as in a
    // running server; only the store is cold below.
    {
        let store = open(args).await?;
        let articles = store.latest(FeedKey::All, 1).await?;
        let all = feeds.all();
        let view = view_of(&site, all, feeds, &articles);
        let _ = render::feed(&view, Format::Rss);
    }
    for slug in ["security", "party-affairs", "borders", "all"] {
        let feed = feeds.category(slug).unwrap_or(feeds.all()).clone();
        let category = if feed.is_all() {
            FeedKey::All
        } else {
            FeedKey::Category(slug)
        };
        let mut queries = Vec::new();
        let mut renders = Vec::new();
        let mut totals = Vec::new();
        let mut articles = Vec::new();
        let mut size = 0;
        for _ in 0..COLD_ROUNDS {
            if let StoreLocation::Sqlite(path) = &args.store {
                for suffix in ["", "-wal"] {
                    let path = format!("{}{suffix}", path.display());
                    probe::evict_from_page_cache(Path::new(&path))?;
                }
            }
            let store = open(args).await?;
            let t0 = Instant::now();
            articles = store.latest(category, LIMIT).await?;
            let queried = t0.elapsed();
            let view = view_of(&site, &feed, feeds, &articles);
            let t1 = Instant::now();
            size = render::feed(&view, Format::Rss).len();
            let rendered = t1.elapsed();
            queries.push(queried);
            renders.push(rendered);
            totals.push(queried + rendered);
        }
        let total = median(&mut totals);
        line(
            &format!("cold {slug}.rss"),
            &format!(
                "{} items, {} KB: query {} + render {} = {} (medians of {COLD_ROUNDS}; max {})",
                articles.len(),
                size / 1000,
                ms(median(&mut queries)),
                ms(median(&mut renders)),
                ms(total),
                ms(*totals.last().expect("rounds ran")),
            ),
            Goal::Below(total, Duration::from_millis(5)),
        );
        let store = open(args).await?;
        let view = view_of(&site, &feed, feeds, &articles);
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

/// A feed's view with no tombstones, as a store of only live articles gives.
fn view_of<'a>(
    site: &'a Site,
    feed: &'a vnfeed::feeds::FeedDef,
    feeds: &'a FeedSet,
    articles: &'a [vnfeed::model::Article],
) -> FeedView<'a> {
    FeedView {
        site,
        feed,
        feeds,
        articles,
        tombstones: &[],
    }
}

fn free_loopback_port() -> std::io::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.local_addr()
}

/// A new article dated now (newer than any shown), written through the API when the server has one
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
        let source =
            synthetic::article_of(args.articles + 10_000 + k, args.seed ^ 0xA11, args.length());
        let (mut drafts, _) = import::parse_source(&source, feeds)?;
        let mut draft = drafts.remove(0);
        draft.id = format!("ghi-moi-{k}");
        // Now, to the second: at the head of its feeds, as no article dated later is shown
        // yet. Not later: the synthetic datelines of a large store run past today, and an
        // article dated after now waits, unshown, for its time (scheduled publishing).
        draft.published = DateTime::from_timestamp(Utc::now().timestamp(), 0).expect("now");
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
