//! Request bodies under faults, on both built-in clients: a file body is
//! read again and resent whole after a reset mid-body (single PUT and a
//! multipart part), and a one-shot stream shorter than its `Content-Length`
//! fails the request instead of being sent as complete.
#![cfg(all(feature = "hyper-rustls", feature = "reqwest"))]
#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

#[path = "faults/server.rs"]
mod server;

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use http::Method;
use s3lite::retry::RetryConfig;
use s3lite::transport::{
    ClientOptions, HttpClient, HttpRequest, HyperClient, RequestBody, ReqwestClient,
};
use s3lite::{ErrorKind, S3Store, TransferConfig};
use server::{Fault, FaultServer, VirtualClock, expect};

const MIB: usize = 1024 * 1024;

#[derive(Clone, Copy, Debug)]
enum Client {
    Hyper,
    Reqwest,
}

fn client(which: Client) -> Arc<dyn HttpClient> {
    let mut options = ClientOptions::default();
    options.allow_http = true;
    match which {
        Client::Hyper => Arc::new(HyperClient::new(&options).unwrap()),
        Client::Reqwest => Arc::new(ReqwestClient::new(&options).unwrap()),
    }
}

fn store(server: &FaultServer, which: Client, clock: &VirtualClock) -> S3Store {
    let mut retry = RetryConfig::default();
    retry.jitter_seed = Some(7);
    S3Store::builder()
        .bucket("b")
        .endpoint(server.base())
        .allow_http(true)
        .access_key_id("AKIDEXAMPLE")
        .secret_access_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        .http_client(client(which))
        .retry(retry)
        .clock(clock.clone())
        .build()
        .unwrap()
}

fn data(len: usize) -> Bytes {
    (0..len).map(|i| (i * 7 % 253) as u8).collect()
}

