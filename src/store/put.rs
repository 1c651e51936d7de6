//! Writes with options: conditions ([`PutMode`]), object attributes, user
//! metadata and tags ([`PutOptions`]), and the store-wide write settings
//! (`conditional_put`, `copy_if_not_exists`, tagging, bulk delete, SSE).
//!
//! Each group of headers comes from one small function, so the same
//! attributes go on PutObject and CreateMultipartUpload alike.

use bytes::Bytes;
use http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_ENCODING, CONTENT_LANGUAGE, CONTENT_TYPE, EXPIRES,
    IF_MATCH, IF_NONE_MATCH,
};
use http::{HeaderName, Method};
use time::OffsetDateTime;

use super::checksums::Precomputed;
use super::lost_answer::Fingerprint;
use super::request::S3Request;
use super::sse::{self, Encryption};
use super::{S3Store, check_key, put_result};
use crate::config::{CannedAcl, ConditionalPut, CopyIfNotExists};
use crate::error::{Error, ErrorKind, Result};
use crate::transport::RequestBody;
use crate::{date, sign};

use super::types::PutResult;

/// What a put may replace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PutMode {
    /// Write whatever is there (the default).
    #[default]
    Overwrite,
    /// Write only if no object has the key (`If-None-Match: *`); else
    /// [`ErrorKind::AlreadyExists`].
    Create,
    /// Replace only the object with this ETag (`If-Match`); else
    /// [`ErrorKind::PreconditionFailed`], also when the object is gone.
    Update {
        /// The ETag the object must still have, with its quotes.
        etag: String,
        /// The version it must be, for information: S3 conditions on the
        /// ETag only.
        version: Option<String>,
    },
}

/// Options of [`S3Store::put_opts`] and
/// [`S3Store::create_multipart_upload_opts`]: the condition, the object's
/// attributes, user metadata and tags.
///
/// ```
/// use s3lite::{PutMode, PutOptions};
/// let options = PutOptions::default()
///     .with_mode(PutMode::Create)
///     .with_content_type("text/csv")
///     .with_cache_control("max-age=60")
///     .with_metadata("origin", "import")
///     .with_tag("team", "data");
/// assert_eq!(options.metadata, [("origin".to_string(), "import".to_string())]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PutOptions {
    /// The condition of the write.
    pub mode: PutMode,
    /// `Content-Type`; by default from the key's suffix (see
    /// [`content_type_for`](crate::config::content_type_for)).
    pub content_type: Option<String>,
    /// `Content-Encoding` (`gzip`, ...).
    pub content_encoding: Option<String>,
    /// `Content-Disposition` (`attachment; filename="a.csv"`).
    pub content_disposition: Option<String>,
    /// `Content-Language` (`en-GB`).
    pub content_language: Option<String>,
    /// `Cache-Control` (`max-age=3600`).
    pub cache_control: Option<String>,
    /// `Expires`: when caches should consider the object stale.
    pub expires: Option<OffsetDateTime>,
    /// `x-amz-storage-class` (`STANDARD`, `STANDARD_IA`, `GLACIER_IR`, ...).
    pub storage_class: Option<String>,
    /// User metadata, sent as `x-amz-meta-<name>`; names are case-insensitive
    /// and values must be visible ASCII.
    pub metadata: Vec<(String, String)>,
    /// Object tags (`x-amz-tagging`); not sent when the store has
    /// `disable_tagging`.
    pub tags: Vec<(String, String)>,
    /// The checksum of this PutObject (`x-amz-checksum-*`), in place of the
    /// store's `checksum_algorithm`; `None` uses the store's. Not used by
    /// multipart uploads, which follow the store's setting.
    pub checksum: Option<crate::config::ChecksumAlgorithm>,
    /// The canned ACL (`x-amz-acl`), in place of the store's `canned_acl`;
    /// `None` uses the store's (and sends none when that is unset too).
    pub acl: Option<CannedAcl>,
}

