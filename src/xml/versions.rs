//! Versioning documents: ListObjectVersions, Get/PutBucketVersioning and
//! Get/PutObjectTagging.

use time::OffsetDateTime;

use super::list::common_prefixes;
use super::tree::{KeyEncoding, Node, XmlWriter, parse_doc, service_error};
use crate::Result;

/// One version of an object in a [`ListObjectVersionsPage`]: a `<Version>`
/// or a `<DeleteMarker>` element.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectVersion {
    /// The object key.
    pub key: String,
    /// The version id; `null` for a version written while versioning was
    /// off.
    pub version_id: String,
    /// Whether this is the current version of the key.
    pub is_latest: bool,
    /// When this version was written (or the delete marker placed).
    pub last_modified: OffsetDateTime,
    /// The entity tag, quotes kept; `None` for a delete marker.
    pub etag: Option<String>,
    /// The size in bytes; 0 for a delete marker.
    pub size: u64,
    /// The storage class, where sent.
    pub storage_class: Option<String>,
    /// Whether this entry is a delete marker rather than data.
    pub delete_marker: bool,
}

/// One page of a ListObjectVersions response (`<ListVersionsResult>`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ListObjectVersionsPage {
    /// Versions and delete markers in the order S3 sent them: by key, then
    /// newest first.
    pub versions: Vec<ObjectVersion>,
    /// The prefixes rolled up by the delimiter.
    pub common_prefixes: Vec<String>,
    /// Whether more pages follow.
    pub is_truncated: bool,
    /// `<NextKeyMarker>`: the `key-marker` of the next page.
    pub next_key_marker: Option<String>,
    /// `<NextVersionIdMarker>`: the `version-id-marker` of the next page.
    pub next_version_id_marker: Option<String>,
}

/// Reads a [ListObjectVersions] response body (`<ListVersionsResult>`);
/// keys are url-decoded when the body says `<EncodingType>url`, as in
/// [`parse_list_objects_v2`](super::parse_list_objects_v2).
///
/// [ListObjectVersions]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
///
/// # Errors
///
/// [`ErrorKind::Service`](crate::ErrorKind::Service), naming the element,
/// when the body is not well-formed XML, its root is another element, or a
/// `<Version>` / `<DeleteMarker>` lacks `Key`, `VersionId` or
/// `LastModified`, or has an unreadable value.
///
/// ```
/// # fn main() -> s3lite::Result<()> {
/// let body = br#"<ListVersionsResult><IsTruncated>false</IsTruncated>
///   <DeleteMarker><Key>a.txt</Key><VersionId>v2</VersionId><IsLatest>true</IsLatest>
///     <LastModified>2026-01-02T00:00:00.000Z</LastModified></DeleteMarker>
///   <Version><Key>a.txt</Key><VersionId>v1</VersionId><IsLatest>false</IsLatest>
///     <LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>"e"</ETag><Size>3</Size></Version>
/// </ListVersionsResult>"#;
/// let page = s3lite::xml::parse_list_object_versions(body)?;
/// assert!(page.versions[0].delete_marker && page.versions[0].is_latest);
/// assert_eq!((page.versions[1].version_id.as_str(), page.versions[1].size), ("v1", 3));
/// # Ok(())
/// # }
/// ```
pub fn parse_list_object_versions(body: &[u8]) -> Result<ListObjectVersionsPage> {
    parse_doc(body, &["ListVersionsResult"], |root| {
        let enc = KeyEncoding::of(root);
        let versions = root
            .elements()
            .filter(|c| matches!(c.name(), "Version" | "DeleteMarker"))
            .map(|c| version_entry(c, enc))
            .collect::<Result<_>>()?;
        Ok(ListObjectVersionsPage {
            versions,
            common_prefixes: common_prefixes(root, enc)?,
            is_truncated: root.flag("IsTruncated")?,
            next_key_marker: enc.opt(root, "NextKeyMarker")?.filter(|m| !m.is_empty()),
            next_version_id_marker: root.opt_trim("NextVersionIdMarker"),
        })
    })
}

