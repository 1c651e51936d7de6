//! The request loop against scripted faults: one scenario per test, each
//! asserting the requests the server saw, the backoff waits (virtual time,
//! see [`server::VirtualClock`]) and the outcome.
#![cfg(feature = "hyper-rustls")]
#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

#[path = "faults/server.rs"]
mod server;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use s3lite::credentials::{CredentialProvider, Credentials};
use s3lite::retry::RetryConfig;
use s3lite::transport::{BoxFuture, ClientOptions};
use s3lite::{ErrorKind, GetOptions, S3Store, S3StoreBuilder};
use server::{Fault, FaultServer, Step, VirtualClock, expect};

const ETAG: &str = "\"0123456789abcdef\"";

fn object(len: usize) -> Bytes {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

/// A store for bucket `b` on `server` with a virtual clock and a fixed jitter seed.
fn builder(server: &FaultServer, clock: &VirtualClock) -> S3StoreBuilder {
    let mut retry = RetryConfig::default();
    retry.jitter_seed = Some(7);
    S3Store::builder()
        .bucket("b")
        .endpoint(server.base())
        .allow_http(true)
        .access_key_id("AKIDEXAMPLE")
        .secret_access_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        .retry(retry)
        .clock(clock.clone())
}

fn store(server: &FaultServer, clock: &VirtualClock) -> S3Store {
    builder(server, clock).build().unwrap()
}

fn retry_config(f: impl FnOnce(&mut RetryConfig)) -> RetryConfig {
    let mut retry = RetryConfig::default();
    retry.jitter_seed = Some(7);
    f(&mut retry);
    retry
}

fn get_ok(path: &str, body: &Bytes) -> Step {
    expect(Method::GET, path)
        .header("etag", ETAG)
        .body(body.clone())
}

/// The resume request for bytes `from..len` of a `len`-byte object.
fn resume_step(body: &Bytes, from: usize) -> Step {
    let len = body.len();
    expect(Method::GET, "/b/k")
        .with_request_header("range", &format!("bytes={from}-{}", len - 1))
        .with_request_header("if-match", ETAG)
        .status(206)
        .header("etag", ETAG)
        .header("content-range", &format!("bytes {from}-{}/{len}", len - 1))
        .body(body.slice(from..))
}

fn assert_backoffs(clock: &VirtualClock, n: usize) {
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), n, "{sleeps:?}");
    for d in sleeps {
        let cfg = RetryConfig::default();
        assert!(d >= cfg.init_backoff && d <= cfg.max_backoff, "{d:?}");
    }
}

// ---------------------------------------------------------------------------
// Connection faults

#[tokio::test]
async fn reset_before_response_is_retried() {
    let data = object(100);
    let server = FaultServer::start([
        expect(Method::GET, "/b/k").fault(Fault::ResetBeforeResponse),
        get_ok("/b/k", &data),
    ])
    .await;
    let clock = VirtualClock::default();
    let got = store(&server, &clock).get("k").await.unwrap();
    assert_eq!(got.bytes().await.unwrap(), data);
    assert_eq!(server.requests(), 2);
    assert_backoffs(&clock, 1);
}

#[tokio::test]
async fn connect_refused_is_retried_until_max_retries() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let clock = VirtualClock::default();
    let store = S3Store::builder()
        .bucket("b")
        .endpoint(format!("http://{addr}"))
        .allow_http(true)
        .access_key_id("AKID")
        .secret_access_key("SECRET")
        .retry(retry_config(|r| r.max_retries = 3))
        .clock(clock.clone())
        .build()
        .unwrap();
    let e = store.head("k").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert_backoffs(&clock, 3);
}

