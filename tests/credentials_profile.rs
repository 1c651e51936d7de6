//! The shared profile files: static keys, file locations,
//! `credential_process`, and SSO (cache file, portal, token refresh).
#![cfg(feature = "_io")]
#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

#[path = "common/cred_servers.rs"]
mod cred_servers;

use cred_servers::*;
use s3lite::ErrorKind;
use s3lite::credentials::*;
use time::OffsetDateTime;

// ---------------------------------------------------------------------------
// Profiles, credential_process, SSO

#[tokio::test]
async fn profile_static_keys_from_named_profile_and_aws_profile() {
    let home = TempDir::new();
    home.write(".aws/credentials", &format!("[default]\naws_access_key_id = DEFAULT\naws_secret_access_key = {SECRET}\n\n[dev]\naws_access_key_id = DEV\naws_secret_access_key = {SECRET}\naws_session_token = {TOKEN}\n"));
    let p = ProfileProvider::with_lookup(vars(&[])).with_home_dir(home.path());
    assert_eq!(p.credentials().await.unwrap().access_key_id(), "DEFAULT");
    let p =
        ProfileProvider::with_lookup(vars(&[("AWS_PROFILE", "dev")])).with_home_dir(home.path());
    let c = p.credentials().await.unwrap();
    assert_eq!((c.access_key_id(), c.session_token()), ("DEV", Some(TOKEN)));
    let p = ProfileProvider::with_lookup(vars(&[("AWS_PROFILE", "dev")]))
        .with_home_dir(home.path())
        .with_profile("default");
    assert_eq!(p.credentials().await.unwrap().access_key_id(), "DEFAULT");
    let e = ProfileProvider::with_lookup(vars(&[]))
        .with_home_dir(home.path())
        .with_profile("missing")
        .credentials()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("\"missing\""), "{e}");
}

#[tokio::test]
async fn profile_files_follow_aws_config_file_and_shared_credentials_file() {
    let home = TempDir::new();
    let config = home.write(
        "elsewhere/cfg",
        &format!("[profile p]\naws_access_key_id = FROMCFG\naws_secret_access_key = {SECRET}\n"),
    );
    let creds = home.write(
        "elsewhere/creds",
        &format!("[p]\naws_access_key_id = FROMCREDS\naws_secret_access_key = {SECRET}\n"),
    );
    let env = [
        ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        ("AWS_SHARED_CREDENTIALS_FILE", creds.to_str().unwrap()),
        ("AWS_PROFILE", "p"),
    ];
    let c = ProfileProvider::with_lookup(vars(&env))
        .with_home_dir(home.path())
        .credentials()
        .await
        .unwrap();
    assert_eq!(c.access_key_id(), "FROMCREDS");
}

#[cfg(unix)]
#[tokio::test]
async fn credential_process_output_and_failure() {
    let home = TempDir::new();
    let exp = iso(later(3600));
    let script = home.write(
        "bin/creds.sh",
        &format!("#!/bin/sh\necho '{{\"Version\": 1, \"AccessKeyId\": \"PROC\", \"SecretAccessKey\": \"{SECRET}\", \"SessionToken\": \"{TOKEN}\", \"Expiration\": \"{exp}\"}}'\n"),
    );
    let failing = home.write(
        "bin/fail.sh",
        "#!/bin/sh\necho 'token expired, log in again' >&2\nexit 3\n",
    );
    home.write(
        ".aws/config",
        &format!(
            "[default]\ncredential_process = sh {}\n[profile bad]\ncredential_process = sh {}\n",
            script.display(),
            failing.display()
        ),
    );
    let c = profile_chain(&home, &[]).credentials().await.unwrap();
    assert_eq!(c.access_key_id(), "PROC");
    assert_eq!(c.session_token(), Some(TOKEN));
    assert_eq!(c.expires_at().map(iso), Some(exp));
    let e = profile_chain(&home, &[("AWS_PROFILE", "bad")])
        .credentials()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    assert!(e.to_string().contains("log in again"), "{e}");
}

/// The cache file of `key` (session name or start URL), relative to home.
fn sso_cache_file(key: &str) -> String {
    // sha1 file names: the test computes them with the system's sha1sum.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("printf '%s' '{key}' | sha1sum"))
        .output()
        .unwrap();
    let hash = String::from_utf8(out.stdout).unwrap()[..40].to_string();
    format!(".aws/sso/cache/{hash}.json")
}

