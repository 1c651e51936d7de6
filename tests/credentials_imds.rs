//! IMDSv2 against an in-process server that behaves like the real one
//! (401 without a token, refused token PUT, unanswered PUT).
#![cfg(feature = "_io")]
#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

#[path = "common/cred_servers.rs"]
mod cred_servers;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cred_servers::*;
use s3lite::ErrorKind;
use s3lite::credentials::*;
use time::OffsetDateTime;

// ---------------------------------------------------------------------------
// IMDS

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
        server.seen()[0].headers["x-aws-ec2-metadata-token-ttl-seconds"],
        "21600"
    );
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
// Session token reuse

/// A clock tests move by hand.
#[derive(Clone)]
struct ManualClock(Arc<Mutex<OffsetDateTime>>);

impl ManualClock {
    fn new() -> Self {
        ManualClock(Arc::new(Mutex::new(OffsetDateTime::now_utc())))
    }
    fn advance(&self, secs: i64) {
        *self.0.lock().unwrap() += time::Duration::seconds(secs);
    }
    fn reader(&self) -> impl Fn() -> OffsetDateTime + Send + Sync + 'static {
        let c = self.clone();
        move || *c.0.lock().unwrap()
    }
}

fn token_puts(server: &Server) -> Vec<String> {
    server
        .seen()
        .iter()
        .filter(|s| s.method == "PUT")
        .map(|s| s.headers["x-aws-ec2-metadata-token-ttl-seconds"].clone())
        .collect()
}

#[tokio::test]
async fn imds_token_is_reused_until_shortly_before_its_default_ttl() {
    let server = imds(None).await;
    let clock = ManualClock::new();
    let p = ImdsProvider::with_lookup(vars(&[]))
        .with_endpoint(&server.base)
        .with_clock(clock.reader());
    for _ in 0..3 {
        assert_eq!(p.credentials().await.unwrap().access_key_id(), "IMDSKEY");
    }
    assert_eq!(
        token_puts(&server),
        ["21600"],
        "one token for three fetches"
    );
    // A clone shares the token.
    p.clone().credentials().await.unwrap();
    clock.advance(21_600 - 121);
    p.credentials().await.unwrap();
    assert_eq!(token_puts(&server).len(), 1, "still 2 minutes left");
    clock.advance(2);
    p.credentials().await.unwrap();
    assert_eq!(token_puts(&server).len(), 2, "renewed before it expires");
    assert_eq!(server.seen().len(), 2 + 6 * 2, "two GETs per fetch");
}

#[tokio::test]
async fn imds_short_token_ttl_is_asked_for_and_renewed_at_half_life() {
    let server = imds(None).await;
    let clock = ManualClock::new();
    let p = ImdsProvider::with_lookup(vars(&[]))
        .with_endpoint(&server.base)
        .with_token_ttl(Duration::from_secs(60))
        .with_clock(clock.reader());
    p.credentials().await.unwrap();
    clock.advance(29);
    p.credentials().await.unwrap();
    assert_eq!(token_puts(&server), ["60"]);
    clock.advance(2);
    p.credentials().await.unwrap();
    assert_eq!(token_puts(&server), ["60", "60"]);
}

#[tokio::test]
async fn imds_cached_token_refused_with_401_is_replaced_once() {
    // Accepts only the latest token it issued, like a restarted service.
    let issued = Arc::new(AtomicUsize::new(0));
    let exp = iso(later(3600));
    let counter = Arc::clone(&issued);
    let server = Server::start(move |r| match (r.method.as_str(), r.path.as_str()) {
        ("PUT", _) => {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            (200, format!("TOKEN-{n}"))
        }
        ("GET", path) => {
            let latest = format!("TOKEN-{}", counter.load(Ordering::SeqCst));
            if r.headers.get("x-aws-ec2-metadata-token") != Some(&latest) {
                return (401, String::new());
            }
            match path {
                "/latest/meta-data/iam/security-credentials/" => (200, "my-role".into()),
                _ => (200, creds_json("IMDSKEY", &exp)),
            }
        }
        _ => (405, String::new()),
    })
    .await;
    let p = ImdsProvider::with_lookup(vars(&[])).with_endpoint(&server.base);
    p.credentials().await.unwrap();
    // The service forgets the token.
    issued.fetch_add(1, Ordering::SeqCst);
    p.credentials().await.unwrap();
    let log: Vec<_> = server
        .seen()
        .iter()
        .map(|s| format!("{} {}", s.method, s.path))
        .collect();
    assert_eq!(log.len(), 3 + 4, "{log:#?}");
    assert_eq!(log[3], "GET /latest/meta-data/iam/security-credentials/");
    assert_eq!(log[4], "PUT /latest/api/token");
}

