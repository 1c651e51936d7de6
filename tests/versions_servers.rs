//! Versions and tags on real servers: bucket versioning on and off,
//! ListObjectVersions with delete markers, reading and deleting one
//! version, and Get/Put/DeleteObjectTagging (LocalStack implements all of
//! them; s3s-fs answers NotImplemented for versioning and the tagging
//! calls, pinned below).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use bytes::Bytes;
use common::{Server, with_bucket};
use s3lite::xml::VersioningStatus;
use s3lite::{ErrorKind, GetOptions, S3Store};

async fn text_of(store: &S3Store, key: &str, version: Option<&str>) -> String {
    let mut options = GetOptions::default();
    options.version_id = version.map(str::to_string);
    let got = store.get_opts(key, options).await.unwrap();
    String::from_utf8(got.bytes().await.unwrap().to_vec()).unwrap()
}

#[tokio::test]
async fn localstack_keeps_versions_and_delete_markers() {
    with_bucket(Server::localstack(), "versions", |store| async move {
        assert_eq!(
            store.bucket_versioning().await.unwrap(),
            VersioningStatus::Unversioned
        );
        store.set_bucket_versioning(true).await.unwrap();
        assert_eq!(
            store.bucket_versioning().await.unwrap(),
            VersioningStatus::Enabled
        );
        let v1 = store.put("doc.txt", Bytes::from("one")).await.unwrap();
        let v2 = store.put("doc.txt", Bytes::from("two")).await.unwrap();
        store.put("other.txt", Bytes::from("x")).await.unwrap();
        store.delete("doc.txt").await.unwrap();
        let (v1, v2) = (v1.version_id.unwrap(), v2.version_id.unwrap());

        let versions = store.list_versions(Some("doc")).collect().await.unwrap();
        let seen: Vec<(&str, bool, bool)> = versions
            .iter()
            .map(|v| (v.version_id.as_str(), v.delete_marker, v.is_latest))
            .collect();
        assert_eq!(seen.len(), 3, "{versions:?}");
        assert!(seen[0].1 && seen[0].2, "newest first: the delete marker");
        assert_eq!(
            &seen[1..],
            [(v2.as_str(), false, false), (v1.as_str(), false, false)]
        );
        assert!(versions.iter().all(|v| v.key == "doc.txt"));
        assert_eq!(versions[1].size, 3);

        // The key reads as deleted; each version still reads as itself.
        let gone = store.get("doc.txt").await.unwrap_err();
        assert_eq!(gone.kind(), ErrorKind::NotFound);
        assert_eq!(text_of(&store, "doc.txt", Some(&v1)).await, "one");
        assert_eq!(text_of(&store, "doc.txt", Some(&v2)).await, "two");

        // Removing the delete marker brings v2 back; removing v2, v1.
        store
            .delete_version("doc.txt", &versions[0].version_id)
            .await
            .unwrap();
        assert_eq!(text_of(&store, "doc.txt", None).await, "two");
        store.delete_version("doc.txt", &v2).await.unwrap();
        assert_eq!(text_of(&store, "doc.txt", None).await, "one");
        let left = store.list_versions(None).collect().await.unwrap();
        let keys: Vec<(&str, &str)> = left
            .iter()
            .map(|v| (v.key.as_str(), v.version_id.as_str()))
            .collect();
        assert!(keys.contains(&("doc.txt", v1.as_str())), "{keys:?}");
        assert_eq!(keys.len(), 2, "{keys:?}");

        let e = store.delete_version("doc.txt", "").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);

        store.set_bucket_versioning(false).await.unwrap();
        assert_eq!(
            store.bucket_versioning().await.unwrap(),
            VersioningStatus::Suspended
        );
        // The bucket can only be deleted empty: remove every version.
        for v in store.list_versions(None).collect().await.unwrap() {
            store.delete_version(&v.key, &v.version_id).await.unwrap();
        }
    })
    .await;
}

async fn tags_round_trip(store: S3Store) {
    store.put("tagged.bin", Bytes::from("t")).await.unwrap();
    assert!(store.get_tags("tagged.bin").await.unwrap().is_empty());
    let tags = vec![
        ("project".to_string(), "apollo 11".to_string()),
        // Every character S3 allows in a tag: letters, digits, space, + - = . _ : / @
        ("owner".to_string(), "a+b=c.d_e:f/g@h-i".to_string()),
    ];
    store.put_tags("tagged.bin", &tags).await.unwrap();
    let mut got = store.get_tags("tagged.bin").await.unwrap();
    got.sort();
    let mut want = tags.clone();
    want.sort();
    assert_eq!(got, want);
    store.delete_tags("tagged.bin").await.unwrap();
    assert!(store.get_tags("tagged.bin").await.unwrap().is_empty());
    let missing = store.get_tags("no-such-key").await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound, "{missing}");
}

#[tokio::test]
async fn localstack_tags_round_trip() {
    with_bucket(Server::localstack(), "tags", tags_round_trip).await;
}

/// s3s-fs stores tags given on PutObject but has no tagging calls.
#[tokio::test]
async fn s3s_fs_object_tagging_unsupported() {
    with_bucket(Server::s3s_fs(), "tags", |store| async move {
        store.put("tagged.bin", Bytes::from("t")).await.unwrap();
        let e = store.get_tags("tagged.bin").await.unwrap_err();
        assert_eq!(e.s3_code(), Some("NotImplemented"), "{e}");
    })
    .await;
}

/// s3s-fs keeps no versions: it refuses to turn versioning on.
#[tokio::test]
async fn s3s_fs_versioning_unsupported() {
    with_bucket(Server::s3s_fs(), "versions", |store| async move {
        let e = store.set_bucket_versioning(true).await.unwrap_err();
        assert_eq!(e.s3_code(), Some("NotImplemented"), "{e}");
    })
    .await;
}
