//! The command line and its environment variables, parsed and validated once.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use vnfeed_store::redact;

use crate::cache::{Bounds, DEFAULT_CACHE_BYTES, DEFAULT_RENDER_QUEUE};
use crate::http::DEFAULT_MAX_BODY;
use crate::http::limits::Limits;
use crate::http::rate::{DEFAULT_CLIENT_RATE, RateSettings};
use crate::import::size::{DEFAULT_MAX_ARTICLE_BYTES, DEFAULT_MAX_FILE_BYTES};
use crate::model::Format;

// Every default below that the code also needs is written once, in the module that uses
// it (`Limits::DEFAULT`, `DEFAULT_CACHE_BYTES`, ...); a flag's default points there, and
// sizes and durations are shown in --help as `size_text` and `duration_text` write them.

/// `--addr`'s default, also the base URL `vnfeed render` assumes without `--base-url`.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

#[derive(Debug, Parser)]
#[command(
    name = "vnfeed",
    version,
    about = "Per-category RSS and Atom feeds for Vietnamese newsrooms"
)]
pub struct Cli {
    /// Log lines as text for people, or as JSON (one object per line) for a log collector.
    #[arg(long, global = true, env = "VNFEED_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

// `serve` has many more options than the other commands; the value is parsed once per
// process, so its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the feeds over HTTP.
    Serve(ServeArgs),
    /// Import articles (text layout or JSON; files or directories) into the store.
    Import(ImportArgs),
    /// Print one feed to standard output, exactly as the server would serve it.
    Render(RenderArgs),
    /// Validate RSS 2.0, Atom 1.0 and JSON Feed documents: files, `-` (standard input) or
    /// http URLs (which also get the HTTP checks). Exit 0 clean, 1 errors, 2 warnings with --strict.
    Check(CheckArgs),
    /// Copy every article and tombstone, exactly as stored, from one store to another
    /// (e.g. `--from sqlite:vnfeed.db --to postgres://vnfeed@db/vnfeed`).
    Migrate(MigrateArgs),
    /// Show which category feeds articles (files or directories) would go to by the feed
    /// rules, or with --eval score the rules against a labelled directory.
    Classify(ClassifyArgs),
    /// Sort the stored articles whose categories the rules chose again, by the rules as they
    /// are now, in one transaction; --dry-run only prints what would move and why.
    Reclassify(ReclassifyArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ReclassifyArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Print what would move (id, slug, title, from -> to, and the scores behind it) and
    /// change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ClassifyArgs {
    /// The directory of feed definitions whose rules decide [default: the ones built in].
    #[arg(long, env = "VNFEED_FEEDS")]
    pub feeds: Option<PathBuf>,
    /// Print every category's score and the terms behind it.
    #[arg(long)]
    pub explain: bool,
    /// A labels file (`file<TAB>categories` per line); the one path given is the directory
    /// its files are in. Prints precision, recall, F1, exact match, the confusion between
    /// categories and every disagreement explained.
    #[arg(long, value_name = "LABELS.tsv")]
    pub eval: Option<PathBuf>,
    /// Article files (text layout or JSON) or directories; with --eval, the labelled directory.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    /// The store to copy from: `sqlite:PATH` (or a plain path) or a `postgres://` URL.
    #[arg(long, value_parser = StoreLocation::parse)]
    pub from: StoreLocation,
    /// The store to copy into (created and migrated if new); articles already there with the
    /// same id are overwritten.
    #[arg(long, value_parser = StoreLocation::parse)]
    pub to: StoreLocation,
}

/// Where the articles and the feed definitions live.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// The store: an SQLite file (created if missing; `sqlite:PATH` or a plain path) or a
    /// PostgreSQL database shared by replicas (`postgres://user@host/db`).
    #[arg(long, env = "VNFEED_STORE", default_value = "vnfeed.db", value_parser = StoreLocation::parse)]
    pub store: StoreLocation,
    /// The directory of feed definitions: one TOML file per category feed, and `site.toml`
    /// for the site's title, description, icon and logo [default: the ones built in, a copy
    /// of the repository's feeds/].
    #[arg(long, env = "VNFEED_FEEDS")]
    pub feeds: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct SiteArgs {
    /// The public URL every link and self URL starts with [default: http://ADDR, with
    /// localhost for an ADDR of 0.0.0.0 or [::]].
    #[arg(long, env = "VNFEED_BASE_URL", value_parser = parse_base_url)]
    pub base_url: Option<String>,
    /// The site's name, shown in feed titles and pages [default: the title in site.toml, else
    /// vnfeed].
    #[arg(long, env = "VNFEED_SITE_TITLE")]
    pub site_title: Option<String>,
    /// Items per feed (and per page of `?page=N`).
    #[arg(long, env = "VNFEED_FEED_LIMIT", default_value_t = crate::render::DEFAULT_LIMIT, value_parser = parse_limit)]
    pub limit: usize,
    /// A WebSub hub: named in every feed, and pinged when a feed changes.
    #[arg(long, env = "VNFEED_HUB", value_parser = parse_hub)]
    pub hub: Option<String>,
    /// A directory of images, served at /media/; an article image `/media/PATH` whose type
    /// or length the article does not give is measured from DIR/PATH.
    #[arg(long, env = "VNFEED_MEDIA_DIR")]
    pub media_dir: Option<PathBuf>,
    /// Minutes readers may keep a feed before asking again, for feeds whose file sets no
    /// `ttl`: the RSS `<ttl>` and `sy:` hints and `Cache-Control: max-age` all say this.
    #[arg(long, env = "VNFEED_FEED_TTL", default_value_t = crate::polling::DEFAULT_TTL_MINUTES, value_parser = clap::value_parser!(u32).range(1..=i64::from(crate::polling::MAX_TTL_MINUTES)))]
    pub feed_ttl: u32,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "VNFEED_ADDR", default_value = DEFAULT_ADDR)]
    pub addr: SocketAddr,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub site: SiteArgs,
    /// Accept loops, one thread and one single-threaded runtime each on its own SO_REUSEPORT
    /// listener (thread-per-core, as nginx's workers). 0: one multi-threaded runtime serves
    /// every connection. See docs/benchmarks.md for how the two compare.
    #[arg(long, env = "VNFEED_WORKERS", default_value_t = 0, value_parser = parse_workers)]
    pub workers: usize,
    /// How often to look for changes made by other processes (e.g. `vnfeed import` from cron).
    #[arg(long, env = "VNFEED_POLL_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub poll_ms: u64,
    /// Tries per hub ping before giving up.
    #[arg(long, env = "VNFEED_HUB_ATTEMPTS", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub hub_attempts: u32,
    /// The wait after a failed hub ping, doubled after each further failure (at most 10 min).
    #[arg(long, env = "VNFEED_HUB_BACKOFF_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub hub_backoff_ms: u64,
    /// Do not import the shipped sample articles into an empty store.
    #[arg(long, env = "VNFEED_NO_SAMPLES")]
    pub no_samples: bool,
    /// Days a deleted article's tombstone (RFC 6721 `at:deleted-entry`) stays in the Atom feeds.
    #[arg(long, env = "VNFEED_TOMBSTONE_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub tombstone_days: u32,
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(flatten)]
    pub article: ArticleArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// What one article may weigh, whether it comes from `vnfeed import` or the publishing API.
