//! Large transfers: [`TransferConfig`], streamed and file uploads, parallel
//! ranged downloads, and composer-style helpers (`upload_file`,
//! `download_file`, `object_size`, `list_keys`, `list_relative_keys`, `uri`).
//!
//! The [`S3Store`] methods use [`TransferConfig::default`]; [`S3Store::transfer`]
//! gives a [`Transfer`] with another configuration.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::atomic::{AtomicU32, Ordering};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;

use super::progress::{ProgressCallback, Tracker};
use super::put::PutOptions;
use super::types::{ObjectMeta, PutResult};
use super::writer::MultipartWriter;
use super::{S3Store, check_key};
use crate::error::{Error, ErrorKind, Result};

const MIB: u64 = 1024 * 1024;
/// S3's smallest part (except the last).
pub(crate) const MIN_PART_SIZE: u64 = 5 * MIB;
/// S3's largest part, and largest single PUT.
pub(crate) const MAX_PART_SIZE: u64 = 5 * 1024 * MIB;
/// S3's most parts in one upload.
pub(crate) const MAX_PARTS: u64 = 10_000;
/// S3's largest object.
pub(crate) const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * MIB;

/// How large transfers are cut up, with boto3's defaults.
///
/// Parts are `multipart_chunksize` bytes, except the last; for a known size
/// that would need more than 10,000 parts, the part size grows (in whole
/// MiB) so that it fits. An upload holds at most `max_concurrency` parts in
/// memory (`multipart_chunksize x max_concurrency` bytes).
///
/// ```
/// use s3lite::TransferConfig;
/// let config = TransferConfig::default()
///     .with_multipart_chunksize(16 * 1024 * 1024)
///     .with_max_concurrency(4);
/// config.validate()?;
/// # Ok::<(), s3lite::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransferConfig {
    /// Uploads of at least this many bytes use a multipart upload; smaller
    /// ones a single PUT. Default 8 MiB; at most 5 GiB (S3's PUT limit).
    pub multipart_threshold: u64,
    /// The part size of multipart uploads and the range size of parallel
    /// downloads. Default 8 MiB; 5 MiB to 5 GiB.
    pub multipart_chunksize: u64,
    /// Parts or ranges in flight at once. Default 10; at least 1.
    pub max_concurrency: usize,
}

impl Default for TransferConfig {
    fn default() -> Self {
        TransferConfig {
            multipart_threshold: 8 * MIB,
            multipart_chunksize: 8 * MIB,
            max_concurrency: 10,
        }
    }
}

impl TransferConfig {
    /// Sets [`multipart_threshold`](Self::multipart_threshold).
    pub fn with_multipart_threshold(mut self, bytes: u64) -> Self {
        self.multipart_threshold = bytes;
        self
    }

    /// Sets [`multipart_chunksize`](Self::multipart_chunksize).
    pub fn with_multipart_chunksize(mut self, bytes: u64) -> Self {
        self.multipart_chunksize = bytes;
        self
    }

    /// Sets [`max_concurrency`](Self::max_concurrency).
    pub fn with_max_concurrency(mut self, n: usize) -> Self {
        self.max_concurrency = n;
        self
    }

    /// Checks the values against S3's limits.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig) naming
    /// the field and its value.
    pub fn validate(&self) -> Result<()> {
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&self.multipart_chunksize) {
            return Err(Error::invalid_config(
                "multipart_chunksize",
                &self.multipart_chunksize.to_string(),
                "S3 parts are 5 MiB (5242880) to 5 GiB (5368709120) bytes",
            ));
        }
        if !(1..=MAX_PART_SIZE).contains(&self.multipart_threshold) {
            return Err(Error::invalid_config(
                "multipart_threshold",
                &self.multipart_threshold.to_string(),
                "must be 1 byte to 5 GiB (5368709120), S3's largest single PUT",
            ));
        }
        if self.max_concurrency == 0 {
            return Err(Error::invalid_config(
                "max_concurrency",
                "0",
                "at least one part must be in flight",
            ));
        }
        Ok(())
    }

    /// The part size for an upload of `size` bytes (unknown when `None`):
    /// `multipart_chunksize`, grown in whole MiB when `size` would need more
    /// than 10,000 parts.
    ///
    /// # Errors
    /// `InvalidInput` when `size` is over 5 TiB, S3's largest object.
    pub fn part_size_for(&self, size: Option<u64>) -> Result<u64> {
        let Some(size) = size else {
            return Ok(self.multipart_chunksize);
        };
        if size > MAX_OBJECT_SIZE {
            return Err(Error::invalid_input(format!(
                "{size} bytes is more than S3's largest object, 5 TiB ({MAX_OBJECT_SIZE} bytes)"
            )));
        }
        let needed = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
        Ok(self.multipart_chunksize.max(needed).min(MAX_PART_SIZE))
    }
}

