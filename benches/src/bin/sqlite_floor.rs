//! The floor under issue 15's import goal: what SQLite itself does on this machine when all
//! it is asked is to keep a million seed-sized articles findable by id, slug and URL, with
//! `synchronous=FULL`. One table (id, slug, URL, publication time, 3.9 KB of text), the three
//! unique indexes a feed server cannot do without and the time index feeds read, rows
//! inserted by one prepared statement in transactions of `--commit`: none of vnfeed's
//! categories, labels, history, hashing or JSON. vnfeed's store cannot be faster than this,
//! so where this misses 20,000 articles/s the goal is out of reach of an SQLite store on
//! this machine whatever vnfeed does above it.
//!
//! `--rows vnfeed` adds, per article, the rows vnfeed's schema keeps beside it, in tables of
//! the same shape: one category row, three label rows (an author, two tags) and two
//! feed-history entries (`all` and the category), with their indexes. `--child-key rowid`
//! keys those rows by the article's rowid (a surrogate in time order) instead of its id:
//! the ceiling of the time-ordered-keys option, without building it.
//!
//! ```sh
//! cargo build --release -p vnfeed-bench --bin sqlite_floor
//! target/release/sqlite_floor --commit 5000        # vnfeed's transactions before issue 15
//! target/release/sqlite_floor --commit 50000       # import::COMMIT_DRAFTS
//! target/release/sqlite_floor --ids sequential     # keys in time order: the best case
//! target/release/sqlite_floor --rows vnfeed [--child-key rowid]
//! ```
//!
//! Prints, per `--every` articles, the rate and the CPU per article (the kernel's share
//! apart); asserts nothing about time.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use rusqlite::{Connection, params};
use vnfeed_bench::probe;
use vnfeed_bench::report::{Goal, line};

