//! [`CachingProvider`]: serves cached credentials and refreshes them early,
//! one fetch at a time.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwapOption;
use std::time::Duration;

use time::OffsetDateTime;

use super::{CredentialProvider, Credentials};
use crate::error::{Error, Result};
use crate::transport::BoxFuture;

/// How long before expiry credentials are refreshed by default: 5 minutes.
pub const DEFAULT_REFRESH_BEFORE: Duration = Duration::from_secs(5 * 60);

/// First wait after a failed background refresh; doubles per failure.
const BACKOFF_START: Duration = Duration::from_secs(1);
/// Longest wait between two background refresh attempts.
const BACKOFF_MAX: Duration = Duration::from_secs(60);

type Clock = dyn Fn() -> OffsetDateTime + Send + Sync;

/// Wraps a provider and caches what it returns until shortly before expiry.
///
/// - **Hot path**: a lock-free load of an atomic pointer (`arc-swap`) that
///   is only stored on refresh, a clock read and an `Arc` clone; no lock,
///   no `await` (see `benches/credentials.rs`).
/// - **Early refresh**: credentials are refreshed once less than
///   [`refresh_before`](Self::with_refresh_before) (default 5 minutes) of
///   their lifetime remain, or half their lifetime for credentials that
///   live less than twice that. Credentials without expiry are fetched once.
/// - **Single flight**: at most one fetch is in flight; callers that need
///   new credentials wait for it and share its result, however many they
///   are.
/// - **Failures**: while the old credentials are still valid, the caller
///   that tried the refresh gets the old credentials, other callers are not
///   slowed down, and the next attempt waits 1 s, doubling up to 60 s. Once
///   they have expired, every caller waits for a fetch and gets its error.
/// - [`invalidate`](CredentialProvider::invalidate) drops the cached
///   credentials so the next call fetches again, unless they were fetched
///   less than a second ago: when many requests signed with the old
///   credentials fail at once, that gives one refresh, not one per request.
///
/// ```
/// use s3lite::credentials::{CachingProvider, Credentials, FnProvider};
///
/// let provider = CachingProvider::new(FnProvider::from_sync(|| {
///     Ok(Credentials::new("AKID", "secret"))
/// }))
/// .with_refresh_before(std::time::Duration::from_secs(600));
/// # let _ = provider;
/// ```
pub struct CachingProvider {
    inner: Box<dyn CredentialProvider>,
    cached: ArcSwapOption<Entry>,
    /// Held by the one caller fetching; waiters queue on it.
    flight: tokio::sync::Mutex<Flight>,
    /// Number of completed fetches, so a waiter can tell that one finished
    /// while it queued.
    completed: AtomicU64,
    clock: Box<Clock>,
    refresh_before: time::Duration,
}

struct Entry {
    credentials: Arc<Credentials>,
    refresh_at: Option<OffsetDateTime>,
    fetched_at: OffsetDateTime,
}

/// Credentials fetched this recently are kept by `invalidate`: the requests
/// failing now were signed with the ones they replaced.
const INVALIDATE_GRACE: time::Duration = time::Duration::seconds(1);

/// State of the refresh, guarded by the single-flight lock.
#[derive(Default)]
struct Flight {
    /// Failed background refreshes in a row.
    failures: u32,
    /// No background refresh before this instant.
    retry_at: Option<OffsetDateTime>,
    /// The outcome of the last fetch, shared with the callers that waited.
    last: Option<std::result::Result<Arc<Credentials>, SharedError>>,
}

/// An error that every waiter of one fetch can get a copy of.
#[derive(Clone)]
struct SharedError {
    kind: crate::ErrorKind,
    message: String,
    retryable: bool,
}

impl SharedError {
    fn of(e: &Error) -> Self {
        SharedError {
            kind: e.kind(),
            message: e.to_string(),
            retryable: e.is_retryable(),
        }
    }

    fn to_error(&self) -> Error {
        // `message` is the full Display of the original, kind prefix
        // included; strip the prefix so it is not shown twice.
        let prefix = format!("{}: ", self.kind);
        let text = self.message.strip_prefix(&prefix).unwrap_or(&self.message);
        Error::new(self.kind, text).with_retryable(self.retryable)
    }
}

impl CachingProvider {
    /// Caches what `inner` returns, refreshing 5 minutes before expiry.
    pub fn new(inner: impl CredentialProvider) -> Self {
        CachingProvider {
            inner: Box::new(inner),
            cached: ArcSwapOption::empty(),
            flight: tokio::sync::Mutex::new(Flight::default()),
            completed: AtomicU64::new(0),
            clock: Box::new(OffsetDateTime::now_utc),
            refresh_before: time::Duration::minutes(5),
        }
    }

    /// Refreshes credentials once less than `before` of their lifetime
    /// remains. Default [`DEFAULT_REFRESH_BEFORE`] (5 minutes).
    pub fn with_refresh_before(mut self, before: Duration) -> Self {
        self.refresh_before = time::Duration::try_from(before).unwrap_or(time::Duration::MAX);
        self
    }

    /// Reads the time from `clock` instead of the system clock, so tests
    /// can move time without sleeping.
    pub fn with_clock(
        mut self,
        clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static,
    ) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// The credentials now cached, if any, without fetching.
    pub fn cached(&self) -> Option<Arc<Credentials>> {
        self.read().map(|e| Arc::clone(&e.credentials))
    }

