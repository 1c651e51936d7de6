//! Large transfers against the real servers (LocalStack, s3s-fs): file
//! round trips, streams of unknown length, aborts, `download_file` safety,
//! progress, and the multipart operations. See `conformance.rs` for how the
//! servers are found; each test gets a fresh bucket.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use common::{Server, with_bucket};
use futures_core::Stream;
use s3lite::xml::CompletedPart;
use s3lite::{ErrorKind, Progress, ProgressCallback, S3Store, TransferConfig};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

const MIB: usize = 1024 * 1024;

/// Deterministic, non-repeating-per-part content.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    let mut x = 0x9e37_79b9u32 ^ u32::from(seed);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

fn sha256_file(path: &Path) -> [u8; 32] {
    sha256(&std::fs::read(path).unwrap())
}

/// A directory of its own under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(common::unique_bucket(name));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Records every progress report.
fn recorder() -> (ProgressCallback, Arc<Mutex<Vec<Progress>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let cb = ProgressCallback::new(move |p| sink.lock().unwrap().push(p));
    (cb, seen)
}

fn assert_progress(seen: &Mutex<Vec<Progress>>, total: u64) {
    let seen = seen.lock().unwrap();
    assert!(!seen.is_empty(), "no progress report");
    assert!(
        seen.windows(2).all(|w| w[0].bytes <= w[1].bytes),
        "not monotonic: {seen:?}"
    );
    let last = seen.last().unwrap();
    assert_eq!((last.bytes, last.total), (total, Some(total)), "{seen:?}");
}

/// Chunks from memory, as a stream; `fail_after` ends it with an error once
/// that many chunks were given.
struct Chunks {
    chunks: std::vec::IntoIter<Bytes>,
    fail_after: Option<usize>,
    given: usize,
}

impl Chunks {
    fn new(data: &[u8], chunk: usize) -> Chunks {
        let all = Bytes::copy_from_slice(data);
        let chunks: Vec<Bytes> = (0..data.len().div_ceil(chunk))
            .map(|i| all.slice(i * chunk..((i + 1) * chunk).min(data.len())))
            .collect();
        Chunks {
            chunks: chunks.into_iter(),
            fail_after: None,
            given: 0,
        }
    }
}

impl Stream for Chunks {
    type Item = s3lite::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.fail_after == Some(self.given) {
            self.fail_after = None;
            return Poll::Ready(Some(Err(s3lite::Error::new(
                ErrorKind::InvalidInput,
                "injected stream failure",
            ))));
        }
        self.given += 1;
        Poll::Ready(self.chunks.next().map(Ok))
    }
}

fn small_parts() -> TransferConfig {
    TransferConfig::default()
        .with_multipart_threshold(5 * MIB as u64)
        .with_multipart_chunksize(5 * MIB as u64)
}

