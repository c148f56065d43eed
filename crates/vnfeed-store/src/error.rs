//! What can go wrong in a store, typed: which store (its file or its URL, never a password:
//! [`redact`]), which article and field, and whether the failure is the store's (worth a
//! retry later) or the request's. `DbError` is the same inside a backend, before it knows
//! where it is.

use tokio_postgres::error::SqlState;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("SQLite store {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("PostgreSQL store {target}: {}", describe(source))]
    Postgres {
        /// The URL without its password.
        target: String,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error("PostgreSQL store {target} is unreachable: {message}")]
    Unreachable { target: String, message: String },
    #[error("store {path}: schema version {found} is newer than this vnfeed knows ({known})")]
    SchemaTooNew {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("stored article `{id}` has a bad `{field}`: {message}")]
    Corrupt {
        id: String,
        field: &'static str,
        message: String,
    },
    #[error("store task failed: {0}")]
    Task(String),
    /// The write contradicts what is stored, e.g. its `url` belongs to another article.
    #[error("field `{field}`: {message}")]
    Conflict {
        field: &'static str,
        message: String,
    },
}

impl StoreError {
    /// False for a write the store refused on its merits (a conflict the client must fix):
    /// that is an answer, not a failure of the store.
    pub fn is_failure(&self) -> bool {
        !matches!(self, StoreError::Conflict { .. })
    }

    /// True when the store could not be reached or went away mid-request (a retry later may
    /// succeed), as opposed to a request it refused or data it could not read.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Unreachable { .. } => true,
            StoreError::Postgres { source, .. } => is_connection_error(source),
            StoreError::Sqlite { source, .. } => matches!(
                source.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            ),
            _ => false,
        }
    }
}

/// An error inside a backend's transaction or blocking call, before the backend attaches
/// where it happened (the file or the database): the driver's error `E`, or a refusal or
/// corrupt row already typed.
pub(crate) enum DbError<E> {
    Sql(E),
    Store(StoreError),
}

impl<E> From<E> for DbError<E> {
    fn from(e: E) -> Self {
        DbError::Sql(e)
    }
}

impl From<StoreError> for DbError<tokio_postgres::Error> {
    fn from(e: StoreError) -> Self {
        DbError::Store(e)
    }
}

/// True for errors that mean the server is gone or refusing connections (down, restarting,
/// shutting down, out of connection slots), not that it rejected the statement.
pub fn is_connection_error(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.code() {
        // No SQLSTATE: an I/O error or a timeout on the way to the server.
        None => true,
        Some(code) => {
            let class = &code.code()[..2];
            // 08: connection exception; 57: operator intervention (shutdown, restart);
            // 53: insufficient resources (too many connections).
            matches!(class, "08" | "57" | "53") || *code == SqlState::CANNOT_CONNECT_NOW
        }
    }
}

/// The driver's error with what it wraps: its own `Display` says only "db error" or
/// "error connecting to server".
pub fn describe(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} {}: {}", db.severity(), db.code().code(), db.message());
    }
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// A store URL fit for logs and errors: its password (in the user info or a `password` query
/// parameter) replaced by `***`.
pub fn redact(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return "(an unparsable URL)".to_string();
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    if parsed.query_pairs().any(|(k, _)| k == "password") {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "password" { "***".into() } else { v };
                (k.into_owned(), v.into_owned())
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}
