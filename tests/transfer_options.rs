//! Large transfers with `PutOptions` (attributes, metadata, conditions:
//! `upload_file_opts`, `put_stream_opts`, `multipart_writer_opts`) and
//! ListBuckets, on LocalStack and s3s-fs.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use bytes::Bytes;
use common::{Server, with_bucket};
use s3lite::{ErrorKind, PutMode, PutOptions, S3Store, TransferConfig};

const MIB: usize = 1024 * 1024;

fn parts() -> TransferConfig {
    TransferConfig::default()
        .with_multipart_threshold(5 * MIB as u64)
        .with_multipart_chunksize(5 * MIB as u64)
        .with_max_concurrency(2)
}

struct Chunks(Vec<Bytes>);

impl futures_core::Stream for Chunks {
    type Item = s3lite::Result<Bytes>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready((!self.0.is_empty()).then(|| Ok(self.0.remove(0))))
    }
}

fn options() -> PutOptions {
    PutOptions::default()
        .with_content_type("application/x-test")
        .with_metadata("origin", "s3lite-test")
        .with_mode(PutMode::Create)
}

/// Each path writes attributes and metadata, and a second `Create` of the
/// same key fails with `AlreadyExists`, leaving the first object and no
/// open upload.
async fn transfers_carry_options(store: S3Store, server_name: &'static str) {
    let transfer = store.transfer(parts()).unwrap();
    let dir =
        std::env::temp_dir().join(format!("s3lite-opts-{server_name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let small = dir.join("small.txt");
    std::fs::write(&small, b"small file").unwrap();
    let big = dir.join("big.bin");
    let big_data: Vec<u8> = (0..11 * MIB).map(|i| (i % 251) as u8).collect();
    std::fs::write(&big, &big_data).unwrap();
    let streamed = || {
        Chunks(vec![
            Bytes::from(vec![7u8; 4 * MIB]),
            Bytes::from(vec![8u8; 3 * MIB]),
        ])
    };

    for (key, first) in [
        ("file-small", 0),
        ("file-big", 1),
        ("stream", 2),
        ("writer", 3),
    ] {
        let write = |o: PutOptions| {
            let (transfer, small, big) = (transfer.clone(), small.clone(), big.clone());
            async move {
                match first {
                    0 => transfer.upload_file_opts(key, &small, o, None).await,
                    1 => transfer.upload_file_opts(key, &big, o, None).await,
                    2 => transfer.put_stream_opts(key, streamed(), o, None).await,
                    _ => {
                        let mut w = transfer.multipart_writer_opts(key, o).unwrap();
                        w.put_part(Bytes::from(vec![9u8; 6 * MIB])).await?;
                        w.complete().await
                    }
                }
            }
        };
        write(options())
            .await
            .unwrap_or_else(|e| panic!("{server_name} {key}: {e}"));
        let meta = store.head(key).await.unwrap();
        assert_eq!(
            meta.content_type.as_deref(),
            Some("application/x-test"),
            "{key}"
        );
        assert_eq!(
            meta.metadata,
            [("origin".to_string(), "s3lite-test".to_string())],
            "{key}"
        );
        let before = meta.etag.clone();
        let e = write(options()).await.unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::AlreadyExists,
            "{server_name} {key}: {e}"
        );
        assert_eq!(
            store.head(key).await.unwrap().etag,
            before,
            "{key} untouched"
        );
    }
    if server_name == "localstack" {
        // s3s-fs has no ListMultipartUploads.
        assert!(store.list_multipart_uploads(None).await.unwrap().is_empty());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn localstack_transfers_carry_options() {
    with_bucket(Server::localstack(), "transfer-options", |s| {
        transfers_carry_options(s, "localstack")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3s_fs_transfers_carry_options() {
    with_bucket(Server::s3s_fs(), "transfer-options", |s| {
        transfers_carry_options(s, "s3s-fs")
    })
    .await;
}

/// ListBuckets goes to the endpoint without the bucket and lists the
/// store's own bucket.
async fn list_buckets_finds_the_bucket(store: S3Store) {
    let buckets = store.list_buckets().await.unwrap();
    assert!(
        buckets.iter().any(|b| b.name == store.bucket()),
        "{} not in {buckets:?}",
        store.bucket()
    );
}

#[tokio::test]
async fn localstack_list_buckets_finds_the_bucket() {
    with_bucket(
        Server::localstack(),
        "list-buckets",
        list_buckets_finds_the_bucket,
    )
    .await;
}

#[tokio::test]
async fn s3s_fs_list_buckets_finds_the_bucket() {
    with_bucket(
        Server::s3s_fs(),
        "list-buckets",
        list_buckets_finds_the_bucket,
    )
    .await;
}
