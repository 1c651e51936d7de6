//! A scripted S3 stand-in: hyper on 127.0.0.1:0 answers each request with
//! the next [`Step`] of a script, or with a fault (reset, truncated body,
//! stall). A request the script does not expect, and a script left
//! unfinished, fail the test when the server is dropped; so does a panic
//! in a connection task.
//!
//! Also [`VirtualClock`]: the store's clock in these tests; backoff sleeps
//! are recorded and return at once.
#![allow(dead_code, reason = "each test uses part of the kit")]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use http_body_util::BodyExt;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use s3lite::retry::Clock;
use time::OffsetDateTime;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the server does with one request.
#[derive(Debug, Clone)]
pub(crate) enum Fault {
    /// Answer in full.
    None,
    /// Read the request, then reset the connection without answering.
    ResetBeforeResponse,
    /// Send the head (with the full `Content-Length`) and the first `n`
    /// body bytes, then reset the connection.
    ResetAfter(usize),
    /// Send the head and the first `n` body bytes, then close the
    /// connection cleanly: the body is shorter than its `Content-Length`.
    TruncateAfter(usize),
    /// Send the head and the first `n` body bytes, then send nothing more.
    StallAfter(usize),
    /// Read the first `n` bytes of the *request* body (or all of a shorter
    /// one), then reset the connection without answering.
    ResetDuringRequestBody(usize),
    /// Read the request, then never answer (the client gives up or is
    /// dropped).
    Hang,
    /// Answer in full, but without `Content-Length` (chunked encoding).
    NoLength,
}

/// One expected request and its answer.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    method: Method,
    path: String,
    want_headers: Vec<(String, String)>,
    status: StatusCode,
    headers: Vec<(String, String)>,
    body: Bytes,
    fault: Fault,
}

/// Expects `method` on `path` (path and query, exact), answers 200.
pub(crate) fn expect(method: Method, path: &str) -> Step {
    Step {
        method,
        path: path.to_string(),
        want_headers: Vec::new(),
        status: StatusCode::OK,
        headers: Vec::new(),
        body: Bytes::new(),
        fault: Fault::None,
    }
}

impl Step {
    /// The request must carry header `name` with exactly `value`.
    pub(crate) fn with_request_header(mut self, name: &str, value: &str) -> Self {
        self.want_headers
            .push((name.to_string(), value.to_string()));
        self
    }

    /// Answers with `status`.
    pub(crate) fn status(mut self, status: u16) -> Self {
        self.status = StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT);
        self
    }

    /// Adds a response header.
    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The response body.
    pub(crate) fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// An S3 `<Error>` body with `code`.
    pub(crate) fn error(self, status: u16, code: &str) -> Self {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>scripted {code}</Message><RequestId>REQ-{code}</RequestId></Error>"
        );
        self.status(status)
            .header("content-type", "application/xml")
            .body(body)
    }

    /// Fails the exchange instead of answering in full.
    pub(crate) fn fault(mut self, fault: Fault) -> Self {
        self.fault = fault;
        self
    }
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// Why reading the request body failed (the client aborted it), if it did.
    pub(crate) body_error: Option<String>,
}

