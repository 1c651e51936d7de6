//! The aws-chunked body adapter: frames a stream of [`Bytes`] into
//! aws-chunked on the fly, signing each chunk (and the checksum trailer)
//! with [`ChunkSigner`], so a stream of known length is uploaded in one PUT
//! without being buffered ([`S3Store::put_stream_sized`]).
//!
//! The request loop signs the headers first; their signature seeds the
//! chunk signatures, so the loop builds the body after signing
//! ([`ChunkedUpload::into_body`]). Such a body is sent once: it is never
//! retried.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH};
use http::{HeaderMap, HeaderName, HeaderValue, Method};

use super::request::S3Request;
use super::types::PutResult;
use super::{S3Store, check_key, put_result};
use crate::checksum::{self, ChecksumAlgorithm, Hasher};
use crate::error::{Error, Result};
use crate::sign::chunked::{
    ChunkSigner, DEFAULT_CHUNK_SIZE, StreamingMode, canonical_trailers, chunk_header,
    framed_length, trailer_frame,
};
use crate::transport::{BodyStream, RequestBody};

impl S3Store {
    /// Uploads `len` bytes from `stream` as the object `key` in one PUT,
    /// without buffering it: the body is sent as it is read, in aws-chunked
    /// framing.
    ///
    /// aws-chunked needs the length in advance (`x-amz-decoded-content-length`);
    /// for a stream of unknown length use [`S3Store::put_stream`] (multipart).
    /// The framing follows the store's settings:
    ///
    /// | `unsigned_payload` | `checksum_algorithm` | `x-amz-content-sha256` |
    /// | --- | --- | --- |
    /// | false | none | `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` (every 64 KiB chunk signed) |
    /// | false | set | `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER` (plus a signed checksum trailer) |
    /// | true | set | `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (checksum trailer, chunks unsigned) |
    /// | true | none | `UNSIGNED-PAYLOAD`, the stream sent as it is |
    ///
    /// An anonymous store (`skip_signature`) sends unsigned chunks with a
    /// trailer when a checksum is set, else the plain stream.
    ///
    /// See [sigv4-streaming](https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html).
    ///
    /// # Errors
    /// An error of the stream (the request is then cut short, so no object
    /// is written); `InvalidInput` when the stream yields more or fewer than
    /// `len` bytes; what S3 answers. The body is not replayable, so a failed
    /// request is not retried.
    ///
    /// ```no_run
    /// # async fn demo(store: &s3lite::S3Store) -> s3lite::Result<()> {
    /// // Stream one object into another without holding it in memory.
    /// let source = store.get("big.bin").await?;
    /// let len = source.meta.size;
    /// store.put_stream_sized("copy.bin", len, source.into_stream()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn put_stream_sized<S>(&self, key: &str, len: u64, stream: S) -> Result<PutResult>
    where
        S: Stream<Item = Result<Bytes>> + Send + 'static,
    {
        let full = self.full_key(key);
        check_key(&full)?;
        let checksum = self.inner.checksum;
        let signed = self.inner.credentials.is_some() && !self.inner.unsigned_payload;
        let mode = match (signed, checksum) {
            (true, None) => Some(StreamingMode::Signed),
            (true, Some(_)) => Some(StreamingMode::SignedTrailer),
            (false, Some(_)) => Some(StreamingMode::UnsignedTrailer),
            (false, None) => None,
        };
        let mut req = S3Request::new("PutObject", Method::PUT, Some(&full));
        if let Some(content_type) = self.content_type_for(key) {
            req = req.header(http::header::CONTENT_TYPE, content_type)?;
        }
        let stream: BodyStream = Box::pin(stream);
        req = match mode {
            Some(mode) => req.chunked(ChunkedUpload {
                stream,
                decoded_len: len,
                chunk_size: DEFAULT_CHUNK_SIZE,
                mode,
                trailer: checksum.filter(|_| mode.has_trailer()),
            }),
            None => {
                let mut req = req.body(RequestBody::Stream(Box::pin(ExactLength {
                    inner: stream,
                    left: len,
                })));
                req.headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
                req
            }
        };
        let resp = self.inner.send(req).await?;
        Ok(put_result(&resp.headers))
    }
}

