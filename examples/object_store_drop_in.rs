//! A program written for `Arc<dyn object_store::ObjectStore>` (as DataFusion,
//! Polars or delta-rs take one), run on s3lite: only `main` knows the store
//! is `S3ObjectStore` instead of `AmazonS3`; `run` is plain object_store code.
//!
//! ```sh
//! cargo run --example object_store_drop_in --features object-store
//! ```
//!
//! Reads `S3LITE_ENDPOINT` (default `http://127.0.0.1:4566`, LocalStack),
//! `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (default `test` / `test`)
//! and `AWS_REGION` (default `us-east-1`); creates and deletes its bucket.

use std::sync::Arc;

use futures_util::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutPayload};
use s3lite::object_store::S3ObjectStore;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_string());
    let bucket = format!("s3lite-object-store-{}", std::process::id());

    // The swap: these are AmazonS3Builder's config keys, unchanged.
    // Before: AmazonS3Builder::from_env().with_config(key, value)...build()?
    let s3 = S3ObjectStore::from_options([
        (
            "aws_endpoint",
            var("S3LITE_ENDPOINT", "http://127.0.0.1:4566"),
        ),
        ("aws_allow_http", "true".to_string()),
        ("aws_bucket_name", bucket.clone()),
        ("aws_region", var("AWS_REGION", "us-east-1")),
        ("aws_access_key_id", var("AWS_ACCESS_KEY_ID", "test")),
        (
            "aws_secret_access_key",
            var("AWS_SECRET_ACCESS_KEY", "test"),
        ),
        ("aws_copy_if_not_exists", "multipart".to_string()),
    ])?;
    s3.store().create_bucket().await?; // s3lite's own API, on the same store
    println!("store {s3}");

    let result = run(Arc::new(s3.clone())).await;

    // Clean up whatever `run` left, then the bucket.
    let left: Vec<Path> = s3.list(None).map_ok(|m| m.location).try_collect().await?;
    for path in left {
        s3.delete(&path).await?;
    }
    s3.store().delete_bucket().await?;
    result
}

/// Object_store code that knows nothing of s3lite.
async fn run(store: Arc<dyn ObjectStore>) -> Result<(), Box<dyn std::error::Error>> {
    // Partitioned writes.
    for day in ["2026-12-01", "2026-12-02"] {
        let path = Path::from(format!("events/day={day}/part-0.csv"));
        let put = store
            .put(&path, PutPayload::from(format!("day,count\n{day},42\n")))
            .await?;
        println!("put      {path} (etag {})", put.e_tag.unwrap_or_default());
    }

    // A multipart upload: two 5 MiB parts and a tail, sent concurrently.
    let big = Path::from("events/day=2026-12-02/part-1.bin");
    let mut upload = store.put_multipart(&big).await?;
    let parts = [vec![1u8; 5 << 20], vec![2u8; 5 << 20], vec![3u8; 1000]]
        .map(|data| upload.put_part(data.into()));
    futures_util::future::try_join_all(parts).await?;
    upload.complete().await?;
    println!("multipart {big} ({} bytes)", store.head(&big).await?.size);

    // Directory-style listing, then a ranged read.
    let level = store
        .list_with_delimiter(Some(&Path::from("events")))
        .await?;
    for dir in &level.common_prefixes {
        let files: Vec<_> = store.list(Some(dir)).collect().await;
        println!("dir      {dir} ({} files)", files.len());
    }
    let tail = store.get_range(&big, (10 << 20)..(10 << 20) + 4).await?;
    println!("range    {big} [10 MiB..+4] = {:?}", tail.as_ref());

    // A create-only write and a copy that must not overwrite.
    let marker = Path::from("events/_SUCCESS");
    store
        .put_opts(&marker, "".into(), PutMode::Create.into())
        .await?;
    match store
        .put_opts(&marker, "".into(), PutMode::Create.into())
        .await
    {
        Err(object_store::Error::AlreadyExists { path, .. }) => println!("exists   {path}"),
        other => return Err(format!("expected AlreadyExists, got {other:?}").into()),
    }
    let archived = Path::from("archive/part-0.csv");
    let source = Path::from("events/day=2026-12-01/part-0.csv");
    store.copy_if_not_exists(&source, &archived).await?;
    println!("copied   {source} -> {archived}");

    // Bulk delete of everything under events/.
    let under = store
        .list(Some(&Path::from("events")))
        .map_ok(|m| m.location);
    let deleted: Vec<Path> = store.delete_stream(under.boxed()).try_collect().await?;
    println!("deleted  {} objects", deleted.len());
    Ok(())
}
