//! `conditional_put = dynamo:` and `copy_if_not_exists = dynamo:` against
//! moto server, whose S3 and DynamoDB share one endpoint
//! (`S3LITE_MOTO_ENDPOINT`). Each test creates its own lock table with
//! CreateTable through DynamoDB's JSON API.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use bytes::Bytes;
use http::{Method, StatusCode};
use s3lite::transport::{ClientOptions, HttpClient, HttpRequest, HyperClient, RequestBody};
use s3lite::{ErrorKind, PutMode, PutOptions, S3Store};

fn b(s: &'static str) -> Bytes {
    Bytes::from_static(s.as_bytes())
}

/// One DynamoDB JSON call (moto checks no signature).
async fn dynamo(endpoint: &str, action: &str, body: String) -> (StatusCode, String) {
    let mut options = ClientOptions::default();
    options.allow_http = true;
    let client = HyperClient::new(&options).unwrap();
    let mut req = HttpRequest::new(Method::POST, format!("{endpoint}/"));
    req.headers.insert(
        "content-type",
        "application/x-amz-json-1.0".parse().unwrap(),
    );
    req.headers.insert(
        "x-amz-target",
        format!("DynamoDB_20120810.{action}").parse().unwrap(),
    );
    req.headers.insert(
        "authorization",
        "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0"
            .parse()
            .unwrap(),
    );
    req.body = RequestBody::from(Bytes::from(body));
    let resp = client.send(req).await.unwrap();
    let status = resp.status;
    let text = String::from_utf8(resp.body.collect().await.unwrap().to_vec()).unwrap();
    (status, text)
}

async fn create_table(endpoint: &str, table: &str) {
    let body = format!(
        r#"{{"TableName":"{table}","KeySchema":[{{"AttributeName":"path","KeyType":"HASH"}},{{"AttributeName":"etag","KeyType":"RANGE"}}],"AttributeDefinitions":[{{"AttributeName":"path","AttributeType":"S"}},{{"AttributeName":"etag","AttributeType":"S"}}],"BillingMode":"PAY_PER_REQUEST"}}"#
    );
    let (status, text) = dynamo(endpoint, "CreateTable", body).await;
    assert_eq!(status, StatusCode::OK, "{text}");
}

/// A store on a fresh moto bucket with a fresh lock table; `None` skips.
async fn setup(name: &str, setting: &str, timeout_ms: u64) -> Option<(S3Store, String, String)> {
    let endpoint = common::moto_endpoint()?;
    let table = common::unique_bucket(name);
    create_table(&endpoint, &table).await;
    let lock = format!("dynamo:{table}:{timeout_ms}");
    let mut builder = S3Store::builder()
        .bucket(common::unique_bucket(name))
        .region("us-east-1")
        .endpoint(&endpoint)
        .allow_http(true)
        .access_key_id("test")
        .secret_access_key("test");
    builder = match setting {
        "put" => builder.conditional_put(lock.parse().unwrap()),
        _ => builder.copy_if_not_exists(lock.parse().unwrap()),
    };
    let store = builder.build().unwrap();
    store.create_bucket().await.unwrap();
    Some((store, endpoint, table))
}

fn create() -> PutOptions {
    PutOptions::default().with_mode(PutMode::Create)
}

#[tokio::test]
async fn dynamo_conditional_put_create_and_update() {
    let Some((store, _, _)) = setup("dyn-put", "put", 2000).await else {
        return;
    };
    let first = store.put_opts("k", b("v1"), create()).await.unwrap();
    let e = store.put_opts("k", b("v2"), create()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    let update = |etag: &str| {
        PutOptions::default().with_mode(PutMode::Update {
            etag: etag.into(),
            version: None,
        })
    };
    let etag = first.etag.unwrap();
    store.put_opts("k", b("v2"), update(&etag)).await.unwrap();
    let e = store
        .put_opts("k", b("v3"), update(&etag))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PreconditionFailed, "{e}");
    let e = store
        .put_opts("none", b("v"), update(&etag))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PreconditionFailed, "{e}");
    assert_eq!(
        store.get("k").await.unwrap().bytes().await.unwrap(),
        b("v2")
    );
    common::cleanup(&store).await;
}

