//! The integrity modes (`request_checksum_calculation`,
//! `response_checksum_validation`) and unsigned payloads over HTTPS, on real
//! servers: LocalStack validates `x-amz-checksum-*`, s3s-fs checks every
//! signature and body hash. HTTPS goes through a TLS front
//! (`common/tls_front.rs`) in front of them; corruption is done on the wire
//! by the recording client (`common/recorder.rs`).
#![cfg(feature = "hyper-rustls")]
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;
#[path = "common/recorder.rs"]
mod recorder;
#[path = "common/tls_front.rs"]
mod tls_front;

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::{Server, cleanup, unique_bucket};
use http::Method;
use recorder::{Recorder, header};
use s3lite::checksum::checksum_base64;
use s3lite::config::{ChecksumAlgorithm, ChecksumWhen};
use s3lite::transport::{BoxFuture, HttpClient, HttpRequest, HttpResponse, ResponseBody};
use s3lite::{ErrorKind, S3Store, S3StoreBuilder, TransferConfig};
use tls_front::TlsFront;

const MIB: usize = 1024 * 1024;

fn pattern(len: usize) -> Bytes {
    (0..len).map(|i| (i * 7 % 253) as u8).collect()
}

/// A store on a fresh bucket of `server` (through `front` when given), with
/// both modes `when_supported` and a recording client.
async fn supported_store(
    server: &Server,
    name: &str,
    front: Option<&TlsFront>,
) -> (S3Store, S3Store, Recorder) {
    let bucket = unique_bucket(name);
    let plain = server.store(&bucket).unwrap();
    plain.create_bucket().await.unwrap();
    let recorder = Recorder::trusting(front.map(|f| f.pem.as_str()));
    let mut b = server
        .store_builder(&bucket)
        .request_checksum_calculation(ChecksumWhen::WhenSupported)
        .response_checksum_validation(ChecksumWhen::WhenSupported)
        .http_client(recorder.clone());
    if let Some(front) = front {
        b = b.endpoint(&front.url);
    }
    (b.build().unwrap(), plain, recorder)
}

fn small_parts() -> TransferConfig {
    TransferConfig::default()
        .with_multipart_threshold(5 * MIB as u64)
        .with_multipart_chunksize(5 * MIB as u64)
        .with_max_concurrency(2)
}

