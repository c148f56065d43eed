//! `FeedDefError`: what is wrong with a feed definition or the site file, naming the file
//! and, when known, the line or field. Both `feeds` and `identity` (which reads the site
//! file and the per-feed icons) report it, and `feeds` uses `identity`, so the error lives
//! in this leaf; `crate::feeds::FeedDefError` re-exports it.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("{}{}: {message}", file.display(), location(*line, field.as_deref()))]
pub struct FeedDefError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub field: Option<String>,
    pub message: String,
}

impl FeedDefError {
    /// A TOML syntax or type error, at its line.
    pub fn toml(file: &Path, text: &str, e: &toml::de::Error) -> FeedDefError {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        FeedDefError {
            file: file.to_path_buf(),
            line,
            field: None,
            message: e.message().trim().to_string(),
        }
    }

    /// A value that parsed but is not allowed.
    pub fn field(file: &Path, field: &str, message: String) -> FeedDefError {
        FeedDefError {
            file: file.to_path_buf(),
            line: None,
            field: Some(field.to_string()),
            message,
        }
    }
}

fn location(line: Option<usize>, field: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(line) = line {
        out.push_str(&format!(" line {line}"));
    }
    if let Some(field) = field {
        out.push_str(&format!(" field `{field}`"));
    }
    out
}
