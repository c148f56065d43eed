//! `/media` against hostile files and clients: large files are streamed in bounded memory,
//! FIFOs, devices and links out of the directory are refused at once, and `Range` gives the
//! exact bytes.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;

/// Longer than any answer takes on a loaded machine; reaching it means a request hung.
const HANG: Duration = Duration::from_secs(10);

fn media_dir(dir: &std::path::Path) -> std::path::PathBuf {
    let media = dir.join("media");
    std::fs::create_dir_all(&media).unwrap();
    media
}

/// A PNG signature and then `len - PNG_1X1.len()` bytes of a pattern that shows an offset.
fn patterned(len: usize) -> Vec<u8> {
    let mut bytes = PNG_1X1.to_vec();
    bytes.extend((PNG_1X1.len()..len).map(|i| (i % 251) as u8));
    bytes
}

fn serve_media(dir: &std::path::Path, media: &std::path::Path, limits: &[Rlimit]) -> ServeProcess {
    let store = dir.join("s.db");
    ServeProcess::start(
        &[
            "--store",
            store.to_str().unwrap(),
            "--no-samples",
            "--media-dir",
            media.to_str().unwrap(),
        ],
        limits,
    )
    .unwrap_or_else(|log| panic!("the server did not start:\n{log}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_downloads_of_a_large_file_keep_memory_bounded() {
    const SIZE: u64 = 300 << 20;
    const CLIENTS: usize = 6;
    const ALLOWED: u64 = 64 << 20;
    let dir = tempdir();
    let media = media_dir(dir.path());
    // Sparse: 300 MB that cost no disk, and read as fast as memory.
    let big = std::fs::File::create(media.join("lon.png")).unwrap();
    std::io::Write::write_all(&mut &big, PNG_1X1).unwrap();
    big.set_len(SIZE).unwrap();
    std::fs::write(media.join("nho.png"), PNG_1X1).unwrap();
    let server = serve_media(dir.path(), &media, &[]);
    let client = client();
    let small = client
        .get(format!("{}/media/nho.png", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(small.bytes().await.unwrap().as_ref(), PNG_1X1);
    let idle = server.status_bytes("VmRSS");

    let downloads = (0..CLIENTS).map(|_| {
        let (client, url) = (client.clone(), format!("{}/media/lon.png", server.url));
        tokio::spawn(async move {
            let mut resp = client.get(url).send().await.unwrap();
            assert_eq!(resp.status(), 200);
            assert_eq!(resp.headers()["content-length"], SIZE.to_string().as_str());
            let mut got = 0u64;
            let mut head = Vec::new();
            while let Some(chunk) = resp.chunk().await.unwrap() {
                if head.len() < PNG_1X1.len() {
                    head.extend_from_slice(&chunk[..chunk.len().min(PNG_1X1.len())]);
                }
                got += chunk.len() as u64;
            }
            assert_eq!(&head[..PNG_1X1.len()], PNG_1X1);
            got
        })
    });
    for download in downloads.collect::<Vec<_>>() {
        assert_eq!(download.await.unwrap(), SIZE);
    }
    let peak = server.status_bytes("VmHWM");
    println!(
        "{CLIENTS} concurrent GETs of {} MB: server RSS idle {} MB, peak {} MB",
        SIZE >> 20,
        idle >> 20,
        peak >> 20
    );
    assert!(
        peak < idle + ALLOWED,
        "peak RSS {peak} is not within {ALLOWED} of idle {idle}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifos_devices_and_links_out_are_refused_at_once_and_healthz_stays_up() {
    let dir = tempdir();
    let media = media_dir(dir.path());
    let fifo = media.join("ong.png");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a plain syscall on a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0);
    std::os::unix::fs::symlink("/dev/zero", media.join("khong.png")).unwrap();
    std::os::unix::fs::symlink(&fifo, media.join("lien-ket-ong.png")).unwrap();
    let outside = dir.path().join("ngoai.png");
    std::fs::write(&outside, PNG_1X1).unwrap();
    std::os::unix::fs::symlink(&outside, media.join("ra-ngoai.png")).unwrap();
    std::fs::write(media.join("that.png"), PNG_1X1).unwrap();
    std::os::unix::fs::symlink(media.join("that.png"), media.join("ben-trong.png")).unwrap();
    // On a server that reads /dev/zero whole, the allocation fails here, not on the machine.
    let server = serve_media(dir.path(), &media, &[(libc::RLIMIT_AS, 4 << 30, 4 << 30)]);
    let client = client();
    let get = |path: &str| {
        let req = client.get(format!("{}{path}", server.url)).send();
        async move {
            tokio::time::timeout(HANG, req)
                .await
                .unwrap_or_else(|_| panic!("GET hung"))
                .unwrap()
        }
    };

    // More FIFO requests at once than there are slots for media file operations, and more
    // than a client needs to park every blocking thread if opening one waited for a writer;
    // but no more than may be open at once, past which /media answers 503 by design (on a
    // loaded machine the opens overlap that much).
    let (slots, open) = (vnfeed::media::BLOCKING_SLOTS, vnfeed::media::OPEN_FILES);
    assert!(open > slots, "the requests below must outnumber the slots");
    let mut refused = Vec::new();
    for i in 0..open {
        let path = match i % 4 {
            0 => "/media/ong.png",
            1 => "/media/khong.png",
            2 => "/media/lien-ket-ong.png",
            _ => "/media/ra-ngoai.png",
        };
        refused.push(tokio::spawn(get(path)));
    }
    let health = get("/healthz").await;
    assert_eq!(health.status(), 200);
    for r in refused {
        let r = r.await.unwrap();
        let (status, url) = (r.status(), r.url().path().to_string());
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{url}: {}\nserver log:\n{}",
            r.text().await.unwrap_or_default(),
            server.log()
        );
    }
    let inside = get("/media/ben-trong.png").await;
    assert_eq!(
        inside.status(),
        200,
        "a link inside the directory is served"
    );
    assert_eq!(inside.bytes().await.unwrap().as_ref(), PNG_1X1);
    assert_eq!(get("/healthz").await.status(), 200);
}

on_both_backends!(ranges_and_validators_give_the_exact_bytes);

async fn ranges_and_validators_give_the_exact_bytes(backend: Backend) {
    let media = media_dir(backend.path());
    // Over three read chunks, so ranges cross chunk boundaries.
    let file = patterned(400_000);
    let n = file.len();
    std::fs::write(media.join("anh.png"), &file).unwrap();
    let server = TestServer::start(
        &backend,
        &["--no-samples", "--media-dir", media.to_str().unwrap()],
    )
    .await;
    let url = "/media/anh.png";
    let whole = server.get(url).send().await.unwrap();
    assert_eq!(whole.status(), 200);
    let h = |r: &reqwest::Response, name: &str| r.headers()[name].to_str().unwrap().to_string();
    assert_eq!(h(&whole, "accept-ranges"), "bytes");
    assert_eq!(h(&whole, "content-type"), "image/png");
    assert_eq!(h(&whole, "content-length"), n.to_string());
    let etag = h(&whole, "etag");
    let last_modified = h(&whole, "last-modified");
    assert!(httpdate::parse_http_date(&last_modified).is_ok());
    assert_eq!(whole.bytes().await.unwrap().as_ref(), &file[..]);

    let ranged = |range: String, if_range: Option<String>| {
        let mut req = server.get(url).header("range", range);
        if let Some(v) = if_range {
            req = req.header("if-range", v);
        }
        req.send()
    };
    for (range, start, end) in [
        ("bytes=100-199".to_string(), 100, 200),
        ("bytes=0-0".to_string(), 0, 1),
        ("bytes=-50".to_string(), n - 50, n),
        ("bytes=1000-300000".to_string(), 1000, 300_001),
        (format!("bytes={}-", n - 10), n - 10, n),
        (format!("bytes={}-{}", n - 10, n + 500), n - 10, n),
    ] {
        let r = ranged(range.clone(), None).await.unwrap();
        assert_eq!(r.status(), 206, "{range}");
        assert_eq!(
            h(&r, "content-range"),
            format!("bytes {start}-{}/{n}", end - 1),
            "{range}"
        );
        assert_eq!(h(&r, "content-length"), (end - start).to_string());
        assert_eq!(h(&r, "etag"), etag);
        assert_eq!(
            r.bytes().await.unwrap().as_ref(),
            &file[start..end],
            "{range}"
        );
    }
    for range in [format!("bytes={n}-"), "bytes=-0".to_string()] {
        let r = ranged(range.clone(), None).await.unwrap();
        assert_eq!(r.status(), 416, "{range}");
        assert_eq!(h(&r, "content-range"), format!("bytes */{n}"));
    }
    // Several ranges, or an If-Range that no longer matches: the whole file.
    for (range, if_range) in [
        ("bytes=0-1,5-9", None),
        ("bytes=0-1", Some("\"an-old-one\"".to_string())),
        ("bytes=0-1", Some(format!("W/{etag}"))),
    ] {
        let r = ranged(range.to_string(), if_range).await.unwrap();
        assert_eq!(r.status(), 200, "{range}");
        assert_eq!(r.bytes().await.unwrap().len(), n);
    }
    for if_range in [etag.clone(), last_modified.clone()] {
        let r = ranged("bytes=10-19".into(), Some(if_range)).await.unwrap();
        assert_eq!(r.status(), 206);
        assert_eq!(r.bytes().await.unwrap().as_ref(), &file[10..20]);
    }

    // Conditional GET, and HEAD with every header and no body.
    let r = server
        .get(url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = server
        .get(url)
        .header("if-modified-since", &last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = client()
        .head(format!("{}{url}", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(h(&r, "content-length"), n.to_string());
    assert_eq!(h(&r, "etag"), etag);
    assert!(r.bytes().await.unwrap().is_empty());

    // The same file keeps its ETag; a new version gets a new one, with no restart.
    let again = server.get(url).send().await.unwrap();
    assert_eq!(h(&again, "etag"), etag);
    std::fs::write(media.join("anh.png"), patterned(1000)).unwrap();
    let changed = server.get(url).send().await.unwrap();
    assert_ne!(h(&changed, "etag"), etag);
    assert_eq!(
        changed.bytes().await.unwrap().as_ref(),
        &patterned(1000)[..]
    );
    server.stop().await;
}
