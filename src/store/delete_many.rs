//! Bulk delete: DeleteObjects in batches of 1,000 keys, several batches at
//! once, one result per key in input order. With `disable_bulk_delete`
//! (stores without DeleteObjects) each key is a DeleteObject instead.

use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use http::{HeaderName, Method, StatusCode};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::request::{S3Request, classify};
use super::{S3Store, check_key};
use crate::encoding::md5_base64;
use crate::error::{Error, ErrorKind, Result};
use crate::xml::{self, DeleteObject};

/// Most keys in one DeleteObjects request (S3's limit).
const BATCH: usize = 1000;
/// DeleteObjects requests in flight at once.
const BULK_CONCURRENCY: usize = 4;
/// Single DeleteObject requests in flight at once (`disable_bulk_delete`).
const SINGLE_CONCURRENCY: usize = 16;

impl S3Store {
    /// Deletes `keys`; one result per key, in input order: the key, or why
    /// it could not be deleted. A missing key counts as deleted, as in S3.
    ///
    /// See [DeleteObjects](https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html).
    /// Batches of 1,000 keys go out several at a time, each with the
    /// `Content-MD5` S3 requires; with `disable_bulk_delete` each key is a
    /// DeleteObject.
    ///
    /// ```no_run
    /// # async fn demo(store: &s3lite::S3Store) -> s3lite::Result<()> {
    /// for result in store.delete_many(["a", "b", "c"]).await {
    ///     println!("deleted {}", result?);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn delete_many<I>(&self, keys: I) -> Vec<Result<String>>
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let keys: Vec<String> = keys.into_iter().map(Into::into).collect();
        let batch = self.batch_size();
        let mut in_flight: VecDeque<JoinHandle<Vec<Result<String>>>> = VecDeque::new();
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(batch) {
            if in_flight.len() >= self.concurrency() {
                out.extend(join_batch(in_flight.pop_front()).await);
            }
            in_flight.push_back(self.spawn_batch(chunk.to_vec()));
        }
        while let Some(h) = in_flight.pop_front() {
            out.extend(join_batch(Some(h)).await);
        }
        out
    }

    /// As [`delete_many`](S3Store::delete_many) for a stream of keys (a
    /// listing, say): results come back in input order as batches finish,
    /// and no more than a few batches of keys are held at once.
    ///
    /// Needs a Tokio runtime: batches run on spawned tasks.
    ///
    /// ```no_run
    /// # use futures_core::Stream;
    /// # async fn demo(
    /// #     store: &s3lite::S3Store,
    /// #     keys: impl Stream<Item = String> + Send + 'static,
    /// # ) -> s3lite::Result<()> {
    /// let mut results = store.delete_stream(keys);
    /// while let Some(result) = results.next().await {
    ///     result?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn delete_stream<S>(&self, keys: S) -> DeleteStream
    where
        S: Stream<Item = String> + Send + 'static,
    {
        let store = self.clone();
        let (tx, rx) = mpsc::channel(store.batch_size().max(64));
        let driver = tokio::spawn(async move {
            let mut keys = Box::pin(keys);
            let batch = store.batch_size();
            let mut in_flight: VecDeque<JoinHandle<Vec<Result<String>>>> = VecDeque::new();
            let mut chunk = Vec::with_capacity(batch);
            loop {
                let next = poll_fn(|cx| keys.as_mut().poll_next(cx)).await;
                let done = next.is_none();
                if let Some(k) = next {
                    chunk.push(k);
                }
                if chunk.len() == batch || (done && !chunk.is_empty()) {
                    if in_flight.len() >= store.concurrency() {
                        for r in join_batch(in_flight.pop_front()).await {
                            if tx.send(r).await.is_err() {
                                return;
                            }
                        }
                    }
                    in_flight.push_back(store.spawn_batch(std::mem::take(&mut chunk)));
                }
                if done {
                    break;
                }
            }
            while let Some(h) = in_flight.pop_front() {
                for r in join_batch(Some(h)).await {
                    if tx.send(r).await.is_err() {
                        return;
                    }
                }
            }
        });
        DeleteStream { rx, driver }
    }

    fn batch_size(&self) -> usize {
        if self.settings.writes.disable_bulk_delete {
            1
        } else {
            BATCH
        }
    }

    fn concurrency(&self) -> usize {
        if self.settings.writes.disable_bulk_delete {
            SINGLE_CONCURRENCY
        } else {
            BULK_CONCURRENCY
        }
    }

    fn spawn_batch(&self, keys: Vec<String>) -> JoinHandle<Vec<Result<String>>> {
        let store = self.clone();
        tokio::spawn(async move {
            if store.settings.writes.disable_bulk_delete {
                let mut out = Vec::with_capacity(keys.len());
                for k in keys {
                    out.push(store.delete(&k).await.map(|()| k));
                }
                out
            } else {
                store.delete_batch(keys).await
            }
        })
    }

    /// One DeleteObjects request (quiet: S3 reports only failures).
    async fn delete_batch(&self, keys: Vec<String>) -> Vec<Result<String>> {
        let full: Vec<String> = keys.iter().map(|k| self.full_key(k).into_owned()).collect();
        // Keys S3 cannot hold fail alone, without a request.
        let mut results: Vec<Option<Result<String>>> =
            full.iter().map(|f| check_key(f).err().map(Err)).collect();
        let send: Vec<DeleteObject<'_>> = full
            .iter()
            .zip(&results)
            .filter(|(_, r)| r.is_none())
            .map(|(f, _)| DeleteObject::new(f))
            .collect();
        if !send.is_empty() {
            let target = self.inner.target(None);
            let answer = self.send_delete_objects(&send).await;
            for (i, slot) in results.iter_mut().enumerate() {
                if slot.is_some() {
                    continue;
                }
                *slot = Some(match &answer {
                    Ok(result) => match result.errors.iter().find(|e| e.key == full[i]) {
                        None => Ok(keys[i].clone()),
                        Some(e) => {
                            let (kind, retryable) =
                                classify(StatusCode::BAD_REQUEST, Some(&e.code));
                            Err(
                                Error::new(kind, format!("DeleteObjects {target}/{}", full[i]))
                                    .with_s3_error(Some(e.code.clone()), e.message.clone())
                                    .with_retryable(retryable),
                            )
                        }
                    },
                    Err(e) => Err(copy_error(
                        e,
                        &format!("DeleteObjects {target}/{}", full[i]),
                    )),
                });
            }
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::new(ErrorKind::Service, "no result"))))
            .collect()
    }

    async fn send_delete_objects(&self, objects: &[DeleteObject<'_>]) -> Result<xml::DeleteResult> {
        let body = xml::write_delete_objects(objects, true);
        let md5 = md5_base64(body.as_bytes());
        // The same keys deleted twice are deleted once: safe to resend.
        let req = S3Request::new("DeleteObjects", Method::POST, None)
            .query("delete", "")
            .header(HeaderName::from_static("content-md5"), &md5)?
            .body(Bytes::from(body))
            .idempotent(true)
            .with_error_in_ok_body();
        let target = self.inner.target(None);
        let body = self.inner.send(req).await?.body.collect().await?;
        xml::parse_delete_result(&body).map_err(|e| e.context(format!("DeleteObjects {target}")))
    }
}

