//! vnfeed: per-category RSS 2.0, Atom 1.0 and JSON Feed 1.1 feeds for Vietnamese newsrooms.
//!
//! Data flows one way: `import` (text layout, JSON) -> `store` (SQLite) -> `documents` (which
//! articles and history links make up each feed document; `media` measures local images) ->
//! `render` (RSS, Atom, JSON Feed, OPML, HTML pages) -> `cache` (finished bytes and validators)
//! -> `http` (routes, conditional GET). `websub` tells a hub which feeds a change touched.
//! `vietnamese` owns datelines, NFC, Windows-1258, slugs and keyword matching; `feeds` owns
//! the feed definitions; `model` the plain data they all share; `app` wires the commands.
//! `check` is the feed validator behind `vnfeed check`, independent of the rest: it reads
//! any RSS 2.0, Atom 1.0 or JSON Feed document, vnfeed's own included.

pub mod app;
pub mod cache;
pub mod check;
pub mod config;
pub mod documents;
pub mod feeds;
pub mod http;
pub mod import;
pub mod media;
pub mod metrics;
pub mod migrate;
pub mod model;
pub mod render;
pub mod samples;
pub mod sanitize;
pub mod store;
pub mod vietnamese;
pub mod websub;
