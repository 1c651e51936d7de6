//! A drop-in for the `object_store` ecosystem (feature `object-store`):
//! [`S3ObjectStore`] implements [`object_store::ObjectStore`],
//! [`MultipartStore`](object_store::multipart::MultipartStore) and
//! [`PaginatedListStore`](object_store::list::PaginatedListStore) over an
//! [`S3Store`], so programs written for `Arc<dyn ObjectStore>` (DataFusion,
//! Polars, delta-rs, iceberg-rust, lance) run on s3lite unchanged.
//!
//! # The swap
//!
//! ```no_run
//! use std::sync::Arc;
//! use object_store::{ObjectStore, ObjectStoreExt, path::Path};
//!
//! # async fn run() -> object_store::Result<()> {
//! // Before: object_store::aws::AmazonS3Builder::from_env().with_bucket_name("photos").build()?
//! let store: Arc<dyn ObjectStore> = Arc::new(
//!     s3lite::object_store::S3ObjectStore::from_options([("bucket", "photos")])?,
//! );
//! store.put(&Path::from("cat.jpg"), "meow".into()).await?;
//! # Ok(()) }
//! ```
//!
//! The keys of [`from_options`](S3ObjectStore::from_options) and
//! [`from_url_opts`](S3ObjectStore::from_url_opts) are `AmazonS3ConfigKey`'s
//! names and aliases (`aws_bucket_name`, `aws_endpoint`, `aws_region`,
//! `aws_conditional_put`, ...; `AmazonS3ConfigKey::as_ref()` works too),
//! parsed by [`S3ConfigKey`]. As with `AmazonS3Builder::from_env`, the
//! process environment is read too, at the weakest precedence.
//!
//! # Why a newtype
//!
//! `S3Store` already has inherent `put`, `get`, `copy_if_not_exists`, ...
//! with s3lite's signatures (`&str` keys, `Bytes`): were the traits on
//! `S3Store` itself, `store.put(&path, payload)` would pick the inherent
//! method and fail to compile. `S3ObjectStore` has no inherent methods of
//! those names, so object_store code reads as it did; [`store`](S3ObjectStore::store)
//! reaches s3lite's own API (presigning, transfers, bulk delete) on the same
//! connection pool.
//!
//! # Mapping
//!
//! | object_store | s3lite |
//! |---|---|
//! | `Path` | the key (`Path::as_ref()`), under the store's prefix; listed keys are parsed with `Path::parse` |
//! | `put_opts`, `PutMode::{Overwrite, Create, Update}` | `put_opts`, `PutMode` (the store's `conditional_put`: ETag headers or a DynamoDB lock) |
//! | attributes, `TagSet` | `PutOptions` attributes, metadata and tags |
//! | `put_multipart_opts` | [`S3MultipartUpload`]: S3 multipart, aborted when dropped unfinished |
//! | `get_opts` (range, conditions, version, `head`) | `get_opts` / `head_opts` |
//! | `delete_stream` | `delete_many`: DeleteObjects batches of 1,000, results in input order |
//! | `list`, `list_with_offset`, `list_with_delimiter`, `list_paginated` | ListObjectsV2 (`start-after` for the offset) |
//! | `copy_opts` (`CopyMode::Create`), `rename_opts` | `copy`, `copy_if_not_exists`, `rename`, `rename_if_not_exists` (the store's `copy_if_not_exists`) |
//!
//! Errors map by kind: `NotFound`, `AlreadyExists`, `PreconditionFailed`
//! (`Precondition`), `NotModified`, `PermissionDenied`, `Unauthenticated`;
//! `NotImplemented` becomes `NotSupported`; the rest `Generic` with store
//! `"S3"`. Each names the path and keeps the s3lite error as its source.
//! Response `extensions` are left empty: they carry object_store's own HTTP
//! client's response data, which s3lite does not use.

mod convert;
mod list;
mod upload;

use std::fmt;
use std::ops::Range;

use ::object_store::path::Path;
use ::object_store::{
    CopyMode, CopyOptions, GetOptions, GetResult, GetResultPayload, ListResult, MultipartUpload,
    ObjectMeta, ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions,
    RenameTargetMode,
};
use async_trait::async_trait;
use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};

