//! Transport tests against in-process servers on 127.0.0.1:0.
//!
//! Each scenario runs on every built-in client enabled by the features
//! ([`clients`]): `HyperClient` (default) and `ReqwestClient` (`reqwest`).
//! Scripted faults use raw TCP servers so the bytes on the wire are exact.
#![cfg(feature = "_io")]
#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_core::Stream;
use http::{Method, StatusCode};
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use s3lite::transport::{ClientOptions, HttpClient, HttpRequest, RequestBody, ResponseBody};
use s3lite::{Error, ErrorKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

// ---------------------------------------------------------------------------
// Scenarios

/// PUT a streamed body (with and without Content-Length), PUT an empty
/// body, GET a streamed 5 MiB body back byte for byte.
async fn put_get_round_trip(client: &dyn HttpClient, base: &str) {
    let object = pattern(5 * 1024 * 1024 + 13);
    let cuts = [0, 1, 1024 * 1024 + 7, 3 * 1024 * 1024, object.len()];
    let chunks = || cuts.windows(2).map(|w| object.slice(w[0]..w[1])).collect();

    let mut put = HttpRequest::new(Method::PUT, format!("{base}/obj"));
    put.headers
        .insert(http::header::CONTENT_LENGTH, object.len().into());
    put.body = RequestBody::from_stream(SlowStream::new(chunks(), Duration::ZERO));
    let response = client.send(put).await.unwrap();
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        header(&response.headers, "x-seen-length"),
        object.len().to_string()
    );
    assert_eq!(header(&response.headers, "x-seen-te"), "");

    let mut chunked = HttpRequest::new(Method::PUT, format!("{base}/chunked"));
    chunked.body = RequestBody::from_stream(SlowStream::new(chunks(), Duration::ZERO));
    let response = client.send(chunked).await.unwrap();
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(header(&response.headers, "x-seen-te"), "chunked");

    let empty = HttpRequest::new(Method::PUT, format!("{base}/empty"));
    let response = client.send(empty).await.unwrap();
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(header(&response.headers, "x-seen-length"), "0");

    for key in ["obj", "chunked"] {
        let get = HttpRequest::new(Method::GET, format!("{base}/{key}"));
        let mut response = client.send(get).await.unwrap();
        assert_eq!(response.status, StatusCode::OK);
        let mut got = Vec::new();
        let mut pieces = 0;
        while let Some(chunk) = response.body.next_chunk().await {
            got.extend_from_slice(&chunk.unwrap());
            pieces += 1;
        }
        assert!(pieces > 1, "the body arrived in one piece: not streamed");
        assert!(got == object, "{key}: body differs");
    }
}

#[tokio::test]
async fn round_trip_streams_request_and_5mib_response() {
    let server = echo_server().await;
    for client in clients(&http_options()) {
        put_get_round_trip(&*client, &server.base()).await;
    }
}

#[tokio::test]
async fn sequential_requests_reuse_one_connection() {
    for client in clients(&http_options()) {
        let server = echo_server().await;
        for _ in 0..20 {
            let get = HttpRequest::new(Method::GET, format!("{}/missing", server.base()));
            let response = client.send(get).await.unwrap();
            assert_eq!(response.status, StatusCode::NOT_FOUND);
            response.body.collect().await.unwrap();
        }
        assert_eq!(server.connections(), 1, "{client:?}");
    }
}

#[tokio::test]
async fn connect_refused_is_retryable_transport() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    for client in clients(&http_options()) {
        let e = send_err(&*client, &format!("http://{addr}/x")).await;
        assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
        assert!(e.is_retryable(), "{e}");
        assert!(
            e.to_string().contains(&format!("GET http://{addr}/x")),
            "{e}"
        );
    }
}

