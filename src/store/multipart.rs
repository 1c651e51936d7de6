//! Multipart uploads: the six S3 operations, and [`MultipartWriter`], which
//! uploads parts concurrently and never leaves an upload half-done.

use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use http::Method;
use tokio::io::AsyncWrite;
use tokio::task::{JoinError, JoinHandle, JoinSet};

use super::progress::{ProgressCallback, Tracker};
use super::request::{S3Request, error_in_ok_body};
use super::transfer::{MAX_PARTS, TransferConfig};
use super::{S3Store, check_key, header_text};
use crate::error::{Error, ErrorKind, Result};
use crate::transport::{BoxFuture, RequestBody};
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
        let req = super::checksums::create_headers(req, self.inner.checksum)?;
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
        self.upload_part_body(key, upload_id, part_number, data.into())
            .await
    }

    /// UploadPart of any body: in memory, or a range of a file read while it
    /// is sent (no checksum header for a file body: its checksum is not
    /// known before sending).
    pub(crate) async fn upload_part_body(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: RequestBody,
    ) -> Result<CompletedPart> {
        let full = self.full_key(key);
        let key = full.as_ref();
        check_key(key)?;
        if !(1..=MAX_PARTS).contains(&u64::from(part_number)) {
            return Err(Error::invalid_input(format!(
                "part number {part_number} is outside 1..=10000"
            )));
        }
        let req = S3Request::new("UploadPart", Method::PUT, Some(key))
            .query("partNumber", &part_number.to_string())
            .query("uploadId", upload_id)
            .body(body);
        let req = super::sse::read_headers(req, self.encryption())?;
        let (req, checksum) = super::checksums::add_checksum(req, self.inner.checksum)?;
        let resp = self.inner.send(req).await?;
        let etag = header_text(&resp.headers, "etag").ok_or_else(|| {
            self.protocol_error(
                "UploadPart",
                key,
                format!("part {part_number}: no ETag in the answer"),
            )
        })?;
        let mut part = CompletedPart::new(part_number, etag);
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
        let target = self.inner.target(Some(key));
        let mut attempts = 0;
        let resp = match self.inner.send_counting(req, &mut attempts).await {
            Ok(resp) => resp,
            Err(e) => {
                // A retry after an attempt that completed the upload but
                // whose answer was lost finds its own object (412 under
                // If-None-Match / If-Match) or the upload gone (NoSuchUpload).
                let maybe_done = e.status() == Some(412)
                    || matches!(e.s3_code(), Some("PreconditionFailed" | "NoSuchUpload"));
                if attempts > 1
                    && maybe_done
                    && let Some(done) = self.completed_by_lost_attempt(key, parts).await
                {
                    return Ok(done);
                }
                return Err(super::put::conditional_error(e, mode));
            }
        };
        let version_id = header_text(&resp.headers, "x-amz-version-id");
        let body = resp.body.collect().await?;
        if let Some(e) = error_in_ok_body("CompleteMultipartUpload", &target, &body) {
            return Err(e);
        }
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

    /// The object `full_key` if it is the one `parts` make: its ETag is the
    /// multipart ETag of `parts` (compared only when every part ETag is a
    /// plain MD5).
    async fn completed_by_lost_attempt(
        &self,
        full_key: &str,
        parts: &[CompletedPart],
    ) -> Option<PutResult> {
        let want = multipart_etag(parts)?;
        let meta = self.head_full(full_key).await.ok()?;
        let have = meta.etag.as_deref()?.trim_matches('"');
        have.eq_ignore_ascii_case(&want).then_some(PutResult {
            etag: meta.etag,
            version_id: meta.version_id,
        })
    }

    /// Aborts an upload and frees its parts. An upload that no longer exists
    /// (`NoSuchUpload`: aborted or completed already) counts as aborted, so
    /// aborting again is safe.
    ///
    /// See [AbortMultipartUpload](https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html).
    ///
    /// # Errors
    /// What S3 answers, such as `PermissionDenied` or `NotFound` for a
    /// missing bucket.
    pub async fn abort_multipart_upload(&self, key: &str, upload_id: &str) -> Result<()> {
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
            match (page.is_truncated, page.next_part_number_marker) {
                // A marker that does not advance would loop forever.
                (true, Some(next)) if Some(next) != marker => marker = Some(next),
                _ => {
                    // S3 lists in order; some servers (s3s-fs) list in directory order.
                    parts.sort_by_key(|p| p.part_number);
                    return Ok(parts);
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
            uploads.extend(page.uploads.into_iter().map(|mut u| {
                u.key = self.strip_prefix(&u.key).to_string();
                u
            }));
            let next = page
                .next_key_marker
                .map(|k| (k, page.next_upload_id_marker));
            match next {
                Some(next) if page.is_truncated && Some(&next) != markers.as_ref() => {
                    markers = Some(next);
                }
                _ => return Ok(uploads),
            }
        }
    }

    /// A [`MultipartWriter`] for `key` with [`TransferConfig::default`].
    ///
    /// # Errors
    /// `InvalidInput` for a bad key.
    pub fn multipart_writer(&self, key: &str) -> Result<MultipartWriter> {
        self.default_transfer().multipart_writer(key)
    }
}

impl super::transfer::Transfer {
    /// A [`MultipartWriter`] for `key` with this transfer's part size and
    /// concurrency.
    ///
    /// # Errors
    /// `InvalidInput` for a bad key.
    pub fn multipart_writer(&self, key: &str) -> Result<MultipartWriter> {
        check_key(key)?;
        let part_size = self.config.part_size_for(None)?;
        Ok(MultipartWriter::new(
            self.store.clone(),
            key,
            part_size,
            &self.config,
        ))
    }
}

/// Writes one object through a multipart upload, several parts at a time.
///
/// Data is cut into parts of exactly the configured part size (the last may
/// be smaller: Cloudflare R2 rejects uneven parts); up to `max_concurrency`
/// parts upload at once, and writing waits while that many are in flight;
/// a new part buffer is started only when a part may be sent, so parts in
/// memory stay at most `max_concurrency` (`part size x max_concurrency`
/// bytes). The upload starts
/// with the first full part; an object smaller than one part is written with
/// a single PUT instead.
///
/// The object appears only when [`complete`](Self::complete) (or
/// `AsyncWrite::poll_shutdown`) succeeds. On any error the upload is aborted
/// before the error is returned, and a writer dropped before completing
/// aborts its upload in the background (when dropped inside a Tokio
/// runtime); if that abort fails, [`upload_id`](Self::upload_id) and
/// [`S3Store::abort_multipart_upload`] retry it. `poll_flush` only hands
/// full parts on: data reaches S3 on completion.
///
/// Needs a Tokio runtime: parts upload on spawned tasks.
///
/// ```no_run
/// # async fn demo(store: &s3lite::S3Store) -> s3lite::Result<()> {
/// let mut writer = store.multipart_writer("big.bin")?;
/// for _ in 0..4 {
///     writer.put_part(bytes::Bytes::from(vec![0u8; 4 << 20])).await?;
/// }
/// let put = writer.complete().await?;
/// # let _ = put; Ok(()) }
/// ```
pub struct MultipartWriter {
    store: S3Store,
    key: String,
    part_size: usize,
    max_concurrency: usize,
    buffer: BytesMut,
    upload: Upload,
    in_flight: JoinSet<Result<CompletedPart>>,
    parts: Vec<CompletedPart>,
    next_part: u32,
    phase: Phase,
    tracker: Arc<Tracker>,
}

enum Upload {
    NotStarted,
    Creating(JoinHandle<Result<String>>),
    Open(Arc<str>),
}

enum Phase {
    Writing,
    Completing(BoxFuture<'static, Result<PutResult>>),
    Done(PutResult),
    Aborting {
        abort: BoxFuture<'static, Result<()>>,
        error: Option<Error>,
    },
    Failed {
        kind: ErrorKind,
        message: String,
        aborted: bool,
    },
}

impl MultipartWriter {
    pub(crate) fn new(store: S3Store, key: &str, part_size: u64, config: &TransferConfig) -> Self {
        MultipartWriter {
            store,
            key: key.to_string(),
            // Part sizes are at most 5 GiB, which fits usize on 64-bit
            // targets; on 32-bit ones clamp to what memory can hold anyway.
            part_size: usize::try_from(part_size).unwrap_or(usize::MAX),
            max_concurrency: config.max_concurrency.max(1),
            buffer: BytesMut::new(),
            upload: Upload::NotStarted,
            in_flight: JoinSet::new(),
            parts: Vec::new(),
            next_part: 1,
            phase: Phase::Writing,
            tracker: Tracker::new(None, None),
        }
    }

    /// Reports progress to `callback`: bytes of acknowledged parts, and the
    /// total once completed.
    pub fn with_progress(self, callback: ProgressCallback) -> Self {
        self.with_tracker(Tracker::new(Some(callback), None))
    }

    pub(crate) fn with_tracker(mut self, tracker: Arc<Tracker>) -> Self {
        self.tracker = tracker;
        self
    }

    /// The object key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The part size.
    pub fn part_size(&self) -> u64 {
        self.part_size as u64
    }

    /// The upload id, once the upload has started.
    pub fn upload_id(&self) -> Option<&str> {
        match &self.upload {
            Upload::Open(id) => Some(id),
            _ => None,
        }
    }

    /// Appends `data` to the object. Data is cut into parts of the part
    /// size whatever the size of `data`; a `data` of whole parts is sliced
    /// without copying. Waits while `max_concurrency` parts are in flight.
    ///
    /// # Errors
    /// The first failed part or start of the upload (the upload is then
    /// aborted), or use after completion.
    pub async fn put_part(&mut self, mut data: Bytes) -> Result<()> {
        poll_fn(|cx| self.drive(cx, |this, cx| this.poll_put(cx, &mut data))).await
    }

    /// Uploads what is buffered, waits for every part and completes the
    /// upload; the object then exists. Calling it again returns the same
    /// result.
    ///
    /// See [CompleteMultipartUpload](https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html).
    ///
    /// # Errors
    /// The first failed part, or the completion's error; the upload is then
    /// aborted.
    pub async fn complete(&mut self) -> Result<PutResult> {
        poll_fn(|cx| self.drive(cx, Self::poll_complete)).await
    }

    /// Stops: cancels parts in flight and aborts the upload. Safe to call
    /// again, which retries a failed abort.
    ///
    /// # Errors
    /// `InvalidInput` after a successful completion; what S3 answers to
    /// AbortMultipartUpload.
    pub async fn abort(&mut self) -> Result<()> {
        match &self.phase {
            Phase::Done(_) => {
                return Err(Error::invalid_input(format!(
                    "multipart upload of {} already completed",
                    self.key
                )));
            }
            Phase::Failed { aborted: true, .. } => return Ok(()),
            _ => {}
        }
        self.in_flight.abort_all();
        let outcome = match self.abort_future() {
            Some(abort) => abort.await,
            None => Ok(()),
        };
        let (kind, message) = match &self.phase {
            Phase::Failed { kind, message, .. } => (*kind, message.clone()),
            _ => (
                ErrorKind::InvalidInput,
                format!("multipart upload of {} was aborted", self.key),
            ),
        };
        self.phase = Phase::Failed {
            kind,
            message,
            aborted: outcome.is_ok(),
        };
        outcome
    }

    /// Runs `step`; an error aborts the upload before it is returned, and a
    /// failed writer returns its error again.
    fn drive<T>(
        &mut self,
        cx: &mut Context<'_>,
        step: impl FnOnce(&mut Self, &mut Context<'_>) -> Poll<Result<T>>,
    ) -> Poll<Result<T>> {
        if matches!(self.phase, Phase::Aborting { .. } | Phase::Failed { .. }) {
            return self.poll_aborting(cx).map(Err);
        }
        match step(self, cx) {
            Poll::Ready(Err(e)) => {
                self.in_flight.abort_all();
                let abort = self
                    .abort_future()
                    .unwrap_or_else(|| Box::pin(async { Ok(()) }));
                self.phase = Phase::Aborting {
                    abort,
                    error: Some(e),
                };
                self.poll_aborting(cx).map(Err)
            }
            other => other,
        }
    }

    /// Waits for the abort started by an error, then returns that error
    /// (the first time; a copy of its kind and message afterwards).
    fn poll_aborting(&mut self, cx: &mut Context<'_>) -> Poll<Error> {
        match &mut self.phase {
            Phase::Aborting { abort, error } => {
                let outcome = ready!(abort.as_mut().poll(cx));
                let error = error
                    .take()
                    .unwrap_or_else(|| Error::new(ErrorKind::Service, "multipart upload failed"));
                self.phase = Phase::Failed {
                    kind: error.kind(),
                    message: error.message().to_string(),
                    aborted: outcome.is_ok(),
                };
                Poll::Ready(error)
            }
            Phase::Failed { kind, message, .. } => Poll::Ready(Error::new(
                *kind,
                format!("{message} (the multipart writer failed earlier)"),
            )),
            _ => Poll::Ready(Error::new(
                ErrorKind::Service,
                "multipart writer: no failure to report",
            )),
        }
    }

    /// The abort of the current upload, if one was started.
    fn abort_future(&mut self) -> Option<BoxFuture<'static, Result<()>>> {
        let store = self.store.clone();
        let key = self.key.clone();
        match std::mem::replace(&mut self.upload, Upload::NotStarted) {
            Upload::NotStarted => None,
            Upload::Open(id) => {
                self.upload = Upload::Open(Arc::clone(&id));
                Some(Box::pin(async move {
                    store.abort_multipart_upload(&key, &id).await
                }))
            }
            Upload::Creating(handle) => Some(Box::pin(async move {
                match handle.await {
                    Ok(Ok(id)) => store.abort_multipart_upload(&key, &id).await,
                    _ => Ok(()),
                }
            })),
        }
    }

    fn check_writing(&self) -> Result<()> {
        match self.phase {
            Phase::Writing => Ok(()),
            _ => Err(Error::invalid_input(format!(
                "multipart upload of {}: write after completion",
                self.key
            ))),
        }
    }

    fn poll_put(&mut self, cx: &mut Context<'_>, data: &mut Bytes) -> Poll<Result<()>> {
        self.check_writing()?;
        loop {
            if self.buffer.len() >= self.part_size {
                ready!(self.poll_slot(cx))?;
                let part = std::mem::take(&mut self.buffer).freeze();
                self.dispatch(part)?;
            }
            if data.is_empty() {
                return Poll::Ready(Ok(()));
            }
            if self.buffer.is_empty() && data.len() >= self.part_size {
                ready!(self.poll_slot(cx))?;
                let part = data.split_to(self.part_size);
                self.dispatch(part)?;
                continue;
            }
            ready!(self.poll_buffer(cx))?;
            let n = data.len().min(self.part_size - self.buffer.len());
            self.buffer_extend(&data.split_to(n));
        }
    }

    fn poll_write_bytes(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize>> {
        self.check_writing()?;
        if self.buffer.len() >= self.part_size {
            ready!(self.poll_slot(cx))?;
            let part = std::mem::take(&mut self.buffer).freeze();
            self.dispatch(part)?;
        }
        ready!(self.poll_buffer(cx))?;
        let n = buf.len().min(self.part_size - self.buffer.len());
        self.buffer_extend(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    /// Before a new part buffer is started, waits until a part may be sent,
    /// so parts in memory (in flight plus the one filling) stay at most
    /// `max_concurrency`.
    fn poll_buffer(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if self.buffer.capacity() == 0 && !matches!(self.upload, Upload::NotStarted) {
            ready!(self.poll_slot(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    fn poll_flush_parts(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.check_writing()?;
        if self.buffer.len() >= self.part_size {
            ready!(self.poll_slot(cx))?;
            let part = std::mem::take(&mut self.buffer).freeze();
            self.dispatch(part)?;
        }
        // Surface failed parts early without waiting for the others.
        while let Some(done) = self.in_flight.try_join_next() {
            self.record(done)?;
        }
        Poll::Ready(Ok(()))
    }

    fn buffer_extend(&mut self, data: &[u8]) {
        if self.buffer.capacity() == 0 {
            // One allocation of exactly one part, handed to the part upload whole.
            self.buffer.reserve(self.part_size);
        }
        self.buffer.extend_from_slice(data);
    }

    /// Ready when the upload has started and a part may be sent.
    fn poll_slot(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        loop {
            match &mut self.upload {
                Upload::Open(_) => break,
                Upload::NotStarted => {
                    let store = self.store.clone();
                    let key = self.key.clone();
                    self.upload = Upload::Creating(tokio::spawn(async move {
                        store.create_multipart_upload(&key).await
                    }));
                }
                Upload::Creating(handle) => {
                    let created = ready!(Pin::new(handle).poll(cx));
                    match created {
                        Ok(Ok(id)) => self.upload = Upload::Open(id.into()),
                        Ok(Err(e)) => {
                            self.upload = Upload::NotStarted;
                            return Poll::Ready(Err(e));
                        }
                        Err(join) => {
                            self.upload = Upload::NotStarted;
                            return Poll::Ready(Err(task_failed(join)));
                        }
                    }
                }
            }
        }
        while self.in_flight.len() >= self.max_concurrency {
            match ready!(self.in_flight.poll_join_next(cx)) {
                Some(done) => self.record(done)?,
                None => break,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Starts uploading `data` as the next part; [`poll_slot`](Self::poll_slot) first.
    fn dispatch(&mut self, data: Bytes) -> Result<()> {
        let Upload::Open(id) = &self.upload else {
            return Err(Error::new(
                ErrorKind::Service,
                "multipart writer: part sent before the upload started",
            ));
        };
        let number = self.next_part;
        if u64::from(number) > MAX_PARTS {
            return Err(Error::invalid_input(format!(
                "{}: more than 10,000 parts of {} bytes; raise multipart_chunksize",
                self.key, self.part_size
            )));
        }
        self.next_part += 1;
        let store = self.store.clone();
        let key = self.key.clone();
        let id = Arc::clone(id);
        let tracker = Arc::clone(&self.tracker);
        self.in_flight.spawn(async move {
            let len = data.len() as u64;
            let part = store.upload_part(&key, &id, number, data).await?;
            tracker.add(len);
            Ok(part)
        });
        Ok(())
    }

    fn record(&mut self, done: Result<Result<CompletedPart>, JoinError>) -> Result<()> {
        let part = done.map_err(task_failed)??;
        self.parts.push(part);
        Ok(())
    }

    fn poll_complete(&mut self, cx: &mut Context<'_>) -> Poll<Result<PutResult>> {
        loop {
            match &mut self.phase {
                Phase::Done(result) => return Poll::Ready(Ok(result.clone())),
                Phase::Completing(fut) => {
                    let result = ready!(fut.as_mut().poll(cx))?;
                    self.phase = Phase::Done(result.clone());
                    self.tracker.finish();
                    return Poll::Ready(Ok(result));
                }
                Phase::Writing => {}
                Phase::Aborting { .. } | Phase::Failed { .. } => {
                    return Poll::Ready(Err(Error::new(
                        ErrorKind::Service,
                        "multipart writer: completing a failed upload",
                    )));
                }
            }
            let store = self.store.clone();
            let key = self.key.clone();
            if matches!(self.upload, Upload::NotStarted) {
                // Less than one part: a plain PUT, no upload to clean up.
                let data = std::mem::take(&mut self.buffer).freeze();
                let tracker = Arc::clone(&self.tracker);
                self.phase = Phase::Completing(Box::pin(async move {
                    let len = data.len() as u64;
                    let put = store.put(&key, data).await?;
                    tracker.add(len);
                    Ok(put)
                }));
                continue;
            }
            if !self.buffer.is_empty() {
                ready!(self.poll_slot(cx))?;
                let part = std::mem::take(&mut self.buffer).freeze();
                self.dispatch(part)?;
            }
            while let Some(done) = ready!(self.in_flight.poll_join_next(cx)) {
                self.record(done)?;
            }
            let Upload::Open(id) = &self.upload else {
                // poll_slot above or an earlier part opened it.
                return Poll::Ready(Err(Error::new(
                    ErrorKind::Service,
                    "multipart writer: completing an upload that never started",
                )));
            };
            let id = Arc::clone(id);
            let mut parts = std::mem::take(&mut self.parts);
            parts.sort_by_key(|p| p.part_number);
            self.phase = Phase::Completing(Box::pin(async move {
                store.complete_multipart_upload(&key, &id, &parts).await
            }));
        }
    }
}

impl AsyncWrite for MultipartWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.drive(cx, |w, cx| w.poll_write_bytes(cx, buf))
            .map_err(io::Error::other)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if matches!(this.phase, Phase::Done(_)) {
            return Poll::Ready(Ok(()));
        }
        this.drive(cx, Self::poll_flush_parts)
            .map_err(io::Error::other)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.drive(cx, Self::poll_complete)
            .map(|r| r.map(drop))
            .map_err(io::Error::other)
    }
}

impl Drop for MultipartWriter {
    fn drop(&mut self) {
        let done = matches!(
            self.phase,
            Phase::Done(_) | Phase::Failed { aborted: true, .. }
        );
        if done {
            return;
        }
        // Dropping the set cancels the parts in flight.
        self.in_flight.abort_all();
        if let (Some(abort), Ok(runtime)) =
            (self.abort_future(), tokio::runtime::Handle::try_current())
        {
            runtime.spawn(async move {
                let _best_effort = abort.await;
            });
        }
    }
}

impl fmt::Debug for MultipartWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phase = match &self.phase {
            Phase::Writing => "writing",
            Phase::Completing(_) => "completing",
            Phase::Done(_) => "done",
            Phase::Aborting { .. } => "aborting",
            Phase::Failed { .. } => "failed",
        };
        f.debug_struct("MultipartWriter")
            .field("key", &self.key)
            .field("upload_id", &self.upload_id())
            .field("part_size", &self.part_size)
            .field("parts_sent", &(self.next_part - 1))
            .field("in_flight", &self.in_flight.len())
            .field("phase", &phase)
            .finish()
    }
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
    let hex: String = md5.iter().map(|b| format!("{b:02x}")).collect();
    Some(format!("{hex}-{}", parts.len()))
}

fn task_failed(e: JoinError) -> Error {
    Error::new(
        ErrorKind::Service,
        format!("multipart upload task failed: {e}"),
    )
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
