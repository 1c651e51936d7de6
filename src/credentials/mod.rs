//! AWS credentials and where they come from.
//!
//! A [`CredentialProvider`] hands out [`Credentials`] (key id, secret key,
//! optional session token and expiry). Most users want [`DefaultChain`]:
//! explicit credentials, then the environment, the profile files (with
//! `credential_process`, SSO and assumed roles), web identity, the
//! container endpoint and finally IMDS, cached and refreshed early.
//!
//! | source | type | configured by |
//! | --- | --- | --- |
//! | fixed keys | [`StaticProvider`] | code |
//! | a closure (sync or async) | [`FnProvider`] | code |
//! | environment | [`EnvironmentProvider`] | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` |
//! | profile files | [`ProfileProvider`] | `~/.aws/credentials`, `~/.aws/config`, `AWS_PROFILE` |
//! | external command | [`ProcessProvider`] | `credential_process` |
//! | assumed role | [`AssumeRoleProvider`] | `role_arn` + `source_profile` / `credential_source` |
//! | web identity | [`WebIdentityProvider`] | `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN` |
//! | ECS / EKS | [`ContainerProvider`] | `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `_FULL_URI` |
//! | EC2 | [`ImdsProvider`] | instance profile (IMDSv2) |
//!
//! [`CachingProvider`] wraps any provider: lock-free-in-practice hot path,
//! early refresh, single flight, backoff while old credentials still work.
//! Every environment lookup can be replaced (`with_lookup`) and the home
//! directory moved, so tests never touch the process environment.
//!
//! No secret is ever printed: `Debug` of every type here shows the key id
//! only, and placeholders for the secret key and session token; errors name
//! files, variables, URLs and profiles, never values.

mod cache;
mod chain;
mod closure;
mod ecs;
mod env;
mod imds;
mod process;
mod profile;
mod sso;
mod sso_oidc;
mod sts;
mod web_identity;

use std::fmt;
use std::sync::Arc;

use time::OffsetDateTime;

use crate::error::{Error, ErrorKind, Result};
use crate::sign::SecretKey;
use crate::transport::{BoxFuture, HttpClient, HttpRequest};

pub use cache::{CachingProvider, DEFAULT_REFRESH_BEFORE};
pub use chain::{CHAIN_VARIABLES, DefaultChain, DefaultChainBuilder};
pub use closure::FnProvider;
pub use ecs::ContainerProvider;
pub use env::EnvironmentProvider;
pub use imds::{IMDS_ENDPOINT_IPV4, IMDS_ENDPOINT_IPV6, ImdsProvider};
pub use process::ProcessProvider;
pub use profile::ProfileProvider;
pub use sts::AssumeRoleProvider;
pub use web_identity::WebIdentityProvider;

pub(crate) use env::Env;
pub(crate) use profile::profile_setting_blocking;

#[cfg(feature = "_fuzz")]
pub(crate) use ecs::parse_credentials as parse_endpoint_credentials;
#[cfg(feature = "_fuzz")]
pub(crate) use process::parse_output as parse_process_output;
#[cfg(feature = "_fuzz")]
pub(crate) use profile::parse_files as parse_profile_files;
#[cfg(feature = "_fuzz")]
pub(crate) use sso::{parse_role_credentials, parse_token_cache};
#[cfg(feature = "_fuzz")]
pub(crate) use sso_oidc::{Refresh as SsoRefresh, parse_create_token};

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

    /// Forgets cached credentials, so that the next
    /// [`credentials`](Self::credentials) call fetches fresh ones. The store
    /// calls it when S3 answers `ExpiredToken`, `InvalidToken` or
    /// `TokenRefreshRequired`, then retries once. The default does nothing,
    /// which is right for providers that do not cache.
    fn invalidate(&self) {}

    /// Whether this provider already keeps what it fetches, so that asking
    /// it before every request is cheap: `true` for [`CachingProvider`],
    /// [`StaticProvider`] and [`DefaultChain`]. A provider given to
    /// [`S3StoreBuilder::credentials`](crate::S3StoreBuilder::credentials)
    /// that answers `false` (the default) is wrapped in a
    /// [`CachingProvider`], as obstore caches its credential providers:
    /// asked once, then again shortly before its credentials expire (never
    /// again for credentials without expiry), or after S3 rejects them.
    /// Answer `true` from a provider that caches on its own or must be asked
    /// every time.
    fn is_cached(&self) -> bool {
        false
    }
}

impl<T: CredentialProvider + ?Sized> CredentialProvider for Arc<T> {
    fn credentials(&self) -> BoxFuture<'_, Result<Arc<Credentials>>> {
        (**self).credentials()
    }

    fn invalidate(&self) {
        (**self).invalidate();
    }

    fn is_cached(&self) -> bool {
        (**self).is_cached()
    }
}

impl<T: CredentialProvider + ?Sized> CredentialProvider for Box<T> {
    fn credentials(&self) -> BoxFuture<'_, Result<Arc<Credentials>>> {
        (**self).credentials()
    }

    fn is_cached(&self) -> bool {
        (**self).is_cached()
    }

    fn invalidate(&self) {
        (**self).invalidate();
    }
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

    fn is_cached(&self) -> bool {
        true
    }
}

