//! Credentials from the shared files `~/.aws/credentials` and
//! `~/.aws/config`: static keys, `credential_process`, SSO, and roles
//! assumed with `role_arn` plus `source_profile` or `credential_source`.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use super::env::Env;
use super::process::ProcessProvider;
use super::sso::{self, SsoSettings};
use super::sts::{RoleParams, Sts};
use super::web_identity::WebIdentityProvider;
use super::{
    ContainerProvider, CredentialProvider, Credentials, EnvironmentProvider, ImdsProvider, Lookup,
    Source, lookup_required, read_file_capped, read_file_capped_blocking, unavailable,
};
use crate::error::Result;
use crate::limits::MAX_PROFILE_FILE;
use crate::transport::{BoxFuture, HttpClient};

/// Longest chain of `source_profile` hops followed.
const MAX_HOPS: usize = 8;

/// Credentials from a profile of the shared config and credentials files.
///
/// - Files: `AWS_SHARED_CREDENTIALS_FILE` (default `~/.aws/credentials`)
///   and `AWS_CONFIG_FILE` (default `~/.aws/config`); a key in the
///   credentials file wins over the same key in the config file.
/// - Profile: [`with_profile`](Self::with_profile), else `AWS_PROFILE`,
///   else `default`.
/// - In order of precedence, a profile may hold: `role_arn` with
///   `web_identity_token_file`, or with `source_profile` (another profile,
///   or itself for its own static keys) or `credential_source`
///   (`Environment`, `Ec2InstanceMetadata`, `EcsContainer`), plus the
///   optional `external_id`, `role_session_name` and `duration_seconds`;
///   `sso_session` (or the legacy `sso_start_url`, `sso_region`) with
///   `sso_account_id` and `sso_role_name`; `credential_process`;
///   `aws_access_key_id`, `aws_secret_access_key`, `aws_session_token`.
///
/// Not configured (the default chain moves on) when neither file exists,
/// the default profile is absent, or the profile holds no credentials
/// settings. A profile named explicitly that does not exist is an error.
/// Fetches on every call: wrap it in a
/// [`CachingProvider`](super::CachingProvider) (the default chain does).
#[derive(Clone)]
pub struct ProfileProvider {
    env: Env,
    profile: Option<String>,
    sts_endpoint: Option<String>,
    client: Option<Arc<dyn HttpClient>>,
}

impl ProfileProvider {
    /// Reads the process environment and the real home directory.
    pub fn new() -> Self {
        Self::from_env(Env::process())
    }

