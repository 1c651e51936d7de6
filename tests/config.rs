//! The configuration surface, table-driven: every key name and alias, every
//! environment variable, every URL form, precedence, and every bad input.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::time::Duration;

use s3lite::config::{self, S3ConfigKey, ValueKind, parse_bool, parse_duration};
use s3lite::endpoint::parse_url;
use s3lite::{ErrorKind, S3StoreBuilder};

/// A valid value for `key`, as a string.
fn sample(key: S3ConfigKey) -> &'static str {
    use S3ConfigKey as K;
    match key {
        K::Region | K::DefaultRegion => "eu-west-1",
        K::Bucket => "photos",
        K::Endpoint | K::EndpointUrlS3 | K::EndpointUrlSts | K::MetadataEndpoint => {
            "https://s3.example.com"
        }
        K::ContainerCredentialsFullUri => "http://169.254.170.23/v1/credentials",
        K::ChecksumAlgorithm => "sha256",
        K::RequestChecksumCalculation | K::ResponseChecksumValidation => "WHEN_REQUIRED",
        K::S3UsEast1RegionalEndpoint => "legacy",
        K::ConditionalPut => "etag",
        K::CopyIfNotExists => "multipart",
        K::CannedAcl => "bucket-owner-full-control",
        K::ServerSideEncryption => "aws:kms",
        K::SseCustomerKeyBase64 => "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        K::Http2MaxFrameSize => "32768",
        K::ProxyUrl | K::HttpsProxy | K::HttpProxy => "http://proxy.local:3128",
        K::ProxyExcludes => "localhost,.internal",
        K::RootCertificates | K::ProxyCaCertificate => "/etc/ssl/extra.pem",
        _ => match key.value_kind() {
            ValueKind::Duration => "30s",
            ValueKind::Count | ValueKind::Number => "3",
            ValueKind::Bool => "yes",
            _ => "some-text",
        },
    }
}

#[test]
fn every_key_name_and_alias_parses_in_any_case_with_or_without_aws_prefix() {
    let mut count = 0;
    for key in S3ConfigKey::all() {
        assert_eq!(key.as_ref(), key.name());
        for name in std::iter::once(key.name()).chain(key.aliases().iter().copied()) {
            for form in [
                name.to_string(),
                name.to_ascii_uppercase(),
                format!("aws_{name}"),
                format!("AWS_{}", name.to_ascii_uppercase()),
                format!("Aws_{name}"),
            ] {
                assert_eq!(form.parse::<S3ConfigKey>().unwrap(), key, "{form}");
                count += 1;
            }
        }
    }
    assert!(count > 300, "{count} forms");
}

#[test]
fn issue_key_list_is_covered() {
    for name in [
        "access_key_id",
        "secret_access_key",
        "session_token",
        "token",
        "region",
        "default_region",
        "bucket",
        "bucket_name",
        "endpoint",
        "endpoint_url",
        "endpoint_url_s3",
        "virtual_hosted_style_request",
        "unsigned_payload",
        "skip_signature",
        "checksum_algorithm",
        "conditional_put",
        "copy_if_not_exists",
        "disable_tagging",
        "disable_bulk_delete",
        "request_payer",
        "s3_express",
        "imdsv1_fallback",
        "metadata_endpoint",
        "container_credentials_relative_uri",
        "container_credentials_full_uri",
        "container_authorization_token_file",
        "web_identity_token_file",
        "role_arn",
        "role_session_name",
        "endpoint_url_sts",
        "server_side_encryption",
        "sse_kms_key_id",
        "sse_bucket_key_enabled",
        "sse_customer_key_base64",
        "allow_http",
        "allow_invalid_certificates",
        "connect_timeout",
        "timeout",
        "read_timeout",
        "pool_idle_timeout",
        "pool_max_idle_per_host",
        "http1_only",
        "http2_only",
        "http2_keep_alive_interval",
        "http2_keep_alive_timeout",
        "http2_keep_alive_while_idle",
        "http2_max_frame_size",
        "randomize_addresses",
        "proxy_url",
        "proxy_ca_certificate",
        "proxy_excludes",
        "user_agent",
        "default_content_type",
        "max_retries",
        "retry_timeout",
        "init_backoff",
        "backoff_init",
        "max_backoff",
        "backoff_base",
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "NO_PROXY",
        "ALL_PROXY",
        "AWS_CA_BUNDLE",
        "AWS_REQUESTER_PAYS",
    ] {
        assert!(name.parse::<S3ConfigKey>().is_ok(), "{name}");
    }
}

