//! The ceiling: the least work an HTTP/1 client built on hyper can do for
//! the benchmark's requests, so that it is an upper bound for every client.
//!
//! - Requests go unsigned, without checksums; request bodies are the
//!   caller's chunks, sliced into frames of at most 64 KiB (no copy).
//! - Each connection is driven by the task that uses it. hyper-util's pool
//!   (which every client here uses) runs each connection on its own spawned
//!   task and hands response bodies over a channel, so every chunk read
//!   crosses tasks (and often threads). Here a request takes an idle
//!   connection, polls it together with its own exchange, and puts it back:
//!   no task hop, no cross-thread wake-ups, and the read buffer stays in the
//!   reading core's cache. On a 1 GiB GET this is about a third faster than
//!   the pool with the same settings (`TCP_NODELAY`, hyper's default read
//!   buffer) when the reader is outside the runtime's workers.
//! - Its read buffer grows to 4 MiB ([`READ_BUFFER`]), so large bodies come
//!   in fewer reads.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::client::conn::http1::{Builder, Connection, SendRequest};
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use tower_service::Service;

use crate::clients::{BoxError, R};

type Stream = MaybeHttpsStream<TokioIo<tokio::net::TcpStream>>;

/// The ceiling's read buffer: up to 4 MiB (hyper's default, which the
/// clients keep, is 8 KiB + 400 KiB), so a large body comes in fewer,
/// larger reads: a 1 GiB GET took 0.27 s median against 0.37 s with the
/// default, on the same connection driving.
const READ_BUFFER: usize = 4 * 1024 * 1024;

/// One idle HTTP/1 connection: its request half and the connection state
/// machine, which only the task holding it polls.
struct Idle {
    send: SendRequest<ChunkBody>,
    conn: Pin<Box<Connection<Stream, ChunkBody>>>,
}

/// What an exchange returns: the response head and the body's length, with
/// the body itself when the caller asked to keep it.
pub(crate) struct Exchange {
    pub(crate) head: http::response::Parts,
    pub(crate) len: u64,
    pub(crate) body: Bytes,
}

/// The ceiling client: a stack of idle connections to one endpoint.
pub(crate) struct Ceiling {
    connector: Mutex<HttpsConnector<HttpConnector>>,
    idle: Mutex<Vec<Idle>>,
    /// `http(s)://host:port/bucket`.
    pub(crate) base: String,
}

impl Ceiling {
    /// A ceiling for `base` (`http(s)://host:port/bucket`): `TCP_NODELAY` (as
    /// every client sets), rustls trusting `ca_pem` over `https://`.
    pub(crate) fn new(base: String, ca_pem: Option<&str>) -> R<Arc<Ceiling>> {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.enforce_http(false);
        let mut roots = rustls::RootCertStore::empty();
        if let Some(pem) = ca_pem {
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                roots.add(cert?)?;
            }
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Arc::new(Ceiling {
            connector: Mutex::new(connector),
            idle: Mutex::new(Vec::new()),
            base,
        }))
    }

    /// Sends `method` to `url` with `range` and `body`, reads the whole
    /// response body (kept only when `keep`), and returns the connection to
    /// the idle stack. A non-2xx status is an error.
    pub(crate) async fn send(
        &self,
        method: &str,
        url: &str,
        range: Option<String>,
        body: ChunkBody,
        keep: bool,
    ) -> R<Exchange> {
        let uri: http::Uri = url.parse()?;
        let mut req = http::Request::builder().method(method).uri(&uri);
        if let Some(authority) = uri.authority() {
            req = req.header(http::header::HOST, authority.as_str());
        }
        if let Some(r) = range {
            req = req.header(http::header::RANGE, r);
        }
        // HTTP/1 requests carry the path and query only.
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let req = req.uri(path).body(body)?;
        let taken = self.idle.lock().map_err(|_| "poisoned")?.pop();
        let Idle { mut send, mut conn } = match taken {
            Some(idle) => idle,
            None => self.connect(uri).await?,
        };
        let exchange = drive(conn.as_mut(), async {
            send.ready().await?;
            let (head, mut incoming) = send.send_request(req).await?.into_parts();
            let (mut len, mut kept) = (0u64, BytesMut::new());
            while let Some(frame) = incoming.frame().await {
                if let Some(d) = frame?.data_ref() {
                    len += d.len() as u64;
                    if keep {
                        kept.extend_from_slice(d);
                    }
                }
            }
            Ok::<_, BoxError>(Exchange {
                head,
                len,
                body: kept.freeze(),
            })
        })
        .await??;
        self.idle
            .lock()
            .map_err(|_| "poisoned")?
            .push(Idle { send, conn });
        if !exchange.head.status.is_success() {
            return Err(format!("{method} {url}: {}", exchange.head.status).into());
        }
        Ok(exchange)
    }

    /// A new connection to `uri`'s host, after its handshake.
    async fn connect(&self, uri: http::Uri) -> R<Idle> {
        let connecting = self.connector.lock().map_err(|_| "poisoned")?.call(uri);
        let io = connecting.await?;
        let (send, conn) = Builder::new()
            .max_buf_size(READ_BUFFER)
            .handshake(io)
            .await?;
        Ok(Idle {
            send,
            conn: Box::pin(conn),
        })
    }
}

