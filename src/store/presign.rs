//! Presigned URLs: a GET, PUT, HEAD or DELETE of one object that anyone
//! holding the URL may send, until it expires.
//!
//! The signature covers the method, the key, the query (the `X-Amz-*`
//! parameters, the caller's extra ones, `x-amz-request-payer` on a
//! requester-pays store) and the `host` plus any extra headers, which the
//! holder must then send exactly. The payload is `UNSIGNED-PAYLOAD`.
//!
//! On an SSE-C store a GET, PUT or HEAD needs the customer key headers,
//! which S3 accepts only as headers: [`S3Store::presign_request`] signs
//! them and returns them with the URL, and [`S3Store::presign`] refuses.

use std::fmt;
use std::time::Duration;

use http::Method;
use time::OffsetDateTime;

use super::{S3Store, check_key, sse};
use crate::error::{Error, Result};
use crate::sign::{self, PayloadHash, SignableRequest, SigningParams, UriEncoding};
use crate::transport::redact_url;

/// Extras of a presigned URL: headers the holder must send, and query
/// parameters (`response-content-disposition`, `versionId`, ...), all signed.
///
/// ```
/// let options = s3lite::PresignOptions::default()
///     .with_header("content-type", "text/csv")
///     .with_query("response-cache-control", "no-store");
/// assert_eq!(options.headers.len(), 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PresignOptions {
    /// Headers the request must carry (names are case-insensitive).
    pub headers: Vec<(String, String)>,
    /// Query parameters, not encoded (the presigner encodes them).
    pub query: Vec<(String, String)>,
}

impl PresignOptions {
    /// Adds a signed header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds a signed query parameter.
    pub fn with_query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }
}

/// A presigned URL and the headers its holder must send with it, exactly:
/// the extra headers of [`PresignOptions`] and, on a store with SSE-C, the
/// customer key headers (`x-amz-server-side-encryption-customer-algorithm`,
/// `-key` and `-key-MD5`). `Debug` hides the query and the key.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PresignedRequest {
    /// The presigned URL.
    pub url: String,
    /// Signed headers (lower-case names) to send with the URL, besides `host`.
    pub headers: Vec<(String, String)>,
}

impl fmt::Debug for PresignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| {
                let shown = if sse::is_customer_key(n) { "***" } else { v };
                (n.as_str(), shown)
            })
            .collect();
        f.debug_struct("PresignedRequest")
            .field("url", &redact_url(&self.url))
            .field("headers", &headers)
            .finish()
    }
}

impl S3Store {
    /// A presigned URL for `method` (GET, PUT, HEAD or DELETE) on `key`,
    /// valid for `expires_in` (1 second to 7 days).
    ///
    /// See [Sharing objects with presigned URLs](https://docs.aws.amazon.com/AmazonS3/latest/userguide/ShareObjectPreSignedURL.html).
    /// A store with `skip_signature` returns the plain, unsigned URL.
    ///
    /// # Errors
    /// `InvalidInput` for another method, an expiry outside 1 s..=7 days
    /// or a bad key, and for a GET, PUT or HEAD on a store with SSE-C (its
    /// key must go in headers: use [`presign_request`](S3Store::presign_request));
    /// `Credentials` when none can be obtained.
    ///
    /// ```no_run
    /// # async fn demo(store: &s3lite::S3Store) -> s3lite::Result<()> {
    /// use std::time::Duration;
    /// let url = store
    ///     .presign(http::Method::GET, "report.pdf", Duration::from_secs(3600))
    ///     .await?;
    /// println!("{url}");
    /// # Ok(()) }
    /// ```
    pub async fn presign(&self, method: Method, key: &str, expires_in: Duration) -> Result<String> {
        self.presign_opts(method, key, expires_in, &PresignOptions::default())
            .await
    }