#[test]
fn every_env_var_sets_its_key() {
    let mut count = 0;
    for key in S3ConfigKey::all() {
        for var in key.env_names() {
            let builder = S3StoreBuilder::from_env_with(|name| {
                (name == var).then(|| sample(key).to_string())
            });
            let got = builder.get_config_value(key);
            assert!(got.is_some(), "{var} did not set {key}");
            count += 1;
        }
    }
    assert!(count > 85, "{count} variables");
}

#[test]
fn env_reads_the_first_variable_of_a_key_and_ignores_empty_ones() {
    let b = S3StoreBuilder::from_env_with(|name| match name {
        "AWS_ENDPOINT" => Some("https://first.example".into()),
        "AWS_ENDPOINT_URL" => Some("https://second.example".into()),
        "AWS_REGION" => Some("  ".into()),
        _ => None,
    });
    assert_eq!(
        b.get_config_value(S3ConfigKey::Endpoint).as_deref(),
        Some("https://first.example")
    );
    assert_eq!(b.get_config_value(S3ConfigKey::Region), None);
}

#[test]
fn explicit_beats_url_beats_env_beats_default_in_any_call_order() {
    let env = |name: &str| match name {
        "AWS_REGION" => Some("ap-south-1".to_string()),
        "AWS_BUCKET" => Some("env-bucket".to_string()),
        "AWS_MAX_RETRIES" => Some("7".to_string()),
        "AWS_SKIP_SIGNATURE" => Some("true".to_string()),
        _ => None,
    };
    // Explicit set first, URL applied later: explicit still wins.
    let store = S3StoreBuilder::from_env_with(env)
        .region("eu-central-1")
        .with_url("https://url-bucket.s3.eu-west-1.amazonaws.com/p")
        .build()
        .unwrap();
    assert_eq!(store.region(), "eu-central-1");
    assert_eq!(store.bucket(), "url-bucket");
    assert_eq!(store.prefix(), Some("p"));
    // Env alone.
    let store = S3StoreBuilder::from_env_with(env).build().unwrap();
    assert_eq!(
        (store.bucket(), store.region()),
        ("env-bucket", "ap-south-1")
    );
    // Defaults.
    let store = S3StoreBuilder::new()
        .bucket("b1")
        .skip_signature(true)
        .build()
        .unwrap();
    assert_eq!(store.region(), "us-east-1");
    // default_region only when region is unset; endpoint_url_s3 wins over endpoint.
    let b = S3StoreBuilder::new()
        .with_config(S3ConfigKey::DefaultRegion, "sa-east-1")
        .with_config(S3ConfigKey::Endpoint, "https://generic.example")
        .with_config(S3ConfigKey::EndpointUrlS3, "https://s3-only.example")
        .bucket("b1")
        .skip_signature(true);
    let store = b.build().unwrap();
    assert_eq!(store.region(), "sa-east-1");
    assert!(
        format!("{store:?}").contains("s3-only.example"),
        "{store:?}"
    );
}

#[test]
fn values_parse_as_obstore_does() {
    for t in ["1", "true", "TRUE", "on", "yes", "Y"] {
        assert_eq!(parse_bool(t), Some(true), "{t}");
    }
    for f in ["0", "false", "Off", "no", "n"] {
        assert_eq!(parse_bool(f), Some(false), "{f}");
    }
    let cases = [
        ("30s", 30_000),
        ("500ms", 500),
        ("2m", 120_000),
        ("1h", 3_600_000),
        ("45", 45_000),
        ("1m30s", 90_000),
    ];
    for (s, ms) in cases {
        assert_eq!(parse_duration(s), Some(Duration::from_millis(ms)), "{s}");
    }
}

