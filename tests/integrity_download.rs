//! Downloads to a file checked against the object's stored checksum, on
//! LocalStack (which returns part checksums for `partNumber` GETs):
//! a composite SHA-256 multipart object is fetched part by part and each
//! part and the composite are checked; a full-object CRC32 object is
//! fetched in ranges whose CRCs are combined; a byte flipped on the wire is
//! `Integrity` and leaves no file behind. The CRC case runs on s3s-fs too.
#![cfg(feature = "hyper-rustls")]
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;
#[path = "common/recorder.rs"]
mod recorder;

use std::path::Path;

use bytes::Bytes;
use common::{Server, cleanup, unique_bucket};
use http::Method;
use recorder::Recorder;
use s3lite::config::{ChecksumAlgorithm, ChecksumWhen};
use s3lite::{ChecksumCheck, ErrorKind, GetOptions, S3Store, TransferConfig};

const MIB: usize = 1024 * 1024;

fn pattern(len: usize, seed: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 7 + seed) % 251) as u8).collect()
}

fn parts_of_5_mib() -> TransferConfig {
    TransferConfig::default()
        .with_multipart_threshold(5 * MIB as u64)
        .with_multipart_chunksize(5 * MIB as u64)
        .with_max_concurrency(2)
}

/// A validating store with `algorithm` on a fresh LocalStack bucket, its
/// recorder, and a plain store on the same bucket.
async fn stores(
    server: &Server,
    name: &str,
    algorithm: ChecksumAlgorithm,
) -> (S3Store, Recorder, S3Store) {
    let bucket = unique_bucket(name);
    let plain = server.store(&bucket).unwrap();
    plain.create_bucket().await.unwrap();
    let rec = Recorder::new();
    let store = server
        .store_builder(&bucket)
        .checksum_algorithm(algorithm)
        .request_checksum_calculation(ChecksumWhen::WhenSupported)
        .response_checksum_validation(ChecksumWhen::WhenSupported)
        .http_client(rec.clone())
        .build()
        .unwrap();
    (store, rec, plain)
}

