//! A hostile server, a hostile command and hostile files: each case ends in a
//! typed error (or the right answer) within a bounded time, never a hang, a
//! panic or unbounded memory. The bound is a generous `tokio::time::timeout`
//! around the call ([`BOUND`]), not a performance assertion; where memory is
//! the point, the server counts what it wrote and the test shows the client
//! hung up at the limit, long before the end.
//!
//! The README's "Reliability" section lists these cases and their outcomes.
#![cfg(feature = "hyper-rustls")]
#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

#[path = "common/cred_servers.rs"]
mod cred_servers;
#[path = "faults/raw.rs"]
mod raw;
#[path = "faults/server.rs"]
mod server;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cred_servers::{TempDir, vars};
use http::Method;
use raw::{Raw, RawServer, answer, ok};
use s3lite::credentials::{
    ContainerProvider, CredentialProvider, ImdsProvider, ProcessProvider, ProfileProvider,
};
use s3lite::limits::{
    MAX_CREDENTIAL_PROCESS_OUTPUT, MAX_CREDENTIALS_BODY, MAX_LIST_PAGES_WITHOUT_PROGRESS,
    MAX_PROFILE_FILE, MAX_RESPONSE_BODY, MAX_RESPONSE_HEAD,
};
use s3lite::retry::RetryConfig;
use s3lite::transport::ClientOptions;
use s3lite::{Error, ErrorKind, GetOptions, S3Store};
use server::{FaultServer, VirtualClock, expect};

/// The most any case may take; far above what each needs.
const BOUND: Duration = Duration::from_secs(20);

/// Runs `f`, failing the test if it has not finished within [`BOUND`].
async fn bounded<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(BOUND, f)
        .await
        .unwrap_or_else(|_| panic!("no outcome within {BOUND:?}: the client hangs"))
}

/// A store for bucket `b` on `base`, with `retries` retries (backoff on a
/// virtual clock) and a 1 s read timeout.
fn store(base: &str, retries: usize) -> S3Store {
    let mut retry = RetryConfig::default();
    retry.jitter_seed = Some(7);
    retry.max_retries = retries;
    let mut options = ClientOptions::default();
    options.allow_http = true;
    options.timeout = Some(Duration::from_secs(2));
    options.read_timeout = Some(Duration::from_secs(1));
    S3Store::builder()
        .bucket("b")
        .endpoint(base)
        .allow_http(true)
        .access_key_id("AKIDEXAMPLE")
        .secret_access_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        .retry(retry)
        .client_options(options)
        .clock(VirtualClock::default())
        .build()
        .unwrap()
}

fn assert_kind(e: &Error, kind: ErrorKind) {
    assert_eq!(e.kind(), kind, "{e}");
}

const LIST_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
    <ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>";

// ---------------------------------------------------------------------------
// Heads

/// A head that never ends fails at MAX_RESPONSE_HEAD: the client reads no
/// more than that (plus one read) and hangs up.
#[tokio::test]
async fn endless_response_headers_fail_at_the_head_limit() {
    let server = RawServer::start(|_| Raw::Stream {
        head: b"HTTP/1.1 200 OK\r\n".to_vec(),
        filler: b"x-filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(64),
        limit: None,
        gap: None,
    })
    .await;
    let e = bounded(store(&server.base(), 0).head("k"))
        .await
        .unwrap_err();
    assert_kind(&e, ErrorKind::Transport);
    assert!(e.to_string().contains("too large"), "{e}");
    server.wait_for_hang_up().await;
    // The head never ends: the server wrote only what the client read
    // (the limit) plus what socket buffers hold.
    let written = server.max_written();
    assert!(written >= MAX_RESPONSE_HEAD as u64, "{written}");
    assert!(written < 32 << 20, "{written}");
}

/// One header value of 1 MiB is a head past the limit too.
#[tokio::test]
async fn one_huge_header_fails_at_the_head_limit() {
    let big = "a".repeat(1024 * 1024);
    let server =
        RawServer::start(move |_| Raw::Send(ok("200 OK", &[("x-amz-meta-big", &big)], b""))).await;
    let e = bounded(store(&server.base(), 0).head("k"))
        .await
        .unwrap_err();
    assert_kind(&e, ErrorKind::Transport);
}

/// More than MAX_RESPONSE_HEADERS (100) header fields fail the request.
#[tokio::test]
async fn too_many_headers_fail() {
    let names: Vec<String> = (0..150).map(|i| format!("x-amz-meta-h{i}")).collect();
    let server = RawServer::start(move |_| {
        let headers: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v")).collect();
        Raw::Send(ok("200 OK", &headers, b""))
    })
    .await;
    let e = bounded(store(&server.base(), 0).head("k"))
        .await
        .unwrap_err();
    assert_kind(&e, ErrorKind::Transport);
}