    /// Reads variables through `lookup` instead of the process environment.
    pub fn with_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self::from_env(Env::from_lookup(lookup))
    }

    pub(crate) fn from_env(env: Env) -> Self {
        ProfileProvider {
            env,
            profile: None,
            sts_endpoint: None,
            client: None,
        }
    }

    /// Uses profile `name` instead of `AWS_PROFILE` or `default`.
    pub fn with_profile(mut self, name: impl Into<String>) -> Self {
        self.profile = Some(name.into());
        self
    }

    /// Looks for `.aws/` under `home` instead of the user's home directory.
    pub fn with_home_dir(mut self, home: impl Into<PathBuf>) -> Self {
        self.env = self.env.with_home(home);
        self
    }

    /// Sends STS calls to `endpoint` (e.g. a local STS for tests).
    pub fn with_sts_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.sts_endpoint = Some(endpoint.into());
        self
    }

    /// Sends STS and SSO requests with `client` instead of a default one.
    pub fn with_http_client(mut self, client: Arc<dyn HttpClient>) -> Self {
        self.client = Some(client);
        self
    }

    async fn load(&self) -> Result<Lookup> {
        let explicit = self.profile.clone().or_else(|| self.env.get("AWS_PROFILE"));
        let name = explicit.clone().unwrap_or_else(|| "default".to_string());
        let files = self.read_files().await?;
        let Some(files) = files else {
            return match explicit {
                Some(_) => Err(unavailable(
                    "profile",
                    format!("profile {name:?} is set but no config or credentials file exists"),
                )),
                None => Ok(Lookup::NotConfigured(
                    "no ~/.aws/config or ~/.aws/credentials".into(),
                )),
            };
        };
        let Some(profile) = files.profiles.get(&name) else {
            return match explicit {
                Some(_) => Err(unavailable(
                    "profile",
                    format!("profile {name:?} is not in the config or credentials file"),
                )),
                None => Ok(Lookup::NotConfigured("no default profile".into())),
            };
        };
        if !has_credentials(profile) {
            return Ok(Lookup::NotConfigured(format!(
                "profile {name:?} holds no credentials"
            )));
        }
        self.resolve(&files, &name, Vec::new())
            .await
            .map(Lookup::Found)
    }

    /// Reads both files; `None` when neither exists.
    async fn read_files(&self) -> Result<Option<ProfileFiles>> {
        let mut files = ProfileFiles::default();
        let mut found = false;
        for (path, is_config) in file_paths(&self.env) {
            let Some(path) = path else { continue };
            let read = read_file_capped(&path, MAX_PROFILE_FILE, "limits::MAX_PROFILE_FILE").await;
            found |= files.add_read(&path, read, is_config)?;
        }
        Ok(found.then_some(files))
    }

    /// The credentials of profile `name`; `chain` holds the profiles that
    /// led here, to catch `source_profile` loops.
    fn resolve<'a>(
        &'a self,
        files: &'a ProfileFiles,
        name: &'a str,
        mut chain: Vec<String>,
    ) -> BoxFuture<'a, Result<Credentials>> {
        Box::pin(async move {
            let what = format!("profile {name:?}");
            let p = files
                .profiles
                .get(name)
                .ok_or_else(|| unavailable(&what, "no such profile (named by source_profile)"))?;
            if chain.len() > MAX_HOPS || chain.iter().any(|n| n == name) {
                chain.push(name.to_string());
                return Err(unavailable(
                    &what,
                    format!("source_profile loop: {}", chain.join(" -> ")),
                ));
            }
            chain.push(name.to_string());
            let get = |k: &str| p.get(k).map(String::as_str).filter(|v| !v.is_empty());
            if let Some(role_arn) = get("role_arn") {
                let role = RoleParams {
                    role_arn: role_arn.to_string(),
                    session_name: get("role_session_name").map(str::to_string),
                    external_id: get("external_id").map(str::to_string),
                    duration_seconds: match get("duration_seconds") {
                        Some(d) => Some(d.parse().map_err(|_| {
                            unavailable(&what, format!("duration_seconds {d:?} is not a number"))
                        })?),
                        None => None,
                    },
                };
                if let Some(token_file) = get("web_identity_token_file") {
                    let provider = WebIdentityProvider::from_env(self.env.clone())
                        .with_settings(self.env.expand_home(token_file), role);
                    let provider = self.with_sts(provider, get("region"));
                    return lookup_required(&provider, &what).await.map(unwrap_arc);
                }
                let base = match (get("source_profile"), get("credential_source")) {
                    (Some(_), Some(_)) => {
                        return Err(unavailable(
                            &what,
                            "role_arn has both source_profile and credential_source",
                        ));
                    }
                    (None, None) => {
                        return Err(unavailable(
                            &what,
                            "role_arn needs source_profile or credential_source",
                        ));
                    }
                    (Some(source), None) if source == name => static_keys(p, &what)?,
                    (Some(source), None) => {
                        let sp = files.profiles.get(source).ok_or_else(|| {
                            unavailable(&what, format!("source_profile {source:?} does not exist"))
                        })?;
                        if !sp.contains_key("role_arn") && sp.contains_key("aws_access_key_id") {
                            static_keys(sp, &format!("profile {source:?}"))?
                        } else {
                            self.resolve(files, source, chain).await?
                        }
                    }
                    (None, Some(source)) => self.credential_source(source, &what).await?,
                };
                let region = self
                    .env
                    .get("AWS_REGION")
                    .or_else(|| get("region").map(str::to_string));
                let sts = Sts::resolve(&self.env, self.sts_endpoint.as_deref(), region.as_deref())
                    .with_client(self.client.clone());
                return sts
                    .assume_role(&base, &role)
                    .await
                    .map_err(|e| e.context(&what));
            }
            if get("sso_session").is_some() || get("sso_start_url").is_some() {
                let settings = sso_settings(files, p, name, &what)?;
                return sso::load(&self.env, &settings, self.client.clone()).await;
            }
            if let Some(command) = get("credential_process") {
                let provider = ProcessProvider::new(command);
                return provider
                    .credentials()
                    .await
                    .map(unwrap_arc)
                    .map_err(|e| e.context(&what));
            }
            static_keys(p, &what)
        })
    }

    fn with_sts(
        &self,
        mut provider: WebIdentityProvider,
        region: Option<&str>,
    ) -> WebIdentityProvider {
        if let Some(e) = &self.sts_endpoint {
            provider = provider.with_sts_endpoint(e.clone());
        }
        if let Some(r) = region
            .map(str::to_string)
            .or_else(|| self.env.get("AWS_REGION"))
        {
            provider = provider.with_region(r);
        }
        if let Some(c) = &self.client {
            provider = provider.with_http_client(Arc::clone(c));
        }
        provider
    }

    async fn credential_source(&self, source: &str, what: &str) -> Result<Credentials> {
        let got = match source {
            "Environment" => {
                lookup_required(
                    &EnvironmentProvider::from_env(self.env.clone()),
                    "environment",
                )
                .await
            }
            "Ec2InstanceMetadata" => {
                lookup_required(&ImdsProvider::from_env(self.env.clone()), "IMDS").await
            }
            "EcsContainer" => {
                lookup_required(&ContainerProvider::from_env(self.env.clone()), "container").await
            }
            other => {
                return Err(unavailable(
                    what,
                    format!(
                        "credential_source {other:?} is not Environment, Ec2InstanceMetadata or EcsContainer"
                    ),
                ));
            }
        };
        got.map(unwrap_arc).map_err(|e| e.context(what))
    }
}

