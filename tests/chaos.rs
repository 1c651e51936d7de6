//! Chaos: 200 mixed operations against LocalStack through a TCP proxy that
//! resets connections at random (seeded; at most [`MAX_RESETS`] resets, and
//! none after [`CHAOS_WINDOW`]). Every byte read back must be what was
//! written, and no multipart upload may be left behind.
//!
//! Runs when LocalStack is up (`S3LITE_LOCALSTACK_ENDPOINT`, see
//! `scripts/s3-servers`); skipped otherwise, failed under
//! `S3LITE_REQUIRE_SERVERS=1`. `S3LITE_CHAOS_SEED` picks another seed.
#![cfg(feature = "hyper-rustls")]
#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use s3lite::retry::RetryConfig;
use s3lite::{ErrorKind, S3Store};
use tokio::net::{TcpListener, TcpStream};

const WORKERS: usize = 4;
const OPS_PER_WORKER: usize = 50;
const MAX_RESETS: usize = 60;
const CHAOS_WINDOW: Duration = Duration::from_secs(20);
/// Chance (in percent) that a new connection is reset at some point.
const RESET_PERCENT: u64 = 40;

/// xorshift64*: seeded, reproducible choices.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

// ---------------------------------------------------------------------------
// The proxy

struct Chaos {
    rng: Mutex<Rng>,
    resets: AtomicUsize,
    connections: AtomicUsize,
    until: Instant,
}

/// Where a connection is cut: after `bytes` bytes in one direction.
#[derive(Clone, Copy)]
enum Plan {
    Pass,
    /// Cut while the request goes up (mid-upload, or before it is complete).
    Up(u64),
    /// Cut while the answer comes down (before it, or mid-body).
    Down(u64),
}

impl Chaos {
    fn plan(&self) -> Plan {
        self.connections.fetch_add(1, Ordering::Relaxed);
        if Instant::now() > self.until || self.resets.load(Ordering::Relaxed) >= MAX_RESETS {
            return Plan::Pass;
        }
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        if rng.below(100) >= RESET_PERCENT {
            return Plan::Pass;
        }
        // Mostly within the request or answer head (heads are ~1 KiB),
        // sometimes deep inside a body.
        let depth = if rng.below(2) == 0 { 1_500 } else { 150_000 };
        match rng.below(3) {
            0 => Plan::Up(rng.below(depth)),
            _ => Plan::Down(rng.below(depth)),
        }
    }
}

async fn start_proxy(upstream: SocketAddr, chaos: Arc<Chaos>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let chaos = Arc::clone(&chaos);
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                relay(client, server, chaos).await;
            });
        }
    });
    addr
}

/// Copies both ways until either side closes, or resets the client
/// connection (RST) where the plan says.
async fn relay(client: TcpStream, server: TcpStream, chaos: Arc<Chaos>) {
    let (up_limit, down_limit) = match chaos.plan() {
        Plan::Pass => (None, None),
        Plan::Up(n) => (Some(n), None),
        Plan::Down(n) => (None, Some(n)),
    };
    let cut = tokio::select! {
        cut = pump(&client, &server, up_limit) => cut,
        cut = pump(&server, &client, down_limit) => cut,
    };
    if cut {
        // Closing with SO_LINGER 0 sends RST instead of FIN.
        let _ = client.set_zero_linger();
        let _ = server.set_zero_linger();
        chaos.resets.fetch_add(1, Ordering::Relaxed);
    }
}

/// Copies `from` to `to`: `true` when `limit` bytes were copied (cut here),
/// `false` at EOF or on an error.
async fn pump(from: &TcpStream, to: &TcpStream, limit: Option<u64>) -> bool {
    let mut buf = vec![0u8; 16 * 1024];
    let mut copied = 0u64;
    loop {
        let Ok(n) = read(from, &mut buf).await else {
            return false;
        };
        if n == 0 {
            return false;
        }
        let take = match limit {
            Some(limit) => n.min(usize::try_from(limit - copied).unwrap_or(n)),
            None => n,
        };
        if write_all(to, &buf[..take]).await.is_err() {
            return false;
        }
        copied += take as u64;
        if limit.is_some_and(|l| copied >= l) {
            return true;
        }
    }
}

async fn read(s: &TcpStream, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        s.readable().await?;
        match s.try_read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            other => return other,
        }
    }
}

