//! The documented constructors read the process environment, as obstore's
//! do; `without_env` and `from_env_with` do not. One test in its own binary,
//! because it sets process variables.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use s3lite::config::S3ConfigKey;
use s3lite::{S3Store, S3StoreBuilder};

#[test]
fn builder_and_from_url_read_aws_variables_and_without_env_does_not() {
    // SAFETY: the only test of this binary, so no other thread reads the
    // environment while it changes.
    unsafe {
        std::env::set_var("AWS_REGION", "eu-north-1");
        std::env::set_var("AWS_ENDPOINT_URL", "https://objects.example.com");
        std::env::set_var("HTTPS_PROXY", "http://proxy.example.com:3128");
        std::env::set_var("AWS_SKIP_SIGNATURE", "true");
    }
    let b = S3Store::builder();
    assert_eq!(
        b.get_config_value(S3ConfigKey::Region).as_deref(),
        Some("eu-north-1")
    );
    assert_eq!(
        b.get_config_value(S3ConfigKey::HttpsProxy).as_deref(),
        Some("http://proxy.example.com:3128")
    );
    let store = b.bucket("b1").build().unwrap();
    assert_eq!(store.region(), "eu-north-1");
    assert!(
        format!("{store:?}").contains("objects.example.com"),
        "{store:?}"
    );

    // The URL beats the environment; the environment fills the rest.
    let store = S3StoreBuilder::from_url("s3://from-url/prefix")
        .build()
        .unwrap();
    assert_eq!((store.bucket(), store.region()), ("from-url", "eu-north-1"));
    let store = S3StoreBuilder::from_url("https://b2.s3.ap-south-1.amazonaws.com")
        .build()
        .unwrap();
    assert_eq!(store.region(), "ap-south-1");

    // Explicit values beat the environment in any order.
    let store = S3Store::builder()
        .region("us-west-2")
        .bucket("b1")
        .build()
        .unwrap();
    assert_eq!(store.region(), "us-west-2");

    // Without the environment, the defaults.
    let b = S3Store::builder().without_env();
    assert_eq!(b.get_config_value(S3ConfigKey::Region), None);
    assert_eq!(b.get_config_value(S3ConfigKey::SkipSignature), None);
    let store = S3Store::builder()
        .without_env()
        .bucket("b1")
        .skip_signature(true)
        .build()
        .unwrap();
    assert_eq!(store.region(), "us-east-1");
    assert!(!format!("{store:?}").contains("objects.example.com"));

    // A bad value from the environment is dropped with it.
    unsafe { std::env::set_var("AWS_MAX_RETRIES", "many") };
    let e = S3Store::builder().bucket("b1").build().unwrap_err();
    assert!(e.to_string().contains("AWS_MAX_RETRIES"), "{e}");
    S3Store::builder()
        .without_env()
        .bucket("b1")
        .skip_signature(true)
        .build()
        .unwrap();
}
