//! Older pages and archives under a flood (issue 11, section 1): a release `vnfeed serve` on
//! a store of a few thousand synthetic articles, and on loopback only:
//!
//! 1. throughput of page 1, of `?page=2` and of an archive page, each with `--clients`
//!    keep-alive clients for `--seconds`;
//! 2. the flood: `--clients` clients cycling through every older page and archive page of
//!    every feed in every format, while one probe measures page 1 and `/healthz` latency
//!    (p50/p95) and a writer POSTs an article every 500 ms through the API (its latency is
//!    the time until the write is served: the API answers once page 1 is rendered again).
//!
//! Prints numbers; nothing here passes or fails on a time. Run with `benches/flood.sh` or:
//! `cargo build --release -p vnfeed -p vnfeed-bench --bins && target/release/flood`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use clap::Parser;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use vnfeed::feeds::FeedSet;
use vnfeed::http::representation::{BROTLI_QUALITY, GZIP_ON_DEMAND_LEVEL, brotli, gzip_at};
use vnfeed::import;
use vnfeed::store::{MigrateStore, SqliteStore};
use vnfeed_bench::synthetic;

const TOKEN: &str = "flood-bench-token-0123456789";

#[derive(Parser)]
struct Args {
    /// The SQLite store (filled with `--articles` synthetic articles if new).
    #[arg(long, default_value = "target/bench/flood-3000.db")]
    store: PathBuf,
    #[arg(long, default_value_t = 3000)]
    articles: u64,
    /// Seconds per throughput case and for the flood.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// The server binary (a release build).
    #[arg(long, default_value = "target/release/vnfeed")]
    vnfeed: PathBuf,
    #[arg(long, default_value = "feeds")]
    feeds: PathBuf,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = Args::parse();
    let feeds = FeedSet::load(&args.feeds).expect("feed definitions");
    fill(&args, &feeds).await;
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let log = std::fs::File::create(args.store.with_extension("server.log")).unwrap();
    let mut server = Command::new(&args.vnfeed)
        .args(["serve", "--no-samples", "--addr", &addr.to_string()])
        .arg("--store")
        .arg(&args.store)
        .arg("--feeds")
        .arg(&args.feeds)
        .env("VNFEED_API_TOKEN", TOKEN)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start the server");
    wait_ready(addr).await;
    println!(
        "store: {} articles; {} clients; {} s per case; server {}",
        args.articles,
        args.clients,
        args.seconds,
        args.vnfeed.display()
    );
    let seconds = Duration::from_secs(args.seconds);

    let idle = probe(addr, Duration::from_secs(2)).await;
    println!(
        "idle:    page 1 p50 {} p95 {} | /healthz p50 {} p95 {}",
        ms(&idle.page1, 50),
        ms(&idle.page1, 95),
        ms(&idle.health, 50),
        ms(&idle.health, 95)
    );

    let mut rates = Vec::new();
    for (label, path) in [
        ("page 1", "/feeds/all.rss"),
        ("?page=2", "/feeds/all.rss?page=2"),
        ("archive", "/feeds/all/archive/1.rss"),
    ] {
        let run = load(addr, args.clients, seconds, vec![path.to_string()]).await;
        println!(
            "{label:<8} {:>9.0} req/s  ({} answers: {} 200, {} 503, {} other)",
            run.rate(),
            run.total(),
            run.ok,
            run.unavailable,
            run.other
        );
        rates.push(run.rate());
    }
    println!(
        "relative to page 1: ?page=2 {:.2}x, archive {:.2}x (goal: within 2x, i.e. >= 0.50)",
        rates[1] / rates[0],
        rates[2] / rates[0]
    );

    let paths = older_documents(addr).await;
    println!(
        "flood: {} distinct older pages and archive pages, {} clients, {} s, with a probe and a writer",
        paths.len(),
        args.clients,
        args.seconds
    );
    let stop = Arc::new(AtomicBool::new(false));
    let flood = tokio::spawn(load(addr, args.clients, seconds, paths));
    let probing = tokio::spawn(probe(addr, seconds));
    let writing = tokio::spawn(writes(addr, Arc::clone(&stop)));
    let flood = flood.await.unwrap();
    let probed = probing.await.unwrap();
    stop.store(true, Ordering::Release);
    let mut written = writing.await.unwrap();
    println!(
        "flood:   {:>9.0} req/s  ({} answers: {} 200, {} 503, {} other)",
        flood.rate(),
        flood.total(),
        flood.ok,
        flood.unavailable,
        flood.other
    );
    println!(
        "flooded: page 1 p50 {} p95 {} | /healthz p50 {} p95 {} (goal p95 < 10 ms)",
        ms(&probed.page1, 50),
        ms(&probed.page1, 95),
        ms(&probed.health, 50),
        ms(&probed.health, 95)
    );
    written.sort();
    println!(
        "flooded: {} writes, served after p50 {} p95 {} max {} (goal < 1 s)",
        written.len(),
        ms(&written, 50),
        ms(&written, 95),
        written
            .last()
            .map_or("-".into(), |d| format!("{:.1} ms", d.as_secs_f64() * 1e3))
    );
    let metrics = get(addr, "/metrics").await.1;
    for line in String::from_utf8_lossy(&metrics).lines() {
        let ours = ["vnfeed_document_", "vnfeed_render_queue", "vnfeed_pinned"];
        if ours.iter().any(|p| line.starts_with(p)) && !line.contains("_bucket") {
            println!("  {line}");
        }
    }
    println!(
        "server peak RSS: {:.1} MB",
        vnfeed_bench::probe::peak_rss_kib(server.id()).unwrap_or(0) as f64 / 1024.0
    );
    compression(addr).await;
    let _ = server.kill();
    let _ = server.wait();
}

