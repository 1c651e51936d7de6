//! Credentials through the whole store, on real servers: short-lived
//! credentials refreshed under load (s3s-fs checks every signature), and
//! credential keys on the builder reaching a real STS (moto).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{Server, cleanup, unique_bucket};
use s3lite::credentials::{CachingProvider, Credentials, FnProvider};
use s3lite::transport::{
    BoxFuture, ClientOptions, HttpClient, HttpRequest, HttpResponse, HyperClient,
};
use s3lite::{S3Store, S3StoreBuilder};
use time::OffsetDateTime;

/// A provider that hands out the server's keys with a fresh session token
/// and a 2-second lifetime on every fetch, counting fetches.
fn two_second_provider(server: &Server, fetches: Arc<AtomicUsize>) -> CachingProvider {
    let (key, secret) = (server.access_key.clone(), server.secret_key.clone());
    let inner = FnProvider::from_sync(move || {
        let n = fetches.fetch_add(1, Ordering::SeqCst);
        Ok(Credentials::new(key.clone(), secret.clone())
            .with_session_token(format!("session-{n}"))
            .with_expiry(OffsetDateTime::now_utc() + Duration::from_secs(2)))
    });
    CachingProvider::new(inner).with_refresh_before(Duration::from_millis(500))
}

async fn two_hundred_requests_with_two_second_credentials(server: Server) {
    let fetches = Arc::new(AtomicUsize::new(0));
    let bucket = unique_bucket("rotating-credentials");
    let store = S3StoreBuilder::new()
        .bucket(&bucket)
        .region("us-east-1")
        .endpoint(&server.endpoint)
        .allow_http(true)
        .credentials(two_second_provider(&server, Arc::clone(&fetches)))
        .build()
        .unwrap();
    store.create_bucket().await.unwrap();
    let started = Instant::now();
    for i in 0..200u32 {
        // Each key is written, then read back twice, then listed: every
        // answer is checked, so a request refused for a stale credential
        // fails the test.
        let key = format!("k{}", (i / 4) % 10);
        let body = Bytes::from(format!("value {i}"));
        match i % 4 {
            0 => {
                store.put(&key, body).await.unwrap();
            }
            1 => {
                let meta = store.head(&key).await.unwrap();
                assert_eq!(meta.size, format!("value {}", i - 1).len() as u64);
            }
            2 => {
                let got = store.get(&key).await.unwrap().bytes().await.unwrap();
                assert_eq!(got, format!("value {}", i - 2));
            }
            _ => {
                let listed = store.list(None).collect().await.unwrap();
                assert!(listed.iter().any(|m| m.key == key), "{key} not listed");
            }
        }
        // Spread the run over several credential lifetimes.
        if started.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
    let fetched = fetches.load(Ordering::SeqCst);
    assert!(
        started.elapsed() > Duration::from_secs(4),
        "the run must outlive two credential lifetimes"
    );
    assert!(fetched >= 3, "credentials were refreshed {fetched} times");
    cleanup(&store).await;
}

/// s3s-fs checks every signature, so an expired or mixed-up credential
/// would fail a request here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3s_fs_serves_200_requests_with_two_second_credentials() {
    let Some(server) = Server::s3s_fs() else {
        return;
    };
    two_hundred_requests_with_two_second_credentials(server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn localstack_serves_200_requests_with_two_second_credentials() {
    let Some(server) = Server::localstack() else {
        return;
    };
    two_hundred_requests_with_two_second_credentials(server).await;
}

/// A bare [`FnProvider`] given to the builder is cached as obstore caches its
/// credential providers: credentials without expiry are fetched once for
/// 60 requests; ones that live 2 seconds are refreshed a few times over a
/// 5-second run, not once per request. s3s-fs checks every signature.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_fn_provider_is_cached_by_the_store() {
    let Some(server) = Server::s3s_fs() else {
        return;
    };
    for lifetime in [None, Some(Duration::from_secs(2))] {
        let fetches = Arc::new(AtomicUsize::new(0));
        let (key, secret) = (server.access_key.clone(), server.secret_key.clone());
        let counter = Arc::clone(&fetches);
        let provider = FnProvider::from_sync(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let c = Credentials::new(key.clone(), secret.clone())
                .with_session_token(format!("session-{n}"));
            Ok(match lifetime {
                Some(l) => c.with_expiry(OffsetDateTime::now_utc() + l),
                None => c,
            })
        });
        let bucket = unique_bucket("cached-fn-provider");
        let store = S3StoreBuilder::new()
            .without_env()
            .bucket(&bucket)
            .region("us-east-1")
            .endpoint(&server.endpoint)
            .allow_http(true)
            .credentials(provider)
            .build()
            .unwrap();
        store.create_bucket().await.unwrap();
        let started = Instant::now();
        let mut requests = 1;
        while requests < 60 || (lifetime.is_some() && started.elapsed() < Duration::from_secs(5)) {
            store
                .put(&format!("k{}", requests % 5), Bytes::from("v"))
                .await
                .unwrap();
            requests += 1;
            if lifetime.is_some() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let fetched = fetches.load(Ordering::SeqCst);
        match lifetime {
            None => assert_eq!(fetched, 1, "{requests} requests fetched {fetched} times"),
            Some(_) => assert!(
                (2..=10).contains(&fetched),
                "{requests} requests over {:?} fetched 2-second credentials {fetched} times",
                started.elapsed()
            ),
        }
        cleanup(&store).await;
    }
}

/// A provider that says it caches on its own (`is_cached`) is asked before
/// every request, as it asks.
#[tokio::test]
async fn a_provider_that_caches_itself_is_asked_every_time() {
    let Some(server) = Server::localstack() else {
        return;
    };
    #[derive(Debug)]
    struct SelfCaching(Arc<Credentials>, Arc<AtomicUsize>);
    impl s3lite::credentials::CredentialProvider for SelfCaching {
        fn credentials(&self) -> BoxFuture<'_, s3lite::Result<Arc<Credentials>>> {
            self.1.fetch_add(1, Ordering::SeqCst);
            let c = Arc::clone(&self.0);
            Box::pin(async move { Ok(c) })
        }
        fn is_cached(&self) -> bool {
            true
        }
    }
    let asked = Arc::new(AtomicUsize::new(0));
    let creds = Credentials::new(server.access_key.clone(), server.secret_key.clone());
    let bucket = unique_bucket("self-caching-provider");
    let store = S3StoreBuilder::new()
        .without_env()
        .bucket(&bucket)
        .region("us-east-1")
        .endpoint(&server.endpoint)
        .allow_http(true)
        .credentials(SelfCaching(Arc::new(creds), Arc::clone(&asked)))
        .build()
        .unwrap();
    store.create_bucket().await.unwrap();
    for i in 0..10 {
        store.put(&format!("k{i}"), Bytes::from("v")).await.unwrap();
    }
    assert_eq!(asked.load(Ordering::SeqCst), 11, "one ask per request");
    cleanup(&store).await;
}

