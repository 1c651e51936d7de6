//! Multipart writes through object_store's traits: [`S3MultipartUpload`]
//! (`MultipartUpload`, what `put_multipart` returns) and the
//! `MultipartStore` implementation of [`S3ObjectStore`].
//!
//! Both are S3's own multipart upload (CreateMultipartUpload, UploadPart,
//! CompleteMultipartUpload, AbortMultipartUpload) through s3lite's request
//! loop: parts are signed, checksummed and retried like any other request.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use ::object_store::multipart::{MultipartStore, PartId};
use ::object_store::path::Path;
use ::object_store::{
    MultipartId, MultipartUpload, PutMultipartOptions, PutPayload, PutResult, UploadPart,
};
use async_trait::async_trait;
use bytes::Bytes;

use super::S3ObjectStore;
use super::convert;
use crate::store::S3Store;
use crate::store::upload_guard::UploadGuard;
use crate::transport::RequestBody;
use crate::xml::CompletedPart;

/// An open multipart upload of one object, as object_store's
/// [`MultipartUpload`]: [`put_part`](MultipartUpload::put_part) numbers the
/// parts in call order and its futures may run concurrently;
/// [`complete`](MultipartUpload::complete) makes the object from them;
/// [`abort`](MultipartUpload::abort) ends the upload and frees its parts.
///
/// Dropped without a successful `complete` or `abort` (an error, a
/// cancelled task), the upload is aborted in the background on the current
/// Tokio runtime, so no upload is left open and billed.
pub struct S3MultipartUpload {
    store: S3Store,
    location: Path,
    guard: Option<UploadGuard>,
    upload_id: Arc<str>,
    /// Uploaded parts by index (part number - 1); `None` while in flight.
    parts: Arc<Mutex<Vec<Option<CompletedPart>>>>,
}

impl fmt::Debug for S3MultipartUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3MultipartUpload")
            .field("location", &self.location)
            .field("upload_id", &self.upload_id)
            .field("open", &self.guard.is_some())
            .finish_non_exhaustive()
    }
}

impl S3MultipartUpload {
    /// Starts the upload of `location` with `opts`' attributes and tags.
    pub(crate) async fn start(
        store: &S3Store,
        location: &Path,
        opts: &PutMultipartOptions,
    ) -> ::object_store::Result<Self> {
        let id = create(store, location, opts).await?;
        let upload_id: Arc<str> = id.into();
        Ok(S3MultipartUpload {
            store: store.clone(),
            location: location.clone(),
            guard: Some(UploadGuard::new(
                store,
                location.as_ref(),
                Arc::clone(&upload_id),
            )),
            upload_id,
            parts: Arc::default(),
        })
    }

    /// The parts, in order, once all are uploaded.
    fn uploaded_parts(&self) -> ::object_store::Result<Vec<CompletedPart>> {
        let parts = self.parts.lock().unwrap_or_else(PoisonError::into_inner);
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                p.clone().ok_or_else(|| {
                    convert::generic(format!(
                        "{}: part {} of the multipart upload was not uploaded (its put_part \
                         future failed or was not awaited before complete)",
                        self.location,
                        i + 1
                    ))
                })
            })
            .collect()
    }

    fn closed(&self) -> ::object_store::Error {
        convert::generic(format!(
            "{}: the multipart upload is already completed or aborted",
            self.location
        ))
    }
}

