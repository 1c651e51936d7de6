//! The signer on arbitrary method, path, query and headers: never a panic;
//! a refusal is InvalidInput; a signature is 64 hex digits, the same when
//! signed again, and the canonical request starts with the method and
//! lists the signed headers sorted.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use s3lite::ErrorKind;
use s3lite::sign::{
    PayloadHash, SecretKey, SignableRequest, SigningParams, UriEncoding, sign_request,
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
    s3: bool,
    payload: u8,
    hex: &'a str,
}

fuzz_target!(|input: Input<'_>| {
    let Ok(time) = OffsetDateTime::from_unix_timestamp(input.time % 253_402_300_799) else {
        return;
    };
    let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    let payload = match input.payload % 6 {
        0 => PayloadHash::Hex(input.hex.to_string()),
        1 => PayloadHash::Unsigned,
        2 => PayloadHash::Empty,
        3 => PayloadHash::StreamingSigned,
        4 => PayloadHash::StreamingUnsignedTrailer,
        _ => PayloadHash::StreamingSignedTrailer,
    };
    let params = SigningParams {
        access_key_id: "AKIDEXAMPLE",
        secret_key: &secret,
        session_token: input.token,
        region: input.region,
        service: "s3",
        time,
        uri_encoding: if input.s3 {
            UriEncoding::S3
        } else {
            UriEncoding::Generic
        },
        payload,
        add_content_sha256_header: true,
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
    match sign_request(&req, &params) {
        Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}"),
        Ok(signed) => {
            assert_eq!(signed.signature.len(), 64);
            assert!(signed.signature.bytes().all(|b| b.is_ascii_hexdigit()));
            let first = signed.canonical_request.split('\n').next();
            assert_eq!(first, Some(input.method));
            let again = sign_request(&req, &params).expect("signs the second time");
            assert_eq!(again.signature, signed.signature);
            let lines: Vec<&str> = signed.canonical_request.split('\n').collect();
            let signed_headers = lines[lines.len() - 2];
            let names: Vec<&str> = signed_headers.split(';').collect();
            let mut sorted = names.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(names, sorted, "{}", signed.canonical_request);
            assert!(names.contains(&"host"));
        }
    }
});
