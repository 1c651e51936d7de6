//! The signer against published SigV4 test vectors, read from
//! `../shared/sigv4-vectors` (see its README for where each file comes from).
//!
//! Every case is asserted stage by stage (canonical request, string to sign,
//! signature / Authorization). A case the signer cannot express would go in an
//! explicit list with its reason, and the test asserts that list is exactly the
//! failing set; today every list is empty. Each suite asserts its case count,
//! and `all_vector_cases_pass` checks the total, [`VECTOR_CASES_TOTAL`].

#![allow(clippy::unwrap_used)] // test code: a panic here is a failed test with a message

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use s3lite::sign::chunked::{self, ChunkSigner, StreamingMode};
use s3lite::sign::{
    PayloadHash, SecretKey, SignableRequest, SignedRequest, SigningParams, UriEncoding,
    encode_key_path, presign, sign_request, uri_encode,
};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// Cases per suite; the README's "N vector cases pass" is their sum.
const CLASSIC_CASES: usize = 34;
/// aws-c-auth cases; each is signed twice (header and query).
const CRT_CASES: usize = 38;
/// s3-examples.json entries signed with headers (4 single-chunk examples plus
/// the seed requests of the 2 aws-chunked examples) and the presigned GET.
const S3_EXAMPLE_CASES: usize = 7;
/// aws-chunked signatures past the seed: the 3 chunk signatures of each of
/// the 2 s3-examples.json chunked examples, the doc trailer signature, and
/// the 2 trailer vectors of other-library-vectors.json (minio-go and
/// aws-c-auth, each chained from its own previous signature).
const AWS_CHUNKED_CASES: usize = 9;
const OBJECT_STORE_CASES: usize = 10;
const SMITHY_CASES: usize = 13;
/// Vector cases that pass, all stages asserted: the README's number.
const VECTOR_CASES_TOTAL: usize = CLASSIC_CASES + CRT_CASES - CRT_INEXPRESSIBLE.len()
    + S3_EXAMPLE_CASES
    + AWS_CHUNKED_CASES
    + OBJECT_STORE_CASES
    + SMITHY_CASES
    - SMITHY_MISMATCHES.len();

/// aws-c-auth cases the signer cannot express, with the reason. Empty: the 7
/// `normalize: false` cases are signed in `UriEncoding::S3` mode, see
/// [`crt_case`].
const CRT_INEXPRESSIBLE: &[(&str, &str)] = &[];

/// smithy-rs cases whose expected value s3lite does not reproduce, with the
/// reason; the test asserts these are exactly the failing cases.
const SMITHY_MISMATCHES: &[(&str, &str)] = &[(
    "aws-sigv4/test_sign_headers_space_trimming",
    "expected 244f2a0d... is not reproducible: the aws-sigv4 1.6.4 dev-dependency itself \
     signs this input (\"  test  test   \") as f4852ec8..., the same as s3lite, and no \
     candidate canonical value (trimmed or not, with or without the session token) gives \
     244f2a0d...; the test file at that commit may not match the released crate",
)];

/// The suite's credentials and time (20150830T123600Z).
const SUITE_AKID: &str = "AKIDEXAMPLE";
const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SUITE_UNIX_TIME: i64 = 1_440_938_160;

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/sigv4-vectors")
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn unix(t: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t).unwrap()
}

