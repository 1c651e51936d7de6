//! One GET with aws-sdk-s3 (bucket, key and credentials from the environment).

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bucket = std::env::var("BUCKET")?;
    let key = std::env::var("KEY")?;
    let config = aws_config::load_from_env().await;
    let client = aws_sdk_s3::Client::new(&config);
    let out = client.get_object().bucket(bucket).key(key).send().await?;
    let data = out.body.collect().await?.into_bytes();
    println!("{} bytes", data.len());
    Ok(())
}