#[async_trait]
impl MultipartUpload for S3MultipartUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let store = self.store.clone();
        let location = self.location.clone();
        let upload_id = Arc::clone(&self.upload_id);
        let parts = Arc::clone(&self.parts);
        let index = {
            let mut parts = parts.lock().unwrap_or_else(PoisonError::into_inner);
            parts.push(None);
            parts.len() - 1
        };
        let open = self.guard.is_some();
        Box::pin(async move {
            if !open {
                return Err(convert::generic(format!(
                    "{location}: the multipart upload is already completed or aborted"
                )));
            }
            let part = upload_part(&store, &location, &upload_id, index, data).await?;
            parts.lock().unwrap_or_else(PoisonError::into_inner)[index] = Some(part);
            Ok(())
        })
    }

    async fn complete(&mut self) -> ::object_store::Result<PutResult> {
        if self.guard.is_none() {
            return Err(self.closed());
        }
        let parts = self.uploaded_parts()?;
        let put = complete(&self.store, &self.location, &self.upload_id, parts).await?;
        if let Some(guard) = self.guard.take() {
            guard.disarm();
        }
        Ok(put)
    }

    async fn abort(&mut self) -> ::object_store::Result<()> {
        if self.guard.is_none() {
            return Err(self.closed());
        }
        // On failure the guard stays armed: dropping the upload tries again.
        self.store
            .abort_multipart_upload(self.location.as_ref(), &self.upload_id)
            .await
            .map_err(|e| convert::error(e, self.location.as_ref()))?;
        if let Some(guard) = self.guard.take() {
            guard.disarm();
        }
        Ok(())
    }
}

/// The low-level multipart calls, for callers that keep the upload id and
/// part ids themselves (object_store's `MultipartStore`). Unlike
/// [`S3MultipartUpload`], nothing aborts such an upload for you: call
/// `abort_multipart` (or let a lifecycle rule do it).
#[async_trait]
impl MultipartStore for S3ObjectStore {
    async fn create_multipart(&self, path: &Path) -> ::object_store::Result<MultipartId> {
        create(&self.store, path, &PutMultipartOptions::default()).await
    }

    async fn create_multipart_opts(
        &self,
        path: &Path,
        opts: PutMultipartOptions,
    ) -> ::object_store::Result<MultipartId> {
        create(&self.store, path, &opts).await
    }

    async fn put_part(
        &self,
        path: &Path,
        id: &MultipartId,
        part_idx: usize,
        data: PutPayload,
    ) -> ::object_store::Result<PartId> {
        let part = upload_part(&self.store, path, id, part_idx, data).await?;
        Ok(PartId {
            content_id: encode_part(&part),
        })
    }

    async fn complete_multipart(
        &self,
        path: &Path,
        id: &MultipartId,
        parts: Vec<PartId>,
    ) -> ::object_store::Result<PutResult> {
        let parts = parts
            .iter()
            .enumerate()
            .map(|(i, p)| decode_part(i, &p.content_id, path))
            .collect::<::object_store::Result<Vec<_>>>()?;
        complete(&self.store, path, id, parts).await
    }

    async fn abort_multipart(&self, path: &Path, id: &MultipartId) -> ::object_store::Result<()> {
        self.store
            .abort_multipart_upload(path.as_ref(), id)
            .await
            .map_err(|e| convert::error(e, path.as_ref()))
    }
}

/// CreateMultipartUpload with `opts`' attributes and tags.
async fn create(
    store: &S3Store,
    path: &Path,
    opts: &PutMultipartOptions,
) -> ::object_store::Result<String> {
    let options = convert::put_options(
        ::object_store::PutMode::Overwrite,
        &opts.attributes,
        &opts.tags,
        path.as_ref(),
    )?;
    store
        .create_multipart_upload_opts(path.as_ref(), &options)
        .await
        .map_err(|e| convert::error(e, path.as_ref()))
}

/// UploadPart of the part with index `index` (part number `index + 1`).
async fn upload_part(
    store: &S3Store,
    path: &Path,
    upload_id: &str,
    index: usize,
    data: PutPayload,
) -> ::object_store::Result<CompletedPart> {
    let number = u32::try_from(index + 1).map_err(|_| {
        convert::generic(format!(
            "{path}: part index {index} is past S3's 10,000 parts"
        ))
    })?;
    let body = RequestBody::from_chunks(data.into_iter().collect());
    store
        .upload_part_body(path.as_ref(), upload_id, number, body, None)
        .await
        .map_err(|e| convert::error(e, path.as_ref()))
}

