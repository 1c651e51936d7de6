//! The ECS / EKS Pod Identity container endpoint against an in-process
//! server.
#![cfg(feature = "_io")]
#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

#[path = "common/cred_servers.rs"]
mod cred_servers;

use cred_servers::*;
use s3lite::credentials::*;

// ---------------------------------------------------------------------------
// Container (ECS / EKS Pod Identity)

#[tokio::test]
async fn ecs_relative_uri_is_fetched_from_the_ecs_host() {
    let exp = iso(later(3600));
    let server = Server::start(move |r| {
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("GET", "/v2/credentials/abc")
        );
        (200, creds_json("ECSKEY", &exp))
    })
    .await;
    let p = ContainerProvider::with_lookup(vars(&[(
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "/v2/credentials/abc",
    )]))
    .with_ecs_host(&server.base);
    let c = p.credentials().await.unwrap();
    assert_eq!(
        (c.access_key_id(), c.session_token()),
        ("ECSKEY", Some(TOKEN))
    );
    assert!(!server.seen()[0].headers.contains_key("authorization"));
}

#[tokio::test]
async fn eks_pod_identity_full_uri_sends_token_from_file_reread_each_time() {
    let exp = iso(later(3600));
    let server = Server::start(
        move |r| match r.headers.get("authorization").map(String::as_str) {
            Some("token-1" | "token-2") => (200, creds_json("EKSKEY", &exp)),
            _ => (401, "unauthorized".into()),
        },
    )
    .await;
    let dir = TempDir::new();
    let token_file = dir.write("token", "token-1\n");
    let url = format!("{}/v1/credentials", server.base);
    let env = [
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", url.as_str()),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            token_file.to_str().unwrap(),
        ),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored"),
    ];
    let p = ContainerProvider::with_lookup(vars(&env));
    assert_eq!(p.credentials().await.unwrap().access_key_id(), "EKSKEY");
    std::fs::write(&token_file, "token-2").unwrap();
    p.credentials().await.unwrap();
    let seen = server.seen();
    assert_eq!(seen[0].headers["authorization"], "token-1");
    assert_eq!(seen[1].headers["authorization"], "token-2");
}

#[tokio::test]
async fn full_uri_over_http_to_other_hosts_is_refused() {
    let p = ContainerProvider::with_lookup(vars(&[(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "http://192.0.2.1/creds",
    )]));
    let e = p.credentials().await.unwrap_err();
    assert!(e.to_string().contains("plain http"), "{e}");
}