async fn file_round_trip(store: &S3Store, concurrency: usize) {
    let dir = TempDir::new("file-round-trip");
    let source = dir.0.join("source.bin");
    let data = pattern(100 * MIB, concurrency as u8);
    std::fs::write(&source, &data).unwrap();
    let want = sha256(&data);
    drop(data);
    let transfer = store
        .transfer(TransferConfig::default().with_max_concurrency(concurrency))
        .unwrap();

    let (cb, up) = recorder();
    let put = transfer
        .upload_file("big/object.bin", &source, Some(cb))
        .await
        .unwrap();
    assert!(put.etag.is_some());
    assert_progress(&up, 100 * MIB as u64);
    assert_eq!(
        store.object_size("big/object.bin").await.unwrap(),
        100 * MIB as u64
    );

    let target = dir.0.join("nested/dirs/copy.bin");
    let (cb, down) = recorder();
    let meta = transfer
        .download_file("big/object.bin", &target, false, Some(cb))
        .await
        .unwrap();
    assert_eq!(meta.size, 100 * MIB as u64);
    assert_progress(&down, 100 * MIB as u64);
    assert!(sha256_file(&target) == want, "downloaded file differs");
    let left: Vec<String> = std::fs::read_dir(dir.0.join("nested/dirs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["copy.bin"], "no temporary file is left");
}

async fn file_round_trip_concurrency_1(store: &S3Store) {
    file_round_trip(store, 1).await;
}

async fn file_round_trip_concurrency_10(store: &S3Store) {
    file_round_trip(store, 10).await;
}

async fn stream_of_unknown_length(store: &S3Store) {
    let len = 37 * MIB + 3;
    let data = pattern(len, 7);
    let (cb, seen) = recorder();
    // Uneven chunks, so parts are cut across chunk boundaries.
    let put = store
        .put_stream("stream.bin", Chunks::new(&data, 1_000_003), Some(cb))
        .await
        .unwrap();
    assert!(put.etag.is_some());
    assert_progress(&seen, len as u64);
    let got = store
        .get("stream.bin")
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(got.len(), len);
    assert!(sha256(&got) == sha256(&data), "streamed object differs");
}

async fn empty_stream(store: &S3Store) {
    let (cb, seen) = recorder();
    store
        .put_stream("empty.bin", Chunks::new(&[], 1), Some(cb))
        .await
        .unwrap();
    assert_progress(&seen, 0);
    assert_eq!(store.object_size("empty.bin").await.unwrap(), 0);
    let dir = TempDir::new("empty-download");
    let target = dir.0.join("empty.bin");
    store
        .download_file("empty.bin", &target, false, None)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"");
}

/// The stream fails after 3 parts were handed on: the error is the
/// stream's, and no object appears.
async fn failing_stream_leaves_no_object(store: &S3Store) -> String {
    let data = pattern(20 * MIB, 3);
    let mut chunks = Chunks::new(&data, MIB);
    chunks.fail_after = Some(17);
    let transfer = store.transfer(small_parts()).unwrap();
    let e = transfer
        .put_stream("failing.bin", chunks, None)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("injected stream failure"), "{e}");
    let e = store.head("failing.bin").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    "failing.bin".to_string()
}

async fn failing_stream_aborts_upload(store: &S3Store) {
    let key = failing_stream_leaves_no_object(store).await;
    let left = store.list_multipart_uploads(Some(&key)).await.unwrap();
    assert!(left.is_empty(), "uploads left: {left:?}");
}

async fn failing_stream_aborts_without_listing(store: &S3Store) {
    failing_stream_leaves_no_object(store).await;
}

async fn download_file_keeps_existing_file(store: &S3Store) {
    store
        .put("remote.txt", Bytes::from_static(b"remote"))
        .await
        .unwrap();
    let dir = TempDir::new("keep-existing");
    let target = dir.0.join("local.txt");
    std::fs::write(&target, b"local").unwrap();
    let e = store
        .download_file("remote.txt", &target, false, None)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    assert_eq!(std::fs::read(&target).unwrap(), b"local");
    store
        .download_file("remote.txt", &target, true, None)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"remote");
    assert_eq!(dir.entries(), ["local.txt"]);
}

async fn download_missing_object_is_not_found(store: &S3Store) {
    let dir = TempDir::new("missing-object");
    let target = dir.0.join("never.txt");
    let e = store
        .download_file("no-such-key", &target, false, None)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(dir.entries().is_empty(), "{:?}", dir.entries());
    let e = store.object_size("no-such-key").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
}

async fn helpers_list_keys_and_uri(store: &S3Store) {
    for k in ["d/a", "d/sub/b", "e"] {
        store.put(k, Bytes::from_static(b"x")).await.unwrap();
    }
    let mut keys = store.list_keys(Some("d/")).await.unwrap();
    keys.sort();
    assert_eq!(keys, ["d/a", "d/sub/b"]);
    assert_eq!(store.list_keys(None).await.unwrap().len(), 3);
    assert_eq!(store.uri("d/a"), format!("s3://{}/d/a", store.bucket()));
}

