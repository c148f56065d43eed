//! vnfeed-vietnamese: Vietnamese-language handling for feeds: text cleaning for feed output,
//! legacy encoding detection, URL slugs, diacritic-aware keyword matching and Vietnamese
//! datelines. A leaf: it depends on no other vnfeed crate, so anyone can reuse it.

pub mod dateline;
pub mod encoding;
pub mod keywords;
pub mod slug;
pub mod text;
