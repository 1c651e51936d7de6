//! aws-chunked uploads: chunk and trailer signatures, wire framing and the
//! framed length.
//!
//! Pure, like the rest of [`crate::sign`]. An aws-chunked request is signed
//! in two steps. First the headers, with [`sign_request`](super::sign_request)
//! and one of the streaming [`PayloadHash`] values: its signature is the
//! *seed*. Then every chunk of the body, each signature chained to the one
//! before, ending with an empty chunk and, with a trailer, a trailer
//! signature. See "Signature Calculations for the Authorization Header:
//! Transferring Payload in Multiple Chunks"
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html>) and
//! "Signature calculations for trailing headers"
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html>).
//!
//! The request also carries `Content-Encoding: aws-chunked`,
//! `x-amz-decoded-content-length` (the payload length, needed in advance) and
//! `Content-Length` of the framed body, which [`framed_length`] computes.
//!
//! ```
//! use s3lite::sign::chunked::{ChunkSigner, StreamingMode, framed_length};
//! use s3lite::sign::{PayloadHash, SecretKey, SigningParams, UriEncoding};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
//! let params = SigningParams {
//!     access_key_id: "AKIAIOSFODNN7EXAMPLE",
//!     secret_key: &secret,
//!     session_token: None,
//!     region: "us-east-1",
//!     service: "s3",
//!     time: time::OffsetDateTime::from_unix_timestamp(1_369_353_600)?,
//!     uri_encoding: UriEncoding::S3,
//!     payload: PayloadHash::StreamingSigned,
//!     add_content_sha256_header: true,
//!     sign_session_token: true,
//! };
//! // The seed signature of the documentation example.
//! let seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
//! let mut signer = ChunkSigner::new(&params, seed)?;
//! assert_eq!(
//!     signer.sign_chunk(&[b'a'; 65536]),
//!     "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
//! );
//! assert_eq!(framed_length(StreamingMode::Signed, 66560, 65536, None), 66824);
//! # Ok(())
//! # }
//! ```

use std::fmt;

use sha2::{Digest, Sha256};

use super::canonical::{check_scope_part, push_hex_lower};
use super::key::{SigningKey, hmac_sha256};
use super::{EMPTY_SHA256, PayloadHash, SigningParams, format_amz_date};
use crate::error::Error;

/// Smallest chunk S3 accepts (all chunks but the last): 8 KiB.
pub const MIN_CHUNK_SIZE: usize = 8 * 1024;
/// The chunk size the AWS SDKs use: 64 KiB.
pub const DEFAULT_CHUNK_SIZE: usize = 64 * 1024;

/// Length of `;chunk-signature=` plus 64 hex digits.
const SIGNATURE_EXT_LEN: u64 = 17 + 64;
/// `x-amz-trailer-signature:` + 64 hex digits + CRLF.
const TRAILER_SIGNATURE_LINE_LEN: u64 = 24 + 64 + 2;

/// How an aws-chunked body is signed.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamingMode {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: every chunk signed, no trailer.
    Signed,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks, then a
    /// signed trailer (a checksum header).
    SignedTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: plain chunks, then an unsigned
    /// trailer; only the headers are signed.
    UnsignedTrailer,
}

impl StreamingMode {
    /// The `x-amz-content-sha256` value of the mode.
    pub fn payload_hash(self) -> PayloadHash {
        match self {
            StreamingMode::Signed => PayloadHash::StreamingSigned,
            StreamingMode::SignedTrailer => PayloadHash::StreamingSignedTrailer,
            StreamingMode::UnsignedTrailer => PayloadHash::StreamingUnsignedTrailer,
        }
    }

    /// Whether chunks carry `;chunk-signature=`.
    pub fn signs_chunks(self) -> bool {
        !matches!(self, StreamingMode::UnsignedTrailer)
    }

    /// Whether the body ends with a trailer.
    pub fn has_trailer(self) -> bool {
        !matches!(self, StreamingMode::Signed)
    }
}

/// Signs the chunks (and trailer) of one aws-chunked body, each signature
/// chained to the previous one, starting from the seed. `Debug` prints the
/// scope only.
pub struct ChunkSigner {
    key: SigningKey,
    amz_date: String,
    scope: String,
    previous: String,
}

