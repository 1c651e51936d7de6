//! The one request loop: build, get credentials, sign, send, classify, back off.
//!
//! Every attempt is signed afresh with the current (skew-corrected) time and
//! the provider's current credentials, so a retry never resends a stale
//! signature. What is retried is documented in [`crate::retry`].

mod classify;
mod skew;

use std::sync::Arc;
use std::time::Duration;

use http::header::{CONTENT_LENGTH, HOST};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use time::OffsetDateTime;

use crate::credentials::CredentialProvider;
use crate::endpoint::BucketEndpoint;
use crate::error::{Error, ErrorKind, Result};
use crate::retry::{
    self, Backoff, Clock, RETRY_COST, RetryBudget, RetryConfig, SystemClock, TIMEOUT_RETRY_COST,
    XorShift,
};
use crate::sign::chunked::ChunkSigner;
use crate::sign::{self, PayloadHash, SignableRequest, SigningParams, UriEncoding};
use crate::transport::{HttpClient, HttpRequest, HttpResponse, RequestBody, ResponseBody};

use classify::never_sent;
#[allow(unused_imports, reason = "for the multipart and transfer modules")]
pub(crate) use classify::{classify, error_from_answer, error_in_ok_body};
use skew::{ClockSkew, was_skewed};

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
    /// Send `x-amz-request-payer: requester` (requester-pays buckets).
    pub(crate) request_payer: bool,
    /// The checksum of uploads: `checksum_algorithm`, or CRC32 under
    /// `request_checksum_calculation = when_supported`.
    pub(crate) checksum: Option<crate::checksum::ChecksumAlgorithm>,
    /// Whether GETs ask for the object's checksum and check it.
    pub(crate) validate_downloads: bool,
    /// S3 Express session credentials (directory buckets); requests are then
    /// signed with them under `s3express`.
    pub(crate) express: Option<super::express::ExpressSessions>,
    /// Clock, retry budget and clock offset shared by all requests.
    pub(crate) retry_state: RetryState,
    /// Aborts of dropped multipart uploads, running in the background.
    pub(crate) background: crate::store::upload_guard::BackgroundAborts,
}

/// What the request loop shares across requests of one store.
#[derive(Debug)]
pub(crate) struct RetryState {
    pub(crate) clock: Arc<dyn Clock>,
    budget: Option<RetryBudget>,
    skew: ClockSkew,
}

impl RetryState {
    /// State for `config`; the system clock unless `clock` is given.
    pub(crate) fn new(config: &RetryConfig, clock: Option<Arc<dyn Clock>>) -> Self {
        RetryState {
            clock: clock.unwrap_or_else(|| Arc::new(SystemClock)),
            budget: RetryBudget::new(config.retry_budget),
            skew: ClockSkew::default(),
        }
    }

    /// Takes tokens for a retry after `err`; `true` when there is no budget.
    pub(crate) fn acquire(&self, err: &Error) -> Option<u32> {
        let cost = if err.kind() == ErrorKind::Timeout {
            TIMEOUT_RETRY_COST
        } else {
            RETRY_COST
        };
        match &self.budget {
            Some(b) if !b.try_acquire(cost) => None,
            _ => Some(cost),
        }
    }

