//! Client options end to end through the store builder: a real in-process
//! HTTP proxy (CONNECT tunnels and absolute-form forwarding) in front of
//! LocalStack, a self-signed TLS server trusted through
//! `root_certificate_pem` / `root_certificates`, and the key prefix of a
//! store built from `s3://bucket/some/prefix`.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use s3lite::config::S3ConfigKey;
use s3lite::{ErrorKind, S3Store, S3StoreBuilder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use common::{Server, cleanup, unique_bucket};

/// A minimal HTTP proxy: `CONNECT host:port` opens a tunnel; any other
/// method with an absolute-form URL (`GET http://host:port/path`) is
/// forwarded to that host. Either way bytes are then copied both ways.
struct Proxy {
    addr: std::net::SocketAddr,
    connects: Arc<AtomicUsize>,
    forwards: Arc<AtomicUsize>,
    auth_seen: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    async fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connects = Arc::new(AtomicUsize::new(0));
        let forwards = Arc::new(AtomicUsize::new(0));
        let auth_seen = Arc::new(Mutex::new(Vec::new()));
        let (c, f, a) = (connects.clone(), forwards.clone(), auth_seen.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let (c, f, a) = (c.clone(), f.clone(), a.clone());
                tokio::spawn(async move {
                    let _ = proxy_connection(client, &c, &f, &a).await;
                });
            }
        });
        Proxy {
            addr,
            connects,
            forwards,
            auth_seen,
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn proxy_connection(
    mut client: TcpStream,
    connects: &AtomicUsize,
    forwards: &AtomicUsize,
    auth_seen: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    let end = loop {
        let n = client.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(i) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let text = String::from_utf8_lossy(&head[..end]).to_string();
    for line in text.lines() {
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("proxy-authorization")
        {
            auth_seen.lock().unwrap().push(value.trim().to_string());
        }
    }
    let mut parts = text.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut upstream;
    if method == "CONNECT" {
        connects.fetch_add(1, Ordering::SeqCst);
        upstream = TcpStream::connect(target).await?;
        client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await?;
        upstream.write_all(&head[end..]).await?;
    } else {
        forwards.fetch_add(1, Ordering::SeqCst);
        let authority = target
            .strip_prefix("http://")
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_default();
        upstream = TcpStream::connect(authority).await?;
        // Origin servers accept absolute-form request lines (RFC 9112 3.2.2).
        upstream.write_all(&head).await?;
    }
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

fn localstack_builder(server: &Server, bucket: &str) -> S3StoreBuilder {
    server.store_builder(bucket)
}

#[tokio::test]
async fn https_through_connect_proxy_reaches_localstack() {
    let Some(server) = Server::localstack() else {
        return;
    };
    // LocalStack answers TLS on its HTTP port too, with a certificate for
    // localhost.localstack.cloud: trusted here with allow_invalid_certificates.
    let https = server.endpoint.replacen("http://", "https://", 1);
    let proxy = Proxy::start().await;
    let bucket = unique_bucket("proxy-connect");
    let store = localstack_builder(&server, &bucket)
        .endpoint(https)
        .allow_invalid_certificates(true)
        .proxy_url(format!("http://user:pa%3Ass@{}", proxy.addr))
        .build()
        .unwrap();
    store.create_bucket().await.unwrap();
    store
        .put("tunnelled.txt", Bytes::from_static(b"through CONNECT"))
        .await
        .unwrap();
    let back = store
        .get("tunnelled.txt")
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(back, "through CONNECT");
    assert!(proxy.connects.load(Ordering::SeqCst) >= 1);
    assert_eq!(proxy.forwards.load(Ordering::SeqCst), 0);
    // "user:pa:ss"
    assert!(
        proxy
            .auth_seen
            .lock()
            .unwrap()
            .iter()
            .all(|a| a == "Basic dXNlcjpwYTpzcw==")
    );
    cleanup(&store).await;
}

#[tokio::test]
async fn http_through_forwarding_proxy_reaches_localstack() {
    let Some(server) = Server::localstack() else {
        return;
    };
    let proxy = Proxy::start().await;
    let bucket = unique_bucket("proxy-forward");
    // HTTP_PROXY as the environment spells it; explicit settings still win.
    let url = proxy.url();
    let store = S3StoreBuilder::from_env_with(|name| (name == "HTTP_PROXY").then(|| url.clone()))
        .bucket(&bucket)
        .region("us-east-1")
        .endpoint(&server.endpoint)
        .allow_http(true)
        .access_key_id(&server.access_key)
        .secret_access_key(&server.secret_key)
        .build()
        .unwrap();
    store.create_bucket().await.unwrap();
    store
        .put("forwarded.txt", Bytes::from_static(b"absolute form"))
        .await
        .unwrap();
    let back = store
        .get("forwarded.txt")
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(back, "absolute form");
    assert!(proxy.forwards.load(Ordering::SeqCst) >= 1);
    assert_eq!(proxy.connects.load(Ordering::SeqCst), 0);
    cleanup(&store).await;
}

#[tokio::test]
async fn proxy_excludes_bypass_the_proxy() {
    let Some(server) = Server::localstack() else {
        return;
    };
    let proxy = Proxy::start().await;
    let bucket = unique_bucket("proxy-excluded");
    let store = localstack_builder(&server, &bucket)
        .proxy_url(proxy.url())
        .proxy_excludes("127.0.0.1,localhost")
        .build()
        .unwrap();
    store.create_bucket().await.unwrap();
    store
        .put("direct.txt", Bytes::from_static(b"x"))
        .await
        .unwrap();
    assert_eq!(proxy.forwards.load(Ordering::SeqCst), 0);
    assert_eq!(proxy.connects.load(Ordering::SeqCst), 0);
    cleanup(&store).await;
}

#[tokio::test]
async fn prefix_from_url_writes_under_it_and_lists_without_it() {
    let Some(server) = Server::localstack() else {
        return;
    };
    let bucket = unique_bucket("prefix");
    let plain = server.store(&bucket).unwrap();
    plain.create_bucket().await.unwrap();
    let store = S3StoreBuilder::from_url(&format!("s3://{bucket}/some/prefix/"))
        .region("us-east-1")
        .endpoint(&server.endpoint)
        .allow_http(true)
        .access_key_id(&server.access_key)
        .secret_access_key(&server.secret_key)
        .build()
        .unwrap();
    assert_eq!(store.prefix(), Some("some/prefix"));
    plain
        .put("outside.txt", Bytes::from_static(b"o"))
        .await
        .unwrap();
    store.put("a.txt", Bytes::from_static(b"a")).await.unwrap();
    store
        .put("dir/b.json", Bytes::from_static(b"{}"))
        .await
        .unwrap();
    store.copy("a.txt", "c.txt").await.unwrap();

    // Under the prefix in the bucket.
    let raw = common::sorted_keys(&plain, None).await;
    assert_eq!(
        raw,
        [
            "outside.txt",
            "some/prefix/a.txt",
            "some/prefix/c.txt",
            "some/prefix/dir/b.json"
        ]
    );
    // Without it through the store.
    let keys = common::sorted_keys(&store, None).await;
    assert_eq!(keys, ["a.txt", "c.txt", "dir/b.json"]);
    let level = store.list_with_delimiter(None).await.unwrap();
    assert_eq!(level.common_prefixes, ["dir/"]);
    let mut top: Vec<&str> = level.objects.iter().map(|m| m.key.as_str()).collect();
    top.sort();
    assert_eq!(top, ["a.txt", "c.txt"]);
    let under = common::sorted_keys(&store, Some("dir/")).await;
    assert_eq!(under, ["dir/b.json"]);

    assert_eq!(
        store.get("c.txt").await.unwrap().bytes().await.unwrap(),
        "a"
    );
    let meta = store.head("dir/b.json").await.unwrap();
    assert_eq!(meta.key, "dir/b.json");
    assert_eq!(meta.content_type.as_deref(), Some("application/json"));
    store.delete("a.txt").await.unwrap();
    assert_eq!(
        plain
            .head("some/prefix/a.txt")
            .await
            .map_err(|e| e.kind())
            .err(),
        Some(ErrorKind::NotFound)
    );
    assert_eq!(store.resolve_bucket_region().await.unwrap(), "us-east-1");
    cleanup(&plain).await;
}

/// A TLS server with a fresh self-signed certificate for 127.0.0.1 that
/// answers every GET with `hello over tls`.
struct TlsServer {
    addr: std::net::SocketAddr,
    pem: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn tls_server() -> TlsServer {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(|_req| async {
                    Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(
                        b"hello over tls",
                    ))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    TlsServer {
        addr,
        pem: certified.cert.pem(),
        task,
    }
}

fn tls_store(server: &TlsServer) -> S3StoreBuilder {
    S3Store::builder()
        .bucket("b1")
        .endpoint(format!("https://{}", server.addr))
        .skip_signature(true)
        .max_retries(0)
}

#[tokio::test]
async fn self_signed_server_fails_without_the_root_certificate() {
    let server = tls_server().await;
    let store = tls_store(&server).build().unwrap();
    let e = store.get("k").await.expect_err("untrusted certificate");
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
}

#[tokio::test]
async fn self_signed_server_works_with_the_root_certificate() {
    let server = tls_server().await;
    let typed = tls_store(&server)
        .root_certificate_pem(server.pem.clone())
        .build()
        .unwrap();
    assert_eq!(
        typed.get("k").await.unwrap().bytes().await.unwrap(),
        "hello over tls"
    );

    // The same as a config string: PEM text, then a file path.
    let keyed = tls_store(&server)
        .with_config(S3ConfigKey::RootCertificates, server.pem.clone())
        .build()
        .unwrap();
    assert_eq!(
        keyed.get("k").await.unwrap().bytes().await.unwrap(),
        "hello over tls"
    );
    let path = std::env::temp_dir().join(format!("s3lite-root-{}.pem", std::process::id()));
    std::fs::write(&path, &server.pem).unwrap();
    let from_file = tls_store(&server)
        .with_config(
            "AWS_CA_BUNDLE".parse().unwrap(),
            path.to_string_lossy().to_string(),
        )
        .build()
        .unwrap();
    let got = from_file.get("k").await.unwrap().bytes().await.unwrap();
    let _ = std::fs::remove_file(&path);
    assert_eq!(got, "hello over tls");
}

#[tokio::test]
async fn self_signed_server_through_connect_proxy() {
    let server = tls_server().await;
    let proxy = Proxy::start().await;
    let store = tls_store(&server)
        .root_certificate_pem(server.pem.clone())
        .https_proxy(proxy.url())
        .build()
        .unwrap();
    assert_eq!(
        store.get("k").await.unwrap().bytes().await.unwrap(),
        "hello over tls"
    );
    assert_eq!(proxy.connects.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn unreachable_proxy_is_a_transport_error() {
    let server = tls_server().await;
    // A port nothing listens on: bind, then drop the listener.
    let addr = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let store = tls_store(&server)
        .root_certificate_pem(server.pem.clone())
        .proxy_url(format!("http://{addr}"))
        .build()
        .unwrap();
    let e = store.get("k").await.expect_err("no proxy there");
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
}