/// An [`S3Store`] with its own [`TransferConfig`]; from [`S3Store::transfer`].
#[derive(Clone)]
pub struct Transfer {
    pub(crate) store: S3Store,
    pub(crate) config: TransferConfig,
}

impl fmt::Debug for Transfer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transfer")
            .field("bucket", &self.store.bucket())
            .field("config", &self.config)
            .finish()
    }
}

impl Transfer {
    /// The configuration.
    pub fn config(&self) -> &TransferConfig {
        &self.config
    }

    /// The store.
    pub fn store(&self) -> &S3Store {
        &self.store
    }
}

impl S3Store {
    /// This store with `config` for large transfers.
    ///
    /// # Errors
    /// `InvalidConfig` when `config` is outside S3's limits (see
    /// [`TransferConfig::validate`]).
    pub fn transfer(&self, config: TransferConfig) -> Result<Transfer> {
        config.validate()?;
        Ok(Transfer {
            store: self.clone(),
            config,
        })
    }

    /// [`S3Store::transfer`] with the store's configuration
    /// ([`S3StoreBuilder::transfer_config`](crate::S3StoreBuilder::transfer_config)),
    /// which `build()` validated.
    pub(crate) fn default_transfer(&self) -> Transfer {
        Transfer {
            store: self.clone(),
            config: self.settings.transfer.clone(),
        }
    }
}

impl Transfer {
    /// Writes the stream `data` (of any length, unknown in advance) as the
    /// object `key`: a single PUT when it ends before
    /// [`multipart_threshold`](TransferConfig::multipart_threshold) bytes,
    /// otherwise a [`MultipartWriter`]. Memory stays near
    /// `max(multipart_threshold, multipart_chunksize x max_concurrency)`.
    ///
    /// See [PutObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html)
    /// and [CreateMultipartUpload](https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html).
    ///
    /// # Errors
    /// An error of the stream (the upload is then aborted and no object
    /// appears), `InvalidInput` past 10,000 parts, and what S3 answers.
    pub async fn put_stream<S>(
        &self,
        key: &str,
        data: S,
        progress: Option<ProgressCallback>,
    ) -> Result<PutResult>
    where
        S: Stream<Item = Result<Bytes>> + Send,
    {
        self.put_stream_opts(key, data, PutOptions::default(), progress)
            .await
    }

