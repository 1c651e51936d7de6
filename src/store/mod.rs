//! [`S3Store`]: the object operations of one bucket.
//!
//! Every method takes `&self`; the store is cheap to clone (`Arc` inside)
//! and `Send + Sync`, so one store serves a whole service.
//!
//! # Key prefix (for every operation)
//!
//! A store may have a prefix (`S3StoreBuilder::prefix`, or the path of a
//! `from_url` URL): the store key `a.txt` is the S3 key `<prefix>/a.txt`.
//! Every operation must map the keys it sends with
//! `S3Store::full_key(key) -> Cow<str>` (object keys, copy sources, list
//! prefixes and start-after, multipart keys, bulk-delete keys) and map keys
//! it returns with `S3Store::strip_prefix(key) -> &str` (listed keys and
//! common prefixes; `ListStream::with_prefix` does this for listings).
//! Messages name the full key. Both live in `settings.rs`; without a
//! prefix they return the key unchanged.

mod buckets;
mod builder;
mod checksums;
mod chunked_body;
mod copy;
mod copy_options;
mod delete_many;
mod download;
mod dynamo;
mod express;
mod file_upload;
mod list;
mod lost_answer;
mod multipart;
mod part_buffer;
mod presign;
mod progress;
mod put;
mod ranges;
mod reader;
mod region;
pub(crate) mod request;
mod resume;
mod settings;
mod sse;
mod transfer;
mod types;
pub(crate) mod upload_guard;
mod versions;
mod writer;

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_UNMODIFIED_SINCE, RANGE};
use http::{HeaderMap, Method, StatusCode};

pub use builder::S3StoreBuilder;
pub use copy_options::{CopyMetadata, CopyOptions};
pub use delete_many::DeleteStream;
pub use list::{ListPages, ListStream};
pub use presign::{PresignOptions, PresignedRequest};
pub use progress::{Progress, ProgressCallback};
pub use put::{PutMode, PutOptions};
pub use ranges::{COALESCE_GAP, COALESCE_PARALLEL};
pub use reader::{DEFAULT_READER_BUFFER, ObjectReader};
pub use transfer::{Transfer, TransferConfig};
pub use types::{
    ChecksumCheck, GetOptions, GetRange, GetResult, ListOptions, ListResult, ObjectMeta, PutResult,
};
pub use versions::VersionStream;
pub use writer::MultipartWriter;

#[cfg(feature = "object-store")]
pub(crate) use list::meta_from_entry as list_entry_meta;
use request::{S3Request, StoreInner};
// Also read by the `content_range` fuzz target (through `__fuzz`).
pub(crate) use types::parse_content_range;

use crate::error::{Error, ErrorKind, Result};
use crate::{date, xml};

/// The longest object key S3 accepts, in bytes.
const MAX_KEY_LEN: usize = 1024;

/// A client for one S3 bucket.
#[derive(Clone)]
pub struct S3Store {
    inner: Arc<StoreInner>,
    settings: Arc<settings::StoreSettings>,
}

impl fmt::Debug for S3Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Store")
            .field("bucket", &self.inner.bucket)
            .field("region", &self.inner.region)
            .field("endpoint", &self.inner.endpoint)
            .field("prefix", &self.prefix())
            .finish_non_exhaustive()
    }
}

impl S3Store {
    /// A builder; see [`S3StoreBuilder`].
    pub fn builder() -> S3StoreBuilder {
        S3StoreBuilder::new()
    }

    /// The bucket this store reads and writes.
    pub fn bucket(&self) -> &str {
        &self.inner.bucket
    }