/// The value of `key` in the profile `profile` (else `AWS_PROFILE`, else
/// `default`) of the shared config and credentials files; `None` when no
/// file, profile or key exists. For settings of other sources, such as
/// `ec2_metadata_service_endpoint`.
pub(crate) async fn profile_setting(
    env: &Env,
    profile: Option<&str>,
    key: &str,
) -> Result<Option<String>> {
    let reader = ProfileProvider::from_env(env.clone());
    let Some(files) = reader.read_files().await? else {
        return Ok(None);
    };
    Ok(files.setting(env, profile, key))
}

/// As [`profile_setting`], reading the files with blocking I/O: for the
/// store builder, which needs the profile's `region` before any runtime
/// runs (the files are small and capped at [`MAX_PROFILE_FILE`]).
pub(crate) fn profile_setting_blocking(env: &Env, key: &str) -> Result<Option<String>> {
    let mut files = ProfileFiles::default();
    let mut found = false;
    for (path, is_config) in file_paths(env) {
        let Some(path) = path else { continue };
        let read = read_file_capped_blocking(&path, MAX_PROFILE_FILE, "limits::MAX_PROFILE_FILE");
        found |= files.add_read(&path, read, is_config)?;
    }
    Ok(if found {
        files.setting(env, None, key)
    } else {
        None
    })
}

/// The config file (`AWS_CONFIG_FILE`, else `~/.aws/config`) and the
/// credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else
/// `~/.aws/credentials`), each with whether it is the config file.
fn file_paths(env: &Env) -> [(Option<PathBuf>, bool); 2] {
    let home = env.home();
    let path = |var: &str, default: &str| -> Option<PathBuf> {
        match env.get(var) {
            Some(p) => Some(env.expand_home(&p)),
            None => home.as_ref().map(|h| h.join(".aws").join(default)),
        }
    };
    [
        (path("AWS_CONFIG_FILE", "config"), true),
        (path("AWS_SHARED_CREDENTIALS_FILE", "credentials"), false),
    ]
}

/// The credentials out of an `Arc` (cloned only when shared).
fn unwrap_arc(c: Arc<Credentials>) -> Credentials {
    Arc::try_unwrap(c).unwrap_or_else(|shared| (*shared).clone())
}

