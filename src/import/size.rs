//! How large an import's inputs may be: one article's stored text (`--max-article-bytes`,
//! for the import and the publishing API alike) and one file read by `vnfeed import`
//! (`--max-file-bytes`). A file is measured before it is read, and read no further than
//! its cap, so `/dev/zero` or a file that grows while it is read cannot fill memory.

use std::io::Read;
use std::path::Path;

use crate::model::{Block, Draft};

/// The default cap on one article's stored text: far above any real news story (a long
/// investigation is ~100 KB), far below what would make every feed holding it heavy.
pub const DEFAULT_MAX_ARTICLE_BYTES: usize = 1 << 20;

/// The default cap on one file read by `vnfeed import`: room for a CMS export of a few
/// thousand articles in one JSON array.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 << 20;

/// The caps an import applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    pub max_article_bytes: usize,
    pub max_file_bytes: u64,
}

impl Default for Caps {
    fn default() -> Self {
        Caps {
            max_article_bytes: DEFAULT_MAX_ARTICLE_BYTES,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

/// An article whose text is over the cap, and its largest field (as the JSON input names it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the article's text is {total} bytes, over the limit of {max} (--max-article-bytes); \
     field `{field}` alone is {field_bytes} bytes"
)]
pub struct ArticleTooLarge {
    pub field: &'static str,
    pub field_bytes: usize,
    pub total: usize,
    pub max: usize,
}

/// Refuses a draft whose stored text (title, summary, author, body, links) is over `max`
/// bytes, naming the field that weighs most.
pub fn check_article(draft: &Draft, max: usize) -> Result<(), ArticleTooLarge> {
    let body_field = match draft.body.as_slice() {
        [Block::Html { .. }] => "content_html",
        _ => "body",
    };
    let body: usize = draft.body.iter().map(block_bytes).sum();
    let fields = [
        ("title", draft.title.len()),
        ("summary", draft.summary.len()),
        ("author", draft.author.as_ref().map_or(0, String::len)),
        ("url", draft.url.as_ref().map_or(0, String::len)),
        ("image", draft.image.as_ref().map_or(0, |i| i.url.len())),
        (body_field, body),
    ];
    let total: usize = fields.iter().map(|(_, n)| n).sum();
    if total <= max {
        return Ok(());
    }
    let (field, field_bytes) = fields
        .into_iter()
        .max_by_key(|&(_, n)| n)
        .expect("the list is not empty");
    Err(ArticleTooLarge {
        field,
        field_bytes,
        total,
        max,
    })
}

fn block_bytes(block: &Block) -> usize {
    match block {
        Block::Paragraph { text } => text.len(),
        Block::Figure { caption, src } => caption.len() + src.as_ref().map_or(0, String::len),
        Block::Html { html } => html.len(),
    }
}

/// Why a file could not be read whole.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("larger than the limit of {max} bytes (--max-file-bytes){}", size.map(|s| format!(": {s} bytes")).unwrap_or_default())]
    TooLarge { size: Option<u64>, max: u64 },
}

/// Reads `path` whole, refusing it before reading when its size is known to be over `max`,
/// and reading at most `max + 1` bytes when it is not (a pipe, a device, a growing file).
///
/// Opening never waits: a FIFO that nobody writes to would block a plain `open` for ever
/// (and with it `vnfeed import`, or `serve` reading its definitions), so it is opened with
/// `O_NONBLOCK`, which is then cleared so a pipe with a writer is read to its end as before.
/// One without a writer reads as empty at once.
pub fn read_capped(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    // SAFETY: fcntl on a descriptor this function owns; no memory is passed.
    let blocking = unsafe {
        let flags = libc::fcntl(file.as_raw_fd(), libc::F_GETFL);
        flags >= 0 && libc::fcntl(file.as_raw_fd(), libc::F_SETFL, flags & !libc::O_NONBLOCK) == 0
    };
    if !blocking {
        return Err(ReadError::Io(std::io::Error::last_os_error()));
    }
    let meta = file.metadata()?;
    if meta.is_file() && meta.len() > max {
        return Err(ReadError::TooLarge {
            size: Some(meta.len()),
            max,
        });
    }
    let expected = if meta.is_file() { meta.len() } else { 0 };
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge { size: None, max });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(title: &str, body: &str) -> Draft {
        Draft {
            id: "a".into(),
            title: title.into(),
            summary: String::new(),
            body: vec![Block::Paragraph { text: body.into() }],
            author: None,
            published: chrono::DateTime::UNIX_EPOCH,
            updated: None,
            categories: Vec::new(),
            categorized: crate::model::Categorized::ByRules,
            url: None,
            image: None,
            tags: Vec::new(),
        }
    }

    #[test]
    fn the_heaviest_field_is_named() {
        assert_eq!(check_article(&draft("tiêu đề", "nội dung"), 100), Ok(()));
        let err = check_article(&draft("ngắn", &"â".repeat(60)), 100).unwrap_err();
        assert_eq!(
            err,
            ArticleTooLarge {
                field: "body",
                field_bytes: 120,
                total: 126,
                max: 100
            }
        );
        let mut html = draft("t", "");
        html.body = vec![Block::Html {
            html: "<p>".repeat(50),
        }];
        assert_eq!(check_article(&html, 100).unwrap_err().field, "content_html");
    }

    #[test]
    fn a_file_is_read_no_further_than_its_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        std::fs::write(&path, [b'x'; 11]).unwrap();
        assert_eq!(read_capped(&path, 11).unwrap().len(), 11);
        assert!(matches!(
            read_capped(&path, 10),
            Err(ReadError::TooLarge {
                size: Some(11),
                max: 10
            })
        ));
        // A device has no size to check first: it is cut off at the cap.
        assert!(matches!(
            read_capped(Path::new("/dev/zero"), 4096),
            Err(ReadError::TooLarge {
                size: None,
                max: 4096
            })
        ));
    }

    #[test]
    fn a_fifo_is_opened_without_waiting_and_a_pipe_with_a_writer_is_read_whole() {
        use std::os::unix::fs::OpenOptionsExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("ong.txt");
        let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a plain syscall on a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0);
        // Nobody writes to it: a plain open would block for ever. Run where a hang is seen.
        let (tx, rx) = std::sync::mpsc::channel();
        let path = fifo.clone();
        std::thread::spawn(move || tx.send(read_capped(&path, 4096).map_err(|e| e.to_string())));
        let read = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("reading a FIFO with no writer returned");
        assert_eq!(read, Ok(Vec::new()));
        // With a writer that takes its time, the reader waits for the data and its end. A
        // reader is kept open meanwhile so the writer's open need not wait for ours.
        let _keeper = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&fifo)
            .unwrap();
        let (opened, is_open) = std::sync::mpsc::channel();
        let path = fifo.clone();
        let writer = std::thread::spawn(move || {
            let mut w = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            opened.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(100));
            std::io::Write::write_all(&mut w, "Tiêu đề".as_bytes()).unwrap();
        });
        is_open.recv().unwrap();
        assert_eq!(read_capped(&fifo, 4096).unwrap(), "Tiêu đề".as_bytes());
        writer.join().unwrap();
    }
}