/// Runs `exchange` while polling `conn` in the same task; a connection that
/// ends first (closed by the server or failed) is an error.
async fn drive<F: Future>(
    mut conn: Pin<&mut Connection<Stream, ChunkBody>>,
    exchange: F,
) -> R<F::Output> {
    let mut exchange = std::pin::pin!(exchange);
    std::future::poll_fn(|cx| {
        if let std::task::Poll::Ready(out) = exchange.as_mut().poll(cx) {
            return std::task::Poll::Ready(Ok(out));
        }
        match conn.as_mut().poll(cx) {
            std::task::Poll::Ready(Ok(())) => {
                std::task::Poll::Ready(Err("the connection closed mid-exchange".into()))
            }
            std::task::Poll::Ready(Err(e)) => std::task::Poll::Ready(Err(e.into())),
            std::task::Poll::Pending => std::task::Poll::Pending,
        }
    })
    .await
}

/// The largest body frame the ceiling hands hyper: 64 KiB. Over TLS hyper
/// copies each frame into its write buffer (rustls takes no vectored
/// writes), and a 16 MiB frame copied whole falls out of the cache; 64 KiB
/// slices (no copy of the caller's data) stay in it, as s3lite's pieces do.
const FRAME: usize = 64 * 1024;

/// The ceiling's request body: the caller's chunks, sliced into frames of
/// at most [`FRAME`] bytes, with their total as Content-Length, so the
/// ceiling copies nothing.
pub(crate) struct ChunkBody {
    chunks: std::collections::VecDeque<Bytes>,
    remaining: u64,
}

impl ChunkBody {
    /// A body of `chunks`, sent without a copy.
    pub(crate) fn new(chunks: Vec<Bytes>) -> ChunkBody {
        let remaining = chunks.iter().map(|c| c.len() as u64).sum();
        ChunkBody {
            chunks: chunks.into(),
            remaining,
        }
    }
}

impl From<Bytes> for ChunkBody {
    fn from(one: Bytes) -> ChunkBody {
        ChunkBody::new(if one.is_empty() {
            Vec::new()
        } else {
            vec![one]
        })
    }
}

impl hyper::body::Body for ChunkBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        let mut next = self.chunks.pop_front();
        if let Some(c) = &mut next {
            if c.len() > FRAME {
                let rest = c.split_off(FRAME);
                self.chunks.push_front(rest);
            }
            self.remaining -= c.len() as u64;
        }
        std::task::Poll::Ready(next.map(|c| Ok(hyper::body::Frame::data(c))))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(self.remaining)
    }
}
