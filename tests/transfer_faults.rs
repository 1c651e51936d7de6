//! Transfers against an in-process S3 endpoint that injects faults: a
//! failing UploadPart, a download cut short, a download that stalls.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

#[path = "transfer_support/mini_s3.rs"]
mod mini_s3;

use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use mini_s3::{MiniS3, Script, byte_at};
use s3lite::retry::RetryConfig;
use s3lite::{ErrorKind, S3Store, TransferConfig};

const MIB: u64 = 1024 * 1024;

fn five_mib_parts() -> TransferConfig {
    TransferConfig::default()
        .with_multipart_threshold(5 * MIB)
        .with_multipart_chunksize(5 * MIB)
}

fn no_retry_store(server: &MiniS3) -> S3Store {
    S3Store::builder()
        .bucket("b")
        .endpoint(server.endpoint())
        .allow_http(true)
        .skip_signature(true)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap()
}

/// `total` bytes in chunks of `chunk`.
struct Zeros {
    left: u64,
    chunk: u64,
}

impl Stream for Zeros {
    type Item = s3lite::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let n = self.left.min(self.chunk);
        if n == 0 {
            return Poll::Ready(None);
        }
        self.left -= n;
        Poll::Ready(Some(Ok(Bytes::from(vec![0u8; n as usize]))))
    }
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("s3lite-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn entries(&self) -> Vec<String> {
        std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn failing_upload_part_aborts_the_upload() {
    let server = MiniS3::start(Script {
        fail_part: Some(2),
        ..Script::default()
    })
    .await;
    let transfer = server.store().transfer(five_mib_parts()).unwrap();
    let data = Zeros {
        left: 23 * MIB,
        chunk: 1_000_000,
    };
    let e = transfer.put_stream("k", data, None).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert_eq!(e.s3_code(), Some("InvalidArgument"), "{e}");
    assert_eq!(server.requests("DELETE /b/k?uploadId=up1").len(), 1);
    assert!(
        server.requests("POST /b/k?uploadId").is_empty(),
        "never completed"
    );
}

#[tokio::test]
async fn writer_parts_are_equal_except_the_last() {
    let server = MiniS3::start(Script::default()).await;
    let transfer = server.store().transfer(five_mib_parts()).unwrap();
    let mut writer = transfer.multipart_writer("k").unwrap();
    // Chunks that never line up with part boundaries, one larger than a part.
    for size in [3 * MIB + 7, 11 * MIB, MIB - 1, 8 * MIB + 1] {
        writer
            .put_part(Bytes::from(vec![1u8; size as usize]))
            .await
            .unwrap();
    }
    writer.complete().await.unwrap();
    let mut sizes: Vec<(u32, u64)> = server
        .requests("PUT /b/k?partNumber=")
        .iter()
        .map(|l| {
            let n = l
                .split("partNumber=")
                .nth(1)
                .unwrap()
                .split('&')
                .next()
                .unwrap();
            let len = l.rsplit("len=").next().unwrap();
            (n.parse().unwrap(), len.parse().unwrap())
        })
        .collect();
    sizes.sort();
    let total = 3 * MIB + 7 + 11 * MIB + MIB - 1 + 8 * MIB + 1;
    assert_eq!(
        sizes,
        [
            (1, 5 * MIB),
            (2, 5 * MIB),
            (3, 5 * MIB),
            (4, 5 * MIB),
            (5, total - 20 * MIB)
        ]
    );
    assert_eq!(server.requests("POST /b/k?uploadId=up1").len(), 1);
}

#[tokio::test]
async fn stream_below_threshold_is_one_put() {
    let server = MiniS3::start(Script::default()).await;
    let transfer = server.store().transfer(five_mib_parts()).unwrap();
    let data = Zeros {
        left: 5 * MIB - 1,
        chunk: MIB,
    };
    transfer.put_stream("k", data, None).await.unwrap();
    assert_eq!(
        server.requests("PUT /b/k? len="),
        [format!("PUT /b/k? len={}", 5 * MIB - 1)]
    );
    assert!(server.requests("POST").is_empty());
}

#[tokio::test]
async fn download_to_file_writes_every_range_in_place() {
    let size = 23 * MIB + 17;
    let server = MiniS3::start(Script {
        object_size: size,
        ..Script::default()
    })
    .await;
    let dir = TempDir::new("ranges-in-place");
    let path = dir.0.join("o.bin");
    let transfer = server
        .store()
        .transfer(five_mib_parts().with_max_concurrency(3))
        .unwrap();
    transfer.download_to_file("k", &path, None).await.unwrap();
    let got = std::fs::read(&path).unwrap();
    assert_eq!(got.len() as u64, size);
    assert!(got.iter().enumerate().all(|(i, b)| *b == byte_at(i as u64)));
    assert_eq!(server.requests("GET").len(), 5, "five 5 MiB ranges");
}

#[tokio::test]
async fn interrupted_download_leaves_no_temp_file() {
    let server = MiniS3::start(Script {
        object_size: 20 * MIB,
        truncate_get_after: Some(MIB),
        ..Script::default()
    })
    .await;
    let dir = TempDir::new("interrupted-download");
    let store = no_retry_store(&server);
    let e = store
        .download_file("k", dir.0.join("o.bin"), false, None)
        .await
        .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Transport | ErrorKind::Timeout),
        "{e}"
    );
    assert!(dir.entries().is_empty(), "{:?}", dir.entries());
}

#[tokio::test]
async fn cancelled_download_leaves_no_temp_file() {
    let server = MiniS3::start(Script {
        object_size: 20 * MIB,
        stall_get_after: Some(MIB),
        ..Script::default()
    })
    .await;
    let dir = TempDir::new("cancelled-download");
    let store = no_retry_store(&server);
    let download = store.download_file("k", dir.0.join("o.bin"), false, None);
    let outcome = tokio::time::timeout(Duration::from_millis(500), download).await;
    assert!(
        outcome.is_err(),
        "the stalled download must still be running"
    );
    assert!(dir.entries().is_empty(), "{:?}", dir.entries());
}

/// The builder's `transfer_config` is what the store's own transfer helpers
/// use: 11 MiB goes up as 5 + 5 + 1 MiB parts (the default would be 8 + 3).
#[tokio::test]
async fn builder_transfer_config_sets_the_store_part_size() {
    let server = MiniS3::start(Script::default()).await;
    let store = S3Store::builder()
        .bucket("b")
        .endpoint(server.endpoint())
        .allow_http(true)
        .skip_signature(true)
        .transfer_config(five_mib_parts())
        .build()
        .unwrap();
    let data = Zeros {
        left: 11 * MIB,
        chunk: MIB,
    };
    store.put_stream("k", data, None).await.unwrap();
    let mut lens: Vec<String> = server
        .requests("PUT /b/k?partNumber=")
        .iter()
        .map(|l| l.rsplit("len=").next().unwrap().to_string())
        .collect();
    lens.sort();
    assert_eq!(
        lens,
        [
            MIB.to_string(),
            (5 * MIB).to_string(),
            (5 * MIB).to_string()
        ]
    );
}

#[test]
fn builder_refuses_a_transfer_config_below_s3_limits() {
    let e = S3Store::builder()
        .bucket("b")
        .skip_signature(true)
        .transfer_config(TransferConfig::default().with_multipart_chunksize(1024))
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
    assert!(e.to_string().contains("multipart_chunksize"), "{e}");
}
