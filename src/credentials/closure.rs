//! [`FnProvider`]: credentials from a plain closure, sync or async.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use super::{CredentialProvider, Credentials};
use crate::error::Result;
use crate::transport::BoxFuture;

type Fetch = dyn Fn() -> BoxFuture<'static, Result<Credentials>> + Send + Sync;

/// A [`CredentialProvider`] backed by a closure, for credentials that come
/// from somewhere s3lite does not know (a vault, a secrets manager, a test).
///
/// Used directly, the closure runs on every call. Given to
/// [`S3StoreBuilder::credentials`](crate::S3StoreBuilder::credentials), it is
/// wrapped in a [`CachingProvider`](super::CachingProvider), as obstore
/// caches its credential providers: called once, again shortly before the
/// credentials it returned expire (never again when they have no expiry),
/// and after S3 rejects them as expired.
///
/// ```
/// use s3lite::credentials::{Credentials, FnProvider};
///
/// let sync = FnProvider::from_sync(|| Ok(Credentials::new("AKID", "secret")));
/// let async_ = FnProvider::new(|| async { Ok(Credentials::new("AKID", "secret")) });
/// # let _ = (sync, async_);
/// ```
pub struct FnProvider {
    fetch: Box<Fetch>,
}

impl FnProvider {
    /// Calls the async closure `f` for each request and awaits its future.
    pub fn new<F, Fut>(f: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Credentials>> + Send + 'static,
    {
        FnProvider {
            fetch: Box::new(move || Box::pin(f())),
        }
    }

    /// Calls the blocking closure `f` for each request. It should be quick:
    /// it runs on the async task that asked.
    pub fn from_sync<F>(f: F) -> Self
    where
        F: Fn() -> Result<Credentials> + Send + Sync + 'static,
    {
        FnProvider {
            fetch: Box::new(move || {
                let out = f();
                Box::pin(async move { out })
            }),
        }
    }
}

impl fmt::Debug for FnProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnProvider")
    }
}

impl CredentialProvider for FnProvider {
    fn credentials(&self) -> BoxFuture<'_, Result<Arc<Credentials>>> {
        let fut = (self.fetch)();
        Box::pin(async move { fut.await.map(Arc::new) })
    }
}
