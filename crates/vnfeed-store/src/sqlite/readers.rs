//! The SQLite reader pool: a fixed number of connections that only read. In WAL mode each
//! sees the last commit when its read starts and never blocks the writer, nor the writer
//! it, so a slow read (an archive page of long articles) does not hold up a write, as it
//! did when one connection served both.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Reader connections per store. More than the server's render workers, so `/healthz`,
/// page-1 refreshes and the API's reads still find one while renders read; few, since each
/// keeps its own page cache (2 MiB by default) and file descriptors.
pub const READERS: usize = 4;

pub(super) struct Readers {
    idle: Mutex<Vec<Connection>>,
    /// One permit per idle connection: a holder is sure to find one.
    free: Arc<Semaphore>,
}

impl Readers {
    pub(super) fn open(path: &Path) -> rusqlite::Result<Readers> {
        let idle = (0..READERS)
            .map(|_| open_reader(path))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Readers {
            idle: Mutex::new(idle),
            free: Arc::new(Semaphore::new(READERS)),
        })
    }

    /// A reader connection for one call, waiting for one to be free.
    pub(super) async fn lease(self: &Arc<Self>) -> Lease {
        let permit = Arc::clone(&self.free)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let conn = self
            .idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
            .expect("a permit means an idle connection");
        Lease {
            conn: Some(conn),
            readers: Arc::clone(self),
            _permit: permit,
        }
    }
}

fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // A reader that tried to write would be a bug; SQLite refuses it instead of taking the
    // write lock behind the writer's back.
    conn.pragma_update(None, "query_only", "ON")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// A reader connection lent for one call; goes back to the pool when dropped, even if the
/// call panicked (an open transaction is rolled back by its own drop first).
pub(super) struct Lease {
    conn: Option<Connection>,
    readers: Arc<Readers>,
    _permit: OwnedSemaphorePermit,
}

impl Lease {
    pub(super) fn conn(&mut self) -> &mut Connection {
        self.conn.as_mut().expect("held until dropped")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.readers
                .idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(conn);
        }
    }
}
