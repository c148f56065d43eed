//! The command line and its environment variables, parsed and validated once.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::model::Format;

#[derive(Debug, Parser)]
#[command(
    name = "vnfeed",
    version,
    about = "Per-category RSS and Atom feeds for Vietnamese newsrooms"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the feeds over HTTP.
    Serve(ServeArgs),
    /// Import articles (text layout or JSON; files or directories) into the store.
    Import(ImportArgs),
    /// Print one feed to standard output, exactly as the server would serve it.
    Render(RenderArgs),
}

/// Where the articles and the feed definitions live.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// The SQLite store file (created if missing).
    #[arg(long, env = "VNFEED_STORE", default_value = "vnfeed.db")]
    pub store: PathBuf,
    /// The directory of feed definitions (one TOML file per category feed).
    #[arg(long, env = "VNFEED_FEEDS", default_value = "feeds")]
    pub feeds: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct SiteArgs {
    /// The public URL every link and self URL starts with [default: http://ADDR].
    #[arg(long, env = "VNFEED_BASE_URL", value_parser = parse_base_url)]
    pub base_url: Option<String>,
    /// The site's name, shown in feed titles and pages.
    #[arg(long, env = "VNFEED_SITE_TITLE", default_value = "vnfeed")]
    pub site_title: String,
    /// Items per feed.
    #[arg(long, env = "VNFEED_FEED_LIMIT", default_value_t = crate::render::DEFAULT_LIMIT, value_parser = parse_limit)]
    pub limit: usize,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "VNFEED_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub site: SiteArgs,
    /// How often to look for changes made by other processes (e.g. `vnfeed import` from cron).
    #[arg(long, env = "VNFEED_POLL_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub poll_ms: u64,
    /// Do not import the shipped sample articles into an empty store.
    #[arg(long, env = "VNFEED_NO_SAMPLES")]
    pub no_samples: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Files or directories (searched for .txt and .json files).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
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
    /// rss or atom.
    #[arg(long, value_parser = parse_format)]
    pub format: Format,
}

fn parse_limit(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=1000).contains(&n) => Ok(n),
        _ => Err(format!("`{s}` is not a whole number from 1 to 1000")),
    }
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::from_extension(s).ok_or_else(|| format!("unknown format `{s}` (rss or atom)"))
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
    /// The base URL given, or the one the server is reachable at.
    pub fn base_url_or(&self, addr: SocketAddr) -> String {
        self.base_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"))
    }
}
