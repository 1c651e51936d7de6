//! S3 Express One Zone: directory buckets (`<name>--<az-id>--x-s3`) on zonal
//! endpoints, authorised by sessions.
//!
//! The store asks [CreateSession] (`GET /?session` on the bucket, signed
//! with its own credentials under the service name `s3express`) for
//! credentials scoped to the bucket, valid for 5 minutes. Every other
//! request is signed with those, under `s3express`, and carries the session
//! token in `x-amz-s3session-token` instead of `x-amz-security-token`.
//! Sessions are cached by a [`CachingProvider`]: one CreateSession at a time
//! however many requests wait, refreshed a minute before expiry, and
//! dropped when S3 answers `ExpiredToken`. Directory buckets do not support
//! tagging, so the builder turns `x-amz-tagging` off for them.
//!
//! [CreateSession]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateSession.html

use std::fmt;
use std::sync::{Arc, Weak};
use std::time::Duration;

use http::Method;

use super::request::{S3Request, StoreInner};
use crate::credentials::{CachingProvider, CredentialProvider, Credentials};
use crate::error::{Error, ErrorKind, Result};
use crate::retry::Clock;
use crate::transport::BoxFuture;
use crate::xml;

/// The signing service name of directory-bucket requests.
pub(crate) const SERVICE: &str = "s3express";
/// The header that carries the session token.
pub(crate) const SESSION_TOKEN_HEADER: &str = "x-amz-s3session-token";
/// Sessions are renewed this long before they expire (they live 5 minutes).
const REFRESH_BEFORE: Duration = Duration::from_secs(60);

/// The session credentials of one directory bucket.
pub(crate) struct ExpressSessions {
    cache: CachingProvider,
}

impl ExpressSessions {
    /// Sessions for the store `inner` (a weak reference: the store owns
    /// this), with time read from `clock`.
    pub(crate) fn new(inner: Weak<StoreInner>, clock: Arc<dyn Clock>) -> Self {
        let cache = CachingProvider::new(CreateSession { inner })
            .with_refresh_before(REFRESH_BEFORE)
            .with_clock(move || clock.now_utc());
        ExpressSessions { cache }
    }

    /// The provider of session credentials the request loop signs with.
    pub(crate) fn provider(&self) -> &dyn CredentialProvider {
        &self.cache
    }
}

impl fmt::Debug for ExpressSessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExpressSessions").finish_non_exhaustive()
    }
}

/// Calls CreateSession for the store's bucket.
struct CreateSession {
    inner: Weak<StoreInner>,
}

impl fmt::Debug for CreateSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CreateSession")
    }
}

impl CredentialProvider for CreateSession {
    fn credentials(&self) -> BoxFuture<'_, Result<Arc<Credentials>>> {
        Box::pin(async move {
            let inner = self.inner.upgrade().ok_or_else(|| {
                Error::new(
                    ErrorKind::Credentials,
                    "CreateSession: the store was dropped",
                )
            })?;
            inner.create_session().await.map(Arc::new)
        })
    }
}

impl StoreInner {
    /// CreateSession on the bucket, signed with the store's own credentials.
    ///
    /// See [CreateSession](https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateSession.html).
    async fn create_session(&self) -> Result<Credentials> {
        let req = S3Request::new("CreateSession", Method::GET, None)
            .query("session", "")
            .with_base_credentials();
        let target = self.target(None);
        let body = self.send(req).await?.body.collect().await?;
        let s = xml::parse_create_session(&body)
            .map_err(|e| e.context(format!("CreateSession {target}")))?;
        Ok(
            Credentials::new(s.access_key_id, s.secret_access_key.expose())
                .with_session_token(s.session_token)
                .with_expiry(s.expiration),
        )
    }
}
