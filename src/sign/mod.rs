//! AWS Signature Version 4: header signing ([`sign_request`]) and presigned
//! URLs ([`presign`]).
//!
//! Pure: no I/O, no async, no clock. The caller passes the time, the
//! credentials and the request as it will be sent, and adds the returned
//! headers (or query) to it. See the AWS guide "Create a signed AWS API
//! request" (<https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>)
//! and, for S3, "Authenticating Requests (AWS Signature Version 4)"
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html>).
//!
//! Choices where implementations differ (all checked against the AWS test
//! suites under `../shared/sigv4-vectors`, see `tests/sign_vectors.rs`):
//! - Headers named `authorization`, `user-agent`, `x-amzn-trace-id` and
//!   `transfer-encoding` are sent but not signed (proxies rewrite them), as in
//!   aws-sigv4. `x-amz-date`, and `x-amz-security-token` /
//!   `x-amz-content-sha256` when the signer adds them, must not be passed in.
//! - Header values: obs-folds become one space, leading/trailing spaces and
//!   tabs are trimmed, runs of spaces collapse to one; inner tabs are kept.
//! - Query: escapes are decoded and names/values re-encoded with
//!   [`uri_encode`]; `+` is a literal plus (encoded `%2B`), as in aws-c-auth.
//!   Build queries with [`uri_encode`] and the question does not arise.

pub(crate) mod canonical;
pub mod chunked;
mod key;

use std::fmt;
use std::time::Duration;

use sha2::{Digest, Sha256};
use time::{OffsetDateTime, UtcOffset};

pub use canonical::{encode_key_path, uri_encode};
pub use key::SecretKey;

use crate::error::Error;
use canonical::{
    ascii_str, check_header_value, check_scope_part, check_token, collect_headers,
    finish_canonical_request, push_hex_lower, query_has_name, signed_header_list,
    write_canonical_path, write_canonical_query, write_digits,
};
use key::{Redacted, RedactedHeaders};

/// The signing algorithm name, as it appears in the string to sign.
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// SHA-256 of the empty string, hex.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// Longest presigned-URL lifetime SigV4 allows: 7 days.
const MAX_PRESIGN_EXPIRY: Duration = Duration::from_secs(7 * 24 * 3600);
/// Headers that are never signed: hop-by-hop or rewritten by proxies.
const UNSIGNED_HEADERS: [&str; 4] = [
    "authorization",
    "user-agent",
    "x-amzn-trace-id",
    "transfer-encoding",
];
/// Query parameters the presigner sets; a request that already has one is refused.
const PRESIGN_PARAMS: [&str; 7] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Security-Token",
    "X-Amz-Signature",
];

/// How the request path becomes the canonical URI.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriEncoding {
    /// S3: the path is used as given (already percent-encoded once by the
    /// caller, e.g. with [`encode_key_path`]) and never normalised, so
    /// `a//b/../c` stays as it is. Escapes are brought to canonical form
    /// (`%7e` -> `~`, raw `$` -> `%24`), which leaves an [`encode_key_path`]
    /// path unchanged.
    S3,
    /// Every other service (STS, IAM, ...): the path is normalised (`.` and
    /// `..` resolved, `//` collapsed) and each segment percent-encoded again
    /// (double encoding).
    Generic,
}

/// The payload hash that ends the canonical request (and goes in
/// `x-amz-content-sha256` for S3).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadHash {
    /// Lower-case hex SHA-256 of the body (64 characters).
    Hex(String),
    /// `UNSIGNED-PAYLOAD`: the body is not covered by the signature.
    Unsigned,
    /// The SHA-256 of an empty body.
    Empty,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: an aws-chunked body with signed chunks.
    StreamingSigned,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: aws-chunked, unsigned chunks, trailer.
    StreamingUnsignedTrailer,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks and trailer.
    StreamingSignedTrailer,
}

impl PayloadHash {
    /// [`PayloadHash::Hex`] of a SHA-256 digest computed elsewhere (so a
    /// body is hashed once when its `x-amz-checksum-sha256` is sent too).
    pub fn from_digest(sha256: &[u8; 32]) -> Self {
        let mut hex = String::with_capacity(64);
        push_hex_lower(&mut hex, sha256);
        PayloadHash::Hex(hex)
    }