    /// As [`put_stream`](Self::put_stream), writing the object with
    /// `options`: attributes, metadata, tags, encryption and the condition
    /// ([`PutMode::Create`](super::PutMode::Create) / `Update`, checked by
    /// the single PUT or at CompleteMultipartUpload).
    ///
    /// # Errors
    /// As [`put_stream`](Self::put_stream); `AlreadyExists` /
    /// `PreconditionFailed` when the condition fails (a multipart upload is
    /// then aborted).
    pub async fn put_stream_opts<S>(
        &self,
        key: &str,
        data: S,
        options: PutOptions,
        progress: Option<ProgressCallback>,
    ) -> Result<PutResult>
    where
        S: Stream<Item = Result<Bytes>> + Send,
    {
        check_key(&self.store.full_key(key))?;
        let tracker = Tracker::new(progress, None);
        let mut data = pin!(data);
        let mut head = Vec::new();
        let mut held = 0u64;
        let mut ended = false;
        while held < self.config.multipart_threshold {
            match poll_fn(|cx| data.as_mut().poll_next(cx)).await {
                Some(chunk) => {
                    let chunk = chunk.map_err(|e| stream_failed(key, e))?;
                    held += chunk.len() as u64;
                    head.push(chunk);
                }
                None => {
                    ended = true;
                    break;
                }
            }
        }
        if ended {
            let body = concat(head);
            let len = body.len() as u64;
            let put = self.store.put_opts(key, body, options).await?;
            tracker.add(len);
            tracker.finish();
            return Ok(put);
        }
        let part_size = self.config.part_size_for(None)?;
        let mut writer = MultipartWriter::new(self.store.clone(), key, part_size, &self.config)
            .with_tracker(tracker)
            .with_options(options);
        for chunk in head {
            writer.put_part(chunk).await?;
        }
        while let Some(chunk) = poll_fn(|cx| data.as_mut().poll_next(cx)).await {
            match chunk {
                Ok(chunk) => writer.put_part(chunk).await?,
                Err(e) => {
                    // Best effort: the writer's drop retries a failed abort.
                    let _ = writer.abort().await;
                    return Err(stream_failed(key, e));
                }
            }
        }
        writer.complete().await
    }

    /// Uploads the file at `path` as the object `key`: a single PUT below
    /// [`multipart_threshold`](TransferConfig::multipart_threshold), else
    /// parts read from the file and uploaded `max_concurrency` at a time.
    /// `progress` gets the file size as total.
    ///
    /// # Errors
    /// `NotFound` or `PermissionDenied` when the file cannot be read, other
    /// local I/O errors as `InvalidInput`, and what S3 answers; a failed
    /// multipart upload is aborted.
    pub async fn upload_file(
        &self,
        key: &str,
        path: impl AsRef<Path>,
        progress: Option<ProgressCallback>,
    ) -> Result<PutResult> {
        self.upload_file_opts(key, path, PutOptions::default(), progress)
            .await
    }

    /// As [`upload_file`](Self::upload_file), writing the object with
    /// `options` (boto3's `ExtraArgs`): `Content-Type` and the other
    /// attributes, metadata, tags, a per-upload checksum and the condition
    /// ([`PutMode::Create`](super::PutMode::Create) / `Update`, on the
    /// single PUT or at CompleteMultipartUpload).
    ///
    /// # Errors
    /// As [`upload_file`](Self::upload_file); `AlreadyExists` /
    /// `PreconditionFailed` when the condition fails (a multipart upload is
    /// then aborted).
    pub async fn upload_file_opts(
        &self,
        key: &str,
        path: impl AsRef<Path>,
        options: PutOptions,
        progress: Option<ProgressCallback>,
    ) -> Result<PutResult> {
        let path = path.as_ref();
        check_key(&self.store.full_key(key))?;
        // The size alone: the upload opens the file itself.
        let size = tokio::fs::metadata(path)
            .await
            .map_err(|e| io_error("read the size of", path, e))?
            .len();
        let tracker = Tracker::new(progress, Some(size));
        // Bodies are read from the file while sent (RequestBody::File): no
        // part is held in memory, and a retry resends the same bytes.
        if size < self.config.multipart_threshold {
            let put = self.store.put_file(key, path, size, &options).await?;
            tracker.add(size);
            tracker.finish();
            return Ok(put);
        }
        let part_size = self.config.part_size_for(Some(size))?;
        super::file_upload::upload_file_multipart(
            &self.store,
            key,
            path,
            (size, part_size),
            self.config.max_concurrency,
            &options,
            tracker,
        )
        .await
    }