impl Seen {
    /// A request header as text, `""` when absent.
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

type Responder = dyn Fn(&Seen) -> Step + Send + Sync;

#[derive(Default)]
struct State {
    script: Mutex<VecDeque<Step>>,
    /// Answers every request instead of the script (concurrent tests).
    responder: Option<Box<Responder>>,
    seen: Mutex<Vec<Seen>>,
    problems: Mutex<Vec<String>>,
    arrived: tokio::sync::Notify,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The running server; checks the script on drop.
pub(crate) struct FaultServer {
    addr: std::net::SocketAddr,
    state: Arc<State>,
    accept: JoinHandle<()>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl FaultServer {
    /// Starts a server that plays `script` in order.
    pub(crate) async fn start(script: impl IntoIterator<Item = Step>) -> FaultServer {
        let state = State::default();
        lock(&state.script).extend(script);
        Self::serve(state).await
    }

    /// Starts a server that answers each request with `respond(request)`,
    /// in whatever order requests come; the step's method and path are not
    /// checked. For requests sent concurrently.
    pub(crate) async fn respond_with(
        respond: impl Fn(&Seen) -> Step + Send + Sync + 'static,
    ) -> FaultServer {
        let state = State {
            responder: Some(Box::new(respond)),
            ..State::default()
        };
        Self::serve(state).await
    }

    async fn serve(state: State) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("local_addr: {e}"));
        let state = Arc::new(state);
        let connections = Arc::new(Mutex::new(Vec::new()));
        let accept = tokio::spawn({
            let state = Arc::clone(&state);
            let connections = Arc::clone(&connections);
            async move {
                while let Ok((tcp, _)) = listener.accept().await {
                    let task = tokio::spawn(serve_connection(tcp, Arc::clone(&state)));
                    lock(&connections).push(task);
                }
            }
        });
        FaultServer {
            addr,
            state,
            accept,
            connections,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request seen so far.
    pub(crate) fn seen(&self) -> Vec<Seen> {
        lock(&self.state.seen).clone()
    }

    /// How many requests arrived.
    pub(crate) fn requests(&self) -> usize {
        lock(&self.state.seen).len()
    }

    /// Waits (at most 10 s) until `n` requests have arrived: the server may
    /// record a request after the client has already seen its outcome.
    pub(crate) async fn wait_for_requests(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let arrived = self.state.arrived.notified();
            if self.requests() >= n {
                return;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("fault server: {} of {n} requests arrived", self.requests());
            }
        }
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.accept.abort();
        let mut panicked = Vec::new();
        for task in lock(&self.connections).drain(..) {
            if task.is_finished() {
                // A finished task's panic is reported by polling it; poll once.
                let waker = std::task::Waker::noop();
                let mut cx = Context::from_waker(waker);
                let mut task = task;
                if let Poll::Ready(Err(e)) = Pin::new(&mut task).poll(&mut cx)
                    && e.is_panic()
                {
                    panicked.push(format!("{e}"));
                }
            } else {
                task.abort();
            }
        }
        if std::thread::panicking() {
            return;
        }
        assert!(
            panicked.is_empty(),
            "server connection task panicked: {panicked:?}"
        );
        let problems = lock(&self.state.problems).clone();
        assert!(problems.is_empty(), "fault server: {problems:#?}");
        let left = lock(&self.state.script).len();
        assert_eq!(left, 0, "fault server: {left} scripted requests never came");
    }
}

type ServerBody = http_body_util::combinators::BoxBody<Bytes, std::io::Error>;

async fn serve_connection(tcp: TcpStream, state: Arc<State>) {
    let reset = Arc::new(AtomicBool::new(false));
    let io = TokioIo::new(ResettableTcp {
        tcp,
        reset: Arc::clone(&reset),
    });
    let service = hyper::service::service_fn(move |req| {
        let state = Arc::clone(&state);
        let reset = Arc::clone(&reset);
        async move { handle(req, &state, &reset).await }
    });
    // Errors here are the scripted faults.
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(io, service)
        .await;
}

async fn handle(
    req: hyper::Request<Incoming>,
    state: &State,
    reset: &Arc<AtomicBool>,
) -> Result<hyper::Response<ServerBody>, std::io::Error> {
    let (parts, mut body) = req.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    // How much of the request body to read before a scripted reset.
    let read_limit = match lock(&state.script).front().map(|s| &s.fault) {
        Some(Fault::ResetDuringRequestBody(n)) if state.responder.is_none() => Some(*n),
        _ => None,
    };
    let mut received = Vec::new();
    let mut body_error = None;
    while read_limit.is_none_or(|n| received.len() < n) {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    received.extend_from_slice(&data);
                }
            }
            Some(Err(e)) => {
                body_error = Some(e.to_string());
                break;
            }
            None => break,
        }
    }
    let seen = Seen {
        method: parts.method.clone(),
        path: path.clone(),
        headers: parts.headers.clone(),
        body: Bytes::from(received),
        body_error,
    };
    lock(&state.seen).push(seen.clone());
    state.arrived.notify_waiters();
    let step = match &state.responder {
        Some(respond) => Some(respond(&seen)).map(|mut s| {
            s.method = parts.method.clone();
            s.path = path.clone();
            s
        }),
        None => lock(&state.script).pop_front(),
    };
    let Some(step) = step else {
        lock(&state.problems).push(format!("unexpected request {} {path}", parts.method));
        return Ok(plain(StatusCode::BAD_REQUEST, "unexpected request"));
    };
    if step.method != parts.method || step.path != path {
        lock(&state.problems).push(format!(
            "expected {} {}, got {} {path}",
            step.method, step.path, parts.method
        ));
        return Ok(plain(StatusCode::BAD_REQUEST, "unexpected request"));
    }
    for (name, want) in &step.want_headers {
        let got = seen.header(name);
        if got != want {
            lock(&state.problems).push(format!(
                "{} {path}: header {name} is {got:?}, expected {want:?}",
                parts.method
            ));
        }
    }
    let mut builder = hyper::Response::builder().status(step.status);
    for (name, value) in &step.headers {
        builder = builder.header(name, value);
    }
    let total = step.body.len();
    let (body, cut): (ServerBody, _) = match step.fault {
        Fault::None => (full(step.body), None),
        Fault::ResetBeforeResponse | Fault::ResetDuringRequestBody(_) => {
            reset.store(true, Ordering::SeqCst);
            return Err(std::io::Error::other("scripted reset before response"));
        }
        Fault::ResetAfter(n) => (
            CutBody::new(step.body.slice(..n), total, Cut::Reset(Arc::clone(reset))).boxed(),
            Some(n),
        ),
        Fault::TruncateAfter(n) => (
            CutBody::new(step.body.slice(..n), total, Cut::Close).boxed(),
            Some(n),
        ),
        Fault::StallAfter(n) => (
            CutBody::new(step.body.slice(..n), total, Cut::Stall).boxed(),
            Some(n),
        ),
        Fault::Hang => std::future::pending().await,
        Fault::NoLength => (UnsizedBody(Some(step.body)).boxed(), None),
    };
    if cut.is_some() {
        builder = builder.header("content-length", total.to_string());
    }
    builder
        .body(body)
        .map_err(|e| std::io::Error::other(e.to_string()))
}

