//! The default chain's order and stops, STS (assumed roles, web identity)
//! against moto (`S3LITE_MOTO_ENDPOINT`), and no secret in any output.
//! Each source has its own file: `credentials_cache.rs`, `_profile.rs`,
//! `_container.rs`, `_imds.rs`.
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
// Chain order

#[tokio::test]
async fn chain_order_environment_then_profile_then_container_then_imds() {
    let imds = imds(None).await;
    let exp = iso(later(3600));
    let ecs = Server::start(move |_| (200, creds_json("ECSKEY", &exp))).await;
    let home = TempDir::new();
    home.write(
        ".aws/credentials",
        &format!("[default]\naws_access_key_id = PROFILE\naws_secret_access_key = {SECRET}\n"),
    );
    let env_keys = [
        ("AWS_ACCESS_KEY_ID", "ENVKEY"),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
    ];
    let ecs_var = [("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/creds")];
    let chain = |env: &[(&str, &str)], with_profile: bool| {
        let empty = TempDir::new();
        let home_dir = if with_profile {
            home.path().to_path_buf()
        } else {
            empty.path().to_path_buf()
        };
        DefaultChain::builder()
            .with_lookup(vars(env))
            .home_dir(home_dir)
            .ecs_host(&ecs.base)
            .imds_endpoint(&imds.base)
            .build()
    };
    let all: Vec<(&str, &str)> = env_keys.iter().chain(&ecs_var).copied().collect();
    assert_eq!(
        chain(&all, true)
            .credentials()
            .await
            .unwrap()
            .access_key_id(),
        "ENVKEY"
    );
    assert_eq!(
        chain(&ecs_var, true)
            .credentials()
            .await
            .unwrap()
            .access_key_id(),
        "PROFILE"
    );
    assert_eq!(
        chain(&ecs_var, false)
            .credentials()
            .await
            .unwrap()
            .access_key_id(),
        "ECSKEY"
    );
    assert_eq!(
        chain(&[], false)
            .credentials()
            .await
            .unwrap()
            .access_key_id(),
        "IMDSKEY"
    );
    let explicit = DefaultChain::builder()
        .with_lookup(vars(&all))
        .credentials(StaticProvider::new(Credentials::new("EXPLICIT", SECRET)))
        .build();
    assert_eq!(
        explicit.credentials().await.unwrap().access_key_id(),
        "EXPLICIT"
    );
}

#[tokio::test]
async fn chain_stops_on_error_of_a_configured_source() {
    let imds = imds(None).await;
    let home = TempDir::new();
    home.write(
        ".aws/config",
        "[default]\nrole_arn = arn:aws:iam::123456789012:role/r\n",
    );
    let e = DefaultChain::builder()
        .with_lookup(vars(&[]))
        .home_dir(home.path())
        .imds_endpoint(&imds.base)
        .build()
        .credentials()
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("source_profile or credential_source"),
        "{e}"
    );
    assert!(imds.seen().is_empty(), "the chain went on to IMDS");
    // Half-set environment is an error too, not a fall-through.
    let e = profile_chain(&home, &[("AWS_ACCESS_KEY_ID", "AKID")])
        .credentials()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("AWS_SECRET_ACCESS_KEY"), "{e}");
}

#[tokio::test]
async fn chain_with_nothing_configured_lists_every_source() {
    let home = TempDir::new();
    let e = DefaultChain::builder()
        .with_lookup(vars(&[("AWS_EC2_METADATA_DISABLED", "true")]))
        .home_dir(home.path())
        .build()
        .credentials()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    for source in [
        "environment",
        "profile",
        "web identity",
        "container",
        "IMDS",
    ] {
        assert!(e.to_string().contains(source), "{e}");
    }
}

// ---------------------------------------------------------------------------
// STS against moto