/// The results of a batch task; a panicked task fails its keys' slots as
/// one error (its keys are unknown here).
async fn join_batch(h: Option<JoinHandle<Vec<Result<String>>>>) -> Vec<Result<String>> {
    let Some(h) = h else { return Vec::new() };
    match h.await {
        Ok(v) => v,
        Err(e) => vec![Err(Error::new(
            ErrorKind::Service,
            format!("DeleteObjects: a batch task failed: {e}"),
        ))],
    }
}

/// `e` again for another key: same kind, status, code and request id.
fn copy_error(e: &Error, what: &str) -> Error {
    let mut copy = Error::new(e.kind(), format!("{what}: {}", e.message()));
    if let Some(status) = e.status() {
        copy = copy.with_status(status);
    }
    copy.with_s3_error(
        e.s3_code().map(str::to_string),
        e.s3_message().map(str::to_string),
    )
    .with_request_id(e.request_id().map(str::to_string))
    .with_retryable(e.is_retryable())
}

/// The results of [`S3Store::delete_stream`]: for each key in input order,
/// the key or why it could not be deleted.
pub struct DeleteStream {
    rx: mpsc::Receiver<Result<String>>,
    driver: JoinHandle<()>,
}

impl DeleteStream {
    /// The next result, or `None` when every key has one.
    pub async fn next(&mut self) -> Option<Result<String>> {
        self.rx.recv().await
    }
}

impl Stream for DeleteStream {
    type Item = Result<String>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for DeleteStream {
    fn drop(&mut self) {
        // Dropping the stream stops sending new batches.
        self.driver.abort();
    }
}

impl fmt::Debug for DeleteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeleteStream").finish_non_exhaustive()
    }
}
