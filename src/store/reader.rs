//! [`ObjectReader`]: random access to an object, as obstore's `open_reader`:
//! `AsyncRead + AsyncSeek + AsyncBufRead` over ranged GETs, a buffer of
//! `buffer_size` bytes, and the next buffer fetched ahead while the
//! current one is read.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use tokio::io::{AsyncBufRead, AsyncRead, AsyncSeek, ReadBuf};

use super::S3Store;
use super::types::GetOptions;
use crate::error::{Error, ErrorKind, Result};
use crate::transport::BoxFuture;

/// Bytes fetched per ranged GET when the caller does not say: 1 MiB, as
/// obstore's `open_reader`.
pub const DEFAULT_READER_BUFFER: usize = 1024 * 1024;

impl S3Store {
    /// Opens `key` for random access (HEAD for its size and ETag), reading
    /// [`DEFAULT_READER_BUFFER`] bytes per request.
    ///
    /// ```no_run
    /// use tokio::io::{AsyncReadExt, AsyncSeekExt};
    /// # async fn demo(store: &s3lite::S3Store) -> Result<(), Box<dyn std::error::Error>> {
    /// let mut reader = store.open_reader("table.parquet").await?;
    /// reader.seek(std::io::SeekFrom::End(-8)).await?;   // a Parquet footer
    /// let mut footer = [0u8; 8];
    /// reader.read_exact(&mut footer).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `NotFound` for a missing object; what S3 answers to HeadObject.
    pub async fn open_reader(&self, key: &str) -> Result<ObjectReader> {
        self.open_reader_with(key, DEFAULT_READER_BUFFER).await
    }

    /// [`open_reader`](Self::open_reader) reading `buffer_size` bytes per
    /// ranged GET.
    ///
    /// # Errors
    /// `InvalidInput` for a zero `buffer_size`; as `open_reader`.
    pub async fn open_reader_with(&self, key: &str, buffer_size: usize) -> Result<ObjectReader> {
        if buffer_size == 0 {
            return Err(Error::invalid_input(format!(
                "open_reader of {key}: buffer_size must be at least 1"
            )));
        }
        let meta = self.head(key).await?;
        Ok(ObjectReader {
            store: self.clone(),
            key: key.to_string(),
            etag: meta.etag,
            version_id: meta.version_id,
            size: meta.size,
            buffer_size: buffer_size as u64,
            pos: 0,
            buf: Bytes::new(),
            buf_start: 0,
            ahead: None,
            seek: None,
        })
    }
}

/// A buffered, seekable reader of one object version, from
/// [`S3Store::open_reader`].
///
/// Every ranged GET is pinned to the ETag (and version) seen when the
/// reader was opened: if the object is replaced meanwhile, reads fail with
/// an `io::Error` wrapping an [`ErrorKind::PreconditionFailed`]
/// [`Error`](crate::Error) instead of mixing bytes of two objects (the
/// answer's own ETag is checked too, for servers that ignore `If-Match`).
/// Reading sequentially keeps one request ahead of the caller; a seek
/// outside the buffer drops it and starts over at the new position.
/// Seeking past the end is allowed; reads there return end of file.
pub struct ObjectReader {
    store: S3Store,
    key: String,
    etag: Option<String>,
    version_id: Option<String>,
    size: u64,
    buffer_size: u64,
    pos: u64,
    /// Bytes of the object from `buf_start`.
    buf: Bytes,
    buf_start: u64,
    /// The fetch of the bytes from its offset on, started ahead of need.
    ahead: Option<(u64, Fetch)>,
    /// A seek started and not yet completed.
    seek: Option<u64>,
}

impl ObjectReader {
    /// The object's size when the reader was opened.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The position of the next read.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// The ETag every read is pinned to.
    pub fn etag(&self) -> Option<&str> {
        self.etag.as_deref()
    }

