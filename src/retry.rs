//! When and how long to wait before repeating a failed request.
//!
//! The store has one request loop (build, credentials, sign, send,
//! classify, back off). [`RetryConfig`] sets its limits; this page says
//! exactly what it retries.
//!
//! # What is retried
//!
//! | failure | retried |
//! |---|---|
//! | connect error (refused, DNS, TLS handshake, connect timeout): the request was never sent | always |
//! | connection reset, early EOF or timeout *after* the request was sent | only for idempotent requests: GET, HEAD, PUT, DELETE (so PutObject, UploadPart, CopyObject, UploadPartCopy, DeleteObject, AbortMultipartUpload), and CompleteMultipartUpload and DeleteObjects, which resend the same body; not CreateMultipartUpload, nor a body that is a one-shot stream |
//! | a *conditional* write (PutObject or CompleteMultipartUpload with `If-None-Match: *` / `If-Match`, CopyObject with a "not exists" header) after a lost answer | yes; if the retry then fails its condition (412, `ConditionalRequestConflict`, or `NoSuchUpload` for a completion) the object is HEADed: when it shows the checksum sent or the ETag the body makes, the write succeeded; when it shows another, the retry's error is returned (`AlreadyExists`, `PreconditionFailed`); when nothing can be compared (SSE-KMS / SSE-C ETags, a streamed body) the error is `ErrorKind::Transport`, not retried, saying the outcome is unknown |
//! | HTTP 500, 502, 503, 504, 408, 429 | yes |
//! | S3 codes `SlowDown`, `InternalError`, `ServiceUnavailable`, `RequestTimeout`, `Throttling*`, `RequestLimitExceeded` (whatever the status) | yes |
//! | a 200 whose body is an `<Error>` (CopyObject, CompleteMultipartUpload, DeleteObjects) | as its code says (an `InternalError` or `SlowDown` there is retried) |
//! | `ExpiredToken`, `InvalidToken`, `TokenRefreshRequired` | once, right away, after forcing the credential provider to refresh ([`CredentialProvider::invalidate`](crate::credentials::CredentialProvider::invalidate)) |
//! | `RequestTimeTooSkewed`, `RequestExpired`, `InvalidSignatureException` whose `Date` shows our clock is off by more than 4 minutes | once, right away, signed with the corrected clock |
//! | 400, 403, 404, 409, 412 and every other status | never |
//! | any failure when the request body is a one-shot stream | never: the error says so |
//!
//! A POST that is not marked idempotent (CreateMultipartUpload) is still
//! retried on a connect error and on a retryable *answer* (5xx, 429, the
//! codes above), since S3 then says it did not do the work; it is *not*
//! retried when the connection breaks after it was sent, because S3 may
//! have created an upload whose id never reached us, and a second upload
//! would be orphaned too. Such a failure surfaces as
//! [`ErrorKind::Transport`](crate::ErrorKind::Transport) or
//! [`ErrorKind::Timeout`](crate::ErrorKind::Timeout); a bucket lifecycle
//! rule (`AbortIncompleteMultipartUpload`) cleans up what may be left.
//!
//! # How long to wait
//!
//! The wait before retry *n* is drawn with decorrelated jitter, uniformly
//! from `[init_backoff, previous * base]`, capped at `max_backoff`. A
//! `Retry-After` header (delta seconds or an HTTP date) or an
//! `x-amz-retry-after` header (milliseconds) on the failed answer raises the
//! wait to what the server asks, still capped at `max_backoff`. No retry
//! starts after [`retry_timeout`](RetryConfig::retry_timeout) has passed
//! since the first attempt, nor after `max_retries` retries.
//!
//! # Retry budget
//!
//! All requests of one store (and its clones) share a token bucket, in the
//! style of the AWS SDKs' *standard* retry mode: it holds
//! [`retry_budget`](RetryConfig::retry_budget) tokens (default 500); a retry
//! takes 5, a retry after a timeout takes 10; a request that succeeds at
//! once puts 1 back, one that succeeds after retries puts back what its last
//! retry took. With too few tokens left the failure is returned as is, so
//! that during an outage clients stop multiplying the load. Credential and
//! clock-skew retries cost nothing. `retry_budget: None` disables the
//! budget.
//!
//! # Every attempt is signed afresh
//!
//! Each attempt gets a new `X-Amz-Date` (from the [`Clock`], corrected by
//! the store's clock offset) and the provider's current credentials, so a
//! retry never resends a stale signature.
//!
//! # Downloads
//!
//! A GET whose body breaks mid-way (reset, early EOF, no data for
//! `read_timeout`) continues where it stopped with a `Range` request pinned
//! to the object's ETag (`If-Match`), at most `max_retries` times; if the
//! object changed meanwhile the stream fails with
//! [`ErrorKind::PreconditionFailed`](crate::ErrorKind::PreconditionFailed)
//! instead of mixing two versions.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

