//! Bucket names that would change a URL if sent as they are (`#`, `?`, `%`,
//! space, `..`, `!`) reach real servers as themselves: percent-encoded in
//! the path, never read as another bucket, a query or a fragment, and
//! signed with exactly the path that is sent. `/`, `.` and `..` are refused
//! before anything is sent.
//!
//! Each hostile name is a real bucket's name (the "victim", holding one
//! object) plus a suffix, so a request read as the victim's, or a suffix
//! dropped as a fragment or parsed as a query, would change the victim or
//! list it. Three servers, three proofs:
//! - LocalStack answers `NoSuchBucket` naming the bucket it read: the whole
//!   hostile name, decoded once.
//! - LocalStack with presigned-URL checking (`localstack-strict`) checks the
//!   signature before the bucket: a presigned URL for a hostile name gets
//!   `NoSuchBucket` (the path it signs is the path we signed) and the same
//!   URL signed with a wrong secret gets `SignatureDoesNotMatch` (the check
//!   is real).
//! - s3s-fs, which verifies every header signature, answers
//!   `InvalidBucketName`, never `SignatureDoesNotMatch`. (It validates the
//!   name before the signature, so for these names the signature proof is
//!   LocalStack-strict's.)
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{Server, with_bucket};
use http::Method;
use s3lite::transport::{ClientOptions, HttpClient, HttpRequest, HyperClient};
use s3lite::{ErrorKind, S3Store};

/// Suffixes that change a URL's structure unless encoded.
const SUFFIXES: &[&str] = &["#frag", "?list-type=2", "%", "%2F..%2Fx", " x", "..x", "!"];

fn hostile_names(victim: &str) -> Vec<String> {
    SUFFIXES.iter().map(|s| format!("{victim}{s}")).collect()
}

/// GET `url` without signing; status and body.
async fn fetch(url: &str) -> (u16, String) {
    let mut options = ClientOptions::default();
    options.allow_http = true;
    let resp = HyperClient::new(&options)
        .unwrap()
        .send(HttpRequest::new(Method::GET, url))
        .await
        .unwrap();
    let body = resp.body.collect().await.unwrap_or_default();
    (
        resp.status.as_u16(),
        String::from_utf8_lossy(&body).into_owned(),
    )
}

/// The victim still holds exactly its one object.
async fn victim_untouched(victim: &S3Store) {
    let keys: Vec<String> = victim
        .list(None)
        .collect()
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(keys, ["k"]);
    let body = victim.get("k").await.unwrap().bytes().await.unwrap();
    assert_eq!(body, Bytes::from_static(b"victim"));
}

#[tokio::test]
async fn hostile_bucket_names_reach_localstack_as_themselves() {
    let server = Server::localstack();
    let s = server.clone();
    with_bucket(server, "names", |victim| async move {
        let server = s.unwrap();
        victim
            .put("k", Bytes::from_static(b"victim"))
            .await
            .unwrap();
        for name in hostile_names(victim.bucket()) {
            let store = server.store(&name).unwrap();
            let put = store.put("k", Bytes::from_static(b"x")).await.unwrap_err();
            let list = store.list(None).collect().await.unwrap_err();
            for e in [put, list] {
                assert_eq!(e.s3_code(), Some("NoSuchBucket"), "{name:?}: {e}");
            }
            let url = store
                .presign(Method::GET, "k", Duration::from_secs(600))
                .await
                .unwrap();
            let (status, body) = fetch(&url).await;
            assert_eq!(status, 404, "{name:?}: {body}");
            assert!(
                body.contains(&format!("<BucketName>{name}</BucketName>")),
                "{name:?} read as another bucket: {body}"
            );
        }
        victim_untouched(&victim).await;
    })
    .await;
}

#[tokio::test]
async fn hostile_bucket_names_are_signed_with_the_path_sent() {
    let Some(server) = Server::localstack_strict() else {
        return;
    };
    for name in hostile_names("s3lite-names-nonexistent") {
        let url = server
            .store(&name)
            .unwrap()
            .presign(Method::GET, "k", Duration::from_secs(600))
            .await
            .unwrap();
        let (status, body) = fetch(&url).await;
        assert_eq!(status, 404, "{name:?}: {body}");
        assert!(
            body.contains("<Code>NoSuchBucket</Code>"),
            "{name:?}: {body}"
        );
        let wrong = server
            .store_with_secret(&name, "wrong-secret")
            .unwrap()
            .presign(Method::GET, "k", Duration::from_secs(600))
            .await
            .unwrap();
        let (status, body) = fetch(&wrong).await;
        assert_eq!(status, 403, "{name:?}: {body}");
        assert!(
            body.contains("<Code>SignatureDoesNotMatch</Code>"),
            "{name:?}: {body}"
        );
    }
}

#[tokio::test]
async fn hostile_bucket_names_never_fail_s3s_fs_signature_checks() {
    let server = Server::s3s_fs();
    let s = server.clone();
    with_bucket(server, "names", |victim| async move {
        let server = s.unwrap();
        victim
            .put("k", Bytes::from_static(b"victim"))
            .await
            .unwrap();
        for name in hostile_names(victim.bucket()) {
            let store = server.store(&name).unwrap();
            let put = store.put("k", Bytes::from_static(b"x")).await.unwrap_err();
            let list = store.list(None).collect().await.unwrap_err();
            let get = store.get("k").await.unwrap_err();
            for e in [put, list, get] {
                assert_eq!(e.s3_code(), Some("InvalidBucketName"), "{name:?}: {e}");
            }
        }
        victim_untouched(&victim).await;
    })
    .await;
}

#[test]
fn slash_and_dot_segment_bucket_names_are_invalid_config() {
    for name in ["victim/k", "victim/../other", ".", "..", "a\nb"] {
        let e = S3Store::builder()
            .without_env()
            .bucket(name)
            .endpoint("http://127.0.0.1:9")
            .allow_http(true)
            .skip_signature(true)
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{name:?}: {e}");
        assert!(e.to_string().contains("bucket = "), "{name:?}: {e}");
    }
}
