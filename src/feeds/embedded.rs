//! The feed definitions shipped in `feeds/` (the site file among them), built into the
//! binary so `vnfeed serve` runs from any directory. Read by `feeds` for the feeds and by
//! `identity` for `site.toml`, and `feeds` uses `identity`, so they live in this leaf;
//! `crate::feeds::embedded_files` re-exports them.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

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
