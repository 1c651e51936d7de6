//! The retry layer on the happy path: a GET through the store against an
//! in-process hyper server, with the default `RetryConfig` (retries, budget,
//! skew check, resumable body) and with `RetryConfig::disabled()`, in one
//! group so the report shows the two side by side.
//!
//! `cargo bench --bench retry` (add `-- --quick` for a fast look).

#![allow(missing_docs)] // criterion's macros generate undocumented items
#![allow(clippy::unwrap_used)] // benchmark setup: a panic is a broken benchmark

use std::convert::Infallible;
use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use s3lite::S3Store;
use s3lite::retry::RetryConfig;
use tokio::net::TcpListener;

/// Serves every request with a 4 KiB body and an ETag; returns the base URL.
async fn serve() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let body = Bytes::from(vec![b'x'; 4096]);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |_req| {
                    let body = body.clone();
                    async move {
                        let mut r = hyper::Response::new(Full::new(body));
                        r.headers_mut()
                            .insert("etag", http::HeaderValue::from_static("\"e1\""));
                        Ok::<_, Infallible>(r)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

fn store(base: &str, retry: RetryConfig) -> S3Store {
    S3Store::builder()
        .bucket("b")
        .endpoint(base)
        .allow_http(true)
        .access_key_id("AKIDEXAMPLE")
        .secret_access_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        .retry(retry)
        .build()
        .unwrap()
}

fn happy_path(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let base = rt.block_on(serve());
    let with = store(&base, RetryConfig::default());
    let without = store(&base, RetryConfig::disabled());
    let mut group = c.benchmark_group("get_4kib");
    for (name, store) in [("no_retries", &without), ("retries", &with)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let data = store.get("k").await.unwrap().bytes().await.unwrap();
                    black_box(data.len())
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, happy_path);
criterion_main!(benches);
