//! Copies with conditions on the source, with the target's own metadata
//! and with the source's own SSE-C key ([`CopyOptions`] and `CopyMetadata`
//! in `copy_options.rs`), copies that must not overwrite
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

use super::copy_options::CopyOptions;
use super::dynamo::DynamoLock;
use super::lost_answer::Fingerprint;
use super::put::{PutMode, PutOptions};
use super::request::S3Request;
use super::sse::{CustomerKey, Encryption};
use super::{S3Store, check_key, header_text, sse};
use crate::config::CopyIfNotExists;
use crate::error::{Error, ErrorKind, Result};
use crate::sign;
use crate::xml::{self, CompletedPart};

use super::types::PutResult;
use super::upload_guard::UploadGuard;

/// The largest part UploadPartCopy copies: 5 GiB.
const MAX_COPY_PART: u64 = 5 * 1024 * 1024 * 1024;

impl S3Store {
    /// Copies the object `from` to `to` within the bucket, only if the
    /// source meets the conditions of `options`.
    ///
    /// See [CopyObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html).
    ///
    /// # Errors
    /// [`ErrorKind::PreconditionFailed`] when a condition fails (nothing is
    /// copied); `NotFound` when `from` does not exist; `InvalidInput` for an
    /// ETag that is not a valid header value; what S3 answers to an SSE-C
    /// source read without its key (400) or with another (403); an error S3
    /// reports in the body of a 200 answer is an error too.
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
        let req = self.copy_request_opts(&self.inner.bucket, &from_full, to, &options)?;
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
        let req = self.copy_request_opts(source_bucket, source_key, to, &options)?;
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
    /// target: both are this store's objects, read and written with its
    /// encryption.
    pub(crate) fn copy_request(&self, from_full: &str, to_full: &str) -> Result<S3Request> {
        let source_key = Encryption::customer_key(self.encryption());
        self.copy_request_from(&self.inner.bucket, from_full, to_full, source_key)
    }

    /// CopyObject of the key `from_full` of `bucket` to the store's key `to`
    /// under `options`: its conditions, metadata and source key.
    fn copy_request_opts(
        &self,
        bucket: &str,
        from_full: &str,
        to: &str,
        options: &CopyOptions,
    ) -> Result<S3Request> {
        let source_key = options.source_key.resolve(self.encryption());
        let req = self.copy_request_from(bucket, from_full, &self.full_key(to), source_key)?;
        options.apply(req, self.content_type_for(to))
    }