fn version_entry(c: &Node<'_>, enc: KeyEncoding) -> Result<ObjectVersion> {
    let delete_marker = c.name() == "DeleteMarker";
    Ok(ObjectVersion {
        key: enc.req(c, "Key")?,
        version_id: c
            .opt_trim("VersionId")
            .ok_or_else(|| c.missing("VersionId"))?,
        is_latest: c.flag("IsLatest")?,
        last_modified: c.req_date("LastModified")?,
        etag: c.opt_trim("ETag"),
        size: if delete_marker { 0 } else { c.req_num("Size")? },
        storage_class: c.opt_trim("StorageClass"),
        delete_marker,
    })
}

/// A bucket's versioning state ([GetBucketVersioning]).
///
/// [GetBucketVersioning]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketVersioning.html
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VersioningStatus {
    /// Versioning was never turned on: the answer has no `<Status>`.
    Unversioned,
    /// `Enabled`: every write keeps the versions before it.
    Enabled,
    /// `Suspended`: turned on once, now off; old versions are kept.
    Suspended,
}

impl VersioningStatus {
    /// The `<Status>` value: `Enabled` or `Suspended`; `None` for
    /// `Unversioned`, which cannot be set.
    pub fn as_status(self) -> Option<&'static str> {
        match self {
            VersioningStatus::Unversioned => None,
            VersioningStatus::Enabled => Some("Enabled"),
            VersioningStatus::Suspended => Some("Suspended"),
        }
    }
}

/// Reads a GetBucketVersioning response body (`<VersioningConfiguration>`).
///
/// # Errors
///
/// [`ErrorKind::Service`](crate::ErrorKind::Service) when the body is not
/// well-formed XML, its root is another element, or `<Status>` holds
/// something other than `Enabled` or `Suspended`.
pub fn parse_bucket_versioning(body: &[u8]) -> Result<VersioningStatus> {
    parse_doc(body, &["VersioningConfiguration"], |root| {
        match root.opt_trim("Status").as_deref() {
            None => Ok(VersioningStatus::Unversioned),
            Some("Enabled") => Ok(VersioningStatus::Enabled),
            Some("Suspended") => Ok(VersioningStatus::Suspended),
            Some(other) => Err(service_error(format!(
                "VersioningConfiguration: unknown <Status> {other:?}"
            ))),
        }
    })
}

/// The [PutBucketVersioning] request body setting `status` (`Enabled` or
/// `Suspended`).
///
/// [PutBucketVersioning]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketVersioning.html
pub fn write_bucket_versioning(status: &str) -> String {
    const ROOT: &str = "VersioningConfiguration";
    let mut w = XmlWriter::new(ROOT);
    w.leaf("Status", status);
    w.finish(ROOT)
}

/// Reads a [GetObjectTagging] response body (`<Tagging>`): the tags as
/// `(key, value)` pairs, in the order sent.
///
/// [GetObjectTagging]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectTagging.html
///
/// # Errors
///
/// [`ErrorKind::Service`](crate::ErrorKind::Service) when the body is not
/// well-formed XML, its root is another element, or a `<Tag>` lacks `Key`
/// or `Value`.
pub fn parse_tagging(body: &[u8]) -> Result<Vec<(String, String)>> {
    parse_doc(body, &["Tagging"], |root| {
        root.children("TagSet")
            .flat_map(|s| s.children("Tag"))
            .map(|t| Ok((t.req("Key")?, t.req("Value")?)))
            .collect()
    })
}