type Props = HashMap<String, String>;

/// Whether a profile holds any setting that yields credentials.
fn has_credentials(p: &Props) -> bool {
    [
        "role_arn",
        "sso_session",
        "sso_start_url",
        "credential_process",
        "aws_access_key_id",
        "aws_secret_access_key",
    ]
    .iter()
    .any(|k| p.contains_key(*k))
}

fn static_keys(p: &Props, what: &str) -> Result<Credentials> {
    let get = |k: &str| p.get(k).filter(|v| !v.is_empty());
    match (get("aws_access_key_id"), get("aws_secret_access_key")) {
        (Some(key), Some(secret)) => {
            let mut c = Credentials::new(key.clone(), secret.clone());
            if let Some(token) = get("aws_session_token") {
                c = c.with_session_token(token.clone());
            }
            Ok(c)
        }
        (Some(_), None) => Err(unavailable(
            what,
            "aws_access_key_id is set but aws_secret_access_key is not",
        )),
        (None, Some(_)) => Err(unavailable(
            what,
            "aws_secret_access_key is set but aws_access_key_id is not",
        )),
        (None, None) => Err(unavailable(what, "holds no credentials")),
    }
}

fn sso_settings(files: &ProfileFiles, p: &Props, name: &str, what: &str) -> Result<SsoSettings> {
    let need = |map: &Props, k: &str, place: &str| {
        map.get(k)
            .filter(|v| !v.is_empty())
            .cloned()
            .ok_or_else(|| unavailable(what, format!("{k} is missing{place}")))
    };
    let (session, start_url, region) = match p.get("sso_session") {
        Some(session) => {
            let s = files.sso_sessions.get(session).ok_or_else(|| {
                unavailable(
                    what,
                    format!("[sso-session {session}] is not in the config file"),
                )
            })?;
            let place = format!(" in [sso-session {session}]");
            (
                Some(session.clone()),
                need(s, "sso_start_url", &place)?,
                need(s, "sso_region", &place)?,
            )
        }
        None => (
            None,
            need(p, "sso_start_url", "")?,
            need(p, "sso_region", "")?,
        ),
    };
    Ok(SsoSettings {
        profile: name.to_string(),
        session,
        start_url,
        region,
        account_id: need(p, "sso_account_id", "")?,
        role_name: need(p, "sso_role_name", "")?,
    })
}

/// The profiles and the SSO sessions that `text` defines, read as the config
/// file (`is_config`) or the credentials file; for the fuzz targets.
#[cfg(feature = "_fuzz")]
pub(crate) fn parse_files(
    text: &str,
    is_config: bool,
) -> (HashMap<String, Props>, HashMap<String, Props>) {
    let mut files = ProfileFiles::default();
    files.add(text, is_config);
    (files.profiles, files.sso_sessions)
}

/// The profiles and SSO sessions of the two files, merged.
#[derive(Default)]
struct ProfileFiles {
    profiles: HashMap<String, Props>,
    sso_sessions: HashMap<String, Props>,
}