/// `20130524T000000Z` or `2022-08-06T18:01:34Z` -> time.
fn parse_time(s: &str) -> OffsetDateTime {
    let digits: String = s.chars().filter(char::is_ascii_digit).take(14).collect();
    let n = |r: std::ops::Range<usize>| digits[r].parse::<u32>().unwrap();
    let month = time::Month::try_from(n(4..6) as u8).unwrap();
    let date = time::Date::from_calendar_date(n(0..4) as i32, month, n(6..8) as u8).unwrap();
    let t = time::Time::from_hms(n(8..10) as u8, n(10..12) as u8, n(12..14) as u8).unwrap();
    time::PrimitiveDateTime::new(date, t).assume_utc()
}

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A request file of either suite: request line, headers (continuation
/// lines kept with their line break, so the signer's obs-fold handling is
/// exercised), blank line, body.
struct RawRequest {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawRequest {
    fn parse(text: &str) -> RawRequest {
        let (head, body) = match text.split_once("\n\n") {
            Some((h, b)) => (h, b.as_bytes().to_vec()),
            None => (text.trim_end_matches('\n'), Vec::new()),
        };
        let mut lines = head.split('\n');
        let request_line = lines.next().unwrap();
        let (method, rest) = request_line.split_once(' ').unwrap();
        let target = rest.strip_suffix(" HTTP/1.1").unwrap();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in lines {
            if line.starts_with([' ', '\t']) {
                let last = headers.last_mut().unwrap();
                last.1.push('\n');
                last.1.push_str(line);
            } else {
                let (name, value) = line.split_once(':').unwrap();
                headers.push((name.to_owned(), value.to_owned()));
            }
        }
        RawRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body,
        }
    }

    fn signable<'a>(&'a self, headers: &'a [(&'a str, &'a str)]) -> SignableRequest<'a> {
        SignableRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers,
        }
    }

    fn without(mut self, name: &str) -> (RawRequest, Option<String>) {
        let pos = self
            .headers
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name));
        let removed = pos.map(|p| self.headers.remove(p).1);
        (self, removed)
    }
}

fn header_refs(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

fn suite_params<'a>(secret: &'a SecretKey, payload: PayloadHash) -> SigningParams<'a> {
    SigningParams {
        access_key_id: SUITE_AKID,
        secret_key: secret,
        session_token: None,
        region: "us-east-1",
        service: "service",
        time: unix(SUITE_UNIX_TIME),
        uri_encoding: UriEncoding::Generic,
        payload,
        add_content_sha256_header: false,
        sign_session_token: true,
    }
}

/// S3-mode params from a JSON entry's access_key, secret, region, service, datetime.
fn entry_params<'a>(
    e: &'a json::Value,
    secret: &'a SecretKey,
    payload: PayloadHash,
) -> SigningParams<'a> {
    SigningParams {
        access_key_id: e.s("access_key"),
        secret_key: secret,
        session_token: None,
        region: e.s("region"),
        service: e.s("service"),
        time: parse_time(e.s("datetime")),
        uri_encoding: UriEncoding::S3,
        payload,
        add_content_sha256_header: true,
        sign_session_token: true,
    }
}

/// `name=value&...`, each part encoded with `uri_encode` (as the store does).
fn encode_query(pairs: &[(&str, &str)]) -> String {
    let pairs: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", uri_encode(k, true), uri_encode(v, true)))
        .collect();
    pairs.join("&")
}

/// The Authorization header of a signed request.
fn authz(signed: &SignedRequest) -> &str {
    &signed
        .headers
        .iter()
        .find(|(n, _)| *n == "authorization")
        .unwrap()
        .1
}

/// Compares `(stage, got, want)` in order; `Err` names the case and the first
/// differing stage.
fn check(case: &str, stages: &[(&str, &str, &str)]) -> Result<(), String> {
    match stages.iter().find(|(_, got, want)| got != want) {
        None => Ok(()),
        Some((stage, got, want)) => Err(format!(
            "{case}: {stage} differs\n--- got\n{got}\n--- want\n{want}"
        )),
    }
}

// ---------------------------------------------------------------- classic suite

