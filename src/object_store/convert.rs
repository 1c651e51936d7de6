//! Conversions between object_store's types and s3lite's: paths and keys,
//! metadata, options, attributes, tags, errors.

use ::object_store::path::Path;
use ::object_store::{
    Attribute, Attributes, Error as OsError, GetOptions as OsGetOptions, GetRange as OsGetRange,
    ObjectMeta as OsObjectMeta, PutMode as OsPutMode, PutResult as OsPutResult, TagSet,
};
use chrono::{DateTime, Utc};
use time::OffsetDateTime;

use crate::error::{Error, ErrorKind};
use crate::store::{GetOptions, GetRange, ObjectMeta, PutMode, PutOptions, PutResult};

/// The name object_store's errors give this store, as `AmazonS3` does.
pub(crate) const STORE: &str = "S3";

/// An s3lite error as object_store's, naming `path` and keeping the error
/// as its source.
pub(crate) fn error(e: Error, path: &str) -> OsError {
    let path = path.to_string();
    let source = Box::new(e);
    match source.kind() {
        ErrorKind::NotFound => OsError::NotFound { path, source },
        ErrorKind::AlreadyExists => OsError::AlreadyExists { path, source },
        ErrorKind::PreconditionFailed => OsError::Precondition { path, source },
        ErrorKind::NotModified => OsError::NotModified { path, source },
        ErrorKind::PermissionDenied => OsError::PermissionDenied { path, source },
        ErrorKind::Unauthenticated => OsError::Unauthenticated { path, source },
        ErrorKind::NotImplemented => OsError::NotSupported { source },
        _ => OsError::Generic {
            store: STORE,
            source,
        },
    }
}

/// A `Generic` error of this store with a message.
pub(crate) fn generic(message: String) -> OsError {
    OsError::Generic {
        store: STORE,
        source: message.into(),
    }
}

/// The S3 prefix listing under `prefix` asks for: `<prefix>/`, as
/// object_store's prefixes match whole path segments (`foo` lists
/// `foo/x`, not `foo.bar/y`); `None` for the root.
pub(crate) fn list_prefix(prefix: Option<&Path>) -> Option<String> {
    prefix
        .map(Path::as_ref)
        .filter(|p| !p.is_empty())
        .map(|p| format!("{p}/"))
}

/// A listed key or common prefix as a [`Path`] (trailing `/` removed).
pub(crate) fn parse_path(key: &str) -> ::object_store::Result<Path> {
    Ok(Path::parse(key.strip_suffix('/').unwrap_or(key))?)
}

/// s3lite's time as chrono's.
pub(crate) fn to_chrono(t: OffsetDateTime) -> DateTime<Utc> {
    // `OffsetDateTime` spans years -9999..=9999, which chrono holds.
    DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond()).unwrap_or_default()
}

/// chrono's time as s3lite's, or an error naming the value.
fn from_chrono(t: DateTime<Utc>, path: &str) -> ::object_store::Result<OffsetDateTime> {
    let nanos = i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos());
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .map_err(|_| generic(format!("{path}: time {t} cannot be sent as an HTTP date")))
}

/// object_store metadata of `location` from s3lite's.
pub(crate) fn meta(m: &ObjectMeta, location: Path) -> ::object_store::Result<OsObjectMeta> {
    let last_modified = m.last_modified.map(to_chrono).ok_or_else(|| {
        generic(format!(
            "{location}: the answer has no valid Last-Modified time"
        ))
    })?;
    Ok(OsObjectMeta {
        location,
        last_modified,
        size: m.size,
        e_tag: m.etag.clone(),
        version: m.version_id.clone(),
    })
}

/// A listed object as object_store metadata (its key parsed as a path).
pub(crate) fn listed(m: &ObjectMeta) -> ::object_store::Result<OsObjectMeta> {
    meta(m, parse_path(&m.key)?)
}

/// The attributes object_store reports on a GET: the HTTP ones S3 stores
/// and the user metadata (what `AmazonS3` reads back).
pub(crate) fn attributes(m: &ObjectMeta) -> Attributes {
    let mut out = Attributes::new();
    for (attribute, value) in [
        (Attribute::CacheControl, &m.cache_control),
        (Attribute::ContentDisposition, &m.content_disposition),
        (Attribute::ContentEncoding, &m.content_encoding),
        (Attribute::ContentLanguage, &m.content_language),
        (Attribute::ContentType, &m.content_type),
    ] {
        if let Some(v) = value {
            out.insert(attribute, v.clone().into());
        }
    }
    for (name, value) in &m.metadata {
        out.insert(
            Attribute::Metadata(name.clone().into()),
            value.clone().into(),
        );
    }
    out
}

/// object_store's write options (attributes, tags, mode) as s3lite's.
pub(crate) fn put_options(
    mode: OsPutMode,
    attributes: &Attributes,
    tags: &TagSet,
    path: &str,
) -> ::object_store::Result<PutOptions> {
    let mode = match mode {
        OsPutMode::Overwrite => PutMode::Overwrite,
        OsPutMode::Create => PutMode::Create,
        OsPutMode::Update(v) => PutMode::Update {
            etag: v.e_tag.ok_or_else(|| {
                generic(format!(
                    "{path}: PutMode::Update needs an e_tag (S3 conditions on the ETag)"
                ))
            })?,
            version: v.version,
        },
    };
    let mut options = PutOptions::default().with_mode(mode);
    for (attribute, value) in attributes {
        let value = value.as_ref().to_string();
        match attribute {
            Attribute::CacheControl => options.cache_control = Some(value),
            Attribute::ContentDisposition => options.content_disposition = Some(value),
            Attribute::ContentEncoding => options.content_encoding = Some(value),
            Attribute::ContentLanguage => options.content_language = Some(value),
            Attribute::ContentType => options.content_type = Some(value),
            Attribute::StorageClass => options.storage_class = Some(value),
            Attribute::Metadata(name) => options.metadata.push((name.to_string(), value)),
            other => {
                return Err(OsError::NotSupported {
                    source: format!("{path}: attribute {other:?} is not supported by S3").into(),
                });
            }
        }
    }
    options.tags = decode_tags(tags.encoded())
        .ok_or_else(|| generic(format!("{path}: tag set {:?} is not valid", tags.encoded())))?;
    Ok(options)
}

