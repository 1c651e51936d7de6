//! S3 XML bodies: one `parse_*` function per response document and one
//! `write_*` function per request document.
//!
//! Pure: no I/O, no async. Every document goes through one small reader
//! built on quick-xml's event reader, which
//!
//! - tolerates a BOM, an XML declaration, comments and whitespace before the
//!   root, and any namespace or prefix (`xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`);
//! - skips elements it does not know;
//! - resolves `&amp;`-style entities, character references and CDATA, and
//!   keeps text such as keys exactly as sent (no trimming);
//! - reports malformed XML, a wrong root or a missing required element as an
//!   [`ErrorKind::Service`](crate::ErrorKind::Service) error naming the
//!   document and element, and never panics.
//!
//! Writers escape `& < > " '` and control characters (CR and LF included) in
//! text.
//!
//! Listings requested with `encoding-type=url` are decoded only when the
//! response itself says `<EncodingType>url</EncodingType>`; see
//! [`parse_list_objects_v2`].

mod error;
mod list;
mod multipart;
mod object;
mod sts;
mod tree;
mod versions;

#[cfg(feature = "_fuzz")]
pub(crate) use tree::{XmlWriter, read_tree};

pub use error::{S3ErrorBody, is_error_body, parse_error};
pub use list::{
    Bucket, ListObjectsV2Page, ObjectEntry, parse_list_buckets, parse_list_objects_v2,
    parse_location_constraint, write_create_bucket_configuration,
};
pub use multipart::{
    CompleteMultipartUploadResult, CompletedPart, ListMultipartUploadsPage, ListPartsPage,
    PartEntry, UploadEntry, parse_complete_multipart_upload, parse_initiate_multipart_upload,
    parse_list_multipart_uploads, parse_list_parts, write_complete_multipart_upload,
};
pub use object::{
    CopyObjectResult, DeleteErrorEntry, DeleteObject, DeleteResult, DeletedEntry,
    parse_copy_object_result, parse_delete_result, write_delete_objects,
};
pub use sts::{
    StsCredentials, StsError, parse_create_session, parse_sts_credentials, parse_sts_error,
};
pub use versions::{
    ListObjectVersionsPage, ObjectVersion, VersioningStatus, parse_bucket_versioning,
    parse_list_object_versions, parse_tagging, write_bucket_versioning, write_tagging,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    const FIXTURES: [&[u8]; 21] = [
        include_bytes!("../../fixtures/complete_multipart_upload.xml"),
        include_bytes!("../../fixtures/copy_object_result.xml"),
        include_bytes!("../../fixtures/copy_part_result.xml"),
        include_bytes!("../../fixtures/delete_result.xml"),
        include_bytes!("../../fixtures/error_200_internal.xml"),
        include_bytes!("../../fixtures/error_authorization_header_malformed.xml"),
        include_bytes!("../../fixtures/error_no_such_key.xml"),
        include_bytes!("../../fixtures/error_permanent_redirect.xml"),
        include_bytes!("../../fixtures/error_slow_down.xml"),
        include_bytes!("../../fixtures/initiate_multipart_upload.xml"),
        include_bytes!("../../fixtures/list_buckets.xml"),
        include_bytes!("../../fixtures/list_multipart_uploads.xml"),
        include_bytes!("../../fixtures/list_multipart_uploads_url.xml"),
        include_bytes!("../../fixtures/list_objects_v2.xml"),
        include_bytes!("../../fixtures/list_objects_v2_delimiter.xml"),
        include_bytes!("../../fixtures/list_objects_v2_raw.xml"),
        include_bytes!("../../fixtures/list_objects_v2_truncated.xml"),
        include_bytes!("../../fixtures/list_objects_v2_url.xml"),
        include_bytes!("../../fixtures/list_parts.xml"),
        include_bytes!("../../fixtures/location_constraint.xml"),
        include_bytes!("../../fixtures/location_constraint_empty.xml"),
    ];

    /// Runs every parser on `body`; returns how many succeeded. Errors must
    /// be of kind `Service`.
    fn parse_with_all(body: &[u8]) -> usize {
        let results = [
            parse_list_objects_v2(body).map(drop),
            parse_copy_object_result(body).map(drop),
            parse_list_buckets(body).map(drop),
            parse_location_constraint(body).map(drop),
            parse_initiate_multipart_upload(body).map(drop),
            parse_complete_multipart_upload(body).map(drop),
            parse_list_parts(body).map(drop),
            parse_list_multipart_uploads(body).map(drop),
            parse_delete_result(body).map(drop),
        ];
        let _ = is_error_body(body);
        let error = parse_error(body).is_some();
        let mut ok = usize::from(error);
        for r in results {
            match r {
                Ok(()) => ok += 1,
                Err(e) => assert_eq!(e.kind(), ErrorKind::Service, "{e}"),
            }
        }
        ok
    }

    #[test]
    fn every_fixture_is_read_by_exactly_one_parser() {
        for (i, body) in FIXTURES.iter().enumerate() {
            assert_eq!(parse_with_all(body), 1, "fixture #{i}");
        }
    }

    #[test]
    fn truncated_bodies_never_panic_and_are_rejected() {
        for body in FIXTURES {
            let end = body.iter().rposition(|&b| b == b'>').unwrap_or(0);
            for cut in 0..end {
                let prefix = &body[..cut];
                let ok = parse_with_all(prefix);
                // A cut <Error> keeps its complete fields; every other
                // document must fail once its root is no longer closed.
                if parse_error(prefix).is_none() {
                    assert_eq!(ok, 0, "prefix of {cut} bytes parsed: {prefix:?}");
                }
            }
        }
    }

    #[test]
    fn garbage_bodies_never_panic() {
        let mut garbage: Vec<Vec<u8>> = [
            &b""[..],
            b"\xef\xbb\xbf",
            b"\xff\xfe<\x00E\x00",
            b"<",
            b"</",
            b"<>",
            b"<!--",
            b"<![CDATA[",
            b"<?xml",
            b"<a b='",
            b"<a>&",
            b"<a>&#xFFFFFFFF;</a>",
            b"<a>&#xD800;</a>",
            b"<ListBucketResult><Contents><Key>k</Key></Contents>",
            b"<ListBucketResult><Contents><Key>k</Key><Size>99999999999999999999999</Size>\
              <LastModified>x</LastModified></Contents></ListBucketResult>",
            b"<ListBucketResult><EncodingType>url</EncodingType><Prefix>%</Prefix></ListBucketResult>",
            b"<LocationConstraint><LocationConstraint/></LocationConstraint>",
            b"{\"json\": true}",
        ]
        .iter()
        .map(|b| b.to_vec())
        .collect();
        // Every byte flipped in a real body, and every byte value at one spot.
        let base = FIXTURES[13];
        for i in (0..base.len()).step_by(7) {
            let mut b = base.to_vec();
            b[i] ^= 0x55;
            garbage.push(b);
        }
        for v in 0..=255u8 {
            let mut b = base.to_vec();
            b[base.len() / 2] = v;
            garbage.push(b);
        }
        for body in &garbage {
            parse_with_all(body);
        }
    }
}