#[derive(Debug, Clone, Args)]
pub struct ArticleArgs {
    /// The largest stored text of one article (title, summary, author, body and links
    /// together), in bytes or with a KiB or MiB suffix. The API answers 413 naming the
    /// heaviest field; `vnfeed import` reports the file and imports the others.
    #[arg(long, env = "VNFEED_MAX_ARTICLE_BYTES", default_value = size_text(DEFAULT_MAX_ARTICLE_BYTES as u64), value_parser = parse_size)]
    pub max_article_bytes: u64,
}

impl ArticleArgs {
    pub fn max_article_bytes(&self) -> usize {
        usize::try_from(self.max_article_bytes).unwrap_or(usize::MAX)
    }
}

/// What one client may cost the server. Durations take `ms`, `s` or `m` (seconds if bare).
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Time from a request's first byte to its complete head (slowloris defence).
    #[arg(long, env = "VNFEED_HEADER_TIMEOUT", default_value = duration_text(Limits::DEFAULT.header_timeout), value_parser = parse_duration)]
    pub header_timeout: Duration,
    /// Time a keep-alive connection may sit with nothing read or written.
    #[arg(long, env = "VNFEED_IDLE_TIMEOUT", default_value = duration_text(Limits::DEFAULT.idle_timeout), value_parser = parse_duration)]
    pub idle_timeout: Duration,
    /// Connections served at once; the next gets 503 and is closed.
    #[arg(long, env = "VNFEED_MAX_CONNECTIONS", default_value_t = Limits::DEFAULT.max_connections as u32, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: u32,
    /// Request line and headers together (431 past it); at least 1KiB.
    #[arg(long, env = "VNFEED_MAX_HEADER_BYTES", default_value = size_text(Limits::DEFAULT.max_header_bytes as u64), value_parser = parse_size)]
    pub max_header_bytes: u64,
    /// The request target, path and query (414 past it).
    #[arg(long, env = "VNFEED_MAX_TARGET_BYTES", default_value = size_text(Limits::DEFAULT.max_target_bytes as u64), value_parser = parse_size)]
    pub max_target_bytes: u64,
    /// How long a connection the server closes (after an early 413, say) is still read, and
    /// what arrives dropped, so that a client still sending its body reads the answer.
    #[arg(long, env = "VNFEED_LINGER_TIME", default_value = duration_text(Limits::DEFAULT.linger.time), value_parser = parse_duration)]
    pub linger_time: Duration,
    /// How much is read and dropped from such a connection at most.
    #[arg(long, env = "VNFEED_LINGER_BYTES", default_value = size_text(Limits::DEFAULT.linger.bytes), value_parser = parse_size)]
    pub linger_bytes: u64,
    /// How long a shutdown (SIGTERM) may take: requests in flight get all of it but the last
    /// second, which blocking work gets; the process exits by then, even if a blocking read
    /// is stuck.
    #[arg(long, env = "VNFEED_SHUTDOWN_GRACE", default_value = duration_text(Limits::DEFAULT.shutdown_grace), value_parser = parse_duration)]
    pub shutdown_grace: Duration,
    /// Requests a second one client (an IPv4 address, an IPv6 /64) may make, sustained, for
    /// what the cache does not hold: older feed pages, archive pages, media, article pages.
    /// Past it: 429 with Retry-After. 0 turns the limit off.
    #[arg(long, env = "VNFEED_CLIENT_RATE", default_value_t = DEFAULT_CLIENT_RATE, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    pub client_rate: u32,
    /// Requests one client may make at once on those routes, after a quiet spell.
    #[arg(long, env = "VNFEED_CLIENT_BURST", default_value_t = RateSettings::DEFAULT.burst.get(), value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub client_burst: u32,
    /// Clients whose rate is tracked at once (about 40 bytes each); past it, newcomers share
    /// one bucket.
    #[arg(long, env = "VNFEED_RATE_CLIENTS", default_value_t = RateSettings::DEFAULT.max_clients as u32, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub rate_clients: u32,
    /// Limit loopback clients too (they are not by default: local use, tests, and a reverse
    /// proxy on the same host, whose clients would all share its address).
    #[arg(long, env = "VNFEED_RATE_LIMIT_LOOPBACK")]
    pub rate_limit_loopback: bool,
    /// Memory for rendered documents, every coding counted: page 1 of every feed and the
    /// HTML pages (always kept), then the older pages and archive pages asked for most
    /// recently. At least 1MiB.
    #[arg(long, env = "VNFEED_CACHE_BYTES", default_value = size_text(DEFAULT_CACHE_BYTES), value_parser = parse_size)]
    pub cache_bytes: u64,
    /// Older pages and archive pages rendered at once, off the threads that answer
    /// requests; 0 means half the CPU cores (at least one).
    #[arg(long, env = "VNFEED_RENDER_WORKERS", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=256))]
    pub render_workers: u32,
    /// Renders that may wait for a worker; past them a request for a document not in the
    /// cache gets 503 with Retry-After.
    #[arg(long, env = "VNFEED_RENDER_QUEUE", default_value_t = DEFAULT_RENDER_QUEUE as u32, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    pub render_queue: u32,
}

