//! What a copy is asked for: conditions on the source, the target's own
//! metadata and storage class, and the SSE-C key the source is read with
//! ([`CopyOptions`], [`CopyMetadata`]), as the headers of a CopyObject.
//! The copies themselves are in `copy.rs`.

use std::fmt;

use http::HeaderName;
use time::OffsetDateTime;

use super::put::{Attributes, attribute_headers, metadata_headers};
use super::request::S3Request;
use super::sse::{CustomerKey, SourceKey};
use crate::date;
use crate::error::{Error, Result};

/// How [`S3Store::copy_opts`](crate::S3Store::copy_opts) and [`S3Store::copy_from_bucket_opts`](crate::S3Store::copy_from_bucket_opts) copy.
///
/// Conditions on the source: the copy happens only if they all hold, else it
/// fails with [`ErrorKind::PreconditionFailed`](crate::ErrorKind::PreconditionFailed) (S3 answers 412 for each of
/// them) and the target is left as it was.
///
/// The target's metadata: by default S3 copies the source's attributes and
/// user metadata (`x-amz-metadata-directive: COPY`); with
/// [`replace_metadata`](Self::replace_metadata) the target gets exactly the
/// attributes and metadata given there instead (`REPLACE`), which is also
/// how an object's metadata is changed in place (a copy onto its own key).
///
/// The source's encryption: S3 reads an SSE-C source only with its key
/// (`x-amz-copy-source-server-side-encryption-customer-*`), which by default
/// is the store's own SSE-C key, if it has one (the target is written with
/// the store's encryption either way).
/// [`with_source_customer_key`](Self::with_source_customer_key) names the
/// source's key instead (key rotation, an SSE-C source copied to a plain or
/// SSE-S3 target), and
/// [`without_source_customer_key`](Self::without_source_customer_key) says
/// the source has none (a plain source copied into an SSE-C store). `Debug`
/// shows no key.
///
/// ```
/// use s3lite::{CopyMetadata, CopyOptions};
/// let options = CopyOptions::default().with_source_if_match("\"9b2cf535f27731c974343645a3985328\"");
/// assert!(options.source_if_none_match.is_none());
/// let replacing = CopyOptions::default().with_replace_metadata(
///     CopyMetadata::default()
///         .with_content_type("text/csv")
///         .with_cache_control("max-age=60")
///         .with_metadata("owner", "reports"),
/// );
/// assert!(replacing.replace_metadata.is_some());
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CopyOptions {
    /// Copy only if the source's ETag is this one
    /// (`x-amz-copy-source-if-match`).
    pub source_if_match: Option<String>,
    /// Copy only if the source's ETag is not this one, `*` for any
    /// (`x-amz-copy-source-if-none-match`).
    pub source_if_none_match: Option<String>,
    /// Copy only if the source was modified after this time
    /// (`x-amz-copy-source-if-modified-since`).
    pub source_if_modified_since: Option<OffsetDateTime>,
    /// Copy only if the source was not modified after this time
    /// (`x-amz-copy-source-if-unmodified-since`).
    pub source_if_unmodified_since: Option<OffsetDateTime>,
    /// The target's attributes and user metadata in place of the source's
    /// (`x-amz-metadata-directive: REPLACE`); `None` copies the source's.
    pub replace_metadata: Option<CopyMetadata>,
    /// The target's storage class (`x-amz-storage-class`: `STANDARD`,
    /// `STANDARD_IA`, ...); `None` leaves it to S3 (`STANDARD`).
    pub storage_class: Option<String>,
    /// The SSE-C key the source is read with: the store's by default (see
    /// [`with_source_customer_key`](Self::with_source_customer_key)).
    pub(super) source_key: SourceKey,
}

impl fmt::Debug for CopyOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every field named, so a new one cannot be left out; the source
        // key prints as `Customer(***)`.
        let CopyOptions {
            source_if_match,
            source_if_none_match,
            source_if_modified_since,
            source_if_unmodified_since,
            replace_metadata,
            storage_class,
            source_key,
        } = self;
        f.debug_struct("CopyOptions")
            .field("source_if_match", source_if_match)
            .field("source_if_none_match", source_if_none_match)
            .field("source_if_modified_since", source_if_modified_since)
            .field("source_if_unmodified_since", source_if_unmodified_since)
            .field("replace_metadata", replace_metadata)
            .field("storage_class", storage_class)
            .field("source_key", source_key)
            .finish()
    }
}

