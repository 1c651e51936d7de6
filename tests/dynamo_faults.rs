//! `conditional_put = dynamo:` against a scripted endpoint that plays both
//! S3 and DynamoDB (the lock table lives at the store's endpoint): which
//! DynamoDB failures are retried, with what backoff and signatures, and a
//! lock whose PutItem answer was lost.
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
use s3lite::transport::BoxFuture;
use s3lite::{ErrorKind, PutMode, PutOptions, S3Store};
use server::{Fault, FaultServer, Seen, Step, VirtualClock, expect};

const ETAG: &str = "\"0123456789abcdef0123456789abcdef\"";

/// Hands out a new session token (`T0`, `T1`, ...) on every call, so each
/// signature shows which credentials it was made with.
#[derive(Debug, Default)]
struct Counting(AtomicUsize);

impl CredentialProvider for Counting {
    fn credentials(&self) -> BoxFuture<'_, s3lite::Result<Arc<Credentials>>> {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            Ok(Arc::new(
                Credentials::new("AKID", "SECRET").with_session_token(format!("T{n}")),
            ))
        })
    }
    // Asked on every attempt (what the tests check), not cached by the store.
    fn is_cached(&self) -> bool {
        true
    }
}

fn store(server: &FaultServer, clock: &VirtualClock, max_retries: usize) -> S3Store {
    let mut retry = RetryConfig::default();
    retry.jitter_seed = Some(7);
    retry.max_retries = max_retries;
    S3Store::builder()
        .bucket("b")
        .endpoint(server.base())
        .allow_http(true)
        .credentials(Counting::default())
        .retry(retry)
        .clock(clock.clone())
        .conditional_put("dynamo:locks:2000".parse().unwrap())
        .build()
        .unwrap()
}

fn create() -> PutOptions {
    PutOptions::default().with_mode(PutMode::Create)
}

/// A DynamoDB call; answered 200 `{}` unless changed.
fn dynamo() -> Step {
    expect(Method::POST, "/")
        .with_request_header("x-amz-target", "DynamoDB_20120810.PutItem")
        .header("content-type", "application/x-amz-json-1.0")
        .body("{}")
}

/// A DynamoDB error answer of type `code`.
fn dynamo_error(status: u16, code: &str, extra: &str) -> Step {
    dynamo().status(status).body(format!(
        r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{code}","message":"scripted {code}"{extra}}}"#
    ))
}

fn head_missing() -> Step {
    expect(Method::HEAD, "/b/k").status(404)
}

fn put_ok() -> Step {
    expect(Method::PUT, "/b/k").header("etag", ETAG)
}

/// The DynamoDB requests the server saw.
fn dynamo_calls(server: &FaultServer) -> Vec<Seen> {
    server
        .seen()
        .into_iter()
        .filter(|s| s.method == Method::POST)
        .collect()
}

fn assert_backoffs(clock: &VirtualClock, n: usize) {
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), n, "{sleeps:?}");
    let cfg = RetryConfig::default();
    for d in sleeps {
        assert!(d >= cfg.init_backoff && d <= cfg.max_backoff, "{d:?}");
    }
}

#[tokio::test]
async fn throttled_lock_call_is_retried_and_signed_afresh() {
    let server = FaultServer::start([
        head_missing(),
        dynamo_error(400, "ThrottlingException", ""),
        dynamo_error(400, "ThrottlingException", ""),
        dynamo(),
        put_ok(),
    ])
    .await;
    let clock = VirtualClock::default();
    let s = store(&server, &clock, 10);
    s.put_opts("k", Bytes::from_static(b"v"), create())
        .await
        .unwrap();
    let calls = dynamo_calls(&server);
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert_backoffs(&clock, 2);
    // Every attempt fetched credentials again and signed with them.
    let tokens: Vec<&str> = calls
        .iter()
        .map(|c| c.header("x-amz-security-token"))
        .collect();
    assert!(
        tokens[0] != tokens[1] && tokens[1] != tokens[2],
        "{tokens:?}"
    );
    for c in &calls {
        let auth = c.header("authorization");
        assert!(auth.contains("/dynamodb/aws4_request"), "{auth}");
        assert!(auth.contains("x-amz-security-token"), "{auth}");
        // The same document each time.
        assert_eq!(c.body, calls[0].body);
    }
}

