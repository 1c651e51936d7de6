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

criterion_group!(benches, cached_path);
criterion_main!(benches);
