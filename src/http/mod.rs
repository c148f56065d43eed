//! The HTTP side: hyper 1 on tokio. Owns the accept loop, graceful shutdown, routing and
//! every status code vnfeed answers with.

pub mod api;
pub mod auth;
mod conditional;
mod documents;
mod routes;

use std::future::Future;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

pub use conditional::{accepts, accepts_gzip, choose_coding, not_modified};

use crate::cache::{FeedCache, Rendered};
use crate::feeds::FeedSet;
use crate::render::Site;
use crate::store::Store;

/// What every request handler shares. Cloning the `Arc`s is cheap.
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub feeds: Arc<FeedSet>,
    pub site: Arc<Site>,
    pub cache: Arc<FeedCache>,
    /// The OPML subscription list never changes while the server runs: rendered once.
    pub opml: Rendered,
    /// The publishing API's tokens and limits; off until configured.
    pub api: api::ApiConfig,
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        feeds: Arc<FeedSet>,
        site: Arc<Site>,
        cache: Arc<FeedCache>,
    ) -> AppState {
        let opml = Rendered::new(
            crate::render::opml::CONTENT_TYPE,
            crate::render::opml::render(&site, &feeds),
            None,
        );
        AppState {
            store,
            feeds,
            site,
            cache,
            opml,
            api: api::ApiConfig::default(),
        }
    }
}

/// Serves connections from `listener` until `shutdown` completes, then stops accepting and
/// waits for requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let state = Arc::clone(&state);
                let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let state = Arc::clone(&state);
                    let (route, cacheable) = routes::label(req.method(), req.uri().path());
                    async move {
                        let resp = routes::handle(&state, req).await;
                        state.cache.metrics().request(route, resp.status().as_u16(), cacheable);
                        Ok::<_, std::convert::Infallible>(resp)
                    }
                });
                let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
