//! Measuring the rules against an editor's labels, for `vnfeed classify --eval`: reading a
//! labels file, and per-category precision, recall and F1, macro-F1, exact match, the
//! confusion between categories and every disagreement with its explanation.

use std::fmt;
use std::path::{Path, PathBuf};

use super::Explanation;
use crate::feeds::FeedSet;

/// The most lines a labels file may have: an archive of a newsroom's labelled stories is a
/// few thousand; the bound keeps a wrong file (a dump, a binary) from being read whole.
pub const MAX_LABELS: usize = 100_000;

/// One labelled article: its file, relative to the labels' directory, and its categories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labelled {
    pub file: String,
    /// Slugs, sorted and unique; empty for "in no category feed".
    pub expected: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{} line {line}: {message}", file.display())]
pub struct LabelsError {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

/// Reads `file name <TAB> categories` lines (`#` starts a comment line; categories are slugs
/// or aliases, comma separated, empty for none).
pub fn read_labels(path: &Path, text: &str, feeds: &FeedSet) -> Result<Vec<Labelled>, LabelsError> {
    let fail = |line: usize, message: String| LabelsError {
        file: path.to_path_buf(),
        line,
        message,
    };
    let mut out: Vec<Labelled> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if out.len() == MAX_LABELS {
            return Err(fail(n, format!("more than {MAX_LABELS} labelled articles")));
        }
        let (file, categories) = line.split_once('\t').unwrap_or((line, ""));
        let file = file.trim();
        if file.is_empty() || file.contains("..") || Path::new(file).is_absolute() {
            return Err(fail(
                n,
                format!("`{file}` is not a file name inside the directory"),
            ));
        }
        if out.iter().any(|l| l.file == file) {
            return Err(fail(n, format!("`{file}` is labelled twice")));
        }
        let mut expected = Vec::new();
        for name in categories
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let feed = feeds
                .category(name)
                .ok_or_else(|| fail(n, format!("unknown category `{name}`")))?;
            expected.push(feed.slug.clone());
        }
        expected.sort();
        expected.dedup();
        out.push(Labelled {
            file: file.to_string(),
            expected,
        });
    }
    Ok(out)
}

/// One article as labelled and as classified.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub labelled: Labelled,
    pub explanation: Explanation,
}

impl Outcome {
    pub fn chosen(&self) -> Vec<String> {
        self.explanation.categories()
    }

    pub fn agrees(&self) -> bool {
        self.chosen() == self.labelled.expected
    }
}

/// Counts of one category.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryScore {
    pub slug: String,
    /// Chosen and labelled.
    pub true_positives: usize,
    /// Chosen, not labelled.
    pub false_positives: usize,
    /// Labelled, not chosen.
    pub false_negatives: usize,
}

impl CategoryScore {
    /// 1 when nothing was chosen and nothing was missed (no evidence of a mistake).
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
            self.false_negatives == 0,
        )
    }

    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
            self.false_positives == 0,
        )
    }

    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(part: usize, whole: usize, perfect_if_empty: bool) -> f64 {
    match whole {
        0 if perfect_if_empty => 1.0,
        0 => 0.0,
        _ => part as f64 / whole as f64,
    }
}

/// The whole evaluation: every article's outcome and the figures drawn from them.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Category slugs, in the feed set's order.
    pub categories: Vec<String>,
    pub outcomes: Vec<Outcome>,
}

/// The column and row of articles in no category.
const NONE: &str = "(none)";

impl Evaluation {
    pub fn new(feeds: &FeedSet, outcomes: Vec<Outcome>) -> Evaluation {
        Evaluation {
            categories: feeds.categories().iter().map(|f| f.slug.clone()).collect(),
            outcomes,
        }
    }

    pub fn per_category(&self) -> Vec<CategoryScore> {
        self.categories
            .iter()
            .map(|slug| {
                let mut score = CategoryScore {
                    slug: slug.clone(),
                    true_positives: 0,
                    false_positives: 0,
                    false_negatives: 0,
                };
                for o in &self.outcomes {
                    let chosen = o.chosen().contains(slug);
                    let labelled = o.labelled.expected.contains(slug);
                    match (chosen, labelled) {
                        (true, true) => score.true_positives += 1,
                        (true, false) => score.false_positives += 1,
                        (false, true) => score.false_negatives += 1,
                        (false, false) => {}
                    }
                }
                score
            })
            .collect()
    }