#[tokio::test]
async fn server_that_never_answers_times_out() {
    let addr = raw_server(|mut s| async move {
        read_head(&mut s).await;
        std::future::pending::<()>().await;
    })
    .await;
    let mut options = http_options();
    options.timeout = Some(Duration::from_millis(200));
    for client in clients(&options) {
        let start = Instant::now();
        let e = send_err(&*client, &format!("http://{addr}/x")).await;
        assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
        assert!(e.is_retryable(), "{e}");
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }
}

#[tokio::test]
async fn body_stalled_past_read_timeout_times_out() {
    let addr = raw_server(|mut s| async move {
        read_head(&mut s).await;
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
            .await
            .unwrap();
        std::future::pending::<()>().await;
    })
    .await;
    let mut options = http_options();
    options.read_timeout = Some(Duration::from_millis(200));
    for client in clients(&options) {
        let get = HttpRequest::new(Method::GET, format!("http://{addr}/x?X-Amz-Signature=S1"));
        let mut response = client.send(get).await.unwrap();
        assert_eq!(
            response.body.next_chunk().await.unwrap().unwrap(),
            "0123456789"
        );
        let start = Instant::now();
        let e = response.body.next_chunk().await.unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
        assert!(e.is_retryable(), "{e}");
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        assert!(
            e.to_string()
                .starts_with(&format!("timed out: GET http://{addr}/x: ")),
            "{e}"
        );
        assert!(
            response.body.next_chunk().await.is_none(),
            "stream ends after an error"
        );
    }
}

#[tokio::test]
async fn body_shorter_than_content_length_is_retryable_transport() {
    let addr = raw_server(|mut s| async move {
        read_head(&mut s).await;
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
            .await
            .unwrap();
        // Dropping the stream closes the connection 90 bytes early.
    })
    .await;
    for client in clients(&http_options()) {
        let get = HttpRequest::new(Method::GET, format!("http://{addr}/x"));
        let response = client.send(get).await.unwrap();
        let e = response.body.collect().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
        assert!(e.is_retryable(), "{e}");
    }
}

#[tokio::test]
async fn http_url_without_allow_http_is_invalid_config() {
    for client in clients(&ClientOptions::default()) {
        let e = send_err(&*client, "http://127.0.0.1:1/x?X-Amz-Signature=SECRETSIG").await;
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
        assert!(!e.is_retryable());
        assert_no_secret(&e, "SECRETSIG");
    }
}

#[tokio::test]
async fn failed_request_error_never_shows_query() {
    let url = "http://127.0.0.1:1/x?X-Amz-Signature=SECRETSIG&X-Amz-Security-Token=SECRETTOK";
    for client in clients(&http_options()) {
        let e = send_err(&*client, url).await;
        assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
        assert!(e.to_string().contains("GET http://127.0.0.1:1/x"), "{e}");
        assert_no_secret(&e, "SECRETSIG");
        assert_no_secret(&e, "SECRETTOK");
    }
}

#[tokio::test]
async fn invalid_url_is_invalid_input_without_query() {
    for client in clients(&http_options()) {
        let e = send_err(&*client, "not a url?X-Amz-Signature=SECRETSIG").await;
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert_no_secret(&e, "SECRETSIG");
    }
}

#[tokio::test]
async fn request_body_stream_error_is_returned_as_is() {
    let server = echo_server().await;
    for client in clients(&http_options()) {
        let failing = FailingStream(Some(Bytes::from_static(b"first")));
        let mut put = HttpRequest::new(Method::PUT, format!("{}/obj", server.base()));
        put.body = RequestBody::from_stream(failing);
        let e = client.send(put).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert!(e.to_string().contains("disk on fire"), "{e}");
    }
}

#[tokio::test]
async fn slow_upload_that_keeps_progressing_does_not_time_out() {
    let server = echo_server().await;
    let mut options = http_options();
    options.timeout = Some(Duration::from_millis(300));
    for client in clients(&options) {
        let chunks = (0..8).map(|i| Bytes::from(vec![i; 1000])).collect();
        let mut put = HttpRequest::new(Method::PUT, format!("{}/slow", server.base()));
        put.body = RequestBody::from_stream(SlowStream::new(chunks, Duration::from_millis(100)));
        let response = client.send(put).await.unwrap();
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(header(&response.headers, "x-seen-te"), "chunked");
    }
}

