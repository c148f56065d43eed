//! WebSub publishing (W3C WebSub section 7): after a store change, tells the hub which feeds
//! changed (`hub.mode=publish`, `hub.url=` the feed's URL, one request per feed), retrying with
//! exponential backoff. It runs on its own task, fed by the cache through a channel, so
//! neither a write nor a request ever waits for the hub.
//!
//! A slow or silent hub costs a fixed amount whatever the rate of writes: one ping per
//! feed URL at a time (a change during it queues one more, and later changes merge into
//! that one), at most [`CONCURRENT_PINGS`] requests open at once, each with a connect and a
//! response timeout. The ping tasks belong to the publisher and end with it.
//!
//! The requests go through `vnfeed check`'s HTTP client ([`vnfeed_check::Client`]), so the
//! binary has one HTTP client stack (hyper, rustls with ring, the webpki roots) to keep.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, USER_AGENT};
use http::{Method, Request, StatusCode};
use http_body_util::Full;
use tokio::sync::Semaphore;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinSet;
use vnfeed_check::client::{Client, FetchError, Limits};

use crate::cache::Changed;
use crate::render::{GENERATOR, Site, VERSION};

/// Hub requests open at once, over all feeds. Part of the descriptor reserve
/// ([`crate::descriptors::RESERVED`]).
pub const CONCURRENT_PINGS: usize = 4;

/// How long connecting to the hub may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one ping may take, connection included, before it counts as failed.
const PING_TIMEOUT: Duration = Duration::from_secs(10);

/// The most bytes read of a hub's answer (hubs answer 202 or 204 with an empty body);
/// a longer one fails the try, which is retried.
const MAX_ANSWER: usize = 64 * 1024;

/// How long an idle connection to the hub is kept for the next ping.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The bounds of one ping, in the client's terms: no redirect is followed (a hub that
/// moved is a configuration to fix), and at most [`CONCURRENT_PINGS`] idle connections.
const LIMITS: Limits = Limits {
    timeout: PING_TIMEOUT,
    connect_timeout: CONNECT_TIMEOUT,
    max_body: MAX_ANSWER,
    max_redirects: 0,
    max_idle_per_host: CONCURRENT_PINGS,
    idle_timeout: IDLE_TIMEOUT,
};

/// The longest wait between two tries, however many failed.
const MAX_BACKOFF: Duration = Duration::from_secs(600);

/// How the publisher retries a ping that failed.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Tries per ping, the first included.
    pub attempts: u32,
    /// The wait after the first failure; doubled after each further one.
    pub backoff: Duration,
}

#[derive(Clone)]
pub struct Publisher {
    hub: Arc<str>,
    site: Arc<Site>,
    retry: Retry,
    client: Client,
    /// Shared by every ping: a try holds one while its request is open.
    open: Arc<Semaphore>,
}

/// Why one try failed, and whether another may succeed.
#[derive(Debug)]
enum Failure {
    /// A network error, a timeout, a 5xx or a 429: worth another try.
    Transient(String),
    /// The hub refused the request itself (another 4xx): trying again cannot help.
    Refused(StatusCode),
}

impl Publisher {
    pub fn new(hub: &str, site: Arc<Site>, retry: Retry) -> Publisher {
        let client = Client::new(LIMITS)
            .expect("ring supports rustls' default protocol versions")
            .user_agent(&format!("{GENERATOR}/{VERSION}"));
        Publisher {
            hub: hub.into(),
            site,
            retry,
            client,
            open: Arc::new(Semaphore::new(CONCURRENT_PINGS)),
        }
    }

    /// Pings the hub for every batch of changed feeds until the channel closes. Each feed
    /// URL has at most one ping task, so a hub that is down delays nobody and a burst of
    /// writes costs no more than one write.
    pub async fn run(self, mut changes: UnboundedReceiver<Changed>) {
        let mut pings = Pings::default();
        loop {
            tokio::select! {
                changed = changes.recv() => {
                    let Some(changed) = changed else { break };
                    for (slug, format) in changed {
                        let url = self.site.feed_url(&slug, format);
                        if let Some(url) = pings.changed(url) {
                            pings.start(&self, url);
                        }
                    }
                }
                Some(done) = pings.tasks.join_next_with_id(), if !pings.tasks.is_empty() => {
                    let id = match &done {
                        Ok((id, ())) => *id,
                        Err(e) => e.id(),
                    };
                    if let Some(url) = pings.finished(id) {
                        pings.start(&self, url);
                    }
                }
            }
        }
        pings.tasks.shutdown().await;
    }