impl ProfileFiles {
    /// Adds one file; later files win key by key.
    fn add(&mut self, text: &str, is_config: bool) {
        let mut section: Option<&mut Props> = None;
        for raw in text.lines() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                let Some((header, _)) = rest.split_once(']') else {
                    section = None;
                    continue;
                };
                let header = header.trim();
                section = match section_kind(header, is_config) {
                    Some(Section::Profile(name)) => {
                        Some(self.profiles.entry(name.to_string()).or_default())
                    }
                    Some(Section::SsoSession(name)) => {
                        Some(self.sso_sessions.entry(name.to_string()).or_default())
                    }
                    None => None,
                };
                continue;
            }
            // An indented line continues the previous property (nested
            // settings such as `s3 =` blocks); none of ours use them.
            if raw.starts_with([' ', '\t']) {
                continue;
            }
            let (Some(props), Some((key, value))) = (section.as_deref_mut(), line.split_once('='))
            else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            props.insert(key, strip_comment(value).to_string());
        }
    }

    /// Adds the file read from `path`: `Ok(true)` when it was there,
    /// `Ok(false)` when it does not exist, an error naming it otherwise.
    fn add_read(
        &mut self,
        path: &std::path::Path,
        read: std::io::Result<Vec<u8>>,
        is_config: bool,
    ) -> Result<bool> {
        match read {
            Ok(text) => {
                let text = String::from_utf8(text).map_err(|_| {
                    unavailable("profile", format!("{} is not UTF-8", path.display()))
                })?;
                self.add(&text, is_config);
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => {
                Err(unavailable("profile", format!("reading {}", path.display())).with_source(e))
            }
        }
    }

    /// The non-empty value of `key` in profile `profile`, else
    /// `AWS_PROFILE`, else `default`.
    fn setting(&self, env: &Env, profile: Option<&str>, key: &str) -> Option<String> {
        let name = profile
            .map(str::to_string)
            .or_else(|| env.get("AWS_PROFILE"))
            .unwrap_or_else(|| "default".to_string());
        self.profiles
            .get(&name)
            .and_then(|p| p.get(key))
            .filter(|v| !v.is_empty())
            .cloned()
    }
}

enum Section<'a> {
    Profile(&'a str),
    SsoSession(&'a str),
}

/// What a `[...]` header names: in the config file `default`,
/// `profile NAME` and `sso-session NAME`; in the credentials file, `NAME`.
fn section_kind(header: &str, is_config: bool) -> Option<Section<'_>> {
    if !is_config {
        return Some(Section::Profile(header));
    }
    if header == "default" {
        return Some(Section::Profile(header));
    }
    let (kind, name) = header.split_once(char::is_whitespace)?;
    let name = name.trim();
    match kind {
        "profile" if !name.is_empty() => Some(Section::Profile(name)),
        "sso-session" if !name.is_empty() => Some(Section::SsoSession(name)),
        _ => None,
    }
}

/// The value without a trailing ` # comment` or ` ; comment`.
fn strip_comment(value: &str) -> &str {
    let bytes = value.as_bytes();
    let cut = (1..bytes.len())
        .find(|&i| matches!(bytes[i], b'#' | b';') && bytes[i - 1].is_ascii_whitespace())
        .unwrap_or(bytes.len());
    value[..cut].trim()
}

impl Default for ProfileProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ProfileProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfileProvider")
            .field("profile", &self.profile)
            .field("sts_endpoint", &self.sts_endpoint)
            .finish_non_exhaustive()
    }
}

impl Source for ProfileProvider {
    fn lookup(&self) -> BoxFuture<'_, Result<Lookup>> {
        Box::pin(self.load())
    }
}

impl CredentialProvider for ProfileProvider {
    fn credentials(&self) -> BoxFuture<'_, Result<Arc<Credentials>>> {
        Box::pin(lookup_required(self, "profile"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_merge_with_credentials_winning_and_comments_stripped() {
        let mut f = ProfileFiles::default();
        f.add(
            "# c\n[default]\nregion = eu-west-1 ; inline\naws_access_key_id = FROMCONFIG\n\
             [profile dev]\nrole_arn=arn:aws:iam::1:role/r\nsource_profile = default\n  nested = x\n\
             [sso-session corp]\nsso_start_url = https://x/start#frag\n[services s]\nfoo = bar\n[nope\n",
            true,
        );
        f.add(
            "[default]\naws_access_key_id = AKID\nAWS_SECRET_ACCESS_KEY = s#not-a-comment\n",
            false,
        );
        let d = &f.profiles["default"];
        assert_eq!(d["region"], "eu-west-1");
        assert_eq!(d["aws_access_key_id"], "AKID");
        assert_eq!(d["aws_secret_access_key"], "s#not-a-comment");
        assert_eq!(f.profiles["dev"]["source_profile"], "default");
        assert!(!f.profiles["dev"].contains_key("nested"));
        assert_eq!(
            f.sso_sessions["corp"]["sso_start_url"],
            "https://x/start#frag"
        );
        assert_eq!(f.profiles.len(), 2);
    }
}