fn classic_case(req_file: &Path) -> Result<(), String> {
    let case = req_file.file_stem().unwrap().to_string_lossy().into_owned();
    let (raw, _) = RawRequest::parse(&read(req_file)).without("X-Amz-Date");
    // The session token is a credential, not a request header: take it from
    // the signed request (.sreq). get-vanilla-with-session-token and
    // post-sts-header-before sign it; post-sts-header-after adds it after
    // signing (see post-sts-token/readme.txt).
    let (raw, _) = raw.without("X-Amz-Security-Token");
    let sreq = RawRequest::parse(&read(&req_file.with_extension("sreq")));
    let token = sreq.without("X-Amz-Security-Token").1;
    let secret = SecretKey::new(SUITE_SECRET);
    let mut params = suite_params(&secret, PayloadHash::for_body(&raw.body));
    params.session_token = token.as_deref();
    params.sign_session_token = case != "post-sts-header-after";
    let headers = header_refs(&raw.headers);
    let req = raw.signable(&headers);
    let signed = sign_request(&req, &params).map_err(|e| format!("{case}: {e}"))?;
    let expected = |ext: &str| read(&req_file.with_extension(ext));
    let (creq, sts, authz_want) = (expected("creq"), expected("sts"), expected("authz"));
    check(
        &case,
        &[
            ("canonical request", &signed.canonical_request, &creq),
            ("string to sign", &signed.string_to_sign, &sts),
            ("authorization", authz(&signed), &authz_want),
        ],
    )
}

fn find_req_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            find_req_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "req") {
            out.push(path);
        }
    }
}

fn run_classic_suite() -> usize {
    let mut files = Vec::new();
    find_req_files(&vectors().join("aws-sig-v4-test-suite"), &mut files);
    files.sort();
    assert_eq!(files.len(), CLASSIC_CASES, "classic suite case count");
    let failures: Vec<String> = files.iter().filter_map(|f| classic_case(f).err()).collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    files.len()
}

#[test]
fn classic_suite_matches_creq_sts_and_authz() {
    assert_eq!(run_classic_suite(), CLASSIC_CASES);
}

// ---------------------------------------------------------------- aws-c-auth

/// Signs one aws-c-auth case with headers and with the query.
///
/// `normalize: false` cases: the harness skips normalisation but still
/// double-encodes the path. s3lite has no public "double-encode without
/// normalising" mode; those cases are signed with `UriEncoding::S3`, which
/// decodes and re-encodes once. For a path without `%` both give the same
/// canonical URI, and the test asserts that precondition, so the equivalence
/// is checked rather than assumed.
/// The per-stage files of an aws-c-auth case, after `header-` / `query-`.
const STAGE_FILES: [&str; 4] = [
    "canonical-request",
    "string-to-sign",
    "signature",
    "signed-request",
];

fn crt_case(dir: &Path) -> Result<(), String> {
    let case = dir.file_name().unwrap().to_string_lossy().into_owned();
    let ctx = json::parse(&read(&dir.join("context.json")));
    let raw = RawRequest::parse(&read(&dir.join("request.txt")));
    let normalize = ctx.b("normalize");
    let sign_body = ctx.b("sign_body");
    let omit_token = ctx.b("omit_session_token");
    let creds = ctx.get("credentials").unwrap();
    let token = creds.get("token").map(json::Value::as_str);
    let expires = ctx.n("expiration_in_seconds");
    assert_eq!(ctx.s("timestamp"), "2015-08-30T12:36:00Z");

    let secret = SecretKey::new(creds.s("secret_access_key"));
    let payload = if sign_body {
        PayloadHash::for_body(&raw.body)
    } else {
        PayloadHash::Empty
    };
    let mut params = suite_params(&secret, payload);
    params.access_key_id = creds.s("access_key_id");
    params.region = ctx.s("region");
    params.service = ctx.s("service");
    params.add_content_sha256_header = sign_body;
    params.session_token = token;
    params.sign_session_token = !omit_token;
    if !normalize {
        assert!(
            !raw.path.contains('%'),
            "{case}: S3 mode equals the harness only without '%'"
        );
        params.uri_encoding = UriEncoding::S3;
    }
    let headers = header_refs(&raw.headers);
    let req = raw.signable(&headers);
    let expected = |name: &str| read(&dir.join(name));

    let signed = sign_request(&req, &params).map_err(|e| format!("{case} (header): {e}"))?;
    let [creq, sts, sig, sreq] = STAGE_FILES.map(|f| expected(&format!("header-{f}.txt")));
    let authz_line = format!("Authorization:{}", authz(&signed));
    let authz_found = sreq.lines().find(|l| *l == authz_line).unwrap_or_default();
    check(
        &case,
        &[
            ("header canonical request", &signed.canonical_request, &creq),
            ("header string to sign", &signed.string_to_sign, &sts),
            ("header signature", &signed.signature, &sig),
            (
                "Authorization in header-signed-request.txt",
                &authz_line,
                authz_found,
            ),
        ],
    )?;

    let presigned = presign(&req, &params, Duration::from_secs(expires))
        .map_err(|e| format!("{case} (query): {e}"))?;
    let [creq, sts, sig, sreq] = STAGE_FILES.map(|f| expected(&format!("query-{f}.txt")));
    // The signed request's query holds the same parameters (its order differs).
    let want_query = sreq.split_once('?').unwrap().1.split_once(' ').unwrap().0;
    check(
        &case,
        &[
            (
                "query canonical request",
                &presigned.canonical_request,
                &creq,
            ),
            ("query string to sign", &presigned.string_to_sign, &sts),
            ("query signature", &presigned.signature, &sig),
            (
                "query parameters",
                &sorted_pairs(&presigned.query),
                &sorted_pairs(want_query),
            ),
        ],
    )
}

