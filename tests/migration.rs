//! Migration from object_store: the same configuration (environment
//! variables, storage URL, `with_config` keys) given to s3lite's
//! `S3StoreBuilder` and to object_store 0.14's `AmazonS3Builder` must send
//! requests to the same endpoint, in the same addressing style, signed for
//! the same region with the same credentials.
//!
//! Why: programs move from `AmazonS3` (or obstore) to s3lite keeping their
//! `AWS_*` variables and URLs; a configuration that silently lands on
//! another host, bucket or region is the worst migration bug there is.
//!
//! How, without a network: both presign. object_store's
//! `Signer::signed_url` and s3lite's `S3Store::presign_at` give a GET URL for
//! one key; s3lite signs at the `X-Amz-Date` object_store used, so when the
//! two agree on scheme, host, path, every query parameter (credential scope:
//! key id and region; `X-Amz-Security-Token`; `x-amz-request-payer`) and the
//! secret, they agree on the signature too, and the comparison is of whole
//! URLs. The URL forms and variables are those of obstore's `S3Store` /
//! `S3Config` documentation (s3, s3a, path-style and virtual-hosted AWS URLs,
//! dual-stack, R2 with and without a jurisdiction, `AWS_REGION` /
//! `AWS_DEFAULT_REGION`, `AWS_ENDPOINT` / `AWS_ENDPOINT_URL` /
//! `AWS_ENDPOINT_URL_S3`, `AWS_VIRTUAL_HOSTED_STYLE_REQUEST`, static keys
//! and session token, `AWS_ALLOW_HTTP`, `AWS_REQUEST_PAYER`,
//! `AWS_SKIP_SIGNATURE`).
//!
//! Each side is fed the way its own constructors read a configuration:
//! s3lite through `S3StoreBuilder::from_env_with` (the process environment is
//! never touched), object_store through the loop `AmazonS3Builder::from_env`
//! runs over the environment (every `AWS_*` variable, lower-cased, parsed as
//! an `AmazonS3ConfigKey`, given to `with_config` in environment order),
//! over the same list of variables.
//!
//! Precedence differs, so the agreeing cases stay where both orders agree:
//! object_store applies the URL in `build()`, over every key and variable
//! (`with_url`: "settings derived from the URL will override any others");
//! s3lite ranks explicit keys over the URL over the environment, as obstore
//! documents for its `config` ("values in this config will override values
//! inferred from the url"). So in the agreeing cases a URL only meets
//! variables, never a `with_config` key naming the same setting. The tests
//! named `differs_*` and `only_*` assert each place where the two part, with
//! both outputs checked: s3lite's documented choices, and slips of
//! object_store's (a bucket lost from the URL) that s3lite does not make.
//!
//! The two builders, the URL parsing and the table comparison are in
//! `tests/migration_support/harness.rs`.
//!
//! Not compared: credential sources other than static keys (they need a
//! network), S3 Express session requests (presigning uses the static keys
//! on both sides, so directory buckets are compared, their CreateSession
//! is not), and headers and payload signing (the SigV4 vectors in
//! `tests/sign_vectors.rs` and `tests/sign_oracle.rs` cover those).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

#[path = "migration_support/harness.rs"]
mod harness;

use harness::{
    Config, KEY, KEY_ID, Presigned, SECRET, TOKEN, alike, as_virtual_hosted, assert_alike,
    assert_same_credentials, both_ok, object_store_presign, presign_both, presign_both_keys,
};
use s3lite::ErrorKind;

