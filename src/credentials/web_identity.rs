//! Credentials for a web identity token (EKS IRSA, GitHub Actions OIDC, ...)
//! from STS AssumeRoleWithWebIdentity.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use super::env::Env;
use super::sts::{RoleParams, Sts};
use super::{CredentialProvider, Credentials, Lookup, Source, lookup_required, unavailable};
use crate::error::Result;
use crate::transport::{BoxFuture, HttpClient};

const NAME: &str = "web identity";

/// Credentials from `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN` and the
/// optional `AWS_ROLE_SESSION_NAME`, through STS AssumeRoleWithWebIdentity
/// (an unsigned call).
///
/// The token file is read again on every fetch, since the platform rotates
/// it. Not configured unless both the token file and the role are set.
/// Fetches on every call: wrap it in a
/// [`CachingProvider`](super::CachingProvider) (the default chain does).
#[derive(Clone)]
pub struct WebIdentityProvider {
    env: Env,
    settings: Option<(PathBuf, RoleParams)>,
    endpoint: Option<String>,
    region: Option<String>,
    client: Option<Arc<dyn HttpClient>>,
}

impl WebIdentityProvider {
    /// Reads the process environment.
    pub fn new() -> Self {
        Self::from_env(Env::process())
    }

    /// Reads variables through `lookup` instead of the process environment.
    pub fn with_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self::from_env(Env::from_lookup(lookup))
    }

    pub(crate) fn from_env(env: Env) -> Self {
        WebIdentityProvider {
            env,
            settings: None,
            endpoint: None,
            region: None,
            client: None,
        }
    }

    /// Uses `token_file` and `role` from a profile instead of the
    /// environment variables.
    pub(crate) fn with_settings(mut self, token_file: PathBuf, role: RoleParams) -> Self {
        self.settings = Some((token_file, role));
        self
    }

    /// The STS endpoint URL (e.g. a local STS for tests); default from
    /// `AWS_ENDPOINT_URL_STS` or the region.
    pub fn with_sts_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// The STS region; default `AWS_REGION`.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Sends requests with `client` instead of a default one.
    pub fn with_http_client(mut self, client: Arc<dyn HttpClient>) -> Self {
        self.client = Some(client);
        self
    }

    async fn load(&self) -> Result<Lookup> {
        let (file, role) = match &self.settings {
            Some((file, role)) => (file.clone(), role.clone()),
            None => {
                let file = self.env.get("AWS_WEB_IDENTITY_TOKEN_FILE");
                let arn = self.env.get("AWS_ROLE_ARN");
                let (file, role_arn) = match (file, arn) {
                    (Some(f), Some(a)) => (f, a),
                    (None, None) => {
                        return Ok(Lookup::NotConfigured(
                            "AWS_WEB_IDENTITY_TOKEN_FILE is not set".into(),
                        ));
                    }
                    (Some(_), None) => {
                        return Err(unavailable(
                            NAME,
                            "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not",
                        ));
                    }
                    (None, Some(_)) => {
                        return Ok(Lookup::NotConfigured(
                            "AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not".into(),
                        ));
                    }
                };
                let role = RoleParams {
                    role_arn,
                    session_name: self.env.get("AWS_ROLE_SESSION_NAME"),
                    ..RoleParams::default()
                };
                (PathBuf::from(file), role)
            }
        };
        let token = super::read_file_capped(
            &file,
            crate::limits::MAX_CREDENTIALS_BODY as u64,
            "limits::MAX_CREDENTIALS_BODY",
        )
        .await
        .map_err(|e| {
            unavailable(NAME, format!("reading token file {}", file.display())).with_source(e)
        })?;
        let token = String::from_utf8_lossy(&token);
        let token = token.trim();
        if token.is_empty() {
            return Err(unavailable(
                NAME,
                format!("token file {} is empty", file.display()),
            ));
        }
        let sts = Sts::resolve(&self.env, self.endpoint.as_deref(), self.region.as_deref())
            .with_client(self.client.clone());
        sts.assume_role_with_web_identity(&role, token)
            .await
            .map(Lookup::Found)
    }
}

impl Default for WebIdentityProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for WebIdentityProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebIdentityProvider")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl Source for WebIdentityProvider {
    fn lookup(&self) -> BoxFuture<'_, Result<Lookup>> {
        Box::pin(self.load())
    }
}

impl CredentialProvider for WebIdentityProvider {
    fn credentials(&self) -> BoxFuture<'_, Result<Arc<Credentials>>> {
        Box::pin(lookup_required(self, NAME))
    }
}
