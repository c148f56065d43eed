//! The backends every store, import, feed and HTTP test runs against: a fresh SQLite file,
//! and a fresh database on the PostgreSQL cluster named by `VNFEED_TEST_PG` (which
//! `.ci/run` starts). `on_both_backends!` turns one test function into `NAME::sqlite` and
//! `NAME::postgres`; without a cluster the second says plainly that it was skipped.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use tempfile::TempDir;
use vnfeed::config::StoreLocation;
use vnfeed::store::{MigrateStore, Store};

/// The admin URL of the test cluster (its `postgres` database).
pub const PG_ENV: &str = "VNFEED_TEST_PG";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// One test's store, empty at the start, and a temp directory for its files.
pub struct Backend {
    pub kind: Kind,
    /// What `--store` gets: a file path or a `postgresql://` URL.
    pub location: String,
    dir: TempDir,
    /// The database to drop at the end (PostgreSQL).
    database: Option<(String, String)>,
}

impl Backend {
    pub fn sqlite() -> Backend {
        let dir = super::tempdir();
        let location = dir.path().join("vnfeed.db").display().to_string();
        Backend {
            kind: Kind::Sqlite,
            location,
            dir,
            database: None,
        }
    }

    /// A new database named after `test` on the test cluster, or `None` (after saying so on
    /// the terminal) when no cluster is configured.
    pub async fn postgres(test: &str) -> Option<Backend> {
        let admin = pg_admin_url(test)?;
        Some(Backend::postgres_on(&admin, test).await)
    }

    /// A new database named after `test` on the cluster whose admin URL is `admin`.
    pub async fn postgres_on(admin: &str, test: &str) -> Backend {
        let admin = admin.to_string();
        let name = database_name(test);
        let client = admin_client(&admin).await;
        // One statement per call: CREATE DATABASE refuses to run inside a transaction, and a
        // multi-statement batch is one.
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            client
                .batch_execute(&sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        }
        Backend {
            kind: Kind::Postgres,
            location: with_database(&admin, &name),
            dir: super::tempdir(),
            database: Some((admin, name)),
        }
    }

    /// Another empty store of the same kind, for a test that needs more than one.
    pub async fn fresh(&self, name: &str) -> Backend {
        match &self.database {
            None => Backend::sqlite(),
            Some((admin, first)) => Backend::postgres_on(admin, &format!("{first}_{name}")).await,
        }
    }

    /// A new handle on this test's store, as another process would open it.
    pub async fn open(&self) -> Arc<dyn Store> {
        let location = StoreLocation::parse(&self.location).unwrap();
        vnfeed::app::open_store(&location)
            .await
            .unwrap_or_else(|e| panic!("{:?} store opens: {e}", self.kind))
    }

    /// [`Backend::open`] with the verbatim copy of `vnfeed migrate` (and its count of every
    /// stored article).
    pub async fn open_for_copy(&self) -> Arc<dyn MigrateStore> {
        let location = StoreLocation::parse(&self.location).unwrap();
        vnfeed::app::open_for_copy(&location)
            .await
            .unwrap_or_else(|e| panic!("{:?} store opens: {e}", self.kind))
    }

    /// A directory of this test's own, for input files and the like.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Drops the test's database, so a long-lived cluster does not fill up. Runs on a thread of
/// its own because the test's runtime may be shutting down.
impl Drop for Backend {
    fn drop(&mut self) {
        let Some((admin, name)) = self.database.take() else {
            return;
        };
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let client = admin_client(&admin).await;
                client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            let _ = writeln!(std::io::stderr(), "note: test database not dropped: {e}");
        }
    }
}

/// The cluster's admin URL, or `None` after printing why the PostgreSQL run is skipped.
/// Written straight to the terminal: the test harness would swallow an `eprintln!`.
pub fn pg_admin_url(test: &str) -> Option<String> {
    match std::env::var(PG_ENV) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED (no PostgreSQL): {test} on PostgreSQL: {PG_ENV} is not set \
                 (.ci/run starts a throwaway cluster and sets it)"
            );
            None
        }
    }
}

async fn admin_client(admin: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(admin, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("{PG_ENV} is set but the cluster does not answer: {e}"));
    tokio::spawn(connection);
    client
}

/// A database name unique to this test and process, within PostgreSQL's 63 bytes: the
/// start of the test's name for people, a hash of all of it for uniqueness.
fn database_name(test: &str) -> String {
    let clean: String = test
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(32)
        .collect();
    // FNV-1a: stable across runs and Rust versions, unlike `DefaultHasher`.
    let hash = test.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!(
        "t_{}_{:08x}_{}",
        clean.to_ascii_lowercase(),
        hash as u32,
        std::process::id()
    )
}

/// `admin` with its database replaced by `name`.
pub fn with_database(admin: &str, name: &str) -> String {
    let mut url = url::Url::parse(admin).expect("the test cluster URL parses");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// Runs one test function, written once, against each backend as its own test.
#[allow(unused_macros)]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::common::Backend::sqlite()).await
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(backend) = $crate::common::Backend::postgres(module_path!()).await {
                    super::$name(backend).await
                }
            }
        }
    )*};
}
pub(crate) use on_both_backends;
