//! A CompleteMultipartUpload whose first attempt did the work but whose
//! answer was lost: the retry sees the object it made (412 under
//! `If-None-Match: *`) or the upload gone (`NoSuchUpload`). The store then
//! HEADs the key and takes the write as done only if the ETag is the one
//! S3 makes from these parts.
#![cfg(feature = "hyper-rustls")]
#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

#[path = "faults/server.rs"]
mod server;

use http::Method;
use s3lite::retry::RetryConfig;
use s3lite::xml::CompletedPart;
use s3lite::{ErrorKind, PutMode, S3Store};
use server::{Fault, FaultServer, Step, VirtualClock, expect};

/// The MD5s of "part one" and "part two", and the multipart ETag of the
/// two (computed with Python's hashlib).
const PART1: &str = "\"3303e12af474ca11d85ed2966a932992\"";
const PART2: &str = "\"3ea4e15b91a17dc76052c56cfcdf67a2\"";
const COMBINED: &str = "\"0732917abc3288784e318ac0aab1757a-2\"";
const OTHER: &str = "\"ffffffffffffffffffffffffffffffff-2\"";

fn store(server: &FaultServer, clock: &VirtualClock) -> S3Store {
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
        .build()
        .unwrap()
}

fn parts() -> Vec<CompletedPart> {
    vec![CompletedPart::new(1, PART1), CompletedPart::new(2, PART2)]
}

/// A CompleteMultipartUpload of upload `U` of `key` sent with `If-None-Match: *`.
fn complete_create(key: &str) -> Step {
    expect(Method::POST, &format!("/b/{key}?uploadId=U")).with_request_header("if-none-match", "*")
}

/// The first completion: the server does the work, then the connection breaks.
fn lost(step: Step) -> Step {
    step.fault(Fault::ResetBeforeResponse)
}

fn head(key: &str, etag: &str) -> Step {
    expect(Method::HEAD, &format!("/b/{key}"))
        .header("etag", etag)
        .header("x-amz-version-id", "v1")
}

async fn complete(s: &S3Store, mode: &PutMode) -> s3lite::Result<s3lite::PutResult> {
    s.complete_multipart_upload_opts("k", "U", &parts(), mode)
        .await
}

#[tokio::test]
async fn retried_create_finding_its_own_object_succeeds() {
    let server = FaultServer::start([
        lost(complete_create("k")),
        complete_create("k").error(412, "PreconditionFailed"),
        head("k", COMBINED),
    ])
    .await;
    let clock = VirtualClock::default();
    let put = complete(&store(&server, &clock), &PutMode::Create)
        .await
        .unwrap();
    assert_eq!(put.etag.as_deref(), Some(COMBINED));
    assert_eq!(put.version_id.as_deref(), Some("v1"));
    assert_eq!(clock.sleeps().len(), 1);
}

#[tokio::test]
async fn retried_create_finding_another_object_is_already_exists() {
    let server = FaultServer::start([
        lost(complete_create("k")),
        complete_create("k").error(412, "PreconditionFailed"),
        head("k", OTHER),
    ])
    .await;
    let clock = VirtualClock::default();
    let e = complete(&store(&server, &clock), &PutMode::Create)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    assert_eq!(e.s3_code(), Some("PreconditionFailed"), "{e}");
}

#[tokio::test]
async fn retried_complete_finding_the_upload_gone_checks_the_object() {
    let complete_step = || expect(Method::POST, "/b/k?uploadId=U");
    let server = FaultServer::start([
        lost(complete_step()),
        complete_step().error(404, "NoSuchUpload"),
        head("k", COMBINED),
    ])
    .await;
    let clock = VirtualClock::default();
    let put = complete(&store(&server, &clock), &PutMode::Overwrite)
        .await
        .unwrap();
    assert_eq!(put.etag.as_deref(), Some(COMBINED));
}

#[tokio::test]
async fn retried_complete_finding_the_upload_gone_and_no_object_is_not_found() {
    let complete_step = || expect(Method::POST, "/b/k?uploadId=U");
    let server = FaultServer::start([
        lost(complete_step()),
        complete_step().error(404, "NoSuchUpload"),
        expect(Method::HEAD, "/b/k").status(404),
    ])
    .await;
    let clock = VirtualClock::default();
    let e = complete(&store(&server, &clock), &PutMode::Overwrite)
        .await
        .unwrap_err();
    assert_eq!(e.s3_code(), Some("NoSuchUpload"), "{e}");
}

/// Without a retry a 412 is another writer's object: no HEAD (the script
/// has none, so one would fail the test).
#[tokio::test]
async fn first_attempt_412_is_already_exists_without_a_head() {
    let server = FaultServer::start([complete_create("k").error(412, "PreconditionFailed")]).await;
    let clock = VirtualClock::default();
    let e = complete(&store(&server, &clock), &PutMode::Create)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
}

/// Part ETags that are not MD5s give no ETag to compare: the outcome is
/// unknown, and the error says so (it used to claim `AlreadyExists`, which
/// may be this upload's own object).
#[tokio::test]
async fn parts_without_md5_etags_give_an_outcome_unknown_error() {
    let server = FaultServer::start([
        lost(complete_create("k")),
        complete_create("k").error(412, "PreconditionFailed"),
    ])
    .await;
    let clock = VirtualClock::default();
    let odd = [CompletedPart::new(1, "\"kms-etag-1\"")];
    let e = store(&server, &clock)
        .complete_multipart_upload_opts("k", "U", &odd, &PutMode::Create)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert!(!e.is_retryable());
    assert!(e.to_string().contains("cannot be told"), "{e}");
}

/// `copy_if_not_exists = multipart` end to end, the completion's answer lost.
#[tokio::test]
async fn copy_if_not_exists_by_parts_survives_a_lost_completion() {
    let part = "\"3303e12af474ca11d85ed2966a932992\"";
    // MD5 of the one binary part MD5, "-1" (Python's hashlib).
    let whole = "\"a675974b8fb9bfea1d5007ce26896811-1\"";
    let server = FaultServer::start([
        expect(Method::HEAD, "/b/src").header("content-length", "8"),
        expect(Method::POST, "/b/dst?uploads=").body(
            "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>dst</Key><UploadId>U</UploadId></InitiateMultipartUploadResult>",
        ),
        expect(Method::PUT, "/b/dst?partNumber=1&uploadId=U").body(format!(
            "<CopyPartResult><ETag>{part}</ETag></CopyPartResult>"
        )),
        lost(complete_create("dst")),
        complete_create("dst").error(412, "PreconditionFailed"),
        head("dst", whole),
    ])
    .await;
    let clock = VirtualClock::default();
    let s = S3Store::builder()
        .bucket("b")
        .endpoint(server.base())
        .allow_http(true)
        .access_key_id("AKIDEXAMPLE")
        .secret_access_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        .retry({
            let mut r = RetryConfig::default();
            r.jitter_seed = Some(7);
            r
        })
        .clock(clock.clone())
        .copy_if_not_exists("multipart".parse().unwrap())
        .build()
        .unwrap();
    s.copy_if_not_exists("src", "dst").await.unwrap();
}
