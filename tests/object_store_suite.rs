//! object_store's own integration checks (its `integration` module, the
//! functions its `aws::tests::s3_test` runs, with the same flags) against
//! `s3lite::object_store::S3ObjectStore`, on LocalStack and on s3s-fs.
//! Each check runs in a fresh bucket. A check that cannot pass on a server
//! is a test named for the gap, which asserts the failure and its reason,
//! so a server that fixes it is noticed.
//!
//! Not run: `signing`, `tagging`, `s3_encryption` (private to
//! object_store's crate, not in `integration`; the adapter's tags are
//! checked below instead) and `response_extensions` (needs object_store's
//! own HTTP connector, `MarkerHttpConnector`, which the adapter does not
//! use: s3lite brings its own client).
#![cfg(feature = "object-store")]
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::future::Future;
use std::time::Duration;

use common::Server;
use object_store::integration;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use s3lite::S3StoreBuilder;
use s3lite::config::S3ConfigKey;
use s3lite::object_store::S3ObjectStore;

/// A builder for a fresh bucket on `server`, as `S3ObjectStore` users
/// configure it for a self-hosted server: `copy_if_not_exists = multipart`
/// (s3lite refuses S3's own `If-None-Match` on copies to custom endpoints).
fn builder(server: &Server, bucket: &str) -> S3StoreBuilder {
    server
        .store_builder(bucket)
        .with_config(key("aws_copy_if_not_exists"), "multipart")
}

fn key(name: &str) -> S3ConfigKey {
    name.parse().unwrap()
}

/// Runs `check` with a store on a fresh bucket of `server`, then deletes
/// the bucket.
async fn run<F, Fut>(server: Option<Server>, name: &str, check: F)
where
    F: FnOnce(S3ObjectStore, S3StoreBuilder) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(server) = server else { return };
    let bucket = common::unique_bucket(name);
    let store = builder(&server, &bucket).build().unwrap();
    store
        .create_bucket()
        .await
        .unwrap_or_else(|e| panic!("{}: create bucket {bucket}: {e}", server.name));
    check(S3ObjectStore::new(store.clone()), builder(&server, &bucket)).await;
    common::cleanup(&store).await;
}

