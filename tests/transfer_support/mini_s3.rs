//! A minimal in-process S3 endpoint on 127.0.0.1:0 for transfer tests and
//! benchmarks: it discards uploads, serves objects of a given size made of a
//! fixed pattern, answers ListObjectsV2 with generated pages, and can inject
//! faults. Included with `#[path]` by `tests/transfer_faults.rs`,
//! `benches/transfer_memory.rs` and the peer comparison
//! (`benches/compare/src/main.rs`, which runs it in its own process).
#![allow(dead_code, reason = "each includer uses a different part")]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// What the server does.
#[derive(Debug, Clone, Default)]
pub(crate) struct Script {
    /// The size of the object served at every key.
    pub(crate) object_size: u64,
    /// UploadPart of this part number fails with 400 InvalidArgument.
    pub(crate) fail_part: Option<u32>,
    /// GET bodies break (connection reset) after this many bytes.
    pub(crate) truncate_get_after: Option<u64>,
    /// GET bodies stop sending (stall) after this many bytes.
    pub(crate) stall_get_after: Option<u64>,
    /// Keys starting with one of these prefixes have that size instead of
    /// `object_size` (the first match wins).
    pub(crate) sizes: Vec<(String, u64)>,
    /// ListObjectsV2 (`GET /bucket?list-type=2`) lists this many keys,
    /// `list/000000`, `list/000001`, ..., 1,000 (or `max-keys`) per page.
    pub(crate) list_keys: u32,
    /// Do not log requests or count upload bytes (benchmarks: the log grows
    /// without bound).
    pub(crate) quiet: bool,
}

impl Script {
    /// The size of the object at `key`.
    fn size_of(&self, key: &str) -> u64 {
        self.sizes
            .iter()
            .find(|(prefix, _)| key.starts_with(prefix.as_str()))
            .map_or(self.object_size, |&(_, size)| size)
    }
}

/// `Last-Modified` of every object (object_store requires the header).
const LAST_MODIFIED: &str = "Mon, 01 Jun 2026 10:00:00 GMT";

/// A running server: its address and the requests it saw.
pub(crate) struct MiniS3 {
    pub(crate) addr: SocketAddr,
    /// Served over TLS.
    https: bool,
    /// `METHOD path?query len=<body bytes>` of every request, in the order
    /// their bodies were read.
    pub(crate) log: Arc<Mutex<Vec<String>>>,
    /// Upload body bytes received.
    pub(crate) received: Arc<Mutex<u64>>,
}

impl MiniS3 {
    /// Serves plain HTTP.
    pub(crate) async fn start(script: Script) -> MiniS3 {
        Self::serve(script, None).await
    }

    /// Serves HTTPS with `tls` (the benchmark's `--tls 1`).
    pub(crate) async fn start_tls(script: Script, tls: tokio_rustls::TlsAcceptor) -> MiniS3 {
        Self::serve(script, Some(tls)).await
    }

    async fn serve(script: Script, tls: Option<tokio_rustls::TlsAcceptor>) -> MiniS3 {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let received = Arc::new(Mutex::new(0u64));
        let state = Arc::new((script, Arc::clone(&log), Arc::clone(&received)));
        let https = tls.is_some();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                // Answers go out at once: no Nagle wait between head and body.
                let _ = tcp.set_nodelay(true);
                let state = Arc::clone(&state);
                let tls = tls.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let state = Arc::clone(&state);
                        async move {
                            Ok::<_, Infallible>(handle(&state.0, &state.1, &state.2, req).await)
                        }
                    });
                    let http = hyper::server::conn::http1::Builder::new();
                    let _ = match tls {
                        Some(tls) => match tls.accept(tcp).await {
                            Ok(stream) => {
                                http.serve_connection(TokioIo::new(stream), service).await
                            }
                            Err(_) => return,
                        },
                        None => http.serve_connection(TokioIo::new(tcp), service).await,
                    };
                });
            }
        });
        MiniS3 {
            addr,
            https,
            log,
            received,
        }
    }

    /// `http://127.0.0.1:port` (or `https://` over TLS).
    pub(crate) fn endpoint(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// A store for bucket `b` on this server, unsigned.
    pub(crate) fn store(&self) -> s3lite::S3Store {
        s3lite::S3Store::builder()
            .bucket("b")
            .endpoint(self.endpoint())
            .allow_http(true)
            .skip_signature(true)
            .build()
            .expect("store")
    }

    /// The logged requests that start with `prefix`.
    pub(crate) fn requests(&self, prefix: &str) -> Vec<String> {
        let log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        log.iter()
            .filter(|l| l.starts_with(prefix))
            .cloned()
            .collect()
    }
}

