//! Connection-level defences: how many connections at once, how long a request head may
//! take to arrive once it has begun (slowloris), how long a keep-alive connection may sit
//! idle, and how large a request head and target may be. hyper enforces the sizes; the two
//! timeouts are a watchdog per connection, because hyper has one timer for both (its header
//! read timeout starts as soon as a connection goes idle).

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

/// The limits a server enforces on its clients.
#[derive(Debug, Clone)]
pub struct Limits {
    /// From a request's first byte to its complete head.
    pub header_timeout: Duration,
    /// With no request in progress and nothing read or written.
    pub idle_timeout: Duration,
    /// Connections served at once; the next one gets a 503 and is closed.
    pub max_connections: usize,
    /// The request line and headers together (431 past it).
    pub max_header_bytes: usize,
    /// The request target, path and query (414 past it).
    pub max_target_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            max_header_bytes: 16 << 10,
            max_target_bytes: 8 << 10,
        }
    }
}

/// What a connection is doing, as its watchdog sees it.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for a request since this instant (the last byte moved, or the connection opened).
    Idle(Instant),
    /// A request head began arriving at this instant.
    Head(Instant),
    /// This many requests are being answered.
    Busy(usize),
}

/// Shared between a connection's I/O, its service and its watchdog.
#[derive(Debug)]
pub struct Activity {
    phase: Mutex<Phase>,
    changed: Notify,
}

impl Activity {
    pub fn new() -> Arc<Activity> {
        Arc::new(Activity {
            phase: Mutex::new(Phase::Idle(Instant::now())),
            changed: Notify::new(),
        })
    }

    fn update(&self, f: impl FnOnce(Phase) -> Phase) {
        let mut phase = self.phase.lock().unwrap_or_else(|p| p.into_inner());
        *phase = f(*phase);
        self.changed.notify_one();
    }

    fn read_some(&self) {
        self.update(|p| match p {
            Phase::Idle(_) => Phase::Head(Instant::now()),
            other => other,
        });
    }

    fn wrote_some(&self) {
        self.update(|p| match p {
            Phase::Idle(_) => Phase::Idle(Instant::now()),
            other => other,
        });
    }

    /// Marks a request as being answered until the guard is dropped.
    pub fn busy(self: &Arc<Self>) -> BusyGuard {
        self.update(|p| match p {
            Phase::Busy(n) => Phase::Busy(n + 1),
            _ => Phase::Busy(1),
        });
        BusyGuard(Arc::clone(self))
    }

    /// Resolves when the connection has overstayed: idle too long, or a head too slow.
    pub async fn expired(&self, limits: &Limits) -> &'static str {
        loop {
            let notified = self.changed.notified();
            let phase = *self.phase.lock().unwrap_or_else(|p| p.into_inner());
            let deadline = match phase {
                Phase::Idle(since) => Some((since + limits.idle_timeout, "idle")),
                Phase::Head(since) => Some((since + limits.header_timeout, "slow request head")),
                Phase::Busy(_) => None,
            };
            match deadline {
                Some((at, why)) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {
                            // Only if nothing moved in the meantime.
                            let now = *self.phase.lock().unwrap_or_else(|p| p.into_inner());
                            if same_phase(phase, now) {
                                return why;
                            }
                        }
                        _ = notified => {}
                    }
                }
                None => notified.await,
            }
        }
    }
}

fn same_phase(a: Phase, b: Phase) -> bool {
    match (a, b) {
        (Phase::Idle(x), Phase::Idle(y)) | (Phase::Head(x), Phase::Head(y)) => x == y,
        _ => false,
    }
}

/// Held while a request is answered.
pub struct BusyGuard(Arc<Activity>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.update(|p| match p {
            Phase::Busy(n) if n > 1 => Phase::Busy(n - 1),
            _ => Phase::Idle(Instant::now()),
        });
    }
}

/// A stream that reports its reads and writes to an [`Activity`].
pub struct Watched<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T> Watched<T> {
    pub fn new(inner: T, activity: Arc<Activity>) -> Watched<T> {
        Watched { inner, activity }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read_some();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote_some();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote_some();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// What a connection over the limit gets before it is closed: no request is read.
pub const TOO_MANY_CONNECTIONS: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: text/plain; charset=utf-8\r\ncontent-length: 22\r\nretry-after: 1\r\n\
connection: close\r\n\r\ntoo many connections.\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_busy_answer_is_a_whole_http_response() {
        let text = std::str::from_utf8(TOO_MANY_CONNECTIONS).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "));
        assert!(head.contains(&format!("content-length: {}", body.len())));
    }

    #[tokio::test(start_paused = true)]
    async fn idle_and_slow_heads_expire_but_busy_connections_do_not() {
        let limits = Limits {
            header_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(20),
            ..Limits::default()
        };
        let activity = Activity::new();
        let start = Instant::now();
        assert_eq!(activity.expired(&limits).await, "idle");
        assert_eq!(start.elapsed(), Duration::from_secs(20));

        let activity = Activity::new();
        let guard = activity.busy();
        let waiting = tokio::time::timeout(Duration::from_secs(3600), activity.expired(&limits));
        assert!(waiting.await.is_err(), "a busy connection never expires");
        drop(guard);
        activity.read_some();
        let start = Instant::now();
        assert_eq!(activity.expired(&limits).await, "slow request head");
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }
}