/// (url, bucket, region, endpoint, prefix, dual_stack, fips, accelerate)
type UrlCase = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    bool,
    bool,
    bool,
);

const URLS: &[UrlCase] = &[
    (
        "s3://photos",
        "photos",
        None,
        None,
        None,
        false,
        false,
        false,
    ),
    (
        "s3://photos/",
        "photos",
        None,
        None,
        None,
        false,
        false,
        false,
    ),
    (
        "s3://photos/some/prefix",
        "photos",
        None,
        None,
        Some("some/prefix"),
        false,
        false,
        false,
    ),
    (
        "S3A://photos/a%20b/c/",
        "photos",
        None,
        None,
        Some("a b/c"),
        false,
        false,
        false,
    ),
    (
        "https://s3.eu-west-1.amazonaws.com/photos",
        "photos",
        Some("eu-west-1"),
        None,
        None,
        false,
        false,
        false,
    ),
    (
        "https://s3.eu-west-1.amazonaws.com/photos/2026/jan",
        "photos",
        Some("eu-west-1"),
        None,
        Some("2026/jan"),
        false,
        false,
        false,
    ),
    (
        "https://photos.s3.eu-west-1.amazonaws.com",
        "photos",
        Some("eu-west-1"),
        None,
        None,
        false,
        false,
        false,
    ),
    (
        "https://photos.s3.eu-west-1.amazonaws.com/2026/",
        "photos",
        Some("eu-west-1"),
        None,
        Some("2026"),
        false,
        false,
        false,
    ),
    (
        "https://my.dotted.s3.bucket.s3.us-west-2.amazonaws.com/k",
        "my.dotted.s3.bucket",
        Some("us-west-2"),
        None,
        Some("k"),
        false,
        false,
        false,
    ),
    (
        "https://photos.s3.amazonaws.com/x",
        "photos",
        None,
        None,
        Some("x"),
        false,
        false,
        false,
    ),
    (
        "https://s3.amazonaws.com/photos",
        "photos",
        None,
        None,
        None,
        false,
        false,
        false,
    ),
    (
        "https://photos.s3.dualstack.eu-west-1.amazonaws.com/x",
        "photos",
        Some("eu-west-1"),
        None,
        Some("x"),
        true,
        false,
        false,
    ),
    (
        "https://s3.dualstack.eu-west-1.amazonaws.com/photos/x",
        "photos",
        Some("eu-west-1"),
        None,
        Some("x"),
        true,
        false,
        false,
    ),
    (
        "https://photos.s3-fips.us-east-1.amazonaws.com",
        "photos",
        Some("us-east-1"),
        None,
        None,
        false,
        true,
        false,
    ),
    (
        "https://s3-fips.dualstack.us-east-1.amazonaws.com/photos",
        "photos",
        Some("us-east-1"),
        None,
        None,
        true,
        true,
        false,
    ),
    (
        "https://photos.s3-accelerate.amazonaws.com/a",
        "photos",
        None,
        None,
        Some("a"),
        false,
        false,
        true,
    ),
    (
        "https://photos.s3-accelerate.dualstack.amazonaws.com",
        "photos",
        None,
        None,
        None,
        true,
        false,
        true,
    ),
    (
        "https://photos.s3.cn-north-1.amazonaws.com.cn/p",
        "photos",
        Some("cn-north-1"),
        None,
        Some("p"),
        false,
        false,
        false,
    ),
    (
        "https://logs--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com/p",
        "logs--usw2-az1--x-s3",
        Some("us-west-2"),
        None,
        Some("p"),
        false,
        false,
        false,
    ),
    (
        "https://acct123.r2.cloudflarestorage.com/photos",
        "photos",
        Some("auto"),
        Some("https://acct123.r2.cloudflarestorage.com"),
        None,
        false,
        false,
        false,
    ),
    (
        "https://acct123.r2.cloudflarestorage.com/photos/a/b",
        "photos",
        Some("auto"),
        Some("https://acct123.r2.cloudflarestorage.com"),
        Some("a/b"),
        false,
        false,
        false,
    ),
    (
        "https://acct123.eu.r2.cloudflarestorage.com/photos/p",
        "photos",
        Some("auto"),
        Some("https://acct123.eu.r2.cloudflarestorage.com"),
        Some("p"),
        false,
        false,
        false,
    ),
    (
        "http://127.0.0.1:4566/photos/p",
        "photos",
        None,
        Some("http://127.0.0.1:4566"),
        Some("p"),
        false,
        false,
        false,
    ),
    (
        "https://MinIO.local:9000/photos",
        "photos",
        None,
        Some("https://minio.local:9000"),
        None,
        false,
        false,
        false,
    ),
];

