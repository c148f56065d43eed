//! Any bytes as a JSON import file or API body: decoding never panics, errors are typed,
//! and the articles that decode render to well-formed RSS and Atom.
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use vnfeed::import::json::parse_object;
use vnfeed::import::{Source, parse_source};

fuzz_target!(|bytes: &[u8]| {
    // The API's path: one object, from text that is UTF-8 (the API refuses anything else).
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = parse_object(text);
    }
    let source = Source {
        path: PathBuf::from("fuzz.json"),
        bytes: bytes.to_vec(),
    };
    if let Ok((drafts, _)) = parse_source(&source, vnfeed_fuzz::feeds()) {
        vnfeed_fuzz::assert_renders(drafts);
    }
});