#[tokio::test]
async fn reset_mid_body_resumes_with_range_pinned_by_etag() {
    let data = object(300_000);
    let server = FaultServer::start([
        get_ok("/b/k", &data).fault(Fault::ResetAfter(100_000)),
        resume_step(&data, 100_000),
    ])
    .await;
    let clock = VirtualClock::default();
    let got = store(&server, &clock).get("k").await.unwrap();
    assert_eq!(got.meta.size, 300_000);
    let body = got.bytes().await.unwrap();
    assert!(body == data, "resumed body differs");
    assert_backoffs(&clock, 1);
}

#[tokio::test]
async fn truncated_body_with_correct_content_length_resumes() {
    let data = object(5_000);
    let server = FaultServer::start([
        get_ok("/b/k", &data).fault(Fault::TruncateAfter(1_234)),
        resume_step(&data, 1_234),
    ])
    .await;
    let clock = VirtualClock::default();
    let body = store(&server, &clock)
        .get("k")
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(body == data, "resumed body differs");
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn stall_past_read_timeout_resumes() {
    let data = object(4_000);
    let server = FaultServer::start([
        get_ok("/b/k", &data).fault(Fault::StallAfter(1_000)),
        resume_step(&data, 1_000),
    ])
    .await;
    let clock = VirtualClock::default();
    let mut options = ClientOptions::default();
    options.allow_http = true;
    options.read_timeout = Some(Duration::from_millis(50));
    let store = builder(&server, &clock)
        .client_options(options)
        .build()
        .unwrap();
    let body = store.get("k").await.unwrap().bytes().await.unwrap();
    assert!(body == data, "resumed body differs");
    assert_backoffs(&clock, 1);
}

#[tokio::test]
async fn ranged_get_resumes_inside_its_range() {
    let data = object(10_000);
    let part = data.slice(2_000..6_000);
    let server = FaultServer::start([
        expect(Method::GET, "/b/k")
            .with_request_header("range", "bytes=2000-5999")
            .status(206)
            .header("etag", ETAG)
            .header("content-range", "bytes 2000-5999/10000")
            .body(part.clone())
            .fault(Fault::ResetAfter(1_500)),
        expect(Method::GET, "/b/k")
            .with_request_header("range", "bytes=3500-5999")
            .with_request_header("if-match", ETAG)
            .status(206)
            .header("etag", ETAG)
            .header("content-range", "bytes 3500-5999/10000")
            .body(data.slice(3_500..6_000)),
    ])
    .await;
    let clock = VirtualClock::default();
    let got = store(&server, &clock)
        .get_range("k", 2_000..6_000)
        .await
        .unwrap();
    assert_eq!(got.range, 2_000..6_000);
    assert!(got.bytes().await.unwrap() == part, "resumed range differs");
}

#[tokio::test]
async fn object_changed_during_resume_fails_with_precondition_failed() {
    let data = object(3_000);
    let server = FaultServer::start([
        get_ok("/b/k", &data).fault(Fault::ResetAfter(1_000)),
        expect(Method::GET, "/b/k")
            .with_request_header("range", "bytes=1000-2999")
            .with_request_header("if-match", ETAG)
            .error(412, "PreconditionFailed"),
    ])
    .await;
    let clock = VirtualClock::default();
    let mut body = store(&server, &clock).get("k").await.unwrap().into_stream();
    let mut got = Vec::new();
    let e = loop {
        match body.next_chunk().await {
            Some(Ok(chunk)) => got.extend_from_slice(&chunk),
            Some(Err(e)) => break e,
            None => panic!("the stream ended without an error"),
        }
    };
    assert_eq!(e.kind(), ErrorKind::PreconditionFailed, "{e}");
    assert!(e.to_string().contains("changed"), "{e}");
    assert_eq!(
        got,
        data[..1_000],
        "bytes before the break are the old object's"
    );
    assert!(
        body.next_chunk().await.is_none(),
        "stream ends after the error"
    );
}

#[tokio::test]
async fn resumes_are_bounded_by_max_retries() {
    let data = object(1_000);
    let server = FaultServer::start([
        get_ok("/b/k", &data).fault(Fault::ResetAfter(100)),
        resume_step(&data, 100).fault(Fault::ResetAfter(100)),
    ])
    .await;
    let clock = VirtualClock::default();
    let store = builder(&server, &clock)
        .retry(retry_config(|r| r.max_retries = 1))
        .build()
        .unwrap();
    let e = store.get("k").await.unwrap().bytes().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert_eq!(server.requests(), 2);
}

// ---------------------------------------------------------------------------
// Retryable answers

#[tokio::test]
async fn status_500_is_retried() {
    let server = FaultServer::start([
        expect(Method::HEAD, "/b/k").status(500),
        expect(Method::HEAD, "/b/k").header("content-length", "0"),
    ])
    .await;
    let clock = VirtualClock::default();
    store(&server, &clock).head("k").await.unwrap();
    assert_backoffs(&clock, 1);
}

#[tokio::test]
async fn slow_down_503_three_times_then_success() {
    let put = || expect(Method::PUT, "/b/k").with_request_header("content-length", "5");
    let server = FaultServer::start([
        put().error(503, "SlowDown"),
        put().error(503, "SlowDown"),
        put().error(503, "SlowDown"),
        put().header("etag", ETAG),
    ])
    .await;
    let clock = VirtualClock::default();
    let result = store(&server, &clock)
        .put("k", Bytes::from_static(b"hello"))
        .await
        .unwrap();
    assert_eq!(result.etag.as_deref(), Some(ETAG));
    let seen = server.seen();
    assert!(
        seen.iter().all(|s| s.body == "hello"),
        "body replayed intact"
    );
    assert!(seen.iter().all(|s| !s.header("authorization").is_empty()));
    assert_backoffs(&clock, 3);
}

#[tokio::test]
async fn too_many_requests_429_waits_as_retry_after_says() {
    let server = FaultServer::start([
        expect(Method::DELETE, "/b/k")
            .status(429)
            .header("retry-after", "3"),
        expect(Method::DELETE, "/b/k").status(204),
    ])
    .await;
    let clock = VirtualClock::default();
    store(&server, &clock).delete("k").await.unwrap();
    assert_eq!(clock.sleeps(), [Duration::from_secs(3)]);
}

#[tokio::test]
async fn x_amz_retry_after_is_milliseconds_capped_by_max_backoff() {
    let server = FaultServer::start([
        expect(Method::DELETE, "/b/k")
            .error(503, "SlowDown")
            .header("x-amz-retry-after", "1500"),
        expect(Method::DELETE, "/b/k")
            .error(503, "SlowDown")
            .header("x-amz-retry-after", "600000"),
        expect(Method::DELETE, "/b/k").status(204),
    ])
    .await;
    let clock = VirtualClock::default();
    store(&server, &clock).delete("k").await.unwrap();
    let max = RetryConfig::default().max_backoff;
    assert_eq!(clock.sleeps(), [Duration::from_millis(1500), max]);
}

const COPY_OK: &str = "<CopyObjectResult><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>&quot;abc&quot;</ETag></CopyObjectResult>";

#[tokio::test]
async fn copy_200_with_error_body_is_retried() {
    let copy = || expect(Method::PUT, "/b/to").with_request_header("x-amz-copy-source", "/b/from");
    let server =
        FaultServer::start([copy().error(200, "InternalError"), copy().body(COPY_OK)]).await;
    let clock = VirtualClock::default();
    let result = store(&server, &clock).copy("from", "to").await.unwrap();
    assert_eq!(result.etag.as_deref(), Some("\"abc\""));
    assert_backoffs(&clock, 1);
}

#[tokio::test]
async fn copy_200_with_non_retryable_error_body_fails_at_once() {
    let server =
        FaultServer::start([expect(Method::PUT, "/b/to").error(200, "AccessDenied")]).await;
    let clock = VirtualClock::default();
    let e = store(&server, &clock).copy("from", "to").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    assert_eq!(e.status(), Some(200));
    assert!(clock.sleeps().is_empty());
}

// ---------------------------------------------------------------------------
// Answers that are never retried

async fn not_retried(status: u16, code: &str, kind: ErrorKind) {
    let server = FaultServer::start([expect(Method::GET, "/b/k").error(status, code)]).await;
    let clock = VirtualClock::default();
    let e = store(&server, &clock)
        .get_opts("k", GetOptions::default().with_if_match(ETAG))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), kind, "{e}");
    assert_eq!(e.status(), Some(status));
    assert_eq!(e.s3_code(), Some(code));
    assert!(!e.is_retryable());
    assert_eq!(server.requests(), 1);
    assert!(clock.sleeps().is_empty());
}

