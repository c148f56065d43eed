//! The render pool: how many older pages and archive pages are read and rendered at once
//! (`--render-workers`), and how many more may wait for a worker (`--render-queue`). A
//! render past both is refused at once, so a flood of uncached documents costs a bounded
//! share of the CPU and of the store's readers and never queues without end; the HTTP side
//! answers the refusal with 503 and Retry-After.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Every worker is busy and the queue is full.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("every render worker is busy and the render queue is full")]
pub struct Busy;

pub struct RenderPool {
    /// Renders running or waiting: `workers + queue` permits.
    admitted: Arc<Semaphore>,
    /// Renders running: `workers` permits.
    running: Arc<Semaphore>,
}

/// A worker's turn: held for the whole render, store reads included.
pub struct Turn {
    _running: OwnedSemaphorePermit,
    _admitted: OwnedSemaphorePermit,
}

impl RenderPool {
    pub fn new(workers: usize, queue: usize) -> RenderPool {
        let workers = workers.max(1);
        RenderPool {
            admitted: Arc::new(Semaphore::new(workers.saturating_add(queue))),
            running: Arc::new(Semaphore::new(workers)),
        }
    }

    /// Waits for a worker, or fails at once with [`Busy`] if the queue is full.
    pub async fn turn(&self) -> Result<Turn, Busy> {
        let admitted = Arc::clone(&self.admitted)
            .try_acquire_owned()
            .map_err(|_| Busy)?;
        let running = Arc::clone(&self.running)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        Ok(Turn {
            _running: running,
            _admitted: admitted,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn past_the_workers_and_the_queue_a_turn_is_refused_at_once() {
        let pool = RenderPool::new(1, 1);
        let first = pool.turn().await.unwrap();
        // The second waits in the queue for the worker; the third finds the queue full.
        let second = tokio::spawn({
            let admitted = Arc::clone(&pool.admitted);
            let running = Arc::clone(&pool.running);
            async move {
                let pool = RenderPool { admitted, running };
                pool.turn().await.map(|_| ())
            }
        });
        while pool.admitted.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        assert!(pool.turn().await.is_err());
        drop(first);
        second.await.unwrap().unwrap();
        assert!(pool.turn().await.is_ok());
    }
}