/// The [PutObjectTagging] request body (`<Tagging><TagSet>...`), text
/// escaped.
///
/// [PutObjectTagging]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html
pub fn write_tagging(tags: &[(String, String)]) -> String {
    const ROOT: &str = "Tagging";
    let mut w = XmlWriter::new(ROOT);
    w.open("TagSet");
    for (k, v) in tags {
        w.open("Tag").leaf("Key", k).leaf("Value", v).close("Tag");
    }
    w.close("TagSet");
    w.finish(ROOT)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on bad fixtures")]

    use super::*;
    use crate::ErrorKind;

    #[test]
    fn versions_keep_document_order_and_markers() {
        let body = br#"<?xml version="1.0"?>
<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>b</Name><Prefix></Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker>
  <NextKeyMarker>b.txt</NextKeyMarker><NextVersionIdMarker>v9</NextVersionIdMarker>
  <MaxKeys>3</MaxKeys><IsTruncated>true</IsTruncated>
  <Version><Key>a.txt</Key><VersionId>v3</VersionId><IsLatest>true</IsLatest>
    <LastModified>2026-01-03T00:00:00.000Z</LastModified><ETag>"x"</ETag><Size>1</Size>
    <StorageClass>STANDARD</StorageClass></Version>
  <DeleteMarker><Key>a.txt</Key><VersionId>v2</VersionId><IsLatest>false</IsLatest>
    <LastModified>2026-01-02T00:00:00.000Z</LastModified></DeleteMarker>
  <Version><Key>a.txt</Key><VersionId>null</VersionId><IsLatest>false</IsLatest>
    <LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>"y"</ETag><Size>22</Size></Version>
  <CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes>
</ListVersionsResult>"#;
        let page = parse_list_object_versions(body).unwrap();
        let ids: Vec<(&str, bool, u64)> = page
            .versions
            .iter()
            .map(|v| (v.version_id.as_str(), v.delete_marker, v.size))
            .collect();
        assert_eq!(
            ids,
            [("v3", false, 1), ("v2", true, 0), ("null", false, 22)]
        );
        assert!(page.versions[0].is_latest && !page.versions[1].is_latest);
        assert_eq!(page.versions[1].etag, None);
        assert!(page.is_truncated);
        assert_eq!(page.next_key_marker.as_deref(), Some("b.txt"));
        assert_eq!(page.next_version_id_marker.as_deref(), Some("v9"));
        assert_eq!(page.common_prefixes, ["dir/"]);
    }

    #[test]
    fn versions_need_their_identity() {
        let no_id = br#"<ListVersionsResult><IsTruncated>false</IsTruncated><Version><Key>a</Key>
            <IsLatest>true</IsLatest><LastModified>2026-01-01T00:00:00Z</LastModified><Size>1</Size>
            </Version></ListVersionsResult>"#;
        let e = parse_list_object_versions(no_id).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Service);
        assert!(e.to_string().contains("VersionId"), "{e}");
        let wrong_root = br#"<ListBucketResult></ListBucketResult>"#;
        assert!(parse_list_object_versions(wrong_root).is_err());
    }

    #[test]
    fn versioning_status_round_trips() {
        for status in [VersioningStatus::Enabled, VersioningStatus::Suspended] {
            let body = write_bucket_versioning(status.as_status().unwrap());
            assert_eq!(parse_bucket_versioning(body.as_bytes()).unwrap(), status);
        }
        let never =
            br#"<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>"#;
        assert_eq!(
            parse_bucket_versioning(never).unwrap(),
            VersioningStatus::Unversioned
        );
        let odd = br#"<VersioningConfiguration><Status>On</Status></VersioningConfiguration>"#;
        let e = parse_bucket_versioning(odd).unwrap_err();
        assert!(e.to_string().contains("\"On\""), "{e}");
    }

    #[test]
    fn tagging_round_trips_with_escaping() {
        let tags = vec![
            ("project".to_string(), "a&b <c>".to_string()),
            ("empty".to_string(), String::new()),
            ("ünï".to_string(), "\"q\" 'a'".to_string()),
        ];
        let body = write_tagging(&tags);
        assert!(body.contains("a&amp;b &lt;c&gt;"), "{body}");
        assert_eq!(parse_tagging(body.as_bytes()).unwrap(), tags);
        assert!(
            parse_tagging(b"<Tagging><TagSet/></Tagging>")
                .unwrap()
                .is_empty()
        );
        let e = parse_tagging(b"<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>")
            .unwrap_err();
        assert!(e.to_string().contains("Value"), "{e}");
    }
}
