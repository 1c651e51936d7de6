//! Refreshing an expired SSO access token with the refresh token that
//! `aws sso login` (with an `sso_session`) keeps in the cache file: the
//! SSO-OIDC [CreateToken](https://docs.aws.amazon.com/singlesignon/latest/OIDCAPIReference/API_CreateToken.html)
//! call with `grantType` `refresh_token`, then the cache file is rewritten
//! (atomically) as the AWS CLI does.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode};
use time::OffsetDateTime;

use super::env::Env;
use super::{fetch, snippet, unavailable};
use crate::error::{Error, ErrorKind, Result};
use crate::json::Object;
use crate::transport::{HttpClient, HttpRequest};

/// The bound of the token refresh, as of the SSO portal call.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// What the cache file holds for a refresh; `None` when it cannot refresh
/// (no refresh token or client, or the client registration has expired).
pub(crate) struct Refresh<'a> {
    client_id: &'a str,
    client_secret: &'a str,
    refresh_token: &'a str,
}

impl<'a> Refresh<'a> {
    /// The refresh settings of a cache document, if complete and the client
    /// registration is still valid at `now`.
    pub(crate) fn from_cache(cache: &'a Object, now: OffsetDateTime) -> Option<Self> {
        let field = |k: &str| cache.opt_str(k).ok().flatten().filter(|v| !v.is_empty());
        let registration_expires = field("registrationExpiresAt")?;
        let registration_expires = crate::date::parse_iso8601(registration_expires).ok()?;
        if registration_expires <= now {
            return None;
        }
        Some(Refresh {
            client_id: field("clientId")?,
            client_secret: field("clientSecret")?,
            refresh_token: field("refreshToken")?,
        })
    }
}

/// Calls CreateToken at `https://oidc.<region>.amazonaws.com/token` (or
/// `AWS_ENDPOINT_URL_SSO_OIDC`), writes the new token into `cache` and the
/// cache `file`, and returns the new access token. `name` and `login_hint`
/// shape the errors.
pub(crate) async fn refresh_token(
    env: &Env,
    region: &str,
    client: &dyn HttpClient,
    file: &Path,
    mut cache: Object,
    (name, login_hint): (&str, &str),
) -> Result<String> {
    let now = OffsetDateTime::now_utc();
    let Some(refresh) = Refresh::from_cache(&cache, now) else {
        return Err(unavailable(
            name,
            format!("the SSO session token has expired; {login_hint}"),
        ));
    };
    let endpoint = env
        .get("AWS_ENDPOINT_URL_SSO_OIDC")
        .unwrap_or_else(|| format!("https://oidc.{region}.amazonaws.com"));
    let mut request = HttpRequest::new(
        Method::POST,
        format!("{}/token", endpoint.trim_end_matches('/')),
    );
    let mut body = Object::default();
    body.set_str("clientId", refresh.client_id);
    body.set_str("clientSecret", refresh.client_secret);
    body.set_str("grantType", "refresh_token");
    body.set_str("refreshToken", refresh.refresh_token);
    request.headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    request.body = Bytes::from(body.to_json()).into();
    let what = request.describe();
    let (status, answer) = fetch(client, request, TIMEOUT).await.map_err(|e| {
        let retryable = e.is_retryable();
        unavailable(name, format!("refreshing the SSO token: {what}: {e}"))
            .with_retryable(retryable)
    })?;
    match status {
        StatusCode::OK => {}
        // invalid_grant, expired_token, invalid_client: only a new login helps.
        s if s.is_client_error() => {
            return Err(unavailable(
                name,
                format!(
                    "the SSO session token has expired and refreshing it failed ({what}: status {s}: {}); {login_hint}",
                    snippet(&answer)
                ),
            )
            .with_status(s.as_u16()));
        }
        s => {
            return Err(Error::new(
                ErrorKind::Credentials,
                format!(
                    "{name}: refreshing the SSO token: {what}: status {s}: {}",
                    snippet(&answer)
                ),
            )
            .with_status(s.as_u16())
            .with_retryable(s.is_server_error()));
        }
    }
    let bad = |why: String| unavailable(name, format!("refreshing the SSO token: {what}: {why}"));
    let token = parse_create_token(&answer, now).map_err(bad)?;
    token.write_into(&mut cache);
    write_atomically(file, cache.to_json().as_bytes())
        .await
        .map_err(|e| {
            unavailable(
                name,
                format!("writing the refreshed SSO token to {}", file.display()),
            )
            .with_source(e)
        })?;
    Ok(token.access_token)
}