/// A head that stops coming fails at ClientOptions::timeout.
#[tokio::test]
async fn stalled_head_times_out() {
    let server = RawServer::start(|_| Raw::Stall(b"HTTP/1.1 200 OK\r\nx-a: b\r\n".to_vec())).await;
    let e = bounded(store(&server.base(), 0).head("k"))
        .await
        .unwrap_err();
    assert_kind(&e, ErrorKind::Timeout);
}

// ---------------------------------------------------------------------------
// Bodies that do not match their framing

/// A HEAD answered with a body: the metadata is read, the stray bytes are
/// not taken for the next answer on that connection.
#[tokio::test]
async fn head_that_sends_a_body_does_not_poison_the_next_request() {
    let server = RawServer::start(|head| {
        if head.starts_with("HEAD") {
            Raw::Send(answer(
                "200 OK",
                &[("content-length", "5"), ("etag", "\"e\"")],
                b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nevil",
            ))
        } else {
            Raw::Send(ok("200 OK", &[("etag", "\"e\"")], b"good"))
        }
    })
    .await;
    let store = store(&server.base(), 2);
    let meta = bounded(store.head("k")).await.unwrap();
    assert_eq!(meta.size, 5);
    let body = bounded(async { store.get("k").await?.bytes().await })
        .await
        .unwrap();
    assert_eq!(body, "good");
}

/// A 304 that sends a body is NotModified; the body is not read as an answer.
#[tokio::test]
async fn not_modified_with_a_body_is_not_modified() {
    let server = RawServer::start(|head| {
        if head.contains("if-none-match") {
            Raw::Send(answer(
                "304 Not Modified",
                &[("content-length", "9"), ("etag", "\"e\"")],
                b"evil body",
            ))
        } else {
            Raw::Send(ok("200 OK", &[("etag", "\"e\"")], b"good"))
        }
    })
    .await;
    let store = store(&server.base(), 2);
    let mut options = GetOptions::default();
    options.if_none_match = Some("\"e\"".into());
    let e = bounded(store.get_opts("k", options)).await.unwrap_err();
    assert_kind(&e, ErrorKind::NotModified);
    let body = bounded(async { store.get("k").await?.bytes().await })
        .await
        .unwrap();
    assert_eq!(body, "good");
}

/// A body longer than its Content-Length: the client takes Content-Length
/// bytes, and the rest never passes for the next answer.
#[tokio::test]
async fn body_longer_than_content_length_is_cut_at_the_length() {
    let server = RawServer::start(|_| {
        Raw::Send(answer(
            "200 OK",
            &[("content-length", "4"), ("etag", "\"e\"")],
            b"goodHTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nevil",
        ))
    })
    .await;
    let store = store(&server.base(), 2);
    for _ in 0..3 {
        let body = bounded(async { store.get("k").await?.bytes().await })
            .await
            .unwrap();
        assert_eq!(body, "good");
    }
}

/// A body shorter than its Content-Length, then a close: a typed error once
/// the resumes are spent, never a short object passed as whole.
#[tokio::test]
async fn body_shorter_than_content_length_fails() {
    let server = RawServer::start(|_| Raw::Stream {
        head: answer(
            "200 OK",
            &[("content-length", "100"), ("etag", "\"e\"")],
            b"",
        ),
        filler: b"0123456789".to_vec(),
        limit: Some(10),
        gap: None,
    })
    .await;
    let e = bounded(async { store(&server.base(), 2).get("k").await?.bytes().await })
        .await
        .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Transport | ErrorKind::Service),
        "{e}"
    );
}

/// A GET whose body stops mid-way (1 GiB announced), and whose resume
/// stops too, fails at the read timeout, not never.
#[tokio::test]
async fn get_body_that_never_ends_fails_at_the_read_timeout() {
    const GIB: u64 = 1 << 30;
    let server = RawServer::start(|head| {
        let resume = head.lines().find_map(|l| l.strip_prefix("range: bytes="));
        let (status, from) = match resume.and_then(|r| r.split('-').next()?.parse::<u64>().ok()) {
            Some(from) => ("206 Partial Content", from),
            None => ("200 OK", 0),
        };
        let range = format!("bytes {from}-{}/{GIB}", GIB - 1);
        let length = (GIB - from).to_string();
        Raw::Stall(answer(
            status,
            &[
                ("content-length", &length),
                ("content-range", &range),
                ("etag", "\"e\""),
            ],
            &[b'x'; 1000],
        ))
    })
    .await;
    let e = bounded(async { store(&server.base(), 1).get("k").await?.bytes().await })
        .await
        .unwrap_err();
    assert_kind(&e, ErrorKind::Timeout);
    assert_eq!(server.requests().len(), 2, "{:?}", server.requests());
}