#[test]
fn every_url_form_yields_bucket_region_endpoint_prefix() {
    for (url, bucket, region, endpoint, prefix, dual, fips, accel) in URLS {
        let p = parse_url(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(p.bucket.as_deref(), Some(*bucket), "{url}");
        assert_eq!(p.region.as_deref(), *region, "{url}");
        assert_eq!(p.endpoint.as_deref(), *endpoint, "{url}");
        assert_eq!(p.prefix.as_deref(), *prefix, "{url}");
        assert_eq!(
            (p.dual_stack, p.fips, p.accelerate),
            (*dual, *fips, *accel),
            "{url}"
        );
    }
}

#[test]
fn stores_built_from_urls_carry_bucket_region_and_prefix() {
    for (url, bucket, region, _, prefix, ..) in URLS {
        if bucket.ends_with("--x-s3") {
            continue; // S3 Express needs credentials: tests/express.rs.
        }
        let store = S3StoreBuilder::from_url(url)
            .skip_signature(true)
            .allow_http(true)
            .build()
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(store.bucket(), *bucket, "{url}");
        assert_eq!(store.region(), region.unwrap_or("us-east-1"), "{url}");
        assert_eq!(store.prefix(), *prefix, "{url}");
    }
}

/// A builder that is valid apart from what each case adds.
fn base() -> S3StoreBuilder {
    S3StoreBuilder::new().bucket("b1").skip_signature(true)
}

#[test]
fn bad_input_is_invalid_config_naming_key_and_value() {
    type Case = (
        &'static str,
        fn() -> S3StoreBuilder,
        &'static [&'static str],
    );
    let cases: &[Case] = &[
        (
            "bad boolean",
            || base().with_config(S3ConfigKey::AllowHttp, "maybe"),
            &["allow_http", "maybe"],
        ),
        (
            "bad boolean from env",
            || {
                S3StoreBuilder::from_env_with(|n| {
                    (n == "AWS_SKIP_SIGNATURE").then(|| "sure".into())
                })
                .bucket("b1")
            },
            &["AWS_SKIP_SIGNATURE", "skip_signature", "sure"],
        ),
        (
            "bad duration",
            || base().with_config(S3ConfigKey::Timeout, "30 parsecs"),
            &["timeout", "30 parsecs"],
        ),
        (
            "zero timeout",
            || base().with_config(S3ConfigKey::ConnectTimeout, "0s"),
            &["connect_timeout", "0s"],
        ),
        (
            "bad count",
            || base().with_config(S3ConfigKey::MaxRetries, "-1"),
            &["max_retries", "-1"],
        ),
        (
            "bad base",
            || base().with_config(S3ConfigKey::BackoffBase, "0.5"),
            &["backoff_base", "0.5"],
        ),
        (
            "backoff order",
            || {
                base()
                    .init_backoff(Duration::from_secs(10))
                    .max_backoff(Duration::from_secs(1))
            },
            &["max_backoff", "init_backoff"],
        ),
        (
            "endpoint without scheme",
            || base().endpoint("minio.local:9000"),
            &["endpoint", "minio.local:9000"],
        ),
        (
            "http without allow_http",
            || base().endpoint("http://127.0.0.1:9000"),
            &["endpoint", "allow_http"],
        ),
        (
            "key without secret",
            || S3StoreBuilder::new().bucket("b1").access_key_id("AKID"),
            &["secret_access_key"],
        ),
        (
            "secret without key",
            || {
                S3StoreBuilder::new()
                    .bucket("b1")
                    .secret_access_key("S3CR3T")
            },
            &["access_key_id"],
        ),
        (
            "short SSE-C key",
            || {
                base()
                    .with_config(S3ConfigKey::ServerSideEncryption, "sse-c")
                    .with_config(S3ConfigKey::SseCustomerKeyBase64, "c2hvcnQ=")
            },
            &["sse_customer_key_base64", "***", "32 bytes"],
        ),
        (
            "SSE-C key not base64",
            || base().with_config(S3ConfigKey::SseCustomerKeyBase64, "not base64!"),
            &["sse_customer_key_base64", "***"],
        ),
        (
            "SSE-C without key",
            || base().with_config(S3ConfigKey::ServerSideEncryption, "sse-c"),
            &["sse_customer_key_base64"],
        ),
        (
            "KMS key without KMS",
            || base().with_config(S3ConfigKey::SseKmsKeyId, "arn:key"),
            &["sse_kms_key_id", "arn:key"],
        ),
        (
            "unknown checksum",
            || base().with_config(S3ConfigKey::ChecksumAlgorithm, "md5"),
            &["checksum_algorithm", "md5"],
        ),
        (
            "unknown encryption",
            || base().with_config(S3ConfigKey::ServerSideEncryption, "rot13"),
            &["server_side_encryption", "rot13"],
        ),
        (
            "bad conditional put",
            || base().with_config(S3ConfigKey::ConditionalPut, "lock"),
            &["conditional_put", "lock"],
        ),
        (
            "bad copy_if_not_exists",
            || base().with_config(S3ConfigKey::CopyIfNotExists, "header:only"),
            &["copy_if_not_exists", "header:only"],
        ),
        (
            "malformed URL",
            || S3StoreBuilder::from_url("ftp://b/p"),
            &["url", "ftp://b/p"],
        ),
        (
            "URL without bucket",
            || S3StoreBuilder::from_url("s3:///p"),
            &["url"],
        ),
        (
            "URL with query",
            || S3StoreBuilder::from_url("s3://b/p?x=1"),
            &["url"],
        ),
        (
            "URL with credentials",
            || S3StoreBuilder::from_url("https://AKID:S3CR3T@host/b"),
            &["url", "***"],
        ),
        (
            "bad proxy",
            || base().proxy_url("socks5://proxy:1080"),
            &["proxy_url", "socks5://proxy:1080"],
        ),
        (
            "bad region",
            || base().region("Europe West"),
            &["region", "Europe West"],
        ),
        (
            "both HTTP versions",
            || base().http1_only(true).http2_only(true),
            &["http2_only"],
        ),
        (
            "bad user agent",
            || base().user_agent("bad\nagent"),
            &["user_agent"],
        ),
        (
            "dual-stack with custom endpoint",
            || base().endpoint("https://minio.local").dual_stack(true),
            &["use_dualstack_endpoint"],
        ),
        (
            "missing PEM file",
            || base().with_config(S3ConfigKey::RootCertificates, "/nonexistent/roots.pem"),
            &["root_certificates", "/nonexistent/roots.pem"],
        ),
        ("missing bucket", S3StoreBuilder::new, &["bucket"]),
        (
            "bad header",
            || base().default_header("bad name", "v"),
            &["default_headers"],
        ),
    ];
    for (what, make, needles) in cases {
        let e = make().build().expect_err(what);
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{what}: {e}");
        let text = e.to_string();
        for needle in *needles {
            assert!(
                text.contains(needle),
                "{what}: {needle:?} missing from {text}"
            );
        }
        assert!(
            !text.contains("S3CR3T") && !text.contains("c2hvcnQ"),
            "{what}: {text}"
        );
    }
}