/// The attributes and user metadata a copy gives its target in place of the
/// source's ([`CopyOptions::replace_metadata`]). Whatever is left `None` or
/// empty is not copied from the source either: the target has only what is
/// set here, except `Content-Type`, which defaults to the target key's
/// suffix as [`PutOptions::content_type`](super::put::PutOptions::content_type) does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CopyMetadata {
    /// `Content-Type`; by default from the target key's suffix.
    pub content_type: Option<String>,
    /// `Content-Encoding`.
    pub content_encoding: Option<String>,
    /// `Content-Disposition`.
    pub content_disposition: Option<String>,
    /// `Content-Language`.
    pub content_language: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `Expires`.
    pub expires: Option<OffsetDateTime>,
    /// User metadata, sent as `x-amz-meta-<name>`.
    pub metadata: Vec<(String, String)>,
}

impl CopyMetadata {
    /// Sets `Content-Type`.
    pub fn with_content_type(mut self, v: impl Into<String>) -> Self {
        self.content_type = Some(v.into());
        self
    }

    /// Sets `Content-Encoding`.
    pub fn with_content_encoding(mut self, v: impl Into<String>) -> Self {
        self.content_encoding = Some(v.into());
        self
    }

    /// Sets `Content-Disposition`.
    pub fn with_content_disposition(mut self, v: impl Into<String>) -> Self {
        self.content_disposition = Some(v.into());
        self
    }

    /// Sets `Content-Language`.
    pub fn with_content_language(mut self, v: impl Into<String>) -> Self {
        self.content_language = Some(v.into());
        self
    }

    /// Sets `Cache-Control`.
    pub fn with_cache_control(mut self, v: impl Into<String>) -> Self {
        self.cache_control = Some(v.into());
        self
    }

    /// Sets `Expires`.
    pub fn with_expires(mut self, t: OffsetDateTime) -> Self {
        self.expires = Some(t);
        self
    }

    /// Adds one user metadata entry.
    pub fn with_metadata(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.push((name.into(), value.into()));
        self
    }
}

impl CopyOptions {
    /// Sets `x-amz-copy-source-if-match`.
    pub fn with_source_if_match(mut self, etag: impl Into<String>) -> Self {
        self.source_if_match = Some(etag.into());
        self
    }

    /// Sets `x-amz-copy-source-if-none-match`.
    pub fn with_source_if_none_match(mut self, etag: impl Into<String>) -> Self {
        self.source_if_none_match = Some(etag.into());
        self
    }

    /// Sets `x-amz-copy-source-if-modified-since`.
    pub fn with_source_if_modified_since(mut self, t: OffsetDateTime) -> Self {
        self.source_if_modified_since = Some(t);
        self
    }

    /// Sets `x-amz-copy-source-if-unmodified-since`.
    pub fn with_source_if_unmodified_since(mut self, t: OffsetDateTime) -> Self {
        self.source_if_unmodified_since = Some(t);
        self
    }

    /// Sets [`replace_metadata`](Self::replace_metadata): the target gets
    /// `metadata` instead of the source's.
    pub fn with_replace_metadata(mut self, metadata: CopyMetadata) -> Self {
        self.replace_metadata = Some(metadata);
        self
    }

    /// Sets the target's storage class.
    pub fn with_storage_class(mut self, v: impl Into<String>) -> Self {
        self.storage_class = Some(v.into());
        self
    }

