//! IAM Identity Center (SSO) credentials: the cached access token written by
//! `aws sso login`, exchanged at the SSO portal with GetRoleCredentials.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderValue, Method, StatusCode};
use time::OffsetDateTime;

use super::env::Env;
use super::{Credentials, fetch, http_client, snippet, sso_oidc, unavailable};
use crate::error::{Error, ErrorKind, Result};
use crate::json;
use crate::transport::{HttpClient, HttpRequest};

const TIMEOUT: Duration = Duration::from_secs(10);

/// What a profile says about SSO.
#[derive(Debug, Clone)]
pub(crate) struct SsoSettings {
    /// The profile, for the `aws sso login --profile` hint.
    pub(crate) profile: String,
    /// `sso_session` name; the cache file is named after it. `None` for the
    /// legacy form, whose cache file is named after the start URL.
    pub(crate) session: Option<String>,
    pub(crate) start_url: String,
    pub(crate) region: String,
    pub(crate) account_id: String,
    pub(crate) role_name: String,
}

/// Loads the cached token and calls GetRoleCredentials.
pub(crate) async fn load(
    env: &Env,
    s: &SsoSettings,
    client: Option<Arc<dyn HttpClient>>,
) -> Result<Credentials> {
    let name = format!("SSO (profile {})", s.profile);
    let login_hint = format!("run `aws sso login --profile {}`", s.profile);
    let home = env
        .home()
        .ok_or_else(|| unavailable(&name, "no home directory to find ~/.aws/sso/cache"))?;
    let key = s.session.as_deref().unwrap_or(&s.start_url);
    let file = home.join(".aws").join("sso").join("cache").join(format!(
        "{}.json",
        crate::encoding::encode_hex(&crate::checksum::sha1(key.as_bytes()))
    ));
    let client = match client {
        Some(c) => c,
        None => http_client(TIMEOUT)?,
    };
    let token = read_token(env, s, &*client, &file, (&name, &login_hint)).await?;
    let endpoint = env
        .get("AWS_ENDPOINT_URL_SSO")
        .unwrap_or_else(|| format!("https://portal.sso.{}.amazonaws.com", s.region));
    let url = format!(
        "{}/federation/credentials?account_id={}&role_name={}",
        endpoint.trim_end_matches('/'),
        crate::sign::uri_encode(&s.account_id, true),
        crate::sign::uri_encode(&s.role_name, true)
    );
    let mut request = HttpRequest::new(Method::GET, url);
    let bearer = HeaderValue::from_str(&token)
        .map_err(|_| unavailable(&name, "the cached SSO token is not a valid header value"))?;
    request.headers.insert("x-amz-sso_bearer_token", bearer);
    let what = request.describe();
    let (status, body) = fetch(&*client, request, TIMEOUT).await.map_err(|e| {
        let retryable = e.is_retryable();
        unavailable(&name, format!("{what}: {e}")).with_retryable(retryable)
    })?;
    match status {
        StatusCode::OK => {}
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            return Err(unavailable(
                &name,
                format!("{what}: status {status}: the SSO session is not valid; {login_hint}"),
            )
            .with_status(status.as_u16()));
        }
        _ => {
            return Err(Error::new(
                ErrorKind::Credentials,
                format!("{name}: {what}: status {status}: {}", snippet(&body)),
            )
            .with_status(status.as_u16())
            .with_retryable(status.is_server_error()));
        }
    }
    parse_role_credentials(&body).map_err(|why| unavailable(&name, format!("{what}: {why}")))
}

/// Reads the portal's GetRoleCredentials answer: `roleCredentials` with
/// `accessKeyId`, `secretAccessKey`, optional `sessionToken` and
/// `expiration` (epoch milliseconds). Messages name fields, never values.
pub(crate) fn parse_role_credentials(body: &[u8]) -> std::result::Result<Credentials, String> {
    let rc = json::parse_object(body)?.object("roleCredentials")?;
    let mut c = Credentials::new(rc.str("accessKeyId")?, rc.str("secretAccessKey")?);
    if let Some(t) = rc.opt_str("sessionToken")? {
        c = c.with_session_token(t);
    }
    if let Some(ms) = rc.opt_i64("expiration")? {
        let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .map_err(|_| "field \"expiration\" is out of range".to_string())?;
        c = c.with_expiry(t);
    }
    c.validate().map_err(|e| e.message().to_string())?;
    Ok(c)
}

/// The cached access token; an expired one is refreshed when the cache
/// holds a refresh token ([`sso_oidc`]).
async fn read_token(
    env: &Env,
    s: &SsoSettings,
    client: &dyn HttpClient,
    file: &Path,
    (name, login_hint): (&str, &str),
) -> Result<String> {
    let text = match super::read_file_capped(
        file,
        crate::limits::MAX_CREDENTIALS_BODY as u64,
        "limits::MAX_CREDENTIALS_BODY",
    )
    .await
    {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(unavailable(
                name,
                format!("no cached SSO token at {}; {login_hint}", file.display()),
            ));
        }
        Err(e) => {
            return Err(unavailable(name, format!("reading {}", file.display())).with_source(e));
        }
    };
    let bad = |why: String| unavailable(name, format!("{}: {why}", file.display()));
    let TokenCache {
        doc,
        access_token: token,
        expires_at: expires,
    } = parse_token_cache(&text).map_err(bad)?;
    if expires <= OffsetDateTime::now_utc() {
        if sso_oidc::Refresh::from_cache(&doc, OffsetDateTime::now_utc()).is_some() {
            return sso_oidc::refresh_token(env, &s.region, client, file, doc, (name, login_hint))
                .await;
        }
        return Err(unavailable(
            name,
            format!(
                "the SSO session token expired at {}; {login_hint}",
                crate::date::format_iso8601(expires)
            ),
        ));
    }
    Ok(token)
}

/// An SSO token cache file (`~/.aws/sso/cache/<sha1>.json`), as `aws sso
/// login` and a refresh write it.
#[derive(Clone, PartialEq)]
pub(crate) struct TokenCache {
    /// The whole document: a refresh rewrites it, keeping what it does not
    /// know.
    pub(crate) doc: json::Object,
    /// `accessToken`.
    pub(crate) access_token: String,
    /// `expiresAt`.
    pub(crate) expires_at: OffsetDateTime,
}

/// Reads a token cache file. Messages name fields, never values.
pub(crate) fn parse_token_cache(text: &[u8]) -> std::result::Result<TokenCache, String> {
    let doc = json::parse_object(text)?;
    let access_token = doc.str("accessToken")?.to_string();
    let expires_at =
        crate::date::parse_iso8601(doc.str("expiresAt")?).map_err(|e| e.message().to_string())?;
    Ok(TokenCache {
        doc,
        access_token,
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn sso_cache_file_names_match_the_aws_cli() {
        // `sso_session = admin` is cached as ~/.aws/sso/cache/d033e2...997.json.
        assert_eq!(
            crate::encoding::encode_hex(&crate::checksum::sha1(b"admin")),
            "d033e22ae348aeb5660fc2140aec35850c4da997"
        );
    }
}