// ---------------------------------------------------------------------------
// XML

/// An XML answer nested 100,000 deep is rejected at the depth limit.
#[tokio::test]
async fn xml_nested_100000_deep_is_rejected() {
    let mut body = LIST_HEAD.to_string();
    body.push_str(&"<a>".repeat(100_000));
    body.push_str(&"</a>".repeat(100_000));
    body.push_str("</ListBucketResult>");
    let server = RawServer::start(move |_| Raw::Send(ok("200 OK", &[], body.as_bytes()))).await;
    let e = bounded(store(&server.base(), 0).list(None).collect())
        .await
        .unwrap_err();
    assert_kind(&e, ErrorKind::Service);
    assert!(e.to_string().contains("deeper than"), "{e}");
}

/// A 1 GiB list page (announced and sent) stops at MAX_RESPONSE_BODY: the
/// error names the limit and the client hangs up long before the end.
#[tokio::test]
async fn one_gib_list_page_stops_at_the_body_limit() {
    const GIB: u64 = 1 << 30;
    let server = RawServer::start(|_| {
        let entry = "<Contents><Key>k</Key><Size>1</Size></Contents>".repeat(1_000);
        let mut head = answer("200 OK", &[("content-length", &GIB.to_string())], b"");
        head.extend_from_slice(LIST_HEAD.as_bytes());
        Raw::Stream {
            head,
            filler: entry.into_bytes(),
            limit: Some(GIB),
            gap: None,
        }
    })
    .await;
    let e = bounded(store(&server.base(), 0).list(None).collect())
        .await
        .unwrap_err();
    assert_kind(&e, ErrorKind::Service);
    assert!(
        e.to_string().contains(&MAX_RESPONSE_BODY.to_string()),
        "{e}"
    );
    server.wait_for_hang_up().await;
    assert!(
        server.max_written() < 2 * MAX_RESPONSE_BODY as u64,
        "the server wrote {} bytes",
        server.max_written()
    );
}

/// The same page sent without a length (chunked) stops at the limit too.
#[tokio::test]
async fn endless_chunked_list_page_stops_at_the_body_limit() {
    let server = RawServer::start(|_| {
        let entry = "<Contents><Key>k</Key><Size>1</Size></Contents>".repeat(1_000);
        let mut head = answer("200 OK", &[("transfer-encoding", "chunked")], b"");
        head.extend_from_slice(format!("{:x}\r\n{LIST_HEAD}\r\n", LIST_HEAD.len()).as_bytes());
        let filler = format!("{:x}\r\n{entry}\r\n", entry.len()).into_bytes();
        Raw::Stream {
            head,
            filler,
            limit: None,
            gap: None,
        }
    })
    .await;
    let e = bounded(store(&server.base(), 0).list(None).collect())
        .await
        .unwrap_err();
    assert_kind(&e, ErrorKind::Service);
    assert!(
        e.to_string().contains(&MAX_RESPONSE_BODY.to_string()),
        "{e}"
    );
    server.wait_for_hang_up().await;
}

/// Entity definitions (a billion laughs, an external file) are never
/// expanded: the page is rejected and no file content leaks.
#[tokio::test]
async fn xml_entity_expansion_is_not_performed() {
    let laughs = "<?xml version=\"1.0\"?><!DOCTYPE lolz [\
        <!ENTITY lol \"lol\">\
        <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\
        <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\
        <!ENTITY lol9 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\
        <!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\
        <ListBucketResult><Name>b</Name><IsTruncated>false</IsTruncated>\
        <Contents><Key>&lol9;&xxe;</Key><Size>1</Size></Contents></ListBucketResult>";
    let server = RawServer::start(move |_| Raw::Send(ok("200 OK", &[], laughs.as_bytes()))).await;
    let e = bounded(store(&server.base(), 0).list(None).collect())
        .await
        .unwrap_err();
    assert_kind(&e, ErrorKind::Service);
    assert!(!e.to_string().contains("lollol"), "{e}");
    assert!(!e.to_string().contains("root:"), "{e}");
}

// ---------------------------------------------------------------------------
// Listings that do not lead on

fn list_page(token: Option<&str>, keys: &[&str]) -> String {
    let mut page = format!("{LIST_HEAD}<IsTruncated>true</IsTruncated>");
    if let Some(t) = token {
        page.push_str(&format!(
            "<NextContinuationToken>{t}</NextContinuationToken>"
        ));
    }
    for k in keys {
        page.push_str(&format!(
            "<Contents><Key>{k}</Key><Size>1</Size><ETag>\"e\"</ETag>\
             <LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>"
        ));
    }
    page.push_str("</ListBucketResult>");
    page
}