impl PutOptions {
    /// Sets the condition.
    pub fn with_mode(mut self, mode: PutMode) -> Self {
        self.mode = mode;
        self
    }

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

    /// Sets the storage class.
    pub fn with_storage_class(mut self, v: impl Into<String>) -> Self {
        self.storage_class = Some(v.into());
        self
    }

    /// Adds one user metadata entry.
    pub fn with_metadata(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.push((name.into(), value.into()));
        self
    }

    /// Adds one tag.
    pub fn with_tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.push((key.into(), value.into()));
        self
    }

    /// Sets the checksum of this put.
    pub fn with_checksum(mut self, algorithm: crate::config::ChecksumAlgorithm) -> Self {
        self.checksum = Some(algorithm);
        self
    }

    /// Sets the canned ACL of this write.
    pub fn with_acl(mut self, acl: CannedAcl) -> Self {
        self.acl = Some(acl);
        self
    }
}

/// Store-wide write settings, resolved by the builder.
#[derive(Debug, Clone)]
pub(crate) struct WriteSettings {
    pub(crate) conditional_put: ConditionalPut,
    pub(crate) copy_if_not_exists: Option<CopyIfNotExists>,
    pub(crate) disable_tagging: bool,
    pub(crate) disable_bulk_delete: bool,
    pub(crate) encryption: Option<Encryption>,
    /// The canned ACL of every object written (`canned_acl`).
    pub(crate) acl: Option<CannedAcl>,
    /// Whether requests go to a custom endpoint (not AWS): there S3's own
    /// `If-None-Match` on CopyObject cannot be trusted.
    pub(crate) custom_endpoint: bool,
    /// The DynamoDB endpoint of `dynamo:` locks: the store's custom
    /// endpoint if any (moto, LocalStack), else AWS's regional one.
    pub(crate) dynamo_endpoint: Option<String>,
}

impl Default for WriteSettings {
    fn default() -> Self {
        WriteSettings {
            conditional_put: ConditionalPut::ETag,
            copy_if_not_exists: None,
            disable_tagging: false,
            disable_bulk_delete: false,
            encryption: None,
            acl: None,
            custom_endpoint: false,
            dynamo_endpoint: None,
        }
    }
}

