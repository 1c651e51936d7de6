//! What store operations take and return.

use std::ops::Range;

use bytes::Bytes;
use http::HeaderMap;
use time::OffsetDateTime;

use crate::checksum::ChecksumAlgorithm;
use crate::error::{Error, Result};
use crate::transport::ResponseBody;

/// Metadata of one object, from HEAD, GET or a listing.
///
/// A listing fills `key`, `size`, `last_modified`, `etag` and
/// `storage_class`; HEAD and GET fill the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectMeta {
    /// The object key.
    pub key: String,
    /// Size in bytes of the whole object.
    pub size: u64,
    /// When the object was last written.
    pub last_modified: Option<OffsetDateTime>,
    /// The entity tag, with its quotes, as S3 sent it.
    pub etag: Option<String>,
    /// The version id, on versioned buckets.
    pub version_id: Option<String>,
    /// The `Content-Type` stored with the object.
    pub content_type: Option<String>,
    /// The storage class, where the server reports it.
    pub storage_class: Option<String>,
    /// The `Content-Encoding` stored with the object.
    pub content_encoding: Option<String>,
    /// The `Content-Disposition` stored with the object.
    pub content_disposition: Option<String>,
    /// The `Content-Language` stored with the object.
    pub content_language: Option<String>,
    /// The `Cache-Control` stored with the object.
    pub cache_control: Option<String>,
    /// The `Expires` time stored with the object (when it is a valid HTTP date).
    pub expires: Option<OffsetDateTime>,
    /// The server-side encryption S3 applied (`AES256`, `aws:kms`,
    /// `aws:kms:dsse`), from HEAD and GET.
    pub server_side_encryption: Option<String>,
    /// The KMS key that encrypts the object, for `aws:kms` and `aws:kms:dsse`.
    pub sse_kms_key_id: Option<String>,
    /// The SSE-C algorithm (`AES256`) of an object encrypted with a customer
    /// key (`x-amz-server-side-encryption-customer-algorithm`), from HEAD and
    /// GET, which must carry the key to read such an object.
    pub sse_customer_algorithm: Option<String>,
    /// The base64 MD5 of that customer key, as S3 echoes it
    /// (`x-amz-server-side-encryption-customer-key-MD5`): it tells keys apart
    /// without revealing one.
    pub sse_customer_key_md5: Option<String>,
    /// User metadata (`x-amz-meta-*`), names lower-cased without the prefix,
    /// sorted by name.
    pub metadata: Vec<(String, String)>,
    /// The object's stored checksum (`x-amz-checksum-<alg>`), base64 as S3
    /// sent it; a composite multipart value ends in `-<parts>`. S3 returns it
    /// only when asked (`x-amz-checksum-mode`, sent by GET and HEAD under
    /// `response_checksum_validation = when_supported` or with
    /// `checksum_algorithm`), so it is `None` otherwise, in listings, and
    /// for objects stored without one.
    pub checksum: Option<(ChecksumAlgorithm, String)>,
}

impl ObjectMeta {
    pub(crate) fn from_headers(key: &str, headers: &HeaderMap, size: u64) -> Self {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let mut metadata: Vec<(String, String)> = headers
            .iter()
            .filter_map(|(name, value)| {
                let short = name.as_str().strip_prefix("x-amz-meta-")?;
                Some((
                    short.to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                ))
            })
            .collect();
        metadata.sort();
        ObjectMeta {
            key: key.to_string(),
            size,
            last_modified: text("last-modified")
                .and_then(|d| crate::date::parse_http_date(&d).ok()),
            etag: text("etag"),
            version_id: text("x-amz-version-id"),
            content_type: text("content-type"),
            storage_class: text("x-amz-storage-class"),
            content_encoding: text("content-encoding"),
            content_disposition: text("content-disposition"),
            content_language: text("content-language"),
            cache_control: text("cache-control"),
            expires: text("expires").and_then(|d| crate::date::parse_http_date(&d).ok()),
            server_side_encryption: text("x-amz-server-side-encryption"),
            sse_kms_key_id: text("x-amz-server-side-encryption-aws-kms-key-id"),
            sse_customer_algorithm: text("x-amz-server-side-encryption-customer-algorithm"),
            sse_customer_key_md5: text("x-amz-server-side-encryption-customer-key-md5"),
            metadata,
            checksum: stored_checksum(headers),
        }
    }
}

