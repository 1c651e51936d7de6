//! Signed streaming uploads (`S3Store::put_stream_sized`) on real servers:
//! s3s-fs verifies every chunk signature and the trailer strictly, LocalStack
//! checks the trailing checksum. A client that corrupts one byte on the wire
//! proves s3s-fs would notice a wrong chunk.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use common::{Server, cleanup, unique_bucket};
use futures_core::Stream;
use s3lite::config::ChecksumAlgorithm;
use s3lite::transport::{
    BoxFuture, ClientOptions, HttpClient, HttpRequest, HttpResponse, HyperClient, RequestBody,
};
use s3lite::{ErrorKind, S3Store};

/// `n` bytes of a repeating pattern.
fn payload(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

/// `data` as a stream of `piece`-byte chunks (uneven against 64 KiB).
fn pieces(data: &[u8], piece: usize) -> impl Stream<Item = s3lite::Result<Bytes>> + Send + 'static {
    let chunks: Vec<Bytes> = data.chunks(piece).map(Bytes::copy_from_slice).collect();
    Iter(chunks.into_iter())
}

struct Iter(std::vec::IntoIter<Bytes>);

impl Stream for Iter {
    type Item = s3lite::Result<Bytes>;
    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.0.next().map(Ok))
    }
}

/// Uploads 200 KiB + 3 bytes with `store` and reads it back.
async fn round_trip(store: &S3Store, key: &str) {
    let data = payload(200 * 1024 + 3);
    store
        .put_stream_sized(key, data.len() as u64, pieces(&data, 10_000))
        .await
        .unwrap_or_else(|e| panic!("put_stream_sized {key}: {e}"));
    let back = store.get(key).await.unwrap().bytes().await.unwrap();
    assert_eq!(back.len(), data.len());
    assert!(back == data, "{key}: data differs");
}

/// Runs `test` on a fresh bucket of `server`, with `configure` applied to
/// the store builder.
async fn with_store<F, Fut>(
    server: Option<Server>,
    name: &str,
    configure: impl FnOnce(s3lite::S3StoreBuilder) -> s3lite::S3StoreBuilder,
    test: F,
) where
    F: FnOnce(S3Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let Some(server) = server else { return };
    let bucket = unique_bucket(name);
    let plain = server.store(&bucket).unwrap();
    plain.create_bucket().await.unwrap();
    let store = configure(server.store_builder(&bucket)).build().unwrap();
    test(store).await;
    cleanup(&plain).await;
}

#[tokio::test]
async fn s3s_fs_accepts_signed_chunks() {
    with_store(
        Server::s3s_fs(),
        "stream-signed",
        |b| b,
        |s| async move {
            round_trip(&s, "signed.bin").await;
        },
    )
    .await;
}

#[tokio::test]
async fn s3s_fs_accepts_signed_chunks_with_checksum_trailer() {
    for alg in [ChecksumAlgorithm::Crc32c, ChecksumAlgorithm::Sha256] {
        with_store(
            Server::s3s_fs(),
            "stream-trailer",
            |b| b.checksum_algorithm(alg),
            |s| async move {
                round_trip(&s, "trailer.bin").await;
            },
        )
        .await;
    }
}

#[tokio::test]
async fn s3s_fs_accepts_unsigned_chunks_with_trailer() {
    with_store(
        Server::s3s_fs(),
        "stream-unsigned",
        |b| {
            b.unsigned_payload(true)
                .checksum_algorithm(ChecksumAlgorithm::Crc32)
        },
        |s| async move {
            round_trip(&s, "unsigned.bin").await;
        },
    )
    .await;
}

#[tokio::test]
async fn localstack_accepts_every_streaming_mode() {
    for (unsigned, alg) in [
        (false, None),
        (false, Some(ChecksumAlgorithm::Crc64Nvme)),
        (true, Some(ChecksumAlgorithm::Sha1)),
        (true, None),
    ] {
        with_store(
            Server::localstack(),
            "stream-localstack",
            |b| {
                let b = b.unsigned_payload(unsigned);
                match alg {
                    Some(a) => b.checksum_algorithm(a),
                    None => b,
                }
            },
            |s| async move {
                round_trip(&s, "modes.bin").await;
            },
        )
        .await;
    }
}

