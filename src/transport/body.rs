//! Request and response bodies: [`RequestBody`] goes out, [`ResponseBody`]
//! streams in.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;

use super::Progress;
use crate::{Error, ErrorKind};

/// A boxed stream of body chunks, as taken by [`RequestBody::Stream`] and
/// [`ResponseBody::from_stream`].
pub type BodyStream = Pin<Box<dyn Stream<Item = crate::Result<Bytes>> + Send>>;

/// The body of an [`HttpRequest`](super::HttpRequest).
///
/// `Empty`, `Bytes` and `File` can be sent again
/// ([`try_clone`](Self::try_clone)), so a retry can resend them; a `Stream`
/// is sent once, chunk by chunk.
#[non_exhaustive]
#[derive(Default)]
pub enum RequestBody {
    /// No body; sent with `Content-Length: 0` where the method needs one.
    #[default]
    Empty,
    /// A body held in memory; `Content-Length` is set from its length.
    Bytes(Bytes),
    /// A body held in memory as several buffers, sent one after the other
    /// without being joined (a multipart part assembled from the caller's
    /// chunks); `Content-Length` is their total length. Cloning shares them.
    Chunks(Arc<[Bytes]>),
    /// A body produced chunk by chunk. Set `Content-Length` in the request
    /// headers when the length is known (S3 requires it for a plain
    /// `PutObject`); otherwise the body is sent with chunked encoding. An
    /// error from the stream aborts the request and is what `send` returns,
    /// and so does a stream that ends before (or runs past) the
    /// `Content-Length` it was sent with: a short body is never sent as
    /// complete.
    Stream(BodyStream),
    /// `len` bytes of the file at `path` from byte `offset`, read while
    /// sending (at most 64 KiB in memory) with `Content-Length: len`. Each
    /// attempt opens the file again, so a retry resends the same bytes. A
    /// file that cannot be opened, or ends before `offset + len`, fails the
    /// request without retries.
    File {
        /// The file to read.
        path: std::path::PathBuf,
        /// Where the body starts in the file.
        offset: u64,
        /// How many bytes to send.
        len: u64,
    },
}

impl RequestBody {
    /// A body produced by `stream`.
    pub fn from_stream(stream: impl Stream<Item = crate::Result<Bytes>> + Send + 'static) -> Self {
        RequestBody::Stream(Box::pin(stream))
    }

    /// `len` bytes of the file at `path` from byte `offset`; see
    /// [`RequestBody::File`].
    pub fn from_file(path: impl Into<std::path::PathBuf>, offset: u64, len: u64) -> Self {
        RequestBody::File {
            path: path.into(),
            offset,
            len,
        }
    }

    /// A body of several in-memory buffers, in order; see
    /// [`RequestBody::Chunks`]. One buffer gives [`RequestBody::Bytes`].
    pub fn from_chunks(chunks: Vec<Bytes>) -> Self {
        match <[Bytes; 1]>::try_from(chunks) {
            Ok([one]) => RequestBody::Bytes(one),
            Err(many) => RequestBody::Chunks(many.into()),
        }
    }

    /// The in-memory buffers of a `Bytes` or `Chunks` body, in order;
    /// `None` for the other kinds.
    pub fn memory_chunks(&self) -> Option<&[Bytes]> {
        match self {
            RequestBody::Empty => Some(&[]),
            RequestBody::Bytes(b) => Some(std::slice::from_ref(b)),
            RequestBody::Chunks(c) => Some(c),
            _ => None,
        }
    }

    /// The body's length when known without reading it: `Some(0)` for
    /// `Empty`, the length for `Bytes`, `Chunks` and `File`, `None` for
    /// `Stream`.
    pub fn len_hint(&self) -> Option<u64> {
        match self {
            RequestBody::Empty => Some(0),
            RequestBody::Bytes(b) => Some(b.len() as u64),
            RequestBody::Chunks(c) => Some(c.iter().map(|b| b.len() as u64).sum()),
            RequestBody::File { len, .. } => Some(*len),
            RequestBody::Stream(_) => None,
        }
    }