    /// As [`presign`](S3Store::presign), with signed extra headers and
    /// query parameters.
    ///
    /// # Errors
    /// As [`presign`](S3Store::presign), and `InvalidInput` for a header
    /// the signer sets itself (`x-amz-date`, ...) or an invalid one.
    pub async fn presign_opts(
        &self,
        method: Method,
        key: &str,
        expires_in: Duration,
        options: &PresignOptions,
    ) -> Result<String> {
        let now = self.inner.retry_state.clock.now_utc();
        self.presign_at(method, key, expires_in, options, now).await
    }

    /// As [`presign_opts`](S3Store::presign_opts), signed as of `now`
    /// (the URL is valid from `now` to `now + expires_in`). Tests use it to
    /// make URLs that have already expired.
    ///
    /// # Errors
    /// As [`presign_opts`](S3Store::presign_opts).
    pub async fn presign_at(
        &self,
        method: Method,
        key: &str,
        expires_in: Duration,
        options: &PresignOptions,
        now: OffsetDateTime,
    ) -> Result<String> {
        if !sse::presign_headers(self.encryption(), &method).is_empty() {
            return Err(Error::invalid_input(format!(
                "presign {method} {}: the store uses SSE-C, whose key S3 takes only in headers, not in a URL; call presign_request and send its headers with the URL",
                self.inner.target(Some(&self.full_key(key)))
            )));
        }
        Ok(self
            .sign_url(method, key, expires_in, options, now)
            .await?
            .url)
    }

    /// A presigned request for `method` (GET, PUT, HEAD or DELETE) on `key`,
    /// valid for `expires_in` (1 second to 7 days): the URL and the headers
    /// the holder must send with it. Unlike [`presign`](S3Store::presign)
    /// it works on a store with SSE-C: the customer key headers are signed
    /// and returned (S3 does not accept the key in the query).
    ///
    /// # Errors
    /// As [`presign_opts`](S3Store::presign_opts), except for SSE-C; and
    /// `InvalidInput` when `options` sets an SSE-C header the store sets.
    ///
    /// ```no_run
    /// # async fn demo(store: &s3lite::S3Store) -> s3lite::Result<()> {
    /// use std::time::Duration;
    /// let get = store
    ///     .presign_request(
    ///         http::Method::GET,
    ///         "report.pdf",
    ///         Duration::from_secs(3600),
    ///         &s3lite::PresignOptions::default(),
    ///     )
    ///     .await?;
    /// // Send `get.headers` with the request to `get.url`.
    /// # let _ = get; Ok(()) }
    /// ```
    pub async fn presign_request(
        &self,
        method: Method,
        key: &str,
        expires_in: Duration,
        options: &PresignOptions,
    ) -> Result<PresignedRequest> {
        let now = self.inner.retry_state.clock.now_utc();
        self.sign_url(method, key, expires_in, options, now).await
    }

