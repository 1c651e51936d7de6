//! obstore's virtual-hosted form on a real server: with
//! `virtual_hosted_style_request`, object_store expects the custom endpoint
//! to name the bucket's host already (`http://<bucket>.s3.<domain>`), where
//! s3lite's own form prepends the bucket to the endpoint's host. Both forms
//! reach the same bucket on LocalStack, whose virtual hosts are
//! `<bucket>.s3.localhost.localstack.cloud`; the names are pinned to
//! loopback with `ClientOptions::resolve`, so no DNS is involved.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use bytes::Bytes;
use common::{Server, cleanup, sorted_keys, unique_bucket};
use s3lite::S3Store;
use s3lite::transport::ClientOptions;

const DOMAIN: &str = "s3.localhost.localstack.cloud";

/// A store on LocalStack's virtual hosts at `endpoint`, with `hosts`
/// pinned to loopback.
fn virtual_store(server: &Server, bucket: &str, endpoint: &str, hosts: &[String]) -> S3Store {
    let mut options = ClientOptions::default();
    options.resolve = hosts
        .iter()
        .map(|h| (h.clone(), [127, 0, 0, 1].into()))
        .collect();
    server
        .store_builder(bucket)
        .endpoint(endpoint)
        .client_options(options)
        .allow_http(true)
        .virtual_hosted_style_request(true)
        .build()
        .unwrap()
}

#[tokio::test]
async fn obstore_form_and_s3lite_form_reach_the_same_bucket_on_localstack() {
    let Some(server) = Server::localstack() else {
        return;
    };
    let port = server
        .endpoint
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse::<u16>().ok())
        .unwrap();
    let bucket = unique_bucket("virtual-host-forms");
    let path_style = server.store(&bucket).unwrap();
    path_style.create_bucket().await.unwrap();
    let host = format!("{bucket}.{DOMAIN}");

    // obstore's form: the endpoint is the bucket's own host.
    let obstore_form = virtual_store(
        &server,
        &bucket,
        &format!("http://{host}:{port}"),
        std::slice::from_ref(&host),
    );
    // s3lite's form: the endpoint is the domain; the bucket is prepended.
    let s3lite_form = virtual_store(
        &server,
        &bucket,
        &format!("http://{DOMAIN}:{port}"),
        std::slice::from_ref(&host),
    );
    for (name, store) in [("obstore", &obstore_form), ("s3lite", &s3lite_form)] {
        let key = format!("{name}-form.txt");
        store
            .put(&key, Bytes::from(name.as_bytes().to_vec()))
            .await
            .unwrap_or_else(|e| panic!("{name} form: {e}"));
        let got = store.get(&key).await.unwrap().bytes().await.unwrap();
        assert_eq!(got, name.as_bytes(), "{name} form");
    }
    // Both wrote into the bucket (not into a bucket named after the key, as
    // a doubled or missing host label would), as path style sees it.
    assert_eq!(
        sorted_keys(&path_style, None).await,
        ["obstore-form.txt", "s3lite-form.txt"]
    );
    assert_eq!(
        sorted_keys(&obstore_form, None).await,
        ["obstore-form.txt", "s3lite-form.txt"]
    );
    cleanup(&path_style).await;
}