/// `when_supported` on a custom endpoint: every PutObject and UploadPart
/// carries CRC32, every GET asks for the checksum and checks it.
#[tokio::test]
async fn when_supported_sends_crc32_everywhere_and_checks_gets_on_localstack() {
    let Some(server) = Server::localstack() else {
        return;
    };
    let (store, plain, rec) = supported_store(&server, "modes-ls", None).await;
    let small = Bytes::from_static(b"checked");
    store.put("small", small.clone()).await.unwrap();
    let put = rec.last(Method::PUT);
    assert_eq!(
        header(&put.request, "x-amz-checksum-crc32"),
        checksum_base64(ChecksumAlgorithm::Crc32, &small)
    );
    assert_eq!(
        store.get("small").await.unwrap().bytes().await.unwrap(),
        small
    );
    let get = rec.last(Method::GET);
    assert_eq!(header(&get.request, "x-amz-checksum-mode"), "ENABLED");
    assert!(!header(&get.response, "x-amz-checksum-crc32").is_empty());

    // A file in parts: each part's checksum is read from the file.
    let dir = std::env::temp_dir().join(format!("s3lite-modes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("eleven.bin");
    let data = pattern(11 * MIB);
    std::fs::write(&path, &data).unwrap();
    rec.clear();
    store
        .transfer(small_parts())
        .unwrap()
        .upload_file("big", &path, None)
        .await
        .unwrap();
    let parts: Vec<_> = rec
        .log()
        .into_iter()
        .filter(|e| e.method == Method::PUT && e.url.contains("partNumber="))
        .collect();
    assert_eq!(parts.len(), 3);
    for p in &parts {
        assert!(
            !header(&p.request, "x-amz-checksum-crc32").is_empty(),
            "{}",
            p.url
        );
    }
    assert_eq!(plain.get("big").await.unwrap().bytes().await.unwrap(), data);
    let _ = std::fs::remove_dir_all(&dir);
    cleanup(&plain).await;
}

/// A byte changed on the wire after the checksum was computed: refused on
/// upload (`Integrity`, nothing stored), detected on download (`Integrity`).
#[tokio::test]
async fn corrupted_bytes_are_integrity_errors_both_ways_on_localstack() {
    let Some(server) = Server::localstack() else {
        return;
    };
    let (store, plain, rec) = supported_store(&server, "modes-corrupt", None).await;
    *rec.corrupt_next_put.lock().unwrap() = true;
    let e = store.put("k", pattern(1000)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    assert_eq!(
        plain.head("k").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    store.put("k", pattern(1000)).await.unwrap();
    *rec.corrupt_next_get.lock().unwrap() = true;
    let e = store.get("k").await.unwrap().bytes().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    cleanup(&plain).await;
}

/// Over plain HTTP the payload stays signed even with a checksum: s3s-fs
/// checks the SHA-256 of every body, file parts included (read from the
/// file before sending).
#[tokio::test]
async fn over_http_payloads_stay_signed_and_s3s_fs_accepts_them() {
    let Some(server) = Server::s3s_fs() else {
        return;
    };
    let (store, plain, rec) = supported_store(&server, "modes-http", None).await;
    let big = pattern(2 * MIB);
    store.put("big", big.clone()).await.unwrap();
    let put = rec.last(Method::PUT);
    assert_eq!(header(&put.request, "x-amz-content-sha256").len(), 64);
    let dir = std::env::temp_dir().join(format!("s3lite-modes-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("file.bin");
    let data = pattern(11 * MIB);
    std::fs::write(&path, &data).unwrap();
    store
        .transfer(small_parts())
        .unwrap()
        .upload_file("file", &path, None)
        .await
        .unwrap();
    for e in rec.log().iter().filter(|e| e.method == Method::PUT) {
        assert_eq!(
            header(&e.request, "x-amz-content-sha256").len(),
            64,
            "{}",
            e.url
        );
    }
    assert_eq!(
        plain.get("file").await.unwrap().bytes().await.unwrap(),
        data
    );
    assert_eq!(store.get("big").await.unwrap().bytes().await.unwrap(), big);
    let _ = std::fs::remove_dir_all(&dir);
    cleanup(&plain).await;
}

/// Over HTTPS, large uploads go `UNSIGNED-PAYLOAD` with their CRC32 (as
/// the AWS SDKs do); a small PUT keeps its signed hash. The strict server
/// accepts every request, and a body changed on the wire is still refused.
async fn https_large_uploads_are_unsigned_with_a_checksum(
    server: Option<Server>,
    check_corruption: bool,
) {
    let Some(server) = server else { return };
    let front = TlsFront::start(&server.endpoint).await;
    let (store, plain, rec) = supported_store(&server, "modes-https", Some(&front)).await;
    store.put("small", pattern(4096)).await.unwrap();
    let small = rec.last(Method::PUT);
    assert_eq!(header(&small.request, "x-amz-content-sha256").len(), 64);
    let big = pattern(2 * MIB);
    store.put("big", big.clone()).await.unwrap();
    let put = rec.last(Method::PUT);
    assert_eq!(
        header(&put.request, "x-amz-content-sha256"),
        "UNSIGNED-PAYLOAD"
    );
    assert_eq!(
        header(&put.request, "x-amz-checksum-crc32"),
        checksum_base64(ChecksumAlgorithm::Crc32, &big)
    );
    let dir = std::env::temp_dir().join(format!(
        "s3lite-modes-https-{}-{}",
        server.name,
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("file.bin");
    let data = pattern(11 * MIB);
    std::fs::write(&path, &data).unwrap();
    rec.clear();
    store
        .transfer(small_parts())
        .unwrap()
        .upload_file("file", &path, None)
        .await
        .unwrap();
    let mut writer = store
        .transfer(small_parts())
        .unwrap()
        .multipart_writer("stream")
        .unwrap();
    writer.put_part(pattern(6 * MIB)).await.unwrap();
    writer.complete().await.unwrap();
    let parts: Vec<_> = rec
        .log()
        .into_iter()
        .filter(|e| e.method == Method::PUT && e.url.contains("partNumber="))
        .collect();
    assert_eq!(
        parts.len(),
        5,
        "{:?}",
        parts.iter().map(|p| &p.url).collect::<Vec<_>>()
    );
    for p in &parts {
        assert_eq!(
            header(&p.request, "x-amz-content-sha256"),
            "UNSIGNED-PAYLOAD",
            "{}",
            p.url
        );
        assert!(
            !header(&p.request, "x-amz-checksum-crc32").is_empty(),
            "{}",
            p.url
        );
    }
    assert_eq!(
        plain.get("file").await.unwrap().bytes().await.unwrap(),
        data
    );
    assert_eq!(store.get("big").await.unwrap().bytes().await.unwrap(), big);
    if check_corruption {
        *rec.corrupt_next_put.lock().unwrap() = true;
        let e = store.put("bad", pattern(2 * MIB)).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Integrity, "{}: {e}", server.name);
    }
    let _ = std::fs::remove_dir_all(&dir);
    cleanup(&plain).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn localstack_https_large_uploads_are_unsigned_with_a_checksum() {
    https_large_uploads_are_unsigned_with_a_checksum(Server::localstack(), true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3s_fs_https_large_uploads_are_unsigned_with_a_checksum() {
    https_large_uploads_are_unsigned_with_a_checksum(Server::s3s_fs(), true).await;
}

/// Answers 200 to everything without a network, recording request headers:
/// for the defaults on AWS endpoints, which no local server can stand for.
#[derive(Debug, Default)]
struct Offline {
    seen: Mutex<Vec<(Method, http::HeaderMap)>>,
}

impl HttpClient for Offline {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, s3lite::Result<HttpResponse>> {
        self.seen
            .lock()
            .unwrap()
            .push((request.method.clone(), request.headers.clone()));
        Box::pin(async {
            let mut headers = http::HeaderMap::new();
            headers.insert("etag", "\"e\"".parse().unwrap());
            headers.insert("content-length", "2".parse().unwrap());
            Ok(HttpResponse {
                status: http::StatusCode::OK,
                headers,
                body: ResponseBody::from_bytes("ok"),
            })
        })
    }
}

/// On AWS endpoints both modes default to `when_supported`, as in the AWS
/// SDKs since 2025; on custom endpoints to `when_required` (see
/// `no_checksum_header_unless_configured` in `checksums.rs`).
#[tokio::test]
async fn aws_endpoints_default_to_when_supported() {
    let offline = Arc::new(Offline::default());
    let store = S3StoreBuilder::new()
        .without_env()
        .bucket("my-bucket")
        .region("eu-west-1")
        .access_key_id("AKIDEXAMPLE")
        .secret_access_key("secret")
        .http_client(Arc::clone(&offline))
        .build()
        .unwrap();
    store.put("k", Bytes::from_static(b"ok")).await.unwrap();
    store.get("k").await.unwrap().bytes().await.unwrap();
    let seen = offline.seen.lock().unwrap().clone();
    let (_, put) = seen.iter().find(|(m, _)| m == Method::PUT).unwrap();
    assert_eq!(
        header(put, "x-amz-checksum-crc32"),
        checksum_base64(ChecksumAlgorithm::Crc32, b"ok")
    );
    let (_, get) = seen.iter().find(|(m, _)| m == Method::GET).unwrap();
    assert_eq!(header(get, "x-amz-checksum-mode"), "ENABLED");
    // `when_required` turns both off.
    let offline = Arc::new(Offline::default());
    let store = S3StoreBuilder::new()
        .without_env()
        .bucket("my-bucket")
        .region("eu-west-1")
        .access_key_id("AKIDEXAMPLE")
        .secret_access_key("secret")
        .request_checksum_calculation(ChecksumWhen::WhenRequired)
        .response_checksum_validation(ChecksumWhen::WhenRequired)
        .http_client(Arc::clone(&offline))
        .build()
        .unwrap();
    store.put("k", Bytes::from_static(b"ok")).await.unwrap();
    store.get("k").await.unwrap().bytes().await.unwrap();
    for (method, headers) in offline.seen.lock().unwrap().iter() {
        assert!(
            headers
                .keys()
                .all(|n| !n.as_str().starts_with("x-amz-checksum")),
            "{method}: {headers:?}"
        );
    }
}
