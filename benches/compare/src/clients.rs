//! The four clients behind one enum: s3lite, object_store, aws-sdk-s3 and
//! the ceiling (`ceiling.rs`: a plain hyper client that sends the same requests
//! unsigned and drives its connections itself).
//! Each operation does the same work in every client: send the request and,
//! for GETs, read the whole body (counting bytes, keeping none).

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use object_store::{ObjectStore, ObjectStoreExt};
use tokio::task::JoinSet;

use crate::ceiling::{Ceiling, ChunkBody};

/// Errors of any client, boxed.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// Result of a client operation.
pub(crate) type R<T> = Result<T, BoxError>;

/// Where the clients connect and how they sign.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub(crate) endpoint: String,
    pub(crate) bucket: String,
    pub(crate) access_key: String,
    pub(crate) secret_key: String,
    /// The PEM certificate of an `https://` endpoint, trusted by every client.
    pub(crate) ca_pem: Option<String>,
    /// Request checksums `when_supported` (CRC32 on every upload, the AWS
    /// SDKs' default) instead of `when_required` (none).
    pub(crate) checksums: bool,
}

/// The client names, in table order.
pub(crate) const CLIENTS: [&str; 4] = ["s3lite", "object_store", "aws-sdk-s3", "hyper"];

/// One client, ready to send.
pub(crate) enum Client {
    S3lite(s3lite::S3Store),
    ObjectStore(Arc<object_store::aws::AmazonS3>),
    Aws(aws_sdk_s3::Client, String),
    Hyper(Arc<Ceiling>),
}

impl Client {
    /// Builds `name` the way its documentation shows, path-style, over
    /// plain HTTP, with static credentials.
    pub(crate) async fn new(name: &str, t: &Target) -> R<Client> {
        Ok(match name {
            // `s3lite-unsigned` is s3lite with `unsigned_payload`: the same
            // requests without the SHA-256 of the body (to measure its cost).
            "s3lite" | "s3lite-unsigned" => {
                use s3lite::config::ChecksumWhen;
                let mut b = s3lite::S3Store::builder()
                    .without_env()
                    .bucket(t.bucket.as_str())
                    .region("us-east-1")
                    .endpoint(t.endpoint.as_str())
                    .allow_http(true)
                    .access_key_id(t.access_key.as_str())
                    .secret_access_key(t.secret_key.as_str())
                    .unsigned_payload(name == "s3lite-unsigned")
                    .request_checksum_calculation(if t.checksums {
                        ChecksumWhen::WhenSupported
                    } else {
                        ChecksumWhen::WhenRequired
                    });
                if let Some(pem) = &t.ca_pem {
                    b = b.root_certificate_pem(pem.as_bytes());
                }
                Client::S3lite(b.build()?)
            }
            "object_store" => {
                // object_store has no CRC32 upload checksum (SHA-256 only);
                // it runs with its defaults whatever `checksums` says.
                let mut options = object_store::ClientOptions::new().with_allow_http(true);
                if let Some(pem) = &t.ca_pem {
                    options = options.with_root_certificate(object_store::Certificate::from_pem(
                        pem.as_bytes(),
                    )?);
                }
                Client::ObjectStore(Arc::new(
                    object_store::aws::AmazonS3Builder::new()
                        .with_bucket_name(&t.bucket)
                        .with_region("us-east-1")
                        .with_endpoint(&t.endpoint)
                        .with_client_options(options)
                        .with_access_key_id(&t.access_key)
                        .with_secret_access_key(&t.secret_key)
                        .build()?,
                ))
            }
            "aws-sdk-s3" => {
                use aws_sdk_s3::config::{
                    Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
                };
                let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
                if let Some(pem) = &t.ca_pem {
                    use aws_smithy_http_client::tls;
                    let trust = tls::TrustStore::empty().with_pem_certificate(pem.as_bytes());
                    let context = tls::TlsContext::builder().with_trust_store(trust).build()?;
                    loader = loader.http_client(
                        aws_smithy_http_client::Builder::new()
                            .tls_provider(tls::Provider::Rustls(
                                tls::rustls_provider::CryptoMode::AwsLc,
                            ))
                            .tls_context(context)
                            .build_https(),
                    );
                }
                let shared = loader
                    .region(Region::new("us-east-1"))
                    .credentials_provider(Credentials::new(
                        &t.access_key,
                        &t.secret_key,
                        None,
                        None,
                        "bench",
                    ))
                    .endpoint_url(&t.endpoint)
                    .load()
                    .await;
                // Without `checksums`, the same wire work as the other two: no
                // CRC32 trailer on uploads, no checksum validation of downloads;
                // with it, its default (`WhenSupported`: a CRC32 on every upload).
                let when = if t.checksums {
                    RequestChecksumCalculation::WhenSupported
                } else {
                    RequestChecksumCalculation::WhenRequired
                };
                let conf = aws_sdk_s3::config::Builder::from(&shared)
                    .force_path_style(true)
                    .request_checksum_calculation(when)
                    .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
                    .build();
                Client::Aws(aws_sdk_s3::Client::from_conf(conf), t.bucket.clone())
            }
            "hyper" => Client::Hyper(Ceiling::new(
                format!("{}/{}", t.endpoint.trim_end_matches('/'), t.bucket),
                t.ca_pem.as_deref(),
            )?),
            other => return Err(format!("unknown client {other:?}").into()),
        })
    }

