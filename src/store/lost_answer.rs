//! Did a conditional write whose answer was lost take effect?
//!
//! A conditional write (PutObject with `If-None-Match: *` or `If-Match`,
//! CopyObject with a "not exists" header, CompleteMultipartUpload with a
//! condition) is retried after a lost answer like any other idempotent
//! request. When the first attempt did the work, the retry fails its own
//! condition (412) or finds the upload gone (`NoSuchUpload`): answering
//! `AlreadyExists` then would tell the caller that it lost although its
//! write won. So a failed retry is settled here: the key is HEADed and the
//! object compared with what was sent.
//!
//! | what the HEAD shows | outcome |
//! |---|---|
//! | the checksum sent (`x-amz-checksum-*`) or the ETag S3 makes from the body (MD5, or the multipart ETag), equal | success: the object is this write's (or byte-identical to it) |
//! | such a value, different | the retry's own error (`AlreadyExists`, `PreconditionFailed`, ...) |
//! | no object | the retry's own error |
//! | nothing comparable (SSE-KMS or SSE-C ETags, a streamed body) | `ErrorKind::Transport`, not retried: the outcome is unknown, and the message says so |

use http::Method;

use super::request::S3Request;
use super::types::PutResult;
use super::{S3Store, header_text, sse};
use crate::checksum::{self, ChecksumAlgorithm};
use crate::error::{Error, ErrorKind, Result};

/// A value the object made by a write must show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fingerprint {
    /// The ETag S3 gives the object, without quotes: the hex MD5 of a
    /// single-part body, or `<hex>-<parts>` of a multipart upload. Not
    /// comparable for SSE-KMS, DSSE and SSE-C objects.
    Etag(String),
    /// The full-object or composite `x-amz-checksum-*` value sent.
    Checksum(ChecksumAlgorithm, String),
}

impl Fingerprint {
    /// The ETag of a single-part object holding `body`, given as its
    /// buffers in order.
    pub(crate) fn of_body(body: &[bytes::Bytes]) -> Self {
        use md5::Digest;
        let mut h = md5::Md5::new();
        body.iter().for_each(|c| h.update(c));
        Fingerprint::Etag(crate::encoding::encode_hex(&h.finalize()))
    }
}

/// What the HEAD after a failed retry says.
#[derive(Debug)]
enum Verdict {
    /// The object there is the one this write makes.
    Ours(PutResult),
    /// Another object is there.
    Other,
    /// The object cannot be compared; why, for the message.
    Unknown(String),
}

impl S3Store {
    /// Settles the failed retry `err` of a conditional write of the full key
    /// `full_key` (see the module docs): `Ok` when the object there shows
    /// one of `prints`, `err` when it shows another value, an "outcome
    /// unknown" error when nothing can be compared.
    ///
    /// # Errors
    /// As above.
    pub(crate) async fn settle_lost_write(
        &self,
        op: &str,
        full_key: &str,
        prints: &[Fingerprint],
        err: Error,
    ) -> Result<PutResult> {
        match self.compare_object(full_key, prints).await {
            Verdict::Ours(put) => Ok(put),
            Verdict::Other => Err(err),
            Verdict::Unknown(why) => Err(Error::new(
                ErrorKind::Transport,
                format!(
                    "{op} {}: the answer to an earlier attempt was lost and the retry failed ({}); \
                     whether the earlier attempt wrote the object cannot be told ({why}): read the \
                     object to find out",
                    self.inner.target(Some(full_key)),
                    err.s3_code()
                        .map(str::to_string)
                        .or_else(|| err.status().map(|s| s.to_string()))
                        .unwrap_or_else(|| "failed".to_string()),
                ),
            )
            .with_source(err)
            .with_retryable(false)),
        }
    }

    async fn compare_object(&self, full_key: &str, prints: &[Fingerprint]) -> Verdict {
        if prints.is_empty() {
            return Verdict::Unknown(
                "the body was streamed, so there is nothing to compare".into(),
            );
        }
        let mut req = S3Request::new("HeadObject", Method::HEAD, Some(full_key));
        if prints
            .iter()
            .any(|p| matches!(p, Fingerprint::Checksum(..)))
        {
            req = match super::checksums::mode_header(req) {
                Ok(req) => req,
                Err(e) => return Verdict::Unknown(e.to_string()),
            };
        }
        let req = match sse::read_headers(req, self.encryption()) {
            Ok(req) => req,
            Err(e) => return Verdict::Unknown(e.to_string()),
        };
        let headers = match self.inner.send(req).await {
            Ok(resp) => resp.headers,
            // No object now: whatever the lost attempt did is not there, so
            // the retry's own error stands.
            Err(e) if e.kind() == ErrorKind::NotFound => return Verdict::Other,
            Err(e) => return Verdict::Unknown(format!("HEAD failed: {e}")),
        };
        let put = PutResult {
            etag: header_text(&headers, "etag"),
            version_id: header_text(&headers, "x-amz-version-id"),
        };
        // SSE-KMS, DSSE and SSE-C objects have ETags that are not the MD5.
        let encrypted = header_text(&headers, "x-amz-server-side-encryption")
            .is_some_and(|v| v.starts_with("aws:kms"))
            || headers.contains_key("x-amz-server-side-encryption-customer-algorithm");
        let mut compared = false;
        for print in prints {
            let (have, want) = match print {
                Fingerprint::Checksum(alg, want) => {
                    (header_text(&headers, checksum::header_name(*alg)), want)
                }
                Fingerprint::Etag(_) if encrypted => continue,
                Fingerprint::Etag(want) => (
                    put.etag.as_deref().map(|e| e.trim_matches('"').to_string()),
                    want,
                ),
            };
            let Some(have) = have else { continue };
            if !comparable(print, &have) {
                continue;
            }
            if have.trim().eq_ignore_ascii_case(want) {
                return Verdict::Ours(put);
            }
            compared = true;
        }
        if compared {
            Verdict::Other
        } else if encrypted {
            Verdict::Unknown("the object's ETag is not its MD5 (SSE-KMS or SSE-C) and it shows no checksum that was sent".into())
        } else {
            Verdict::Unknown(
                "the object shows neither an MD5 ETag nor a checksum that was sent".into(),
            )
        }
    }
}

/// Whether `have` has the form of `print`'s value: an ETag is compared
/// only when it is an MD5 (`32 hex`, or `32 hex-N` for multipart).
fn comparable(print: &Fingerprint, have: &str) -> bool {
    match print {
        Fingerprint::Checksum(..) => !have.trim().is_empty(),
        Fingerprint::Etag(_) => {
            let md5 = have.split_once('-').map_or(have, |(hex, n)| {
                if n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty() {
                    hex
                } else {
                    ""
                }
            });
            md5.len() == 32 && md5.bytes().all(|b| b.is_ascii_hexdigit())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_md5_shaped_etags_are_compared() {
        let e = Fingerprint::Etag(String::new());
        assert!(comparable(&e, "0123456789abcdef0123456789ABCDEF"));
        assert!(comparable(&e, "0123456789abcdef0123456789abcdef-12"));
        assert!(!comparable(&e, "0123456789abcdef0123456789abcdef-"));
        assert!(!comparable(&e, "0123456789abcdef0123456789abcdef-x"));
        assert!(!comparable(&e, "not-an-md5"));
        assert!(!comparable(&e, ""));
    }

    #[test]
    fn body_fingerprint_is_the_hex_md5() {
        assert_eq!(
            Fingerprint::of_body(&[]),
            Fingerprint::Etag("d41d8cd98f00b204e9800998ecf8427e".into())
        );
    }
}
