//! [`DefaultChain`]: the sources users know from the AWS CLI, in its order.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use super::env::Env;
use super::{
    CachingProvider, ContainerProvider, CredentialProvider, Credentials, EnvironmentProvider,
    ImdsProvider, Lookup, ProfileProvider, Source, WebIdentityProvider,
};
use crate::error::{Error, ErrorKind, Result};
use crate::transport::{BoxFuture, HttpClient};

/// Every environment variable the credential sources read: what
/// [`S3StoreBuilder::from_env_with`](crate::S3StoreBuilder::from_env_with)
/// captures for the default chain. A test checks that no source reads a
/// variable missing here.
pub const CHAIN_VARIABLES: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_SSO",
    "AWS_ENDPOINT_URL_SSO_OIDC",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
    "HOME",
    "USERPROFILE",
    "HOMEDRIVE",
    "HOMEPATH",
];

/// The default credential chain, tried in this order:
///
/// 1. explicit credentials given to the builder
///    ([`DefaultChainBuilder::credentials`]), used as they are;
/// 2. the environment (`AWS_ACCESS_KEY_ID`, ...: [`EnvironmentProvider`]);
/// 3. the shared profile files, with `credential_process`, SSO and assumed
///    roles ([`ProfileProvider`]);
/// 4. web identity (`AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`:
///    [`WebIdentityProvider`]);
/// 5. the ECS / EKS container endpoint ([`ContainerProvider`]);
/// 6. the EC2 instance metadata service ([`ImdsProvider`]).
///
/// A source that is not configured (its variables unset, no profile file)
/// is skipped; a configured source that fails stops the chain with its
/// error, so a broken profile is reported instead of silently falling back
/// to the instance role. When no source is configured the error lists why
/// each was skipped.
///
/// The result is cached by a [`CachingProvider`]: refreshed 5 minutes before
/// expiry, one fetch at a time. Each refresh walks the chain again.
///
/// ```no_run
/// # async fn run() -> s3lite::Result<()> {
/// use s3lite::credentials::{CredentialProvider, DefaultChain};
///
/// let chain = DefaultChain::new();
/// let credentials = chain.credentials().await?;
/// println!("signing as {}", credentials.access_key_id());
///
/// let dev = DefaultChain::builder().profile("dev").build();
/// # let _ = dev;
/// # Ok(())
/// # }
/// ```
pub struct DefaultChain {
    explicit: Option<Box<dyn CredentialProvider>>,
    cache: CachingProvider,
}

impl DefaultChain {
    /// The chain over the process environment and the user's files.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder to name a profile, replace the environment or home
    /// directory (tests), or point the network sources elsewhere.
    pub fn builder() -> DefaultChainBuilder {
        DefaultChainBuilder::default()
    }
}

impl Default for DefaultChain {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for DefaultChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DefaultChain")
            .field("explicit", &self.explicit)
            .field("cache", &self.cache)
            .finish()
    }
}

impl CredentialProvider for DefaultChain {
    fn credentials(&self) -> BoxFuture<'_, Result<Arc<Credentials>>> {
        match &self.explicit {
            Some(p) => p.credentials(),
            None => self.cache.credentials(),
        }
    }

    fn invalidate(&self) {
        match &self.explicit {
            Some(p) => p.invalidate(),
            None => self.cache.invalidate(),
        }
    }

    fn is_cached(&self) -> bool {
        self.explicit.as_ref().is_none_or(|p| p.is_cached())
    }
}

/// Builds a [`DefaultChain`]; every setting is optional.
#[derive(Default)]
pub struct DefaultChainBuilder {
    explicit: Option<Box<dyn CredentialProvider>>,
    env: Option<Env>,
    home: Option<PathBuf>,
    profile: Option<String>,
    sts_endpoint: Option<String>,
    ecs_host: Option<String>,
    imds_endpoint: Option<String>,
    imdsv1_fallback: bool,
    imds_timeout: Option<Duration>,
    http_client: Option<Arc<dyn HttpClient>>,
    refresh_before: Option<Duration>,
    clock: Option<Box<dyn Fn() -> OffsetDateTime + Send + Sync>>,
}

impl DefaultChainBuilder {
    /// Uses `provider` and nothing else (the first step of the chain).
    pub fn credentials(mut self, provider: impl CredentialProvider) -> Self {
        self.explicit = Some(Box::new(provider));
        self
    }

    /// Reads every variable through `lookup` instead of the process
    /// environment, so tests need not touch it.
    pub fn with_lookup(
        mut self,
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.env = Some(Env::from_lookup(lookup));
        self
    }

    /// Looks for `.aws/` (config, credentials, SSO cache) under `home`.
    pub fn home_dir(mut self, home: impl Into<PathBuf>) -> Self {
        self.home = Some(home.into());
        self
    }