impl S3Store {
    /// Writes `data` as the object `key` with a condition, attributes,
    /// metadata and tags.
    ///
    /// See [PutObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html)
    /// and [conditional writes](https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
    ///
    /// # Errors
    /// As [`S3Store::put`]; [`ErrorKind::AlreadyExists`] when
    /// [`PutMode::Create`] finds an object; [`ErrorKind::PreconditionFailed`]
    /// when [`PutMode::Update`] finds another ETag or no object;
    /// [`ErrorKind::NotImplemented`] for a condition when the store has
    /// `conditional_put = disabled`; `InvalidInput` for a header value that
    /// cannot be sent.
    ///
    /// ```no_run
    /// # async fn demo(store: &s3lite::S3Store) -> s3lite::Result<()> {
    /// use s3lite::{ErrorKind, PutMode, PutOptions};
    /// let create = PutOptions::default().with_mode(PutMode::Create);
    /// match store.put_opts("lock", "mine".into(), create).await {
    ///     Ok(_) => println!("created"),
    ///     Err(e) if e.kind() == ErrorKind::AlreadyExists => println!("taken"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn put_opts(&self, key: &str, data: Bytes, options: PutOptions) -> Result<PutResult> {
        self.put_body(key, data.into(), &options, None).await
    }

    /// PutObject of any body with `options`, its condition carried out as
    /// the store's `conditional_put` says (see [`put_opts`](Self::put_opts));
    /// `precomputed` holds a file body's digests.
    pub(crate) async fn put_body(
        &self,
        key: &str,
        body: RequestBody,
        options: &PutOptions,
        precomputed: Option<Precomputed>,
    ) -> Result<PutResult> {
        let full = self.full_key(key);
        check_key(&full)?;
        let writes = &self.settings.writes;
        match (&options.mode, &writes.conditional_put) {
            (PutMode::Overwrite, _) => {
                self.put_request(key, &full, body, options, false, precomputed)
                    .await
            }
            (_, ConditionalPut::Disabled) => Err(Error::new(
                ErrorKind::NotImplemented,
                format!(
                    "PutObject {}: conditional puts are disabled (conditional_put = disabled)",
                    self.inner.target(Some(&full))
                ),
            )),
            (mode, ConditionalPut::Dynamo { table, timeout_ms }) => {
                let etag = match mode {
                    PutMode::Update { etag, .. } => Some(etag.as_str()),
                    _ => None,
                };
                let lock = super::dynamo::DynamoLock::new(self, table, *timeout_ms)?;
                lock.conditional_op(self, &full, etag, || {
                    self.put_request(key, &full, body, options, false, precomputed)
                })
                .await
            }
            (mode, _) => self
                .put_request(key, &full, body, options, true, precomputed)
                .await
                .map_err(|e| conditional_error(e, mode)),
        }
    }

    /// One PutObject of any body (in memory, or a file read while it is
    /// sent, with the digests read from it first); `conditional` adds the
    /// mode's `If-*` header.
    pub(crate) async fn put_request(
        &self,
        key: &str,
        full: &str,
        body: RequestBody,
        options: &PutOptions,
        conditional: bool,
        precomputed: Option<Precomputed>,
    ) -> Result<PutResult> {
        // What the object must show if a retry finds that a lost attempt wrote it.
        let mut prints = Vec::new();
        if conditional && let Some(chunks) = body.memory_chunks() {
            prints.push(Fingerprint::of_body(chunks));
        }
        let large = body
            .len_hint()
            .is_some_and(|n| n >= super::checksums::UNSIGNED_PUT_MIN);
        let mut req = S3Request::new("PutObject", Method::PUT, Some(full)).body(body);
        req.large_upload = large;
        if conditional {
            req = mode_headers(req, &options.mode)?;
        }
        req = self.object_headers(req, key, options)?;
        let checksum = options.checksum.or(self.inner.checksum);
        let (req, sent_checksum) = super::checksums::add_checksum(req, checksum, precomputed)?;
        if let (true, Some(alg), Some(value)) = (conditional, checksum, sent_checksum) {
            prints.insert(0, Fingerprint::Checksum(alg, value));
        }
        let mut attempts = 0;
        match self.inner.send_counting(req, &mut attempts).await {
            Ok(resp) => Ok(put_result(&resp.headers)),
            // A retry that fails its condition may be seeing this write's
            // own object, made by an attempt whose answer was lost.
            Err(e) if conditional && attempts > 1 && is_condition_failure(&e) => {
                self.settle_lost_write("PutObject", full, &prints, e).await
            }
            Err(e) => Err(e),
        }
    }

    /// Attributes, metadata, tags and encryption of a write that creates an
    /// object (PutObject, CreateMultipartUpload).
    pub(crate) fn object_headers(
        &self,
        req: S3Request,
        key: &str,
        options: &PutOptions,
    ) -> Result<S3Request> {
        let writes = &self.settings.writes;
        let req = attribute_headers(req, &options.attributes(), self.content_type_for(key))?;
        let req = acl_header(req, options.acl.or(writes.acl))?;
        let req = metadata_headers(req, &options.metadata)?;
        let req = if writes.disable_tagging {
            req
        } else {
            tagging_header(req, &options.tags)?
        };
        sse::write_headers(req, writes.encryption.as_ref())
    }

    /// The store's encryption setting, if any.
    pub(crate) fn encryption(&self) -> Option<&Encryption> {
        self.settings.writes.encryption.as_ref()
    }
}

/// `If-None-Match: *` for `Create`, `If-Match` for `Update`.
pub(crate) fn mode_headers(req: S3Request, mode: &PutMode) -> Result<S3Request> {
    match mode {
        PutMode::Overwrite => Ok(req),
        PutMode::Create => req.header(IF_NONE_MATCH, "*"),
        PutMode::Update { etag, .. } => req.header(IF_MATCH, etag),
    }
}