async fn write_all(s: &TcpStream, mut buf: &[u8]) -> std::io::Result<()> {
    while !buf.is_empty() {
        s.writable().await?;
        match s.try_write(buf) {
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The workload

fn payload(rng: &mut Rng) -> Bytes {
    let len = match rng.below(10) {
        0 => 0,
        1..=5 => rng.below(4_096),
        _ => rng.below(300_000),
    } as usize;
    let seed = rng.next();
    (0..len)
        .map(|i| (seed.wrapping_add(i as u64 * 2_654_435_761) >> 24) as u8)
        .collect()
}

fn retry() -> RetryConfig {
    let mut retry = RetryConfig::default();
    retry.init_backoff = Duration::from_millis(5);
    retry.max_backoff = Duration::from_millis(50);
    retry
}

/// One worker: `OPS_PER_WORKER` operations on keys `w<id>/...`, checked
/// against an in-memory model.
async fn worker(id: usize, store: S3Store, seed: u64) -> BTreeMap<String, Bytes> {
    let mut rng = Rng::new(seed ^ (id as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut model: BTreeMap<String, Bytes> = BTreeMap::new();
    let prefix = format!("w{id}/");
    for op in 0..OPS_PER_WORKER {
        let key = format!("{prefix}k{}", rng.below(6));
        let what = format!("worker {id} op {op}");
        match rng.below(9) {
            0 | 1 => {
                let data = payload(&mut rng);
                store
                    .put(&key, data.clone())
                    .await
                    .unwrap_or_else(|e| panic!("{what}: put {key}: {e}"));
                model.insert(key, data);
            }
            2 => match (store.get(&key).await, model.get(&key)) {
                (Ok(got), Some(want)) => {
                    let got = got
                        .bytes()
                        .await
                        .unwrap_or_else(|e| panic!("{what}: get {key}: {e}"));
                    assert!(got == *want, "{what}: get {key}: bytes differ");
                }
                (Err(e), None) => assert_eq!(e.kind(), ErrorKind::NotFound, "{what}: {e}"),
                (Ok(_), None) => panic!("{what}: get {key}: found a deleted object"),
                (Err(e), Some(_)) => panic!("{what}: get {key}: {e}"),
            },
            3 => {
                if let Some(want) = model.get(&key).filter(|w| w.len() > 10) {
                    let len = want.len() as u64;
                    let start = rng.below(len - 1);
                    let end = start + 1 + rng.below(len - start - 1);
                    let got = store
                        .get_range(&key, start..end)
                        .await
                        .unwrap_or_else(|e| panic!("{what}: range {key}: {e}"))
                        .bytes()
                        .await
                        .unwrap_or_else(|e| panic!("{what}: range {key}: {e}"));
                    assert!(
                        got == want.slice(start as usize..end as usize),
                        "{what}: range {key} {start}..{end}: bytes differ"
                    );
                }
            }
            4 => match (store.head(&key).await, model.get(&key)) {
                (Ok(meta), Some(want)) => assert_eq!(meta.size, want.len() as u64, "{what}"),
                (Err(e), None) => assert_eq!(e.kind(), ErrorKind::NotFound, "{what}: {e}"),
                (got, want) => panic!("{what}: head {key}: {got:?} vs {:?}", want.is_some()),
            },
            5 => {
                let listed: Vec<String> = store
                    .list(Some(&prefix))
                    .collect()
                    .await
                    .unwrap_or_else(|e| panic!("{what}: list: {e}"))
                    .into_iter()
                    .map(|m| m.key)
                    .collect();
                let want: Vec<String> = model.keys().cloned().collect();
                assert_eq!(listed, want, "{what}: list");
            }
            6 => {
                let to = format!("{prefix}k{}", rng.below(6));
                if let Some(data) = model.get(&key).cloned().filter(|_| to != key) {
                    store
                        .copy(&key, &to)
                        .await
                        .unwrap_or_else(|e| panic!("{what}: copy {key} -> {to}: {e}"));
                    model.insert(to, data);
                }
            }
            7 => {
                store
                    .delete(&key)
                    .await
                    .unwrap_or_else(|e| panic!("{what}: delete {key}: {e}"));
                model.remove(&key);
            }
            _ => {
                let data = payload(&mut rng);
                multipart(&store, &key, data.clone(), &what).await;
                model.insert(key, data);
            }
        }
    }
    model
}

/// A one-part multipart upload that copes with what a lossy network does to
/// the two calls that are not simply repeatable.
async fn multipart(store: &S3Store, key: &str, data: Bytes, what: &str) {
    let mut tries = 0;
    let upload_id = loop {
        tries += 1;
        match store.create_multipart_upload(key).await {
            Ok(id) => break id,
            // The answer was lost after S3 may have made an upload: find and
            // abort it, then start again.
            Err(e)
                if tries < 5 && matches!(e.kind(), ErrorKind::Transport | ErrorKind::Timeout) =>
            {
                abort_all(store, Some(key)).await;
            }
            Err(e) => panic!("{what}: create upload {key}: {e}"),
        }
    };
    let part = match store.upload_part(key, &upload_id, 1, data.clone()).await {
        Ok(part) => part,
        Err(e) => {
            let _ = store.abort_multipart_upload(key, &upload_id).await;
            panic!("{what}: upload part {key}: {e}");
        }
    };
    match store
        .complete_multipart_upload(key, &upload_id, &[part])
        .await
    {
        Ok(_) => {}
        // A retry after a lost answer of a complete that worked finds the
        // upload gone; the object must then be the one uploaded.
        Err(e) if e.kind() == ErrorKind::NotFound && e.s3_code() == Some("NoSuchUpload") => {
            let got = store.get(key).await.unwrap().bytes().await.unwrap();
            assert!(got == data, "{what}: completed object differs");
        }
        Err(e) => {
            let _ = store.abort_multipart_upload(key, &upload_id).await;
            panic!("{what}: complete {key}: {e}");
        }
    }
}

async fn abort_all(store: &S3Store, prefix: Option<&str>) {
    if let Ok(uploads) = store.list_multipart_uploads(prefix).await {
        for u in uploads {
            let _ = store.abort_multipart_upload(&u.key, &u.upload_id).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn chaos_mixed_operations_survive_connection_resets() {
    let Some(server) = common::Server::localstack() else {
        return;
    };
    let seed = std::env::var("S3LITE_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_CA05);
    let bucket = common::unique_bucket("chaos");
    let direct = server.store(&bucket).unwrap();
    direct.create_bucket().await.unwrap();

    let host = server
        .endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let upstream = tokio::net::lookup_host(host).await.unwrap().next().unwrap();
    let chaos = Arc::new(Chaos {
        rng: Mutex::new(Rng::new(seed)),
        resets: AtomicUsize::new(0),
        connections: AtomicUsize::new(0),
        until: Instant::now() + CHAOS_WINDOW,
    });
    let proxy = start_proxy(upstream, Arc::clone(&chaos)).await;
    // One connection per exchange, so each request meets its own chance of
    // a cut (the proxy plans per connection); kept-alive connections would
    // let the few that are never cut carry the whole workload.
    let store = server
        .store_builder(&bucket)
        .endpoint(format!("http://{proxy}"))
        .default_header("connection", "close")
        .retry(retry())
        .build()
        .unwrap();

    let started = Instant::now();
    let workers: Vec<_> = (0..WORKERS)
        .map(|id| tokio::spawn(worker(id, store.clone(), seed)))
        .collect();
    let mut model = BTreeMap::new();
    let mut failure = None;
    for w in workers {
        match w.await {
            Ok(m) => model.extend(m),
            Err(e) => failure = failure.or(Some(e)),
        }
    }
    let resets = chaos.resets.load(Ordering::Relaxed);
    let connections = chaos.connections.load(Ordering::Relaxed);
    eprintln!(
        "chaos: seed {seed:#x}, {} ops in {:.1}s, {resets} resets over {connections} connections",
        WORKERS * OPS_PER_WORKER,
        started.elapsed().as_secs_f64()
    );

    // Checked without chaos: every object byte for byte, no upload left.
    let leftover = direct.list_multipart_uploads(None).await.unwrap();
    let mut mismatched = Vec::new();
    for (key, want) in &model {
        let got = direct.get(key).await.unwrap().bytes().await.unwrap();
        if got != *want {
            mismatched.push(key.clone());
        }
    }
    abort_all(&direct, None).await;
    common::cleanup(&direct).await;
    if let Some(e) = failure {
        std::panic::resume_unwind(e.into_panic());
    }
    assert!(mismatched.is_empty(), "objects differ: {mismatched:?}");
    assert!(leftover.is_empty(), "multipart uploads left: {leftover:?}");
    assert!(resets >= 10, "only {resets} resets: the chaos did not bite");
}
