//! Regression tests for the write paths that could overwrite, orphan or
//! misreport (issue 16), against the scripted server: a lost answer to a
//! conditional write, uploads whose future is dropped, a copy whose source
//! changes, a failed download over an existing file, listings that cannot
//! be followed, a GET without `Content-Length`. Each test says in a comment
//! what went wrong before.
#![cfg(feature = "hyper-rustls")]
#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

#[path = "faults/server.rs"]
mod server;

use std::time::Duration;

use bytes::Bytes;
use http::Method;
use s3lite::config::ChecksumAlgorithm;
use s3lite::retry::RetryConfig;
use s3lite::{ErrorKind, PutMode, PutOptions, S3Store, S3StoreBuilder, TransferConfig};
use server::{Fault, FaultServer, Step, VirtualClock, expect};

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

/// `"<hex md5 of data>"`: the ETag S3 gives a single-part object.
fn etag_of(data: &[u8]) -> String {
    format!(
        "\"{}\"",
        s3lite::encoding::encode_hex(&s3lite::encoding::md5(data))
    )
}

const OTHER_ETAG: &str = "\"ffffffffffffffffffffffffffffffff\"";

fn put_create() -> Step {
    expect(Method::PUT, "/b/k").with_request_header("if-none-match", "*")
}

fn create() -> PutOptions {
    PutOptions::default().with_mode(PutMode::Create)
}

// ---------------------------------------------------------------------------
// Conditional writes whose answer is lost

/// Before: the retry's 412 came back as `AlreadyExists`, although the
/// object there was the one this very put wrote.
#[tokio::test]
async fn lost_create_whose_retry_finds_its_own_object_succeeds() {
    let data = Bytes::from_static(b"lock owner 1");
    let server = FaultServer::start([
        put_create().fault(Fault::ResetBeforeResponse),
        put_create().error(412, "PreconditionFailed"),
        expect(Method::HEAD, "/b/k")
            .header("etag", &etag_of(&data))
            .header("x-amz-version-id", "v7"),
    ])
    .await;
    let clock = VirtualClock::default();
    let put = store(&server, &clock)
        .put_opts("k", data.clone(), create())
        .await
        .unwrap();
    assert_eq!(put.etag.as_deref(), Some(etag_of(&data).as_str()));
    assert_eq!(put.version_id.as_deref(), Some("v7"));
}

#[tokio::test]
async fn lost_create_whose_retry_finds_another_object_is_already_exists() {
    let server = FaultServer::start([
        put_create().fault(Fault::ResetBeforeResponse),
        put_create().error(412, "PreconditionFailed"),
        expect(Method::HEAD, "/b/k").header("etag", OTHER_ETAG),
    ])
    .await;
    let clock = VirtualClock::default();
    let e = store(&server, &clock)
        .put_opts("k", Bytes::from_static(b"mine"), create())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
}

/// An SSE-KMS object's ETag is not its MD5: nothing can be compared, and
/// the caller is told the outcome is unknown instead of a wrong answer.
#[tokio::test]
async fn lost_create_on_a_kms_object_is_reported_as_unknown() {
    let server = FaultServer::start([
        put_create().fault(Fault::ResetBeforeResponse),
        put_create().error(412, "PreconditionFailed"),
        expect(Method::HEAD, "/b/k")
            .header("etag", OTHER_ETAG)
            .header("x-amz-server-side-encryption", "aws:kms"),
    ])
    .await;
    let clock = VirtualClock::default();
    let e = store(&server, &clock)
        .put_opts("k", Bytes::from_static(b"mine"), create())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert!(!e.is_retryable());
    let text = e.to_string();
    assert!(
        text.contains("cannot be told") && text.contains("SSE-KMS"),
        "{text}"
    );
}

/// With a checksum algorithm the object's own checksum settles it, whatever
/// its ETag.
#[tokio::test]
async fn lost_update_is_settled_by_the_checksum_sent() {
    let data = Bytes::from_static(b"new contents");
    let crc = s3lite::checksum::checksum_base64(ChecksumAlgorithm::Crc32c, &data);
    let put_update = || {
        expect(Method::PUT, "/b/k")
            .with_request_header("if-match", "\"old\"")
            .with_request_header("x-amz-checksum-crc32c", &crc)
    };
    let server = FaultServer::start([
        put_update().fault(Fault::ResetBeforeResponse),
        put_update().error(412, "PreconditionFailed"),
        expect(Method::HEAD, "/b/k")
            .with_request_header("x-amz-checksum-mode", "ENABLED")
            .header("etag", "\"kms-style-etag\"")
            .header("x-amz-server-side-encryption", "aws:kms")
            .header("x-amz-checksum-crc32c", &crc),
    ])
    .await;
    let clock = VirtualClock::default();
    let s = builder(&server, &clock)
        .checksum_algorithm(ChecksumAlgorithm::Crc32c)
        .build()
        .unwrap();
    let update = PutOptions::default().with_mode(PutMode::Update {
        etag: "\"old\"".into(),
        version: None,
    });
    let put = s.put_opts("k", data, update).await.unwrap();
    assert_eq!(put.etag.as_deref(), Some("\"kms-style-etag\""));
}

