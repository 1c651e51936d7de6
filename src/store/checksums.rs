//! Upload checksums on the wire (`checksum_algorithm`) and their check on
//! download.
//!
//! - PutObject and UploadPart with a body in memory send
//!   `x-amz-checksum-<alg>` (base64, computed here) and
//!   `x-amz-sdk-checksum-algorithm`; S3 rejects a body that does not match.
//! - CreateMultipartUpload sends `x-amz-checksum-algorithm` and
//!   `x-amz-checksum-type` ([`checksum::multipart_type`]: full-object for
//!   the CRCs, composite for SHA-1 and SHA-256); each part carries its
//!   checksum and CompleteMultipartUpload lists them, with the whole
//!   object's CRC (combined from the parts) for a full-object upload. The
//!   value S3 returns at completion is compared with the one computed from
//!   the parts.
//! - GetObject sends `x-amz-checksum-mode: ENABLED` and checks the returned
//!   full-object checksum while the body streams; the last chunk becomes an
//!   [`ErrorKind::Integrity`] error on mismatch. Composite values (`...-N`)
//!   and ranged reads cannot be checked and are passed through;
//!   [`GetResult::checksum`](super::GetResult) says which case a GET is.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use http::HeaderName;
use sha2::{Digest, Sha256};

use super::ChecksumCheck;
use super::request::S3Request;
use crate::checksum::{self, ChecksumAlgorithm, Hasher};
use crate::error::{Error, ErrorKind, Result};
use crate::transport::ResponseBody;
use crate::xml::{CompleteMultipartUploadResult, CompletedPart};

/// The smallest PutObject whose payload may go `UNSIGNED-PAYLOAD` over
/// HTTPS when a CRC or SHA-1 checksum header protects it (see
/// `S3Request::large_upload`): 1 MiB. Below it SHA-256 costs under a
/// millisecond, and the signed hash is kept as a second check.
pub(crate) const UNSIGNED_PUT_MIN: u64 = 1024 * 1024;

/// Digests of a body read before it is sent (a file range, hashed where it
/// is read): its checksum in base64 and, when the payload is signed, its
/// SHA-256.
#[derive(Debug, Clone, Default)]
pub(crate) struct Precomputed {
    pub(crate) checksum: Option<String>,
    pub(crate) sha256: Option<[u8; 32]>,
}

/// Adds `x-amz-checksum-<alg>` and returns the value: computed here for a
/// body held in memory, taken from `precomputed` for a file range; a
/// streamed body without digests is left alone (`None`).
pub(crate) fn add_checksum(
    mut req: S3Request,
    algorithm: Option<ChecksumAlgorithm>,
    precomputed: Option<Precomputed>,
) -> Result<(S3Request, Option<String>)> {
    if let Some(pre) = precomputed {
        req.body_sha256 = pre.sha256;
        return match (algorithm, pre.checksum) {
            (Some(alg), Some(value)) => Ok((set_checksum(req, alg, &value)?, Some(value))),
            _ => Ok((req, None)),
        };
    }
    let Some(alg) = algorithm else {
        return Ok((req, None));
    };
    let Some(chunks) = req.body.memory_chunks() else {
        return Ok((req, None));
    };
    let value = if alg == ChecksumAlgorithm::Sha256 {
        // The SHA-256 is also the signed payload hash: compute it once.
        let mut h = Sha256::new();
        chunks.iter().for_each(|c| h.update(c));
        let digest: [u8; 32] = h.finalize().into();
        req.body_sha256 = Some(digest);
        crate::encoding::encode_base64(&digest)
    } else {
        let mut h = checksum::Hasher::new(alg);
        chunks.iter().for_each(|c| h.update(c));
        h.finish_base64()
    };
    let req = set_checksum(req, alg, &value)?;
    Ok((req, Some(value)))
}

/// Adds the `x-amz-checksum-<alg>: value` header (and
/// `x-amz-sdk-checksum-algorithm`) of a body whose checksum is known.
pub(crate) fn set_checksum(
    req: S3Request,
    alg: ChecksumAlgorithm,
    value: &str,
) -> Result<S3Request> {
    let mut req = req
        .header(HeaderName::from_static(checksum::header_name(alg)), value)?
        .header(
            HeaderName::from_static("x-amz-sdk-checksum-algorithm"),
            alg.as_str(),
        )?;
    req.body_checksum = Some(alg);
    Ok(req)
}