/// Records the access key id of every request's `Authorization` header and
/// whether it carried a session token.
#[derive(Debug)]
struct RecordingClient {
    inner: HyperClient,
    seen: Arc<Mutex<Vec<(String, bool)>>>,
}

impl HttpClient for RecordingClient {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, s3lite::Result<HttpResponse>> {
        let auth = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let key = auth
            .split("Credential=")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or("")
            .to_string();
        let token = request.headers.contains_key("x-amz-security-token");
        self.seen.lock().unwrap().push((key, token));
        self.inner.send(request)
    }
}

/// `role_arn`, `web_identity_token_file` and `endpoint_url_sts` set on the
/// builder make the default chain call AssumeRoleWithWebIdentity on moto,
/// and the store signs with the temporary credentials it returns.
#[tokio::test]
async fn web_identity_keys_on_the_builder_sign_with_sts_credentials() {
    let Some(server) = Server::localstack() else {
        return;
    };
    let Some(sts) = common::moto_endpoint() else {
        return;
    };
    let token_file =
        std::env::temp_dir().join(format!("s3lite-web-identity-{}", std::process::id()));
    std::fs::write(&token_file, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0In0.").unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut options = ClientOptions::default();
    options.allow_http = true;
    let client = RecordingClient {
        inner: HyperClient::new(&options).unwrap(),
        seen: Arc::clone(&seen),
    };
    let bucket = unique_bucket("web-identity");
    // Without the process environment: an AWS_ACCESS_KEY_ID there would come
    // first in the chain (as in the AWS CLI) and the test would not reach STS.
    let store: S3Store = S3StoreBuilder::new()
        .without_env()
        .bucket(&bucket)
        .region("us-east-1")
        .endpoint(&server.endpoint)
        .allow_http(true)
        .role_arn("arn:aws:iam::123456789012:role/s3lite-test")
        .web_identity_token_file(token_file.to_string_lossy())
        .with_config(s3lite::config::S3ConfigKey::EndpointUrlSts, &sts)
        .http_client(client)
        .build()
        .unwrap();
    store.create_bucket().await.unwrap();
    store.put("k", Bytes::from_static(b"v")).await.unwrap();
    cleanup(&store).await;
    let _ = std::fs::remove_file(&token_file);
    let seen = seen.lock().unwrap();
    assert!(!seen.is_empty());
    for (key, token) in seen.iter() {
        assert!(
            key.starts_with("ASIA"),
            "signed with {key:?}, not STS credentials"
        );
        assert!(*token, "temporary credentials carry a session token");
    }
}
