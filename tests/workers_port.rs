//! `--workers N` binds its listeners with `SO_REUSEPORT`; a server already on the port must
//! still make a second one fail at start. Its own test binary: `tests/workers.rs` counts the
//! process's worker threads, which a server here would add to.

mod common;

use clap::Parser;
use common::*;
use vnfeed::app::Server;
use vnfeed::config::{Cli, Command};

/// A second server with `--workers` on a port already served must fail to start, as one
/// without `--workers` does, rather than join the first's `SO_REUSEPORT` group and take some
/// of its connections.
#[tokio::test]
async fn a_second_server_on_a_taken_port_is_refused_with_workers_too() {
    let backend = Backend::sqlite();
    let first = TestServer::start(&backend, &["--workers", "2"]).await;
    let addr = first.url.trim_start_matches("http://").to_string();
    for workers in ["2", "0"] {
        let other = Backend::sqlite();
        let argv = [
            "vnfeed",
            "serve",
            "--addr",
            &addr,
            "--store",
            &other.location,
            "--workers",
            workers,
        ];
        let Command::Serve(args) = Cli::try_parse_from(argv).unwrap().command else {
            unreachable!()
        };
        let err = match Server::prepare(&args).await {
            Ok(_) => panic!("a second server (--workers {workers}) started on {addr}"),
            Err(e) => e,
        };
        let source =
            std::error::Error::source(&err).and_then(|s| s.downcast_ref::<std::io::Error>());
        assert_eq!(
            source.map(std::io::Error::kind),
            Some(std::io::ErrorKind::AddrInUse),
            "--workers {workers}: {err}"
        );
    }
    // The first server still answers every connection.
    for _ in 0..8 {
        assert_eq!(first.get_with("/healthz", &[]).await.status(), 200);
    }
    first.stop().await;
}
