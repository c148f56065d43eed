//! The HTTP side: hyper 1 on tokio. Owns the accept loop, graceful shutdown, routing and
//! every status code vnfeed answers with.

pub mod api;
pub mod auth;
mod builtin;
mod conditional;
mod headers;
pub mod health;
pub mod limits;
pub mod linger;
mod media;
mod older;
mod range;
pub mod rate;
pub mod representation;
mod response;
mod routes;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use limits::{Activity, Watched};
use linger::Lingering;

pub use conditional::{accepts, accepts_gzip, choose_coding, not_modified};

use crate::cache::FeedCache;
use crate::feeds::FeedSet;
use crate::render::Site;
use crate::store::Store;
use representation::Rendered;

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
    /// What a client may cost the server: connections, timeouts, head sizes, request rates.
    /// Set with [`AppState::with_limits`], which also sizes `rate`.
    pub limits: limits::Limits,
    /// Each client's requests on the routes the cache does not answer.
    pub rate: rate::ClientRate,
    /// Whether writes are failing, for `/healthz`.
    pub health: health::StoreHealth,
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
            limits: limits::Limits::default(),
            rate: rate::ClientRate::default(),
            health: health::StoreHealth::default(),
        }
    }
}

/// Connections over `--max-connections` being answered with a 503 (which waits a moment for
/// the client to read it); past it a further one gets the 503 written without waiting and
/// is closed at once, so a flood cannot turn refusals into a descriptor leak. Part of the
/// descriptor reserve ([`crate::descriptors::RESERVED`]).
pub const REFUSING: usize = 32;

impl AppState {
    /// The limits to enforce, the rate limit's table and buckets made to match.
    pub fn with_limits(mut self, limits: limits::Limits) -> AppState {
        self.rate = rate::ClientRate::new(limits.rate.clone());
        self.limits = limits;
        self
    }
}

/// Serves connections from `listener` until `shutdown` completes, then stops accepting and
/// waits for requests in flight (at most [`limits::Limits::shutdown_grace`]).
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(state.limits.max_connections));
    let refusing = Arc::new(Semaphore::new(REFUSING));
    let mut builder = http1::Builder::new();
    builder
        .max_header_size(state.limits.max_header_bytes)
        // hyper refuses buffers under 8 KiB; a head that has not ended within the buffer is
        // refused too, so a client cannot make it grow past the header limit.
        .max_buf_size(state.limits.max_header_bytes.max(8192));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                // A response is written whole in one go: Nagle's algorithm can only hold its
                // last segment back behind the client's delayed ACK (nginx: `tcp_nodelay on`).
                if let Err(e) = stream.set_nodelay(true) {
                    tracing::debug!(%peer, error = %e, "cannot set TCP_NODELAY");
                }
                let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                    match Arc::clone(&refusing).try_acquire_owned() {
                        Ok(refusal) => {
                            tokio::spawn(async move {
                                refuse(stream).await;
                                drop(refusal);
                            });
                        }
                        // Past the refusals being answered: the 503 goes into the socket's
                        // send buffer if it fits, and the socket is closed at once.
                        Err(_) => {
                            let _ = stream.try_write(limits::TOO_MANY_CONNECTIONS);
                        }
                    }
                    continue;
                };
                let activity = Activity::new();
                let service = {
                    let (state, activity) = (Arc::clone(&state), Arc::clone(&activity));
                    service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let state = Arc::clone(&state);
                        let busy = activity.busy();
                        async move {
                            let (route, resp) = routes::handle(&state, peer.ip(), req).await;
                            drop(busy);
                            state.cache.metrics().request(route, resp.status().as_u16());
                            Ok::<_, std::convert::Infallible>(resp)
                        }
                    })
                };
                let watched = Watched::new(stream, Arc::clone(&activity));
                let io = TokioIo::new(Lingering::new(watched, state.limits.linger));
                let conn = graceful.watch(builder.serve_connection(io, service));
                // The watchdog is a task of its own, not a branch of a select! beside the
                // connection: woken only at its deadlines, never once per request.
                let served = tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                    drop(slot);
                });
                let limits = state.limits.clone();
                tokio::spawn(async move {
                    let abort = served.abort_handle();
                    tokio::select! {
                        _ = served => {}
                        why = activity.expired(&limits) => {
                            tracing::debug!(%peer, why, "connection closed");
                            // Dropping the connection closes it, and frees its slot.
                            abort.abort();
                        }
                    }
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    // The last part of the grace is left to blocking work (see `limits::BLOCKING_GRACE`), so
    // the process is gone within the grace as a whole.
    let grace = state
        .limits
        .shutdown_grace
        .saturating_sub(limits::BLOCKING_GRACE);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("shutdown: gave up on requests still in flight after {grace:?}");
    }
    Ok(())
}

/// Answers a connection over the limit with a 503 and closes it. What the client sent is
/// read and dropped for a moment first: closing on unread bytes would reset the connection
/// and could destroy the 503 before the client reads it.
async fn refuse(mut stream: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(limits::TOO_MANY_CONNECTIONS).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, std::io::Error>(())
    })
    .await;
}
