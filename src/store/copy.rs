//! Copies with conditions on the source and with the target's own metadata
//! ([`CopyOptions`], [`CopyMetadata`]), copies that must not overwrite
//! (`copy_if_not_exists`), and renames.
//!
//! How "not exists" is enforced follows the store's `copy_if_not_exists`:
//!
//! | setting | how |
//! |---|---|
//! | unset, AWS endpoint | CopyObject with `If-None-Match: *` (AWS S3 honours it on CopyObject; 412 means it exists) |
//! | unset, custom endpoint | refused with `NotImplemented` naming the key and the safe modes: LocalStack overwrites before answering 412, s3s-fs ignores the header, so a "copy if not exists" could silently overwrite (object_store refuses too) |
//! | `header:<NAME>:<VALUE>` | CopyObject with that header; 412 means it exists |
//! | `header-with-status:<NAME>:<VALUE>:<STATUS>` | as `header`, with the store's own status |
//! | `multipart` | UploadPartCopy into a new upload, completed with `If-None-Match: *`; aborted on failure |
//! | `dynamo:<TABLE>[:<MS>]` | plain CopyObject inside the DynamoDB lock (see `dynamo.rs`) |

use std::sync::Arc;

use http::header::IF_NONE_MATCH;
use http::{HeaderName, Method};
use time::OffsetDateTime;

use super::dynamo::DynamoLock;
use super::lost_answer::Fingerprint;
use super::put::{Attributes, PutMode, PutOptions, attribute_headers, metadata_headers};
use super::request::S3Request;
use super::{S3Store, check_key, header_text, sse};
use crate::config::CopyIfNotExists;
use crate::error::{Error, ErrorKind, Result};
use crate::xml::{self, CompletedPart};
use crate::{date, sign};

use super::types::PutResult;
use super::upload_guard::UploadGuard;

/// The largest part UploadPartCopy copies: 5 GiB.
const MAX_COPY_PART: u64 = 5 * 1024 * 1024 * 1024;

/// How [`S3Store::copy_opts`] and [`S3Store::copy_from_bucket_opts`] copy.
///
/// Conditions on the source: the copy happens only if they all hold, else it
/// fails with [`ErrorKind::PreconditionFailed`] (S3 answers 412 for each of
/// them) and the target is left as it was.
///
/// The target's metadata: by default S3 copies the source's attributes and
/// user metadata (`x-amz-metadata-directive: COPY`); with
/// [`replace_metadata`](Self::replace_metadata) the target gets exactly the
/// attributes and metadata given there instead (`REPLACE`), which is also
/// how an object's metadata is changed in place (a copy onto its own key).
///
/// ```
/// use s3lite::{CopyMetadata, CopyOptions};
/// let options = CopyOptions::default().with_source_if_match("\"9b2cf535f27731c974343645a3985328\"");
/// assert!(options.source_if_none_match.is_none());
/// let replacing = CopyOptions::default().with_replace_metadata(
///     CopyMetadata::default()
///         .with_content_type("text/csv")
///         .with_cache_control("max-age=60")
///         .with_metadata("owner", "reports"),
/// );
/// assert!(replacing.replace_metadata.is_some());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CopyOptions {
    /// Copy only if the source's ETag is this one
    /// (`x-amz-copy-source-if-match`).
    pub source_if_match: Option<String>,
    /// Copy only if the source's ETag is not this one, `*` for any
    /// (`x-amz-copy-source-if-none-match`).
    pub source_if_none_match: Option<String>,
    /// Copy only if the source was modified after this time
    /// (`x-amz-copy-source-if-modified-since`).
    pub source_if_modified_since: Option<OffsetDateTime>,
    /// Copy only if the source was not modified after this time
    /// (`x-amz-copy-source-if-unmodified-since`).
    pub source_if_unmodified_since: Option<OffsetDateTime>,
    /// The target's attributes and user metadata in place of the source's
    /// (`x-amz-metadata-directive: REPLACE`); `None` copies the source's.
    pub replace_metadata: Option<CopyMetadata>,
    /// The target's storage class (`x-amz-storage-class`: `STANDARD`,
    /// `STANDARD_IA`, ...); `None` leaves it to S3 (`STANDARD`).
    pub storage_class: Option<String>,
}