    fn read(&self) -> Option<Arc<Entry>> {
        self.cached.load_full()
    }

    async fn get(&self) -> Result<Arc<Credentials>> {
        let now = (self.clock)();
        // Hot path: a lock-free load, then one `Arc` clone.
        let usable = {
            let guard = self.cached.load();
            match &*guard {
                Some(e) if e.refresh_at.is_none_or(|at| now < at) => {
                    return Ok(Arc::clone(&e.credentials));
                }
                Some(e) if is_valid(&e.credentials, now) => Some(Arc::clone(&e.credentials)),
                _ => None,
            }
        };
        match usable {
            Some(old) => Ok(self.refresh_early(old, now).await),
            None => self.refresh_now().await,
        }
    }

    /// Refreshes while `old` is still valid: one caller tries, the others
    /// keep using `old`; a failure keeps `old` and backs off.
    async fn refresh_early(&self, old: Arc<Credentials>, now: OffsetDateTime) -> Arc<Credentials> {
        let Ok(mut flight) = self.flight.try_lock() else {
            return old;
        };
        if flight.retry_at.is_some_and(|at| now < at) {
            return old;
        }
        if let Some(e) = self.read()
            && !Arc::ptr_eq(&e.credentials, &old)
        {
            // Someone refreshed between our read and the lock.
            return Arc::clone(&e.credentials);
        }
        match self.fetch(&mut flight).await {
            Ok(new) => new,
            Err(_) => {
                flight.failures = flight.failures.saturating_add(1);
                let wait = backoff(flight.failures);
                flight.retry_at = (self.clock)().checked_add(wait);
                old
            }
        }
    }

    /// Fetches because nothing valid is cached; waiters share one fetch.
    async fn refresh_now(&self) -> Result<Arc<Credentials>> {
        let seen = self.completed.load(Ordering::Acquire);
        let mut flight = self.flight.lock().await;
        if self.completed.load(Ordering::Acquire) != seen
            && let Some(last) = &flight.last
        {
            // A fetch completed while we queued: share its outcome.
            return last.clone().map_err(|e| e.to_error());
        }
        self.fetch(&mut flight).await
    }

    /// Runs the one fetch; the caller holds the single-flight lock.
    async fn fetch(&self, flight: &mut Flight) -> Result<Arc<Credentials>> {
        let result = self.inner.credentials().await;
        let now = (self.clock)();
        match &result {
            Ok(c) => {
                let entry = Entry {
                    credentials: Arc::clone(c),
                    refresh_at: c.expires_at().map(|exp| self.refresh_at(now, exp)),
                    fetched_at: now,
                };
                self.cached.store(Some(Arc::new(entry)));
                flight.failures = 0;
                flight.retry_at = None;
                flight.last = Some(Ok(Arc::clone(c)));
            }
            Err(e) => flight.last = Some(Err(SharedError::of(e))),
        }
        self.completed.fetch_add(1, Ordering::Release);
        result
    }

    /// When to refresh credentials fetched at `now` that expire at `exp`.
    fn refresh_at(&self, now: OffsetDateTime, exp: OffsetDateTime) -> OffsetDateTime {
        let lifetime = exp - now;
        let early = if lifetime < self.refresh_before * 2 {
            lifetime / 2
        } else {
            self.refresh_before
        };
        exp.checked_sub(early).unwrap_or(now)
    }
}

/// Credentials count as valid until their expiry.
fn is_valid(c: &Credentials, now: OffsetDateTime) -> bool {
    c.expires_at().is_none_or(|exp| now < exp)
}

/// The wait after `failures` failed refreshes in a row.
fn backoff(failures: u32) -> time::Duration {
    let factor = 1u32
        .checked_shl(failures.saturating_sub(1))
        .unwrap_or(u32::MAX);
    let wait = BACKOFF_START.saturating_mul(factor).min(BACKOFF_MAX);
    time::Duration::try_from(wait).unwrap_or(time::Duration::MAX)
}

impl fmt::Debug for CachingProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachingProvider")
            .field("inner", &self.inner)
            .field("refresh_before", &self.refresh_before)
            .finish_non_exhaustive()
    }
}

impl CredentialProvider for CachingProvider {
    fn credentials(&self) -> BoxFuture<'_, Result<Arc<Credentials>>> {
        Box::pin(self.get())
    }

    fn invalidate(&self) {
        let now = (self.clock)();
        // Only the entry seen here is dropped: one stored by a refresh
        // since then is kept.
        let before = self.cached.rcu(|current| match current {
            Some(e) if now - e.fetched_at >= INVALIDATE_GRACE => None,
            other => other.clone(),
        });
        if before.is_some_and(|e| now - e.fetched_at >= INVALIDATE_GRACE) {
            // The source may keep credentials of its own: it forgets them too.
            self.inner.invalidate();
        }
    }

    fn is_cached(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(1), time::Duration::seconds(1));
        assert_eq!(backoff(2), time::Duration::seconds(2));
        assert_eq!(backoff(4), time::Duration::seconds(8));
        assert_eq!(backoff(10), time::Duration::seconds(60));
        assert_eq!(backoff(u32::MAX), time::Duration::seconds(60));
    }
}
