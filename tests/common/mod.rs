//! Shared set-up of the real-server tests: which servers are up, and a fresh
//! bucket per test.
#![allow(dead_code, reason = "each test binary uses a different part")]
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};

use s3lite::{S3Store, S3StoreBuilder};

/// A running S3 server and the credentials it accepts.
#[derive(Debug, Clone)]
pub(crate) struct Server {
    pub(crate) name: &'static str,
    pub(crate) endpoint: String,
    pub(crate) access_key: String,
    pub(crate) secret_key: String,
}

impl Server {
    /// LocalStack, from `S3LITE_LOCALSTACK_ENDPOINT`.
    pub(crate) fn localstack() -> Option<Server> {
        from_env("localstack", "S3LITE_LOCALSTACK_ENDPOINT", None)
    }

    /// The second LocalStack that checks presigned URLs, from
    /// `S3LITE_LOCALSTACK_STRICT_ENDPOINT`.
    pub(crate) fn localstack_strict() -> Option<Server> {
        from_env(
            "localstack-strict",
            "S3LITE_LOCALSTACK_STRICT_ENDPOINT",
            None,
        )
    }

    /// s3s-fs, from `S3LITE_S3SFS_ENDPOINT` and its key variables.
    pub(crate) fn s3s_fs() -> Option<Server> {
        from_env(
            "s3s-fs",
            "S3LITE_S3SFS_ENDPOINT",
            Some(("S3LITE_S3SFS_ACCESS_KEY", "S3LITE_S3SFS_SECRET_KEY")),
        )
    }

    /// A store for `bucket` on this server.
    pub(crate) fn store(&self, bucket: &str) -> s3lite::Result<S3Store> {
        self.store_with_secret(bucket, &self.secret_key)
    }

    /// A store for `bucket` signing with `secret` instead of the right one.
    pub(crate) fn store_with_secret(&self, bucket: &str, secret: &str) -> s3lite::Result<S3Store> {
        self.store_builder(bucket).secret_access_key(secret).build()
    }

    /// A builder for `bucket` on this server, with its credentials set.
    pub(crate) fn store_builder(&self, bucket: &str) -> S3StoreBuilder {
        S3Store::builder()
            .bucket(bucket)
            .region("us-east-1")
            .endpoint(&self.endpoint)
            .allow_http(true)
            .access_key_id(&self.access_key)
            .secret_access_key(&self.secret_key)
    }
}

fn from_env(name: &'static str, endpoint_var: &str, keys: Option<(&str, &str)>) -> Option<Server> {
    let required = std::env::var("S3LITE_REQUIRE_SERVERS").is_ok_and(|v| v == "1");
    let Ok(endpoint) = std::env::var(endpoint_var) else {
        assert!(
            !required,
            "{endpoint_var} is not set but S3LITE_REQUIRE_SERVERS=1"
        );
        eprintln!("skipped: {name} is not running (set {endpoint_var}; scripts/test starts it)");
        return None;
    };
    let (access_key, secret_key) = match keys {
        Some((k, s)) => (
            std::env::var(k).unwrap_or_else(|_| panic!("{k} must be set with {endpoint_var}")),
            std::env::var(s).unwrap_or_else(|_| panic!("{s} must be set with {endpoint_var}")),
        ),
        None => ("test".to_string(), "test".to_string()),
    };
    Some(Server {
        name,
        endpoint,
        access_key,
        secret_key,
    })
}

/// A bucket name unique to this process and call: `s3lite-<test>-<pid><n>`.
pub(crate) fn unique_bucket(test: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let stem: String = test
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(30)
        .collect();
    format!(
        "s3lite-{stem}-{:x}{n}{:x}",
        std::process::id(),
        nanos % 0xffff
    )
}

/// Runs `test` against a fresh bucket on `server` (skips when the server is
/// not up), then empties and deletes the bucket.
pub(crate) async fn with_bucket<F, Fut>(server: Option<Server>, name: &str, test: F)
where
    F: FnOnce(S3Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(server) = server else { return };
    let bucket = unique_bucket(name);
    let store = server.store(&bucket).unwrap();
    store
        .create_bucket()
        .await
        .unwrap_or_else(|e| panic!("{}: create bucket {bucket}: {e}", server.name));
    test(store.clone()).await;
    cleanup(&store).await;
}

/// Deletes every object and then the bucket; best effort.
pub(crate) async fn cleanup(store: &S3Store) {
    if let Ok(objects) = store.list(None).collect().await {
        for o in objects {
            let _ = store.delete(&o.key).await;
        }
    }
    let _ = store.delete_bucket().await;
}

/// moto's endpoint (a real STS), from `S3LITE_MOTO_ENDPOINT`; `None` skips,
/// and a missing one fails when `S3LITE_REQUIRE_SERVERS=1`.
pub(crate) fn moto_endpoint() -> Option<String> {
    from_env("moto", "S3LITE_MOTO_ENDPOINT", None).map(|s| s.endpoint)
}

/// Every key under `prefix` (all when `None`), sorted.
pub(crate) async fn sorted_keys(store: &S3Store, prefix: Option<&str>) -> Vec<String> {
    let mut keys: Vec<String> = store
        .list(prefix)
        .collect()
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.key)
        .collect();
    keys.sort();
    keys
}
