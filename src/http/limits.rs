//! Connection-level defences: how many connections at once, how long a request head may
//! take to arrive once it has begun (slowloris), how long a keep-alive connection may sit
//! idle, and how large a request head and target may be. hyper enforces the sizes; the two
//! timeouts are a watchdog per connection, because hyper has one timer for both (its header
//! read timeout starts as soon as a connection goes idle).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

use super::linger::Linger;
use super::rate::RateSettings;

/// What is left of a blocking task (a read stuck on a hung mount or a FIFO, a render) once
/// the server has stopped gets this long before the process leaves it behind: dropping the
/// runtime would otherwise wait for it for ever, and a SIGTERM would hang past its grace. It
/// is the last part of `shutdown_grace`, not added to it.
pub const BLOCKING_GRACE: Duration = Duration::from_secs(1);

/// The limits a server enforces on its clients.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// How long, and how much, a connection the server closes is still read (and what is
    /// read dropped) so that its client reads the answer: see [`super::linger`].
    pub linger: Linger,
    /// How long a shutdown waits for requests in flight before it gives up on them.
    pub shutdown_grace: Duration,
    /// How fast one client may ask for what the cache does not hold: see [`super::rate`].
    pub rate: RateSettings,
}

impl Limits {
    /// The defaults: what the server enforces unless told otherwise, and what the command
    /// line's flags (`--header-timeout` and the others, `config::LimitArgs`) default to.
    pub const DEFAULT: Limits = Limits {
        header_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(60),
        max_connections: 1024,
        max_header_bytes: 16 << 10,
        max_target_bytes: 8 << 10,
        linger: Linger {
            time: Duration::from_secs(10),
            bytes: 64 << 20,
        },
        shutdown_grace: Duration::from_secs(30),
        rate: RateSettings::DEFAULT,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// What a connection is doing, as its watchdog sees it, packed in one word so that a
/// request costs a few atomic operations and never wakes the watchdog: the phase in the top
/// two bits, and below them the nanoseconds since the connection opened at which the phase
/// began (idle, head) or the number of requests being answered (busy).
const PHASE_SHIFT: u32 = 62;
const VALUE_MASK: u64 = (1 << PHASE_SHIFT) - 1;
const IDLE: u64 = 0;
const HEAD: u64 = 1;
const BUSY: u64 = 2;

/// Shared between a connection's I/O, its service and its watchdog.
#[derive(Debug)]
pub struct Activity {
    opened: Instant,
    state: AtomicU64,
}

impl Activity {
    pub fn new() -> Arc<Activity> {
        Arc::new(Activity {
            opened: Instant::now(),
            state: AtomicU64::new(IDLE << PHASE_SHIFT),
        })
    }

    /// `phase`, beginning now.
    fn now(&self, phase: u64) -> u64 {
        let since = Instant::now().saturating_duration_since(self.opened);
        (phase << PHASE_SHIFT) | (since.as_nanos() as u64 & VALUE_MASK)
    }

    /// Moves an idle connection to `phase`, beginning now; any other phase is kept.
    fn leave_idle(&self, phase: u64) {
        let seen = self.state.load(Ordering::Relaxed);
        if seen >> PHASE_SHIFT == IDLE {
            // Lost to a request starting or ending meanwhile: that moved the phase anyway.
            let _ = self.state.compare_exchange(
                seen,
                self.now(phase),
                Ordering::Release,
                Ordering::Relaxed,
            );
        }
    }

    fn read_some(&self) {
        self.leave_idle(HEAD);
    }

    fn wrote_some(&self) {
        self.leave_idle(IDLE);
    }

    /// Marks a request as being answered until the guard is dropped.
    pub fn busy(self: &Arc<Self>) -> BusyGuard {
        let _ = self
            .state
            .fetch_update(Ordering::Release, Ordering::Relaxed, |s| {
                Some(match s >> PHASE_SHIFT {
                    BUSY => s + 1,
                    _ => (BUSY << PHASE_SHIFT) | 1,
                })
            });
        BusyGuard(Arc::clone(self))
    }

    /// Resolves when the connection has overstayed: idle too long, or a head too slow.
    /// It sleeps until the deadline of the phase it saw, and expires the connection only if
    /// nothing has moved since; a busy connection is looked at again after the shorter
    /// timeout.
    pub async fn expired(&self, limits: &Limits) -> &'static str {
        loop {
            let seen = self.state.load(Ordering::Acquire);
            let began = self.opened + Duration::from_nanos(seen & VALUE_MASK);
            let (at, why) = match seen >> PHASE_SHIFT {
                IDLE => (began + limits.idle_timeout, Some("idle")),
                HEAD => (began + limits.header_timeout, Some("slow request head")),
                _ => (
                    Instant::now() + limits.header_timeout.min(limits.idle_timeout),
                    None,
                ),
            };
            tokio::time::sleep_until(at).await;
            if let Some(why) = why
                && self.state.load(Ordering::Acquire) == seen
            {
                return why;
            }
        }
    }
}

/// Held while a request is answered.
pub struct BusyGuard(Arc<Activity>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        let idle = self.0.now(IDLE);
        let _ = self
            .0
            .state
            .fetch_update(Ordering::Release, Ordering::Relaxed, |s| {
                Some(match s >> PHASE_SHIFT {
                    BUSY if s & VALUE_MASK > 1 => s - 1,
                    _ => idle,
                })
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
x-content-type-options: nosniff\r\nconnection: close\r\n\r\ntoo many connections.\n";

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
