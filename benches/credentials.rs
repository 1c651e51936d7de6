//! The cached credentials path: what every request pays once credentials are
//! cached (target: under 100 ns).

#![allow(missing_docs, reason = "criterion_group! generates undocumented items")]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use s3lite::credentials::{CachingProvider, CredentialProvider, Credentials, FnProvider};

fn cached_path(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let expiry = time::OffsetDateTime::now_utc() + time::Duration::hours(6);
    let provider = CachingProvider::new(FnProvider::from_sync(move || {
        Ok(Credentials::new("AKID", "secret")
            .with_session_token("token")
            .with_expiry(expiry))
    }));
    runtime
        .block_on(provider.credentials())
        .expect("first fetch");
    c.bench_function("credentials/cached", |b| {
        b.iter(|| {
            // The future completes on its first poll: no I/O, no lock wait.
            let fut = provider.credentials();
            black_box(runtime.block_on(fut).expect("cached"));
        });
    });
    let waker = std::task::Waker::noop();
    c.bench_function("credentials/cached_poll_once", |b| {
        b.iter(|| {
            let mut fut = provider.credentials();
            let mut cx = std::task::Context::from_waker(waker);
            let _ = black_box(fut.as_mut().poll(&mut cx));
        });
    });
}

/// The hot path from two threads at once (as a store's requests on a
/// multi-thread runtime): per-call time while another thread reads too.
fn cached_path_contended(c: &mut Criterion) {
    let expiry = time::OffsetDateTime::now_utc() + time::Duration::hours(6);
    let provider = CachingProvider::new(FnProvider::from_sync(move || {
        Ok(Credentials::new("AKID", "secret").with_expiry(expiry))
    }));
    let waker = std::task::Waker::noop();
    let poll_once = |p: &CachingProvider| {
        let mut fut = p.credentials();
        let mut cx = std::task::Context::from_waker(waker);
        let _ = black_box(fut.as_mut().poll(&mut cx));
    };
    poll_once(&provider);
    c.bench_function("credentials/cached_two_threads", |b| {
        b.iter_custom(|iters| {
            std::thread::scope(|s| {
                let other = s.spawn(|| {
                    let started = std::time::Instant::now();
                    for _ in 0..iters {
                        poll_once(&provider);
                    }
                    started.elapsed()
                });
                let started = std::time::Instant::now();
                for _ in 0..iters {
                    poll_once(&provider);
                }
                let mine = started.elapsed();
                mine.max(other.join().unwrap_or(mine))
            })
        });
    });
}

/// The cache's read primitive against the one it replaced, in the same run:
/// an `arc_swap::ArcSwapOption` load (lock-free) and a `std::sync::RwLock`
/// read, each followed by the `Arc` clone the hot path makes, on one thread
/// and with a second thread reading the same cell.
fn read_primitive(c: &mut Criterion) {
    use std::sync::{Arc, RwLock};
    let creds = Arc::new(Credentials::new("AKID", "secret"));
    let swap = arc_swap::ArcSwapOption::from(Some(Arc::clone(&creds)));
    let lock = RwLock::new(Some(Arc::clone(&creds)));
    let read_swap = || black_box(swap.load().as_ref().map(Arc::clone));
    let read_lock = || {
        let guard = lock
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        black_box(guard.as_ref().map(Arc::clone))
    };
    c.bench_function("credentials/read_arcswap", |b| b.iter(read_swap));
    c.bench_function("credentials/read_rwlock", |b| b.iter(read_lock));
    fn two_threads<F: Fn() -> R + Sync, R>(iters: u64, read: &F) -> std::time::Duration {
        std::thread::scope(|s| {
            let other = s.spawn(|| {
                let started = std::time::Instant::now();
                for _ in 0..iters {
                    read();
                }
                started.elapsed()
            });
            let started = std::time::Instant::now();
            for _ in 0..iters {
                read();
            }
            let mine = started.elapsed();
            mine.max(other.join().unwrap_or(mine))
        })
    }
    c.bench_function("credentials/read_arcswap_two_threads", |b| {
        b.iter_custom(|iters| two_threads(iters, &read_swap))
    });
    c.bench_function("credentials/read_rwlock_two_threads", |b| {
        b.iter_custom(|iters| two_threads(iters, &read_lock))
    });
}

criterion_group!(benches, cached_path, cached_path_contended, read_primitive);
criterion_main!(benches);