    /// The fetch of `buffer_size` bytes from `start`, running on its own
    /// task when there is a runtime (so it proceeds while the caller reads
    /// the buffer), else polled by the reader.
    fn start(&self, start: u64) -> Fetch {
        let fut = self.fetch(start);
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => Fetch::Task(rt.spawn(fut)),
            Err(_) => Fetch::Polled(fut),
        }
    }

    /// The request for `buffer_size` bytes (or up to the end) from `start`.
    fn fetch(&self, start: u64) -> BoxFuture<'static, Result<Bytes>> {
        let end = start.saturating_add(self.buffer_size).min(self.size);
        let store = self.store.clone();
        let key = self.key.clone();
        let etag = self.etag.clone();
        let mut options = GetOptions::default().with_range(start..end);
        options.if_match = etag.clone();
        options.version_id = self.version_id.clone();
        Box::pin(async move {
            let got = store.get_opts(&key, options).await?;
            if etag.is_some() && got.meta.etag.is_some() && got.meta.etag != etag {
                return Err(Error::new(
                    ErrorKind::PreconditionFailed,
                    format!(
                        "{key} changed while it was read: ETag {:?}, opened as {:?}",
                        got.meta.etag.unwrap_or_default(),
                        etag.unwrap_or_default()
                    ),
                ));
            }
            let bytes = got.bytes().await?;
            if bytes.len() as u64 != end - start {
                return Err(Error::new(
                    ErrorKind::Transport,
                    format!(
                        "{key}: bytes {start}..{end} came back as {} bytes",
                        bytes.len()
                    ),
                ));
            }
            Ok(bytes)
        })
    }

    /// Makes the buffer hold `self.pos` (unless at or past the end), and
    /// keeps the next buffer's fetch started.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.pos >= self.size {
            return Poll::Ready(Ok(()));
        }
        let buf_end = self.buf_start + self.buf.len() as u64;
        if !(self.buf_start..buf_end).contains(&self.pos) {
            if self.ahead.as_ref().is_none_or(|(at, _)| *at != self.pos) {
                // Not what was fetched ahead (a seek): start over here.
                self.ahead = Some((self.pos, self.start(self.pos)));
            }
            let Some((at, fetch)) = self.ahead.as_mut() else {
                return Poll::Ready(Ok(()));
            };
            let at = *at;
            let bytes = ready!(fetch.poll(cx));
            self.ahead = None;
            self.buf = bytes.map_err(io::Error::other)?;
            self.buf_start = at;
        }
        // Read ahead: the next buffer is fetched while this one is read.
        let next = self.buf_start + self.buf.len() as u64;
        if self.ahead.is_none() && next < self.size {
            self.ahead = Some((next, self.start(next)));
        }
        Poll::Ready(Ok(()))
    }

    /// The buffered bytes from `self.pos` on (empty at the end).
    fn available(&self) -> &[u8] {
        let from = self.pos.saturating_sub(self.buf_start);
        usize::try_from(from)
            .ok()
            .and_then(|from| self.buf.get(from..))
            .unwrap_or(&[])
    }
}

/// One ranged GET of the reader.
enum Fetch {
    /// On its own task; aborted when dropped unfinished.
    Task(tokio::task::JoinHandle<Result<Bytes>>),
    /// Without a runtime to spawn on: polled by the reader.
    Polled(BoxFuture<'static, Result<Bytes>>),
}

impl Fetch {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<Bytes>> {
        match self {
            Fetch::Polled(fut) => fut.as_mut().poll(cx),
            Fetch::Task(task) => Pin::new(task).poll(cx).map(|joined| {
                joined.unwrap_or_else(|e| {
                    Err(Error::new(
                        ErrorKind::Transport,
                        format!("ranged read task failed: {e}"),
                    ))
                })
            }),
        }
    }
}

impl Drop for Fetch {
    fn drop(&mut self) {
        if let Fetch::Task(task) = self {
            task.abort();
        }
    }
}

impl AsyncRead for ObjectReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_fill(cx))?;
        let have = this.available();
        let n = have.len().min(out.remaining());
        out.put_slice(&have[..n]);
        this.pos += n as u64;
        Poll::Ready(Ok(()))
    }
}

impl AsyncBufRead for ObjectReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        ready!(this.poll_fill(cx))?;
        Poll::Ready(Ok(this.available()))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        let n = amt.min(this.available().len());
        this.pos += n as u64;
    }
}

impl AsyncSeek for ObjectReader {
    fn start_seek(self: Pin<&mut Self>, position: io::SeekFrom) -> io::Result<()> {
        let this = self.get_mut();
        let target = match position {
            io::SeekFrom::Start(n) => Some(n),
            io::SeekFrom::End(d) => this.size.checked_add_signed(d),
            io::SeekFrom::Current(d) => this.pos.checked_add_signed(d),
        };
        let Some(target) = target else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "seek of {} to {position:?} from {} (size {}) is before the start",
                    this.key, this.pos, this.size
                ),
            ));
        };
        this.seek = Some(target);
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let this = self.get_mut();
        if let Some(target) = this.seek.take() {
            this.pos = target;
        }
        Poll::Ready(Ok(this.pos))
    }
}

impl fmt::Debug for ObjectReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectReader")
            .field("key", &self.key)
            .field("size", &self.size)
            .field("pos", &self.pos)
            .field("buffered", &self.buf.len())
            .field("reading_ahead", &self.ahead.is_some())
            .finish_non_exhaustive()
    }
}