/// What one source of the default chain found.
pub(crate) enum Lookup {
    /// The source is configured and produced credentials.
    Found(Credentials),
    /// The source is not configured here; the chain moves on. The text says
    /// what was missing, for the error when no source is configured.
    NotConfigured(String),
}

/// A source of the default chain: like [`CredentialProvider`], but able to
/// say "not configured" apart from a real failure.
pub(crate) trait Source: Send + Sync + fmt::Debug {
    /// Looks for credentials; `Err` only when the source is configured and
    /// failed.
    fn lookup(&self) -> BoxFuture<'_, Result<Lookup>>;
}

/// [`Source::lookup`] as a provider answer: "not configured" is an error.
pub(crate) async fn lookup_required(source: &dyn Source, name: &str) -> Result<Arc<Credentials>> {
    match source.lookup().await? {
        Lookup::Found(c) => Ok(Arc::new(c)),
        Lookup::NotConfigured(why) => Err(unavailable(name, format!("not configured: {why}"))),
    }
}

/// A client for the credential endpoints: plain `http` allowed (IMDS and the
/// container endpoints are http-only), with `timeout` for connect, headers
/// and body gaps.
pub(crate) fn http_client(timeout: std::time::Duration) -> Result<Arc<dyn HttpClient>> {
    let options = crate::transport::ClientOptions {
        allow_http: true,
        connect_timeout: timeout,
        timeout: Some(timeout),
        read_timeout: Some(timeout),
        pool_max_idle_per_host: 1,
        ..crate::transport::ClientOptions::default()
    };
    #[cfg(feature = "hyper-rustls")]
    {
        Ok(Arc::new(crate::transport::HyperClient::new(&options)?))
    }
    #[cfg(all(not(feature = "hyper-rustls"), feature = "reqwest"))]
    {
        Ok(Arc::new(crate::transport::ReqwestClient::new(&options)?))
    }
    #[cfg(not(any(feature = "hyper-rustls", feature = "reqwest")))]
    {
        Err(Error::new(
            ErrorKind::InvalidConfig,
            "no HTTP client: enable feature hyper-rustls or reqwest",
        ))
    }
}

/// Sends `request` and reads the whole answer (credential answers are
/// small, at most [`MAX_CREDENTIALS_BODY`](crate::limits::MAX_CREDENTIALS_BODY));
/// the status and body are returned whatever the status. The whole
/// exchange, body included, must end within `total`: a server that drips
/// its answer a byte at a time, each within the read timeout, fails too.
pub(crate) async fn fetch(
    client: &dyn HttpClient,
    request: HttpRequest,
    total: std::time::Duration,
) -> Result<(http::StatusCode, bytes::Bytes)> {
    let what = request.describe();
    let exchange = async {
        let response = client.send(request).await?;
        let status = response.status;
        let body = response
            .body
            .collect_limited(crate::limits::MAX_CREDENTIALS_BODY)
            .await?;
        Ok((status, body))
    };
    tokio::time::timeout(total, exchange)
        .await
        .unwrap_or_else(|_| {
            Err(Error::new(
                ErrorKind::Timeout,
                format!("{what}: no complete answer within {}s", total.as_secs_f64()),
            )
            .with_retryable(true))
        })
}

/// The bytes of the file at `path`, reading at most `cap` bytes plus one: a
/// longer file (or an endless device such as `/dev/zero`) is an
/// [`InvalidData`](std::io::ErrorKind::InvalidData) error naming `limit`.
pub(crate) async fn read_file_capped(
    path: &std::path::Path,
    cap: u64,
    limit: &str,
) -> std::io::Result<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let file = tokio::fs::File::open(path).await?;
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .await?;
    check_cap(bytes, cap, limit)
}

/// As [`read_file_capped`], with blocking I/O.
pub(crate) fn read_file_capped_blocking(
    path: &std::path::Path,
    cap: u64,
    limit: &str,
) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    check_cap(bytes, cap, limit)
}

/// `bytes`, or `InvalidData` when a capped read got more than `cap`.
fn check_cap(bytes: Vec<u8>, cap: u64, limit: &str) -> std::io::Result<Vec<u8>> {
    if bytes.len() as u64 > cap {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the file is larger than {cap} bytes ({limit})"),
        ));
    }
    Ok(bytes)
}

/// The first 200 characters of a (non-secret) server answer, for messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}

/// Credentials from the JSON fields every credential endpoint uses
/// (`AccessKeyId`, `SecretAccessKey`, the token under `token_field`,
/// optional `Expiration`); messages name fields, never values.
pub(crate) fn from_json_fields(
    o: &crate::json::Object,
    token_field: &str,
) -> std::result::Result<Credentials, String> {
    let mut c = Credentials::new(o.str("AccessKeyId")?, o.str("SecretAccessKey")?);
    if let Some(token) = o.opt_str(token_field)? {
        c = c.with_session_token(token);
    }
    if let Some(exp) = o.opt_str("Expiration")? {
        let exp = crate::date::parse_iso8601(exp)
            .map_err(|e| format!("field \"Expiration\": {}", e.message()))?;
        c = c.with_expiry(exp);
    }
    c.validate().map_err(|e| e.message().to_string())?;
    Ok(c)
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
