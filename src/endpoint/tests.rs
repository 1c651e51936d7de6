//! Table tests of endpoint resolution.

use super::*;
use crate::ErrorKind;

fn resolve(
    url: Option<&str>,
    region: &str,
    style: Option<AddressingStyle>,
    bucket: &str,
) -> Result<BucketEndpoint> {
    Endpoint {
        url: url.map(str::to_string),
        region: region.to_string(),
        style,
        allow_http: true,
        dual_stack: false,
        fips: false,
        accelerate: false,
    }
    .resolve(bucket)
}

#[test]
fn resolution_table() {
    use AddressingStyle::{Path, VirtualHosted};
    // (endpoint, region, forced style, bucket, key) -> url
    type Case<'a> = (
        Option<&'a str>,
        &'a str,
        Option<AddressingStyle>,
        &'a str,
        &'a str,
        &'a str,
    );
    let cases: &[Case] = &[
        (
            None,
            "us-east-1",
            None,
            "photos",
            "a/b.jpg",
            "https://photos.s3.us-east-1.amazonaws.com/a/b.jpg",
        ),
        (
            None,
            "eu-west-1",
            None,
            "my.dotted.bucket",
            "k",
            "https://s3.eu-west-1.amazonaws.com/my.dotted.bucket/k",
        ),
        (
            None,
            "eu-west-1",
            None,
            "Upper_Case",
            "k",
            "https://s3.eu-west-1.amazonaws.com/Upper_Case/k",
        ),
        (
            None,
            "eu-west-1",
            Some(Path),
            "photos",
            "k",
            "https://s3.eu-west-1.amazonaws.com/photos/k",
        ),
        (
            None,
            "cn-north-1",
            None,
            "photos",
            "k",
            "https://photos.s3.cn-north-1.amazonaws.com.cn/k",
        ),
        (
            Some("http://127.0.0.1:4566"),
            "us-east-1",
            None,
            "b1",
            "x y",
            "http://127.0.0.1:4566/b1/x%20y",
        ),
        (
            Some("http://127.0.0.1:4566/"),
            "us-east-1",
            None,
            "b1",
            "",
            "http://127.0.0.1:4566/b1/",
        ),
        (
            Some("https://minio.local:443/base/"),
            "us-east-1",
            None,
            "b1",
            "k",
            "https://minio.local/base/b1/k",
        ),
        (
            Some("http://localhost:9000"),
            "us-east-1",
            Some(VirtualHosted),
            "b1x",
            "k",
            "http://b1x.localhost:9000/k",
        ),
        (
            Some("HTTP://[::1]:9000"),
            "us-east-1",
            None,
            "b1",
            "k",
            "http://[::1]:9000/b1/k",
        ),
    ];
    for (url, region, style, bucket, key, want) in cases {
        let got = resolve(*url, region, *style, bucket)
            .unwrap_or_else(|e| panic!("{url:?} {bucket}: {e}"));
        assert_eq!(got.url(key, ""), *want, "{url:?} {bucket} {key}");
    }
}

#[test]
fn aws_switches_table() {
    // (region, dual_stack, fips, accelerate, bucket) -> url of key "k"
    let cases: &[(&str, bool, bool, bool, &str, &str)] = &[
        (
            "eu-west-1",
            true,
            false,
            false,
            "photos",
            "https://photos.s3.dualstack.eu-west-1.amazonaws.com/k",
        ),
        (
            "us-east-1",
            false,
            true,
            false,
            "photos",
            "https://photos.s3-fips.us-east-1.amazonaws.com/k",
        ),
        (
            "us-east-1",
            true,
            true,
            false,
            "photos",
            "https://photos.s3-fips.dualstack.us-east-1.amazonaws.com/k",
        ),
        (
            "us-east-1",
            false,
            false,
            true,
            "photos",
            "https://photos.s3-accelerate.amazonaws.com/k",
        ),
        (
            "us-east-1",
            true,
            false,
            true,
            "photos",
            "https://photos.s3-accelerate.dualstack.amazonaws.com/k",
        ),
        (
            "cn-north-1",
            true,
            false,
            false,
            "photos",
            "https://photos.s3.dualstack.cn-north-1.amazonaws.com.cn/k",
        ),
        (
            "eu-west-1",
            true,
            false,
            false,
            "a.b.c",
            "https://s3.dualstack.eu-west-1.amazonaws.com/a.b.c/k",
        ),
        (
            "us-west-2",
            false,
            false,
            false,
            "logs--usw2-az1--x-s3",
            "https://logs--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com/k",
        ),
        (
            "us-west-2",
            false,
            true,
            false,
            "logs--usw2-az1--x-s3",
            "https://logs--usw2-az1--x-s3.s3express-fips-usw2-az1.us-west-2.amazonaws.com/k",
        ),
    ];
    for (region, dual, fips, accel, bucket, want) in cases {
        let mut e = Endpoint::aws(*region);
        e.dual_stack = *dual;
        e.fips = *fips;
        e.accelerate = *accel;
        let b = e
            .resolve(bucket)
            .unwrap_or_else(|err| panic!("{bucket}: {err}"));
        assert_eq!(b.url("k", ""), *want);
        assert_eq!(b.is_express(), bucket.ends_with("--x-s3"));
    }
}

