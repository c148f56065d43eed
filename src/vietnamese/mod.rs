//! Vietnamese-language handling for vnfeed: text cleaning for feed output,
//! legacy encoding detection, URL slugs, diacritic-aware keyword matching and
//! Vietnamese datelines. Nothing here depends on the rest of the crate.

pub mod dateline;
pub mod encoding;
pub mod keywords;
pub mod slug;
pub mod text;
