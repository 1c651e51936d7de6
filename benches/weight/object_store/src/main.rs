//! One GET with object_store (bucket, key and credentials from the environment).

use object_store::ObjectStoreExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bucket = std::env::var("BUCKET")?;
    let key = std::env::var("KEY")?;
    let store = object_store::aws::AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .build()?;
    let data = store.get(&key.into()).await?.bytes().await?;
    println!("{} bytes", data.len());
    Ok(())
}