#[tokio::test]
async fn url_forms_resolve_alike() {
    // AWS_REGION is set in most cases to show the URL's region beats it in
    // both; the virtual-hosted flag is set where the URL leaves the style
    // open (see `differs_default_addressing_on_aws` for the unset flag).
    let vh = |value| {
        Config::new()
            .env("AWS_REGION", "us-west-2")
            .env("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", value)
    };
    assert_alike(vec![
        alike(
            "s3:// virtual-hosted",
            vh("true").url("s3://bucket"),
            "https://bucket.s3.us-west-2.amazonaws.com/dir/file.txt",
            "us-west-2",
        ),
        alike(
            "s3:// path style",
            vh("false").url("s3://bucket"),
            "https://s3.us-west-2.amazonaws.com/bucket/dir/file.txt",
            "us-west-2",
        ),
        alike(
            "s3a:// virtual-hosted",
            vh("true").url("s3a://bucket"),
            "https://bucket.s3.us-west-2.amazonaws.com/dir/file.txt",
            "us-west-2",
        ),
        alike(
            "s3a:// path style",
            vh("false").url("s3a://bucket"),
            "https://s3.us-west-2.amazonaws.com/bucket/dir/file.txt",
            "us-west-2",
        ),
        alike(
            "s3:// without a region: us-east-1",
            Config::new()
                .env("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "true")
                .url("s3://bucket"),
            "https://bucket.s3.us-east-1.amazonaws.com/dir/file.txt",
            "us-east-1",
        ),
        alike(
            "path-style AWS URL, path style",
            vh("false").url("https://s3.eu-west-1.amazonaws.com/bucket"),
            "https://s3.eu-west-1.amazonaws.com/bucket/dir/file.txt",
            "eu-west-1",
        ),
        alike(
            "path-style AWS URL, virtual-hosted",
            vh("true").url("https://s3.eu-west-1.amazonaws.com/bucket"),
            "https://bucket.s3.eu-west-1.amazonaws.com/dir/file.txt",
            "eu-west-1",
        ),
        alike(
            "virtual-hosted AWS URL",
            Config::new()
                .env("AWS_REGION", "us-west-2")
                .url("https://bucket.s3.eu-west-1.amazonaws.com"),
            "https://bucket.s3.eu-west-1.amazonaws.com/dir/file.txt",
            "eu-west-1",
        ),
        alike(
            "virtual-hosted AWS URL with the flag on too",
            vh("true").url("https://bucket.s3.eu-west-1.amazonaws.com"),
            "https://bucket.s3.eu-west-1.amazonaws.com/dir/file.txt",
            "eu-west-1",
        ),
        alike(
            "virtual-hosted AWS URL without a region takes AWS_REGION",
            Config::new()
                .env("AWS_REGION", "us-west-2")
                .url("https://bucket.s3.amazonaws.com"),
            "https://bucket.s3.us-west-2.amazonaws.com/dir/file.txt",
            "us-west-2",
        ),
        alike(
            "virtual-hosted AWS URL without a region takes AWS_DEFAULT_REGION",
            Config::new()
                .env("AWS_DEFAULT_REGION", "ap-south-1")
                .url("https://bucket.s3.amazonaws.com"),
            "https://bucket.s3.ap-south-1.amazonaws.com/dir/file.txt",
            "ap-south-1",
        ),
        alike(
            "virtual-hosted AWS URL without any region: us-east-1",
            Config::new().url("https://bucket.s3.amazonaws.com"),
            "https://bucket.s3.us-east-1.amazonaws.com/dir/file.txt",
            "us-east-1",
        ),
        alike(
            "dual-stack path-style URL, path style",
            vh("false").url("https://s3.dualstack.eu-west-1.amazonaws.com/bucket"),
            "https://s3.dualstack.eu-west-1.amazonaws.com/bucket/dir/file.txt",
            "eu-west-1",
        ),
        alike(
            "dual-stack virtual-hosted URL",
            Config::new()
                .env("AWS_REGION", "us-west-2")
                .url("https://bucket.s3.dualstack.eu-west-1.amazonaws.com"),
            "https://bucket.s3.dualstack.eu-west-1.amazonaws.com/dir/file.txt",
            "eu-west-1",
        ),
        alike(
            "R2",
            Config::new()
                .env("AWS_REGION", "us-west-2")
                .url("https://ACCOUNT.r2.cloudflarestorage.com/bucket"),
            "https://account.r2.cloudflarestorage.com/bucket/dir/file.txt",
            "auto",
        ),
        alike(
            "R2 with a jurisdiction",
            Config::new().url("https://ACCOUNT.eu.r2.cloudflarestorage.com/bucket"),
            "https://account.eu.r2.cloudflarestorage.com/bucket/dir/file.txt",
            "auto",
        ),
        alike(
            "R2 URL beats AWS_ENDPOINT",
            Config::new()
                .env("AWS_ENDPOINT", "https://minio.example.com")
                .url("https://ACCOUNT.r2.cloudflarestorage.com/bucket"),
            "https://account.r2.cloudflarestorage.com/bucket/dir/file.txt",
            "auto",
        ),
        alike(
            "s3:// keeps AWS_ENDPOINT",
            Config::new()
                .env("AWS_ENDPOINT", "https://minio.example.com")
                .url("s3://bucket"),
            "https://minio.example.com/bucket/dir/file.txt",
            "us-east-1",
        ),
        alike(
            "URL bucket beats AWS_BUCKET",
            vh("true").env("AWS_BUCKET", "other").url("s3://bucket"),
            "https://bucket.s3.us-west-2.amazonaws.com/dir/file.txt",
            "us-west-2",
        ),
        alike(
            "path-style URL region beats AWS_DEFAULT_REGION",
            Config::new()
                .env("AWS_DEFAULT_REGION", "ap-south-1")
                .env("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "false")
                .url("https://s3.eu-west-1.amazonaws.com/bucket"),
            "https://s3.eu-west-1.amazonaws.com/bucket/dir/file.txt",
            "eu-west-1",
        ),
    ])
    .await;
}

#[tokio::test]
async fn environment_resolves_alike() {
    let bucket = |vh| {
        Config::new()
            .env("AWS_BUCKET", "bucket")
            .env("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", vh)
    };
    assert_alike(vec![
        alike(
            "AWS_REGION",
            bucket("true").env("AWS_REGION", "eu-west-1"),
            "https://bucket.s3.eu-west-1.amazonaws.com/dir/file.txt",
            "eu-west-1",
        ),
        alike(
            "AWS_DEFAULT_REGION",
            bucket("true").env("AWS_DEFAULT_REGION", "ap-south-1"),
            "https://bucket.s3.ap-south-1.amazonaws.com/dir/file.txt",
            "ap-south-1",
        ),
        alike(
            "AWS_REGION beats AWS_DEFAULT_REGION (set after it)",
            bucket("false")
                .env("AWS_DEFAULT_REGION", "ap-south-1")
                .env("AWS_REGION", "eu-west-1"),
            "https://s3.eu-west-1.amazonaws.com/bucket/dir/file.txt",
            "eu-west-1",
        ),
        alike(
            "AWS_REGION beats AWS_DEFAULT_REGION (set before it)",
            bucket("false")
                .env("AWS_REGION", "eu-west-1")
                .env("AWS_DEFAULT_REGION", "ap-south-1"),
            "https://s3.eu-west-1.amazonaws.com/bucket/dir/file.txt",
            "eu-west-1",
        ),
        alike(
            "no region: us-east-1",
            bucket("false"),
            "https://s3.us-east-1.amazonaws.com/bucket/dir/file.txt",
            "us-east-1",
        ),
        alike(
            "flag as 1",
            bucket("1").env("AWS_REGION", "eu-west-1"),
            "https://bucket.s3.eu-west-1.amazonaws.com/dir/file.txt",
            "eu-west-1",
        ),
        alike(
            "flag as no",
            bucket("no").env("AWS_REGION", "eu-west-1"),
            "https://s3.eu-west-1.amazonaws.com/bucket/dir/file.txt",
            "eu-west-1",
        ),
        alike(
            "AWS_BUCKET_NAME",
            Config::new()
                .env("AWS_BUCKET_NAME", "bucket")
                .env("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "true"),
            "https://bucket.s3.us-east-1.amazonaws.com/dir/file.txt",
            "us-east-1",
        ),
        alike(
            "AWS_SESSION_TOKEN",
            bucket("true").env("AWS_SESSION_TOKEN", TOKEN),
            "https://bucket.s3.us-east-1.amazonaws.com/dir/file.txt",
            "us-east-1",
        ),
        alike(
            "AWS_TOKEN",
            bucket("true").env("AWS_TOKEN", TOKEN),
            "https://bucket.s3.us-east-1.amazonaws.com/dir/file.txt",
            "us-east-1",
        ),
        alike(
            "AWS_ENDPOINT: path style",
            Config::new()
                .env("AWS_BUCKET", "bucket")
                .env("AWS_ENDPOINT", "https://minio.example.com"),
            "https://minio.example.com/bucket/dir/file.txt",
            "us-east-1",
        ),
        alike(
            "AWS_ENDPOINT_URL: path style, with AWS_REGION",
            Config::new()
                .env("AWS_BUCKET", "bucket")
                .env("AWS_REGION", "eu-central-1")
                .env("AWS_ENDPOINT_URL", "https://minio.example.com:9000"),
            "https://minio.example.com:9000/bucket/dir/file.txt",
            "eu-central-1",
        ),
        alike(
            "AWS_ENDPOINT with a trailing slash",
            Config::new()
                .env("AWS_BUCKET", "bucket")
                .env("AWS_ENDPOINT", "https://minio.example.com/"),
            "https://minio.example.com/bucket/dir/file.txt",
            "us-east-1",
        ),
        alike(
            "AWS_ENDPOINT with a path",
            Config::new()
                .env("AWS_BUCKET", "bucket")
                .env("AWS_ENDPOINT", "https://gateway.example.com/s3"),
            "https://gateway.example.com/s3/bucket/dir/file.txt",
            "us-east-1",
        ),
        alike(
            "AWS_ENDPOINT flag false",
            bucket("false").env("AWS_ENDPOINT", "https://minio.example.com"),
            "https://minio.example.com/bucket/dir/file.txt",
            "us-east-1",
        ),
        alike(
            "AWS_ENDPOINT_URL_S3 beats AWS_ENDPOINT",
            Config::new()
                .env("AWS_BUCKET", "bucket")
                .env("AWS_ENDPOINT", "https://other.example.com")
                .env("AWS_ENDPOINT_URL_S3", "https://minio.example.com"),
            "https://minio.example.com/bucket/dir/file.txt",
            "us-east-1",
        ),
        alike(
            "virtual-hosted endpoint naming the bucket (obstore's form)",
            bucket("true").env("AWS_ENDPOINT", "https://bucket.minio.example.com"),
            "https://bucket.minio.example.com/dir/file.txt",
            "us-east-1",
        ),
        alike(
            "http endpoint with AWS_ALLOW_HTTP",
            Config::new()
                .env("AWS_BUCKET", "bucket")
                .env("AWS_ENDPOINT", "http://localhost:4566")
                .env("AWS_ALLOW_HTTP", "true"),
            "http://localhost:4566/bucket/dir/file.txt",
            "us-east-1",
        ),
        alike(
            "http IP endpoint with AWS_ALLOW_HTTP",
            Config::new()
                .env("AWS_BUCKET", "bucket")
                .env("AWS_ENDPOINT", "http://127.0.0.1:9000")
                .env("AWS_ALLOW_HTTP", "1"),
            "http://127.0.0.1:9000/bucket/dir/file.txt",
            "us-east-1",
        ),
        alike(
            "FIPS host as a path-style endpoint",
            Config::new()
                .env("AWS_BUCKET", "bucket")
                .env("AWS_ENDPOINT", "https://s3-fips.us-east-2.amazonaws.com")
                .env("AWS_REGION", "us-east-2"),
            "https://s3-fips.us-east-2.amazonaws.com/bucket/dir/file.txt",
            "us-east-2",
        ),
        alike(
            "AWS_REQUEST_PAYER=true",
            bucket("true").env("AWS_REQUEST_PAYER", "true"),
            "https://bucket.s3.us-east-1.amazonaws.com/dir/file.txt",
            "us-east-1",
        ),
        // Regression: s3lite refused `requester` ("not a boolean"), the
        // value object_store and obstore document for AWS_REQUEST_PAYER.
        alike(
            "AWS_REQUEST_PAYER=requester",
            bucket("true").env("AWS_REQUEST_PAYER", "requester"),
            "https://bucket.s3.us-east-1.amazonaws.com/dir/file.txt",
            "us-east-1",
        ),
        alike(
            "AWS_S3_EXPRESS with a directory bucket: its zonal endpoint",
            Config::new()
                .env("AWS_BUCKET", "logs--usw2-az1--x-s3")
                .env("AWS_REGION", "us-west-2")
                .env("AWS_S3_EXPRESS", "true"),
            "https://logs--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com/dir/file.txt",
            "us-west-2",
        ),
        alike(
            "variables that are not endpoint settings change nothing",
            bucket("true")
                .env("AWS_CHECKSUM_ALGORITHM", "sha256")
                .env("AWS_UNSIGNED_PAYLOAD", "true")
                .env("AWS_DISABLE_TAGGING", "true")
                .env("AWS_PROFILE", "ignored")
                .env("HOME", "/nonexistent"),
            "https://bucket.s3.us-east-1.amazonaws.com/dir/file.txt",
            "us-east-1",
        ),
    ])
    .await;
}

#[tokio::test]
async fn config_keys_resolve_alike() {
    // With object_store's key names, as `with_config(key.parse()?, value)`.
    let keys = || {
        Config::bare()
            .config("aws_access_key_id", KEY_ID)
            .config("aws_secret_access_key", SECRET)
    };
    assert_alike(vec![
        alike(
            "aws_ names",
            keys()
                .config("aws_bucket", "bucket")
                .config("aws_region", "eu-west-1")
                .config("aws_virtual_hosted_style_request", "true")
                .config("aws_session_token", TOKEN),
            "https://bucket.s3.eu-west-1.amazonaws.com/dir/file.txt",
            "eu-west-1",
        ),
        alike(
            "plain names",
            Config::bare()
                .config("access_key_id", KEY_ID)
                .config("secret_access_key", SECRET)
                .config("bucket_name", "bucket")
                .config("region", "eu-west-1")
                .config("virtual_hosted_style_request", "false")
                .config("token", TOKEN),
            "https://s3.eu-west-1.amazonaws.com/bucket/dir/file.txt",
            "eu-west-1",
        ),
        alike(
            "default_region",
            keys()
                .config("bucket", "bucket")
                .config("default_region", "ap-south-1")
                .config("virtual_hosted_style_request", "true"),
            "https://bucket.s3.ap-south-1.amazonaws.com/dir/file.txt",
            "ap-south-1",
        ),
        alike(
            "region beats default_region given after it",
            keys()
                .config("bucket", "bucket")
                .config("region", "eu-west-1")
                .config("aws_default_region", "ap-south-1")
                .config("virtual_hosted_style_request", "true"),
            "https://bucket.s3.eu-west-1.amazonaws.com/dir/file.txt",
            "eu-west-1",
        ),
        alike(
            "region beats default_region given before it",
            keys()
                .config("bucket", "bucket")
                .config("aws_default_region", "ap-south-1")
                .config("region", "eu-west-1")
                .config("virtual_hosted_style_request", "true"),
            "https://bucket.s3.eu-west-1.amazonaws.com/dir/file.txt",
            "eu-west-1",
        ),
        alike(
            "endpoint",
            keys()
                .config("bucket", "bucket")
                .config("endpoint", "https://minio.example.com"),
            "https://minio.example.com/bucket/dir/file.txt",
            "us-east-1",
        ),
        alike(
            "endpoint_url and aws_allow_http",
            keys()
                .config("bucket", "bucket")
                .config("endpoint_url", "http://localhost:9000")
                .config("aws_allow_http", "true"),
            "http://localhost:9000/bucket/dir/file.txt",
            "us-east-1",
        ),
        alike(
            "allow_http (a client key)",
            keys()
                .config("bucket", "bucket")
                .config("aws_endpoint", "http://localhost:9000")
                .config("allow_http", "true"),
            "http://localhost:9000/bucket/dir/file.txt",
            "us-east-1",
        ),
        alike(
            "aws_endpoint_url_s3 beats endpoint",
            keys()
                .config("bucket", "bucket")
                .config("aws_endpoint_url_s3", "https://minio.example.com")
                .config("endpoint", "https://other.example.com"),
            "https://minio.example.com/bucket/dir/file.txt",
            "us-east-1",
        ),
        alike(
            "virtual-hosted endpoint naming the bucket",
            keys()
                .config("bucket", "bucket")
                .config("endpoint", "https://bucket.minio.example.com")
                .config("virtual_hosted_style_request", "true"),
            "https://bucket.minio.example.com/dir/file.txt",
            "us-east-1",
        ),
        alike(
            "request_payer",
            keys()
                .config("bucket", "bucket")
                .config("request_payer", "true")
                .config("virtual_hosted_style_request", "true"),
            "https://bucket.s3.us-east-1.amazonaws.com/dir/file.txt",
            "us-east-1",
        ),
        alike(
            "keys beat the environment",
            Config::new()
                .env("AWS_BUCKET", "other")
                .env("AWS_REGION", "us-west-2")
                .env("AWS_ENDPOINT", "https://other.example.com")
                .env("AWS_SESSION_TOKEN", "environment-token")
                .config("bucket", "bucket")
                .config("region", "eu-west-1")
                .config("endpoint", "https://minio.example.com")
                .config("token", TOKEN),
            "https://minio.example.com/bucket/dir/file.txt",
            "eu-west-1",
        ),
        alike(
            "keys beat the environment's static keys",
            Config::new()
                .env("AWS_BUCKET", "bucket")
                .env("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "true")
                .config("access_key_id", KEY_ID)
                .config("secret_access_key", SECRET),
            "https://bucket.s3.us-east-1.amazonaws.com/dir/file.txt",
            "us-east-1",
        ),
        alike(
            "keys and a URL that set different things",
            keys()
                .config("token", TOKEN)
                .config("virtual_hosted_style_request", "false")
                .url("https://s3.eu-west-1.amazonaws.com/bucket"),
            "https://s3.eu-west-1.amazonaws.com/bucket/dir/file.txt",
            "eu-west-1",
        ),
    ])
    .await;
}

#[tokio::test]
async fn refusals_are_shared() {
    for (name, config) in [
        ("no bucket", Config::new()),
        (
            "key id without secret",
            Config::bare()
                .env("AWS_BUCKET", "bucket")
                .env("AWS_ACCESS_KEY_ID", KEY_ID),
        ),
        (
            "secret without key id",
            Config::bare()
                .env("AWS_BUCKET", "bucket")
                .env("AWS_SECRET_ACCESS_KEY", SECRET),
        ),
        ("unknown scheme", Config::new().url("gs://bucket")),
        (
            "bad flag value",
            Config::new()
                .env("AWS_BUCKET", "bucket")
                .env("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "maybe"),
        ),
    ] {
        let (theirs, ours) = presign_both(&config).await;
        assert!(theirs.is_err(), "{name}: object_store accepted: {theirs:?}");
        let e = ours.expect_err(name);
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{name}: {e}");
    }
}

/// Difference: without `virtual_hosted_style_request`, object_store
/// addresses AWS path style (`s3.<region>.amazonaws.com/<bucket>`); s3lite
/// follows AWS's endpoint rules, virtual-hosted for names that can be a host
/// label, as the AWS SDKs do (README, Endpoints). Same bucket, region and
/// credentials; setting the flag either way makes them equal
/// (`url_forms_resolve_alike`).
#[tokio::test]
async fn differs_default_addressing_on_aws() {
    for (name, config) in [
        (
            "environment only",
            Config::new().env("AWS_BUCKET", "bucket"),
        ),
        ("s3://", Config::new().url("s3://bucket")),
        (
            "s3a:// with AWS_REGION",
            Config::new()
                .env("AWS_REGION", "eu-west-1")
                .url("s3a://bucket"),
        ),
        (
            "path-style AWS URL",
            Config::new().url("https://s3.eu-west-1.amazonaws.com/bucket"),
        ),
        (
            "dual-stack path-style URL",
            Config::new()
                .env("AWS_SESSION_TOKEN", TOKEN)
                .url("https://s3.dualstack.eu-west-1.amazonaws.com/bucket"),
        ),
    ] {
        let (theirs, ours) = both_ok(name, presign_both(&config).await);
        assert!(
            theirs.path.starts_with("/bucket/"),
            "{name}: object_store {theirs:?}"
        );
        assert_eq!(ours.url(), as_virtual_hosted(&theirs, "bucket"), "{name}");
        assert_same_credentials(name, &theirs, &ours);
    }
}

/// Difference: a virtual-hosted AWS URL turns object_store's flag on over
/// `AWS_VIRTUAL_HOSTED_STYLE_REQUEST=false`; s3lite's URLs never fix the
/// addressing style (`parse_url` docs), so the variable's path style holds.
#[tokio::test]
async fn differs_virtual_hosted_url_over_path_style_variable() {
    for url in [
        "https://bucket.s3.eu-west-1.amazonaws.com",
        "https://bucket.s3.dualstack.eu-west-1.amazonaws.com",
    ] {
        let config = Config::new()
            .env("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "false")
            .url(url);
        let (theirs, ours) = both_ok(url, presign_both(&config).await);
        assert_eq!(theirs.url(), as_virtual_hosted(&ours, "bucket"), "{url}");
        assert_same_credentials(url, &theirs, &ours);
    }
}

/// Difference: a `with_config` key and the URL setting the same thing.
/// object_store applies the URL last in `build()`, so the URL wins; s3lite
/// ranks explicit keys over the URL, as obstore documents ("values in this
/// config will override values inferred from the url").
#[tokio::test]
async fn differs_key_against_url_precedence() {
    // Region: each side signs for the region it chose.
    let region = Config::new()
        .config("region", "eu-central-1")
        .url("https://bucket.s3.eu-west-1.amazonaws.com");
    let (theirs, ours) = both_ok("region", presign_both(&region).await);
    assert_eq!(
        (theirs.url().as_str(), theirs.region()),
        (
            "https://bucket.s3.eu-west-1.amazonaws.com/dir/file.txt",
            Some("eu-west-1")
        )
    );
    assert_eq!(
        (ours.url().as_str(), ours.region()),
        (
            "https://bucket.s3.eu-central-1.amazonaws.com/dir/file.txt",
            Some("eu-central-1")
        )
    );
    // Endpoint: R2 from the URL against an explicit endpoint.
    let endpoint = Config::new()
        .config("endpoint", "https://minio.example.com")
        .url("https://ACCOUNT.r2.cloudflarestorage.com/bucket");
    let (theirs, ours) = both_ok("endpoint", presign_both(&endpoint).await);
    assert_eq!(
        theirs.url(),
        "https://account.r2.cloudflarestorage.com/bucket/dir/file.txt"
    );
    assert_eq!(ours.url(), "https://minio.example.com/bucket/dir/file.txt");
    // Both keep R2's `auto` region: the key only named the endpoint.
    assert_same_credentials("endpoint", &theirs, &ours);
    // Bucket.
    let bucket = Config::new()
        .config("bucket", "other")
        .config("virtual_hosted_style_request", "true")
        .url("s3://bucket");
    let (theirs, ours) = both_ok("bucket", presign_both(&bucket).await);
    assert_eq!(
        theirs.url(),
        "https://bucket.s3.us-east-1.amazonaws.com/dir/file.txt"
    );
    assert_eq!(
        ours.url(),
        "https://other.s3.us-east-1.amazonaws.com/dir/file.txt"
    );
}

/// Difference: the path of `s3://bucket/data/2026` is the store's prefix in
/// s3lite (README, URLs); object_store's `with_url` ignores it
/// (`parse_url_opts` hands it back for the caller to prepend). s3lite's
/// `dir/file.txt` is object_store's `data/2026/dir/file.txt`, exactly.
#[tokio::test]
async fn differs_url_path_is_the_prefix_in_s3lite() {
    let config = Config::new()
        .env("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "true")
        .url("s3://bucket/data/2026");
    let (theirs, ours) = both_ok("same key", presign_both(&config).await);
    assert_eq!(theirs.path, "/dir/file.txt");
    assert_eq!(ours.path, "/data/2026/dir/file.txt");
    let (theirs, ours) = both_ok(
        "prefixed key",
        presign_both_keys(&config, "data/2026/dir/file.txt", &config, KEY).await,
    );
    assert_eq!(theirs, ours);
}

/// Difference: with `virtual_hosted_style_request`, object_store takes the
/// endpoint as the bucket's own URL and never adds the bucket, so an
/// endpoint that does not name it loses the bucket from the request.
/// s3lite adds the bucket to a host that does not start with it (the AWS
/// SDKs' reading), and keeps IP endpoints path style (README, Endpoints).
/// The endpoint that does name the bucket agrees
/// (`environment_resolves_alike`).
#[tokio::test]
async fn differs_virtual_hosted_endpoint_without_the_bucket() {
    let vh = || Config::new().env("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "true");
    for (name, config, theirs_want, ours_want) in [
        (
            "service endpoint",
            vh().env("AWS_BUCKET", "bucket")
                .env("AWS_ENDPOINT", "https://minio.example.com"),
            "https://minio.example.com/dir/file.txt",
            "https://bucket.minio.example.com/dir/file.txt",
        ),
        (
            "IP endpoint",
            vh().env("AWS_BUCKET", "bucket")
                .env("AWS_ENDPOINT", "http://127.0.0.1:9000")
                .env("AWS_ALLOW_HTTP", "true"),
            "http://127.0.0.1:9000/dir/file.txt",
            "http://127.0.0.1:9000/bucket/dir/file.txt",
        ),
        (
            "R2 URL",
            vh().url("https://ACCOUNT.r2.cloudflarestorage.com/bucket"),
            "https://account.r2.cloudflarestorage.com/dir/file.txt",
            "https://bucket.account.r2.cloudflarestorage.com/dir/file.txt",
        ),
        (
            "dual-stack path-style URL",
            vh().url("https://s3.dualstack.eu-west-1.amazonaws.com/bucket"),
            "https://s3.dualstack.eu-west-1.amazonaws.com/dir/file.txt",
            "https://bucket.s3.dualstack.eu-west-1.amazonaws.com/dir/file.txt",
        ),
        // The virtual-hosted AWS URL sets object_store's flag, which then
        // applies to the variable's endpoint.
        (
            "virtual-hosted AWS URL with AWS_ENDPOINT",
            Config::new()
                .env("AWS_ENDPOINT", "https://minio.example.com")
                .url("https://bucket.s3.eu-west-1.amazonaws.com"),
            "https://minio.example.com/dir/file.txt",
            "https://minio.example.com/bucket/dir/file.txt",
        ),
    ] {
        let (theirs, ours) = both_ok(name, presign_both(&config).await);
        assert_eq!(theirs.url(), theirs_want, "{name}: object_store");
        assert_eq!(ours.url(), ours_want, "{name}: s3lite");
        assert_same_credentials(name, &theirs, &ours);
    }
}

/// Difference: URL forms only s3lite parses (README, URLs): custom
/// endpoints (object_store's `with_url` knows only AWS and R2 hosts), FIPS,
/// S3 Express zonal and Transfer Acceleration hosts. Each resolves as object_store does
/// when given the same endpoint, bucket and region as keys.
#[tokio::test]
async fn only_s3lite_parses_endpoint_fips_express_and_accelerate_urls() {
    let http = || Config::new().env("AWS_ALLOW_HTTP", "true");
    for (url, base, equivalent) in [
        (
            "https://minio.example.com/bucket/",
            Config::new(),
            Config::new()
                .env("AWS_ENDPOINT", "https://minio.example.com")
                .env("AWS_BUCKET", "bucket"),
        ),
        (
            "http://localhost:9000/bucket",
            http(),
            http()
                .env("AWS_ENDPOINT", "http://localhost:9000")
                .env("AWS_BUCKET", "bucket"),
        ),
        (
            "https://bucket.s3-fips.us-east-2.amazonaws.com",
            Config::new(),
            Config::new()
                .env(
                    "AWS_ENDPOINT",
                    "https://bucket.s3-fips.us-east-2.amazonaws.com",
                )
                .env("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "true")
                .env("AWS_REGION", "us-east-2")
                .env("AWS_BUCKET", "bucket"),
        ),
        (
            "https://logs--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com",
            Config::new(),
            Config::new()
                .env("AWS_BUCKET", "logs--usw2-az1--x-s3")
                .env("AWS_REGION", "us-west-2")
                .env("AWS_S3_EXPRESS", "true"),
        ),
        (
            "https://bucket.s3-accelerate.amazonaws.com",
            Config::new(),
            Config::new()
                .env("AWS_ENDPOINT", "https://bucket.s3-accelerate.amazonaws.com")
                .env("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "true")
                .env("AWS_BUCKET", "bucket"),
        ),
    ] {
        let config = base.url(url);
        let refused = object_store_presign(&config, KEY).await.expect_err(url);
        assert!(
            refused.contains("URL did not match") || refused.contains("Unknown url scheme"),
            "{url}: {refused}"
        );
        let both = presign_both_keys(&equivalent, KEY, &config, KEY).await;
        let (theirs, ours) = both_ok(url, both);
        assert_eq!(theirs, ours, "{url}");
    }
}

/// Difference: a directory bucket without `AWS_S3_EXPRESS`. object_store
/// then treats it as a general purpose bucket (path style on
/// `s3.<region>`); s3lite knows it by its `--<zone>--x-s3` name, as AWS's
/// endpoint rules do, and goes to its zonal endpoint.
#[tokio::test]
async fn differs_directory_bucket_without_s3_express_flag() {
    let config = Config::new()
        .env("AWS_BUCKET", "logs--usw2-az1--x-s3")
        .env("AWS_REGION", "us-west-2");
    let (theirs, ours) = both_ok("express", presign_both(&config).await);
    assert_eq!(
        theirs.url(),
        "https://s3.us-west-2.amazonaws.com/logs--usw2-az1--x-s3/dir/file.txt"
    );
    assert_eq!(
        ours.url(),
        "https://logs--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com/dir/file.txt"
    );
    assert_same_credentials("express", &theirs, &ours);
}

/// Difference: an AWS URL that names no bucket, with `AWS_BUCKET` set.
/// object_store takes an empty bucket from the URL's empty path, over the
/// variable, and presigns `https://s3.<region>.amazonaws.com//<key>`
/// (no bucket at all); s3lite refuses the URL (InvalidConfig, "has no
/// bucket").
#[tokio::test]
async fn differs_bucketless_aws_url() {
    let config = Config::new()
        .env("AWS_BUCKET", "bucket")
        .env("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "false")
        .url("https://s3.eu-west-1.amazonaws.com");
    let (theirs, ours) = presign_both(&config).await;
    assert_eq!(
        theirs.unwrap().url(),
        "https://s3.eu-west-1.amazonaws.com//dir/file.txt"
    );
    let e = ours.expect_err("no bucket in the URL");
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert!(e.to_string().contains("has no bucket"), "{e}");
}

/// Difference: s3lite counts an empty variable as unset (README,
/// Configuration); object_store's `from_env` passes it on: an empty
/// `AWS_SESSION_TOKEN` becomes an empty `X-Amz-Security-Token`, an empty
/// `AWS_REGION` hides `AWS_DEFAULT_REGION`, an empty flag fails to parse.
#[tokio::test]
async fn differs_empty_variables() {
    let bucket = || {
        Config::new()
            .env("AWS_BUCKET", "bucket")
            .env("AWS_REGION", "eu-west-1")
    };
    let token = bucket()
        .env("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "true")
        .env("AWS_SESSION_TOKEN", "");
    let (theirs, ours) = both_ok("empty token", presign_both(&token).await);
    assert_eq!(theirs.token(), Some(""));
    assert_eq!(ours.token(), None);
    assert_eq!(theirs.url(), ours.url());

    let region = Config::new()
        .env("AWS_BUCKET", "bucket")
        .env("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "false")
        .env("AWS_REGION", "")
        .env("AWS_DEFAULT_REGION", "eu-west-1");
    let (theirs, ours) = presign_both(&region).await;
    let theirs = theirs.unwrap();
    assert_eq!(theirs.region(), Some(""));
    assert_eq!(theirs.origin, "https://s3..amazonaws.com");
    let ours = ours.unwrap();
    assert_eq!(
        (ours.url().as_str(), ours.region()),
        (
            "https://s3.eu-west-1.amazonaws.com/bucket/dir/file.txt",
            Some("eu-west-1")
        )
    );

    let flag = bucket().env("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "");
    let (theirs, ours) = presign_both(&flag).await;
    assert!(
        theirs.as_ref().is_err_and(|e| e.contains("boolean")),
        "{theirs:?}"
    );
    assert_eq!(
        ours.unwrap().url(),
        "https://bucket.s3.eu-west-1.amazonaws.com/dir/file.txt"
    );
}

/// Difference: two variables for one setting. object_store's `from_env`
/// lets the later one in the environment win, so the result depends on the
/// order of `environ`; s3lite reads them in a fixed order (`AWS_ENDPOINT`
/// before `AWS_ENDPOINT_URL`, `AWS_BUCKET` before `AWS_BUCKET_NAME`,
/// `AWS_SESSION_TOKEN` before `AWS_TOKEN`; `S3ConfigKey::env_names`).
#[tokio::test]
async fn differs_two_variables_for_one_setting() {
    let pairs = [
        (
            ("AWS_ENDPOINT", "https://first.example.com"),
            ("AWS_ENDPOINT_URL", "https://second.example.com"),
        ),
        (("AWS_BUCKET", "first"), ("AWS_BUCKET_NAME", "second")),
        (("AWS_SESSION_TOKEN", "first"), ("AWS_TOKEN", "second")),
    ];
    let base = || Config::new().env("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "false");
    for (s3lite_first, later) in pairs {
        for (a, b) in [(s3lite_first, later), (later, s3lite_first)] {
            let mut config = base().env(a.0, a.1).env(b.0, b.1);
            if !a.0.contains("BUCKET") {
                config = config.env("AWS_BUCKET", "bucket");
            }
            let (theirs, ours) = both_ok(a.0, presign_both(&config).await);
            let shows =
                |p: &Presigned, value: &str| p.url().contains(value) || p.token() == Some(value);
            // object_store: the one set last; s3lite: always the first name.
            assert!(
                shows(&theirs, b.1),
                "{} then {}: object_store {theirs:?}",
                a.0,
                b.0
            );
            assert!(
                shows(&ours, s3lite_first.1),
                "{} then {}: s3lite {ours:?}",
                a.0,
                b.0
            );
        }
    }
}

/// Difference: an `http://` endpoint without `allow_http`. s3lite's
/// `build()` refuses it (InvalidConfig naming `allow_http`); object_store
/// builds, presigns an `http://` URL, and refuses only when its own client
/// would send a request.
#[tokio::test]
async fn differs_http_endpoint_without_allow_http() {
    let config = Config::new()
        .env("AWS_BUCKET", "bucket")
        .env("AWS_ENDPOINT", "http://localhost:9000");
    let (theirs, ours) = presign_both(&config).await;
    assert_eq!(
        theirs.unwrap().url(),
        "http://localhost:9000/bucket/dir/file.txt"
    );
    let e = ours.expect_err("http without allow_http");
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert!(e.to_string().contains("allow_http"), "{e}");
}

/// Difference: an explicit `endpoint` key against `AWS_ENDPOINT_URL_S3` in
/// the environment. object_store prefers the S3 endpoint whatever its
/// source; s3lite prefers it only from the same source, and an explicit key
/// beats the environment.
#[tokio::test]
async fn differs_explicit_endpoint_over_s3_endpoint_variable() {
    let config = Config::new()
        .env("AWS_BUCKET", "bucket")
        .env(
            "AWS_ENDPOINT_URL_S3",
            "https://from-environment.example.com",
        )
        .config("endpoint", "https://explicit.example.com");
    let (theirs, ours) = both_ok("endpoint", presign_both(&config).await);
    assert_eq!(
        theirs.url(),
        "https://from-environment.example.com/bucket/dir/file.txt"
    );
    assert_eq!(
        ours.url(),
        "https://explicit.example.com/bucket/dir/file.txt"
    );
}

/// Difference: a dotted bucket with the virtual-hosted flag on AWS.
/// object_store puts it in the host (`my.bucket.s3...`, which AWS's
/// wildcard certificate does not cover); s3lite uses path style for it, as
/// AWS's rules do over TLS.
#[tokio::test]
async fn differs_dotted_bucket_stays_path_style() {
    let config = Config::new()
        .env("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "true")
        .env("AWS_REGION", "us-west-2")
        .env("AWS_BUCKET", "my.bucket");
    let (theirs, ours) = both_ok("dotted", presign_both(&config).await);
    assert_eq!(
        theirs.url(),
        "https://my.bucket.s3.us-west-2.amazonaws.com/dir/file.txt"
    );
    assert_eq!(as_virtual_hosted(&ours, "my.bucket"), theirs.url());
    assert_same_credentials("dotted", &theirs, &ours);
}

/// Difference: path-style bucket names are percent-encoded by s3lite
/// (`endpoint` module docs), so no name changes the URL's path or query;
/// object_store pastes the name into the URL, where `?` starts the query.
#[tokio::test]
async fn differs_odd_bucket_names_are_encoded() {
    let config = Config::new()
        .env("AWS_ENDPOINT", "https://minio.example.com")
        .env("AWS_BUCKET", "odd?name");
    let (theirs, ours) = both_ok("odd", presign_both(&config).await);
    assert_eq!(theirs.path, "/odd");
    assert!(theirs.query.contains_key("name/dir/file.txt"), "{theirs:?}");
    assert_eq!(ours.path, "/odd%3Fname/dir/file.txt");
    assert_same_credentials("odd", &theirs, &ours);
}

/// Difference: `AWS_SKIP_SIGNATURE`. s3lite's presign returns the plain,
/// unsigned URL (`S3Store::presign` docs); object_store's `signed_url`
/// ignores the setting and signs with the credentials it has.
#[tokio::test]
async fn differs_skip_signature_gives_an_unsigned_url() {
    let config = Config::new()
        .env("AWS_BUCKET", "bucket")
        .env("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "true")
        .env("AWS_SKIP_SIGNATURE", "true");
    let (theirs, ours) = both_ok("skip", presign_both(&config).await);
    assert_eq!(theirs.url(), ours.url());
    assert_eq!(theirs.key_id(), Some(KEY_ID));
    assert!(ours.query.is_empty(), "{ours:?}");
}