/// The first `x-amz-checksum-<alg>` header, full-object or composite.
fn stored_checksum(headers: &HeaderMap) -> Option<(ChecksumAlgorithm, String)> {
    crate::checksum::ALL.into_iter().find_map(|alg| {
        let v = headers
            .get(crate::checksum::header_name(alg))?
            .to_str()
            .ok()?
            .trim();
        (!v.is_empty()).then(|| (alg, v.to_string()))
    })
}

/// Which bytes of an object to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GetRange {
    /// The bytes in `start..end` (end exclusive).
    Bounded(Range<u64>),
    /// Everything from this offset on.
    Offset(u64),
    /// The last this many bytes.
    Suffix(u64),
}

impl GetRange {
    /// The `Range` header value, or an error for an empty range.
    pub(crate) fn header_value(&self) -> Result<String> {
        match self {
            GetRange::Bounded(r) if r.start >= r.end => Err(Error::invalid_input(format!(
                "range {}..{} is empty",
                r.start, r.end
            ))),
            GetRange::Bounded(r) => Ok(format!("bytes={}-{}", r.start, r.end - 1)),
            GetRange::Offset(o) => Ok(format!("bytes={o}-")),
            GetRange::Suffix(0) => Err(Error::invalid_input("suffix range of 0 bytes is empty")),
            GetRange::Suffix(n) => Ok(format!("bytes=-{n}")),
        }
    }
}

impl From<Range<u64>> for GetRange {
    fn from(r: Range<u64>) -> Self {
        GetRange::Bounded(r)
    }
}

/// Conditions and options of a GET or HEAD.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetOptions {
    /// Only part of the object.
    pub range: Option<GetRange>,
    /// Succeed only if the ETag matches (`If-Match`), else PreconditionFailed.
    pub if_match: Option<String>,
    /// Succeed only if the ETag differs (`If-None-Match`), else NotModified.
    pub if_none_match: Option<String>,
    /// Succeed only if modified after this time, else NotModified.
    pub if_modified_since: Option<OffsetDateTime>,
    /// Succeed only if not modified after this time, else PreconditionFailed.
    pub if_unmodified_since: Option<OffsetDateTime>,
    /// A specific version of the object.
    pub version_id: Option<String>,
    /// One part of a multipart object (`partNumber`, 1 to 10,000): its bytes
    /// and, with checksums asked for, that part's own checksum. Not with
    /// `range`.
    pub part_number: Option<u32>,
}

impl GetOptions {
    /// Options for a read of part `n` of a multipart object.
    pub fn with_part_number(mut self, n: u32) -> Self {
        self.part_number = Some(n);
        self
    }

    /// Options for a ranged read.
    pub fn with_range(mut self, range: impl Into<GetRange>) -> Self {
        self.range = Some(range.into());
        self
    }

    /// Adds `If-Match`.
    pub fn with_if_match(mut self, etag: impl Into<String>) -> Self {
        self.if_match = Some(etag.into());
        self
    }

    /// Adds `If-None-Match`.
    pub fn with_if_none_match(mut self, etag: impl Into<String>) -> Self {
        self.if_none_match = Some(etag.into());
        self
    }
}

/// The answer to a GET: metadata and the body as a stream.
#[derive(Debug)]
#[non_exhaustive]
pub struct GetResult {
    /// The object's metadata; `size` is the whole object's size when the
    /// answer states it (see [`object_size`](Self::object_size)).
    pub meta: ObjectMeta,
    /// The byte range of the object that `body` holds. When the answer
    /// states no length (`object_size` is `None` on a whole-object GET) this
    /// is `0..0`, a placeholder: read the body to learn its length.
    pub range: Range<u64>,
    /// The whole object's size as the answer states it: `Content-Length` of
    /// a whole-object GET, or the total of a ranged GET's `Content-Range`.
    /// `None` when the answer does not say (a server or proxy answering
    /// without `Content-Length`, or a `Content-Range` total of `*`); then
    /// `meta.size` is not the object's size: 0 for a whole-object GET, the
    /// range's end for a ranged one.
    pub object_size: Option<u64>,
    /// Whether `body` is checked against the checksum S3 stored, and if not,
    /// why.
    pub checksum: ChecksumCheck,
    /// The body; a `futures_core::Stream` of `Bytes` chunks.
    pub body: ResponseBody,
}

