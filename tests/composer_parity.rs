//! composer's `S3ObjectStore` behaviours a migrating user would notice, on
//! real servers: `list_keys` returns keys with the store's prefix (and
//! `list_relative_keys` without it), `object_size` maps a 403 to `NotFound`,
//! progress can be told in increments (boto3's `Callback`), and the
//! environment composer and boto3 read: `S3_ENDPOINT_URL`, `S3_CANNED_ACL`
//! and the profile's `region`.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::{Server, cleanup, unique_bucket, with_bucket};
use http::Method;
use s3lite::config::CannedAcl;
use s3lite::transport::{ClientOptions, HttpClient, HttpRequest, HyperClient};
use s3lite::{
    ErrorKind, PresignOptions, ProgressCallback, PutOptions, S3Store, S3StoreBuilder,
    TransferConfig,
};

const MIB: usize = 1024 * 1024;

/// The `(delta, total)` of each call of an incremental callback.
type Calls = Arc<Mutex<Vec<(u64, Option<u64>)>>>;

/// A directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(unique_bucket(name));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `vars` as the environment of `from_env_with`.
fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

async fn list_keys_carry_the_store_prefix(server: Server, store: S3Store) {
    let prefixed = server
        .store_builder(store.bucket())
        .prefix("runs/7")
        .build()
        .unwrap();
    for key in ["ckpt/ep1.pt", "ckpt/ep2.pt", "log.txt"] {
        prefixed.put(key, Bytes::from_static(b"x")).await.unwrap();
    }
    // Outside the prefix: never listed.
    store
        .put("runs/8/ckpt/ep1.pt", Bytes::from_static(b"y"))
        .await
        .unwrap();

    let mut full = prefixed.list_keys(Some("ckpt/")).await.unwrap();
    full.sort();
    assert_eq!(full, ["runs/7/ckpt/ep1.pt", "runs/7/ckpt/ep2.pt"]);
    let mut relative = prefixed.list_relative_keys(Some("ckpt/")).await.unwrap();
    relative.sort();
    assert_eq!(relative, ["ckpt/ep1.pt", "ckpt/ep2.pt"]);
    assert_eq!(prefixed.list_keys(None).await.unwrap().len(), 3);
    // A full key is what the unprefixed store (and s3://bucket/<key>) names.
    for key in &full {
        assert_eq!(store.get(key).await.unwrap().bytes().await.unwrap(), "x");
        assert_eq!(prefixed.uri(&key["runs/7/".len()..]), store.uri(key));
    }
    // A relative key is what the prefixed store's own calls take.
    assert_eq!(prefixed.object_size(&relative[0]).await.unwrap(), 1);
}

#[tokio::test]
async fn list_keys_carry_the_store_prefix_on_localstack() {
    let server = Server::localstack();
    let fixture = server.clone();
    with_bucket(server, "parity-list-keys", move |store| {
        list_keys_carry_the_store_prefix(fixture.unwrap(), store)
    })
    .await;
}

#[tokio::test]
async fn list_keys_carry_the_store_prefix_on_s3s_fs() {
    let server = Server::s3s_fs();
    let fixture = server.clone();
    with_bucket(server, "parity-list-keys", move |store| {
        list_keys_carry_the_store_prefix(fixture.unwrap(), store)
    })
    .await;
}

/// s3s-fs checks every signature: a store with the wrong secret gets 403 for
/// any HEAD. `head` says `PermissionDenied`; `object_size` says `NotFound`,
/// as composer does, keeping the status.
#[tokio::test]
async fn object_size_of_a_403_is_not_found_as_composer_maps_it() {
    with_bucket(Server::s3s_fs(), "parity-size-403", |store| async move {
        store
            .put("there", Bytes::from_static(b"abc"))
            .await
            .unwrap();
        assert_eq!(store.object_size("there").await.unwrap(), 3);
        let server = Server::s3s_fs().unwrap();
        let forbidden = server
            .store_with_secret(store.bucket(), "not-the-secret")
            .unwrap();
        let head = forbidden.head("there").await.unwrap_err();
        assert_eq!(head.status(), Some(403), "{head}");
        assert_ne!(head.kind(), ErrorKind::NotFound, "{head}");
        let size = forbidden.object_size("there").await.unwrap_err();
        assert_eq!(size.kind(), ErrorKind::NotFound, "{size}");
        assert_eq!(size.status(), Some(403), "{size}");
        let text = size.to_string();
        assert!(text.contains(&store.uri("there")), "{text}");
        assert!(text.contains("403"), "{text}");
        // A real 404 stays what it was.
        let missing = store.object_size("missing").await.unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound, "{missing}");
        assert_eq!(missing.status(), Some(404), "{missing}");
    })
    .await;
}

