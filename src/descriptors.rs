//! The process's file-descriptor budget. At start-up `serve` raises the soft `RLIMIT_NOFILE`
//! to the hard limit, and refuses to run if `--max-connections` plus [`RESERVED`] does not
//! fit under it: past the limit `accept` fails, and a client waits in the backlog with no
//! answer at all, instead of the 503 the connection limit gives.

/// Descriptors kept for everything but client connections; each part is bounded where it
/// is owned, so this sum holds whatever clients do.
pub const RESERVED: u64 = PROCESS
    + STORE
    + crate::websub::CONCURRENT_PINGS as u64
    + crate::media::OPEN_FILES as u64
    + crate::http::REFUSING as u64;

/// Standard streams, the listener, tokio's epoll and wake-up descriptors, signal pipes, the
/// token file being read, and slack for the libraries (DNS, TLS roots).
const PROCESS: u64 = 32;

/// SQLite's database, WAL and shared-memory files per connection, or the PostgreSQL pool
/// (8) and its change listener; with room for a reader pool.
const STORE: u64 = 32;

/// What start-up found and set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The soft limit before it was raised.
    pub was: u64,
    /// The soft limit now (the hard one).
    pub soft: u64,
    pub hard: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum DescriptorError {
    #[error("cannot read or raise the open-file limit (RLIMIT_NOFILE): {0}")]
    Limit(#[source] std::io::Error),
    #[error(
        "the open-file limit is {limit} (hard limit {hard}), which cannot hold \
         --max-connections {max_connections} plus {reserved} descriptors kept for the store, \
         hub pings and media: raise LimitNOFILE (ulimit -n) to at least {needed}, or set \
         --max-connections {fits} or lower"
    )]
    TooLow {
        limit: u64,
        hard: u64,
        max_connections: u64,
        reserved: u64,
        needed: u64,
        fits: u64,
    },
}

/// Raises the soft descriptor limit to the hard one, and checks that `max_connections`
/// client connections and [`RESERVED`] fit under it.
pub fn raise_and_check(max_connections: usize) -> Result<Budget, DescriptorError> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct they are given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(DescriptorError::Limit(std::io::Error::last_os_error()));
    }
    let was = lim.rlim_cur;
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: lim.rlim_max,
            rlim_max: lim.rlim_max,
        };
        // SAFETY: as above.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
            return Err(DescriptorError::Limit(std::io::Error::last_os_error()));
        }
        lim = raised;
    }
    let budget = Budget {
        was,
        soft: lim.rlim_cur,
        hard: lim.rlim_max,
    };
    check(budget, max_connections as u64)?;
    Ok(budget)
}

/// Whether `max_connections` and the reserve fit under the budget's soft limit.
fn check(budget: Budget, max_connections: u64) -> Result<(), DescriptorError> {
    let needed = max_connections.saturating_add(RESERVED);
    if needed <= budget.soft {
        return Ok(());
    }
    Err(DescriptorError::TooLow {
        limit: budget.soft,
        hard: budget.hard,
        max_connections,
        reserved: RESERVED,
        needed,
        fits: budget.soft.saturating_sub(RESERVED),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserve_must_fit_beside_the_connections() {
        let budget = |soft| Budget {
            was: 1024,
            soft,
            hard: soft,
        };
        assert!(check(budget(1024 + RESERVED), 1024).is_ok());
        let err = check(budget(1024), 1024).unwrap_err().to_string();
        assert!(
            err.contains(&format!(
                "limit is 1024 (hard limit 1024), which cannot hold --max-connections 1024 \
                 plus {RESERVED} descriptors"
            )),
            "{err}"
        );
        assert!(
            err.contains(&format!("--max-connections {} or lower", 1024 - RESERVED)),
            "{err}"
        );
    }
}
