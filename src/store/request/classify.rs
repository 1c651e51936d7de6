//! What a failed attempt means: the error built from an answer, whether a
//! retry may succeed, and whether the request ever left this host.

use http::{HeaderMap, StatusCode};

use crate::error::{Error, ErrorKind};
use crate::xml;

/// The error for a non-2xx answer whose body was read in full.
pub(crate) fn error_from_answer(
    op: &str,
    target: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Error {
    let header_request_id = headers
        .get("x-amz-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let parsed = xml::parse_error(body);
    // A wrong region is a configuration error that names the right region.
    let region_hint = crate::endpoint::wrong_region_hint(status, headers, parsed.as_ref());
    let (code, message, body_request_id) = match parsed {
        Some(p) => (p.code, p.message, p.request_id),
        None => (None, None, None),
    };
    // Without an <Error> body (HEAD), some servers still name the code in a
    // header: S3 website endpoints `x-amz-error-code`, MinIO
    // `x-minio-error-code` (minio/minio#17283).
    let code = code.or_else(|| header_error_code(headers));
    let (kind, retryable) = match &region_hint {
        Some(_) => (ErrorKind::InvalidConfig, false),
        None => classify(status, code.as_deref()),
    };
    let what = match region_hint {
        Some(hint) => format!("{op} {target}: {hint}"),
        None => format!("{op} {target}"),
    };
    Error::new(kind, what)
        .with_status(status.as_u16())
        .with_s3_error(code, message)
        .with_request_id(header_request_id.or(body_request_id))
        .with_retryable(retryable)
}

/// The error code of a bodiless answer, from its headers.
fn header_error_code(headers: &HeaderMap) -> Option<String> {
    ["x-amz-error-code", "x-minio-error-code"]
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok())
        .map(str::trim)
        .filter(|code| !code.is_empty())
        .map(str::to_string)
}

/// An error for a 200 answer whose body is an S3 `<Error>` document
/// (CopyObject, CompleteMultipartUpload).
pub(crate) fn error_in_ok_body(op: &str, target: &str, body: &[u8]) -> Option<Error> {
    let parsed = xml::parse_error(body)?;
    let (kind, retryable) = classify(StatusCode::INTERNAL_SERVER_ERROR, parsed.code.as_deref());
    Some(
        Error::new(kind, format!("{op} {target}: error in a 200 response"))
            .with_status(200)
            .with_s3_error(parsed.code, parsed.message)
            .with_request_id(parsed.request_id)
            .with_retryable(retryable),
    )
}

/// Maps an HTTP status and S3 error code to an [`ErrorKind`] and whether a
/// retry may succeed.
pub(crate) fn classify(status: StatusCode, code: Option<&str>) -> (ErrorKind, bool) {
    if let Some(code) = code {
        let by_code = match code {
            "SlowDown" | "InternalError" | "ServiceUnavailable" | "RequestLimitExceeded" => {
                Some((ErrorKind::Service, true))
            }
            c if c.starts_with("Throttl") => Some((ErrorKind::Service, true)),
            "RequestTimeout" => Some((ErrorKind::Timeout, true)),
            // A concurrent conditional write was in progress: AWS asks for a retry.
            "ConditionalRequestConflict" => Some((ErrorKind::PreconditionFailed, true)),
            "NoSuchKey" | "NoSuchBucket" | "NoSuchUpload" | "NoSuchVersion" => {
                Some((ErrorKind::NotFound, false))
            }
            "BucketAlreadyExists" | "BucketAlreadyOwnedByYou" => {
                Some((ErrorKind::AlreadyExists, false))
            }
            "PreconditionFailed" => Some((ErrorKind::PreconditionFailed, false)),
            "SignatureDoesNotMatch"
            | "InvalidAccessKeyId"
            | "ExpiredToken"
            | "InvalidToken"
            | "TokenRefreshRequired"
            | "RequestTimeTooSkewed"
            | "RequestExpired"
            | "AuthorizationHeaderMalformed"
            | "InvalidSecurity"
            | "MissingSecurityHeader" => Some((ErrorKind::Unauthenticated, false)),
            "AccessDenied" | "AllAccessDisabled" | "AccountProblem" => {
                Some((ErrorKind::PermissionDenied, false))
            }
            // The server computed another digest of the body than the one sent.
            "BadDigest" | "XAmzContentChecksumMismatch" | "InvalidDigest" => {
                Some((ErrorKind::Integrity, false))
            }
            "InvalidRange" | "KeyTooLongError" | "InvalidBucketName" | "EntityTooLarge"
            | "EntityTooSmall" | "InvalidArgument" | "InvalidPart" | "InvalidPartOrder" => {
                Some((ErrorKind::InvalidInput, false))
            }
            _ => None,
        };
        if let Some(found) = by_code {
            return found;
        }
    }
    match status.as_u16() {
        304 => (ErrorKind::NotModified, false),
        401 => (ErrorKind::Unauthenticated, false),
        403 => (ErrorKind::PermissionDenied, false),
        404 => (ErrorKind::NotFound, false),
        408 => (ErrorKind::Timeout, true),
        412 => (ErrorKind::PreconditionFailed, false),
        416 => (ErrorKind::InvalidInput, false),
        429 | 500 | 502 | 503 | 504 => (ErrorKind::Service, true),
        _ => (ErrorKind::Service, false),
    }
}

/// Whether `err` (from [`HttpClient::send`](crate::transport::HttpClient::send))
/// certainly failed before any byte of the request was sent: a connect
/// error (refused, DNS, TLS handshake, connect timeout) of a built-in
/// client. Unknown errors count as "maybe sent".
pub(crate) fn never_sent(err: &Error) -> bool {
    let mut next = std::error::Error::source(err);
    while let Some(e) = next {
        #[cfg(feature = "hyper-rustls")]
        if let Some(h) = e.downcast_ref::<hyper_util::client::legacy::Error>()
            && h.is_connect()
        {
            return true;
        }
        #[cfg(feature = "reqwest")]
        if let Some(r) = e.downcast_ref::<reqwest::Error>()
            && r.is_connect()
        {
            return true;
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        next = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_table() {
        let cases: &[(u16, Option<&str>, ErrorKind, bool)] = &[
            (404, Some("NoSuchKey"), ErrorKind::NotFound, false),
            (404, None, ErrorKind::NotFound, false),
            (304, None, ErrorKind::NotModified, false),
            (412, None, ErrorKind::PreconditionFailed, false),
            (
                403,
                Some("AccessDenied"),
                ErrorKind::PermissionDenied,
                false,
            ),
            (
                403,
                Some("SignatureDoesNotMatch"),
                ErrorKind::Unauthenticated,
                false,
            ),
            (403, None, ErrorKind::PermissionDenied, false),
            (
                409,
                Some("BucketAlreadyOwnedByYou"),
                ErrorKind::AlreadyExists,
                false,
            ),
            (409, Some("BucketNotEmpty"), ErrorKind::Service, false),
            (503, Some("SlowDown"), ErrorKind::Service, true),
            (503, None, ErrorKind::Service, true),
            (500, Some("InternalError"), ErrorKind::Service, true),
            (400, Some("RequestTimeout"), ErrorKind::Timeout, true),
            (400, Some("ThrottlingException"), ErrorKind::Service, true),
            (429, None, ErrorKind::Service, true),
            (416, Some("InvalidRange"), ErrorKind::InvalidInput, false),
            (400, Some("BadDigest"), ErrorKind::Integrity, false),
            (
                400,
                Some("XAmzContentChecksumMismatch"),
                ErrorKind::Integrity,
                false,
            ),
            (400, Some("SomethingNew"), ErrorKind::Service, false),
            (
                409,
                Some("ConditionalRequestConflict"),
                ErrorKind::PreconditionFailed,
                true,
            ),
        ];
        for (status, code, kind, retry) in cases {
            let got = classify(
                StatusCode::from_u16(*status).unwrap_or(StatusCode::IM_A_TEAPOT),
                *code,
            );
            assert_eq!(got, (*kind, *retry), "{status} {code:?}");
        }
    }

    #[test]
    fn error_in_ok_body_is_detected() {
        let body = b"<?xml version=\"1.0\"?><Error><Code>InternalError</Code><Message>boom</Message><RequestId>R1</RequestId></Error>";
        let e = error_in_ok_body("CopyObject", "b/k", body).expect("an error body");
        assert_eq!(e.kind(), ErrorKind::Service);
        assert!(e.is_retryable());
        assert_eq!(e.request_id(), Some("R1"));
        assert!(
            error_in_ok_body(
                "CopyObject",
                "b/k",
                b"<CopyObjectResult></CopyObjectResult>"
            )
            .is_none()
        );
    }
}