/// Increments of a multipart upload and a ranged download, boto3 style:
/// every call carries the total, and the increments add up to the size.
#[tokio::test]
async fn incremental_progress_adds_up_to_the_size() {
    with_bucket(
        Server::localstack(),
        "parity-progress",
        |store| async move {
            let dir = TempDir::new("parity-progress");
            let size = 12 * MIB + 5;
            let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let path = dir.0.join("in.bin");
            std::fs::write(&path, &data).unwrap();
            let config = TransferConfig::default()
                .with_multipart_threshold(5 * MIB as u64)
                .with_multipart_chunksize(5 * MIB as u64)
                .with_max_concurrency(3);
            let transfer = store.transfer(config).unwrap();

            let record = || {
                let calls: Calls = Arc::default();
                let sink = Arc::clone(&calls);
                let callback = ProgressCallback::incremental(move |delta, total| {
                    sink.lock().unwrap().push((delta, total));
                });
                (callback, calls)
            };
            let (up, up_calls) = record();
            transfer
                .upload_file("big.bin", &path, Some(up))
                .await
                .unwrap();
            let (down, down_calls) = record();
            let out = dir.0.join("out.bin");
            transfer
                .download_file("big.bin", &out, false, Some(down))
                .await
                .unwrap();
            assert_eq!(std::fs::read(&out).unwrap(), data);

            for (what, calls) in [("upload", up_calls), ("download", down_calls)] {
                let calls = calls.lock().unwrap();
                assert!(calls.len() >= 3, "{what}: {calls:?}");
                assert!(calls.iter().all(|(d, _)| *d > 0), "{what}: {calls:?}");
                let sum: u64 = calls.iter().map(|(d, _)| d).sum();
                assert_eq!(sum, size as u64, "{what}");
                assert_eq!(calls.last().unwrap().1, Some(size as u64), "{what}");
            }
        },
    )
    .await;
}

/// The `x-amz-acl` grants S3 recorded for `key`: GetObjectAcl through a
/// presigned URL.
async fn acl_of(store: &S3Store, key: &str) -> String {
    let req = store
        .presign_request(
            Method::GET,
            key,
            Duration::from_secs(300),
            &PresignOptions::default().with_query("acl", ""),
        )
        .await
        .unwrap();
    let mut options = ClientOptions::default();
    options.allow_http = true;
    let resp = HyperClient::new(&options)
        .unwrap()
        .send(HttpRequest::new(Method::GET, &req.url))
        .await
        .unwrap();
    let status = resp.status;
    let body = resp.body.collect().await.unwrap();
    let body = String::from_utf8_lossy(&body).into_owned();
    assert!(status.is_success(), "GetObjectAcl {key}: {status} {body}");
    body
}

/// Whether an ACL document grants READ to everyone.
fn public_read(acl: &str) -> bool {
    acl.split("<Grant>").any(|g| {
        g.contains("http://acs.amazonaws.com/groups/global/AllUsers") && g.contains("READ")
    })
}

/// `S3_CANNED_ACL` as composer reads it: every write of the store (PutObject,
/// a multipart upload, CopyObject) carries it, and one write's
/// `PutOptions::with_acl` wins. LocalStack records and reports the grants.
#[tokio::test]
async fn canned_acl_from_s3_canned_acl_reaches_every_write() {
    let Some(server) = Server::localstack() else {
        return;
    };
    let bucket = unique_bucket("parity-acl");
    let builder = S3StoreBuilder::from_env_with(env_of(&[("S3_CANNED_ACL", "public-read")]))
        .bucket(&bucket)
        .region("us-east-1")
        .endpoint(&server.endpoint)
        .allow_http(true)
        .access_key_id(&server.access_key)
        .secret_access_key(&server.secret_key);
    let key = "S3_CANNED_ACL".parse().unwrap();
    assert_eq!(
        builder.get_config_value(key).as_deref(),
        Some("public-read")
    );
    let store = builder.build().unwrap();
    store.create_bucket().await.unwrap();

    store.put("put", Bytes::from_static(b"p")).await.unwrap();
    let private = PutOptions::default().with_acl(CannedAcl::Private);
    store
        .put_opts("private", Bytes::from_static(b"q"), private)
        .await
        .unwrap();
    let dir = TempDir::new("parity-acl");
    let path = dir.0.join("f.bin");
    std::fs::write(&path, vec![7u8; 6 * MIB]).unwrap();
    let config = TransferConfig::default()
        .with_multipart_threshold(5 * MIB as u64)
        .with_multipart_chunksize(5 * MIB as u64);
    store
        .transfer(config)
        .unwrap()
        .upload_file("multipart", &path, None)
        .await
        .unwrap();
    store.copy("private", "copied").await.unwrap();

    for (key, public) in [
        ("put", true),
        ("private", false),
        ("multipart", true),
        ("copied", true),
    ] {
        let acl = acl_of(&store, key).await;
        assert_eq!(public_read(&acl), public, "{key}: {acl}");
    }

    // A store without the variable sends no x-amz-acl: the default, private.
    let plain = server.store(&bucket).unwrap();
    plain.put("plain", Bytes::from_static(b"r")).await.unwrap();
    assert!(!public_read(&acl_of(&plain, "plain").await));
    cleanup(&store).await;
}