/// The attributes and user metadata a copy gives its target in place of the
/// source's ([`CopyOptions::replace_metadata`]). Whatever is left `None` or
/// empty is not copied from the source either: the target has only what is
/// set here, except `Content-Type`, which defaults to the target key's
/// suffix as [`PutOptions::content_type`](super::put::PutOptions::content_type) does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CopyMetadata {
    /// `Content-Type`; by default from the target key's suffix.
    pub content_type: Option<String>,
    /// `Content-Encoding`.
    pub content_encoding: Option<String>,
    /// `Content-Disposition`.
    pub content_disposition: Option<String>,
    /// `Content-Language`.
    pub content_language: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `Expires`.
    pub expires: Option<OffsetDateTime>,
    /// User metadata, sent as `x-amz-meta-<name>`.
    pub metadata: Vec<(String, String)>,
}

impl CopyMetadata {
    /// Sets `Content-Type`.
    pub fn with_content_type(mut self, v: impl Into<String>) -> Self {
        self.content_type = Some(v.into());
        self
    }

    /// Sets `Content-Encoding`.
    pub fn with_content_encoding(mut self, v: impl Into<String>) -> Self {
        self.content_encoding = Some(v.into());
        self
    }

    /// Sets `Content-Disposition`.
    pub fn with_content_disposition(mut self, v: impl Into<String>) -> Self {
        self.content_disposition = Some(v.into());
        self
    }

    /// Sets `Content-Language`.
    pub fn with_content_language(mut self, v: impl Into<String>) -> Self {
        self.content_language = Some(v.into());
        self
    }

    /// Sets `Cache-Control`.
    pub fn with_cache_control(mut self, v: impl Into<String>) -> Self {
        self.cache_control = Some(v.into());
        self
    }

    /// Sets `Expires`.
    pub fn with_expires(mut self, t: OffsetDateTime) -> Self {
        self.expires = Some(t);
        self
    }

    /// Adds one user metadata entry.
    pub fn with_metadata(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.push((name.into(), value.into()));
        self
    }
}

impl CopyOptions {
    /// Sets `x-amz-copy-source-if-match`.
    pub fn with_source_if_match(mut self, etag: impl Into<String>) -> Self {
        self.source_if_match = Some(etag.into());
        self
    }

    /// Sets `x-amz-copy-source-if-none-match`.
    pub fn with_source_if_none_match(mut self, etag: impl Into<String>) -> Self {
        self.source_if_none_match = Some(etag.into());
        self
    }

    /// Sets `x-amz-copy-source-if-modified-since`.
    pub fn with_source_if_modified_since(mut self, t: OffsetDateTime) -> Self {
        self.source_if_modified_since = Some(t);
        self
    }

    /// Sets `x-amz-copy-source-if-unmodified-since`.
    pub fn with_source_if_unmodified_since(mut self, t: OffsetDateTime) -> Self {
        self.source_if_unmodified_since = Some(t);
        self
    }

    /// Sets [`replace_metadata`](Self::replace_metadata): the target gets
    /// `metadata` instead of the source's.
    pub fn with_replace_metadata(mut self, metadata: CopyMetadata) -> Self {
        self.replace_metadata = Some(metadata);
        self
    }

    /// Sets the target's storage class.
    pub fn with_storage_class(mut self, v: impl Into<String>) -> Self {
        self.storage_class = Some(v.into());
        self
    }

