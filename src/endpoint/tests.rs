//! Table tests of endpoint resolution.

use super::*;
use crate::ErrorKind;

fn resolve(
    url: Option<&str>,
    region: &str,
    style: Option<AddressingStyle>,
    bucket: &str,
) -> Result<BucketEndpoint> {
    let mut e = Endpoint::aws(region);
    e.url = url.map(str::to_string);
    e.style = style;
    e.allow_http = true;
    e.resolve(bucket)
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
    for bad in ["", "a/b", "a\nb", "a\u{7f}b", ".", "..", &"a".repeat(256)] {
        let e = resolve(None, "us-east-1", None, bad).expect_err(bad);
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(e.to_string().contains("bucket"), "{e}");
    }
}

/// Regression: `example.com#` resolved to `.../example.com#`, making the
/// rest a fragment; `?`, `%`, spaces and `@` changed the URL likewise.
#[test]
fn path_style_names_are_percent_encoded_and_keep_the_url_structure() {
    let names = [
        ("example.com#", "example.com%23"),
        ("a?list-type=2", "a%3Flist-type%3D2"),
        ("100%", "100%25"),
        ("my bucket", "my%20bucket"),
        ("a..b", "a..b"),
        ("user@evil.com:80", "user%40evil.com%3A80"),
        ("bucket!", "bucket%21"),
        ("é", "%C3%A9"),
    ];
    for (endpoint, host) in [
        (None, "s3.us-east-1.amazonaws.com"),
        (Some("http://127.0.0.1:9000/base"), "127.0.0.1:9000"),
    ] {
        for (name, encoded) in names {
            let b = resolve(endpoint, "us-east-1", Some(AddressingStyle::Path), name)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let base = if endpoint.is_some() { "/base" } else { "" };
            assert_eq!(b.host(), host, "{name}");
            assert_eq!(b.bucket_path(), format!("{base}/{encoded}"), "{name}");
            let url = b.url("k", "");
            assert_eq!(
                url,
                format!("{}://{host}{base}/{encoded}/k", b.scheme()),
                "{name}"
            );
            assert!(!url.contains(['#', '?', ' ', '@']), "{url}");
        }
    }
}

#[test]
fn virtual_hosted_style_follows_aws_rule_for_names_that_are_not_host_labels() {
    use AddressingStyle::{Path, VirtualHosted};
    // (endpoint, bucket) -> bucket URL, with style = VirtualHosted
    let cases = [
        (
            None,
            "Bad_Name",
            "https://s3.us-east-1.amazonaws.com/Bad_Name",
        ),
        (None, "a.b.c", "https://s3.us-east-1.amazonaws.com/a.b.c"),
        (
            Some("http://example.com"),
            "a.b.c",
            "http://a.b.c.example.com",
        ),
        (
            Some("https://example.com"),
            "a.b.c",
            "https://example.com/a.b.c",
        ),
        (
            Some("http://10.0.0.1:9000"),
            "bucket",
            "http://10.0.0.1:9000/bucket",
        ),
        (
            Some("http://10.0.0.1:9000"),
            "a.b.c",
            "http://10.0.0.1:9000/a.b.c",
        ),
        (
            Some("http://[::1]:9000"),
            "bucket",
            "http://[::1]:9000/bucket",
        ),
        (
            Some("https://example.com/base"),
            "bucket",
            "https://bucket.example.com/base",
        ),
        // obstore's form: the endpoint already names the bucket's host.
        (
            Some("https://bucket.minio.example.com"),
            "bucket",
            "https://bucket.minio.example.com",
        ),
        (
            Some("http://Bucket.s3.localhost.localstack.cloud:4566"),
            "bucket",
            "http://bucket.s3.localhost.localstack.cloud:4566",
        ),
        (
            Some("http://a.b.c.example.com"),
            "a.b.c",
            "http://a.b.c.example.com",
        ),
        // A host that only starts with the name is not the bucket's.
        (
            Some("https://bucketful.example.com"),
            "bucket",
            "https://bucket.bucketful.example.com",
        ),
    ];
    for (endpoint, bucket, want) in cases {
        let b = resolve(endpoint, "us-east-1", Some(VirtualHosted), bucket)
            .unwrap_or_else(|e| panic!("{bucket}: {e}"));
        assert_eq!(b.endpoint_url(), want, "{endpoint:?} {bucket}");
    }
    // Path style stays the default on custom endpoints.
    let b = resolve(Some("https://example.com"), "us-east-1", None, "bucket")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (b.endpoint_url().as_str(), b.style()),
        ("https://example.com/bucket", Path)
    );
}