/// The object's byte at `offset`.
pub(crate) fn byte_at(offset: u64) -> u8 {
    (offset % 251) as u8
}

async fn handle(
    script: &Script,
    log: &Mutex<Vec<String>>,
    received: &Mutex<u64>,
    req: Request<Incoming>,
) -> Response<ServerBody> {
    respond(script, log, received, req)
        .await
        .unwrap_or_else(|_| Response::new(ServerBody::empty()))
}

async fn respond(
    script: &Script,
    log: &Mutex<Vec<String>>,
    received: &Mutex<u64>,
    req: Request<Incoming>,
) -> Result<Response<ServerBody>, http::Error> {
    let query = req.uri().query().unwrap_or("").to_string();
    let line = format!("{} {}?{query}", req.method(), req.uri().path());
    let method = req.method().clone();
    let has = |name: &str| {
        query
            .split('&')
            .any(|p| p == name || p.starts_with(&format!("{name}=")))
    };
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|p| p.strip_prefix(&format!("{name}=")))
            .map(str::to_string)
    };
    let range = req
        .headers()
        .get("range")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let sent = drain(req.into_body()).await;
    if !script.quiet {
        log.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(format!("{line} len={sent}"));
        *received.lock().unwrap_or_else(|p| p.into_inner()) += sent;
    }
    // Path style: `/bucket` or `/bucket/key`.
    let key = line
        .split_once(' ')
        .map_or("", |(_, p)| p)
        .split('?')
        .next()
        .unwrap_or("")
        .trim_start_matches('/')
        .split_once('/')
        .map_or("", |(_, k)| k);
    let size = script.size_of(key);
    match method {
        Method::GET if has("list-type") => {
            let start = param("continuation-token")
                .and_then(|t| t.parse().ok())
                .unwrap_or(0u32);
            let max = param("max-keys")
                .and_then(|t| t.parse().ok())
                .unwrap_or(1000u32);
            xml_owned(list_page(start, max, script.list_keys))
        }
        // ListParts after an abort: the upload is gone.
        Method::GET if has("uploadId") => xml(
            StatusCode::NOT_FOUND,
            "<Error><Code>NoSuchUpload</Code><Message>aborted</Message></Error>",
        ),
        Method::HEAD => Response::builder()
            .header("content-length", size)
            .header("etag", "\"mini\"")
            .header("last-modified", LAST_MODIFIED)
            .body(ServerBody::empty()),
        Method::GET => {
            let (start, end) = match range.as_deref().and_then(parse_range) {
                Some((a, b)) => (a, b.min(size.saturating_sub(1)) + 1),
                None => (0, size),
            };
            let mut builder = Response::builder()
                .header("content-length", end - start)
                .header("etag", "\"mini\"")
                .header("last-modified", LAST_MODIFIED);
            builder = if range.is_some() {
                builder
                    .status(StatusCode::PARTIAL_CONTENT)
                    .header("content-range", format!("bytes {start}-{}/{size}", end - 1))
            } else {
                builder
            };
            builder.body(ServerBody::pattern(start, end, script))
        }
        Method::POST if has("uploads") => xml(
            StatusCode::OK,
            "<InitiateMultipartUploadResult><UploadId>up1</UploadId></InitiateMultipartUploadResult>",
        ),
        Method::PUT if has("partNumber") => {
            let n: u32 = param("partNumber")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            if script.fail_part == Some(n) {
                return xml(
                    StatusCode::BAD_REQUEST,
                    "<Error><Code>InvalidArgument</Code><Message>injected</Message></Error>",
                );
            }
            Response::builder()
                .header("etag", format!("\"p{n}\""))
                .body(ServerBody::empty())
        }
        Method::POST if has("uploadId") => xml(
            StatusCode::OK,
            "<CompleteMultipartUploadResult><ETag>\"done-1\"</ETag></CompleteMultipartUploadResult>",
        ),
        Method::DELETE if has("uploadId") => Response::builder()
            .status(StatusCode::NO_CONTENT)
            .body(ServerBody::empty()),
        Method::PUT => Response::builder()
            .header("etag", "\"single\"")
            .body(ServerBody::empty()),
        _ => xml(
            StatusCode::NOT_IMPLEMENTED,
            "<Error><Code>NotImplemented</Code></Error>",
        ),
    }
}

