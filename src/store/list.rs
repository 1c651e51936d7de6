//! [`ListStream`]: ListObjectsV2 as a lazy stream across continuation tokens;
//! [`ListPages`]: the same, a page (objects and common prefixes) at a time.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use http::Method;

use super::request::{S3Request, StoreInner};
use super::types::{ListOptions, ListResult, ObjectMeta};
use crate::error::Result;
use crate::limits::MAX_LIST_PAGES_WITHOUT_PROGRESS;
use crate::transport::BoxFuture;
use crate::xml::{self, ListObjectsV2Page, ObjectEntry};

/// The objects of a listing, fetched one page (up to 1,000 keys) at a time
/// as the stream is read. Implements `futures_core::Stream`; [`ListStream::next`]
/// reads it without extra crates.
pub struct ListStream {
    state: State,
    buffered: VecDeque<ObjectMeta>,
}

struct Query {
    inner: Arc<StoreInner>,
    options: ListOptions,
    /// The store's key prefix (`a/b/` or empty): added to the request's
    /// prefix and start-after, removed from the keys and common prefixes
    /// of each page.
    key_prefix: String,
    /// A digest of each continuation token received, so a server that
    /// leads back to a token (a cycle of any length) is caught.
    tokens: HashSet<[u8; 16]>,
    /// Truncated pages in a row that brought no key and no prefix.
    idle_pages: usize,
}

enum State {
    /// Ready to ask for the page after `token` (the first page when `None`).
    Idle(Box<Query>, Option<String>),
    /// Fetching the page after the token it carries.
    Fetching(BoxFuture<'static, (Box<Query>, Option<String>, Result<ListObjectsV2Page>)>),
    Done,
}

impl ListStream {
    pub(crate) fn new(inner: Arc<StoreInner>, options: ListOptions) -> Self {
        let query = Query {
            inner,
            options,
            key_prefix: String::new(),
            tokens: HashSet::new(),
            idle_pages: 0,
        };
        ListStream {
            state: State::Idle(Box::new(query), None),
            buffered: VecDeque::new(),
        }
    }

    /// Applies the store's key prefix (see the `store` module docs); call
    /// before the first page is read.
    pub(crate) fn with_prefix(mut self, key_prefix: &str) -> Self {
        if let State::Idle(query, _) = &mut self.state {
            query.key_prefix = key_prefix.to_string();
        }
        self
    }

    /// The next object, or `None` at the end.
    pub async fn next(&mut self) -> Option<Result<ObjectMeta>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// Collects every remaining object.
    ///
    /// # Errors
    /// The first error S3 answers.
    pub async fn collect(mut self) -> Result<Vec<ObjectMeta>> {
        let mut all = Vec::new();
        while let Some(meta) = self.next().await {
            all.push(meta?);
        }
        Ok(all)
    }

    fn poll_page(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<ListObjectsV2Page>>> {
        loop {
            match std::mem::replace(&mut self.state, State::Done) {
                State::Done => return Poll::Ready(None),
                State::Idle(query, token) => {
                    self.state = State::Fetching(Box::pin(async move {
                        let page = fetch_page(&query, token.as_deref()).await;
                        (query, token, page)
                    }));
                }
                State::Fetching(mut fut) => match fut.as_mut().poll(cx) {
                    Poll::Pending => {
                        self.state = State::Fetching(fut);
                        return Poll::Pending;
                    }
                    Poll::Ready((mut query, _, Ok(page))) => {
                        if !page.is_truncated {
                            return Poll::Ready(Some(Ok(page)));
                        }
                        // A truncated page must lead on: without a token, or
                        // with one sent before, the listing would end early
                        // looking complete, or loop forever; a run of pages
                        // without keys must end too.
                        let target = query.inner.target(None);
                        let progress =
                            !page.contents.is_empty() || !page.common_prefixes.is_empty();
                        query.idle_pages = if progress { 0 } else { query.idle_pages + 1 };
                        let next = page.next_continuation_token.clone();
                        return Poll::Ready(Some(match next {
                            None => Err(incomplete_listing(
                                &target,
                                "is truncated (IsTruncated = true) but has no NextContinuationToken",
                            )),
                            Some(next) if !query.tokens.insert(token_digest(&next)) => {
                                Err(incomplete_listing(
                                    &target,
                                    "returned a continuation token it was sent before",
                                ))
                            }
                            Some(_) if query.idle_pages > MAX_LIST_PAGES_WITHOUT_PROGRESS => {
                                Err(incomplete_listing(
                                    &target,
                                    &format!(
                                        "brought no key in {MAX_LIST_PAGES_WITHOUT_PROGRESS} \
                                         truncated pages in a row \
                                         (limits::MAX_LIST_PAGES_WITHOUT_PROGRESS)"
                                    ),
                                ))
                            }
                            Some(next) => {
                                self.state = State::Idle(query, Some(next));
                                Ok(page)
                            }
                        }));
                    }
                    Poll::Ready((_, _, Err(e))) => return Poll::Ready(Some(Err(e))),
                },
            }
        }
    }
}

impl Stream for ListStream {
    type Item = Result<ObjectMeta>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(meta) = this.buffered.pop_front() {
                return Poll::Ready(Some(Ok(meta)));
            }
            match this.poll_page(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(page))) => {
                    this.buffered
                        .extend(page.contents.into_iter().map(meta_from_entry));
                }
            }
        }
    }
}