    /// Whether the body can be sent again (all but `Stream`).
    pub fn is_replayable(&self) -> bool {
        !matches!(self, RequestBody::Stream(_))
    }

    /// A copy for a retry: `Some` for `Empty`, `Bytes` and `Chunks` (no
    /// data copied) and `File` (the file is read again), `None` for `Stream`.
    pub fn try_clone(&self) -> Option<RequestBody> {
        match self {
            RequestBody::Empty => Some(RequestBody::Empty),
            RequestBody::Bytes(b) => Some(RequestBody::Bytes(b.clone())),
            RequestBody::Chunks(c) => Some(RequestBody::Chunks(Arc::clone(c))),
            RequestBody::File { path, offset, len } => Some(RequestBody::File {
                path: path.clone(),
                offset: *offset,
                len: *len,
            }),
            RequestBody::Stream(_) => None,
        }
    }

    /// The body as a stream of chunks, for [`HttpClient`](super::HttpClient)
    /// implementations: a `File` is opened and read lazily, on the first poll.
    pub fn into_stream(self) -> BodyStream {
        match self {
            RequestBody::Empty => Box::pin(futures_stream(|| None)),
            RequestBody::Bytes(b) => {
                let mut once = Some(b).filter(|b| !b.is_empty());
                Box::pin(futures_stream(move || once.take().map(Ok)))
            }
            RequestBody::Chunks(c) => {
                let mut next = 0;
                Box::pin(futures_stream(move || {
                    let chunk = c.get(next)?.clone();
                    next += 1;
                    Some(Ok(chunk))
                }))
            }
            RequestBody::Stream(s) => s,
            RequestBody::File { path, offset, len } => Box::pin(FileStream::new(path, offset, len)),
        }
    }
}

impl fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestBody::Empty => f.write_str("Empty"),
            RequestBody::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            RequestBody::Chunks(c) => write!(
                f,
                "Chunks({} bytes in {} buffers)",
                c.iter().map(Bytes::len).sum::<usize>(),
                c.len()
            ),
            RequestBody::Stream(_) => f.write_str("Stream"),
            RequestBody::File { path, offset, len } => f
                .debug_struct("File")
                .field("path", path)
                .field("offset", offset)
                .field("len", len)
                .finish(),
        }
    }
}

impl From<Bytes> for RequestBody {
    fn from(b: Bytes) -> Self {
        RequestBody::Bytes(b)
    }
}

impl From<Vec<u8>> for RequestBody {
    fn from(v: Vec<u8>) -> Self {
        RequestBody::Bytes(v.into())
    }
}

impl From<&'static [u8]> for RequestBody {
    fn from(s: &'static [u8]) -> Self {
        RequestBody::Bytes(Bytes::from_static(s))
    }
}

impl From<&'static str> for RequestBody {
    fn from(s: &'static str) -> Self {
        RequestBody::Bytes(Bytes::from_static(s.as_bytes()))
    }
}

impl From<String> for RequestBody {
    fn from(s: String) -> Self {
        RequestBody::Bytes(s.into())
    }
}

/// The body of an [`HttpResponse`](super::HttpResponse): a stream of
/// [`Bytes`] chunks, read on demand and never buffered by the transport.
///
/// While a read is pending, at most `read_timeout` may pass before the next
/// chunk arrives; past that the stream yields one [`ErrorKind::Timeout`]
/// error and ends. A body cut short (connection reset, fewer bytes than
/// `Content-Length`) yields an [`ErrorKind::Transport`] error. Errors are
/// retryable and name the request (method and URL without query). After an
/// error the stream ends.
pub struct ResponseBody {
    inner: BodyStream,
    read_timeout: Option<Duration>,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    context: Option<String>,
    done: bool,
}

impl ResponseBody {
    /// An empty body.
    pub fn empty() -> Self {
        Self::from_bytes(Bytes::new())
    }

