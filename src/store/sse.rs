//! Server-side encryption headers: which operations carry which.
//!
//! - S3-managed (`AES256`), KMS (`aws:kms`, with key id and bucket key) and
//!   dual-layer KMS (`aws:kms:dsse`) are named on the writes that create an
//!   object (PutObject, CreateMultipartUpload, CopyObject's target); S3
//!   rejects them on reads and parts.
//! - SSE-C (a customer key) goes on every request that touches the object's
//!   data: PutObject, CreateMultipartUpload, UploadPart, GetObject,
//!   HeadObject, CopyObject / UploadPartCopy (target, and source as
//!   `x-amz-copy-source-server-side-encryption-customer-*`).
//!
//! List, delete and abort carry no encryption header.

use std::fmt;

use http::{HeaderName, Method};

use super::request::S3Request;
use crate::config::ServerSideEncryption;
use crate::encoding::{decode_base64, encode_base64, md5_base64};
use crate::error::{Error, Result};

const SSE: &str = "x-amz-server-side-encryption";
const SSE_KMS_KEY_ID: &str = "x-amz-server-side-encryption-aws-kms-key-id";
const SSE_BUCKET_KEY: &str = "x-amz-server-side-encryption-bucket-key-enabled";
const SSE_C_ALGORITHM: &str = "x-amz-server-side-encryption-customer-algorithm";
const SSE_C_KEY: &str = "x-amz-server-side-encryption-customer-key";
const SSE_C_KEY_MD5: &str = "x-amz-server-side-encryption-customer-key-md5";
const COPY_SSE_C_ALGORITHM: &str = "x-amz-copy-source-server-side-encryption-customer-algorithm";
const COPY_SSE_C_KEY: &str = "x-amz-copy-source-server-side-encryption-customer-key";
const COPY_SSE_C_KEY_MD5: &str = "x-amz-copy-source-server-side-encryption-customer-key-md5";

/// The store's encryption setting, resolved by the builder.
#[derive(Clone)]
pub(crate) enum Encryption {
    /// Keys S3 (or KMS) manages: `AES256`, `aws:kms`, `aws:kms:dsse`.
    Managed {
        algorithm: &'static str,
        kms_key_id: Option<String>,
        bucket_key_enabled: Option<bool>,
    },
    /// SSE-C: a 256-bit key sent with every data request. Not `Debug`-printed.
    Customer {
        /// The key, base64 (normalised).
        key_base64: String,
        /// The base64 MD5 of the raw key.
        key_md5_base64: String,
    },
}

impl fmt::Debug for Encryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Encryption::Managed {
                algorithm,
                kms_key_id,
                bucket_key_enabled,
            } => f
                .debug_struct("Managed")
                .field("algorithm", algorithm)
                .field("kms_key_id", kms_key_id)
                .field("bucket_key_enabled", bucket_key_enabled)
                .finish(),
            Encryption::Customer { .. } => f.write_str("Customer(***)"),
        }
    }
}

impl Encryption {
    /// The setting for `sse`; `customer_key_base64` is required for SSE-C
    /// and must decode to 32 bytes.
    pub(crate) fn new(
        sse: ServerSideEncryption,
        kms_key_id: Option<&str>,
        bucket_key_enabled: Option<bool>,
        customer_key_base64: Option<&str>,
    ) -> Result<Self> {
        let managed = |algorithm| Encryption::Managed {
            algorithm,
            kms_key_id: kms_key_id.map(str::to_string),
            bucket_key_enabled,
        };
        Ok(match sse {
            ServerSideEncryption::Aes256 => managed("AES256"),
            ServerSideEncryption::Kms => managed("aws:kms"),
            ServerSideEncryption::DsseKms => managed("aws:kms:dsse"),
            ServerSideEncryption::SseC => {
                let key = customer_key_base64
                    .and_then(decode_base64)
                    .filter(|k| k.len() == 32)
                    .ok_or_else(|| {
                        Error::invalid_config(
                            "sse_customer_key_base64",
                            "***",
                            "must be the base64 of a 256-bit (32-byte) key",
                        )
                    })?;
                Encryption::Customer {
                    key_base64: encode_base64(&key),
                    key_md5_base64: md5_base64(&key),
                }
            }
        })
    }
}

/// Headers of a write that creates an object: PutObject,
/// CreateMultipartUpload, the target of CopyObject.
pub(crate) fn write_headers(mut req: S3Request, sse: Option<&Encryption>) -> Result<S3Request> {
    match sse {
        None => {}
        Some(Encryption::Managed {
            algorithm,
            kms_key_id,
            bucket_key_enabled,
        }) => {
            req = req.header(name(SSE), algorithm)?;
            if let Some(id) = kms_key_id {
                req = req.header(name(SSE_KMS_KEY_ID), id)?;
            }
            if let Some(on) = bucket_key_enabled {
                req = req.header(name(SSE_BUCKET_KEY), if *on { "true" } else { "false" })?;
            }
        }
        Some(customer @ Encryption::Customer { .. }) => req = customer_headers(req, customer)?,
    }
    Ok(req)
}

/// Headers of a request that reads or adds data of an existing object:
/// GetObject, HeadObject, UploadPart. Only SSE-C has any.
pub(crate) fn read_headers(req: S3Request, sse: Option<&Encryption>) -> Result<S3Request> {
    match sse {
        Some(customer @ Encryption::Customer { .. }) => customer_headers(req, customer),
        _ => Ok(req),
    }
}