#[tokio::test]
async fn self_signed_tls_needs_root_or_allow_invalid_certificates() {
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
    let server = serve(Some(TlsAcceptor::from(Arc::new(config))), echo_handler()).await;
    let url = format!("https://{}/missing", server.addr);

    for client in clients(&ClientOptions::default()) {
        let e = send_err(&*client, &url).await;
        assert_eq!(e.kind(), ErrorKind::Transport, "{client:?}: {e}");
    }
    let mut with_root = ClientOptions::default();
    with_root.root_certificates_pem = vec![certified.cert.pem().into_bytes()];
    let mut insecure = ClientOptions::default();
    insecure.allow_invalid_certificates = true;
    for options in [with_root, insecure] {
        for client in clients(&options) {
            let get = HttpRequest::new(Method::GET, url.clone());
            let response = client.send(get).await.unwrap();
            assert_eq!(response.status, StatusCode::NOT_FOUND, "{client:?}");
        }
    }
}

#[tokio::test]
async fn response_body_from_bytes_collects() {
    let body = ResponseBody::from_bytes(Bytes::from_static(b"xyz"));
    assert_eq!(body.collect().await.unwrap(), "xyz");
}

#[test]
fn send_future_and_bodies_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    fn assert_body<T: Stream + Send + Unpin>() {}
    assert_body::<ResponseBody>();
    #[cfg(feature = "hyper-rustls")]
    {
        fn assert_client<T: HttpClient + Clone>() {}
        assert_client::<s3lite::transport::HyperClient>();
    }
    for client in clients(&ClientOptions::default()) {
        let future = client.send(HttpRequest::new(Method::GET, "https://h/"));
        assert_send(&future);
    }
}

// ---------------------------------------------------------------------------
// Clients and helpers

/// Every built-in client the enabled features provide.
#[allow(clippy::vec_init_then_push, reason = "each push depends on a feature")]
fn clients(options: &ClientOptions) -> Vec<Box<dyn HttpClient>> {
    let mut all: Vec<Box<dyn HttpClient>> = Vec::new();
    #[cfg(feature = "hyper-rustls")]
    all.push(Box::new(
        s3lite::transport::HyperClient::new(options).unwrap(),
    ));
    #[cfg(feature = "reqwest")]
    all.push(Box::new(
        s3lite::transport::ReqwestClient::new(options).unwrap(),
    ));
    let _ = options;
    all
}

fn http_options() -> ClientOptions {
    let mut options = ClientOptions::default();
    options.allow_http = true;
    options
}

async fn send_err(client: &dyn HttpClient, url: &str) -> Error {
    client
        .send(HttpRequest::new(Method::GET, url))
        .await
        .unwrap_err()
}

fn assert_no_secret(e: &Error, secret: &str) {
    let mut text = format!("{e}\n{e:?}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!("\n{s}\n{s:?}"));
        source = s.source();
    }
    assert!(!text.contains(secret), "{text}");
}

fn header(headers: &http::HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Deterministic, non-repeating-at-small-scale test bytes.
fn pattern(len: usize) -> Bytes {
    (0..len)
        .map(|i| (i.wrapping_mul(31) ^ (i >> 8)) as u8)
        .collect::<Vec<u8>>()
        .into()
}

/// Yields its chunks, waiting `delay` before each.
struct SlowStream {
    chunks: VecDeque<Bytes>,
    delay: Duration,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl SlowStream {
    fn new(chunks: Vec<Bytes>, delay: Duration) -> Self {
        SlowStream {
            chunks: chunks.into(),
            delay,
            sleep: None,
        }
    }
}

impl Stream for SlowStream {
    type Item = s3lite::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let delay = self.delay;
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(delay)));
        if sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.sleep = None;
        Poll::Ready(self.chunks.pop_front().map(Ok))
    }
}