/// The same continuation token forever: detected on the second page.
#[tokio::test]
async fn list_with_the_same_token_forever_is_detected() {
    let server =
        FaultServer::respond_with(|_| expect(Method::GET, "").body(list_page(Some("t"), &["a"])))
            .await;
    let e = bounded(store(&server.base(), 0).list(None).collect())
        .await
        .unwrap_err();
    assert_kind(&e, ErrorKind::Service);
    assert!(e.to_string().contains("sent before"), "{e}");
    assert_eq!(server.requests(), 2);
}

/// A cycle of tokens (t1 -> t2 -> t1) is caught as it closes.
#[tokio::test]
async fn list_token_cycle_is_detected() {
    let server = FaultServer::respond_with(|seen| {
        let next = if seen.path.contains("t1") { "t2" } else { "t1" };
        expect(Method::GET, "").body(list_page(Some(next), &["a"]))
    })
    .await;
    let e = bounded(store(&server.base(), 0).list(None).collect())
        .await
        .unwrap_err();
    assert_kind(&e, ErrorKind::Service);
    assert!(e.to_string().contains("sent before"), "{e}");
    assert_eq!(server.requests(), 3);
}

/// A ListObjectVersions page with `key`'s markers (`None`: not truncated).
fn versions_page(next: Option<&str>, versions: usize) -> String {
    let mut page = String::from("<ListVersionsResult>");
    match next {
        Some(k) => page.push_str(&format!(
            "<IsTruncated>true</IsTruncated><NextKeyMarker>{k}</NextKeyMarker>\
             <NextVersionIdMarker>v</NextVersionIdMarker>"
        )),
        None => page.push_str("<IsTruncated>false</IsTruncated>"),
    }
    for i in 0..versions {
        page.push_str(&format!(
            "<Version><Key>k{i}</Key><VersionId>v{i}</VersionId><IsLatest>true</IsLatest>\
             <LastModified>2026-01-01T00:00:00.000Z</LastModified><Size>1</Size></Version>"
        ));
    }
    page.push_str("</ListVersionsResult>");
    page
}

/// ListObjectVersions markers that cycle (m1 -> m2 -> m1) are caught as the
/// cycle closes; a truncated page without markers fails; fresh markers on
/// empty pages forever stop at the limit.
#[tokio::test]
async fn version_listing_cycles_gaps_and_empty_pages_are_detected() {
    let server = FaultServer::respond_with(|seen| {
        let next = if seen.path.contains("key-marker=m1") {
            "m2"
        } else {
            "m1"
        };
        expect(Method::GET, "").body(versions_page(Some(next), 1))
    })
    .await;
    let e = bounded(store(&server.base(), 0).list_versions(None).collect())
        .await
        .unwrap_err();
    assert_kind(&e, ErrorKind::Service);
    assert!(e.to_string().contains("already sent"), "{e}");
    assert_eq!(server.requests(), 3);

    let server = FaultServer::respond_with(|_| {
        expect(Method::GET, "")
            .body("<ListVersionsResult><IsTruncated>true</IsTruncated></ListVersionsResult>")
    })
    .await;
    let e = bounded(store(&server.base(), 0).list_versions(None).collect())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("NextKeyMarker"), "{e}");

    let n = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&n);
    let server = FaultServer::respond_with(move |_| {
        let i = count.fetch_add(1, Ordering::SeqCst);
        expect(Method::GET, "").body(versions_page(Some(&format!("m{i}")), 0))
    })
    .await;
    let e = bounded(store(&server.base(), 0).list_versions(None).collect())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("truncated pages in a row"), "{e}");
    assert_eq!(server.requests(), MAX_LIST_PAGES_WITHOUT_PROGRESS + 1);
}

/// IsTruncated=true without a token fails instead of ending quietly.
#[tokio::test]
async fn list_truncated_without_a_token_fails() {
    let server =
        FaultServer::respond_with(|_| expect(Method::GET, "").body(list_page(None, &["a"]))).await;
    let e = bounded(store(&server.base(), 0).list(None).collect())
        .await
        .unwrap_err();
    assert_kind(&e, ErrorKind::Service);
    assert!(e.to_string().contains("NextContinuationToken"), "{e}");
}