#[tokio::test]
async fn server_errors_and_a_reset_are_retried() {
    let server = FaultServer::start([
        head_missing(),
        dynamo_error(500, "InternalServerError", ""),
        dynamo_error(503, "ServiceUnavailable", ""),
        dynamo().fault(Fault::ResetBeforeResponse),
        dynamo_error(400, "ProvisionedThroughputExceededException", ""),
        dynamo_error(400, "RequestLimitExceeded", ""),
        dynamo(),
        put_ok(),
    ])
    .await;
    let clock = VirtualClock::default();
    let s = store(&server, &clock, 10);
    s.put_opts("k", Bytes::from_static(b"v"), create())
        .await
        .unwrap();
    assert_eq!(dynamo_calls(&server).len(), 6);
    assert_backoffs(&clock, 5);
}

#[tokio::test]
async fn failed_condition_is_not_retried() {
    // Another writer holds the lock; after one re-check interval its write
    // has made the object exist.
    let held = r#","Item":{"generation":{"N":"0"},"timeout":{"N":"2000"},"owner":{"S":"other"}}"#;
    let server = FaultServer::start([
        head_missing(),
        dynamo_error(400, "ConditionalCheckFailedException", held),
        expect(Method::HEAD, "/b/k").header("etag", ETAG),
    ])
    .await;
    let clock = VirtualClock::default();
    let s = store(&server, &clock, 10);
    let e = s
        .put_opts("k", Bytes::from_static(b"v"), create())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    assert_eq!(dynamo_calls(&server).len(), 1);
    // Only the lock's re-check interval, no backoff.
    assert_eq!(clock.sleeps(), [Duration::from_millis(100)]);
}

#[tokio::test]
async fn client_error_is_not_retried() {
    let server =
        FaultServer::start([head_missing(), dynamo_error(400, "ValidationException", "")]).await;
    let clock = VirtualClock::default();
    let s = store(&server, &clock, 10);
    let e = s
        .put_opts("k", Bytes::from_static(b"v"), create())
        .await
        .unwrap_err();
    assert_eq!(e.s3_code(), Some("ValidationException"), "{e}");
    assert!(!e.is_retryable(), "{e}");
    assert_eq!(dynamo_calls(&server).len(), 1);
    assert_backoffs(&clock, 0);
}

#[tokio::test]
async fn throttling_stops_after_max_retries() {
    let server = FaultServer::start([
        head_missing(),
        dynamo_error(400, "ThrottlingException", ""),
        dynamo_error(400, "ThrottlingException", ""),
        dynamo_error(400, "ThrottlingException", ""),
    ])
    .await;
    let clock = VirtualClock::default();
    let s = store(&server, &clock, 2);
    let e = s
        .put_opts("k", Bytes::from_static(b"v"), create())
        .await
        .unwrap_err();
    assert_eq!(e.s3_code(), Some("ThrottlingException"), "{e}");
    assert!(e.is_retryable(), "{e}");
    assert_eq!(dynamo_calls(&server).len(), 3);
    assert_backoffs(&clock, 2);
}

/// The first PutItem took the lock but its answer was lost; the retry finds
/// the condition failed on the record it wrote itself. Without the owner
/// token the writer waited out its own lock (3 x the timeout) as if another
/// writer held it.
#[tokio::test]
async fn lock_taken_by_a_lost_attempt_is_recognised_as_ours() {
    let posts = AtomicUsize::new(0);
    let server = FaultServer::respond_with(move |seen| match seen.method {
        Method::HEAD => head_missing(),
        Method::PUT => put_ok(),
        _ => match posts.fetch_add(1, Ordering::SeqCst) {
            0 => dynamo().fault(Fault::ResetBeforeResponse),
            1 => conflict_with_own_record(seen),
            // A takeover after waiting out the lock: what broke.
            _ => dynamo(),
        },
    })
    .await;
    let clock = VirtualClock::default();
    let s = store(&server, &clock, 10);
    s.put_opts("k", Bytes::from_static(b"v"), create())
        .await
        .unwrap();
    let calls = dynamo_calls(&server);
    assert_eq!(calls.len(), 2);
    // One backoff, and no wait for a lock held by "someone else".
    assert_backoffs(&clock, 1);
    assert_eq!(
        server
            .seen()
            .iter()
            .map(|s| s.method.as_str())
            .collect::<Vec<_>>(),
        ["HEAD", "POST", "POST", "PUT"]
    );
}

/// ConditionalCheckFailed whose old item is the one `seen` tried to write.
fn conflict_with_own_record(seen: &Seen) -> Step {
    let body = String::from_utf8_lossy(&seen.body);
    let owner = body
        .split_once(r#""owner":{"S":""#)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(owner, _)| owner.to_string())
        .unwrap_or_default();
    assert!(!owner.is_empty(), "no owner token in {body}");
    let item = format!(
        r#","Item":{{"generation":{{"N":"0"}},"timeout":{{"N":"2000"}},"owner":{{"S":"{owner}"}}}}"#
    );
    dynamo_error(400, "ConditionalCheckFailedException", &item)
}
