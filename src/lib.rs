//! vnfeed: per-category RSS 2.0 and Atom 1.0 feeds for Vietnamese newsrooms.
//!
//! Data flows one way: `import` (text layout, JSON) -> `store` (SQLite) -> `render` (RSS,
//! Atom, HTML) -> `cache` (finished bytes and validators) -> `http` (routes, conditional GET).
//! `vietnamese` owns datelines, NFC, Windows-1258, slugs and keyword matching; `feeds` owns
//! the feed definitions; `model` the plain data they all share; `app` wires the commands.

pub mod app;
pub mod cache;
pub mod config;
pub mod feeds;
pub mod http;
pub mod import;
pub mod model;
pub mod render;
pub mod samples;
pub mod sanitize;
pub mod store;
pub mod vietnamese;
