//! Store operations the `s3lite` command-line tool stands on, against the
//! real servers: server-side copies between buckets, copies that replace the
//! target's metadata (`cp --metadata-directive REPLACE`), the stored
//! checksum from HEAD, copies whose source has its own SSE-C key (`cp
//! --sse-c-copy-source-key`) and the SSE-C key MD5 HEAD reports, and waiting
//! for the aborts of dropped uploads (what the tool's Ctrl-C handler calls
//! before it exits).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use bytes::Bytes;
use common::{Server, with_bucket};
use s3lite::checksum::checksum_base64;
use s3lite::config::{ChecksumAlgorithm, CopyIfNotExists, S3ConfigKey, ServerSideEncryption};
use s3lite::encoding::{encode_base64, md5_base64};
use s3lite::{CopyMetadata, CopyOptions, ErrorKind, PutOptions, S3Store, TransferConfig};

const MIB: usize = 1024 * 1024;

/// `copy_from_bucket` copies an object of another bucket, server-side, and a
/// missing source is `NotFound`.
async fn copy_from_bucket_between_buckets(server: Option<Server>) {
    let Some(server) = server else { return };
    let source_bucket = common::unique_bucket("copy-from-source");
    let source = server.store(&source_bucket).unwrap();
    source.create_bucket().await.unwrap();
    source
        .put("dir/é 1.txt", Bytes::from_static(b"copied across"))
        .await
        .unwrap();
    with_bucket(Some(server), "copy-from-target", |store| async move {
        store
            .copy_from_bucket(&source_bucket, "dir/é 1.txt", "got/é 1.txt")
            .await
            .unwrap();
        let got = store
            .get("got/é 1.txt")
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(got, "copied across");
        let e = store
            .copy_from_bucket(&source_bucket, "missing", "got/missing")
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
        let e = store
            .copy_from_bucket("", "dir/é 1.txt", "x")
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    })
    .await;
    common::cleanup(&source).await;
}

#[tokio::test]
async fn localstack_copy_from_bucket_between_buckets() {
    copy_from_bucket_between_buckets(Server::localstack()).await;
}

#[tokio::test]
async fn s3s_fs_copy_from_bucket_between_buckets() {
    copy_from_bucket_between_buckets(Server::s3s_fs()).await;
}

/// `CopyOptions::replace_metadata` gives the target exactly the attributes
/// and metadata asked for (none of the source's), within a bucket, onto the
/// source's own key and from another bucket; a plain copy keeps the
/// source's (COPY, the default).
async fn copy_replaces_metadata(server: Option<Server>) {
    let Some(server) = server else { return };
    let source_bucket = common::unique_bucket("replace-source");
    let source = server.store(&source_bucket).unwrap();
    source.create_bucket().await.unwrap();
    let original = PutOptions::default()
        .with_content_type("text/plain")
        .with_cache_control("no-cache")
        .with_content_language("de")
        .with_metadata("old", "1");
    source
        .put_opts("src.txt", Bytes::from_static(b"body"), original.clone())
        .await
        .unwrap();
    with_bucket(Some(server), "replace-target", |store| async move {
        store
            .put_opts("src.txt", Bytes::from_static(b"body"), original)
            .await
            .unwrap();
        let replace = CopyMetadata::default()
            .with_content_type("application/x-replaced")
            .with_cache_control("max-age=60")
            .with_metadata("new", "2");
        let options = CopyOptions::default().with_replace_metadata(replace.clone());
        store
            .copy_opts("src.txt", "replaced.txt", options.clone())
            .await
            .unwrap();
        let meta = store.head("replaced.txt").await.unwrap();
        assert_eq!(meta.content_type.as_deref(), Some("application/x-replaced"));
        assert_eq!(meta.cache_control.as_deref(), Some("max-age=60"));
        assert_eq!(meta.content_language, None, "{meta:?}");
        assert_eq!(meta.metadata, [("new".to_string(), "2".to_string())]);

        // COPY: the source's attributes and metadata.
        store.copy("src.txt", "copied.txt").await.unwrap();
        let meta = store.head("copied.txt").await.unwrap();
        assert_eq!(meta.content_type.as_deref(), Some("text/plain"));
        assert_eq!(meta.cache_control.as_deref(), Some("no-cache"));
        assert_eq!(meta.metadata, [("old".to_string(), "1".to_string())]);

        // No content type given: the target key's suffix decides.
        let bare = CopyOptions::default().with_replace_metadata(CopyMetadata::default());
        store.copy_opts("src.txt", "bare.csv", bare).await.unwrap();
        let meta = store.head("bare.csv").await.unwrap();
        assert_eq!(meta.content_type.as_deref(), Some("text/csv"));
        assert!(meta.metadata.is_empty(), "{meta:?}");
        assert_eq!(meta.cache_control, None, "{meta:?}");

        // In place: the object's own key, new metadata, same bytes.
        store
            .copy_opts("copied.txt", "copied.txt", options.clone())
            .await
            .unwrap();
        let meta = store.head("copied.txt").await.unwrap();
        assert_eq!(meta.metadata, [("new".to_string(), "2".to_string())]);
        let body = store
            .get("copied.txt")
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(body, "body");

        // From another bucket.
        store
            .copy_from_bucket_opts(&source_bucket, "src.txt", "across.txt", options)
            .await
            .unwrap();
        let meta = store.head("across.txt").await.unwrap();
        assert_eq!(meta.cache_control.as_deref(), Some("max-age=60"));
        assert_eq!(meta.metadata, [("new".to_string(), "2".to_string())]);
        let e = store
            .copy_from_bucket_opts(
                &source_bucket,
                "src.txt",
                "bad.txt",
                CopyOptions::default()
                    .with_replace_metadata(replace.with_metadata("bad name", "x")),
            )
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    })
    .await;
    common::cleanup(&source).await;
}