/// Imports `--articles` synthetic articles into a new store; keeps an existing one.
async fn fill(args: &Args, feeds: &FeedSet) {
    if args.store.exists() {
        return;
    }
    if let Some(dir) = args.store.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    let store = SqliteStore::open(&args.store).expect("store opens");
    let sources: Vec<_> = (0..args.articles)
        .map(|n| synthetic::article(n, 11))
        .collect();
    let report = import::import_sources(&store, feeds, &sources, Utc::now()).await;
    assert!(report.failed.is_empty(), "{}", report.summary());
    println!("filled {}: {}", args.store.display(), report.summary());
    assert_eq!(store.count_stored().await.unwrap(), args.articles);
}

/// Every older page and archive page of every feed in every format, found by walking the
/// `last` and `prev-archive` links of page 1 (Atom).
async fn older_documents(addr: SocketAddr) -> Vec<String> {
    let mut out = Vec::new();
    for feed in ["all", "security", "borders", "party-affairs"] {
        let page1 = get(addr, &format!("/feeds/{feed}.atom")).await.1;
        let text = String::from_utf8_lossy(&page1);
        let number_after = |rel: &str, marker: &str| -> u64 {
            let Some(at) = text.find(&format!("rel=\"{rel}\"")) else {
                return 0;
            };
            let line_start = text[..at].rfind('<').unwrap_or(0);
            let tag = &text[line_start..text[at..].find('>').map_or(text.len(), |e| at + e)];
            tag.split(marker)
                .nth(1)
                .and_then(|rest| {
                    rest.chars()
                        .take_while(char::is_ascii_digit)
                        .collect::<String>()
                        .parse()
                        .ok()
                })
                .unwrap_or(0)
        };
        let last = number_after("last", "page=");
        let archives = number_after("prev-archive", "/archive/");
        for ext in ["rss", "atom", "json"] {
            out.extend((2..=last).map(|n| format!("/feeds/{feed}.{ext}?page={n}")));
            out.extend((1..=archives).map(|n| format!("/feeds/{feed}/archive/{n}.{ext}")));
        }
    }
    out
}

#[derive(Default)]
struct Run {
    ok: u64,
    unavailable: u64,
    other: u64,
    took: Duration,
}

impl Run {
    fn total(&self) -> u64 {
        self.ok + self.unavailable + self.other
    }
    fn rate(&self) -> f64 {
        self.total() as f64 / self.took.as_secs_f64()
    }
}