    pub(crate) async fn put(&self, key: &str, data: Bytes) -> R<()> {
        match self {
            Client::S3lite(s) => {
                s.put(key, data).await?;
            }
            Client::ObjectStore(s) => {
                s.put(&key.into(), data.into()).await?;
            }
            Client::Aws(c, b) => {
                c.put_object()
                    .bucket(b)
                    .key(key)
                    .body(data.into())
                    .send()
                    .await
                    .map_err(aws_err)?;
            }
            Client::Hyper(c) => {
                let url = format!("{}/{key}", c.base);
                c.send("PUT", &url, None, data.into(), false).await?;
            }
        }
        Ok(())
    }

    /// GETs `key` (or `range`, end exclusive) and reads the body; returns its length.
    pub(crate) async fn get(&self, key: &str, range: Option<(u64, u64)>) -> R<u64> {
        let mut n = 0u64;
        match self {
            Client::S3lite(s) => {
                let got = match range {
                    Some((a, b)) => s.get_range(key, a..b).await?,
                    None => s.get(key).await?,
                };
                let mut body = got.into_stream();
                while let Some(chunk) = body.next_chunk().await {
                    n += chunk?.len() as u64;
                }
            }
            Client::ObjectStore(s) => {
                let options = object_store::GetOptions {
                    range: range.map(|(a, b)| (a..b).into()),
                    ..Default::default()
                };
                let mut body = s.get_opts(&key.into(), options).await?.into_stream();
                while let Some(chunk) = body.next().await {
                    n += chunk?.len() as u64;
                }
            }
            Client::Aws(c, b) => {
                let mut req = c.get_object().bucket(b).key(key);
                if let Some((a, b)) = range {
                    req = req.range(format!("bytes={a}-{}", b - 1));
                }
                let mut body = req.send().await.map_err(aws_err)?.body;
                while let Some(chunk) = body.try_next().await? {
                    n += chunk.len() as u64;
                }
            }
            Client::Hyper(c) => {
                let range = range.map(|(a, b)| format!("bytes={a}-{}", b - 1));
                let url = format!("{}/{key}", c.base);
                n = c
                    .send("GET", &url, range, Bytes::new().into(), false)
                    .await?
                    .len;
            }
        }
        Ok(n)
    }

