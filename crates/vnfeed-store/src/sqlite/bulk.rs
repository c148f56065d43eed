//! SQLite's [`Bulk`] session: one thread holds the write connection for the session's life
//! and writes every batch in one open transaction, each batch in a savepoint of its own (a
//! batch that fails is rolled back alone, the ones before stay), until `commit`. The
//! connection's lock is held by that thread, not across the importer's `await`s, so the
//! session can live in async code; other writers of the same store wait for the session
//! to end, readers (WAL) do not.
//!
//! The thread is told what to do over a channel and answers each command on a oneshot; once
//! the session is dropped the channel closes, and the thread rolls back what was not
//! committed and lets the connection go. A panic while writing also rolls back (the
//! transaction is closed in `Open`'s `Drop`), so the next writer never finds one left open.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use tokio::sync::oneshot;

use super::row::DbError;
use crate::bulk::Bulk;
use crate::error::StoreError;
use crate::model::Draft;
use crate::outcome::Upserted;

/// Writes drafts inside the transaction (or savepoint) it is given, as the store's `upsert`
/// does inside its own.
pub(super) type WriteDrafts =
    fn(&Connection, Vec<Draft>, DateTime<Utc>) -> Result<Vec<Upserted>, DbError>;

/// Turns an SQL error into the store's (naming the file, counting the failure).
pub(super) type StoreErrorOf<'a> = Box<dyn Fn(DbError) -> StoreError + Send + Sync + 'a>;

enum Command {
    Upsert {
        drafts: Vec<Draft>,
        now: DateTime<Utc>,
        reply: oneshot::Sender<Result<Vec<Upserted>, DbError>>,
    },
    Commit {
        reply: oneshot::Sender<Result<(), DbError>>,
    },
}

pub(super) struct Session<'a> {
    commands: mpsc::Sender<Command>,
    store_error: StoreErrorOf<'a>,
    /// Why the session's thread is not there to answer, when it could not be started.
    not_started: Option<String>,
}

impl<'a> Session<'a> {
    /// Starts the session's thread. It waits for the write connection (another write in
    /// progress finishes first) and gives it `cache_size` (`PRAGMA cache_size`) for the
    /// session: a bulk write touches many more index pages than a single one.
    pub(super) fn start(
        conn: Arc<Mutex<Connection>>,
        cache_size: i64,
        write: WriteDrafts,
        store_error: StoreErrorOf<'a>,
    ) -> Session<'a> {
        let (commands, received) = mpsc::channel();
        let started = std::thread::Builder::new()
            .name("vnfeed-bulk".into())
            .spawn(move || {
                let mut guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                serve(&mut guard, cache_size, write, received);
            });
        // No thread (a limit on threads): every call answers with why, nothing is written.
        let not_started = started
            .err()
            .map(|e| format!("the bulk write session could not start a thread: {e}"));
        Session {
            commands,
            store_error,
            not_started,
        }
    }

    /// Sends a command and waits for its answer; a thread that is gone (it panicked, or never
    /// started) is an error of the store, not of the caller's drafts.
    async fn call<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<Result<T, DbError>>) -> Command,
    ) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        let gone = || {
            let why = self.not_started.as_deref();
            (self.store_error)(DbError::Store(StoreError::Task(
                why.unwrap_or("the bulk write session stopped").into(),
            )))
        };
        self.commands.send(command(reply)).map_err(|_| gone())?;
        match answer.await {
            Ok(result) => result.map_err(|e| (self.store_error)(e)),
            Err(_) => Err(gone()),
        }
    }
}

#[async_trait]
impl Bulk for Session<'_> {
    async fn upsert(
        &mut self,
        drafts: Vec<Draft>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Upserted>, StoreError> {
        self.call(|reply| Command::Upsert { drafts, now, reply })
            .await
    }

    async fn commit(&mut self) -> Result<(), StoreError> {
        self.call(|reply| Command::Commit { reply }).await
    }
}

/// The write connection with the session's transaction, if one is open: dropping it (the
/// channel closed, or a panic) rolls back what was not committed.
struct Open<'c> {
    conn: &'c mut Connection,
    in_transaction: bool,
}

impl Open<'_> {
    fn upsert(
        &mut self,
        write: WriteDrafts,
        drafts: Vec<Draft>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Upserted>, DbError> {
        if !self.in_transaction {
            // IMMEDIATE, as every write of the store: the write lock up front.
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
            self.in_transaction = true;
        }
        self.still_open()?;
        // Dropped on an error, the savepoint rolls back this batch alone.
        let batch = self.conn.savepoint()?;
        let written = write(&batch, drafts, now)?;
        batch.commit()?;
        Ok(written)
    }

    fn commit(&mut self) -> Result<(), DbError> {
        if !self.in_transaction {
            return Ok(());
        }
        let open = self.still_open();
        self.in_transaction = false;
        open?;
        self.conn.execute_batch("COMMIT").map_err(|e| {
            // A COMMIT that fails may leave the transaction open: nothing of it is kept.
            if !self.conn.is_autocommit() {
                let _ = self.conn.execute_batch("ROLLBACK");
            }
            e.into()
        })
    }
}

/// What an upsert or commit answers once SQLite itself has rolled the transaction back (it
/// does on some errors: a full disk, an I/O error), so that no later batch is written
/// outside a transaction and the commit does not pretend to keep the batches before.
const ROLLED_BACK: &str = "SQLite rolled the bulk transaction back after an error: nothing since the last commit is stored";

impl Open<'_> {
    fn still_open(&self) -> Result<(), DbError> {
        if self.conn.is_autocommit() {
            return Err(DbError::Store(StoreError::Task(ROLLED_BACK.into())));
        }
        Ok(())
    }
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        if self.in_transaction || !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

fn serve(
    conn: &mut Connection,
    cache_size: i64,
    write: WriteDrafts,
    commands: mpsc::Receiver<Command>,
) {
    let mut open = Open {
        conn,
        in_transaction: false,
    };
    // A cache too small only costs speed; the batches still write.
    let _ = open.conn.pragma_update(None, "cache_size", cache_size);
    for command in commands {
        match command {
            Command::Upsert { drafts, now, reply } => {
                let _ = reply.send(open.upsert(write, drafts, now));
            }
            Command::Commit { reply } => {
                let _ = reply.send(open.commit());
            }
        }
    }
}
