//! Credentials of the EC2 instance role, from the instance metadata service
//! (IMDSv2).

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use http::{HeaderValue, Method, StatusCode};
use time::OffsetDateTime;

use super::ecs::parse_credentials;
use super::env::Env;
use super::profile::profile_setting;
use super::{
    CredentialProvider, Credentials, Lookup, Source, fetch, http_client, lookup_required, snippet,
    unavailable,
};
use crate::error::{ErrorKind, Result};
use crate::transport::{BoxFuture, HttpClient, HttpRequest};

/// The IPv4 endpoint of the instance metadata service.
pub const IMDS_ENDPOINT_IPV4: &str = "http://169.254.169.254";
/// The IPv6 endpoint of the instance metadata service (Nitro instances).
pub const IMDS_ENDPOINT_IPV6: &str = "http://[fd00:ec2::254]";

const NAME: &str = "instance metadata (IMDS)";
/// Lifetime asked for the IMDSv2 session token: 6 hours, the maximum.
const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(21_600);
/// A cached token is replaced this long before it expires (at most half
/// its lifetime).
const TOKEN_REFRESH_BEFORE: Duration = Duration::from_secs(120);
const ROLE_PATH: &str = "/latest/meta-data/iam/security-credentials/";

/// Credentials of the EC2 instance profile, from IMDSv2: a session token
/// from `PUT /latest/api/token` (with `X-aws-ec2-metadata-token-ttl-seconds`),
/// the role name, then the role's credentials.
///
/// - Endpoint: [`with_endpoint`](Self::with_endpoint), else
///   `AWS_EC2_METADATA_SERVICE_ENDPOINT`, else `ec2_metadata_service_endpoint`
///   of the profile in `~/.aws/config`; otherwise the mode decides
///   (`AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE`, else the profile's
///   `ec2_metadata_service_endpoint_mode`): `IPv6` is [`IMDS_ENDPOINT_IPV6`],
///   `IPv4` (the default) [`IMDS_ENDPOINT_IPV4`]; any other mode is an error.
/// - `AWS_EC2_METADATA_DISABLED=true` turns the source off.
/// - The session token is fetched once and reused by every later fetch
///   until shortly (2 minutes, at most half its lifetime) before its TTL
///   ([`with_token_ttl`](Self::with_token_ttl), default 21,600 s) runs out;
///   a token the service no longer accepts (401) is replaced once.
/// - IMDSv1 (no token) is used only when
///   [`with_imdsv1_fallback`](Self::with_imdsv1_fallback) is on *and* the
///   token PUT is refused with 403, 404 or 405. A token PUT that times out
///   (as it does from a container when the hop limit is 1) is not refused:
///   it is an error.
/// - Every request times out after 1 s by default, so a laptop with no
///   metadata service is not stalled.
///
/// Fetches credentials on every call: wrap it in a
/// [`CachingProvider`](super::CachingProvider) (the default chain does).
/// Clones share the cached session token.
#[derive(Clone)]
pub struct ImdsProvider {
    env: Env,
    endpoint: Option<String>,
    profile: Option<String>,
    imdsv1_fallback: bool,
    timeout: Duration,
    token_ttl: Duration,
    client: Option<Arc<dyn HttpClient>>,
    token: Arc<Mutex<Option<CachedToken>>>,
    clock: Arc<dyn Fn() -> OffsetDateTime + Send + Sync>,
}

/// A session token and when to stop using it.
#[derive(Clone)]
struct CachedToken {
    value: HeaderValue,
    /// The endpoint it was issued by.
    base: String,
    renew_at: OffsetDateTime,
}

impl ImdsProvider {
    /// Reads the process environment.
    pub fn new() -> Self {
        Self::from_env(Env::process())
    }

