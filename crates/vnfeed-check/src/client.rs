//! The HTTP client: http and https (rustls with the ring provider, the Mozilla roots of
//! webpki-roots plus any CA the caller trusts), redirects followed and recorded, and every
//! exchange bounded in time and in bytes. It knows nothing of feeds, so the server can use
//! the same client for its own outgoing requests (WebSub pings) through [`Client::send`].

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, LOCATION, USER_AGENT};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as Pool;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use url::Url;

/// The bounds of one fetch. Defaults are in [`Limits::DEFAULT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// One whole exchange, connecting, TLS, headers and body, redirects included.
    pub timeout: Duration,
    /// Connecting (TCP) to one address.
    pub connect_timeout: Duration,
    /// The most body bytes read from one response; a larger body is an error, not a
    /// truncated document.
    pub max_body: usize,
    /// Redirects followed before giving up.
    pub max_redirects: usize,
    /// Idle connections the pool keeps open per host for reuse; more are closed.
    pub max_idle_per_host: usize,
    /// How long an idle connection is kept for reuse.
    pub idle_timeout: Duration,
}

impl Limits {
    /// 30 s per fetch, 10 s to connect, 16 MiB per body (the largest real feeds are a few
    /// MiB), 5 redirects (what browsers and most feed readers follow, give or take), 4 idle
    /// connections per host (as many as `vnfeed check` fetches at once) kept 30 s.
    pub const DEFAULT: Limits = Limits {
        timeout: Duration::from_secs(30),
        connect_timeout: Duration::from_secs(10),
        max_body: 16 * 1024 * 1024,
        max_redirects: 5,
        max_idle_per_host: 4,
        idle_timeout: Duration::from_secs(30),
    };
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::DEFAULT
    }
}

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot read the CA file {path}: {reason}")]
    CaFile { path: PathBuf, reason: String },
    #[error("the CA file {path} holds no PEM certificate")]
    CaFileEmpty { path: PathBuf },
    #[error("cannot trust a certificate of {path}: {reason}")]
    CaCertificate { path: PathBuf, reason: String },
    #[error("cannot set up TLS: {0}")]
    Tls(String),
}

/// Why one fetch failed. Each message names the URL.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("`{url}` is not a URL: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("`{scheme}:` URLs cannot be fetched ({url}); use http://, https:// or a file path")]
    Scheme { url: String, scheme: String },
    #[error(
        "GET {url}: certificate problem: {reason} (a private CA can be trusted with --ca-file or VNFEED_CHECK_CA)"
    )]
    Certificate { url: String, reason: String },
    #[error("GET {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("GET {url}: no complete answer within {limit:?}")]
    Timeout { url: String, limit: Duration },
    #[error("GET {url}: the body is larger than the {limit} bytes a fetch may download")]
    TooLarge { url: String, limit: usize },
    #[error("GET {url}: more than {limit} redirects")]
    TooManyRedirects { url: String, limit: usize },
    #[error("GET {url}: {status} redirects to `{location}`, which is not an http(s) URL")]
    BadRedirect {
        url: String,
        status: StatusCode,
        location: String,
    },
    #[error("GET {url}: reading the body: {reason}")]
    Body { url: String, reason: String },
}

/// One redirect followed: `from` answered `status` with `Location: to`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Redirect {
    pub from: String,
    pub to: String,
    #[serde(serialize_with = "serialize_status")]
    pub status: StatusCode,
}

fn serialize_status<S: serde::Serializer>(status: &StatusCode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u16(status.as_u16())
}

impl Redirect {
    /// 301 and 308 say the resource has moved for good: subscribers should update the URL.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self.status,
            StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
        )
    }
}

/// A response read whole, after redirects.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Where the body finally came from.
    pub url: Url,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The redirects followed to get here, in order.
    pub redirects: Vec<Redirect>,
}

/// The client. Cloning it is cheap and shares its connection pool.
#[derive(Clone, Debug)]
pub struct Client {
    pool: Pool<HttpsConnector<HttpConnector>, Full<Bytes>>,
    limits: Limits,
    user_agent: Arc<str>,
}

