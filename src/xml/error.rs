//! The `<Error>` body S3 sends with a failed request, and sometimes with a
//! `200 OK` (CopyObject, UploadPartCopy, CompleteMultipartUpload).

use super::tree::{read_tree_partial, root_name};

/// The fields of an S3 `<Error>` body; every one is optional because servers
/// differ in what they send.
///
/// See <https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct S3ErrorBody {
    /// `<Code>`: `NoSuchKey`, `SlowDown`, `PermanentRedirect`, ...
    pub code: Option<String>,
    /// `<Message>`: a human-readable description.
    pub message: Option<String>,
    /// `<RequestId>`: the id to quote in a support request.
    pub request_id: Option<String>,
    /// `<HostId>`: the extended request id.
    pub host_id: Option<String>,
    /// `<Resource>`: the bucket or object the error is about.
    pub resource: Option<String>,
    /// `<Region>`: the bucket's region, sent with `AuthorizationHeaderMalformed`
    /// and some redirects.
    pub region: Option<String>,
    /// `<Endpoint>`: the host to use instead, sent with `PermanentRedirect`
    /// and `TemporaryRedirect`.
    pub endpoint: Option<String>,
    /// `<Key>`: the object key, as sent.
    pub key: Option<String>,
    /// `<BucketName>`, or `<Bucket>` as redirects spell it.
    pub bucket_name: Option<String>,
}

/// Reads an S3 `<Error>` body.
///
/// Returns `Some` only when the root element is `<Error>` (in any namespace),
/// so it also tells a `200 OK` whose body is an error from a real result.
/// Tolerant: unknown elements are skipped, and when the body is cut off or
/// malformed after `<Error>` opened, the fields complete by then are kept.
/// Text is trimmed, except `<Key>`; blank fields are `None`.
pub fn parse_error(body: &[u8]) -> Option<S3ErrorBody> {
    let root = read_tree_partial(body)?;
    if root.name() != "Error" {
        return None;
    }
    Some(S3ErrorBody {
        code: root.opt_trim("Code"),
        message: root.opt_trim("Message"),
        request_id: root.opt_trim("RequestId"),
        host_id: root.opt_trim("HostId"),
        resource: root.opt_trim("Resource"),
        region: root.opt_trim("Region"),
        endpoint: root.opt_trim("Endpoint"),
        key: root.opt("Key"),
        bucket_name: root
            .opt_trim("BucketName")
            .or_else(|| root.opt_trim("Bucket")),
    })
}

/// Whether the first element of `body` is `<Error>`: a cheap check that reads
/// only up to that element, for bodies of `200 OK` responses.
pub fn is_error_body(body: &[u8]) -> bool {
    root_name(body).is_some_and(|name| name == "Error")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on bad fixtures")]

    use super::*;

    #[test]
    fn no_such_key_body_gives_every_field() {
        let e = parse_error(include_bytes!("../../fixtures/error_no_such_key.xml")).unwrap();
        assert_eq!(e.code.as_deref(), Some("NoSuchKey"));
        assert_eq!(
            e.message.as_deref(),
            Some("The resource you requested does not exist")
        );
        assert_eq!(e.key.as_deref(), Some("photos/missing.jpg"));
        assert_eq!(e.bucket_name.as_deref(), Some("mybucket"));
        assert_eq!(e.resource.as_deref(), Some("/mybucket/photos/missing.jpg"));
        assert_eq!(e.request_id.as_deref(), Some("4442587FB7D0A2F9"));
        assert!(e.host_id.unwrap().starts_with("Uuag1LuByRx9"));
        assert_eq!(e.region, None);
        assert_eq!(e.endpoint, None);
    }

    #[test]
    fn slow_down_body_gives_code_and_request_id() {
        let e = parse_error(include_bytes!("../../fixtures/error_slow_down.xml")).unwrap();
        assert_eq!(e.code.as_deref(), Some("SlowDown"));
        assert_eq!(e.request_id.as_deref(), Some("K2H6N7ZGQT6WHCEG"));
    }

    #[test]
    fn permanent_redirect_body_gives_endpoint_and_bucket() {
        let body = include_bytes!("../../fixtures/error_permanent_redirect.xml");
        let e = parse_error(body).unwrap();
        assert_eq!(e.code.as_deref(), Some("PermanentRedirect"));
        assert_eq!(
            e.endpoint.as_deref(),
            Some("my-bucket.s3.eu-west-1.amazonaws.com")
        );
        assert_eq!(e.bucket_name.as_deref(), Some("my-bucket"));
    }

    #[test]
    fn authorization_header_malformed_body_gives_region() {
        let body = include_bytes!("../../fixtures/error_authorization_header_malformed.xml");
        let e = parse_error(body).unwrap();
        assert_eq!(e.code.as_deref(), Some("AuthorizationHeaderMalformed"));
        assert_eq!(e.region.as_deref(), Some("eu-central-1"));
    }

    #[test]
    fn ok_status_with_error_body_is_detected() {
        let body = include_bytes!("../../fixtures/error_200_internal.xml");
        assert!(is_error_body(body));
        assert_eq!(
            parse_error(body).unwrap().code.as_deref(),
            Some("InternalError")
        );
    }

    #[test]
    fn non_error_roots_are_not_error_bodies() {
        for body in [
            &include_bytes!("../../fixtures/copy_object_result.xml")[..],
            include_bytes!("../../fixtures/delete_result.xml"),
            b"",
            b"  ",
            b"garbage",
            b"<?xml version=\"1.0\"?>",
            b"<ErrorResponse><Error><Code>X</Code></Error></ErrorResponse>",
        ] {
            assert!(!is_error_body(body));
            assert_eq!(parse_error(body), None);
        }
    }

    #[test]
    fn namespaced_bom_and_comment_prefixed_error_is_read() {
        let body = "\u{feff}<?xml version=\"1.0\"?><!-- x -->\n<s3:Error xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                    <s3:Code> AccessDenied </s3:Code><s3:Message>Access &amp; Denied</s3:Message><Extra><A/></Extra></s3:Error>";
        assert!(is_error_body(body.as_bytes()));
        let e = parse_error(body.as_bytes()).unwrap();
        assert_eq!(e.code.as_deref(), Some("AccessDenied"));
        assert_eq!(e.message.as_deref(), Some("Access & Denied"));
    }

    #[test]
    fn truncated_error_keeps_complete_fields() {
        let body = b"<Error><Code>SlowDown</Code><Message>Please reduce your req";
        assert!(is_error_body(body));
        let e = parse_error(body).unwrap();
        assert_eq!(e.code.as_deref(), Some("SlowDown"));
        assert_eq!(e.message, None);
    }
}