    /// HEADs `key`; returns the size it reports.
    pub(crate) async fn head(&self, key: &str) -> R<u64> {
        Ok(match self {
            Client::S3lite(s) => s.head(key).await?.size,
            Client::ObjectStore(s) => s.head(&key.into()).await?.size,
            Client::Aws(c, b) => {
                let out = c.head_object().bucket(b).key(key).send();
                out.await.map_err(aws_err)?.content_length().unwrap_or(0) as u64
            }
            Client::Hyper(c) => {
                let url = format!("{}/{key}", c.base);
                let res = c
                    .send("HEAD", &url, None, Bytes::new().into(), false)
                    .await?;
                res.head
                    .headers
                    .get("content-length")
                    .and_then(|v| v.to_str().ok()?.parse().ok())
                    .unwrap_or(0)
            }
        })
    }

    /// Lists every key under `prefix`; returns how many.
    pub(crate) async fn list(&self, prefix: &str) -> R<u64> {
        let mut n = 0u64;
        match self {
            Client::S3lite(s) => {
                let mut pages = s.list(Some(prefix));
                while let Some(meta) = pages.next().await {
                    meta?;
                    n += 1;
                }
            }
            Client::ObjectStore(s) => {
                let mut items = s.list(Some(&prefix.into()));
                while let Some(meta) = items.next().await {
                    meta?;
                    n += 1;
                }
            }
            Client::Aws(c, b) => {
                let mut pages = c
                    .list_objects_v2()
                    .bucket(b)
                    .prefix(prefix)
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    n += page.map_err(aws_err)?.contents().len() as u64;
                }
            }
            Client::Hyper(_) => return Err("the ceiling client does not list".into()),
        }
        Ok(n)
    }

    /// A multipart upload of `parts` copies of `part`, `concurrency` parts
    /// in flight, through each client's own multipart API where it has one.
    /// The data comes as a streaming caller hands it: `feed`-byte `Bytes`
    /// chunks (0: whole parts). s3lite and object_store take the chunks as
    /// they are (their writers cut parts); the ceiling sends them as they
    /// are, one body frame each (no copy); for aws-sdk-s3, which has no such
    /// writer, each part is copied together from its chunks, as its callers
    /// must.
    pub(crate) async fn multipart(
        self: &Arc<Self>,
        key: &str,
        part: Bytes,
        parts: usize,
        concurrency: usize,
        feed: usize,
    ) -> R<()> {
        let chunks = chunks_of(&part, feed);
        match &**self {
            Client::S3lite(s) => {
                let config = s3lite::TransferConfig::default()
                    .with_multipart_chunksize(part.len() as u64)
                    .with_max_concurrency(concurrency);
                let transfer = s.transfer(config)?;
                let mut writer = transfer.multipart_writer(key)?;
                for _ in 0..parts {
                    for chunk in &chunks {
                        writer.put_part(chunk.clone()).await?;
                    }
                }
                writer.complete().await?;
            }
            Client::ObjectStore(s) => {
                let upload = s.put_multipart(&key.into()).await?;
                let mut writer =
                    object_store::WriteMultipart::new_with_chunk_size(upload, part.len());
                for _ in 0..parts {
                    for chunk in &chunks {
                        writer.wait_for_capacity(concurrency).await?;
                        writer.put(chunk.clone());
                    }
                }
                writer.finish().await?;
            }
            Client::Aws(c, b) => {
                let created = c.create_multipart_upload().bucket(b).key(key).send();
                let id = created
                    .await
                    .map_err(aws_err)?
                    .upload_id
                    .unwrap_or_default();
                let etags = spawn_parts(parts, concurrency, |n| {
                    let (c, b, key, id, part) = (
                        c.clone(),
                        b.clone(),
                        key.to_string(),
                        id.clone(),
                        assembled(&chunks),
                    );
                    async move {
                        let out = c
                            .upload_part()
                            .bucket(b)
                            .key(key)
                            .upload_id(id)
                            .part_number(n as i32)
                            .body(part.into())
                            .send()
                            .await
                            .map_err(aws_err)?;
                        Ok(out.e_tag.unwrap_or_default())
                    }
                })
                .await?;
                use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
                let done = CompletedMultipartUpload::builder()
                    .set_parts(Some(
                        etags
                            .into_iter()
                            .enumerate()
                            .map(|(i, e)| {
                                CompletedPart::builder()
                                    .part_number(i as i32 + 1)
                                    .e_tag(e)
                                    .build()
                            })
                            .collect(),
                    ))
                    .build();
                c.complete_multipart_upload()
                    .bucket(b)
                    .key(key)
                    .upload_id(id)
                    .multipart_upload(done)
                    .send()
                    .await
                    .map_err(aws_err)?;
            }
            Client::Hyper(c) => {
                let url = format!("{}/{key}", c.base);
                let create = format!("{url}?uploads");
                let body = c.send("POST", &create, None, Bytes::new().into(), true);
                let body = body.await?.body;
                let text = String::from_utf8_lossy(&body);
                let id = text
                    .split_once("<UploadId>")
                    .and_then(|(_, r)| r.split_once("</UploadId>"))
                    .map(|(id, _)| id.to_string())
                    .ok_or("no UploadId")?;
                let etags = spawn_parts(parts, concurrency, |n| {
                    let (c, url, part) = (
                        c.clone(),
                        format!("{url}?partNumber={n}&uploadId={id}"),
                        ChunkBody::new(chunks.clone()),
                    );
                    async move {
                        let res = c.send("PUT", &url, None, part, false).await?;
                        let etag = res.head.headers.get("etag").and_then(|v| v.to_str().ok());
                        Ok(etag.unwrap_or_default().to_string())
                    }
                })
                .await?;
                let mut xml = String::from("<CompleteMultipartUpload>");
                for (i, e) in etags.iter().enumerate() {
                    xml.push_str(&format!(
                        "<Part><PartNumber>{}</PartNumber><ETag>{e}</ETag></Part>",
                        i + 1
                    ));
                }
                xml.push_str("</CompleteMultipartUpload>");
                let done = format!("{url}?uploadId={id}");
                c.send("POST", &done, None, Bytes::from(xml).into(), false)
                    .await?;
            }
        }
        Ok(())
    }
}