/// Runs `check` (one of object_store's, which panics on failure) on a task
/// and returns its panic message; fails if it passes.
async fn panic_of<Fut>(check: Fut) -> String
where
    Fut: Future<Output = ()> + Send + 'static,
{
    let err = tokio::spawn(check)
        .await
        .expect_err("the check passed: the server gap is gone, move it to the passing list");
    let payload = err.into_panic();
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

// --- object_store's checks, as its s3_test calls them ---

async fn put_get_delete_list(s: S3ObjectStore, _: S3StoreBuilder) {
    integration::put_get_delete_list(&s).await;
}

async fn list_with_offset_exclusivity(s: S3ObjectStore, _: S3StoreBuilder) {
    integration::list_with_offset_exclusivity(&s).await;
}

async fn get_opts(s: S3ObjectStore, _: S3StoreBuilder) {
    integration::get_opts(&s).await;
}

async fn list_uses_directories_correctly(s: S3ObjectStore, _: S3StoreBuilder) {
    integration::list_uses_directories_correctly(&s).await;
}

async fn list_with_delimiter(s: S3ObjectStore, _: S3StoreBuilder) {
    integration::list_with_delimiter(&s).await;
}

async fn rename_and_copy(s: S3ObjectStore, _: S3StoreBuilder) {
    integration::rename_and_copy(&s).await;
}

async fn stream_get(s: S3ObjectStore, _: S3StoreBuilder) {
    integration::stream_get(&s).await;
}

async fn multipart(s: S3ObjectStore, _: S3StoreBuilder) {
    integration::multipart(&s, &s).await;
}

async fn multipart_with_opts(s: S3ObjectStore, _: S3StoreBuilder) {
    integration::multipart_with_opts(&s, &s).await;
}

async fn multipart_put_part_out_of_order(s: S3ObjectStore, _: S3StoreBuilder) {
    integration::multipart_put_part_out_of_order(&s, &s).await;
}

async fn multipart_race_condition(s: S3ObjectStore, _: S3StoreBuilder) {
    integration::multipart_race_condition(&s, true).await;
}

async fn multipart_out_of_order(s: S3ObjectStore, _: S3StoreBuilder) {
    integration::multipart_out_of_order(&s).await;
}

async fn put_get_attributes(s: S3ObjectStore, _: S3StoreBuilder) {
    integration::put_get_attributes(&s).await;
}

async fn list_paginated(s: S3ObjectStore, _: S3StoreBuilder) {
    integration::list_paginated(&s, &s).await;
}

async fn copy_if_not_exists(s: S3ObjectStore, _: S3StoreBuilder) {
    integration::copy_if_not_exists(&s).await;
}

async fn put_opts(s: S3ObjectStore, _: S3StoreBuilder) {
    integration::put_opts(&s, true).await;
}

/// object_store's `s3_test_get_nonexistent_location`.
async fn get_nonexistent_object(s: S3ObjectStore, _: S3StoreBuilder) {
    let location = Path::from_iter(["nonexistentname"]);
    let err = integration::get_nonexistent_object(&s, Some(location))
        .await
        .unwrap_err();
    assert!(matches!(err, object_store::Error::NotFound { .. }), "{err}");
}

/// Used by object_store's other stores' suites; signing-free, so run too.
async fn copy_rename_nonexistent_object(s: S3ObjectStore, _: S3StoreBuilder) {
    integration::copy_rename_nonexistent_object(&s).await;
}

/// s3_test's second run: `with_unsigned_payload(true)`.
async fn put_get_delete_list_unsigned_payload(_: S3ObjectStore, b: S3StoreBuilder) {
    let s = b
        .with_config(key("aws_unsigned_payload"), "true")
        .build_object_store()
        .unwrap();
    integration::put_get_delete_list(&s).await;
}

/// s3_test's third run: `with_checksum_algorithm(Checksum::SHA256)`.
async fn put_get_delete_list_sha256(_: S3ObjectStore, b: S3StoreBuilder) {
    let s = b
        .with_config(key("aws_checksum_algorithm"), "sha256")
        .build_object_store()
        .unwrap();
    integration::put_get_delete_list(&s).await;
}

/// s3_test's fourth run: `with_checksum_algorithm(Checksum::CRC64NVME)`.
async fn put_get_delete_list_crc64nvme(_: S3ObjectStore, b: S3StoreBuilder) {
    let s = b
        .with_config(key("aws_checksum_algorithm"), "crc64nvme")
        .build_object_store()
        .unwrap();
    integration::put_get_delete_list(&s).await;
}

// --- the adapter's own promises ---

/// An aborted upload is gone from the bucket's open uploads, and leaves no
/// object.
async fn abort_leaves_no_upload(s: S3ObjectStore, _: S3StoreBuilder) {
    let path = Path::from("aborted");
    let mut upload = s.put_multipart(&path).await.unwrap();
    upload.put_part(vec![7u8; 1024].into()).await.unwrap();
    assert_eq!(
        s.store().list_multipart_uploads(None).await.unwrap().len(),
        1
    );
    upload.abort().await.unwrap();
    assert!(
        s.store()
            .list_multipart_uploads(None)
            .await
            .unwrap()
            .is_empty()
    );
    let err = s.head(&path).await.unwrap_err();
    assert!(matches!(err, object_store::Error::NotFound { .. }), "{err}");
}

/// A multipart upload dropped before `complete` is aborted in the
/// background (s3lite's `UploadGuard`), not left open and billed.
async fn dropped_upload_is_aborted(s: S3ObjectStore, _: S3StoreBuilder) {
    let mut upload = s.put_multipart(&Path::from("dropped")).await.unwrap();
    upload.put_part(vec![1u8; 1024].into()).await.unwrap();
    drop(upload);
    for _ in 0..50 {
        if s.store()
            .list_multipart_uploads(None)
            .await
            .unwrap()
            .is_empty()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the dropped upload is still open after 5 s");
}

/// A completed upload cannot be completed or written again, and says so.
async fn completed_upload_is_closed(s: S3ObjectStore, _: S3StoreBuilder) {
    let path = Path::from("closed");
    let mut upload = s.put_multipart(&path).await.unwrap();
    upload
        .put_part(PutPayload::from_static(b"data"))
        .await
        .unwrap();
    upload.complete().await.unwrap();
    let err = upload.complete().await.unwrap_err();
    assert!(
        err.to_string().contains("already completed or aborted"),
        "{err}"
    );
    let err = upload.put_part("more".into()).await.unwrap_err();
    assert!(
        err.to_string().contains("already completed or aborted"),
        "{err}"
    );
    let got = s.get(&path).await.unwrap().bytes().await.unwrap();
    assert_eq!(got, "data");
}

/// Errors name the path and keep s3lite's error (with S3's code) as source.
async fn errors_name_the_path_and_keep_the_source(s: S3ObjectStore, _: S3StoreBuilder) {
    let err = s.get(&Path::from("no/such/key")).await.unwrap_err();
    match &err {
        object_store::Error::NotFound { path, source } => {
            assert_eq!(path, "no/such/key");
            let s3 = source
                .downcast_ref::<s3lite::Error>()
                .expect("an s3lite::Error");
            assert_eq!(s3.kind(), s3lite::ErrorKind::NotFound);
            assert_eq!(s3.status(), Some(404));
        }
        other => panic!("{other:?}"),
    }
}

/// The store prefix applies: object_store paths are keys under it, and
/// listings show paths without it.
async fn prefix_applies(whole: S3ObjectStore, b: S3StoreBuilder) {
    let under = b.prefix("tenant/a").build_object_store().unwrap();
    under.put(&Path::from("x/y.txt"), "1".into()).await.unwrap();
    whole.head(&Path::from("tenant/a/x/y.txt")).await.unwrap();
    let listed: Vec<Path> = under
        .list(None)
        .map_ok(|m| m.location)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed, vec![Path::from("x/y.txt")]);
    let level = under.list_with_delimiter(None).await.unwrap();
    assert_eq!(level.common_prefixes, vec![Path::from("x")]);
}

use futures_util::TryStreamExt;

/// GetObjectTagging of `key` by an unsigned request (LocalStack does not
/// check signatures; object_store's own `tagging` check is private to its
/// crate).
#[cfg(feature = "hyper-rustls")]
async fn tagging_xml(server: &Server, bucket: &str, key: &str) -> String {
    use s3lite::transport::{ClientOptions, HttpClient, HttpRequest, HyperClient};
    let mut options = ClientOptions::default();
    options.allow_http = true;
    let url = format!("{}/{bucket}/{key}?tagging", server.endpoint);
    let resp = HyperClient::new(&options)
        .unwrap()
        .send(HttpRequest::new(http::Method::GET, url))
        .await
        .unwrap();
    assert!(resp.status.is_success(), "{}", resp.status);
    String::from_utf8(resp.body.collect().await.unwrap().to_vec()).unwrap()
}

/// `PutOptions::tags` and `PutMultipartOptions::tags` (object_store's
/// URL-encoded `TagSet`) reach S3 as the same tags.
#[cfg(feature = "hyper-rustls")]
#[tokio::test]
async fn localstack_tags_reach_s3() {
    let Some(server) = Server::localstack() else {
        return;
    };
    let bucket = common::unique_bucket("object-store-tags");
    let store = builder(&server, &bucket).build().unwrap();
    store.create_bucket().await.unwrap();
    let s = S3ObjectStore::new(store.clone());
    let mut tags = object_store::TagSet::default();
    tags.push("team", "data ops");
    tags.push("path", "a+b=c/d:@");
    let opts = object_store::PutOptions {
        tags: tags.clone(),
        ..Default::default()
    };
    s.put_opts(&Path::from("one"), "v".into(), opts)
        .await
        .unwrap();
    let opts = object_store::PutMultipartOptions {
        tags,
        ..Default::default()
    };
    let mut upload = s
        .put_multipart_opts(&Path::from("multi"), opts)
        .await
        .unwrap();
    upload.put_part("v".into()).await.unwrap();
    upload.complete().await.unwrap();
    for key in ["one", "multi"] {
        let xml = tagging_xml(&server, &bucket, key).await;
        assert!(
            xml.contains("<Key>team</Key><Value>data ops</Value>"),
            "{key}: {xml}"
        );
        assert!(
            xml.contains("<Key>path</Key><Value>a+b=c/d:@</Value>"),
            "{key}: {xml}"
        );
    }
    common::cleanup(&store).await;
}

// --- server gaps: each asserts the failure and its reason ---

/// `put_get_delete_list` on s3s-fs stops at its check that a GET of
/// `test_dir` (a prefix of `test_dir/test_file.json`, not an object) is
/// `NotFound`: s3s-fs keeps objects as files, `test_dir` is a directory on
/// its disk, and reading it answers 500 `InternalError` instead of
/// `NoSuchKey`. The checks after that one do not run on s3s-fs.
async fn s3s_fs_get_of_a_directory_is_internal_error(s: S3ObjectStore, _: S3StoreBuilder) {
    directory_gap(s).await;
}

async fn directory_gap(s: S3ObjectStore) {
    let msg = panic_of(async move { integration::put_get_delete_list(&s).await }).await;
    assert!(
        msg.contains("GetObject") && msg.contains("/test_dir ") && msg.contains("InternalError"),
        "{msg}"
    );
}

/// As above, for s3_test's `with_unsigned_payload(true)` run.
async fn s3s_fs_get_of_a_directory_is_internal_error_unsigned_payload(
    _: S3ObjectStore,
    b: S3StoreBuilder,
) {
    let s = b.with_config(key("aws_unsigned_payload"), "true");
    directory_gap(s.build_object_store().unwrap()).await;
}

/// As above, for s3_test's SHA-256 checksum run.
async fn s3s_fs_get_of_a_directory_is_internal_error_sha256(_: S3ObjectStore, b: S3StoreBuilder) {
    let s = b.with_config(key("aws_checksum_algorithm"), "sha256");
    directory_gap(s.build_object_store().unwrap()).await;
}

/// As above, for s3_test's CRC64NVME checksum run.
async fn s3s_fs_get_of_a_directory_is_internal_error_crc64nvme(
    _: S3ObjectStore,
    b: S3StoreBuilder,
) {
    let s = b.with_config(key("aws_checksum_algorithm"), "crc64nvme");
    directory_gap(s.build_object_store().unwrap()).await;
}

/// s3s-fs ignores conditional GET headers (as `conditional_get_ignored` in
/// `tests/conformance.rs` pins for s3lite's own API): `get_opts` fails at
/// its first refusal, an `If-Unmodified-Since` 10 hours before the write,
/// which s3s-fs answers with the object.
async fn s3s_fs_ignores_conditional_get(s: S3ObjectStore, _: S3StoreBuilder) {
    let msg = panic_of(async move { integration::get_opts(&s).await }).await;
    assert!(msg.starts_with("Ok(GetResult"), "{msg}");
}

/// s3s-fs checks `If-Match` / `If-None-Match` on PutObject (every
/// sequential check of `put_opts` passes) but not atomically with the
/// write: in `put_opts`' race, 5 writers incrementing a counter 10 times
/// each with `PutMode::Update`, two writers holding the same ETag can both
/// succeed, and the count ends below 50 (lost updates). A race may happen
/// to lose nothing, so up to 3 runs are tried; one must lose updates.
async fn s3s_fs_conditional_put_is_not_atomic(s: S3ObjectStore, _: S3StoreBuilder) {
    for _ in 0..3 {
        let store = s.clone();
        let run = tokio::spawn(async move { integration::put_opts(&store, true).await }).await;
        if let Err(e) = run {
            let payload = e.into_panic();
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_default();
            assert!(msg.contains("right: 50"), "{msg}");
            return;
        }
    }
    panic!("put_opts passed 3 times: s3s-fs's conditional put may be atomic now");
}

/// s3s-fs has no ListMultipartUploads (501 `NotImplemented`), so whether an
/// aborted or dropped upload is gone cannot be observed there;
/// `abort_leaves_no_upload` and `dropped_upload_is_aborted` run on
/// LocalStack.
async fn s3s_fs_lists_no_multipart_uploads(s: S3ObjectStore, _: S3StoreBuilder) {
    let mut upload = s.put_multipart(&Path::from("open")).await.unwrap();
    let e = s.store().list_multipart_uploads(None).await.unwrap_err();
    assert_eq!(e.status(), Some(501), "{e}");
    assert_eq!(e.s3_code(), Some("NotImplemented"), "{e}");
    upload.abort().await.unwrap();
}

macro_rules! suite {
    ($server:ident: $($check:ident),* $(,)?) => {
        mod $server {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    run(Server::$server(), stringify!($check), super::$check).await;
                }
            )*
        }
    };
}

