//! Presigned URLs fetched by a plain HTTP client (no signing) on the two
//! servers that check them: LocalStack started with
//! `S3_SKIP_SIGNATURE_VALIDATION=0` (`S3LITE_LOCALSTACK_STRICT_ENDPOINT`)
//! and s3s-fs. Tampered and expired URLs must be refused. Also
//! `unsigned_payload` on s3s-fs, and `skip_signature` / `request_payer`
//! headers through a recording client.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::{Server, with_bucket};
use http::{HeaderMap, Method, StatusCode};
use s3lite::transport::{
    BoxFuture, ClientOptions, HttpClient, HttpRequest, HttpResponse, HyperClient, RequestBody,
    ResponseBody,
};
use s3lite::{PresignOptions, S3Store};
use time::OffsetDateTime;

fn plain_client() -> HyperClient {
    let mut options = ClientOptions::default();
    options.allow_http = true;
    HyperClient::new(&options).unwrap()
}

async fn fetch(
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: &'static [u8],
) -> (StatusCode, Bytes) {
    let mut req = HttpRequest::new(method, url);
    for (n, v) in headers {
        req.headers.insert(
            http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    if !body.is_empty() {
        req.body = RequestBody::from(Bytes::from_static(body));
    }
    let resp = plain_client().send(req).await.unwrap();
    let status = resp.status;
    (status, resp.body.collect().await.unwrap_or_default())
}

const HOUR: Duration = Duration::from_secs(3600);

async fn presigned_round_trip(store: &S3Store) {
    let put = store
        .presign_opts(
            Method::PUT,
            "shared/file 1.txt",
            HOUR,
            &PresignOptions::default().with_header("content-type", "text/plain"),
        )
        .await
        .unwrap();
    // The signed header must be sent as signed.
    let (status, _) = fetch(Method::PUT, &put, &[("content-type", "text/html")], b"x").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "changed signed header");
    let (status, body) = fetch(
        Method::PUT,
        &put,
        &[("content-type", "text/plain")],
        b"hello",
    )
    .await;
    assert!(status.is_success(), "PUT {status}: {body:?}");
    assert_eq!(
        store
            .head("shared/file 1.txt")
            .await
            .unwrap()
            .content_type
            .as_deref(),
        Some("text/plain")
    );

    let get = store
        .presign(Method::GET, "shared/file 1.txt", HOUR)
        .await
        .unwrap();
    let (status, body) = fetch(Method::GET, &get, &[], b"").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, Bytes::from_static(b"hello"));
    let with_query = store
        .presign_opts(
            Method::GET,
            "shared/file 1.txt",
            HOUR,
            &PresignOptions::default().with_query("response-cache-control", "no-store"),
        )
        .await
        .unwrap();
    assert_eq!(
        fetch(Method::GET, &with_query, &[], b"").await.0,
        StatusCode::OK
    );

    let head = store
        .presign(Method::HEAD, "shared/file 1.txt", HOUR)
        .await
        .unwrap();
    assert_eq!(fetch(Method::HEAD, &head, &[], b"").await.0, StatusCode::OK);

    // Tampered: another key, another expiry, another method.
    let other_key = get.replace("file%201.txt", "file%202.txt");
    assert_ne!(other_key, get);
    assert_eq!(
        fetch(Method::GET, &other_key, &[], b"").await.0,
        StatusCode::FORBIDDEN
    );
    let longer = get.replace("X-Amz-Expires=3600", "X-Amz-Expires=7200");
    assert_ne!(longer, get);
    assert_eq!(
        fetch(Method::GET, &longer, &[], b"").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        fetch(Method::DELETE, &get, &[], b"").await.0,
        StatusCode::FORBIDDEN
    );

    // Expired: signed two hours ago for one hour.
    let past = OffsetDateTime::now_utc() - Duration::from_secs(7200);
    let expired = store
        .presign_at(
            Method::GET,
            "shared/file 1.txt",
            HOUR,
            &PresignOptions::default(),
            past,
        )
        .await
        .unwrap();
    assert_eq!(
        fetch(Method::GET, &expired, &[], b"").await.0,
        StatusCode::FORBIDDEN
    );

    let delete = store
        .presign(Method::DELETE, "shared/file 1.txt", HOUR)
        .await
        .unwrap();
    assert!(
        fetch(Method::DELETE, &delete, &[], b"")
            .await
            .0
            .is_success()
    );
    assert_eq!(
        fetch(Method::GET, &get, &[], b"").await.0,
        StatusCode::NOT_FOUND
    );
}

