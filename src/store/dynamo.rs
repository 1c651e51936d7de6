//! `conditional_put = dynamo:<table>` and `copy_if_not_exists = dynamo:<table>`:
//! a lock-and-commit protocol in a DynamoDB table, for S3-compatible stores
//! without conditional writes.
//!
//! The table has a string partition key `path`, a string sort key `etag`,
//! and optionally TTL on the number attribute `ttl`:
//!
//! ```text
//! aws dynamodb create-table --table-name locks \
//!   --key-schema AttributeName=path,KeyType=HASH AttributeName=etag,KeyType=RANGE \
//!   --attribute-definitions AttributeName=path,AttributeType=S AttributeName=etag,AttributeType=S \
//!   --billing-mode PAY_PER_REQUEST
//! aws dynamodb update-time-to-live --table-name locks \
//!   --time-to-live-specification Enabled=true,AttributeName=ttl
//! ```
//!
//! A conditional write of `bucket/key` expecting ETag `etag` (`*` to create):
//!
//! 1. HEAD the object; fail now if the condition does not hold.
//! 2. Put the lock record `(bucket/key, etag)` only if none exists
//!    (`attribute_not_exists`), with generation 0, the lock timeout and a
//!    random owner token.
//!    - Won: do the write, which must finish within the timeout.
//!    - Lost: someone else holds it. Re-check the condition by HEAD every
//!      100 ms (the holder's write usually makes it fail); once the holder's
//!      timeout times 3 (tolerated clock-rate skew) has passed, take the
//!      record over by replacing it only if its generation is unchanged,
//!      with the generation plus one, and go to "Won"; if that loses too,
//!      wait again.
//!    - Lost to a record carrying this attempt's owner token: an earlier
//!      try of the same call wrote it and its answer was lost: "Won".
//!
//! Every writer of a key must use the protocol: plain puts and deletes race
//! with it. Records are left for TTL to remove (after an hour), so
//! re-creating a deleted key waits out the timeout of the last lock.
//!
//! Requests are DynamoDB's JSON API, signed by our signer for service
//! `dynamodb`; the few JSON documents are written and read by hand. A
//! throttled call (`ProvisionedThroughputExceededException`,
//! `ThrottlingException`, `RequestLimitExceeded`), a 5xx answer
//! (`InternalServerError`, `ServiceUnavailable`) or a broken connection is
//! retried with the store's [`RetryConfig`](crate::retry::RetryConfig)
//! backoff, retry budget and clock, signed afresh each time; a failed
//! condition (`ConditionalCheckFailedException`) and other client errors
//! are not. A lock PutItem whose answer was lost and whose retry finds the
//! condition failed recognises its own record by the owner token.

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST};
use http::{HeaderMap, HeaderValue, Method};

use super::S3Store;
use super::request::header_value;
use crate::error::{Error, ErrorKind, Result};
use crate::json;
use crate::retry::{Backoff, XorShift};
use crate::sign::{self, PayloadHash, SignableRequest, SigningParams, UriEncoding};
use crate::transport::{HttpRequest, RequestBody};

/// The lock timeout when the setting names none (as object_store).
const DEFAULT_TIMEOUT_MS: u64 = 20_000;
/// How much faster the fastest clock may run than the slowest.
const MAX_CLOCK_SKEW_RATE: u32 = 3;
/// How long a record lives before TTL may delete it.
const RECORD_TTL_SECS: i64 = 3600;
/// Between re-checks of the condition while another writer holds the lock.
const TEST_INTERVAL: Duration = Duration::from_millis(100);
/// The error DynamoDB returns when a condition expression fails.
const CONFLICT: &str = "ConditionalCheckFailedException";

/// One `dynamo:` setting, bound to a store.
pub(crate) struct DynamoLock<'a> {
    table: &'a str,
    timeout: Duration,
    endpoint: String,
}

/// What putting the lock record found.
enum LockState {
    /// This writer holds the lock.
    Won,
    /// Another writer's record.
    Held(Lease),
    /// No record, yet the condition failed: it was just removed.
    Gone,
}

/// A lock record: who holds it for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Lease {
    generation: u64,
    timeout_ms: u64,
    /// The token of the attempt that wrote it (absent in older records).
    owner: Option<String>,
}