/// An aws-chunked upload waiting to be signed and sent.
pub(crate) struct ChunkedUpload {
    pub(crate) stream: BodyStream,
    /// The payload length, sent as `x-amz-decoded-content-length`.
    pub(crate) decoded_len: u64,
    /// Bytes per chunk (the last one may be shorter); at least 8 KiB for S3.
    pub(crate) chunk_size: usize,
    pub(crate) mode: StreamingMode,
    /// The checksum sent as the trailer (trailer modes only).
    pub(crate) trailer: Option<ChecksumAlgorithm>,
}

impl ChunkedUpload {
    /// Adds `Content-Encoding: aws-chunked`, `x-amz-decoded-content-length`,
    /// the framed `Content-Length` and, with a trailer, `x-amz-trailer`.
    pub(crate) fn add_headers(&self, headers: &mut HeaderMap) {
        let encoding = match headers.get(CONTENT_ENCODING).and_then(|v| v.to_str().ok()) {
            Some(other) if !other.is_empty() => format!("aws-chunked,{other}"),
            _ => "aws-chunked".to_string(),
        };
        if let Ok(v) = HeaderValue::from_str(&encoding) {
            headers.insert(CONTENT_ENCODING, v);
        }
        headers.insert(
            HeaderName::from_static("x-amz-decoded-content-length"),
            HeaderValue::from(self.decoded_len),
        );
        let trailer = self
            .trailer
            .map(|alg| (checksum::header_name(alg), base64_len(alg)));
        let framed = framed_length(self.mode, self.decoded_len, self.chunk_size, trailer);
        headers.insert(CONTENT_LENGTH, HeaderValue::from(framed));
        if let Some(alg) = self.trailer {
            headers.insert(
                HeaderName::from_static("x-amz-trailer"),
                HeaderValue::from_static(checksum::header_name(alg)),
            );
            headers.insert(
                HeaderName::from_static("x-amz-sdk-checksum-algorithm"),
                HeaderValue::from_static(alg.as_str()),
            );
        }
    }

    /// The framed body; `signer` (seeded with the header signature) is
    /// required for the signed modes.
    pub(crate) fn into_body(self, signer: Option<ChunkSigner>) -> Result<RequestBody> {
        if self.mode.signs_chunks() && signer.is_none() {
            return Err(Error::invalid_input(
                "a signed aws-chunked upload needs credentials to sign its chunks",
            ));
        }
        Ok(RequestBody::Stream(Box::pin(ChunkedStream {
            inner: self.stream,
            buf: BytesMut::new(),
            chunk_size: self.chunk_size.max(1),
            left: self.decoded_len,
            signer: signer.filter(|_| self.mode.signs_chunks()),
            mode: self.mode,
            hasher: self.trailer.map(Hasher::new),
            out: VecDeque::new(),
            ended: false,
            done: false,
        })))
    }
}

/// Length of the base64 value of `alg`.
fn base64_len(alg: ChecksumAlgorithm) -> usize {
    let raw: usize = match alg {
        ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c => 4,
        ChecksumAlgorithm::Crc64Nvme => 8,
        ChecksumAlgorithm::Sha1 => 20,
        _ => 32,
    };
    raw.div_ceil(3) * 4
}

/// Frames the inner stream: fixed-size chunks, the final empty chunk, the
/// trailer. Fails if the inner stream yields more or fewer bytes than declared.
struct ChunkedStream {
    inner: BodyStream,
    /// Bytes of the next chunk not yet framed.
    buf: BytesMut,
    chunk_size: usize,
    /// Payload bytes still expected from `inner` (including `buf`).
    left: u64,
    signer: Option<ChunkSigner>,
    mode: StreamingMode,
    hasher: Option<Hasher>,
    /// Frames ready to send.
    out: VecDeque<Bytes>,
    /// `inner` has ended.
    ended: bool,
    /// The final chunk and trailer are queued.
    done: bool,
}

