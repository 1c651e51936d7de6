//! Presigning arbitrary requests, then reading the query back: every
//! parameter the presigner set parses out of the query form (credential
//! scope, date, expiry, signed headers, token, signature last), and the
//! caller's own parameters are still there.
#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use s3lite::ErrorKind;
use s3lite::config::percent_decode;
use s3lite::sign::{
    PayloadHash, SecretKey, SignableRequest, SigningParams, UriEncoding, format_amz_date, presign,
};
use time::OffsetDateTime;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    token: Option<&'a str>,
    region: &'a str,
    time: i64,
    expires: u32,
}

fuzz_target!(|input: Input<'_>| {
    let Ok(time) = OffsetDateTime::from_unix_timestamp(input.time % 253_402_300_799) else {
        return;
    };
    let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    let params = SigningParams {
        access_key_id: "AKIDEXAMPLE",
        secret_key: &secret,
        session_token: input.token,
        region: input.region,
        service: "s3",
        time,
        uri_encoding: UriEncoding::S3,
        payload: PayloadHash::Unsigned,
        add_content_sha256_header: false,
        sign_session_token: true,
    };
    let mut headers = input.headers.clone();
    headers.push(("host", "bucket.s3.amazonaws.com"));
    let req = SignableRequest {
        method: input.method,
        path: input.path,
        query: input.query,
        headers: &headers,
    };
    let expires = Duration::from_secs(u64::from(input.expires % 700_000));
    let presigned = match presign(&req, &params, expires) {
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
            return;
        }
        Ok(p) => p,
    };
    // The caller's parameters lead the query, as they were; the
    // presigner's follow.
    let ours = match presigned.query.strip_prefix(input.query) {
        Some(rest) if input.query.is_empty() => rest,
        Some(rest) => rest
            .strip_prefix('&')
            .unwrap_or_else(|| panic!("no '&' after the caller's query: {}", presigned.query)),
        None => panic!("the caller's query was changed: {}", presigned.query),
    };
    let pairs: Vec<(String, String)> = ours
        .split('&')
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let k = percent_decode(k).unwrap_or_else(|| panic!("name {k:?} does not decode"));
            let v = percent_decode(v).unwrap_or_else(|| panic!("value {v:?} does not decode"));
            (k, v)
        })
        .collect();
    let get = |name: &str| {
        let found: Vec<&str> = pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(found.len(), 1, "{name} in {}", presigned.query);
        found[0].to_string()
    };
    let date = format_amz_date(time);
    assert_eq!(get("X-Amz-Algorithm"), "AWS4-HMAC-SHA256");
    assert_eq!(
        get("X-Amz-Credential"),
        format!(
            "AKIDEXAMPLE/{}/{}/s3/aws4_request",
            &date[..8],
            input.region
        )
    );
    assert_eq!(get("X-Amz-Date"), date);
    assert_eq!(get("X-Amz-Expires"), expires.as_secs().to_string());
    assert!(get("X-Amz-SignedHeaders").split(';').any(|h| h == "host"));
    if let Some(token) = input.token {
        assert_eq!(get("X-Amz-Security-Token"), token);
    }
    let last = pairs.last().expect("a parameter");
    assert_eq!(last.0, "X-Amz-Signature");
    assert_eq!(last.1, presigned.signature);
});
