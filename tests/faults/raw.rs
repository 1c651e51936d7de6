//! A raw-TCP stand-in for the answers no HTTP library would send: endless
//! or huge heads, a body longer or shorter than its `Content-Length`, a body
//! that drips or never ends. [`server::FaultServer`](super::server) plays
//! well-formed HTTP; this plays bytes.
//!
//! Each connection reads a request head (and a `Content-Length` body), asks
//! the responder what to do with it ([`Raw`]), and plays that. The server
//! counts what it wrote on each connection and whether the client hung up
//! before the answer was over, so a test can show the client stopped early.
#![allow(dead_code, reason = "each test uses part of the kit")]

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the server does with one request.
#[derive(Debug, Clone)]
pub(crate) enum Raw {
    /// Writes these bytes, then reads the next request on the connection.
    Send(Vec<u8>),
    /// Writes `head`, then `filler` again and again until `limit` bytes of
    /// it are out (forever when `None`), waiting `gap` between writes; then
    /// closes the connection.
    Stream {
        head: Vec<u8>,
        filler: Vec<u8>,
        limit: Option<u64>,
        gap: Option<Duration>,
    },
    /// Writes `head`, then nothing more, holding the connection open until
    /// the client closes it.
    Stall(Vec<u8>),
}

/// An HTTP/1.1 answer: status line, headers and body, with the headers
/// exactly as given (no `Content-Length` is added).
pub(crate) fn answer(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n").into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// A well-formed answer with a matching `Content-Length`.
pub(crate) fn ok(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let len = body.len().to_string();
    let mut all = headers.to_vec();
    all.push(("content-length", &len));
    answer(status, &all, body)
}

type Responder = dyn Fn(&str) -> Raw + Send + Sync;

#[derive(Default)]
struct Stats {
    /// The request line of every request.
    requests: Mutex<Vec<String>>,
    /// The most bytes written on one connection.
    max_written: AtomicU64,
    /// Connections the client closed while an answer was still going out.
    hung_up: AtomicUsize,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The running server; stops accepting when dropped.
pub(crate) struct RawServer {
    addr: std::net::SocketAddr,
    stats: Arc<Stats>,
    accept: JoinHandle<()>,
}

impl RawServer {
    /// Answers each request with `respond(request head)`.
    pub(crate) async fn start(respond: impl Fn(&str) -> Raw + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("local_addr: {e}"));
        let stats = Arc::new(Stats::default());
        let respond: Arc<Responder> = Arc::new(respond);
        let accept = tokio::spawn({
            let stats = Arc::clone(&stats);
            async move {
                while let Ok((tcp, _)) = listener.accept().await {
                    tokio::spawn(serve(tcp, Arc::clone(&stats), Arc::clone(&respond)));
                }
            }
        });
        RawServer {
            addr,
            stats,
            accept,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The request line of every request so far (`GET /b/k HTTP/1.1`).
    pub(crate) fn requests(&self) -> Vec<String> {
        lock(&self.stats.requests).clone()
    }

    /// The most bytes the server wrote on one connection.
    pub(crate) fn max_written(&self) -> u64 {
        self.stats.max_written.load(Ordering::SeqCst)
    }

    /// How many connections the client closed before their answer was over.
    pub(crate) fn hung_up(&self) -> usize {
        self.stats.hung_up.load(Ordering::SeqCst)
    }

    /// Waits (at most 10 s) until some connection was closed by the client
    /// mid-answer: the server may notice after the client returned.
    pub(crate) async fn wait_for_hang_up(&self) {
        for _ in 0..1_000 {
            if self.hung_up() > 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("raw server: the client never hung up");
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn serve(mut tcp: TcpStream, stats: Arc<Stats>, respond: Arc<Responder>) {
    let mut written = 0u64;
    let mut pending = Vec::new();
    loop {
        let Some(head) = read_head(&mut tcp, &mut pending).await else {
            return;
        };
        let line = head.lines().next().unwrap_or("").to_string();
        lock(&stats.requests).push(line);
        let answer = respond(&head);
        let done = play(&mut tcp, answer, &mut written).await;
        stats.max_written.fetch_max(written, Ordering::SeqCst);
        match done {
            Played::Next => {}
            Played::Closed => return,
            Played::HungUp => {
                stats.hung_up.fetch_add(1, Ordering::SeqCst);
                return;
            }
        }
    }
}

enum Played {
    /// Ready for the next request on this connection.
    Next,
    /// The answer ended by closing the connection.
    Closed,
    /// The client closed the connection while the answer went out.
    HungUp,
}

async fn play(tcp: &mut TcpStream, answer: Raw, written: &mut u64) -> Played {
    match answer {
        Raw::Send(bytes) => {
            if send(tcp, &bytes, written).await {
                Played::Next
            } else {
                Played::HungUp
            }
        }
        Raw::Stream {
            head,
            filler,
            limit,
            gap,
        } => {
            if !send(tcp, &head, written).await {
                return Played::HungUp;
            }
            let mut sent = 0u64;
            while limit.is_none_or(|l| sent < l) {
                let n = limit.map_or(filler.len() as u64, |l| (l - sent).min(filler.len() as u64));
                let chunk = &filler[..usize::try_from(n).unwrap_or(filler.len())];
                if !send(tcp, chunk, written).await {
                    return Played::HungUp;
                }
                sent += n;
                if let Some(gap) = gap {
                    tokio::time::sleep(gap).await;
                }
            }
            let _ = tcp.shutdown().await;
            Played::Closed
        }
        Raw::Stall(head) => {
            if !send(tcp, &head, written).await {
                return Played::HungUp;
            }
            // Hold the connection until the client closes it.
            let mut sink = [0u8; 1024];
            loop {
                match tcp.read(&mut sink).await {
                    Ok(0) | Err(_) => return Played::HungUp,
                    Ok(_) => {}
                }
            }
        }
    }
}

/// Writes `bytes`, counting them; `false` when the client has gone.
async fn send(tcp: &mut TcpStream, bytes: &[u8], written: &mut u64) -> bool {
    let ok = tcp.write_all(bytes).await.is_ok();
    if ok {
        *written += bytes.len() as u64;
    }
    ok
}

/// Reads one request head and skips its `Content-Length` body; `None` when
/// the client closed the connection first.
async fn read_head(tcp: &mut TcpStream, pending: &mut Vec<u8>) -> Option<String> {
    let mut buf = [0u8; 8192];
    let end = loop {
        if let Some(i) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = tcp.read(&mut buf).await.ok().filter(|&n| n > 0)?;
        pending.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&pending[..end]).into_owned();
    pending.drain(..end);
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    while pending.len() < length {
        let n = tcp.read(&mut buf).await.ok().filter(|&n| n > 0)?;
        pending.extend_from_slice(&buf[..n]);
    }
    pending.drain(..length);
    Some(head)
}