    /// Adds the `x-amz-copy-source-if-*` headers, the metadata directive
    /// with the replacing attributes, and the storage class to a CopyObject
    /// whose target has the content type `default_content_type` unless one
    /// is given.
    fn apply(&self, mut req: S3Request, default_content_type: Option<&str>) -> Result<S3Request> {
        let name = HeaderName::from_static;
        if let Some(etag) = &self.source_if_match {
            req = req.header(name("x-amz-copy-source-if-match"), etag)?;
        }
        if let Some(etag) = &self.source_if_none_match {
            req = req.header(name("x-amz-copy-source-if-none-match"), etag)?;
        }
        if let Some(t) = self.source_if_modified_since {
            req = req.header(
                name("x-amz-copy-source-if-modified-since"),
                &date::format_http_date(t),
            )?;
        }
        if let Some(t) = self.source_if_unmodified_since {
            req = req.header(
                name("x-amz-copy-source-if-unmodified-since"),
                &date::format_http_date(t),
            )?;
        }
        if let Some(m) = &self.replace_metadata {
            req = req.header(name("x-amz-metadata-directive"), "REPLACE")?;
            let attributes = Attributes {
                content_type: m.content_type.as_deref(),
                content_encoding: m.content_encoding.as_deref(),
                content_disposition: m.content_disposition.as_deref(),
                content_language: m.content_language.as_deref(),
                cache_control: m.cache_control.as_deref(),
                expires: m.expires,
                // Sent whether or not the metadata is replaced (below).
                storage_class: None,
            };
            req = attribute_headers(req, &attributes, default_content_type)?;
            req = metadata_headers(req, &m.metadata)?;
        }
        if let Some(class) = &self.storage_class {
            req = req.header(name("x-amz-storage-class"), class)?;
        }
        Ok(req)
    }
}

impl S3Store {
    /// Copies the object `from` to `to` within the bucket, only if the
    /// source meets the conditions of `options`.
    ///
    /// See [CopyObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html).
    ///
    /// # Errors
    /// [`ErrorKind::PreconditionFailed`] when a condition fails (nothing is
    /// copied); `NotFound` when `from` does not exist; `InvalidInput` for an
    /// ETag that is not a valid header value; an error S3 reports in the
    /// body of a 200 answer is an error too.
    ///
    /// ```no_run
    /// # async fn demo(store: &s3lite::S3Store) -> s3lite::Result<()> {
    /// use s3lite::CopyOptions;
    /// let seen = store.head("report.csv").await?;
    /// // Copy exactly the version we looked at, or nothing.
    /// let pinned = CopyOptions::default().with_source_if_match(seen.etag.unwrap_or_default());
    /// store.copy_opts("report.csv", "archive/report.csv", pinned).await?;
    /// # Ok(()) }
    /// ```
    pub async fn copy_opts(&self, from: &str, to: &str, options: CopyOptions) -> Result<PutResult> {
        let (from_full, to_full) = (self.full_key(from), self.full_key(to));
        check_key(&from_full)?;
        check_key(&to_full)?;
        let req = options.apply(
            self.copy_request(&from_full, &to_full)?,
            self.content_type_for(to),
        )?;
        self.send_copy(req, &to_full).await
    }

    /// [`copy_from_bucket`](S3Store::copy_from_bucket) with `options`:
    /// conditions on the source, the target's own metadata, its storage
    /// class.
    ///
    /// See [CopyObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html).
    ///
    /// # Errors
    /// As [`copy_from_bucket`](S3Store::copy_from_bucket) and
    /// [`copy_opts`](S3Store::copy_opts); `InvalidInput` for a metadata name
    /// or value that is not a valid header.
    ///
    /// ```no_run
    /// # async fn demo(store: &s3lite::S3Store) -> s3lite::Result<()> {
    /// use s3lite::{CopyMetadata, CopyOptions};
    /// let replace = CopyMetadata::default().with_content_type("text/csv").with_metadata("stage", "final");
    /// let options = CopyOptions::default().with_replace_metadata(replace);
    /// store.copy_from_bucket_opts("incoming", "report.csv", "archive/report.csv", options).await?;
    /// # Ok(()) }
    /// ```
    pub async fn copy_from_bucket_opts(
        &self,
        source_bucket: &str,
        source_key: &str,
        to: &str,
        options: CopyOptions,
    ) -> Result<PutResult> {
        if source_bucket.is_empty() {
            return Err(Error::invalid_input("copy source bucket must not be empty"));
        }
        let to_full = self.full_key(to);
        check_key(source_key)?;
        check_key(&to_full)?;
        let req = options.apply(
            self.copy_request_from(source_bucket, source_key, &to_full)?,
            self.content_type_for(to),
        )?;
        self.send_copy(req, &to_full).await
    }