impl LimitArgs {
    pub fn limits(&self) -> Limits {
        let bytes = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        Limits {
            header_timeout: self.header_timeout,
            idle_timeout: self.idle_timeout,
            max_connections: self.max_connections as usize,
            max_header_bytes: bytes(self.max_header_bytes.max(1024)),
            max_target_bytes: bytes(self.max_target_bytes),
            linger: crate::http::linger::Linger {
                time: self.linger_time,
                bytes: self.linger_bytes,
            },
            shutdown_grace: self.shutdown_grace,
            rate: RateSettings {
                every: (self.client_rate > 0).then(|| Duration::from_secs(1) / self.client_rate),
                burst: std::num::NonZeroU32::new(self.client_burst)
                    .unwrap_or(std::num::NonZeroU32::MIN),
                max_clients: self.rate_clients as usize,
                loopback: self.rate_limit_loopback,
            },
        }
    }

    /// The document cache's byte bound and the render pool's size.
    pub fn documents(&self) -> Bounds {
        let workers = match self.render_workers {
            0 => crate::cache::default_render_workers(),
            n => n as usize,
        };
        Bounds {
            cache_bytes: self.cache_bytes.max(1 << 20),
            render_workers: workers,
            render_queue: self.render_queue as usize,
        }
    }
}