pub use upload::S3MultipartUpload;

use crate::config::S3ConfigKey;
use crate::store::{S3Store, S3StoreBuilder};
use crate::transport::RequestBody;

/// Keys per DeleteObjects request, S3's maximum.
const DELETE_BATCH: usize = 1000;
/// DeleteObjects requests in flight in `delete_stream`.
const DELETE_CONCURRENCY: usize = 4;

/// An [`S3Store`] as an [`object_store::ObjectStore`]; see the
/// [module docs](self).
///
/// Cheap to clone (the store is `Arc`s inside); `Send + Sync`.
#[derive(Clone)]
pub struct S3ObjectStore {
    store: S3Store,
}

impl S3ObjectStore {
    /// Wraps a built store.
    pub fn new(store: S3Store) -> Self {
        S3ObjectStore { store }
    }

    /// A store from object_store-style options: `(key, value)` pairs whose
    /// keys are `AmazonS3ConfigKey` names or aliases (`aws_bucket_name`,
    /// `bucket`, `aws_endpoint`, ...), read over the process environment.
    ///
    /// # Errors
    /// `UnknownConfigurationKey` for a key s3lite does not know; `Generic`
    /// (or `NotSupported`) with s3lite's `build()` error, which names the
    /// key and the bad value (secrets as `***`).
    ///
    /// ```
    /// let store = s3lite::object_store::S3ObjectStore::from_options([
    ///     ("aws_bucket_name", "photos"),
    ///     ("aws_region", "eu-west-1"),
    ///     ("aws_skip_signature", "true"),
    /// ])?;
    /// assert_eq!(store.store().bucket(), "photos");
    /// # Ok::<(), object_store::Error>(())
    /// ```
    pub fn from_options<I, K, V>(options: I) -> ::object_store::Result<Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        Self::from_builder(S3StoreBuilder::from_env(), options)
    }

    /// A store from a URL (`s3://bucket/prefix`, `https://...`) and
    /// options, as `object_store::parse_url_opts` takes them; the URL's
    /// path after the bucket becomes the store's prefix.
    ///
    /// # Errors
    /// As [`from_options`](Self::from_options); a malformed URL is a
    /// `Generic` error naming it.
    ///
    /// ```
    /// let store = s3lite::object_store::S3ObjectStore::from_url_opts(
    ///     "s3://photos/2026",
    ///     [("aws_skip_signature", "true")],
    /// )?;
    /// assert_eq!(store.store().prefix(), Some("2026"));
    /// # Ok::<(), object_store::Error>(())
    /// ```
    pub fn from_url_opts<I, K, V>(url: &str, options: I) -> ::object_store::Result<Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        Self::from_builder(S3StoreBuilder::from_url(url), options)
    }

    /// `builder` with `options` applied, built.
    fn from_builder<I, K, V>(
        mut builder: S3StoreBuilder,
        options: I,
    ) -> ::object_store::Result<Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        for (key, value) in options {
            let key = key.as_ref();
            let parsed = key.parse::<S3ConfigKey>().map_err(|_| {
                ::object_store::Error::UnknownConfigurationKey {
                    store: convert::STORE,
                    key: key.to_string(),
                }
            })?;
            builder = builder.with_config(parsed, value);
        }
        let store = builder.build().map_err(|e| convert::error(e, ""))?;
        Ok(Self::new(store))
    }

    /// The s3lite store underneath, for what object_store has no call for
    /// (presigned URLs, file transfers, SSE settings, bucket operations).
    pub fn store(&self) -> &S3Store {
        &self.store
    }

    /// The s3lite store, unwrapped.
    pub fn into_inner(self) -> S3Store {
        self.store
    }
}

impl From<S3Store> for S3ObjectStore {
    fn from(store: S3Store) -> Self {
        S3ObjectStore::new(store)
    }
}

