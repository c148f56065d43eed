//! Import: files and directories in the text layout or JSON, decoded (UTF-8, BOM, or legacy
//! Windows-1258), NFC-normalized, classified into feeds and written to the store in
//! transactions. One bad file is reported with its path and line and never stops the others.

pub mod json;
pub mod size;
pub mod tags;
pub mod text;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};

use crate::classify::ArticleText;
use crate::feeds::FeedSet;
use crate::model::{Categorized, Draft};
use crate::store::{Outcome, Store, StoreError};
use crate::vietnamese::encoding::{SourceEncoding, decode};
use crate::vietnamese::slug::slugify;

use json::JsonError;
use size::ArticleTooLarge;
pub use size::Caps;
use text::TextError;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Text {
        path: PathBuf,
        #[source]
        source: TextError,
    },
    #[error("{}{}: {source}", path.display(), item.map(|i| format!(" item {i}")).unwrap_or_default())]
    Json {
        path: PathBuf,
        /// 1-based position in a JSON array.
        item: Option<usize>,
        #[source]
        source: JsonError,
    },
    #[error("{}: {source}", path.display())]
    FileTooLarge {
        path: PathBuf,
        #[source]
        source: size::ReadError,
    },
    #[error("{}{}: {source}", path.display(), item.map(|i| format!(" item {i}")).unwrap_or_default())]
    ArticleTooLarge {
        path: PathBuf,
        /// 1-based position in a JSON array.
        item: Option<usize>,
        #[source]
        source: ArticleTooLarge,
    },
    #[error("{}: article id `{id}` is already used by {}", path.display(), first.display())]
    DuplicateId {
        path: PathBuf,
        id: String,
        first: PathBuf,
    },
    #[error("{}: {source}", path.display())]
    Store {
        path: PathBuf,
        #[source]
        source: StoreError,
    },
}

/// One file's bytes and the name to report it by.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// What an import did, for the summary line and the exit status.
#[derive(Debug, Default)]
pub struct Report {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: Vec<ImportError>,
    /// Things worth telling that are not failures, e.g. a file decoded as Windows-1258.
    pub notes: Vec<String>,
}

impl Report {
    pub fn is_success(&self) -> bool {
        self.failed.is_empty()
    }

    pub fn summary(&self) -> String {
        format!(
            "imported {}, updated {}, unchanged {}, failed {}",
            self.created,
            self.updated,
            self.unchanged,
            self.failed.len()
        )
    }
}

/// Files are read and written in batches of this many, one transaction each, so a large
/// import neither holds everything in memory nor pays a commit per article. A commit costs
/// more than its fsyncs: each transaction writes again every page of the random-keyed
/// indexes it touched (slug, id) to the WAL and then to the file, so larger batches import
/// faster. The price is memory, two batches being in flight: the one the store writes and
/// the next, read and parsed meanwhile, so at most twice this many files (each within
/// [`Caps::max_file_bytes`]) and their drafts. The figures behind 5,000 are in
/// docs/benchmarks.md, "Import batch size".
pub const BATCH_FILES: usize = 5_000;

/// Expands directories (recursively, `.txt` and `.json` files) and sorts the result so an
/// import always runs in the same order. Files named directly are taken whatever their name.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ImportError> {
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| ImportError::Read {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            walk(path, &mut out)?;
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ImportError> {
    let read_err = |source| ImportError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries = std::fs::read_dir(dir)
        .map_err(read_err)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(read_err)?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out)?;
        } else if kind_of(&path).is_some() {
            out.push(path);
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Json,
}

fn kind_of(path: &Path) -> Option<Kind> {
    match path.extension()?.to_str()? {
        "txt" => Some(Kind::Text),
        "json" => Some(Kind::Json),
        _ => None,
    }
}

/// The id of an article from a text file: its file name, which newsrooms keep stable.
fn id_from_path(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    json::valid_id(&stem).unwrap_or_else(|_| {
        let slug = slugify(&stem);
        if slug.is_empty() {
            "bai-viet".into()
        } else {
            slug
        }
    })
}