async fn multipart_operations(store: &S3Store) {
    let first = pattern(5 * MIB, 1);
    let key = "parts/manual.bin";
    let id = store.create_multipart_upload(key).await.unwrap();
    let p1 = store
        .upload_part(key, &id, 1, first.clone().into())
        .await
        .unwrap();
    let p2 = store
        .upload_part(key, &id, 2, Bytes::from_static(b"tail"))
        .await
        .unwrap();
    let listed = store.list_parts(key, &id).await.unwrap();
    let numbers: Vec<u32> = listed.iter().map(|p| p.part_number).collect();
    assert_eq!(numbers, [1, 2]);
    assert_eq!(listed[0].size, 5 * MIB as u64);
    let put = store
        .complete_multipart_upload(key, &id, &[p1, p2])
        .await
        .unwrap();
    assert!(put.etag.is_some());
    let got = store.get(key).await.unwrap().bytes().await.unwrap();
    assert_eq!(got.len(), 5 * MIB + 4);
    assert!(got[..5 * MIB] == first[..] && &got[5 * MIB..] == b"tail");
}

/// Aborting twice is fine (the second finds `NoSuchUpload`); the upload is gone.
async fn abort_twice_then_complete_is_not_found(store: &S3Store) {
    let other = store
        .create_multipart_upload("parts/aborted")
        .await
        .unwrap();
    store
        .abort_multipart_upload("parts/aborted", &other)
        .await
        .unwrap();
    store
        .abort_multipart_upload("parts/aborted", &other)
        .await
        .unwrap();
    let e = store
        .complete_multipart_upload("parts/aborted", &other, &[CompletedPart::new(1, "\"x\"")])
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
}

async fn list_multipart_uploads_shows_open_uploads(store: &S3Store) {
    let a = store.create_multipart_upload("open/a").await.unwrap();
    let b = store.create_multipart_upload("open/b").await.unwrap();
    let mut listed: Vec<(String, String)> = store
        .list_multipart_uploads(Some("open/"))
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.key, u.upload_id))
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            ("open/a".to_string(), a.clone()),
            ("open/b".to_string(), b.clone())
        ]
    );
    store.abort_multipart_upload("open/a", &a).await.unwrap();
    store.abort_multipart_upload("open/b", &b).await.unwrap();
    assert!(
        store
            .list_multipart_uploads(Some("open/"))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn writer_as_async_write(store: &S3Store) {
    let data = pattern(12 * MIB + 5, 9);
    let transfer = store
        .transfer(small_parts().with_max_concurrency(2))
        .unwrap();
    let mut writer = transfer.multipart_writer("written.bin").unwrap();
    for chunk in data.chunks(3 * MIB + 1) {
        writer.write_all(chunk).await.unwrap();
    }
    writer.shutdown().await.unwrap();
    assert!(
        writer.upload_id().is_some(),
        "three parts: a multipart upload"
    );
    let got = store
        .get("written.bin")
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(got == data, "written object differs");
}

async fn writer_below_one_part_uses_a_single_put(store: &S3Store) {
    let mut writer = store.multipart_writer("small.bin").unwrap();
    writer.put_part(Bytes::from_static(b"tiny")).await.unwrap();
    writer.complete().await.unwrap();
    assert!(writer.upload_id().is_none());
    let got = store.get("small.bin").await.unwrap().bytes().await.unwrap();
    assert_eq!(got, "tiny");
}

/// A writer dropped with parts uploaded aborts its upload in the background.
async fn dropped_writer_aborts_upload(store: &S3Store) {
    let transfer = store.transfer(small_parts()).unwrap();
    let mut writer = transfer.multipart_writer("dropped.bin").unwrap();
    writer.put_part(pattern(11 * MIB, 2).into()).await.unwrap();
    assert!(writer.upload_id().is_some());
    drop(writer);
    for _ in 0..50 {
        if store
            .list_multipart_uploads(Some("dropped.bin"))
            .await
            .unwrap()
            .is_empty()
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the dropped writer's upload was not aborted");
}

macro_rules! transfer_tests {
    ($server:ident: $($test:ident),* $(,)?) => {
        mod $server {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::with_bucket(super::Server::$server(), stringify!($test), |store| async move {
                        super::$test(&store).await;
                    })
                    .await;
                }
            )*
        }
    };
}

transfer_tests!(localstack: file_round_trip_concurrency_1, file_round_trip_concurrency_10,
    stream_of_unknown_length, empty_stream, failing_stream_aborts_upload,
    download_file_keeps_existing_file, download_missing_object_is_not_found,
    helpers_list_keys_and_uri, multipart_operations, abort_twice_then_complete_is_not_found,
    list_multipart_uploads_shows_open_uploads,
    writer_as_async_write, writer_below_one_part_uses_a_single_put, dropped_writer_aborts_upload);
