//! File uploads that read the file while sending: every body is a
//! [`RequestBody::File`] range, so no part is held in memory and a retry
//! (after a reset mid-body, a 503, ...) resends exactly the same bytes.
//!
//! Used by [`Transfer::upload_file`](super::transfer::Transfer::upload_file).
//! The requests are the same PutObject and UploadPart builders that
//! in-memory uploads use.
//! With a checksum algorithm configured the checksum header must be known
//! before the body is sent, so [`upload_file_in_memory`] reads each part
//! (or the small file) into memory instead, as before.

use std::path::Path;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::io::AsyncReadExt;
use tokio::task::JoinSet;

use super::progress::Tracker;
use super::put::PutOptions;
use super::transfer::TransferConfig;
use super::types::PutResult;
use super::upload_guard::UploadGuard;
use super::writer::{MultipartWriter, task_failed};
use super::{S3Store, check_key};
use crate::error::{Error, ErrorKind, Result};
use crate::transport::RequestBody;
use crate::xml::CompletedPart;

impl S3Store {
    /// PutObject of the `size` bytes of the file at `path`, read while sending.
    pub(crate) async fn put_file(&self, key: &str, path: &Path, size: u64) -> Result<PutResult> {
        let full = self.full_key(key);
        check_key(&full)?;
        let body = RequestBody::from_file(path, 0, size);
        self.put_request(key, &full, body, &PutOptions::default(), false)
            .await
    }
}

/// Uploads the `size`-byte file at `path` as a multipart upload of
/// `part_size` parts, `max_concurrency` at a time, each read from the file
/// while it is sent. A failed part aborts the upload.
pub(crate) async fn upload_file_multipart(
    store: &S3Store,
    key: &str,
    path: &Path,
    size: u64,
    part_size: u64,
    max_concurrency: usize,
    tracker: Arc<Tracker>,
) -> Result<PutResult> {
    let upload_id: Arc<str> = store.create_multipart_upload(key).await?.into();
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
                .complete_multipart_upload(key, guard.upload_id(), &parts)
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
            let body = RequestBody::from_file(&path, offset, len);
            let part = task_store
                .upload_part_body(&task_key, &id, number, body)
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

/// Uploads the file at `path` from memory: one PUT below the threshold,
/// else parts read one by one into a [`MultipartWriter`]. For stores with a
/// checksum algorithm, whose header is computed over the whole body.
pub(crate) async fn upload_file_in_memory(
    store: &S3Store,
    key: &str,
    path: &Path,
    config: &TransferConfig,
    tracker: Arc<Tracker>,
) -> Result<PutResult> {
    let read_error = |e: std::io::Error| {
        let kind = match e.kind() {
            std::io::ErrorKind::NotFound => ErrorKind::NotFound,
            std::io::ErrorKind::PermissionDenied => ErrorKind::PermissionDenied,
            _ => ErrorKind::InvalidInput,
        };
        Error::new(kind, format!("cannot read {}: {e}", path.display())).with_source(e)
    };
    let mut file = tokio::fs::File::open(path).await.map_err(read_error)?;
    let size = file.metadata().await.map_err(read_error)?.len();
    if size < config.multipart_threshold {
        let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        file.read_to_end(&mut data).await.map_err(read_error)?;
        let len = data.len() as u64;
        let put = store.put(key, data.into()).await?;
        tracker.add(len);
        tracker.finish();
        return Ok(put);
    }
    let part_size = config.part_size_for(Some(size))?;
    let mut writer =
        MultipartWriter::new(store.clone(), key, part_size, config).with_tracker(tracker);
    loop {
        let part = match read_part(&mut file, part_size).await {
            Ok(part) => part,
            Err(e) => {
                let _ = writer.abort().await;
                return Err(read_error(e));
            }
        };
        if part.is_empty() {
            break;
        }
        writer.put_part(part).await?;
    }
    writer.complete().await
}

/// Reads up to `size` bytes: fewer only at the end of the file.
async fn read_part(file: &mut tokio::fs::File, size: u64) -> std::io::Result<Bytes> {
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let mut buf = BytesMut::with_capacity(size);
    while buf.len() < size {
        if file.read_buf(&mut buf).await? == 0 {
            break;
        }
    }
    Ok(buf.freeze())
}