#[tokio::test]
async fn localstack_copy_replaces_metadata() {
    copy_replaces_metadata(Server::localstack()).await;
}

#[tokio::test]
async fn s3s_fs_copy_replaces_metadata() {
    copy_replaces_metadata(Server::s3s_fs()).await;
}

/// HEAD reports the stored checksum when the store asks for checksums
/// (`response_checksum_validation = when_supported`), and none otherwise.
#[tokio::test]
async fn localstack_head_reports_stored_checksum() {
    with_bucket(Server::localstack(), "head-checksum", |store| async move {
        let data = Bytes::from_static(b"checksummed body");
        let options = PutOptions::default().with_checksum(ChecksumAlgorithm::Crc32c);
        store
            .put_opts("sum.txt", data.clone(), options)
            .await
            .unwrap();
        assert_eq!(store.head("sum.txt").await.unwrap().checksum, None);
        let server = Server::localstack().unwrap();
        let asking = server
            .store_builder(store.bucket())
            .with_config(S3ConfigKey::ResponseChecksumValidation, "when_supported")
            .build()
            .unwrap();
        let meta = asking.head("sum.txt").await.unwrap();
        assert_eq!(
            meta.checksum,
            Some((
                ChecksumAlgorithm::Crc32c,
                checksum_base64(ChecksumAlgorithm::Crc32c, &data)
            ))
        );
    })
    .await;
}

/// A store on `store`'s bucket whose SSE-C key is `[key; 32]`.
fn sse_c_store(server: &Server, store: &S3Store, key: u8) -> S3Store {
    server
        .store_builder(store.bucket())
        .server_side_encryption(ServerSideEncryption::SseC)
        .sse_customer_key_base64(encode_base64(&[key; 32]))
        .build()
        .unwrap()
}

async fn body(store: &S3Store, key: &str) -> s3lite::Result<Bytes> {
    store.get(key).await?.bytes().await
}