impl ChunkedStream {
    fn push_chunk(&mut self, data: Bytes) {
        if let Some(h) = &mut self.hasher {
            h.update(&data);
        }
        let sig = self.signer.as_mut().map(|s| s.sign_chunk(&data));
        self.out
            .push_back(Bytes::from(chunk_header(data.len(), sig.as_deref())));
        self.out.push_back(data);
        self.out.push_back(Bytes::from_static(b"\r\n"));
    }

    fn push_end(&mut self) {
        let sig = self.signer.as_mut().map(|s| s.sign_chunk(b""));
        let mut end = chunk_header(0, sig.as_deref());
        if self.mode.has_trailer() {
            let value = self.hasher.take().map(|h| {
                let alg = h.algorithm();
                (checksum::header_name(alg), h.finish_base64())
            });
            let trailers: Vec<(&str, &str)> = value.iter().map(|(n, v)| (*n, v.as_str())).collect();
            let sig = self
                .signer
                .as_mut()
                .map(|s| s.sign_trailer(&canonical_trailers(&trailers)));
            end.push_str(&trailer_frame(&trailers, sig.as_deref()));
        } else {
            end.push_str("\r\n");
        }
        self.out.push_back(Bytes::from(end));
        self.done = true;
    }
}

impl Stream for ChunkedStream {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(frame) = this.out.pop_front() {
                return Poll::Ready(Some(Ok(frame)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            if this.buf.len() >= this.chunk_size {
                let data = this.buf.split_to(this.chunk_size).freeze();
                this.push_chunk(data);
                continue;
            }
            if this.ended {
                if this.left > 0 {
                    this.done = true;
                    return Poll::Ready(Some(Err(Error::invalid_input(format!(
                        "the stream ended {} bytes short of its declared length",
                        this.left
                    )))));
                }
                if !this.buf.is_empty() {
                    let data = this.buf.split().freeze();
                    this.push_chunk(data);
                }
                this.push_end();
                continue;
            }
            match this.inner.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => this.ended = true,
                Poll::Ready(Some(Err(e))) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(Some(Ok(bytes))) => {
                    if bytes.len() as u64 > this.left {
                        this.done = true;
                        return Poll::Ready(Some(Err(Error::invalid_input(
                            "the stream is longer than its declared length",
                        ))));
                    }
                    this.left -= bytes.len() as u64;
                    this.buf.extend_from_slice(&bytes);
                }
            }
        }
    }
}

/// Passes a stream through, failing if it yields more or fewer than `left`
/// bytes (a plain PUT with `Content-Length`).
struct ExactLength {
    inner: BodyStream,
    left: u64,
}

