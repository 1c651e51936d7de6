//! AWS credentials and where they come from.
//!
//! A [`CredentialProvider`] hands out [`Credentials`] (key id, secret key,
//! optional session token and expiry). [`StaticProvider`] serves fixed
//! credentials; [`EnvironmentProvider`] reads `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN` each time it is asked.
//!
//! No secret is ever printed: `Debug` of every type here shows the key id
//! only, and placeholders for the secret key and session token.

mod env;

use std::fmt;
use std::sync::Arc;

use time::OffsetDateTime;

use crate::error::{Error, ErrorKind, Result};
use crate::sign::SecretKey;
use crate::transport::BoxFuture;

pub use env::EnvironmentProvider;

/// One set of AWS credentials.
#[derive(Clone)]
pub struct Credentials {
    access_key_id: String,
    secret_key: SecretKey,
    session_token: Option<SessionToken>,
    expires_at: Option<OffsetDateTime>,
}

impl Credentials {
    /// Long-term credentials: an access key id and its secret.
    ///
    /// ```
    /// let c = s3lite::credentials::Credentials::new("AKIDEXAMPLE", "secret");
    /// assert!(!format!("{c:?}").contains("secret\""));
    /// ```
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_key: SecretKey::new(secret_access_key),
            session_token: None,
            expires_at: None,
        }
    }

    /// Adds a session token (temporary credentials from STS, SSO, IMDS, ...).
    pub fn with_session_token(mut self, token: impl Into<String>) -> Self {
        self.session_token = Some(SessionToken(token.into()));
        self
    }

    /// Sets when these credentials stop working.
    pub fn with_expiry(mut self, expires_at: OffsetDateTime) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// The access key id (not secret; appears in every request).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key, wrapped so it cannot be printed.
    pub fn secret_key(&self) -> &SecretKey {
        &self.secret_key
    }

    /// The session token, if these are temporary credentials.
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_ref().map(|t| t.0.as_str())
    }

    /// When these credentials expire, if they do.
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        self.expires_at
    }

    /// Checks that the key id and secret are present and printable; the
    /// error names the key id field but never shows the secret.
    pub(crate) fn validate(&self) -> Result<()> {
        if self.access_key_id.is_empty() {
            return Err(Error::invalid_config(
                "access_key_id",
                "",
                "must not be empty",
            ));
        }
        if self.secret_key.expose().is_empty() {
            return Err(Error::invalid_config(
                "secret_access_key",
                "***",
                "must not be empty",
            ));
        }
        let bad_header_char = |s: &str| s.chars().any(|c| c.is_control() || !c.is_ascii());
        if bad_header_char(&self.access_key_id) {
            return Err(Error::invalid_config(
                "access_key_id",
                &self.access_key_id,
                "must be printable ASCII",
            ));
        }
        if self.session_token().is_some_and(bad_header_char) {
            return Err(Error::invalid_config(
                "session_token",
                "***",
                "must be printable ASCII",
            ));
        }
        Ok(())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_key", &self.secret_key)
            .field("session_token", &self.session_token)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A session token; prints as a placeholder.
#[derive(Clone)]
struct SessionToken(String);

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(***)")
    }
}

impl Drop for SessionToken {
    fn drop(&mut self) {
        // Overwrite the token's bytes before the allocation is freed.
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// A source of credentials, asked before every request is signed.
///
/// Implementations should be cheap when credentials are cached; a provider
/// that fetches over the network should cache and refresh before expiry.
pub trait CredentialProvider: Send + Sync + fmt::Debug + 'static {
    /// Returns the credentials to sign the next request with.
    ///
    /// # Errors
    /// [`ErrorKind::Credentials`] when no credentials can be had.
    fn credentials(&self) -> BoxFuture<'_, Result<Arc<Credentials>>>;
}

/// Always the same credentials.
#[derive(Debug, Clone)]
pub struct StaticProvider {
    credentials: Arc<Credentials>,
}

impl StaticProvider {
    /// Serves `credentials` for every request.
    pub fn new(credentials: Credentials) -> Self {
        StaticProvider {
            credentials: Arc::new(credentials),
        }
    }
}

impl CredentialProvider for StaticProvider {
    fn credentials(&self) -> BoxFuture<'_, Result<Arc<Credentials>>> {
        let c = Arc::clone(&self.credentials);
        Box::pin(async move { Ok(c) })
    }
}

/// A [`ErrorKind::Credentials`] error naming the source.
pub(crate) fn unavailable(source: &str, why: impl fmt::Display) -> Error {
    Error::new(ErrorKind::Credentials, format!("{source}: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_credentials_hides_secret_and_token() {
        let c = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
            .with_session_token("FQoGZXIvYXdzEXAMPLETOKEN");
        let shown = format!("{c:?} {:?}", StaticProvider::new(c.clone()));
        assert!(shown.contains("AKIDEXAMPLE"));
        assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
        assert!(!shown.contains("FQoGZXIvYXdzEXAMPLETOKEN"), "{shown}");
    }

    #[test]
    fn empty_secret_is_invalid_config_without_showing_it() {
        let e = Credentials::new("AKID", "")
            .validate()
            .expect_err("empty secret");
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(e.to_string().contains("secret_access_key"), "{e}");
    }
}
