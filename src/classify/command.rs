//! `vnfeed classify`: what the rules make of articles on disk (`--explain` says why), and
//! `--eval`, the rules measured against a directory an editor labelled.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use super::ArticleText;
use super::eval::{Evaluation, LabelsError, Outcome, read_labels};
use crate::config::ClassifyArgs;
use crate::feeds::{FeedDefError, FeedSet};
use crate::import::{self, ImportError};

#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    #[error(transparent)]
    FeedDef(#[from] FeedDefError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Labels(#[from] LabelsError),
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("--eval takes one directory (the one its labelled files are in), not {0}")]
    EvalPaths(usize),
    #[error("{}: a labelled file must hold one article, it holds {count}", path.display())]
    NotOneArticle { path: PathBuf, count: usize },
}

/// Runs the command and returns what it prints.
pub fn run(args: &ClassifyArgs) -> Result<String, ClassifyError> {
    let feeds = match &args.feeds {
        Some(dir) => FeedSet::load(dir)?,
        None => FeedSet::embedded(),
    };
    match &args.eval {
        Some(labels) => match args.paths.as_slice() {
            [dir] => Ok(evaluate(&feeds, labels, dir)?.to_string()),
            paths => Err(ClassifyError::EvalPaths(paths.len())),
        },
        None => classify_files(&feeds, &args.paths, args.explain),
    }
}

/// `path: categories` per article (`path item N` in a JSON array), each score below it
/// with `--explain`.
fn classify_files(
    feeds: &FeedSet,
    paths: &[PathBuf],
    explain: bool,
) -> Result<String, ClassifyError> {
    let mut out = String::new();
    for path in import::collect_files(paths)? {
        let drafts = import::read_drafts(&path, feeds)?;
        let many = drafts.len() > 1;
        for (i, draft) in drafts.iter().enumerate() {
            let explanation =
                feeds.explain(&ArticleText::of(&draft.title, &draft.summary, &draft.body));
            let categories = explanation.categories();
            let item = if many {
                format!(" item {}", i + 1)
            } else {
                String::new()
            };
            let shown = if categories.is_empty() {
                "(none)".to_string()
            } else {
                categories.join(", ")
            };
            let _ = writeln!(out, "{}{item}: {shown}", path.display());
            if explain {
                for score in &explanation.scores {
                    let _ = writeln!(out, "  {score}");
                }
            }
        }
    }
    Ok(out)
}

/// Classifies every labelled article of `dir` and compares.
pub fn evaluate(feeds: &FeedSet, labels: &Path, dir: &Path) -> Result<Evaluation, ClassifyError> {
    let text = std::fs::read_to_string(labels).map_err(|source| ClassifyError::Read {
        path: labels.to_path_buf(),
        source,
    })?;
    let mut outcomes = Vec::new();
    for labelled in read_labels(labels, &text, feeds)? {
        let path = dir.join(&labelled.file);
        let drafts = import::read_drafts(&path, feeds)?;
        let [draft] = drafts.as_slice() else {
            return Err(ClassifyError::NotOneArticle {
                path,
                count: drafts.len(),
            });
        };
        let explanation =
            feeds.explain(&ArticleText::of(&draft.title, &draft.summary, &draft.body));
        outcomes.push(Outcome {
            labelled,
            explanation,
        });
    }
    Ok(Evaluation::new(feeds, outcomes))
}