/// A URL signed with the wrong secret is refused: proves the server checks.
async fn presign_with_wrong_secret_is_refused(store: &S3Store, server: &Server) {
    store.put("k", Bytes::from_static(b"v")).await.unwrap();
    let wrong = server
        .store_with_secret(store.bucket(), "not-the-secret")
        .unwrap();
    let url = wrong.presign(Method::GET, "k", HOUR).await.unwrap();
    assert_eq!(
        fetch(Method::GET, &url, &[], b"").await.0,
        StatusCode::FORBIDDEN
    );
    let url = store.presign(Method::GET, "k", HOUR).await.unwrap();
    assert_eq!(fetch(Method::GET, &url, &[], b"").await.0, StatusCode::OK);
}

async fn on_strict_servers(name: &str, run: impl AsyncFn(&S3Store, &Server)) {
    for server in [Server::localstack_strict(), Server::s3s_fs()]
        .into_iter()
        .flatten()
    {
        let s = server.clone();
        let run = &run;
        with_bucket(
            Some(server),
            name,
            |store| async move { run(&store, &s).await },
        )
        .await;
    }
}

#[tokio::test]
async fn presigned_urls_work_and_tampered_or_expired_are_refused() {
    on_strict_servers("presign", async |store, _| {
        presigned_round_trip(store).await
    })
    .await;
}

#[tokio::test]
async fn presigned_url_with_wrong_secret_is_refused() {
    on_strict_servers("presign-wrong", async |store, server| {
        presign_with_wrong_secret_is_refused(store, server).await
    })
    .await;
}

#[tokio::test]
async fn s3s_fs_accepts_unsigned_payload() {
    let Some(server) = Server::s3s_fs() else {
        return;
    };
    let s = server.clone();
    with_bucket(Some(server), "unsigned", |store| async move {
        let unsigned = s
            .store_builder(store.bucket())
            .unsigned_payload(true)
            .build()
            .unwrap();
        unsigned
            .put("k", Bytes::from_static(b"body"))
            .await
            .unwrap();
        assert_eq!(
            unsigned.get("k").await.unwrap().bytes().await.unwrap(),
            Bytes::from_static(b"body")
        );
    })
    .await;
}

/// Records each request's headers and answers 200 with an empty body.
#[derive(Debug, Clone, Default)]
struct Recorder(Arc<Mutex<Vec<(Method, String, HeaderMap)>>>);

impl HttpClient for Recorder {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, s3lite::Result<HttpResponse>> {
        self.0.lock().unwrap().push((
            request.method.clone(),
            request.url.clone(),
            request.headers.clone(),
        ));
        Box::pin(async {
            let mut headers = HeaderMap::new();
            headers.insert("etag", "\"e\"".parse().unwrap());
            Ok(HttpResponse {
                status: StatusCode::OK,
                headers,
                body: ResponseBody::from_bytes(Bytes::from_static(
                    b"<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>",
                )),
            })
        })
    }
}

fn recorded(
    f: impl FnOnce(s3lite::S3StoreBuilder) -> s3lite::S3StoreBuilder,
) -> (S3Store, Recorder) {
    let rec = Recorder::default();
    let store = f(S3Store::builder()
        .bucket("b1")
        .region("us-east-1")
        .endpoint("http://127.0.0.1:9")
        .allow_http(true)
        .http_client(rec.clone()))
    .build()
    .unwrap();
    (store, rec)
}

#[tokio::test]
async fn skip_signature_sends_no_authorization() {
    let (store, rec) = recorded(|b| b.skip_signature(true));
    store.put("k", Bytes::from_static(b"v")).await.unwrap();
    let calls = rec.0.lock().unwrap();
    let headers = &calls[0].2;
    assert!(headers.get("authorization").is_none(), "{headers:?}");
    assert!(headers.get("x-amz-date").is_none(), "{headers:?}");
}

#[tokio::test]
async fn request_payer_goes_on_every_request() {
    let (store, rec) = recorded(|b| {
        b.access_key_id("AKID")
            .secret_access_key("secret")
            .request_payer(true)
    });
    store.put("k", Bytes::from_static(b"v")).await.unwrap();
    store.head("k").await.unwrap();
    store.delete("k").await.unwrap();
    store.list(None).collect().await.unwrap();
    let calls = rec.0.lock().unwrap();
    assert_eq!(calls.len(), 4);
    for (method, _, headers) in calls.iter() {
        assert_eq!(headers["x-amz-request-payer"], "requester", "{method}");
        let auth = headers["authorization"].to_str().unwrap();
        assert!(auth.contains("x-amz-request-payer"), "signed: {auth}");
    }
}

