//! Thread-per-core serving (`--workers N`): N threads, each a single-threaded tokio runtime
//! accepting on its own `SO_REUSEPORT` listener of the same address, the way nginx runs one
//! event loop per worker process. The kernel spreads new connections over the listeners, a
//! connection lives its whole life on the thread that accepted it, and no request wakes
//! another thread. The rest (the cache's refresh loop, WebSub, the render pool, the store's
//! connections) stays on the main runtime; the workers share the state and one connection
//! [`Gate`], so `--max-connections` holds for the server as a whole. How it compares with the
//! default multi-threaded runtime: docs/benchmarks.md.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread;

use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;

use super::accept::{Gate, serve_gated};
use super::limits::BLOCKING_GRACE;
use super::state::AppState;

/// The listen backlog of each worker's socket: tokio's `TcpListener::bind` uses the same.
const BACKLOG: u32 = 1024;

/// Most worker threads `--workers` accepts: one per core is the point; far more is a typo.
pub const MAX_WORKERS: usize = 256;

/// The first listener of `--workers`, made by [`shared_listener`] once nothing else listens
/// on `addr`. `SO_REUSEPORT` alone would let a second vnfeed started on the same port (a
/// double start, an old deploy still running as the same user) join this one's listeners and
/// take a share of its connections without a word; a probe bound without it fails first with
/// "address in use", as the default runtime's plain bind does.
pub fn first_listener(addr: SocketAddr) -> io::Result<TcpListener> {
    if addr.port() != 0 {
        drop(std::net::TcpListener::bind(addr)?);
    }
    shared_listener(addr)
}

/// A listener on `addr` that other sockets of this process may share (`SO_REUSEPORT`).
pub fn shared_listener(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // As `TcpListener::bind` does: a restart may rebind while old connections are in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// Serves on `first` (made by [`first_listener`]) and on `workers - 1` more listeners of
/// its address, each on a thread of its own, until `shutdown` completes; then every worker
/// finishes its requests in flight within the shutdown grace, as [`super::serve`] does.
pub async fn serve(
    first: TcpListener,
    state: Arc<AppState>,
    workers: usize,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let addr = first.local_addr()?;
    // Bound here, before any thread starts, so a failure is the caller's error at once.
    let mut listeners = vec![first.into_std()?];
    for _ in 1..workers.max(1) {
        listeners.push(shared_listener(addr)?.into_std()?);
    }
    let gate = Arc::new(Gate::new(&state.limits));
    let (stop, stopping) = watch::channel(false);
    let mut threads = Vec::with_capacity(listeners.len());
    for (n, listener) in listeners.into_iter().enumerate() {
        let (state, gate, mut stopping) = (Arc::clone(&state), Arc::clone(&gate), stopping.clone());
        let thread = thread::Builder::new()
            .name(format!("vnfeed-worker-{n}"))
            .spawn(move || -> io::Result<()> {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                let result = runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener)?;
                    let stop = async move {
                        let _ = stopping.wait_for(|stop| *stop).await;
                    };
                    serve_gated(listener, state, &gate, stop).await
                });
                // As main does with its runtime: blocking work gets the last part of the grace.
                runtime.shutdown_timeout(BLOCKING_GRACE);
                result
            })?;
        threads.push(thread);
    }
    shutdown.await;
    let _ = stop.send(true);
    // Joining blocks until each worker has drained: not on an async worker thread.
    tokio::task::spawn_blocking(move || {
        let mut result = Ok(());
        for thread in threads {
            match thread.join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => result = Err(e),
                Err(_) => result = Err(io::Error::other("a worker thread panicked")),
            }
        }
        result
    })
    .await
    .map_err(io::Error::other)?
}
