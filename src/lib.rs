//! s3lite: a small S3 client with its own AWS Signature V4 signer.
//!
//! # Quick start
//!
//! ```no_run
//! use s3lite::S3Store;
//!
//! # async fn run() -> s3lite::Result<()> {
//! let store = S3Store::builder()
//!     .bucket("photos")
//!     .region("eu-west-1")
//!     .build()?; // credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
//! store.put("cat.jpg", bytes::Bytes::from_static(b"...")).await?;
//! let data = store.get("cat.jpg").await?.bytes().await?;
//! let mut listing = store.list(Some("2026/"));
//! while let Some(meta) = listing.next().await {
//!     println!("{}", meta?.key);
//! }
//! # let _ = data; Ok(()) }
//! ```
//!
//! # Layers
//!
//! Pure, no I/O and no async (they build with `--no-default-features`):
//! [`sign`] (SigV4 signing and presigning; time is an argument),
//! [`endpoint`] (AWS's S3 endpoint rules: URLs, addressing style, signing name and
//! region), [`xml`] (S3 bodies), [`date`].
//!
//! I/O: `credentials` (where keys come from), `transport` (the
//! `HttpClient` trait and its hyper default), `retry` (backoff), and the
//! store on top: [`S3Store`].
//!
//! # Features
//!
//! - `hyper-rustls` (default): the default HTTP client, hyper 1.x over
//!   rustls with ring and the webpki roots; HTTP/1.1 with pooling.
//! - `reqwest` (off): `transport::ReqwestClient`, for users who already
//!   depend on reqwest.
//! - `http2` (off): HTTP/2 for both clients (`http2_only`, or ALPN with
//!   `http1_only = false`); off because h2 adds 8 crates.
//! - `object-store` (off): [`object_store::S3ObjectStore`] (module
//!   `s3lite::object_store`), the `object_store` crate's `ObjectStore`,
//!   `MultipartStore` and `PaginatedListStore` traits over [`S3Store`]: a
//!   drop-in for `AmazonS3` in programs written for `Arc<dyn ObjectStore>`.
//! - `_fuzz` (internal, off): `s3lite::__fuzz`, the crate-private parsers
//!   re-exported for the fuzz targets in `fuzz/`; not an API.
//!
//! # Logging and secrets
//!
//! s3lite logs nothing itself. No secret appears in any `Display` or
//! `Debug` output: secret keys, session tokens, `Authorization` values and
//! presigned signatures print as placeholders, and URLs in errors lose their
//! query string.

#![forbid(unsafe_code)]

pub mod checksum;
pub mod config;
pub mod date;
pub mod encoding;
pub mod endpoint;
pub mod error;
pub mod limits;
pub mod sign;
pub mod xml;

mod redact;

#[cfg(feature = "_io")]
pub mod credentials;
#[cfg(feature = "_io")]
mod json;
#[cfg(feature = "object-store")]
pub mod object_store;
#[cfg(feature = "_io")]
pub mod retry;
#[cfg(feature = "_io")]
mod store;
#[cfg(feature = "_io")]
pub mod transport;

pub use error::{Error, ErrorKind, Result};
#[cfg(feature = "_io")]
pub use store::{
    COALESCE_GAP, COALESCE_PARALLEL, ChecksumCheck, CopyMetadata, CopyOptions,
    DEFAULT_READER_BUFFER, DeleteStream, ObjectReader, PresignOptions, PresignedRequest, PutMode,
    PutOptions, VersionStream,
};
#[cfg(feature = "_io")]
pub use store::{
    GetOptions, GetRange, GetResult, ListOptions, ListPages, ListResult, ListStream, ObjectMeta,
    PutResult, S3Store, S3StoreBuilder,
};
#[cfg(feature = "_io")]
pub use store::{MultipartWriter, Progress, ProgressCallback, Transfer, TransferConfig};

#[cfg(feature = "_fuzz")]
#[doc(hidden)]
#[path = "fuzz.rs"]
pub mod __fuzz;

/// Compiles the README's Rust examples as doctests, so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