    /// Copies `from` to `to` only if `to` does not exist, as the store's
    /// `copy_if_not_exists` setting says: S3's `If-None-Match: *` when unset
    /// on AWS; unset on a custom endpoint is refused (see the module docs).
    ///
    /// See [CopyObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html)
    /// and [UploadPartCopy](https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html).
    ///
    /// # Errors
    /// [`ErrorKind::AlreadyExists`] when `to` exists; `NotFound` when `from`
    /// does not; [`ErrorKind::NotImplemented`] when `copy_if_not_exists` is
    /// unset on a custom endpoint; what S3 and DynamoDB answer.
    ///
    /// ```no_run
    /// # async fn demo(store: &s3lite::S3Store) -> s3lite::Result<()> {
    /// match store.copy_if_not_exists("staging/a", "final/a").await {
    ///     Err(e) if e.kind() == s3lite::ErrorKind::AlreadyExists => println!("kept the old one"),
    ///     other => { other?; }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn copy_if_not_exists(&self, from: &str, to: &str) -> Result<PutResult> {
        let (from_full, to_full) = (self.full_key(from), self.full_key(to));
        check_key(&from_full)?;
        check_key(&to_full)?;
        let exists = |e: Error, status: u16| {
            if e.status() == Some(status) {
                e.with_kind(ErrorKind::AlreadyExists)
            } else {
                e
            }
        };
        let writes = &self.settings.writes;
        match &writes.copy_if_not_exists {
            None if writes.custom_endpoint => Err(Error::new(
                ErrorKind::NotImplemented,
                format!(
                    "CopyObject {}: copy_if_not_exists is not set, and a custom endpoint may not                      honour If-None-Match on CopyObject (it could overwrite); set                      copy_if_not_exists to multipart, dynamo:<table>, or header:If-None-Match:*                      for a server known to honour it",
                    self.inner.target(Some(&to_full))
                ),
            )),
            None => {
                let req = self
                    .copy_request(&from_full, &to_full)?
                    .header(IF_NONE_MATCH, "*")?;
                self.send_conditional_copy(req, &from_full, &to_full, 412)
                    .await
                    .map_err(|e| exists(e, 412))
            }
            Some(CopyIfNotExists::Header { name, value }) => {
                let req = self
                    .copy_request(&from_full, &to_full)?
                    .header(header_name(name)?, value)?;
                self.send_conditional_copy(req, &from_full, &to_full, 412)
                    .await
                    .map_err(|e| exists(e, 412))
            }
            Some(CopyIfNotExists::HeaderWithStatus {
                name,
                value,
                status,
            }) => {
                let req = self
                    .copy_request(&from_full, &to_full)?
                    .header(header_name(name)?, value)?;
                self.send_conditional_copy(req, &from_full, &to_full, *status)
                    .await
                    .map_err(|e| exists(e, *status))
            }
            Some(CopyIfNotExists::Multipart) => self.copy_by_parts(from, to).await,
            Some(CopyIfNotExists::Dynamo { table, timeout_ms }) => {
                let lock = DynamoLock::new(self, table, *timeout_ms)?;
                lock.conditional_op(self, &to_full, None, || async {
                    let req = self.copy_request(&from_full, &to_full)?;
                    self.send_copy(req, &to_full).await
                })
                .await
            }
        }
    }

    /// Moves `from` to `to`: a copy, then a delete of `from`.
    ///
    /// # Errors
    /// As [`S3Store::copy`] and [`S3Store::delete`]; when the delete fails
    /// the object exists under both keys.
    pub async fn rename(&self, from: &str, to: &str) -> Result<PutResult> {
        let put = self.copy(from, to).await?;
        self.delete(from).await?;
        Ok(put)
    }

    /// Moves `from` to `to` only if `to` does not exist: a
    /// [`copy_if_not_exists`](S3Store::copy_if_not_exists), then a delete of
    /// `from`.
    ///
    /// # Errors
    /// As [`S3Store::copy_if_not_exists`] (`AlreadyExists`, and `from` is
    /// kept) and [`S3Store::delete`].
    pub async fn rename_if_not_exists(&self, from: &str, to: &str) -> Result<PutResult> {
        let put = self.copy_if_not_exists(from, to).await?;
        self.delete(from).await?;
        Ok(put)
    }

    /// CopyObject of full keys, with the encryption headers of source and
    /// target.
    pub(crate) fn copy_request(&self, from_full: &str, to_full: &str) -> Result<S3Request> {
        self.copy_request_from(&self.inner.bucket, from_full, to_full)
    }

    /// CopyObject of the key `from_full` of `bucket` to `to_full`, with the
    /// encryption headers of source and target.
    pub(crate) fn copy_request_from(
        &self,
        bucket: &str,
        from_full: &str,
        to_full: &str,
    ) -> Result<S3Request> {
        let req = S3Request::new("CopyObject", Method::PUT, Some(to_full))
            .header(
                HeaderName::from_static("x-amz-copy-source"),
                &copy_source(bucket, from_full),
            )?
            .with_error_in_ok_body();
        let req = sse::copy_source_headers(req, self.encryption())?;
        let req = super::put::acl_header(req, self.settings.writes.acl)?;
        sse::write_headers(req, self.encryption())
    }

    /// Sends a CopyObject and reads its result.
    pub(crate) async fn send_copy(&self, req: S3Request, to_full: &str) -> Result<PutResult> {
        self.send_copy_counting(req, to_full, &mut 0).await
    }

    /// As [`send_copy`](Self::send_copy), counting attempts (see
    /// `StoreInner::send_counting`).
    async fn send_copy_counting(
        &self,
        req: S3Request,
        to_full: &str,
        attempts: &mut u32,
    ) -> Result<PutResult> {
        let resp = self.inner.send_counting(req, attempts).await?;
        let version_id = header_text(&resp.headers, "x-amz-version-id");
        let body = resp.body.collect().await?;
        let target = self.inner.target(Some(to_full));
        let parsed = xml::parse_copy_object_result(&body)
            .map_err(|e| e.context(format!("CopyObject {target}")))?;
        Ok(PutResult {
            etag: parsed.etag,
            version_id,
        })
    }

    /// A CopyObject whose condition fails with `status` when the target
    /// exists. A retry failing so after a lost answer may be seeing this
    /// copy's own object: it is settled by comparing the target with the
    /// source (see `lost_answer.rs`).
    async fn send_conditional_copy(
        &self,
        req: S3Request,
        from_full: &str,
        to_full: &str,
        status: u16,
    ) -> Result<PutResult> {
        let mut attempts = 0;
        let err = match self.send_copy_counting(req, to_full, &mut attempts).await {
            Ok(put) => return Ok(put),
            Err(e) if attempts > 1 && e.status() == Some(status) => e,
            Err(e) => return Err(e),
        };
        // CopyObject of a single-part, unencrypted source keeps its MD5 ETag.
        let prints: Vec<Fingerprint> = match self.head_full(from_full).await {
            Ok(source) => source
                .etag
                .map(|e| e.trim_matches('"').to_string())
                .filter(|e| !e.contains('-'))
                .map(Fingerprint::Etag)
                .into_iter()
                .collect(),
            Err(_) => Vec::new(),
        };
        self.settle_lost_write("CopyObject", to_full, &prints, err)
            .await
    }

    /// `/<bucket>/<key>` of this store's bucket, encoded, for `x-amz-copy-source`.
    fn copy_source(&self, from_full: &str) -> String {
        copy_source(&self.inner.bucket, from_full)
    }

    /// `copy_if_not_exists = multipart`: parts copied from `from`, completed
    /// with `If-None-Match: *`; the upload is aborted on any failure.
    ///
    /// Every part is pinned to the source's ETag (`x-amz-copy-source-if-match`),
    /// so a source replaced mid-copy fails the copy (`PreconditionFailed`)
    /// instead of making an object of two versions. The upload is aborted on
    /// any error and when this future is dropped.
    async fn copy_by_parts(&self, from: &str, to: &str) -> Result<PutResult> {
        let source = self.head(from).await?;
        let size = source.size;
        // No checksum is declared: UploadPartCopy parts carry none.
        let upload_id: Arc<str> = self
            .create_upload(to, &PutOptions::default(), None)
            .await?
            .into();
        let guard = UploadGuard::new(self, to, upload_id);
        let result = async {
            let upload_id = guard.upload_id();
            let mut parts = Vec::new();
            let mut start = 0u64;
            let mut number = 1u32;
            loop {
                let end = (start + MAX_COPY_PART).min(size);
                let range = (size > MAX_COPY_PART).then_some((start, end));
                let part = PartCopy {
                    upload_id,
                    part_number: number,
                    range,
                    source_etag: source.etag.as_deref(),
                };
                parts.push(self.upload_part_copy(from, to, part).await?);
                start = end;
                number += 1;
                if start >= size {
                    break;
                }
            }
            self.complete_multipart_upload_opts(to, upload_id, &parts, &PutMode::Create)
                .await
        }
        .await;
        match result {
            Ok(put) => {
                guard.disarm();
                Ok(put)
            }
            Err(e) => {
                guard.abort().await;
                Err(e)
            }
        }
    }

    /// One UploadPartCopy.
    async fn upload_part_copy(
        &self,
        from: &str,
        to: &str,
        part: PartCopy<'_>,
    ) -> Result<CompletedPart> {
        let PartCopy {
            upload_id,
            part_number,
            range,
            source_etag,
        } = part;
        let (from_full, to_full) = (self.full_key(from), self.full_key(to));
        let mut req = S3Request::new("UploadPartCopy", Method::PUT, Some(&to_full))
            .query("partNumber", &part_number.to_string())
            .query("uploadId", upload_id)
            .header(
                HeaderName::from_static("x-amz-copy-source"),
                &self.copy_source(&from_full),
            )?
            .with_error_in_ok_body();
        if let Some(etag) = source_etag {
            req = req.header(HeaderName::from_static("x-amz-copy-source-if-match"), etag)?;
        }
        if let Some((start, end)) = range {
            req = req.header(
                HeaderName::from_static("x-amz-copy-source-range"),
                &format!("bytes={start}-{}", end - 1),
            )?;
        }
        let req = sse::copy_source_headers(req, self.encryption())?;
        let req = sse::read_headers(req, self.encryption())?;
        let resp = self.inner.send(req).await.map_err(|e| {
            if e.kind() == ErrorKind::PreconditionFailed && source_etag.is_some() {
                e.context("the source changed during the copy (its ETag no longer matches)")
            } else {
                e
            }
        })?;
        let body = resp.body.collect().await?;
        let target = self.inner.target(Some(&to_full));
        let parsed = xml::parse_copy_object_result(&body)
            .map_err(|e| e.context(format!("UploadPartCopy {target}")))?;
        let etag = parsed.etag.ok_or_else(|| {
            self.protocol_error(
                "UploadPartCopy",
                &to_full,
                format!("part {part_number}: no ETag in the answer"),
            )
        })?;
        Ok(CompletedPart::new(part_number, etag))
    }
}

