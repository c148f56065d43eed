//! The media directory (`--media-dir`): article images kept on this server's disk, named in
//! articles by a path under `/media/` and served there. Owns resolving such a path to a
//! regular file inside the directory, measuring an image's real type (from its first bytes,
//! not its name) and length, and reading a file in chunks for the response body.
//!
//! Every file operation is bounded: it runs on tokio's blocking pool holding one of
//! [`BLOCKING_SLOTS`], and is given up after [`FILE_OP_TIMEOUT`]. A FIFO, a device or a hung
//! network mount can then park at most that many threads, and only /media answers 503: the
//! store, which shares the pool, keeps the rest. Opening never waits (`O_NONBLOCK`), and
//! anything but a regular file inside the directory is refused once open (fstat).

use std::collections::HashMap;
use std::fs::File;
use std::future::Future;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::model::Article;

/// Where the directory's files live in URLs and in article image fields.
pub const URL_PREFIX: &str = "/media/";

/// Blocking-pool threads that media file operations may hold at once.
pub const BLOCKING_SLOTS: usize = 16;

/// Media files open at once (each response holds its file until sent); past it /media
/// answers 503. Part of the descriptor reserve ([`crate::descriptors::RESERVED`]).
pub const OPEN_FILES: usize = 32;

/// The longest one open, stat or read may take (or wait for a slot) before it is given up.
pub const FILE_OP_TIMEOUT: Duration = Duration::from_secs(5);

/// Bytes read from a file per step of a response body: what one response holds in memory.
pub const CHUNK_BYTES: u64 = 128 << 10;

/// Bytes read to tell an image's type: every signature `infer` knows fits in them.
const SNIFF_BYTES: u64 = 512;

/// Files whose type and ETag are remembered; past it the memory is forgotten and rebuilt.
const KNOWN_FILES: usize = 4096;

#[derive(Debug, thiserror::Error)]
#[error("media directory {}: {source}", path.display())]
pub struct MediaError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Why a file is not served.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// Missing, outside the directory, not a regular file, or not an image.
    #[error("no such image")]
    Missing,
    /// No slot freed up, or the file system did not answer, in [`FILE_OP_TIMEOUT`].
    #[error("the media directory did not answer in time")]
    TimedOut,
    /// [`OPEN_FILES`] files are being sent already.
    #[error("too many media files are open")]
    Busy,
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
}

/// What measuring a file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measured {
    pub mime_type: String,
    pub length: u64,
}

/// One version of one file: a new inode, size or mtime is a new key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Version {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
}

/// An open file and its place among [`OPEN_FILES`], given back when it closes.
struct OpenFile {
    file: File,
    _slot: OwnedSemaphorePermit,
}

/// An image ready to serve: open, with its validators.
pub struct Image {
    file: Arc<OpenFile>,
    pub mime_type: &'static str,
    pub length: u64,
    /// Strong, from the size and mtime (as nginx does), so replicas that copy the directory
    /// with its times agree, and no request hashes the file.
    pub etag: Arc<str>,
    pub modified: SystemTime,
    blocking: Blocking,
}

impl Image {
    /// The bytes `start..end` (end exclusive) as a body read a chunk at a time.
    pub fn body(&self, start: u64, end: u64) -> FileBody {
        FileBody {
            file: Arc::clone(&self.file),
            next: start,
            end: end.min(self.length),
            blocking: self.blocking.clone(),
            reading: None,
        }
    }
}

pub struct MediaDir {
    root: PathBuf,
    blocking: Blocking,
    open_files: Arc<Semaphore>,
    /// Per `/media/...` path: what it measured, or `None` if it is missing or not an image.
    measured: Mutex<HashMap<String, Option<Measured>>>,
    /// Per file version: its image type and ETag, so serving it again reads nothing first.
    known: Mutex<HashMap<Version, (&'static str, Arc<str>)>>,
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
            blocking: Blocking::new(BLOCKING_SLOTS),
            open_files: Arc::new(Semaphore::new(OPEN_FILES)),
            measured: Mutex::new(HashMap::new()),
            known: Mutex::new(HashMap::new()),
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
        if let Some(known) = lock(&self.measured).get(url_path) {
            return known.clone();
        }
        let found = match self.image(url_path).await {
            Ok(image) => Some(Measured {
                mime_type: image.mime_type.to_string(),
                length: image.length,
            }),
            Err(e) => {
                tracing::warn!(image = url_path, error = %e, "image under the media directory is not served");
                // A file system that did not answer may answer later: try again next render.
                if !matches!(e, Refused::Missing) {
                    return None;
                }
                None
            }
        };
        lock(&self.measured).insert(url_path.to_string(), found.clone());
        found
    }