impl Stream for ExactLength {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match this.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(b))) if b.len() as u64 > this.left => Poll::Ready(Some(Err(
                Error::invalid_input("the stream is longer than its declared length"),
            ))),
            Poll::Ready(Some(Ok(b))) => {
                this.left -= b.len() as u64;
                Poll::Ready(Some(Ok(b)))
            }
            Poll::Ready(None) if this.left > 0 => {
                let left = std::mem::take(&mut this.left);
                Poll::Ready(Some(Err(Error::invalid_input(format!(
                    "the stream ended {left} bytes short of its declared length"
                )))))
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::{PayloadHash, SecretKey, SigningParams, UriEncoding};

    fn stream_of(parts: Vec<Vec<u8>>) -> BodyStream {
        let mut it = parts.into_iter();
        Box::pin(futures_stream(move || {
            it.next().map(|p| Ok(Bytes::from(p)))
        }))
    }

    fn futures_stream<F: FnMut() -> Option<Result<Bytes>> + Send + Unpin + 'static>(
        f: F,
    ) -> impl Stream<Item = Result<Bytes>> + Send {
        struct S<F>(F);
        impl<F: FnMut() -> Option<Result<Bytes>> + Unpin> Stream for S<F> {
            type Item = Result<Bytes>;
            fn poll_next(
                mut self: Pin<&mut Self>,
                _: &mut Context<'_>,
            ) -> Poll<Option<Self::Item>> {
                Poll::Ready((self.0)())
            }
        }
        S(f)
    }

    async fn collect(body: RequestBody) -> Result<Vec<u8>> {
        let RequestBody::Stream(mut s) = body else {
            panic!("not a stream")
        };
        let mut out = Vec::new();
        while let Some(b) = std::future::poll_fn(|cx| s.as_mut().poll_next(cx)).await {
            out.extend_from_slice(&b?);
        }
        Ok(out)
    }

    fn upload(parts: Vec<Vec<u8>>, len: u64, mode: StreamingMode) -> ChunkedUpload {
        ChunkedUpload {
            stream: stream_of(parts),
            decoded_len: len,
            chunk_size: 65536,
            mode,
            trailer: mode.has_trailer().then_some(ChecksumAlgorithm::Crc32c),
        }
    }

    /// The documentation example, sent as odd-sized pieces, frames exactly
    /// as the doc shows: the same chunk signatures and trailer.
    #[tokio::test]
    async fn doc_example_frames_with_the_doc_signatures() {
        let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        let params = SigningParams {
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret_key: &secret,
            session_token: None,
            region: "us-east-1",
            service: "s3",
            time: time::OffsetDateTime::from_unix_timestamp(1_369_353_600).expect("valid"),
            uri_encoding: UriEncoding::S3,
            payload: PayloadHash::StreamingSignedTrailer,
            add_content_sha256_header: true,
            sign_session_token: true,
        };
        let seed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
        let parts = vec![vec![b'a'; 1000], vec![b'a'; 65000], vec![b'a'; 560]];
        let up = upload(parts, 66560, StreamingMode::SignedTrailer);
        let mut headers = HeaderMap::new();
        up.add_headers(&mut headers);
        let signer = ChunkSigner::new(&params, seed).expect("seed");
        let body = collect(up.into_body(Some(signer)).expect("body"))
            .await
            .expect("frames");
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with("10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n"));
        assert!(text.contains("\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n"));
        assert!(text.ends_with("0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\nx-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n"));
        assert_eq!(
            headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()),
            Some(body.len().to_string().as_str())
        );
        assert_eq!(
            headers.get("x-amz-trailer").and_then(|v| v.to_str().ok()),
            Some("x-amz-checksum-crc32c")
        );
    }

    #[tokio::test]
    async fn unsigned_trailer_frames_match_content_length() {
        let up = upload(
            vec![vec![1u8; 70000], vec![2u8; 5]],
            70005,
            StreamingMode::UnsignedTrailer,
        );
        let mut headers = HeaderMap::new();
        up.add_headers(&mut headers);
        let body = collect(up.into_body(None).expect("body"))
            .await
            .expect("frames");
        let len = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok());
        assert_eq!(len, Some(body.len().to_string().as_str()));
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with("10000\r\n"), "{}", &text[..10]);
        // 70005 - 65536 = 4469 = 0x1175 bytes in the second chunk.
        assert!(text.contains("\r\n1175\r\n"));
        assert!(text.contains("\r\n0\r\nx-amz-checksum-crc32c:"));
        assert!(text.ends_with("==\r\n\r\n"));
        assert!(!text.contains("signature"));
    }

    #[tokio::test]
    async fn wrong_stream_length_is_an_error() {
        for (parts, len) in [(vec![vec![0u8; 10]], 11), (vec![vec![0u8; 10]], 9)] {
            let up = upload(parts, len, StreamingMode::UnsignedTrailer);
            let err = collect(up.into_body(None).expect("body"))
                .await
                .expect_err("length mismatch");
            assert_eq!(err.kind(), crate::ErrorKind::InvalidInput, "{err}");
        }
    }

    #[test]
    fn signed_mode_without_signer_is_refused() {
        let up = upload(vec![], 0, StreamingMode::Signed);
        assert!(up.into_body(None).is_err());
    }
}