/// A 412 on the first attempt is the condition failing: no HEAD.
#[tokio::test]
async fn create_refused_at_the_first_attempt_is_already_exists_without_a_head() {
    let server = FaultServer::start([put_create().error(412, "PreconditionFailed")]).await;
    let clock = VirtualClock::default();
    let e = store(&server, &clock)
        .put_opts("k", Bytes::from_static(b"mine"), create())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
}

/// Before: a CopyObject with `If-None-Match: *` (the header mode) whose answer was lost was
/// reported `AlreadyExists` when the retry met the copy's own object.
#[tokio::test]
async fn lost_conditional_copy_finding_a_copy_of_its_source_succeeds() {
    let source = "\"0123456789abcdef0123456789abcdef\"";
    let copy = || {
        expect(Method::PUT, "/b/dst")
            .with_request_header("x-amz-copy-source", "/b/src")
            .with_request_header("if-none-match", "*")
    };
    let server = FaultServer::start([
        copy().fault(Fault::ResetBeforeResponse),
        copy().error(412, "PreconditionFailed"),
        expect(Method::HEAD, "/b/src").header("etag", source),
        expect(Method::HEAD, "/b/dst").header("etag", source),
    ])
    .await;
    let clock = VirtualClock::default();
    let s = builder(&server, &clock)
        .copy_if_not_exists("header:If-None-Match:*".parse().unwrap())
        .build()
        .unwrap();
    let put = s.copy_if_not_exists("src", "dst").await.unwrap();
    assert_eq!(put.etag.as_deref(), Some(source));
}

// ---------------------------------------------------------------------------
// Uploads that must not be left open

fn initiate(key: &str) -> Step {
    expect(Method::POST, &format!("/b/{key}?uploads=")).body(format!(
        "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>{key}</Key><UploadId>U</UploadId></InitiateMultipartUploadResult>"
    ))
}

/// The abort, then the one ListParts that checks no part landed late.
fn abort_and_check(key: &str) -> [Step; 2] {
    [
        expect(Method::DELETE, &format!("/b/{key}?uploadId=U")).status(204),
        expect(Method::GET, &format!("/b/{key}?uploadId=U")).error(404, "NoSuchUpload"),
    ]
}