fn sorted_pairs(query: &str) -> String {
    let mut pairs: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    pairs.sort_unstable();
    pairs.join("&")
}

fn run_crt_suite() -> usize {
    let mut dirs: Vec<PathBuf> = fs::read_dir(vectors().join("aws-c-auth-v4"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert_eq!(dirs.len(), CRT_CASES, "aws-c-auth case count");
    let mut failed: Vec<(String, String)> = Vec::new();
    for dir in &dirs {
        if let Err(e) = crt_case(dir) {
            failed.push((dir.file_name().unwrap().to_string_lossy().into_owned(), e));
        }
    }
    let failed_names: Vec<&str> = failed.iter().map(|(n, _)| n.as_str()).collect();
    let listed: Vec<&str> = CRT_INEXPRESSIBLE.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        failed_names,
        listed,
        "failing cases must be exactly the listed ones:\n{}",
        failed
            .iter()
            .map(|(_, e)| e.as_str())
            .collect::<Vec<_>>()
            .join("\n\n")
    );
    dirs.len() - failed.len()
}

#[test]
fn aws_c_auth_suite_matches_header_and_query_signing() {
    assert_eq!(run_crt_suite(), CRT_CASES - CRT_INEXPRESSIBLE.len());
}

// ---------------------------------------------------------------- s3-examples.json

/// Header and query cases of the S3 documentation examples.
fn run_s3_examples() -> usize {
    let entries = json::parse(&read(&vectors().join("s3-examples.json")));
    let mut passed = 0;
    for e in entries.as_array() {
        let name = e.s("name");
        if name == "post-policy-browser-upload" {
            continue; // a POST policy is not a request signature
        }
        let secret = SecretKey::new(e.s("secret_key"));
        let payload = match e.s("payload_sha256") {
            "UNSIGNED-PAYLOAD" => PayloadHash::Unsigned,
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" => PayloadHash::StreamingSigned,
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" => PayloadHash::StreamingSignedTrailer,
            hex => PayloadHash::Hex(hex.to_owned()),
        };
        let params = entry_params(e, &secret, payload);
        // The listed headers include the two the signer adds.
        let mut headers = e.pairs("headers");
        headers.retain(|(n, _)| *n != "x-amz-date" && *n != "x-amz-content-sha256");
        // The store builds paths with encode_key_path; the doc's raw
        // "/test$file.text" must sign the same either way.
        let path = e.s("path");
        let encoded_path = format!("/{}", encode_key_path(&path[1..]));
        let want = e.get("expected").unwrap();
        for path in [path, encoded_path.as_str()] {
            let req = SignableRequest {
                method: e.s("method"),
                path,
                query: e.s("query"),
                headers: &headers,
            };
            let (creq, sts, sig) = if let Some(expires) = e.get("expires_in_seconds") {
                let p = presign(&req, &params, Duration::from_secs(expires.as_u64())).unwrap();
                let url = want.s("presigned_url");
                assert_eq!(url.split_once('?').unwrap().1, p.query, "{name}: URL");
                (p.canonical_request, p.string_to_sign, p.signature)
            } else {
                let s = sign_request(&req, &params).unwrap();
                if let Some(authz) = want.get("authorization") {
                    // aws-c-auth's copy puts ", " between the parts; minio-go's none.
                    let [got, want] =
                        [self::authz(&s), authz.as_str()].map(|a| a.replace(", ", ","));
                    assert_eq!(got, want, "{name}");
                }
                (s.canonical_request, s.string_to_sign, s.signature)
            };
            check(
                name,
                &[
                    ("canonical request", &creq, want.s("canonical_request")),
                    ("string to sign", &sts, want.s("string_to_sign")),
                    ("signature", &sig, want.s("signature")),
                ],
            )
            .unwrap();
        }
        passed += 1;
    }
    passed
}

#[test]
fn s3_documentation_examples_match() {
    assert_eq!(run_s3_examples(), S3_EXAMPLE_CASES);
}

// ---------------------------------------------------------------- aws-chunked

/// The chunk and trailer signatures of the two aws-chunked examples (seed
/// from `sign_request`, then each chunk chained), their wire frames and
/// framed length, and the two other-library trailer vectors.
fn run_aws_chunked() -> usize {
    let entries = json::parse(&read(&vectors().join("s3-examples.json")));
    let mut passed = 0;
    for e in entries.as_array() {
        let name = e.s("name");
        let mode = match name {
            "put-object-aws-chunked" => StreamingMode::Signed,
            "put-object-aws-chunked-with-trailer" => StreamingMode::SignedTrailer,
            _ => continue,
        };
        let secret = SecretKey::new(e.s("secret_key"));
        let params = entry_params(e, &secret, mode.payload_hash());
        let mut headers = e.pairs("headers");
        headers.retain(|(n, _)| *n != "x-amz-date" && *n != "x-amz-content-sha256");
        let req = SignableRequest {
            method: e.s("method"),
            path: e.s("path"),
            query: e.s("query"),
            headers: &headers,
        };
        let want = e.get("expected").unwrap();
        let seed = sign_request(&req, &params).unwrap();
        assert_eq!(seed.signature, want.s("signature"), "{name}: seed");
        let mut signer = ChunkSigner::new(&params, &seed.signature).unwrap();
        // 66560 bytes of 'a' in chunks of 65536, 1024 and the final 0.
        let payload = vec![b'a'; 66560];
        let chunks: [&[u8]; 3] = [&payload[..65536], &payload[65536..], b""];
        for (i, (data, w)) in chunks.iter().zip(want.list("chunks")).enumerate() {
            let sts = signer.chunk_string_to_sign(data);
            let sig = signer.sign_chunk(data);
            check(
                &format!("{name} chunk {i}"),
                &[
                    ("string to sign", &sts, w.s("string_to_sign")),
                    ("signature", &sig, w.s("signature")),
                ],
            )
            .unwrap();
            if let Some(line) = w.get("chunk_header") {
                let got = chunked::chunk_header(data.len(), Some(&sig));
                assert_eq!(got, format!("{}\r\n", line.as_str()), "{name} chunk {i}");
            }
            passed += 1;
        }
        let decoded: u64 = headers
            .iter()
            .find(|(n, _)| *n == "x-amz-decoded-content-length")
            .map(|(_, v)| v.parse().unwrap())
            .unwrap();
        if let Some((_, len)) = headers.iter().find(|(n, _)| *n == "content-length") {
            let framed = chunked::framed_length(mode, decoded, 65536, None);
            assert_eq!(framed.to_string(), *len, "{name}: Content-Length");
        }
        if let Some(t) = want.get("trailer") {
            let trailers = e.pairs("trailers");
            let canonical = chunked::canonical_trailers(&trailers);
            let sts = signer.trailer_string_to_sign(&canonical);
            let sig = signer.sign_trailer(&canonical);
            let frame = chunked::trailer_frame(&trailers, Some(&sig));
            check(
                &format!("{name} trailer"),
                &[
                    ("canonical trailers", &canonical, t.s("canonical_trailers")),
                    ("string to sign", &sts, t.s("string_to_sign")),
                    ("signature", &sig, t.s("signature")),
                    ("wire frame", &frame, t.s("wire_frame")),
                ],
            )
            .unwrap();
            passed += 1;
        }
    }
    let others = json::parse(&read(&vectors().join("other-library-vectors.json")));
    for e in others.as_array() {
        let name = e.s("name");
        let canonical = match name {
            "minio-go/TestTrailerChunkSignature" => e.s("trailer_chunk_data").to_owned(),
            "aws-c-auth/sigv4_trailing_headers_signing_test" => {
                chunked::canonical_trailers(&e.pairs("trailing_headers"))
            }
            _ => continue,
        };
        let secret = SecretKey::new(e.s("secret_key"));
        // The key id is not part of a chunk signature; minio-go's entry has none.
        let params = SigningParams {
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret_key: &secret,
            session_token: None,
            region: e.s("region"),
            service: e.s("service"),
            time: parse_time(e.s("datetime")),
            uri_encoding: UriEncoding::S3,
            payload: PayloadHash::StreamingSignedTrailer,
            add_content_sha256_header: true,
            sign_session_token: true,
        };
        let mut signer = ChunkSigner::new(&params, e.s("previous_signature")).unwrap();
        let sig = signer.sign_trailer(&canonical);
        assert_eq!(sig, e.get("expected").unwrap().s("signature"), "{name}");
        passed += 1;
    }
    passed
}

#[test]
fn aws_chunked_signatures_match() {
    assert_eq!(run_aws_chunked(), AWS_CHUNKED_CASES);
}

// ---------------------------------------------------------------- object_store

fn run_object_store() -> usize {
    let entries = json::parse(&read(&vectors().join("object_store-credential-tests.json")));
    let mut passed = 0;
    for e in entries.as_array() {
        let name = e.s("name");
        let secret = SecretKey::new(e.s("secret_key"));
        let url = e.s("url");
        let (host, path) = url.split_once("://").unwrap().1.split_once('/').unwrap();
        let path = format!("/{path}");
        let options = e.get("options");
        let flag = |k: &str| options.is_some_and(|o| o.b(k));
        let presigning = e.get("expires_in_seconds");
        let payer = ("x-amz-request-payer", "requester");
        let mut query_pairs = [e.pairs("query_params"), e.pairs("extra_query")].concat();
        let mut headers = [vec![("host", host)], e.pairs("signed_headers")].concat();
        if flag("request_payer") {
            // object_store puts it in the query of presigned URLs, else a header.
            match presigning {
                Some(_) => query_pairs.push(payer),
                None => headers.push(payer),
            }
        }
        let query = encode_query(&query_pairs);
        let payload = match presigning {
            Some(_) => PayloadHash::Unsigned,
            None if flag("sign_payload") => PayloadHash::Empty,
            None => PayloadHash::Unsigned,
        };
        let params = entry_params(e, &secret, payload);
        let req = SignableRequest {
            method: e.s("method"),
            path: &path,
            query: &query,
            headers: &headers,
        };
        let want = e.get("expected").unwrap();
        if let Some(expires) = presigning {
            let p = presign(&req, &params, Duration::from_secs(expires.as_u64())).unwrap();
            if let Some(sig) = want.get("signature") {
                assert_eq!(p.signature, sig.as_str(), "{name}");
            }
            if let Some(url) = want.get("presigned_url") {
                let want_query = url.as_str().split_once('?').unwrap().1;
                assert_eq!(sorted_pairs(&p.query), sorted_pairs(want_query), "{name}");
            }
            if let Some(part) = want.get("url_query_contains") {
                assert!(p.query.contains(part.as_str()), "{name}");
            }
        } else {
            let s = sign_request(&req, &params).unwrap();
            assert_eq!(authz(&s), want.s("authorization"), "{name}");
        }
        passed += 1;
    }
    passed
}

#[test]
fn object_store_cases_match() {
    assert_eq!(run_object_store(), OBJECT_STORE_CASES);
}

// ---------------------------------------------------------------- smithy-rs

fn run_smithy() -> usize {
    let entries = json::parse(&read(&vectors().join("smithy-rs-aws-sigv4-tests.json")));
    let mut passed = 0;
    let mut failed: Vec<(&str, String)> = Vec::new();
    for e in entries.as_array() {
        let name = e.s("name");
        let want = e.get("expected").unwrap();
        match name {
            "aws-sigv4/test_digest_of_canonical_request" => {
                // Our canonical request of that case, hashed.
                let dir = vectors().join("aws-c-auth-v4/get-vanilla-query-order-key-case");
                let raw = RawRequest::parse(&read(&dir.join("request.txt")));
                let secret = SecretKey::new(SUITE_SECRET);
                let headers = header_refs(&raw.headers);
                let req = raw.signable(&headers);
                let s = sign_request(&req, &suite_params(&secret, PayloadHash::Empty)).unwrap();
                assert_eq!(
                    sha256_hex(s.canonical_request.as_bytes()),
                    want.s("sha256_hex_of_canonical_request")
                );
            }
            "aws-sigv4/test_tilde_in_uri"
            | "aws-sigv4/test_signing_urls_with_percent_encoded_query_strings" => {
                let url = e.s("url");
                let (_, rest) = url.split_once("://").unwrap();
                let (host, path_query) = rest.split_once('/').unwrap();
                let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
                let printable: String = (32u8..127).map(char::from).collect();
                let mut pairs = e.pairs("query_params");
                for (_, v) in &mut pairs {
                    if *v == "<all printable ASCII chars 0x20..0x7E in order>" {
                        *v = &printable;
                    }
                }
                let query = [query.to_owned(), encode_query(&pairs)].join("");
                let secret = SecretKey::new(SUITE_SECRET);
                let path = format!("/{path}");
                let headers = [("host", host)];
                let req = SignableRequest {
                    method: "GET",
                    path: &path,
                    query: &query,
                    headers: &headers,
                };
                let mut params = suite_params(&secret, PayloadHash::Empty);
                params.uri_encoding = UriEncoding::S3;
                let s = sign_request(&req, &params).unwrap();
                let line = s.canonical_request.split('\n').nth(2).unwrap();
                assert_eq!(line, want.s("canonical_query_string"), "{name}");
            }
            _ => {
                if let Err(e) = smithy_signing_case(e) {
                    failed.push((name, e));
                    continue;
                }
            }
        }
        passed += 1;
    }
    let failed_names: Vec<&str> = failed.iter().map(|(n, _)| *n).collect();
    let listed: Vec<&str> = SMITHY_MISMATCHES.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        failed_names, listed,
        "failing cases must be exactly the listed ones: {failed:#?}"
    );
    passed
}