    /// Signs the URL, with the SSE-C headers `method` needs on this store.
    async fn sign_url(
        &self,
        method: Method,
        key: &str,
        expires_in: Duration,
        options: &PresignOptions,
        now: OffsetDateTime,
    ) -> Result<PresignedRequest> {
        if ![Method::GET, Method::PUT, Method::HEAD, Method::DELETE].contains(&method) {
            return Err(Error::invalid_input(format!(
                "presign: method {method} is not one of GET, PUT, HEAD, DELETE"
            )));
        }
        let full = self.full_key(key);
        check_key(&full)?;
        let inner = &self.inner;
        let path = inner.endpoint.path(&full);
        let mut query = String::new();
        let mut params: Vec<(&str, &str)> = options
            .query
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        if inner.request_payer {
            params.push(("x-amz-request-payer", "requester"));
        }
        for (name, value) in params {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(&sign::uri_encode(name, true));
            query.push('=');
            query.push_str(&sign::uri_encode(value, true));
        }
        let mut lower: Vec<(String, String)> = options
            .headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
            .collect();
        for (name, value) in sse::presign_headers(self.encryption(), &method) {
            if lower.iter().any(|(n, _)| n == name) {
                return Err(Error::invalid_input(format!(
                    "presign: header {name} is set by the store's SSE-C setting"
                )));
            }
            lower.push((name.to_string(), value));
        }
        let Some(provider) = &inner.credentials else {
            check_expiry(expires_in)?;
            return Ok(PresignedRequest {
                url: inner.endpoint.url_for_path(&path, &query),
                headers: lower,
            });
        };
        let creds = provider
            .credentials()
            .await
            .map_err(|e| e.context(format!("presign {}", inner.target(Some(&full)))))?;
        let mut headers: Vec<(&str, &str)> = vec![("host", inner.endpoint.host())];
        headers.extend(lower.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let params = SigningParams {
            access_key_id: creds.access_key_id(),
            secret_key: creds.secret_key(),
            session_token: creds.session_token(),
            region: inner.endpoint.signing_region(),
            service: "s3",
            time: now,
            uri_encoding: UriEncoding::S3,
            payload: PayloadHash::Unsigned,
            add_content_sha256_header: false,
            sign_session_token: true,
        };
        let request = SignableRequest {
            method: method.as_str(),
            path: &path,
            query: &query,
            headers: &headers,
        };
        let signed = sign::presign(&request, &params, expires_in)?;
        Ok(PresignedRequest {
            url: inner.endpoint.url_for_path(&path, &signed.query),
            headers: lower,
        })
    }
}

/// The expiry rule of SigV4 URLs, also for unsigned ones (same contract).
fn check_expiry(expires_in: Duration) -> Result<()> {
    if expires_in < Duration::from_secs(1) || expires_in > Duration::from_secs(7 * 24 * 3600) {
        return Err(Error::invalid_input(format!(
            "presign expiry {expires_in:?} is outside 1s..=7 days"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn store(token: Option<&str>, payer: bool) -> S3Store {
        let mut b = S3Store::builder()
            .bucket("examplebucket")
            .region("us-east-1")
            .endpoint("https://s3.amazonaws.com")
            .virtual_hosted_style_request(true)
            .access_key_id("AKIAIOSFODNN7EXAMPLE")
            .secret_access_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
            .request_payer(payer);
        if let Some(t) = token {
            b = b.session_token(t);
        }
        b.build().unwrap_or_else(|e| panic!("{e}"))
    }

    fn at(secs: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// The presigned GET example of the S3 API Reference
    /// ("Authenticating Requests: Using Query Parameters").
    #[tokio::test]
    async fn presign_matches_the_aws_example() {
        let url = store(None, false)
            .presign_at(
                Method::GET,
                "test.txt",
                Duration::from_secs(86400),
                &PresignOptions::default(),
                at(1_369_353_600),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            url.ends_with(
                "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
            ),
            "{url}"
        );
        assert!(
            url.starts_with("https://examplebucket.s3.amazonaws.com/test.txt?"),
            "{url}"
        );
    }

    /// `aws-global` resolves to `s3.amazonaws.com` signed for `us-east-1`:
    /// the AWS example again, without a custom endpoint.
    #[tokio::test]
    async fn presign_for_aws_global_signs_for_us_east_1() {
        let url = S3Store::builder()
            .without_env()
            .bucket("examplebucket")
            .region("aws-global")
            .access_key_id("AKIAIOSFODNN7EXAMPLE")
            .secret_access_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
            .presign_at(
                Method::GET,
                "test.txt",
                Duration::from_secs(86400),
                &PresignOptions::default(),
                at(1_369_353_600),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            url.starts_with("https://examplebucket.s3.amazonaws.com/test.txt?")
                && url.ends_with(
                    "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
                ),
            "{url}"
        );
    }

    #[tokio::test]
    async fn presign_with_token_and_payer_adds_both() {
        let url = store(Some("TOKEN/+="), true)
            .presign(Method::PUT, "k", Duration::from_secs(60))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(url.contains("X-Amz-Security-Token=TOKEN%2F%2B%3D"), "{url}");
        assert!(url.contains("x-amz-request-payer=requester"), "{url}");
    }

    #[tokio::test]
    async fn presign_refuses_bad_expiry_and_methods() {
        let s = store(None, false);
        for expiry in [Duration::ZERO, Duration::from_secs(7 * 24 * 3600 + 1)] {
            let e = s
                .presign(Method::GET, "k", expiry)
                .await
                .expect_err("expiry");
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        }
        assert!(
            s.presign(Method::GET, "k", Duration::from_secs(7 * 24 * 3600))
                .await
                .is_ok()
        );
        let e = s
            .presign(Method::POST, "k", Duration::from_secs(60))
            .await
            .expect_err("POST");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    }

    fn sse_c_store() -> S3Store {
        S3Store::builder()
            .bucket("examplebucket")
            .region("us-east-1")
            .endpoint("https://s3.amazonaws.com")
            .access_key_id("AKIAIOSFODNN7EXAMPLE")
            .secret_access_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
            .server_side_encryption(crate::config::ServerSideEncryption::SseC)
            .sse_customer_key_base64(crate::encoding::encode_base64(&[7; 32]))
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[tokio::test]
    async fn presign_on_sse_c_store_points_to_presign_request() {
        let s = sse_c_store();
        for method in [Method::GET, Method::PUT, Method::HEAD] {
            let e = s
                .presign(method, "k", Duration::from_secs(60))
                .await
                .expect_err("SSE-C");
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
            assert!(e.to_string().contains("presign_request"), "{e}");
        }
        // DELETE carries no key.
        assert!(
            s.presign(Method::DELETE, "k", Duration::from_secs(60))
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn presign_request_signs_and_returns_sse_c_headers() {
        let key = crate::encoding::encode_base64(&[7; 32]);
        let req = sse_c_store()
            .presign_request(
                Method::GET,
                "k",
                Duration::from_secs(60),
                &PresignOptions::default().with_header("Range", "bytes=0-9"),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            req.url.contains("X-Amz-SignedHeaders=host%3Brange%3Bx-amz-server-side-encryption-customer-algorithm%3Bx-amz-server-side-encryption-customer-key%3Bx-amz-server-side-encryption-customer-key-md5&"),
            "{}",
            req.url
        );
        assert!(
            !req.url.contains(&crate::sign::uri_encode(&key, true)),
            "key in the URL"
        );
        let names: Vec<&str> = req.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "range",
                "x-amz-server-side-encryption-customer-algorithm",
                "x-amz-server-side-encryption-customer-key",
                "x-amz-server-side-encryption-customer-key-md5"
            ]
        );
        assert_eq!(req.headers[2].1, key);
        let shown = format!("{req:?}");
        assert!(
            !shown.contains(&key) && !shown.contains("X-Amz-Signature"),
            "{shown}"
        );
        // Setting the store's SSE-C header again is refused.
        let e = sse_c_store()
            .presign_request(
                Method::PUT,
                "k",
                Duration::from_secs(60),
                &PresignOptions::default()
                    .with_header("X-Amz-Server-Side-Encryption-Customer-Key", "other"),
            )
            .await
            .expect_err("duplicate");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    }

    #[tokio::test]
    async fn presign_request_without_sse_c_is_presign() {
        let req = store(None, false)
            .presign_request(
                Method::GET,
                "k",
                Duration::from_secs(60),
                &PresignOptions::default(),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(req.headers.is_empty());
        assert!(req.url.contains("X-Amz-SignedHeaders=host&"), "{}", req.url);
    }

    #[tokio::test]
    async fn presign_signs_extra_headers_and_query() {
        let url = store(None, false)
            .presign_opts(
                Method::PUT,
                "k",
                Duration::from_secs(60),
                &PresignOptions::default()
                    .with_header("Content-Type", "text/plain")
                    .with_query("versionId", "v 1"),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            url.contains("X-Amz-SignedHeaders=content-type%3Bhost"),
            "{url}"
        );
        assert!(url.contains("versionId=v%201"), "{url}");
    }
}