/// `CopyOptions::with_source_customer_key` reads the source with its own
/// SSE-C key while the store writes the target with its encryption: key
/// rotation (A to B), an SSE-C source to a plain and to an SSE-S3 target,
/// from a named bucket too; `without_source_customer_key` copies a plain
/// source into an SSE-C store. A wrong source key is refused (403), as is
/// the default (the store's key) on a source under another key. HEAD
/// reports the algorithm and the MD5 of the object's key.
#[tokio::test]
async fn localstack_copy_reads_the_source_with_its_own_sse_c_key() {
    let Some(server) = Server::localstack() else {
        return;
    };
    with_bucket(
        Some(server.clone()),
        "copy-source-key",
        |plain| async move {
            let (a, b) = (0xa1, 0xb2);
            let store_a = sse_c_store(&server, &plain, a);
            let store_b = sse_c_store(&server, &plain, b);
            store_a
                .put("src", Bytes::from_static(b"under key A"))
                .await
                .unwrap();
            let from_a = CopyOptions::default()
                .with_source_customer_key([a; 32])
                .unwrap();

            // Rotation: read with A, written with B.
            store_b
                .copy_opts("src", "rotated", from_a.clone())
                .await
                .unwrap();
            assert_eq!(body(&store_b, "rotated").await.unwrap(), "under key A");
            let e = body(&store_a, "rotated").await.unwrap_err();
            assert_eq!(e.status(), Some(403), "{e}");
            let meta = store_b.head("rotated").await.unwrap();
            assert_eq!(meta.sse_customer_algorithm.as_deref(), Some("AES256"));
            let md5_b = md5_base64(&[b; 32]);
            assert_eq!(meta.sse_customer_key_md5.as_deref(), Some(md5_b.as_str()));
            // The key given as base64 works the same, from a named bucket too.
            let from_a_b64 = CopyOptions::default()
                .with_source_customer_key(encode_base64(&[a; 32]))
                .unwrap();
            store_b
                .copy_from_bucket_opts(plain.bucket(), "src", "across", from_a_b64)
                .await
                .unwrap();
            assert_eq!(body(&store_b, "across").await.unwrap(), "under key A");

            // SSE-C source, plain target: readable without a key.
            plain
                .copy_opts("src", "decrypted", from_a.clone())
                .await
                .unwrap();
            assert_eq!(body(&plain, "decrypted").await.unwrap(), "under key A");
            let meta = plain.head("decrypted").await.unwrap();
            assert_eq!(meta.sse_customer_algorithm, None, "{meta:?}");
            assert_eq!(meta.sse_customer_key_md5, None, "{meta:?}");

            // SSE-C source, SSE-S3 target.
            let aes = server
                .store_builder(plain.bucket())
                .server_side_encryption(ServerSideEncryption::Aes256)
                .build()
                .unwrap();
            aes.copy_opts("src", "sse-s3", from_a.clone())
                .await
                .unwrap();
            assert_eq!(body(&plain, "sse-s3").await.unwrap(), "under key A");
            let meta = plain.head("sse-s3").await.unwrap();
            assert_eq!(meta.server_side_encryption.as_deref(), Some("AES256"));
            assert_eq!(meta.sse_customer_algorithm, None, "{meta:?}");

            // Plain source, SSE-C target: no copy-source key.
            plain
                .put("clear", Bytes::from_static(b"clear text"))
                .await
                .unwrap();
            let plain_source = CopyOptions::default().without_source_customer_key();
            store_b
                .copy_opts("clear", "encrypted", plain_source)
                .await
                .unwrap();
            assert_eq!(body(&store_b, "encrypted").await.unwrap(), "clear text");
            let e = body(&plain, "encrypted").await.unwrap_err();
            assert_eq!(e.status(), Some(400), "{e}");

            // A wrong source key, and the default (the store's, B) on A's object.
            let from_b = CopyOptions::default()
                .with_source_customer_key([b; 32])
                .unwrap();
            let e = store_a.copy_opts("src", "x", from_b).await.unwrap_err();
            assert_eq!(e.status(), Some(403), "{e}");
            let e = store_b.copy("src", "y").await.unwrap_err();
            assert_eq!(e.status(), Some(403), "{e}");
            assert!(plain.head("x").await.is_err() && plain.head("y").await.is_err());
            let shown = format!("{e} {e:?} {from_a:?}");
            for secret in [encode_base64(&[a; 32]), encode_base64(&[b; 32])] {
                assert!(!shown.contains(&secret), "{shown}");
            }
        },
    )
    .await;
}

/// The multipart copy (`copy_if_not_exists = multipart`: UploadPartCopy
/// parts) of an SSE-C store copies its source and writes the target with
/// the store's key. LocalStack does not check the copy-source key of an
/// UploadPartCopy (it copies without one), so the headers of each part are
/// checked in `store::copy`'s unit tests instead.
#[tokio::test]
async fn localstack_multipart_copy_of_an_sse_c_store() {
    let Some(server) = Server::localstack() else {
        return;
    };
    with_bucket(
        Some(server.clone()),
        "copy-parts-sse-c",
        |plain| async move {
            let store = server
                .store_builder(plain.bucket())
                .server_side_encryption(ServerSideEncryption::SseC)
                .sse_customer_key_base64(encode_base64(&[0xc3; 32]))
                .copy_if_not_exists(CopyIfNotExists::Multipart)
                .build()
                .unwrap();
            store
                .put("src", Bytes::from_static(b"copied in parts"))
                .await
                .unwrap();
            store.copy_if_not_exists("src", "dst").await.unwrap();
            assert_eq!(body(&store, "dst").await.unwrap(), "copied in parts");
            assert!(body(&plain, "dst").await.is_err());
            let e = store.copy_if_not_exists("src", "dst").await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
        },
    )
    .await;
}

/// A writer dropped mid-upload aborts in the background, and
/// `wait_for_background_aborts` returns only once that abort is done: the
/// upload is gone right after it, without polling. On a current-thread
/// runtime the abort task cannot run before this test yields, so without the
/// wait the listing would race it.
#[tokio::test(flavor = "current_thread")]
async fn localstack_wait_for_background_aborts_after_drop() {
    with_bucket(
        Server::localstack(),
        "wait-aborts",
        |store: S3Store| async move {
            let config = TransferConfig::default()
                .with_multipart_threshold(5 * MIB as u64)
                .with_multipart_chunksize(5 * MIB as u64);
            let transfer = store.transfer(config).unwrap();
            let mut writer = transfer.multipart_writer("dropped.bin").unwrap();
            writer
                .put_part(Bytes::from(vec![7u8; 11 * MIB]))
                .await
                .unwrap();
            assert!(
                writer.upload_id().is_some(),
                "two parts: a multipart upload"
            );
            drop(writer);
            store.wait_for_background_aborts().await;
            let open = store
                .list_multipart_uploads(Some("dropped.bin"))
                .await
                .unwrap();
            assert!(open.is_empty(), "still open after the wait: {open:?}");
            // Nothing left: a second wait returns at once.
            store.wait_for_background_aborts().await;
        },
    )
    .await;
}
