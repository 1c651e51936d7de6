//! `S3Store::get_ranges` and `S3Store::list_with_delimiter_pages` on real
//! servers (LocalStack and s3s-fs), through a recording client so the
//! number of GETs and list pages is seen: nearby ranges share one GET,
//! far ones do not, each piece is the object's bytes; a delimiter listing
//! of a wide "directory" arrives page by page with its common prefixes.
#![cfg(feature = "hyper-rustls")]
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;
#[path = "common/recorder.rs"]
mod recorder;

use bytes::Bytes;
use common::{Server, cleanup, unique_bucket};
use http::Method;
use recorder::Recorder;
use s3lite::{COALESCE_GAP, ErrorKind, ListOptions, S3Store};

const MIB: u64 = 1024 * 1024;

/// A fresh bucket on `server`, a recording store on it and a plain one.
async fn stores(server: &Server, name: &str) -> (S3Store, Recorder, S3Store) {
    let bucket = unique_bucket(name);
    let plain = server.store(&bucket).unwrap();
    plain.create_bucket().await.unwrap();
    let rec = Recorder::new();
    let store = server
        .store_builder(&bucket)
        .http_client(rec.clone())
        .build()
        .unwrap();
    (store, rec, plain)
}

async fn ranges_are_coalesced_and_exact(server: Server) {
    let (store, rec, plain) = stores(&server, "get-ranges").await;
    let size = 6 * MIB + 17;
    let data: Vec<u8> = (0..size).map(|i| (i * 31 % 253) as u8).collect();
    plain
        .put("obj.bin", Bytes::from(data.clone()))
        .await
        .unwrap();

    let far = 4 * MIB;
    let asked = [
        far..far + 1000, // alone: more than COALESCE_GAP from the rest
        0..10,           // with the next two: overlapping and near
        5..20,
        100_000..100_500,
        7..7,           // empty: no bytes, no request
        size - 3..size, // the last bytes, far from the others
    ];
    assert!(far - 100_500 > COALESCE_GAP && size - 3 - (far + 1000) > COALESCE_GAP);
    rec.clear();
    let got = store.get_ranges("obj.bin", &asked).await.unwrap();
    for (r, bytes) in asked.iter().zip(&got) {
        assert_eq!(
            bytes.as_ref(),
            &data[r.start as usize..r.end as usize],
            "{r:?}"
        );
    }
    let gets = rec
        .log()
        .into_iter()
        .filter(|e| e.method == Method::GET)
        .count();
    assert_eq!(gets, 3, "{} GETs: {:?}", server.name, rec.log());

    // A range past the end is refused, naming it; so is a reversed one.
    let e = store
        .get_ranges("obj.bin", &[0..10, size - 5..size + 5])
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(
        e.to_string()
            .contains(&format!("{}..{}", size - 5, size + 5)),
        "{e}"
    );
    #[allow(clippy::reversed_empty_ranges, reason = "the bad input under test")]
    let reversed = 30..20;
    let e = store
        .get_ranges("obj.bin", std::slice::from_ref(&reversed))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("30..20"), "{e}");
    let e = store
        .get_ranges("missing", std::slice::from_ref(&(0..1)))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    cleanup(&plain).await;
}

#[tokio::test]
async fn get_ranges_on_localstack() {
    if let Some(server) = Server::localstack() {
        ranges_are_coalesced_and_exact(server).await;
    }
}

#[tokio::test]
async fn get_ranges_on_s3s_fs() {
    if let Some(server) = Server::s3s_fs() {
        ranges_are_coalesced_and_exact(server).await;
    }
}

async fn delimiter_listing_arrives_page_by_page(server: Server) {
    let (store, rec, plain) = stores(&server, "list-pages").await;
    // 7 "directories" and 5 objects directly under `top/`, plus deeper keys.
    for d in 0..7 {
        plain
            .put(&format!("top/dir{d}/a"), Bytes::from_static(b"x"))
            .await
            .unwrap();
        plain
            .put(&format!("top/dir{d}/deeper/b"), Bytes::from_static(b"x"))
            .await
            .unwrap();
    }
    for f in 0..5 {
        plain
            .put(&format!("top/file{f}"), Bytes::from_static(b"x"))
            .await
            .unwrap();
    }
    rec.clear();
    let options = ListOptions::prefix("top/").with_page_size(4);
    let mut pages = store.list_with_delimiter_pages(options.clone());
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        count += 1;
        assert!(
            page.objects.len() + page.common_prefixes.len() <= 4,
            "{page:?}"
        );
        // Read lazily: one request per page read so far.
        let lists = rec.log().len();
        assert_eq!(lists, count, "{}", server.name);
        dirs.extend(page.common_prefixes);
        files.extend(page.objects.into_iter().map(|o| o.key));
    }
    dirs.sort();
    files.sort();
    assert_eq!(count, 3, "12 entries at 4 a page on {}", server.name);
    assert_eq!(
        dirs,
        (0..7).map(|d| format!("top/dir{d}/")).collect::<Vec<_>>()
    );
    assert_eq!(
        files,
        (0..5).map(|f| format!("top/file{f}")).collect::<Vec<_>>()
    );

    // The in-memory form is the same listing.
    let all = store.list_with_delimiter_opts(options).await.unwrap();
    let mut all_dirs = all.common_prefixes.clone();
    all_dirs.sort();
    assert_eq!(all_dirs, dirs);
    assert_eq!(all.objects.len(), 5);
    cleanup(&plain).await;
}

#[tokio::test]
async fn delimiter_pages_on_localstack() {
    if let Some(server) = Server::localstack() {
        delimiter_listing_arrives_page_by_page(server).await;
    }
}

#[tokio::test]
async fn delimiter_pages_on_s3s_fs() {
    if let Some(server) = Server::s3s_fs() {
        delimiter_listing_arrives_page_by_page(server).await;
    }
}
