//! The HTTP side: hyper 1 on tokio. Owns the accept loop, graceful shutdown, routing and
//! every status code vnfeed answers with.

mod accept;
pub mod api;
pub mod auth;
mod builtin;
mod conditional;
mod feed_headers;
mod headers;
pub mod health;
pub mod limits;
pub mod linger;
mod media;
mod older;
mod ondemand;
mod range;
pub mod rate;
pub mod representation;
mod response;
mod routes;
mod state;
pub mod workers;

pub use accept::{Gate, REFUSING, serve};
pub use state::{ApiConfig, AppState, DEFAULT_MAX_BODY};
