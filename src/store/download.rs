//! The parallel download behind [`Transfer::download_file`]: ranges (or, for
//! a composite-checksum object, its parts) fetched on their own tasks and
//! written in place into a pre-sized file, and the object's stored checksum
//! checked against what was written.
//!
//! What is checked, with `response_checksum_validation` on (the store's
//! `validate_downloads`):
//! - a full-object CRC (a single PUT, or a `FULL_OBJECT` multipart upload):
//!   each range's CRC is computed as it is written, and the ranges' CRCs
//!   combined into the object's, compared with the stored value;
//! - a full-object SHA-1/SHA-256 (a single PUT): checked when the object
//!   fits in one range (its GET is validated as it streams); larger ones
//!   cannot be combined from ranges and are not checked;
//! - a composite value (`<base64>-<n>`, a `COMPOSITE` multipart upload): the
//!   object is fetched part by part (`partNumber`), each part checked against
//!   its own checksum as it streams, and the composite of the part values
//!   compared with the stored one. A server that sends no part checksum
//!   leaves the object unchecked (never a false `Integrity` error).
//!
//! A mismatch is [`ErrorKind::Integrity`]; the caller's temporary file is
//! then removed, so no corrupt file is left at the target path.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use tokio::io::{AsyncSeekExt, AsyncWriteExt};
use tokio::task::JoinSet;

use super::S3Store;
use super::checksums;
use super::progress::{ProgressCallback, Tracker};
use super::transfer::{Transfer, io_error};
use super::types::{GetOptions, ObjectMeta};
use crate::checksum::{self, ChecksumAlgorithm, Hasher};
use crate::error::{Error, ErrorKind, Result};

/// How the download is cut and what it checks.
enum Plan {
    /// Byte ranges of `multipart_chunksize`; `crc` is set for a full-object
    /// CRC to combine from the ranges.
    Ranges {
        crc: Option<(ChecksumAlgorithm, String)>,
    },
    /// One GET of the whole object, checked as it streams.
    Whole,
    /// Parts 1..=n, each checked against its own checksum, then the
    /// composite of their values against the stored one.
    Parts {
        n: u32,
        alg: ChecksumAlgorithm,
        stored: String,
    },
}

/// What one task fetched: the bytes it wrote and the checksum value that
/// stands for them (computed, or the part's stored one).
struct Piece {
    range: Range<u64>,
    value: Option<String>,
}

impl Transfer {
    /// Writes the object `key` into the file at `path` in place (created or
    /// truncated, then sized), range by range or part by part; for a
    /// temporary file only.
    pub(super) async fn download_in_place(
        &self,
        key: &str,
        path: &Path,
        progress: Option<ProgressCallback>,
    ) -> Result<ObjectMeta> {
        let meta = self.store.head(key).await?;
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .await
            .map_err(|e| io_error("create", path, e))?;
        file.set_len(meta.size)
            .await
            .map_err(|e| io_error("size", path, e))?;
        let tracker = Tracker::new(progress, Some(meta.size));
        let part = self.config.multipart_chunksize;
        let plan = self.plan(&meta);
        let jobs: Vec<Job> = match &plan {
            Plan::Parts { n, .. } => (1..=*n).map(Job::Part).collect(),
            Plan::Whole => vec![Job::Whole(meta.size)],
            Plan::Ranges { crc } => (0..meta.size.div_ceil(part))
                .map(|i| {
                    let range = i * part..((i + 1) * part).min(meta.size);
                    Job::Range(range, crc.as_ref().map(|(alg, _)| *alg))
                })
                .collect(),
        };
        let path_buf: Arc<Path> = Arc::from(path);
        let mut jobs = jobs.into_iter();
        let mut pieces = Vec::new();
        let mut tasks = JoinSet::new();
        loop {
            while tasks.len() < self.config.max_concurrency {
                let Some(job) = jobs.next() else { break };
                let fetch = Fetch {
                    store: self.store.clone(),
                    key: key.to_string(),
                    etag: meta.etag.clone(),
                    version_id: meta.version_id.clone(),
                    path: Arc::clone(&path_buf),
                    tracker: Arc::clone(&tracker),
                };
                tasks.spawn(fetch.run(job));
            }
            match tasks.join_next().await {
                None => break,
                Some(Ok(Ok(piece))) => pieces.push(piece),
                Some(Ok(Err(e))) => return Err(e),
                Some(Err(join)) => {
                    return Err(Error::new(
                        ErrorKind::Service,
                        format!("download of {key}: range task failed: {join}"),
                    ));
                }
            }
        }
        pieces.sort_by_key(|p| p.range.start);
        self.check(key, &meta, &plan, &pieces)?;
        file.sync_all()
            .await
            .map_err(|e| io_error("sync", path, e))?;
        tracker.finish();
        Ok(meta)
    }

    /// The plan for `meta`, from the checksum HEAD returned (present only
    /// when downloads are validated).
    fn plan(&self, meta: &ObjectMeta) -> Plan {
        let stored = meta
            .checksum
            .clone()
            .filter(|_| self.store.inner.validate_downloads);
        let fits = meta.size <= self.config.multipart_chunksize;
        match stored {
            Some((alg, value)) if checksum::is_composite(&value) => {
                match checksums::composite_parts(&value) {
                    Some(n) => Plan::Parts {
                        n,
                        alg,
                        stored: value,
                    },
                    _ => Plan::Ranges { crc: None },
                }
            }
            Some((alg, value))
                if checksum::multipart_type(alg) == checksum::ChecksumType::FullObject =>
            {
                Plan::Ranges {
                    crc: Some((alg, value)),
                }
            }
            // A SHA of the whole object: one GET checks it as it streams.
            Some(_) if fits && meta.size > 0 => Plan::Whole,
            _ => Plan::Ranges { crc: None },
        }
    }