/// Decodes and parses one file into drafts; the encoding is returned for the report.
pub fn parse_source(source: &Source, feeds: &FeedSet) -> ParseResult {
    let path = &source.path;
    let (text, encoding) = decode(&source.bytes);
    let drafts = match kind_of(path).unwrap_or(Kind::Text) {
        Kind::Text => {
            let parsed = text::parse(&text).map_err(|source| ImportError::Text {
                path: path.clone(),
                source,
            })?;
            let categories =
                feeds.classify(&ArticleText::of(&parsed.title, &parsed.lead, &parsed.body));
            vec![Draft {
                id: id_from_path(path),
                title: parsed.title,
                summary: parsed.lead,
                body: parsed.body,
                author: parsed.author,
                published: parsed.published,
                updated: None,
                categories,
                categorized: Categorized::ByRules,
                url: None,
                image: None,
                tags: parsed.tags,
            }]
        }
        Kind::Json => {
            let json_err = |item, source| ImportError::Json {
                path: path.clone(),
                item,
                source,
            };
            let items = json::parse_document(&text).map_err(|e| json_err(None, e))?;
            let many = items.len() > 1;
            items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    json::to_draft(v, feeds).map_err(|e| json_err(many.then_some(i + 1), e))
                })
                .collect::<Result<Vec<_>, _>>()?
        }
    };
    Ok((drafts, encoding))
}

/// Reads and parses one file from disk into drafts, classified by `feeds` (no store), with
/// the default [`Caps`] on the file's size.
pub fn read_drafts(path: &Path, feeds: &FeedSet) -> Result<Vec<Draft>, ImportError> {
    let source = read_source(path, Caps::default().max_file_bytes)?;
    Ok(parse_source(&source, feeds)?.0)
}

