//! [`MultipartWriter`]: one object written through a multipart upload,
//! several parts at a time, built on the multipart calls of
//! [`super::multipart`].

use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use tokio::io::AsyncWrite;
use tokio::task::{JoinError, JoinHandle, JoinSet};

use super::part_buffer::{BufferPool, PartBuffer};
use super::progress::{ProgressCallback, Tracker};
use super::put::PutOptions;
use super::transfer::{MAX_PARTS, TransferConfig};
use super::{S3Store, check_key};
use crate::error::{Error, ErrorKind, Result};
use crate::transport::{BoxFuture, RequestBody};
use crate::xml::CompletedPart;

use super::types::PutResult;

impl super::transfer::Transfer {
    /// A [`MultipartWriter`] for `key` with this transfer's part size and
    /// concurrency.
    ///
    /// # Errors
    /// `InvalidInput` for a bad key.
    pub fn multipart_writer(&self, key: &str) -> Result<MultipartWriter> {
        self.multipart_writer_opts(key, PutOptions::default())
    }

    /// A [`MultipartWriter`] for `key` that writes the object with
    /// `options`: attributes, metadata, tags and encryption on the upload,
    /// and the condition (`PutMode::Create` / `Update`) on its completion
    /// (or on the single PUT of an object smaller than one part).
    ///
    /// # Errors
    /// `InvalidInput` for a bad key.
    pub fn multipart_writer_opts(&self, key: &str, options: PutOptions) -> Result<MultipartWriter> {
        check_key(key)?;
        let part_size = self.config.part_size_for(None)?;
        Ok(
            MultipartWriter::new(self.store.clone(), key, part_size, &self.config)
                .with_options(options),
        )
    }
}

