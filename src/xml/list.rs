//! Listing documents: ListObjectsV2, ListBuckets, GetBucketLocation, and the
//! CreateBucket request body.

use time::OffsetDateTime;

use super::tree::{KeyEncoding, Node, XmlWriter, parse_doc};
use crate::Result;

/// One object of a [`ListObjectsV2Page`] (a `<Contents>` element).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectEntry {
    /// The object key, url-decoded when the listing was url-encoded.
    pub key: String,
    /// When the object was last written.
    pub last_modified: OffsetDateTime,
    /// The entity tag as sent, quotes kept: `"fba9dede5f27731c9771645a39863328"`.
    pub etag: Option<String>,
    /// The size in bytes.
    pub size: u64,
    /// `STANDARD`, `STANDARD_IA`, `GLACIER`, ...
    pub storage_class: Option<String>,
    /// `<Owner><ID>`, sent when the request asked for `fetch-owner`.
    pub owner_id: Option<String>,
    /// The first `<ChecksumAlgorithm>` (`CRC32`, `CRC64NVME`, ...).
    pub checksum_algorithm: Option<String>,
}

/// One page of a ListObjectsV2 response (`<ListBucketResult>`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ListObjectsV2Page {
    /// The objects of this page, in key order.
    pub contents: Vec<ObjectEntry>,
    /// The prefixes rolled up by the delimiter (`photos/2006/January/`).
    pub common_prefixes: Vec<String>,
    /// Whether more pages follow.
    pub is_truncated: bool,
    /// The token for the next page; `None` when absent or empty.
    pub next_continuation_token: Option<String>,
    /// `<KeyCount>`: keys plus common prefixes on this page.
    pub key_count: Option<u64>,
    /// The prefix the listing was restricted to.
    pub prefix: Option<String>,
    /// The key the listing started after.
    pub start_after: Option<String>,
    /// The delimiter the listing grouped keys by.
    pub delimiter: Option<String>,
    /// The token this page was requested with.
    pub continuation_token: Option<String>,
    /// `<MaxKeys>` as the server applied it.
    pub max_keys: Option<u64>,
    /// `<Name>`: the bucket.
    pub name: Option<String>,
}

/// A bucket of a ListBuckets response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Bucket {
    /// The bucket name.
    pub name: String,
    /// When the bucket was created.
    pub creation_date: Option<OffsetDateTime>,
    /// `<BucketRegion>`, sent by AWS since 2024.
    pub bucket_region: Option<String>,
}

/// Reads a [ListObjectsV2] response body (`<ListBucketResult>`).
///
/// When the body says `<EncodingType>url</EncodingType>`, `Key`, `Prefix`
/// (top level and in `CommonPrefixes`), `StartAfter` and `Delimiter` are
/// url-decoded: `%XX` as bytes, and `+` as a space, as AWS encodes a space
/// with `+` and a literal `+` as `%2B`. Without it nothing is decoded, since
/// servers that ignore `encoding-type` send raw keys that may contain `%`.
///
/// [ListObjectsV2]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
///
/// # Errors
///
/// [`ErrorKind::Service`](crate::ErrorKind::Service), naming the document and
/// element, when the body is not well-formed XML, its root is not
/// `<ListBucketResult>`, or a `<Contents>` lacks `Key`, `LastModified` or
/// `Size` or has an unreadable value.
///
/// # Example
///
/// ```
/// # fn main() -> s3lite::Result<()> {
/// let body = br#"<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
///   <Name>bucket</Name><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>
///   <NextContinuationToken>tok</NextContinuationToken>
///   <Contents><Key>caf%C3%A9%20menu.txt</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>
///     <ETag>"fba9dede5f27731c9771645a39863328"</ETag><Size>434234</Size></Contents>
/// </ListBucketResult>"#;
/// let page = s3lite::xml::parse_list_objects_v2(body)?;
/// assert_eq!(page.contents[0].key, "café menu.txt");
/// assert_eq!(page.contents[0].size, 434234);
/// assert_eq!(page.next_continuation_token.as_deref(), Some("tok"));
/// # Ok(())
/// # }
/// ```
pub fn parse_list_objects_v2(body: &[u8]) -> Result<ListObjectsV2Page> {
    parse_doc(body, &["ListBucketResult"], |root| {
        let enc = KeyEncoding::of(root);
        Ok(ListObjectsV2Page {
            contents: root
                .children("Contents")
                .map(|c| object_entry(c, enc))
                .collect::<Result<_>>()?,
            common_prefixes: common_prefixes(root, enc)?,
            is_truncated: root.flag("IsTruncated")?,
            next_continuation_token: root.opt_trim("NextContinuationToken"),
            key_count: root.opt_num("KeyCount")?,
            prefix: enc.opt(root, "Prefix")?,
            start_after: enc.opt(root, "StartAfter")?,
            delimiter: enc.opt(root, "Delimiter")?,
            continuation_token: root.opt_trim("ContinuationToken"),
            max_keys: root.opt_num("MaxKeys")?,
            name: root.opt_trim("Name"),
        })
    })
}