fn xml(status: StatusCode, body: &'static str) -> Result<Response<ServerBody>, http::Error> {
    Response::builder()
        .status(status)
        .header("content-type", "application/xml")
        .body(ServerBody::fixed(Bytes::from_static(body.as_bytes())))
}

fn xml_owned(body: String) -> Result<Response<ServerBody>, http::Error> {
    Response::builder()
        .header("content-type", "application/xml")
        .body(ServerBody::fixed(Bytes::from(body)))
}

/// A ListObjectsV2 page of keys `list/{start:06}`.. (at most `max`, of
/// `total`); the continuation token is the next index.
fn list_page(start: u32, max: u32, total: u32) -> String {
    use std::fmt::Write as _;
    let end = start.saturating_add(max.max(1)).min(total);
    let mut body = String::with_capacity(64 + 200 * (end.saturating_sub(start)) as usize);
    body.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix>list/</Prefix>");
    let _ = write!(
        body,
        "<KeyCount>{}</KeyCount><MaxKeys>{max}</MaxKeys><IsTruncated>{}</IsTruncated>",
        end.saturating_sub(start),
        end < total
    );
    if end < total {
        let _ = write!(body, "<NextContinuationToken>{end}</NextContinuationToken>");
    }
    for i in start..end {
        let _ = write!(
            body,
            "<Contents><Key>list/{i:06}</Key><LastModified>2026-06-01T10:00:00.000Z</LastModified>\
             <ETag>&quot;{i:032x}&quot;</ETag><Size>{}</Size><StorageClass>STANDARD</StorageClass></Contents>",
            i % 4096
        );
    }
    body.push_str("</ListBucketResult>");
    body
}

fn parse_range(v: &str) -> Option<(u64, u64)> {
    let (a, b) = v.strip_prefix("bytes=")?.split_once('-')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// Reads and discards a request body; returns its length.
async fn drain(mut body: Incoming) -> u64 {
    let mut n = 0;
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        match frame {
            Ok(f) => n += f.data_ref().map_or(0, |d| d.len() as u64),
            Err(_) => break,
        }
    }
    n
}

/// 64 KiB pieces of the pattern, sliced from one shared buffer.
const PIECE: usize = 64 * 1024;

fn pattern_buffer() -> Bytes {
    static BUF: std::sync::OnceLock<Bytes> = std::sync::OnceLock::new();
    BUF.get_or_init(|| {
        (0..PIECE as u64 + 251)
            .map(byte_at)
            .collect::<Vec<u8>>()
            .into()
    })
    .clone()
}

/// A response body: empty, fixed, or the pattern from `pos` to `end`.
pub(crate) struct ServerBody {
    fixed: Option<Bytes>,
    pos: u64,
    end: u64,
    break_at: Option<u64>,
    stall_at: Option<u64>,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl ServerBody {
    fn empty() -> Self {
        ServerBody::fixed(Bytes::new())
    }

    fn fixed(b: Bytes) -> Self {
        ServerBody {
            fixed: Some(b),
            pos: 0,
            end: 0,
            break_at: None,
            stall_at: None,
            sleep: None,
        }
    }

    fn pattern(start: u64, end: u64, script: &Script) -> Self {
        ServerBody {
            fixed: None,
            pos: start,
            end,
            break_at: script.truncate_get_after.map(|n| start + n),
            stall_at: script.stall_get_after.map(|n| start + n),
            sleep: None,
        }
    }
}

impl Body for ServerBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if let Some(b) = this.fixed.take() {
            return Poll::Ready((!b.is_empty()).then(|| Ok(Frame::data(b))));
        }
        if this.pos >= this.end {
            return Poll::Ready(None);
        }
        if this.break_at.is_some_and(|at| this.pos >= at) {
            return Poll::Ready(Some(Err("injected: body cut short".into())));
        }
        if this.stall_at.is_some_and(|at| this.pos >= at) {
            let sleep = this
                .sleep
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_secs(3600))));
            return sleep.as_mut().poll(cx).map(|_| None);
        }
        let mut n = (this.end - this.pos).min(PIECE as u64);
        for limit in [this.break_at, this.stall_at].into_iter().flatten() {
            if limit > this.pos {
                n = n.min(limit - this.pos);
            }
        }
        let skew = (this.pos % 251) as usize;
        let piece = pattern_buffer().slice(skew..skew + n as usize);
        this.pos += n;
        Poll::Ready(Some(Ok(Frame::data(piece))))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.fixed {
            Some(b) => SizeHint::with_exact(b.len() as u64),
            None => SizeHint::with_exact(self.end - self.pos),
        }
    }
}