    /// Records a success after retries that cost `last_cost` (`None`: none),
    /// for requests outside this loop (DynamoDB lock calls).
    pub(crate) fn on_success(&self, last_cost: Option<u32>) {
        if let Some(budget) = &self.budget {
            budget.on_success(last_cost);
        }
    }
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
    /// Whether sending the request twice has the effect of sending it once,
    /// so it may be retried when the connection breaks after it was sent.
    /// Default: `true` for every method but POST. CompleteMultipartUpload
    /// and DeleteObjects set it (same body, same result);
    /// CreateMultipartUpload leaves it off (a second call makes a second
    /// upload).
    pub(crate) idempotent: bool,
    /// Whether a 2xx answer may carry an S3 `<Error>` document instead of
    /// the result (CopyObject, CompleteMultipartUpload, DeleteObjects). The
    /// loop then reads the body, turns such a document into an error and
    /// retries it like any other answer; the response it returns holds the
    /// body in memory.
    pub(crate) error_in_ok_body: bool,
    /// Whether the caller streams a 2xx body (GetObject). Otherwise the
    /// loop reads the whole body inside the attempt, so that a connection
    /// that breaks mid-body is retried like any other failure, and returns
    /// it in memory.
    pub(crate) stream_body: bool,
    /// An aws-chunked body, framed and signed chunk by chunk after the
    /// headers are signed (`body` is then unused). Sent once, never retried.
    pub(crate) chunked: Option<super::chunked_body::ChunkedUpload>,
    /// SHA-256 of the body computed before sending: for a `Bytes` body its
    /// `x-amz-checksum-sha256`, for a file range the hash read from the file
    /// (file bodies are otherwise sent `UNSIGNED-PAYLOAD`). The payload hash
    /// reuses it.
    pub(crate) body_sha256: Option<[u8; 32]>,
    /// The algorithm of the body's `x-amz-checksum-*` header, if it has one.
    pub(crate) body_checksum: Option<crate::checksum::ChecksumAlgorithm>,
    /// A large upload (an UploadPart, or a PutObject of at least
    /// [`UNSIGNED_PUT_MIN`](super::checksums::UNSIGNED_PUT_MIN) bytes): over
    /// HTTPS, with a CRC or SHA-1 checksum header, its payload is sent
    /// `UNSIGNED-PAYLOAD` instead of hashed with SHA-256, as the AWS SDKs do
    /// (TLS and the checksum protect it). Over plain HTTP the payload stays
    /// signed: there the hash is the integrity check.
    pub(crate) large_upload: bool,
    /// Sign with the store's own credentials even on an S3 Express bucket
    /// (CreateSession itself).
    pub(crate) base_credentials: bool,
    /// A call on the service, not the bucket (ListBuckets): sent to the
    /// endpoint without the bucket, path `/`.
    pub(crate) service_level: bool,
}

impl S3Request {
    pub(crate) fn new(op: &'static str, method: Method, key: Option<&str>) -> Self {
        S3Request {
            op,
            idempotent: method != Method::POST,
            method,
            key: key.map(str::to_string),
            query: String::new(),
            headers: HeaderMap::new(),
            body: RequestBody::Empty,
            error_in_ok_body: false,
            stream_body: false,
            chunked: None,
            body_sha256: None,
            body_checksum: None,
            large_upload: false,
            base_credentials: false,
            service_level: false,
        }
    }

    /// Sends `upload` as an aws-chunked body (see [`chunked`](Self::chunked)).
    pub(crate) fn chunked(mut self, upload: super::chunked_body::ChunkedUpload) -> Self {
        self.chunked = Some(upload);
        self
    }

    /// Sets [`base_credentials`](Self::base_credentials).
    pub(crate) fn with_base_credentials(mut self) -> Self {
        self.base_credentials = true;
        self
    }

    /// Adds a header; the value must be a valid header value.
    pub(crate) fn header(mut self, name: HeaderName, value: &str) -> Result<Self> {
        let v = header_value(name.as_str(), value)?;
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

    /// Sets [`idempotent`](Self::idempotent).
    pub(crate) fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// Sets [`stream_body`](Self::stream_body).
    pub(crate) fn streaming(mut self) -> Self {
        self.stream_body = true;
        self
    }

    /// Sets [`error_in_ok_body`](Self::error_in_ok_body).
    pub(crate) fn with_error_in_ok_body(mut self) -> Self {
        self.error_in_ok_body = true;
        self
    }
}

/// How one attempt failed.
struct Failure {
    err: Error,
    /// The connection broke after the request may have been sent (no answer).
    lost: bool,
    /// The wait the answer asked for.
    retry_after: Option<Duration>,
    /// The server's clock, from the answer's `Date`.
    server_time: Option<OffsetDateTime>,
}

impl StoreInner {
    /// `bucket/key` or `bucket`, for messages.
    pub(crate) fn target(&self, key: Option<&str>) -> String {
        match key {
            Some(k) => format!("{}/{k}", self.bucket),
            None => self.bucket.clone(),
        }
    }

    /// Whether a body is sent with its SHA-256 as the signed payload hash:
    /// unless `unsigned_payload` is set, or a large upload goes over HTTPS
    /// protected by a CRC or SHA-1 checksum (see [`S3Request::large_upload`]).
    pub(crate) fn signs_payload(
        &self,
        large_upload: bool,
        checksum: Option<crate::checksum::ChecksumAlgorithm>,
    ) -> bool {
        let checksum_protects = large_upload
            && self.endpoint.scheme() == "https"
            && checksum.is_some_and(|alg| alg != crate::checksum::ChecksumAlgorithm::Sha256);
        !self.unsigned_payload && !checksum_protects
    }

