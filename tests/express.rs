//! S3 Express One Zone against an in-process zonal endpoint (hyper on
//! 127.0.0.1:0) that plays CreateSession and records every request: one
//! CreateSession per session lifetime, session credentials and
//! `x-amz-s3session-token` on every other request, no `x-amz-security-token`
//! there, `s3express` signing scope, no tagging.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

#[path = "faults/server.rs"]
mod server;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http::Method;
use s3lite::retry::Clock;
use s3lite::{ErrorKind, PutOptions, S3Store};
use server::{FaultServer, Seen, Step, VirtualClock, expect};

const BUCKET: &str = "demo--usw2-az1--x-s3";
const BASE_TOKEN: &str = "BASE-SESSION-TOKEN";

/// A zonal endpoint: CreateSession hands out session `n` (key
/// `ASIASESSION<n>`, token `TOKEN-<n>`) valid 5 minutes by `clock`; every
/// other request gets a 200 (with a body for GET). `fail_next` makes the
/// next data request fail once with `ExpiredToken`.
async fn zonal_endpoint(clock: VirtualClock, fail_next: Arc<AtomicUsize>) -> FaultServer {
    let sessions = Arc::new(AtomicUsize::new(0));
    FaultServer::respond_with(move |seen: &Seen| {
        if seen.path.ends_with("?session=") || seen.path.ends_with("?session") {
            let n = sessions.fetch_add(1, Ordering::SeqCst) + 1;
            let expires = clock.now_utc() + time::Duration::minutes(5);
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
                 <CreateSessionResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                 <Credentials><SessionToken>TOKEN-{n}</SessionToken>\
                 <SecretAccessKey>session-secret-{n}</SecretAccessKey>\
                 <AccessKeyId>ASIASESSION{n}</AccessKeyId>\
                 <Expiration>{}</Expiration></Credentials></CreateSessionResult>",
                s3lite::date::format_iso8601(expires)
            );
            return expect(Method::GET, &seen.path).body(body);
        }
        if fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return expect(seen.method.clone(), &seen.path).error(400, "ExpiredToken");
        }
        let step: Step = expect(seen.method.clone(), &seen.path).header("etag", "\"e\"");
        if seen.method == Method::GET {
            step.body(Bytes::from_static(b"hello"))
        } else {
            step
        }
    })
    .await
}

fn store(server: &FaultServer, clock: &VirtualClock) -> S3Store {
    S3Store::builder()
        .bucket(BUCKET)
        .region("us-west-2")
        .endpoint(server.base())
        .allow_http(true)
        .s3_express(true)
        .access_key_id("AKIDEXAMPLE")
        .secret_access_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        .session_token(BASE_TOKEN)
        .clock(clock.clone())
        .build()
        .unwrap()
}

fn is_create_session(s: &Seen) -> bool {
    s.path.contains("?session")
}

/// The key id in the request's `Authorization` credential scope.
fn key_id(s: &Seen) -> &str {
    let auth = s.header("authorization");
    let cred = auth.split("Credential=").nth(1).unwrap_or("");
    cred.split('/').next().unwrap_or("")
}

#[tokio::test]
async fn one_create_session_serves_many_requests_with_the_session_token() {
    let clock = VirtualClock::default();
    let server = zonal_endpoint(clock.clone(), Arc::default()).await;
    let store = store(&server, &clock);
    for i in 0..5 {
        store.put(&format!("k{i}"), "data".into()).await.unwrap();
    }
    assert_eq!(
        store.get("k0").await.unwrap().bytes().await.unwrap(),
        "hello"
    );
    let seen = server.seen();
    let sessions: Vec<&Seen> = seen.iter().filter(|s| is_create_session(s)).collect();
    assert_eq!(sessions.len(), 1, "one CreateSession for 6 requests");
    let cs = sessions[0];
    assert_eq!(cs.method, Method::GET);
    assert_eq!(cs.path, format!("/{BUCKET}?session="));
    // CreateSession: the store's own credentials, under s3express.
    assert_eq!(key_id(cs), "AKIDEXAMPLE");
    assert!(
        cs.header("authorization")
            .contains("/us-west-2/s3express/aws4_request")
    );
    assert_eq!(cs.header("x-amz-security-token"), BASE_TOKEN);
    assert_eq!(cs.header("x-amz-s3session-token"), "");
    let data: Vec<&Seen> = seen.iter().filter(|s| !is_create_session(s)).collect();
    assert_eq!(data.len(), 6);
    for s in data {
        assert_eq!(key_id(s), "ASIASESSION1", "{} {}", s.method, s.path);
        assert_eq!(s.header("x-amz-s3session-token"), "TOKEN-1");
        assert_eq!(s.header("x-amz-security-token"), "", "no security token");
        let auth = s.header("authorization");
        assert!(auth.contains("/s3express/aws4_request"), "{auth}");
        assert!(
            auth.contains("x-amz-s3session-token"),
            "token is signed: {auth}"
        );
    }
}