/// object_store's read options as s3lite's.
pub(crate) fn get_options(o: &OsGetOptions, path: &str) -> ::object_store::Result<GetOptions> {
    Ok(GetOptions {
        range: o.range.as_ref().map(|r| match r {
            OsGetRange::Bounded(r) => GetRange::Bounded(r.clone()),
            OsGetRange::Offset(n) => GetRange::Offset(*n),
            OsGetRange::Suffix(n) => GetRange::Suffix(*n),
        }),
        if_match: o.if_match.clone(),
        if_none_match: o.if_none_match.clone(),
        if_modified_since: o
            .if_modified_since
            .map(|t| from_chrono(t, path))
            .transpose()?,
        if_unmodified_since: o
            .if_unmodified_since
            .map(|t| from_chrono(t, path))
            .transpose()?,
        version_id: o.version.clone(),
        part_number: None,
    })
}

/// s3lite's write result as object_store's.
pub(crate) fn put_result(r: PutResult) -> OsPutResult {
    OsPutResult {
        e_tag: r.etag,
        version: r.version_id,
        extensions: Default::default(),
    }
}

/// The pairs of a URL-encoded tag set (`k1=v1&k2=v2`, `+` for space), as
/// [`TagSet::encoded`] gives them; `None` for invalid percent-encoding.
fn decode_tags(encoded: &str) -> Option<Vec<(String, String)>> {
    encoded
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((form_decode(k)?, form_decode(v)?))
        })
        .collect()
}

/// Decodes `application/x-www-form-urlencoded` text: `+` is a space (a
/// literal `+` is always `%2B` there), then `%XX` escapes.
fn form_decode(s: &str) -> Option<String> {
    crate::config::percent_decode(&s.replace('+', " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_sets_decode_to_pairs() {
        let mut tags = TagSet::default();
        tags.push("team", "data eng");
        tags.push("a&b", "c=d/é");
        assert_eq!(
            decode_tags(tags.encoded()),
            Some(vec![
                ("team".to_string(), "data eng".to_string()),
                ("a&b".to_string(), "c=d/é".to_string()),
            ])
        );
        assert_eq!(decode_tags(""), Some(vec![]));
        assert_eq!(decode_tags("k=%zz"), None);
        assert_eq!(decode_tags("k=%4"), None);
    }

    #[test]
    fn prefixes_match_whole_segments() {
        assert_eq!(list_prefix(None), None);
        assert_eq!(list_prefix(Some(&Path::from("/"))), None);
        assert_eq!(
            list_prefix(Some(&Path::from("foo"))).as_deref(),
            Some("foo/")
        );
        assert_eq!(
            parse_path("a/b/").map(|p| p.to_string()).ok().as_deref(),
            Some("a/b")
        );
    }

    #[test]
    fn errors_keep_kind_path_and_source() {
        let e = Error::new(ErrorKind::NotFound, "GetObject b/k: NoSuchKey");
        match error(e, "k") {
            OsError::NotFound { path, source } => {
                assert_eq!(path, "k");
                assert!(source.to_string().contains("NoSuchKey"), "{source}");
            }
            other => panic!("{other:?}"),
        }
        let e = Error::new(ErrorKind::PreconditionFailed, "PutObject b/k");
        assert!(matches!(error(e, "k"), OsError::Precondition { .. }));
        let e = Error::new(ErrorKind::NotModified, "GetObject b/k");
        assert!(matches!(error(e, "k"), OsError::NotModified { .. }));
        let e = Error::new(ErrorKind::AlreadyExists, "PutObject b/k");
        assert!(matches!(error(e, "k"), OsError::AlreadyExists { .. }));
        let e = Error::new(ErrorKind::Timeout, "GetObject b/k");
        assert!(matches!(
            error(e, "k"),
            OsError::Generic { store: "S3", .. }
        ));
    }

    #[test]
    fn update_without_etag_is_refused_naming_the_path() {
        let mode = OsPutMode::Update(::object_store::UpdateVersion {
            e_tag: None,
            version: Some("v1".into()),
        });
        let e = put_options(mode, &Attributes::new(), &TagSet::default(), "a/b")
            .map(|_| ())
            .expect_err("no ETag");
        assert!(e.to_string().contains("a/b"), "{e}");
    }

    #[test]
    fn attributes_and_tags_become_put_options() {
        let attributes = Attributes::from_iter([
            (Attribute::ContentType, "text/csv"),
            (Attribute::CacheControl, "no-cache"),
            (Attribute::StorageClass, "STANDARD_IA"),
            (Attribute::Metadata("origin".into()), "import"),
        ]);
        let mut tags = TagSet::default();
        tags.push("k", "v");
        let o = put_options(OsPutMode::Create, &attributes, &tags, "p")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(o.mode, PutMode::Create);
        assert_eq!(o.content_type.as_deref(), Some("text/csv"));
        assert_eq!(o.cache_control.as_deref(), Some("no-cache"));
        assert_eq!(o.storage_class.as_deref(), Some("STANDARD_IA"));
        assert_eq!(o.metadata, [("origin".to_string(), "import".to_string())]);
        assert_eq!(o.tags, [("k".to_string(), "v".to_string())]);
    }
}