#[test]
fn signing_name_and_region_come_from_the_resolution() {
    // (region, url, bucket) -> (host, signing name, signing region, express)
    let cases = [
        (
            "aws-global",
            None,
            "photos",
            "photos.s3.amazonaws.com",
            "s3",
            "us-east-1",
            false,
        ),
        (
            "us-west-2",
            None,
            "logs--usw2-az1--x-s3",
            "logs--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com",
            "s3express",
            "us-west-2",
            true,
        ),
        (
            "us-east-1",
            None,
            "arn:aws:s3:eu-west-1:123456789012:accesspoint/reports",
            "reports-123456789012.s3-accesspoint.eu-west-1.amazonaws.com",
            "s3",
            "eu-west-1",
            false,
        ),
        (
            "us-west-2",
            Some("https://vpce.example.com"),
            "logs--usw2-az1--x-s3",
            "logs--usw2-az1--x-s3.vpce.example.com",
            "s3express",
            "us-west-2",
            true,
        ),
    ];
    for (region, url, bucket, host, name, signing_region, express) in cases {
        let b = resolve(url, region, None, bucket).unwrap_or_else(|e| panic!("{bucket}: {e}"));
        assert_eq!(
            (
                b.host(),
                b.signing_name(),
                b.signing_region(),
                b.is_express()
            ),
            (host, name, signing_region, express),
            "{bucket}"
        );
    }
}

#[test]
fn legacy_global_endpoint_applies_to_us_east_1_only() {
    for (region, want) in [
        ("us-east-1", "https://photos.s3.amazonaws.com"),
        ("us-west-2", "https://photos.s3.us-west-2.amazonaws.com"),
    ] {
        let mut e = Endpoint::aws(region);
        e.use_global_endpoint = true;
        let b = e.resolve("photos").unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(b.endpoint_url(), want);
        assert_eq!(b.signing_region(), region);
    }
}

#[test]
fn express_access_points_and_dual_stack_use_zonal_hosts() {
    let mut e = Endpoint::aws("us-west-2");
    e.dual_stack = true;
    e.fips = true;
    let b = e
        .resolve("ap--usw2-az12--xa-s3")
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(
        b.endpoint_url(),
        "https://ap--usw2-az12--xa-s3.s3express-fips-usw2-az12.dualstack.us-west-2.amazonaws.com"
    );
    assert!(b.is_express());
    for bad in ["mybucket--usaz1--x-s3", "my.bucket--usw2-az1--x-s3"] {
        let err = Endpoint::aws("us-west-2").resolve(bad).expect_err(bad);
        assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{err}");
        assert!(err.to_string().contains("S3Express"), "{err}");
    }
}

#[test]
fn unsupported_features_are_refused_by_name_never_given_a_host() {
    let cases = [
        (
            "arn:aws:s3::123456789012:accesspoint:mfzwi23gnjvgw.mrap",
            "Multi-Region Access Points",
        ),
        (
            "arn:aws:s3-outposts:us-east-1:123456789012:outpost/op-01234567890123456/accesspoint/reports",
            "Outposts",
        ),
        (
            "test-accessp-o0b1d075431d83bebde8xz5w8ijx1qzlbp3i3kuse10--op-s3",
            "Outposts bucket aliases",
        ),
        (
            "arn:aws:s3-object-lambda:us-east-1:123456789012:accesspoint/mybanner",
            "Object Lambda",
        ),
    ];
    for (bucket, feature) in cases {
        let err = Endpoint::aws("us-east-1")
            .resolve(bucket)
            .expect_err(bucket);
        assert_eq!(err.kind(), ErrorKind::NotImplemented, "{err}");
        assert!(err.to_string().contains(feature), "{err}");
    }
    let mut e = Endpoint::aws("us-east-1");
    e.disable_multi_region_access_points = true;
    let err = e.resolve(cases[0].0).expect_err("disabled");
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(
        err.to_string()
            .contains("disable_multi_region_access_points"),
        "{err}"
    );
}