/// `x-amz-checksum-algorithm` and `x-amz-checksum-type` for
/// CreateMultipartUpload.
pub(crate) fn create_headers(
    req: S3Request,
    algorithm: Option<ChecksumAlgorithm>,
) -> Result<S3Request> {
    let Some(alg) = algorithm else {
        return Ok(req);
    };
    req.header(
        HeaderName::from_static("x-amz-checksum-algorithm"),
        alg.as_str(),
    )?
    .header(
        HeaderName::from_static("x-amz-checksum-type"),
        checksum::multipart_type(alg).as_str(),
    )
}

/// Records a part's checksum in the field CompleteMultipartUpload sends.
pub(crate) fn set_part_checksum(part: &mut CompletedPart, alg: ChecksumAlgorithm, value: String) {
    let slot = match alg {
        ChecksumAlgorithm::Crc32 => &mut part.checksum_crc32,
        ChecksumAlgorithm::Crc32c => &mut part.checksum_crc32c,
        ChecksumAlgorithm::Crc64Nvme => &mut part.checksum_crc64nvme,
        ChecksumAlgorithm::Sha1 => &mut part.checksum_sha1,
        _ => &mut part.checksum_sha256,
    };
    *slot = Some(value);
}

/// A part's checksum of `alg`, if it has one.
fn part_checksum(part: &CompletedPart, alg: ChecksumAlgorithm) -> Option<&str> {
    match alg {
        ChecksumAlgorithm::Crc32 => &part.checksum_crc32,
        ChecksumAlgorithm::Crc32c => &part.checksum_crc32c,
        ChecksumAlgorithm::Crc64Nvme => &part.checksum_crc64nvme,
        ChecksumAlgorithm::Sha1 => &part.checksum_sha1,
        _ => &part.checksum_sha256,
    }
    .as_deref()
}

/// The checksum S3 gives the object completed from `parts` with `alg`, as
/// [`checksum::multipart_type`] asks for it: the full-object CRC (combined
/// from the part CRCs and sizes), or the composite `<base64>-<n>` of SHA-1
/// and SHA-256. `None` unless every part has its checksum (and, for a CRC,
/// its size).
pub(crate) fn object_checksum(parts: &[CompletedPart], alg: ChecksumAlgorithm) -> Option<String> {
    match checksum::multipart_type(alg) {
        checksum::ChecksumType::FullObject => {
            let values: Option<Vec<(&str, u64)>> = parts
                .iter()
                .map(|p| Some((part_checksum(p, alg)?, p.size?)))
                .collect();
            checksum::full_object(alg, &values?)
        }
        _ => {
            let values: Option<Vec<&str>> = parts.iter().map(|p| part_checksum(p, alg)).collect();
            checksum::composite(alg, &values?)
        }
    }
}

/// For a full-object upload, `x-amz-checksum-<alg>` and
/// `x-amz-checksum-type: FULL_OBJECT` on CompleteMultipartUpload: S3 then
/// checks the whole object's CRC against the one combined from the parts.
pub(crate) fn complete_headers(
    req: S3Request,
    parts: &[CompletedPart],
    algorithm: Option<ChecksumAlgorithm>,
) -> Result<S3Request> {
    let Some(alg) =
        algorithm.filter(|a| checksum::multipart_type(*a) == checksum::ChecksumType::FullObject)
    else {
        return Ok(req);
    };
    let Some(value) = object_checksum(parts, alg) else {
        return Ok(req);
    };
    req.header(HeaderName::from_static(checksum::header_name(alg)), &value)?
        .header(
            HeaderName::from_static("x-amz-checksum-type"),
            "FULL_OBJECT",
        )
}