/// Fresh tokens forever, each page empty: stopped after
/// MAX_LIST_PAGES_WITHOUT_PROGRESS pages.
#[tokio::test]
async fn list_of_empty_pages_forever_stops_at_the_limit() {
    let n = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&n);
    let server = FaultServer::respond_with(move |_| {
        let i = count.fetch_add(1, Ordering::SeqCst);
        expect(Method::GET, "").body(list_page(Some(&format!("t{i}")), &[]))
    })
    .await;
    let e = bounded(store(&server.base(), 0).list(None).collect())
        .await
        .unwrap_err();
    assert_kind(&e, ErrorKind::Service);
    assert!(
        e.to_string().contains("MAX_LIST_PAGES_WITHOUT_PROGRESS"),
        "{e}"
    );
    assert_eq!(server.requests(), MAX_LIST_PAGES_WITHOUT_PROGRESS + 1);
}

/// ListParts with a marker that goes back would loop: it fails instead.
#[tokio::test]
async fn list_parts_marker_that_goes_back_fails() {
    let server = FaultServer::respond_with(|seen| {
        let next = if seen.path.contains("part-number-marker=5") {
            3
        } else {
            5
        };
        expect(Method::GET, "").body(format!(
            "<ListPartsResult><Bucket>b</Bucket><Key>k</Key><UploadId>u</UploadId>\
             <IsTruncated>true</IsTruncated><NextPartNumberMarker>{next}</NextPartNumberMarker>\
             <Part><PartNumber>{next}</PartNumber><ETag>\"e\"</ETag><Size>5</Size></Part>\
             </ListPartsResult>"
        ))
    })
    .await;
    let e = bounded(store(&server.base(), 0).list_parts("k", "u"))
        .await
        .unwrap_err();
    assert_kind(&e, ErrorKind::Service);
    assert!(e.to_string().contains("does not advance"), "{e}");
}

/// ListMultipartUploads truncated without a marker fails instead of
/// passing a partial list; markers that cycle fail too.
#[tokio::test]
async fn list_uploads_without_progress_fails() {
    let page = |next: Option<&str>| {
        format!(
            "<ListMultipartUploadsResult><Bucket>b</Bucket><IsTruncated>true</IsTruncated>{}\
             <Upload><Key>k</Key><UploadId>u</UploadId></Upload></ListMultipartUploadsResult>",
            next.map_or(String::new(), |k| format!(
                "<NextKeyMarker>{k}</NextKeyMarker>"
            ))
        )
    };
    let no_marker = page(None);
    let server =
        FaultServer::respond_with(move |_| expect(Method::GET, "").body(no_marker.clone())).await;
    let e = bounded(store(&server.base(), 0).list_multipart_uploads(None))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("NextKeyMarker"), "{e}");
    let server = FaultServer::respond_with(move |seen| {
        let next = if seen.path.contains("key-marker=m1") {
            "m2"
        } else {
            "m1"
        };
        expect(Method::GET, "").body(page(Some(next)))
    })
    .await;
    let e = bounded(store(&server.base(), 0).list_multipart_uploads(None))
        .await
        .unwrap_err();
    assert_kind(&e, ErrorKind::Service);
    assert!(e.to_string().contains("sent before"), "{e}");
}

/// A `Retry-After` of centuries is capped at RetryConfig::max_backoff.
#[tokio::test]
async fn huge_retry_after_is_capped_at_max_backoff() {
    let server = FaultServer::start([
        expect(Method::GET, "/b/k")
            .error(503, "SlowDown")
            .header("retry-after", "99999999999"),
        expect(Method::GET, "/b/k").body("ok"),
    ])
    .await;
    let clock = VirtualClock::default();
    let mut retry = RetryConfig::default();
    retry.jitter_seed = Some(7);
    let max = retry.max_backoff;
    let store = S3Store::builder()
        .bucket("b")
        .endpoint(server.base())
        .allow_http(true)
        .access_key_id("AKIDEXAMPLE")
        .secret_access_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        .retry(retry)
        .clock(clock.clone())
        .build()
        .unwrap();
    let body = bounded(async { store.get("k").await?.bytes().await })
        .await
        .unwrap();
    assert_eq!(body, "ok");
    assert_eq!(clock.sleeps(), [max]);
}

// ---------------------------------------------------------------------------
// Redirects

/// A redirect to another host is never followed, so the signed request
/// (and its credentials) never reach that host.
#[tokio::test]
async fn redirect_to_another_host_is_not_followed() {
    let evil = RawServer::start(|_| Raw::Send(ok("200 OK", &[], b"stolen"))).await;
    let location = format!("{}/b/k", evil.base());
    for status in [
        "301 Moved Permanently",
        "302 Found",
        "307 Temporary Redirect",
    ] {
        let location = location.clone();
        let server =
            RawServer::start(move |_| Raw::Send(ok(status, &[("location", &location)], b""))).await;
        let e = bounded(async { store(&server.base(), 0).get("k").await?.bytes().await })
            .await
            .unwrap_err();
        assert_kind(&e, ErrorKind::Service);
        assert!(!e.to_string().contains("wJalrXUtnFEMI"), "{e}");
    }
    assert!(evil.requests().is_empty(), "{:?}", evil.requests());
}

