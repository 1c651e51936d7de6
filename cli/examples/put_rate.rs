//! The library's own rate of small concurrent PutObjects on a server: the
//! ceiling `s3lite cp --recursive` of small files can reach there, with no
//! file reading, listing or progress. `scripts/bench-cli` runs it beside
//! the CLI.
//!
//! ```text
//! put_rate ENDPOINT BUCKET [COUNT=1000] [SIZE=65536] [CONCURRENCY=32] [BODY=memory|file] [PREFIX=put-rate/]
//! ```
//!
//! `memory` sends one buffer with `put`; `file` sends a file of SIZE bytes
//! with `upload_file_opts`, the call `cp` makes for each file.
//!
//! Credentials and region come from the environment (`AWS_*`), as the CLI
//! reads them. Requests carry `Connection: keep-alive` as the CLI's do;
//! `PUT_RATE_CLOSE=1` sends `Connection: close` instead (a new connection
//! per request). The bucket must exist; the keys are `<PREFIX><n>`. Prints
//! one line: `<count> puts of <size> bytes (<body>) at concurrency <c>:
//! <s> s, <rate> puts/s`.
#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use s3lite::S3StoreBuilder;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(endpoint), Some(bucket)) = (args.first(), args.get(1)) else {
        return Err(
            "usage: put_rate ENDPOINT BUCKET [COUNT] [SIZE] [CONCURRENCY] [memory|file] [PREFIX]"
                .into(),
        );
    };
    let number = |i: usize, default: usize| -> Result<usize, Box<dyn std::error::Error>> {
        match args.get(i) {
            Some(v) => Ok(v.parse()?),
            None => Ok(default),
        }
    };
    let (count, size, concurrency) = (number(2, 1000)?, number(3, 65536)?, number(4, 32)?);
    let from_file = match args.get(5).map(String::as_str) {
        None | Some("memory") => None,
        Some("file") => {
            let path = std::env::temp_dir().join(format!("put-rate-{}.bin", std::process::id()));
            std::fs::write(&path, vec![b'x'; size])?;
            Some(path)
        }
        Some(other) => return Err(format!("BODY {other:?}: expected memory or file").into()),
    };
    let prefix = Arc::new(
        args.get(6)
            .cloned()
            .unwrap_or_else(|| "put-rate/".to_string()),
    );
    let store = S3StoreBuilder::from_env()
        .bucket(bucket)
        .endpoint(endpoint)
        .allow_http(true)
        // As the CLI sends it (see cli/src/context.rs): LocalStack keeps a
        // connection open only when asked by name.
        .default_header(
            "connection",
            if std::env::var_os("PUT_RATE_CLOSE").is_some() {
                "close"
            } else {
                "keep-alive"
            },
        )
        .build()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let data = Bytes::from(vec![b'x'; size]);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    runtime.block_on(async {
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..concurrency.max(1) {
            let (store, data, next) = (store.clone(), data.clone(), Arc::clone(&next));
            let (from_file, prefix) = (from_file.clone(), Arc::clone(&prefix));
            workers.spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        return Ok::<(), s3lite::Error>(());
                    }
                    let key = format!("{prefix}{i:06}");
                    match &from_file {
                        None => store.put(&key, data.clone()).await?,
                        Some(path) => {
                            store
                                .upload_file_opts(&key, path, s3lite::PutOptions::default(), None)
                                .await?
                        }
                    };
                }
            });
        }
        while let Some(done) = workers.join_next().await {
            done??;
        }
        Ok::<(), Box<dyn std::error::Error>>(())
    })?;
    let secs = started.elapsed().as_secs_f64();
    if let Some(path) = &from_file {
        std::fs::remove_file(path)?;
    }
    println!(
        "{count} puts of {size} bytes ({}) at concurrency {concurrency}: {secs:.3} s, {:.0} puts/s",
        if from_file.is_some() {
            "file"
        } else {
            "memory"
        },
        count as f64 / secs
    );
    Ok(())
}