/// What one UploadPartCopy of [`S3Store::copy_by_parts`] copies.
struct PartCopy<'a> {
    upload_id: &'a str,
    part_number: u32,
    /// `start..end` of the source, or the whole source when `None`.
    range: Option<(u64, u64)>,
    /// The source's ETag at the start of the copy, sent as
    /// `x-amz-copy-source-if-match`.
    source_etag: Option<&'a str>,
}

/// `/<bucket>/<key>`, encoded, for `x-amz-copy-source`.
fn copy_source(bucket: &str, key_full: &str) -> String {
    format!(
        "/{}/{}",
        sign::uri_encode(bucket, true),
        sign::encode_key_path(key_full)
    )
}

fn header_name(name: &str) -> Result<HeaderName> {
    HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| Error::invalid_input(format!("{name:?} is not a valid header name")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_options_become_copy_source_headers() {
        let t = OffsetDateTime::UNIX_EPOCH;
        let options = CopyOptions::default()
            .with_source_if_match("\"a\"")
            .with_source_if_none_match("\"b\"")
            .with_source_if_modified_since(t)
            .with_source_if_unmodified_since(t);
        let req = S3Request::new("CopyObject", Method::PUT, Some("k"));
        let req = options.apply(req, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(req.headers["x-amz-copy-source-if-match"], "\"a\"");
        assert_eq!(req.headers["x-amz-copy-source-if-none-match"], "\"b\"");
        let epoch = "Thu, 01 Jan 1970 00:00:00 GMT";
        assert_eq!(req.headers["x-amz-copy-source-if-modified-since"], epoch);
        assert_eq!(req.headers["x-amz-copy-source-if-unmodified-since"], epoch);
        let plain = CopyOptions::default()
            .apply(S3Request::new("CopyObject", Method::PUT, Some("k")), None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(plain.headers.is_empty());
    }

    #[test]
    fn replace_metadata_sends_the_directive_and_only_what_is_given() {
        let t = OffsetDateTime::UNIX_EPOCH;
        let options = CopyOptions::default()
            .with_replace_metadata(
                CopyMetadata::default()
                    .with_cache_control("max-age=60")
                    .with_content_language("en-GB")
                    .with_expires(t)
                    .with_metadata("Owner", "reports"),
            )
            .with_storage_class("STANDARD_IA");
        let req = S3Request::new("CopyObject", Method::PUT, Some("k.csv"));
        let req = options
            .apply(req, Some("text/csv"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(req.headers["x-amz-metadata-directive"], "REPLACE");
        assert_eq!(req.headers["content-type"], "text/csv");
        assert_eq!(req.headers["cache-control"], "max-age=60");
        assert_eq!(req.headers["content-language"], "en-GB");
        assert_eq!(req.headers["expires"], "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(req.headers["x-amz-meta-owner"], "reports");
        assert_eq!(req.headers["x-amz-storage-class"], "STANDARD_IA");
        assert!(!req.headers.contains_key("content-encoding"));
        // COPY (the default) sends no attribute: S3 copies the source's.
        let copy = CopyOptions::default()
            .apply(
                S3Request::new("CopyObject", Method::PUT, Some("k.csv")),
                Some("text/csv"),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(copy.headers.is_empty(), "{:?}", copy.headers);
    }

    #[test]
    fn bad_etag_is_invalid_input_naming_the_header() {
        let e = CopyOptions::default()
            .with_source_if_match("line\nbreak")
            .apply(S3Request::new("CopyObject", Method::PUT, Some("k")), None)
            .map(|_| ())
            .expect_err("newline in an ETag");
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().contains("x-amz-copy-source-if-match"), "{e}");
    }
}
