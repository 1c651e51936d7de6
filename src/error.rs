//! The one error type of the crate: [`Error`] with a matchable [`ErrorKind`].
//!
//! Callers match [`Error::kind`], never message text. An error that came from
//! S3 also carries the HTTP status, the S3 error code (`NoSuchKey`,
//! `SlowDown`, ...), S3's message and the request id.
//!
//! No secret ever reaches `Display` or `Debug`: messages are built from
//! operation names, keys, URLs without query strings, and server replies.

use std::fmt;

/// What kind of failure an [`Error`] is; the thing callers match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The bucket, object or upload does not exist (404, `NoSuchKey`, `NoSuchBucket`).
    NotFound,
    /// The object or bucket already exists (`BucketAlreadyOwnedByYou`, a
    /// failed `If-None-Match: *` write).
    AlreadyExists,
    /// A condition such as `If-Match` or `If-Unmodified-Since` did not hold (412).
    PreconditionFailed,
    /// The object was not modified since the given condition (304).
    NotModified,
    /// The request was understood and authenticated but not allowed (403 `AccessDenied`).
    PermissionDenied,
    /// The request's signature or credentials were rejected
    /// (`SignatureDoesNotMatch`, `InvalidAccessKeyId`, `ExpiredToken`, ...).
    Unauthenticated,
    /// The store's configuration is invalid; the message names the key and value.
    InvalidConfig,
    /// An argument of a call is invalid (an empty key, a bad range, ...).
    InvalidInput,
    /// Credentials could not be obtained from the configured source.
    Credentials,
    /// The request or a read of the response took longer than allowed.
    Timeout,
    /// The connection failed: DNS, connect, TLS, reset, truncated body.
    Transport,
    /// S3 answered with an error that none of the kinds above describes.
    Service,
    /// The feature or configuration value is recognised but not implemented yet.
    NotImplemented,
    /// Data failed an integrity check: a downloaded object's checksum does not
    /// match the `x-amz-checksum-*` value S3 returned with it.
    Integrity,
}

impl ErrorKind {
    /// A short lower-case name, used at the start of `Display`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not found",
            ErrorKind::AlreadyExists => "already exists",
            ErrorKind::PreconditionFailed => "precondition failed",
            ErrorKind::NotModified => "not modified",
            ErrorKind::PermissionDenied => "permission denied",
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::InvalidConfig => "invalid configuration",
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::Credentials => "credentials unavailable",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Transport => "transport error",
            ErrorKind::Service => "service error",
            ErrorKind::NotImplemented => "not implemented",
            ErrorKind::Integrity => "integrity check failed",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of every fallible s3lite call.
///
/// `Display` reads `<kind>: <what failed> (<S3 code>: <S3 message>, status <n>,
/// request id <id>)`; the parts in brackets appear when known.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    s3_code: Option<String>,
    s3_message: Option<String>,
    request_id: Option<String>,
    retryable: bool,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// The result type of s3lite calls.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A new error of `kind` that says what failed.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                status: None,
                s3_code: None,
                s3_message: None,
                request_id: None,
                retryable: false,
                source: None,
            }),
        }
    }

    /// An [`ErrorKind::InvalidConfig`] error naming the key and showing the bad value.
    pub fn invalid_config(key: &str, value: &str, why: impl fmt::Display) -> Self {
        Error::new(
            ErrorKind::InvalidConfig,
            format!("{key} = {value:?}: {why}"),
        )
    }

    /// An [`ErrorKind::InvalidInput`] error.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput, message)
    }

    /// Attaches the underlying cause, reachable through `source()`.
    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    /// Records the HTTP status of the response that caused this error.
    pub fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }

    /// Records the S3 error code and message from an `<Error>` body.
    pub fn with_s3_error(mut self, code: Option<String>, message: Option<String>) -> Self {
        self.inner.s3_code = code;
        self.inner.s3_message = message;
        self
    }

    /// Records the request id (`x-amz-request-id` or `<RequestId>`).
    pub fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.inner.request_id = request_id;
        self
    }

    /// Marks whether repeating the request may succeed.
    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.inner.retryable = retryable;
        self
    }

    /// The same error as another kind (a failed `If-None-Match: *` write is
    /// `AlreadyExists`, not `PreconditionFailed`).
    #[cfg_attr(
        not(feature = "_io"),
        allow(dead_code, reason = "used by the store's conditional writes")
    )]
    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.inner.kind = kind;
        self
    }

    /// Prefixes the message with context, such as the operation and key.
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.inner.message = format!("{what}: {}", self.inner.message);
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The HTTP status of the response, when the error came from one.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The S3 error code (`NoSuchKey`, `SlowDown`, ...), when S3 sent one.
    pub fn s3_code(&self) -> Option<&str> {
        self.inner.s3_code.as_deref()
    }

    /// The human-readable message S3 sent with its error code.
    pub fn s3_message(&self) -> Option<&str> {
        self.inner.s3_message.as_deref()
    }

    /// The request id S3 assigned, for support requests.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// Whether repeating the same request may succeed.
    pub fn is_retryable(&self) -> bool {
        self.inner.retryable
    }

    /// What failed, without kind or S3 details.
    pub fn message(&self) -> &str {
        &self.inner.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        write!(f, "{}: {}", i.kind, i.message)?;
        let mut parts: Vec<String> = Vec::new();
        match (&i.s3_code, &i.s3_message) {
            (Some(c), Some(m)) => parts.push(format!("{c}: {m}")),
            (Some(c), None) => parts.push(c.clone()),
            (None, Some(m)) => parts.push(m.clone()),
            (None, None) => {}
        }
        if let Some(s) = i.status {
            parts.push(format!("status {s}"));
        }
        if let Some(r) = &i.request_id {
            parts.push(format!("request id {r}"));
        }
        if !parts.is_empty() {
            write!(f, " ({})", parts.join(", "))?;
        }
        if let Some(src) = &i.source {
            write!(f, ": {src}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Error")
            .field("kind", &i.kind)
            .field("message", &i.message)
            .field("status", &i.status)
            .field("s3_code", &i.s3_code)
            .field("s3_message", &i.s3_message)
            .field("request_id", &i.request_id)
            .field("retryable", &i.retryable)
            .field("source", &i.source)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_kind_code_status_and_request_id() {
        let e = Error::new(ErrorKind::NotFound, "get bucket/key")
            .with_status(404)
            .with_s3_error(
                Some("NoSuchKey".into()),
                Some("The key does not exist".into()),
            )
            .with_request_id(Some("REQ1".into()));
        assert_eq!(
            e.to_string(),
            "not found: get bucket/key (NoSuchKey: The key does not exist, status 404, request id REQ1)"
        );
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(e.s3_code(), Some("NoSuchKey"));
    }

    #[test]
    fn error_is_send_sync_and_small() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }
}