/// Before: `upload_file` aborted only on an error; a dropped future (here a
/// timeout) left the upload open, its parts billed.
#[tokio::test]
async fn dropped_file_upload_aborts_its_upload() {
    let [abort, check] = abort_and_check("big");
    let server = FaultServer::start([
        initiate("big"),
        expect(Method::PUT, "/b/big?partNumber=1&uploadId=U").fault(Fault::Hang),
        abort,
        check,
    ])
    .await;
    let clock = VirtualClock::default();
    let s = store(&server, &clock);
    let dir = std::env::temp_dir().join(format!("s3lite-drop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.bin");
    std::fs::write(&path, vec![7u8; 6 * 1024 * 1024]).unwrap();
    let config = TransferConfig::default()
        .with_multipart_threshold(5 * 1024 * 1024)
        .with_multipart_chunksize(5 * 1024 * 1024)
        .with_max_concurrency(1);
    let upload = s.transfer(config).unwrap();
    let timed = tokio::time::timeout(
        Duration::from_millis(500),
        upload.upload_file("big", &path, None),
    )
    .await;
    assert!(timed.is_err(), "the part hangs, so the upload times out");
    server.wait_for_requests(4).await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A list of parts after the abort means a part landed late: abort again.
#[tokio::test]
async fn abort_is_repeated_when_parts_landed_after_it() {
    let server = FaultServer::start([
        expect(Method::DELETE, "/b/k?uploadId=U").status(204),
        expect(Method::GET, "/b/k?uploadId=U").body(
            "<ListPartsResult><Bucket>b</Bucket><Key>k</Key><UploadId>U</UploadId><IsTruncated>false</IsTruncated>\
             <Part><PartNumber>3</PartNumber><ETag>\"e\"</ETag><Size>5</Size></Part></ListPartsResult>",
        ),
        expect(Method::DELETE, "/b/k?uploadId=U").status(204),
    ])
    .await;
    let clock = VirtualClock::default();
    store(&server, &clock)
        .abort_multipart_upload("k", "U")
        .await
        .unwrap();
}

/// Before: `copy_if_not_exists = multipart` copied parts without pinning
/// the source, so a source replaced mid-copy gave an object of two
/// versions. Now every UploadPartCopy carries `x-amz-copy-source-if-match`
/// and a changed source fails the copy and aborts the upload.
#[tokio::test]
async fn copy_by_parts_is_pinned_to_the_source_etag() {
    let source = "\"0123456789abcdef0123456789abcdef\"";
    let [abort, check] = abort_and_check("dst");
    let server = FaultServer::start([
        expect(Method::HEAD, "/b/src")
            .header("content-length", "8")
            .header("etag", source),
        initiate("dst"),
        expect(Method::PUT, "/b/dst?partNumber=1&uploadId=U")
            .with_request_header("x-amz-copy-source-if-match", source)
            .error(412, "PreconditionFailed"),
        abort,
        check,
    ])
    .await;
    let clock = VirtualClock::default();
    let s = builder(&server, &clock)
        .copy_if_not_exists("multipart".parse().unwrap())
        .build()
        .unwrap();
    let e = s.copy_if_not_exists("src", "dst").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PreconditionFailed, "{e}");
    assert!(e.to_string().contains("source changed"), "{e}");
}

// ---------------------------------------------------------------------------
// Downloads

/// Before: `download_to_file` truncated and pre-sized the target before any
/// byte arrived, so a failed download destroyed the old file and left a
/// right-sized file of zeros.
#[tokio::test]
async fn failed_download_to_file_leaves_the_old_file_untouched() {
    let server = FaultServer::start([
        expect(Method::HEAD, "/b/k")
            .header("content-length", "10")
            .header("etag", "\"e\""),
        expect(Method::GET, "/b/k").error(403, "AccessDenied"),
    ])
    .await;
    let clock = VirtualClock::default();
    let dir = std::env::temp_dir().join(format!("s3lite-keep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("report.csv");
    std::fs::write(&path, b"old contents").unwrap();
    let e = store(&server, &clock)
        .download_to_file("k", &path, None)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), b"old contents");
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "a temporary file was left: {left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Before: a GET answered without `Content-Length` reported `size = 0` as
/// if it were the object's size.
#[tokio::test]
async fn get_without_content_length_reports_the_size_as_unknown() {
    let server = FaultServer::start([expect(Method::GET, "/b/k")
        .header("etag", "\"e\"")
        .body("twelve bytes")
        .fault(Fault::NoLength)])
    .await;
    let clock = VirtualClock::default();
    let got = store(&server, &clock).get("k").await.unwrap();
    assert_eq!(got.object_size, None);
    assert_eq!(got.bytes().await.unwrap(), "twelve bytes");
}

// ---------------------------------------------------------------------------
// Listings

fn page(truncated: bool, token: Option<&str>, key: &str) -> String {
    format!(
        "<ListBucketResult><Name>b</Name><IsTruncated>{truncated}</IsTruncated>{}\
         <Contents><Key>{key}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>\"e\"</ETag><Size>1</Size></Contents></ListBucketResult>",
        token.map_or(String::new(), |t| format!(
            "<NextContinuationToken>{t}</NextContinuationToken>"
        )),
    )
}

/// Before: a truncated page without a continuation token ended the listing
/// silently, so a partial listing looked complete.
#[tokio::test]
async fn truncated_page_without_a_token_fails_the_listing() {
    let server =
        FaultServer::start([expect(Method::GET, "/b?list-type=2").body(page(true, None, "a"))])
            .await;
    let clock = VirtualClock::default();
    let e = store(&server, &clock)
        .list(None)
        .collect()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Service, "{e}");
    assert!(e.to_string().contains("incomplete"), "{e}");
    let server = FaultServer::start([
        expect(Method::GET, "/b?list-type=2&delimiter=%2F").body(page(true, None, "a"))
    ])
    .await;
    let e = store(&server, &clock)
        .list_with_delimiter(None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("NextContinuationToken"), "{e}");
}

/// A server that hands back the token it was sent would loop forever.
#[tokio::test]
async fn repeated_continuation_token_fails_the_listing() {
    let server = FaultServer::start([
        expect(Method::GET, "/b?list-type=2").body(page(true, Some("t1"), "a")),
        expect(Method::GET, "/b?list-type=2&continuation-token=t1").body(page(
            true,
            Some("t1"),
            "b",
        )),
    ])
    .await;
    let clock = VirtualClock::default();
    let mut list = store(&server, &clock).list(None);
    assert_eq!(list.next().await.unwrap().unwrap().key, "a");
    let e = list.next().await.unwrap().unwrap_err();
    assert!(e.to_string().contains("token it was sent"), "{e}");
}
