//! The commands behind the command line: they wire the store, the feed definitions, the
//! renderer and the server together. Errors are typed; `main` only maps them to exit codes.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::net::TcpListener;

use crate::cache::FeedCache;
use crate::config::{ImportArgs, RenderArgs, ServeArgs, StoreArgs};
use crate::feeds::{FeedDefError, FeedSet, Lookup};
use crate::http::AppState;
use crate::import::{self, Report};
use crate::render::{self, FeedView, Site};
use crate::store::{SqliteStore, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    FeedDef(#[from] FeedDefError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Serve(#[source] std::io::Error),
    #[error("no feed `{0}` (see the feeds directory; `all` is the combined feed)")]
    UnknownFeed(String),
    #[error("import failed for {failed} file(s)")]
    ImportFailed { failed: usize },
}

/// The store and the feed definitions, opened and validated.
pub struct Opened {
    pub store: Arc<dyn Store>,
    pub feeds: Arc<FeedSet>,
}

pub fn open(args: &StoreArgs) -> Result<Opened, AppError> {
    // Definitions first: a bad one should stop us before we touch the store.
    let feeds = FeedSet::load(&args.feeds)?;
    let store = SqliteStore::open(&args.store)?;
    Ok(Opened {
        store: Arc::new(store),
        feeds: Arc::new(feeds),
    })
}

/// A server ready to run: listening, feeds rendered, samples imported if the store was empty.
pub struct Server {
    pub listener: TcpListener,
    pub state: Arc<AppState>,
    pub url: String,
    poll: Duration,
}

impl Server {
    pub async fn prepare(args: &ServeArgs) -> Result<Server, AppError> {
        let opened = open(&args.store)?;
        if !args.no_samples && opened.store.count().await? == 0 {
            let report = import::import_sources(
                opened.store.as_ref(),
                &opened.feeds,
                &crate::samples::sources(),
                Utc::now(),
            )
            .await;
            tracing::info!(summary = %report.summary(), "empty store: imported the sample articles");
            for failure in &report.failed {
                tracing::warn!(%failure, "sample article not imported");
            }
        }
        let listener = TcpListener::bind(args.addr)
            .await
            .map_err(|source| AppError::Bind {
                addr: args.addr,
                source,
            })?;
        let local = listener.local_addr().map_err(AppError::Serve)?;
        let site = Arc::new(Site::new(
            &args.site.base_url_or(local),
            &args.site.site_title,
        ));
        let cache = Arc::new(FeedCache::new(
            Arc::clone(&opened.store),
            Arc::clone(&opened.feeds),
            Arc::clone(&site),
            args.site.limit,
        ));
        cache.refresh().await?;
        let state = Arc::new(AppState::new(opened.store, opened.feeds, site, cache));
        Ok(Server {
            listener,
            state,
            url: format!("http://{local}"),
            poll: Duration::from_millis(args.poll_ms),
        })
    }

    /// Serves until `shutdown` completes.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), AppError> {
        let watcher = tokio::spawn(Arc::clone(&self.state.cache).watch(self.poll));
        tracing::info!(url = %self.url, "listening on {}", self.url);
        let result = crate::http::serve(self.listener, self.state, shutdown).await;
        watcher.abort();
        result.map_err(AppError::Serve)
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

pub async fn serve(args: ServeArgs) -> Result<(), AppError> {
    Server::prepare(&args).await?.run(shutdown_signal()).await
}

/// Runs an import and prints its report: failures and notes to stderr, the summary last.
pub async fn import(args: ImportArgs) -> Result<Report, AppError> {
    let opened = open(&args.store)?;
    let report = import::import_paths(
        opened.store.as_ref(),
        &opened.feeds,
        &args.paths,
        Utc::now(),
    )
    .await;
    for note in &report.notes {
        eprintln!("note: {note}");
    }
    for failure in &report.failed {
        eprintln!("error: {failure}");
    }
    eprintln!("{}", report.summary());
    if report.is_success() {
        Ok(report)
    } else {
        Err(AppError::ImportFailed {
            failed: report.failed.len(),
        })
    }
}

/// The bytes of one feed, as `serve` would send them (identity coding).
pub async fn render(args: RenderArgs) -> Result<Vec<u8>, AppError> {
    let opened = open(&args.store)?;
    let feed = match opened.feeds.lookup(&args.feed) {
        Some(Lookup::Feed(f) | Lookup::Alias(f)) => f.clone(),
        None => return Err(AppError::UnknownFeed(args.feed)),
    };
    let base = args
        .site
        .base_url
        .clone()
        .unwrap_or_else(|| "http://127.0.0.1:8080".to_string());
    let site = Site::new(&base, &args.site.site_title);
    let category = (!feed.is_all()).then_some(feed.slug.as_str());
    let articles = opened.store.latest(category, args.site.limit).await?;
    let view = FeedView {
        site: &site,
        feed: &feed,
        feeds: &opened.feeds,
        articles: &articles,
    };
    Ok(render::feed(&view, args.format))
}
