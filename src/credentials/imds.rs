//! Credentials of the EC2 instance role, from the instance metadata service
//! (IMDSv2).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderValue, Method, StatusCode};

use super::ecs::parse_credentials;
use super::env::Env;
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
const TOKEN_TTL_SECONDS: &str = "21600";
const ROLE_PATH: &str = "/latest/meta-data/iam/security-credentials/";

/// Credentials of the EC2 instance profile, from IMDSv2: a session token
/// from `PUT /latest/api/token` (with `X-aws-ec2-metadata-token-ttl-seconds`),
/// the role name, then the role's credentials.
///
/// - Endpoint: [`with_endpoint`](Self::with_endpoint), else
///   `AWS_EC2_METADATA_SERVICE_ENDPOINT`, else the IPv6 endpoint when
///   `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6`, else
///   [`IMDS_ENDPOINT_IPV4`].
/// - `AWS_EC2_METADATA_DISABLED=true` turns the source off.
/// - IMDSv1 (no token) is used only when
///   [`with_imdsv1_fallback`](Self::with_imdsv1_fallback) is on *and* the
///   token PUT is refused with 403, 404 or 405. A token PUT that times out
///   (as it does from a container when the hop limit is 1) is not refused:
///   it is an error.
/// - Every request times out after 1 s by default, so a laptop with no
///   metadata service is not stalled.
///
/// Fetches on every call: wrap it in a
/// [`CachingProvider`](super::CachingProvider) (the default chain does).
#[derive(Clone)]
pub struct ImdsProvider {
    env: Env,
    endpoint: Option<String>,
    imdsv1_fallback: bool,
    timeout: Duration,
    client: Option<Arc<dyn HttpClient>>,
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
            imdsv1_fallback: false,
            timeout: Duration::from_secs(1),
            client: None,
        }
    }

    /// Talks to `endpoint` (`http://169.254.169.254`, `http://[fd00:ec2::254]`,
    /// or a test server) instead of the one the environment names.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into().trim_end_matches('/').to_string());
        self
    }

    /// Allows IMDSv1 (requests without a token) when the token PUT is
    /// refused with 403, 404 or 405. Default off.
    pub fn with_imdsv1_fallback(mut self, enabled: bool) -> Self {
        self.imdsv1_fallback = enabled;
        self
    }

    /// The timeout of each request (connect, headers, body). Default 1 s.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sends requests with `client` instead of a default one with the
    /// configured timeout.
    pub fn with_http_client(mut self, client: Arc<dyn HttpClient>) -> Self {
        self.client = Some(client);
        self
    }

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
        let base = self.endpoint();
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
        let role = self
            .get(&*client, &format!("{base}{ROLE_PATH}"), token.as_ref())
            .await?;
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
        let o = super::json::parse_object(&body).map_err(|why| unavailable(NAME, why))?;
        match o.opt_str("Code").map_err(|why| unavailable(NAME, why))? {
            None | Some("Success") => {}
            Some(code) => return Err(unavailable(NAME, format!("role {role}: Code {code}"))),
        }
        parse_credentials(&body)
            .map(Lookup::Found)
            .map_err(|why| unavailable(NAME, format!("role {role}: {why}")))
    }

    /// The IMDSv2 session token; `None` to go on with IMDSv1.
    async fn token(&self, client: &dyn HttpClient, base: &str) -> Result<Option<HeaderValue>> {
        let mut put = HttpRequest::new(Method::PUT, format!("{base}/latest/api/token"));
        put.headers.insert(
            "x-aws-ec2-metadata-token-ttl-seconds",
            HeaderValue::from_static(TOKEN_TTL_SECONDS),
        );
        let what = put.describe();
        let (status, body) = fetch(client, put)
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
        let (status, body) = fetch(client, get).await.map_err(|e| {
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