/// `clients` keep-alive connections asking for `paths` in turn (each from its own offset)
/// for `length`; counts answers by status.
async fn load(addr: SocketAddr, clients: usize, length: Duration, paths: Vec<String>) -> Run {
    let paths = Arc::new(paths);
    let counts = Arc::new([AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)]);
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..clients {
        let (paths, counts) = (Arc::clone(&paths), Arc::clone(&counts));
        tasks.spawn(async move {
            let mut conn: Option<Conn> = None;
            let mut i = client * paths.len() / clients.max(1);
            while start.elapsed() < length {
                let path = &paths[i % paths.len()];
                i += 1;
                if conn.is_none() {
                    conn = Conn::open(addr).await.ok();
                }
                let Some(c) = conn.as_mut() else { continue };
                match c.get(path, &[("Accept-Encoding", "gzip")]).await {
                    Ok((status, _, close)) => {
                        let slot = match status {
                            200 => 0,
                            503 => 1,
                            _ => 2,
                        };
                        counts[slot].fetch_add(1, Ordering::Relaxed);
                        if close {
                            conn = None;
                        }
                    }
                    Err(_) => conn = None,
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    Run {
        ok: counts[0].load(Ordering::Relaxed),
        unavailable: counts[1].load(Ordering::Relaxed),
        other: counts[2].load(Ordering::Relaxed),
        took: start.elapsed(),
    }
}

struct Probed {
    page1: Vec<Duration>,
    health: Vec<Duration>,
}

/// One client asking for page 1 and `/healthz` in turn, 10 ms apart, timing each answer.
async fn probe(addr: SocketAddr, length: Duration) -> Probed {
    let mut out = Probed {
        page1: Vec::new(),
        health: Vec::new(),
    };
    let start = Instant::now();
    let mut conn = Conn::open(addr).await.unwrap();
    while start.elapsed() < length {
        for (path, times) in [
            ("/feeds/all.rss", &mut out.page1),
            ("/healthz", &mut out.health),
        ] {
            let asked = Instant::now();
            let (status, _, _) = conn
                .get(path, &[("Accept-Encoding", "gzip")])
                .await
                .unwrap();
            times.push(asked.elapsed());
            assert_eq!(status, 200, "{path}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    out
}

/// An article POSTed every 500 ms until `stop`; each write's time until it is answered
/// (the API answers once the changed feeds are rendered and served).
async fn writes(addr: SocketAddr, stop: Arc<AtomicBool>) -> Vec<Duration> {
    let mut times = Vec::new();
    let mut k = 0;
    while !stop.load(Ordering::Acquire) {
        k += 1;
        let body = serde_json::json!({
            "id": format!("flood-write-{k}-{}", std::process::id()),
            "title": format!("Tin an ninh số {k} giữa lúc trang cũ bị dồn dập"),
            "published": Utc::now().to_rfc3339(),
            "summary": "Công an xã tuần tra bảo đảm an ninh trật tự.",
            "content_html": "<p>Lực lượng công an phối hợp dân quân tuần tra ban đêm.</p>",
            "categories": ["security"],
        })
        .to_string();
        let asked = Instant::now();
        let mut conn = Conn::open(addr).await.unwrap();
        let (status, body, _) = conn
            .send(
                "POST",
                "/api/articles",
                &[
                    ("Authorization", &format!("Bearer {TOKEN}")),
                    ("Content-Type", "application/json"),
                ],
                body.as_bytes(),
            )
            .await
            .unwrap();
        times.push(asked.elapsed());
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    times
}

/// What each gzip level and brotli cost on an archive page and an older page: the cost a
/// cache miss pays, against the bytes it saves.
async fn compression(addr: SocketAddr) {
    for path in ["/feeds/all/archive/1.rss", "/feeds/all.rss?page=2"] {
        let body = get(addr, path).await.1;
        println!(
            "compressing {path} ({} B identity), mean of 50:",
            body.len()
        );
        let time = |f: &dyn Fn() -> Vec<u8>| {
            let start = Instant::now();
            let mut size = 0;
            for _ in 0..50 {
                size = f().len();
            }
            (start.elapsed() / 50, size)
        };
        let mut cases: Vec<(String, (Duration, usize))> = [1, 4, GZIP_ON_DEMAND_LEVEL, 9]
            .into_iter()
            .map(|level| (format!("gzip {level}"), time(&|| gzip_at(&body, level))))
            .collect();
        cases.push((format!("brotli {BROTLI_QUALITY}"), time(&|| brotli(&body))));
        for (label, (took, size)) in cases {
            println!(
                "  {label:<10} {:>7.2} ms  {size:>8} B",
                took.as_secs_f64() * 1e3
            );
        }
    }
}

async fn wait_ready(addr: SocketAddr) {
    for _ in 0..600 {
        if let Ok(mut c) = Conn::open(addr).await
            && let Ok((200, _, _)) = c.get("/healthz", &[]).await
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nothing answers at {addr}");
}

async fn get(addr: SocketAddr, path: &str) -> (u16, Vec<u8>) {
    let mut conn = Conn::open(addr).await.unwrap();
    let (status, body, _) = conn.get(path, &[]).await.unwrap();
    (status, body)
}

/// A keep-alive HTTP/1.1 connection, written by hand: no client library between the
/// measurement and the server.
struct Conn {
    stream: BufReader<TcpStream>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> std::io::Result<Conn> {
        assert!(addr.ip().is_loopback(), "benchmarks only talk to loopback");
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream: BufReader::new(stream),
        })
    }

    async fn get(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> std::io::Result<(u16, Vec<u8>, bool)> {
        self.send("GET", path, headers, b"").await
    }

    /// Status, body, and whether the server closes the connection after it.
    async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<(u16, Vec<u8>, bool)> {
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: bench\r\n");
        for (k, v) in headers {
            request.push_str(&format!("{k}: {v}\r\n"));
        }
        if method == "POST" {
            request.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        let stream = self.stream.get_mut();
        stream.write_all(request.as_bytes()).await?;
        stream.write_all(body).await?;
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let (mut length, mut close) = (0usize, false);
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                } else if name.eq_ignore_ascii_case("connection") {
                    close = value.trim().eq_ignore_ascii_case("close");
                }
            }
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await?;
        Ok((status, body, close))
    }
}

/// The `p`th percentile of `times`, in milliseconds.
fn ms(times: &[Duration], p: usize) -> String {
    if times.is_empty() {
        return "-".into();
    }
    let mut times = times.to_vec();
    times.sort();
    let i = ((times.len() - 1) * p).div_ceil(100);
    format!("{:.2} ms", times[i].as_secs_f64() * 1e3)
}