#[test]
fn unknown_key_is_invalid_config() {
    let e = "aws_bucket_nmae".parse::<S3ConfigKey>().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert!(e.to_string().contains("aws_bucket_nmae"), "{e}");
}

#[test]
fn keys_of_later_issues_now_act() {
    let key32 = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    // `randomize_addresses` builds (the builder's unit tests check it reaches
    // the client options, the resolver's that answers are shuffled).
    base()
        .with_config(S3ConfigKey::RandomizeAddresses, "true")
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    // Issue 8 gave these keys their behaviour: they build now.
    let implemented: &[fn() -> S3StoreBuilder] = &[
        || base().with_config(S3ConfigKey::ConditionalPut, "dynamo:locks"),
        || base().with_config(S3ConfigKey::CopyIfNotExists, "multipart"),
        || base().request_payer(true),
        || base().with_config(S3ConfigKey::ServerSideEncryption, "AES256"),
    ];
    for make in implemented {
        make().build().unwrap_or_else(|e| panic!("{e}"));
    }
    // SSE-C with a good key builds; a 16-byte key is refused, never shown.
    base()
        .with_config(S3ConfigKey::ServerSideEncryption, "sse-c")
        .with_config(S3ConfigKey::SseCustomerKeyBase64, key32)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let key16 = "MDEyMzQ1Njc4OWFiY2RlZg==";
    let e = base()
        .with_config(S3ConfigKey::ServerSideEncryption, "sse-c")
        .with_config(S3ConfigKey::SseCustomerKeyBase64, key16)
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert!(!e.to_string().contains(key16), "{e}");
    // Values that need nothing s3lite lacks are accepted.
    base()
        .disable_tagging(true)
        .disable_bulk_delete(true)
        .request_payer(false)
        .with_config(S3ConfigKey::ConditionalPut, "etag")
        .role_arn("ignored: static keys win")
        .access_key_id("AKID")
        .secret_access_key("secret")
        .skip_signature(false)
        .build()
        .unwrap();
}

