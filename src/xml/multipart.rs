//! Multipart upload documents: initiate, complete (request and result), list
//! parts and list uploads.

use time::OffsetDateTime;

use super::list::common_prefixes;
use super::tree::{KeyEncoding, Node, XmlWriter, parse_doc};
use crate::Result;

/// Reads a [CreateMultipartUpload] response body and returns its `<UploadId>`.
///
/// [CreateMultipartUpload]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
///
/// # Errors
///
/// [`ErrorKind::Service`](crate::ErrorKind::Service) when the body is not
/// well-formed XML, its root is not `<InitiateMultipartUploadResult>`, or it
/// has no non-blank `<UploadId>`.
pub fn parse_initiate_multipart_upload(body: &[u8]) -> Result<String> {
    parse_doc(body, &["InitiateMultipartUploadResult"], |root| {
        root.opt_trim("UploadId")
            .ok_or_else(|| root.missing("UploadId"))
    })
}

/// A part to list in [`write_complete_multipart_upload`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompletedPart {
    /// The part number, 1 to 10,000.
    pub part_number: u32,
    /// The part's entity tag as UploadPart returned it, quotes kept.
    pub etag: String,
    /// The part's base64 CRC-32, when the upload uses that checksum.
    pub checksum_crc32: Option<String>,
    /// The part's base64 CRC-32C.
    pub checksum_crc32c: Option<String>,
    /// The part's base64 CRC-64/NVME.
    pub checksum_crc64nvme: Option<String>,
    /// The part's base64 SHA-1.
    pub checksum_sha1: Option<String>,
    /// The part's base64 SHA-256.
    pub checksum_sha256: Option<String>,
    /// The part's size in bytes, when known: it lets the full-object CRC of
    /// the upload be combined from the part CRCs. Not sent in the XML.
    pub size: Option<u64>,
}

impl CompletedPart {
    /// A part without checksums; set the `checksum_*` fields to add them.
    pub fn new(part_number: u32, etag: impl Into<String>) -> Self {
        CompletedPart {
            part_number,
            etag: etag.into(),
            checksum_crc32: None,
            checksum_crc32c: None,
            checksum_crc64nvme: None,
            checksum_sha1: None,
            checksum_sha256: None,
            size: None,
        }
    }
}

/// The [CompleteMultipartUpload] request body. Parts are written in the
/// order given; S3 wants ascending part numbers.
///
/// [CompleteMultipartUpload]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
pub fn write_complete_multipart_upload(parts: &[CompletedPart]) -> String {
    const ROOT: &str = "CompleteMultipartUpload";
    let mut w = XmlWriter::new(ROOT);
    for p in parts {
        w.open("Part")
            .leaf("ETag", &p.etag)
            .opt_leaf("ChecksumCRC32", p.checksum_crc32.as_deref())
            .opt_leaf("ChecksumCRC32C", p.checksum_crc32c.as_deref())
            .opt_leaf("ChecksumCRC64NVME", p.checksum_crc64nvme.as_deref())
            .opt_leaf("ChecksumSHA1", p.checksum_sha1.as_deref())
            .opt_leaf("ChecksumSHA256", p.checksum_sha256.as_deref())
            .leaf("PartNumber", &p.part_number.to_string())
            .close("Part");
    }
    w.finish(ROOT)
}

/// The [CompleteMultipartUpload] response (`<CompleteMultipartUploadResult>`).
///
/// [CompleteMultipartUpload]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CompleteMultipartUploadResult {
    /// The URL of the new object.
    pub location: Option<String>,
    /// The bucket.
    pub bucket: Option<String>,
    /// The object key.
    pub key: Option<String>,
    /// The object's entity tag, quotes kept (`"...-9"` for 9 parts).
    pub etag: Option<String>,
    /// The object's base64 CRC-32.
    pub checksum_crc32: Option<String>,
    /// The object's base64 CRC-32C.
    pub checksum_crc32c: Option<String>,
    /// The object's base64 CRC-64/NVME.
    pub checksum_crc64nvme: Option<String>,
    /// The object's base64 SHA-1.
    pub checksum_sha1: Option<String>,
    /// The object's base64 SHA-256.
    pub checksum_sha256: Option<String>,
    /// `COMPOSITE` or `FULL_OBJECT`.
    pub checksum_type: Option<String>,
}