    /// Reads the source with this SSE-C key instead of the store's
    /// (`x-amz-copy-source-server-side-encryption-customer-algorithm`,
    /// `-key` and `-key-MD5`); the target is still written with the store's
    /// encryption: its own SSE-C key (key rotation), SSE-S3, SSE-KMS or
    /// none. `key` is the 32 bytes of the key, or their base64 (44
    /// characters).
    ///
    /// See [CopyObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) naming this option when `key` is neither
    /// form; the error does not show the key.
    ///
    /// ```
    /// use s3lite::CopyOptions;
    /// let old_key = [7u8; 32];
    /// let rotate = CopyOptions::default().with_source_customer_key(old_key)?;
    /// assert!(!format!("{rotate:?}").contains(&s3lite::encoding::encode_base64(&old_key)));
    /// // The same key as base64.
    /// let same = CopyOptions::default()
    ///     .with_source_customer_key(s3lite::encoding::encode_base64(&old_key))?;
    /// assert_eq!(rotate, same);
    /// assert!(CopyOptions::default().with_source_customer_key("too short").is_err());
    /// # Ok::<(), s3lite::Error>(())
    /// ```
    ///
    /// A copy under a new key, on a store whose SSE-C key is the new one:
    ///
    /// ```no_run
    /// # async fn demo(old_key: [u8; 32], new_key_base64: String) -> s3lite::Result<()> {
    /// use s3lite::{CopyOptions, S3Store, config::ServerSideEncryption};
    /// let store = S3Store::builder()
    ///     .bucket("vault")
    ///     .server_side_encryption(ServerSideEncryption::SseC)
    ///     .sse_customer_key_base64(new_key_base64)
    ///     .build()?;
    /// let options = CopyOptions::default().with_source_customer_key(old_key)?;
    /// store.copy_opts("report.csv", "report.csv", options).await?;
    /// # Ok(()) }
    /// ```
    pub fn with_source_customer_key(mut self, key: impl AsRef<[u8]>) -> Result<Self> {
        let key = key.as_ref();
        let key = CustomerKey::from_raw_or_base64(key).ok_or_else(|| {
            Error::invalid_input(format!(
                "CopyOptions::with_source_customer_key: an SSE-C key is 32 bytes or their \
                 base64 (44 characters), not {} bytes",
                key.len()
            ))
        })?;
        self.source_key = SourceKey::Customer(key);
        Ok(self)
    }

    /// Reads the source without an SSE-C key, even on a store that has
    /// one: for a source that is not SSE-C encrypted (plain, SSE-S3 or
    /// SSE-KMS), such as a plain object copied into an SSE-C store. No
    /// `x-amz-copy-source-server-side-encryption-customer-*` header is
    /// sent.
    ///
    /// ```
    /// use s3lite::CopyOptions;
    /// let plain_source = CopyOptions::default().without_source_customer_key();
    /// assert_ne!(plain_source, CopyOptions::default());
    /// ```
    pub fn without_source_customer_key(mut self) -> Self {
        self.source_key = SourceKey::None;
        self
    }