impl ChunkSigner {
    /// A signer for the body whose headers were signed with `params` and
    /// gave `seed_signature`.
    ///
    /// # Errors
    /// `InvalidInput` for an empty region or service, or a seed that is not
    /// 64 lower-case hex digits.
    pub fn new(params: &SigningParams, seed_signature: &str) -> Result<Self, Error> {
        check_scope_part("region", params.region)?;
        check_scope_part("service", params.service)?;
        if seed_signature.len() != 64
            || !seed_signature
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(Error::invalid_input(
                "seed signature is not 64 lower-case hex digits",
            ));
        }
        let amz_date = format_amz_date(params.time);
        let mut date = [0u8; 8];
        date.copy_from_slice(&amz_date.as_bytes()[..8]);
        let key = params
            .secret_key
            .signing_key(&date, params.region, params.service);
        let scope = format!(
            "{}/{}/{}/aws4_request",
            &amz_date[..8],
            params.region,
            params.service
        );
        Ok(ChunkSigner {
            key,
            amz_date,
            scope,
            previous: seed_signature.to_owned(),
        })
    }

    /// The string to sign for the chunk `data` (empty for the final chunk).
    pub fn chunk_string_to_sign(&self, data: &[u8]) -> String {
        let mut hash = String::with_capacity(64);
        push_hex_lower(&mut hash, &Sha256::digest(data));
        self.string_to_sign("AWS4-HMAC-SHA256-PAYLOAD", Some(EMPTY_SHA256), &hash)
    }

    /// Signs the next chunk, `data` (empty for the final chunk), and returns
    /// its hex signature.
    pub fn sign_chunk(&mut self, data: &[u8]) -> String {
        let sts = self.chunk_string_to_sign(data);
        self.sign(&sts)
    }

    /// As [`sign_chunk`](Self::sign_chunk) for a chunk given as pieces.
    pub fn sign_chunk_parts(&mut self, parts: &[&[u8]]) -> String {
        let mut h = Sha256::new();
        for p in parts {
            h.update(p);
        }
        let mut hash = String::with_capacity(64);
        push_hex_lower(&mut hash, &h.finalize());
        let sts = self.string_to_sign("AWS4-HMAC-SHA256-PAYLOAD", Some(EMPTY_SHA256), &hash);
        self.sign(&sts)
    }

    /// The string to sign for the trailer, from its canonical form
    /// ([`canonical_trailers`]).
    pub fn trailer_string_to_sign(&self, canonical_trailers: &str) -> String {
        let mut hash = String::with_capacity(64);
        push_hex_lower(&mut hash, &Sha256::digest(canonical_trailers.as_bytes()));
        self.string_to_sign("AWS4-HMAC-SHA256-TRAILER", None, &hash)
    }

    /// Signs the trailer (after the final chunk) and returns its hex signature.
    pub fn sign_trailer(&mut self, canonical_trailers: &str) -> String {
        let sts = self.trailer_string_to_sign(canonical_trailers);
        self.sign(&sts)
    }

    fn string_to_sign(&self, algorithm: &str, empty: Option<&str>, hash: &str) -> String {
        let mut sts = String::with_capacity(algorithm.len() + 16 + self.scope.len() + 64 * 3 + 5);
        for line in [algorithm, &self.amz_date, &self.scope, &self.previous] {
            sts.push_str(line);
            sts.push('\n');
        }
        if let Some(e) = empty {
            sts.push_str(e);
            sts.push('\n');
        }
        sts.push_str(hash);
        sts
    }

    fn sign(&mut self, sts: &str) -> String {
        let mut sig = String::with_capacity(64);
        push_hex_lower(&mut sig, &hmac_sha256(&self.key.0, &[sts.as_bytes()]));
        self.previous.clone_from(&sig);
        sig
    }
}

impl fmt::Debug for ChunkSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkSigner")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// The canonical form of trailing headers that the trailer signature covers:
/// `name:value\n` per header, names lower-cased, in the order given.
pub fn canonical_trailers(trailers: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (name, value) in trailers {
        out.push_str(&name.to_ascii_lowercase());
        out.push(':');
        out.push_str(value.trim());
        out.push('\n');
    }
    out
}

/// The line that starts a chunk of `len` bytes: `<hex len>;chunk-signature=<sig>\r\n`,
/// or `<hex len>\r\n` without a signature. The chunk data and `\r\n` follow.
pub fn chunk_header(len: usize, signature: Option<&str>) -> String {
    match signature {
        Some(sig) => format!("{len:x};chunk-signature={sig}\r\n"),
        None => format!("{len:x}\r\n"),
    }
}