// ---------------------------------------------------------------------------
// Endpoint settings in the profile file, and turning IMDS off

#[tokio::test]
async fn imds_endpoint_from_the_profile_config_file() {
    let server = imds(None).await;
    let home = TempDir::new();
    home.write(
        ".aws/config",
        &format!(
            "[default]\nec2_metadata_service_endpoint = {}/\n[profile other]\nec2_metadata_service_endpoint = http://127.0.0.1:9\n",
            server.base
        ),
    );
    let p = ImdsProvider::with_lookup(vars(&[])).with_home_dir(home.path());
    assert_eq!(p.credentials().await.unwrap().access_key_id(), "IMDSKEY");
    // The environment wins over the file.
    let env = [
        ("AWS_PROFILE", "other"),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.base.as_str()),
    ];
    let p = ImdsProvider::with_lookup(vars(&env)).with_home_dir(home.path());
    assert_eq!(p.credentials().await.unwrap().access_key_id(), "IMDSKEY");
    // Profile `other` points at a closed port: not configured.
    let p = ImdsProvider::with_lookup(vars(&[]))
        .with_home_dir(home.path())
        .with_profile("other");
    let e = p.credentials().await.unwrap_err();
    assert!(e.to_string().contains("127.0.0.1:9"), "{e}");
}

#[tokio::test]
async fn imds_endpoint_mode_from_the_profile_config_file() {
    let home = TempDir::new();
    home.write(
        ".aws/config",
        "[default]\nec2_metadata_service_endpoint_mode = IPv6\n[profile bad]\nec2_metadata_service_endpoint_mode = IPv5\n",
    );
    let p = ImdsProvider::with_lookup(vars(&[]))
        .with_home_dir(home.path())
        .with_timeout(Duration::from_millis(200));
    let e = p.credentials().await.unwrap_err();
    assert!(e.to_string().contains("http://[fd00:ec2::254]/"), "{e}");
    // The environment's mode wins over the file's.
    let p = ImdsProvider::with_lookup(vars(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv4")]))
        .with_home_dir(home.path())
        .with_timeout(Duration::from_millis(200));
    let e = p.credentials().await.unwrap_err();
    assert!(e.to_string().contains("http://169.254.169.254/"), "{e}");
    let e = ImdsProvider::with_lookup(vars(&[("AWS_PROFILE", "bad")]))
        .with_home_dir(home.path())
        .credentials()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
    assert!(
        e.to_string().contains("ec2_metadata_service_endpoint_mode"),
        "{e}"
    );
}

#[tokio::test]
async fn chain_with_imds_disabled_never_calls_imds() {
    let server = imds(None).await;
    let home = TempDir::new();
    let e = DefaultChain::builder()
        .with_lookup(vars(&[("AWS_EC2_METADATA_DISABLED", "true")]))
        .home_dir(home.path())
        .imds_endpoint(&server.base)
        .build()
        .credentials()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("AWS_EC2_METADATA_DISABLED"), "{e}");
    assert!(server.seen().is_empty(), "IMDS was called");
    // Without the switch the same chain finds the instance role.
    let c = DefaultChain::builder()
        .with_lookup(vars(&[]))
        .home_dir(home.path())
        .imds_endpoint(&server.base)
        .build()
        .credentials()
        .await
        .unwrap();
    assert_eq!(c.access_key_id(), "IMDSKEY");
}