#[test]
fn impossible_switch_combinations_are_invalid_config() {
    let mut custom = Endpoint::custom("https://minio.local", "us-east-1");
    custom.dual_stack = true;
    let mut accel_fips = Endpoint::aws("us-east-1");
    accel_fips.accelerate = true;
    accel_fips.fips = true;
    let mut accel_dotted = Endpoint::aws("us-east-1");
    accel_dotted.accelerate = true;
    let mut express_path = Endpoint::aws("us-west-2");
    express_path.style = Some(AddressingStyle::Path);
    let cases = [
        (custom, "photos", "use_dualstack_endpoint"),
        (accel_fips, "photos", "use_fips_endpoint"),
        (accel_dotted, "a.b.c", "bucket"),
        (
            express_path,
            "logs--usw2-az1--x-s3",
            "virtual_hosted_style_request",
        ),
    ];
    for (endpoint, bucket, key) in cases {
        let e = endpoint.resolve(bucket).expect_err(key);
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(e.to_string().contains(key), "{e}");
    }
}

#[test]
fn wrong_region_hint_reads_header_then_body() {
    use http::{HeaderMap, StatusCode};
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-amz-bucket-region",
        http::HeaderValue::from_static("eu-west-1"),
    );
    let body = crate::xml::parse_error(
        b"<Error><Code>AuthorizationHeaderMalformed</Code><Region>ap-south-1</Region></Error>",
    );
    let hint = |status: u16, headers: &HeaderMap| {
        wrong_region_hint(
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            headers,
            body.as_ref(),
        )
    };
    assert!(hint(301, &headers).is_some_and(|h| h.contains("eu-west-1")));
    assert!(hint(400, &HeaderMap::new()).is_some_and(|h| h.contains("ap-south-1")));
    assert_eq!(
        wrong_region_hint(StatusCode::NOT_FOUND, &headers, None),
        None
    );
    assert_eq!(
        wrong_region_hint(StatusCode::MOVED_PERMANENTLY, &HeaderMap::new(), None),
        None
    );
}

#[test]
fn host_header_omits_default_port_and_keeps_others() {
    let b = resolve(Some("https://example.com:443"), "us-east-1", None, "bkt")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(b.host(), "example.com");
    let b = resolve(Some("http://example.com:8080"), "us-east-1", None, "bkt")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(b.host(), "example.com:8080");
}

#[test]
fn http_endpoint_without_allow_http_is_invalid_config() {
    let e = Endpoint::custom("http://127.0.0.1:9000", "us-east-1")
        .resolve("b1")
        .expect_err("http must be refused");
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert!(e.to_string().contains("http://127.0.0.1:9000"), "{e}");
    assert!(e.to_string().contains("allow_http"), "{e}");
}

#[test]
fn bad_endpoints_are_invalid_config_naming_the_value() {
    for bad in [
        "127.0.0.1:9000",
        "ftp://x",
        "http://",
        "http://h:99999",
        "http://h?x=1",
        "http://us er@h",
        "http://a b",
    ] {
        let e = resolve(Some(bad), "us-east-1", None, "b1").expect_err(bad);
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{bad}");
        assert!(e.to_string().contains(bad), "{e}");
    }
}

#[test]
fn bad_bucket_names_are_rejected() {
    for bad in ["", "a/b", "a b", "a\nb"] {
        let e = resolve(None, "us-east-1", None, bad).expect_err(bad);
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    }
    let e = resolve(
        None,
        "us-east-1",
        Some(AddressingStyle::VirtualHosted),
        "Bad_Name",
    )
    .expect_err("not dns safe");
    assert!(e.to_string().contains("Bad_Name"), "{e}");
}

#[test]
fn bad_region_is_rejected_for_aws() {
    let e = resolve(None, "US East", None, "b1").expect_err("bad region");
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert!(e.to_string().contains("US East"), "{e}");
}

#[test]
fn dns_safety() {
    for ok in ["abc", "a.b.c", "my-bucket-1", "123"] {
        assert!(is_dns_safe(ok), "{ok}");
    }
    for bad in [
        "ab",
        "-ab",
        "ab-",
        "a..b",
        "a.-b",
        "A-b",
        "a_b",
        "192.168.1.1",
        &"a".repeat(64),
    ] {
        assert!(!is_dns_safe(bad), "{bad}");
    }
}