#[tokio::test]
async fn assume_role_profile_with_source_profile_and_external_id_against_moto() {
    let Some(sts) = moto() else { return };
    let home = TempDir::new();
    home.write(
        ".aws/config",
        "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/s3lite-test\nsource_profile = base\n\
         external_id = ext-1\nrole_session_name = s3lite-session\nduration_seconds = 900\nregion = us-east-1\n",
    );
    home.write(
        ".aws/credentials",
        "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n",
    );
    let chain = DefaultChain::builder()
        .with_lookup(vars(&[]))
        .home_dir(home.path())
        .profile("role")
        .sts_endpoint(&sts)
        .build();
    let c = chain.credentials().await.unwrap();
    assert!(c.access_key_id().starts_with("ASIA"), "{c:?}");
    assert!(c.session_token().is_some());
    let left = c.expires_at().unwrap() - OffsetDateTime::now_utc();
    assert!(
        left > time::Duration::minutes(10) && left <= time::Duration::minutes(16),
        "{left}"
    );
}

#[tokio::test]
async fn assume_role_provider_against_moto() {
    let Some(sts) = moto() else { return };
    let base = StaticProvider::new(Credentials::new("AKIDBASE", "base-secret"));
    let p =
        AssumeRoleProvider::new(base, "arn:aws:iam::123456789012:role/direct").with_endpoint(&sts);
    assert!(p.credentials().await.unwrap().session_token().is_some());
}

#[tokio::test]
async fn web_identity_token_file_against_moto() {
    let Some(sts) = moto() else { return };
    let dir = TempDir::new();
    let token = dir.write("token", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.sig\n");
    let env = [
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token.to_str().unwrap()),
        ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/web"),
        ("AWS_ROLE_SESSION_NAME", "ci"),
    ];
    let chain = DefaultChain::builder()
        .with_lookup(vars(&env))
        .home_dir(dir.path())
        .sts_endpoint(&sts)
        .build();
    let c = chain.credentials().await.unwrap();
    assert!(c.session_token().is_some());
    assert!(c.expires_at().is_some());
    // The token is re-read: a missing file now fails the next fetch.
    std::fs::remove_file(&token).unwrap();
    let p = WebIdentityProvider::with_lookup(vars(&env)).with_sts_endpoint(&sts);
    assert!(
        p.credentials()
            .await
            .unwrap_err()
            .to_string()
            .contains("token file")
    );
}

// ---------------------------------------------------------------------------
// No secrets in output

#[tokio::test]
async fn no_secret_in_debug_display_or_errors() {
    let c = Credentials::new("AKID", SECRET)
        .with_session_token(TOKEN)
        .with_expiry(later(60));
    let fail = FnProvider::from_sync(|| Err(s3lite::Error::new(ErrorKind::Credentials, "nope")));
    let cache = CachingProvider::new(StaticProvider::new(c.clone()));
    cache.credentials().await.unwrap();
    let sts = s3lite::xml::parse_sts_credentials(
        format!("<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>{SECRET}</SecretAccessKey><SessionToken>{TOKEN}</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>").as_bytes(),
    )
    .unwrap();
    let mut shown = vec![
        format!("{c:?}"),
        format!("{:?}", StaticProvider::new(c.clone())),
        format!("{cache:?}"),
        format!("{fail:?}"),
        format!("{sts:?}"),
        format!("{:?}", sts.secret_access_key),
        format!("{:?}", c.secret_key()),
        format!(
            "{:?}",
            DefaultChain::builder()
                .credentials(StaticProvider::new(c.clone()))
                .build()
        ),
        format!("{:?}", ProcessProvider::new(format!("echo {SECRET}"))),
        format!("{:?}", ProfileProvider::new()),
        format!("{:?}", ContainerProvider::new()),
        format!("{:?}", ImdsProvider::new()),
        format!("{:?}", WebIdentityProvider::new()),
        format!("{:?}", EnvironmentProvider::new()),
    ];
    // Errors from sources that saw the secrets.
    let home = TempDir::new();
    home.write(
        ".aws/credentials",
        &format!("[default]\naws_secret_access_key = {SECRET}\naws_session_token = {TOKEN}\n"),
    );
    let e = profile_chain(&home, &[]).credentials().await.unwrap_err();
    let e2 = ContainerProvider::with_lookup(vars(&[
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", TOKEN),
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://10.1.1.1/"),
    ]))
    .credentials()
    .await
    .unwrap_err();
    for e in [e, e2] {
        shown.push(format!("{e}"));
        shown.push(format!("{e:?}"));
    }
    for s in &shown {
        assert!(
            !s.contains(SECRET) && !s.contains(TOKEN),
            "secret shown: {s}"
        );
    }
}
