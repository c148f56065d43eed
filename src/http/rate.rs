//! Per-client rate limits on the anonymous GETs the cache does not answer (older pages of a
//! feed, archive pages, media files, article pages): one client looping over them could
//! otherwise keep the store and the renderer busy for everyone. Each client gets a token
//! bucket (governor's GCRA) and is answered 429 with `Retry-After` once it is empty.
//!
//! A client is an IPv4 address or an IPv6 /64 (one subscriber's allocation, which one
//! attacker can spread over at will). The table of clients is bounded: once it holds
//! [`RateSettings::max_clients`], clients whose bucket has refilled (who look new anyway) are
//! dropped, and if it is still full, every client not in it shares one overflow bucket, so
//! many addresses buy an attacker no more than one. Loopback clients are not limited unless
//! asked (local use, tests, and a reverse proxy in front, whose clients all come from it).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, MonotonicClock};
use governor::nanos::Nanos;
use governor::state::keyed::ShrinkableKeyedStateStore;
use governor::state::{RateLimiter, StateStore};
use governor::{NotUntil, Quota};

/// `--client-rate`'s default: requests a second one client may make, sustained.
pub const DEFAULT_CLIENT_RATE: u32 = 10;

/// How fast one client may ask for what the cache does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateSettings {
    /// The time one request's token takes to come back (a tenth of a second is 10
    /// requests a second, sustained); `None` turns the limit off.
    pub every: Option<Duration>,
    /// Requests at once, after a quiet spell.
    pub burst: NonZeroU32,
    /// Clients remembered at once (about 40 bytes each).
    pub max_clients: usize,
    /// Whether loopback clients are limited too.
    pub loopback: bool,
}

impl RateSettings {
    /// The defaults, which `config::LimitArgs`' flags start from too.
    pub const DEFAULT: RateSettings = RateSettings {
        every: Some(Duration::from_nanos(
            1_000_000_000 / DEFAULT_CLIENT_RATE as u64,
        )),
        burst: NonZeroU32::new(60).expect("not zero"),
        max_clients: 65_536,
        loopback: false,
    };
}

impl Default for RateSettings {
    fn default() -> Self {
        RateSettings::DEFAULT
    }
}

/// The clients' buckets: a bounded table, plus one bucket shared by those it has no room for.
#[derive(Debug)]
struct Buckets {
    max: usize,
    table: Mutex<Table>,
}

#[derive(Debug, Default)]
struct Table {
    clients: HashMap<IpAddr, Nanos>,
    overflow: Option<Nanos>,
}

impl StateStore for Buckets {
    type Key = IpAddr;

    fn measure_and_replace<T, F, E>(&self, key: &IpAddr, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        let known = table.clients.get(key).copied();
        if known.is_none() && table.clients.len() >= self.max {
            let (outcome, next) = f(table.overflow)?;
            table.overflow = Some(next);
            return Ok(outcome);
        }
        let (outcome, next) = f(known)?;
        table.clients.insert(*key, next);
        Ok(outcome)
    }
}

impl ShrinkableKeyedStateStore<IpAddr> for Buckets {
    fn retain_recent(&self, drop_below: Nanos) {
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        table.clients.retain(|_, at| *at > drop_below);
        if table.overflow.is_some_and(|at| at <= drop_below) {
            table.overflow = None;
        }
    }