/// `10s`, `500ms`, `2m`, or a bare number of seconds; from 1 ms to a day.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 10s or 500ms"))?;
    let d = match unit.trim() {
        "ms" => Duration::from_millis(n),
        "" | "s" => Duration::from_secs(n),
        "m" | "min" => Duration::from_secs(n.saturating_mul(60)),
        _ => return Err(format!("`{s}`: unknown unit (ms, s or m)")),
    };
    if d < Duration::from_millis(1) || d > Duration::from_secs(86_400) {
        return Err(format!("`{s}` is not between 1ms and a day"));
    }
    Ok(d)
}

/// The publishing API (`/api/articles`). With no token configured it is off.
#[derive(Debug, Clone, Args)]
pub struct ApiArgs {
    /// A bearer token for the publishing API. Prefer the environment variable: a token
    /// given on the command line shows in `ps`.
    #[arg(long, env = "VNFEED_API_TOKEN", hide_env_values = true)]
    pub api_token: Option<String>,
    /// A file of bearer tokens, one per line (`#` starts a comment), read again on every
    /// API request, so tokens are rotated by editing it, with no restart.
    #[arg(long, env = "VNFEED_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// The largest request body accepted, in bytes, or with a KiB or MiB suffix.
    #[arg(long, env = "VNFEED_MAX_BODY", default_value = size_text(DEFAULT_MAX_BODY), value_parser = parse_size)]
    pub max_body: u64,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Files or directories (searched for .txt and .json files).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub article: ArticleArgs,
    /// The largest file read, in bytes or with a KiB or MiB suffix. A larger file is
    /// reported (before it is read) and the others are imported.
    #[arg(long, env = "VNFEED_MAX_FILE_BYTES", default_value = size_text(DEFAULT_MAX_FILE_BYTES), value_parser = parse_size)]
    pub max_file_bytes: u64,
}