#[derive(Debug, Parser)]
#[command(about = "SQLite alone keeping a million articles by id, slug and URL")]
struct Args {
    /// The SQLite file (replaced).
    #[arg(long, default_value = "target/bench/floor.db")]
    store: PathBuf,
    #[arg(long, default_value_t = 1_000_000)]
    articles: u64,
    /// Rows per transaction.
    #[arg(long, default_value_t = 50_000)]
    commit: u64,
    /// SQLite's page cache, MiB.
    #[arg(long, default_value_t = 64)]
    cache_mib: i64,
    /// `random`: ids, slugs and URLs named by a hash of the row's number, so every unique
    /// index takes each row at a random place (as vnfeed's scale run names its files);
    /// `sequential`: in the order of time.
    #[arg(long, value_enum, default_value_t = Ids::Random)]
    ids: Ids,
    /// Bytes of text per row (a seed-sized article's text is about 3.9 KB).
    #[arg(long, default_value_t = 3_900)]
    text_bytes: usize,
    /// The rate is printed for each this many rows.
    #[arg(long, default_value_t = 100_000)]
    every: u64,
    /// `articles`: the article table alone; `vnfeed`: with the category, label and history
    /// rows vnfeed writes per article.
    #[arg(long, value_enum, default_value_t = Rows::Articles)]
    rows: Rows,
    /// What the `--rows vnfeed` rows are keyed by: the article's `id` (vnfeed's schema) or
    /// its `rowid` (a surrogate that grows with time).
    #[arg(long, value_enum, default_value_t = ChildKey::Id)]
    child_key: ChildKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Ids {
    Random,
    Sequential,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Rows {
    Articles,
    Vnfeed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ChildKey {
    Id,
    Rowid,
}

/// vnfeed's child tables (`crates/vnfeed-store/src/sqlite.rs`, `sqlite/labels.rs`,
/// `sqlite/history.rs`), their key column typed by `--child-key`.
fn child_tables(key_type: &str) -> String {
    format!(
        "CREATE TABLE article_categories (
             article_id {key_type} NOT NULL, category TEXT NOT NULL, published INTEGER NOT NULL,
             PRIMARY KEY (article_id, category)) WITHOUT ROWID;
         CREATE INDEX categories_newest ON article_categories (category, published DESC, article_id DESC);
         CREATE TABLE article_labels (
             article_id {key_type} NOT NULL, kind TEXT NOT NULL, slug TEXT NOT NULL,
             name TEXT NOT NULL, published INTEGER NOT NULL,
             PRIMARY KEY (article_id, kind, slug)) WITHOUT ROWID;
         CREATE INDEX labels_newest ON article_labels (kind, slug, published DESC, article_id DESC);
         CREATE TABLE history_entries (
             feed TEXT NOT NULL, page INTEGER NOT NULL, position INTEGER NOT NULL,
             article_id {key_type} NOT NULL, weight INTEGER NOT NULL,
             PRIMARY KEY (feed, page, position)) WITHOUT ROWID;
         CREATE INDEX history_entries_article ON history_entries (article_id);"
    )
}

const CATEGORIES: [&str; 3] = ["security", "party-affairs", "borders"];
const AUTHORS: [&str; 8] = [
    "lan-chi",
    "minh-quan",
    "thu-ha",
    "van-long",
    "bich-ngoc",
    "quoc-bao",
    "thanh-tam",
    "hai-yen",
];
const TAGS: [&str; 12] = [
    "tuan-tra",
    "moc-quoc-gioi",
    "dan-van",
    "phong-chong-ma-tuy",
    "hop-tac",
    "le-hoi",
    "mua-lu",
    "bien-dao",
    "hoc-tap",
    "khen-thuong",
    "xay-dung-dang",
    "cai-cach",
];

/// A well-mixed 64-bit hash of `n` (splitmix64's finalizer): ids in no order, and the same
/// ones on every run.
fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if let Some(dir) = args.store.parent() {
        std::fs::create_dir_all(dir)?;
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", args.store.display()));
    }
    let mut conn = Connection::open(&args.store)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "cache_size", -args.cache_mib * 1024)?;
    conn.execute_batch(
        "CREATE TABLE articles (
             id        TEXT PRIMARY KEY,
             slug      TEXT NOT NULL UNIQUE,
             url       TEXT UNIQUE,
             published INTEGER NOT NULL,
             body      TEXT NOT NULL
         );
         CREATE INDEX articles_newest ON articles (published DESC, id DESC);",
    )?;
    if args.rows == Rows::Vnfeed {
        conn.execute_batch(&child_tables(match args.child_key {
            ChildKey::Id => "TEXT",
            ChildKey::Rowid => "INTEGER",
        }))?;
    }
    let words = "Đồn Biên phòng tuần tra mốc quốc giới cùng người dân xã vùng cao \
                 phối hợp lực lượng chức năng bảo đảm an ninh trật tự địa bàn";
    let text: String = words.repeat(args.text_bytes / words.len() + 1);
    let text = &text[..text.floor_char_boundary(args.text_bytes)];
    println!(
        "== sqlite_floor: {} rows of {} bytes ({:?}, child rows keyed by {:?}), ids {:?}, {} per transaction, {} MiB cache, synchronous=FULL, in {}",
        args.articles,
        text.len(),
        args.rows,
        args.child_key,
        args.ids,
        args.commit,
        args.cache_mib,
        args.store.display()
    );
    let started = Instant::now();
    let (mut stretch_from, mut stretch_time) = (0u64, Duration::ZERO);
    let mut cpu_before = probe::cpu_user_system();
    let mut last_rate = 0.0;
    let mut written = 0u64;
    while written < args.articles {
        let n = args.commit.min(args.articles - written);
        let t = Instant::now();
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO articles (id, slug, url, published, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let children = (args.rows == Rows::Vnfeed).then(|| {
                (
                    tx.prepare_cached("INSERT INTO article_categories VALUES (?1, ?2, ?3)"),
                    tx.prepare_cached("INSERT INTO article_labels VALUES (?1, ?2, ?3, ?4, ?5)"),
                    tx.prepare_cached("INSERT INTO history_entries VALUES (?1, ?2, ?3, ?4, 1)"),
                )
            });
            let mut children = match children {
                Some((c, l, h)) => Some((c?, l?, h?)),
                None => None,
            };
            for i in written..written + n {
                let key = match args.ids {
                    Ids::Random => format!("{:016x}", mix(i)),
                    Ids::Sequential => format!("{i:016}"),
                };
                let published = 1_700_000_000 + i as i64;
                insert.execute(params![
                    key,
                    format!("bai-viet-{key}"),
                    format!("https://bao.example/tin/{key}.html"),
                    published,
                    text
                ])?;
                let Some((categories, labels, history)) = children.as_mut() else {
                    continue;
                };
                let child: rusqlite::types::Value = match args.child_key {
                    ChildKey::Id => key.clone().into(),
                    ChildKey::Rowid => tx.last_insert_rowid().into(),
                };
                let h = mix(i ^ 0x5eed);
                let category = CATEGORIES[(h % 3) as usize];
                categories.execute(params![child, category, published])?;
                let author = AUTHORS[(h >> 8) as usize % AUTHORS.len()];
                labels.execute(params![child, "author", author, author, published])?;
                let first = TAGS[(h >> 16) as usize % TAGS.len()];
                let second = TAGS[(h >> 24) as usize % TAGS.len()];
                labels.execute(params![child, "tag", first, first, published])?;
                // Two draws may name one tag: an article has it once, as in vnfeed.
                if second != first {
                    labels.execute(params![child, "tag", second, second, published])?;
                }
                // Histories append: positions grow with the article's number.
                for feed in ["all", category] {
                    let position = i as i64;
                    history.execute(params![feed, position / 100 + 1, position, child])?;
                }
            }
        }
        tx.commit()?;
        stretch_time += t.elapsed();
        written += n;
        if written - stretch_from >= args.every || written == args.articles {
            let rows = (written - stretch_from) as f64;
            let cpu = probe::cpu_user_system();
            let (user, system) = (cpu.0 - cpu_before.0, cpu.1 - cpu_before.1);
            last_rate = rows / stretch_time.as_secs_f64();
            println!(
                "rows {stretch_from:>7}-{written:<7} {last_rate:>7.0} rows/s; CPU {:.1} us/row, of it {:.1} in the kernel",
                (user + system) * 1e6 / rows,
                system * 1e6 / rows,
            );
            (stretch_from, stretch_time, cpu_before) = (written, Duration::ZERO, cpu);
        }
    }
    println!(
        "total           {written} rows in {:.1} s = {:.0} rows/s; file {} MB",
        started.elapsed().as_secs_f64(),
        written as f64 / started.elapsed().as_secs_f64(),
        std::fs::metadata(&args.store)?.len() / 1_000_000
    );
    line(
        "last stretch",
        &format!("{last_rate:.0} rows/s into the full table"),
        Goal::AtLeast(last_rate, 20_000.0),
    );
    Ok(())
}
