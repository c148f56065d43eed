//! Any string as a dateline: parsing never panics, and an accepted instant survives the
//! round trip through the feeds' own formats.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vnfeed::vietnamese::dateline;

fuzz_target!(|text: &str| {
    let shaped = dateline::looks_like_dateline(text);
    if let Ok(t) = dateline::parse(text) {
        assert!(shaped, "parsed but does not look like a dateline: {text:?}");
        let rfc3339 = dateline::rfc3339(t);
        assert_eq!(dateline::parse(&rfc3339).ok(), Some(t), "{text:?} -> {rfc3339}");
        let _ = dateline::rfc822(t);
        let _ = dateline::human_vi(t);
    }
});