// ---------------------------------------------------------------------------
// Credential endpoints

/// An IMDS that answers garbage, huge JSON or slowly: a Credentials error
/// within the provider's timeout.
#[tokio::test]
async fn imds_garbage_huge_or_slow_fails() {
    let huge = format!(
        "{{\"Code\":\"Success\",\"x\":\"{}\"}}",
        "a".repeat(2 * MAX_CREDENTIALS_BODY)
    );
    let cases: Vec<(&str, Raw)> = vec![
        (
            "garbage",
            Raw::Send(ok("200 OK", &[], b"\x00\xff{{{not json")),
        ),
        ("huge", Raw::Send(ok("200 OK", &[], huge.as_bytes()))),
        (
            "slow",
            Raw::Stream {
                head: answer("200 OK", &[("content-length", "100000")], b"{"),
                filler: b" ".to_vec(),
                limit: None,
                gap: Some(Duration::from_millis(100)),
            },
        ),
    ];
    for (name, creds) in cases {
        let server = RawServer::start(move |head| {
            if head.starts_with("PUT") {
                Raw::Send(ok("200 OK", &[], b"TOKEN"))
            } else if head.contains("security-credentials/ ") {
                Raw::Send(ok("200 OK", &[], b"role"))
            } else {
                creds.clone()
            }
        })
        .await;
        let e = bounded(
            ImdsProvider::with_lookup(vars(&[]))
                .with_endpoint(server.base())
                .with_timeout(Duration::from_secs(1))
                .credentials(),
        )
        .await
        .unwrap_err();
        assert_kind(&e, ErrorKind::Credentials);
        if name == "huge" {
            assert!(
                e.to_string().contains(&MAX_CREDENTIALS_BODY.to_string()),
                "{e}"
            );
        }
    }
}

/// An ECS/EKS endpoint that answers huge JSON or drips it: a Credentials
/// error within the provider's bound.
#[tokio::test]
async fn container_endpoint_huge_or_slow_fails() {
    let huge = format!(
        "{{\"AccessKeyId\":\"{}\"}}",
        "a".repeat(2 * MAX_CREDENTIALS_BODY)
    );
    let cases = vec![
        Raw::Send(ok("200 OK", &[], huge.as_bytes())),
        Raw::Stream {
            head: answer("200 OK", &[("content-length", "100000")], b"{"),
            filler: b" ".to_vec(),
            limit: None,
            gap: Some(Duration::from_millis(200)),
        },
        Raw::Send(ok(
            "200 OK",
            &[],
            b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        )),
    ];
    for creds in cases {
        let server = RawServer::start(move |_| creds.clone()).await;
        let e = bounded(
            ContainerProvider::with_lookup(vars(&[(
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "/creds",
            )]))
            .with_ecs_host(server.base())
            .credentials(),
        )
        .await
        .unwrap_err();
        assert_kind(&e, ErrorKind::Credentials);
    }
}

/// A home whose `[default]` profile uses SSO session `corp`, with `cache`
/// as its token cache file (`~/.aws/sso/cache/` + sha1("corp") + `.json`).
fn sso_home(cache: &str) -> TempDir {
    let home = TempDir::new();
    home.write(
        ".aws/config",
        "[default]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Reader\n\
         [sso-session corp]\nsso_start_url = https://d-123.awsapps.com/start\nsso_region = eu-west-1\n",
    );
    home.write(SSO_CACHE_FILE, cache);
    home
}

/// sha1("corp"), the cache file name the AWS CLI gives session `corp`.
const SSO_CACHE_FILE: &str = ".aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json";

/// A token valid for centuries.
const SSO_VALID_TOKEN: &str = r#"{"accessToken":"SSOTOKEN","expiresAt":"2999-01-01T00:00:00Z"}"#;

/// An expired token with what a refresh needs.
const SSO_REFRESHABLE_TOKEN: &str = r#"{"accessToken":"SSOTOKEN","expiresAt":"2020-01-01T00:00:00Z",
    "clientId":"CLIENT1","clientSecret":"CSECRET1","refreshToken":"REFRESH1",
    "registrationExpiresAt":"2999-01-01T00:00:00Z"}"#;

/// The profile provider of `home`, with the SSO portal at `portal` and
/// SSO-OIDC at `oidc`.
fn sso_provider(home: &TempDir, portal: &str, oidc: &str) -> ProfileProvider {
    ProfileProvider::with_lookup(vars(&[
        ("AWS_ENDPOINT_URL_SSO", portal),
        ("AWS_ENDPOINT_URL_SSO_OIDC", oidc),
    ]))
    .with_home_dir(home.path())
}

