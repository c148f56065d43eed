//! The container (issue 12 §8), as far as it runs without Docker: the image's runtime as the
//! Dockerfile sets it (its `ENV`, an empty working directory, no `--feeds`) serving the
//! samples; its health check script against a healthy server, a closed port and a failing
//! `/healthz`; and nginx's own `nginx -t` on both nginx configurations (skipped, saying so,
//! where nginx is not installed). Building and running the image itself needs a Docker
//! daemon, which the test machine does not have.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The `ENV` lines of the Dockerfile, as (name, value).
fn dockerfile_env() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let joined = text.replace("\\\n", " ");
    let line = joined
        .lines()
        .find(|l| l.starts_with("ENV "))
        .expect("the Dockerfile sets ENV");
    line["ENV ".len()..]
        .split_whitespace()
        .map(|pair| {
            let (k, v) = pair.split_once('=').expect("ENV NAME=value");
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn healthcheck(addr: &str) -> (bool, String) {
    let out = Command::new("bash")
        .arg(repo().join("deploy/docker/healthcheck.sh"))
        .env("VNFEED_ADDR", addr)
        .output()
        .expect("bash runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn the_image_s_environment_serves_the_samples_and_its_health_check_passes() {
    let env = dockerfile_env();
    let get = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(get("VNFEED_ADDR").as_deref(), Some("0.0.0.0:8080"));
    let store = get("VNFEED_STORE").unwrap();
    assert!(
        store.starts_with("/var/lib/vnfeed/"),
        "{store}: in the volume"
    );
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    for line in [
        "VOLUME [\"/var/lib/vnfeed\"]",
        "EXPOSE 8080",
        "USER 10001:10001",
        "COPY deploy/docker/healthcheck.sh /usr/local/bin/vnfeed-healthcheck",
        "CMD [\"/usr/local/bin/vnfeed-healthcheck\"]",
    ] {
        assert!(dockerfile.contains(line), "{line}");
    }

    // The image's settings, but the store in a temp directory and port 0 (any free port on
    // every address, as the image listens), run from an empty working directory.
    let dir = TempDir::new().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let db = dir.path().join("vnfeed.db");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vnfeed"));
    cmd.arg("serve")
        .current_dir(&work)
        .env("VNFEED_ADDR", "0.0.0.0:0")
        .env("VNFEED_STORE", &db)
        .env("VNFEED_LOG_FORMAT", get("VNFEED_LOG_FORMAT").unwrap());
    let server = ServeProcess::start_command(cmd).unwrap_or_else(|log| panic!("{log}"));
    let port = server.url.rsplit(':').next().unwrap().to_string();
    assert!(
        server.log().starts_with('{'),
        "JSON log lines: {}",
        server.log()
    );
    // Links name localhost, not 0.0.0.0.
    let url = format!("http://127.0.0.1:{port}");
    let rss = client()
        .get(format!("{url}/feeds/all.rss"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let channel = rss::Channel::read_from(rss.as_bytes()).unwrap();
    assert_eq!(channel.link(), format!("http://localhost:{port}/"));
    assert!(channel.items().len() >= 10, "the samples");

    let (healthy, said) = healthcheck(&format!("0.0.0.0:{port}"));
    assert!(healthy, "{said}");
    drop(server);
    let (healthy, said) = healthcheck(&format!("0.0.0.0:{port}"));
    assert!(!healthy);
    assert!(said.contains("nothing listens"), "{said}");
}

#[tokio::test]
async fn the_health_check_fails_on_anything_but_200_and_on_a_bad_address() {
    // A server whose /healthz answers 503, as vnfeed does before its first render.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        // The whole head first, as a server does: answering after part of it would close
        // the connection under a client still writing.
        let mut request = Vec::new();
        let mut chunk = [0; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the request ended early");
            request.extend_from_slice(&chunk[..n]);
        }
        socket
            .write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n")
            .await
            .unwrap();
        String::from_utf8_lossy(&request).into_owned()
    });
    let addr = format!("0.0.0.0:{port}");
    let (healthy, said) = tokio::task::spawn_blocking(move || healthcheck(&addr))
        .await
        .unwrap();
    assert!(!healthy);
    assert!(
        said.contains("answered 'HTTP/1.1 503 Service Unavailable'"),
        "{said}"
    );
    let request = server.await.unwrap();
    assert!(
        request.starts_with("GET /healthz HTTP/1.1\r\n"),
        "{request}"
    );
    let (healthy, said) = healthcheck("0.0.0.0:http");
    assert!(!healthy);
    assert!(said.contains("no port"), "{said}");
}

/// `nginx -t` on a configuration meant for `http { }`, in a private prefix; `upstreams`
/// replaces host names that only resolve inside compose's network.
fn nginx_t(conf: &Path, upstreams: &[(&str, &str)]) -> Result<(), String> {
    let dir = TempDir::new().unwrap();
    let mut text = std::fs::read_to_string(conf).unwrap();
    for (from, to) in upstreams {
        assert!(text.contains(from), "{from} in {}", conf.display());
        text = text.replace(from, to);
    }
    let cache = dir.path().join("cache");
    text = text
        .replace("/var/cache/nginx/vnfeed", cache.to_str().unwrap())
        .replace("listen 80", "listen 127.0.0.1:18979");
    std::fs::write(dir.path().join("vnfeed.conf"), text).unwrap();
    let main = format!(
        "pid {dir}/nginx.pid;\nerror_log {dir}/error.log;\nevents {{}}\n\
         http {{\n  access_log off;\n  include {dir}/vnfeed.conf;\n}}\n",
        dir = dir.path().display()
    );
    std::fs::write(dir.path().join("nginx.conf"), main).unwrap();
    let out = Command::new("nginx")
        .arg("-t")
        .arg("-p")
        .arg(dir.path())
        .arg("-c")
        .arg(dir.path().join("nginx.conf"))
        .output()
        .map_err(|e| e.to_string())?;
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() && said.contains("test is successful") {
        Ok(())
    } else {
        Err(said)
    }
}

#[test]
fn both_nginx_configurations_pass_nginx_t() {
    if Command::new("nginx").arg("-v").output().is_err() {
        println!("SKIPPED: nginx is not installed here; `nginx -t` was not run");
        return;
    }
    nginx_t(&repo().join("deploy/nginx.conf"), &[]).unwrap_or_else(|e| panic!("{e}"));
    nginx_t(
        &repo().join("deploy/compose/nginx.conf"),
        &[
            ("server vnfeed1:8080", "server 127.0.0.1:18081"),
            ("server vnfeed2:8080", "server 127.0.0.1:18082"),
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // The compose file routes nginx to the replicas the configuration names.
    let compose = std::fs::read_to_string(repo().join("compose.yaml")).unwrap();
    for name in [
        "vnfeed1:",
        "vnfeed2:",
        "./deploy/compose/nginx.conf:/etc/nginx/conf.d/",
    ] {
        assert!(compose.contains(name), "{name} in compose.yaml");
    }
}
