//! Property test: s3lite signs random S3 requests exactly like the `aws-sigv4`
//! crate (settings for S3: single percent-encoding, no path normalisation,
//! `x-amz-content-sha256` header, session token signed).
//!
//! A seeded loop with a small PRNG rather than proptest, so a failure prints
//! the case number and the seed reproduces it exactly.
//!
//! Where aws-sigv4 and s3lite are known to differ, the difference is modelled
//! here, not filtered out:
//! - Leading/trailing tabs in a header value: s3lite trims them, aws-sigv4
//!   trims only spaces. A tab at either end is HTTP optional whitespace
//!   (RFC 9110 section 5.5): the server strips it before it computes the
//!   signature, and aws-c-auth (the implementation behind the AWS test suite)
//!   trims all whitespace there too. So aws-sigv4 gets the value as the server
//!   sees it: with leading/trailing spaces and tabs removed. Inner tabs are
//!   passed to both unchanged (both keep them).
//! - A raw `+` in the query: aws-sigv4 reads it as a space (form encoding),
//!   aws-c-auth and s3lite as a literal `+`. s3lite's store never puts a raw
//!   `+` on the wire (it encodes with `uri_encode`, `+` -> `%2B`), so the
//!   generated queries do the same; `raw_plus_in_query_is_a_literal_plus`
//!   pins s3lite's reading.

#![allow(clippy::unwrap_used)] // test code: a panic here is a failed test with a message

use std::time::{Duration, Instant, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SessionTokenMode, SignableBody,
    SignableRequest as AwsRequest, SignatureLocation, SigningSettings, UriPathNormalizationMode,
    sign as aws_sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use s3lite::sign::{
    PayloadHash, SecretKey, SignableRequest, SigningParams, UriEncoding, encode_key_path, presign,
    sign_request, uri_encode,
};
use time::OffsetDateTime;

/// Random requests compared per run.
const CASES: usize = 10_000;
const SEED: u64 = 0x5167_5634_0000_0001;

/// SplitMix64: tiny, seedable, good enough to pick inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// Pieces of object keys and query strings: the full punctuation range,
/// spaces, non-ASCII, emoji, `/` runs and dot segments.
const KEY_PIECES: &[&str] = &[
    "a", "Z", "0", "9", "photo", "-", "_", ".", "..", "~", " ", "  ", "+", "%", "%20", "=", "&",
    ":", "@", ",", ";", "$", "!", "*", "'", "(", ")", "[", "]", "{", "}", "#", "?", "\"", "<", ">",
    "\\", "^", "`", "|", "é", "中文", "😀", "ß", "\u{7f}", "\u{1}", "/", "//", "///", "./", "../",
];

const QUERY_NAMES: &[&str] = &[
    "uploads",
    "uploadId",
    "partNumber",
    "prefix",
    "delimiter",
    "max-keys",
    "list-type",
    "continuation-token",
    "versionId",
    "response-content-type",
    "x-id",
    "a b",
    "k&v",
    "é",
    "weird=name",
    "",
];

const HEADER_NAMES: &[&str] = &[
    "Content-Type",
    "content-type",
    "Range",
    "x-amz-meta-Name",
    "X-Amz-Meta-name",
    "x-amz-storage-class",
    "If-None-Match",
    "content-md5",
    "x-amz-meta-unicode-free",
    "Cache-Control",
    "User-Agent",
    "x-amz-checksum-crc32c",
    "x-custom!#$%&'*+.^_`|~",
];

const VALUE_PIECES: &[&str] = &[
    "text/plain",
    "bytes=0-9",
    "a",
    "b",
    " ",
    "  ",
    "   ",
    "\t",
    " \t ",
    "é",
    "中文",
    "😀",
    "=",
    ",",
    ";",
    "\"quoted   value\"",
    "*",
    "STANDARD",
    "x",
];

fn random_string(rng: &mut Rng, pieces: &[&str], max_pieces: usize) -> String {
    (0..rng.below(max_pieces + 1))
        .map(|_| rng.pick(pieces))
        .collect()
}

/// One generated request, owned.
struct Case {
    method: &'static str,
    host: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    payload: PayloadHash,
    token: Option<String>,
    region: &'static str,
    unix_time: u64,
    presign_secs: Option<u64>,
}

fn generate(rng: &mut Rng) -> Case {
    let method = rng.pick(&["GET", "PUT", "POST", "DELETE", "HEAD"]);
    let virtual_host = rng.chance(50);
    let host = if virtual_host {
        "my-bucket.s3.eu-west-1.amazonaws.com".to_owned()
    } else if rng.chance(50) {
        "s3.eu-west-1.amazonaws.com".to_owned()
    } else {
        "localhost:9000".to_owned()
    };
    let key = random_string(rng, KEY_PIECES, 12);
    let path = if virtual_host {
        format!("/{}", encode_key_path(&key))
    } else {
        format!("/my-bucket/{}", encode_key_path(&key))
    };
    let mut params = Vec::new();
    for _ in 0..rng.below(5) {
        let name = if rng.chance(70) {
            rng.pick(QUERY_NAMES).to_owned()
        } else {
            random_string(rng, KEY_PIECES, 4)
        };
        let mut pair = uri_encode(&name, true);
        if !rng.chance(15) {
            pair.push('=');
            pair.push_str(&uri_encode(&random_string(rng, KEY_PIECES, 5), true));
        }
        if rng.chance(10) {
            pair = pair.to_lowercase(); // lower-case escapes are valid on the wire
        }
        params.push(pair);
    }
    let mut headers = vec![("host".to_owned(), host.clone())];
    for _ in 0..rng.below(6) {
        let name = rng.pick(HEADER_NAMES).to_owned();
        headers.push((name, random_string(rng, VALUE_PIECES, 6)));
        if rng.chance(15) {
            // The same header again: values are joined with ',' in order.
            let again = headers.last().unwrap().0.to_uppercase();
            headers.push((again, random_string(rng, VALUE_PIECES, 4)));
        }
    }
    let presign_secs = rng.chance(25).then(|| 1 + rng.below(604_800) as u64);
    let payload = match (presign_secs, rng.below(3)) {
        (Some(_), _) | (None, 0) => PayloadHash::Unsigned,
        (None, 1) => PayloadHash::Empty,
        _ => PayloadHash::Hex((0..4).map(|_| format!("{:016x}", rng.next())).collect()),
    };
    let token = rng.chance(30).then(|| {
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
        (0..16 + rng.below(300))
            .map(|_| alphabet.as_bytes()[rng.below(65)] as char)
            .collect()
    });
    Case {
        method,
        host,
        path,
        query: params.join("&"),
        headers,
        payload,
        token,
        region: rng.pick(&["us-east-1", "eu-west-1", "ap-southeast-2", "auto"]),
        // 2001-09-09 .. ~2033
        unix_time: 1_000_000_000 + rng.next() % 1_000_000_000,
        presign_secs,
    }
}

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn sign_with_s3lite(case: &Case, secret: &SecretKey) -> String {
    let headers: Vec<(&str, &str)> = case
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let req = SignableRequest {
        method: case.method,
        path: &case.path,
        query: &case.query,
        headers: &headers,
    };
    let params = SigningParams {
        access_key_id: AKID,
        secret_key: secret,
        session_token: case.token.as_deref(),
        region: case.region,
        service: "s3",
        time: OffsetDateTime::from_unix_timestamp(case.unix_time as i64).unwrap(),
        uri_encoding: UriEncoding::S3,
        payload: case.payload.clone(),
        add_content_sha256_header: true,
        sign_session_token: true,
    };
    match case.presign_secs {
        Some(secs) => {
            presign(&req, &params, Duration::from_secs(secs))
                .unwrap()
                .signature
        }
        None => sign_request(&req, &params).unwrap().signature,
    }
}

fn sign_with_aws_sigv4(case: &Case) -> String {
    let identity: Identity =
        Credentials::new(AKID, SECRET, case.token.clone(), None, "oracle").into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    settings.session_token_mode = SessionTokenMode::Include;
    if let Some(secs) = case.presign_secs {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(secs));
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(case.region)
        .name("s3")
        .time(UNIX_EPOCH + Duration::from_secs(case.unix_time))
        .settings(settings)
        .build()
        .unwrap()
        .into();
    // The values as the server receives them: HTTP strips optional
    // whitespace (spaces and tabs) at both ends. See the module docs.
    let headers = case
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.trim_matches([' ', '\t'])));
    let mut uri = format!("https://{}{}", case.host, case.path);
    if !case.query.is_empty() {
        uri.push('?');
        uri.push_str(&case.query);
    }
    let body = match &case.payload {
        PayloadHash::Unsigned => SignableBody::UnsignedPayload,
        PayloadHash::Empty => SignableBody::Bytes(b""),
        other => SignableBody::Precomputed(other.as_str().to_owned()),
    };
    let req = AwsRequest::new(case.method, uri, headers, body).unwrap();
    aws_sign(req, &params).unwrap().signature().to_owned()
}

