//! Credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
//! `AWS_SESSION_TOKEN`.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use super::{CredentialProvider, Credentials, Lookup, Source, unavailable};
use crate::error::Result;
use crate::transport::BoxFuture;

type EnvLookup = dyn Fn(&str) -> Option<String> + Send + Sync;

/// The environment as the credential sources see it: variables through an
/// injectable lookup, and an optional home directory override.
#[derive(Clone)]
pub(crate) struct Env {
    lookup: Arc<EnvLookup>,
    home: Option<PathBuf>,
}

impl Env {
    /// The process environment and the real home directory.
    pub(crate) fn process() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Variables read through `lookup`.
    pub(crate) fn from_lookup(
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        Env {
            lookup: Arc::new(lookup),
            home: None,
        }
    }

    /// Uses `home` as the home directory instead of `HOME`/`USERPROFILE`.
    pub(crate) fn with_home(mut self, home: impl Into<PathBuf>) -> Self {
        self.home = Some(home.into());
        self
    }

    /// The value of `name`; unset and empty are both `None`.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|v| !v.is_empty())
    }

    /// The home directory: the override, else `HOME`, else `USERPROFILE`,
    /// else `HOMEDRIVE` + `HOMEPATH`.
    pub(crate) fn home(&self) -> Option<PathBuf> {
        if let Some(home) = &self.home {
            return Some(home.clone());
        }
        if let Some(home) = self.get("HOME").or_else(|| self.get("USERPROFILE")) {
            return Some(PathBuf::from(home));
        }
        match (self.get("HOMEDRIVE"), self.get("HOMEPATH")) {
            (Some(drive), Some(path)) => Some(PathBuf::from(format!("{drive}{path}"))),
            _ => None,
        }
    }

    /// `path` with a leading `~/` replaced by the home directory.
    pub(crate) fn expand_home(&self, path: &str) -> PathBuf {
        match (
            path.strip_prefix("~/").or_else(|| path.strip_prefix("~\\")),
            self.home(),
        ) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(path),
        }
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Env")
            .field("home", &self.home)
            .finish_non_exhaustive()
    }
}

/// Reads credentials from the environment each time it is asked, so a
/// rotated variable is picked up.
#[derive(Clone)]
pub struct EnvironmentProvider {
    env: Env,
}

impl EnvironmentProvider {
    /// Reads the process environment.
    pub fn new() -> Self {
        Self::with_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup`, so tests need not touch the process
    /// environment.
    pub fn with_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        EnvironmentProvider {
            env: Env::from_lookup(lookup),
        }
    }

    pub(crate) fn from_env(env: Env) -> Self {
        EnvironmentProvider { env }
    }

    /// The credentials the environment holds now.
    ///
    /// # Errors
    /// [`ErrorKind::Credentials`](crate::ErrorKind::Credentials) when the key
    /// id or the secret is missing or empty.
    pub fn load(&self) -> Result<Credentials> {
        let get = |name: &str| self.env.get(name);
        let key = get("AWS_ACCESS_KEY_ID");
        let secret = get("AWS_SECRET_ACCESS_KEY");
        match (key, secret) {
            (Some(key), Some(secret)) => {
                let mut c = Credentials::new(key, secret);
                if let Some(token) = get("AWS_SESSION_TOKEN") {
                    c = c.with_session_token(token);
                }
                Ok(c)
            }
            (Some(_), None) => Err(unavailable(
                "environment",
                "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
            )),
            (None, Some(_)) => Err(unavailable(
                "environment",
                "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not",
            )),
            (None, None) => Err(unavailable(
                "environment",
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set",
            )),
        }
    }
}

impl Default for EnvironmentProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for EnvironmentProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnvironmentProvider")
    }
}

impl CredentialProvider for EnvironmentProvider {
    fn credentials(&self) -> BoxFuture<'_, Result<Arc<Credentials>>> {
        let loaded = self.load().map(Arc::new);
        Box::pin(async move { loaded })
    }
}

impl Source for EnvironmentProvider {
    fn lookup(&self) -> BoxFuture<'_, Result<Lookup>> {
        let env = &self.env;
        let outcome = if env.get("AWS_ACCESS_KEY_ID").is_none()
            && env.get("AWS_SECRET_ACCESS_KEY").is_none()
        {
            Ok(Lookup::NotConfigured("AWS_ACCESS_KEY_ID is not set".into()))
        } else {
            self.load().map(Lookup::Found)
        };
        Box::pin(async move { outcome })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn provider(vars: &'static [(&'static str, &'static str)]) -> EnvironmentProvider {
        EnvironmentProvider::with_lookup(move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn reads_key_secret_and_token() {
        let c = provider(&[
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "SECRET"),
            ("AWS_SESSION_TOKEN", "TOKEN"),
        ])
        .load()
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.access_key_id(), "AKID");
        assert_eq!(c.secret_key().expose(), "SECRET");
        assert_eq!(c.session_token(), Some("TOKEN"));
    }

    #[test]
    fn missing_secret_is_a_credentials_error() {
        let e = provider(&[("AWS_ACCESS_KEY_ID", "AKID")])
            .load()
            .expect_err("no secret");
        assert_eq!(e.kind(), ErrorKind::Credentials);
        assert!(e.to_string().contains("AWS_SECRET_ACCESS_KEY"), "{e}");
    }
}