    /// A body holding `bytes`, as one chunk; for tests and mock clients.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        let mut once = Some(bytes.into());
        Self::from_stream(futures_stream(move || once.take().map(Ok)))
    }

    /// A body read from `stream`; its errors pass through (with the
    /// [context](Self::with_context), if set).
    pub fn from_stream(stream: impl Stream<Item = crate::Result<Bytes>> + Send + 'static) -> Self {
        ResponseBody {
            inner: Box::pin(stream),
            read_timeout: None,
            sleep: None,
            context: None,
            done: false,
        }
    }

    /// A body read from a hyper response body. Its errors become retryable
    /// [`ErrorKind::Transport`] errors.
    #[cfg(feature = "hyper-rustls")]
    pub fn from_incoming(body: hyper::body::Incoming) -> Self {
        Self::from_stream(IncomingStream(body))
    }

    /// A body read from a reqwest response. Its errors become retryable
    /// [`ErrorKind::Transport`] errors (or [`ErrorKind::Timeout`] for
    /// reqwest's own timeouts).
    #[cfg(feature = "reqwest")]
    pub fn from_reqwest(response: reqwest::Response) -> Self {
        Self::from_stream(MapErr {
            inner: Box::pin(response.bytes_stream()),
            map: |e: reqwest::Error| {
                let kind = if e.is_timeout() {
                    ErrorKind::Timeout
                } else {
                    ErrorKind::Transport
                };
                let e = e.without_url();
                let why = super::causes(&e);
                Error::new(kind, format!("reading response body failed ({why})"))
                    .with_source(e)
                    .with_retryable(true)
            },
        })
    }

    /// Sets the longest wait for the next chunk; `None` waits forever.
    pub fn with_read_timeout(mut self, read_timeout: Option<Duration>) -> Self {
        self.read_timeout = read_timeout;
        self
    }

    /// Sets the prefix of error messages, such as `GET https://host/key`.
    /// Never pass a URL with its query string.
    pub fn with_context(mut self, context: impl Into<String>) -> Self {
        self.context = Some(context.into());
        self
    }

    /// The next chunk; `None` at the end of the body.
    pub async fn next_chunk(&mut self) -> Option<crate::Result<Bytes>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// Reads the whole body into memory.
    ///
    /// There is no size limit: use it for bodies whose size the caller
    /// chose (an object it asked for), [`collect_limited`](Self::collect_limited)
    /// for answers a server could make arbitrarily large, and
    /// [`next_chunk`](Self::next_chunk) or the `Stream` impl to stream.
    ///
    /// # Errors
    ///
    /// The first error of the stream.
    pub async fn collect(self) -> crate::Result<Bytes> {
        self.collect_limited(usize::MAX).await
    }

    /// Reads the whole body into memory, failing as soon as it holds more
    /// than `max` bytes (see [`crate::limits`]).
    ///
    /// # Errors
    ///
    /// The first error of the stream; [`ErrorKind::Service`] (not
    /// retryable) naming `max` when the body is longer.
    pub async fn collect_limited(mut self, max: usize) -> crate::Result<Bytes> {
        let mut total = 0usize;
        // A body of one chunk is returned as it is, without a copy.
        let mut first: Option<Bytes> = None;
        let mut all = BytesMut::new();
        while let Some(chunk) = self.next_chunk().await.transpose()? {
            total = total.saturating_add(chunk.len());
            if total > max {
                let error = Error::new(
                    ErrorKind::Service,
                    format!("the answer is longer than the limit of {max} bytes"),
                );
                return Err(match &self.context {
                    Some(c) => error.context(c),
                    None => error,
                });
            }
            match &first {
                None => first = Some(chunk),
                Some(one) => {
                    if all.is_empty() {
                        all.reserve(one.len() + chunk.len());
                        all.extend_from_slice(one);
                    }
                    all.extend_from_slice(&chunk);
                }
            }
        }
        Ok(if all.is_empty() {
            first.unwrap_or_default()
        } else {
            all.freeze()
        })
    }

    fn fail(&mut self, error: Error) -> Poll<Option<crate::Result<Bytes>>> {
        self.done = true;
        self.sleep = None;
        let error = match &self.context {
            Some(c) => error.context(c),
            None => error,
        };
        Poll::Ready(Some(Err(error)))
    }
}