/// Retry limits and exponential backoff with decorrelated jitter.
///
/// See the [module documentation](self) for exactly what is retried.
///
/// ```
/// # use std::time::Duration;
/// let mut retry = s3lite::retry::RetryConfig::default();
/// retry.max_retries = 3;
/// retry.retry_budget = None; // no shared retry budget
/// # let _ = retry;
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryConfig {
    /// Retries after the first attempt; 0 disables retries (and download
    /// resumption). Default 10.
    pub max_retries: usize,
    /// No retry starts once this much time has passed since the first
    /// attempt. Default 3 minutes.
    pub retry_timeout: Duration,
    /// The first backoff. Default 100 ms.
    pub init_backoff: Duration,
    /// The largest backoff, also the cap on `Retry-After`. Default 15 s.
    pub max_backoff: Duration,
    /// Growth factor of the backoff ceiling per retry. Default 2.
    pub base: f64,
    /// Size of the retry token bucket shared by the store's requests;
    /// `None` disables it. Default `Some(500)`.
    pub retry_budget: Option<u32>,
    /// A fixed seed for the backoff jitter, for reproducible tests; `None`
    /// (the default) seeds each request at random.
    pub jitter_seed: Option<u64>,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_retries: 10,
            retry_timeout: Duration::from_secs(180),
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(15),
            base: 2.0,
            retry_budget: Some(DEFAULT_BUDGET),
            jitter_seed: None,
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

/// Tokens in a fresh retry budget.
const DEFAULT_BUDGET: u32 = 500;
/// Tokens a retry takes.
pub(crate) const RETRY_COST: u32 = 5;
/// Tokens a retry after a timeout takes.
pub(crate) const TIMEOUT_RETRY_COST: u32 = 10;
/// Tokens a first-attempt success puts back.
const SUCCESS_REFUND: u32 = 1;

/// The retry token bucket shared by the requests of one store.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    capacity: u32,
    available: Mutex<u32>,
}

impl RetryBudget {
    /// A full bucket of `capacity` tokens; `None` when `capacity` is `None`.
    pub(crate) fn new(capacity: Option<u32>) -> Option<Self> {
        capacity.map(|capacity| RetryBudget {
            capacity,
            available: Mutex::new(capacity),
        })
    }

    /// Takes `cost` tokens for a retry; `false` (and takes none) when fewer are left.
    pub(crate) fn try_acquire(&self, cost: u32) -> bool {
        let mut available = self
            .available
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if *available < cost {
            return false;
        }
        *available -= cost;
        true
    }

    /// Records a success: puts back `last_retry_cost` if the request was
    /// retried, otherwise 1 token; never above capacity.
    pub(crate) fn on_success(&self, last_retry_cost: Option<u32>) {
        let refund = last_retry_cost.unwrap_or(SUCCESS_REFUND);
        let mut available = self
            .available
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *available = available.saturating_add(refund).min(self.capacity);
    }

    /// Tokens left.
    #[cfg_attr(not(test), allow(dead_code, reason = "read by unit tests"))]
    pub(crate) fn available(&self) -> u32 {
        *self
            .available
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The wait a failed answer asks for: `x-amz-retry-after` (milliseconds)
/// first, then `Retry-After` (delta seconds or an HTTP date, against `now`).
pub(crate) fn retry_after(headers: &http::HeaderMap, now: OffsetDateTime) -> Option<Duration> {
    let text = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    if let Some(ms) = text("x-amz-retry-after").and_then(|v| v.parse::<u64>().ok()) {
        return Some(Duration::from_millis(ms));
    }
    let value = text("retry-after")?;
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = crate::date::parse_http_date(value).ok()?;
    let wait = at - now;
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

/// The source of time for the request loop: wall-clock time to sign with,
/// monotonic time for [`RetryConfig::retry_timeout`], and the backoff sleep.
///
/// The default, [`SystemClock`], uses the system clock and tokio's timer.
/// Tests pass their own (through `S3StoreBuilder::clock`) to run backoff in
/// virtual time and record every wait.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current UTC time; requests are signed with it (plus the store's
    /// clock-skew correction).
    fn now_utc(&self) -> OffsetDateTime;
    /// Monotonic time since an arbitrary, fixed origin.
    fn monotonic(&self) -> Duration;
    /// Waits `duration` before a retry.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
}

/// The system clock and tokio's timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_utc(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    fn monotonic(&self) -> Duration {
        static ORIGIN: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        ORIGIN.get_or_init(Instant::now).elapsed()
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        Box::pin(tokio::time::sleep(duration))
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

    pub(crate) fn next_u64(&mut self) -> u64 {
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