suite!(localstack:
    put_get_delete_list, list_with_offset_exclusivity, get_opts, list_uses_directories_correctly,
    list_with_delimiter, rename_and_copy, stream_get, multipart, multipart_with_opts,
    multipart_put_part_out_of_order, multipart_race_condition, multipart_out_of_order,
    put_get_attributes, list_paginated, copy_if_not_exists, put_opts, get_nonexistent_object,
    copy_rename_nonexistent_object, put_get_delete_list_unsigned_payload,
    put_get_delete_list_sha256, put_get_delete_list_crc64nvme,
    abort_leaves_no_upload, dropped_upload_is_aborted, completed_upload_is_closed,
    errors_name_the_path_and_keep_the_source, prefix_applies,
);

suite!(s3s_fs:
    list_with_offset_exclusivity, list_uses_directories_correctly, list_with_delimiter,
    rename_and_copy, stream_get, multipart, multipart_with_opts, multipart_put_part_out_of_order,
    multipart_race_condition, multipart_out_of_order, put_get_attributes, list_paginated,
    copy_if_not_exists, get_nonexistent_object, copy_rename_nonexistent_object,
    completed_upload_is_closed, errors_name_the_path_and_keep_the_source, prefix_applies,
    s3s_fs_get_of_a_directory_is_internal_error,
    s3s_fs_get_of_a_directory_is_internal_error_unsigned_payload,
    s3s_fs_get_of_a_directory_is_internal_error_sha256,
    s3s_fs_get_of_a_directory_is_internal_error_crc64nvme, s3s_fs_ignores_conditional_get,
    s3s_fs_conditional_put_is_not_atomic, s3s_fs_lists_no_multipart_uploads,
);