/// Garbage, JSON past MAX_CREDENTIALS_BODY, JSON nested 100,000 deep, and
/// an answer that drips a byte every 200 ms.
fn hostile_json_answers() -> Vec<(&'static str, Raw)> {
    let huge = format!(
        "{{\"roleCredentials\":{{\"accessKeyId\":\"{}\"}}}}",
        "a".repeat(2 * MAX_CREDENTIALS_BODY)
    );
    vec![
        (
            "garbage",
            Raw::Send(ok("200 OK", &[], b"\x00\xff{{{not json")),
        ),
        ("huge", Raw::Send(ok("200 OK", &[], huge.as_bytes()))),
        ("deep", Raw::Send(ok("200 OK", &[], &[b'['; 100_000]))),
        (
            "slow",
            Raw::Stream {
                head: answer("200 OK", &[("content-length", "100000")], b"{"),
                filler: b" ".to_vec(),
                limit: None,
                gap: Some(Duration::from_millis(200)),
            },
        ),
    ]
}

/// The outcome each of [`hostile_json_answers`] must give: a Credentials
/// error, naming the limit for the huge one and the total bound (SSO's
/// 10 s) for the slow one.
fn assert_hostile_json_outcome(name: &str, e: &Error) {
    assert_kind(e, ErrorKind::Credentials);
    match name {
        "huge" => assert!(
            e.to_string().contains(&MAX_CREDENTIALS_BODY.to_string()),
            "{e}"
        ),
        "slow" => assert!(e.to_string().contains("within 10s"), "{e}"),
        _ => {}
    }
}

/// An SSO portal whose GetRoleCredentials answers garbage, huge JSON, deep
/// JSON or a drip: a Credentials error within the SSO bound (10 s), one
/// request each.
#[tokio::test]
async fn sso_portal_garbage_huge_deep_or_slow_fails() {
    for (name, creds) in hostile_json_answers() {
        let portal = RawServer::start(move |_| creds.clone()).await;
        let home = sso_home(SSO_VALID_TOKEN);
        let e = bounded(sso_provider(&home, &portal.base(), "http://127.0.0.1:9").credentials())
            .await
            .unwrap_err();
        assert_hostile_json_outcome(name, &e);
        let requests = portal.requests();
        assert_eq!(requests.len(), 1, "{name}: {requests:?}");
        assert!(
            requests[0].starts_with("GET /federation/credentials?"),
            "{requests:?}"
        );
    }
}

/// An SSO-OIDC endpoint whose CreateToken (the refresh of an expired token)
/// answers garbage, huge JSON, deep JSON or a drip: a Credentials error
/// within the bound, the cache file untouched, the portal never asked.
#[tokio::test]
async fn sso_token_refresh_garbage_huge_deep_or_slow_fails() {
    for (name, answer) in hostile_json_answers() {
        let oidc = RawServer::start(move |_| answer.clone()).await;
        let portal =
            RawServer::start(|_| Raw::Send(ok("500 Internal Server Error", &[], b""))).await;
        let home = sso_home(SSO_REFRESHABLE_TOKEN);
        let e = bounded(sso_provider(&home, &portal.base(), &oidc.base()).credentials())
            .await
            .unwrap_err();
        assert_hostile_json_outcome(name, &e);
        assert_eq!(oidc.requests().len(), 1, "{name}");
        assert!(portal.requests().is_empty(), "{name}");
        let cache = std::fs::read_to_string(home.path().join(SSO_CACHE_FILE)).unwrap();
        assert_eq!(cache, SSO_REFRESHABLE_TOKEN, "{name}");
    }
}

