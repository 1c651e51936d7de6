//! Unit tests of the request loop against a mock `HttpClient`.
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;

use super::*;
use crate::S3Store;
use crate::transport::BoxFuture;

/// Reads the request body like a real client, then answers as told.
#[derive(Debug)]
struct Mock {
    calls: AtomicUsize,
    answer: fn() -> Result<HttpResponse>,
    bodies: Mutex<Vec<Bytes>>,
}

impl HttpClient for Mock {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            let body = match request.body {
                RequestBody::Stream(mut s) => {
                    let mut all = Vec::new();
                    while let Some(chunk) =
                        std::future::poll_fn(|cx| s.as_mut().poll_next(cx)).await
                    {
                        all.extend_from_slice(&chunk.map_err(|e| e.context("request body"))?);
                    }
                    Bytes::from(all)
                }
                RequestBody::Bytes(b) => b,
                _ => Bytes::new(),
            };
            self.bodies
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(body);
            (self.answer)()
        })
    }
}

fn mock_store(answer: fn() -> Result<HttpResponse>) -> (Arc<Mock>, S3Store) {
    let mock = Arc::new(Mock {
        calls: AtomicUsize::new(0),
        answer,
        bodies: Mutex::new(Vec::new()),
    });
    let retry = RetryConfig {
        init_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
        ..RetryConfig::default()
    };
    let store = S3Store::builder()
        .bucket("b")
        .access_key_id("AKID")
        .secret_access_key("SECRET")
        .http_client(Arc::clone(&mock))
        .retry(retry)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    (mock, store)
}

fn one_shot(fail: bool) -> RequestBody {
    let mut parts = vec![Ok(Bytes::from_static(b"abc"))];
    if fail {
        parts.push(Err(
            Error::new(ErrorKind::InvalidInput, "disk on fire").with_retryable(true)
        ));
    }
    parts.reverse();
    struct Parts(Vec<Result<Bytes>>);
    impl futures_core::Stream for Parts {
        type Item = Result<Bytes>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            std::task::Poll::Ready(self.0.pop())
        }
    }
    RequestBody::from_stream(Parts(parts))
}

fn put(body: RequestBody) -> S3Request {
    S3Request::new("PutObject", Method::PUT, Some("k")).body(body)
}

fn status(code: u16) -> Result<HttpResponse> {
    Ok(HttpResponse {
        status: http::StatusCode::from_u16(code).unwrap_or(http::StatusCode::IM_A_TEAPOT),
        headers: HeaderMap::new(),
        body: ResponseBody::empty(),
    })
}

