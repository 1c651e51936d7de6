//! The one request loop: build, get credentials, sign, send, classify, back off.
//!
//! Every attempt is signed afresh with the current time and the provider's
//! current credentials, so a retry never resends a stale signature.

use std::sync::Arc;
use std::time::Instant;

use http::header::{CONTENT_LENGTH, HOST};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use time::OffsetDateTime;

use crate::credentials::CredentialProvider;
use crate::endpoint::BucketEndpoint;
use crate::error::{Error, ErrorKind, Result};
use crate::retry::{Backoff, RetryConfig, XorShift};
use crate::sign::{self, PayloadHash, SignableRequest, SigningParams, UriEncoding};
use crate::transport::{HttpClient, HttpRequest, HttpResponse, RequestBody};
use crate::xml;

/// Everything a store needs to send requests for one bucket.
#[derive(Debug)]
pub(crate) struct StoreInner {
    pub(crate) bucket: String,
    pub(crate) endpoint: BucketEndpoint,
    pub(crate) region: String,
    /// `None` when signing is skipped (anonymous access).
    pub(crate) credentials: Option<Arc<dyn CredentialProvider>>,
    pub(crate) client: Arc<dyn HttpClient>,
    pub(crate) retry: RetryConfig,
    pub(crate) unsigned_payload: bool,
}

/// One S3 API call, before signing.
pub(crate) struct S3Request {
    /// The S3 operation name, for error messages (`GetObject`).
    pub(crate) op: &'static str,
    pub(crate) method: Method,
    /// The object key; `None` for bucket-level calls.
    pub(crate) key: Option<String>,
    /// The query string, already encoded (`list-type=2&prefix=a%2Fb`).
    pub(crate) query: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: RequestBody,
}

impl S3Request {
    pub(crate) fn new(op: &'static str, method: Method, key: Option<&str>) -> Self {
        S3Request {
            op,
            method,
            key: key.map(str::to_string),
            query: String::new(),
            headers: HeaderMap::new(),
            body: RequestBody::Empty,
        }
    }

    /// Adds a header; the value must be a valid header value.
    pub(crate) fn header(mut self, name: HeaderName, value: &str) -> Result<Self> {
        let v = HeaderValue::from_str(value).map_err(|_| {
            Error::invalid_input(format!(
                "header {name}: value {value:?} is not a valid HTTP header value"
            ))
        })?;
        self.headers.insert(name, v);
        Ok(self)
    }

    /// Appends `name=value` to the query, encoding both.
    pub(crate) fn query(mut self, name: &str, value: &str) -> Self {
        if !self.query.is_empty() {
            self.query.push('&');
        }
        self.query.push_str(&sign::uri_encode(name, true));
        self.query.push('=');
        self.query.push_str(&sign::uri_encode(value, true));
        self
    }

    pub(crate) fn body(mut self, body: impl Into<RequestBody>) -> Self {
        self.body = body.into();
        self
    }
}

impl StoreInner {
    /// `bucket/key` or `bucket`, for messages.
    pub(crate) fn target(&self, key: Option<&str>) -> String {
        match key {
            Some(k) => format!("{}/{k}", self.bucket),
            None => self.bucket.clone(),
        }
    }