/// Reads a [CompleteMultipartUpload] response body.
///
/// S3 may answer with `200 OK` and an `<Error>` body, even after a delay;
/// check [`is_error_body`](super::is_error_body) first. Given one, this
/// returns an error saying the root was `<Error>`.
///
/// [CompleteMultipartUpload]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
///
/// # Errors
///
/// [`ErrorKind::Service`](crate::ErrorKind::Service) when the body is not
/// well-formed XML or its root is not `<CompleteMultipartUploadResult>`.
pub fn parse_complete_multipart_upload(body: &[u8]) -> Result<CompleteMultipartUploadResult> {
    parse_doc(body, &["CompleteMultipartUploadResult"], |root| {
        Ok(CompleteMultipartUploadResult {
            location: root.opt_trim("Location"),
            bucket: root.opt_trim("Bucket"),
            key: root.opt("Key"),
            etag: root.opt_trim("ETag"),
            checksum_crc32: root.opt_trim("ChecksumCRC32"),
            checksum_crc32c: root.opt_trim("ChecksumCRC32C"),
            checksum_crc64nvme: root.opt_trim("ChecksumCRC64NVME"),
            checksum_sha1: root.opt_trim("ChecksumSHA1"),
            checksum_sha256: root.opt_trim("ChecksumSHA256"),
            checksum_type: root.opt_trim("ChecksumType"),
        })
    })
}

/// An uploaded part of a [`ListPartsPage`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PartEntry {
    /// The part number.
    pub part_number: u32,
    /// The part's entity tag, quotes kept.
    pub etag: String,
    /// The part's size in bytes.
    pub size: u64,
    /// When the part was uploaded.
    pub last_modified: Option<OffsetDateTime>,
}

/// One page of a [ListParts] response (`<ListPartsResult>`).
///
/// [ListParts]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ListPartsPage {
    /// The parts of this page, by part number.
    pub parts: Vec<PartEntry>,
    /// Whether more pages follow.
    pub is_truncated: bool,
    /// The `part-number-marker` for the next page.
    pub next_part_number_marker: Option<u32>,
}

/// Reads a [ListParts] response body.
///
/// [ListParts]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html
///
/// # Errors
///
/// [`ErrorKind::Service`](crate::ErrorKind::Service) when the body is not
/// well-formed XML, its root is not `<ListPartsResult>`, or a `<Part>` lacks
/// `PartNumber`, `ETag` or `Size` or has an unreadable value.
pub fn parse_list_parts(body: &[u8]) -> Result<ListPartsPage> {
    parse_doc(body, &["ListPartsResult"], |root| {
        Ok(ListPartsPage {
            parts: root
                .children("Part")
                .map(part_entry)
                .collect::<Result<_>>()?,
            is_truncated: root.flag("IsTruncated")?,
            next_part_number_marker: root.opt_num("NextPartNumberMarker")?,
        })
    })
}

fn part_entry(p: &Node<'_>) -> Result<PartEntry> {
    Ok(PartEntry {
        part_number: p.req_num("PartNumber")?,
        etag: p.opt_trim("ETag").ok_or_else(|| p.missing("ETag"))?,
        size: p.req_num("Size")?,
        last_modified: p.opt_date("LastModified")?,
    })
}

/// An upload in progress, from a [`ListMultipartUploadsPage`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadEntry {
    /// The object key, url-decoded when the listing was url-encoded.
    pub key: String,
    /// The upload id.
    pub upload_id: String,
    /// When the upload was created.
    pub initiated: Option<OffsetDateTime>,
}

