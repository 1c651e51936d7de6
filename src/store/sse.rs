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
use zeroize::{Zeroize, Zeroizing};

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
const SSE_C_HEADERS: [&str; 3] = [SSE_C_ALGORITHM, SSE_C_KEY, SSE_C_KEY_MD5];
const COPY_SSE_C_HEADERS: [&str; 3] = [COPY_SSE_C_ALGORITHM, COPY_SSE_C_KEY, COPY_SSE_C_KEY_MD5];

/// The store's encryption setting, resolved by the builder.
#[derive(Clone)]
pub(crate) enum Encryption {
    /// Keys S3 (or KMS) manages: `AES256`, `aws:kms`, `aws:kms:dsse`.
    Managed {
        algorithm: &'static str,
        kms_key_id: Option<String>,
        bucket_key_enabled: Option<bool>,
    },
    /// SSE-C: a 256-bit key sent with every data request.
    Customer(CustomerKey),
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
            Encryption::Customer(_) => f.write_str("Customer(***)"),
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
                    .and_then(CustomerKey::from_base64)
                    .ok_or_else(|| {
                        Error::invalid_config(
                            "sse_customer_key_base64",
                            "***",
                            "must be the base64 of a 256-bit (32-byte) key",
                        )
                    })?;
                Encryption::Customer(key)
            }
        })
    }

    /// The SSE-C key of this setting, if it is SSE-C.
    pub(crate) fn customer_key(sse: Option<&Encryption>) -> Option<&CustomerKey> {
        match sse {
            Some(Encryption::Customer(key)) => Some(key),
            _ => None,
        }
    }
}

/// An SSE-C key, held as the base64 of its 32 bytes and of their MD5 (the
/// forms the headers carry). `Debug` prints `CustomerKey(***)`; the key is
/// zeroised on drop.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct CustomerKey {
    key_base64: String,
    key_md5_base64: String,
}

impl CustomerKey {
    /// The key of these 32 bytes; `None` for another length.
    pub(crate) fn from_raw(raw: &[u8]) -> Option<Self> {
        (raw.len() == 32).then(|| CustomerKey {
            key_base64: encode_base64(raw),
            key_md5_base64: md5_base64(raw),
        })
    }

    /// The key whose base64 is `b64`; `None` unless it decodes to 32 bytes.
    pub(crate) fn from_base64(b64: &str) -> Option<Self> {
        let raw = Zeroizing::new(decode_base64(b64)?);
        Self::from_raw(&raw)
    }

    /// The key given as its 32 bytes, or as their base64 (44 characters,
    /// so the two forms cannot be confused); `None` for anything else.
    pub(crate) fn from_raw_or_base64(value: &[u8]) -> Option<Self> {
        if value.len() == 32 {
            return Self::from_raw(value);
        }
        Self::from_base64(std::str::from_utf8(value).ok()?)
    }
}

impl fmt::Debug for CustomerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CustomerKey(***)")
    }
}

impl Drop for CustomerKey {
    fn drop(&mut self) {
        self.key_base64.zeroize();
    }
}

/// Which SSE-C key a copy reads its source with
/// ([`CopyOptions`](super::CopyOptions)).
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) enum SourceKey {
    /// The store's SSE-C key, when it has one: a store's objects are read
    /// with its key.
    #[default]
    Store,
    /// No key: the source is not SSE-C encrypted, whatever the store is.
    None,
    /// This key, whatever the store's.
    Customer(CustomerKey),
}

impl SourceKey {
    /// The key the copy-source headers carry, if any, on a store whose
    /// encryption is `store`.
    pub(crate) fn resolve<'a>(&'a self, store: Option<&'a Encryption>) -> Option<&'a CustomerKey> {
        match self {
            SourceKey::Store => Encryption::customer_key(store),
            SourceKey::None => None,
            SourceKey::Customer(key) => Some(key),
        }
    }
}

impl fmt::Debug for SourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceKey::Store => "Store",
            SourceKey::None => "None",
            SourceKey::Customer(_) => "Customer(***)",
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
        Some(Encryption::Customer(key)) => req = key_headers(req, key, SSE_C_HEADERS)?,
    }
    Ok(req)
}

/// Headers of a request that reads or adds data of an existing object:
/// GetObject, HeadObject, UploadPart. Only SSE-C has any.
pub(crate) fn read_headers(req: S3Request, sse: Option<&Encryption>) -> Result<S3Request> {
    match Encryption::customer_key(sse) {
        Some(key) => key_headers(req, key, SSE_C_HEADERS),
        None => Ok(req),
    }
}

