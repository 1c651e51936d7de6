//! `S3Store::open_reader` on real servers: sequential reads across many
//! buffers, seeks from the start, the end and the current position, reads
//! past the end, and an object replaced mid-read refused instead of mixed.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::io::SeekFrom;

use bytes::Bytes;
use common::{Server, with_bucket};
use s3lite::{ErrorKind, S3Store};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// Deterministic bytes that differ at every offset.
fn data(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

async fn reads_and_seeks(store: S3Store) {
    let body = data(3 * 1024 * 1024 + 123, 7);
    store
        .put("blob.bin", Bytes::from(body.clone()))
        .await
        .unwrap();
    let mut r = store
        .open_reader_with("blob.bin", 256 * 1024)
        .await
        .unwrap();
    assert_eq!(r.size(), body.len() as u64);

    let mut all = Vec::new();
    r.read_to_end(&mut all).await.unwrap();
    assert!(all == body, "sequential read differs");

    for (seek, len) in [
        (SeekFrom::Start(1_000_000), 5_000usize),
        (SeekFrom::Start(0), 10),
        (SeekFrom::End(-10), 10),
        (SeekFrom::Current(-20), 7),
        (SeekFrom::Start(262_143), 2), // across a buffer boundary
    ] {
        let at = r.seek(seek).await.unwrap() as usize;
        let mut got = vec![0u8; len];
        r.read_exact(&mut got).await.unwrap();
        assert!(got == body[at..at + len], "{seek:?}: bytes at {at} differ");
    }
    // Past the end: end of file, not an error.
    r.seek(SeekFrom::End(5)).await.unwrap();
    let mut rest = Vec::new();
    assert_eq!(r.read_to_end(&mut rest).await.unwrap(), 0);
    // Before the start: an error naming the key.
    let e = r
        .seek(SeekFrom::Current(-(body.len() as i64) - 10))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    assert!(e.to_string().contains("blob.bin"), "{e}");

    let e = store.open_reader_with("blob.bin", 0).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let e = store.open_reader("no-such.bin").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

/// The object replaced while a reader is open: the next fetch fails with
/// `PreconditionFailed` (LocalStack honours `If-Match`; s3s-fs ignores it,
/// and the answer's ETag gives the change away).
async fn replaced_mid_read(store: S3Store) {
    let first = data(2 * 1024 * 1024, 1);
    store
        .put("moving.bin", Bytes::from(first.clone()))
        .await
        .unwrap();
    let mut r = store
        .open_reader_with("moving.bin", 128 * 1024)
        .await
        .unwrap();
    let mut head = vec![0u8; 1000];
    r.read_exact(&mut head).await.unwrap();
    assert!(head == first[..1000]);
    store
        .put("moving.bin", Bytes::from(data(2 * 1024 * 1024, 2)))
        .await
        .unwrap();
    r.seek(SeekFrom::Start(1_500_000)).await.unwrap();
    let mut more = vec![0u8; 1000];
    let e = r.read_exact(&mut more).await.unwrap_err();
    let inner = e
        .get_ref()
        .and_then(|i| i.downcast_ref::<s3lite::Error>())
        .unwrap_or_else(|| panic!("not an s3lite error: {e}"));
    assert_eq!(inner.kind(), ErrorKind::PreconditionFailed, "{inner}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn localstack_reader_reads_and_seeks() {
    with_bucket(Server::localstack(), "reader", reads_and_seeks).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3s_fs_reader_reads_and_seeks() {
    with_bucket(Server::s3s_fs(), "reader", reads_and_seeks).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn localstack_reader_refuses_a_replaced_object() {
    with_bucket(Server::localstack(), "reader-moving", replaced_mid_read).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3s_fs_reader_refuses_a_replaced_object() {
    with_bucket(Server::s3s_fs(), "reader-moving", replaced_mid_read).await;
}