    /// Downloads the object `key` into the file at `path`, fetching ranges
    /// of [`multipart_chunksize`](TransferConfig::multipart_chunksize)
    /// bytes, `max_concurrency` at a time. Every range is pinned to the
    /// object's ETag (`If-Match`), so a change mid-way fails instead of
    /// mixing versions.
    ///
    /// The ranges are written into a temporary file in the same directory,
    /// which is synced and then renamed over `path`: an existing file is
    /// replaced only by the whole object, and a failed or dropped download
    /// leaves it untouched (and removes the temporary file). This is
    /// [`download_file`](Self::download_file) with `overwrite = true`.
    ///
    /// See [GetObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
    ///
    /// # Errors
    /// `NotFound` for a missing object; `PreconditionFailed` when the
    /// object changed during the download; local I/O errors.
    pub async fn download_to_file(
        &self,
        key: &str,
        path: impl AsRef<Path>,
        progress: Option<ProgressCallback>,
    ) -> Result<ObjectMeta> {
        self.download_file(key, path, true, progress).await
    }

    /// Downloads the object `key` to `path`, like composer's
    /// `download_object`: fails with `AlreadyExists` when `path` exists and
    /// `overwrite` is false (the file is left untouched), creates missing
    /// parent directories, writes a temporary file in the same directory
    /// (ranges in parallel, each pinned to the object's ETag; with download
    /// validation on, the object's stored checksum is checked against the
    /// bytes written, see below), syncs it and renames it into place. On any error, or if the future is dropped, the
    /// temporary file is removed and `path` is untouched.
    ///
    /// Checked with `response_checksum_validation` on: a full-object CRC
    /// (combined from the ranges' CRCs), a SHA-1/SHA-256 of an object that
    /// fits in one range, and a composite multipart checksum (the object is
    /// then fetched part by part, each part checked against its own
    /// checksum, and their composite against the object's).
    ///
    /// # Errors
    /// `AlreadyExists` as above; `NotFound` for a missing object;
    /// `PreconditionFailed` when the object changed during the download;
    /// `Integrity` when the bytes do not match the object's checksum; local
    /// I/O errors.
    pub async fn download_file(
        &self,
        key: &str,
        path: impl AsRef<Path>,
        overwrite: bool,
        progress: Option<ProgressCallback>,
    ) -> Result<ObjectMeta> {
        let path = path.as_ref();
        check_key(&self.store.full_key(key))?;
        if !overwrite && exists(path).await? {
            return Err(already_exists(path));
        }
        let name = path.file_name().ok_or_else(|| {
            Error::invalid_input(format!("{} does not name a file", path.display()))
        })?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| io_error("create the directory", &dir, e))?;
        let temp = TempFile(Some(dir.join(temp_name(name))));
        let temp_path = temp.path().to_path_buf();
        let meta = self.download_in_place(key, &temp_path, progress).await?;
        if overwrite {
            tokio::fs::rename(&temp_path, path)
                .await
                .map_err(|e| io_error("rename the download to", path, e))?;
        } else {
            // A hard link fails if `path` appeared meanwhile: never clobber.
            match tokio::fs::hard_link(&temp_path, path).await {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    return Err(already_exists(path));
                }
                Err(_) if exists(path).await? => return Err(already_exists(path)),
                // No hard links on this file system: rename after the check.
                Err(_) => tokio::fs::rename(&temp_path, path)
                    .await
                    .map_err(|e| io_error("rename the download to", path, e))?,
            }
        }
        drop(temp);
        sync_dir(&dir).await;
        Ok(meta)
    }
}

impl S3Store {
    /// [`Transfer::put_stream`] with [`TransferConfig::default`].
    ///
    /// ```no_run
    /// # async fn demo(store: &s3lite::S3Store) -> s3lite::Result<()> {
    /// let chunks = [Ok(bytes::Bytes::from_static(b"hello ")), Ok("world".into())];
    /// # struct Iter<I>(I);
    /// # impl<I: Iterator + Unpin> futures_core::Stream for Iter<I> {
    /// #     type Item = I::Item;
    /// #     fn poll_next(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>)
    /// #         -> std::task::Poll<Option<I::Item>> { std::task::Poll::Ready(self.0.next()) }
    /// # }
    /// store.put_stream("greeting.txt", Iter(chunks.into_iter()), None).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Transfer::put_stream`].
    pub async fn put_stream<S>(
        &self,
        key: &str,
        data: S,
        progress: Option<ProgressCallback>,
    ) -> Result<PutResult>
    where
        S: Stream<Item = Result<Bytes>> + Send,
    {
        self.default_transfer()
            .put_stream(key, data, progress)
            .await
    }

