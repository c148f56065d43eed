//! The commands behind the command line: they wire the store, the feed definitions, the
//! renderer and the server together. Errors are typed; `main` only maps them to exit codes.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::net::TcpListener;

use crate::cache::FeedCache;
use crate::check::{self, output::Verdict};
use crate::config::{
    CheckArgs, CheckOutput, ImportArgs, MigrateArgs, RenderArgs, ServeArgs, SiteArgs, StoreArgs,
    StoreLocation,
};
use crate::documents::Documents;
use crate::feeds::{FeedDefError, FeedSet, Lookup};
use crate::http::auth::{TokenFileError, Tokens};
use crate::http::{ApiConfig, AppState};
use crate::identity::SiteFile;
use crate::import::{self, Report};
use crate::media::{MediaDir, MediaError};
use crate::metrics::Metrics;
use crate::render::Site;
use crate::store::{Clock, FeedKey, MigrateStore, PostgresStore, SqliteStore, Store, StoreError};
use crate::websub::{Publisher, Retry};

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
    #[error("cannot write to standard output: {0}")]
    Output(#[source] std::io::Error),
    #[error("no feed `{0}` (see the feeds directory; `all` is the combined feed)")]
    UnknownFeed(String),
    #[error(transparent)]
    TokenFile(#[from] TokenFileError),
    #[error(transparent)]
    Migrate(#[from] crate::migrate::MigrateError),
    #[error("import failed for {failed} file(s)")]
    ImportFailed { failed: usize },
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error(transparent)]
    Descriptors(#[from] crate::descriptors::DescriptorError),
    #[error(transparent)]
    CheckClient(#[from] check::client::ClientError),
    #[error(transparent)]
    Classify(#[from] crate::classify::command::ClassifyError),
}

/// The store and the feed definitions, opened and validated.
pub struct Opened {
    pub store: Arc<dyn Store>,
    pub feeds: Arc<FeedSet>,
    /// The feeds directory's `site.toml` (or the built-in one).
    pub site_file: SiteFile,
}

/// The feed definitions and the site file of `--feeds DIR`, or the ones built in.
pub fn definitions(dir: Option<&std::path::Path>) -> Result<(FeedSet, SiteFile), FeedDefError> {
    match dir {
        Some(dir) => Ok((FeedSet::load(dir)?, SiteFile::load(dir)?)),
        None => Ok((FeedSet::embedded(), SiteFile::embedded())),
    }
}

pub async fn open(args: &StoreArgs) -> Result<Opened, AppError> {
    open_at(args, Clock::system()).await
}

/// [`open`], with the store showing articles by `clock`.
pub async fn open_at(args: &StoreArgs, clock: Clock) -> Result<Opened, AppError> {
    // Definitions first: a bad one should stop us before we touch the store.
    let (feeds, site_file) = definitions(args.feeds.as_deref())?;
    let store = open_store_at(&args.store, clock).await?;
    Ok(Opened {
        store,
        feeds: Arc::new(feeds),
        site_file,
    })
}

/// The site as every document shows it: `--site-title` over the site file's title.
fn site(base_url: &str, args: &SiteArgs, file: &SiteFile) -> Site {
    let title = args
        .site_title
        .as_deref()
        .or(file.title.as_deref())
        .unwrap_or(crate::identity::DEFAULT_TITLE);
    Site::new(base_url, title)
        .with_hub(args.hub.clone())
        .with_ttl(args.feed_ttl)
        .with_site_file(file)
}

/// Opens the backend `location` names, migrating its schema.
pub async fn open_store(location: &StoreLocation) -> Result<Arc<dyn Store>, StoreError> {
    open_store_at(location, Clock::system()).await
}

/// [`open_store`], showing articles by `clock` (see `store::clock`).
pub async fn open_store_at(
    location: &StoreLocation,
    clock: Clock,
) -> Result<Arc<dyn Store>, StoreError> {
    Ok(open_for_copy_at(location, clock).await?)
}

/// [`open_store`] with the verbatim copy `vnfeed migrate` needs.
pub async fn open_for_copy(location: &StoreLocation) -> Result<Arc<dyn MigrateStore>, StoreError> {
    open_for_copy_at(location, Clock::system()).await
}

async fn open_for_copy_at(
    location: &StoreLocation,
    clock: Clock,
) -> Result<Arc<dyn MigrateStore>, StoreError> {
    Ok(match location {
        StoreLocation::Sqlite(path) => Arc::new(SqliteStore::open(path)?.with_clock(clock)),
        StoreLocation::Postgres(url) => {
            Arc::new(PostgresStore::connect(url).await?.with_clock(clock))
        }
    })
}

/// True when the store holds no article at all: none shown now and none scheduled.
async fn is_empty(store: &dyn Store) -> Result<bool, StoreError> {
    Ok(store.count_in(FeedKey::All).await? == 0 && store.next_due(FeedKey::All).await?.is_none())
}

/// A server ready to run: listening, feeds rendered, samples imported if the store was empty.
pub struct Server {
    pub listener: TcpListener,
    pub state: Arc<AppState>,
    pub url: String,
    poll: Duration,
    tombstone_days: u32,
    /// `--workers`: 0 serves on the main runtime, N on N threads of their own.
    workers: usize,
    /// The WebSub publisher and the cache's change reports, with `--hub`.
    hub: Option<(
        Publisher,
        tokio::sync::mpsc::UnboundedReceiver<crate::cache::Changed>,
    )>,
}

impl Server {
    pub async fn prepare(args: &ServeArgs) -> Result<Server, AppError> {
        Server::prepare_at(args, Clock::system()).await
    }

    /// [`Server::prepare`] on `clock`: what "now" is for the store, the API and the timer
    /// of scheduled articles (tests move a manual clock instead of waiting).
    pub async fn prepare_at(args: &ServeArgs, clock: Clock) -> Result<Server, AppError> {
        let opened = open_at(&args.store, clock.clone()).await?;
        match &args.store.feeds {
            Some(dir) => tracing::info!(dir = %dir.display(), "feed definitions from --feeds"),
            None => {
                tracing::info!("feed definitions: the built-in ones (--feeds DIR replaces them)")
            }
        }
        warn_unserved_images(&opened, args.site.media_dir.is_some());
        if !args.no_samples && is_empty(opened.store.as_ref()).await? {
            let report = import::import_sources(
                opened.store.as_ref(),
                &opened.feeds,
                &crate::samples::sources(),
                clock.now(),
            )
            .await;
            tracing::info!(summary = %report.summary(), "empty store: imported the sample articles");
            for failure in &report.failed {
                tracing::warn!(%failure, "sample article not imported");
            }
        }
        let listener = if args.workers > 0 {
            crate::http::workers::first_listener(args.addr)
        } else {
            TcpListener::bind(args.addr).await
        }
        .map_err(|source| AppError::Bind {
            addr: args.addr,
            source,
        })?;
        let local = listener.local_addr().map_err(AppError::Serve)?;
        let site = Arc::new(site(
            &args.site.base_url_or(local),
            &args.site,
            &opened.site_file,
        ));
        let docs = documents(&opened, Arc::clone(&site), &args.site)?;
        // Made here and handed to both: the cache counts renders, the server requests.
        let metrics = Arc::new(Metrics::new());
        let media = docs.media.clone();
        let mut cache =
            FeedCache::new(docs, Arc::clone(&metrics)).with_bounds(args.limits.documents());
        let mut hub = None;
        if let Some(url) = &args.site.hub {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            cache = cache.notify(tx);
            let retry = Retry {
                attempts: args.hub_attempts,
                backoff: Duration::from_millis(args.hub_backoff_ms),
            };
            hub = Some((Publisher::new(url, Arc::clone(&site), retry), rx));
        }
        let cache = Arc::new(cache);
        forget_tombstones(opened.store.as_ref(), args.tombstone_days).await?;
        cache.refresh().await?;
        let mut state = AppState::new(opened.store, opened.feeds, site, cache, metrics, media)
            .with_limits(args.limits.limits());
        state.api = ApiConfig {
            tokens: Tokens::new(
                args.api.api_token.as_deref(),
                args.api.token_file.as_deref(),
            )?,
            max_body: args.api.max_body,
            max_article_bytes: args.article.max_article_bytes(),
        };
        if state.api.tokens.is_configured() {
            tracing::info!("publishing API on at /api/articles");
        } else {
            tracing::warn!(
                "publishing API off: no token configured (set VNFEED_API_TOKEN or --token-file); /api answers 403"
            );
        }
        let state = Arc::new(state);
        Ok(Server {
            listener,
            state,
            url: format!("http://{local}"),
            poll: Duration::from_millis(args.poll_ms),
            tombstone_days: args.tombstone_days,
            workers: args.workers,
            hub,
        })
    }

    /// Serves until `shutdown` completes.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), AppError> {
        let watcher = tokio::spawn(Arc::clone(&self.state.cache).watch(self.poll));
        let timer = tokio::spawn(crate::schedule::run(
            Arc::clone(&self.state.cache),
            self.state.store.clock().clone(),
        ));
        let publisher = self
            .hub
            .map(|(publisher, changes)| tokio::spawn(publisher.run(changes)));
        let expiry = tokio::spawn(expire_tombstones(
            Arc::clone(&self.state.store),
            self.tombstone_days,
        ));
        tracing::info!(url = %self.url, "listening on {}", self.url);
        let result = if self.workers > 0 {
            crate::http::workers::serve(self.listener, self.state, self.workers, shutdown).await
        } else {
            crate::http::serve(self.listener, self.state, shutdown).await
        };
        watcher.abort();
        timer.abort();
        expiry.abort();
        if let Some(publisher) = publisher {
            publisher.abort();
        }
        result.map_err(AppError::Serve)
    }
}

/// Says which configured icons and logos are paths this server would answer 404 for.
fn warn_unserved_images(opened: &Opened, media_dir: bool) {
    let site = &opened.site_file;
    let feeds = opened.feeds.categories().iter();
    let configured = site
        .icon
        .iter()
        .chain(&site.logo)
        .chain(feeds.flat_map(|f| f.icon.iter().chain(&f.logo)));
    for url in crate::identity::unserved(configured.map(String::as_str), media_dir) {
        tracing::warn!(
            url,
            "an icon or logo this server does not serve: a path must be one of /media/ (with \
             --media-dir) or a built-in image (/icon.png, /favicon.png, /logo.png, /icon.svg)"
        );
    }
}

/// Tombstones older than this many days leave the store (and so the feeds, at the next poll).
async fn forget_tombstones(store: &dyn Store, days: u32) -> Result<u64, StoreError> {
    let now = store.clock().now();
    let before = now - chrono::Duration::days(i64::from(days));
    let gone = store.forget_tombstones(before, now).await?;
    if gone > 0 {
        tracing::info!(gone, days, "expired tombstones dropped");
    }
    Ok(gone)
}

/// Drops expired tombstones once an hour. Expiry is a store write, not a render-time filter,
/// so the feeds stay a function of the store and replicas agree byte for byte.
async fn expire_tombstones(store: Arc<dyn Store>, days: u32) {
    let mut hourly = tokio::time::interval(Duration::from_secs(3600));
    hourly.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        hourly.tick().await;
        if let Err(e) = forget_tombstones(store.as_ref(), days).await {
            tracing::warn!(error = %e, "could not drop expired tombstones");
        }
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
    survive_file_size_limits();
    let max_connections = args.limits.limits().max_connections;
    let budget = crate::descriptors::raise_and_check(max_connections)?;
    tracing::info!(
        soft_limit = budget.soft,
        hard_limit = budget.hard,
        was = budget.was,
        max_connections,
        reserved = crate::descriptors::RESERVED,
        "open-file limit {} (raised from {}): {} for connections, {} kept for the store, hub pings and media",
        budget.soft,
        budget.was,
        max_connections,
        crate::descriptors::RESERVED
    );
    Server::prepare(&args).await?.run(shutdown_signal()).await
}

/// A write past a file-size limit (`ulimit -f`, some quotas) raises SIGXFSZ, which kills the
/// process by default. Handling it turns that write into an error (EFBIG) the store reports,
/// so the server keeps serving its last renders and answers writes with 503 instead, and an
/// import names the files it could not store rather than dying without a word.
fn survive_file_size_limits() {
    #[cfg(unix)]
    {
        let xfsz = tokio::signal::unix::SignalKind::from_raw(libc::SIGXFSZ);
        match tokio::signal::unix::signal(xfsz) {
            // The handler stays installed for the life of the process, even once dropped.
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot handle SIGXFSZ"),
        }
    }
}

/// Runs an import and prints its report: failures and notes to stderr, the summary last.
pub async fn import(args: ImportArgs) -> Result<Report, AppError> {
    survive_file_size_limits();
    let opened = open(&args.store).await?;
    let report = import::import_paths_capped(
        opened.store.as_ref(),
        &opened.feeds,
        &args.paths,
        Utc::now(),
        args.caps(),
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

/// How feed documents are read and completed, from the site options.
fn documents(opened: &Opened, site: Arc<Site>, args: &SiteArgs) -> Result<Documents, AppError> {
    Ok(Documents {
        store: Arc::clone(&opened.store),
        feeds: Arc::clone(&opened.feeds),
        site,
        limit: args.limit,
        media: media_dir(args)?,
    })
}

fn media_dir(args: &SiteArgs) -> Result<Option<Arc<MediaDir>>, AppError> {
    Ok(match &args.media_dir {
        Some(dir) => Some(Arc::new(MediaDir::open(dir)?)),
        None => None,
    })
}

/// The bytes of one feed's subscription document, as `serve` would send them (identity).
pub async fn render(args: RenderArgs) -> Result<Vec<u8>, AppError> {
    let opened = open(&args.store).await?;
    let feed = match opened.feeds.lookup(&args.feed) {
        Some(Lookup::Feed(f) | Lookup::Alias(f)) => f.clone(),
        None => return Err(AppError::UnknownFeed(args.feed)),
    };
    let base = args
        .site
        .base_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", crate::config::DEFAULT_ADDR));
    let site = Arc::new(site(&base, &args.site, &opened.site_file));
    let docs = documents(&opened, site, &args.site)?;
    let doc = docs
        .page(&feed, 1)
        .await?
        .expect("page 1 of a feed always exists");
    Ok(docs.render(&feed, &doc, args.format))
}

/// Checks every input (URLs over http or https, files, `-`) and what it leads to (an HTML
/// page's feeds, an OPML list's, with `--follow` their pages and archives), prints the
/// findings to stdout in the chosen format and a summary to stderr, and says how the run went.
pub async fn check(args: CheckArgs) -> Result<Verdict, AppError> {
    let options = check::Options::at(Utc::now());
    let limits = check::client::Limits {
        timeout: Duration::from_secs(args.timeout),
        max_body: usize::try_from(args.max_bytes).unwrap_or(usize::MAX),
        ..check::client::Limits::DEFAULT
    };
    let client = match &args.ca_file {
        Some(path) => check::Client::with_ca_file(limits, path),
        None => check::Client::new(limits),
    }?;
    let walk = check::Walk {
        follow: args.follow,
        max_documents: args.max_documents,
        concurrency: args.concurrency,
    };
    let mut reports = Vec::with_capacity(args.inputs.len());
    for input in &args.inputs {
        let walked = check::check_input(&client, input, &walk, &options).await;
        if walked.not_checked > 0 {
            eprintln!(
                "{input}: stopped after {} documents (--max-documents); {} more not checked",
                walked.reports.len(),
                walked.not_checked
            );
        }
        reports.extend(walked.reports);
    }
    let printed = match args.format {
        CheckOutput::Text => check::output::text(&reports),
        CheckOutput::Json => check::output::json(&reports),
        CheckOutput::Sarif => check::output::sarif(&reports),
        CheckOutput::Junit => check::output::junit(&reports, args.strict),
        CheckOutput::Github => check::output::github(&reports),
    };
    use std::io::Write;
    std::io::stdout()
        .write_all(printed.as_bytes())
        .map_err(AppError::Output)?;
    eprintln!("{}", check::output::summary(&reports));
    Ok(Verdict::of(&reports, args.strict))
}

/// Copies a store into another, with a progress bar, and prints what the count check found.
pub async fn migrate(args: MigrateArgs) -> Result<crate::migrate::Migrated, AppError> {
    if args.from == args.to {
        return Err(crate::migrate::MigrateError::SameStore.into());
    }
    let from = open_for_copy(&args.from).await?;
    let to = open_for_copy(&args.to).await?;
    eprintln!("migrating {} -> {}", args.from, args.to);
    let progress = indicatif::ProgressBar::new(0);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} articles {per_sec} eta {eta}")
    {
        progress.set_style(style);
    }
    let result = crate::migrate::copy(from.as_ref(), to.as_ref(), &progress).await;
    progress.finish_and_clear();
    let migrated = result?;
    eprintln!(
        "migrated {} articles, {} tombstones and {} history entries; count check passed \
         (source = target)",
        migrated.articles, migrated.tombstones, migrated.history
    );
    Ok(migrated)
}

/// `vnfeed reclassify`: the moves to print, applied in one transaction unless `--dry-run`.
pub async fn reclassify(args: crate::config::ReclassifyArgs) -> Result<String, AppError> {
    use crate::classify::reclassify;
    let (feeds, _) = definitions(args.store.feeds.as_deref())?;
    let store = open_for_copy(&args.store.store).await?;
    let moves = reclassify::moves(store.as_ref(), &feeds).await?;
    let report = reclassify::report(&moves, !args.dry_run);
    if !args.dry_run {
        reclassify::apply(store.as_ref(), moves, Utc::now()).await?;
    }
    Ok(report)
}

/// `vnfeed classify`: the report to print (see `classify::command`).
pub fn classify(args: crate::config::ClassifyArgs) -> Result<String, AppError> {
    Ok(crate::classify::command::run(&args)?)
}