/// Headers naming the SSE-C key of a copy's source
/// (`x-amz-copy-source-server-side-encryption-customer-*`): CopyObject and
/// UploadPartCopy. None without a key.
pub(crate) fn copy_source_headers(req: S3Request, key: Option<&CustomerKey>) -> Result<S3Request> {
    match key {
        Some(key) => key_headers(req, key, COPY_SSE_C_HEADERS),
        None => Ok(req),
    }
}

/// The SSE-C headers a presigned request must be signed with and sent
/// with: GET, PUT and HEAD on an SSE-C store (S3 takes the key only as
/// headers, never in the query). None otherwise.
pub(crate) fn presign_headers(
    sse: Option<&Encryption>,
    method: &Method,
) -> Vec<(&'static str, String)> {
    match Encryption::customer_key(sse) {
        Some(key) if [Method::GET, Method::PUT, Method::HEAD].contains(method) => vec![
            (SSE_C_ALGORITHM, "AES256".to_string()),
            (SSE_C_KEY, key.key_base64.clone()),
            (SSE_C_KEY_MD5, key.key_md5_base64.clone()),
        ],
        _ => Vec::new(),
    }
}

/// Whether `name` (lower case) is a header whose value is an SSE-C key,
/// which `Debug` output must not show.
pub(crate) fn is_customer_key(name: &str) -> bool {
    name == SSE_C_KEY || name == COPY_SSE_C_KEY
}

/// The algorithm, key and key-MD5 headers of `key`, under `names` (in
/// that order).
fn key_headers(req: S3Request, key: &CustomerKey, names: [&'static str; 3]) -> Result<S3Request> {
    let [algorithm, key_name, md5] = names;
    req.header(name(algorithm), "AES256")?
        .header(name(key_name), &key.key_base64)?
        .header(name(md5), &key.key_md5_base64)
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
            Encryption::customer_key(Some(&sse)),
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

    #[test]
    fn customer_keys_are_32_bytes_or_their_base64() {
        let raw = [9u8; 32];
        let b64 = encode_base64(&raw);
        let from_raw = CustomerKey::from_raw_or_base64(&raw);
        assert!(from_raw.is_some());
        assert_eq!(from_raw, CustomerKey::from_raw_or_base64(b64.as_bytes()));
        assert_eq!(from_raw, CustomerKey::from_base64(&b64));
        // 32 characters are the raw key even when they look like base64.
        let text = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3";
        assert_eq!(
            CustomerKey::from_raw_or_base64(text.as_bytes()),
            CustomerKey::from_raw(text.as_bytes())
        );
        for bad in [
            &b"short"[..],
            &[1u8; 33],
            encode_base64(&[1u8; 16]).as_bytes(),
            b"",
        ] {
            assert!(CustomerKey::from_raw_or_base64(bad).is_none(), "{bad:?}");
        }
        assert!(CustomerKey::from_base64("not base64!").is_none());
    }

    #[test]
    fn copy_source_key_is_the_stores_unless_given_or_refused() {
        let store = customer();
        let own = Encryption::customer_key(Some(&store));
        let other = CustomerKey::from_raw(&[8u8; 32]).unwrap_or_else(|| panic!("32 bytes"));
        assert_eq!(SourceKey::Store.resolve(Some(&store)), own);
        assert_eq!(SourceKey::Store.resolve(None), None);
        assert_eq!(SourceKey::None.resolve(Some(&store)), None);
        let given = SourceKey::Customer(other.clone());
        assert_eq!(given.resolve(Some(&store)), Some(&other));
        assert_eq!(given.resolve(None), Some(&other));
        let managed = Encryption::new(ServerSideEncryption::Aes256, None, None, None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(SourceKey::Store.resolve(Some(&managed)), None);
        // The copy-source headers carry the given key and its MD5.
        let req = copy_source_headers(
            S3Request::new("CopyObject", Method::PUT, Some("k")),
            given.resolve(Some(&store)),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(req.headers[COPY_SSE_C_KEY], encode_base64(&[8u8; 32]));
        assert_eq!(req.headers[COPY_SSE_C_KEY_MD5], md5_base64(&[8u8; 32]));
        assert_eq!(req.headers[COPY_SSE_C_ALGORITHM], "AES256");
        let shown = format!("{given:?} {other:?}");
        assert!(!shown.contains(&encode_base64(&[8u8; 32])), "{shown}");
        assert_eq!(shown, "Customer(***) CustomerKey(***)");
    }
}
