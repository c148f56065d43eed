//! A PostgreSQL cluster of one test's own, for tests that stop and start the server (an
//! outage) without disturbing the shared cluster the other tests use. Made by
//! `tests/support/pg-cluster`, as `.ci/run` makes the shared one.

use std::path::PathBuf;

use tempfile::TempDir;

pub struct PrivateCluster {
    /// The admin URL (database `postgres`).
    pub url: String,
    data: PathBuf,
    running: bool,
    _dir: TempDir,
}

impl PrivateCluster {
    /// Creates and starts a cluster, or `None` (saying so) where the PostgreSQL tests do not
    /// run: the shared cluster's variable is the sign that the server binaries are here.
    pub async fn start(test: &str) -> Option<PrivateCluster> {
        super::pg_admin_url(test)?;
        let dir = super::tempdir();
        let data = dir.path().join("cluster");
        let out = pg_cluster(&["init", data.to_str().unwrap()]).await;
        let url = String::from_utf8(out).unwrap().trim().to_string();
        Some(PrivateCluster {
            url,
            data,
            running: true,
            _dir: dir,
        })
    }

    /// Stops the server the way an outage would: open connections are cut.
    pub async fn stop(&mut self) {
        pg_cluster(&["stop", self.data.to_str().unwrap()]).await;
        self.running = false;
    }

    pub async fn restart(&mut self) {
        pg_cluster(&["start", self.data.to_str().unwrap()]).await;
        self.running = true;
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        if self.running {
            let _ = std::process::Command::new(script())
                .args(["stop", self.data.to_str().unwrap()])
                .status();
        }
    }
}

fn script() -> PathBuf {
    super::repo().join("tests/support/pg-cluster")
}

async fn pg_cluster(args: &[&str]) -> Vec<u8> {
    let out = tokio::process::Command::new(script())
        .args(args)
        .output()
        .await
        .expect("tests/support/pg-cluster runs");
    assert!(
        out.status.success(),
        "pg-cluster {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
