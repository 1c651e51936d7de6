//! Creates a bucket, uploads, lists, downloads, compares and deletes,
//! printing each step. `scripts/demo` starts LocalStack and runs this.
//!
//! Reads `S3LITE_ENDPOINT` (default `http://127.0.0.1:4566`),
//! `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (default `test` / `test`)
//! and `AWS_REGION` (default `us-east-1`).

use bytes::Bytes;
use s3lite::{ErrorKind, S3Store};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_string());
    let endpoint = var("S3LITE_ENDPOINT", "http://127.0.0.1:4566");
    let bucket = format!("s3lite-demo-{}", std::process::id());

    let store = S3Store::builder()
        .endpoint(&endpoint)
        .allow_http(true)
        .region(var("AWS_REGION", "us-east-1"))
        .bucket(&bucket)
        .access_key_id(var("AWS_ACCESS_KEY_ID", "test"))
        .secret_access_key(var("AWS_SECRET_ACCESS_KEY", "test"))
        .build()?;

    println!("endpoint      {endpoint}");
    store.create_bucket().await?;
    println!("create bucket {bucket}");

    let files: [(&str, Bytes); 3] = [
        (
            "docs/readme.txt",
            Bytes::from_static(b"s3lite signs its own requests\n"),
        ),
        (
            "docs/caf\u{e9} menu.txt",
            Bytes::from("espresso, cortado\n"),
        ),
        (
            "data/blob.bin",
            (0..1_000_000u32)
                .map(|i| (i % 251) as u8)
                .collect::<Vec<u8>>()
                .into(),
        ),
    ];
    for (key, data) in &files {
        let put = store.put(key, data.clone()).await?;
        println!(
            "upload        {key} ({} bytes, etag {})",
            data.len(),
            put.etag.as_deref().unwrap_or("-")
        );
    }

    let mut listing = store.list(None);
    while let Some(meta) = listing.next().await {
        let meta = meta?;
        println!("list          {} ({} bytes)", meta.key, meta.size);
    }
    let level = store.list_with_delimiter(None).await?;
    println!("top level     prefixes {:?}", level.common_prefixes);

    for (key, data) in &files {
        let got = store.get(key).await?.bytes().await?;
        if got != *data {
            return Err(format!(
                "{key}: downloaded {} bytes that differ from the upload",
                got.len()
            )
            .into());
        }
        println!("download      {key}: {} bytes, identical", got.len());
    }
    let head = store
        .get_range("data/blob.bin", 0..16)
        .await?
        .bytes()
        .await?;
    println!("range         data/blob.bin bytes 0..16 = {:?}", &head[..]);

    for (key, _) in &files {
        store.delete(key).await?;
        println!("delete        {key}");
    }
    match store.head("docs/readme.txt").await {
        Err(e) if e.kind() == ErrorKind::NotFound => {
            println!("head          docs/readme.txt -> not found, as expected")
        }
        other => return Err(format!("expected NotFound after delete, got {other:?}").into()),
    }
    store.delete_bucket().await?;
    println!("delete bucket {bucket}");
    println!("demo finished: every object round-tripped byte for byte");
    Ok(())
}