    /// The configured region. Requests are signed for the endpoint's
    /// region, which differs for `aws-global` (`us-east-1`) and access
    /// point ARNs (the ARN's region).
    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// Writes `data` as the object `key`, replacing any object there.
    ///
    /// See [PutObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for an empty or over-long key; otherwise
    /// what S3 answers (`NotFound` for a missing bucket, `PermissionDenied`, ...).
    ///
    /// ```no_run
    /// # async fn demo(store: &s3lite::S3Store) -> s3lite::Result<()> {
    /// store.put("greeting.txt", "hello".into()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn put(&self, key: &str, data: Bytes) -> Result<PutResult> {
        self.put_opts(key, data, PutOptions::default()).await
    }

    /// Writes `data` with a `Content-Type`.
    ///
    /// # Errors
    /// As [`S3Store::put`], and `InvalidInput` for a malformed content type.
    pub async fn put_with_content_type(
        &self,
        key: &str,
        data: Bytes,
        content_type: &str,
    ) -> Result<PutResult> {
        self.put_opts(
            key,
            data,
            PutOptions::default().with_content_type(content_type),
        )
        .await
    }

    /// Reads the object `key` as a stream; [`GetResult::bytes`] collects it.
    ///
    /// See [GetObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] when the object does not exist.
    ///
    /// ```no_run
    /// # async fn demo(store: &s3lite::S3Store) -> s3lite::Result<()> {
    /// let data = store.get("greeting.txt").await?.bytes().await?;
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, key: &str) -> Result<GetResult> {
        self.get_opts(key, GetOptions::default()).await
    }

    /// Reads part of the object `key`; checks the answer is the range asked for.
    ///
    /// # Errors
    /// `InvalidInput` for an empty range or one that starts past the end
    /// (S3's `InvalidRange`); `NotFound` when the object does not exist.
    pub async fn get_range(&self, key: &str, range: impl Into<GetRange>) -> Result<GetResult> {
        self.get_opts(key, GetOptions::default().with_range(range))
            .await
    }

    /// Reads the object `key` with conditions, a range or a version.
    ///
    /// # Errors
    /// As [`S3Store::get`]; [`ErrorKind::NotModified`] and
    /// [`ErrorKind::PreconditionFailed`] when a condition fails.
    pub async fn get_opts(&self, key: &str, options: GetOptions) -> Result<GetResult> {
        let full = self.full_key(key);
        check_key(&full)?;
        let req = conditional_request(
            S3Request::new("GetObject", Method::GET, Some(&full)).streaming(),
            &options,
        )?;
        let mut req = sse::read_headers(req, self.encryption())?;
        if self.inner.validate_downloads {
            req = checksums::mode_header(req)?;
        }
        let resp = self.inner.send(req).await?;
        let content_length = header_u64(&resp.headers, "content-length");
        let partial = options.range.is_some() || options.part_number.is_some();
        let (range, size) = if partial {
            if resp.status != StatusCode::PARTIAL_CONTENT {
                let asked = match options.part_number {
                    Some(n) => format!("part {n}"),
                    None => "a range".to_string(),
                };
                return Err(self.protocol_error(
                    "GetObject",
                    key,
                    format!(
                        "asked for {asked}, got status {} instead of 206",
                        resp.status.as_u16()
                    ),
                ));
            }
            let value = resp
                .headers
                .get("content-range")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let (range, total) = parse_content_range(value).ok_or_else(|| {
                self.protocol_error("GetObject", key, format!("invalid Content-Range {value:?}"))
            })?;
            if let Some(len) = content_length.filter(|len| *len != range.end - range.start) {
                return Err(self.protocol_error(
                    "GetObject",
                    key,
                    format!("Content-Range {value:?} does not match Content-Length {len}"),
                ));
            }
            (range.clone(), total)
        } else {
            (0..content_length.unwrap_or(0), content_length)
        };
        let object_size = size;
        let size = size.unwrap_or(range.end);
        let meta = ObjectMeta::from_headers(key, &resp.headers, size);
        let check = checksums::download_check(
            meta.checksum.as_ref(),
            self.inner.validate_downloads,
            options.range.is_some(),
        );
        let known_end = if partial || content_length.is_some() {
            Some(range.end)
        } else {
            None
        };
        let body = resume::Download {
            inner: Arc::clone(&self.inner),
            key: full.to_string(),
            etag: meta.etag.clone(),
            version_id: options.version_id.clone(),
            extra_headers: sse::read_headers(
                S3Request::new("GetObject", Method::GET, None),
                self.encryption(),
            )?
            .headers,
            start: range.start,
            end: known_end,
        }
        .wrap(resp.body);
        let body = match (check, &meta.checksum) {
            (ChecksumCheck::Checked(alg), Some((_, value))) => {
                checksums::validating(body, alg, value.clone(), self.inner.target(Some(&full)))
            }
            _ => body,
        };
        Ok(GetResult {
            meta,
            range,
            object_size,
            checksum: check,
            body,
        })
    }

    /// The metadata of the object `key` without its body.
    ///
    /// See [HeadObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] when the object does not exist.
    pub async fn head(&self, key: &str) -> Result<ObjectMeta> {
        self.head_opts(key, GetOptions::default()).await
    }

    /// HEAD with conditions or a version.
    ///
    /// # Errors
    /// As [`S3Store::head`], plus `NotModified` / `PreconditionFailed`.
    pub async fn head_opts(&self, key: &str, options: GetOptions) -> Result<ObjectMeta> {
        let full = self.full_key(key);
        check_key(&full)?;
        let req = conditional_request(
            S3Request::new("HeadObject", Method::HEAD, Some(&full)),
            &options,
        )?;
        let mut req = sse::read_headers(req, self.encryption())?;
        if self.inner.validate_downloads {
            req = checksums::mode_header(req)?;
        }
        let resp = self.inner.send(req).await?;
        let size = header_u64(&resp.headers, "content-length").unwrap_or(0);
        Ok(ObjectMeta::from_headers(key, &resp.headers, size))
    }

    /// Deletes the object `key`; deleting a missing key succeeds, as in S3.
    ///
    /// See [DeleteObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html).
    ///
    /// # Errors
    /// What S3 answers, such as `PermissionDenied` or `NotFound` for a
    /// missing bucket.
    pub async fn delete(&self, key: &str) -> Result<()> {
        let full = self.full_key(key);
        check_key(&full)?;
        self.inner
            .send(S3Request::new("DeleteObject", Method::DELETE, Some(&full)))
            .await?;
        Ok(())
    }

    /// Lists every object under `prefix` (all when `None`), page by page as
    /// the stream is read.
    ///
    /// See [ListObjectsV2](https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html).
    ///
    /// ```no_run
    /// # async fn demo(store: &s3lite::S3Store) -> s3lite::Result<()> {
    /// let mut objects = store.list(Some("logs/"));
    /// while let Some(meta) = objects.next().await {
    ///     println!("{}", meta?.key);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self, prefix: Option<&str>) -> ListStream {
        let options = ListOptions {
            prefix: prefix.map(str::to_string),
            ..ListOptions::default()
        };
        self.list_opts(options)
    }

    /// Lists with every option: prefix, start-after, delimiter and page size.
    /// With a delimiter, the stream yields only the objects; use
    /// [`S3Store::list_with_delimiter_opts`] for the common prefixes too.
    pub fn list_opts(&self, options: ListOptions) -> ListStream {
        ListStream::new(Arc::clone(&self.inner), options).with_prefix(self.raw_prefix())
    }

    /// Lists one level under `prefix`: the objects, and the common prefixes
    /// that end at the next `/`.
    ///
    /// # Errors
    /// What S3 answers to ListObjectsV2.
    pub async fn list_with_delimiter(&self, prefix: Option<&str>) -> Result<ListResult> {
        let options = ListOptions {
            prefix: prefix.map(str::to_string),
            delimiter: Some("/".to_string()),
            ..ListOptions::default()
        };
        self.list_with_delimiter_opts(options).await
    }

    /// Lists one level with every option; the delimiter defaults to `/`.
    /// Every page is read into memory; [`list_with_delimiter_pages`](Self::list_with_delimiter_pages)
    /// reads them one at a time.
    ///
    /// # Errors
    /// What S3 answers to ListObjectsV2.
    pub async fn list_with_delimiter_opts(&self, options: ListOptions) -> Result<ListResult> {
        self.list_with_delimiter_pages(options).collect().await
    }

    /// Lists one level a page at a time (`page_size` entries, at most 1,000
    /// objects and prefixes per page): the objects and the common prefixes
    /// of each page, fetched as the stream is read. The delimiter defaults
    /// to `/`.
    ///
    /// ```no_run
    /// # async fn demo(store: &s3lite::S3Store) -> s3lite::Result<()> {
    /// let mut pages = store.list_with_delimiter_pages(s3lite::ListOptions::default());
    /// while let Some(page) = pages.next().await {
    ///     let page = page?;
    ///     for dir in &page.common_prefixes {
    ///         println!("{dir}");
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_with_delimiter_pages(&self, mut options: ListOptions) -> ListPages {
        options.delimiter.get_or_insert_with(|| "/".to_string());
        ListPages::new(
            ListStream::new(Arc::clone(&self.inner), options).with_prefix(self.raw_prefix()),
        )
    }

    /// Copies the object `from` to `to` within the bucket.
    ///
    /// See [CopyObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html).
    ///
    /// # Errors
    /// `NotFound` when `from` does not exist; an error S3 reports in the
    /// body of a 200 answer is an error too.
    pub async fn copy(&self, from: &str, to: &str) -> Result<PutResult> {
        self.copy_opts(from, to, CopyOptions::default()).await
    }

    /// Copies the object `source_key` of the bucket `source_bucket` (a raw
    /// S3 key there: the store's prefix is not added to it) to `to` in this
    /// store's bucket, server-side: no byte passes through the client. Both
    /// buckets must be reachable through this store's endpoint and
    /// credentials. With the store's SSE-C key set, the source is read with
    /// it as well; [`copy_from_bucket_opts`](S3Store::copy_from_bucket_opts)
    /// with [`CopyOptions::with_source_customer_key`] reads it with its own.
    ///
    /// See [CopyObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html);
    /// S3 copies at most 5 GiB in one CopyObject.
    ///
    /// ```no_run
    /// # async fn demo(store: &s3lite::S3Store) -> s3lite::Result<()> {
    /// store.copy_from_bucket("incoming", "2026/report.csv", "archive/report.csv").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for an empty source bucket or a bad key;
    /// `NotFound` when the source does not exist; an error S3 reports in the
    /// body of a 200 answer is an error too.
    pub async fn copy_from_bucket(
        &self,
        source_bucket: &str,
        source_key: &str,
        to: &str,
    ) -> Result<PutResult> {
        self.copy_from_bucket_opts(source_bucket, source_key, to, CopyOptions::default())
            .await
    }

    /// Creates the store's bucket in its region.
    ///
    /// See [CreateBucket](https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html).
    ///
    /// # Errors
    /// [`ErrorKind::AlreadyExists`] when the bucket exists.
    pub async fn create_bucket(&self) -> Result<()> {
        let mut req = S3Request::new("CreateBucket", Method::PUT, None);
        if let Some(body) =
            xml::write_create_bucket_configuration(self.inner.endpoint.signing_region())
        {
            req = req.body(Bytes::from(body));
        }
        self.inner.send(req).await?;
        Ok(())
    }

    /// Deletes the store's bucket, which must be empty.
    ///
    /// See [DeleteBucket](https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html).
    ///
    /// # Errors
    /// `NotFound` for a missing bucket; `Service` with code `BucketNotEmpty`.
    pub async fn delete_bucket(&self) -> Result<()> {
        self.inner
            .send(S3Request::new("DeleteBucket", Method::DELETE, None))
            .await?;
        Ok(())
    }

    fn protocol_error(&self, op: &str, key: &str, why: String) -> Error {
        Error::new(
            ErrorKind::Service,
            format!("{op} {}: {why}", self.inner.target(Some(key))),
        )
    }
}