    /// The image `url_path` names, open and ready to serve.
    pub async fn image(&self, url_path: &str) -> Result<Image, Refused> {
        let path = self.resolve(url_path).ok_or(Refused::Missing)?;
        let root = self.root.clone();
        let slot = Arc::clone(&self.open_files)
            .try_acquire_owned()
            .map_err(|_| Refused::Busy)?;
        // The slot goes with the file into the blocking thread: if the open is given up,
        // a file opened late is closed with its slot still held.
        let (file, meta) = self
            .blocking
            .run(move || {
                let (file, meta) = open_regular(&root, &path)?;
                Ok((OpenFile { file, _slot: slot }, meta))
            })
            .await?;
        let file = Arc::new(file);
        let version = Version {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.len(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
        };
        let known = lock(&self.known).get(&version).cloned();
        let (mime_type, etag) = match known {
            Some(known) => known,
            None => {
                let sniffed = Arc::clone(&file);
                let head = self
                    .blocking
                    .run(move || read_at(&sniffed.file, 0, SNIFF_BYTES.min(version.size)))
                    .await?;
                let mime_type = image_type(&head).ok_or(Refused::Missing)?;
                let etag: Arc<str> =
                    format!("\"{:x}-{:x}\"", version.mtime_ns, version.size).into();
                let mut known = lock(&self.known);
                if known.len() >= KNOWN_FILES {
                    known.clear();
                }
                known.insert(version, (mime_type, Arc::clone(&etag)));
                (mime_type, etag)
            }
        };
        Ok(Image {
            file,
            mime_type,
            length: version.size,
            etag,
            modified: meta.modified()?,
            blocking: self.blocking.clone(),
        })
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Opens `path` if, symlinks followed, it is a regular file inside `root`. A symlink out of
/// the directory (to `/dev/zero`, `/etc/...`) is refused before it is opened; a FIFO or a
/// device inside it is opened without waiting (`O_NONBLOCK`) and refused by fstat.
fn open_regular(root: &Path, path: &Path) -> Result<(File, std::fs::Metadata), Refused> {
    let real = path.canonicalize().map_err(missing_or_io)?;
    if !real.starts_with(root) {
        return Err(Refused::Missing);
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_NOFOLLOW)
        .open(&real)
        .map_err(missing_or_io)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(Refused::Missing);
    }
    Ok((file, meta))
}

fn missing_or_io(e: std::io::Error) -> Refused {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound | NotADirectory | IsADirectory => Refused::Missing,
        // ELOOP: the path was swapped for a symlink after it was resolved.
        _ if e.raw_os_error() == Some(libc::ELOOP) => Refused::Missing,
        _ => Refused::Io(e),
    }
}

/// Up to `len` bytes from `offset`; fewer only at the end of the file.
fn read_at(file: &File, offset: u64, len: u64) -> Result<Bytes, Refused> {
    let mut buf = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX)];
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    buf.truncate(filled);
    Ok(Bytes::from(buf))
}

/// The image type the bytes say, whatever the file is called.
fn image_type(head: &[u8]) -> Option<&'static str> {
    infer::get(head)
        .filter(|t| t.matcher_type() == infer::MatcherType::Image)
        .map(|t| t.mime_type())
}

/// File operations on the blocking pool, at most a fixed number at once, each given up
/// after [`FILE_OP_TIMEOUT`]. A given-up operation keeps its slot until its thread returns,
/// so a file system that hangs uses up the slots, never the pool.
#[derive(Clone)]
struct Blocking {
    slots: Arc<Semaphore>,
}

impl Blocking {
    fn new(slots: usize) -> Blocking {
        Blocking {
            slots: Arc::new(Semaphore::new(slots)),
        }
    }

    async fn run<T, F>(&self, op: F) -> Result<T, Refused>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, Refused> + Send + 'static,
    {
        let slot = tokio::time::timeout(FILE_OP_TIMEOUT, Arc::clone(&self.slots).acquire_owned())
            .await
            .map_err(|_| Refused::TimedOut)?
            .expect("the semaphore is never closed");
        let task = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            op()
        });
        match tokio::time::timeout(FILE_OP_TIMEOUT, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(joined)) => Err(Refused::Io(std::io::Error::other(joined))),
            Err(_) => Err(Refused::TimedOut),
        }
    }
}

type Reading = Pin<Box<dyn Future<Output = Result<Bytes, Refused>> + Send>>;

/// A response body read from a file [`CHUNK_BYTES`] at a time, each read only when hyper
/// asks for more, so a response holds one chunk however large the file or slow the client.
pub struct FileBody {
    file: Arc<OpenFile>,
    next: u64,
    end: u64,
    blocking: Blocking,
    reading: Option<Reading>,
}

impl Body for FileBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if self.next >= self.end {
            return Poll::Ready(None);
        }
        let this = &mut *self;
        let reading = this.reading.get_or_insert_with(|| {
            let (file, at, len) = (
                Arc::clone(&this.file),
                this.next,
                (this.end - this.next).min(CHUNK_BYTES),
            );
            let blocking = this.blocking.clone();
            Box::pin(async move { blocking.run(move || read_at(&file.file, at, len)).await })
        });
        let read = std::task::ready!(reading.as_mut().poll(cx));
        this.reading = None;
        let chunk = match read {
            Ok(chunk) if !chunk.is_empty() => chunk,
            // The file shrank under us: the length sent can no longer be met.
            Ok(_) => {
                this.end = this.next;
                return Poll::Ready(Some(Err(std::io::ErrorKind::UnexpectedEof.into())));
            }
            Err(e) => {
                this.end = this.next;
                return Poll::Ready(Some(Err(std::io::Error::other(e))));
            }
        };
        this.next += chunk.len() as u64;
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.next >= self.end
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.end.saturating_sub(self.next))
    }
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