transfer_tests!(s3s_fs: file_round_trip_concurrency_1, file_round_trip_concurrency_10,
    stream_of_unknown_length, empty_stream, failing_stream_aborts_without_listing,
    download_file_keeps_existing_file, download_missing_object_is_not_found,
    helpers_list_keys_and_uri, multipart_operations, writer_as_async_write,
    writer_below_one_part_uses_a_single_put);

/// s3s-fs has no ListMultipartUploads, so its abort tests can only check
/// that no object appears; this pins the gap so the suite notices a fix.
#[tokio::test]
async fn s3s_fs_list_multipart_uploads_unsupported() {
    let Some(server) = Server::s3s_fs() else {
        return;
    };
    let bucket = common::unique_bucket("list-uploads-unsupported");
    let store = server
        .store_builder(&bucket)
        .retry(s3lite::retry::RetryConfig::disabled())
        .build()
        .unwrap();
    store.create_bucket().await.unwrap();
    let e = store.list_multipart_uploads(None).await.unwrap_err();
    assert!(
        matches!(e.status(), Some(400 | 404 | 405 | 500 | 501)),
        "{e}"
    );
    common::cleanup(&store).await;
}

/// s3s-fs answers 403 AccessDenied, not 404 NoSuchUpload, for an upload id
/// it does not know, so a repeated abort fails there; this pins the gap.
#[tokio::test]
async fn s3s_fs_abort_of_unknown_upload_is_access_denied() {
    let Some(server) = Server::s3s_fs() else {
        return;
    };
    let bucket = common::unique_bucket("abort-unknown");
    let store = server.store(&bucket).unwrap();
    store.create_bucket().await.unwrap();
    let id = store.create_multipart_upload("k").await.unwrap();
    store.abort_multipart_upload("k", &id).await.unwrap();
    let e = store.abort_multipart_upload("k", &id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    common::cleanup(&store).await;
}

/// A store with a prefix: every transfer API adds it to the keys it sends
/// and removes it from the keys it returns.
async fn prefixed_store_transfers(server: Option<Server>, list_uploads: bool) {
    let Some(server) = server else { return };
    let bucket = common::unique_bucket("prefixed-transfers");
    let plain = server.store(&bucket).unwrap();
    plain.create_bucket().await.unwrap();
    let store = server
        .store_builder(&bucket)
        .prefix("pre/fix")
        .build()
        .unwrap();
    let data = pattern(6 * MIB + 1, 5);
    let transfer = store.transfer(small_parts()).unwrap();
    transfer
        .put_stream("s.bin", Chunks::new(&data, MIB), None)
        .await
        .unwrap();
    assert_eq!(
        plain.object_size("pre/fix/s.bin").await.unwrap(),
        data.len() as u64
    );
    // composer's form: bucket keys, with the store's prefix.
    assert_eq!(store.list_keys(None).await.unwrap(), ["pre/fix/s.bin"]);
    assert_eq!(store.list_relative_keys(None).await.unwrap(), ["s.bin"]);
    assert_eq!(store.uri("s.bin"), format!("s3://{bucket}/pre/fix/s.bin"));
    let dir = TempDir::new("prefixed-download");
    let target = dir.0.join("s.bin");
    transfer
        .download_file("s.bin", &target, false, None)
        .await
        .unwrap();
    assert!(sha256_file(&target) == sha256(&data));
    if list_uploads {
        let id = store.create_multipart_upload("open").await.unwrap();
        let mine = store.list_multipart_uploads(None).await.unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(
            (mine[0].key.as_str(), mine[0].upload_id.as_str()),
            ("open", id.as_str())
        );
        let raw = plain.list_multipart_uploads(Some("pre/")).await.unwrap();
        assert_eq!(raw.len(), 1);
        assert_eq!(raw[0].key, "pre/fix/open");
        store.abort_multipart_upload("open", &id).await.unwrap();
    }
    common::cleanup(&plain).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn localstack_prefixed_store_transfers() {
    prefixed_store_transfers(Server::localstack(), true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn s3s_fs_prefixed_store_transfers() {
    prefixed_store_transfers(Server::s3s_fs(), false).await;
}