    /// Uses profile `name` instead of `AWS_PROFILE` or `default`.
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.profile = Some(name.into());
        self
    }

    /// Sends STS calls (assumed roles, web identity) to `endpoint`.
    pub fn sts_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.sts_endpoint = Some(endpoint.into());
        self
    }

    /// Resolves `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` against `base`
    /// instead of `http://169.254.170.2`.
    pub fn ecs_host(mut self, base: impl Into<String>) -> Self {
        self.ecs_host = Some(base.into());
        self
    }

    /// The instance metadata endpoint; see [`ImdsProvider::with_endpoint`].
    pub fn imds_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.imds_endpoint = Some(endpoint.into());
        self
    }

    /// Allows IMDSv1; see [`ImdsProvider::with_imdsv1_fallback`].
    pub fn imdsv1_fallback(mut self, enabled: bool) -> Self {
        self.imdsv1_fallback = enabled;
        self
    }

    /// The timeout of each IMDS request (default 1 s).
    pub fn imds_timeout(mut self, timeout: Duration) -> Self {
        self.imds_timeout = Some(timeout);
        self
    }

    /// Sends the network sources' requests (STS, SSO, container, IMDS)
    /// with `client`; by default each builds one with its own timeouts.
    pub fn http_client(mut self, client: Arc<dyn HttpClient>) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Refreshes credentials once less than `before` remains (default 5 min).
    pub fn refresh_before(mut self, before: Duration) -> Self {
        self.refresh_before = Some(before);
        self
    }

    /// Reads the time from `clock` (tests).
    pub fn clock(mut self, clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Self {
        self.clock = Some(Box::new(clock));
        self
    }

    /// The chain.
    pub fn build(self) -> DefaultChain {
        let mut env = self.env.unwrap_or_else(Env::process);
        if let Some(home) = self.home {
            env = env.with_home(home);
        }
        let mut profile = ProfileProvider::from_env(env.clone());
        let mut web = WebIdentityProvider::from_env(env.clone());
        let mut container = ContainerProvider::from_env(env.clone());
        let mut imds =
            ImdsProvider::from_env(env.clone()).with_imdsv1_fallback(self.imdsv1_fallback);
        if let Some(name) = self.profile {
            imds = imds.with_profile(name.clone());
            profile = profile.with_profile(name);
        }
        if let Some(e) = self.sts_endpoint {
            profile = profile.with_sts_endpoint(e.clone());
            web = web.with_sts_endpoint(e);
        }
        if let Some(h) = self.ecs_host {
            container = container.with_ecs_host(h);
        }
        if let Some(e) = self.imds_endpoint {
            imds = imds.with_endpoint(e);
        }
        if let Some(t) = self.imds_timeout {
            imds = imds.with_timeout(t);
        }
        if let Some(c) = self.http_client {
            profile = profile.with_http_client(Arc::clone(&c));
            web = web.with_http_client(Arc::clone(&c));
            container = container.with_http_client(Arc::clone(&c));
            imds = imds.with_http_client(c);
        }
        let sources: Vec<(&'static str, Box<dyn Source>)> = vec![
            ("environment", Box::new(EnvironmentProvider::from_env(env))),
            ("profile", Box::new(profile)),
            ("web identity", Box::new(web)),
            ("container", Box::new(container)),
            ("IMDS", Box::new(imds)),
        ];
        let mut cache = CachingProvider::new(Chain { sources });
        if let Some(before) = self.refresh_before {
            cache = cache.with_refresh_before(before);
        }
        if let Some(clock) = self.clock {
            cache = cache.with_clock(clock);
        }
        DefaultChain {
            explicit: self.explicit,
            cache,
        }
    }
}

impl fmt::Debug for DefaultChainBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DefaultChainBuilder")
            .field("explicit", &self.explicit)
            .field("home", &self.home)
            .field("profile", &self.profile)
            .field("sts_endpoint", &self.sts_endpoint)
            .field("imds_endpoint", &self.imds_endpoint)
            .field("imdsv1_fallback", &self.imdsv1_fallback)
            .finish_non_exhaustive()
    }
}

/// The uncached walk over the sources.
struct Chain {
    sources: Vec<(&'static str, Box<dyn Source>)>,
}

impl fmt::Debug for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.sources.iter().map(|(name, _)| name))
            .finish()
    }
}

impl Chain {
    async fn walk(&self) -> Result<Arc<Credentials>> {
        let mut skipped = Vec::new();
        for (name, source) in &self.sources {
            match source.lookup().await {
                Ok(Lookup::Found(c)) => return Ok(Arc::new(c)),
                Ok(Lookup::NotConfigured(why)) => skipped.push(format!("{name}: {why}")),
                Err(e) => return Err(e.context(format_args!("default credential chain, {name}"))),
            }
        }
        Err(Error::new(
            ErrorKind::Credentials,
            format!(
                "no credentials found by the default chain ({})",
                skipped.join("; ")
            ),
        ))
    }
}

impl CredentialProvider for Chain {
    fn credentials(&self) -> BoxFuture<'_, Result<Arc<Credentials>>> {
        Box::pin(self.walk())
    }
}

#[cfg(test)]
mod variable_list_tests {
    use super::CHAIN_VARIABLES;

    /// Every quoted `AWS_*` / home variable name in the credential sources
    /// is in [`CHAIN_VARIABLES`], so `from_env_with` captures what the chain
    /// will ask for.
    #[test]
    fn chain_variables_cover_every_name_the_sources_read() {
        let sources = [
            include_str!("cache.rs"),
            include_str!("chain.rs"),
            include_str!("closure.rs"),
            include_str!("ecs.rs"),
            include_str!("env.rs"),
            include_str!("imds.rs"),
            include_str!("mod.rs"),
            include_str!("process.rs"),
            include_str!("profile.rs"),
            include_str!("sso.rs"),
            include_str!("sso_oidc.rs"),
            include_str!("sts.rs"),
            include_str!("web_identity.rs"),
        ];
        let mut seen = 0;
        for text in sources {
            for quoted in text.split('"').skip(1).step_by(2) {
                let is_var = (quoted.starts_with("AWS_")
                    || ["HOME", "USERPROFILE", "HOMEDRIVE", "HOMEPATH"].contains(&quoted))
                    && quoted
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
                if is_var {
                    seen += 1;
                    assert!(CHAIN_VARIABLES.contains(&quoted), "{quoted} is missing");
                }
            }
        }
        assert!(seen > 20, "found only {seen} names");
    }
}