/// Whether `e` is a write's condition failing: 412, or the 409
/// `ConditionalRequestConflict` AWS answers to concurrent conditional
/// writes.
pub(crate) fn is_condition_failure(e: &Error) -> bool {
    e.status() == Some(412)
        || matches!(
            e.s3_code(),
            Some("PreconditionFailed" | "ConditionalRequestConflict")
        )
}

/// A failed conditional write as the caller's [`ErrorKind`]: `Create`
/// finding an object is `AlreadyExists`; `Update` finding none is
/// `PreconditionFailed`.
pub(crate) fn conditional_error(e: Error, mode: &PutMode) -> Error {
    match (mode, e.kind()) {
        (PutMode::Create, ErrorKind::PreconditionFailed) => e.with_kind(ErrorKind::AlreadyExists),
        (PutMode::Update { .. }, ErrorKind::NotFound) if e.s3_code() != Some("NoSuchBucket") => {
            e.with_kind(ErrorKind::PreconditionFailed)
        }
        _ => e,
    }
}

/// The standard HTTP attributes of an object and its storage class,
/// borrowed from a [`PutOptions`] or a copy's `CopyMetadata`, so both send
/// them through [`attribute_headers`].
pub(crate) struct Attributes<'a> {
    pub(crate) content_type: Option<&'a str>,
    pub(crate) content_encoding: Option<&'a str>,
    pub(crate) content_disposition: Option<&'a str>,
    pub(crate) content_language: Option<&'a str>,
    pub(crate) cache_control: Option<&'a str>,
    pub(crate) expires: Option<OffsetDateTime>,
    pub(crate) storage_class: Option<&'a str>,
}

impl PutOptions {
    /// The attributes these options set.
    pub(crate) fn attributes(&self) -> Attributes<'_> {
        Attributes {
            content_type: self.content_type.as_deref(),
            content_encoding: self.content_encoding.as_deref(),
            content_disposition: self.content_disposition.as_deref(),
            content_language: self.content_language.as_deref(),
            cache_control: self.cache_control.as_deref(),
            expires: self.expires,
            storage_class: self.storage_class.as_deref(),
        }
    }
}

/// The standard HTTP attributes and the storage class; `Content-Type` is
/// `default_content_type` unless `a` names one.
pub(crate) fn attribute_headers(
    mut req: S3Request,
    a: &Attributes<'_>,
    default_content_type: Option<&str>,
) -> Result<S3Request> {
    if let Some(ct) = a.content_type.or(default_content_type) {
        req = req.header(CONTENT_TYPE, ct)?;
    }
    for (name, value) in [
        (CONTENT_ENCODING, a.content_encoding),
        (CONTENT_DISPOSITION, a.content_disposition),
        (CONTENT_LANGUAGE, a.content_language),
        (CACHE_CONTROL, a.cache_control),
        (
            HeaderName::from_static("x-amz-storage-class"),
            a.storage_class,
        ),
    ] {
        if let Some(v) = value {
            req = req.header(name, v)?;
        }
    }
    if let Some(t) = a.expires {
        req = req.header(EXPIRES, &date::format_http_date(t))?;
    }
    Ok(req)
}

/// `x-amz-acl` when there is a canned ACL.
pub(crate) fn acl_header(req: S3Request, acl: Option<CannedAcl>) -> Result<S3Request> {
    match acl {
        Some(acl) => req.header(HeaderName::from_static("x-amz-acl"), acl.as_str()),
        None => Ok(req),
    }
}

/// `x-amz-meta-<name>` per entry.
pub(crate) fn metadata_headers(
    mut req: S3Request,
    metadata: &[(String, String)],
) -> Result<S3Request> {
    for (name, value) in metadata {
        let full = format!("x-amz-meta-{}", name.to_ascii_lowercase());
        let header = HeaderName::from_bytes(full.as_bytes()).map_err(|_| {
            Error::invalid_input(format!("metadata name {name:?} is not a valid header name"))
        })?;
        req = req.header(header, value)?;
    }
    Ok(req)
}