    /// The hash of `body`: [`PayloadHash::Empty`] for an empty one,
    /// [`PayloadHash::Hex`] otherwise.
    pub fn for_body(body: &[u8]) -> Self {
        if body.is_empty() {
            return PayloadHash::Empty;
        }
        let mut hex = String::with_capacity(64);
        push_hex_lower(&mut hex, &Sha256::digest(body));
        PayloadHash::Hex(hex)
    }

    /// The hash of a body held as several buffers, in order (the same as
    /// [`for_body`](Self::for_body) of their concatenation).
    pub fn for_chunks<B: AsRef<[u8]>>(chunks: &[B]) -> Self {
        if chunks.iter().all(|c| c.as_ref().is_empty()) {
            return PayloadHash::Empty;
        }
        let mut h = Sha256::new();
        for c in chunks {
            h.update(c.as_ref());
        }
        PayloadHash::from_digest(&h.finalize().into())
    }

    /// The value as it appears in the canonical request.
    pub fn as_str(&self) -> &str {
        match self {
            PayloadHash::Hex(hex) => hex,
            PayloadHash::Unsigned => "UNSIGNED-PAYLOAD",
            PayloadHash::Empty => EMPTY_SHA256,
            PayloadHash::StreamingSigned => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            PayloadHash::StreamingUnsignedTrailer => "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            PayloadHash::StreamingSignedTrailer => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        }
    }
}

/// Who signs, for what scope, when, and how. `Debug` leaves out the secret key
/// and the session token.
pub struct SigningParams<'a> {
    /// The access key id (`AKIA...`).
    pub access_key_id: &'a str,
    /// The secret access key; its derived signing key is cached inside it.
    pub secret_key: &'a SecretKey,
    /// The session token of temporary credentials.
    pub session_token: Option<&'a str>,
    /// The signing region, e.g. `us-east-1`.
    pub region: &'a str,
    /// The signing service name: `s3`, `sts`, ...
    pub service: &'a str,
    /// The signing time (converted to UTC if it has another offset).
    pub time: OffsetDateTime,
    /// How the path becomes the canonical URI.
    pub uri_encoding: UriEncoding,
    /// The payload hash of the canonical request.
    pub payload: PayloadHash,
    /// Add and sign `x-amz-content-sha256` (S3 requires it on every request).
    pub add_content_sha256_header: bool,
    /// Sign the session token (normally `true`). When `false` the token is
    /// still returned to be sent (header or query) but is not signed.
    pub sign_session_token: bool,
}

/// The request to sign, as the caller will send it.
#[derive(Clone, Copy)]
pub struct SignableRequest<'a> {
    /// The HTTP method, e.g. `GET`.
    pub method: &'a str,
    /// The path as sent on the wire (percent-encoded), e.g. `/bucket/my%20key`.
    pub path: &'a str,
    /// The raw query without `?`; may be empty.
    pub query: &'a str,
    /// The headers as they will be sent; must include `host`.
    pub headers: &'a [(&'a str, &'a str)],
}