/// Cuts `part` into the chunks a streaming caller feeds: slices of `feed`
/// bytes (no copy), or the whole part when `feed` is 0.
fn chunks_of(part: &Bytes, feed: usize) -> Vec<Bytes> {
    if feed == 0 || feed >= part.len() {
        return vec![part.clone()];
    }
    (0..part.len())
        .step_by(feed)
        .map(|at| part.slice(at..(at + feed).min(part.len())))
        .collect()
}

/// A part assembled from `chunks` the way a caller of an API without a
/// chunked writer must: copied into one buffer.
fn assembled(chunks: &[Bytes]) -> Bytes {
    if let [one] = chunks {
        return one.clone();
    }
    let mut part = bytes::BytesMut::with_capacity(chunks.iter().map(Bytes::len).sum());
    for c in chunks {
        part.extend_from_slice(c);
    }
    part.freeze()
}

/// Runs `part(n)` for n = 1..=parts on spawned tasks, at most `concurrency`
/// at once (as s3lite and object_store do); returns the ETags in part order.
async fn spawn_parts<F, Fut>(parts: usize, concurrency: usize, part: F) -> R<Vec<String>>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = R<String>> + Send + 'static,
{
    let mut etags = vec![String::new(); parts];
    let mut set = JoinSet::new();
    for n in 1..=parts {
        if set.len() >= concurrency
            && let Some(done) = set.join_next().await
        {
            let (i, etag): (usize, R<String>) = done?;
            etags[i - 1] = etag?;
        }
        let fut = part(n);
        set.spawn(async move { (n, fut.await) });
    }
    while let Some(done) = set.join_next().await {
        let (i, etag) = done?;
        etags[i - 1] = etag?;
    }
    Ok(etags)
}

/// aws-sdk-s3 errors with their whole source chain in the message.
fn aws_err<E: std::error::Error + Send + Sync + 'static>(e: E) -> BoxError {
    format!("{}", aws_sdk_s3::error::DisplayErrorContext(e)).into()
}