impl Stream for ResponseBody {
    type Item = crate::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        loop {
            match this.inner.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    this.sleep = None;
                    if chunk.is_empty() {
                        continue;
                    }
                    return Poll::Ready(Some(Ok(chunk)));
                }
                Poll::Ready(Some(Err(e))) => return this.fail(e),
                Poll::Ready(None) => {
                    this.done = true;
                    this.sleep = None;
                    return Poll::Ready(None);
                }
                Poll::Pending => break,
            }
        }
        let Some(timeout) = this.read_timeout else {
            return Poll::Pending;
        };
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        if sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let e = Error::new(
            ErrorKind::Timeout,
            format!(
                "no response body data for {}s (ClientOptions::read_timeout)",
                timeout.as_secs_f64()
            ),
        )
        .with_retryable(true);
        this.fail(e)
    }
}

impl fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseBody")
            .field("context", &self.context)
            .field("read_timeout", &self.read_timeout)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------
// Request body as sent by the built-in clients.

/// Largest piece handed to the connection at once, so that progress (for
/// [`ClientOptions::timeout`](super::ClientOptions::timeout)) is seen often.
const SEND_PIECE: usize = 64 * 1024;

/// A [`RequestBody`] being sent: yields pieces of at most [`SEND_PIECE`]
/// bytes, ticks `progress` for each, and keeps a failing stream's error in
/// `progress` (the HTTP library only sees [`BodyAborted`]).
///
/// A stream or file with a known length (`Content-Length`) must deliver
/// exactly that many bytes: one that ends early or runs past it fails the
/// request instead of letting the connection be reused for a short body.
pub(crate) struct SendBody {
    pending: Bytes,
    stream: Option<BodyStream>,
    /// Bytes not yet yielded, when the length is known.
    remaining: Option<u64>,
    /// The declared length, for the error message.
    declared: Option<u64>,
    progress: Arc<Progress>,
}

impl SendBody {
    /// `content_length` is the request's `Content-Length` header, if any.
    pub(crate) fn new(
        body: RequestBody,
        content_length: Option<u64>,
        progress: Arc<Progress>,
    ) -> Self {
        let (pending, stream, remaining) = match body {
            RequestBody::Empty => (Bytes::new(), None, Some(0)),
            RequestBody::Bytes(b) => {
                let len = b.len() as u64;
                (b, None, Some(len))
            }
            RequestBody::Stream(s) => (Bytes::new(), Some(s), content_length),
            known @ (RequestBody::File { .. } | RequestBody::Chunks(_)) => {
                let len = known.len_hint();
                (Bytes::new(), Some(known.into_stream()), len)
            }
        };
        SendBody {
            pending,
            stream,
            remaining,
            declared: remaining,
            progress,
        }
    }

    /// Bytes still to send, when known.
    #[cfg_attr(
        not(feature = "hyper-rustls"),
        allow(dead_code, reason = "used by the hyper body only")
    )]
    pub(crate) fn remaining(&self) -> Option<u64> {
        self.remaining
    }

    /// Whether the body is known to be fully sent.
    #[cfg_attr(
        not(feature = "hyper-rustls"),
        allow(dead_code, reason = "used by the hyper body only")
    )]
    pub(crate) fn is_end(&self) -> bool {
        self.pending.is_empty() && self.stream.is_none()
    }

    /// Ends the body with `error`, kept for `send` to return.
    fn abort(&mut self, error: Error) -> Poll<Option<Result<Bytes, BodyAborted>>> {
        self.stream = None;
        self.pending = Bytes::new();
        self.progress.set_body_error(error);
        Poll::Ready(Some(Err(BodyAborted)))
    }

    /// The error for a body whose length is not the declared one.
    fn length_mismatch(&self, what: &str) -> Error {
        let declared = self.declared.unwrap_or(0);
        let sent = declared - self.remaining.unwrap_or(0);
        Error::new(
            ErrorKind::InvalidInput,
            format!(
                "the body {what} after {sent} of the {declared} bytes of its Content-Length; the request was aborted, not sent short"
            ),
        )
    }
}

