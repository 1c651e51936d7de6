//! Upload checksums (`checksum_algorithm`) on LocalStack, which validates
//! `x-amz-checksum-*` and returns the stored value, and GET validation
//! against a scripted server that lies about the checksum.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;
#[path = "common/recorder.rs"]
mod recorder;
#[path = "faults/server.rs"]
mod server;

use bytes::Bytes;
use common::{Server, cleanup, unique_bucket};
use http::Method;
use s3lite::checksum::{self, ChecksumAlgorithm};

use recorder::{Recorder, header};
use s3lite::{ChecksumCheck, ErrorKind, PutOptions, S3Store};

const ALL: [ChecksumAlgorithm; 5] = checksum::ALL;

/// A LocalStack bucket and a store on it with `alg` and a recording client.
async fn localstack(name: &str, alg: Option<ChecksumAlgorithm>) -> Option<(S3Store, Recorder)> {
    let server = Server::localstack()?;
    let bucket = unique_bucket(name);
    server
        .store(&bucket)
        .unwrap()
        .create_bucket()
        .await
        .unwrap();
    let recorder = Recorder::new();
    let mut b = server.store_builder(&bucket).http_client(recorder.clone());
    if let Some(alg) = alg {
        b = b.checksum_algorithm(alg);
    }
    Some((b.build().unwrap(), recorder))
}

#[tokio::test]
async fn single_put_sends_each_checksum_and_get_validates_it() {
    for alg in ALL {
        let Some((store, rec)) = localstack("checksum-put", Some(alg)).await else {
            return;
        };
        let data = Bytes::from_static(b"The quick brown fox jumps over the lazy dog");
        store.put("k", data.clone()).await.unwrap();
        let put = rec.last(Method::PUT);
        let want = checksum::checksum_base64(alg, &data);
        assert_eq!(header(&put.request, checksum::header_name(alg)), want);
        assert_eq!(
            header(&put.request, "x-amz-sdk-checksum-algorithm"),
            alg.as_str()
        );
        assert_eq!(store.get("k").await.unwrap().bytes().await.unwrap(), data);
        let get = rec.last(Method::GET);
        assert_eq!(header(&get.request, "x-amz-checksum-mode"), "ENABLED");
        // LocalStack stored and returned the value we sent.
        assert_eq!(header(&get.response, checksum::header_name(alg)), want);
        cleanup(&store).await;
    }
}

#[tokio::test]
async fn no_checksum_header_unless_configured() {
    let Some((store, rec)) = localstack("checksum-default", None).await else {
        return;
    };
    store.put("k", "data".into()).await.unwrap();
    store.get("k").await.unwrap().bytes().await.unwrap();
    for e in rec.log() {
        for (name, _) in &e.request {
            assert!(
                !name.as_str().starts_with("x-amz-checksum")
                    && name.as_str() != "x-amz-sdk-checksum-algorithm",
                "{} {}: {name}",
                e.method,
                e.url
            );
        }
    }
    cleanup(&store).await;
}

#[tokio::test]
async fn per_call_checksum_overrides_the_store() {
    let Some((store, rec)) = localstack("checksum-override", None).await else {
        return;
    };
    let options = PutOptions::default().with_checksum(ChecksumAlgorithm::Crc32c);
    store.put_opts("k", "abc".into(), options).await.unwrap();
    let put = rec.last(Method::PUT);
    assert_eq!(
        header(&put.request, "x-amz-checksum-crc32c"),
        checksum::checksum_base64(ChecksumAlgorithm::Crc32c, b"abc")
    );
    cleanup(&store).await;
}

/// LocalStack checks the checksum: a body changed on the wire is refused.
#[tokio::test]
async fn localstack_rejects_a_body_that_does_not_match_its_checksum() {
    let Some((store, rec)) = localstack("checksum-bad", Some(ChecksumAlgorithm::Crc32)).await
    else {
        return;
    };
    *rec.corrupt_next_put.lock().unwrap() = true;
    let err = store
        .put("k", "payload".into())
        .await
        .expect_err("mismatching checksum");
    assert_eq!(err.status(), Some(400), "{err}");
    assert_eq!(err.kind(), ErrorKind::Integrity, "{err}");
    assert!(store.head("k").await.is_err(), "nothing stored");
    cleanup(&store).await;
}