    /// Reads variables through `lookup` instead of the process environment.
    pub fn with_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self::from_env(Env::from_lookup(lookup))
    }

    pub(crate) fn from_env(env: Env) -> Self {
        ImdsProvider {
            env,
            endpoint: None,
            profile: None,
            imdsv1_fallback: false,
            timeout: Duration::from_secs(1),
            token_ttl: DEFAULT_TOKEN_TTL,
            client: None,
            token: Arc::default(),
            clock: Arc::new(OffsetDateTime::now_utc),
        }
    }

    /// Talks to `endpoint` (`http://169.254.169.254`, `http://[fd00:ec2::254]`,
    /// or a test server) instead of the one the environment names.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into().trim_end_matches('/').to_string());
        self
    }

    /// Reads `ec2_metadata_service_endpoint(_mode)` from profile `name`
    /// instead of `AWS_PROFILE` or `default`.
    pub fn with_profile(mut self, name: impl Into<String>) -> Self {
        self.profile = Some(name.into());
        self
    }

    /// Looks for `.aws/config` under `home` instead of the user's home
    /// directory.
    pub fn with_home_dir(mut self, home: impl Into<std::path::PathBuf>) -> Self {
        self.env = self.env.with_home(home);
        self
    }

    /// Allows IMDSv1 (requests without a token) when the token PUT is
    /// refused with 403, 404 or 405. Default off.
    pub fn with_imdsv1_fallback(mut self, enabled: bool) -> Self {
        self.imdsv1_fallback = enabled;
        self
    }

    /// The bound of each request, from connect to the last byte of the
    /// answer (a server that drips its answer fails at it too). Default 1 s.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The lifetime asked for the session token (whole seconds, 1 to
    /// 21,600). Default 21,600 s (6 hours).
    pub fn with_token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl.clamp(Duration::from_secs(1), DEFAULT_TOKEN_TTL);
        self
    }

    /// Reads the time from `clock` (when to renew the session token), so
    /// tests can move time without sleeping.
    pub fn with_clock(
        mut self,
        clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static,
    ) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Sends requests with `client` instead of a default one with the
    /// configured timeout.
    pub fn with_http_client(mut self, client: Arc<dyn HttpClient>) -> Self {
        self.client = Some(client);
        self
    }

    /// The endpoint named by the builder or the environment (not the
    /// profile file), for `Debug`.
    fn endpoint(&self) -> String {
        if let Some(e) = &self.endpoint {
            return e.clone();
        }
        if let Some(e) = self.env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT") {
            return e.trim_end_matches('/').to_string();
        }
        match self.env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE") {
            Some(mode) if mode.eq_ignore_ascii_case("ipv6") => IMDS_ENDPOINT_IPV6.to_string(),
            _ => IMDS_ENDPOINT_IPV4.to_string(),
        }
    }

    /// The endpoint, in the order the type documentation gives.
    async fn resolve_endpoint(&self) -> Result<String> {
        if let Some(e) = &self.endpoint {
            return Ok(e.clone());
        }
        let setting = |env: &'static str, key: &'static str| async move {
            match self.env.get(env) {
                Some(v) => Ok(Some(v)),
                None => profile_setting(&self.env, self.profile.as_deref(), key).await,
            }
        };
        let endpoint = setting(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            "ec2_metadata_service_endpoint",
        )
        .await?;
        if let Some(e) = endpoint {
            return Ok(e.trim_end_matches('/').to_string());
        }
        let mode = setting(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
            "ec2_metadata_service_endpoint_mode",
        )
        .await?;
        match mode.as_deref().map(str::trim) {
            None => Ok(IMDS_ENDPOINT_IPV4.to_string()),
            Some(m) if m.eq_ignore_ascii_case("ipv4") => Ok(IMDS_ENDPOINT_IPV4.to_string()),
            Some(m) if m.eq_ignore_ascii_case("ipv6") => Ok(IMDS_ENDPOINT_IPV6.to_string()),
            Some(m) => Err(crate::Error::invalid_config(
                "ec2_metadata_service_endpoint_mode",
                m,
                "must be IPv4 or IPv6",
            )),
        }
    }

    async fn load(&self) -> Result<Lookup> {
        if self
            .env
            .get("AWS_EC2_METADATA_DISABLED")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            return Ok(Lookup::NotConfigured(
                "AWS_EC2_METADATA_DISABLED is true".into(),
            ));
        }
        let base = self.resolve_endpoint().await?;
        let client = match &self.client {
            Some(c) => Arc::clone(c),
            None => http_client(self.timeout)?,
        };
        let token = match self.token(&*client, &base).await {
            Ok(t) => t,
            // Nothing answers: not on EC2 (or the hop limit drops the answer).
            Err(e)
                if matches!(e.kind(), ErrorKind::Timeout | ErrorKind::Transport)
                    && e.status().is_none() =>
            {
                return Ok(Lookup::NotConfigured(e.to_string()));
            }
            Err(e) => return Err(e),
        };
        let (role, token) = match self
            .get(&*client, &format!("{base}{ROLE_PATH}"), token.as_ref())
            .await
        {
            // The cached token is no longer accepted (the service restarted,
            // or the clock jumped): replace it once.
            Err(e) if e.status() == Some(401) && token.is_some() => {
                self.forget_token();
                let token = self.token(&*client, &base).await?;
                let role = self
                    .get(&*client, &format!("{base}{ROLE_PATH}"), token.as_ref())
                    .await?;
                (role, token)
            }
            other => (other?, token),
        };
        let role = String::from_utf8_lossy(&role);
        let role = role.lines().next().unwrap_or("").trim();
        if role.is_empty() {
            return Err(unavailable(
                NAME,
                "no IAM role is attached to this instance",
            ));
        }
        let body = self
            .get(
                &*client,
                &format!("{base}{ROLE_PATH}{role}"),
                token.as_ref(),
            )
            .await?;
        let o = crate::json::parse_object(&body).map_err(|why| unavailable(NAME, why))?;
        match o.opt_str("Code").map_err(|why| unavailable(NAME, why))? {
            None | Some("Success") => {}
            Some(code) => return Err(unavailable(NAME, format!("role {role}: Code {code}"))),
        }
        parse_credentials(&body)
            .map(Lookup::Found)
            .map_err(|why| unavailable(NAME, format!("role {role}: {why}")))
    }

    /// The IMDSv2 session token, cached until shortly before its TTL;
    /// `None` to go on with IMDSv1.
    async fn token(&self, client: &dyn HttpClient, base: &str) -> Result<Option<HeaderValue>> {
        let now = (self.clock)();
        if let Some(t) = self.cached_token()
            && t.base == base
            && now < t.renew_at
        {
            return Ok(Some(t.value));
        }
        let token = self.fetch_token(client, base).await?;
        if let Some(value) = &token {
            let ttl = self.token_ttl;
            let early = TOKEN_REFRESH_BEFORE.min(ttl / 2);
            let keep = time::Duration::try_from(ttl - early).unwrap_or(time::Duration::ZERO);
            *self.token.lock().unwrap_or_else(PoisonError::into_inner) = Some(CachedToken {
                value: value.clone(),
                base: base.to_string(),
                renew_at: now + keep,
            });
        }
        Ok(token)
    }

    fn cached_token(&self) -> Option<CachedToken> {
        self.token
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn forget_token(&self) {
        *self.token.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// `PUT /latest/api/token`.
    async fn fetch_token(
        &self,
        client: &dyn HttpClient,
        base: &str,
    ) -> Result<Option<HeaderValue>> {
        let mut put = HttpRequest::new(Method::PUT, format!("{base}/latest/api/token"));
        put.headers.insert(
            "x-aws-ec2-metadata-token-ttl-seconds",
            HeaderValue::from(self.token_ttl.as_secs()),
        );
        let what = put.describe();
        let (status, body) = fetch(client, put, self.timeout)
            .await
            .map_err(|e| e.context(format_args!("{NAME}: {what}")))?;
        match status {
            StatusCode::OK => {
                let token = HeaderValue::from_maybe_shared(body)
                    .map_err(|_| unavailable(NAME, format!("{what}: the token is not a valid header value")))?;
                Ok(Some(token))
            }
            StatusCode::FORBIDDEN | StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED if self.imdsv1_fallback => Ok(None),
            StatusCode::FORBIDDEN | StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => Err(unavailable(
                NAME,
                format!("{what}: the IMDSv2 token request was refused with status {status}; enable imdsv1_fallback to use IMDSv1"),
            )
            .with_status(status.as_u16())),
            _ => Err(status_error(&what, status, &body)),
        }
    }

    async fn get(
        &self,
        client: &dyn HttpClient,
        url: &str,
        token: Option<&HeaderValue>,
    ) -> Result<bytes::Bytes> {
        let mut get = HttpRequest::new(Method::GET, url);
        if let Some(token) = token {
            get.headers
                .insert("x-aws-ec2-metadata-token", token.clone());
        }
        let what = get.describe();
        let (status, body) = fetch(client, get, self.timeout).await.map_err(|e| {
            let retryable = e.is_retryable();
            unavailable(NAME, format!("{what}: {e}")).with_retryable(retryable)
        })?;
        if status != StatusCode::OK {
            return Err(status_error(&what, status, &body));
        }
        Ok(body)
    }
}

fn status_error(what: &str, status: StatusCode, body: &[u8]) -> crate::Error {
    let hint = match status {
        StatusCode::UNAUTHORIZED => " (token missing or expired)",
        StatusCode::NOT_FOUND => " (no instance profile?)",
        _ => "",
    };
    crate::Error::new(
        ErrorKind::Credentials,
        format!("{NAME}: {what}: status {status}{hint}: {}", snippet(body)),
    )
    .with_status(status.as_u16())
    .with_retryable(status.is_server_error())
}

impl Default for ImdsProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ImdsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImdsProvider")
            .field("endpoint", &self.endpoint())
            .field("imdsv1_fallback", &self.imdsv1_fallback)
            .field("timeout", &self.timeout)
            .field("token_ttl", &self.token_ttl)
            .finish_non_exhaustive()
    }
}

impl Source for ImdsProvider {
    fn lookup(&self) -> BoxFuture<'_, Result<Lookup>> {
        Box::pin(self.load())
    }
}

impl CredentialProvider for ImdsProvider {
    fn credentials(&self) -> BoxFuture<'_, Result<Arc<Credentials>>> {
        Box::pin(lookup_required(self, NAME))
    }
}
