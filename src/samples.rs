//! The sample articles shipped in `samples/`, embedded in the binary so a first start on an
//! empty store shows full feeds wherever the binary runs.

use std::path::PathBuf;

use include_dir::{Dir, include_dir};

use crate::import::Source;

static SAMPLES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/samples");

/// Every sample article file (`.txt` and `.json`), sorted by name.
pub fn sources() -> Vec<Source> {
    let mut out: Vec<Source> = SAMPLES
        .files()
        .filter(|f| {
            f.path()
                .extension()
                .is_some_and(|e| e == "txt" || e == "json")
        })
        .map(|f| Source {
            path: PathBuf::from("samples").join(f.path()),
            bytes: f.contents().to_vec(),
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}