/// Rejects keys S3 cannot store.
fn check_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::invalid_input("object key must not be empty"));
    }
    if key.len() > MAX_KEY_LEN {
        let head: String = key.chars().take(32).collect();
        return Err(Error::invalid_input(format!(
            "object key {head:?}... is {} bytes; S3 allows at most {MAX_KEY_LEN}",
            key.len()
        )));
    }
    Ok(())
}

/// Adds the range, condition and version headers of `options`.
fn conditional_request(mut req: S3Request, options: &GetOptions) -> Result<S3Request> {
    if let Some(range) = &options.range {
        req = req.header(RANGE, &range.header_value()?)?;
    }
    if let Some(etag) = &options.if_match {
        req = req.header(IF_MATCH, etag)?;
    }
    if let Some(etag) = &options.if_none_match {
        req = req.header(IF_NONE_MATCH, etag)?;
    }
    if let Some(t) = options.if_modified_since {
        req = req.header(IF_MODIFIED_SINCE, &date::format_http_date(t))?;
    }
    if let Some(t) = options.if_unmodified_since {
        req = req.header(IF_UNMODIFIED_SINCE, &date::format_http_date(t))?;
    }
    if let Some(v) = &options.version_id {
        req = req.query("versionId", v);
    }
    if let Some(n) = options.part_number {
        if options.range.is_some() || !(1..=10_000).contains(&n) {
            return Err(Error::invalid_input(format!(
                "part_number {n}: must be 1 to 10,000, and not given with a range"
            )));
        }
        req = req.query("partNumber", &n.to_string());
    }
    Ok(req)
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn put_result(headers: &HeaderMap) -> PutResult {
    PutResult {
        etag: header_text(headers, "etag"),
        version_id: header_text(headers, "x-amz-version-id"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_is_clone_send_sync() {
        fn assert_traits<T: Clone + Send + Sync + 'static>() {}
        assert_traits::<S3Store>();
    }

    #[test]
    fn futures_are_send() {
        fn assert_send<T: Send>(_: &T) {}
        let store = S3Store::builder()
            .bucket("b1")
            .skip_signature(true)
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_send(&store.put("k", Bytes::new()));
        assert_send(&store.get("k"));
        assert_send(&store.head("k"));
        assert_send(&store.copy("a", "b"));
        assert_send(&store.list_with_delimiter(None));
        assert_send(&store.list(None));
    }

    #[test]
    fn bad_keys_are_invalid_input() {
        assert_eq!(
            check_key("").map_err(|e| e.kind()),
            Err(ErrorKind::InvalidInput)
        );
        let long = "k".repeat(MAX_KEY_LEN + 1);
        let e = check_key(&long).expect_err("too long");
        assert!(e.to_string().contains("1025 bytes"), "{e}");
        assert!(check_key(&"k".repeat(MAX_KEY_LEN)).is_ok());
    }
}