impl ImportArgs {
    pub fn caps(&self) -> crate::import::Caps {
        crate::import::Caps {
            max_article_bytes: self.article.max_article_bytes(),
            max_file_bytes: self.max_file_bytes,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub site: SiteArgs,
    /// The feed's slug (or `all`).
    #[arg(long)]
    pub feed: String,
    /// rss, atom or json.
    #[arg(long, value_parser = parse_format)]
    pub format: Format,
}

/// Which backend holds the articles, decided once from the `--store` text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    Sqlite(PathBuf),
    /// A libpq-style URL, checked by the driver's own parser.
    Postgres(String),
}

impl StoreLocation {
    pub fn parse(s: &str) -> Result<StoreLocation, String> {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return match s.parse::<tokio_postgres::Config>() {
                Ok(_) => Ok(StoreLocation::Postgres(s.to_string())),
                Err(e) => Err(format!("`{}` is not a PostgreSQL URL: {e}", redact(s))),
            };
        }
        let path = s.strip_prefix("sqlite:").unwrap_or(s);
        if path.is_empty() {
            return Err("the store path is empty".to_string());
        }
        Ok(StoreLocation::Sqlite(PathBuf::from(path)))
    }
}

/// For logs and errors: the URL without its password.
impl std::fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::Sqlite(path) => write!(f, "{}", path.display()),
            StoreLocation::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Files, `-` for standard input, http:// or https:// URLs of feeds, of HTML pages (their
    /// `<link rel="alternate">` feeds are checked) or of OPML lists (every `xmlUrl`).
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// How to print findings.
    #[arg(long, value_enum, default_value = "text")]
    pub format: CheckOutput,
    /// Fail (exit 2) on warnings too, when there are no errors.
    #[arg(long)]
    pub strict: bool,
    /// Also check every page (`rel="next"`) and archive (`rel="prev-archive"`, RFC 5005)
    /// each feed links to.
    #[arg(long)]
    pub follow: bool,
    /// The most documents checked for one input (pages, archives, a page's or a list's feeds).
    #[arg(long, default_value_t = vnfeed_check::Walk::DEFAULT.max_documents, value_parser = parse_limit)]
    pub max_documents: usize,
    /// The most fetches at once (an OPML list's feeds, a page's feeds).
    #[arg(long, default_value_t = vnfeed_check::Walk::DEFAULT.concurrency, value_parser = parse_limit)]
    pub concurrency: usize,
    /// PEM file of CA certificates to trust for https, besides the built-in roots.
    #[arg(long, env = "VNFEED_CHECK_CA")]
    pub ca_file: Option<std::path::PathBuf>,
    /// Seconds one fetch may take, redirects included.
    #[arg(long, default_value_t = vnfeed_check::client::Limits::DEFAULT.timeout.as_secs(), value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,
    /// The largest body one fetch downloads (`1048576`, `512KiB`, `16MiB`); a larger one is
    /// an `http-fetch` error.
    #[arg(long, default_value = size_text(vnfeed_check::client::Limits::DEFAULT.max_body as u64), value_parser = parse_size)]
    pub max_bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckOutput {
    /// `path:line:col: severity code: message`, one finding per line.
    Text,
    /// One JSON array of reports, for tools.
    Json,
    /// A SARIF 2.1.0 log, for code-scanning uploads.
    Sarif,
    /// JUnit XML: a testcase per document, a failure per error.
    Junit,
    /// GitHub Actions annotations: `::error file=…,line=…,col=…::message`.
    Github,
}

fn parse_limit(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=1000).contains(&n) => Ok(n),
        _ => Err(format!("`{s}` is not a whole number from 1 to 1000")),
    }
}