    /// [`Transfer::put_stream_opts`] with the store's transfer configuration.
    ///
    /// # Errors
    /// As [`Transfer::put_stream_opts`].
    pub async fn put_stream_opts<S>(
        &self,
        key: &str,
        data: S,
        options: PutOptions,
        progress: Option<ProgressCallback>,
    ) -> Result<PutResult>
    where
        S: Stream<Item = Result<Bytes>> + Send,
    {
        self.default_transfer()
            .put_stream_opts(key, data, options, progress)
            .await
    }

    /// [`Transfer::upload_file_opts`] with the store's transfer configuration.
    ///
    /// ```no_run
    /// # async fn demo(store: &s3lite::S3Store) -> s3lite::Result<()> {
    /// use s3lite::{PutMode, PutOptions};
    /// let options = PutOptions::default()
    ///     .with_content_type("application/vnd.apache.parquet")
    ///     .with_metadata("source", "nightly")
    ///     .with_mode(PutMode::Create);
    /// store.upload_file_opts("2026/12/03.parquet", "/data/out.parquet", options, None).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Transfer::upload_file_opts`].
    pub async fn upload_file_opts(
        &self,
        key: &str,
        path: impl AsRef<Path>,
        options: PutOptions,
        progress: Option<ProgressCallback>,
    ) -> Result<PutResult> {
        self.default_transfer()
            .upload_file_opts(key, path, options, progress)
            .await
    }

    /// [`Transfer::upload_file`] with [`TransferConfig::default`].
    ///
    /// # Errors
    /// As [`Transfer::upload_file`].
    pub async fn upload_file(
        &self,
        key: &str,
        path: impl AsRef<Path>,
        progress: Option<ProgressCallback>,
    ) -> Result<PutResult> {
        self.default_transfer()
            .upload_file(key, path, progress)
            .await
    }

    /// [`Transfer::download_to_file`] with [`TransferConfig::default`].
    ///
    /// # Errors
    /// As [`Transfer::download_to_file`].
    pub async fn download_to_file(
        &self,
        key: &str,
        path: impl AsRef<Path>,
        progress: Option<ProgressCallback>,
    ) -> Result<ObjectMeta> {
        self.default_transfer()
            .download_to_file(key, path, progress)
            .await
    }

    /// [`Transfer::download_file`] with [`TransferConfig::default`].
    ///
    /// ```no_run
    /// # async fn demo(store: &s3lite::S3Store) -> s3lite::Result<()> {
    /// store.download_file("model.bin", "/tmp/models/model.bin", false, None).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Transfer::download_file`].
    pub async fn download_file(
        &self,
        key: &str,
        path: impl AsRef<Path>,
        overwrite: bool,
        progress: Option<ProgressCallback>,
    ) -> Result<ObjectMeta> {
        self.default_transfer()
            .download_file(key, path, overwrite, progress)
            .await
    }

    /// The size in bytes of the object `key` (a HEAD request).
    ///
    /// A 403 answer is reported as `NotFound`, as composer's
    /// `get_object_size` does: S3 answers a HEAD of a missing key with 403
    /// when the caller may not list the bucket, so "forbidden" usually means
    /// "not there". The error keeps S3's status (`Error::status` is
    /// `Some(403)`) and says so; use [`S3Store::head`] to tell them apart.
    ///
    /// See [HeadObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
    ///
    /// # Errors
    /// `NotFound` for a missing object or a 403; what S3 answers otherwise.
    pub async fn object_size(&self, key: &str) -> Result<u64> {
        match self.head(key).await {
            Ok(meta) => Ok(meta.size),
            Err(e) if e.status() == Some(403) => {
                let what = format!(
                    "{} not found (403 Forbidden: without s3:ListBucket S3 answers 403 for a missing key)",
                    self.uri(key)
                );
                Err(e.with_kind(ErrorKind::NotFound).context(what))
            }
            Err(e) => Err(e),
        }
    }