impl S3StoreBuilder {
    /// Builds the store as an [`S3ObjectStore`], for
    /// `Arc<dyn object_store::ObjectStore>` code.
    ///
    /// # Errors
    /// As [`build`](S3StoreBuilder::build).
    ///
    /// ```
    /// let store = s3lite::S3Store::builder()
    ///     .bucket("photos")
    ///     .skip_signature(true)
    ///     .build_object_store()?;
    /// let shared: std::sync::Arc<dyn object_store::ObjectStore> = std::sync::Arc::new(store);
    /// # let _ = shared;
    /// # Ok::<(), s3lite::Error>(())
    /// ```
    pub fn build_object_store(self) -> crate::Result<S3ObjectStore> {
        self.build().map(S3ObjectStore::new)
    }
}

impl fmt::Debug for S3ObjectStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("S3ObjectStore").field(&self.store).finish()
    }
}

impl fmt::Display for S3ObjectStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.store.prefix() {
            Some(p) => write!(f, "S3lite({}/{p})", self.store.bucket()),
            None => write!(f, "S3lite({})", self.store.bucket()),
        }
    }
}

#[async_trait]
impl ObjectStore for S3ObjectStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> ::object_store::Result<PutResult> {
        let key = location.as_ref();
        let options = convert::put_options(opts.mode, &opts.attributes, &opts.tags, key)?;
        let body = RequestBody::from_chunks(payload.into_iter().collect());
        self.store
            .put_body(key, body, &options, None)
            .await
            .map(convert::put_result)
            .map_err(|e| convert::error(e, key))
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> ::object_store::Result<Box<dyn MultipartUpload>> {
        let upload = S3MultipartUpload::start(&self.store, location, &opts).await?;
        Ok(Box::new(upload))
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> ::object_store::Result<GetResult> {
        let key = location.as_ref();
        let s3_options = convert::get_options(&options, key)?;
        if options.head {
            let m = self
                .store
                .head_opts(key, s3_options)
                .await
                .map_err(|e| convert::error(e, key))?;
            return Ok(GetResult {
                payload: GetResultPayload::Stream(stream::empty().boxed()),
                range: 0..m.size,
                attributes: convert::attributes(&m),
                meta: convert::meta(&m, location.clone())?,
                extensions: Default::default(),
            });
        }
        let got = self
            .store
            .get_opts(key, s3_options)
            .await
            .map_err(|e| convert::error(e, key))?;
        let path = key.to_string();
        let body = got
            .body
            .map(move |chunk| chunk.map_err(|e| convert::error(e, &path)))
            .boxed();
        Ok(GetResult {
            payload: GetResultPayload::Stream(body),
            range: got.range.clone(),
            attributes: convert::attributes(&got.meta),
            meta: convert::meta(&got.meta, location.clone())?,
            extensions: Default::default(),
        })
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[Range<u64>],
    ) -> ::object_store::Result<Vec<Bytes>> {
        // object_store's own helper: nearby ranges merged into one GET,
        // several GETs at a time, as `AmazonS3` does.
        ::object_store::coalesce_ranges(
            ranges,
            |range| async move {
                let options = GetOptions::new().with_range(Some(range));
                self.get_opts(location, options).await?.bytes().await
            },
            ::object_store::OBJECT_STORE_COALESCE_DEFAULT,
        )
        .await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, ::object_store::Result<Path>>,
    ) -> BoxStream<'static, ::object_store::Result<Path>> {
        let store = self.store.clone();
        locations
            .chunks(DELETE_BATCH)
            .map(move |chunk| {
                let store = store.clone();
                async move { delete_batch(&store, chunk).await }
            })
            .buffered(DELETE_CONCURRENCY)
            .flat_map(stream::iter)
            .boxed()
    }

    fn list(
        &self,
        prefix: Option<&Path>,
    ) -> BoxStream<'static, ::object_store::Result<ObjectMeta>> {
        list::list(&self.store, prefix, None)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, ::object_store::Result<ObjectMeta>> {
        list::list(&self.store, prefix, Some(offset))
    }