    fn len(&self) -> usize {
        let table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        table.clients.len()
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A full table is swept of refilled buckets at most this often: a sweep walks it all.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// The rate limit every uncached route shares.
pub struct ClientRate {
    settings: RateSettings,
    limiter: Option<RateLimiter<IpAddr, Buckets, MonotonicClock>>,
    clock: MonotonicClock,
    swept: Mutex<Instant>,
}

impl ClientRate {
    pub fn new(settings: RateSettings) -> ClientRate {
        let clock = MonotonicClock;
        let limiter = settings.every.and_then(Quota::with_period).map(|quota| {
            let buckets = Buckets {
                max: settings.max_clients,
                table: Mutex::default(),
            };
            RateLimiter::new(quota.allow_burst(settings.burst), buckets, clock.clone())
        });
        ClientRate {
            settings,
            limiter,
            clock,
            swept: Mutex::new(Instant::now()),
        }
    }

    /// Counts a request from `peer`: `Err` with how long to wait when its bucket is empty.
    pub fn check(&self, peer: IpAddr) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        let client = client_of(peer);
        if client.is_loopback() && !self.settings.loopback {
            return Ok(());
        }
        if limiter.len() >= self.settings.max_clients {
            self.sweep(limiter);
        }
        limiter
            .check_key(&client)
            .map(|_| ())
            .map_err(|wait: NotUntil<_>| wait.wait_time_from(self.clock.now()))
    }

    /// How many clients the table holds now.
    pub fn clients(&self) -> usize {
        self.limiter.as_ref().map_or(0, |l| l.len())
    }

    fn sweep(&self, limiter: &RateLimiter<IpAddr, Buckets, MonotonicClock>) {
        let mut swept = self.swept.lock().unwrap_or_else(|e| e.into_inner());
        if swept.elapsed() >= SWEEP_EVERY {
            *swept = Instant::now();
            limiter.retain_recent();
        }
    }
}

impl Default for ClientRate {
    fn default() -> Self {
        ClientRate::new(RateSettings::default())
    }
}

/// The client an address belongs to: an IPv4 address (also when mapped into IPv6), or the
/// /64 an IPv6 address is in.
fn client_of(peer: IpAddr) -> IpAddr {
    match peer {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    /// Slow enough that no token comes back while a test runs, however loaded the machine.
    const HOUR: Duration = Duration::from_secs(3600);

    fn settings(burst: u32, max_clients: usize) -> RateSettings {
        RateSettings {
            every: Some(HOUR),
            burst: NonZeroU32::new(burst).unwrap(),
            max_clients,
            loopback: false,
        }
    }

    fn v4(n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n))
    }

    #[test]
    fn a_client_gets_its_burst_then_waits() {
        let rate = ClientRate::new(settings(3, 100));
        for _ in 0..3 {
            assert_eq!(rate.check(v4(1)), Ok(()));
        }
        let wait = rate.check(v4(1)).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= HOUR, "{wait:?}");
        // Another client has its own bucket.
        assert_eq!(rate.check(v4(2)), Ok(()));
    }

    #[test]
    fn loopback_is_free_unless_asked_and_off_means_off() {
        let rate = ClientRate::new(settings(1, 100));
        for _ in 0..10 {
            assert_eq!(rate.check(IpAddr::V4(Ipv4Addr::LOCALHOST)), Ok(()));
            assert_eq!(rate.check("::ffff:127.0.0.1".parse().unwrap()), Ok(()));
        }
        let rate = ClientRate::new(RateSettings {
            loopback: true,
            ..settings(1, 100)
        });
        assert_eq!(rate.check(IpAddr::V4(Ipv4Addr::LOCALHOST)), Ok(()));
        assert!(rate.check(IpAddr::V4(Ipv4Addr::LOCALHOST)).is_err());
        let off = ClientRate::new(RateSettings {
            every: None,
            ..settings(1, 100)
        });
        for n in 0..10 {
            assert_eq!(off.check(v4(n % 2)), Ok(()));
        }
        assert_eq!(off.clients(), 0);
    }

    #[test]
    fn an_ipv6_64_is_one_client() {
        let rate = ClientRate::new(settings(2, 100));
        assert_eq!(rate.check("2001:db8:1:2::1".parse().unwrap()), Ok(()));
        assert_eq!(rate.check("2001:db8:1:2:ffff::9".parse().unwrap()), Ok(()));
        assert!(rate.check("2001:db8:1:2::77".parse().unwrap()).is_err());
        assert_eq!(rate.check("2001:db8:1:3::1".parse().unwrap()), Ok(()));
        assert_eq!(rate.clients(), 2);
    }

    #[test]
    fn many_addresses_fill_the_table_then_share_one_bucket() {
        let rate = ClientRate::new(settings(2, 100));
        for n in 0..100 {
            assert_eq!(rate.check(v4(n)), Ok(()));
        }
        assert_eq!(rate.clients(), 100);
        // The table is full and nobody in it has refilled: newcomers share the overflow
        // bucket, whatever their address, and the table does not grow.
        let mut refused = 0;
        for n in 100..10_100 {
            if rate.check(v4(n)).is_err() {
                refused += 1;
            }
        }
        assert_eq!(
            refused,
            10_000 - 2,
            "the overflow bucket holds a burst of 2"
        );
        assert_eq!(rate.clients(), 100);
        // Those in the table keep their own buckets.
        assert_eq!(rate.check(v4(7)), Ok(()));
    }
}