/// The credential-source keys configure the default chain: `build()` accepts
/// them, and the chain they configure is what signs.
#[test]
fn credential_source_keys_configure_the_default_chain() {
    let builders: [fn() -> S3StoreBuilder; 5] = [
        || {
            S3StoreBuilder::new()
                .bucket("b1")
                .role_arn("arn:aws:iam::1:role/r")
        },
        || {
            S3StoreBuilder::new()
                .bucket("b1")
                .web_identity_token_file("/t")
        },
        || {
            S3StoreBuilder::new()
                .bucket("b1")
                .container_credentials_relative_uri("/v2/x")
        },
        || S3StoreBuilder::new().bucket("b1").imdsv1_fallback(true),
        || {
            S3StoreBuilder::new()
                .bucket("b1")
                .with_config(S3ConfigKey::MetadataEndpoint, "http://127.0.0.1:1")
                .with_config(S3ConfigKey::EndpointUrlSts, "http://127.0.0.1:2")
        },
    ];
    for make in builders {
        let store = make().build().unwrap();
        assert!(format!("{store:?}").contains("b1"));
    }
}

#[test]
fn client_and_retry_keys_reach_the_store() {
    let store = base()
        .with_config(S3ConfigKey::Timeout, "2m")
        .with_config(S3ConfigKey::MaxRetries, "2")
        .with_config(
            S3ConfigKey::ProxyUrl,
            "http://user:PROXYPASS@proxy.local:3128",
        )
        .with_config(S3ConfigKey::UserAgent, "my-app/1.0")
        .build()
        .unwrap();
    let shown = format!("{store:?}");
    assert!(!shown.contains("PROXYPASS"), "{shown}");
}

#[test]
fn custom_client_with_explicit_client_options_is_invalid_config() {
    #[derive(Debug)]
    struct Never;
    impl s3lite::transport::HttpClient for Never {
        fn send(
            &self,
            _: s3lite::transport::HttpRequest,
        ) -> s3lite::transport::BoxFuture<'_, s3lite::Result<s3lite::transport::HttpResponse>>
        {
            Box::pin(async { Err(s3lite::Error::new(ErrorKind::Transport, "never")) })
        }
    }
    let e = base()
        .http_client(Never)
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert!(e.to_string().contains("timeout"), "{e}");
    // Proxy variables from the environment do not stop a custom client.
    S3StoreBuilder::from_env_with(|n| (n == "HTTPS_PROXY").then(|| "http://p:1".into()))
        .bucket("b1")
        .skip_signature(true)
        .http_client(Never)
        .build()
        .unwrap();
}