    /// CopyObject of the key `from_full` of `bucket` to `to_full`: the
    /// source read with the SSE-C key `source_key` (none when `None`), the
    /// target written with the store's encryption.
    pub(crate) fn copy_request_from(
        &self,
        bucket: &str,
        from_full: &str,
        to_full: &str,
        source_key: Option<&CustomerKey>,
    ) -> Result<S3Request> {
        let req = S3Request::new("CopyObject", Method::PUT, Some(to_full))
            .header(
                HeaderName::from_static("x-amz-copy-source"),
                &copy_source(bucket, from_full),
            )?
            .with_error_in_ok_body();
        let req = sse::copy_source_headers(req, source_key)?;
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
        // The source is this store's object: read (HEAD, and each part)
        // with the store's key.
        let source = self.head(from).await?;
        let source_key = Encryption::customer_key(self.encryption());
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
                    source_key,
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
        let (part_number, source_etag) = (part.part_number, part.source_etag);
        let to_full = self.full_key(to);
        let req = self.part_copy_request(from, &to_full, &part)?;
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

    /// The UploadPartCopy of `part` from the store's key `from` to the full
    /// key `to_full`: the source pinned to its ETag and read with its key,
    /// the part written with the store's (an SSE-C upload's parts carry its
    /// key).
    fn part_copy_request(
        &self,
        from: &str,
        to_full: &str,
        part: &PartCopy<'_>,
    ) -> Result<S3Request> {
        let mut req = S3Request::new("UploadPartCopy", Method::PUT, Some(to_full))
            .query("partNumber", &part.part_number.to_string())
            .query("uploadId", part.upload_id)
            .header(
                HeaderName::from_static("x-amz-copy-source"),
                &self.copy_source(&self.full_key(from)),
            )?
            .with_error_in_ok_body();
        if let Some(etag) = part.source_etag {
            req = req.header(HeaderName::from_static("x-amz-copy-source-if-match"), etag)?;
        }
        if let Some((start, end)) = part.range {
            req = req.header(
                HeaderName::from_static("x-amz-copy-source-range"),
                &format!("bytes={start}-{}", end - 1),
            )?;
        }
        let req = sse::copy_source_headers(req, part.source_key)?;
        sse::read_headers(req, self.encryption())
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
    /// The SSE-C key the source is read with.
    source_key: Option<&'a CustomerKey>,
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
    use crate::config::S3ConfigKey;
    use crate::encoding::encode_base64;

    const SOURCE_KEY: &str = "x-amz-copy-source-server-side-encryption-customer-key";
    const TARGET_KEY: &str = "x-amz-server-side-encryption-customer-key";

    fn store(sse: &[(S3ConfigKey, String)]) -> S3Store {
        let mut b = S3Store::builder()
            .without_env()
            .bucket("b1")
            .skip_signature(true);
        for (key, value) in sse {
            b = b.with_config(*key, value);
        }
        b.build().unwrap_or_else(|e| panic!("{e}"))
    }

    fn sse_c(key: u8) -> Vec<(S3ConfigKey, String)> {
        vec![
            (S3ConfigKey::ServerSideEncryption, "sse-c".into()),
            (S3ConfigKey::SseCustomerKeyBase64, encode_base64(&[key; 32])),
        ]
    }

    /// The copy-source and target key headers of a CopyObject.
    fn keys(store: &S3Store, options: &CopyOptions) -> (Option<String>, Option<String>) {
        let req = store
            .copy_request_opts("b1", "from", "to", options)
            .unwrap_or_else(|e| panic!("{e}"));
        let value = |name: &str| {
            req.headers
                .get(name)
                .map(|v| v.to_str().unwrap_or_default().to_string())
        };
        (value(SOURCE_KEY), value(TARGET_KEY))
    }

    #[test]
    fn copy_source_key_is_the_stores_unless_the_options_say_otherwise() {
        let (a, b) = (encode_base64(&[0xa; 32]), encode_base64(&[0xb; 32]));
        let rotate = CopyOptions::default()
            .with_source_customer_key([0xa; 32])
            .unwrap_or_else(|e| panic!("{e}"));
        let plain_source = CopyOptions::default().without_source_customer_key();
        let sse_c_store = store(&sse_c(0xb));
        // The default: the store's key on both sides.
        let default = keys(&sse_c_store, &CopyOptions::default());
        assert_eq!(default, (Some(b.clone()), Some(b.clone())));
        // Key rotation: A read, B written.
        assert_eq!(
            keys(&sse_c_store, &rotate),
            (Some(a.clone()), Some(b.clone()))
        );
        // A plain source into an SSE-C store: no copy-source headers at all.
        assert_eq!(keys(&sse_c_store, &plain_source), (None, Some(b)));
        let req = sse_c_store
            .copy_request_opts("b1", "from", "to", &plain_source)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !req.headers
                .keys()
                .any(|n| n.as_str().starts_with("x-amz-copy-source-server-side")),
            "{:?}",
            req.headers
        );
        // An SSE-C source into a plain store and an SSE-S3 store.
        assert_eq!(keys(&store(&[]), &rotate), (Some(a.clone()), None));
        let sse_s3 = store(&[(S3ConfigKey::ServerSideEncryption, "AES256".into())]);
        assert_eq!(keys(&sse_s3, &rotate), (Some(a), None));
        let req = sse_s3
            .copy_request_opts("b1", "from", "to", &rotate)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(req.headers["x-amz-server-side-encryption"], "AES256");
        assert_eq!(keys(&store(&[]), &CopyOptions::default()), (None, None));
    }

    #[test]
    fn every_part_copy_carries_the_source_key_and_the_stores() {
        let store = store(&sse_c(0xb));
        let other = CustomerKey::from_raw(&[0xa; 32]);
        let own = Encryption::customer_key(store.encryption());
        for (source_key, want) in [
            (own, Some(encode_base64(&[0xb; 32]))),
            (other.as_ref(), Some(encode_base64(&[0xa; 32]))),
            (None, None),
        ] {
            for range in [None, Some((0, MAX_COPY_PART)), Some((MAX_COPY_PART, 6))] {
                let part = PartCopy {
                    upload_id: "u1",
                    part_number: 2,
                    range,
                    source_etag: Some("\"e\""),
                    source_key,
                };
                let req = store
                    .part_copy_request("from", "to", &part)
                    .unwrap_or_else(|e| panic!("{e}"));
                let value = |name: &str| {
                    req.headers
                        .get(name)
                        .map(|v| v.to_str().unwrap_or_default().to_string())
                };
                assert_eq!(value(SOURCE_KEY), want, "{range:?}");
                assert_eq!(value(TARGET_KEY), Some(encode_base64(&[0xb; 32])));
                assert_eq!(
                    value("x-amz-copy-source-if-match").as_deref(),
                    Some("\"e\"")
                );
            }
        }
    }
}
