//! Readers' polling hints: how long a reader or a shared cache may keep a feed before asking
//! again. One setting per feed (`ttl`, in minutes, in its TOML file; `--feed-ttl` is the
//! site default) gives the RSS `<ttl>`, the `sy:updatePeriod`/`sy:updateFrequency` pair
//! WordPress sends, and the HTTP `Cache-Control: max-age` of the feed's documents, so the
//! three can never disagree.

/// The site default: five minutes, what feed responses have always been cacheable for.
pub const DEFAULT_TTL_MINUTES: u32 = 5;
/// The longest a feed may ask readers to wait: a day. Longer and a reader misses a
/// newsroom's whole news cycle.
pub const MAX_TTL_MINUTES: u32 = 1440;

const HOUR: u32 = 60;
const DAY: u32 = 24 * HOUR;

/// How often readers should look at one feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Polling {
    minutes: u32,
}

/// The `sy:updatePeriod` and `sy:updateFrequency` (times per period) of a [`Polling`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Hourly(u32),
    Daily(u32),
}

impl Polling {
    /// `minutes` within 1..=[`MAX_TTL_MINUTES`] (checked where it is read: the feed file and
    /// the command line).
    pub fn every(minutes: u32) -> Polling {
        Polling {
            minutes: minutes.clamp(1, MAX_TTL_MINUTES),
        }
    }

    /// The RSS `<ttl>`: minutes.
    pub fn minutes(self) -> u32 {
        self.minutes
    }

    /// `Cache-Control` for the feed's documents: the same time in seconds.
    pub fn cache_control(self) -> String {
        format!("public, max-age={}", u64::from(self.minutes) * 60)
    }

    /// The syndication module's period, when the time divides an hour or a day evenly (the
    /// frequency is a whole number of times per period); `None` otherwise.
    pub fn period(self) -> Option<Period> {
        let m = self.minutes;
        if HOUR.is_multiple_of(m) {
            Some(Period::Hourly(HOUR / m))
        } else if DAY.is_multiple_of(m) {
            Some(Period::Daily(DAY / m))
        } else {
            None
        }
    }
}

impl Default for Polling {
    fn default() -> Polling {
        Polling::every(DEFAULT_TTL_MINUTES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_max_age_and_the_syndication_period_say_the_same_time() {
        let five = Polling::every(5);
        assert_eq!(five.minutes(), 5);
        assert_eq!(five.cache_control(), "public, max-age=300");
        assert_eq!(five.period(), Some(Period::Hourly(12)));
        assert_eq!(Polling::every(60).period(), Some(Period::Hourly(1)));
        assert_eq!(Polling::every(120).period(), Some(Period::Daily(12)));
        assert_eq!(Polling::every(1440).period(), Some(Period::Daily(1)));
        assert_eq!(Polling::every(7).period(), None);
        assert_eq!(Polling::every(0).minutes(), 1);
        assert_eq!(Polling::every(100_000).minutes(), MAX_TTL_MINUTES);
    }
}
