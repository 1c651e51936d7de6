//! The data-safety fixes of issue 16 on real servers: a conditional write
//! whose first attempt succeeded on the server but whose answer never
//! reached the client (a client wrapper drops it), and a multipart copy
//! whose source is replaced while it runs.
#![cfg(feature = "hyper-rustls")]
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use common::{Server, cleanup, unique_bucket};
use s3lite::transport::{
    BoxFuture, ClientOptions, HttpClient, HttpRequest, HttpResponse, HyperClient,
};
use s3lite::{ErrorKind, PutMode, PutOptions, S3Store};

/// What the wrapper does to the first request that `matches`.
type Hook = Box<dyn Fn(&HttpRequest) -> BoxFuture<'static, ()> + Send + Sync>;

/// Forwards every request to a real server. The first request that
/// `matches` runs `before` first; with `lose_answer`, its answer (after the
/// server did the work) is replaced by a connection error.
struct Interposer {
    inner: HyperClient,
    matches: fn(&HttpRequest) -> bool,
    before: Option<Hook>,
    lose_answer: bool,
    done: AtomicBool,
}

impl std::fmt::Debug for Interposer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Interposer")
    }
}

impl HttpClient for Interposer {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, s3lite::Result<HttpResponse>> {
        let first = (self.matches)(&request) && !self.done.swap(true, Ordering::SeqCst);
        Box::pin(async move {
            if first && let Some(before) = &self.before {
                before(&request).await;
            }
            let answer = self.inner.send(request).await;
            if first && self.lose_answer {
                let answer = answer?;
                // Drain it, as a real connection would have received it.
                let _ = answer.body.collect().await;
                return Err(s3lite::Error::new(
                    ErrorKind::Transport,
                    "interposer: the connection broke before the answer arrived",
                )
                .with_retryable(true));
            }
            answer
        })
    }
}

fn interposed(server: &Server, bucket: &str, client: Interposer) -> S3Store {
    server
        .store_builder(bucket)
        .http_client(client)
        .build()
        .unwrap()
}

fn hyper() -> HyperClient {
    let mut options = ClientOptions::default();
    options.allow_http = true;
    HyperClient::new(&options).unwrap()
}

fn is_conditional_put(r: &HttpRequest) -> bool {
    r.method == http::Method::PUT && r.headers.contains_key("if-none-match")
}

/// The create wins on the server, its answer is lost, the retry gets the
/// server's real 412: the caller must hear "created", not "exists".
async fn lost_create_answer_is_settled(server: Option<Server>) {
    let Some(server) = server else { return };
    let bucket = unique_bucket("lost-create");
    let plain = server.store(&bucket).unwrap();
    plain.create_bucket().await.unwrap();
    let store = interposed(
        &server,
        &bucket,
        Interposer {
            inner: hyper(),
            matches: is_conditional_put,
            before: None,
            lose_answer: true,
            done: AtomicBool::new(false),
        },
    );
    let data = Bytes::from_static(b"written by the first attempt");
    let create = PutOptions::default().with_mode(PutMode::Create);
    let put = store.put_opts("lock", data.clone(), create.clone()).await;
    let put = put.unwrap_or_else(|e| panic!("{}: {e}", server.name));
    assert_eq!(put.etag, plain.head("lock").await.unwrap().etag);
    assert_eq!(
        plain.get("lock").await.unwrap().bytes().await.unwrap(),
        data
    );
    // Another writer's create still fails as it must.
    let e = plain
        .put_opts("lock", Bytes::from_static(b"second"), create)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{}: {e}", server.name);
    cleanup(&plain).await;
}

#[tokio::test]
async fn localstack_lost_create_answer_is_settled() {
    lost_create_answer_is_settled(Server::localstack()).await;
}

#[tokio::test]
async fn s3s_fs_lost_create_answer_is_settled() {
    lost_create_answer_is_settled(Server::s3s_fs()).await;
}

/// `copy_if_not_exists = multipart` with the source replaced just before
/// its part is copied: the copy fails with `PreconditionFailed`, no object
/// appears, and no upload is left open.
#[tokio::test]
async fn localstack_copy_by_parts_fails_when_the_source_changes() {
    let Some(server) = Server::localstack() else {
        return;
    };
    let bucket = unique_bucket("pinned-copy");
    let plain = server.store(&bucket).unwrap();
    plain.create_bucket().await.unwrap();
    plain
        .put("src", Bytes::from_static(b"version one"))
        .await
        .unwrap();
    let writer = Arc::new(plain.clone());
    let before: Hook = Box::new(move |_| {
        let writer = Arc::clone(&writer);
        Box::pin(async move {
            writer
                .put("src", Bytes::from_static(b"version two!"))
                .await
                .unwrap();
        })
    });
    let store = server
        .store_builder(&bucket)
        .copy_if_not_exists("multipart".parse().unwrap())
        .http_client(Interposer {
            inner: hyper(),
            matches: |r| {
                r.headers.contains_key("x-amz-copy-source") && r.url.contains("partNumber=")
            },
            before: Some(before),
            lose_answer: false,
            done: AtomicBool::new(false),
        })
        .build()
        .unwrap();
    let e = store.copy_if_not_exists("src", "dst").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PreconditionFailed, "{e}");
    assert_eq!(
        plain.head("dst").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert!(plain.list_multipart_uploads(None).await.unwrap().is_empty());
    cleanup(&plain).await;
}