/// A bucket in another region: S3 answers 301 PermanentRedirect with
/// `x-amz-bucket-region`; the error is a configuration error naming it.
#[tokio::test]
async fn wrong_region_301_names_the_right_region() {
    let server = FaultServer::start([expect(Method::GET, "/b/k")
        .error(301, "PermanentRedirect")
        .header("x-amz-bucket-region", "eu-west-1")])
    .await;
    let clock = VirtualClock::default();
    let e = store(&server, &clock).get("k").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
    assert!(e.to_string().contains("region eu-west-1"), "{e}");
    assert_eq!(e.s3_code(), Some("PermanentRedirect"));
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn forbidden_403_is_not_retried() {
    not_retried(403, "AccessDenied", ErrorKind::PermissionDenied).await;
}

#[tokio::test]
async fn not_found_404_is_not_retried() {
    not_retried(404, "NoSuchKey", ErrorKind::NotFound).await;
}

#[tokio::test]
async fn precondition_failed_412_is_not_retried() {
    not_retried(412, "PreconditionFailed", ErrorKind::PreconditionFailed).await;
}

#[tokio::test]
async fn bad_request_400_is_not_retried() {
    not_retried(400, "InvalidArgument", ErrorKind::InvalidInput).await;
}

// ---------------------------------------------------------------------------
// Credentials and clocks

/// Hands out session token `T<n>`; `invalidate` moves to the next token.
#[derive(Debug, Default)]
struct RotatingProvider {
    generation: AtomicUsize,
    invalidated: AtomicUsize,
}

impl CredentialProvider for RotatingProvider {
    fn credentials(&self) -> BoxFuture<'_, s3lite::Result<Arc<Credentials>>> {
        let n = self.generation.load(Ordering::SeqCst);
        Box::pin(async move {
            Ok(Arc::new(
                Credentials::new("AKID", "SECRET").with_session_token(format!("T{n}")),
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

#[derive(Debug, Clone, Default)]
struct SharedProvider(Arc<RotatingProvider>);

impl CredentialProvider for SharedProvider {
    fn credentials(&self) -> BoxFuture<'_, s3lite::Result<Arc<Credentials>>> {
        self.0.credentials()
    }

    fn invalidate(&self) {
        self.0.invalidate();
    }

    fn is_cached(&self) -> bool {
        true
    }
}

fn provider_store(server: &FaultServer, clock: &VirtualClock, p: &SharedProvider) -> S3Store {
    S3Store::builder()
        .bucket("b")
        .endpoint(server.base())
        .allow_http(true)
        .credentials(p.clone())
        .retry(retry_config(|_| {}))
        .clock(clock.clone())
        .build()
        .unwrap()
}

#[tokio::test]
async fn expired_token_refreshes_credentials_and_retries_once() {
    let server = FaultServer::start([
        expect(Method::GET, "/b/k")
            .with_request_header("x-amz-security-token", "T0")
            .error(400, "ExpiredToken"),
        expect(Method::GET, "/b/k").with_request_header("x-amz-security-token", "T1"),
    ])
    .await;
    let clock = VirtualClock::default();
    let provider = SharedProvider::default();
    provider_store(&server, &clock, &provider)
        .get("k")
        .await
        .unwrap();
    assert_eq!(provider.0.invalidated.load(Ordering::SeqCst), 1);
    assert!(clock.sleeps().is_empty(), "credential retry is immediate");
}

#[tokio::test]
async fn expired_token_twice_fails_after_one_refresh() {
    let server = FaultServer::start([
        expect(Method::GET, "/b/k").error(400, "ExpiredToken"),
        expect(Method::GET, "/b/k").error(400, "ExpiredToken"),
    ])
    .await;
    let clock = VirtualClock::default();
    let provider = SharedProvider::default();
    let e = provider_store(&server, &clock, &provider)
        .get("k")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated, "{e}");
    assert_eq!(e.s3_code(), Some("ExpiredToken"));
    assert_eq!(provider.0.invalidated.load(Ordering::SeqCst), 1);
}

/// `X-Amz-Date` of a request as a time.
fn amz_date(seen: &server::Seen) -> time::OffsetDateTime {
    let s = seen.header("x-amz-date");
    let n = |r: std::ops::Range<usize>| s[r].parse::<u16>().unwrap();
    let month = time::Month::try_from(n(4..6) as u8).unwrap();
    let date = time::Date::from_calendar_date(i32::from(n(0..4)), month, n(6..8) as u8).unwrap();
    date.with_hms(n(9..11) as u8, n(11..13) as u8, n(13..15) as u8)
        .unwrap()
        .assume_utc()
}

#[tokio::test]
async fn request_time_too_skewed_corrects_the_clock_and_retries() {
    let now = time::OffsetDateTime::now_utc();
    let server_date = s3lite::date::format_http_date(now);
    let server = FaultServer::start([
        expect(Method::GET, "/b/k")
            .error(403, "RequestTimeTooSkewed")
            .header("date", &server_date),
        expect(Method::GET, "/b/k").header("date", &server_date),
        expect(Method::HEAD, "/b/k2").header("date", &server_date),
    ])
    .await;
    let clock = VirtualClock::default();
    // This machine's clock is 20 minutes slow.
    clock.set_wall_error(time::Duration::minutes(-20));
    let store = store(&server, &clock);
    store.get("k").await.unwrap();
    store.head("k2").await.unwrap();
    let seen = server.seen();
    let skew = |i: usize| (amz_date(&seen[i]) - now).abs();
    assert!(
        skew(0) > time::Duration::minutes(19),
        "first attempt used the slow clock"
    );
    assert!(
        skew(1) < time::Duration::minutes(1),
        "retry is corrected: {}",
        skew(1)
    );
    assert!(
        skew(2) < time::Duration::minutes(1),
        "later requests too: {}",
        skew(2)
    );
    assert!(clock.sleeps().is_empty(), "skew retry is immediate");
}

#[tokio::test]
async fn head_403_with_a_skewed_date_corrects_the_clock_and_retries() {
    // HEAD answers carry no <Error> body: a 403 whose Date is far from the
    // time the request was signed with is taken as clock skew.
    let now = time::OffsetDateTime::now_utc();
    let server_date = s3lite::date::format_http_date(now);
    let server = FaultServer::start([
        expect(Method::HEAD, "/b/k")
            .status(403)
            .header("date", &server_date),
        expect(Method::HEAD, "/b/k").header("date", &server_date),
    ])
    .await;
    let clock = VirtualClock::default();
    clock.set_wall_error(time::Duration::minutes(30));
    store(&server, &clock).head("k").await.unwrap();
    let seen = server.seen();
    assert!((amz_date(&seen[1]) - now).abs() < time::Duration::minutes(1));
}

#[tokio::test]
async fn head_403_without_skew_is_not_retried() {
    let server = FaultServer::start([expect(Method::HEAD, "/b/k").status(403)]).await;
    let clock = VirtualClock::default();
    let e = store(&server, &clock).head("k").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
}

#[tokio::test]
async fn skewed_date_on_a_success_corrects_later_signatures() {
    let now = time::OffsetDateTime::now_utc();
    let server_date = s3lite::date::format_http_date(now);
    let server = FaultServer::start([
        expect(Method::HEAD, "/b/a").header("date", &server_date),
        expect(Method::HEAD, "/b/b").header("date", &server_date),
    ])
    .await;
    let clock = VirtualClock::default();
    clock.set_wall_error(time::Duration::minutes(6));
    let store = store(&server, &clock);
    store.head("a").await.unwrap();
    store.head("b").await.unwrap();
    let seen = server.seen();
    assert!((amz_date(&seen[0]) - now).abs() > time::Duration::minutes(5));
    assert!((amz_date(&seen[1]) - now).abs() < time::Duration::minutes(1));
}

// ---------------------------------------------------------------------------
// Limits

#[tokio::test]
async fn retry_budget_exhausted_under_a_storm() {
    // 20 tokens: four retries at 5 tokens each, then the budget is empty.
    let storm = (0..5).map(|_| expect(Method::GET, "/b/k").error(503, "SlowDown"));
    let server = FaultServer::start(storm.chain([expect(Method::GET, "/b/k2").status(503)])).await;
    let clock = VirtualClock::default();
    let store = builder(&server, &clock)
        .retry(retry_config(|r| r.retry_budget = Some(20)))
        .build()
        .unwrap();
    let e = store.get("k").await.unwrap_err();
    assert_eq!(e.s3_code(), Some("SlowDown"), "{e}");
    assert!(e.to_string().contains("retry budget"), "{e}");
    assert_backoffs(&clock, 4);
    // Other requests of the store share the empty budget: no retry at all.
    let e = store.get("k2").await.unwrap_err();
    assert_eq!(e.status(), Some(503), "{e}");
    assert_eq!(server.requests(), 6);
    assert_eq!(clock.sleeps().len(), 4);
}

#[tokio::test]
async fn disabled_budget_allows_every_retry() {
    let storm = (0..6).map(|_| expect(Method::HEAD, "/b/k").status(503));
    let server = FaultServer::start(storm.chain([expect(Method::HEAD, "/b/k")])).await;
    let clock = VirtualClock::default();
    let store = builder(&server, &clock)
        .retry(retry_config(|r| r.retry_budget = None))
        .build()
        .unwrap();
    store.head("k").await.unwrap();
    assert_backoffs(&clock, 6);
}

#[tokio::test]
async fn retry_timeout_reached_stops_retrying() {
    // Fixed 400 ms waits: attempts at 0, 400 and 800 ms; a retry at 1200 ms
    // would start past the 1 s retry_timeout.
    let storm = (0..3).map(|_| expect(Method::GET, "/b/k").status(503));
    let server = FaultServer::start(storm).await;
    let clock = VirtualClock::default();
    let store = builder(&server, &clock)
        .retry(retry_config(|r| {
            r.retry_timeout = Duration::from_secs(1);
            r.init_backoff = Duration::from_millis(400);
            r.max_backoff = Duration::from_millis(400);
        }))
        .build()
        .unwrap();
    let e = store.get("k").await.unwrap_err();
    assert_eq!(e.status(), Some(503), "{e}");
    assert!(e.to_string().contains("retry_timeout"), "{e}");
    assert_eq!(clock.sleeps(), [Duration::from_millis(400); 2]);
}

#[tokio::test]
async fn max_retries_reached_returns_the_last_error() {
    let storm = (0..4).map(|_| expect(Method::GET, "/b/k").status(502));
    let server = FaultServer::start(storm).await;
    let clock = VirtualClock::default();
    let store = builder(&server, &clock)
        .retry(retry_config(|r| r.max_retries = 3))
        .build()
        .unwrap();
    let e = store.get("k").await.unwrap_err();
    assert_eq!(e.status(), Some(502), "{e}");
    assert!(e.is_retryable());
    assert_backoffs(&clock, 3);
}

#[tokio::test]
async fn disabled_retries_send_once() {
    let server = FaultServer::start([expect(Method::GET, "/b/k").status(503)]).await;
    let clock = VirtualClock::default();
    let store = builder(&server, &clock)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    store.get("k").await.unwrap_err();
    assert!(clock.sleeps().is_empty());
}

// ---------------------------------------------------------------------------
// Multipart: what is and is not idempotent

const COMPLETE_OK: &str = "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><ETag>&quot;abc-1&quot;</ETag></CompleteMultipartUploadResult>";

#[tokio::test]
async fn complete_200_with_error_body_is_retried_with_the_same_body() {
    let complete = || expect(Method::POST, "/b/k?uploadId=U1");
    let server = FaultServer::start([
        complete().error(200, "InternalError"),
        complete().fault(Fault::ResetBeforeResponse),
        complete().body(COMPLETE_OK),
    ])
    .await;
    let clock = VirtualClock::default();
    let parts = [s3lite::xml::CompletedPart::new(1, "\"p1\"")];
    let result = store(&server, &clock)
        .complete_multipart_upload("k", "U1", &parts)
        .await
        .unwrap();
    assert_eq!(result.etag.as_deref(), Some("\"abc-1\""));
    let seen = server.seen();
    assert!(
        seen.iter()
            .all(|s| s.body == seen[0].body && !s.body.is_empty())
    );
    assert_backoffs(&clock, 2);
}

#[tokio::test]
async fn create_multipart_upload_is_not_retried_after_a_lost_answer() {
    let server = FaultServer::start([
        expect(Method::POST, "/b/k?uploads=").fault(Fault::ResetBeforeResponse)
    ])
    .await;
    let clock = VirtualClock::default();
    let e = store(&server, &clock)
        .create_multipart_upload("k")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert!(e.to_string().contains("not retried"), "{e}");
    assert!(clock.sleeps().is_empty());
}

#[tokio::test]
async fn create_multipart_upload_is_retried_on_slow_down() {
    let server = FaultServer::start([
        expect(Method::POST, "/b/k?uploads=").error(503, "SlowDown"),
        expect(Method::POST, "/b/k?uploads=").body(
            "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>U9</UploadId></InitiateMultipartUploadResult>",
        ),
    ])
    .await;
    let clock = VirtualClock::default();
    let id = store(&server, &clock)
        .create_multipart_upload("k")
        .await
        .unwrap();
    assert_eq!(id, "U9");
    assert_backoffs(&clock, 1);
}

#[tokio::test]
async fn list_page_cut_mid_body_is_retried() {
    let page = "<ListBucketResult><Name>b</Name><KeyCount>1</KeyCount><IsTruncated>false</IsTruncated><Contents><Key>a</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><Size>1</Size></Contents></ListBucketResult>";
    let list = || expect(Method::GET, "/b?list-type=2");
    let server = FaultServer::start([
        list().body(page).fault(Fault::ResetAfter(40)),
        list().body(page),
    ])
    .await;
    let clock = VirtualClock::default();
    let objects = store(&server, &clock).list(None).collect().await.unwrap();
    assert_eq!(objects.len(), 1);
    assert_backoffs(&clock, 1);
}

#[tokio::test]
async fn error_answer_cut_mid_body_is_retried_not_taken_as_its_status() {
    // Regression: the 404's body was read with `unwrap_or_default`, so a cut
    // error document became a bare, final NotFound.
    let server = FaultServer::start([
        expect(Method::GET, "/b/k")
            .error(404, "NoSuchKey")
            .fault(Fault::ResetAfter(30)),
        get_ok("/b/k", &object(10)),
    ])
    .await;
    let clock = VirtualClock::default();
    let got = store(&server, &clock).get("k").await.unwrap();
    assert_eq!(got.bytes().await.unwrap(), object(10));
    assert_backoffs(&clock, 1);
}