    /// Every key under `prefix` (all when `None`), reading every page, as
    /// composer's `list_objects`: `prefix` is under the store's prefix, and
    /// the keys returned are the bucket's, with the store's prefix (what
    /// `s3://bucket/<key>` names). [`list_relative_keys`](Self::list_relative_keys)
    /// gives them without it, for `get` or `download_file`.
    ///
    /// ```no_run
    /// # async fn demo() -> s3lite::Result<()> {
    /// let store = s3lite::S3Store::builder().bucket("b").prefix("runs/7").build()?;
    /// // ["runs/7/ckpt/ep1.pt", ...]; list_relative_keys gives ["ckpt/ep1.pt", ...]
    /// let keys = store.list_keys(Some("ckpt/")).await?;
    /// # let _ = keys; Ok(()) }
    /// ```
    ///
    /// See [ListObjectsV2](https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html).
    ///
    /// # Errors
    /// What S3 answers to ListObjectsV2.
    pub async fn list_keys(&self, prefix: Option<&str>) -> Result<Vec<String>> {
        let keys = self.list_relative_keys(prefix).await?;
        Ok(keys.iter().map(|k| self.full_key(k).into_owned()).collect())
    }

    /// As [`list_keys`](Self::list_keys), the keys without the store's
    /// prefix: store keys, like [`S3Store::list`]'s, to pass back to `get`
    /// or `download_file`.
    ///
    /// # Errors
    /// What S3 answers to ListObjectsV2.
    pub async fn list_relative_keys(&self, prefix: Option<&str>) -> Result<Vec<String>> {
        let objects = self.list(prefix).collect().await?;
        Ok(objects.into_iter().map(|m| m.key).collect())
    }

    /// The `s3://bucket/prefix/key` URI of `key` (`s3://bucket/key` without
    /// a store prefix).
    ///
    /// ```
    /// # let store = s3lite::S3Store::builder().bucket("b").skip_signature(true).build()?;
    /// assert_eq!(store.uri("a/b.txt"), "s3://b/a/b.txt");
    /// # Ok::<(), s3lite::Error>(())
    /// ```
    pub fn uri(&self, key: &str) -> String {
        format!("s3://{}/{}", self.bucket(), self.full_key(key))
    }
}

/// Removes the file on drop unless it was renamed away.
struct TempFile(Option<PathBuf>);

impl TempFile {
    fn path(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new(""))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            // Gone already after a successful rename; otherwise remove it.
            let _ = std::fs::remove_file(path);
        }
    }
}

/// `.name.<pid>-<n>-<nanos>.s3lite-tmp`: hidden, unique, next to the target.
fn temp_name(name: &std::ffi::OsStr) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        ".{}.{}-{n}-{nanos:x}.s3lite-tmp",
        name.to_string_lossy(),
        std::process::id()
    )
}

fn concat(chunks: Vec<Bytes>) -> Bytes {
    if chunks.len() == 1 {
        return chunks.into_iter().next().unwrap_or_default();
    }
    let mut all = BytesMut::with_capacity(chunks.iter().map(Bytes::len).sum());
    for c in chunks {
        all.extend_from_slice(&c);
    }
    all.freeze()
}

async fn exists(path: &Path) -> Result<bool> {
    tokio::fs::try_exists(path)
        .await
        .map_err(|e| io_error("check", path, e))
}

async fn sync_dir(dir: &Path) {
    // Makes the rename durable on Unix; best effort, and not possible on Windows.
    #[cfg(unix)]
    if let Ok(d) = tokio::fs::File::open(dir).await {
        let _ = d.sync_all().await;
    }
    #[cfg(not(unix))]
    let _ = dir;
}

fn stream_failed(key: &str, e: Error) -> Error {
    e.context(format!("upload of {key}: the input stream failed"))
}