#[test]
fn a_bad_canned_acl_names_the_value_and_the_choices() {
    let e = S3StoreBuilder::from_env_with(env_of(&[("S3_CANNED_ACL", "world-writable")]))
        .bucket("b")
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    let text = e.to_string();
    for part in ["canned_acl", "world-writable", "bucket-owner-full-control"] {
        assert!(text.contains(part), "{text}");
    }
}

/// composer's `S3_ENDPOINT_URL` reaches a real server; an `AWS_ENDPOINT_URL`
/// beside it wins, as obstore users expect.
#[tokio::test]
async fn s3_endpoint_url_is_read_after_the_aws_variables() {
    let Some(server) = Server::localstack() else {
        return;
    };
    let bucket = unique_bucket("parity-endpoint");
    let vars = |extra: &[(&'static str, String)]| {
        let mut vars = vec![
            ("AWS_BUCKET", bucket.clone()),
            ("AWS_ALLOW_HTTP", "true".to_string()),
            ("AWS_ACCESS_KEY_ID", server.access_key.clone()),
            ("AWS_SECRET_ACCESS_KEY", server.secret_key.clone()),
        ];
        vars.extend(extra.iter().cloned());
        move |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        }
    };
    let store =
        S3StoreBuilder::from_env_with(vars(&[("S3_ENDPOINT_URL", server.endpoint.clone())]))
            .build()
            .unwrap();
    store.create_bucket().await.unwrap();
    store.put("k", Bytes::from_static(b"v")).await.unwrap();

    let both = S3StoreBuilder::from_env_with(vars(&[
        ("S3_ENDPOINT_URL", "http://127.0.0.1:9".to_string()),
        ("AWS_ENDPOINT_URL", server.endpoint.clone()),
    ]))
    .build()
    .unwrap();
    assert_eq!(both.get("k").await.unwrap().bytes().await.unwrap(), "v");
    cleanup(&store).await;
}

/// The profile's `region` (boto3's source when no variable names one):
/// the active profile's, below `AWS_REGION` and explicit setters, never
/// read `without_env`. A bucket created through such a store lives in that
/// region on LocalStack.
#[tokio::test]
async fn the_profile_region_is_read_below_the_variables() {
    let home = TempDir::new("parity-profile");
    let config = home.0.join("config");
    std::fs::write(
        &config,
        "[default]\nregion = eu-west-3\n\n[profile tokyo]\nregion = ap-northeast-1\n",
    )
    .unwrap();
    let config = config.to_string_lossy().into_owned();
    let region = |vars: &[(&str, &str)]| {
        let mut all = vec![("AWS_CONFIG_FILE", config.as_str()), ("AWS_BUCKET", "b")];
        all.extend_from_slice(vars);
        S3StoreBuilder::from_env_with(env_of(&all))
            .skip_signature(true)
            .build()
            .unwrap()
            .region()
            .to_string()
    };
    assert_eq!(region(&[]), "eu-west-3");
    assert_eq!(region(&[("AWS_PROFILE", "tokyo")]), "ap-northeast-1");
    assert_eq!(region(&[("AWS_REGION", "us-west-2")]), "us-west-2");
    assert_eq!(region(&[("AWS_DEFAULT_REGION", "sa-east-1")]), "sa-east-1");
    assert_eq!(region(&[("AWS_PROFILE", "absent")]), "us-east-1");
    let explicit = S3StoreBuilder::from_env_with(env_of(&[("AWS_CONFIG_FILE", &config)]))
        .bucket("b")
        .region("ca-central-1")
        .skip_signature(true)
        .build()
        .unwrap();
    assert_eq!(explicit.region(), "ca-central-1");
    let sandboxed = S3StoreBuilder::from_env_with(env_of(&[("AWS_CONFIG_FILE", &config)]))
        .without_env()
        .bucket("b")
        .skip_signature(true)
        .build()
        .unwrap();
    assert_eq!(sandboxed.region(), "us-east-1");

    let Some(server) = Server::localstack() else {
        return;
    };
    let bucket = unique_bucket("parity-profile");
    let store = S3StoreBuilder::from_env_with(env_of(&[("AWS_CONFIG_FILE", &config)]))
        .bucket(&bucket)
        .endpoint(&server.endpoint)
        .allow_http(true)
        .access_key_id(&server.access_key)
        .secret_access_key(&server.secret_key)
        .build()
        .unwrap();
    assert_eq!(store.region(), "eu-west-3");
    store.create_bucket().await.unwrap();
    assert_eq!(store.resolve_bucket_region().await.unwrap(), "eu-west-3");
    cleanup(&store).await;
}