    /// Tells the hub that `topic` changed, retrying transient failures with backoff.
    /// Returns whether the hub accepted it.
    pub async fn publish(&self, topic: &str) -> bool {
        let mut wait = self.retry.backoff;
        for attempt in 1..=self.retry.attempts.max(1) {
            match self.try_once(topic).await {
                Ok(()) => {
                    tracing::info!(hub = %self.hub, topic, attempt, "hub notified");
                    return true;
                }
                Err(Failure::Refused(status)) => {
                    tracing::warn!(hub = %self.hub, topic, %status, "hub refused the ping; not retrying");
                    return false;
                }
                Err(Failure::Transient(why)) => {
                    tracing::warn!(hub = %self.hub, topic, attempt, error = %why, "hub ping failed");
                    if attempt < self.retry.attempts {
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(MAX_BACKOFF);
                    }
                }
            }
        }
        tracing::error!(hub = %self.hub, topic, attempts = self.retry.attempts, "gave up notifying the hub");
        false
    }

    async fn try_once(&self, topic: &str) -> Result<(), Failure> {
        let _open = self.open.acquire().await.expect("never closed");
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("hub.mode", "publish")
            .append_pair("hub.url", topic)
            .finish();
        let request = Request::builder()
            .method(Method::POST)
            .uri(&*self.hub)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(USER_AGENT, format!("{GENERATOR}/{VERSION}"))
            .body(Full::new(Bytes::from(form)))
            .map_err(|e| Failure::Refused(bad_request(e)))?;
        // `send` bounds the whole exchange by PING_TIMEOUT and the answer by MAX_ANSWER.
        let response = self.client.send(request).await.map_err(|e| match e {
            FetchError::BadUrl { .. } | FetchError::Scheme { .. } => {
                tracing::error!(error = %e, "the hub URL cannot be used");
                Failure::Refused(StatusCode::BAD_REQUEST)
            }
            e => Failure::Transient(e.to_string()),
        })?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            Err(Failure::Transient(format!("hub answered {status}")))
        } else {
            Err(Failure::Refused(status))
        }
    }
}

/// The ping task of each feed URL, and whether a change came in since it started.
#[derive(Default)]
struct Pings {
    tasks: JoinSet<()>,
    /// Feed URL -> changed again while its ping runs.
    running: HashMap<String, bool>,
    by_task: HashMap<tokio::task::Id, String>,
}

impl Pings {
    /// Notes a change of `url`; returns it if a ping should start now.
    fn changed(&mut self, url: String) -> Option<String> {
        match self.running.get_mut(&url) {
            Some(again) => {
                // The queued ping, if any, covers this change too.
                *again = true;
                None
            }
            None => {
                self.running.insert(url.clone(), false);
                Some(url)
            }
        }
    }

    /// Notes that a ping ended; returns its URL if it changed meanwhile and needs another.
    fn finished(&mut self, task: tokio::task::Id) -> Option<String> {
        let url = self.by_task.remove(&task)?;
        if self.running.get(&url) == Some(&true) {
            self.running.insert(url.clone(), false);
            Some(url)
        } else {
            self.running.remove(&url);
            None
        }
    }

    fn start(&mut self, publisher: &Publisher, url: String) {
        let this = publisher.clone();
        let topic = url.clone();
        let handle = self.tasks.spawn(async move {
            this.publish(&topic).await;
        });
        self.by_task.insert(handle.id(), url);
    }
}

/// `--hub` is validated as an http(s) URL at start-up, so building the request cannot fail;
/// if it somehow does, treat it as the hub refusing.
fn bad_request(e: http::Error) -> StatusCode {
    tracing::error!(error = %e, "cannot build a hub request");
    StatusCode::BAD_REQUEST
}