/// Writes one object through a multipart upload, several parts at a time.
///
/// Data is cut into parts of exactly the configured part size (the last may
/// be smaller: Cloudflare R2 rejects uneven parts); up to `max_concurrency`
/// parts upload at once, and writing waits while that many are in flight;
/// a new part is started only when a part may be sent, so parts in memory
/// stay at most `max_concurrency` (`part size x max_concurrency` bytes).
/// [`put_part`](Self::put_part) keeps the caller's `Bytes` as they are
/// (sliced at part boundaries, never copied) and sends a part made of
/// several of them as one body; `AsyncWrite` copies its borrowed slices into
/// part buffers that are reused once their part is sent. Signing and
/// checksums run on the part's own task, not on the one that feeds the
/// writer. The upload starts with the first full part; an object smaller
/// than one part is written with a single PUT instead.
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
    /// The part being filled (the caller's chunks, uncopied).
    part: PartBuffer,
    /// Copy buffers for borrowed input (`AsyncWrite`), reused across parts.
    pool: BufferPool,
    upload: Upload,
    in_flight: JoinSet<Result<CompletedPart>>,
    parts: Vec<CompletedPart>,
    next_part: u32,
    phase: Phase,
    tracker: Arc<Tracker>,
    /// How the object is written: attributes on create, condition on complete.
    options: Arc<PutOptions>,
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
            part: PartBuffer::default(),
            pool: BufferPool::new(config.max_concurrency.max(1) + 1),
            upload: Upload::NotStarted,
            in_flight: JoinSet::new(),
            parts: Vec::new(),
            next_part: 1,
            phase: Phase::Writing,
            tracker: Tracker::new(None, None),
            options: Arc::default(),
        }
    }

    /// Writes the object with `options` (see
    /// [`Transfer::multipart_writer_opts`](super::transfer::Transfer::multipart_writer_opts)).
    pub(crate) fn with_options(mut self, options: PutOptions) -> Self {
        self.options = Arc::new(options);
        self
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
    /// size whatever the size of `data`, without copying: parts are slices
    /// of the chunks given. Waits while `max_concurrency` parts are in
    /// flight.
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
            if self.part.len() >= self.part_size {
                ready!(self.poll_slot(cx))?;
                let part = self.part.take();
                self.dispatch(part)?;
            }
            if data.is_empty() {
                return Poll::Ready(Ok(()));
            }
            if self.part.is_empty() && data.len() >= self.part_size {
                ready!(self.poll_slot(cx))?;
                let part = data.split_to(self.part_size);
                self.dispatch(vec![part])?;
                continue;
            }
            ready!(self.poll_buffer(cx))?;
            let n = data.len().min(self.part_size - self.part.len());
            // The caller's bytes, sliced, not copied.
            self.part.push(data.split_to(n));
        }
    }

    fn poll_write_bytes(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize>> {
        self.check_writing()?;
        if self.part.len() >= self.part_size {
            ready!(self.poll_slot(cx))?;
            let part = self.part.take();
            self.dispatch(part)?;
        }
        ready!(self.poll_buffer(cx))?;
        let n = buf.len().min(self.part_size - self.part.len());
        self.part.copy_from(&buf[..n], self.part_size, &self.pool);
        Poll::Ready(Ok(n))
    }

    /// Before a new part buffer is started, waits until a part may be sent,
    /// so parts in memory (in flight plus the one filling) stay at most
    /// `max_concurrency`.
    fn poll_buffer(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if self.part.is_empty() && !matches!(self.upload, Upload::NotStarted) {
            ready!(self.poll_slot(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    fn poll_flush_parts(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.check_writing()?;
        if self.part.len() >= self.part_size {
            ready!(self.poll_slot(cx))?;
            let part = self.part.take();
            self.dispatch(part)?;
        }
        // Surface failed parts early without waiting for the others.
        while let Some(done) = self.in_flight.try_join_next() {
            self.record(done)?;
        }
        Poll::Ready(Ok(()))
    }

    /// Ready when the upload has started and a part may be sent.
    fn poll_slot(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        loop {
            match &mut self.upload {
                Upload::Open(_) => break,
                Upload::NotStarted => {
                    let store = self.store.clone();
                    let key = self.key.clone();
                    let options = Arc::clone(&self.options);
                    self.upload = Upload::Creating(tokio::spawn(async move {
                        store.create_multipart_upload_opts(&key, &options).await
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

    /// Starts uploading `chunks` as the next part; [`poll_slot`](Self::poll_slot) first.
    fn dispatch(&mut self, chunks: Vec<Bytes>) -> Result<()> {
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
        let (pool, part_size) = (self.pool.clone(), self.part_size);
        // Signing, checksums and sending run on this task, off the one that
        // feeds the writer.
        self.in_flight.spawn(async move {
            let len: u64 = chunks.iter().map(|c| c.len() as u64).sum();
            let body = RequestBody::from_chunks(chunks.clone());
            let part = store
                .upload_part_body(&key, &id, number, body, None)
                .await?;
            tracker.add(len);
            // The request has dropped its references: copy buffers go back.
            pool.give_back(chunks, part_size);
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
                let data = RequestBody::from_chunks(self.part.take());
                let tracker = Arc::clone(&self.tracker);
                let options = Arc::clone(&self.options);
                self.phase = Phase::Completing(Box::pin(async move {
                    let len = data.len_hint().unwrap_or(0);
                    let put = store.put_body(&key, data, &options, None).await?;
                    tracker.add(len);
                    Ok(put)
                }));
                continue;
            }
            if !self.part.is_empty() {
                ready!(self.poll_slot(cx))?;
                let part = self.part.take();
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
            let options = Arc::clone(&self.options);
            self.phase = Phase::Completing(Box::pin(async move {
                store
                    .complete_multipart_upload_opts(&key, &id, &parts, &options.mode)
                    .await
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
        if let Some(abort) = self.abort_future() {
            super::upload_guard::abort_in_background(&self.store, async move {
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

/// The error for a part task that panicked or was cancelled.
pub(crate) fn task_failed(e: JoinError) -> Error {
    Error::new(
        ErrorKind::Service,
        format!("multipart upload task failed: {e}"),
    )
}