fn already_exists(path: &Path) -> Error {
    Error::new(
        ErrorKind::AlreadyExists,
        format!("{} exists and overwrite is false", path.display()),
    )
}

/// A local file error, with the file named.
pub(super) fn io_error(what: &str, path: &Path, e: io::Error) -> Error {
    let kind = match e.kind() {
        io::ErrorKind::NotFound => ErrorKind::NotFound,
        io::ErrorKind::PermissionDenied => ErrorKind::PermissionDenied,
        io::ErrorKind::AlreadyExists => ErrorKind::AlreadyExists,
        _ => ErrorKind::InvalidInput,
    };
    Error::new(kind, format!("cannot {what} {}: {e}", path.display())).with_source(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn transfer_futures_and_writer_are_send() {
        fn assert_send<T: Send>(_: &T) {}
        let store = S3Store::builder()
            .bucket("b1")
            .skip_signature(true)
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let empty = std::iter::empty::<Result<Bytes>>();
        struct Iter<I>(I);
        impl<I: Iterator + Unpin> Stream for Iter<I> {
            type Item = I::Item;
            fn poll_next(
                mut self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<I::Item>> {
                std::task::Poll::Ready(self.0.next())
            }
        }
        assert_send(&store.put_stream("k", Iter(empty), None));
        assert_send(&store.upload_file("k", "f", None));
        assert_send(&store.download_file("k", "f", false, None));
        assert_send(&store.download_to_file("k", "f", None));
        assert_send(&store.list_keys(None));
        assert_send(&store.create_multipart_upload("k"));
        assert_send(&store.list_multipart_uploads(None));
        let mut writer = store
            .multipart_writer("k")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_send(&writer.put_part(Bytes::new()));
        assert_send(&writer.complete());
        fn assert_writer<T: Send + tokio::io::AsyncWrite + Unpin>() {}
        assert_writer::<MultipartWriter>();
    }

    #[test]
    fn defaults_are_boto3s_and_valid() {
        let c = TransferConfig::default();
        assert_eq!(c.multipart_threshold, 8 * MIB);
        assert_eq!(c.multipart_chunksize, 8 * MIB);
        assert_eq!(c.max_concurrency, 10);
        assert!(c.validate().is_ok());
    }

    #[test]
    fn invalid_values_name_the_field() {
        let cases = [
            (
                TransferConfig::default().with_multipart_chunksize(MIN_PART_SIZE - 1),
                "multipart_chunksize = \"5242879\"",
            ),
            (
                TransferConfig::default().with_multipart_chunksize(MAX_PART_SIZE + 1),
                "multipart_chunksize = \"5368709121\"",
            ),
            (
                TransferConfig::default().with_multipart_threshold(0),
                "multipart_threshold = \"0\"",
            ),
            (
                TransferConfig::default().with_max_concurrency(0),
                "max_concurrency = \"0\"",
            ),
        ];
        for (config, want) in cases {
            let e = config.validate().expect_err(want);
            assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
            assert!(e.to_string().contains(want), "{e}");
        }
    }

    #[test]
    fn part_size_grows_for_huge_objects() {
        let c = TransferConfig::default();
        assert_eq!(c.part_size_for(None).ok(), Some(8 * MIB));
        assert_eq!(c.part_size_for(Some(100 * MIB)).ok(), Some(8 * MIB));
        // 10,000 parts of 8 MiB is 78.125 GiB; 100 GiB needs 11 MiB parts.
        let hundred_gib = 100 * 1024 * MIB;
        let part = c.part_size_for(Some(hundred_gib)).unwrap_or(0);
        assert_eq!(part, 11 * MIB);
        assert!(hundred_gib.div_ceil(part) <= MAX_PARTS);
        let five_tib = MAX_OBJECT_SIZE;
        let part = c.part_size_for(Some(five_tib)).unwrap_or(0);
        assert!(five_tib.div_ceil(part) <= MAX_PARTS && part <= MAX_PART_SIZE);
        let e = c.part_size_for(Some(five_tib + 1)).expect_err("over 5 TiB");
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    }
}