#[test]
fn readme_documents_every_key() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = config::markdown_table();
    assert!(
        readme.contains(&table),
        "README.md's configuration table is out of date; replace it with:\n{table}"
    );
}

/// The README's "Refused" paragraph names exactly the keys whose values
/// s3lite refuses with `NotImplemented`, and each refusal is real: a key
/// listed there that the code accepts (or a refusal the README omits)
/// fails this test.
#[tokio::test]
async fn readme_refusals_match_the_code() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("**Refused**").expect("a **Refused** paragraph");
    let paragraph = readme[start..].split("\n\n").next().unwrap();
    let mut listed: Vec<String> = paragraph
        .split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|word| word.split([' ', '=']).next())
        .filter(|word| word.parse::<S3ConfigKey>().is_ok())
        .map(str::to_string)
        .collect();
    listed.sort();
    listed.dedup();
    let base = || {
        S3StoreBuilder::new()
            .without_env()
            .bucket("b1")
            .endpoint("http://127.0.0.1:9")
            .allow_http(true)
            .skip_signature(true)
    };
    let refused = |e: s3lite::Error, key: &str| {
        assert_eq!(e.kind(), ErrorKind::NotImplemented, "{key}: {e}");
        assert!(e.to_string().contains(key), "{key}: {e}");
    };
    // http2_only: refused without the `http2` feature.
    let built = base().with_config(S3ConfigKey::Http2Only, "true").build();
    if cfg!(feature = "http2") {
        assert!(built.is_ok());
    } else {
        refused(built.unwrap_err(), "http2_only");
    }
    // randomize_addresses: refused by the reqwest client.
    #[cfg(feature = "reqwest")]
    {
        let mut options = s3lite::transport::ClientOptions::default();
        options.randomize_addresses = true;
        refused(
            s3lite::transport::ReqwestClient::new(&options).unwrap_err(),
            "randomize_addresses",
        );
    }
    // copy_if_not_exists unset on a custom endpoint: refused before sending.
    let store = base().build().unwrap();
    refused(
        store.copy_if_not_exists("a", "b").await.unwrap_err(),
        "copy_if_not_exists",
    );
    refused(
        store.rename_if_not_exists("a", "b").await.unwrap_err(),
        "copy_if_not_exists",
    );
    // conditional_put = disabled: conditional puts refused before sending.
    let store = base()
        .with_config(S3ConfigKey::ConditionalPut, "disabled")
        .build()
        .unwrap();
    let create = s3lite::PutOptions::default().with_mode(s3lite::PutMode::Create);
    refused(
        store.put_opts("k", "v".into(), create).await.unwrap_err(),
        "conditional_put",
    );
    // bucket: ARNs and aliases of features s3lite does not implement.
    for bucket in [
        "arn:aws:s3::123456789012:accesspoint:mfzwi23gnjvgw.mrap",
        "arn:aws:s3-outposts:us-east-1:123456789012:outpost/op-01234567890123456/accesspoint/reports",
        "test-accessp-o0b1d075431d83bebde8xz5w8ijx1qzlbp3i3kuse10--op-s3",
        "arn:aws:s3-object-lambda:us-east-1:123456789012:accesspoint/mybanner",
    ] {
        let built = S3StoreBuilder::new()
            .without_env()
            .bucket(bucket)
            .skip_signature(true)
            .build();
        refused(built.unwrap_err(), "bucket");
    }
    let checked = [
        "bucket",
        "conditional_put",
        "copy_if_not_exists",
        "http2_only",
        "randomize_addresses",
    ];
    assert_eq!(
        listed, checked,
        "the README's Refused paragraph lists other keys"
    );
}
