//! A lingering close, as nginx's `lingering_close` does it. When the server ends a
//! connection whose client is still sending (a 413 answered before an oversized body has
//! arrived, say), closing the socket with unread bytes in it makes the kernel reset the
//! connection, and the reset destroys the answer in the client's receive buffer: a client
//! that writes its whole body before it reads (Python's http.client, most SDKs) sees a broken
//! pipe instead of the 413. So a connection is closed in two steps: its write side first (the
//! client sees the response end), then what the client still sends is read and dropped until
//! it closes its side, for at most [`Linger::time`] and [`Linger::bytes`].

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// How long, and how much, a closing connection is read and dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Linger {
    pub time: Duration,
    pub bytes: u64,
}

/// A stream whose shutdown lingers: hyper shuts a connection down when it is done with it,
/// and drops it once the shutdown completes.
pub struct Lingering<T> {
    inner: T,
    limit: Linger,
    /// Set once the write side is shut: the deadline and the bytes still to drop.
    draining: Option<(Pin<Box<Sleep>>, u64)>,
}

impl<T> Lingering<T> {
    pub fn new(inner: T, limit: Linger) -> Lingering<T> {
        Lingering {
            inner,
            limit,
            draining: None,
        }
    }
}

/// What is read while lingering goes here, a chunk at a time.
const DRAIN_CHUNK: usize = 8 << 10;

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Lingering<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    /// Shuts the write side, then drops what the client sends until it closes, errs, or the
    /// bounds are reached. It never fails once the write side is shut: the response is out.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if this.draining.is_none() {
            ready!(Pin::new(&mut this.inner).poll_shutdown(cx))?;
            let deadline = Box::pin(tokio::time::sleep(this.limit.time));
            this.draining = Some((deadline, this.limit.bytes));
        }
        let Some((deadline, left)) = this.draining.as_mut() else {
            unreachable!("set above");
        };
        let mut chunk = [0u8; DRAIN_CHUNK];
        loop {
            if *left == 0 || deadline.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Ok(()));
            }
            let mut buf = ReadBuf::new(&mut chunk);
            match Pin::new(&mut this.inner).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if buf.filled().is_empty() => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => *left = left.saturating_sub(buf.filled().len() as u64),
                Poll::Ready(Err(_)) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Lingering<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_shutdown_drops_what_the_peer_still_sends_until_it_closes() {
        let (server, mut client) = tokio::io::duplex(1024);
        let mut server = Lingering::new(
            server,
            Linger {
                time: Duration::from_secs(3600),
                bytes: 1 << 20,
            },
        );
        let writer = tokio::spawn(async move {
            // More than the pipe holds: it only all goes if the server reads it.
            client.write_all(&[b'x'; 64 << 10]).await.unwrap();
            let mut rest = Vec::new();
            client.read_to_end(&mut rest).await.unwrap();
            rest
        });
        server.write_all(b"413").await.unwrap();
        server.shutdown().await.unwrap();
        drop(server);
        assert_eq!(writer.await.unwrap(), b"413");
    }

    #[tokio::test(start_paused = true)]
    async fn lingering_ends_at_its_byte_bound_or_its_deadline() {
        let limit = Linger {
            time: Duration::from_secs(5),
            bytes: 4 << 10,
        };
        let (server, mut client) = tokio::io::duplex(64 << 10);
        client.write_all(&[b'x'; 16 << 10]).await.unwrap();
        let mut server = Lingering::new(server, limit);
        server.shutdown().await.unwrap();

        let (server, _client) = tokio::io::duplex(1024);
        let mut server = Lingering::new(server, limit);
        let start = tokio::time::Instant::now();
        server.shutdown().await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }
}