/// CompleteMultipartUpload of `parts`; with no parts, one empty part is
/// uploaded first (S3 completes no upload without a part), so an empty
/// upload makes an empty object, as object_store expects.
async fn complete(
    store: &S3Store,
    path: &Path,
    upload_id: &str,
    mut parts: Vec<CompletedPart>,
) -> ::object_store::Result<PutResult> {
    if parts.is_empty() {
        parts.push(upload_part(store, path, upload_id, 0, PutPayload::from(Bytes::new())).await?);
    }
    store
        .complete_multipart_upload(path.as_ref(), upload_id, &parts)
        .await
        .map(convert::put_result)
        .map_err(|e| convert::error(e, path.as_ref()))
}

/// A part as object_store's opaque `content_id`: its ETag, then one
/// `name=value` line per checksum and the size. Lines cannot occur in an
/// ETag or a checksum (they are header values).
fn encode_part(p: &CompletedPart) -> String {
    let mut out = p.etag.clone();
    for (name, value) in [
        ("crc32", &p.checksum_crc32),
        ("crc32c", &p.checksum_crc32c),
        ("crc64nvme", &p.checksum_crc64nvme),
        ("sha1", &p.checksum_sha1),
        ("sha256", &p.checksum_sha256),
        ("size", &p.size.map(|s| s.to_string())),
    ] {
        if let Some(v) = value {
            out.push('\n');
            out.push_str(name);
            out.push('=');
            out.push_str(v);
        }
    }
    out
}

/// The part with index `index` back from [`encode_part`]'s text.
fn decode_part(
    index: usize,
    content_id: &str,
    path: &Path,
) -> ::object_store::Result<CompletedPart> {
    let bad = || {
        convert::generic(format!(
            "{path}: part id {content_id:?} (part {}) was not made by this store",
            index + 1
        ))
    };
    let number = u32::try_from(index + 1).map_err(|_| bad())?;
    let mut lines = content_id.split('\n');
    let etag = lines.next().filter(|e| !e.is_empty()).ok_or_else(bad)?;
    let mut part = CompletedPart::new(number, etag);
    for line in lines {
        let (name, value) = line.split_once('=').ok_or_else(bad)?;
        let value = Some(value.to_string());
        match name {
            "crc32" => part.checksum_crc32 = value,
            "crc32c" => part.checksum_crc32c = value,
            "crc64nvme" => part.checksum_crc64nvme = value,
            "sha1" => part.checksum_sha1 = value,
            "sha256" => part.checksum_sha256 = value,
            "size" => part.size = Some(value.and_then(|v| v.parse().ok()).ok_or_else(bad)?),
            _ => return Err(bad()),
        }
    }
    Ok(part)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_ids_round_trip() {
        let mut part = CompletedPart::new(3, "\"abc\"");
        part.checksum_crc32 = Some("AAAAAA==".into());
        part.checksum_sha256 = Some("x/y+z=".into());
        part.size = Some(5 << 20);
        let path = Path::from("k");
        let back = decode_part(2, &encode_part(&part), &path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, part);
        let plain = CompletedPart::new(1, "\"e\"");
        assert_eq!(encode_part(&plain), "\"e\"");
        assert_eq!(
            decode_part(0, "\"e\"", &path).unwrap_or_else(|e| panic!("{e}")),
            plain
        );
    }

    #[test]
    fn foreign_part_ids_are_refused_naming_them() {
        let path = Path::from("k");
        for bad in ["", "\"e\"\nnope", "\"e\"\nsize=big", "\"e\"\nmd5=x"] {
            let e = decode_part(0, bad, &path)
                .map(|_| ())
                .expect_err("not ours");
            assert!(e.to_string().contains("was not made by this store"), "{e}");
        }
    }
}
