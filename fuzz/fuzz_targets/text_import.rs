//! Any bytes as a text-layout file: decoding (UTF-8, BOM, Windows-1258) and parsing never
//! panic, and an article that parses renders to well-formed RSS and Atom.
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use vnfeed::import::{Source, parse_source};

fuzz_target!(|bytes: &[u8]| {
    let source = Source {
        path: PathBuf::from("fuzz.txt"),
        bytes: bytes.to_vec(),
    };
    if let Ok((drafts, _)) = parse_source(&source, vnfeed_fuzz::feeds()) {
        vnfeed_fuzz::assert_renders(drafts);
    }
});
