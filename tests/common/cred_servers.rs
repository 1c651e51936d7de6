//! Shared kit of the credential tests (`credentials*.rs`): an in-process
//! HTTP server that records requests (IMDS, ECS/EKS, SSO portal and OIDC
//! stand-ins), temp dirs, an environment from pairs, and credential JSON.
//! Included with `#[path = "common/cred_servers.rs"] mod cred_servers;`.
#![allow(dead_code, reason = "each test binary uses a different part")]
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use s3lite::credentials::DefaultChain;
use time::OffsetDateTime;
use tokio::net::TcpListener;

pub(crate) const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSECRETKEY";
pub(crate) const TOKEN: &str = "FQoGZXIvYXdzSECRETSESSIONTOKEN";

// ---------------------------------------------------------------------------
// Helpers

/// An environment from pairs, for `with_lookup`.
pub(crate) fn vars(
    pairs: &[(&str, &str)],
) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

/// A fresh directory under the system temp dir, removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "s3lite-cred-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub(crate) fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.0.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    pub(crate) fn path(&self) -> &Path {
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
pub(crate) struct Seen {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) headers: HashMap<String, String>,
    /// The request body, as text.
    pub(crate) body: String,
}

pub(crate) type Handler = dyn Fn(&Seen) -> (u16, String) + Send + Sync;

/// A hyper server on 127.0.0.1:0 answering with `handler`, recording requests.
pub(crate) struct Server {
    pub(crate) base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    pub(crate) async fn start(
        handler: impl Fn(&Seen) -> (u16, String) + Send + Sync + 'static,
    ) -> Server {
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
                                let mut seen = Seen {
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
                                    body: String::new(),
                                };
                                let body = req.into_body().collect().await;
                                seen.body = body
                                    .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
                                    .unwrap_or_default();
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

    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

pub(crate) fn creds_json(key: &str, expiration: &str) -> String {
    format!(
        r#"{{"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "{key}", "SecretAccessKey": "{SECRET}",
            "Token": "{TOKEN}", "Expiration": "{expiration}", "LastUpdated": "2020-01-01T00:00:00Z"}}"#
    )
}

pub(crate) fn later(secs: i64) -> OffsetDateTime {
    OffsetDateTime::now_utc() + time::Duration::seconds(secs)
}

pub(crate) fn iso(t: OffsetDateTime) -> String {
    s3lite::date::format_iso8601(t)
}

/// A real-server endpoint, or `None` (skip) unless S3LITE_REQUIRE_SERVERS=1.
pub(crate) fn moto() -> Option<String> {
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

pub(crate) fn profile_chain(home: &TempDir, env: &[(&str, &str)]) -> DefaultChain {
    DefaultChain::builder()
        .with_lookup(vars(env))
        .home_dir(home.path())
        .imds_endpoint("http://127.0.0.1:9") // closed port: IMDS not configured
        .build()
}

/// An IMDSv2 server: token PUT (or `refuse_put` status), 401 without token.
pub(crate) async fn imds(refuse_put: Option<u16>) -> Server {
    let exp = iso(later(3600));
    Server::start(move |r| match (r.method.as_str(), r.path.as_str()) {
        ("PUT", "/latest/api/token") => {
            assert!(
                r.headers
                    .contains_key("x-aws-ec2-metadata-token-ttl-seconds")
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