/// A CreateToken answer whose `expiresIn` puts the expiry past what a
/// timestamp holds is refused, cache file untouched. Broke: `now +
/// expiresIn` panicked (time's `Add` overflows) inside the provider.
#[tokio::test]
async fn sso_token_refresh_with_expires_in_past_any_timestamp_fails() {
    for expires_in in ["9223372036854775807", "-9223372036854775808"] {
        let body = format!(r#"{{"accessToken":"NEWTOKEN","expiresIn":{expires_in}}}"#);
        let oidc = RawServer::start(move |_| Raw::Send(ok("200 OK", &[], body.as_bytes()))).await;
        let portal =
            RawServer::start(|_| Raw::Send(ok("500 Internal Server Error", &[], b""))).await;
        let home = sso_home(SSO_REFRESHABLE_TOKEN);
        let e = bounded(sso_provider(&home, &portal.base(), &oidc.base()).credentials())
            .await
            .unwrap_err();
        assert_kind(&e, ErrorKind::Credentials);
        assert!(e.to_string().contains("expiresIn"), "{e}");
        assert!(!e.to_string().contains("NEWTOKEN"), "{e}");
        assert!(portal.requests().is_empty());
        let cache = std::fs::read_to_string(home.path().join(SSO_CACHE_FILE)).unwrap();
        assert_eq!(cache, SSO_REFRESHABLE_TOKEN);
    }
}

// ---------------------------------------------------------------------------
// credential_process

/// A command that prints megabytes is killed at the output limit.
#[tokio::test]
async fn credential_process_printing_megabytes_is_cut_off() {
    let e = bounded(ProcessProvider::new("yes AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").credentials())
        .await
        .unwrap_err();
    assert_kind(&e, ErrorKind::Credentials);
    assert!(
        e.to_string()
            .contains(&MAX_CREDENTIAL_PROCESS_OUTPUT.to_string()),
        "{e}"
    );
}

/// A command that never exits is killed at its timeout, with what it
/// started.
#[tokio::test]
async fn credential_process_that_never_exits_is_killed() {
    let dir = TempDir::new();
    let pid_file = dir.path().join("pid");
    let command = format!("sleep 1000 & echo $! > {}; wait", pid_file.display());
    let e = bounded(
        ProcessProvider::new(command)
            .with_timeout(Duration::from_millis(500))
            .credentials(),
    )
    .await
    .unwrap_err();
    assert_kind(&e, ErrorKind::Credentials);
    assert!(e.to_string().contains("CREDENTIAL_PROCESS_TIMEOUT"), "{e}");
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let stat = format!("/proc/{}/stat", pid.trim());
    for _ in 0..500 {
        let gone = std::fs::read_to_string(&stat)
            .map_or(true, |s| s.split_whitespace().nth(2) == Some("Z"));
        if gone {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the command's child {pid} still runs");
}

// ---------------------------------------------------------------------------
// Profile files

fn profile(home: &TempDir, config: &str) -> ProfileProvider {
    home.write(".aws/config", config);
    ProfileProvider::with_lookup(vars(&[("AWS_PROFILE", "p0")])).with_home_dir(home.path())
}

/// A `source_profile` cycle is reported, with no request made.
#[tokio::test]
async fn source_profile_cycle_is_reported() {
    let home = TempDir::new();
    let config = "[profile p0]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = p1\n\
                  [profile p1]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = p0\n";
    let e = bounded(profile(&home, config).credentials())
        .await
        .unwrap_err();
    assert_kind(&e, ErrorKind::Credentials);
    assert!(e.to_string().contains("loop"), "{e}");
}

/// 10,000 sections chained by `source_profile`: the chain stops at its hop
/// limit, quickly.
#[tokio::test]
async fn ten_thousand_chained_sections_stop_at_the_hop_limit() {
    let home = TempDir::new();
    let mut config = String::new();
    for i in 0..10_000 {
        config.push_str(&format!(
            "[profile p{i}]\nrole_arn = arn:aws:iam::1:role/r{i}\nsource_profile = p{}\n",
            i + 1
        ));
    }
    let e = bounded(profile(&home, &config).credentials())
        .await
        .unwrap_err();
    assert_kind(&e, ErrorKind::Credentials);
    assert!(e.to_string().contains("loop"), "{e}");
}

/// 10,000 plain sections: the one asked for is found.
#[tokio::test]
async fn ten_thousand_sections_are_read() {
    let home = TempDir::new();
    let mut config = String::new();
    for i in (0..10_000).rev() {
        config.push_str(&format!(
            "[profile p{i}]\naws_access_key_id = AKID{i}\naws_secret_access_key = s{i}\n"
        ));
    }
    let c = bounded(profile(&home, &config).credentials())
        .await
        .unwrap();
    assert_eq!(c.access_key_id(), "AKID0");
}

/// A config file that never ends (`/dev/zero`) stops at MAX_PROFILE_FILE.
#[cfg(unix)]
#[tokio::test]
async fn endless_config_file_stops_at_the_limit() {
    let home = TempDir::new();
    let e = bounded(
        ProfileProvider::with_lookup(vars(&[
            ("AWS_PROFILE", "p0"),
            ("AWS_CONFIG_FILE", "/dev/zero"),
        ]))
        .with_home_dir(home.path())
        .credentials(),
    )
    .await
    .unwrap_err();
    assert_kind(&e, ErrorKind::Credentials);
    assert!(
        format!("{e:#}").contains(&MAX_PROFILE_FILE.to_string()) || {
            let mut chain = String::new();
            let mut next: Option<&dyn std::error::Error> = Some(&e);
            while let Some(err) = next {
                chain.push_str(&err.to_string());
                next = err.source();
            }
            chain.contains(&MAX_PROFILE_FILE.to_string())
        },
        "{e}"
    );
}