#[tokio::test]
async fn one_shot_stream_that_fails_midway_is_not_retried() {
    let (mock, store) = mock_store(|| status(200));
    let e = store
        .inner
        .send(put(one_shot(true)))
        .await
        .expect_err("stream failed");
    assert!(e.to_string().contains("disk on fire"), "{e}");
    assert!(e.to_string().contains("one-shot stream"), "{e}");
    assert_eq!(mock.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn one_shot_stream_is_not_resent_after_503() {
    let (mock, store) = mock_store(|| status(503));
    let e = store
        .inner
        .send(put(one_shot(false)))
        .await
        .expect_err("503");
    assert_eq!(e.status(), Some(503));
    assert!(e.to_string().contains("one-shot stream"), "{e}");
    assert_eq!(mock.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn bytes_body_is_resent_whole_after_503() {
    let (mock, store) = mock_store(|| status(503));
    let body = RequestBody::from(Bytes::from_static(b"hello"));
    store.inner.send(put(body)).await.expect_err("503");
    let bodies = mock
        .bodies
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    assert_eq!(bodies.len(), 11, "first attempt + max_retries");
    assert!(bodies.iter().all(|b| b == "hello"));
}

#[tokio::test]
async fn lost_answer_of_non_idempotent_post_is_not_retried() {
    let (mock, store) = mock_store(|| {
        Err(Error::new(ErrorKind::Transport, "connection reset").with_retryable(true))
    });
    let req = S3Request::new("CreateMultipartUpload", Method::POST, Some("k"));
    let e = store.inner.send(req).await.expect_err("reset");
    assert!(e.to_string().contains("not retried"), "{e}");
    assert_eq!(mock.calls.load(Ordering::SeqCst), 1);
    // The same failure on an idempotent request is retried.
    let req = S3Request::new("CompleteMultipartUpload", Method::POST, Some("k")).idempotent(true);
    store.inner.send(req).await.expect_err("reset");
    assert_eq!(mock.calls.load(Ordering::SeqCst), 12);
}

#[test]
fn budget_takes_more_for_timeouts_and_refunds_on_success() {
    let state = RetryState::new(&RetryConfig::default(), None);
    let budget = state.budget.as_ref().unwrap_or_else(|| panic!("budget"));
    let timeout = Error::new(ErrorKind::Timeout, "t");
    let reset = Error::new(ErrorKind::Transport, "r");
    assert_eq!(state.acquire(&timeout), Some(TIMEOUT_RETRY_COST));
    assert_eq!(state.acquire(&reset), Some(RETRY_COST));
    assert_eq!(budget.available(), 500 - 15);
    budget.on_success(Some(RETRY_COST));
    budget.on_success(None);
    assert_eq!(budget.available(), 500 - 9);
    for _ in 0..100 {
        budget.on_success(None);
    }
    assert_eq!(budget.available(), 500, "never above capacity");
}

/// Regression: an invalid header value was echoed in the error, session and
/// S3 Express tokens and SSE-C keys included.
#[test]
fn header_value_errors_never_show_a_secret_value() {
    for name in [
        "x-amz-security-token",
        "x-amz-s3session-token",
        "x-amz-server-side-encryption-customer-key",
        "x-amz-copy-source-server-side-encryption-customer-key",
        "authorization",
    ] {
        let e = header_value(name, "SECRETVALUE\nX-Evil: 1").expect_err("newline");
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let shown = format!("{e} {e:?}");
        assert!(
            !shown.contains("SECRETVALUE") && shown.contains(name),
            "{shown}"
        );
        let req = S3Request::new("PutObject", Method::PUT, Some("k"));
        let header = HeaderName::from_static(name);
        let e = req
            .header(header, "SECRETVALUE\r")
            .map(|_| ())
            .expect_err("bare CR");
        assert!(!format!("{e} {e:?}").contains("SECRETVALUE"), "{e}");
    }
    // Other headers name the value, which helps find the bad input.
    let e = header_value("content-type", "text/\nplain").expect_err("newline");
    assert!(e.to_string().contains("text/\\nplain"), "{e}");
    assert!(header_value("x-amz-security-token", "tok").is_ok_and(|v| v.is_sensitive()));
}

/// Records the URL and `Authorization` of each request; answers 204.
#[derive(Debug, Default)]
struct Recorder {
    seen: Mutex<Vec<(String, String)>>,
}

impl HttpClient for Recorder {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse>> {
        let auth = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((request.url, auth));
        Box::pin(async { status(204) })
    }
}

/// Regression: requests were signed for the configured region, so
/// `aws-global` put `aws-global` into the credential scope, and an access
/// point ARN in another region would have been signed for the wrong one.
#[tokio::test]
async fn requests_are_signed_for_the_endpoints_signing_region() {
    let cases = [
        (
            "aws-global",
            "photos",
            "https://photos.s3.amazonaws.com/k",
            "/us-east-1/s3/aws4_request",
        ),
        (
            "us-east-1",
            "arn:aws:s3:eu-west-1:123456789012:accesspoint/reports",
            "https://reports-123456789012.s3-accesspoint.eu-west-1.amazonaws.com/k",
            "/eu-west-1/s3/aws4_request",
        ),
    ];
    for (region, bucket, url, scope) in cases {
        let recorder = Arc::new(Recorder::default());
        let store = S3Store::builder()
            .without_env()
            .bucket(bucket)
            .region(region)
            .access_key_id("AKID")
            .secret_access_key("SECRET")
            .http_client(Arc::clone(&recorder))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        store
            .delete("k")
            .await
            .unwrap_or_else(|e| panic!("{bucket}: {e}"));
        let seen = recorder
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(seen[0].0, url);
        assert!(seen[0].1.contains(scope), "{}", seen[0].1);
    }
}
