//! Multipart uploads: the six S3 operations, and [`MultipartWriter`], which
//! uploads parts concurrently and never leaves an upload half-done.

use bytes::Bytes;
use http::Method;

use super::checksums::Precomputed;
use super::lost_answer::Fingerprint;
use super::request::S3Request;
use super::transfer::MAX_PARTS;
use super::writer::MultipartWriter;
use super::{S3Store, check_key, header_text};
use crate::error::{Error, Result};
use crate::limits::MAX_LIST_PAGES_WITHOUT_PROGRESS;
use crate::transport::RequestBody;
use crate::xml::{self, CompletedPart, PartEntry, UploadEntry};

use super::put::{PutMode, PutOptions};
use super::types::PutResult;

impl S3Store {
    /// Starts a multipart upload of `key` and returns its upload id.
    ///
    /// Every started upload must end in [`complete_multipart_upload`] or
    /// [`abort_multipart_upload`]: until then S3 keeps (and bills) its
    /// parts. [`MultipartWriter`] does this for you.
    ///
    /// See [CreateMultipartUpload](https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html).
    ///
    /// [`complete_multipart_upload`]: S3Store::complete_multipart_upload
    /// [`abort_multipart_upload`]: S3Store::abort_multipart_upload
    ///
    /// # Errors
    /// `InvalidInput` for a bad key; what S3 answers (`NotFound` for a
    /// missing bucket, `PermissionDenied`, ...).
    pub async fn create_multipart_upload(&self, key: &str) -> Result<String> {
        self.create_multipart_upload_opts(key, &PutOptions::default())
            .await
    }

    /// As [`create_multipart_upload`](S3Store::create_multipart_upload), with
    /// the object's attributes, metadata and tags (the `mode` of `options`
    /// is not used: S3 checks conditions at completion).
    ///
    /// # Errors
    /// As [`create_multipart_upload`](S3Store::create_multipart_upload).
    pub async fn create_multipart_upload_opts(
        &self,
        key: &str,
        options: &PutOptions,
    ) -> Result<String> {
        self.create_upload(key, options, self.inner.checksum).await
    }

    /// CreateMultipartUpload declaring `checksum` for its parts (`None` for
    /// UploadPartCopy parts, which carry none).
    pub(crate) async fn create_upload(
        &self,
        key: &str,
        options: &PutOptions,
        checksum: Option<crate::checksum::ChecksumAlgorithm>,
    ) -> Result<String> {
        let store_key = key;
        let full = self.full_key(key);
        let key = full.as_ref();
        check_key(key)?;
        // Not idempotent (the default for POST): a resend after a lost answer
        // would start a second upload and orphan the first. An orphan of a
        // lost answer is left to lifecycle rules (AbortIncompleteMultipartUpload).
        let req =
            S3Request::new("CreateMultipartUpload", Method::POST, Some(key)).query("uploads", "");
        let req = self.object_headers(req, store_key, options)?;
        let req = super::checksums::create_headers(req, checksum)?;
        let target = self.inner.target(Some(key));
        let body = self.inner.send(req).await?.body.collect().await?;
        xml::parse_initiate_multipart_upload(&body)
            .map_err(|e| e.context(format!("CreateMultipartUpload {target}")))
    }

