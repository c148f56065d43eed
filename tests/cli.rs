//! The `vnfeed` binary as a user runs it: exit codes, messages, and time-zone independence.

mod common;

use common::*;

#[test]
fn import_reports_each_bad_file_and_exits_non_zero() {
    let dir = tempdir();
    let store = dir.path().join("s.db");
    let store = store.to_str().unwrap();
    let args = [
        "import",
        "--store",
        store,
        "samples",
        "tests/fixtures/impossible-date.txt",
        "tests/fixtures/windows-1258.txt",
    ];
    let out = vnfeed(&args);
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("error: tests/fixtures/impossible-date.txt: line 3:"),
        "{err}"
    );
    assert!(
        err.contains(
            "note: tests/fixtures/windows-1258.txt: not valid UTF-8, decoded as Windows-1258"
        ),
        "{err}"
    );
    assert!(
        err.contains("imported 18, updated 0, unchanged 0, failed 1"),
        "{err}"
    );

    let again = vnfeed(&args[..4]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("imported 0, updated 0, unchanged 17, failed 0"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn timestamps_do_not_depend_on_the_process_time_zone() {
    let dir = tempdir();
    let store = dir.path().join("s.db");
    let store = store.to_str().unwrap();
    let out = vnfeed_with(
        &["import", "--store", store, "samples"],
        &[("TZ", "Pacific/Kiritimati")],
        b"",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let mut renders = Vec::new();
    for tz in ["America/New_York", "UTC", "Asia/Tokyo"] {
        for format in ["rss", "atom"] {
            let out = vnfeed_with(
                &[
                    "render", "--store", store, "--feed", "security", "--format", format,
                ],
                &[("TZ", tz)],
                b"",
            );
            assert!(out.status.success(), "{}", stderr(&out));
            renders.push((format, out.stdout));
        }
    }
    for (format, bytes) in &renders {
        let same = &renders.iter().find(|(f, _)| f == format).unwrap().1;
        assert_eq!(bytes, same, "{format}: identical under every TZ");
    }
    let rss = String::from_utf8(renders[0].1.clone()).unwrap();
    // 2024-04-22-cong-an-cao-diem-tran-ap-toi-pham.txt: `07:15 22/04/2024`.
    assert!(
        rss.contains("<pubDate>Mon, 22 Apr 2024 07:15:00 +0700</pubDate>"),
        "{rss}"
    );
    let atom = String::from_utf8(renders[1].1.clone()).unwrap();
    assert!(
        atom.contains("<published>2024-04-22T07:15:00+07:00</published>"),
        "{atom}"
    );
    // `6:05 5/1/2025`: 5 January, day first.
    assert!(
        rss.contains("<pubDate>Sun, 05 Jan 2025 06:05:00 +0700</pubDate>"),
        "{rss}"
    );
}

#[test]
fn a_bad_feed_definition_stops_start_up_naming_file_and_field() {
    let dir = tempdir();
    let feeds = dir.path().join("feeds");
    std::fs::create_dir(&feeds).unwrap();
    for name in ["security.toml", "borders.toml"] {
        std::fs::copy(repo().join("feeds").join(name), feeds.join(name)).unwrap();
    }
    let broken = std::fs::read_to_string(repo().join("feeds/party-affairs.toml"))
        .unwrap()
        .replace("title = \"Xây dựng Đảng\"", "title = \"\"");
    std::fs::write(feeds.join("party-affairs.toml"), broken).unwrap();
    let store = dir.path().join("s.db");
    let out = vnfeed_with(
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--store",
            store.to_str().unwrap(),
            "--feeds",
            feeds.to_str().unwrap(),
        ],
        &[],
        b"",
    );
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("party-affairs.toml field `title`: must not be empty"),
        "{err}"
    );
    assert!(!store.exists(), "nothing touched the store");

    std::fs::write(
        feeds.join("party-affairs.toml"),
        "slug = \"party-affairs\"\ntitle = 3\n",
    )
    .unwrap();
    let out = vnfeed_with(
        &[
            "import",
            "--store",
            store.to_str().unwrap(),
            "--feeds",
            feeds.to_str().unwrap(),
            "samples",
        ],
        &[],
        b"",
    );
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(err.contains("party-affairs.toml line 2"), "{err}");
}

#[test]
fn a_new_feed_file_adds_a_feed_without_code() {
    let dir = tempdir();
    let feeds = dir.path().join("feeds");
    std::fs::create_dir(&feeds).unwrap();
    for name in ["security.toml", "borders.toml", "party-affairs.toml"] {
        std::fs::copy(repo().join("feeds").join(name), feeds.join(name)).unwrap();
    }
    std::fs::write(
        feeds.join("fire-safety.toml"),
        "slug = \"fire-safety\"\ntitle = \"Phòng cháy\"\ntitle_en = \"Fire safety\"\n\
         description = \"Phòng cháy chữa cháy.\"\naliases = [\"phong-chay\"]\nkeywords = [\"phòng cháy chữa cháy\"]\n",
    )
    .unwrap();
    let store = dir.path().join("s.db");
    let (store, feeds) = (store.to_str().unwrap(), feeds.to_str().unwrap());
    let out = vnfeed_with(
        &["import", "--store", store, "--feeds", feeds, "samples"],
        &[],
        b"",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = vnfeed_with(
        &[
            "render",
            "--store",
            store,
            "--feeds",
            feeds,
            "--feed",
            "phong-chay",
            "--format",
            "rss",
        ],
        &[],
        b"",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let channel = rss::Channel::read_from(&out.stdout[..]).unwrap();
    assert!(channel.title().starts_with("Phòng cháy"));
    assert!(
        !channel.items().is_empty(),
        "the fire-safety sample lands in the new feed"
    );
}