/// The result of [`sign_request`]: headers to add, plus the intermediate
/// stages for tests and debugging. `Debug` redacts the signature and tokens.
pub struct SignedRequest {
    /// Headers the caller must add, in this order: `x-amz-date`,
    /// `x-amz-content-sha256` (if asked for), `x-amz-security-token` (if there
    /// is a token), `authorization`.
    pub headers: Vec<(&'static str, String)>,
    /// The hex signature.
    pub signature: String,
    /// The canonical request that was signed.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
}

/// The result of [`presign`]: the query string to send, plus the intermediate
/// stages. `Debug` redacts the signature and the session token.
pub struct PresignedQuery {
    /// The full query (without `?`): the request's own query, then the
    /// `X-Amz-*` parameters, ending with `X-Amz-Signature`.
    pub query: String,
    /// The hex signature.
    pub signature: String,
    /// The canonical request that was signed.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
}

/// Signs `req` with an `Authorization` header.
///
/// The returned [`SignedRequest::headers`] are to be added to the request
/// as they are; every header in `req.headers` except the unsigned ones
/// (`authorization`, `user-agent`, `x-amzn-trace-id`, `transfer-encoding`) is
/// covered by the signature.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) naming the bad
/// value: a method or header name that is not an HTTP token, a header value
/// with control characters, a missing `host` header, a header the signer adds
/// itself (`x-amz-date`, ...), a path not starting with `/`, an empty region,
/// service or access key id, a `PayloadHash::Hex` that is not 64 hex digits,
/// or a time outside years 0..=9999.
///
/// # Example
///
/// The GET Object example of the S3 API Reference:
///
/// ```
/// use s3lite::sign::{sign_request, PayloadHash, SecretKey, SignableRequest, SigningParams, UriEncoding};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
/// let params = SigningParams {
///     access_key_id: "AKIAIOSFODNN7EXAMPLE",
///     secret_key: &secret,
///     session_token: None,
///     region: "us-east-1",
///     service: "s3",
///     time: time::OffsetDateTime::from_unix_timestamp(1_369_353_600)?, // 2013-05-24T00:00:00Z
///     uri_encoding: UriEncoding::S3,
///     payload: PayloadHash::Empty,
///     add_content_sha256_header: true,
///     sign_session_token: true,
/// };
/// let req = SignableRequest {
///     method: "GET",
///     path: "/test.txt",
///     query: "",
///     headers: &[("host", "examplebucket.s3.amazonaws.com"), ("range", "bytes=0-9")],
/// };
/// let signed = sign_request(&req, &params)?;
/// assert_eq!(
///     signed.signature,
///     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
/// );
/// let names: Vec<&str> = signed.headers.iter().map(|(n, _)| *n).collect();
/// assert_eq!(names, ["x-amz-date", "x-amz-content-sha256", "authorization"]);
/// # Ok(())
/// # }
/// ```
pub fn sign_request(req: &SignableRequest, params: &SigningParams) -> Result<SignedRequest, Error> {
    let ctx = Context::new(req, params)?;
    let token = params.session_token;
    let mut extra: Vec<(&'static str, &str)> = Vec::with_capacity(3);
    extra.push(("x-amz-date", ctx.amz_date_str()));
    if params.add_content_sha256_header {
        extra.push(("x-amz-content-sha256", params.payload.as_str()));
    }
    if let Some(token) = token.filter(|_| params.sign_session_token) {
        extra.push(("x-amz-security-token", token));
    }
    let headers = collect_headers(req, &extra)?;
    let signed_headers = signed_header_list(&headers);

    let mut creq = ctx.canonical_request_start(req, params.uri_encoding);
    write_canonical_query(&mut creq, &mut String::new(), req.query, &[]);
    finish_canonical_request(&mut creq, &headers, &signed_headers, &params.payload);
    let (string_to_sign, signature) = ctx.sign(&creq, params);

    let mut out: Vec<(&'static str, String)> = Vec::with_capacity(4);
    out.push(("x-amz-date", ctx.amz_date_str().to_owned()));
    if params.add_content_sha256_header {
        out.push(("x-amz-content-sha256", params.payload.as_str().to_owned()));
    }
    if let Some(token) = token {
        out.push(("x-amz-security-token", token.to_owned()));
    }
    let mut auth = String::with_capacity(
        ALGORITHM.len()
            + 40
            + params.access_key_id.len()
            + ctx.scope.len()
            + signed_headers.len()
            + 64,
    );
    auth.push_str(ALGORITHM);
    auth.push_str(" Credential=");
    auth.push_str(params.access_key_id);
    auth.push('/');
    auth.push_str(&ctx.scope);
    auth.push_str(", SignedHeaders=");
    auth.push_str(&signed_headers);
    auth.push_str(", Signature=");
    auth.push_str(&signature);
    out.push(("authorization", auth));

    Ok(SignedRequest {
        headers: out,
        signature,
        canonical_request: creq,
        string_to_sign,
    })
}

/// Presigns `req`: the signature goes in the query string, valid for
/// `expires_in` (1 second to 7 days).
///
/// The canonical request ends with `params.payload` (use
/// [`PayloadHash::Unsigned`] for S3 URLs handed to others);
/// `add_content_sha256_header` is ignored. The session token is signed as
/// `X-Amz-Security-Token` unless `sign_session_token` is false, in which case
/// it is appended unsigned. Headers in `req.headers` (at least `host`) are
/// signed and must be sent with the URL.
///
/// # Errors
///
/// As [`sign_request`], plus an expiry outside 1 s..=7 days or a query that
/// already has an `X-Amz-Signature` (or another parameter the presigner sets).
pub fn presign(
    req: &SignableRequest,
    params: &SigningParams,
    expires_in: Duration,
) -> Result<PresignedQuery, Error> {
    if expires_in < Duration::from_secs(1) || expires_in > MAX_PRESIGN_EXPIRY {
        return Err(Error::invalid_input(format!(
            "presign expiry {expires_in:?} is outside 1s..=7 days"
        )));
    }
    if let Some(name) = query_has_name(req.query, &PRESIGN_PARAMS) {
        return Err(Error::invalid_input(format!(
            "the query to presign already has {name}"
        )));
    }
    let ctx = Context::new(req, params)?;
    let headers = collect_headers(req, &[])?;
    let signed_headers = signed_header_list(&headers);
    let mut credential = String::with_capacity(params.access_key_id.len() + 1 + ctx.scope.len());
    credential.push_str(params.access_key_id);
    credential.push('/');
    credential.push_str(&ctx.scope);
    let expires = expires_in.as_secs().to_string();
    let signed_token = params.session_token.filter(|_| params.sign_session_token);

    let mut auth_params: Vec<(&str, &str)> = vec![
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", &credential),
        ("X-Amz-Date", ctx.amz_date_str()),
        ("X-Amz-Expires", &expires),
        ("X-Amz-SignedHeaders", &signed_headers),
    ];
    if let Some(token) = signed_token {
        auth_params.push(("X-Amz-Security-Token", token));
    }

    let mut creq = ctx.canonical_request_start(req, params.uri_encoding);
    write_canonical_query(&mut creq, &mut String::new(), req.query, &auth_params);
    finish_canonical_request(&mut creq, &headers, &signed_headers, &params.payload);
    let (string_to_sign, signature) = ctx.sign(&creq, params);

    // The token goes last before the signature whether or not it was signed.
    if signed_token.is_none()
        && let Some(token) = params.session_token
    {
        auth_params.push(("X-Amz-Security-Token", token));
    }
    auth_params.push(("X-Amz-Signature", &signature));
    let mut query = String::with_capacity(req.query.len() + 400);
    query.push_str(req.query);
    for (name, value) in &auth_params {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(name);
        query.push('=');
        canonical::uri_encode_into(&mut query, value, true);
    }

    Ok(PresignedQuery {
        query,
        signature,
        canonical_request: creq,
        string_to_sign,
    })
}

/// Formats `t` (converted to UTC) as an ISO 8601 basic timestamp,
/// `20150830T123600Z`, the form of `x-amz-date`.
///
/// ```
/// let t = time::OffsetDateTime::from_unix_timestamp(1_440_938_160).unwrap();
/// assert_eq!(s3lite::sign::format_amz_date(t), "20150830T123600Z");
/// ```
pub fn format_amz_date(t: OffsetDateTime) -> String {
    let t = t.checked_to_offset(UtcOffset::UTC).unwrap_or(t);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// What both signing modes share: validated scope and timestamps.
struct Context {
    /// `YYYYMMDDTHHMMSSZ`.
    amz_date: [u8; 16],
    /// `YYYYMMDD/region/service/aws4_request`.
    scope: String,
}

impl Context {
    fn new(req: &SignableRequest, params: &SigningParams) -> Result<Self, Error> {
        check_token("HTTP method", req.method)?;
        if !req.path.is_empty() && !req.path.starts_with('/') {
            return Err(Error::invalid_input(format!(
                "request path {:?} does not start with '/'",
                req.path
            )));
        }
        check_scope_part("access key id", params.access_key_id)?;
        check_scope_part("region", params.region)?;
        check_scope_part("service", params.service)?;
        if let Some(token) = params.session_token {
            check_header_value("x-amz-security-token", token)?;
        }
        if let PayloadHash::Hex(hex) = &params.payload
            && (hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(Error::invalid_input(format!(
                "payload hash {hex:?} is not 64 hex digits"
            )));
        }
        let t = params
            .time
            .checked_to_offset(UtcOffset::UTC)
            .filter(|t| (0..=9999).contains(&t.year()))
            .ok_or_else(|| {
                Error::invalid_input(format!("signing time {} is out of range", params.time))
            })?;
        let mut amz_date = [0u8; 16];
        write_digits(&mut amz_date[0..4], t.year().unsigned_abs());
        write_digits(&mut amz_date[4..6], u32::from(u8::from(t.month())));
        write_digits(&mut amz_date[6..8], u32::from(t.day()));
        amz_date[8] = b'T';
        write_digits(&mut amz_date[9..11], u32::from(t.hour()));
        write_digits(&mut amz_date[11..13], u32::from(t.minute()));
        write_digits(&mut amz_date[13..15], u32::from(t.second()));
        amz_date[15] = b'Z';

        let mut scope = String::with_capacity(8 + params.region.len() + params.service.len() + 15);
        scope.push_str(&ascii_str(&amz_date)[..8]);
        scope.push('/');
        scope.push_str(params.region);
        scope.push('/');
        scope.push_str(params.service);
        scope.push_str("/aws4_request");
        Ok(Context { amz_date, scope })
    }

    fn amz_date_str(&self) -> &str {
        ascii_str(&self.amz_date)
    }

    /// A buffer with the method and the canonical URI written, ready for the query.
    fn canonical_request_start(&self, req: &SignableRequest, mode: UriEncoding) -> String {
        let estimate = 256
            + req.path.len() * 3
            + req.query.len() * 2
            + req
                .headers
                .iter()
                .map(|(n, v)| n.len() + v.len() + 2)
                .sum::<usize>();
        let mut creq = String::with_capacity(estimate);
        creq.push_str(req.method);
        creq.push('\n');
        // Checked in `new`: the path is empty or starts with '/'.
        write_canonical_path(&mut creq, req.path, mode);
        creq.push('\n');
        creq
    }

    /// The string to sign and the hex signature of `creq`.
    fn sign(&self, creq: &str, params: &SigningParams) -> (String, String) {
        let mut sts = String::with_capacity(ALGORITHM.len() + 16 + self.scope.len() + 64 + 3);
        sts.push_str(ALGORITHM);
        sts.push('\n');
        sts.push_str(self.amz_date_str());
        sts.push('\n');
        sts.push_str(&self.scope);
        sts.push('\n');
        push_hex_lower(&mut sts, &Sha256::digest(creq.as_bytes()));

        let mut date = [0u8; 8];
        date.copy_from_slice(&self.amz_date[..8]);
        let key = params
            .secret_key
            .signing_key(&date, params.region, params.service);
        let mut signature = String::with_capacity(64);
        push_hex_lower(&mut signature, &key::hmac_sha256(&key.0, &[sts.as_bytes()]));
        (sts, signature)
    }
}

impl fmt::Debug for SigningParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningParams")
            .field("access_key_id", &self.access_key_id)
            .field("secret_key", self.secret_key)
            .field("session_token", &self.session_token.map(|_| "***"))
            .field("region", &self.region)
            .field("service", &self.service)
            .field("time", &self.time)
            .field("uri_encoding", &self.uri_encoding)
            .field("payload", &self.payload)
            .field("add_content_sha256_header", &self.add_content_sha256_header)
            .field("sign_session_token", &self.sign_session_token)
            .finish()
    }
}

impl fmt::Debug for SignableRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignableRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &Redacted(self.query))
            .field("headers", &RedactedHeaders(self.headers))
            .finish()
    }
}

