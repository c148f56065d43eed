//! Import: files and directories in the text layout or JSON, decoded (UTF-8, BOM, or legacy
//! Windows-1258), NFC-normalized, classified into feeds and written to the store in
//! transactions. One bad file is reported with its path and line and never stops the others.

pub mod json;
pub mod size;
pub mod tags;
pub mod text;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

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
/// faster. The price is memory, two batches being in flight. The figures behind 5,000 are
/// in docs/benchmarks.md, "Import batch size".
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
pub fn parse_source(
    source: &Source,
    feeds: &FeedSet,
) -> Result<(Vec<Draft>, SourceEncoding), ImportError> {
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
    let bytes = match size::read_capped(path, Caps::default().max_file_bytes) {
        Ok(bytes) => bytes,
        Err(size::ReadError::Io(source)) => {
            return Err(ImportError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
        Err(source) => {
            return Err(ImportError::FileTooLarge {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let source = Source {
        path: path.to_path_buf(),
        bytes,
    };
    Ok(parse_source(&source, feeds)?.0)
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
    let mut batches = Batches::new(store, feeds, now, caps.max_article_bytes);
    for chunk in files.chunks(BATCH_FILES) {
        let mut sources = Vec::with_capacity(chunk.len());
        for path in chunk {
            match size::read_capped(path, caps.max_file_bytes) {
                Ok(bytes) => sources.push(Source {
                    path: path.clone(),
                    bytes,
                }),
                Err(size::ReadError::Io(source)) => batches.report.failed.push(ImportError::Read {
                    path: path.clone(),
                    source,
                }),
                Err(source) => batches.report.failed.push(ImportError::FileTooLarge {
                    path: path.clone(),
                    source,
                }),
            }
        }
        batches.push(&sources).await;
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
    let mut batches = Batches::new(store, feeds, now, Caps::default().max_article_bytes);
    for chunk in sources.chunks(BATCH_FILES) {
        batches.push(chunk).await;
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
/// one batch, the next is parsed (on every core for a large batch), so a bulk import keeps
/// both the CPU and the store busy.
struct Batches<'a> {
    store: &'a dyn Store,
    feeds: &'a FeedSet,
    now: DateTime<Utc>,
    /// The cap on one article's stored text.
    max_article_bytes: usize,
    /// Ids already taken by earlier files of this import, across batches.
    seen: HashMap<String, PathBuf>,
    /// Parsed and waiting to be written.
    pending: Vec<(PathBuf, Vec<Draft>)>,
    report: Report,
}

impl<'a> Batches<'a> {
    fn new(
        store: &'a dyn Store,
        feeds: &'a FeedSet,
        now: DateTime<Utc>,
        max_article_bytes: usize,
    ) -> Self {
        Batches {
            store,
            feeds,
            now,
            max_article_bytes,
            seen: HashMap::new(),
            pending: Vec::new(),
            report: Report::default(),
        }
    }

    /// Writes the batch parsed before while parsing this one.
    async fn push(&mut self, sources: &[Source]) {
        let pending = std::mem::take(&mut self.pending);
        let (written, parsed) = tokio::join!(write_batch(self.store, pending, self.now), async {
            parse_batch(self.feeds, sources)
        });
        self.report.absorb(written);
        self.pending = self.check_ids(sources, parsed);
    }

    async fn finish(mut self) -> Report {
        let pending = std::mem::take(&mut self.pending);
        let written = write_batch(self.store, pending, self.now).await;
        self.report.absorb(written);
        self.report
    }

    /// Keeps the files whose ids no earlier file of this import used; reports the others
    /// and the files that did not parse.
    fn check_ids(
        &mut self,
        sources: &[Source],
        parsed: Vec<Result<(Vec<Draft>, SourceEncoding), ImportError>>,
    ) -> Vec<(PathBuf, Vec<Draft>)> {
        let mut keep = Vec::with_capacity(parsed.len());
        for (source, result) in sources.iter().zip(parsed) {
            let (drafts, encoding) = match result {
                Ok(ok) => ok,
                Err(e) => {
                    self.report.failed.push(e);
                    continue;
                }
            };
            // The file is the unit, as with any other error in it: all or nothing.
            if let Some((i, too_large)) = drafts.iter().enumerate().find_map(|(i, d)| {
                size::check_article(d, self.max_article_bytes)
                    .err()
                    .map(|e| (i, e))
            }) {
                self.report.failed.push(ImportError::ArticleTooLarge {
                    path: source.path.clone(),
                    item: (drafts.len() > 1).then_some(i + 1),
                    source: too_large,
                });
                continue;
            }
            if encoding == SourceEncoding::Windows1258 {
                self.report.notes.push(format!(
                    "{}: not valid UTF-8, decoded as Windows-1258",
                    source.path.display()
                ));
            }
            if let Some((id, first)) = drafts.iter().find_map(|d| {
                self.seen
                    .get(&d.id)
                    .map(|first| (d.id.clone(), first.clone()))
            }) {
                self.report.failed.push(ImportError::DuplicateId {
                    path: source.path.clone(),
                    id,
                    first,
                });
                continue;
            }
            for d in &drafts {
                self.seen.insert(d.id.clone(), source.path.clone());
            }
            keep.push((source.path.clone(), drafts));
        }
        keep
    }
}

/// Below this many files a batch is parsed on one thread: starting threads would cost more.
const PARALLEL_FROM: usize = 64;

/// Parses every source, in order, spreading a large batch over the machine's cores.
fn parse_batch(
    feeds: &FeedSet,
    sources: &[Source],
) -> Vec<Result<(Vec<Draft>, SourceEncoding), ImportError>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || sources.len() < PARALLEL_FROM {
        return sources.iter().map(|s| parse_source(s, feeds)).collect();
    }
    let per_thread = sources.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = sources
            .chunks(per_thread)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|s| parse_source(s, feeds))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|part| part.join().expect("parsing an article does not panic"))
            .collect()
    })
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
