//! Credentials from the ECS task or EKS Pod Identity endpoint.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{Method, StatusCode};

use super::env::Env;
use super::{
    CredentialProvider, Credentials, Lookup, Source, fetch, http_client, lookup_required, snippet,
    unavailable,
};
use crate::error::Result;
use crate::json;
use crate::transport::{BoxFuture, HttpClient, HttpRequest};

/// The ECS task metadata host that relative URIs are resolved against.
const ECS_HOST: &str = "http://169.254.170.2";
/// How long one request to the container endpoint may take.
const TIMEOUT: Duration = Duration::from_secs(5);
const NAME: &str = "container credentials";

/// Credentials from the container credentials endpoint: ECS tasks
/// (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`, against `169.254.170.2`) and
/// EKS Pod Identity or other agents (`AWS_CONTAINER_CREDENTIALS_FULL_URI`
/// with `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`, read on every fetch, or
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN`).
///
/// A full URI over plain `http` must name a loopback address, the ECS host
/// `169.254.170.2` or the EKS hosts `169.254.170.23` / `[fd00:ec2::23]`;
/// `https` may name any host.
///
/// Fetches on every call: wrap it in a
/// [`CachingProvider`](super::CachingProvider) (the default chain does).
#[derive(Clone)]
pub struct ContainerProvider {
    env: Env,
    ecs_host: String,
    client: Option<Arc<dyn HttpClient>>,
}

impl ContainerProvider {
    /// Reads the process environment.
    pub fn new() -> Self {
        Self::from_env(Env::process())
    }

    /// Reads variables through `lookup` instead of the process environment.
    pub fn with_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self::from_env(Env::from_lookup(lookup))
    }

    pub(crate) fn from_env(env: Env) -> Self {
        ContainerProvider {
            env,
            ecs_host: ECS_HOST.to_string(),
            client: None,
        }
    }

    /// Resolves `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` against `base`
    /// instead of `http://169.254.170.2` (for tests and proxies).
    pub fn with_ecs_host(mut self, base: impl Into<String>) -> Self {
        self.ecs_host = base.into().trim_end_matches('/').to_string();
        self
    }

    /// Sends requests with `client` instead of a default one with 5 s
    /// timeouts.
    pub fn with_http_client(mut self, client: Arc<dyn HttpClient>) -> Self {
        self.client = Some(client);
        self
    }

    async fn load(&self) -> Result<Lookup> {
        let url = if let Some(relative) = self.env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            if !relative.starts_with('/') {
                return Err(unavailable(
                    NAME,
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must start with /",
                ));
            }
            format!("{}{relative}", self.ecs_host)
        } else if let Some(full) = self.env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
            check_full_uri(&full)?;
            full
        } else {
            return Ok(Lookup::NotConfigured(
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are not set".into(),
            ));
        };
        let mut request = HttpRequest::new(Method::GET, url);
        request.headers.insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static("application/json"),
        );
        if let Some(token) = self.token().await? {
            let value = http::HeaderValue::from_str(&token).map_err(|_| {
                unavailable(
                    NAME,
                    "the authorization token holds characters not allowed in a header",
                )
            })?;
            request.headers.insert(http::header::AUTHORIZATION, value);
        }
        let what = request.describe();
        let client = match &self.client {
            Some(c) => Arc::clone(c),
            None => http_client(TIMEOUT)?,
        };
        let (status, body) = fetch(&*client, request, TIMEOUT).await.map_err(|e| {
            unavailable(NAME, format!("{what}: {e}")).with_retryable(e.is_retryable())
        })?;
        if status != StatusCode::OK {
            return Err(
                unavailable(NAME, format!("{what}: status {status}: {}", snippet(&body)))
                    .with_status(status.as_u16())
                    .with_retryable(
                        status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS,
                    ),
            );
        }
        parse_credentials(&body)
            .map(Lookup::Found)
            .map_err(|why| unavailable(NAME, format!("{what}: {why}")))
    }

    /// The authorization token: the token file (re-read every time) wins
    /// over the variable.
    async fn token(&self) -> Result<Option<String>> {
        if let Some(path) = self.env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
            let file = std::path::PathBuf::from(&path);
            let text = super::read_file_capped(
                &file,
                crate::limits::MAX_CREDENTIALS_BODY as u64,
                "limits::MAX_CREDENTIALS_BODY",
            )
            .await;
            let text = text
                .map(|t| String::from_utf8_lossy(&t).into_owned())
                .map_err(|e| {
                    unavailable(
                        NAME,
                        format!("reading AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {path}"),
                    )
                    .with_source(e)
                })?;
            return Ok(Some(text.trim().to_string()));
        }
        Ok(self.env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN"))
    }
}

/// Reads the endpoint's JSON answer (`AccessKeyId`, `SecretAccessKey`,
/// `Token`, `Expiration`), shared with IMDS.
pub(crate) fn parse_credentials(body: &[u8]) -> std::result::Result<Credentials, String> {
    let o = json::parse_object(body)?;
    super::from_json_fields(&o, "Token")
}

/// A full URI may use `http` only towards loopback and the ECS/EKS hosts.
fn check_full_uri(url: &str) -> Result<()> {
    let bad = |why: &str| unavailable(NAME, format!("AWS_CONTAINER_CREDENTIALS_FULL_URI: {why}"));
    let uri: http::Uri = url.parse().map_err(|_| bad("not a valid URL"))?;
    let host = uri.host().ok_or_else(|| bad("no host"))?;
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if allowed_http_host(host) => Ok(()),
        Some("http") => Err(bad(&format!(
            "plain http is allowed only to loopback, 169.254.170.2, 169.254.170.23 or fd00:ec2::23, not {host}"
        ))),
        _ => Err(bad("scheme must be http or https")),
    }
}

fn allowed_http_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let Ok(ip) = host.parse::<IpAddr>() else {
        return false;
    };
    let allowed: [IpAddr; 3] = [
        IpAddr::from([169, 254, 170, 2]),
        IpAddr::from([169, 254, 170, 23]),
        IpAddr::from([0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23]),
    ];
    ip.is_loopback() || allowed.contains(&ip)
}

impl Default for ContainerProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ContainerProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContainerProvider")
            .field("ecs_host", &self.ecs_host)
            .finish_non_exhaustive()
    }
}

impl Source for ContainerProvider {
    fn lookup(&self) -> BoxFuture<'_, Result<Lookup>> {
        Box::pin(self.load())
    }
}

impl CredentialProvider for ContainerProvider {
    fn credentials(&self) -> BoxFuture<'_, Result<Arc<Credentials>>> {
        Box::pin(lookup_required(self, NAME))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_hosts_are_limited_to_loopback_and_container_hosts() {
        for ok in [
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
            "localhost",
            "169.254.170.2",
            "169.254.170.23",
            "[fd00:ec2::23]",
        ] {
            assert!(allowed_http_host(ok), "{ok}");
        }
        for bad in [
            "169.254.169.254",
            "10.0.0.1",
            "example.com",
            "[fd00:ec2::254]",
            "127.0.0.1.nip.io",
        ] {
            assert!(!allowed_http_host(bad), "{bad}");
        }
        assert!(check_full_uri("https://example.com/creds").is_ok());
        assert!(check_full_uri("http://example.com/creds").is_err());
        assert!(check_full_uri("ftp://127.0.0.1/creds").is_err());
    }
}