/// `x-amz-tagging: k1=v1&k2=v2` (URL-encoded), when there are tags.
pub(crate) fn tagging_header(req: S3Request, tags: &[(String, String)]) -> Result<S3Request> {
    if tags.is_empty() {
        return Ok(req);
    }
    req.header(HeaderName::from_static("x-amz-tagging"), &encode_tags(tags))
}

fn encode_tags(tags: &[(String, String)]) -> String {
    let mut out = String::new();
    for (k, v) in tags {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&sign::uri_encode(k, true));
        out.push('=');
        out.push_str(&sign::uri_encode(v, true));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> S3Request {
        S3Request::new("PutObject", Method::PUT, Some("k"))
    }

    #[test]
    fn modes_map_to_if_headers() {
        let create = mode_headers(req(), &PutMode::Create).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(create.headers[IF_NONE_MATCH], "*");
        let update = mode_headers(
            req(),
            &PutMode::Update {
                etag: "\"abc\"".into(),
                version: None,
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(update.headers[IF_MATCH], "\"abc\"");
        let plain = mode_headers(req(), &PutMode::Overwrite).unwrap_or_else(|e| panic!("{e}"));
        assert!(plain.headers.is_empty());
    }

    #[test]
    fn failed_create_is_already_exists() {
        let e = Error::new(ErrorKind::PreconditionFailed, "PutObject b/k").with_status(412);
        assert_eq!(
            conditional_error(e, &PutMode::Create).kind(),
            ErrorKind::AlreadyExists
        );
        let gone = Error::new(ErrorKind::NotFound, "PutObject b/k")
            .with_s3_error(Some("NoSuchKey".into()), None);
        let update = PutMode::Update {
            etag: "\"e\"".into(),
            version: None,
        };
        assert_eq!(
            conditional_error(gone, &update).kind(),
            ErrorKind::PreconditionFailed
        );
        let no_bucket = Error::new(ErrorKind::NotFound, "PutObject b/k")
            .with_s3_error(Some("NoSuchBucket".into()), None);
        assert_eq!(
            conditional_error(no_bucket, &update).kind(),
            ErrorKind::NotFound
        );
    }

    #[test]
    fn attributes_metadata_and_tags_become_headers() {
        let o = PutOptions::default()
            .with_content_encoding("gzip")
            .with_content_disposition("attachment")
            .with_content_language("en")
            .with_cache_control("no-cache")
            .with_storage_class("STANDARD_IA")
            .with_expires(OffsetDateTime::UNIX_EPOCH)
            .with_metadata("Origin", "import")
            .with_tag("a b", "c&d");
        let r = attribute_headers(req(), &o.attributes(), Some("text/plain"))
            .unwrap_or_else(|e| panic!("{e}"));
        let r = metadata_headers(r, &o.metadata).unwrap_or_else(|e| panic!("{e}"));
        let r = tagging_header(r, &o.tags).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.headers[CONTENT_TYPE], "text/plain");
        assert_eq!(r.headers[CONTENT_ENCODING], "gzip");
        assert_eq!(r.headers["x-amz-storage-class"], "STANDARD_IA");
        assert_eq!(r.headers[EXPIRES], "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(r.headers["x-amz-meta-origin"], "import");
        assert_eq!(r.headers["x-amz-tagging"], "a%20b=c%26d");
    }

    #[test]
    fn bad_metadata_is_invalid_input() {
        let e = metadata_headers(req(), &[("bad name".into(), "v".into())])
            .map(|_| ())
            .expect_err("space in name");
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let e = metadata_headers(req(), &[("n".into(), "line\nbreak".into())])
            .map(|_| ())
            .expect_err("newline in value");
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    }
}