    /// The mean of the categories' F1.
    pub fn macro_f1(&self) -> f64 {
        let scores = self.per_category();
        if scores.is_empty() {
            return 0.0;
        }
        scores.iter().map(CategoryScore::f1).sum::<f64>() / scores.len() as f64
    }

    /// Articles whose chosen categories are exactly the labelled ones, and how many there are.
    pub fn exact_matches(&self) -> (usize, usize) {
        let exact = self.outcomes.iter().filter(|o| o.agrees()).count();
        (exact, self.outcomes.len())
    }

    /// `confusion[labelled][chosen]` over the categories then "(none)": an article counts
    /// once for every pair of a category it is labelled with and one it was put in.
    pub fn confusion(&self) -> Vec<Vec<usize>> {
        let names: Vec<&str> = self.row_names();
        let mut grid = vec![vec![0; names.len()]; names.len()];
        let at = |set: &[String]| -> Vec<usize> {
            if set.is_empty() {
                vec![names.len() - 1]
            } else {
                set.iter()
                    .filter_map(|s| names.iter().position(|n| n == s))
                    .collect()
            }
        };
        for o in &self.outcomes {
            for &row in &at(&o.labelled.expected) {
                for &col in &at(&o.chosen()) {
                    grid[row][col] += 1;
                }
            }
        }
        grid
    }

    fn row_names(&self) -> Vec<&str> {
        self.categories
            .iter()
            .map(String::as_str)
            .chain(std::iter::once(NONE))
            .collect()
    }
}

fn list(slugs: &[String]) -> String {
    if slugs.is_empty() {
        NONE.to_string()
    } else {
        slugs.join(",")
    }
}

impl fmt::Display for Evaluation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scores = self.per_category();
        let width = self
            .row_names()
            .iter()
            .map(|n| n.chars().count())
            .max()
            .unwrap_or(0)
            .max("category".len());
        writeln!(
            f,
            "{:width$}  precision  recall  F1     (chosen and labelled / chosen only / labelled only)",
            "category"
        )?;
        for s in &scores {
            writeln!(
                f,
                "{:width$}  {:.3}      {:.3}   {:.3}  ({} / {} / {})",
                s.slug,
                s.precision(),
                s.recall(),
                s.f1(),
                s.true_positives,
                s.false_positives,
                s.false_negatives
            )?;
        }
        let (exact, total) = self.exact_matches();
        writeln!(f, "macro-F1 {:.3}", self.macro_f1())?;
        let percent = if total == 0 {
            0.0
        } else {
            100.0 * exact as f64 / total as f64
        };
        writeln!(f, "exact match {exact}/{total} ({percent:.1}%)")?;
        writeln!(f)?;
        writeln!(f, "confusion (rows: labelled, columns: chosen)")?;
        let names = self.row_names();
        write!(f, "{:width$}", "")?;
        for n in &names {
            write!(f, "  {n:>w$}", w = n.chars().count().max(4))?;
        }
        writeln!(f)?;
        for (row, counts) in names.iter().zip(self.confusion()) {
            write!(f, "{row:width$}")?;
            for (n, count) in names.iter().zip(counts) {
                write!(f, "  {count:>w$}", w = n.chars().count().max(4))?;
            }
            writeln!(f)?;
        }
        let wrong: Vec<&Outcome> = self.outcomes.iter().filter(|o| !o.agrees()).collect();
        writeln!(f)?;
        writeln!(f, "disagreements: {}", wrong.len())?;
        for o in wrong {
            writeln!(
                f,
                "{}: labelled {}, chosen {}",
                o.labelled.file,
                list(&o.labelled.expected),
                list(&o.chosen())
            )?;
            for score in &o.explanation.scores {
                writeln!(f, "  {score}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(tp: usize, fp: usize, fn_: usize) -> CategoryScore {
        CategoryScore {
            slug: "x".into(),
            true_positives: tp,
            false_positives: fp,
            false_negatives: fn_,
        }
    }

    #[test]
    fn precision_recall_and_f1() {
        let s = score(8, 2, 0);
        assert_eq!(s.precision(), 0.8);
        assert_eq!(s.recall(), 1.0);
        assert!((s.f1() - 16.0 / 18.0).abs() < 1e-12);
        assert_eq!(score(0, 0, 0).f1(), 1.0);
        assert_eq!(score(0, 0, 3).precision(), 0.0);
        assert_eq!(score(0, 2, 0).recall(), 0.0);
        assert_eq!(score(0, 2, 3).f1(), 0.0);
    }
}