impl Client {
    /// A client that trusts the webpki roots (Mozilla's list, built in: no system store is
    /// read, so a check gives the same verdict on every machine).
    pub fn new(limits: Limits) -> Result<Client, ClientError> {
        Client::with_roots(limits, Vec::new())
    }

    /// A client that also trusts the PEM certificates in `ca_file` (a private or test CA).
    pub fn with_ca_file(limits: Limits, ca_file: &Path) -> Result<Client, ClientError> {
        let unreadable = |reason: String| ClientError::CaFile {
            path: ca_file.to_path_buf(),
            reason,
        };
        let certificates = CertificateDer::pem_file_iter(ca_file)
            .map_err(|e| unreadable(e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| unreadable(e.to_string()))?;
        if certificates.is_empty() {
            return Err(ClientError::CaFileEmpty {
                path: ca_file.to_path_buf(),
            });
        }
        Client::with_roots(limits, certificates).map_err(|e| match e {
            ClientError::Tls(reason) => ClientError::CaCertificate {
                path: ca_file.to_path_buf(),
                reason,
            },
            other => other,
        })
    }

    fn with_roots(
        limits: Limits,
        extra: Vec<CertificateDer<'static>>,
    ) -> Result<Client, ClientError> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for certificate in extra {
            roots
                .add(certificate)
                .map_err(|e| ClientError::Tls(e.to_string()))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| ClientError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(limits.connect_timeout));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Client {
            pool: Pool::builder(TokioExecutor::new())
                .pool_max_idle_per_host(limits.max_idle_per_host)
                .pool_idle_timeout(limits.idle_timeout)
                .build(https),
            limits,
            user_agent: concat!("vnfeed-check/", env!("CARGO_PKG_VERSION")).into(),
        })
    }

    /// The same client, sending another User-Agent.
    pub fn user_agent(mut self, user_agent: &str) -> Client {
        self.user_agent = user_agent.into();
        self
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// GETs `url` with `headers`, following redirects, within [`Limits`].
    pub async fn get(
        &self,
        url: &str,
        headers: &[(HeaderName, &str)],
    ) -> Result<Fetched, FetchError> {
        let start = parse(url)?;
        let limit = self.limits.timeout;
        tokio::time::timeout(limit, self.follow(start, headers))
            .await
            .map_err(|_| FetchError::Timeout {
                url: url.to_string(),
                limit,
            })?
    }

    async fn follow(
        &self,
        mut url: Url,
        headers: &[(HeaderName, &str)],
    ) -> Result<Fetched, FetchError> {
        let mut redirects = Vec::new();
        loop {
            let mut request = Request::builder().method(Method::GET).uri(url.as_str());
            for (name, value) in headers {
                request = request.header(name, *value);
            }
            let request = request
                .body(Full::default())
                .map_err(|e| FetchError::BadUrl {
                    url: url.to_string(),
                    reason: e.to_string(),
                })?;
            let response = self.exchange(&url, request).await?;
            let status = response.status();
            let location = response
                .headers()
                .get(LOCATION)
                .map(|l| String::from_utf8_lossy(l.as_bytes()).trim().to_string());
            match (status.is_redirection(), location) {
                (true, Some(location)) if status != StatusCode::NOT_MODIFIED => {
                    if redirects.len() == self.limits.max_redirects {
                        return Err(FetchError::TooManyRedirects {
                            url: url.to_string(),
                            limit: self.limits.max_redirects,
                        });
                    }
                    let bad = || FetchError::BadRedirect {
                        url: url.to_string(),
                        status,
                        location: location.clone(),
                    };
                    let next = url.join(&location).map_err(|_| bad())?;
                    if !matches!(next.scheme(), "http" | "https") {
                        return Err(bad());
                    }
                    redirects.push(Redirect {
                        from: url.to_string(),
                        to: next.to_string(),
                        status,
                    });
                    url = next;
                }
                _ => {
                    let (parts, body) = response.into_parts();
                    return Ok(Fetched {
                        body: self.read_body(&url, body).await?,
                        url,
                        status: parts.status,
                        headers: parts.headers,
                        redirects,
                    });
                }
            }
        }
    }

    /// Sends one request as it is (no redirects), within the time and size limits: the
    /// entry point for callers that POST, such as a WebSub publisher.
    pub async fn send(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<http::Response<Bytes>, FetchError> {
        let url = parse(&request.uri().to_string())?;
        let limit = self.limits.timeout;
        let exchange = async {
            let response = self.exchange(&url, request).await?;
            let (parts, body) = response.into_parts();
            let body = self.read_body(&url, body).await?;
            Ok(http::Response::from_parts(parts, body))
        };
        tokio::time::timeout(limit, exchange)
            .await
            .map_err(|_| FetchError::Timeout {
                url: url.to_string(),
                limit,
            })?
    }

    async fn exchange(
        &self,
        url: &Url,
        mut request: Request<Full<Bytes>>,
    ) -> Result<http::Response<hyper::body::Incoming>, FetchError> {
        if !request.headers().contains_key(USER_AGENT) {
            let agent = http::HeaderValue::from_str(&self.user_agent)
                .unwrap_or_else(|_| http::HeaderValue::from_static("vnfeed-check"));
            request.headers_mut().insert(USER_AGENT, agent);
        }
        self.pool
            .request(request)
            .await
            .map_err(|e| connect_error(url, &e))
    }

    async fn read_body(&self, url: &Url, body: hyper::body::Incoming) -> Result<Bytes, FetchError> {
        let limit = self.limits.max_body;
        match Limited::new(body, limit).collect().await {
            Ok(collected) => Ok(collected.to_bytes()),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(FetchError::TooLarge {
                url: url.to_string(),
                limit,
            }),
            Err(e) => Err(FetchError::Body {
                url: url.to_string(),
                reason: chain(e.as_ref()),
            }),
        }
    }
}

fn parse(url: &str) -> Result<Url, FetchError> {
    let parsed = Url::parse(url).map_err(|e| FetchError::BadUrl {
        url: url.to_string(),
        reason: e.to_string(),
    })?;
    match parsed.scheme() {
        "http" | "https" => Ok(parsed),
        other => Err(FetchError::Scheme {
            url: url.to_string(),
            scheme: other.to_string(),
        }),
    }
}

/// A certificate problem is told apart from other failures, since its fix is different
/// (renew the certificate, send the chain, or trust a private CA).
fn connect_error(url: &Url, e: &hyper_util::client::legacy::Error) -> FetchError {
    match rustls_error(e) {
        Some(rustls::Error::InvalidCertificate(why)) => FetchError::Certificate {
            url: url.to_string(),
            reason: certificate_reason(why),
        },
        _ => FetchError::Connect {
            url: url.to_string(),
            reason: chain(e),
        },
    }
}

/// The TLS error under `e`, if any: hyper-rustls wraps it in an `io::Error` inside another,
/// and `io::Error::source` skips the error it wraps, so each is unwrapped by hand.
fn rustls_error<'e>(e: &'e (dyn std::error::Error + 'static)) -> Option<&'e rustls::Error> {
    if let Some(tls) = e.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    if let Some(inner) = e
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
    {
        let inner: &(dyn std::error::Error + 'static) = inner;
        if let Some(tls) = rustls_error(inner) {
            return Some(tls);
        }
    }
    e.source().and_then(rustls_error)
}

fn certificate_reason(why: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    match why {
        C::UnknownIssuer => "the certificate is not signed by a trusted authority (self-signed, \
                             a private CA, or an incomplete chain)"
            .to_string(),
        C::Expired | C::ExpiredContext { .. } => "the certificate has expired".to_string(),
        C::NotValidYet | C::NotValidYetContext { .. } => {
            "the certificate is not valid yet".to_string()
        }
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "the certificate is not valid for this host name".to_string()
        }
        C::Revoked => "the certificate has been revoked".to_string(),
        other => format!("{other:?}"),
    }
}

/// An error with its causes, since the outermost message is often just "client error".
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