/// A listing one page at a time: each item is one ListObjectsV2 page's
/// objects and common prefixes, so a delimiter listing of a huge "directory"
/// is read in constant memory. From [`S3Store::list_with_delimiter_pages`](super::S3Store::list_with_delimiter_pages);
/// implements `futures_core::Stream`, and [`ListPages::next`] reads it
/// without extra crates. The same guards as [`ListStream`]: a truncated page
/// without a token, a repeated token or a run of empty pages is an error,
/// never a listing that silently ends.
#[derive(Debug)]
pub struct ListPages(ListStream);

impl ListPages {
    pub(crate) fn new(stream: ListStream) -> Self {
        ListPages(stream)
    }

    /// The next page, or `None` at the end.
    pub async fn next(&mut self) -> Option<Result<ListResult>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// Every remaining page merged into one result.
    ///
    /// # Errors
    /// The first error S3 answers.
    pub async fn collect(mut self) -> Result<ListResult> {
        let mut all = ListResult::default();
        while let Some(page) = self.next().await {
            let page = page?;
            all.objects.extend(page.objects);
            all.common_prefixes.extend(page.common_prefixes);
        }
        Ok(all)
    }
}

impl Stream for ListPages {
    type Item = Result<ListResult>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().0.poll_page(cx).map(|page| {
            page.map(|page| {
                page.map(|page| ListResult {
                    objects: page.contents.into_iter().map(meta_from_entry).collect(),
                    common_prefixes: page.common_prefixes,
                })
            })
        })
    }
}

impl fmt::Debug for ListStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Idle(..) => "idle",
            State::Fetching(_) => "fetching",
            State::Done => "done",
        };
        f.debug_struct("ListStream")
            .field("state", &state)
            .field("buffered", &self.buffered.len())
            .finish()
    }
}

impl super::S3Store {
    /// One ListObjectsV2 page under `options` after the continuation
    /// `token` (the first page when `None`), with the store's prefix applied
    /// as [`ListStream`] does. Used by the `object_store` adapter's
    /// paginated listing, whose caller keeps the token.
    #[cfg(feature = "object-store")]
    pub(crate) async fn list_page(
        &self,
        options: ListOptions,
        token: Option<&str>,
    ) -> Result<ListObjectsV2Page> {
        let query = Query {
            inner: Arc::clone(&self.inner),
            options,
            key_prefix: self.raw_prefix().to_string(),
            tokens: HashSet::new(),
            idle_pages: 0,
        };
        fetch_page(&query, token).await
    }
}

/// 128 bits of the SHA-256 of a continuation token: 16 bytes a page
/// however long the token, and no false match in practice.
fn token_digest(token: &str) -> [u8; 16] {
    use sha2::Digest;
    let full = sha2::Sha256::digest(token.as_bytes());
    let mut out = [0; 16];
    out.copy_from_slice(&full[..16]);
    out
}

/// The error for a page that cannot be followed: the listing stops with an
/// error instead of passing for complete.
fn incomplete_listing(target: &str, why: &str) -> crate::Error {
    crate::Error::new(
        crate::ErrorKind::Service,
        format!("ListObjectsV2 {target}: the answer {why}; the listing is incomplete"),
    )
}

async fn fetch_page(query: &Query, token: Option<&str>) -> Result<ListObjectsV2Page> {
    // No `encoding-type=url`: s3s-based servers echo `<EncodingType>url`
    // without encoding the keys, so decoding would corrupt keys holding `%`
    // or `+`. Keys arrive as XML text, which carries any Unicode key.
    let mut req = S3Request::new("ListObjectsV2", Method::GET, None).query("list-type", "2");
    let options = &query.options;
    let full = |k: &str| super::settings::full_key(&query.key_prefix, k).into_owned();
    let prefix = match &options.prefix {
        Some(p) => Some(full(p)),
        None if !query.key_prefix.is_empty() => Some(query.key_prefix.clone()),
        None => None,
    };
    if let Some(p) = &prefix {
        req = req.query("prefix", p);
    }
    if let Some(d) = &options.delimiter {
        req = req.query("delimiter", d);
    }
    if let Some(s) = &options.start_after {
        req = req.query("start-after", &full(s));
    }
    if let Some(n) = options.page_size {
        req = req.query("max-keys", &n.to_string());
    }
    if let Some(t) = token {
        req = req.query("continuation-token", t);
    }
    let target = query.inner.target(None);
    let resp = query.inner.send(req).await?;
    let body = resp.body.collect().await?;
    let mut page = xml::parse_list_objects_v2(&body)
        .map_err(|e| e.context(format!("ListObjectsV2 {target}")))?;
    if !query.key_prefix.is_empty() {
        let strip = |k: &mut String| {
            let stripped = super::settings::strip_prefix(&query.key_prefix, k);
            if stripped.len() != k.len() {
                *k = stripped.to_string();
            }
        };
        page.contents.iter_mut().for_each(|e| strip(&mut e.key));
        page.common_prefixes.iter_mut().for_each(strip);
    }
    Ok(page)
}

/// A listing entry as [`ObjectMeta`].
pub(crate) fn meta_from_entry(e: ObjectEntry) -> ObjectMeta {
    ObjectMeta {
        key: e.key,
        size: e.size,
        last_modified: Some(e.last_modified),
        etag: e.etag,
        version_id: None,
        content_type: None,
        storage_class: e.storage_class,
        content_encoding: None,
        content_disposition: None,
        content_language: None,
        cache_control: None,
        expires: None,
        server_side_encryption: None,
        sse_kms_key_id: None,
        sse_customer_algorithm: None,
        sse_customer_key_md5: None,
        metadata: Vec::new(),
        checksum: None,
    }
}