fn sso_cache(home: &TempDir, key: &str, expires: OffsetDateTime) {
    home.write(
        &sso_cache_file(key),
        &format!(r#"{{"startUrl": "https://d-123.awsapps.com/start", "region": "eu-west-1", "accessToken": "SSOTOKEN", "expiresAt": "{}"}}"#, iso(expires)),
    );
}

async fn sso_portal() -> Server {
    Server::start(|r| {
        assert_eq!(r.method, "GET");
        assert!(r.path.starts_with("/federation/credentials?account_id=123456789012&role_name=Reader"), "{}", r.path);
        let bearer = r.headers.get("x-amz-sso_bearer_token").map(String::as_str);
        if !matches!(bearer, Some("SSOTOKEN" | "NEWTOKEN")) {
            return (401, r#"{"message":"Session token not found or invalid"}"#.into());
        }
        let ms = (later(3600).unix_timestamp()) * 1000;
        (200, format!(r#"{{"roleCredentials": {{"accessKeyId": "SSOKEY", "secretAccessKey": "{SECRET}", "sessionToken": "{TOKEN}", "expiration": {ms}}}}}"#))
    })
    .await
}

#[tokio::test]
async fn sso_session_profile_reads_cache_and_calls_portal() {
    let portal = sso_portal().await;
    let home = TempDir::new();
    home.write(".aws/config", "[default]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Reader\n\n[sso-session corp]\nsso_start_url = https://d-123.awsapps.com/start\nsso_region = eu-west-1\n");
    sso_cache(&home, "corp", later(3600));
    let c = profile_chain(&home, &[("AWS_ENDPOINT_URL_SSO", &portal.base)])
        .credentials()
        .await
        .unwrap();
    assert_eq!(c.access_key_id(), "SSOKEY");
    assert!(c.expires_at().is_some());
    assert_eq!(portal.seen().len(), 1);
}

#[tokio::test]
async fn legacy_sso_profile_uses_start_url_cache_key() {
    let portal = sso_portal().await;
    let home = TempDir::new();
    home.write(".aws/config", "[profile old]\nsso_start_url = https://d-123.awsapps.com/start\nsso_region = eu-west-1\nsso_account_id = 123456789012\nsso_role_name = Reader\n");
    sso_cache(&home, "https://d-123.awsapps.com/start", later(3600));
    let env = [
        ("AWS_ENDPOINT_URL_SSO", portal.base.as_str()),
        ("AWS_PROFILE", "old"),
    ];
    assert_eq!(
        profile_chain(&home, &env)
            .credentials()
            .await
            .unwrap()
            .access_key_id(),
        "SSOKEY"
    );
}

#[tokio::test]
async fn expired_sso_token_says_to_log_in() {
    let portal = sso_portal().await;
    let home = TempDir::new();
    home.write(".aws/config", "[default]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Reader\n[sso-session corp]\nsso_start_url = https://x/start\nsso_region = eu-west-1\n");
    sso_cache(&home, "corp", later(-60));
    let e = profile_chain(&home, &[("AWS_ENDPOINT_URL_SSO", &portal.base)])
        .credentials()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    assert!(
        e.to_string().contains("aws sso login --profile default"),
        "{e}"
    );
    assert!(portal.seen().is_empty());
}

// ---------------------------------------------------------------------------
// SSO token refresh (SSO-OIDC CreateToken)

const SSO_CONFIG: &str = "[default]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Reader\n[sso-session corp]\nsso_start_url = https://d-123.awsapps.com/start\nsso_region = eu-west-1\n";

/// An expired cache entry with what a refresh needs; the client
/// registration expires at `registration`.
fn refreshable_cache(home: &TempDir, registration: OffsetDateTime) -> std::path::PathBuf {
    home.write(
        &sso_cache_file("corp"),
        &format!(
            r#"{{"startUrl": "https://d-123.awsapps.com/start", "region": "eu-west-1", "accessToken": "SSOTOKEN",
                "expiresAt": "{}", "clientId": "CLIENT1", "clientSecret": "CSECRET1",
                "registrationExpiresAt": "{}", "refreshToken": "REFRESH1"}}"#,
            iso(later(-60)),
            iso(registration)
        ),
    )
}

/// An SSO-OIDC stand-in: CreateToken with the refresh grant, or `status`.
async fn oidc(status: u16) -> Server {
    Server::start(move |_| {
        if status != 200 {
            return (status, r#"{"error":"invalid_grant"}"#.into());
        }
        (
            200,
            r#"{"accessToken":"NEWTOKEN","expiresIn":3600,"refreshToken":"REFRESH2","tokenType":"Bearer"}"#
                .into(),
        )
    })
    .await
}

#[tokio::test]
async fn expired_sso_token_is_refreshed_and_the_cache_file_rewritten() {
    let (portal, oidc) = (sso_portal().await, oidc(200).await);
    let home = TempDir::new();
    home.write(".aws/config", SSO_CONFIG);
    let file = refreshable_cache(&home, later(86_400));
    let env = [
        ("AWS_ENDPOINT_URL_SSO", portal.base.as_str()),
        ("AWS_ENDPOINT_URL_SSO_OIDC", oidc.base.as_str()),
    ];
    let c = profile_chain(&home, &env).credentials().await.unwrap();
    assert_eq!(c.access_key_id(), "SSOKEY");
    // The CreateToken request.
    let seen = oidc.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("POST", "/token")
    );
    assert_eq!(seen[0].headers["content-type"], "application/json");
    let body: String = seen[0].body.split_whitespace().collect();
    for field in [
        r#""grantType":"refresh_token""#,
        r#""refreshToken":"REFRESH1""#,
        r#""clientId":"CLIENT1""#,
        r#""clientSecret":"CSECRET1""#,
    ] {
        assert!(body.contains(field), "{field} not in {body}");
    }
    // The portal got the new token.
    assert_eq!(
        portal.seen()[0].headers["x-amz-sso_bearer_token"],
        "NEWTOKEN"
    );
    // The cache file holds the new token and keeps the rest.
    let text = std::fs::read_to_string(&file).unwrap();
    let compact: String = text.split_whitespace().collect();
    for field in [
        r#""accessToken":"NEWTOKEN""#,
        r#""refreshToken":"REFRESH2""#,
        r#""clientId":"CLIENT1""#,
        r#""startUrl":"https://d-123.awsapps.com/start""#,
    ] {
        assert!(compact.contains(field), "{field} not in {text}");
    }
    let expires = compact
        .split(r#""expiresAt":""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    let expires = s3lite::date::parse_iso8601(expires).unwrap();
    assert!(expires > later(3500) && expires <= later(3600), "{expires}");
    // Written atomically: no temporary file left next to it.
    let dir = file.parent().unwrap();
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 1);
    // The next fetch uses the rewritten cache: no second refresh.
    profile_chain(&home, &env).credentials().await.unwrap();
    assert_eq!(oidc.seen().len(), 1);
}

#[tokio::test]
async fn expired_sso_registration_says_to_log_in_without_refreshing() {
    let (portal, oidc) = (sso_portal().await, oidc(200).await);
    let home = TempDir::new();
    home.write(".aws/config", SSO_CONFIG);
    let file = refreshable_cache(&home, later(-1));
    let before = std::fs::read_to_string(&file).unwrap();
    let env = [
        ("AWS_ENDPOINT_URL_SSO", portal.base.as_str()),
        ("AWS_ENDPOINT_URL_SSO_OIDC", oidc.base.as_str()),
    ];
    let e = profile_chain(&home, &env).credentials().await.unwrap_err();
    assert!(
        e.to_string().contains("aws sso login --profile default"),
        "{e}"
    );
    assert!(oidc.seen().is_empty() && portal.seen().is_empty());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
}

#[tokio::test]
async fn refused_sso_refresh_says_to_log_in_and_keeps_the_cache_file() {
    let (portal, oidc) = (sso_portal().await, oidc(400).await);
    let home = TempDir::new();
    home.write(".aws/config", SSO_CONFIG);
    let file = refreshable_cache(&home, later(86_400));
    let before = std::fs::read_to_string(&file).unwrap();
    let env = [
        ("AWS_ENDPOINT_URL_SSO", portal.base.as_str()),
        ("AWS_ENDPOINT_URL_SSO_OIDC", oidc.base.as_str()),
    ];
    let e = profile_chain(&home, &env).credentials().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    let shown = format!("{e} {e:?}");
    assert!(shown.contains("aws sso login --profile default"), "{e}");
    assert!(
        !shown.contains("CSECRET1") && !shown.contains("REFRESH1"),
        "{shown}"
    );
    assert_eq!(oidc.seen().len(), 1);
    assert!(portal.seen().is_empty());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
}