    /// Adds the `x-amz-copy-source-if-*` headers, the metadata directive
    /// with the replacing attributes, and the storage class to a CopyObject
    /// whose target has the content type `default_content_type` unless one
    /// is given.
    pub(super) fn apply(
        &self,
        mut req: S3Request,
        default_content_type: Option<&str>,
    ) -> Result<S3Request> {
        let name = HeaderName::from_static;
        if let Some(etag) = &self.source_if_match {
            req = req.header(name("x-amz-copy-source-if-match"), etag)?;
        }
        if let Some(etag) = &self.source_if_none_match {
            req = req.header(name("x-amz-copy-source-if-none-match"), etag)?;
        }
        if let Some(t) = self.source_if_modified_since {
            req = req.header(
                name("x-amz-copy-source-if-modified-since"),
                &date::format_http_date(t),
            )?;
        }
        if let Some(t) = self.source_if_unmodified_since {
            req = req.header(
                name("x-amz-copy-source-if-unmodified-since"),
                &date::format_http_date(t),
            )?;
        }
        if let Some(m) = &self.replace_metadata {
            req = req.header(name("x-amz-metadata-directive"), "REPLACE")?;
            let attributes = Attributes {
                content_type: m.content_type.as_deref(),
                content_encoding: m.content_encoding.as_deref(),
                content_disposition: m.content_disposition.as_deref(),
                content_language: m.content_language.as_deref(),
                cache_control: m.cache_control.as_deref(),
                expires: m.expires,
                // Sent whether or not the metadata is replaced (below).
                storage_class: None,
            };
            req = attribute_headers(req, &attributes, default_content_type)?;
            req = metadata_headers(req, &m.metadata)?;
        }
        if let Some(class) = &self.storage_class {
            req = req.header(name("x-amz-storage-class"), class)?;
        }
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;
    use crate::encoding::encode_base64;
    use crate::error::ErrorKind;

    #[test]
    fn copy_options_become_copy_source_headers() {
        let t = OffsetDateTime::UNIX_EPOCH;
        let options = CopyOptions::default()
            .with_source_if_match("\"a\"")
            .with_source_if_none_match("\"b\"")
            .with_source_if_modified_since(t)
            .with_source_if_unmodified_since(t);
        let req = S3Request::new("CopyObject", Method::PUT, Some("k"));
        let req = options.apply(req, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(req.headers["x-amz-copy-source-if-match"], "\"a\"");
        assert_eq!(req.headers["x-amz-copy-source-if-none-match"], "\"b\"");
        let epoch = "Thu, 01 Jan 1970 00:00:00 GMT";
        assert_eq!(req.headers["x-amz-copy-source-if-modified-since"], epoch);
        assert_eq!(req.headers["x-amz-copy-source-if-unmodified-since"], epoch);
        let plain = CopyOptions::default()
            .apply(S3Request::new("CopyObject", Method::PUT, Some("k")), None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(plain.headers.is_empty());
    }

    #[test]
    fn replace_metadata_sends_the_directive_and_only_what_is_given() {
        let t = OffsetDateTime::UNIX_EPOCH;
        let options = CopyOptions::default()
            .with_replace_metadata(
                CopyMetadata::default()
                    .with_cache_control("max-age=60")
                    .with_content_language("en-GB")
                    .with_expires(t)
                    .with_metadata("Owner", "reports"),
            )
            .with_storage_class("STANDARD_IA");
        let req = S3Request::new("CopyObject", Method::PUT, Some("k.csv"));
        let req = options
            .apply(req, Some("text/csv"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(req.headers["x-amz-metadata-directive"], "REPLACE");
        assert_eq!(req.headers["content-type"], "text/csv");
        assert_eq!(req.headers["cache-control"], "max-age=60");
        assert_eq!(req.headers["content-language"], "en-GB");
        assert_eq!(req.headers["expires"], "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(req.headers["x-amz-meta-owner"], "reports");
        assert_eq!(req.headers["x-amz-storage-class"], "STANDARD_IA");
        assert!(!req.headers.contains_key("content-encoding"));
        // COPY (the default) sends no attribute: S3 copies the source's.
        let copy = CopyOptions::default()
            .apply(
                S3Request::new("CopyObject", Method::PUT, Some("k.csv")),
                Some("text/csv"),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(copy.headers.is_empty(), "{:?}", copy.headers);
    }

    #[test]
    fn bad_etag_is_invalid_input_naming_the_header() {
        let e = CopyOptions::default()
            .with_source_if_match("line\nbreak")
            .apply(S3Request::new("CopyObject", Method::PUT, Some("k")), None)
            .map(|_| ())
            .expect_err("newline in an ETag");
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().contains("x-amz-copy-source-if-match"), "{e}");
    }
    #[test]
    fn bad_source_key_is_invalid_input_naming_the_option_not_the_key() {
        for bad in [&b"short-secret"[..], &[b'x'; 33], b"c2hvcnQtc2VjcmV0"] {
            let e = CopyOptions::default()
                .with_source_customer_key(bad)
                .expect_err("not a key");
            assert_eq!(e.kind(), ErrorKind::InvalidInput);
            let shown = format!("{e} {e:?}");
            assert!(shown.contains("with_source_customer_key"), "{shown}");
            let text = String::from_utf8_lossy(bad);
            assert!(!shown.contains(text.as_ref()), "{shown}");
        }
        let key = [0x42u8; 32];
        let options = CopyOptions::default()
            .with_source_customer_key(key)
            .unwrap_or_else(|e| panic!("{e}"));
        let shown = format!("{options:?}");
        assert!(
            !shown.contains(&encode_base64(&key)) && shown.contains("source_key: Customer(***)"),
            "{shown}"
        );
    }
}