/// The `sign.rs` unit tests (default settings: Generic, no content header)
/// and the aws-sdk-s3 presigning tests (S3, UNSIGNED-PAYLOAD, token signed).
fn smithy_signing_case(e: &json::Value) -> Result<(), String> {
    let name = e.s("name");
    let want = e.get("expected").unwrap();
    let secret = SecretKey::new(e.s("secret_key"));
    let time = match e.s("datetime") {
        d if d.starts_with("20090213T233131Z") => unix(1_234_567_891),
        d => parse_time(d),
    };
    let token = e
        .get("session_token")
        .filter(|t| !t.is_null())
        .map(|t| t.as_str());
    let mut params = SigningParams {
        access_key_id: e.s("access_key"),
        secret_key: &secret,
        session_token: token,
        region: e.s("region").split(' ').next().unwrap(),
        service: e.s("service"),
        time,
        uri_encoding: UriEncoding::Generic,
        payload: PayloadHash::Empty,
        add_content_sha256_header: false,
        sign_session_token: !name.contains("excluding_session_token"),
    };
    if let Some(file) = e.get("request_file") {
        let raw = RawRequest::parse(&read(&vectors().join(file.as_str())));
        let (raw, _) = raw.without("X-Amz-Date"); // the signer adds it
        params.payload = PayloadHash::for_body(&raw.body);
        let headers = header_refs(&raw.headers);
        let req = raw.signable(&headers);
        let s = sign_request(&req, &params).unwrap();
        return check(name, &[("signature", &s.signature, want.s("signature"))]);
    }
    if let Some(url) = e.get("url") {
        // sign.rs tests: header signing of a GET to the URL's host.
        let host = url.as_str().split_once("://").unwrap().1;
        let headers = [vec![("host", host)], e.pairs("headers")].concat();
        let req = SignableRequest {
            method: "GET",
            path: "/",
            query: "",
            headers: &headers,
        };
        let s = sign_request(&req, &params).unwrap();
        return check(
            name,
            &[
                ("signature", &s.signature, want.s("signature")),
                ("authorization", authz(&s), want.s("authorization")),
            ],
        );
    }
    // aws-sdk-s3 presigning: rebuild the request from the expected URL minus
    // the X-Amz-* parameters the presigner adds.
    params.uri_encoding = UriEncoding::S3;
    params.payload = PayloadHash::Unsigned;
    let (host, path, query) = match want.get("presigned_url") {
        Some(url) => {
            let rest = url.as_str().split_once("://").unwrap().1;
            let (host, path_query) = rest.split_once('/').unwrap();
            let (path, query) = path_query.split_once('?').unwrap();
            (host.to_owned(), format!("/{path}"), query.to_owned())
        }
        None => {
            let sorted: Vec<&str> = want
                .list("query_params_sorted")
                .iter()
                .map(|v| v.as_str())
                .collect();
            (
                want.s("host").to_owned(),
                want.s("path").to_owned(),
                sorted.join("&"),
            )
        }
    };
    let own_query: Vec<&str> = query
        .split('&')
        .filter(|p| !p.starts_with("X-Amz-"))
        .collect();
    let own_query = own_query.join("&");
    // Headers the SDK sent (and so signed): `headers_to_send`, or the
    // operation's content_length for UploadPart.
    let mut headers = [vec![("host", host.as_str())], want.pairs("headers_to_send")].concat();
    let operation = e.s("operation").split(' ');
    if let Some(len) = operation
        .clone()
        .find_map(|w| w.strip_prefix("content_length="))
        && !headers.iter().any(|(n, _)| *n == "content-length")
    {
        headers.push(("content-length", len));
    }
    let (method, path, query_ref) = (e.s("method"), path.as_str(), own_query.as_str());
    let req = SignableRequest {
        method,
        path,
        query: query_ref,
        headers: &headers,
    };
    let expires = Duration::from_secs(e.n("expires_in_seconds"));
    let p = presign(&req, &params, expires).unwrap();
    let in_url = query
        .split('&')
        .find_map(|p| p.strip_prefix("X-Amz-Signature="));
    let want_sig = want
        .get("signature")
        .map_or(in_url.unwrap_or_default(), |s| s.as_str());
    check(
        name,
        &[
            ("signature", &p.signature, want_sig),
            (
                "query parameters",
                &sorted_pairs(&p.query),
                &sorted_pairs(&query),
            ),
        ],
    )
}

#[test]
fn smithy_rs_cases_match() {
    assert_eq!(run_smithy(), SMITHY_CASES - SMITHY_MISMATCHES.len());
}

/// One place for the README's number: every suite again, counted.
#[test]
fn all_vector_cases_pass() {
    let total = run_classic_suite()
        + run_crt_suite()
        + run_s3_examples()
        + run_aws_chunked()
        + run_object_store()
        + run_smithy();
    assert_eq!(total, VECTOR_CASES_TOTAL);
    assert_eq!(VECTOR_CASES_TOTAL, 110);
    println!("{VECTOR_CASES_TOTAL} vector cases pass");
}

/// A minimal JSON reader for the vector files.
#[path = "sign_vectors_support/json.rs"]
mod json;
