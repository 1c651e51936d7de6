//! `MultipartWriter` fed the way streaming callers feed it: many small
//! `Bytes` chunks (kept uncopied, so each part is a body of several
//! buffers) and borrowed slices through `AsyncWrite` (copied into reused
//! part buffers). s3s-fs checks the SHA-256 of every part against its
//! signature, so a part assembled wrongly fails there.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use bytes::Bytes;
use common::{Server, with_bucket};
use s3lite::config::ChecksumAlgorithm;
use s3lite::{S3Store, TransferConfig};
use tokio::io::AsyncWriteExt;

const MIB: usize = 1024 * 1024;

fn data(len: usize) -> Bytes {
    (0..len).map(|i| (i * 131 % 251) as u8).collect()
}

fn config() -> TransferConfig {
    TransferConfig::default()
        .with_multipart_chunksize(5 * MIB as u64)
        .with_max_concurrency(2)
}

async fn small_chunks_and_borrowed_slices(store: S3Store) {
    // 17 MiB + 3 bytes in chunks of 64 KiB + 7 (never aligned to a part).
    let whole = data(17 * MIB + 3);
    let mut writer = store
        .transfer(config())
        .unwrap()
        .multipart_writer("chunks")
        .unwrap();
    let mut at = 0;
    while at < whole.len() {
        let end = (at + 64 * 1024 + 7).min(whole.len());
        writer.put_part(whole.slice(at..end)).await.unwrap();
        at = end;
    }
    writer.complete().await.unwrap();
    assert!(store.get("chunks").await.unwrap().bytes().await.unwrap() == whole);

    // AsyncWrite: borrowed slices of 1 MiB + 1, then shutdown completes.
    let mut writer = store
        .transfer(config())
        .unwrap()
        .multipart_writer("slices")
        .unwrap();
    for piece in whole.chunks(MIB + 1) {
        writer.write_all(piece).await.unwrap();
    }
    writer.shutdown().await.unwrap();
    assert!(store.get("slices").await.unwrap().bytes().await.unwrap() == whole);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3s_fs_writer_assembles_parts_from_chunks() {
    with_bucket(
        Server::s3s_fs(),
        "writer-chunks",
        small_chunks_and_borrowed_slices,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn localstack_writer_assembles_parts_from_chunks_with_checksums() {
    let Some(server) = Server::localstack() else {
        return;
    };
    let s = server.clone();
    with_bucket(Some(server), "writer-chunks-crc", |plain| async move {
        // LocalStack checks each part's CRC32C against its bytes.
        let store = s
            .store_builder(plain.bucket())
            .checksum_algorithm(ChecksumAlgorithm::Crc32c)
            .build()
            .unwrap();
        small_chunks_and_borrowed_slices(store).await;
    })
    .await;
}