/// The `<Prefix>` of every `<CommonPrefixes>` of a listing, decoded by `enc`.
pub(super) fn common_prefixes(root: &Node<'_>, enc: KeyEncoding) -> Result<Vec<String>> {
    root.children("CommonPrefixes")
        .flat_map(|c| c.children("Prefix"))
        .map(|p| enc.decode(p.text(), "Prefix"))
        .collect()
}

fn object_entry(c: &Node<'_>, enc: KeyEncoding) -> Result<ObjectEntry> {
    Ok(ObjectEntry {
        key: enc.req(c, "Key")?,
        last_modified: c.req_date("LastModified")?,
        etag: c.opt_trim("ETag"),
        size: c.req_num("Size")?,
        storage_class: c.opt_trim("StorageClass"),
        owner_id: c.child("Owner").and_then(|o| o.opt_trim("ID")),
        checksum_algorithm: c.opt_trim("ChecksumAlgorithm"),
    })
}

/// Reads a [ListBuckets] response body (`<ListAllMyBucketsResult>`).
///
/// [ListBuckets]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html
///
/// # Errors
///
/// [`ErrorKind::Service`](crate::ErrorKind::Service) when the body is not
/// well-formed XML, its root is another element, or a `<Bucket>` lacks
/// `<Name>` or has an unreadable `<CreationDate>`.
pub fn parse_list_buckets(body: &[u8]) -> Result<Vec<Bucket>> {
    parse_doc(body, &["ListAllMyBucketsResult"], |root| {
        root.children("Buckets")
            .flat_map(|b| b.children("Bucket"))
            .map(|b| {
                Ok(Bucket {
                    name: b.req("Name")?,
                    creation_date: b.opt_date("CreationDate")?,
                    bucket_region: b.opt_trim("BucketRegion"),
                })
            })
            .collect()
    })
}

/// Reads a [GetBucketLocation] response body (`<LocationConstraint>`).
///
/// An empty element means `us-east-1` and gives `None`. The legacy value `EU`
/// is returned as `eu-west-1`, the region it stands for.
///
/// [GetBucketLocation]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html
///
/// # Errors
///
/// [`ErrorKind::Service`](crate::ErrorKind::Service) when the body is not
/// well-formed XML or its root is another element.
pub fn parse_location_constraint(body: &[u8]) -> Result<Option<String>> {
    parse_doc(body, &["LocationConstraint"], |root| {
        Ok(match root.text().trim() {
            "" => None,
            "EU" => Some("eu-west-1".to_owned()),
            region => Some(region.to_owned()),
        })
    })
}

