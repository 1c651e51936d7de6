//! Parsing cost of the XML layer: a full 1,000-key ListObjectsV2 page and an
//! `<Error>` body, each beside the same parse done the way object_store does
//! it (`quick_xml::de` into serde structs; the peer's `*_serde` functions),
//! producing the same fields: every key's name, date (parsed), ETag, size,
//! storage class, owner and checksum algorithm; the error's code, message,
//! key, request id and host id.

#![allow(missing_docs, reason = "criterion_group! generates undocumented items")]

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde::Deserialize;

/// A ListObjectsV2 page of `n` keys as S3 writes it (with owner, checksum
/// and escaped ETag quotes), generated so the benchmark needs no fixture.
fn list_page(n: usize) -> String {
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
         <Name>bench-bucket</Name><Prefix>data/</Prefix><MaxKeys>1000</MaxKeys>\
         <IsTruncated>true</IsTruncated>\
         <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>",
    );
    let _ = write!(body, "<KeyCount>{n}</KeyCount>");
    for i in 0..n {
        let _ = write!(
            body,
            "<Contents><Key>data/2024/05/{i:06}-r&amp;d.parquet</Key>\
             <LastModified>2024-05-01T10:{:02}:{:02}.000Z</LastModified>\
             <ETag>&quot;{i:032x}&quot;</ETag><ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm>\
             <Size>{}</Size><StorageClass>STANDARD</StorageClass>\
             <Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID></Owner>\
             </Contents>",
            i / 60 % 60,
            i % 60,
            1_000 + i * 37,
        );
    }
    body.push_str("</ListBucketResult>");
    body
}

const ERROR_BODY: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
    <Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>\
    <Key>data/2024/05/000001.parquet</Key><RequestId>4442587FB7D0A2F9</RequestId>\
    <HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId></Error>";

/// object_store's `ListResponse`, with every field s3lite's page has.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code, reason = "fields are parsed, not read: the work under test")]
struct SerdeListPage {
    #[serde(default)]
    contents: Vec<SerdeObject>,
    #[serde(default)]
    common_prefixes: Vec<SerdePrefix>,
    is_truncated: bool,
    next_continuation_token: Option<String>,
    key_count: Option<u64>,
    prefix: Option<String>,
    start_after: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code, reason = "parsed, not read")]
struct SerdeObject {
    key: String,
    last_modified: String,
    #[serde(rename = "ETag")]
    e_tag: Option<String>,
    size: u64,
    storage_class: Option<String>,
    owner: Option<SerdeOwner>,
    checksum_algorithm: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code, reason = "parsed, not read")]
struct SerdeOwner {
    #[serde(rename = "ID")]
    id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code, reason = "parsed, not read")]
struct SerdePrefix {
    prefix: String,
}

/// object_store's `S3ErrorResponse`-style body, with s3lite's fields.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code, reason = "parsed, not read")]
struct SerdeError {
    code: Option<String>,
    message: Option<String>,
    key: Option<String>,
    request_id: Option<String>,
    host_id: Option<String>,
}

/// The peer's page parse: deserialize, then parse each date (object_store
/// deserializes `LastModified` into a `chrono::DateTime`; the date parse
/// here is s3lite's, so only the XML work differs).
fn serde_list(body: &[u8]) -> usize {
    let page: SerdeListPage = quick_xml::de::from_reader(body).expect("page");
    let mut n = 0;
    for o in &page.contents {
        n += usize::from(s3lite::date::parse_iso8601(&o.last_modified).is_ok());
    }
    n
}

fn bench_list_objects_v2(c: &mut Criterion) {
    let body = list_page(1_000);
    let mut group = c.benchmark_group("xml");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("parse_list_objects_v2_1000_keys", |b| {
        b.iter(|| {
            let page = s3lite::xml::parse_list_objects_v2(black_box(body.as_bytes()));
            black_box(page.map(|p| p.contents.len()).unwrap_or(0))
        });
    });
    assert_eq!(
        serde_list(body.as_bytes()),
        1_000,
        "the peer parses every key"
    );
    group.bench_function("parse_list_objects_v2_1000_keys_serde", |b| {
        b.iter(|| black_box(serde_list(black_box(body.as_bytes()))));
    });
    group.finish();
}

fn bench_error(c: &mut Criterion) {
    c.bench_function("xml/parse_error", |b| {
        b.iter(|| black_box(s3lite::xml::parse_error(black_box(ERROR_BODY.as_bytes()))));
    });
    c.bench_function("xml/parse_error_serde", |b| {
        b.iter(|| {
            let e: Result<SerdeError, _> =
                quick_xml::de::from_reader(black_box(ERROR_BODY.as_bytes()));
            black_box(e.map(|e| e.code).ok())
        });
    });
    c.bench_function("xml/is_error_body", |b| {
        b.iter(|| black_box(s3lite::xml::is_error_body(black_box(ERROR_BODY.as_bytes()))));
    });
}

criterion_group!(benches, bench_list_objects_v2, bench_error);
criterion_main!(benches);