impl Stream for SendBody {
    type Item = Result<Bytes, BodyAborted>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if !this.pending.is_empty() {
                let n = this.pending.len().min(SEND_PIECE);
                let piece = this.pending.split_to(n);
                this.remaining = this.remaining.map(|r| r.saturating_sub(n as u64));
                this.progress.tick();
                return Poll::Ready(Some(Ok(piece)));
            }
            let Some(stream) = this.stream.as_mut() else {
                return Poll::Ready(None);
            };
            match stream.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    if this.remaining.is_some_and(|r| chunk.len() as u64 > r) {
                        let e = this.length_mismatch("ran past its end");
                        return this.abort(e);
                    }
                    this.pending = chunk;
                }
                Poll::Ready(Some(Err(e))) => return this.abort(e),
                Poll::Ready(None) => {
                    if this.remaining.is_some_and(|r| r > 0) {
                        let e = this.length_mismatch("ended");
                        return this.abort(e);
                    }
                    this.stream = None;
                    this.progress.tick();
                    return Poll::Ready(None);
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// Reads `len` bytes of a file from `offset`, [`SEND_PIECE`] at a time;
/// opened on the first poll.
struct FileStream {
    path: std::path::PathBuf,
    state: FileState,
    left: u64,
    len: u64,
    scratch: Vec<u8>,
}

enum FileState {
    Opening(Pin<Box<dyn Future<Output = std::io::Result<tokio::fs::File>> + Send>>),
    Reading(tokio::fs::File),
    Done,
}

impl FileStream {
    fn new(path: std::path::PathBuf, offset: u64, len: u64) -> Self {
        let open = {
            let path = path.clone();
            async move {
                use tokio::io::AsyncSeekExt as _;
                let mut file = tokio::fs::File::open(&path).await?;
                if offset > 0 {
                    file.seek(std::io::SeekFrom::Start(offset)).await?;
                }
                Ok(file)
            }
        };
        FileStream {
            path,
            state: FileState::Opening(Box::pin(open)),
            left: len,
            len,
            scratch: Vec::new(),
        }
    }

    fn fail(&mut self, e: std::io::Error) -> Poll<Option<crate::Result<Bytes>>> {
        self.state = FileState::Done;
        let kind = match e.kind() {
            std::io::ErrorKind::NotFound => ErrorKind::NotFound,
            std::io::ErrorKind::PermissionDenied => ErrorKind::PermissionDenied,
            _ => ErrorKind::InvalidInput,
        };
        let message = format!("cannot read {}: {e}", self.path.display());
        Poll::Ready(Some(Err(Error::new(kind, message).with_source(e))))
    }
}

impl Stream for FileStream {
    type Item = crate::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        use tokio::io::AsyncRead as _;
        let this = &mut *self;
        loop {
            match &mut this.state {
                FileState::Opening(open) => match open.as_mut().poll(cx) {
                    Poll::Ready(Ok(file)) => this.state = FileState::Reading(file),
                    Poll::Ready(Err(e)) => return this.fail(e),
                    Poll::Pending => return Poll::Pending,
                },
                FileState::Reading(file) => {
                    if this.left == 0 {
                        this.state = FileState::Done;
                        return Poll::Ready(None);
                    }
                    // `left` is at most SEND_PIECE here, so the cast is exact.
                    let n = this.left.min(SEND_PIECE as u64) as usize;
                    this.scratch.resize(n, 0);
                    let mut buf = tokio::io::ReadBuf::new(&mut this.scratch[..n]);
                    match Pin::new(file).poll_read(cx, &mut buf) {
                        Poll::Ready(Ok(())) if buf.filled().is_empty() => {
                            let read = this.len - this.left;
                            let e = std::io::Error::new(
                                std::io::ErrorKind::UnexpectedEof,
                                format!(
                                    "the file ended after {read} of {} bytes; it changed during the upload",
                                    this.len
                                ),
                            );
                            return this.fail(e);
                        }
                        Poll::Ready(Ok(())) => {
                            let chunk = Bytes::copy_from_slice(buf.filled());
                            this.left -= chunk.len() as u64;
                            return Poll::Ready(Some(Ok(chunk)));
                        }
                        Poll::Ready(Err(e)) => return this.fail(e),
                        Poll::Pending => return Poll::Pending,
                    }
                }
                FileState::Done => return Poll::Ready(None),
            }
        }
    }
}