#[tokio::test]
async fn sse_headers_go_on_writes_and_reads_only() {
    let key = s3lite::encoding::encode_base64(&[9; 32]);
    let (store, rec) = recorded(|b| {
        b.access_key_id("AKID")
            .secret_access_key("secret")
            .server_side_encryption(s3lite::config::ServerSideEncryption::SseC)
            .sse_customer_key_base64(key)
    });
    store.put("k", Bytes::from_static(b"v")).await.unwrap();
    store.head("k").await.unwrap();
    store.delete("k").await.unwrap();
    store.list(None).collect().await.unwrap();
    let calls = rec.0.lock().unwrap();
    let has = |i: usize| {
        calls[i]
            .2
            .contains_key("x-amz-server-side-encryption-customer-key")
    };
    assert!(has(0) && has(1), "put and head carry the key");
    assert!(!has(2) && !has(3), "delete and list do not");
}

/// An SSE-C store's presigned requests carry the customer key as signed
/// headers that the holder must send (S3 takes the key only in headers):
/// with them a PUT then GET and HEAD work; without them, with the headers
/// of another key, or from a store with another key, they fail.
#[tokio::test]
async fn presigned_sse_c_requests_need_the_key_headers() {
    let Some(server) = Server::localstack_strict() else {
        return;
    };
    let s = server.clone();
    with_bucket(Some(server), "presign-sse-c", |plain| async move {
        let sse_store = |key: u8| {
            s.store_builder(plain.bucket())
                .server_side_encryption(s3lite::config::ServerSideEncryption::SseC)
                .sse_customer_key_base64(s3lite::encoding::encode_base64(&[key; 32]))
                .build()
                .unwrap()
        };
        let (sse, other) = (sse_store(7), sse_store(8));
        let e = sse.presign(Method::GET, "k", HOUR).await.unwrap_err();
        assert_eq!(e.kind(), s3lite::ErrorKind::InvalidInput, "{e}");

        let presign = async |store: &S3Store, method: Method| {
            store
                .presign_request(method, "k", HOUR, &PresignOptions::default())
                .await
                .unwrap()
        };
        let put = presign(&sse, Method::PUT).await;
        let headers = header_refs(&put);
        assert_eq!(headers.len(), 3, "{put:?}");
        let (status, _) = fetch(Method::PUT, &put.url, &[], b"plain").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "PUT without the key headers");
        let (status, body) = fetch(Method::PUT, &put.url, &headers, b"hidden").await;
        assert!(status.is_success(), "PUT {status}: {body:?}");
        // Stored encrypted with the key: readable with it only.
        assert!(plain.get("k").await.is_err());
        assert_eq!(
            sse.get("k").await.unwrap().bytes().await.unwrap(),
            Bytes::from_static(b"hidden")
        );

        let get = presign(&sse, Method::GET).await;
        let (status, body) = fetch(Method::GET, &get.url, &headers, b"").await;
        assert_eq!(status, StatusCode::OK, "{body:?}");
        assert_eq!(body, Bytes::from_static(b"hidden"));
        let (status, _) = fetch(Method::GET, &get.url, &[], b"").await;
        assert!(
            !status.is_success(),
            "GET without the key headers: {status}"
        );
        let head = presign(&sse, Method::HEAD).await;
        assert_eq!(
            fetch(Method::HEAD, &head.url, &headers, b"").await.0,
            StatusCode::OK
        );

        // Another key's headers on this URL: the signature does not match.
        let wrong = presign(&other, Method::GET).await;
        let wrong_headers = header_refs(&wrong);
        let (status, _) = fetch(Method::GET, &get.url, &wrong_headers, b"").await;
        assert!(
            !status.is_success(),
            "GET with another key's headers: {status}"
        );
        // A URL signed with another key, sent as signed: the key is wrong.
        let (status, _) = fetch(Method::GET, &wrong.url, &wrong_headers, b"").await;
        assert!(!status.is_success(), "GET with the wrong key: {status}");
    })
    .await;
}

/// The headers of `req` as `fetch` takes them.
fn header_refs(req: &s3lite::PresignedRequest) -> Vec<(&str, &str)> {
    req.headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}
