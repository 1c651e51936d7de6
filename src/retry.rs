//! When and how long to wait before repeating a failed request.
//!
//! What is retried (the request loop in the store asks [`crate::Error::is_retryable`]):
//! - connection failures before the request was sent, connection resets,
//!   truncated bodies, and timeouts;
//! - HTTP 500, 502, 503, 504, 408 and 429, and the S3 codes `SlowDown`,
//!   `InternalError`, `ServiceUnavailable`, `RequestTimeout`, `Throttling*`
//!   and `RequestLimitExceeded`;
//! - never 400, 403, 404, 409 or 412, and never a request whose body cannot
//!   be sent again (a one-shot stream).
//!
//! Every attempt is signed afresh, with a new date and the provider's
//! current credentials.

use std::time::Duration;

/// Retry limits and exponential backoff with decorrelated jitter.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryConfig {
    /// Retries after the first attempt; 0 disables retries. Default 10.
    pub max_retries: usize,
    /// No retry starts once this much time has passed since the first
    /// attempt. Default 3 minutes.
    pub retry_timeout: Duration,
    /// The first backoff. Default 100 ms.
    pub init_backoff: Duration,
    /// The largest backoff. Default 15 s.
    pub max_backoff: Duration,
    /// Growth factor of the backoff ceiling per retry. Default 2.
    pub base: f64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_retries: 10,
            retry_timeout: Duration::from_secs(180),
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(15),
            base: 2.0,
        }
    }
}

impl RetryConfig {
    /// No retries at all.
    pub fn disabled() -> Self {
        RetryConfig {
            max_retries: 0,
            ..Self::default()
        }
    }
}

/// The backoff sequence of one request: decorrelated jitter, each delay drawn
/// uniformly from `[init, previous * base]`, capped at `max_backoff`.
#[derive(Debug)]
pub(crate) struct Backoff {
    init: f64,
    max: f64,
    base: f64,
    previous: f64,
    rng: XorShift,
}

impl Backoff {
    /// A sequence for `config`, with jitter drawn from `seed`.
    pub(crate) fn new(config: &RetryConfig, seed: u64) -> Self {
        let init = config.init_backoff.as_secs_f64();
        Backoff {
            init,
            max: config.max_backoff.as_secs_f64().max(init),
            base: if config.base.is_finite() && config.base >= 1.0 {
                config.base
            } else {
                2.0
            },
            previous: init,
            rng: XorShift::new(seed),
        }
    }

    /// The delay before the next retry.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let high = (self.previous * self.base).min(self.max).max(self.init);
        let delay = self.init + (high - self.init) * self.rng.next_unit();
        self.previous = delay.max(self.init);
        Duration::from_secs_f64(delay)
    }
}

/// A tiny xorshift64* generator: jitter needs spread, not cryptographic strength.
#[derive(Debug, Clone)]
pub(crate) struct XorShift(u64);

impl XorShift {
    pub(crate) fn new(seed: u64) -> Self {
        XorShift(seed | 1)
    }

    /// A seed that differs between calls and processes.
    pub(crate) fn seed() -> u64 {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default(),
        );
        h.finish()
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[0, 1)`.
    fn next_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_within_init_and_max() {
        let cfg = RetryConfig::default();
        let mut b = Backoff::new(&cfg, 42);
        for _ in 0..1000 {
            let d = b.next_delay();
            assert!(d >= cfg.init_backoff && d <= cfg.max_backoff, "{d:?}");
        }
    }

    #[test]
    fn backoff_grows_on_average() {
        // Mean delay of the 1st and of the 6th retry over 1,000 seeded sequences.
        let cfg = RetryConfig::default();
        let mean_at = |step: usize| {
            let total: f64 = (0..1000u64)
                .map(|seed| {
                    let mut b = Backoff::new(&cfg, seed);
                    (0..step).for_each(|_| {
                        b.next_delay();
                    });
                    b.next_delay().as_secs_f64()
                })
                .sum();
            total / 1000.0
        };
        let (first, sixth) = (mean_at(0), mean_at(5));
        assert!(
            sixth > 2.0 * first,
            "mean first {first}, mean sixth {sixth}"
        );
    }

    #[test]
    fn same_seed_gives_same_sequence() {
        let cfg = RetryConfig::default();
        let a: Vec<_> = {
            let mut b = Backoff::new(&cfg, 9);
            (0..5).map(|_| b.next_delay()).collect()
        };
        let mut b = Backoff::new(&cfg, 9);
        let c: Vec<_> = (0..5).map(|_| b.next_delay()).collect();
        assert_eq!(a, c);
    }
}
