//! Listings through object_store's traits: `list`, `list_with_offset`,
//! `list_with_delimiter`, and `PaginatedListStore::list_paginated`.

use ::object_store::list::{PaginatedListOptions, PaginatedListResult, PaginatedListStore};
use ::object_store::path::{DELIMITER, Path};
use ::object_store::{ListResult, ObjectMeta};
use async_trait::async_trait;
use futures_util::stream::{BoxStream, StreamExt};

use super::S3ObjectStore;
use super::convert;
use crate::store::{ListOptions, S3Store};

/// S3's largest page.
const MAX_KEYS: usize = 1000;

/// Every object under `prefix` (whole segments), after `offset` if given.
pub(crate) fn list(
    store: &S3Store,
    prefix: Option<&Path>,
    offset: Option<&Path>,
) -> BoxStream<'static, ::object_store::Result<ObjectMeta>> {
    let options = ListOptions {
        prefix: convert::list_prefix(prefix),
        // S3's `start-after` is exclusive, as `list_with_offset` wants.
        start_after: offset
            .map(|o| o.as_ref().to_string())
            .filter(|o| !o.is_empty()),
        ..ListOptions::default()
    };
    let what = prefix.map(|p| p.to_string()).unwrap_or_default();
    store
        .list_opts(options)
        .map(move |entry| match entry {
            Ok(m) => convert::listed(&m),
            Err(e) => Err(convert::error(e, &what)),
        })
        .boxed()
}

/// One level under `prefix`: its objects and its "directories".
pub(crate) async fn list_with_delimiter(
    store: &S3Store,
    prefix: Option<&Path>,
) -> ::object_store::Result<ListResult> {
    let what = prefix.map(|p| p.to_string()).unwrap_or_default();
    let options = ListOptions {
        prefix: convert::list_prefix(prefix),
        ..ListOptions::default()
    }
    .with_delimiter(DELIMITER);
    let level = store
        .list_with_delimiter_opts(options)
        .await
        .map_err(|e| convert::error(e, &what))?;
    Ok(ListResult {
        common_prefixes: level
            .common_prefixes
            .iter()
            .map(|p| convert::parse_path(p))
            .collect::<::object_store::Result<_>>()?,
        objects: level
            .objects
            .iter()
            .map(convert::listed)
            .collect::<::object_store::Result<_>>()?,
        extensions: Default::default(),
    })
}

/// One ListObjectsV2 page at a time, the caller keeping the token. The
/// prefix is a plain key prefix (`fo` matches `foo/a` and `fob`), as
/// object_store's `PaginatedListStore` defines it.
#[async_trait]
impl PaginatedListStore for S3ObjectStore {
    async fn list_paginated(
        &self,
        prefix: Option<&str>,
        opts: PaginatedListOptions,
    ) -> ::object_store::Result<PaginatedListResult> {
        let what = prefix.unwrap_or_default();
        let options = ListOptions {
            prefix: prefix.filter(|p| !p.is_empty()).map(str::to_string),
            start_after: opts.offset.filter(|o| !o.is_empty()),
            delimiter: opts.delimiter.map(|d| d.into_owned()),
            page_size: opts
                .max_keys
                .map(|n| u32::try_from(n.min(MAX_KEYS)).unwrap_or(1000)),
        };
        let page = self
            .store
            .list_page(options, opts.page_token.as_deref())
            .await
            .map_err(|e| convert::error(e, what))?;
        let page_token = if page.is_truncated {
            Some(page.next_continuation_token.clone().ok_or_else(|| {
                convert::generic(format!(
                    "ListObjectsV2 {what}: a truncated page without NextContinuationToken"
                ))
            })?)
        } else {
            None
        };
        let objects = page
            .contents
            .into_iter()
            .map(|e| convert::listed(&crate::store::list_entry_meta(e)))
            .collect::<::object_store::Result<_>>()?;
        let common_prefixes = page
            .common_prefixes
            .iter()
            .map(|p| convert::parse_path(p))
            .collect::<::object_store::Result<_>>()?;
        Ok(PaginatedListResult {
            result: ListResult {
                common_prefixes,
                objects,
                extensions: Default::default(),
            },
            page_token,
        })
    }
}
