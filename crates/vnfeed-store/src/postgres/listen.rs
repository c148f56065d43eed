//! The change listener: one dedicated connection (outside the pool) that `LISTEN`s on the
//! store's channel and turns each notification into a tick on a watch channel. When the
//! connection drops (server restart, network), it reconnects with exponential backoff and
//! ticks once more on success, since notifications sent while it was away are lost.

use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio_postgres::{AsyncMessage, NoTls};

use super::sql::CHANNEL;
use crate::changes::ChangeNotices;

const FIRST_RETRY: Duration = Duration::from_millis(100);
const LONGEST_RETRY: Duration = Duration::from_secs(5);

/// Starts the listener; it stops by itself once every receiver is dropped.
pub fn spawn(config: tokio_postgres::Config, target: String) -> watch::Receiver<ChangeNotices> {
    let (tx, rx) = watch::channel(ChangeNotices::default());
    tokio::spawn(run(config, target, tx));
    rx
}

async fn run(config: tokio_postgres::Config, target: String, tx: watch::Sender<ChangeNotices>) {
    let mut retry = FIRST_RETRY;
    loop {
        let outcome = tokio::select! {
            outcome = session(&config, &tx, &mut retry) => outcome,
            _ = tx.closed() => return,
        };
        tx.send_modify(|n| n.listening = false);
        let error = match outcome {
            Ok(()) => "the server closed the connection".to_string(),
            Err(e) => e.to_string(),
        };
        tracing::warn!(store = %target, %error, retry_ms = retry.as_millis() as u64,
            "change listener disconnected; the revision poll covers until it is back");
        tokio::select! {
            _ = tokio::time::sleep(retry) => {}
            _ = tx.closed() => return,
        }
        retry = (retry * 2).min(LONGEST_RETRY);
    }
}

/// One connection's life: connect, LISTEN, forward notifications until it fails.
async fn session(
    config: &tokio_postgres::Config,
    tx: &watch::Sender<ChangeNotices>,
    retry: &mut Duration,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    // The connection only makes progress while polled; this task polls it and hands the
    // notifications over.
    let (notify_tx, mut notify_rx) = mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(_))) => {
                    if notify_tx.send(()).is_err() {
                        return Ok(());
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            }
        }
    });
    let listening = client.batch_execute(&format!("LISTEN {CHANNEL}")).await;
    if let Err(e) = listening {
        driver.abort();
        return Err(e);
    }
    *retry = FIRST_RETRY;
    tracing::info!(
        channel = CHANNEL,
        "listening for changes from other replicas"
    );
    // A tick on (re)connection: whatever changed while we were away is picked up now.
    tx.send_modify(|n| {
        n.listening = true;
        n.received += 1;
    });
    while notify_rx.recv().await.is_some() {
        tx.send_modify(|n| {
            n.received += 1;
            n.last = Some(Instant::now());
        });
    }
    drop(client);
    match driver.await {
        Ok(result) => result,
        // The driver never panics; a cancelled one ended with the session.
        Err(_) => Ok(()),
    }
}