fn full(bytes: Bytes) -> ServerBody {
    http_body_util::Full::new(bytes)
        .map_err(|e: Infallible| match e {})
        .boxed()
}

fn plain(status: StatusCode, text: &'static str) -> hyper::Response<ServerBody> {
    let mut r = hyper::Response::new(full(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = status;
    r
}

/// How a [`CutBody`] ends after its prefix.
enum Cut {
    Reset(Arc<AtomicBool>),
    Close,
    Stall,
}

/// A response body that sends `prefix` of a `total`-byte body, waits a
/// moment (so the prefix reaches the client), then fails as scripted.
struct CutBody {
    prefix: Option<Bytes>,
    total: usize,
    cut: Cut,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl CutBody {
    fn new(prefix: Bytes, total: usize, cut: Cut) -> Self {
        CutBody {
            prefix: Some(prefix).filter(|p| !p.is_empty()),
            total,
            cut,
            pause: None,
        }
    }
}

impl hyper::body::Body for CutBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if let Some(prefix) = self.prefix.take() {
            return Poll::Ready(Some(Ok(Frame::data(prefix))));
        }
        if matches!(self.cut, Cut::Stall) {
            return Poll::Pending;
        }
        let pause = self
            .pause
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_millis(5))));
        if pause.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        match &self.cut {
            Cut::Reset(flag) => {
                flag.store(true, Ordering::SeqCst);
                Poll::Ready(Some(Err(std::io::Error::other("scripted reset mid-body"))))
            }
            // Ending short of Content-Length makes hyper close the connection.
            Cut::Close | Cut::Stall => Poll::Ready(None),
        }
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.total as u64)
    }
}

/// A body of unknown length: hyper sends it chunked, without
/// `Content-Length`.
struct UnsizedBody(Option<Bytes>);

impl hyper::body::Body for UnsizedBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(self.0.take().map(|b| Ok(Frame::data(b))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

/// A TCP stream that, once `reset` is set, closes with RST (SO_LINGER 0)
/// instead of FIN.
struct ResettableTcp {
    tcp: TcpStream,
    reset: Arc<AtomicBool>,
}

impl Drop for ResettableTcp {
    fn drop(&mut self) {
        if self.reset.load(Ordering::SeqCst) {
            let _ = self.tcp.set_zero_linger();
        }
    }
}

impl AsyncRead for ResettableTcp {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResettableTcp {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.reset.load(Ordering::SeqCst) {
            return Poll::Ready(Err(std::io::Error::other("scripted reset")));
        }
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if self.reset.load(Ordering::SeqCst) {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

// ---------------------------------------------------------------------------
// Virtual time.

/// A clock whose sleeps return at once and are recorded; monotonic time
/// advances by what was slept. Wall-clock time is the real time plus a
/// settable error, to play a machine whose clock is off.
#[derive(Clone, Default)]
pub(crate) struct VirtualClock {
    inner: Arc<Mutex<ClockState>>,
}

#[derive(Default)]
struct ClockState {
    elapsed: Duration,
    sleeps: Vec<Duration>,
    wall_error: time::Duration,
}

impl VirtualClock {
    /// Every backoff wait so far.
    pub(crate) fn sleeps(&self) -> Vec<Duration> {
        lock(&self.inner).sleeps.clone()
    }

    /// Makes the local wall clock read `error` off the real time.
    pub(crate) fn set_wall_error(&self, error: time::Duration) {
        lock(&self.inner).wall_error = error;
    }
}

impl fmt::Debug for VirtualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VirtualClock")
    }
}

impl Clock for VirtualClock {
    fn now_utc(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + lock(&self.inner).wall_error
    }

    fn monotonic(&self) -> Duration {
        lock(&self.inner).elapsed
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        let mut s = lock(&self.inner);
        s.elapsed += duration;
        s.sleeps.push(duration);
        Box::pin(std::future::ready(()))
    }
}
