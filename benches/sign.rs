//! SigV4 signing cost: s3lite against the `aws-sigv4` crate doing the same
//! work (S3 settings, same request, same output: a signature).
//!
//! `cargo bench --bench sign` (add `-- --quick` for a fast look). Each group
//! has an `s3lite` and an `aws-sigv4` function so the report shows the ratio.

#![allow(missing_docs)] // criterion's macros generate undocumented items
#![allow(clippy::unwrap_used)] // benchmark setup: a panic is a broken benchmark

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest as AwsRequest,
    SignatureLocation, SigningSettings, UriPathNormalizationMode, sign as aws_sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use criterion::{Criterion, criterion_group, criterion_main};
use s3lite::sign::{
    PayloadHash, SecretKey, SignableRequest, SigningParams, UriEncoding, encode_key_path, presign,
    sign_request,
};
use time::OffsetDateTime;

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const HOST: &str = "examplebucket.s3.eu-west-1.amazonaws.com";
const UNIX_TIME: u64 = 1_369_353_600;
const BODY_SHA256: &str = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";

fn s3lite_params(secret: &SecretKey, payload: PayloadHash) -> SigningParams<'_> {
    SigningParams {
        access_key_id: AKID,
        secret_key: secret,
        session_token: None,
        region: "eu-west-1",
        service: "s3",
        time: OffsetDateTime::from_unix_timestamp(UNIX_TIME as i64).unwrap(),
        uri_encoding: UriEncoding::S3,
        payload,
        add_content_sha256_header: true,
        sign_session_token: true,
    }
}

fn aws_settings(presign_for: Option<Duration>) -> SigningSettings {
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    if let Some(expires) = presign_for {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires);
    }
    settings
}

/// aws-sigv4's whole path for one request: params, request, sign.
fn aws_signature(
    identity: &Identity,
    presign_for: Option<Duration>,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: SignableBody<'_>,
) -> String {
    let params = v4::SigningParams::builder()
        .identity(identity)
        .region("eu-west-1")
        .name("s3")
        .time(UNIX_EPOCH + Duration::from_secs(UNIX_TIME))
        .settings(aws_settings(presign_for))
        .build()
        .unwrap()
        .into();
    let uri = format!("https://{HOST}{path_and_query}");
    let req = AwsRequest::new(method, uri, headers.iter().copied(), body).unwrap();
    aws_sign(req, &params).unwrap().signature().to_owned()
}

fn identity() -> Identity {
    Credentials::new(AKID, SECRET, None, None, "bench").into()
}

fn get_object(c: &mut Criterion) {
    let mut group = c.benchmark_group("get_object");
    let headers = [("host", HOST)];
    let secret = SecretKey::new(SECRET);
    group.bench_function("s3lite", |b| {
        b.iter(|| {
            let req = SignableRequest {
                method: "GET",
                path: "/photos/2024/cat.jpg",
                query: "",
                headers: black_box(&headers),
            };
            sign_request(&req, &s3lite_params(&secret, PayloadHash::Empty)).unwrap()
        })
    });
    let identity = identity();
    group.bench_function("aws-sigv4", |b| {
        b.iter(|| {
            let body = SignableBody::Bytes(b"");
            let path = "/photos/2024/cat.jpg";
            aws_signature(&identity, None, "GET", path, black_box(&headers), body)
        })
    });
    group.finish();
}

const PUT_HEADERS: [(&str, &str); 10] = [
    ("host", HOST),
    ("content-type", "image/jpeg"),
    ("content-length", "524288"),
    ("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg=="),
    ("cache-control", "max-age=3600"),
    ("x-amz-storage-class", "STANDARD_IA"),
    ("x-amz-meta-owner", "  Jane   Doe "),
    ("x-amz-meta-source", "camera"),
    ("x-amz-server-side-encryption", "AES256"),
    ("x-amz-tagging", "project=alpha&team=core"),
];

fn put_object_10_headers(c: &mut Criterion) {
    let mut group = c.benchmark_group("put_object_10_headers");
    let secret = SecretKey::new(SECRET);
    group.bench_function("s3lite", |b| {
        b.iter(|| {
            let req = SignableRequest {
                method: "PUT",
                path: "/photos/2024/cat.jpg",
                query: "",
                headers: black_box(&PUT_HEADERS),
            };
            let payload = PayloadHash::Hex(BODY_SHA256.to_owned());
            sign_request(&req, &s3lite_params(&secret, payload)).unwrap()
        })
    });
    let identity = identity();
    group.bench_function("aws-sigv4", |b| {
        b.iter(|| {
            let body = SignableBody::Precomputed(BODY_SHA256.to_owned());
            let path = "/photos/2024/cat.jpg";
            aws_signature(&identity, None, "PUT", path, black_box(&PUT_HEADERS), body)
        })
    });
    group.finish();
}

fn presign_get(c: &mut Criterion) {
    let mut group = c.benchmark_group("presign_get");
    let headers = [("host", HOST)];
    let expires = Duration::from_secs(3600);
    let secret = SecretKey::new(SECRET);
    group.bench_function("s3lite", |b| {
        b.iter(|| {
            let req = SignableRequest {
                method: "GET",
                path: "/photos/2024/cat.jpg",
                query: "response-content-type=image%2Fjpeg",
                headers: black_box(&headers),
            };
            presign(
                &req,
                &s3lite_params(&secret, PayloadHash::Unsigned),
                expires,
            )
            .unwrap()
        })
    });
    let identity = identity();
    group.bench_function("aws-sigv4", |b| {
        b.iter(|| {
            let path = "/photos/2024/cat.jpg?response-content-type=image%2Fjpeg";
            let body = SignableBody::UnsignedPayload;
            aws_signature(
                &identity,
                Some(expires),
                "GET",
                path,
                black_box(&headers),
                body,
            )
        })
    });
    group.finish();
}

/// A 1,024-byte key of mixed ASCII, accents, CJK and emoji.
fn unicode_key() -> String {
    let pieces = ["photos/", "été ", "中文", "😀", "a+b=c&d", "~_-.", "résumé"];
    let mut key = String::new();
    for piece in pieces.iter().cycle() {
        if key.len() + piece.len() > 1024 {
            break;
        }
        key.push_str(piece);
    }
    while key.len() < 1024 {
        key.push('x');
    }
    key
}

fn unicode_key_1024(c: &mut Criterion) {
    let mut group = c.benchmark_group("unicode_key_1024");
    let key = unicode_key();
    assert_eq!(key.len(), 1024);
    let headers = [("host", HOST)];
    let secret = SecretKey::new(SECRET);
    group.bench_function("s3lite/encode_key_path", |b| {
        b.iter(|| encode_key_path(black_box(&key)))
    });
    // aws-sigv4 has no key encoder: both get the path from encode_key_path,
    // then canonicalise and sign it (the canonical-URI work under test).
    group.bench_function("s3lite", |b| {
        b.iter(|| {
            let path = format!("/{}", encode_key_path(black_box(&key)));
            let req = SignableRequest {
                method: "GET",
                path: &path,
                query: "",
                headers: &headers,
            };
            sign_request(&req, &s3lite_params(&secret, PayloadHash::Empty)).unwrap()
        })
    });
    let identity = identity();
    group.bench_function("aws-sigv4", |b| {
        b.iter(|| {
            let path = format!("/{}", encode_key_path(black_box(&key)));
            let body = SignableBody::Bytes(b"");
            aws_signature(&identity, None, "GET", &path, &headers, body)
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    get_object,
    put_object_10_headers,
    presign_get,
    unicode_key_1024
);
criterion_main!(benches);