    /// Sends `req`, retrying what may be retried; a non-2xx answer becomes
    /// an [`Error`] built from S3's `<Error>` body.
    pub(crate) async fn send(&self, req: S3Request) -> Result<HttpResponse> {
        let S3Request {
            op,
            method,
            key,
            query,
            mut headers,
            body,
        } = req;
        let target = self.target(key.as_deref());
        let path = match &key {
            Some(k) => self.endpoint.path(k),
            None => self.endpoint.bucket_path(),
        };
        let url = self.endpoint.url_for_path(&path, &query);
        let payload = match &body {
            RequestBody::Empty => PayloadHash::Empty,
            RequestBody::Bytes(b) if !self.unsigned_payload => PayloadHash::for_body(b),
            _ => PayloadHash::Unsigned,
        };
        headers.insert(HOST, header_value(self.endpoint.host())?);
        match body.len_hint() {
            Some(len) if len > 0 || method == Method::PUT || method == Method::POST => {
                headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
            }
            _ => {}
        }

        let started = Instant::now();
        let mut backoff = Backoff::new(&self.retry, XorShift::seed());
        let mut spare_body = Some(body);
        let mut attempt = 0usize;
        loop {
            let Some(current) = spare_body.take() else {
                // Unreachable: a body that cannot be replayed ends the loop below.
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("{op} {target}: body already consumed"),
                ));
            };
            spare_body = current.try_clone();
            let mut attempt_headers = headers.clone();
            if let Some(provider) = &self.credentials {
                let creds = provider
                    .credentials()
                    .await
                    .map_err(|e| e.context(format!("{op} {target}")))?;
                let signed = {
                    let pairs = header_pairs(&attempt_headers)?;
                    let params = SigningParams {
                        access_key_id: creds.access_key_id(),
                        secret_key: creds.secret_key(),
                        session_token: creds.session_token(),
                        region: &self.region,
                        service: "s3",
                        time: OffsetDateTime::now_utc(),
                        uri_encoding: UriEncoding::S3,
                        payload: payload.clone(),
                        add_content_sha256_header: true,
                        sign_session_token: true,
                    };
                    let request = SignableRequest {
                        method: method.as_str(),
                        path: &path,
                        query: &query,
                        headers: &pairs,
                    };
                    sign::sign_request(&request, &params)?
                };
                for (name, value) in signed.headers {
                    attempt_headers.insert(name, header_value(&value)?);
                }
            }
            let request = HttpRequest {
                method: method.clone(),
                url: url.clone(),
                headers: attempt_headers,
                body: current,
            };
            let err = match self.client.send(request).await {
                Ok(resp) if resp.status.is_success() => return Ok(resp),
                Ok(resp) => error_from_response(op, &target, resp).await,
                Err(e) => e.context(format!("{op} {target}")),
            };
            let can_retry = err.is_retryable()
                && attempt < self.retry.max_retries
                && spare_body.is_some()
                && started.elapsed() < self.retry.retry_timeout;
            if !can_retry {
                return Err(err);
            }
            attempt += 1;
            tokio::time::sleep(backoff.next_delay()).await;
        }
    }
}

fn header_value(value: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(value)
        .map_err(|_| Error::invalid_input(format!("{value:?} is not a valid HTTP header value")))
}

/// The headers as `(name, value)` pairs for the signer.
fn header_pairs(headers: &HeaderMap) -> Result<Vec<(&str, &str)>> {
    headers
        .iter()
        .map(|(name, value)| {
            let v = value.to_str().map_err(|_| {
                Error::invalid_input(format!(
                    "header {name} has a value that is not visible ASCII; encode it (e.g. RFC 2047) before sending"
                ))
            })?;
            Ok((name.as_str(), v))
        })
        .collect()
}

/// Builds the error for a non-2xx response from its status and `<Error>` body.
pub(crate) async fn error_from_response(op: &str, target: &str, resp: HttpResponse) -> Error {
    let status = resp.status;
    let header_request_id = resp
        .headers
        .get("x-amz-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = resp.body.collect().await.unwrap_or_default();
    let parsed = xml::parse_error(&body);
    let (code, message, body_request_id) = match parsed {
        Some(p) => (p.code, p.message, p.request_id),
        None => (None, None, None),
    };
    let (kind, retryable) = classify(status, code.as_deref());
    Error::new(kind, format!("{op} {target}"))
        .with_status(status.as_u16())
        .with_s3_error(code, message)
        .with_request_id(header_request_id.or(body_request_id))
        .with_retryable(retryable)
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
            (400, Some("SomethingNew"), ErrorKind::Service, false),
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