/// The [CreateBucket] request body for `region`: `None` for `us-east-1` (and
/// an empty region), where S3 wants no body, else a
/// `<CreateBucketConfiguration>` naming the region.
///
/// [CreateBucket]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
pub fn write_create_bucket_configuration(region: &str) -> Option<String> {
    const ROOT: &str = "CreateBucketConfiguration";
    if region.is_empty() || region == "us-east-1" {
        return None;
    }
    let mut w = XmlWriter::new(ROOT);
    w.leaf("LocationConstraint", region);
    Some(w.finish(ROOT))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on bad fixtures")]

    use super::*;
    use crate::ErrorKind;
    use crate::date::parse_iso8601;

    #[test]
    fn list_v2_aws_example_reads_entries() {
        let page =
            parse_list_objects_v2(include_bytes!("../../fixtures/list_objects_v2.xml")).unwrap();
        assert_eq!(page.name.as_deref(), Some("bucket"));
        assert_eq!(page.prefix.as_deref(), Some(""));
        assert_eq!(page.key_count, Some(2));
        assert_eq!(page.max_keys, Some(1000));
        assert!(!page.is_truncated);
        assert_eq!(page.next_continuation_token, None);
        assert!(page.common_prefixes.is_empty());
        assert_eq!(page.contents.len(), 2);
        let first = &page.contents[0];
        assert_eq!(first.key, "my-image.jpg");
        assert_eq!(
            first.last_modified,
            parse_iso8601("2009-10-12T17:50:30.000Z").unwrap()
        );
        assert_eq!(
            first.etag.as_deref(),
            Some("\"fba9dede5f27731c9771645a39863328\"")
        );
        assert_eq!(first.size, 434_234);
        assert_eq!(first.storage_class.as_deref(), Some("STANDARD"));
        assert_eq!(first.checksum_algorithm.as_deref(), Some("CRC32"));
        assert!(
            first
                .owner_id
                .as_deref()
                .unwrap()
                .starts_with("75aa57f09aa0")
        );
        let second = &page.contents[1];
        assert_eq!(second.key, "my-third-image.jpg");
        assert_eq!(second.owner_id, None);
        assert_eq!(second.storage_class.as_deref(), Some("STANDARD_IA"));
    }

    #[test]
    fn list_v2_with_delimiter_reads_common_prefixes() {
        let body = include_bytes!("../../fixtures/list_objects_v2_delimiter.xml");
        let page = parse_list_objects_v2(body).unwrap();
        assert_eq!(page.delimiter.as_deref(), Some("/"));
        assert_eq!(page.prefix.as_deref(), Some("photos/2006/"));
        assert_eq!(
            page.common_prefixes,
            ["photos/2006/February/", "photos/2006/January/"]
        );
        assert_eq!(page.contents.len(), 1);
        assert_eq!(page.contents[0].key, "photos/2006/index.html");
    }

    #[test]
    fn list_v2_truncated_gives_next_token() {
        let body = include_bytes!("../../fixtures/list_objects_v2_truncated.xml");
        let page = parse_list_objects_v2(body).unwrap();
        assert!(page.is_truncated);
        let token = "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=";
        assert_eq!(page.next_continuation_token.as_deref(), Some(token));
        assert_eq!(page.continuation_token.as_deref(), Some(token));
        assert_eq!(page.start_after.as_deref(), Some("ExampleGuide.pdf"));
        assert_eq!(page.contents[0].key, "ExampleObject.txt");
    }

    #[test]
    fn list_v2_url_encoding_decodes_keys_prefixes_and_markers() {
        let body = include_bytes!("../../fixtures/list_objects_v2_url.xml");
        let page = parse_list_objects_v2(body).unwrap();
        let keys: Vec<_> = page.contents.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["dir/a b", "dir/%", "dir/café", "dir/one two+three"]);
        assert_eq!(page.prefix.as_deref(), Some("dir/"));
        assert_eq!(page.start_after.as_deref(), Some("dir/a"));
        assert_eq!(page.delimiter.as_deref(), Some("/"));
        assert_eq!(page.common_prefixes, ["dir/sub dir/"]);
        // Only key-like fields are decoded.
        assert_eq!(
            page.contents[0].etag.as_deref(),
            Some("\"d41d8cd98f00b204e9800998ecf8427e\"")
        );
    }

    #[test]
    fn list_v2_without_encoding_type_keeps_percent_and_plus() {
        let body = include_bytes!("../../fixtures/list_objects_v2_raw.xml");
        let page = parse_list_objects_v2(body).unwrap();
        let keys: Vec<_> = page.contents.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            ["100%25 a+b", "café/日本語 🎉", "a & b <c> \"d\" 'e'"]
        );
    }

    #[test]
    fn list_v2_missing_key_names_the_element() {
        let body = b"<ListBucketResult><Contents><Size>1</Size>\
                     <LastModified>2009-10-12T17:50:30.000Z</LastModified></Contents></ListBucketResult>";
        let e = parse_list_objects_v2(body).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Service);
        let msg = e.to_string();
        assert!(
            msg.contains("<ListBucketResult>") && msg.contains("<Key>"),
            "{msg}"
        );
    }

    #[test]
    fn list_v2_bad_values_name_element_and_value() {
        let body = b"<ListBucketResult><Contents><Key>k</Key><Size>-1</Size>\
                     <LastModified>2009-10-12T17:50:30.000Z</LastModified></Contents></ListBucketResult>";
        let msg = parse_list_objects_v2(body).unwrap_err().to_string();
        assert!(msg.contains("<Size> \"-1\""), "{msg}");
        let body = b"<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>";
        let msg = parse_list_objects_v2(body).unwrap_err().to_string();
        assert!(msg.contains("<IsTruncated> \"maybe\""), "{msg}");
    }

    #[test]
    fn list_v2_rejects_other_documents() {
        let body = include_bytes!("../../fixtures/error_no_such_key.xml");
        let msg = parse_list_objects_v2(body).unwrap_err().to_string();
        assert!(
            msg.contains("expected <ListBucketResult>, found <Error>"),
            "{msg}"
        );
    }

    #[test]
    fn list_buckets_reads_names_dates_and_regions() {
        let buckets =
            parse_list_buckets(include_bytes!("../../fixtures/list_buckets.xml")).unwrap();
        assert_eq!(buckets.len(), 2);
        assert_eq!(buckets[0].name, "quotes");
        assert_eq!(
            buckets[0].creation_date,
            Some(parse_iso8601("2006-02-03T16:45:09.000Z").unwrap())
        );
        assert_eq!(buckets[0].bucket_region, None);
        assert_eq!(buckets[1].name, "samples");
        assert_eq!(buckets[1].bucket_region.as_deref(), Some("eu-west-1"));
        let none =
            parse_list_buckets(b"<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>");
        assert_eq!(none.unwrap(), []);
    }

    #[test]
    fn location_constraint_empty_is_us_east_1() {
        let body = include_bytes!("../../fixtures/location_constraint_empty.xml");
        assert_eq!(parse_location_constraint(body).unwrap(), None);
        let body = b"<LocationConstraint></LocationConstraint>";
        assert_eq!(parse_location_constraint(body).unwrap(), None);
    }

    #[test]
    fn location_constraint_set_gives_region() {
        let body = include_bytes!("../../fixtures/location_constraint.xml");
        assert_eq!(
            parse_location_constraint(body).unwrap().as_deref(),
            Some("eu-west-1")
        );
        let body = b"<LocationConstraint>EU</LocationConstraint>";
        assert_eq!(
            parse_location_constraint(body).unwrap().as_deref(),
            Some("eu-west-1")
        );
    }

    #[test]
    fn create_bucket_configuration_omitted_for_us_east_1() {
        assert_eq!(write_create_bucket_configuration("us-east-1"), None);
        assert_eq!(write_create_bucket_configuration(""), None);
        let body = write_create_bucket_configuration("eu-west-1").unwrap();
        assert_eq!(
            body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
             <LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"
        );
        let root = super::super::tree::read_tree(body.as_bytes()).unwrap();
        assert_eq!(root.opt("LocationConstraint").as_deref(), Some("eu-west-1"));
    }
}