#[test]
fn aws_refusals_name_the_key_and_carry_aws_message() {
    let mut fips_cn = Endpoint::aws("cn-north-1");
    fips_cn.fips = true;
    let mut accel_cn = Endpoint::aws("cn-north-1");
    accel_cn.accelerate = true;
    let mut bad_region = Endpoint::custom("http://foo.com", "us-east-2!");
    bad_region.allow_http = true;
    bad_region.style = Some(AddressingStyle::VirtualHosted);
    let mut arn_region = Endpoint::aws("us-west-2");
    arn_region.use_arn_region = false;
    let cases = [
        (
            fips_cn,
            "photos",
            "use_fips_endpoint",
            "Partition does not support FIPS",
        ),
        (
            accel_cn,
            "photos",
            "use_accelerate_endpoint",
            "S3 Accelerate cannot be used in this region",
        ),
        (
            bad_region,
            "photos",
            "region",
            "Invalid region: region was not a valid DNS name.",
        ),
        (
            arn_region,
            "arn:aws:s3:us-east-1:123456789012:accesspoint/reports",
            "use_arn_region",
            "does not match client region `us-west-2` and UseArnRegion is `false`",
        ),
        (
            Endpoint::aws("us-west-2"),
            "arn:aws-cn:s3:cn-north-1:123456789012:accesspoint/reports",
            "bucket",
            "Client was configured for partition `aws` but ARN",
        ),
    ];
    for (endpoint, bucket, key, message) in cases {
        let err = endpoint.resolve(bucket).expect_err(message);
        assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{err}");
        assert!(err.to_string().contains(&format!(": {key} = ")), "{err}");
        assert!(err.to_string().contains(message), "{err}");
    }
}

proptest::proptest! {
    /// Any bucket, region and endpoint text gives a result or a typed
    /// error, never a panic; every path-style result keeps one segment.
    #[test]
    fn resolution_never_panics(
        bucket in "\\PC{0,70}",
        region in "[a-z0-9!. _-]{0,20}",
        url in proptest::option::of("(https?://)?[a-z0-9.:\\[\\]@/%?#-]{0,30}"),
        flags in 0u8..64,
    ) {
        let mut e = Endpoint::aws(region);
        e.url = url;
        e.allow_http = true;
        e.fips = flags & 1 != 0;
        e.dual_stack = flags & 2 != 0;
        e.accelerate = flags & 4 != 0;
        e.use_global_endpoint = flags & 8 != 0;
        e.style = match flags >> 4 {
            1 => Some(AddressingStyle::Path),
            2 => Some(AddressingStyle::VirtualHosted),
            _ => None,
        };
        if let Ok(b) = e.resolve(&bucket) {
            let url = b.url("k", "");
            proptest::prop_assert!(!url.contains(['#', '?', ' ']), "{}", url);
            proptest::prop_assert!(!b.host().contains(['/', '@', '#', '?']), "{}", b.host());
        }
    }
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

#[test]
fn service_endpoint_drops_the_bucket() {
    let aws = Endpoint::aws("eu-west-1")
        .resolve("photos")
        .expect("resolves");
    let service = aws.service_endpoint("photos").expect("a service root");
    assert_eq!(service.host(), "s3.eu-west-1.amazonaws.com");
    assert_eq!(service.bucket_path(), "/");
    let mut custom = Endpoint::custom("http://127.0.0.1:4566/base", "us-east-1");
    custom.allow_http = true;
    let b = custom.resolve("my bucket").expect("resolves");
    let service = b.service_endpoint("my bucket").expect("a service root");
    assert_eq!(
        service.url_for_path(&service.bucket_path(), ""),
        "http://127.0.0.1:4566/base"
    );
    let express = Endpoint::aws("us-west-2")
        .resolve("mybucket--usw2-az1--x-s3")
        .expect("resolves");
    assert!(
        express
            .service_endpoint("mybucket--usw2-az1--x-s3")
            .is_none()
    );
}