/// Whether a GET's body is checked against the checksum S3 stored with the
/// object, and when it is not, why ([`GetResult::checksum`]).
///
/// A checked body ends with an [`ErrorKind::Integrity`](crate::ErrorKind)
/// error in place of its end when the data read does not match; the other
/// cases pass the body through as it comes, never with a false error.
///
/// ```
/// use s3lite::checksum::ChecksumAlgorithm;
/// use s3lite::ChecksumCheck;
///
/// let why = ChecksumCheck::Composite { algorithm: ChecksumAlgorithm::Sha256, parts: 3 };
/// assert!(!why.is_checked());
/// assert!(why.to_string().contains("3 parts"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChecksumCheck {
    /// The body is checked as it streams against the object's checksum (or,
    /// for a GET by part number, that part's) of this algorithm.
    Checked(ChecksumAlgorithm),
    /// Not checked: downloads are not validated
    /// (`response_checksum_validation = when_required`, the default for
    /// custom endpoints, and no `checksum_algorithm`).
    Disabled,
    /// Not checked: a byte range cannot be checked against the whole
    /// object's checksum.
    Range,
    /// Not checked: the stored value is composite, the checksum of the
    /// checksums of the `parts` parts of a multipart upload, which one
    /// stream cannot recompute without the part boundaries.
    /// [`S3Store::download_file`](crate::S3Store::download_file) checks such
    /// objects part by part, as does a GET with
    /// [`GetOptions::with_part_number`].
    Composite {
        /// The algorithm of the part checksums.
        algorithm: ChecksumAlgorithm,
        /// How many parts the value covers (its `-N` suffix).
        parts: u32,
    },
    /// Not checked: the answer carries no checksum (the object was stored
    /// without one, or the server does not return it).
    NotStored,
}

impl ChecksumCheck {
    /// Whether the body is checked.
    pub fn is_checked(&self) -> bool {
        matches!(self, ChecksumCheck::Checked(_))
    }
}

impl std::fmt::Display for ChecksumCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChecksumCheck::Checked(alg) => write!(f, "checked against its {}", alg.as_str()),
            ChecksumCheck::Disabled => f.write_str("not checked: download validation is off"),
            ChecksumCheck::Range => f.write_str("not checked: a range of the object"),
            ChecksumCheck::Composite { algorithm, parts } => write!(
                f,
                "not checked: its {} is composite over {parts} parts (download_file or a GET by part number checks it)",
                algorithm.as_str()
            ),
            ChecksumCheck::NotStored => f.write_str("not checked: no checksum stored or returned"),
        }
    }
}

impl GetResult {
    /// Reads the whole body into memory.
    ///
    /// # Errors
    /// Transport errors and timeouts while reading.
    pub async fn bytes(self) -> Result<Bytes> {
        self.body.collect().await
    }

    /// The body as a stream of chunks.
    pub fn into_stream(self) -> ResponseBody {
        self.body
    }
}

/// What S3 reports after a write.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PutResult {
    /// The new object's ETag.
    pub etag: Option<String>,
    /// The new version id, on versioned buckets.
    pub version_id: Option<String>,
}

/// What to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListOptions {
    /// Only keys that start with this.
    pub prefix: Option<String>,
    /// Only keys that sort after this one.
    pub start_after: Option<String>,
    /// Group keys that contain this after the prefix into common prefixes.
    pub delimiter: Option<String>,
    /// Keys per page (S3's `max-keys`, at most 1,000); `None` uses the server's default.
    pub page_size: Option<u32>,
}