    async fn list_with_delimiter(
        &self,
        prefix: Option<&Path>,
    ) -> ::object_store::Result<ListResult> {
        list::list_with_delimiter(&self.store, prefix).await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> ::object_store::Result<()> {
        let (f, t) = (from.as_ref(), to.as_ref());
        let done = match options.mode {
            CopyMode::Overwrite => self.store.copy(f, t).await,
            CopyMode::Create => self.store.copy_if_not_exists(f, t).await,
        };
        done.map(|_| ()).map_err(|e| copy_error(e, from, to))
    }

    async fn rename_opts(
        &self,
        from: &Path,
        to: &Path,
        options: RenameOptions,
    ) -> ::object_store::Result<()> {
        let (f, t) = (from.as_ref(), to.as_ref());
        let done = match options.target_mode {
            RenameTargetMode::Overwrite => self.store.rename(f, t).await,
            RenameTargetMode::Create => self.store.rename_if_not_exists(f, t).await,
        };
        done.map(|_| ()).map_err(|e| copy_error(e, from, to))
    }
}

/// A copy's error naming the path it is about: the source when it is
/// missing, else the target.
fn copy_error(e: crate::Error, from: &Path, to: &Path) -> ::object_store::Error {
    let path = if e.kind() == crate::ErrorKind::NotFound {
        from
    } else {
        to
    };
    convert::error(e, path.as_ref())
}

/// Deletes one chunk of `delete_stream`'s input: the paths in one
/// DeleteObjects, the input's errors passed through, all in input order.
async fn delete_batch(
    store: &S3Store,
    chunk: Vec<::object_store::Result<Path>>,
) -> Vec<::object_store::Result<Path>> {
    let keys: Vec<String> = chunk
        .iter()
        .filter_map(|p| p.as_ref().ok().map(|p| p.as_ref().to_string()))
        .collect();
    let mut results = store.delete_many(keys).await.into_iter();
    chunk
        .into_iter()
        .map(|input| {
            let path = input?;
            match results.next() {
                Some(Ok(_)) => Ok(path),
                Some(Err(e)) => Err(convert::error(e, path.as_ref())),
                None => Err(convert::generic(format!(
                    "{path}: DeleteObjects gave no result for this key"
                ))),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amazon_s3_config_key_names_build_a_store() {
        let store = S3ObjectStore::from_options([
            ("aws_bucket_name", "b1"),
            ("aws_endpoint", "http://127.0.0.1:1"),
            ("aws_allow_http", "true"),
            ("aws_skip_signature", "true"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(store.store().bucket(), "b1");
        assert_eq!(store.to_string(), "S3lite(b1)");
        let under = S3ObjectStore::from_url_opts("s3://b2/a/b", [("aws_skip_signature", "1")])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(under.to_string(), "S3lite(b2/a/b)");
    }

    #[test]
    fn unknown_key_is_named() {
        let e = S3ObjectStore::from_options([("aws_bucket_nmae", "b1")])
            .map(|_| ())
            .expect_err("typo");
        match e {
            ::object_store::Error::UnknownConfigurationKey { store, key } => {
                assert_eq!((store, key.as_str()), ("S3", "aws_bucket_nmae"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_value_names_the_key_and_hides_secrets() {
        let e = S3ObjectStore::from_options([
            ("bucket", "b1"),
            ("aws_skip_signature", "maybe"),
            ("aws_secret_access_key", "hunter2"),
        ])
        .map(|_| ())
        .expect_err("bad boolean");
        let text = e.to_string();
        assert!(
            text.contains("skip_signature") && text.contains("maybe"),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn adapter_is_send_sync_and_futures_are_send() {
        fn assert_traits<T: Clone + Send + Sync + 'static>() {}
        assert_traits::<S3ObjectStore>();
        fn assert_send<T: Send>(_: &T) {}
        let store = S3ObjectStore::from_options([("bucket", "b1"), ("skip_signature", "true")])
            .unwrap_or_else(|e| panic!("{e}"));
        let path = Path::from("k");
        assert_send(&store.get_opts(&path, GetOptions::default()));
        assert_send(&store.put_opts(&path, PutPayload::default(), PutOptions::default()));
        assert_send(&store.list_with_delimiter(None));
    }
}