#[test]
fn random_s3_requests_sign_like_aws_sigv4() {
    let started = Instant::now();
    let mut rng = Rng(SEED);
    let secret = SecretKey::new(SECRET);
    let mut presigned = 0;
    for i in 0..CASES {
        let case = generate(&mut rng);
        let ours = sign_with_s3lite(&case, &secret);
        let theirs = sign_with_aws_sigv4(&case);
        assert_eq!(
            ours,
            theirs,
            "case {i} (seed {SEED:#x}): {} {}?{} headers {:?} payload {:?} token {} presign {:?}",
            case.method,
            case.path,
            case.query,
            case.headers,
            case.payload,
            case.token.is_some(),
            case.presign_secs
        );
        presigned += usize::from(case.presign_secs.is_some());
    }
    // Both modes were exercised.
    assert!(
        presigned > CASES / 10 && presigned < CASES / 2,
        "{presigned} presigned"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn raw_plus_in_query_is_a_literal_plus() {
    // aws-c-auth and S3's UriEncode rules: '+' is not a space. aws-sigv4
    // form-decodes it to a space. Pin both readings so a change shows up.
    let secret = SecretKey::new(SECRET);
    let mut case = generate(&mut Rng(1));
    case.presign_secs = None;
    case.headers.truncate(1);
    let ours = |case: &mut Case, q: &str| {
        case.query = q.into();
        sign_with_s3lite(case, &secret)
    };
    let theirs = |case: &mut Case, q: &str| {
        case.query = q.into();
        sign_with_aws_sigv4(case)
    };
    assert_eq!(
        ours(&mut case, "prefix=a+b"),
        ours(&mut case, "prefix=a%2Bb")
    );
    assert_eq!(
        ours(&mut case, "prefix=a%2Bb"),
        theirs(&mut case, "prefix=a%2Bb")
    );
    assert_eq!(
        ours(&mut case, "prefix=a%20b"),
        theirs(&mut case, "prefix=a+b")
    );
}
