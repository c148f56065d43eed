//! What feed definitions share with the site file, below both (`feeds` reads the category
//! files, `identity` the site file): the error that names a definition file, its line and
//! field, and the shipped `feeds/` directory embedded in the binary.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use crate::import::size::{ReadError, read_capped};

/// Most bytes one definition file may have. The shipped ones are a few KiB; the cap keeps a
/// file left in the directory by mistake (a dump, a symlink to a device) from being read
/// into memory whole at start-up.
pub const MAX_DEFINITION_BYTES: u64 = 1 << 20;

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

/// The feed definitions shipped in `feeds/`, as built into the binary.
static EMBEDDED: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/feeds");

/// The embedded definitions as (path, text) pairs, sorted, `site.toml` included: the files
/// `FeedSet::embedded` and `SiteFile::embedded` read.
pub fn embedded_files() -> Vec<(PathBuf, &'static str)> {
    let mut files: Vec<(PathBuf, &'static str)> = EMBEDDED
        .files()
        .filter(|f| f.path().extension().is_some_and(|e| e == "toml"))
        .map(|f| {
            let text = f
                .contents_utf8()
                .expect("the shipped definitions are UTF-8");
            (Path::new("feeds").join(f.path()), text)
        })
        .collect();
    files.sort();
    files
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

/// Reads a definition file: a regular file (a symlink to one is followed) of at most
/// [`MAX_DEFINITION_BYTES`] of UTF-8. Anything else (a FIFO, which would block the start for
/// ever, a device, a directory) is refused before it is opened. `Ok(None)`: no such file.
pub fn read_definition(path: &Path) -> Result<Option<String>, FeedDefError> {
    let refused = |message: String| FeedDefError {
        file: path.to_path_buf(),
        line: None,
        field: None,
        message,
    };
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => return Err(refused("not a regular file".into())),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(refused(format!("cannot read: {e}"))),
    }
    let bytes = read_capped(path, MAX_DEFINITION_BYTES).map_err(|e| match e {
        ReadError::Io(e) => refused(format!("cannot read: {e}")),
        ReadError::TooLarge { .. } => refused(format!("larger than {MAX_DEFINITION_BYTES} bytes")),
    })?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|e| refused(format!("not UTF-8: {e}")))
}