/// What a CreateToken answer gives: the new access token, when it expires,
/// and the rotated refresh token if one was sent. No `Debug`: it holds
/// tokens.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct NewToken {
    pub(crate) access_token: String,
    pub(crate) expires_at: OffsetDateTime,
    pub(crate) refresh_token: Option<String>,
}

impl NewToken {
    /// Updates a token cache document, as the AWS CLI does.
    pub(crate) fn write_into(&self, cache: &mut Object) {
        cache.set_str("accessToken", self.access_token.as_str());
        cache.set_str("expiresAt", crate::date::format_iso8601(self.expires_at));
        if let Some(rotated) = &self.refresh_token {
            cache.set_str("refreshToken", rotated.as_str());
        }
    }
}

/// Reads a CreateToken answer received at `now`. `expiresIn` is the
/// API's 32-bit count of seconds and may not be negative: a larger one
/// would put the expiry past what a timestamp holds. Messages name fields,
/// never values.
pub(crate) fn parse_create_token(
    answer: &[u8],
    now: OffsetDateTime,
) -> std::result::Result<NewToken, String> {
    let o = crate::json::parse_object(answer)?;
    let access_token = o.str("accessToken")?.to_string();
    let expires_in = o
        .opt_i64("expiresIn")?
        .ok_or_else(|| "field \"expiresIn\" is missing".to_string())?;
    let expires_at = Some(expires_in)
        .filter(|s| (0..=i64::from(i32::MAX)).contains(s))
        .and_then(|s| now.checked_add(time::Duration::seconds(s)))
        .ok_or_else(|| {
            "field \"expiresIn\" is not a number of seconds from 0 to 2147483647".to_string()
        })?;
    Ok(NewToken {
        access_token,
        expires_at,
        refresh_token: o.opt_str("refreshToken")?.map(str::to_string),
    })
}

/// Writes `data` to a temporary file next to `path` (readable by the
/// owner only on Unix, as the AWS CLI's cache is), then renames it over
/// `path`: readers see the old file or the new one, never a half-written one.
async fn write_atomically(path: &Path, data: &[u8]) -> std::io::Result<()> {
    static N: AtomicU32 = AtomicU32::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(
        ".{name}.{}-{}.tmp",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let written = async {
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        options.mode(0o600);
        let mut f = options.open(&temp).await?;
        tokio::io::AsyncWriteExt::write_all(&mut f, data).await?;
        f.sync_all().await?;
        drop(f);
        tokio::fs::rename(&temp, path).await
    }
    .await;
    if written.is_err() {
        let _ = tokio::fs::remove_file(&temp).await;
    }
    written
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    fn answer(expires_in: &str) -> Vec<u8> {
        format!(r#"{{"accessToken":"T","expiresIn":{expires_in},"refreshToken":"R2"}}"#)
            .into_bytes()
    }

    #[test]
    fn create_token_expiry_is_counted_from_the_answer() {
        let now = OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap();
        let t = parse_create_token(&answer("3600"), now).unwrap();
        assert_eq!(t.expires_at - now, time::Duration::HOUR);
        assert_eq!(t.refresh_token.as_deref(), Some("R2"));
        let longest = parse_create_token(&answer("2147483647"), now).unwrap();
        assert_eq!(
            longest.expires_at - now,
            time::Duration::seconds(2_147_483_647)
        );
    }

    #[test]
    fn create_token_expiry_outside_the_api_range_is_refused() {
        // i64::MAX once panicked in `now + expiresIn`.
        let now = OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap();
        for bad in [
            "-1",
            "2147483648",
            "9223372036854775807",
            "-9223372036854775808",
        ] {
            let e = parse_create_token(&answer(bad), now).err().unwrap();
            assert!(e.contains("expiresIn"), "{bad}: {e}");
        }
    }
}
