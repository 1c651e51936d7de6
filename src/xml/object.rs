//! Object documents: the CopyObject / UploadPartCopy result and the
//! DeleteObjects request and result.

use time::OffsetDateTime;

use super::tree::{XmlWriter, parse_doc};
use crate::Result;

/// The result of [CopyObject] or [UploadPartCopy].
///
/// [CopyObject]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
/// [UploadPartCopy]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CopyObjectResult {
    /// The entity tag of the new object or part, quotes kept.
    pub etag: Option<String>,
    /// When the new object or part was written.
    pub last_modified: Option<OffsetDateTime>,
}

/// Reads a `<CopyObjectResult>` or `<CopyPartResult>` body.
///
/// S3 may answer a copy with `200 OK` and an `<Error>` body; check
/// [`is_error_body`](super::is_error_body) first. Given one, this returns an
/// error saying the root was `<Error>`.
///
/// # Errors
///
/// [`ErrorKind::Service`](crate::ErrorKind::Service) when the body is not
/// well-formed XML, its root is another element, or `<LastModified>` is not
/// a timestamp.
pub fn parse_copy_object_result(body: &[u8]) -> Result<CopyObjectResult> {
    parse_doc(body, &["CopyObjectResult", "CopyPartResult"], |root| {
        Ok(CopyObjectResult {
            etag: root.opt_trim("ETag"),
            last_modified: root.opt_date("LastModified")?,
        })
    })
}

/// One object to delete with [`write_delete_objects`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeleteObject<'a> {
    /// The object key.
    pub key: &'a str,
    /// The version to delete; `None` for the current one.
    pub version_id: Option<&'a str>,
}

impl<'a> DeleteObject<'a> {
    /// The current version of `key`.
    pub fn new(key: &'a str) -> Self {
        DeleteObject {
            key,
            version_id: None,
        }
    }
}

/// The [DeleteObjects] request body (`<Delete>`) for up to 1,000 objects.
///
/// With `quiet`, S3 reports only the failures. Text is escaped, including
/// carriage returns and line feeds in keys.
///
/// [DeleteObjects]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
pub fn write_delete_objects(objects: &[DeleteObject<'_>], quiet: bool) -> String {
    const ROOT: &str = "Delete";
    let mut w = XmlWriter::new(ROOT);
    if quiet {
        w.leaf("Quiet", "true");
    }
    for o in objects {
        w.open("Object")
            .leaf("Key", o.key)
            .opt_leaf("VersionId", o.version_id)
            .close("Object");
    }
    w.finish(ROOT)
}

/// An object S3 deleted (a `<Deleted>` element).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeletedEntry {
    /// The object key.
    pub key: String,
    /// The version deleted, when the request named one.
    pub version_id: Option<String>,
    /// Whether the delete created or removed a delete marker.
    pub delete_marker: bool,
}

/// An object S3 failed to delete (an `<Error>` element of `<DeleteResult>`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeleteErrorEntry {
    /// The object key.
    pub key: String,
    /// The version, when the request named one.
    pub version_id: Option<String>,
    /// The S3 error code (`AccessDenied`, `InternalError`, ...).
    pub code: String,
    /// S3's message.
    pub message: Option<String>,
}

/// The [DeleteObjects] response (`<DeleteResult>`).
///
/// [DeleteObjects]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DeleteResult {
    /// The objects deleted (empty in quiet mode).
    pub deleted: Vec<DeletedEntry>,
    /// The objects that could not be deleted.
    pub errors: Vec<DeleteErrorEntry>,
}