    /// Uploads part `part_number` (1 to 10,000) of an upload; returns what
    /// [`complete_multipart_upload`](S3Store::complete_multipart_upload)
    /// needs. Parts other than the last must be at least 5 MiB.
    ///
    /// See [UploadPart](https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html).
    ///
    /// # Errors
    /// `InvalidInput` for a part number outside 1..=10,000; `NotFound`
    /// (`NoSuchUpload`) for an upload that was completed or aborted.
    pub async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        data: Bytes,
    ) -> Result<CompletedPart> {
        self.upload_part_body(key, upload_id, part_number, data.into(), None)
            .await
    }

    /// UploadPart of any body: in memory, or a range of a file read while it
    /// is sent, with its digests read from the file first (`precomputed`).
    pub(crate) async fn upload_part_body(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: RequestBody,
        precomputed: Option<Precomputed>,
    ) -> Result<CompletedPart> {
        let full = self.full_key(key);
        let key = full.as_ref();
        check_key(key)?;
        if !(1..=MAX_PARTS).contains(&u64::from(part_number)) {
            return Err(Error::invalid_input(format!(
                "part number {part_number} is outside 1..=10000"
            )));
        }
        let size = body.len_hint();
        let mut req = S3Request::new("UploadPart", Method::PUT, Some(key))
            .query("partNumber", &part_number.to_string())
            .query("uploadId", upload_id)
            .body(body);
        req.large_upload = true;
        let req = super::sse::read_headers(req, self.encryption())?;
        let (req, checksum) =
            super::checksums::add_checksum(req, self.inner.checksum, precomputed)?;
        let resp = self.inner.send(req).await?;
        let etag = header_text(&resp.headers, "etag").ok_or_else(|| {
            self.protocol_error(
                "UploadPart",
                key,
                format!("part {part_number}: no ETag in the answer"),
            )
        })?;
        let mut part = CompletedPart::new(part_number, etag);
        part.size = size;
        if let (Some(alg), Some(value)) = (self.inner.checksum, checksum) {
            super::checksums::set_part_checksum(&mut part, alg, value);
        }
        Ok(part)
    }

    /// Makes the object `key` from the uploaded `parts` (in ascending part
    /// number order), ending the upload.
    ///
    /// See [CompleteMultipartUpload](https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html).
    ///
    /// # Errors
    /// `InvalidInput` for no parts, or for S3's `InvalidPart`,
    /// `InvalidPartOrder` and `EntityTooSmall`; `NotFound` for an unknown
    /// upload. S3 may report an error in the body of a 200 answer: that is an
    /// error too.
    pub async fn complete_multipart_upload(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> Result<PutResult> {
        self.complete_multipart_upload_opts(key, upload_id, parts, &PutMode::Overwrite)
            .await
    }

    /// As [`complete_multipart_upload`](S3Store::complete_multipart_upload),
    /// only if `mode` holds: [`PutMode::Create`] sends `If-None-Match: *`,
    /// [`PutMode::Update`] `If-Match`.
    ///
    /// # Errors
    /// As [`complete_multipart_upload`](S3Store::complete_multipart_upload);
    /// `AlreadyExists` / `PreconditionFailed` when the condition fails (the
    /// upload stays open: abort it).
    ///
    /// A *retried* completion that fails with 412 or `NoSuchUpload` may be
    /// seeing the work of an earlier attempt whose answer was lost: the key
    /// is then HEADed, and an object whose ETag is the one S3 makes from
    /// these parts (the MD5 of the part MD5s, `-N`) counts as this upload's.
    pub async fn complete_multipart_upload_opts(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
        mode: &PutMode,
    ) -> Result<PutResult> {
        let full = self.full_key(key);
        let key = full.as_ref();
        check_key(key)?;
        if parts.is_empty() {
            return Err(Error::invalid_input(
                "CompleteMultipartUpload needs at least one part",
            ));
        }
        let body = xml::write_complete_multipart_upload(parts);
        // Same parts, same object: safe to resend. A 200 whose body is an
        // <Error> is retried by the request loop like any other error.
        let req = S3Request::new("CompleteMultipartUpload", Method::POST, Some(key))
            .query("uploadId", upload_id)
            .body(Bytes::from(body))
            .idempotent(true)
            .with_error_in_ok_body();
        let req = super::put::mode_headers(req, mode)?;
        let req = super::checksums::complete_headers(req, parts, self.inner.checksum)?;
        let target = self.inner.target(Some(key));
        let mut attempts = 0;
        let resp = match self.inner.send_counting(req, &mut attempts).await {
            Ok(resp) => resp,
            Err(e) => {
                // A retry after an attempt that completed the upload but
                // whose answer was lost finds its own object (412 under
                // If-None-Match / If-Match) or the upload gone (NoSuchUpload).
                let maybe_done =
                    super::put::is_condition_failure(&e) || e.s3_code() == Some("NoSuchUpload");
                if attempts > 1 && maybe_done {
                    let prints = self.completed_fingerprints(parts);
                    return self
                        .settle_lost_write("CompleteMultipartUpload", key, &prints, e)
                        .await
                        .map_err(|e| super::put::conditional_error(e, mode));
                }
                return Err(super::put::conditional_error(e, mode));
            }
        };
        let version_id = header_text(&resp.headers, "x-amz-version-id");
        // The request loop already turned a 200 whose body is an <Error> into
        // an error (`with_error_in_ok_body`).
        let body = resp.body.collect().await?;
        let parsed = xml::parse_complete_multipart_upload(&body)
            .map_err(|e| e.context(format!("CompleteMultipartUpload {target}")))?;
        if let Some(alg) = self.inner.checksum {
            super::checksums::check_completed(&target, parts, alg, &parsed)?;
        }
        Ok(PutResult {
            etag: parsed.etag,
            version_id,
        })
    }

    /// What the object completed from `parts` shows: the multipart ETag
    /// (when every part ETag is a plain MD5) and the checksum of the store's
    /// algorithm (full-object or composite).
    fn completed_fingerprints(&self, parts: &[CompletedPart]) -> Vec<Fingerprint> {
        let mut prints = Vec::new();
        if let Some(alg) = self.inner.checksum
            && let Some(value) = super::checksums::object_checksum(parts, alg)
        {
            prints.push(Fingerprint::Checksum(alg, value));
        }
        if let Some(etag) = multipart_etag(parts) {
            prints.push(Fingerprint::Etag(etag));
        }
        prints
    }

    /// Aborts an upload and frees its parts. An upload that no longer exists
    /// (`NoSuchUpload`: aborted or completed already) counts as aborted, so
    /// aborting again is safe.
    ///
    /// A part whose upload was under way during the abort can still land
    /// afterwards ("it might be necessary to abort a given multipart upload
    /// multiple times", says the API reference), so the upload is then
    /// listed once (ListParts) and, if parts are still listed, aborted again.
    ///
    /// See [AbortMultipartUpload](https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html).
    ///
    /// # Errors
    /// What S3 answers, such as `PermissionDenied` or `NotFound` for a
    /// missing bucket.
    pub async fn abort_multipart_upload(&self, key: &str, upload_id: &str) -> Result<()> {
        self.send_abort(key, upload_id).await?;
        // Best effort: a failed listing (no ListParts permission, a server
        // without it, one that lists an aborted upload as empty: s3s-fs)
        // leaves the first abort's outcome standing.
        match self.list_parts(key, upload_id).await {
            Ok(late_parts) if !late_parts.is_empty() => self.send_abort(key, upload_id).await,
            _ => Ok(()),
        }
    }

    /// One AbortMultipartUpload; `NoSuchUpload` counts as done.
    async fn send_abort(&self, key: &str, upload_id: &str) -> Result<()> {
        let full = self.full_key(key);
        let key = full.as_ref();
        check_key(key)?;
        let req = S3Request::new("AbortMultipartUpload", Method::DELETE, Some(key))
            .query("uploadId", upload_id);
        match self.inner.send(req).await {
            Ok(_) => Ok(()),
            Err(e) if e.s3_code() == Some("NoSuchUpload") => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The parts uploaded so far, by part number (every page).
    ///
    /// See [ListParts](https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html).
    ///
    /// # Errors
    /// `NotFound` for an unknown upload.
    pub async fn list_parts(&self, key: &str, upload_id: &str) -> Result<Vec<PartEntry>> {
        let full = self.full_key(key);
        let key = full.as_ref();
        check_key(key)?;
        let target = self.inner.target(Some(key));
        let mut parts = Vec::new();
        let mut marker: Option<u32> = None;
        loop {
            let mut req =
                S3Request::new("ListParts", Method::GET, Some(key)).query("uploadId", upload_id);
            if let Some(m) = marker {
                req = req.query("part-number-marker", &m.to_string());
            }
            let body = self.inner.send(req).await?.body.collect().await?;
            let page = xml::parse_list_parts(&body)
                .map_err(|e| e.context(format!("ListParts {target}")))?;
            parts.extend(page.parts);
            if parts.len() as u64 > MAX_PARTS {
                return Err(incomplete(
                    "ListParts",
                    &target,
                    &format!("lists more than {MAX_PARTS} parts"),
                ));
            }
            if !page.is_truncated {
                // S3 lists in order; some servers (s3s-fs) list in directory order.
                parts.sort_by_key(|p| p.part_number);
                return Ok(parts);
            }
            // Part numbers rise page to page: a marker that does not would
            // loop, a missing one would pass a partial list as complete.
            match page.next_part_number_marker {
                Some(next) if next > marker.unwrap_or(0) => marker = Some(next),
                Some(_) => {
                    return Err(incomplete(
                        "ListParts",
                        &target,
                        "gave a NextPartNumberMarker that does not advance",
                    ));
                }
                None => {
                    return Err(incomplete(
                        "ListParts",
                        &target,
                        "is truncated (IsTruncated = true) but has no NextPartNumberMarker",
                    ));
                }
            }
        }
    }

    /// The multipart uploads in progress under `prefix` (all when `None`),
    /// every page. `prefix` and the listed keys are store keys: the store's
    /// own prefix is added and removed.
    ///
    /// See [ListMultipartUploads](https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html).
    ///
    /// # Errors
    /// What S3 answers to ListMultipartUploads.
    pub async fn list_multipart_uploads(&self, prefix: Option<&str>) -> Result<Vec<UploadEntry>> {
        let target = self.inner.target(None);
        let list_prefix = self.full_key(prefix.unwrap_or(""));
        let mut uploads = Vec::new();
        let mut markers: Option<(String, Option<String>)> = None;
        // Every marker pair received (a digest of it), to catch a cycle.
        let mut seen = std::collections::HashSet::new();
        let mut idle_pages = 0;
        loop {
            let mut req =
                S3Request::new("ListMultipartUploads", Method::GET, None).query("uploads", "");
            if !list_prefix.is_empty() {
                req = req.query("prefix", &list_prefix);
            }
            if let Some((key, id)) = &markers {
                req = req.query("key-marker", key);
                if let Some(id) = id {
                    req = req.query("upload-id-marker", id);
                }
            }
            let body = self.inner.send(req).await?.body.collect().await?;
            let page = xml::parse_list_multipart_uploads(&body)
                .map_err(|e| e.context(format!("ListMultipartUploads {target}")))?;
            idle_pages = if page.uploads.is_empty() {
                idle_pages + 1
            } else {
                0
            };
            uploads.extend(page.uploads.into_iter().map(|mut u| {
                u.key = self.strip_prefix(&u.key).to_string();
                u
            }));
            if !page.is_truncated {
                return Ok(uploads);
            }
            let Some(key) = page.next_key_marker else {
                return Err(incomplete(
                    "ListMultipartUploads",
                    &target,
                    "is truncated (IsTruncated = true) but has no NextKeyMarker",
                ));
            };
            let next = (key, page.next_upload_id_marker);
            let digest = {
                use sha2::Digest;
                let mut h = sha2::Sha256::new();
                h.update(next.0.as_bytes());
                h.update([0]);
                h.update(next.1.as_deref().unwrap_or("").as_bytes());
                h.finalize()
            };
            if !seen.insert(digest) {
                return Err(incomplete(
                    "ListMultipartUploads",
                    &target,
                    "returned markers it was sent before",
                ));
            }
            if idle_pages > MAX_LIST_PAGES_WITHOUT_PROGRESS {
                return Err(incomplete(
                    "ListMultipartUploads",
                    &target,
                    &format!(
                        "brought no upload in {MAX_LIST_PAGES_WITHOUT_PROGRESS} truncated \
                         pages in a row (limits::MAX_LIST_PAGES_WITHOUT_PROGRESS)"
                    ),
                ));
            }
            markers = Some(next);
        }
    }

    /// A [`MultipartWriter`] for `key` with [`TransferConfig::default`](super::TransferConfig::default).
    ///
    /// # Errors
    /// `InvalidInput` for a bad key.
    pub fn multipart_writer(&self, key: &str) -> Result<MultipartWriter> {
        self.default_transfer().multipart_writer(key)
    }
}

/// The error for a listing page that cannot be followed: the call fails
/// instead of passing a partial list for complete, or looping.
fn incomplete(op: &str, target: &str, why: &str) -> crate::Error {
    crate::Error::new(
        crate::ErrorKind::Service,
        format!("{op} {target}: the answer {why}; the listing is incomplete"),
    )
}

/// The ETag S3 gives the object completed from `parts` (without quotes): the
/// MD5 of the parts' binary MD5s, then `-` and the part count. `None` unless
/// every part ETag is 32 hex digits (SSE-KMS and some servers use others).
fn multipart_etag(parts: &[CompletedPart]) -> Option<String> {
    let mut digests = Vec::with_capacity(parts.len() * 16);
    for part in parts {
        let hex = part.etag.trim_matches('"').as_bytes();
        if hex.len() != 32 || !hex.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        for pair in hex.chunks(2) {
            let text = std::str::from_utf8(pair).ok()?;
            digests.push(u8::from_str_radix(text, 16).ok()?);
        }
    }
    let md5 = crate::encoding::md5(&digests);
    Some(format!(
        "{}-{}",
        crate::encoding::encode_hex(&md5),
        parts.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_etag_is_md5_of_part_md5s() {
        // Parts "part one" and "part two"; the value from Python's hashlib.
        let parts = [
            CompletedPart::new(1, "\"3303e12af474ca11d85ed2966a932992\""),
            CompletedPart::new(2, "3EA4E15B91A17DC76052C56CFCDF67A2"),
        ];
        assert_eq!(
            multipart_etag(&parts).as_deref(),
            Some("0732917abc3288784e318ac0aab1757a-2")
        );
        let odd = [CompletedPart::new(1, "\"not-an-md5\"")];
        assert_eq!(multipart_etag(&odd), None);
        let signed = [CompletedPart::new(1, "+303e12af474ca11d85ed2966a932992")];
        assert_eq!(multipart_etag(&signed), None);
    }
}
