//! The media directory (`--media-dir`): article images kept on this server's disk, named in
//! articles by a path under `/media/` and served there. Owns resolving such a path to a file
//! (never outside the directory), and measuring an image's real type (from its first bytes,
//! not its name) and length, once per file and process, for feeds whose article metadata
//! does not say them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::model::Article;

/// Where the directory's files live in URLs and in article image fields.
pub const URL_PREFIX: &str = "/media/";

#[derive(Debug, thiserror::Error)]
#[error("media directory {}: {source}", path.display())]
pub struct MediaError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// What measuring a file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measured {
    pub mime_type: String,
    pub length: u64,
}

pub struct MediaDir {
    root: PathBuf,
    /// Per `/media/...` path: what it measured, or `None` if it is missing or not an image.
    measured: Mutex<HashMap<String, Option<Measured>>>,
}

impl MediaDir {
    pub fn open(root: &Path) -> Result<MediaDir, MediaError> {
        let err = |source| MediaError {
            path: root.to_path_buf(),
            source,
        };
        let root = root.canonicalize().map_err(err)?;
        if !root.is_dir() {
            return Err(err(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                "not a directory",
            )));
        }
        Ok(MediaDir {
            root,
            measured: Mutex::new(HashMap::new()),
        })
    }

    /// The file a `/media/...` path names. Only plain names are allowed in each segment
    /// (letters, digits, `-`, `_`, `.`, not starting with a dot), so no path can leave the
    /// directory or reach a hidden file.
    pub fn resolve(&self, url_path: &str) -> Option<PathBuf> {
        let rest = url_path.strip_prefix(URL_PREFIX)?;
        let mut path = self.root.clone();
        for segment in rest.split('/') {
            let plain = !segment.is_empty()
                && !segment.starts_with('.')
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            if !plain {
                return None;
            }
            path.push(segment);
        }
        Some(path)
    }

    /// Sets the type and length of images under `/media/` that the articles leave out.
    pub async fn complete(&self, articles: &mut [Article]) {
        for article in articles.iter_mut() {
            let Some(image) = article.image.as_mut() else {
                continue;
            };
            if (image.mime_type.is_some() && image.length.is_some())
                || !image.url.starts_with(URL_PREFIX)
            {
                continue;
            }
            if let Some(found) = self.measure(&image.url).await {
                image.mime_type.get_or_insert(found.mime_type);
                image.length.get_or_insert(found.length);
            }
        }
    }

    /// What the file behind `url_path` is; measured on first use, remembered after.
    pub async fn measure(&self, url_path: &str) -> Option<Measured> {
        if let Some(known) = self.lock().get(url_path) {
            return known.clone();
        }
        let found = match self.resolve(url_path) {
            Some(path) => tokio::task::spawn_blocking(move || measure_file(&path))
                .await
                .ok()
                .flatten(),
            None => None,
        };
        if found.is_none() {
            tracing::warn!(
                image = url_path,
                "image under the media directory is missing or not an image"
            );
        }
        self.lock().insert(url_path.to_string(), found.clone());
        found
    }

    /// The bytes and type of an image to serve; `None` if it is not a readable image.
    pub async fn read(&self, url_path: &str) -> Option<(Vec<u8>, &'static str)> {
        let path = self.resolve(url_path)?;
        let bytes = tokio::fs::read(&path).await.ok()?;
        let mime = image_type(&bytes)?;
        Some((bytes, mime))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Option<Measured>>> {
        self.measured.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The image type the bytes say, whatever the file is called.
fn image_type(head: &[u8]) -> Option<&'static str> {
    infer::get(head)
        .filter(|t| t.matcher_type() == infer::MatcherType::Image)
        .map(|t| t.mime_type())
}

fn measure_file(path: &Path) -> Option<Measured> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let length = file.metadata().ok().filter(|m| m.is_file())?.len();
    // Every image signature `infer` knows fits in the first few hundred bytes.
    let mut head = Vec::with_capacity(512);
    file.take(512).read_to_end(&mut head).ok()?;
    Some(Measured {
        mime_type: image_type(&head)?.to_string(),
        length,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_under_the_directory_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let media = MediaDir::open(dir.path()).unwrap();
        assert!(media.resolve("/media/2024/anh-1.png").is_some());
        for bad in [
            "/media/../etc/passwd",
            "/media/a/../../b.png",
            "/media/.hidden.png",
            "/media//a.png",
            "/media/a%2e.png",
            "/other/a.png",
            "/media/",
        ] {
            assert_eq!(media.resolve(bad), None, "{bad}");
        }
    }
}
