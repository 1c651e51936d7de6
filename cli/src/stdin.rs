//! Stdin as the `Stream` of chunks the library's `put_stream` takes.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use tokio::io::{AsyncRead, ReadBuf};

/// Bytes read from stdin at a time.
const CHUNK: usize = 256 * 1024;

/// Stdin, read in chunks of up to 256 KiB until it ends.
pub(crate) struct StdinChunks {
    stdin: tokio::io::Stdin,
    buf: Box<[u8]>,
}

impl StdinChunks {
    /// Reads the process's stdin.
    pub(crate) fn new() -> Self {
        StdinChunks {
            stdin: tokio::io::stdin(),
            buf: vec![0; CHUNK].into_boxed_slice(),
        }
    }
}

impl Stream for StdinChunks {
    type Item = s3lite::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let mut read = ReadBuf::new(&mut this.buf);
        match Pin::new(&mut this.stdin).poll_read(cx, &mut read) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Some(Err(s3lite::Error::new(
                s3lite::ErrorKind::InvalidInput,
                format!("reading stdin: {e}"),
            )))),
            Poll::Ready(Ok(())) if read.filled().is_empty() => Poll::Ready(None),
            Poll::Ready(Ok(())) => Poll::Ready(Some(Ok(Bytes::copy_from_slice(read.filled())))),
        }
    }
}
