//! Where an imported article's CPU goes (issue 15, step 4): each stage of `vnfeed import`
//! run on its own over the same seed-sized articles (about 4 KB each), single-threaded, with
//! the CPU time it costs per article; then the store alone and the whole import path, into
//! fresh SQLite files with durable commits.
//!
//! ```sh
//! cargo build --release -p vnfeed-bench --bin import_stages
//! target/release/import_stages --articles 20000
//! ```
//!
//! Prints numbers; asserts nothing about time.

use std::path::PathBuf;
use std::time::Instant;

use chrono::Utc;
use clap::Parser;
use vnfeed::classify::ArticleText;
use vnfeed::feeds::FeedSet;
use vnfeed::import;
use vnfeed::model::Draft;
use vnfeed::store::Store;
use vnfeed::store::sqlite::SqliteStore;
use vnfeed::vietnamese::encoding::decode;
use vnfeed_bench::probe;
use vnfeed_bench::synthetic::{self, Length};

#[derive(Debug, Parser)]
#[command(about = "Time each stage of vnfeed import on seed-sized articles")]
struct Args {
    #[arg(long, default_value_t = 20_000)]
    articles: u64,
    #[arg(long, default_value_t = 2016)]
    seed: u64,
    /// Short synthetic articles (about 1.3 KB) instead of seed-sized ones.
    #[arg(long)]
    short: bool,
    #[arg(long, default_value = "feeds")]
    feeds: PathBuf,
    /// Where the fresh stores go (replaced).
    #[arg(long, default_value = "target/bench/import-stages")]
    dir: PathBuf,
}

/// Runs `stage` and prints its wall and CPU time per article.
fn timed<T>(name: &str, articles: u64, stage: impl FnOnce() -> T) -> T {
    let cpu = probe::cpu_seconds();
    let started = Instant::now();
    let out = stage();
    let wall = started.elapsed().as_secs_f64();
    let cpu = probe::cpu_seconds() - cpu;
    println!(
        "{name:<44} {:>8.1} us CPU/article {:>8.1} us wall/article {:>9.0} articles/s wall",
        cpu * 1e6 / articles as f64,
        wall * 1e6 / articles as f64,
        articles as f64 / wall
    );
    out
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let feeds = FeedSet::load(&args.feeds)?;
    let length = if args.short {
        Length::Short
    } else {
        Length::Seed
    };
    let n = args.articles;
    let sources: Vec<import::Source> = (0..n)
        .map(|i| synthetic::article_of(i, args.seed, length))
        .collect();
    let bytes: usize = sources.iter().map(|s| s.bytes.len()).sum();
    println!(
        "== import stages: {n} synthetic articles, {} bytes each on average; {} cores",
        bytes / n.max(1) as usize,
        std::thread::available_parallelism().map_or(1, |c| c.get())
    );

    let texts = timed("decode (UTF-8 check, NFC)", n, || {
        sources
            .iter()
            .map(|s| decode(&s.bytes).0)
            .collect::<Vec<_>>()
    });
    let parsed = timed("text layout (lines, dateline, blocks)", n, || {
        texts
            .iter()
            .map(|t| import::text::parse(t).expect("synthetic articles parse"))
            .collect::<Vec<_>>()
    });
    timed("classify (keywords, scores)", n, || {
        parsed
            .iter()
            .map(|p| feeds.classify(&ArticleText::of(&p.title, &p.lead, &p.body)))
            .collect::<Vec<_>>()
    });
    let drafts: Vec<Draft> = timed("parse_source (all of the above)", n, || {
        sources
            .iter()
            .flat_map(|s| import::parse_source(s, &feeds).expect("parses").0)
            .collect()
    });

    std::fs::create_dir_all(&args.dir)?;
    let fresh = |name: &str| -> Result<SqliteStore, Box<dyn std::error::Error>> {
        let path = args.dir.join(name);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        Ok(SqliteStore::open(&path)?)
    };
    let store = fresh("store-alone.db")?;
    let now = Utc::now();
    let mut written = 0;
    let cpu = probe::cpu_seconds();
    let started = Instant::now();
    for batch in drafts.chunks(import::BATCH_FILES) {
        store.upsert(batch.to_vec(), now).await?;
        written += batch.len();
    }
    let (wall, cpu) = (started.elapsed().as_secs_f64(), probe::cpu_seconds() - cpu);
    println!(
        "{:<44} {:>8.1} us CPU/article {:>8.1} us wall/article {:>9.0} articles/s wall",
        format!("store alone ({} per transaction)", import::BATCH_FILES),
        cpu * 1e6 / written as f64,
        wall * 1e6 / written as f64,
        written as f64 / wall
    );
    drop(store);

    let store = fresh("import-path.db")?;
    let cpu = probe::cpu_seconds();
    let started = Instant::now();
    let report = import::import_sources(&store, &feeds, &sources, Utc::now()).await;
    let (wall, cpu) = (started.elapsed().as_secs_f64(), probe::cpu_seconds() - cpu);
    if let Some(failure) = report.failed.first() {
        return Err(format!("import failed: {failure}").into());
    }
    println!(
        "{:<44} {:>8.1} us CPU/article {:>8.1} us wall/article {:>9.0} articles/s wall",
        "whole import path (parallel parse + store)",
        cpu * 1e6 / n as f64,
        wall * 1e6 / n as f64,
        n as f64 / wall
    );
    println!(
        "(CPU: this process's user + system time; load average at the end: {})",
        probe::load_average()
    );
    Ok(())
}