/// `1048576`, `512KiB`, `2MiB`, `1GiB` (also `K`, `KB`, `M`, `MB`, `G`, `GB`, all meaning
/// powers of 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("`{s}`: unknown unit (use bytes, KiB, MiB or GiB)")),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("`{s}` is not a positive size"))
}

/// A size as `parse_size` reads it, in the largest unit that divides it (`16KiB`, `2MiB`).
pub fn size_text(n: u64) -> String {
    match n {
        0 => "0".to_string(),
        n if n % (1 << 30) == 0 => format!("{}GiB", n >> 30),
        n if n % (1 << 20) == 0 => format!("{}MiB", n >> 20),
        n if n % (1 << 10) == 0 => format!("{}KiB", n >> 10),
        n => n.to_string(),
    }
}

/// A duration as `parse_duration` reads it: whole seconds as `10s`, anything else in `ms`.
pub fn duration_text(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::from_extension(s).ok_or_else(|| format!("unknown format `{s}` (rss, atom or json)"))
}

fn parse_hub(s: &str) -> Result<String, String> {
    let url = url::Url::parse(s).map_err(|e| format!("`{s}` is not an absolute URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("`{s}` must be an http or https URL"));
    }
    Ok(url.to_string())
}

fn parse_base_url(s: &str) -> Result<String, String> {
    let url = url::Url::parse(s).map_err(|e| format!("`{s}` is not an absolute URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("`{s}` must be an http or https URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("`{s}` must not have a query or fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

impl SiteArgs {
    /// The base URL given, or the one the server is reachable at. Listening on every
    /// address (`0.0.0.0:8080`, as in the container image) is reachable as `localhost`:
    /// `http://0.0.0.0:8080/` is no address a reader can follow.
    pub fn base_url_or(&self, addr: SocketAddr) -> String {
        self.base_url.clone().unwrap_or_else(|| {
            if addr.ip().is_unspecified() {
                format!("http://localhost:{}", addr.port())
            } else {
                format!("http://{addr}")
            }
        })
    }
}

fn parse_workers(s: &str) -> Result<usize, String> {
    let max = crate::http::workers::MAX_WORKERS;
    match s.parse::<usize>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(format!(
            "expected a number of worker threads from 0 to {max}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unspecified_listen_address_links_as_localhost() {
        let site = |base: Option<&str>| SiteArgs {
            base_url: base.map(String::from),
            site_title: None,
            limit: 50,
            hub: None,
            media_dir: None,
            feed_ttl: crate::polling::DEFAULT_TTL_MINUTES,
        };
        let at = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert_eq!(
            site(None).base_url_or(at("0.0.0.0:8080")),
            "http://localhost:8080"
        );
        assert_eq!(site(None).base_url_or(at("[::]:80")), "http://localhost:80");
        assert_eq!(
            site(None).base_url_or(at("127.0.0.1:8081")),
            "http://127.0.0.1:8081"
        );
        let given = site(Some("https://tin.example"));
        assert_eq!(given.base_url_or(at("0.0.0.0:8080")), "https://tin.example");
    }

    #[test]
    fn store_locations_are_told_apart_once() {
        assert_eq!(
            StoreLocation::parse("vnfeed.db"),
            Ok(StoreLocation::Sqlite("vnfeed.db".into()))
        );
        assert_eq!(
            StoreLocation::parse("sqlite:/var/lib/vnfeed/a.db"),
            Ok(StoreLocation::Sqlite("/var/lib/vnfeed/a.db".into()))
        );
        for url in [
            "postgres://vnfeed@db.internal/vnfeed",
            "postgresql:///vnfeed?host=/run/postgresql",
        ] {
            assert_eq!(
                StoreLocation::parse(url),
                Ok(StoreLocation::Postgres(url.into()))
            );
        }
        let bad = StoreLocation::parse("postgres://u:secret@h/db?sslmode=bogus").unwrap_err();
        assert!(bad.contains("not a PostgreSQL URL"), "{bad}");
        assert!(!bad.contains("secret"), "{bad}");
        assert!(StoreLocation::parse("sqlite:").is_err());
    }

    /// The value of a flag given no value, as `--help` shows it.
    fn shown_default(command: &clap::Command, id: &str) -> String {
        let arg = command
            .get_arguments()
            .find(|a| a.get_id() == id)
            .unwrap_or_else(|| panic!("no argument {id}"));
        arg.get_default_values()[0].to_string_lossy().into_owned()
    }

    fn parse(args: &[&str]) -> Command {
        Cli::try_parse_from(args)
            .expect("the arguments parse")
            .command
    }

    /// The flags' defaults are the code's: with no flag given, every bound the command line
    /// builds equals the one the code uses by default (`VNFEED_*` variables must be unset).
    #[test]
    fn with_no_flags_every_bound_is_the_code_default() {
        let Command::Serve(serve) = parse(&["vnfeed", "serve"]) else {
            panic!("serve parses as serve")
        };
        assert_eq!(serve.limits.limits(), Limits::default());
        assert_eq!(serve.limits.documents(), Bounds::default());
        assert_eq!(serve.api.max_body, DEFAULT_MAX_BODY);
        assert_eq!(serve.article.max_article_bytes(), DEFAULT_MAX_ARTICLE_BYTES);
        assert_eq!(serve.site.limit, crate::render::DEFAULT_LIMIT);
        assert_eq!(serve.addr, DEFAULT_ADDR.parse::<SocketAddr>().unwrap());
        // No directory: the definitions built into the binary.
        assert_eq!(serve.store.feeds, None);

        let Command::Import(import) = parse(&["vnfeed", "import", "articles"]) else {
            panic!("import parses as import")
        };
        assert_eq!(import.caps(), crate::import::Caps::default());

        let Command::Check(check) = parse(&["vnfeed", "check", "feed.xml"]) else {
            panic!("check parses as check")
        };
        let client = vnfeed_check::client::Limits::DEFAULT;
        assert_eq!(check.max_bytes, client.max_body as u64);
        assert_eq!(check.timeout, client.timeout.as_secs());
    }

    /// `--help` shows sizes and durations as people write them, not as byte counts.
    #[test]
    fn defaults_are_shown_in_units() {
        use clap::CommandFactory;
        let cli = Cli::command();
        let serve = cli.find_subcommand("serve").unwrap();
        let shown = |id: &str| shown_default(serve, id);
        assert_eq!(shown("header_timeout"), "10s");
        assert_eq!(shown("idle_timeout"), "60s");
        assert_eq!(shown("max_header_bytes"), "16KiB");
        assert_eq!(shown("max_target_bytes"), "8KiB");
        assert_eq!(shown("linger_bytes"), "64MiB");
        assert_eq!(shown("cache_bytes"), "64MiB");
        assert_eq!(shown("max_body"), "2MiB");
        assert_eq!(shown("max_article_bytes"), "1MiB");
        assert_eq!(shown("client_rate"), "10");
        for n in [1, 1000, 1 << 10, 3 << 10, 1 << 20, 1 << 30, (1 << 30) + 1] {
            assert_eq!(parse_size(&size_text(n)), Ok(n), "{n}");
        }
        for d in [
            Duration::from_secs(1),
            Duration::from_secs(90),
            Duration::from_millis(1500),
        ] {
            assert_eq!(parse_duration(&duration_text(d)), Ok(d), "{d:?}");
        }
    }

    #[test]
    fn passwords_never_reach_logs() {
        let shown =
            StoreLocation::parse("postgres://feed:hunter2@db/vnfeed?password=x2&connect_timeout=5")
                .unwrap()
                .to_string();
        assert_eq!(
            shown,
            "postgres://feed:***@db/vnfeed?password=***&connect_timeout=5"
        );
    }
}
