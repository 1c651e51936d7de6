//! The request loop against answers about credentials and clocks that the
//! main fault suite (`faults.rs`) does not cover: a bodiless HEAD rejection
//! while the credentials are about to expire, an error code sent in a
//! header, and clock skew with many requests in flight.
#![cfg(feature = "hyper-rustls")]
#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

#[path = "faults/server.rs"]
mod server;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use http::Method;
use s3lite::credentials::{CredentialProvider, Credentials};
use s3lite::retry::RetryConfig;
use s3lite::transport::BoxFuture;
use s3lite::{ErrorKind, S3Store};
use server::{FaultServer, Seen, VirtualClock, expect};
use time::OffsetDateTime;

/// Hands out session token `T<n>` living `lifetime`; `invalidate` moves on
/// to the next token.
#[derive(Debug)]
struct Expiring {
    generation: AtomicUsize,
    invalidated: AtomicUsize,
    lifetime: time::Duration,
}

impl Expiring {
    fn new(lifetime: time::Duration) -> Arc<Self> {
        Arc::new(Expiring {
            generation: AtomicUsize::new(0),
            invalidated: AtomicUsize::new(0),
            lifetime,
        })
    }

    fn invalidated(&self) -> usize {
        self.invalidated.load(Ordering::SeqCst)
    }
}

