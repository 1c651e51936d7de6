//! Credential sources and the default chain against in-process servers
//! (IMDS, ECS/EKS, SSO portal), temp files (profiles, credential_process,
//! SSO cache) and moto's STS (`S3LITE_MOTO_ENDPOINT`).
#![cfg(feature = "_io")]
#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use s3lite::ErrorKind;
use s3lite::credentials::*;
use time::OffsetDateTime;
use tokio::net::TcpListener;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSECRETKEY";
const TOKEN: &str = "FQoGZXIvYXdzSECRETSESSIONTOKEN";

// ---------------------------------------------------------------------------
// Helpers

/// An environment from pairs, for `with_lookup`.
fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "s3lite-cred-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.0.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One request a test server saw.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: HashMap<String, String>,
}

type Handler = dyn Fn(&Seen) -> (u16, String) + Send + Sync;

/// A hyper server on 127.0.0.1:0 answering with `handler`, recording requests.
struct Server {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    async fn start(handler: impl Fn(&Seen) -> (u16, String) + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let log = Arc::clone(&seen);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let handler = Arc::clone(&handler);
                let log = Arc::clone(&log);
                tokio::spawn(async move {
                    let service =
                        hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                            let handler = Arc::clone(&handler);
                            let log = Arc::clone(&log);
                            async move {
                                let seen = Seen {
                                    method: req.method().to_string(),
                                    path: req
                                        .uri()
                                        .path_and_query()
                                        .map(|p| p.to_string())
                                        .unwrap_or_default(),
                                    headers: req
                                        .headers()
                                        .iter()
                                        .map(|(k, v)| {
                                            (k.to_string(), v.to_str().unwrap_or("").to_string())
                                        })
                                        .collect(),
                                };
                                let _ = req.into_body().collect().await;
                                log.lock().unwrap().push(seen.clone());
                                let (status, body) = handler(&seen);
                                if status == 0 {
                                    // Like a dropped answer past the hop limit.
                                    std::future::pending::<()>().await;
                                }
                                Ok::<_, Infallible>(
                                    hyper::Response::builder()
                                        .status(status)
                                        .body(Full::new(Bytes::from(body)))
                                        .unwrap(),
                                )
                            }
                        });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Server {
            base: format!("http://{addr}"),
            seen,
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn creds_json(key: &str, expiration: &str) -> String {
    format!(
        r#"{{"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "{key}", "SecretAccessKey": "{SECRET}",
            "Token": "{TOKEN}", "Expiration": "{expiration}", "LastUpdated": "2020-01-01T00:00:00Z"}}"#
    )
}

fn later(secs: i64) -> OffsetDateTime {
    OffsetDateTime::now_utc() + time::Duration::seconds(secs)
}

fn iso(t: OffsetDateTime) -> String {
    s3lite::date::format_iso8601(t)
}

/// A real-server endpoint, or `None` (skip) unless S3LITE_REQUIRE_SERVERS=1.
fn moto() -> Option<String> {
    match std::env::var("S3LITE_MOTO_ENDPOINT") {
        Ok(e) => Some(e),
        Err(_) => {
            assert!(
                std::env::var("S3LITE_REQUIRE_SERVERS").as_deref() != Ok("1"),
                "S3LITE_MOTO_ENDPOINT is not set but S3LITE_REQUIRE_SERVERS=1"
            );
            eprintln!(
                "skipped: moto is not running (set S3LITE_MOTO_ENDPOINT; scripts/s3-servers start moto)"
            );
            None
        }
    }
}

// ---------------------------------------------------------------------------
// Closure adapter and cache

#[tokio::test]
async fn fn_provider_runs_sync_and_async_closures() {
    let sync = FnProvider::from_sync(|| Ok(Credentials::new("SYNC", SECRET)));
    assert_eq!(sync.credentials().await.unwrap().access_key_id(), "SYNC");
    let asynchronous = FnProvider::new(|| async {
        tokio::task::yield_now().await;
        Ok(Credentials::new("ASYNC", SECRET))
    });
    assert_eq!(
        asynchronous.credentials().await.unwrap().access_key_id(),
        "ASYNC"
    );
}

/// A clock tests move by hand.
#[derive(Clone)]
struct ManualClock(Arc<Mutex<OffsetDateTime>>);

impl ManualClock {
    fn new() -> Self {
        ManualClock(Arc::new(Mutex::new(
            OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(),
        )))
    }
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
    fn advance(&self, secs: i64) {
        *self.0.lock().unwrap() += time::Duration::seconds(secs);
    }
}

/// A provider counting its fetches; each fetch lives `lifetime` seconds on
/// `clock`, and fails while `fail` is set.
fn counting(
    clock: &ManualClock,
    lifetime: i64,
    fail: Arc<AtomicUsize>,
) -> (FnProvider, Arc<AtomicUsize>) {
    let fetches = Arc::new(AtomicUsize::new(0));
    let (c, f) = (clock.clone(), Arc::clone(&fetches));
    let provider = FnProvider::new(move || {
        let (c, f, fail) = (c.clone(), Arc::clone(&f), Arc::clone(&fail));
        async move {
            let n = f.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
            if fail.load(Ordering::SeqCst) > 0 {
                return Err(s3lite::Error::new(ErrorKind::Credentials, "source down"));
            }
            Ok(Credentials::new(format!("KEY{n}"), SECRET)
                .with_expiry(c.now() + time::Duration::seconds(lifetime)))
        }
    });
    (provider, fetches)
}

fn cached(provider: FnProvider, clock: &ManualClock) -> Arc<CachingProvider> {
    let c = clock.clone();
    Arc::new(CachingProvider::new(provider).with_clock(move || c.now()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_concurrent_calls_on_expiring_provider_fetch_once() {
    let clock = ManualClock::new();
    let (provider, fetches) = counting(&clock, 3600, Arc::default());
    let cache = cached(provider, &clock);
    for round in 1..=2 {
        let tasks: Vec<_> = (0..1000)
            .map(|_| {
                let cache = Arc::clone(&cache);
                tokio::spawn(async move {
                    cache
                        .credentials()
                        .await
                        .map(|c| c.access_key_id().to_string())
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), format!("KEY{round}"));
        }
        assert_eq!(fetches.load(Ordering::SeqCst), round);
        // Expire them: the next 1,000 callers must again cause one fetch.
        clock.advance(3601);
    }
}

#[tokio::test]
async fn refreshes_within_five_minutes_of_expiry_not_before() {
    let clock = ManualClock::new();
    let (provider, fetches) = counting(&clock, 3600, Arc::default());
    let cache = cached(provider, &clock);
    assert_eq!(cache.credentials().await.unwrap().access_key_id(), "KEY1");
    clock.advance(3600 - 301);
    assert_eq!(cache.credentials().await.unwrap().access_key_id(), "KEY1");
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    clock.advance(2);
    assert_eq!(cache.credentials().await.unwrap().access_key_id(), "KEY2");
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn failed_refresh_keeps_valid_credentials_and_backs_off() {
    let clock = ManualClock::new();
    let fail = Arc::new(AtomicUsize::new(0));
    let (provider, fetches) = counting(&clock, 3600, Arc::clone(&fail));
    let cache = cached(provider, &clock);
    cache.credentials().await.unwrap();
    fail.store(1, Ordering::SeqCst);
    clock.advance(3600 - 200);
    // The refresh fails: old credentials served, no error.
    assert_eq!(cache.credentials().await.unwrap().access_key_id(), "KEY1");
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    // Within the 1 s backoff: no new attempt.
    assert_eq!(cache.credentials().await.unwrap().access_key_id(), "KEY1");
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    clock.advance(2);
    assert_eq!(cache.credentials().await.unwrap().access_key_id(), "KEY1");
    assert_eq!(fetches.load(Ordering::SeqCst), 3);
    // Next wait is 2 s; after it the source is back.
    fail.store(0, Ordering::SeqCst);
    clock.advance(1);
    cache.credentials().await.unwrap();
    assert_eq!(fetches.load(Ordering::SeqCst), 3);
    clock.advance(2);
    assert_eq!(cache.credentials().await.unwrap().access_key_id(), "KEY4");
    // Once expired, the error reaches the caller.
    fail.store(1, Ordering::SeqCst);
    clock.advance(7200);
    let e = cache.credentials().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    assert!(e.to_string().contains("source down"), "{e}");
}

#[tokio::test]
async fn invalidate_forces_one_refresh_per_burst_of_rejections() {
    let clock = ManualClock::new();
    let (provider, fetches) = counting(&clock, 3600, Arc::default());
    let cache = cached(provider, &clock);
    cache.credentials().await.unwrap();
    clock.advance(10);
    cache.invalidate();
    assert_eq!(cache.credentials().await.unwrap().access_key_id(), "KEY2");
    // More requests signed with KEY1 fail right after: KEY2 is kept.
    cache.invalidate();
    cache.invalidate();
    assert_eq!(cache.credentials().await.unwrap().access_key_id(), "KEY2");
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    clock.advance(2);
    cache.invalidate();
    assert_eq!(cache.credentials().await.unwrap().access_key_id(), "KEY3");
}

#[tokio::test]
async fn short_lived_credentials_refresh_at_half_life() {
    let clock = ManualClock::new();
    let (provider, fetches) = counting(&clock, 2, Arc::default());
    let cache = cached(provider, &clock);
    for _ in 0..10 {
        cache.credentials().await.unwrap();
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    clock.advance(1);
    cache.credentials().await.unwrap();
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
}

// ---------------------------------------------------------------------------
// Profiles, credential_process, SSO

fn profile_chain(home: &TempDir, env: &[(&str, &str)]) -> DefaultChain {
    DefaultChain::builder()
        .with_lookup(vars(env))
        .home_dir(home.path())
        .imds_endpoint("http://127.0.0.1:9") // closed port: IMDS not configured
        .build()
}

#[tokio::test]
async fn profile_static_keys_from_named_profile_and_aws_profile() {
    let home = TempDir::new();
    home.write(".aws/credentials", &format!("[default]\naws_access_key_id = DEFAULT\naws_secret_access_key = {SECRET}\n\n[dev]\naws_access_key_id = DEV\naws_secret_access_key = {SECRET}\naws_session_token = {TOKEN}\n"));
    let p = ProfileProvider::with_lookup(vars(&[])).with_home_dir(home.path());
    assert_eq!(p.credentials().await.unwrap().access_key_id(), "DEFAULT");
    let p =
        ProfileProvider::with_lookup(vars(&[("AWS_PROFILE", "dev")])).with_home_dir(home.path());
    let c = p.credentials().await.unwrap();
    assert_eq!((c.access_key_id(), c.session_token()), ("DEV", Some(TOKEN)));
    let p = ProfileProvider::with_lookup(vars(&[("AWS_PROFILE", "dev")]))
        .with_home_dir(home.path())
        .with_profile("default");
    assert_eq!(p.credentials().await.unwrap().access_key_id(), "DEFAULT");
    let e = ProfileProvider::with_lookup(vars(&[]))
        .with_home_dir(home.path())
        .with_profile("missing")
        .credentials()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("\"missing\""), "{e}");
}

#[tokio::test]
async fn profile_files_follow_aws_config_file_and_shared_credentials_file() {
    let home = TempDir::new();
    let config = home.write(
        "elsewhere/cfg",
        &format!("[profile p]\naws_access_key_id = FROMCFG\naws_secret_access_key = {SECRET}\n"),
    );
    let creds = home.write(
        "elsewhere/creds",
        &format!("[p]\naws_access_key_id = FROMCREDS\naws_secret_access_key = {SECRET}\n"),
    );
    let env = [
        ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        ("AWS_SHARED_CREDENTIALS_FILE", creds.to_str().unwrap()),
        ("AWS_PROFILE", "p"),
    ];
    let c = ProfileProvider::with_lookup(vars(&env))
        .with_home_dir(home.path())
        .credentials()
        .await
        .unwrap();
    assert_eq!(c.access_key_id(), "FROMCREDS");
}

#[cfg(unix)]
#[tokio::test]
async fn credential_process_output_and_failure() {
    let home = TempDir::new();
    let exp = iso(later(3600));
    let script = home.write(
        "bin/creds.sh",
        &format!("#!/bin/sh\necho '{{\"Version\": 1, \"AccessKeyId\": \"PROC\", \"SecretAccessKey\": \"{SECRET}\", \"SessionToken\": \"{TOKEN}\", \"Expiration\": \"{exp}\"}}'\n"),
    );
    let failing = home.write(
        "bin/fail.sh",
        "#!/bin/sh\necho 'token expired, log in again' >&2\nexit 3\n",
    );
    home.write(
        ".aws/config",
        &format!(
            "[default]\ncredential_process = sh {}\n[profile bad]\ncredential_process = sh {}\n",
            script.display(),
            failing.display()
        ),
    );
    let c = profile_chain(&home, &[]).credentials().await.unwrap();
    assert_eq!(c.access_key_id(), "PROC");
    assert_eq!(c.session_token(), Some(TOKEN));
    assert_eq!(c.expires_at().map(iso), Some(exp));
    let e = profile_chain(&home, &[("AWS_PROFILE", "bad")])
        .credentials()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    assert!(e.to_string().contains("log in again"), "{e}");
}

fn sso_cache(home: &TempDir, key: &str, expires: OffsetDateTime) {
    // sha1 file names: the test computes them with the system's sha1sum.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("printf '%s' '{key}' | sha1sum"))
        .output()
        .unwrap();
    let hash = String::from_utf8(out.stdout).unwrap()[..40].to_string();
    home.write(
        &format!(".aws/sso/cache/{hash}.json"),
        &format!(r#"{{"startUrl": "https://d-123.awsapps.com/start", "region": "eu-west-1", "accessToken": "SSOTOKEN", "expiresAt": "{}"}}"#, iso(expires)),
    );
}

async fn sso_portal() -> Server {
    Server::start(|r| {
        assert_eq!(r.method, "GET");
        assert!(r.path.starts_with("/federation/credentials?account_id=123456789012&role_name=Reader"), "{}", r.path);
        if r.headers.get("x-amz-sso_bearer_token").map(String::as_str) != Some("SSOTOKEN") {
            return (401, r#"{"message":"Session token not found or invalid"}"#.into());
        }
        let ms = (later(3600).unix_timestamp()) * 1000;
        (200, format!(r#"{{"roleCredentials": {{"accessKeyId": "SSOKEY", "secretAccessKey": "{SECRET}", "sessionToken": "{TOKEN}", "expiration": {ms}}}}}"#))
    })
    .await
}

#[tokio::test]
async fn sso_session_profile_reads_cache_and_calls_portal() {
    let portal = sso_portal().await;
    let home = TempDir::new();
    home.write(".aws/config", "[default]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Reader\n\n[sso-session corp]\nsso_start_url = https://d-123.awsapps.com/start\nsso_region = eu-west-1\n");
    sso_cache(&home, "corp", later(3600));
    let c = profile_chain(&home, &[("AWS_ENDPOINT_URL_SSO", &portal.base)])
        .credentials()
        .await
        .unwrap();
    assert_eq!(c.access_key_id(), "SSOKEY");
    assert!(c.expires_at().is_some());
    assert_eq!(portal.seen().len(), 1);
}

#[tokio::test]
async fn legacy_sso_profile_uses_start_url_cache_key() {
    let portal = sso_portal().await;
    let home = TempDir::new();
    home.write(".aws/config", "[profile old]\nsso_start_url = https://d-123.awsapps.com/start\nsso_region = eu-west-1\nsso_account_id = 123456789012\nsso_role_name = Reader\n");
    sso_cache(&home, "https://d-123.awsapps.com/start", later(3600));
    let env = [
        ("AWS_ENDPOINT_URL_SSO", portal.base.as_str()),
        ("AWS_PROFILE", "old"),
    ];
    assert_eq!(
        profile_chain(&home, &env)
            .credentials()
            .await
            .unwrap()
            .access_key_id(),
        "SSOKEY"
    );
}

#[tokio::test]
async fn expired_sso_token_says_to_log_in() {
    let portal = sso_portal().await;
    let home = TempDir::new();
    home.write(".aws/config", "[default]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Reader\n[sso-session corp]\nsso_start_url = https://x/start\nsso_region = eu-west-1\n");
    sso_cache(&home, "corp", later(-60));
    let e = profile_chain(&home, &[("AWS_ENDPOINT_URL_SSO", &portal.base)])
        .credentials()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    assert!(
        e.to_string().contains("aws sso login --profile default"),
        "{e}"
    );
    assert!(portal.seen().is_empty());
}

// ---------------------------------------------------------------------------
// Container (ECS / EKS Pod Identity)

#[tokio::test]
async fn ecs_relative_uri_is_fetched_from_the_ecs_host() {
    let exp = iso(later(3600));
    let server = Server::start(move |r| {
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("GET", "/v2/credentials/abc")
        );
        (200, creds_json("ECSKEY", &exp))
    })
    .await;
    let p = ContainerProvider::with_lookup(vars(&[(
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "/v2/credentials/abc",
    )]))
    .with_ecs_host(&server.base);
    let c = p.credentials().await.unwrap();
    assert_eq!(
        (c.access_key_id(), c.session_token()),
        ("ECSKEY", Some(TOKEN))
    );
    assert!(!server.seen()[0].headers.contains_key("authorization"));
}

#[tokio::test]
async fn eks_pod_identity_full_uri_sends_token_from_file_reread_each_time() {
    let exp = iso(later(3600));
    let server = Server::start(
        move |r| match r.headers.get("authorization").map(String::as_str) {
            Some("token-1" | "token-2") => (200, creds_json("EKSKEY", &exp)),
            _ => (401, "unauthorized".into()),
        },
    )
    .await;
    let dir = TempDir::new();
    let token_file = dir.write("token", "token-1\n");
    let url = format!("{}/v1/credentials", server.base);
    let env = [
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", url.as_str()),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            token_file.to_str().unwrap(),
        ),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored"),
    ];
    let p = ContainerProvider::with_lookup(vars(&env));
    assert_eq!(p.credentials().await.unwrap().access_key_id(), "EKSKEY");
    std::fs::write(&token_file, "token-2").unwrap();
    p.credentials().await.unwrap();
    let seen = server.seen();
    assert_eq!(seen[0].headers["authorization"], "token-1");
    assert_eq!(seen[1].headers["authorization"], "token-2");
}

#[tokio::test]
async fn full_uri_over_http_to_other_hosts_is_refused() {
    let p = ContainerProvider::with_lookup(vars(&[(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "http://192.0.2.1/creds",
    )]));
    let e = p.credentials().await.unwrap_err();
    assert!(e.to_string().contains("plain http"), "{e}");
}

// ---------------------------------------------------------------------------
// IMDS

/// An IMDSv2 server: token PUT (or `refuse_put` status), 401 without token.
async fn imds(refuse_put: Option<u16>) -> Server {
    let exp = iso(later(3600));
    Server::start(move |r| match (r.method.as_str(), r.path.as_str()) {
        ("PUT", "/latest/api/token") => {
            assert_eq!(
                r.headers
                    .get("x-aws-ec2-metadata-token-ttl-seconds")
                    .map(String::as_str),
                Some("21600")
            );
            match refuse_put {
                Some(status) => (status, String::new()),
                None => (200, "IMDSTOKEN".into()),
            }
        }
        ("GET", path) => {
            let token = r
                .headers
                .get("x-aws-ec2-metadata-token")
                .map(String::as_str);
            if refuse_put.is_none() && token != Some("IMDSTOKEN") {
                return (401, String::new());
            }
            match path {
                "/latest/meta-data/iam/security-credentials/" => (200, "my-role".into()),
                "/latest/meta-data/iam/security-credentials/my-role" => {
                    (200, creds_json("IMDSKEY", &exp))
                }
                _ => (404, String::new()),
            }
        }
        _ => (405, String::new()),
    })
    .await
}

#[tokio::test]
async fn imdsv2_token_role_and_credentials() {
    let server = imds(None).await;
    let c = ImdsProvider::with_lookup(vars(&[]))
        .with_endpoint(&server.base)
        .credentials()
        .await
        .unwrap();
    assert_eq!(c.access_key_id(), "IMDSKEY");
    let paths: Vec<_> = server
        .seen()
        .iter()
        .map(|s| format!("{} {}", s.method, s.path))
        .collect();
    assert_eq!(
        paths,
        [
            "PUT /latest/api/token",
            "GET /latest/meta-data/iam/security-credentials/",
            "GET /latest/meta-data/iam/security-credentials/my-role"
        ]
    );
}

#[tokio::test]
async fn imdsv1_fallback_only_when_enabled_and_put_refused() {
    let server = imds(Some(403)).await;
    let e = ImdsProvider::with_lookup(vars(&[]))
        .with_endpoint(&server.base)
        .credentials()
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(403));
    assert!(e.to_string().contains("imdsv1_fallback"), "{e}");
    let c = ImdsProvider::with_lookup(vars(&[]))
        .with_endpoint(&server.base)
        .with_imdsv1_fallback(true)
        .credentials()
        .await
        .unwrap();
    assert_eq!(c.access_key_id(), "IMDSKEY");
    assert!(
        !server.seen()[2]
            .headers
            .contains_key("x-aws-ec2-metadata-token")
    );
}

#[tokio::test]
async fn imds_unanswered_token_put_times_out_quickly_and_is_not_configured() {
    let server = Server::start(|_| (0, String::new())).await;
    let start = std::time::Instant::now();
    let p = ImdsProvider::with_lookup(vars(&[]))
        .with_endpoint(&server.base)
        .with_imdsv1_fallback(true)
        .with_timeout(Duration::from_millis(200));
    let e = p.credentials().await.unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(2));
    assert!(e.to_string().contains("not configured"), "{e}");
    assert_eq!(server.seen().len(), 1, "no IMDSv1 fallback after a timeout");
}

#[tokio::test]
async fn imds_endpoint_from_env_and_ipv6_mode() {
    let p = ImdsProvider::with_lookup(vars(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6")]));
    assert!(format!("{p:?}").contains("[fd00:ec2::254]"), "{p:?}");
    let p = ImdsProvider::with_lookup(vars(&[("AWS_EC2_METADATA_DISABLED", "true")]));
    assert!(
        p.credentials()
            .await
            .unwrap_err()
            .to_string()
            .contains("not configured")
    );
}

// ---------------------------------------------------------------------------
// Chain order

#[tokio::test]
async fn chain_order_environment_then_profile_then_container_then_imds() {
    let imds = imds(None).await;
    let exp = iso(later(3600));
    let ecs = Server::start(move |_| (200, creds_json("ECSKEY", &exp))).await;
    let home = TempDir::new();
    home.write(
        ".aws/credentials",
        &format!("[default]\naws_access_key_id = PROFILE\naws_secret_access_key = {SECRET}\n"),
    );
    let env_keys = [
        ("AWS_ACCESS_KEY_ID", "ENVKEY"),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
    ];
    let ecs_var = [("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/creds")];
    let chain = |env: &[(&str, &str)], with_profile: bool| {
        let empty = TempDir::new();
        let home_dir = if with_profile {
            home.path().to_path_buf()
        } else {
            empty.path().to_path_buf()
        };
        DefaultChain::builder()
            .with_lookup(vars(env))
            .home_dir(home_dir)
            .ecs_host(&ecs.base)
            .imds_endpoint(&imds.base)
            .build()
    };
    let all: Vec<(&str, &str)> = env_keys.iter().chain(&ecs_var).copied().collect();
    assert_eq!(
        chain(&all, true)
            .credentials()
            .await
            .unwrap()
            .access_key_id(),
        "ENVKEY"
    );
    assert_eq!(
        chain(&ecs_var, true)
            .credentials()
            .await
            .unwrap()
            .access_key_id(),
        "PROFILE"
    );
    assert_eq!(
        chain(&ecs_var, false)
            .credentials()
            .await
            .unwrap()
            .access_key_id(),
        "ECSKEY"
    );
    assert_eq!(
        chain(&[], false)
            .credentials()
            .await
            .unwrap()
            .access_key_id(),
        "IMDSKEY"
    );
    let explicit = DefaultChain::builder()
        .with_lookup(vars(&all))
        .credentials(StaticProvider::new(Credentials::new("EXPLICIT", SECRET)))
        .build();
    assert_eq!(
        explicit.credentials().await.unwrap().access_key_id(),
        "EXPLICIT"
    );
}

#[tokio::test]
async fn chain_stops_on_error_of_a_configured_source() {
    let imds = imds(None).await;
    let home = TempDir::new();
    home.write(
        ".aws/config",
        "[default]\nrole_arn = arn:aws:iam::123456789012:role/r\n",
    );
    let e = DefaultChain::builder()
        .with_lookup(vars(&[]))
        .home_dir(home.path())
        .imds_endpoint(&imds.base)
        .build()
        .credentials()
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("source_profile or credential_source"),
        "{e}"
    );
    assert!(imds.seen().is_empty(), "the chain went on to IMDS");
    // Half-set environment is an error too, not a fall-through.
    let e = profile_chain(&home, &[("AWS_ACCESS_KEY_ID", "AKID")])
        .credentials()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("AWS_SECRET_ACCESS_KEY"), "{e}");
}

#[tokio::test]
async fn chain_with_nothing_configured_lists_every_source() {
    let home = TempDir::new();
    let e = DefaultChain::builder()
        .with_lookup(vars(&[("AWS_EC2_METADATA_DISABLED", "true")]))
        .home_dir(home.path())
        .build()
        .credentials()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    for source in [
        "environment",
        "profile",
        "web identity",
        "container",
        "IMDS",
    ] {
        assert!(e.to_string().contains(source), "{e}");
    }
}

// ---------------------------------------------------------------------------
// STS against moto

#[tokio::test]
async fn assume_role_profile_with_source_profile_and_external_id_against_moto() {
    let Some(sts) = moto() else { return };
    let home = TempDir::new();
    home.write(
        ".aws/config",
        "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/s3lite-test\nsource_profile = base\n\
         external_id = ext-1\nrole_session_name = s3lite-session\nduration_seconds = 900\nregion = us-east-1\n",
    );
    home.write(
        ".aws/credentials",
        "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n",
    );
    let chain = DefaultChain::builder()
        .with_lookup(vars(&[]))
        .home_dir(home.path())
        .profile("role")
        .sts_endpoint(&sts)
        .build();
    let c = chain.credentials().await.unwrap();
    assert!(c.access_key_id().starts_with("ASIA"), "{c:?}");
    assert!(c.session_token().is_some());
    let left = c.expires_at().unwrap() - OffsetDateTime::now_utc();
    assert!(
        left > time::Duration::minutes(10) && left <= time::Duration::minutes(16),
        "{left}"
    );
}

#[tokio::test]
async fn assume_role_provider_against_moto() {
    let Some(sts) = moto() else { return };
    let base = StaticProvider::new(Credentials::new("AKIDBASE", "base-secret"));
    let p =
        AssumeRoleProvider::new(base, "arn:aws:iam::123456789012:role/direct").with_endpoint(&sts);
    assert!(p.credentials().await.unwrap().session_token().is_some());
}

#[tokio::test]
async fn web_identity_token_file_against_moto() {
    let Some(sts) = moto() else { return };
    let dir = TempDir::new();
    let token = dir.write("token", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.sig\n");
    let env = [
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token.to_str().unwrap()),
        ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/web"),
        ("AWS_ROLE_SESSION_NAME", "ci"),
    ];
    let chain = DefaultChain::builder()
        .with_lookup(vars(&env))
        .home_dir(dir.path())
        .sts_endpoint(&sts)
        .build();
    let c = chain.credentials().await.unwrap();
    assert!(c.session_token().is_some());
    assert!(c.expires_at().is_some());
    // The token is re-read: a missing file now fails the next fetch.
    std::fs::remove_file(&token).unwrap();
    let p = WebIdentityProvider::with_lookup(vars(&env)).with_sts_endpoint(&sts);
    assert!(
        p.credentials()
            .await
            .unwrap_err()
            .to_string()
            .contains("token file")
    );
}

// ---------------------------------------------------------------------------
// No secrets in output

#[tokio::test]
async fn no_secret_in_debug_display_or_errors() {
    let c = Credentials::new("AKID", SECRET)
        .with_session_token(TOKEN)
        .with_expiry(later(60));
    let fail = FnProvider::from_sync(|| Err(s3lite::Error::new(ErrorKind::Credentials, "nope")));
    let cache = CachingProvider::new(StaticProvider::new(c.clone()));
    cache.credentials().await.unwrap();
    let sts = s3lite::xml::parse_sts_credentials(
        format!("<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>{SECRET}</SecretAccessKey><SessionToken>{TOKEN}</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>").as_bytes(),
    )
    .unwrap();
    let mut shown = vec![
        format!("{c:?}"),
        format!("{:?}", StaticProvider::new(c.clone())),
        format!("{cache:?}"),
        format!("{fail:?}"),
        format!("{sts:?}"),
        format!("{:?}", sts.secret_access_key),
        format!("{:?}", c.secret_key()),
        format!(
            "{:?}",
            DefaultChain::builder()
                .credentials(StaticProvider::new(c.clone()))
                .build()
        ),
        format!("{:?}", ProcessProvider::new(format!("echo {SECRET}"))),
        format!("{:?}", ProfileProvider::new()),
        format!("{:?}", ContainerProvider::new()),
        format!("{:?}", ImdsProvider::new()),
        format!("{:?}", WebIdentityProvider::new()),
        format!("{:?}", EnvironmentProvider::new()),
    ];
    // Errors from sources that saw the secrets.
    let home = TempDir::new();
    home.write(
        ".aws/credentials",
        &format!("[default]\naws_secret_access_key = {SECRET}\naws_session_token = {TOKEN}\n"),
    );
    let e = profile_chain(&home, &[]).credentials().await.unwrap_err();
    let e2 = ContainerProvider::with_lookup(vars(&[
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", TOKEN),
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://10.1.1.1/"),
    ]))
    .credentials()
    .await
    .unwrap_err();
    for e in [e, e2] {
        shown.push(format!("{e}"));
        shown.push(format!("{e:?}"));
    }
    for s in &shown {
        assert!(
            !s.contains(SECRET) && !s.contains(TOKEN),
            "secret shown: {s}"
        );
    }
}
