//! Conditional copies (`CopyOptions`: `x-amz-copy-source-if-match`,
//! `-if-none-match`, `-if-modified-since`, `-if-unmodified-since`) on real
//! servers. Each condition is checked both ways: when it holds the target
//! is the source's copy; when it fails the answer is `PreconditionFailed`
//! and the target keeps its old content. A server that ignores a header is
//! a test named for that gap.
#![cfg(feature = "hyper-rustls")]
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use bytes::Bytes;
use common::{Server, with_bucket};
use s3lite::{CopyOptions, ErrorKind, S3Store};
use time::{Duration, OffsetDateTime};

/// `src` (the source, "source") and `dst` (the target, "old"); returns the
/// source's ETag and last-modified time.
async fn fixtures(store: &S3Store) -> (String, OffsetDateTime) {
    store
        .put("src", Bytes::from_static(b"source"))
        .await
        .unwrap();
    store.put("dst", Bytes::from_static(b"old")).await.unwrap();
    let meta = store.head("src").await.unwrap();
    (meta.etag.unwrap(), meta.last_modified.unwrap())
}

async fn target(store: &S3Store) -> Bytes {
    store.get("dst").await.unwrap().bytes().await.unwrap()
}

/// Copies under `options`, which must hold.
async fn copies(store: &S3Store, options: CopyOptions) {
    store.put("dst", Bytes::from_static(b"old")).await.unwrap();
    let put = store
        .copy_opts("src", "dst", options.clone())
        .await
        .unwrap_or_else(|e| panic!("{options:?}: {e}"));
    assert!(put.etag.is_some(), "{options:?}: {put:?}");
    assert_eq!(target(store).await, "source", "{options:?}");
}

/// Copies under `options`, which must fail, leaving the target alone.
async fn refuses(store: &S3Store, options: CopyOptions) {
    store.put("dst", Bytes::from_static(b"old")).await.unwrap();
    let e = store
        .copy_opts("src", "dst", options.clone())
        .await
        .map(|_| ())
        .expect_err(&format!("{options:?} must fail"));
    assert_eq!(e.kind(), ErrorKind::PreconditionFailed, "{options:?}: {e}");
    assert_eq!(e.status(), Some(412), "{options:?}: {e}");
    assert_eq!(target(store).await, "old", "{options:?}");
}

async fn if_match(store: S3Store) {
    let (etag, _) = fixtures(&store).await;
    copies(&store, CopyOptions::default().with_source_if_match(etag)).await;
    refuses(
        &store,
        CopyOptions::default().with_source_if_match("\"00000000000000000000000000000000\""),
    )
    .await;
}

async fn if_none_match(store: S3Store) {
    let (etag, _) = fixtures(&store).await;
    copies(
        &store,
        CopyOptions::default().with_source_if_none_match("\"00000000000000000000000000000000\""),
    )
    .await;
    refuses(
        &store,
        CopyOptions::default().with_source_if_none_match(etag),
    )
    .await;
}

async fn if_modified_since(store: S3Store) {
    let (_, modified) = fixtures(&store).await;
    copies(
        &store,
        CopyOptions::default().with_source_if_modified_since(modified - Duration::hours(1)),
    )
    .await;
}

/// Not modified since its own `Last-Modified`: refused, as AWS documents.
async fn if_modified_since_last_modified(store: S3Store) {
    let (_, modified) = fixtures(&store).await;
    refuses(
        &store,
        CopyOptions::default().with_source_if_modified_since(modified),
    )
    .await;
}

/// Not modified since a time after it was written: refused, as AWS documents.
async fn if_modified_since_future(store: S3Store) {
    let (_, modified) = fixtures(&store).await;
    refuses(
        &store,
        CopyOptions::default().with_source_if_modified_since(modified + Duration::hours(1)),
    )
    .await;
}

/// LocalStack ignores an `x-amz-copy-source-if-modified-since` later than
/// its clock (as RFC 9110 lets a server ignore a future `If-Modified-Since`)
/// and copies; AWS documents a 412. This pins the gap.
async fn localstack_ignores_future_if_modified_since(store: S3Store) {
    let (_, modified) = fixtures(&store).await;
    copies(
        &store,
        CopyOptions::default().with_source_if_modified_since(modified + Duration::hours(1)),
    )
    .await;
}

/// s3s-fs compares `x-amz-copy-source-if-modified-since` with the file's
/// sub-second modification time, while `Last-Modified` is whole seconds: at
/// the object's own `Last-Modified` it copies where AWS answers 412. This
/// pins the gap.
async fn s3s_fs_copies_at_its_own_last_modified(store: S3Store) {
    let (_, modified) = fixtures(&store).await;
    copies(
        &store,
        CopyOptions::default().with_source_if_modified_since(modified),
    )
    .await;
}

async fn if_unmodified_since(store: S3Store) {
    let (_, modified) = fixtures(&store).await;
    copies(
        &store,
        CopyOptions::default().with_source_if_unmodified_since(modified + Duration::hours(1)),
    )
    .await;
    refuses(
        &store,
        CopyOptions::default().with_source_if_unmodified_since(modified - Duration::hours(1)),
    )
    .await;
}

/// A missing source is `NotFound` whatever the conditions.
async fn missing_source_is_not_found(store: S3Store) {
    let e = store
        .copy_opts(
            "nothing",
            "dst",
            CopyOptions::default().with_source_if_match("\"x\""),
        )
        .await
        .map(|_| ())
        .expect_err("no source");
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
}

macro_rules! on {
    ($server:ident: $($case:ident),* $(,)?) => {
        mod $server {
            use super::*;
            $(
                #[tokio::test]
                async fn $case() {
                    with_bucket(Server::$server(), stringify!($case), super::$case).await;
                }
            )*
        }
    };
}

on!(localstack: if_match, if_none_match, if_modified_since, if_modified_since_last_modified,
    if_unmodified_since, missing_source_is_not_found, localstack_ignores_future_if_modified_since);
on!(s3s_fs: if_match, if_none_match, if_modified_since, if_modified_since_future,
    if_unmodified_since, missing_source_is_not_found, s3s_fs_copies_at_its_own_last_modified);