/// One page of a [ListMultipartUploads] response
/// (`<ListMultipartUploadsResult>`).
///
/// [ListMultipartUploads]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ListMultipartUploadsPage {
    /// The uploads of this page.
    pub uploads: Vec<UploadEntry>,
    /// The prefixes rolled up by the delimiter.
    pub common_prefixes: Vec<String>,
    /// Whether more pages follow.
    pub is_truncated: bool,
    /// The `key-marker` for the next page.
    pub next_key_marker: Option<String>,
    /// The `upload-id-marker` for the next page.
    pub next_upload_id_marker: Option<String>,
}

/// Reads a [ListMultipartUploads] response body.
///
/// Honours `<EncodingType>url</EncodingType>` like
/// [`parse_list_objects_v2`](super::parse_list_objects_v2): `Key`,
/// `NextKeyMarker` and the common prefixes are then url-decoded.
///
/// [ListMultipartUploads]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html
///
/// # Errors
///
/// [`ErrorKind::Service`](crate::ErrorKind::Service) when the body is not
/// well-formed XML, its root is not `<ListMultipartUploadsResult>`, or an
/// `<Upload>` lacks `Key` or `UploadId` or has an unreadable value.
pub fn parse_list_multipart_uploads(body: &[u8]) -> Result<ListMultipartUploadsPage> {
    parse_doc(body, &["ListMultipartUploadsResult"], |root| {
        let enc = KeyEncoding::of(root);
        let next_key_marker = match root.child("NextKeyMarker") {
            Some(m) if !m.text().is_empty() => Some(enc.decode(m.text(), "NextKeyMarker")?),
            _ => None,
        };
        Ok(ListMultipartUploadsPage {
            uploads: root
                .children("Upload")
                .map(|u| {
                    Ok(UploadEntry {
                        key: enc.req(u, "Key")?,
                        upload_id: u
                            .opt_trim("UploadId")
                            .ok_or_else(|| u.missing("UploadId"))?,
                        initiated: u.opt_date("Initiated")?,
                    })
                })
                .collect::<Result<_>>()?,
            common_prefixes: common_prefixes(root, enc)?,
            is_truncated: root.flag("IsTruncated")?,
            next_key_marker,
            next_upload_id_marker: root.opt_trim("NextUploadIdMarker"),
        })
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on bad fixtures")]

    use super::*;
    use crate::date::parse_iso8601;
    use crate::xml::tree::read_tree;

    #[test]
    fn initiate_gives_upload_id() {
        let body = include_bytes!("../../fixtures/initiate_multipart_upload.xml");
        assert_eq!(
            parse_initiate_multipart_upload(body).unwrap(),
            "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"
        );
    }

    #[test]
    fn initiate_without_upload_id_names_it() {
        let body = b"<InitiateMultipartUploadResult><UploadId> </UploadId></InitiateMultipartUploadResult>";
        let msg = parse_initiate_multipart_upload(body)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("missing <UploadId>"), "{msg}");
    }

    #[test]
    fn complete_result_reads_etag_and_checksum() {
        let body = include_bytes!("../../fixtures/complete_multipart_upload.xml");
        let r = parse_complete_multipart_upload(body).unwrap();
        assert_eq!(r.bucket.as_deref(), Some("Example-Bucket"));
        assert_eq!(r.key.as_deref(), Some("Example-Object"));
        assert_eq!(
            r.etag.as_deref(),
            Some("\"3858f62230ac3c915f300c664312c11f-9\"")
        );
        assert_eq!(r.checksum_crc32c.as_deref(), Some("sOO8/Q=="));
        assert_eq!(r.checksum_type.as_deref(), Some("COMPOSITE"));
        assert!(r.location.unwrap().starts_with("http://Example-Bucket"));
    }

    #[test]
    fn complete_with_error_body_is_an_error() {
        let body = include_bytes!("../../fixtures/error_200_internal.xml");
        let msg = parse_complete_multipart_upload(body)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("found <Error>"), "{msg}");
    }

    #[test]
    fn complete_request_round_trips_parts_and_checksums() {
        let mut second = CompletedPart::new(2, "\"b&<>'\"");
        second.checksum_crc32 = Some("AAAAAA==".into());
        second.checksum_sha256 = Some("n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=".into());
        second.checksum_crc64nvme = Some("é&".into());
        let parts = [
            CompletedPart::new(1, "\"a54357aff0632cce46d942af68356b38\""),
            second,
        ];
        let body = write_complete_multipart_upload(&parts);
        let root = read_tree(body.as_bytes()).unwrap();
        assert_eq!(root.name(), "CompleteMultipartUpload");
        let back: Vec<CompletedPart> = root
            .children("Part")
            .map(|p| CompletedPart {
                part_number: p.req_num("PartNumber").unwrap(),
                etag: p.req("ETag").unwrap(),
                checksum_crc32: p.opt("ChecksumCRC32"),
                checksum_crc32c: p.opt("ChecksumCRC32C"),
                checksum_crc64nvme: p.opt("ChecksumCRC64NVME"),
                checksum_sha1: p.opt("ChecksumSHA1"),
                checksum_sha256: p.opt("ChecksumSHA256"),
                size: None,
            })
            .collect();
        assert_eq!(back, parts);
        assert!(body.contains("<Part><ETag>&quot;a54357aff0632cce46d942af68356b38&quot;</ETag><PartNumber>1</PartNumber></Part>"), "{body}");
    }

    #[test]
    fn list_parts_reads_parts_and_marker() {
        let page = parse_list_parts(include_bytes!("../../fixtures/list_parts.xml")).unwrap();
        assert!(page.is_truncated);
        assert_eq!(page.next_part_number_marker, Some(3));
        assert_eq!(page.parts.len(), 2);
        assert_eq!(page.parts[0].part_number, 2);
        assert_eq!(page.parts[0].etag, "\"7778aef83f66abc1fa1e8477f296d394\"");
        assert_eq!(page.parts[0].size, 10_485_760);
        assert_eq!(
            page.parts[0].last_modified,
            Some(parse_iso8601("2010-11-10T20:48:34.000Z").unwrap())
        );
        assert_eq!(page.parts[1].part_number, 3);
    }

    #[test]
    fn list_parts_bad_part_number_names_it() {
        let body = b"<ListPartsResult><Part><PartNumber>x</PartNumber><ETag>e</ETag><Size>1</Size></Part></ListPartsResult>";
        let msg = parse_list_parts(body).unwrap_err().to_string();
        assert!(msg.contains("<PartNumber> \"x\" in <Part>"), "{msg}");
    }

    #[test]
    fn list_uploads_reads_uploads_and_markers() {
        let body = include_bytes!("../../fixtures/list_multipart_uploads.xml");
        let page = parse_list_multipart_uploads(body).unwrap();
        assert!(page.is_truncated);
        assert_eq!(page.next_key_marker.as_deref(), Some("my-movie.m2ts"));
        assert_eq!(
            page.next_upload_id_marker.as_deref(),
            Some("YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ")
        );
        assert_eq!(page.uploads.len(), 2);
        assert_eq!(page.uploads[0].key, "my-divisor");
        assert_eq!(
            page.uploads[0].upload_id,
            "XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw"
        );
        assert_eq!(
            page.uploads[0].initiated,
            Some(parse_iso8601("2010-11-10T20:48:33.000Z").unwrap())
        );
        assert!(page.common_prefixes.is_empty());
    }

    #[test]
    fn list_uploads_url_encoding_decodes_keys_and_markers() {
        let body = include_bytes!("../../fixtures/list_multipart_uploads_url.xml");
        let page = parse_list_multipart_uploads(body).unwrap();
        assert_eq!(page.uploads[0].key, "photos/café");
        assert_eq!(page.next_key_marker.as_deref(), Some("photos/café"));
        assert_eq!(page.common_prefixes, ["photos/2024 trip/"]);
        assert_eq!(page.next_upload_id_marker.as_deref(), Some("abc"));
    }
}