#[tokio::test]
async fn multipart_sends_part_checksums_and_completes() {
    for alg in ALL {
        let Some((store, rec)) = localstack("checksum-mpu", Some(alg)).await else {
            return;
        };
        let part1 = Bytes::from(vec![b'x'; 5 * 1024 * 1024]);
        let part2 = Bytes::from_static(b"tail");
        let id = store.create_multipart_upload("big").await.unwrap();
        let create = rec.last(Method::POST);
        assert_eq!(
            header(&create.request, "x-amz-checksum-algorithm"),
            alg.as_str()
        );
        assert_eq!(
            header(&create.request, "x-amz-checksum-type"),
            checksum::multipart_type(alg).as_str()
        );
        let p1 = store
            .upload_part("big", &id, 1, part1.clone())
            .await
            .unwrap();
        let p2 = store
            .upload_part("big", &id, 2, part2.clone())
            .await
            .unwrap();
        let values = [&p1, &p2].map(|p| {
            [
                &p.checksum_crc32,
                &p.checksum_crc32c,
                &p.checksum_crc64nvme,
                &p.checksum_sha1,
                &p.checksum_sha256,
            ]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
        });
        assert_eq!(
            values[0],
            [checksum::checksum_base64(alg, &part1)],
            "{alg:?}"
        );
        assert_eq!(
            values[1],
            [checksum::checksum_base64(alg, &part2)],
            "{alg:?}"
        );
        store
            .complete_multipart_upload("big", &id, &[p1, p2])
            .await
            .unwrap_or_else(|e| panic!("{alg:?}: {e}"));
        let back = store.get("big").await.unwrap().bytes().await.unwrap();
        assert_eq!(back.len(), part1.len() + part2.len(), "{alg:?}");
        cleanup(&store).await;
    }
}

/// A server whose checksum does not match the body: the read fails with
/// `ErrorKind::Integrity` at the end of the stream.
#[tokio::test]
async fn get_with_wrong_full_object_checksum_is_an_integrity_error() {
    let srv = server::FaultServer::start([server::expect(Method::GET, "/b/k")
        .with_request_header("x-amz-checksum-mode", "ENABLED")
        .header("x-amz-checksum-crc32", "AAAAAA==")
        .body(Bytes::from_static(b"123456789"))])
    .await;
    let store = S3Store::builder()
        .bucket("b")
        .endpoint(srv.base())
        .allow_http(true)
        .access_key_id("AKID")
        .secret_access_key("secret")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .build()
        .unwrap();
    let err = store
        .get("k")
        .await
        .unwrap()
        .bytes()
        .await
        .expect_err("checksum mismatch");
    assert_eq!(err.kind(), ErrorKind::Integrity, "{err}");
}

#[tokio::test]
async fn get_with_matching_or_composite_checksum_reads_fine() {
    for value in ["y/Q5Jg==", "AAAAAA==-3"] {
        let srv = server::FaultServer::start([server::expect(Method::GET, "/b/k")
            .header("x-amz-checksum-crc32", value)
            .body(Bytes::from_static(b"123456789"))])
        .await;
        let store = S3Store::builder()
            .bucket("b")
            .endpoint(srv.base())
            .allow_http(true)
            .access_key_id("AKID")
            .secret_access_key("secret")
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .build()
            .unwrap();
        let got = store.get("k").await.unwrap();
        let want = if value.ends_with("-3") {
            ChecksumCheck::Composite {
                algorithm: ChecksumAlgorithm::Crc32,
                parts: 3,
            }
        } else {
            ChecksumCheck::Checked(ChecksumAlgorithm::Crc32)
        };
        assert_eq!(got.checksum, want, "{value}");
        let body = got.bytes().await.unwrap();
        assert_eq!(body, "123456789", "{value}");
    }
}