impl<'a> DynamoLock<'a> {
    /// The lock of `table` for `store`; DynamoDB is reached at the store's
    /// custom endpoint when it has one, else at AWS in the store's region.
    pub(crate) fn new(store: &S3Store, table: &'a str, timeout_ms: Option<u64>) -> Result<Self> {
        let endpoint = match &store.settings.writes.dynamo_endpoint {
            Some(e) => e.trim_end_matches('/').to_string(),
            None => format!("https://dynamodb.{}.amazonaws.com", store.inner.region),
        };
        Ok(DynamoLock {
            table,
            timeout: Duration::from_millis(timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS)),
            endpoint,
        })
    }

    /// Runs `op` (an unconditional write of `full_key`) once the object is
    /// known to have `etag` (`None`: to be absent) and this writer holds the
    /// lock for it.
    ///
    /// # Errors
    /// `AlreadyExists` / `PreconditionFailed` when the condition fails
    /// (before or while waiting for the lock); `Timeout` when `op` outlasts
    /// the lock; DynamoDB's errors (`NotFound` for a missing table).
    pub(crate) async fn conditional_op<T, F, Fut>(
        &self,
        store: &S3Store,
        full_key: &str,
        etag: Option<&str>,
        op: F,
    ) -> Result<T>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let path = format!("{}/{full_key}", store.inner.bucket);
        check_condition(store, full_key, etag).await?;
        let clock = &*store.inner.retry_state.clock;
        let mut previous: Option<Lease> = None;
        loop {
            match self.try_lock(store, &path, etag, previous.as_ref()).await? {
                LockState::Gone => {
                    // The record vanished (TTL) between our calls: start over.
                    previous = None;
                    clock.sleep(TEST_INTERVAL).await;
                }
                LockState::Won => {
                    return match tokio::time::timeout(self.timeout, op()).await {
                        Ok(result) => result,
                        Err(_) => Err(Error::new(
                            ErrorKind::Timeout,
                            format!(
                                "conditional write of {path}: not done within the DynamoDB lock timeout of {} ms",
                                self.timeout.as_millis()
                            ),
                        )),
                    };
                }
                LockState::Held(held) => {
                    let since = clock.monotonic();
                    let expiry = Duration::from_millis(held.timeout_ms) * MAX_CLOCK_SKEW_RATE;
                    loop {
                        clock.sleep(TEST_INTERVAL).await;
                        check_condition(store, full_key, etag).await?;
                        if clock.monotonic().saturating_sub(since) > expiry {
                            previous = Some(held);
                            break;
                        }
                    }
                }
            }
        }
    }

    /// Puts the lock record: new, or replacing `previous` if it is still
    /// that generation.
    async fn try_lock(
        &self,
        store: &S3Store,
        path: &str,
        etag: Option<&str>,
        previous: Option<&Lease>,
    ) -> Result<LockState> {
        let (generation, condition, values) = match previous {
            None => (0, "attribute_not_exists(#pk)", String::new()),
            Some(p) => (
                p.generation.saturating_add(1),
                "attribute_exists(#pk) AND generation = :g",
                format!(
                    r#","ExpressionAttributeValues":{{":g":{{"N":"{}"}}}}"#,
                    p.generation
                ),
            ),
        };
        let ttl = store.inner.retry_state.clock.now_utc().unix_timestamp() + RECORD_TTL_SECS;
        // Tells our own record from another writer's when a retry of this
        // PutItem finds the condition failed (the first try's answer lost).
        let owner = format!("{:016x}", XorShift::seed());
        let body = format!(
            r##"{{"TableName":{table},"Item":{{"path":{{"S":{path}}},"etag":{{"S":{etag}}},"generation":{{"N":"{generation}"}},"timeout":{{"N":"{timeout}"}},"ttl":{{"N":"{ttl}"}},"owner":{{"S":"{owner}"}}}},"ConditionExpression":"{condition}","ExpressionAttributeNames":{{"#pk":"path"}}{values},"ReturnValuesOnConditionCheckFailure":"ALL_OLD"}}"##,
            table = json::string_literal(self.table),
            path = json::string_literal(path),
            etag = json::string_literal(etag.unwrap_or("*")),
            timeout = self.timeout.as_millis(),
        );
        match self.call(store, "PutItem", body).await {
            Ok(_) => Ok(LockState::Won),
            Err(e) if e.s3_code() == Some(CONFLICT) => {
                // The old record comes with the error where DynamoDB supports
                // ReturnValuesOnConditionCheckFailure; else read it.
                let lease = match e.s3_message().and_then(lease_from_json) {
                    Some(l) => Some(l),
                    None => self.read_lease(store, path, etag).await?,
                };
                Ok(match lease {
                    Some(l) if l.owner.as_deref() == Some(owner.as_str()) => LockState::Won,
                    Some(l) => LockState::Held(l),
                    None => LockState::Gone,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// The lock record of `(path, etag)`, if any.
    async fn read_lease(
        &self,
        store: &S3Store,
        path: &str,
        etag: Option<&str>,
    ) -> Result<Option<Lease>> {
        let body = format!(
            r#"{{"TableName":{},"Key":{{"path":{{"S":{}}},"etag":{{"S":{}}}}},"ConsistentRead":true}}"#,
            json::string_literal(self.table),
            json::string_literal(path),
            json::string_literal(etag.unwrap_or("*")),
        );
        let answer = self.call(store, "GetItem", body).await?;
        Ok(lease_from_json(&answer))
    }

    /// One DynamoDB JSON call (`DynamoDB_20120810.<action>`), signed for
    /// `dynamodb`; the answer body, or an error carrying DynamoDB's error
    /// type as its code and the whole error body as its message.
    ///
    /// Retryable failures (throttling, 5xx, a broken connection) are retried
    /// as the S3 request loop retries: the store's backoff, `max_retries`,
    /// `retry_timeout`, retry budget and clock; each attempt is signed
    /// afresh with current credentials and time.
    async fn call(&self, store: &S3Store, action: &str, body: String) -> Result<String> {
        let inner = &store.inner;
        let state = &inner.retry_state;
        let clock = &*state.clock;
        let started = clock.monotonic();
        let seed = inner.retry.jitter_seed.unwrap_or_else(XorShift::seed);
        let mut backoff = Backoff::new(&inner.retry, seed);
        let body = Bytes::from(body);
        let mut retries = 0usize;
        let mut last_cost = None;
        loop {
            let err = match self.attempt(store, action, body.clone()).await {
                Ok(answer) => {
                    state.on_success(last_cost);
                    return Ok(answer);
                }
                Err(e) => e,
            };
            if !err.is_retryable() || retries >= inner.retry.max_retries {
                return Err(err);
            }
            let delay = backoff.next_delay();
            let elapsed = clock.monotonic().saturating_sub(started);
            if elapsed + delay >= inner.retry.retry_timeout {
                return Err(err.context(format!(
                    "gave up after {retries} retries in {:.1}s (RetryConfig::retry_timeout {:.1}s)",
                    elapsed.as_secs_f64(),
                    inner.retry.retry_timeout.as_secs_f64()
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

    /// One attempt of [`call`](Self::call).
    async fn attempt(&self, store: &S3Store, action: &str, body: Bytes) -> Result<String> {
        let inner = &store.inner;
        let what = format!("DynamoDB {action} {}", self.table);
        let host = self
            .endpoint
            .split_once("://")
            .map_or(self.endpoint.as_str(), |(_, rest)| rest)
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let target = format!("DynamoDB_20120810.{action}");
        let mut headers = HeaderMap::new();
        headers.insert(HOST, header_value("host", &host)?);
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-amz-json-1.0"),
        );
        headers.insert("x-amz-target", header_value("x-amz-target", &target)?);
        headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        if let Some(provider) = &inner.credentials {
            let creds = provider.credentials().await.map_err(|e| e.context(&what))?;
            let pairs: Vec<(&str, &str)> = headers
                .iter()
                .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
                .collect();
            let params = SigningParams {
                access_key_id: creds.access_key_id(),
                secret_key: creds.secret_key(),
                session_token: creds.session_token(),
                region: &inner.region,
                service: "dynamodb",
                time: inner.retry_state.clock.now_utc(),
                uri_encoding: UriEncoding::Generic,
                payload: PayloadHash::for_body(&body),
                add_content_sha256_header: false,
                sign_session_token: true,
            };
            let request = SignableRequest {
                method: "POST",
                path: "/",
                query: "",
                headers: &pairs,
            };
            let signed = sign::sign_request(&request, &params)?;
            for (name, value) in signed.headers {
                headers.insert(name, header_value(name, &value)?);
            }
        }
        let request = HttpRequest {
            method: Method::POST,
            url: format!("{}/", self.endpoint),
            headers,
            body: RequestBody::Bytes(body),
        };
        let resp = inner
            .client
            .send(request)
            .await
            .map_err(|e| e.context(&what))?;
        let status = resp.status;
        let bytes = resp
            .body
            .collect_limited(crate::limits::MAX_CREDENTIALS_BODY)
            .await
            .map_err(|e| e.context(&what))?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if status.is_success() {
            return Ok(text);
        }
        let code = error_type(&text);
        let (kind, retryable) = match code.as_deref() {
            Some("ResourceNotFoundException") => (ErrorKind::NotFound, false),
            Some(CONFLICT) => (ErrorKind::PreconditionFailed, false),
            Some("UnrecognizedClientException" | "InvalidSignatureException") => {
                (ErrorKind::Unauthenticated, false)
            }
            Some("AccessDeniedException") => (ErrorKind::PermissionDenied, false),
            Some(
                "ProvisionedThroughputExceededException"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "InternalServerError"
                | "ServiceUnavailable",
            ) => (ErrorKind::Service, true),
            _ => (ErrorKind::Service, status.is_server_error()),
        };
        Err(Error::new(kind, what)
            .with_status(status.as_u16())
            .with_s3_error(code, Some(text))
            .with_retryable(retryable))
    }
}

/// HEADs `full_key`: with `etag`, it must exist and have that ETag
/// (`PreconditionFailed` otherwise); without, it must not exist
/// (`AlreadyExists` otherwise).
async fn check_condition(store: &S3Store, full_key: &str, etag: Option<&str>) -> Result<()> {
    let target = store.inner.target(Some(full_key));
    let found = match store.head_full(full_key).await {
        Ok(meta) => Some(meta.etag),
        Err(e) if e.kind() == ErrorKind::NotFound && e.s3_code() != Some("NoSuchBucket") => None,
        Err(e) => return Err(e),
    };
    match (etag, found) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(Error::new(
            ErrorKind::AlreadyExists,
            format!("PutObject {target}: the object already exists"),
        )),
        (Some(want), Some(Some(have))) if have == want => Ok(()),
        (Some(want), Some(have)) => Err(Error::new(
            ErrorKind::PreconditionFailed,
            format!(
                "PutObject {target}: ETag is {}, not {want}",
                have.as_deref().unwrap_or("unknown")
            ),
        )),
        (Some(want), None) => Err(Error::new(
            ErrorKind::PreconditionFailed,
            format!("PutObject {target}: no object (expected ETag {want})"),
        )),
    }
}

/// The `__type` of a DynamoDB error answer, without its namespace
/// (`com.amazonaws.dynamodb.v20120810#ResourceNotFoundException` ->
/// `ResourceNotFoundException`).
fn error_type(answer: &str) -> Option<String> {
    let object = json::parse_object(answer.as_bytes()).ok()?;
    let full = object.opt_str("__type").ok()??;
    Some(
        full.rsplit_once('#')
            .map_or(full, |(_, short)| short)
            .to_string(),
    )
}

/// The lease in an item (`GetItem`'s `Item`, or the old item of a failed
/// condition): `{"Item":{"generation":{"N":"5"},"timeout":{"N":"20000"}}}`.
fn lease_from_json(answer: &str) -> Option<Lease> {
    let item = json::parse_object(answer.as_bytes())
        .ok()?
        .object("Item")
        .ok()?;
    let number =
        |name: &str| -> Option<u64> { item.object(name).ok()?.str("N").ok()?.parse().ok() };
    Some(Lease {
        generation: number("generation")?,
        timeout_ms: number("timeout")?,
        owner: item
            .object("owner")
            .ok()
            .and_then(|o| o.str("S").ok().map(str::to_string)),
    })
}

impl S3Store {
    /// HEAD of an S3 key that already has the prefix (the lock protocol
    /// works on full keys); SSE-C headers included.
    pub(crate) async fn head_full(&self, full_key: &str) -> Result<super::ObjectMeta> {
        let req = super::request::S3Request::new("HeadObject", Method::HEAD, Some(full_key));
        let req = super::sse::read_headers(req, self.encryption())?;
        let resp = self.inner.send(req).await?;
        let size = super::header_u64(&resp.headers, "content-length").unwrap_or(0);
        Ok(super::ObjectMeta::from_headers(
            self.strip_prefix(full_key),
            &resp.headers,
            size,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(
            json::string_literal("a\"b\\c\nd\u{1}"),
            r#""a\"b\\c\nd\u0001""#
        );
        assert_eq!(json::string_literal("caf\u{e9}"), "\"caf\u{e9}\"");
    }

    #[test]
    fn conflict_answer_yields_the_holders_lease() {
        let body = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed","Item":{"etag":{"S":"*"},"generation":{"N":"4"},"path":{"S":"b/k"},"timeout":{"N":"20000"},"ttl":{"N":"1"}}}"#;
        assert_eq!(
            error_type(body).as_deref(),
            Some("ConditionalCheckFailedException")
        );
        assert_eq!(
            lease_from_json(body),
            Some(Lease {
                generation: 4,
                timeout_ms: 20_000,
                owner: None,
            })
        );
        assert_eq!(lease_from_json(r#"{"message":"no item"}"#), None);
        // GetItem of a missing record answers `{}`.
        assert_eq!(lease_from_json("{}"), None);
    }

    #[test]
    fn fields_tolerate_spaces() {
        let body = r#"{ "Item" : { "timeout" : { "N" : "7" }, "generation" : { "N" : "0" } } }"#;
        assert_eq!(
            lease_from_json(body),
            Some(Lease {
                generation: 0,
                timeout_ms: 7,
                owner: None,
            })
        );
    }

    #[test]
    fn lease_carries_the_owner_token() {
        let body = r#"{"Item":{"generation":{"N":"1"},"timeout":{"N":"9"},"owner":{"S":"00ab"}}}"#;
        assert_eq!(
            lease_from_json(body).and_then(|l| l.owner).as_deref(),
            Some("00ab")
        );
    }
}