    /// Sends `req`, retrying what may be retried; a non-2xx answer becomes
    /// an [`Error`] built from S3's `<Error>` body.
    pub(crate) async fn send(&self, req: S3Request) -> Result<HttpResponse> {
        self.send_counting(req, &mut 0).await
    }

    /// As [`send`](Self::send), adding to `attempts` each time the request
    /// is handed to the HTTP client, so a caller can tell whether the
    /// outcome is a retry's (CompleteMultipartUpload checks whether a lost
    /// first attempt already did the work).
    pub(crate) async fn send_counting(
        &self,
        req: S3Request,
        attempts: &mut u32,
    ) -> Result<HttpResponse> {
        let S3Request {
            op,
            method,
            key,
            query,
            mut headers,
            body,
            idempotent,
            error_in_ok_body: check_ok_body,
            stream_body,
            mut chunked,
            body_sha256,
            body_checksum,
            large_upload,
            base_credentials,
            service_level,
        } = req;
        let target = self.target(key.as_deref());
        // Service-level calls go to the endpoint without the bucket.
        let service = match service_level {
            false => None,
            true => Some(self.endpoint.service_endpoint(&self.bucket).ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidConfig,
                    format!(
                        "{op}: the endpoint of bucket {} has no service endpoint (S3 Express or an access point)",
                        self.bucket
                    ),
                )
            })?),
        };
        let endpoint = service.as_ref().unwrap_or(&self.endpoint);
        let path = match (&key, service_level) {
            (_, true) => endpoint.bucket_path(),
            (Some(k), false) => endpoint.path(k),
            (None, false) => endpoint.bucket_path(),
        };
        let url = endpoint.url_for_path(&path, &query);
        let mut payload = match &body {
            RequestBody::Empty => PayloadHash::Empty,
            _ if !self.signs_payload(large_upload, body_checksum) => PayloadHash::Unsigned,
            RequestBody::Bytes(_) | RequestBody::Chunks(_) => {
                let chunks = body.memory_chunks().unwrap_or_default();
                match body_sha256 {
                    Some(digest) if body.len_hint() != Some(0) => PayloadHash::from_digest(&digest),
                    _ => PayloadHash::for_chunks(chunks),
                }
            }
            _ => match body_sha256 {
                Some(digest) => PayloadHash::from_digest(&digest),
                None => PayloadHash::Unsigned,
            },
        };
        headers.insert(HOST, header_value("host", endpoint.host())?);
        if self.request_payer {
            headers.insert("x-amz-request-payer", HeaderValue::from_static("requester"));
        }
        match body.len_hint() {
            Some(len) if len > 0 || method == Method::PUT || method == Method::POST => {
                headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
            }
            _ => {}
        }
        if let Some(upload) = &chunked {
            upload.add_headers(&mut headers);
            payload = upload.mode.payload_hash();
        }
        // Directory buckets: session credentials (except for CreateSession)
        // and the `s3express` signing name.
        let express = self.express.as_ref().filter(|_| !base_credentials);
        let provider: Option<&dyn CredentialProvider> = match express {
            Some(sessions) => Some(sessions.provider()),
            None => self.credentials.as_deref(),
        };
        // The endpoint says what to sign for (`s3express` for directory
        // buckets, the ARN's region for access points); `s3_express` on a
        // custom endpoint asks for sessions, hence `s3express`, too.
        let service = if self.express.is_some() {
            super::express::SERVICE
        } else {
            self.endpoint.signing_name()
        };

        let state = &self.retry_state;
        let clock = &*state.clock;
        let started = clock.monotonic();
        let seed = self.retry.jitter_seed.unwrap_or_else(XorShift::seed);
        let mut backoff = Backoff::new(&self.retry, seed);
        let mut spare_body = Some(body);
        let mut retries = 0usize;
        let mut last_cost: Option<u32> = None;
        let mut refreshed = false;
        let mut skew_retried = false;
        loop {
            let Some(current) = spare_body.take() else {
                // Unreachable: a body that cannot be replayed ends the loop below.
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("{op} {target}: body already consumed"),
                ));
            };
            spare_body = current.try_clone();
            let signed_at = state.skew.now(clock);
            let mut attempt_headers = headers.clone();
            // When the credentials this attempt is signed with expire.
            let mut creds_expire = None;
            let mut chunk_signer = None;
            if let Some(provider) = provider {
                let creds = provider
                    .credentials()
                    .await
                    .map_err(|e| e.context(format!("{op} {target}")))?;
                creds_expire = creds.expires_at();
                // S3 Express: the session token is an ordinary signed header.
                let mut session_token = creds.session_token();
                if express.is_some()
                    && let Some(token) = session_token.take()
                {
                    attempt_headers.insert(
                        super::express::SESSION_TOKEN_HEADER,
                        header_value(super::express::SESSION_TOKEN_HEADER, token)?,
                    );
                }
                let signed = {
                    let pairs = header_pairs(&attempt_headers)?;
                    let params = SigningParams {
                        access_key_id: creds.access_key_id(),
                        secret_key: creds.secret_key(),
                        session_token,
                        region: self.endpoint.signing_region(),
                        service,
                        time: signed_at,
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
                    let signed = sign::sign_request(&request, &params)?;
                    if chunked.is_some() {
                        chunk_signer = Some(ChunkSigner::new(&params, &signed.signature)?);
                    }
                    signed
                };
                for (name, value) in signed.headers {
                    attempt_headers.insert(name, header_value(name, &value)?);
                }
            }
            let current = match chunked.take() {
                Some(upload) => {
                    // Framed and signed as it is sent: never replayable.
                    spare_body = None;
                    upload.into_body(chunk_signer)?
                }
                None => current,
            };
            let request = HttpRequest {
                method: method.clone(),
                url: url.clone(),
                headers: attempt_headers,
                body: current,
            };
            *attempts += 1;
            let failure = match self.client.send(request).await {
                Ok(resp) => {
                    let server_time = state.skew.observe(&resp.headers, clock);
                    if resp.status.is_success() {
                        match self
                            .check_ok(op, &target, resp, check_ok_body, stream_body)
                            .await
                        {
                            Ok(resp) => {
                                if let Some(budget) = &state.budget {
                                    budget.on_success(last_cost);
                                }
                                return Ok(resp);
                            }
                            Err(mut failure) => {
                                failure.server_time = server_time;
                                failure
                            }
                        }
                    } else {
                        let retry_after = retry::retry_after(&resp.headers, clock.now_utc());
                        let HttpResponse {
                            status,
                            headers: resp_headers,
                            body,
                        } = resp;
                        match body.collect_limited(crate::limits::MAX_ERROR_BODY).await {
                            Ok(bytes) => Failure {
                                err: error_from_answer(op, &target, status, &resp_headers, &bytes),
                                lost: false,
                                retry_after,
                                server_time,
                            },
                            // The error document was cut short: without its code the
                            // status alone decides, and a 4xx counts as a lost answer.
                            Err(e) => {
                                let by_status =
                                    error_from_answer(op, &target, status, &resp_headers, b"");
                                if by_status.is_retryable() {
                                    Failure {
                                        err: by_status,
                                        lost: false,
                                        retry_after,
                                        server_time,
                                    }
                                } else {
                                    Failure {
                                        err: e.context(format!(
                                            "{op} {target}: reading the {} error answer",
                                            status.as_u16()
                                        )),
                                        lost: true,
                                        retry_after: None,
                                        server_time,
                                    }
                                }
                            }
                        }
                    }
                }
                Err(e) => Failure {
                    lost: !never_sent(&e),
                    err: e.context(format!("{op} {target}")),
                    retry_after: None,
                    server_time: None,
                },
            };
            let Failure {
                err,
                lost,
                retry_after,
                server_time,
            } = failure;

            // One free, immediate retry each for stale credentials and a skewed clock.
            let replayable = spare_body.is_some();
            match err.s3_code() {
                Some("ExpiredToken" | "InvalidToken" | "TokenRefreshRequired")
                    if !refreshed && replayable =>
                {
                    if let Some(provider) = provider {
                        provider.invalidate();
                        refreshed = true;
                        continue;
                    }
                }
                // A HEAD answer has no body: a bare 400/403 stands in for the code.
                Some("RequestTimeTooSkewed" | "RequestExpired" | "InvalidSignatureException")
                | None
                    if !skew_retried
                        && (err.s3_code().is_some() || matches!(err.status(), Some(400 | 403)))
                        && replayable
                        && server_time.is_some_and(|t| was_skewed(signed_at, t)) =>
                {
                    skew_retried = true;
                    continue;
                }
                // S3 answers a failed HEAD with a bare 403/404 and no body, so
                // no code: "it is not possible to retrieve the exact exception
                // beyond these error codes" (HeadObject API reference; see
                // aws/aws-sdk#50). A bodiless 400/403 while the signing
                // credentials expire within the refresh window, or already have,
                // is taken as ExpiredToken. Codes some servers put in headers
                // (x-amz-error-code, MinIO's x-minio-error-code) are read by
                // `error_from_answer` and take the arm above.
                None if !refreshed
                    && replayable
                    && matches!(err.status(), Some(400 | 403))
                    && creds_expire.is_some_and(|exp| exp <= signed_at + expiry_window()) =>
                {
                    if let Some(provider) = provider {
                        provider.invalidate();
                        refreshed = true;
                        continue;
                    }
                }
                _ => {}
            }

            if !err.is_retryable() {
                return Err(err);
            }
            if lost && !idempotent {
                return Err(err.context(
                    "not retried: the connection broke after the request was sent, and repeating this request is not safe",
                ));
            }
            if !replayable {
                return Err(err.context(
                    "not retried: the request body is a one-shot stream that cannot be sent again",
                ));
            }
            if retries >= self.retry.max_retries {
                return Err(err);
            }
            let mut delay = backoff.next_delay();
            if let Some(asked) = retry_after {
                delay = delay.max(asked).min(self.retry.max_backoff);
            }
            let elapsed = clock.monotonic().saturating_sub(started);
            if elapsed + delay >= self.retry.retry_timeout {
                return Err(err.context(format!(
                    "gave up after {retries} retries in {:.1}s (RetryConfig::retry_timeout {:.1}s)",
                    elapsed.as_secs_f64(),
                    self.retry.retry_timeout.as_secs_f64()
                )));
            }
            let Some(cost) = state.acquire(&err) else {
                return Err(err.context("not retried: the store's retry budget is exhausted"));
            };
            clock.sleep(delay).await;
            retries += 1;
            last_cost = Some(cost);
        }
    }

    /// Reads a 2xx answer's body (unless it is `streamed`) and, when
    /// `check`ed, fails if it is an `<Error>` document.
    async fn check_ok(
        &self,
        op: &str,
        target: &str,
        resp: HttpResponse,
        check: bool,
        streamed: bool,
    ) -> std::result::Result<HttpResponse, Failure> {
        if streamed && !check {
            return Ok(resp);
        }
        let HttpResponse {
            status,
            headers,
            body,
        } = resp;
        let bytes = body
            .collect_limited(crate::limits::MAX_RESPONSE_BODY)
            .await
            .map_err(|e| Failure {
                err: e.context(format!("{op} {target}")),
                lost: true,
                retry_after: None,
                server_time: None,
            })?;
        if check && let Some(err) = error_in_ok_body(op, target, &bytes) {
            return Err(Failure {
                err,
                lost: false,
                retry_after: None,
                server_time: None,
            });
        }
        Ok(HttpResponse {
            status,
            headers,
            body: ResponseBody::from_bytes(bytes),
        })
    }
}

/// Credentials this close to their expiry count as expired when S3 rejects
/// a request without saying why: the refresh window of
/// [`CachingProvider`](crate::credentials::CachingProvider).
fn expiry_window() -> time::Duration {
    time::Duration::try_from(crate::credentials::DEFAULT_REFRESH_BEFORE)
        .unwrap_or(time::Duration::ZERO)
}

/// `value` as the value of header `name`; marked sensitive (hidden by
/// hyper's `Debug`) for credentials and tokens.
///
/// # Errors
/// `InvalidInput` naming the header, with its value unless the header is a
/// secret ([`is_sensitive_header`](crate::redact::is_sensitive_header)).
pub(crate) fn header_value(name: &str, value: &str) -> Result<HeaderValue> {
    let sensitive = crate::redact::is_sensitive_header(name);
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        let shown = crate::redact::shown_header_value(name, value);
        Error::invalid_input(format!(
            "header {name}: value {shown:?} is not a valid HTTP header value"
        ))
    })?;
    v.set_sensitive(sensitive);
    Ok(v)
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

#[cfg(test)]
mod tests;