/// The trailer section after the final chunk's line: each `name:value\r\n`,
/// then `x-amz-trailer-signature:<sig>\r\n` when signed, then `\r\n`.
pub fn trailer_frame(trailers: &[(&str, &str)], signature: Option<&str>) -> String {
    let mut out = String::new();
    for (name, value) in trailers {
        out.push_str(&name.to_ascii_lowercase());
        out.push(':');
        out.push_str(value.trim());
        out.push_str("\r\n");
    }
    if let Some(sig) = signature {
        out.push_str("x-amz-trailer-signature:");
        out.push_str(sig);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out
}

/// The exact `Content-Length` of an aws-chunked body carrying `decoded_len`
/// payload bytes in chunks of `chunk_size` (the last one shorter), the final
/// empty chunk and, for a trailer mode, the trailer: `trailer` is the
/// `(name, value length)` of the one trailing header.
///
/// # Panics
/// When `chunk_size` is 0.
pub fn framed_length(
    mode: StreamingMode,
    decoded_len: u64,
    chunk_size: usize,
    trailer: Option<(&str, usize)>,
) -> u64 {
    assert!(chunk_size > 0, "chunk size must not be 0");
    let size = chunk_size as u64;
    let ext = if mode.signs_chunks() {
        SIGNATURE_EXT_LEN
    } else {
        0
    };
    let chunk = |n: u64| hex_len(n) + ext + 2 + n + 2;
    let full = decoded_len / size;
    let rest = decoded_len % size;
    let mut total = full * chunk(size);
    if rest > 0 {
        total += chunk(rest);
    }
    // The final chunk's line: "0" [";chunk-signature=<64>"] "\r\n".
    total += 1 + ext + 2;
    if mode.has_trailer() {
        if let Some((name, value_len)) = trailer {
            total += (name.len() + 1 + value_len + 2) as u64;
        }
        if mode.signs_chunks() {
            total += TRAILER_SIGNATURE_LINE_LEN;
        }
    }
    // The blank line that ends the body.
    total + 2
}

/// Hex digits of `n` (at least 1).
fn hex_len(n: u64) -> u64 {
    u64::from((64 - n.leading_zeros()).div_ceil(4).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::{SecretKey, UriEncoding};

    fn params(secret: &SecretKey) -> SigningParams<'_> {
        SigningParams {
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret_key: secret,
            session_token: None,
            region: "us-east-1",
            service: "s3",
            time: time::OffsetDateTime::from_unix_timestamp(1_369_353_600).expect("valid"),
            uri_encoding: UriEncoding::S3,
            payload: PayloadHash::StreamingSigned,
            add_content_sha256_header: true,
            sign_session_token: true,
        }
    }

    /// Frames `data` as the body adapter does, for the length check.
    fn frame(mode: StreamingMode, data: &[u8], size: usize, trailer: Option<(&str, &str)>) -> u64 {
        let secret = SecretKey::new("s");
        let mut signer = ChunkSigner::new(&params(&secret), &"0".repeat(64)).expect("ok");
        let mut out = 0u64;
        for chunk in data.chunks(size) {
            let sig = mode.signs_chunks().then(|| signer.sign_chunk(chunk));
            out += (chunk_header(chunk.len(), sig.as_deref()).len() + chunk.len() + 2) as u64;
        }
        let sig = mode.signs_chunks().then(|| signer.sign_chunk(b""));
        out += chunk_header(0, sig.as_deref()).len() as u64;
        if mode.has_trailer() {
            let t: Vec<(&str, &str)> = trailer.into_iter().collect();
            let sig = mode
                .signs_chunks()
                .then(|| signer.sign_trailer(&canonical_trailers(&t)));
            out += trailer_frame(&t, sig.as_deref()).len() as u64;
        } else {
            out += 2;
        }
        out
    }

    #[test]
    fn framed_length_matches_the_frames_for_every_mode_and_size() {
        let data = vec![7u8; 3 * 256 + 17];
        let trailer = ("x-amz-checksum-crc32c", "sOO8/Q==");
        for mode in [
            StreamingMode::Signed,
            StreamingMode::SignedTrailer,
            StreamingMode::UnsignedTrailer,
        ] {
            for len in [0, 1, 255, 256, 257, 512, data.len()] {
                let t = mode.has_trailer().then_some(trailer);
                let want = frame(mode, &data[..len], 256, t);
                let got = framed_length(mode, len as u64, 256, t.map(|(n, v)| (n, v.len())));
                assert_eq!(got, want, "{mode:?} len {len}");
            }
        }
    }

    #[test]
    fn doc_example_lengths() {
        // 66560 bytes in 64 KiB chunks: Content-Length 66824 in the doc.
        assert_eq!(
            framed_length(StreamingMode::Signed, 66560, 65536, None),
            66824
        );
        assert_eq!(hex_len(0), 1);
        assert_eq!(hex_len(0x400), 3);
        assert_eq!(hex_len(0x10000), 5);
    }

    #[test]
    fn bad_seed_is_invalid_input() {
        let secret = SecretKey::new("s");
        for seed in ["", "abc", &"G".repeat(64), &"A".repeat(64)] {
            assert!(ChunkSigner::new(&params(&secret), seed).is_err(), "{seed}");
        }
    }

    #[test]
    fn debug_hides_the_key() {
        let secret = SecretKey::new("s");
        let signer = ChunkSigner::new(&params(&secret), &"0".repeat(64)).expect("ok");
        let shown = format!("{signer:?}");
        assert!(shown.contains("20130524/us-east-1/s3/aws4_request"));
        assert!(!shown.contains("key:"), "{shown}");
    }
}