#[tokio::test]
async fn session_is_renewed_before_its_five_minutes_run_out() {
    let clock = VirtualClock::default();
    let server = zonal_endpoint(clock.clone(), Arc::default()).await;
    let store = store(&server, &clock);
    store.put("a", "1".into()).await.unwrap();
    // 3 minutes in: the session is still used.
    clock.set_wall_error(time::Duration::minutes(3));
    store.put("b", "2".into()).await.unwrap();
    // 4.5 minutes in, less than a minute before expiry: renewed first.
    clock.set_wall_error(time::Duration::seconds(270));
    store.put("c", "3".into()).await.unwrap();
    store.put("d", "4".into()).await.unwrap();
    let seen = server.seen();
    let tokens: Vec<&str> = seen
        .iter()
        .filter(|s| !is_create_session(s))
        .map(|s| s.header("x-amz-s3session-token"))
        .collect();
    assert_eq!(tokens, ["TOKEN-1", "TOKEN-1", "TOKEN-2", "TOKEN-2"]);
    assert_eq!(seen.iter().filter(|s| is_create_session(s)).count(), 2);
}

#[tokio::test]
async fn expired_token_answer_gets_a_new_session_and_one_retry() {
    let clock = VirtualClock::default();
    let fail = Arc::new(AtomicUsize::new(0));
    let server = zonal_endpoint(clock.clone(), Arc::clone(&fail)).await;
    let store = store(&server, &clock);
    store.put("a", "1".into()).await.unwrap();
    // Past the grace period in which a fresh session is never dropped.
    clock.set_wall_error(time::Duration::seconds(5));
    fail.store(1, Ordering::SeqCst);
    store.put("b", "2".into()).await.unwrap();
    let seen = server.seen();
    let tokens: Vec<&str> = seen
        .iter()
        .filter(|s| !is_create_session(s))
        .map(|s| s.header("x-amz-s3session-token"))
        .collect();
    assert_eq!(tokens, ["TOKEN-1", "TOKEN-1", "TOKEN-2"]);
}

#[tokio::test]
async fn directory_buckets_get_no_tagging_header() {
    let clock = VirtualClock::default();
    let server = zonal_endpoint(clock.clone(), Arc::default()).await;
    let store = store(&server, &clock);
    let options = PutOptions::default().with_tag("team", "data");
    store.put_opts("t", "1".into(), options).await.unwrap();
    let put = server
        .seen()
        .into_iter()
        .find(|s| s.method == Method::PUT)
        .unwrap();
    assert_eq!(put.header("x-amz-tagging"), "");
}

#[test]
fn directory_bucket_on_aws_builds_and_anonymous_is_refused() {
    let aws = S3Store::builder()
        .bucket(BUCKET)
        .region("us-west-2")
        .access_key_id("AKID")
        .secret_access_key("secret")
        .build();
    assert!(aws.is_ok(), "{aws:?}");
    let err = S3Store::builder()
        .bucket(BUCKET)
        .region("us-west-2")
        .skip_signature(true)
        .build()
        .expect_err("CreateSession needs credentials");
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(err.to_string().contains("skip_signature"), "{err}");
}
