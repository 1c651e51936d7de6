//! [`FnProvider`] and [`CachingProvider`]: early refresh, single flight,
//! backoff while old credentials still work, invalidation.
#![cfg(feature = "_io")]
#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

#[path = "common/cred_servers.rs"]
mod cred_servers;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cred_servers::*;
use s3lite::ErrorKind;
use s3lite::credentials::*;
use time::OffsetDateTime;

// ---------------------------------------------------------------------------
// Closure adapter and cache

#[tokio::test]
async fn fn_provider_runs_sync_and_async_closures() {
    let sync = FnProvider::from_sync(|| Ok(Credentials::new("SYNC", SECRET)));
    assert_eq!(sync.credentials().await.unwrap().access_key_id(), "SYNC");
    let asynchronous = FnProvider::new(|| async {
        tokio::task::yield_now().await;
        Ok(Credentials::new("ASYNC", SECRET))
    });
    assert_eq!(
        asynchronous.credentials().await.unwrap().access_key_id(),
        "ASYNC"
    );
}

/// A clock tests move by hand.
#[derive(Clone)]
struct ManualClock(Arc<Mutex<OffsetDateTime>>);

impl ManualClock {
    fn new() -> Self {
        ManualClock(Arc::new(Mutex::new(
            OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(),
        )))
    }
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
    fn advance(&self, secs: i64) {
        *self.0.lock().unwrap() += time::Duration::seconds(secs);
    }
}

/// A provider counting its fetches; each fetch lives `lifetime` seconds on
/// `clock`, and fails while `fail` is set.
fn counting(
    clock: &ManualClock,
    lifetime: i64,
    fail: Arc<AtomicUsize>,
) -> (FnProvider, Arc<AtomicUsize>) {
    let fetches = Arc::new(AtomicUsize::new(0));
    let (c, f) = (clock.clone(), Arc::clone(&fetches));
    let provider = FnProvider::new(move || {
        let (c, f, fail) = (c.clone(), Arc::clone(&f), Arc::clone(&fail));
        async move {
            let n = f.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
            if fail.load(Ordering::SeqCst) > 0 {
                return Err(s3lite::Error::new(ErrorKind::Credentials, "source down"));
            }
            Ok(Credentials::new(format!("KEY{n}"), SECRET)
                .with_expiry(c.now() + time::Duration::seconds(lifetime)))
        }
    });
    (provider, fetches)
}

fn cached(provider: FnProvider, clock: &ManualClock) -> Arc<CachingProvider> {
    let c = clock.clone();
    Arc::new(CachingProvider::new(provider).with_clock(move || c.now()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_concurrent_calls_on_expiring_provider_fetch_once() {
    let clock = ManualClock::new();
    let (provider, fetches) = counting(&clock, 3600, Arc::default());
    let cache = cached(provider, &clock);
    for round in 1..=2 {
        let tasks: Vec<_> = (0..1000)
            .map(|_| {
                let cache = Arc::clone(&cache);
                tokio::spawn(async move {
                    cache
                        .credentials()
                        .await
                        .map(|c| c.access_key_id().to_string())
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), format!("KEY{round}"));
        }
        assert_eq!(fetches.load(Ordering::SeqCst), round);
        // Expire them: the next 1,000 callers must again cause one fetch.
        clock.advance(3601);
    }
}

#[tokio::test]
async fn refreshes_within_five_minutes_of_expiry_not_before() {
    let clock = ManualClock::new();
    let (provider, fetches) = counting(&clock, 3600, Arc::default());
    let cache = cached(provider, &clock);
    assert_eq!(cache.credentials().await.unwrap().access_key_id(), "KEY1");
    clock.advance(3600 - 301);
    assert_eq!(cache.credentials().await.unwrap().access_key_id(), "KEY1");
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    clock.advance(2);
    assert_eq!(cache.credentials().await.unwrap().access_key_id(), "KEY2");
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn failed_refresh_keeps_valid_credentials_and_backs_off() {
    let clock = ManualClock::new();
    let fail = Arc::new(AtomicUsize::new(0));
    let (provider, fetches) = counting(&clock, 3600, Arc::clone(&fail));
    let cache = cached(provider, &clock);
    cache.credentials().await.unwrap();
    fail.store(1, Ordering::SeqCst);
    clock.advance(3600 - 200);
    // The refresh fails: old credentials served, no error.
    assert_eq!(cache.credentials().await.unwrap().access_key_id(), "KEY1");
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    // Within the 1 s backoff: no new attempt.
    assert_eq!(cache.credentials().await.unwrap().access_key_id(), "KEY1");
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    clock.advance(2);
    assert_eq!(cache.credentials().await.unwrap().access_key_id(), "KEY1");
    assert_eq!(fetches.load(Ordering::SeqCst), 3);
    // Next wait is 2 s; after it the source is back.
    fail.store(0, Ordering::SeqCst);
    clock.advance(1);
    cache.credentials().await.unwrap();
    assert_eq!(fetches.load(Ordering::SeqCst), 3);
    clock.advance(2);
    assert_eq!(cache.credentials().await.unwrap().access_key_id(), "KEY4");
    // Once expired, the error reaches the caller.
    fail.store(1, Ordering::SeqCst);
    clock.advance(7200);
    let e = cache.credentials().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    assert!(e.to_string().contains("source down"), "{e}");
}

#[tokio::test]
async fn invalidate_forces_one_refresh_per_burst_of_rejections() {
    let clock = ManualClock::new();
    let (provider, fetches) = counting(&clock, 3600, Arc::default());
    let cache = cached(provider, &clock);
    cache.credentials().await.unwrap();
    clock.advance(10);
    cache.invalidate();
    assert_eq!(cache.credentials().await.unwrap().access_key_id(), "KEY2");
    // More requests signed with KEY1 fail right after: KEY2 is kept.
    cache.invalidate();
    cache.invalidate();
    assert_eq!(cache.credentials().await.unwrap().access_key_id(), "KEY2");
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    clock.advance(2);
    cache.invalidate();
    assert_eq!(cache.credentials().await.unwrap().access_key_id(), "KEY3");
}

#[tokio::test]
async fn short_lived_credentials_refresh_at_half_life() {
    let clock = ManualClock::new();
    let (provider, fetches) = counting(&clock, 2, Arc::default());
    let cache = cached(provider, &clock);
    for _ in 0..10 {
        cache.credentials().await.unwrap();
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    clock.advance(1);
    cache.credentials().await.unwrap();
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
}
