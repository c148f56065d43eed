//! WebSub against a small hub the test runs itself on 127.0.0.1: the feeds name the hub, a
//! write pings it once per changed feed (and only those), failures are retried with backoff,
//! a refusal is not, and a hub that never answers delays neither writes nor requests.

mod common;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use vnfeed::model::Draft;
use vnfeed::render::Site;
use vnfeed::websub::{Publisher, Retry};

/// What the hub answers: `fail_first` 503s for each topic, then 204; or always `status`;
/// or never.
#[derive(Clone, Copy)]
enum Behaviour {
    FailFirst(usize),
    Always(u16),
    Hang,
}

/// One request as the hub saw it.
#[derive(Debug, Clone)]
struct Ping {
    content_type: String,
    form: Vec<(String, String)>,
}

#[derive(Clone)]
struct Hub {
    url: String,
    pings: Arc<Mutex<Vec<Ping>>>,
}

impl Hub {
    async fn start(behaviour: Behaviour) -> Hub {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hub", listener.local_addr().unwrap());
        let pings: Arc<Mutex<Vec<Ping>>> = Arc::default();
        let seen = Arc::clone(&pings);
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let seen = Arc::clone(&seen);
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let seen = Arc::clone(&seen);
                    async move {
                        let content_type = req
                            .headers()
                            .get("content-type")
                            .map(|v| v.to_str().unwrap().to_string())
                            .unwrap_or_default();
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        let form: Vec<(String, String)> = url::form_urlencoded::parse(&body)
                            .map(|(k, v)| (k.into_owned(), v.into_owned()))
                            .collect();
                        let topic = form
                            .iter()
                            .find(|(k, _)| k == "hub.url")
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default();
                        let tries_before = {
                            let mut seen = seen.lock().unwrap();
                            let n = seen
                                .iter()
                                .filter(|p: &&Ping| p.form.iter().any(|(_, v)| *v == topic))
                                .count();
                            seen.push(Ping { content_type, form });
                            n
                        };
                        let status = match behaviour {
                            Behaviour::FailFirst(n) if tries_before < n => 503,
                            Behaviour::FailFirst(_) => 204,
                            Behaviour::Always(status) => status,
                            Behaviour::Hang => {
                                std::future::pending::<()>().await;
                                unreachable!()
                            }
                        };
                        Ok::<_, Infallible>(
                            Response::builder()
                                .status(StatusCode::from_u16(status).unwrap())
                                .body(Full::new(Bytes::new()))
                                .unwrap(),
                        )
                    }
                });
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Hub { url, pings }
    }

    fn pings(&self) -> Vec<Ping> {
        self.pings.lock().unwrap().clone()
    }

    /// Requests per topic so far.
    fn per_topic(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for ping in self.pings() {
            let topic = ping
                .form
                .iter()
                .find(|(k, _)| k == "hub.url")
                .unwrap()
                .1
                .clone();
            *out.entry(topic).or_default() += 1;
        }
        out
    }

    /// Waits (at most 20 s, a safety net, not a timing assertion) until `done` holds.
    async fn wait_for(&self, what: &str, done: impl Fn(&BTreeMap<String, usize>) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done(&self.per_topic()) {
            assert!(
                Instant::now() < deadline,
                "hub never saw {what}: {:?}",
                self.per_topic()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn border_draft(id: &str, title: &str) -> Draft {
    DraftBuilder::new(id, title)
        .summary("Đồn biên phòng tổ chức tuần tra chung với lực lượng bạn.")
        .paragraph("Hai bên tuần tra chung đoạn biên giới dài mười hai cây số.")
        .published_at("2026-11-20T02:00:00Z")
        .categories(&["borders"])
        .build()
}

#[tokio::test]
async fn a_write_pings_the_hub_for_each_changed_feed_with_retries() {
    let hub = Hub::start(Behaviour::FailFirst(2)).await;
    let backend = Backend::sqlite();
    let server = TestServer::start(
        &backend,
        &[
            "--hub",
            &hub.url,
            "--hub-backoff-ms",
            "10",
            "--hub-attempts",
            "4",
        ],
    )
    .await;

    // Every subscription document names the hub; older pages and archives do not.
    let rss = fetch_ok(&server, "/feeds/borders.rss").await;
    let channel = rss::Channel::read_from(&rss[..]).unwrap();
    let hub_links: Vec<_> = channel
        .atom_ext()
        .unwrap()
        .links()
        .iter()
        .filter(|l| l.rel() == "hub")
        .map(|l| l.href().to_string())
        .collect();
    assert_eq!(hub_links, std::slice::from_ref(&hub.url));
    let atom = fetch_ok(&server, "/feeds/borders.atom").await;
    let feed = atom_syndication::Feed::read_from(&atom[..]).unwrap();
    assert!(
        feed.links()
            .iter()
            .any(|l| l.rel() == "hub" && l.href() == hub.url)
    );
    assert!(
        feed.links()
            .iter()
            .any(|l| l.rel() == "self" && l.href() == format!("{}/feeds/borders.atom", server.url))
    );
    let json: serde_json::Value =
        serde_json::from_slice(&fetch_ok(&server, "/feeds/borders.json").await).unwrap();
    assert_eq!(
        json["hubs"],
        serde_json::json!([{"type": "WebSub", "url": hub.url}])
    );
    let archive = fetch_ok(&server, "/feeds/borders/archive/1.atom").await;
    assert!(!String::from_utf8(archive).unwrap().contains("rel=\"hub\""));
    assert!(hub.pings().is_empty(), "starting up is not a change");

    // A border article changes `borders` and `all`, in each format: six topics.
    let store = backend.open().await;
    let write = || async {
        let draft = border_draft("tuan-tra-chung", "Tuần tra chung trên biên giới");
        store.upsert(vec![draft], Utc::now()).await.unwrap();
    };
    write().await;
    let base = server.url.clone();
    let expected: Vec<String> = ["all", "borders"]
        .iter()
        .flat_map(|slug| {
            let base = base.clone();
            ["atom", "json", "rss"]
                .iter()
                .map(move |ext| format!("{base}/feeds/{slug}.{ext}"))
        })
        .collect();
    hub.wait_for("three tries of six topics", |seen| {
        seen.len() == 6 && seen.values().all(|n| *n >= 3)
    })
    .await;
    // Give a stray seventh ping a moment to arrive before counting exactly.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let seen = hub.per_topic();
    assert_eq!(seen.keys().cloned().collect::<Vec<_>>(), expected);
    assert!(
        seen.values().all(|n| *n == 3),
        "two 503s, then the 204 ends it: {seen:?}"
    );
    for ping in hub.pings() {
        assert_eq!(ping.content_type, "application/x-www-form-urlencoded");
        assert_eq!(ping.form.len(), 2, "{:?}", ping.form);
        assert_eq!(ping.form[0], ("hub.mode".into(), "publish".into()));
        assert_eq!(ping.form[1].0, "hub.url");
    }
    // A write that changes nothing pings nobody.
    write().await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(hub.pings().len(), 18);
    server.stop().await;
}

async fn fetch_ok(server: &TestServer, path: &str) -> Vec<u8> {
    let resp = server.get_with(path, &[]).await;
    assert_eq!(resp.status(), 200, "{path}");
    resp.bytes().await.unwrap().to_vec()
}

fn publisher(hub: &Hub, attempts: u32) -> Publisher {
    let site = Arc::new(Site::new("http://127.0.0.1:9", "Báo Thử"));
    Publisher::new(
        &hub.url,
        site,
        Retry {
            attempts,
            backoff: Duration::from_millis(5),
        },
    )
}

#[tokio::test]
async fn a_refusal_is_not_retried_and_an_outage_is_retried_until_the_last_attempt() {
    let refusing = Hub::start(Behaviour::Always(400)).await;
    assert!(
        !publisher(&refusing, 5)
            .publish("http://127.0.0.1:9/feeds/all.rss")
            .await
    );
    assert_eq!(refusing.pings().len(), 1, "a 400 cannot get better");

    let failing = Hub::start(Behaviour::Always(500)).await;
    assert!(
        !publisher(&failing, 3)
            .publish("http://127.0.0.1:9/feeds/all.rss")
            .await
    );
    assert_eq!(failing.pings().len(), 3);

    // Nobody listening at all: connection refused, each attempt made, then it gives up.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hub", l.local_addr().unwrap())
    };
    let gone = Hub {
        url: closed,
        pings: Arc::default(),
    };
    assert!(
        !publisher(&gone, 2)
            .publish("http://127.0.0.1:9/feeds/all.rss")
            .await
    );
    let ok = Hub::start(Behaviour::FailFirst(0)).await;
    assert!(
        publisher(&ok, 1)
            .publish("http://127.0.0.1:9/feeds/all.rss")
            .await
    );
}

#[tokio::test]
async fn a_hub_that_never_answers_delays_neither_writes_nor_readers() {
    let hub = Hub::start(Behaviour::Hang).await;
    let backend = Backend::sqlite();
    let server = TestServer::start(&backend, &["--hub", &hub.url]).await;
    let store = backend.open().await;
    store
        .upsert(
            vec![border_draft("doi-bien-phong", "Đồn biên phòng đón khách")],
            Utc::now(),
        )
        .await
        .unwrap();
    hub.wait_for("the pings", |seen| seen.len() == 6).await;
    // The pings hang; the new article is served all the same.
    let rss = fetch_ok(&server, "/feeds/borders.rss").await;
    let channel = rss::Channel::read_from(&rss[..]).unwrap();
    assert_eq!(channel.items()[0].title(), Some("Đồn biên phòng đón khách"));
    store
        .upsert(
            vec![border_draft("doi-bien-phong-2", "Đồn biên phòng trồng cây")],
            Utc::now(),
        )
        .await
        .unwrap();
    hub.wait_for("the second write's pings", |seen| {
        seen.values().sum::<usize>() == 12
    })
    .await;
    server.stop().await;
}
