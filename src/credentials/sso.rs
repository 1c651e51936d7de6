//! IAM Identity Center (SSO) credentials: the cached access token written by
//! `aws sso login`, exchanged at the SSO portal with GetRoleCredentials.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderValue, Method, StatusCode};
use time::OffsetDateTime;

use super::env::Env;
use super::{Credentials, fetch, http_client, json, snippet, unavailable};
use crate::error::{Error, ErrorKind, Result};
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
    let file = home
        .join(".aws")
        .join("sso")
        .join("cache")
        .join(format!("{}.json", hex(&sha1(key.as_bytes()))));
    let token = read_token(&file, &name, &login_hint).await?;
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
    let client = match client {
        Some(c) => c,
        None => http_client(TIMEOUT)?,
    };
    let (status, body) = fetch(&*client, request).await.map_err(|e| {
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
    let parse = || -> std::result::Result<Credentials, String> {
        let rc = json::parse_object(&body)?.object("roleCredentials")?;
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
    };
    parse().map_err(|why| unavailable(&name, format!("{what}: {why}")))
}

async fn read_token(file: &Path, name: &str, login_hint: &str) -> Result<String> {
    let text = match tokio::fs::read(file).await {
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
    let o = json::parse_object(&text).map_err(bad)?;
    let token = o.str("accessToken").map_err(bad)?.to_string();
    let expires = o.str("expiresAt").map_err(bad)?;
    let expires = crate::date::parse_iso8601(expires).map_err(|e| bad(e.message().to_string()))?;
    if expires <= OffsetDateTime::now_utc() {
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

/// Lower-case hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-1 (FIPS 180-4), only to name SSO cache files as the AWS CLI does;
/// not used for anything that needs a secure hash.
pub(crate) fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let bit_len = (data.len() as u64).wrapping_mul(8);
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (chunk, word) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_matches_fips_180_vectors() {
        assert_eq!(hex(&sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex(&sha1(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(
            hex(&sha1(&vec![b'a'; 1_000_000])),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
    }

    #[test]
    fn sso_cache_file_names_match_the_aws_cli() {
        // `sso_session = admin` is cached as ~/.aws/sso/cache/d033e2...997.json.
        assert_eq!(
            hex(&sha1(b"admin")),
            "d033e22ae348aeb5660fc2140aec35850c4da997"
        );
    }
}
