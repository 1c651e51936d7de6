//! File uploads that read the file while sending: every body past
//! [`READ_WHOLE_MAX`] is a [`RequestBody::File`] range, so no part is held in
//! memory and a retry (after a reset mid-body, a 503, ...) resends exactly
//! the same bytes. A smaller file is read whole, once, and sent from memory
//! (see [`READ_WHOLE_MAX`] for why).
//!
//! Headers must be known before a body is sent, so the digests a request
//! needs (its `x-amz-checksum-*` value and, where the payload is signed, its
//! SHA-256) are read from the file range first, on Tokio's blocking pool
//! ([`digest_file_range`]): hashing part N overlaps the sending of the parts
//! before it, and the runtime's workers never stall behind a hash.
//!
//! Used by [`Transfer::upload_file`](super::transfer::Transfer::upload_file).
//! The requests are the same PutObject and UploadPart builders that
//! in-memory uploads use.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tokio::task::JoinSet;

use super::checksums::{Precomputed, UNSIGNED_PUT_MIN};
use super::progress::Tracker;
use super::put::PutOptions;
use super::types::PutResult;
use super::upload_guard::UploadGuard;
use super::writer::task_failed;
use super::{S3Store, check_key};
use crate::checksum::{ChecksumAlgorithm, Hasher};
use crate::error::{Error, ErrorKind, Result};
use crate::transport::RequestBody;
use crate::xml::CompletedPart;

/// Bytes read from the file per step while hashing.
const READ_CHUNK: usize = 1024 * 1024;

/// A file of at most this size goes up in one PutObject read whole, with
/// its digests, by one task on the blocking pool, and is sent from memory.
/// Read while sending, its body is not ready when the HTTP client writes
/// the headers, which then leave in a write of their own: the server reads
/// every request in two steps (LocalStack, one Python process, spends about
/// 10% more CPU per small PUT so) and the file is opened twice. In memory
/// the headers and the body leave together. This bounds the memory of small
/// uploads to this much per upload in flight.
const READ_WHOLE_MAX: u64 = 1024 * 1024;

impl S3Store {
    /// PutObject of the `size` bytes of the file at `path`, read while sending.
    pub(crate) async fn put_file(
        &self,
        key: &str,
        path: &Path,
        size: u64,
        options: &PutOptions,
    ) -> Result<PutResult> {
        let full = self.full_key(key);
        check_key(&full)?;
        let checksum = options.checksum.or(self.inner.checksum);
        let large = size >= UNSIGNED_PUT_MIN;
        if size <= READ_WHOLE_MAX {
            let (data, digests) = read_whole_file(self, path, size, checksum, large).await?;
            return self
                .put_body(key, RequestBody::Bytes(data), options, digests)
                .await;
        }
        let digests = digest_file_range(self, path, (0, size), checksum, large).await?;
        let body = RequestBody::from_file(path, 0, size);
        self.put_body(key, body, options, digests).await
    }
}

/// The first `size` bytes of the file at `path` and the digests a PutObject
/// of them needs (as [`digest_file_range`]), read in one task on the
/// blocking pool.
///
/// # Errors
/// The file cannot be read, or holds fewer than `size` bytes.
async fn read_whole_file(
    store: &S3Store,
    path: &Path,
    size: u64,
    checksum: Option<ChecksumAlgorithm>,
    large_upload: bool,
) -> Result<(bytes::Bytes, Option<Precomputed>)> {
    let sha256 = store.inner.signs_payload(large_upload, checksum);
    let path: PathBuf = path.to_path_buf();
    let shown = path.display().to_string();
    let read = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&path)?;
        let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        file.take(size).read_to_end(&mut data)?;
        if (data.len() as u64) < size {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "the file ended {} bytes before the end of the range being uploaded",
                    size - data.len() as u64
                ),
            ));
        }
        let digests = (checksum.is_some() || sha256).then(|| {
            let mut d = Digests::new(checksum, sha256);
            d.update(&data);
            d.finish()
        });
        Ok((bytes::Bytes::from(data), digests))
    })
    .await
    .map_err(task_failed)?;
    read.map_err(|e| read_error(&shown, e))
}