/// What the HTTP library sees when a request body stream fails; the real
/// error is kept in [`Progress`].
#[derive(Debug)]
pub(crate) struct BodyAborted;

impl fmt::Display for BodyAborted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("request body stream failed")
    }
}

impl std::error::Error for BodyAborted {}

// ---------------------------------------------------------------------------
// Stream adapters.

/// A stream from a closure, like `futures::stream::poll_fn` without the
/// context (the closure never waits).
fn futures_stream<F>(next: F) -> impl Stream<Item = crate::Result<Bytes>> + Send + 'static
where
    F: FnMut() -> Option<crate::Result<Bytes>> + Send + Unpin + 'static,
{
    struct FromFn<F>(F);
    impl<F: FnMut() -> Option<crate::Result<Bytes>> + Unpin> Stream for FromFn<F> {
        type Item = crate::Result<Bytes>;
        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            Poll::Ready((self.0)())
        }
    }
    FromFn(next)
}

/// The data frames of a hyper body; trailers are skipped.
#[cfg(feature = "hyper-rustls")]
struct IncomingStream(hyper::body::Incoming);

#[cfg(feature = "hyper-rustls")]
impl Stream for IncomingStream {
    type Item = crate::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        use hyper::body::Body as _;
        loop {
            return match Pin::new(&mut self.0).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => Poll::Ready(Some(Ok(data))),
                    Err(_trailers) => continue,
                },
                Poll::Ready(Some(Err(e))) => {
                    let why = super::causes(&e);
                    let message = format!("reading response body failed ({why})");
                    Poll::Ready(Some(Err(Error::new(ErrorKind::Transport, message)
                        .with_source(e)
                        .with_retryable(true))))
                }
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            };
        }
    }
}

/// Maps a stream's errors to [`Error`].
#[cfg(feature = "reqwest")]
struct MapErr<S, F> {
    inner: Pin<Box<S>>,
    map: F,
}