impl CredentialProvider for Expiring {
    fn credentials(&self) -> BoxFuture<'_, s3lite::Result<Arc<Credentials>>> {
        let n = self.generation.load(Ordering::SeqCst);
        let expires = OffsetDateTime::now_utc() + self.lifetime;
        Box::pin(async move {
            Ok(Arc::new(
                Credentials::new("AKID", "SECRET")
                    .with_session_token(format!("T{n}"))
                    .with_expiry(expires),
            ))
        })
    }

    fn invalidate(&self) {
        self.invalidated.fetch_add(1, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    // Keeps its own generation: the store asks it directly, uncached.
    fn is_cached(&self) -> bool {
        true
    }
}

fn store(server: &FaultServer, clock: &VirtualClock, p: &Arc<Expiring>) -> S3Store {
    let mut retry = RetryConfig::default();
    retry.jitter_seed = Some(7);
    S3Store::builder()
        .bucket("b")
        .endpoint(server.base())
        .allow_http(true)
        .credentials(Arc::clone(p))
        .retry(retry)
        .clock(clock.clone())
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------
// ExpiredToken on HEAD

#[tokio::test]
async fn head_403_without_body_near_expiry_refreshes_and_retries_once() {
    let server = FaultServer::start([
        expect(Method::HEAD, "/b/k")
            .with_request_header("x-amz-security-token", "T0")
            .status(403),
        expect(Method::HEAD, "/b/k").with_request_header("x-amz-security-token", "T1"),
    ])
    .await;
    let clock = VirtualClock::default();
    // Two minutes left: inside the 5-minute refresh window.
    let provider = Expiring::new(time::Duration::minutes(2));
    store(&server, &clock, &provider).head("k").await.unwrap();
    assert_eq!(provider.invalidated(), 1);
    assert!(clock.sleeps().is_empty(), "credential retry is immediate");
}

#[tokio::test]
async fn head_400_without_body_after_expiry_refreshes_and_retries_once() {
    let server = FaultServer::start([
        expect(Method::HEAD, "/b/k").status(400),
        expect(Method::HEAD, "/b/k").with_request_header("x-amz-security-token", "T1"),
    ])
    .await;
    let clock = VirtualClock::default();
    let provider = Expiring::new(time::Duration::seconds(-30));
    store(&server, &clock, &provider).head("k").await.unwrap();
    assert_eq!(provider.invalidated(), 1);
}

#[tokio::test]
async fn head_403_with_long_valid_credentials_is_not_retried() {
    let server = FaultServer::start([expect(Method::HEAD, "/b/k").status(403)]).await;
    let clock = VirtualClock::default();
    let provider = Expiring::new(time::Duration::hours(1));
    let e = store(&server, &clock, &provider)
        .head("k")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    assert_eq!(provider.invalidated(), 0);
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn head_403_near_expiry_twice_fails_after_one_refresh() {
    let server = FaultServer::start([
        expect(Method::HEAD, "/b/k").status(403),
        expect(Method::HEAD, "/b/k").status(403),
    ])
    .await;
    let clock = VirtualClock::default();
    let provider = Expiring::new(time::Duration::minutes(1));
    let e = store(&server, &clock, &provider)
        .head("k")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    assert_eq!(provider.invalidated(), 1);
}

#[tokio::test]
async fn head_error_code_header_expired_token_refreshes_and_retries() {
    // Credentials far from expiry: only the header says why.
    let server = FaultServer::start([
        expect(Method::HEAD, "/b/k")
            .status(400)
            .header("x-amz-error-code", "ExpiredToken"),
        expect(Method::HEAD, "/b/k").with_request_header("x-amz-security-token", "T1"),
    ])
    .await;
    let clock = VirtualClock::default();
    let provider = Expiring::new(time::Duration::hours(1));
    store(&server, &clock, &provider).head("k").await.unwrap();
    assert_eq!(provider.invalidated(), 1);
}

#[tokio::test]
async fn head_minio_error_code_header_names_the_error() {
    let server = FaultServer::start([expect(Method::HEAD, "/b/k")
        .status(403)
        .header("x-minio-error-code", "SignatureDoesNotMatch")])
    .await;
    let clock = VirtualClock::default();
    let provider = Expiring::new(time::Duration::hours(1));
    let e = store(&server, &clock, &provider)
        .head("k")
        .await
        .unwrap_err();
    assert_eq!(e.s3_code(), Some("SignatureDoesNotMatch"));
    assert_eq!(e.kind(), ErrorKind::Unauthenticated, "{e}");
}

// ---------------------------------------------------------------------------
// Clock skew with many requests in flight

/// `X-Amz-Date` of a request as a time.
fn amz_date(seen: &Seen) -> OffsetDateTime {
    let s = seen.header("x-amz-date");
    let n = |r: std::ops::Range<usize>| s[r].parse::<u16>().unwrap();
    let month = time::Month::try_from(n(4..6) as u8).unwrap();
    let date = time::Date::from_calendar_date(i32::from(n(0..4)), month, n(6..8) as u8).unwrap();
    date.with_hms(n(9..11) as u8, n(11..13) as u8, n(13..15) as u8)
        .unwrap()
        .assume_utc()
}

/// Requests per key, in arrival order.
fn by_key(seen: &[Seen]) -> HashMap<String, Vec<Seen>> {
    let mut map: HashMap<String, Vec<Seen>> = HashMap::new();
    for s in seen {
        map.entry(s.path.clone()).or_default().push(s.clone());
    }
    map
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn skew_with_sixteen_requests_in_flight_is_learned_once() {
    // The server's clock is an hour ahead of ours; it refuses any request
    // signed more than 5 minutes away from it, as S3 does.
    let ahead = time::Duration::hours(1);
    let server_now = move || OffsetDateTime::now_utc() + ahead;
    let server = FaultServer::respond_with(move |req| {
        let now = server_now();
        let date = s3lite::date::format_http_date(now);
        let step = expect(Method::HEAD, "");
        if (amz_date(req) - now).abs() > time::Duration::minutes(5) {
            step.error(403, "RequestTimeTooSkewed")
                .header("date", &date)
        } else {
            step.header("date", &date).header("etag", "\"e\"")
        }
    })
    .await;
    let clock = VirtualClock::default();
    let provider = Expiring::new(time::Duration::hours(1));
    let store = store(&server, &clock, &provider);
    let wave = |first: usize| {
        let tasks: Vec<_> = (first..first + 16)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move { store.head(&format!("k{i}")).await })
            })
            .collect();
        async move {
            for t in tasks {
                t.await.unwrap().unwrap();
            }
        }
    };

    wave(0).await;
    let first = by_key(&server.seen());
    assert_eq!(first.len(), 16);
    let mut skewed = 0;
    for (key, attempts) in &first {
        // At most one skew retry each, and it is signed with server time.
        assert!(attempts.len() <= 2, "{key}: {} attempts", attempts.len());
        let last = attempts.last().unwrap();
        assert!((amz_date(last) - server_now()).abs() < time::Duration::minutes(1));
        skewed += attempts.len() - 1;
    }
    assert!(skewed >= 1, "the first requests were signed with our clock");
    assert!(clock.sleeps().is_empty(), "skew retries are immediate");

    // Later requests sign with the learnt offset from the start.
    let before = server.requests();
    wave(16).await;
    let seen = server.seen();
    let later = &seen[before..];
    assert_eq!(later.len(), 16, "no request of the second wave was retried");
    for s in later {
        assert!(
            (amz_date(s) - server_now()).abs() < time::Duration::minutes(1),
            "{} signed at {}",
            s.path,
            amz_date(s)
        );
    }
    assert_eq!(provider.invalidated(), 0);
}