/// Yields one chunk, then an error.
struct FailingStream(Option<Bytes>);

impl Stream for FailingStream {
    type Item = s3lite::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(Some(match self.0.take() {
            Some(chunk) => Ok(chunk),
            None => Err(Error::invalid_input("disk on fire")),
        }))
    }
}

// ---------------------------------------------------------------------------
// Servers

type TestBody = BoxBody<Bytes, Infallible>;
type Handler = Arc<
    dyn Fn(
            http::Request<Incoming>,
        ) -> Pin<Box<dyn Future<Output = http::Response<TestBody>> + Send>>
        + Send
        + Sync,
>;

/// A hyper server; counts accepted connections; stops on drop.
struct TestServer {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(tls: Option<TlsAcceptor>, handler: Handler) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    let task = tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            counter.fetch_add(1, Ordering::SeqCst);
            let handler = handler.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let response = handler(req);
                    async move { Ok::<_, Infallible>(response.await) }
                });
                let http = hyper::server::conn::http1::Builder::new();
                // Connection errors (a client that gave up) are expected here.
                let _ = match tls {
                    Some(tls) => match tls.accept(tcp).await {
                        Ok(stream) => http.serve_connection(TokioIo::new(stream), service).await,
                        Err(_) => return,
                    },
                    None => http.serve_connection(TokioIo::new(tcp), service).await,
                };
            });
        }
    });
    TestServer {
        addr,
        connections,
        task,
    }
}

/// Stores PUT bodies, reports the framing it saw (`x-seen-length`,
/// `x-seen-te`), and serves GETs in 64 KiB chunks; 404 otherwise.
fn echo_handler() -> Handler {
    let objects: Arc<Mutex<HashMap<String, Bytes>>> = Arc::default();
    Arc::new(move |req| {
        let objects = objects.clone();
        Box::pin(async move {
            let path = req.uri().path().to_owned();
            let length = header(req.headers(), "content-length");
            let te = header(req.headers(), "transfer-encoding");
            match *req.method() {
                Method::PUT => {
                    let body = req.into_body().collect().await.unwrap().to_bytes();
                    objects.lock().unwrap().insert(path, body);
                    http::Response::builder()
                        .header("x-seen-length", length)
                        .header("x-seen-te", te)
                        .body(full(Bytes::new()))
                        .unwrap()
                }
                Method::GET => match objects.lock().unwrap().get(&path).cloned() {
                    Some(data) => http::Response::new(ChunkedBody(data).boxed()),
                    None => http::Response::builder()
                        .status(StatusCode::NOT_FOUND)
                        .body(full(Bytes::from_static(b"no such key")))
                        .unwrap(),
                },
                _ => panic!("unexpected request {} {path}", req.method()),
            }
        })
    })
}

async fn echo_server() -> TestServer {
    serve(None, echo_handler()).await
}

fn full(bytes: Bytes) -> TestBody {
    http_body_util::Full::new(bytes).boxed()
}

/// A response body sent in 64 KiB frames with a known length.
struct ChunkedBody(Bytes);

impl hyper::body::Body for ChunkedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.0.is_empty() {
            return Poll::Ready(None);
        }
        let n = self.0.len().min(64 * 1024);
        Poll::Ready(Some(Ok(Frame::data(self.0.split_to(n)))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0.len() as u64)
    }
}

/// A TCP server running `script` on each connection; stops with the runtime.
async fn raw_server<F, Fut>(script: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            tokio::spawn(script(tcp));
        }
    });
    addr
}

/// Reads a request head (through the blank line); bodies are not expected.
async fn read_head(stream: &mut TcpStream) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "connection closed inside the request head");
        head.extend_from_slice(&buf[..n]);
    }
}
