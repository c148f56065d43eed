//! Inputs the fuzzers (scripts/fuzz.sh) turned up, replayed on every `cargo test` through
//! the same checks as the fuzz targets: decoding never panics, and whatever decodes renders
//! to documents that each format's own parser accepts (XML for RSS and Atom, JSON for JSON
//! Feed). File names say what each case pins.

mod common;

use std::path::Path;

use common::*;
use vnfeed::import::{Source, parse_source};
use vnfeed::model::Format;
use vnfeed::render::{self, Site};
use vnfeed::vietnamese::dateline;

fn cases(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = repo().join("tests/fuzz-regressions").join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut cases: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    cases.sort();
    cases
}

fn decode_and_render(name: &str, bytes: Vec<u8>, extension: &str) {
    let feeds = feeds();
    let source = Source {
        path: Path::new("case").with_extension(extension),
        bytes,
    };
    let Ok((drafts, _)) = parse_source(&source, &feeds) else {
        return;
    };
    let content = FeedContent {
        articles: drafts
            .into_iter()
            .enumerate()
            .map(|(n, d)| d.into_article(format!("bai-{n}")))
            .collect(),
        tombstones: Vec::new(),
    };
    let site = Site::new("https://tin.example", "Báo Thử");
    let view = content.view(&site, feeds.all(), &feeds);
    for format in Format::ALL {
        let bytes = render::feed(&view, format);
        match format {
            Format::Json => {
                serde_json::from_slice::<serde_json::Value>(&bytes)
                    .unwrap_or_else(|e| panic!("{name}: JSON Feed: {e}"));
            }
            Format::Rss | Format::Atom => assert_well_formed(&bytes),
        }
    }
}

#[test]
fn every_kept_case_replays() {
    let mut replayed = 0;
    for (name, bytes) in cases("json_article") {
        decode_and_render(&name, bytes, "json");
        replayed += 1;
    }
    for (name, bytes) in cases("text_import") {
        decode_and_render(&name, bytes, "txt");
        replayed += 1;
    }
    for (name, bytes) in cases("dateline") {
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(t) = dateline::parse(&text) {
            let back = dateline::rfc3339(t);
            assert_eq!(dateline::parse(&back).ok(), Some(t), "{name}: {back}");
        }
        replayed += 1;
    }
    assert!(replayed > 0, "the kept cases are in the repository");
}