#[tokio::test]
async fn empty_stream_uploads_an_empty_object() {
    with_store(
        Server::s3s_fs(),
        "stream-empty",
        |b| b,
        |s| async move {
            s.put_stream_sized("empty", 0, pieces(&[], 1))
                .await
                .unwrap();
            assert!(
                s.get("empty")
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap()
                    .is_empty()
            );
        },
    )
    .await;
}

#[tokio::test]
async fn stream_shorter_than_declared_fails_and_writes_nothing() {
    with_store(
        Server::s3s_fs(),
        "stream-short",
        |b| b,
        |s| async move {
            let data = payload(1000);
            let err = s
                .put_stream_sized("short", 1001, pieces(&data, 100))
                .await
                .expect_err("one byte short");
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
            let missing = s.head("short").await.expect_err("no object");
            assert_eq!(missing.kind(), ErrorKind::NotFound);
        },
    )
    .await;
}

/// What the corrupting client changes.
#[derive(Debug, Clone, Copy)]
enum Corrupt {
    /// The last hex digit of the first chunk signature.
    Signature,
    /// One payload byte of the first chunk.
    Payload,
}

/// Sends through hyper, flipping one byte of an aws-chunked body.
#[derive(Debug)]
struct CorruptingClient {
    inner: HyperClient,
    what: Corrupt,
}

impl HttpClient for CorruptingClient {
    fn send(&self, mut request: HttpRequest) -> BoxFuture<'_, s3lite::Result<HttpResponse>> {
        if let RequestBody::Stream(inner) = std::mem::take(&mut request.body) {
            request.body = RequestBody::from_stream(Flip {
                inner,
                what: self.what,
                seen: 0,
                done: false,
            });
        }
        self.inner.send(request)
    }
}

struct Flip {
    inner: s3lite::transport::BodyStream,
    what: Corrupt,
    /// Frames seen so far: 0 is the first chunk header, 1 its data.
    seen: usize,
    done: bool,
}

impl Stream for Flip {
    type Item = s3lite::Result<Bytes>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match this.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(b))) => {
                let frame = this.seen;
                this.seen += 1;
                let target = match this.what {
                    Corrupt::Signature => 0,
                    Corrupt::Payload => 1,
                };
                if this.done || frame != target {
                    return Poll::Ready(Some(Ok(b)));
                }
                this.done = true;
                let mut v = b.to_vec();
                let i = match this.what {
                    // "10000;chunk-signature=<64 hex>\r\n": the last digit.
                    Corrupt::Signature => v.len() - 3,
                    Corrupt::Payload => v.len() / 2,
                };
                v[i] = match v[i] {
                    b'0' => b'1',
                    b'a'..=b'f' | b'1'..=b'9' => b'0',
                    other => other ^ 1,
                };
                Poll::Ready(Some(Ok(Bytes::from(v))))
            }
            other => other,
        }
    }
}

async fn corrupted_upload_is_refused(what: Corrupt) {
    let Some(server) = Server::s3s_fs() else {
        return;
    };
    let bucket = unique_bucket("stream-corrupt");
    let plain = server.store(&bucket).unwrap();
    plain.create_bucket().await.unwrap();
    let mut options = ClientOptions::default();
    options.allow_http = true;
    let client = CorruptingClient {
        inner: HyperClient::new(&options).unwrap(),
        what,
    };
    let store = server
        .store_builder(&bucket)
        .http_client(client)
        .build()
        .unwrap();
    let data = payload(100_000);
    let err = store
        .put_stream_sized("corrupt", data.len() as u64, pieces(&data, 4096))
        .await
        .expect_err("s3s-fs must refuse a corrupted chunk");
    assert!(
        matches!(err.status(), Some(400 | 403)),
        "{what:?}: expected 400/403, got {err}"
    );
    assert!(
        plain.head("corrupt").await.is_err(),
        "no object was written"
    );
    // The same store with an honest client succeeds: the refusal was the corruption.
    plain
        .put_stream_sized("honest", data.len() as u64, pieces(&data, 4096))
        .await
        .unwrap();
    cleanup(&plain).await;
}

#[tokio::test]
async fn s3s_fs_rejects_a_corrupted_chunk_signature() {
    corrupted_upload_is_refused(Corrupt::Signature).await;
}

#[tokio::test]
async fn s3s_fs_rejects_a_corrupted_chunk_payload() {
    corrupted_upload_is_refused(Corrupt::Payload).await;
}