/// Reads one file from disk, within `max_file_bytes`; the error names the file.
fn read_source(path: &Path, max_file_bytes: u64) -> Result<Source, ImportError> {
    match size::read_capped(path, max_file_bytes) {
        Ok(bytes) => Ok(Source {
            path: path.to_path_buf(),
            bytes,
        }),
        Err(size::ReadError::Io(source)) => Err(ImportError::Read {
            path: path.to_path_buf(),
            source,
        }),
        Err(source) => Err(ImportError::FileTooLarge {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Imports files and directories from disk, with the default [`Caps`].
pub async fn import_paths(
    store: &dyn Store,
    feeds: &FeedSet,
    paths: &[PathBuf],
    now: DateTime<Utc>,
) -> Report {
    import_paths_capped(store, feeds, paths, now, Caps::default()).await
}

/// Imports files and directories from disk; a file or an article over `caps` is reported
/// and the others are still imported.
pub async fn import_paths_capped(
    store: &dyn Store,
    feeds: &FeedSet,
    paths: &[PathBuf],
    now: DateTime<Utc>,
    caps: Caps,
) -> Report {
    let mut report = Report::default();
    let files = match collect_files(paths) {
        Ok(files) => files,
        Err(e) => {
            report.failed.push(e);
            return report;
        }
    };
    let progress = progress_bar(files.len());
    let mut batches = Batches::new(store, feeds, now, caps);
    for chunk in files.chunks(BATCH_FILES) {
        batches
            .push(chunk.iter().cloned().map(Input::File).collect())
            .await;
        progress.inc(chunk.len() as u64);
    }
    let report = batches.finish().await;
    progress.finish_and_clear();
    report
}

/// Imports sources already in memory (the embedded samples, tests), with the default cap
/// on an article's text.
pub async fn import_sources(
    store: &dyn Store,
    feeds: &FeedSet,
    sources: &[Source],
    now: DateTime<Utc>,
) -> Report {
    let mut batches = Batches::new(store, feeds, now, Caps::default());
    for chunk in sources.chunks(BATCH_FILES) {
        // A copy, as the batch is parsed on other threads while this one writes.
        batches
            .push(chunk.iter().cloned().map(Input::Memory).collect())
            .await;
    }
    batches.finish().await
}

fn progress_bar(files: usize) -> ProgressBar {
    // Small imports (the cron case) print only the summary.
    if files < 200 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(files as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} files {per_sec} eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}

/// An import in batches of files, each written in one transaction. While the store writes
/// one batch, the next is read and parsed on other threads (see [`parse_batch`]), so a bulk
/// import keeps the store busy and the CPU of parsing off the writer's path. The order of
/// everything stays the files' order: the same store content, revisions and report as a
/// one-thread import.
struct Batches<'a> {
    store: &'a dyn Store,
    /// Shared with the threads that parse (a copy made once per import).
    feeds: Arc<FeedSet>,
    now: DateTime<Utc>,
    caps: Caps,
    /// Ids already taken by earlier files of this import, across batches.
    seen: HashMap<String, PathBuf>,
    /// Parsed and waiting to be written.
    pending: Vec<(PathBuf, Vec<Draft>)>,
    report: Report,
}

impl<'a> Batches<'a> {
    fn new(store: &'a dyn Store, feeds: &FeedSet, now: DateTime<Utc>, caps: Caps) -> Self {
        Batches {
            store,
            feeds: Arc::new(feeds.clone()),
            now,
            caps,
            seen: HashMap::new(),
            pending: Vec::new(),
            report: Report::default(),
        }
    }

    /// Writes the batch parsed before while reading and parsing this one. Parsing runs on
    /// the blocking pool, so this task stays free to drive the store's write meanwhile
    /// (PostgreSQL's statements are futures of this task).
    async fn push(&mut self, inputs: Vec<Input>) {
        let pending = std::mem::take(&mut self.pending);
        let feeds = Arc::clone(&self.feeds);
        let max_file_bytes = self.caps.max_file_bytes;
        let parsing =
            tokio::task::spawn_blocking(move || parse_batch(&feeds, &inputs, max_file_bytes));
        let (written, parsed) = tokio::join!(write_batch(self.store, pending, self.now), parsing);
        let parsed = match parsed {
            Ok(parsed) => parsed,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("parsing a batch was cancelled: {e}"),
        };
        // Files that could not be read are reported first, as when they were read here.
        let mut read = Vec::with_capacity(parsed.len());
        for file in parsed {
            match file {
                Parsed::Unread(e) => self.report.failed.push(e),
                Parsed::Read(path, result) => read.push((path, result)),
            }
        }
        self.report.absorb(written);
        self.pending = self.check_ids(read);
    }

    async fn finish(mut self) -> Report {
        let pending = std::mem::take(&mut self.pending);
        let written = write_batch(self.store, pending, self.now).await;
        self.report.absorb(written);
        self.report
    }

    /// Keeps the files whose ids no earlier file of this import used; reports the others
    /// and the files that did not parse.
    fn check_ids(&mut self, read: Vec<(PathBuf, ParseResult)>) -> Vec<(PathBuf, Vec<Draft>)> {
        let mut keep = Vec::with_capacity(read.len());
        for (path, result) in read {
            let (drafts, encoding) = match result {
                Ok(ok) => ok,
                Err(e) => {
                    self.report.failed.push(e);
                    continue;
                }
            };
            // The file is the unit, as with any other error in it: all or nothing.
            if let Some((i, too_large)) = drafts.iter().enumerate().find_map(|(i, d)| {
                size::check_article(d, self.caps.max_article_bytes)
                    .err()
                    .map(|e| (i, e))
            }) {
                self.report.failed.push(ImportError::ArticleTooLarge {
                    path,
                    item: (drafts.len() > 1).then_some(i + 1),
                    source: too_large,
                });
                continue;
            }
            if encoding == SourceEncoding::Windows1258 {
                self.report.notes.push(format!(
                    "{}: not valid UTF-8, decoded as Windows-1258",
                    path.display()
                ));
            }
            if let Some((id, first)) = drafts.iter().find_map(|d| {
                self.seen
                    .get(&d.id)
                    .map(|first| (d.id.clone(), first.clone()))
            }) {
                self.report
                    .failed
                    .push(ImportError::DuplicateId { path, id, first });
                continue;
            }
            for d in &drafts {
                self.seen.insert(d.id.clone(), path.clone());
            }
            keep.push((path, drafts));
        }
        keep
    }
}

/// One file of a batch: on disk, read by the thread that parses it, or already in memory.
enum Input {
    File(PathBuf),
    Memory(Source),
}

/// A file's drafts and the encoding it was read in, or why it did not parse.
pub type ParseResult = Result<(Vec<Draft>, SourceEncoding), ImportError>;

/// What became of one file of a batch.
enum Parsed {
    /// It could not be read, or is over the cap on a file's size.
    Unread(ImportError),
    Read(PathBuf, ParseResult),
}

/// Reads (if on disk) and parses one file.
fn parse_input(feeds: &FeedSet, input: &Input, max_file_bytes: u64) -> Parsed {
    let read;
    let source = match input {
        Input::Memory(source) => source,
        Input::File(path) => match read_source(path, max_file_bytes) {
            Ok(source) => {
                read = source;
                &read
            }
            Err(e) => return Parsed::Unread(e),
        },
    };
    Parsed::Read(source.path.clone(), parse_source(source, feeds))
}

/// The most threads that parse a batch (fewer on a machine with fewer cores). Parsing an
/// article costs a fraction of writing it (docs/benchmarks.md, `import_stages`), and one
/// writer takes the batches, so more threads would only wait for it.
pub const MAX_PARSE_THREADS: usize = 4;

/// Below this many files a batch is parsed on one thread: starting threads would cost more.
const PARALLEL_FROM: usize = 64;

/// Files a parsing thread takes at a time: few enough that the threads finish together
/// when one of them is slowed (the writer shares the cores), many enough that taking them
/// costs nothing.
const FILES_PER_TAKE: usize = 16;

/// Reads and parses every input, the results in the inputs' order, spread over up to
/// [`MAX_PARSE_THREADS`] threads.
fn parse_batch(feeds: &FeedSet, inputs: &[Input], max_file_bytes: u64) -> Vec<Parsed> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(MAX_PARSE_THREADS);
    if threads < 2 || inputs.len() < PARALLEL_FROM {
        return inputs
            .iter()
            .map(|input| parse_input(feeds, input, max_file_bytes))
            .collect();
    }
    let next = AtomicUsize::new(0);
    let parse_some = || {
        let mut done = Vec::new();
        loop {
            let from = next.fetch_add(FILES_PER_TAKE, Ordering::Relaxed);
            if from >= inputs.len() {
                return done;
            }
            let parsed = inputs[from..(from + FILES_PER_TAKE).min(inputs.len())]
                .iter()
                .map(|input| parse_input(feeds, input, max_file_bytes))
                .collect::<Vec<_>>();
            done.push((from, parsed));
        }
    };
    let mut parts: Vec<(usize, Vec<Parsed>)> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(parse_some)).collect();
        let mut parts = parse_some();
        for helper in helpers {
            match helper.join() {
                Ok(more) => parts.extend(more),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        parts
    });
    parts.sort_unstable_by_key(|(from, _)| *from);
    parts.into_iter().flat_map(|(_, parsed)| parsed).collect()
}

/// What writing one batch did.
#[derive(Default)]
struct Written {
    outcomes: Vec<Outcome>,
    failed: Vec<ImportError>,
}

async fn write_batch(
    store: &dyn Store,
    parsed: Vec<(PathBuf, Vec<Draft>)>,
    now: DateTime<Utc>,
) -> Written {
    let mut written = Written::default();
    if parsed.is_empty() {
        return written;
    }
    let all: Vec<Draft> = parsed.iter().flat_map(|(_, d)| d.iter().cloned()).collect();
    match store.upsert(all, now).await {
        Ok(results) => written.outcomes.extend(results.iter().map(|r| r.outcome)),
        // The batch's transaction rolled back as a whole: retry file by file so one file the
        // store refuses does not keep the others out.
        Err(_) => {
            for (path, drafts) in parsed {
                match store.upsert(drafts, now).await {
                    Ok(results) => written.outcomes.extend(results.iter().map(|r| r.outcome)),
                    Err(source) => written.failed.push(ImportError::Store { path, source }),
                }
            }
        }
    }
    written
}

impl Report {
    fn absorb(&mut self, written: Written) {
        count(self, written.outcomes.into_iter());
        self.failed.extend(written.failed);
    }
}

fn count(report: &mut Report, outcomes: impl Iterator<Item = Outcome>) {
    for outcome in outcomes {
        match outcome {
            Outcome::Created => report.created += 1,
            Outcome::Updated => report.updated += 1,
            Outcome::Unchanged => report.unchanged += 1,
        }
    }
}