#[cfg(feature = "reqwest")]
impl<S, E, F> Stream for MapErr<S, F>
where
    S: Stream<Item = Result<Bytes, E>>,
    F: FnMut(E) -> Error + Unpin,
{
    type Item = crate::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        this.inner
            .as_mut()
            .poll_next(cx)
            .map(|item| item.map(|r| r.map_err(&mut this.map)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_body_clones_only_replayable_kinds() {
        let b = RequestBody::from("abc");
        assert_eq!(b.len_hint(), Some(3));
        assert!(b.is_replayable());
        assert!(matches!(b.try_clone(), Some(RequestBody::Bytes(x)) if x == "abc"));
        let s = RequestBody::from_stream(futures_stream(|| None));
        assert_eq!(s.len_hint(), None);
        assert!(!s.is_replayable() && s.try_clone().is_none());
    }

    #[tokio::test]
    async fn collect_limited_stops_past_the_limit() {
        let chunks = || {
            let mut left = vec![Bytes::from("abc"), Bytes::from("def")];
            ResponseBody::from_stream(futures_stream(move || {
                (!left.is_empty()).then(|| Ok(left.remove(0)))
            }))
        };
        assert_eq!(
            chunks().collect_limited(6).await.ok(),
            Some("abcdef".into())
        );
        let e = chunks()
            .with_context("GET https://h/b")
            .collect_limited(5)
            .await
            .expect_err("6 bytes > 5");
        assert_eq!(e.kind(), ErrorKind::Service);
        assert!(!e.is_retryable());
        assert!(e.to_string().contains("limit of 5 bytes"), "{e}");
        assert_eq!(
            ResponseBody::empty().collect_limited(0).await.ok(),
            Some(Bytes::new())
        );
    }

    #[tokio::test]
    async fn send_body_splits_large_bytes_into_pieces() {
        let body = RequestBody::from(vec![7u8; SEND_PIECE * 2 + 1]);
        let mut send = SendBody::new(body, None, Progress::new());
        let mut sizes = Vec::new();
        while let Some(piece) = std::future::poll_fn(|cx| Pin::new(&mut send).poll_next(cx)).await {
            sizes.push(piece.map(|p| p.len()).unwrap_or(0));
        }
        assert_eq!(sizes, [SEND_PIECE, SEND_PIECE, 1]);
        assert!(send.is_end());
    }

    #[tokio::test]
    async fn file_body_sends_its_range_again_on_each_clone() {
        let path = std::env::temp_dir().join(format!("s3lite-body-{}", std::process::id()));
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap_or_else(|e| panic!("{e}"));
        let body = RequestBody::from_file(&path, 1_000, 150_000);
        assert_eq!(body.len_hint(), Some(150_000));
        for _ in 0..2 {
            let copy = body
                .try_clone()
                .unwrap_or_else(|| panic!("file bodies replay"));
            let mut send = SendBody::new(copy, None, Progress::new());
            let mut got = Vec::new();
            while let Some(piece) =
                std::future::poll_fn(|cx| Pin::new(&mut send).poll_next(cx)).await
            {
                got.extend_from_slice(&piece.unwrap_or_else(|_| panic!("read failed")));
            }
            assert!(got == data[1_000..151_000], "wrong bytes");
        }
        // Past the end of the file: the body fails instead of ending short.
        let long = RequestBody::from_file(&path, 150_000, 60_000);
        let mut send = SendBody::new(long, None, Progress::new());
        let progress = Arc::clone(&send.progress);
        let mut failed = false;
        while let Some(piece) = std::future::poll_fn(|cx| Pin::new(&mut send).poll_next(cx)).await {
            failed |= piece.is_err();
        }
        let _ = std::fs::remove_file(&path);
        assert!(failed);
        let e = progress.take_body_error().map(|e| e.to_string());
        assert!(
            e.as_deref()
                .is_some_and(|e| e.contains("ended after 50000 of 60000")),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn stream_longer_than_its_content_length_is_aborted() {
        let mut parts = vec![Bytes::from("67890"), Bytes::from("12345")];
        let body = RequestBody::from_stream(futures_stream(move || parts.pop().map(Ok)));
        let progress = Progress::new();
        let mut send = SendBody::new(body, Some(7), Arc::clone(&progress));
        let mut items = Vec::new();
        while let Some(piece) = std::future::poll_fn(|cx| Pin::new(&mut send).poll_next(cx)).await {
            items.push(piece.is_ok());
        }
        assert_eq!(items, [true, false]);
        let e = progress.take_body_error().map(|e| e.to_string());
        assert!(
            e.as_deref().is_some_and(|e| e.contains("ran past its end")),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn response_body_collects_chunks() {
        let mut parts = vec![Bytes::from("b"), Bytes::new(), Bytes::from("a")];
        let body = ResponseBody::from_stream(futures_stream(move || parts.pop().map(Ok)));
        assert_eq!(body.collect().await.ok(), Some(Bytes::from("ab")));
    }
}
