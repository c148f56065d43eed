//! vnfeed: per-category RSS 2.0, Atom 1.0 and JSON Feed 1.1 feeds for Vietnamese newsrooms.
//!
//! Data flows one way: `import` (text layout, JSON) -> `store` (SQLite or PostgreSQL, the
//! `vnfeed-store` crate) -> `documents` (which articles and history links make up each feed
//! document; `media` measures local images) -> `render` (RSS, Atom, JSON Feed, OPML, HTML
//! pages) -> `cache` (finished bytes and validators) -> `http` (routes, conditional GET).
//! `websub` tells a hub which feeds a change touched; `schedule` wakes the cache when an
//! article dated in the future comes due. The `vnfeed-vietnamese` crate owns
//! datelines, NFC, Windows-1258, slugs and keyword matching; `feeds` owns the feed
//! definitions and `classify` the scoring that sorts articles into them; `identity` the
//! site file and the icons and logos; `model` (in `vnfeed-store`) the plain data they all
//! share; `app` wires the commands; `descriptors` sets and checks the process's open-file
//! budget. The `vnfeed-check` crate is the feed
//! validator behind `vnfeed check`; it depends on nothing of the server, which its own
//! `Cargo.toml` makes the compiler enforce.
//!
//! The library crates are re-exported under their old module names (`vnfeed::store`,
//! `vnfeed::check`, ...) for the tests, the benches and the fuzz targets.

pub mod app;
pub mod cache;
pub mod classify;
pub mod config;
pub mod definitions;
pub mod descriptors;
pub mod documents;
pub mod feeds;
pub mod http;
pub mod identity;
pub mod import;
pub mod media;
pub mod metrics;
pub mod migrate;
pub mod polling;
pub mod render;
pub mod samples;
pub mod sanitize;
pub mod schedule;
pub mod websub;

pub use vnfeed_check as check;
pub use vnfeed_store as store;
pub use vnfeed_store::model;
pub use vnfeed_vietnamese as vietnamese;