/// Reads a [DeleteObjects] response body (`<DeleteResult>`).
///
/// [DeleteObjects]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
///
/// # Errors
///
/// [`ErrorKind::Service`](crate::ErrorKind::Service) when the body is not
/// well-formed XML, its root is another element, a `<Deleted>` lacks `<Key>`,
/// or an `<Error>` lacks `<Key>` or `<Code>`.
pub fn parse_delete_result(body: &[u8]) -> Result<DeleteResult> {
    parse_doc(body, &["DeleteResult"], |root| {
        let deleted = root
            .children("Deleted")
            .map(|d| {
                Ok(DeletedEntry {
                    key: d.req("Key")?,
                    version_id: d.opt_trim("VersionId"),
                    delete_marker: d.flag("DeleteMarker")?,
                })
            })
            .collect::<Result<_>>()?;
        let errors = root
            .children("Error")
            .map(|e| {
                Ok(DeleteErrorEntry {
                    key: e.req("Key")?,
                    version_id: e.opt_trim("VersionId"),
                    code: e.opt_trim("Code").ok_or_else(|| e.missing("Code"))?,
                    message: e.opt_trim("Message"),
                })
            })
            .collect::<Result<_>>()?;
        Ok(DeleteResult { deleted, errors })
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on bad fixtures")]

    use super::*;
    use crate::date::parse_iso8601;
    use crate::xml::tree::read_tree;

    #[test]
    fn copy_object_result_reads_etag_and_date() {
        let body = include_bytes!("../../fixtures/copy_object_result.xml");
        let r = parse_copy_object_result(body).unwrap();
        assert_eq!(
            r.etag.as_deref(),
            Some("\"9b2cf535f27731c974343645a3985328\"")
        );
        assert_eq!(
            r.last_modified,
            Some(parse_iso8601("2009-10-28T22:32:00.000Z").unwrap())
        );
    }

    #[test]
    fn copy_part_result_is_accepted() {
        let body = include_bytes!("../../fixtures/copy_part_result.xml");
        let r = parse_copy_object_result(body).unwrap();
        assert_eq!(
            r.etag.as_deref(),
            Some("\"9b2cf535f27731c974343645a3985328\"")
        );
    }

    #[test]
    fn copy_with_error_body_is_an_error_naming_it() {
        let body = include_bytes!("../../fixtures/error_200_internal.xml");
        let msg = parse_copy_object_result(body).unwrap_err().to_string();
        assert!(msg.contains("found <Error>"), "{msg}");
    }

    #[test]
    fn delete_result_reads_mixed_deleted_and_errors() {
        let r = parse_delete_result(include_bytes!("../../fixtures/delete_result.xml")).unwrap();
        assert_eq!(r.deleted.len(), 2);
        assert_eq!(r.deleted[0].key, "sample1.txt");
        assert_eq!(r.deleted[0].version_id, None);
        assert!(!r.deleted[0].delete_marker);
        assert_eq!(r.deleted[1].key, "sample3.txt");
        assert_eq!(
            r.deleted[1].version_id.as_deref(),
            Some("OYcLXagmS.WaD..oyH4KRguB95_YhLs7")
        );
        assert!(r.deleted[1].delete_marker);
        assert_eq!(r.errors.len(), 2);
        assert_eq!(r.errors[0].key, "sample2.txt");
        assert_eq!(r.errors[0].code, "AccessDenied");
        assert_eq!(r.errors[0].message.as_deref(), Some("Access Denied"));
        assert_eq!(r.errors[1].key, "a & b");
        assert_eq!(r.errors[1].version_id.as_deref(), Some("v2"));
        assert_eq!(r.errors[1].message, None);
    }

    #[test]
    fn delete_result_error_without_code_is_rejected() {
        let body = b"<DeleteResult><Error><Key>k</Key></Error></DeleteResult>";
        let msg = parse_delete_result(body).unwrap_err().to_string();
        assert!(msg.contains("missing <Code> in <Error>"), "{msg}");
    }

    #[test]
    fn delete_objects_round_trips_special_keys() {
        let keys = [
            "plain.txt",
            "a & b < c > d \" e ' f",
            "café/日本語 🎉",
            "line\r\nbreak\ttab",
            "  spaced  ",
            "100%25+plus",
            "]]>",
        ];
        let mut objects: Vec<_> = keys.iter().map(|k| DeleteObject::new(k)).collect();
        objects[1].version_id = Some("v&1");
        for quiet in [false, true] {
            let body = write_delete_objects(&objects, quiet);
            let root = read_tree(body.as_bytes()).unwrap();
            assert_eq!(root.name(), "Delete");
            assert_eq!(root.flag("Quiet").unwrap(), quiet);
            let back: Vec<_> = root
                .children("Object")
                .map(|o| (o.req("Key").unwrap(), o.opt("VersionId")))
                .collect();
            assert_eq!(back.len(), keys.len());
            for ((key, version), want) in back.iter().zip(&objects) {
                assert_eq!(key, want.key);
                assert_eq!(version.as_deref(), want.version_id);
            }
        }
    }

    #[test]
    fn delete_objects_body_has_namespace_and_escapes() {
        let body = write_delete_objects(&[DeleteObject::new("a<b")], true);
        assert_eq!(
            body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>\
             <Object><Key>a&lt;b</Key></Object></Delete>"
        );
    }
}