async fn upload(store: &S3Store, dir: &Path, key: &str, data: &[u8]) {
    let src = dir.join(format!("{key}.src"));
    std::fs::write(&src, data).unwrap();
    store
        .transfer(parts_of_5_mib())
        .unwrap()
        .upload_file(key, &src, None)
        .await
        .unwrap();
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("s3lite-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn composite_sha256_objects_are_checked_part_by_part_on_localstack() {
    let Some(server) = Server::localstack() else {
        return;
    };
    let (store, rec, plain) = stores(&server, "dl-composite", ChecksumAlgorithm::Sha256).await;
    let dir = scratch("dl-composite");
    let data = pattern(12 * MIB + 17, 3);
    upload(&store, &dir, "big", &data).await;
    let meta = store.head("big").await.unwrap();
    let (alg, stored) = meta.checksum.clone().unwrap();
    assert_eq!(alg, ChecksumAlgorithm::Sha256);
    assert!(stored.ends_with("-3"), "composite of 3 parts: {stored}");

    // One GET of the whole object cannot recompute a composite value: it
    // says so and passes the body through; a GET by part number and a range
    // say what they check.
    let whole = store.get("big").await.unwrap();
    assert_eq!(
        whole.checksum,
        ChecksumCheck::Composite {
            algorithm: ChecksumAlgorithm::Sha256,
            parts: 3
        }
    );
    assert!(whole.bytes().await.unwrap() == data, "GET bytes differ");
    let part = store
        .get_opts("big", GetOptions::default().with_part_number(2))
        .await
        .unwrap();
    assert_eq!(
        part.checksum,
        ChecksumCheck::Checked(ChecksumAlgorithm::Sha256)
    );
    assert!(
        part.bytes().await.unwrap() == data[5 * MIB..10 * MIB],
        "part 2 differs"
    );
    let range = store.get_range("big", 0..10).await.unwrap();
    assert_eq!(range.checksum, ChecksumCheck::Range);
    assert!(range.bytes().await.unwrap() == data[..10], "range differs");
    let unchecked = plain.get("big").await.unwrap();
    assert_eq!(
        unchecked.checksum,
        ChecksumCheck::Disabled,
        "custom endpoints default to when_required"
    );

    // Whatever the transfer's range size, the download goes by part.
    let transfer = store
        .transfer(TransferConfig::default().with_multipart_chunksize(8 * MIB as u64))
        .unwrap();
    rec.clear();
    let out = dir.join("big.out");
    transfer
        .download_file("big", &out, true, None)
        .await
        .unwrap();
    assert!(
        std::fs::read(&out).unwrap() == data,
        "downloaded bytes differ"
    );
    let part_gets: Vec<String> = rec
        .log()
        .into_iter()
        .filter(|e| e.method == Method::GET)
        .map(|e| e.url)
        .collect();
    assert_eq!(part_gets.len(), 3, "{part_gets:?}");
    assert!(
        part_gets.iter().all(|u| u.contains("partNumber=")),
        "{part_gets:?}"
    );

    // A flipped byte in one part: Integrity, and no file at the target.
    let bad = dir.join("bad.out");
    *rec.corrupt_next_get.lock().unwrap() = true;
    let e = transfer
        .download_file("big", &bad, true, None)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    assert!(!bad.exists(), "a corrupt download left a file");
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".s3lite-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    let _ = std::fs::remove_dir_all(&dir);
    cleanup(&plain).await;
}

#[tokio::test]
async fn full_object_crc32_objects_are_checked_across_ranges_on_localstack() {
    full_object_crc32(Server::localstack()).await;
}

/// s3s-fs stores the full-object CRC of a multipart upload too.
#[tokio::test]
async fn full_object_crc32_objects_are_checked_across_ranges_on_s3s_fs() {
    full_object_crc32(Server::s3s_fs()).await;
}

async fn full_object_crc32(server: Option<Server>) {
    let Some(server) = server else {
        return;
    };
    let (store, rec, plain) = stores(&server, "dl-crc", ChecksumAlgorithm::Crc32).await;
    let dir = scratch(&format!("dl-crc-{}", server.name));
    let data = pattern(11 * MIB + 5, 9);
    upload(&store, &dir, "crc", &data).await;
    let (alg, stored) = store.head("crc").await.unwrap().checksum.unwrap();
    assert_eq!(alg, ChecksumAlgorithm::Crc32);
    assert!(!stored.contains('-'), "full-object value: {stored}");

    // Ranges of 6 MiB that do not line up with the 5 MiB parts.
    let transfer = store
        .transfer(TransferConfig::default().with_multipart_chunksize(6 * MIB as u64))
        .unwrap();
    let out = dir.join("crc.out");
    transfer
        .download_file("crc", &out, true, None)
        .await
        .unwrap();
    assert!(
        std::fs::read(&out).unwrap() == data,
        "downloaded bytes differ"
    );

    let bad = dir.join("bad.out");
    *rec.corrupt_next_get.lock().unwrap() = true;
    let e = transfer
        .download_file("crc", &bad, true, None)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    assert!(e.to_string().contains("x-amz-checksum-crc32"), "{e}");
    assert!(!bad.exists(), "a corrupt download left a file");

    let _ = std::fs::remove_dir_all(&dir);
    cleanup(&plain).await;
}

/// A single small object with a SHA-256: one GET, checked as it streams.
#[tokio::test]
async fn small_sha256_objects_are_checked_in_one_get_on_localstack() {
    let Some(server) = Server::localstack() else {
        return;
    };
    let (store, rec, plain) = stores(&server, "dl-sha", ChecksumAlgorithm::Sha256).await;
    let dir = scratch("dl-sha");
    let data = pattern(300_000, 1);
    store.put("small", Bytes::from(data.clone())).await.unwrap();
    let transfer = store.transfer(parts_of_5_mib()).unwrap();
    *rec.corrupt_next_get.lock().unwrap() = true;
    let bad = dir.join("small.bad");
    let e = transfer
        .download_file("small", &bad, true, None)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    assert!(!bad.exists());
    let out = dir.join("small.out");
    transfer
        .download_file("small", &out, true, None)
        .await
        .unwrap();
    assert!(std::fs::read(&out).unwrap() == data);
    let _ = std::fs::remove_dir_all(&dir);
    cleanup(&plain).await;
}
