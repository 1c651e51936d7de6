//! One GET with s3lite (bucket, key and credentials from the environment).

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bucket = std::env::var("BUCKET")?;
    let key = std::env::var("KEY")?;
    let store = s3lite::S3StoreBuilder::from_env().bucket(bucket).build()?;
    let data = store.get(&key).await?.bytes().await?;
    println!("{} bytes", data.len());
    Ok(())
}