/// Headers naming the key of a copy's source (SSE-C only).
pub(crate) fn copy_source_headers(
    mut req: S3Request,
    sse: Option<&Encryption>,
) -> Result<S3Request> {
    if let Some(Encryption::Customer {
        key_base64,
        key_md5_base64,
    }) = sse
    {
        req = req
            .header(name(COPY_SSE_C_ALGORITHM), "AES256")?
            .header(name(COPY_SSE_C_KEY), key_base64)?
            .header(name(COPY_SSE_C_KEY_MD5), key_md5_base64)?;
    }
    Ok(req)
}

/// The SSE-C headers a presigned request must be signed with and sent
/// with: GET, PUT and HEAD on an SSE-C store (S3 takes the key only as
/// headers, never in the query). None otherwise.
pub(crate) fn presign_headers(
    sse: Option<&Encryption>,
    method: &Method,
) -> Vec<(&'static str, String)> {
    match sse {
        Some(Encryption::Customer {
            key_base64,
            key_md5_base64,
        }) if [Method::GET, Method::PUT, Method::HEAD].contains(method) => vec![
            (SSE_C_ALGORITHM, "AES256".to_string()),
            (SSE_C_KEY, key_base64.clone()),
            (SSE_C_KEY_MD5, key_md5_base64.clone()),
        ],
        _ => Vec::new(),
    }
}

/// Whether `name` (lower case) is a header whose value is an SSE-C key,
/// which `Debug` output must not show.
pub(crate) fn is_customer_key(name: &str) -> bool {
    name == SSE_C_KEY || name == COPY_SSE_C_KEY
}

fn customer_headers(mut req: S3Request, sse: &Encryption) -> Result<S3Request> {
    if let Encryption::Customer {
        key_base64,
        key_md5_base64,
    } = sse
    {
        req = req
            .header(name(SSE_C_ALGORITHM), "AES256")?
            .header(name(SSE_C_KEY), key_base64)?
            .header(name(SSE_C_KEY_MD5), key_md5_base64)?;
    }
    Ok(req)
}

fn name(s: &'static str) -> HeaderName {
    HeaderName::from_static(s)
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;

    fn names(req: &S3Request) -> Vec<&str> {
        let mut v: Vec<&str> = req.headers.keys().map(HeaderName::as_str).collect();
        v.sort_unstable();
        v
    }

    fn customer() -> Encryption {
        let key = encode_base64(&[7u8; 32]);
        Encryption::new(ServerSideEncryption::SseC, None, None, Some(&key))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn kms_write_names_key_and_bucket_key() {
        let sse = Encryption::new(ServerSideEncryption::Kms, Some("alias/k"), Some(true), None)
            .unwrap_or_else(|e| panic!("{e}"));
        let req = write_headers(
            S3Request::new("PutObject", Method::PUT, Some("k")),
            Some(&sse),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(req.headers[SSE], "aws:kms");
        assert_eq!(req.headers[SSE_KMS_KEY_ID], "alias/k");
        assert_eq!(req.headers[SSE_BUCKET_KEY], "true");
        // Managed encryption has nothing for reads or copy sources.
        let get = read_headers(
            S3Request::new("GetObject", Method::GET, Some("k")),
            Some(&sse),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(get.headers.is_empty());
    }

    #[test]
    fn sse_c_sends_algorithm_key_and_md5_everywhere() {
        let sse = customer();
        let want = [SSE_C_ALGORITHM, SSE_C_KEY, SSE_C_KEY_MD5];
        for req in [
            write_headers(
                S3Request::new("PutObject", Method::PUT, Some("k")),
                Some(&sse),
            ),
            read_headers(
                S3Request::new("GetObject", Method::GET, Some("k")),
                Some(&sse),
            ),
        ] {
            let req = req.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(names(&req), want);
            assert_eq!(req.headers[SSE_C_KEY_MD5], md5_base64(&[7u8; 32]));
        }
        let copy = copy_source_headers(
            S3Request::new("CopyObject", Method::PUT, Some("k")),
            Some(&sse),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            names(&copy),
            [COPY_SSE_C_ALGORITHM, COPY_SSE_C_KEY, COPY_SSE_C_KEY_MD5]
        );
    }

    #[test]
    fn presign_headers_are_sse_c_on_data_requests_only() {
        let sse = customer();
        for method in [Method::GET, Method::PUT, Method::HEAD] {
            let names: Vec<_> = presign_headers(Some(&sse), &method)
                .into_iter()
                .map(|(n, _)| n)
                .collect();
            assert_eq!(names, [SSE_C_ALGORITHM, SSE_C_KEY, SSE_C_KEY_MD5]);
        }
        assert!(presign_headers(Some(&sse), &Method::DELETE).is_empty());
        let managed = Encryption::new(ServerSideEncryption::Aes256, None, None, None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(presign_headers(Some(&managed), &Method::GET).is_empty());
        assert!(presign_headers(None, &Method::GET).is_empty());
    }

    #[test]
    fn sse_c_key_must_be_32_bytes_and_is_not_printed() {
        let short = encode_base64(&[1u8; 16]);
        let e = Encryption::new(ServerSideEncryption::SseC, None, None, Some(&short))
            .expect_err("16-byte key");
        assert!(!e.to_string().contains(&short), "{e}");
        let shown = format!("{:?}", customer());
        assert!(!shown.contains(&encode_base64(&[7u8; 32])), "{shown}");
    }
}