impl ListOptions {
    /// Lists keys under `prefix`.
    pub fn prefix(prefix: impl Into<String>) -> Self {
        ListOptions {
            prefix: Some(prefix.into()),
            ..Self::default()
        }
    }

    /// Sets the delimiter.
    pub fn with_delimiter(mut self, delimiter: impl Into<String>) -> Self {
        self.delimiter = Some(delimiter.into());
        self
    }

    /// Sets `start_after`.
    pub fn with_start_after(mut self, key: impl Into<String>) -> Self {
        self.start_after = Some(key.into());
        self
    }

    /// Sets the page size.
    pub fn with_page_size(mut self, keys: u32) -> Self {
        self.page_size = Some(keys);
        self
    }
}

/// One level of a listing with a delimiter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListResult {
    /// The objects directly under the prefix.
    pub objects: Vec<ObjectMeta>,
    /// The "directories": prefixes that end at the delimiter.
    pub common_prefixes: Vec<String>,
}

/// Parses `Content-Range: bytes start-end/total` into `(start..end+1, total)`.
pub(crate) fn parse_content_range(value: &str) -> Option<(Range<u64>, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (span, total) = rest.split_once('/')?;
    let (start, end) = span.split_once('-')?;
    let start: u64 = start.trim().parse().ok()?;
    let end: u64 = end.trim().parse().ok()?;
    if end < start {
        return None;
    }
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    // `end` is inclusive: `u64::MAX` has no exclusive end (and no object
    // is that large), so it is refused instead of wrapping.
    Some((start..end.checked_add(1)?, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_header_values() {
        assert_eq!(
            GetRange::Bounded(0..10).header_value().ok().as_deref(),
            Some("bytes=0-9")
        );
        assert_eq!(
            GetRange::Offset(5).header_value().ok().as_deref(),
            Some("bytes=5-")
        );
        assert_eq!(
            GetRange::Suffix(3).header_value().ok().as_deref(),
            Some("bytes=-3")
        );
        assert!(GetRange::Bounded(4..4).header_value().is_err());
        assert!(GetRange::Suffix(0).header_value().is_err());
    }

    #[test]
    fn content_range_parsing() {
        assert_eq!(
            parse_content_range("bytes 0-9/100"),
            Some((0..10, Some(100)))
        );
        assert_eq!(parse_content_range("bytes 5-5/*"), Some((5..6, None)));
        assert_eq!(parse_content_range("bytes 9-0/100"), None);
        assert_eq!(parse_content_range("items 0-9/100"), None);
        assert_eq!(parse_content_range("bytes a-9/100"), None);
        // Regression: `end + 1` overflowed (a panic in debug builds).
        assert_eq!(parse_content_range("bytes 0-18446744073709551615/*"), None);
        assert_eq!(
            parse_content_range("bytes 0-18446744073709551614/18446744073709551615"),
            Some((0..u64::MAX, Some(u64::MAX)))
        );
    }

    #[test]
    fn head_headers_give_the_sse_c_algorithm_and_key_md5() {
        let mut headers = HeaderMap::new();
        let put = |h: &mut HeaderMap, name: &'static str, value: &'static str| {
            h.insert(name, http::HeaderValue::from_static(value));
        };
        put(
            &mut headers,
            "x-amz-server-side-encryption-customer-algorithm",
            "AES256",
        );
        // S3 spells it `-MD5`; header names compare in lower case.
        put(
            &mut headers,
            "x-amz-server-side-encryption-customer-key-md5",
            "i0+eoW3kvPW7/A/x6iN5NA==",
        );
        let meta = ObjectMeta::from_headers("k", &headers, 5);
        assert_eq!(meta.sse_customer_algorithm.as_deref(), Some("AES256"));
        assert_eq!(
            meta.sse_customer_key_md5.as_deref(),
            Some("i0+eoW3kvPW7/A/x6iN5NA==")
        );
        assert_eq!(meta.server_side_encryption, None);
        let plain = ObjectMeta::from_headers("k", &HeaderMap::new(), 5);
        assert_eq!(plain.sse_customer_algorithm, None);
        assert_eq!(plain.sse_customer_key_md5, None);
    }
}