/// Fails when S3 reports, at completion, a checksum of the object that
/// differs from the one computed from the parts sent; absent values are not
/// compared.
pub(crate) fn check_completed(
    target: &str,
    parts: &[CompletedPart],
    alg: ChecksumAlgorithm,
    result: &CompleteMultipartUploadResult,
) -> Result<()> {
    let returned = match alg {
        ChecksumAlgorithm::Crc32 => &result.checksum_crc32,
        ChecksumAlgorithm::Crc32c => &result.checksum_crc32c,
        ChecksumAlgorithm::Crc64Nvme => &result.checksum_crc64nvme,
        ChecksumAlgorithm::Sha1 => &result.checksum_sha1,
        _ => &result.checksum_sha256,
    };
    let Some(returned) = returned.as_deref() else {
        return Ok(());
    };
    match object_checksum(parts, alg) {
        // A server may report the other type than asked for: compare like with like.
        Some(ours)
            if checksum::is_composite(&ours) == checksum::is_composite(returned)
                && ours != returned =>
        {
            Err(Error::new(
                ErrorKind::Integrity,
                format!(
                    "CompleteMultipartUpload {target}: S3 reports {} checksum {returned}, the parts sent give {ours}",
                    alg.as_str()
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// `x-amz-checksum-mode: ENABLED`, so GetObject returns the checksum.
pub(crate) fn mode_header(req: S3Request) -> Result<S3Request> {
    req.header(HeaderName::from_static("x-amz-checksum-mode"), "ENABLED")
}

/// Whether a GetObject body can be checked against `stored`, the checksum
/// its answer carries ([`ObjectMeta::checksum`](super::ObjectMeta)):
/// only when downloads are `validated`, the read is not a `ranged` one and
/// the value is not composite.
pub(crate) fn download_check(
    stored: Option<&(ChecksumAlgorithm, String)>,
    validated: bool,
    ranged: bool,
) -> ChecksumCheck {
    match stored {
        _ if !validated => ChecksumCheck::Disabled,
        _ if ranged => ChecksumCheck::Range,
        None => ChecksumCheck::NotStored,
        Some((algorithm, value)) if checksum::is_composite(value) => ChecksumCheck::Composite {
            algorithm: *algorithm,
            parts: composite_parts(value).unwrap_or(0),
        },
        Some((algorithm, _)) => ChecksumCheck::Checked(*algorithm),
    }
}

/// The part count of a composite value `<base64>-<n>`, when `n` is one S3
/// can have (1 to 10,000).
pub(crate) fn composite_parts(value: &str) -> Option<u32> {
    let (_, n) = value.rsplit_once('-')?;
    n.parse().ok().filter(|n| (1..=10_000).contains(n))
}

/// `body`, checked against `expected` as it streams: at its end a
/// mismatch is an [`ErrorKind::Integrity`] error naming `target`.
pub(crate) fn validating(
    body: ResponseBody,
    alg: ChecksumAlgorithm,
    expected: String,
    target: String,
) -> ResponseBody {
    ResponseBody::from_stream(Validating {
        inner: body,
        hasher: Some(Hasher::new(alg)),
        expected,
        target,
    })
}

struct Validating {
    inner: ResponseBody,
    hasher: Option<Hasher>,
    expected: String,
    target: String,
}

impl Stream for Validating {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(b))) => {
                if let Some(h) = &mut this.hasher {
                    h.update(&b);
                }
                Poll::Ready(Some(Ok(b)))
            }
            Poll::Ready(None) => {
                let Some(h) = this.hasher.take() else {
                    return Poll::Ready(None);
                };
                let alg = h.algorithm();
                let got = h.finish_base64();
                if got == this.expected {
                    Poll::Ready(None)
                } else {
                    Poll::Ready(Some(Err(Error::new(
                        ErrorKind::Integrity,
                        format!(
                            "GetObject {}: {} checksum of the data read is {got}, S3 says {}",
                            this.target,
                            alg.as_str(),
                            this.expected
                        ),
                    ))))
                }
            }
            Poll::Ready(Some(Err(e))) => {
                // Nothing to check after an error: the stream ends with it.
                this.hasher = None;
                Poll::Ready(Some(Err(e)))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(mut body: ResponseBody) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(b) = body.next_chunk().await {
            out.extend_from_slice(&b?);
        }
        Ok(out)
    }

    #[test]
    fn download_check_says_why_a_body_is_not_checked() {
        use ChecksumAlgorithm::{Crc32, Sha256};
        let full = (Crc32, "y/Q5Jg==".to_string());
        let composite = (Sha256, "abcd==-3".to_string());
        assert_eq!(
            download_check(Some(&full), true, false),
            ChecksumCheck::Checked(Crc32)
        );
        assert_eq!(
            download_check(Some(&full), false, false),
            ChecksumCheck::Disabled
        );
        assert_eq!(download_check(None, false, true), ChecksumCheck::Disabled);
        assert_eq!(
            download_check(Some(&full), true, true),
            ChecksumCheck::Range
        );
        assert_eq!(download_check(None, true, false), ChecksumCheck::NotStored);
        assert_eq!(
            download_check(Some(&composite), true, false),
            ChecksumCheck::Composite {
                algorithm: Sha256,
                parts: 3
            }
        );
        // A part count S3 cannot have is reported as 0, still not checked.
        let odd = (Sha256, "abcd==-99999".to_string());
        assert_eq!(
            download_check(Some(&odd), true, false),
            ChecksumCheck::Composite {
                algorithm: Sha256,
                parts: 0
            }
        );
        assert_eq!(composite_parts("abcd==-10000"), Some(10_000));
        assert_eq!(composite_parts("abcd==-0"), None);
    }

    #[tokio::test]
    async fn matching_checksum_passes_and_mismatch_is_integrity() {
        let data = Bytes::from_static(b"123456789");
        let ok = validating(
            ResponseBody::from_bytes(data.clone()),
            ChecksumAlgorithm::Crc32,
            "y/Q5Jg==".into(),
            "b/k".into(),
        );
        assert_eq!(read(ok).await.expect("matches"), b"123456789");
        let bad = validating(
            ResponseBody::from_bytes(data),
            ChecksumAlgorithm::Crc32,
            "AAAAAA==".into(),
            "b/k".into(),
        );
        let err = read(bad).await.expect_err("mismatch");
        assert_eq!(err.kind(), ErrorKind::Integrity);
        assert!(err.to_string().contains("b/k"), "{err}");
    }

    #[test]
    fn sha256_checksum_shares_its_digest_with_the_payload_hash() {
        let req = S3Request::new("PutObject", http::Method::PUT, Some("k"))
            .body(Bytes::from_static(b"hello"));
        let (req, value) = add_checksum(req, Some(ChecksumAlgorithm::Sha256), None)
            .unwrap_or_else(|e| panic!("{e}"));
        let digest = req.body_sha256.unwrap_or_else(|| panic!("digest kept"));
        assert_eq!(value, Some(crate::encoding::encode_base64(&digest)));
        assert_eq!(
            crate::sign::PayloadHash::from_digest(&digest),
            crate::sign::PayloadHash::for_body(b"hello")
        );
        // Other algorithms keep no digest.
        let req = S3Request::new("PutObject", http::Method::PUT, Some("k"))
            .body(Bytes::from_static(b"hello"));
        let (req, _) = add_checksum(req, Some(ChecksumAlgorithm::Crc32c), None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(req.body_sha256.is_none());
    }

    fn part(n: u32, alg: ChecksumAlgorithm, data: &[u8]) -> CompletedPart {
        let mut p = CompletedPart::new(n, "\"a\"");
        set_part_checksum(&mut p, alg, checksum::checksum_base64(alg, data));
        p.size = Some(data.len() as u64);
        p
    }

    #[test]
    fn completed_checksum_is_compared_like_with_like() {
        let result = |alg: ChecksumAlgorithm, v: &str| {
            let mut r = CompleteMultipartUploadResult::default();
            match alg {
                ChecksumAlgorithm::Crc32 => r.checksum_crc32 = Some(v.to_string()),
                _ => r.checksum_sha256 = Some(v.to_string()),
            }
            r
        };
        // Full-object CRC32: the CRC of "hello world".
        let crc = ChecksumAlgorithm::Crc32;
        let parts = [part(1, crc, b"hello "), part(2, crc, b"world")];
        let whole = checksum::checksum_base64(crc, b"hello world");
        assert_eq!(
            object_checksum(&parts, crc).as_deref(),
            Some(whole.as_str())
        );
        let check = |v: &str| check_completed("b/k", &parts, crc, &result(crc, v));
        assert!(check(&whole).is_ok());
        assert!(check("AAAAAA==-2").is_ok(), "another type is not compared");
        assert_eq!(
            check("AAAAAA==").expect_err("differs").kind(),
            ErrorKind::Integrity
        );
        // Composite SHA-256.
        let sha = ChecksumAlgorithm::Sha256;
        let parts = [part(1, sha, b"a"), part(2, sha, b"b")];
        let ours = object_checksum(&parts, sha).expect("all parts");
        assert!(ours.ends_with("-2"));
        let check = |v: &str| check_completed("b/k", &parts, sha, &result(sha, v));
        assert!(check(&ours).is_ok());
        assert_eq!(
            check("AAAA-2").expect_err("differs").kind(),
            ErrorKind::Integrity
        );
        // Without sizes a full-object CRC cannot be combined.
        let mut sizeless = part(1, crc, b"x");
        sizeless.size = None;
        assert_eq!(object_checksum(&[sizeless], crc), None);
    }
}
