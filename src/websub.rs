//! WebSub publishing (W3C WebSub section 7): after a store change, tells the hub which feeds
//! changed (`hub.mode=publish`, `hub.url=` the feed's URL, one request per feed), retrying with
//! exponential backoff. It runs on its own task, fed by the cache through a channel, so
//! neither a write nor a request ever waits for the hub.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, USER_AGENT};
use http::{Method, Request, StatusCode};
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::cache::Changed;
use crate::render::{GENERATOR, Site, VERSION};

/// How long one ping may take before it counts as failed.
const PING_TIMEOUT: Duration = Duration::from_secs(15);

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
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
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
        let provider = rustls::crypto::ring::default_provider();
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(provider)
            .expect("ring supports rustls' default protocol versions")
            .https_or_http()
            .enable_http1()
            .build();
        Publisher {
            hub: hub.into(),
            site,
            retry,
            client: Client::builder(TokioExecutor::new()).build(https),
        }
    }

    /// Pings the hub for every batch of changed feeds until the channel closes. Each feed's
    /// ping runs on its own task, so a hub that is down delays nobody.
    pub async fn run(self, mut changes: UnboundedReceiver<Changed>) {
        while let Some(changed) = changes.recv().await {
            for (slug, format) in changed {
                let url = self.site.feed_url(&slug, format);
                let this = self.clone();
                tokio::spawn(async move { this.publish(&url).await });
            }
        }
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
        let response = tokio::time::timeout(PING_TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| Failure::Transient(format!("no answer in {PING_TIMEOUT:?}")))?
            .map_err(|e| Failure::Transient(e.to_string()))?;
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

/// `--hub` is validated as an http(s) URL at start-up, so building the request cannot fail;
/// if it somehow does, treat it as the hub refusing.
fn bad_request(e: http::Error) -> StatusCode {
    tracing::error!(error = %e, "cannot build a hub request");
    StatusCode::BAD_REQUEST
}