/// Uploads the `size`-byte file at `path` as a multipart upload of
/// `part_size` parts, `max_concurrency` at a time, each read from the file
/// while it is sent. A failed part aborts the upload.
pub(crate) async fn upload_file_multipart(
    store: &S3Store,
    key: &str,
    path: &Path,
    (size, part_size): (u64, u64),
    max_concurrency: usize,
    options: &PutOptions,
    tracker: Arc<Tracker>,
) -> Result<PutResult> {
    let upload_id: Arc<str> = store
        .create_multipart_upload_opts(key, options)
        .await?
        .into();
    // From here on the upload is aborted on any error and if this future is
    // dropped (its part tasks are cancelled with the JoinSet).
    let guard = UploadGuard::new(store, key, upload_id);
    let uploaded = upload_parts(
        store,
        key,
        guard.upload_id(),
        path,
        (size, part_size),
        max_concurrency,
        &tracker,
    )
    .await;
    let outcome = match uploaded {
        Ok(parts) => {
            store
                .complete_multipart_upload_opts(key, guard.upload_id(), &parts, &options.mode)
                .await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(put) => {
            guard.disarm();
            tracker.finish();
            Ok(put)
        }
        Err(e) => {
            guard.abort().await;
            Err(e)
        }
    }
}

/// Uploads every part; the parts in part-number order.
async fn upload_parts(
    store: &S3Store,
    key: &str,
    upload_id: &Arc<str>,
    path: &Path,
    (size, part_size): (u64, u64),
    max_concurrency: usize,
    tracker: &Arc<Tracker>,
) -> Result<Vec<CompletedPart>> {
    let part_size = part_size.max(1);
    let mut in_flight = JoinSet::new();
    let mut parts = Vec::new();
    let mut offset = 0u64;
    let mut number = 1u32;
    while offset < size {
        while in_flight.len() >= max_concurrency.max(1) {
            if let Some(done) = in_flight.join_next().await {
                parts.push(done.map_err(task_failed)??);
            }
        }
        let len = part_size.min(size - offset);
        let (task_store, task_key) = (store.clone(), key.to_string());
        let (id, path, tracker) = (
            Arc::clone(upload_id),
            path.to_path_buf(),
            Arc::clone(tracker),
        );
        in_flight.spawn(async move {
            let checksum = task_store.inner.checksum;
            let digests =
                digest_file_range(&task_store, &path, (offset, len), checksum, true).await?;
            let body = RequestBody::from_file(&path, offset, len);
            let part = task_store
                .upload_part_body(&task_key, &id, number, body, digests)
                .await?;
            tracker.add(len);
            Ok(part)
        });
        offset += len;
        number = number.checked_add(1).ok_or_else(|| {
            Error::invalid_input(format!("{key}: too many parts; raise multipart_chunksize"))
        })?;
    }
    while let Some(done) = in_flight.join_next().await {
        parts.push(done.map_err(task_failed)??);
    }
    parts.sort_by_key(|p| p.part_number);
    Ok(parts)
}

/// The digests the request for bytes `offset..offset + len` of the file at
/// `path` needs (see the module docs): its `checksum` and, when the payload
/// is signed, its SHA-256, read on the blocking pool; `None` when it needs
/// none. `large_upload` as in `S3Request::large_upload`.
///
/// # Errors
/// The file cannot be read, or holds fewer bytes than the range.
async fn digest_file_range(
    store: &S3Store,
    path: &Path,
    (offset, len): (u64, u64),
    checksum: Option<ChecksumAlgorithm>,
    large_upload: bool,
) -> Result<Option<Precomputed>> {
    let sha256 = store.inner.signs_payload(large_upload, checksum);
    if checksum.is_none() && !sha256 {
        return Ok(None);
    }
    let path: PathBuf = path.to_path_buf();
    let shown = path.display().to_string();
    let read =
        tokio::task::spawn_blocking(move || hash_range(&path, offset, len, checksum, sha256))
            .await
            .map_err(task_failed)?;
    read.map(Some).map_err(|e| read_error(&shown, e))
}

/// A failed read of the file `shown` as the error of the upload.
fn read_error(shown: &str, e: std::io::Error) -> Error {
    let kind = match e.kind() {
        std::io::ErrorKind::NotFound => ErrorKind::NotFound,
        std::io::ErrorKind::PermissionDenied => ErrorKind::PermissionDenied,
        _ => ErrorKind::InvalidInput,
    };
    Error::new(kind, format!("cannot read {shown}: {e}")).with_source(e)
}

/// Reads the range once, feeding the checksum and the SHA-256 (one digest
/// when the checksum is SHA-256 itself).
fn hash_range(
    path: &Path,
    offset: u64,
    len: u64,
    checksum: Option<ChecksumAlgorithm>,
    sha256: bool,
) -> std::io::Result<Precomputed> {
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut digests = Digests::new(checksum, sha256);
    let mut buf = vec![
        0u8;
        READ_CHUNK
            .min(usize::try_from(len).unwrap_or(READ_CHUNK))
            .max(1)
    ];
    let mut left = len;
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(buf.len()));
        let n = file.read(&mut buf[..want])?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("the file ended {left} bytes before the end of the range being uploaded"),
            ));
        }
        digests.update(&buf[..n]);
        left -= n as u64;
    }
    Ok(digests.finish())
}

/// The checksum and the payload SHA-256 of a body, fed once (one digest
/// when the checksum is SHA-256 itself).
struct Digests {
    hasher: Option<Hasher>,
    payload: Option<Sha256>,
    /// The checksum is SHA-256: it is the payload digest.
    same: bool,
    /// The payload SHA-256 is wanted for signing.
    sha256: bool,
}

impl Digests {
    fn new(checksum: Option<ChecksumAlgorithm>, sha256: bool) -> Self {
        let same = checksum == Some(ChecksumAlgorithm::Sha256);
        Digests {
            hasher: checksum.filter(|_| !same).map(Hasher::new),
            payload: (sha256 || same).then(Sha256::new),
            same,
            sha256,
        }
    }

    fn update(&mut self, data: &[u8]) {
        if let Some(h) = &mut self.hasher {
            h.update(data);
        }
        if let Some(h) = &mut self.payload {
            h.update(data);
        }
    }

    fn finish(self) -> Precomputed {
        let digest: Option<[u8; 32]> = self.payload.map(|h| h.finalize().into());
        let checksum = match (self.hasher, self.same) {
            (Some(h), _) => Some(h.finish_base64()),
            (None, true) => digest.map(|d| crate::encoding::encode_base64(&d)),
            (None, false) => None,
        };
        Precomputed {
            checksum,
            sha256: digest.filter(|_| self.sha256),
        }
    }
}