    /// Checks that `pieces` cover the object and agree with its checksum.
    fn check(&self, key: &str, meta: &ObjectMeta, plan: &Plan, pieces: &[Piece]) -> Result<()> {
        let mut end = 0;
        for p in pieces {
            if p.range.start != end {
                return Err(Error::new(
                    ErrorKind::Service,
                    format!(
                        "download of {key}: bytes {end}..{} came back in no range or part",
                        p.range.start
                    ),
                ));
            }
            end = p.range.end;
        }
        if end != meta.size {
            return Err(Error::new(
                ErrorKind::Service,
                format!(
                    "download of {key}: its ranges or parts end at byte {end} of {}",
                    meta.size
                ),
            ));
        }
        let target = self.store.inner.target(Some(&self.store.full_key(key)));
        let (alg, stored, ours) = match plan {
            Plan::Whole => return Ok(()),
            Plan::Ranges { crc: None } => return Ok(()),
            Plan::Ranges {
                crc: Some((alg, stored)),
            } => {
                let parts: Option<Vec<(String, u64)>> = pieces
                    .iter()
                    .map(|p| Some((p.value.clone()?, p.range.end - p.range.start)))
                    .collect();
                let ours = match parts {
                    Some(parts) if !parts.is_empty() => checksum::full_object(*alg, &parts),
                    // An empty object: the CRC of no bytes.
                    Some(_) => Some(checksum::checksum_base64(*alg, b"")),
                    None => None,
                };
                (*alg, stored, ours)
            }
            Plan::Parts { alg, stored, .. } => {
                let values: Option<Vec<String>> = pieces.iter().map(|p| p.value.clone()).collect();
                // No part checksum from the server: nothing to check against.
                let Some(values) = values else { return Ok(()) };
                (*alg, stored, checksum::composite(*alg, &values))
            }
        };
        match ours {
            Some(ours) if ours == *stored => Ok(()),
            Some(ours) => Err(Error::new(
                ErrorKind::Integrity,
                format!(
                    "download of {target}: {} checksum mismatch: the object's is {stored}, the bytes received give {ours}",
                    checksum::header_name(alg)
                ),
            )),
            None => Err(Error::new(
                ErrorKind::Service,
                format!("download of {target}: unreadable checksum values"),
            )),
        }
    }
}

/// One GET of a download.
enum Job {
    /// The whole object of this size, in one GET checked as it streams.
    Whole(u64),
    /// Bytes in the range, with the CRC to compute over them, if any.
    Range(Range<u64>, Option<ChecksumAlgorithm>),
    /// One part (`partNumber`), checked against its own checksum.
    Part(u32),
}

/// What a task needs to fetch and write one [`Job`].
struct Fetch {
    store: S3Store,
    key: String,
    etag: Option<String>,
    version_id: Option<String>,
    path: Arc<Path>,
    tracker: Arc<Tracker>,
}

impl Fetch {
    async fn run(self, job: Job) -> Result<Piece> {
        let mut options = GetOptions::default();
        let (asked, mut hasher) = match &job {
            Job::Whole(size) => (Some(0..*size), None),
            Job::Range(range, crc) => {
                options = options.with_range(range.clone());
                (Some(range.clone()), crc.map(Hasher::new))
            }
            Job::Part(n) => {
                options = options.with_part_number(*n);
                (None, None)
            }
        };
        options.if_match = self.etag.clone();
        options.version_id = self.version_id.clone();
        let got = self.store.get_opts(&self.key, options).await?;
        let range = got.range.clone();
        if let Some(asked) = asked.filter(|a| *a != range) {
            return Err(Error::new(
                ErrorKind::Service,
                format!(
                    "GetObject {}: asked for bytes {asked:?}, got {range:?}",
                    self.key
                ),
            ));
        }
        // A part's own checksum (validated by `get_opts` as it streams).
        let part_value = match &job {
            Job::Part(_) => got
                .meta
                .checksum
                .clone()
                .map(|(_, v)| v)
                .filter(|v| !checksum::is_composite(v)),
            Job::Range(..) | Job::Whole(_) => None,
        };
        // A handle of its own: its file position is this piece's.
        let path = &*self.path;
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .await
            .map_err(|e| io_error("open", path, e))?;
        file.seek(std::io::SeekFrom::Start(range.start))
            .await
            .map_err(|e| io_error("seek in", path, e))?;
        let mut body = got.body;
        let mut written = 0u64;
        while let Some(chunk) = body.next_chunk().await {
            let chunk = chunk?;
            if let Some(h) = hasher.as_mut() {
                h.update(&chunk);
            }
            file.write_all(&chunk)
                .await
                .map_err(|e| io_error("write", path, e))?;
            written += chunk.len() as u64;
            self.tracker.add(chunk.len() as u64);
        }
        file.flush().await.map_err(|e| io_error("write", path, e))?;
        if written != range.end - range.start {
            return Err(Error::new(
                ErrorKind::Transport,
                format!(
                    "GetObject {}: bytes {range:?} ended after {written} bytes",
                    self.key
                ),
            )
            .with_retryable(true));
        }
        let value = match hasher {
            Some(h) => Some(h.finish_base64()),
            None => part_value,
        };
        Ok(Piece { range, value })
    }
}