impl fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedRequest")
            .field("headers", &RedactedHeaders(&self.headers))
            .field("signature", &"***")
            .field("canonical_request", &Redacted(&self.canonical_request))
            .field("string_to_sign", &self.string_to_sign)
            .finish()
    }
}

impl fmt::Debug for PresignedQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PresignedQuery")
            .field("query", &Redacted(&self.query))
            .field("signature", &"***")
            .field("canonical_request", &Redacted(&self.canonical_request))
            .field("string_to_sign", &self.string_to_sign)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const TOKEN: &str = "FQoGZXIvYXdzEXAMPLETOKENVALUE+/=";

    fn time() -> OffsetDateTime {
        // 2013-05-24T00:00:00Z, the date of the S3 documentation examples.
        OffsetDateTime::from_unix_timestamp(1_369_353_600).expect("valid timestamp")
    }

    fn params<'a>(secret: &'a SecretKey, token: Option<&'a str>) -> SigningParams<'a> {
        SigningParams {
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret_key: secret,
            session_token: token,
            region: "us-east-1",
            service: "s3",
            time: time(),
            uri_encoding: UriEncoding::S3,
            payload: PayloadHash::Empty,
            add_content_sha256_header: true,
            sign_session_token: true,
        }
    }

    const HEADERS: &[(&str, &str)] = &[
        ("Host", "examplebucket.s3.amazonaws.com"),
        ("Range", "bytes=0-9"),
        (
            "x-amz-server-side-encryption-customer-key",
            "c2VjcmV0LWN1c3RvbWVyLWtleQ==",
        ),
    ];

    fn req() -> SignableRequest<'static> {
        SignableRequest {
            method: "GET",
            path: "/test.txt",
            query: "versionId=1",
            headers: HEADERS,
        }
    }

    #[test]
    fn debug_of_every_signing_type_hides_secrets() {
        let secret = SecretKey::new(SECRET);
        let p = params(&secret, Some(TOKEN));
        let signed = sign_request(&req(), &p).expect("signs");
        let presigned = presign(&req(), &p, Duration::from_secs(60)).expect("presigns");
        let shown = [
            format!("{secret:?}"),
            format!("{p:?}"),
            format!("{:?}", req()),
            format!("{signed:?}"),
            format!("{presigned:?}"),
            format!("{signed:#?}"),
            format!("{presigned:#?}"),
        ];
        for s in &shown {
            assert!(!s.contains(SECRET), "secret key in {s}");
            assert!(!s.contains(TOKEN), "session token in {s}");
            assert!(
                !s.contains(&uri_encode(TOKEN, true)),
                "encoded token in {s}"
            );
            assert!(!s.contains(&signed.signature), "signature in {s}");
            assert!(
                !s.contains(&presigned.signature),
                "presigned signature in {s}"
            );
            assert!(
                !s.contains("c2VjcmV0LWN1c3RvbWVyLWtleQ"),
                "SSE-C key in {s}"
            );
        }
        // The redaction keeps the useful parts.
        assert!(shown[3].contains("x-amz-date") && shown[3].contains("range:bytes=0-9"));
        assert!(shown[4].contains("X-Amz-Signature=***"));
    }

    #[test]
    fn sign_request_returns_headers_in_documented_order() {
        let secret = SecretKey::new(SECRET);
        let signed = sign_request(&req(), &params(&secret, Some(TOKEN))).expect("signs");
        let names: Vec<&str> = signed.headers.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "x-amz-date",
                "x-amz-content-sha256",
                "x-amz-security-token",
                "authorization"
            ]
        );
        assert!(signed.canonical_request.contains("\nx-amz-security-token:"));
        assert!(signed.headers[3].1.ends_with(&signed.signature));
    }

    #[test]
    fn unsigned_session_token_is_sent_but_not_signed() {
        let secret = SecretKey::new(SECRET);
        let mut p = params(&secret, Some(TOKEN));
        p.sign_session_token = false;
        let signed = sign_request(&req(), &p).expect("signs");
        assert!(!signed.canonical_request.contains(TOKEN));
        assert!(
            signed
                .headers
                .iter()
                .any(|(n, v)| *n == "x-amz-security-token" && v == TOKEN)
        );
        let presigned = presign(&req(), &p, Duration::from_secs(60)).expect("presigns");
        assert!(!presigned.canonical_request.contains("Security-Token"));
        assert!(presigned.query.contains("X-Amz-Security-Token="));
    }

    #[test]
    fn presign_with_token_adds_security_token() {
        let secret = SecretKey::new(SECRET);
        let presigned = presign(
            &req(),
            &params(&secret, Some(TOKEN)),
            Duration::from_secs(60),
        )
        .expect("ok");
        let encoded = uri_encode(TOKEN, true);
        assert!(presigned.query.starts_with("versionId=1&X-Amz-Algorithm="));
        assert!(
            presigned
                .query
                .contains(&format!("X-Amz-Security-Token={encoded}&"))
        );
        assert!(
            presigned
                .canonical_request
                .contains(&format!("X-Amz-Security-Token={encoded}"))
        );
        assert!(
            presigned
                .query
                .ends_with(&format!("X-Amz-Signature={}", presigned.signature))
        );
    }

    #[test]
    fn presign_rejects_expiry_out_of_range_and_existing_signature() {
        let secret = SecretKey::new(SECRET);
        let p = params(&secret, None);
        for bad in [
            Duration::ZERO,
            Duration::from_millis(999),
            MAX_PRESIGN_EXPIRY + Duration::from_secs(1),
        ] {
            let err = presign(&req(), &p, bad).expect_err("rejected");
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
        }
        assert!(presign(&req(), &p, MAX_PRESIGN_EXPIRY).is_ok());
        let mut r = req();
        r.query = "x-amz-signature=abc";
        assert_eq!(
            presign(&r, &p, Duration::from_secs(1))
                .err()
                .map(|e| e.kind()),
            Some(ErrorKind::InvalidInput)
        );
    }

    #[test]
    fn invalid_input_is_an_error_never_a_panic() {
        let secret = SecretKey::new(SECRET);
        let p = params(&secret, None);
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
        let cases: [Case; 6] = [
            ("GET", &[("host", "h"), ("bad name", "v")], "bad name"),
            ("GET", &[("host", "h"), ("x", "a\r\nInjected: 1")], "\"x\""),
            ("GET", &[("range", "bytes=0-1")], "host"),
            (
                "GET",
                &[("host", "h"), ("X-Amz-Date", "20130524T000000Z")],
                "X-Amz-Date",
            ),
            (
                "GET",
                &[("host", "h"), ("x-amz-content-sha256", "abc")],
                "x-amz-content-sha256",
            ),
            ("G T", &[("host", "h")], "G T"),
        ];
        for (method, headers, named) in cases {
            let r = SignableRequest {
                method,
                path: "/",
                query: "",
                headers,
            };
            let err = sign_request(&r, &p).expect_err("rejected");
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert!(err.to_string().contains(named), "{err} should name {named}");
        }
        let mut bad = params(&secret, None);
        bad.payload = PayloadHash::Hex("not-hex".into());
        assert!(sign_request(&req(), &bad).is_err());
        let mut bad = params(&secret, None);
        bad.region = "";
        assert!(sign_request(&req(), &bad).is_err());
        let r = SignableRequest {
            path: "relative",
            ..req()
        };
        assert!(sign_request(&r, &p).is_err());
    }

    #[test]
    fn unsigned_headers_are_not_signed() {
        let secret = SecretKey::new(SECRET);
        let headers = [
            ("host", "h"),
            ("User-Agent", "s3lite/0.1"),
            ("authorization", "old"),
        ];
        let r = SignableRequest {
            method: "GET",
            path: "/",
            query: "",
            headers: &headers,
        };
        let signed = sign_request(&r, &params(&secret, None)).expect("signs");
        assert!(!signed.canonical_request.contains("user-agent"));
        assert!(
            signed
                .canonical_request
                .contains("\nhost;x-amz-content-sha256;x-amz-date\n")
        );
    }

    #[test]
    fn format_amz_date_converts_to_utc() {
        let t = time().to_offset(UtcOffset::from_hms(5, 30, 0).expect("offset"));
        assert_eq!(format_amz_date(t), "20130524T000000Z");
        assert_eq!(
            Context::new(&req(), &params(&SecretKey::new(SECRET), None))
                .expect("ok")
                .amz_date_str(),
            "20130524T000000Z"
        );
    }

    #[test]
    fn payload_hash_for_body() {
        assert_eq!(PayloadHash::for_body(b""), PayloadHash::Empty);
        assert_eq!(
            PayloadHash::for_chunks::<&[u8]>(&[b"", b""]),
            PayloadHash::Empty
        );
        assert_eq!(
            PayloadHash::for_chunks(&[&b"Welcome to "[..], b"Amazon S3."]),
            PayloadHash::for_body(b"Welcome to Amazon S3.")
        );
        assert_eq!(PayloadHash::for_body(b"").as_str(), EMPTY_SHA256);
        assert_eq!(
            PayloadHash::for_body(b"Welcome to Amazon S3.").as_str(),
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        );
    }
}