/// moto's S3 has no conditional PUT of its own here; with the lock, of
/// eight concurrent creates exactly one wins.
#[tokio::test]
async fn dynamo_concurrent_creates_have_one_winner() {
    let Some((store, _, _)) = setup("dyn-race", "put", 5000).await else {
        return;
    };
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..8u8 {
        let store = store.clone();
        tasks.spawn(async move {
            store
                .put_opts("race", Bytes::from(vec![i]), create())
                .await
                .map(|_| i)
        });
    }
    let mut winners = Vec::new();
    while let Some(r) = tasks.join_next().await {
        match r.unwrap() {
            Ok(i) => winners.push(i),
            Err(e) => assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}"),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let body = store.get("race").await.unwrap().bytes().await.unwrap();
    assert_eq!(body.as_ref(), [winners[0]]);
    common::cleanup(&store).await;
}

/// A lock left by a writer that died is taken over after its timeout
/// (times the skew rate of 3).
#[tokio::test]
async fn dynamo_stale_lock_is_reclaimed() {
    let Some((store, endpoint, table)) = setup("dyn-stale", "put", 100).await else {
        return;
    };
    let path = format!("{}/k", store.bucket());
    let body = format!(
        r#"{{"TableName":"{table}","Item":{{"path":{{"S":"{path}"}},"etag":{{"S":"*"}},"generation":{{"N":"5"}},"timeout":{{"N":"100"}},"ttl":{{"N":"0"}}}}}}"#
    );
    let (status, text) = dynamo(&endpoint, "PutItem", body).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let started = std::time::Instant::now();
    store.put_opts("k", b("mine"), create()).await.unwrap();
    assert!(
        started.elapsed().as_millis() >= 300,
        "waited out 3 x 100 ms"
    );
    let key = format!(
        r#"{{"TableName":"{table}","Key":{{"path":{{"S":"{path}"}},"etag":{{"S":"*"}}}}}}"#
    );
    let (_, item) = dynamo(&endpoint, "GetItem", key).await;
    assert!(
        item.contains(r#""generation": {"N": "6"}"#) || item.contains(r#""generation":{"N":"6"}"#),
        "{item}"
    );
    common::cleanup(&store).await;
}

#[tokio::test]
async fn dynamo_missing_table_is_not_found() {
    let Some(endpoint) = common::moto_endpoint() else {
        return;
    };
    let store = S3Store::builder()
        .bucket(common::unique_bucket("dyn-missing"))
        .endpoint(&endpoint)
        .allow_http(true)
        .access_key_id("test")
        .secret_access_key("test")
        .conditional_put("dynamo:no-such-table".parse().unwrap())
        .build()
        .unwrap();
    store.create_bucket().await.unwrap();
    let e = store.put_opts("k", b("v"), create()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert_eq!(e.s3_code(), Some("ResourceNotFoundException"), "{e}");
    common::cleanup(&store).await;
}

#[tokio::test]
async fn dynamo_copy_if_not_exists() {
    let Some((store, _, _)) = setup("dyn-copy", "copy", 2000).await else {
        return;
    };
    store.put("src", b("one")).await.unwrap();
    store.copy_if_not_exists("src", "dst").await.unwrap();
    store.put("src", b("two")).await.unwrap();
    let e = store.copy_if_not_exists("src", "dst").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    assert_eq!(
        store.get("dst").await.unwrap().bytes().await.unwrap(),
        b("one")
    );
    store.rename_if_not_exists("src", "moved").await.unwrap();
    assert_eq!(
        store.get("src").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    common::cleanup(&store).await;
}