/// A file removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: &[u8]) -> TempFile {
        let path =
            std::env::temp_dir().join(format!("s3lite-faults-body-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

// ---------------------------------------------------------------------------
// File bodies are replayed

/// A file up to 1 MiB is read whole and sent from memory, a larger one is
/// read while it is sent: both are resent whole after a reset.
async fn file_put_reset_mid_body_is_resent_whole(which: Client) {
    for size in [300_000, 2 * MIB + 1] {
        let contents = data(size);
        let file = TempFile::new(&format!("put-{which:?}-{size}"), &contents);
        let server = FaultServer::start([
            expect(Method::PUT, "/b/k").fault(Fault::ResetDuringRequestBody(100_000)),
            expect(Method::PUT, "/b/k").header("etag", "\"e1\""),
        ])
        .await;
        let clock = VirtualClock::default();
        let put = store(&server, which, &clock)
            .upload_file("k", &file.0, None)
            .await
            .unwrap();
        assert_eq!(put.etag.as_deref(), Some("\"e1\""));
        let seen = server.seen();
        assert_eq!(seen.len(), 2);
        assert!(
            seen[0].body.len() >= 100_000 && seen[0].body.len() < contents.len(),
            "{size}: the first attempt was cut: {} bytes",
            seen[0].body.len()
        );
        assert_eq!(seen[1].header("content-length"), size.to_string());
        assert!(
            seen[1].body == contents,
            "{size}: the retry resent other bytes"
        );
        assert_eq!(clock.sleeps().len(), 1, "one backoff before the retry");
    }
}

#[tokio::test]
async fn file_put_reset_mid_body_is_resent_whole_hyper() {
    file_put_reset_mid_body_is_resent_whole(Client::Hyper).await;
}

#[tokio::test]
async fn file_put_reset_mid_body_is_resent_whole_reqwest() {
    file_put_reset_mid_body_is_resent_whole(Client::Reqwest).await;
}

async fn file_part_reset_mid_body_is_resent_whole(which: Client) {
    // 11 MiB in 5 MiB parts: 5 + 5 + 1, sent one at a time.
    let contents = data(11 * MIB);
    let file = TempFile::new(&format!("parts-{which:?}"), &contents);
    let part = |n: u32| expect(Method::PUT, &format!("/b/k?partNumber={n}&uploadId=U1"));
    let server = FaultServer::start([
        expect(Method::POST, "/b/k?uploads=").body(
            "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>U1</UploadId></InitiateMultipartUploadResult>",
        ),
        part(1).fault(Fault::ResetDuringRequestBody(MIB)),
        part(1).header("etag", "\"p1\""),
        part(2).header("etag", "\"p2\""),
        part(3).header("etag", "\"p3\""),
        expect(Method::POST, "/b/k?uploadId=U1").body(
            "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><ETag>\"all-3\"</ETag></CompleteMultipartUploadResult>",
        ),
    ])
    .await;
    let clock = VirtualClock::default();
    let config = TransferConfig::default()
        .with_multipart_threshold(5 * MIB as u64)
        .with_multipart_chunksize(5 * MIB as u64)
        .with_max_concurrency(1);
    let put = store(&server, which, &clock)
        .transfer(config)
        .unwrap()
        .upload_file("k", &file.0, None)
        .await
        .unwrap();
    assert_eq!(put.etag.as_deref(), Some("\"all-3\""));
    let seen = server.seen();
    assert!(seen[1].body.len() < 5 * MIB, "part 1 was cut");
    assert_eq!(seen[2].header("content-length"), (5 * MIB).to_string());
    assert!(
        seen[2].body == contents.slice(..5 * MIB),
        "part 1 resent differs"
    );
    assert!(seen[3].body == contents.slice(5 * MIB..10 * MIB));
    assert!(seen[4].body == contents.slice(10 * MIB..));
    let complete = String::from_utf8_lossy(&seen[5].body).into_owned();
    for etag in ["p1", "p2", "p3"] {
        assert!(complete.contains(etag), "{complete}");
    }
}

#[tokio::test]
async fn file_part_reset_mid_body_is_resent_whole_hyper() {
    file_part_reset_mid_body_is_resent_whole(Client::Hyper).await;
}

#[tokio::test]
async fn file_part_reset_mid_body_is_resent_whole_reqwest() {
    file_part_reset_mid_body_is_resent_whole(Client::Reqwest).await;
}

#[tokio::test]
async fn file_body_of_a_missing_file_fails_without_retries() {
    let server = FaultServer::start([]).await;
    let clock = VirtualClock::default();
    let mut request = HttpRequest::new(Method::PUT, format!("{}/b/k", server.base()));
    request.body = RequestBody::from_file("/nonexistent/s3lite/file", 0, 10);
    let e = client(Client::Hyper).send(request).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(!e.is_retryable());
    assert!(clock.sleeps().is_empty());
}

// ---------------------------------------------------------------------------
// A one-shot stream shorter than its Content-Length

/// Yields `first`, pauses so the client flushes it to the server, then ends.
struct ShortStream {
    first: Option<Bytes>,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Stream for ShortStream {
    type Item = s3lite::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(Ok(first)));
        }
        // Not a retry delay: gives the connection time to send the prefix,
        // so the server sees a started, then aborted, body.
        let pause = self
            .pause
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_millis(100))));
        if pause.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        Poll::Ready(None)
    }
}

async fn short_stream_is_never_sent_as_complete(which: Client) {
    let server = FaultServer::start([expect(Method::PUT, "/b/short")]).await;
    let mut request = HttpRequest::new(Method::PUT, format!("{}/b/short", server.base()));
    request
        .headers
        .insert(http::header::CONTENT_LENGTH, http::HeaderValue::from(20u64));
    request.body = RequestBody::from_stream(ShortStream {
        first: Some(Bytes::from_static(b"0123456789")),
        pause: None,
    });
    let e = client(which).send(request).await.unwrap_err();
    assert!(
        e.to_string().contains("ended after 10 of the 20 bytes"),
        "{e}"
    );
    server.wait_for_requests(1).await;
    let seen = &server.seen()[0];
    assert!(seen.body.len() <= 10, "{} bytes arrived", seen.body.len());
    assert!(
        seen.body_error.is_some(),
        "the server saw a complete body of {} bytes",
        seen.body.len()
    );
}

#[tokio::test]
async fn short_stream_is_never_sent_as_complete_hyper() {
    short_stream_is_never_sent_as_complete(Client::Hyper).await;
}

#[tokio::test]
async fn short_stream_is_never_sent_as_complete_reqwest() {
    short_stream_is_never_sent_as_complete(Client::Reqwest).await;
}
