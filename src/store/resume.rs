//! Resumable downloads: a GET body that breaks mid-way continues with a
//! `Range` request pinned to the object's ETag by `If-Match`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use http::header::{IF_MATCH, RANGE};
use http::{Method, StatusCode};

use super::request::{S3Request, StoreInner};
use super::types::parse_content_range;
use crate::error::{Error, ErrorKind, Result};
use crate::retry::{Backoff, XorShift};
use crate::transport::ResponseBody;

/// Where a download stands, for resuming it.
pub(crate) struct Download {
    pub(crate) inner: Arc<StoreInner>,
    pub(crate) key: String,
    /// The ETag the first answer carried; without one the body is not resumed.
    pub(crate) etag: Option<String>,
    pub(crate) version_id: Option<String>,
    /// Headers every resume repeats (SSE-C key headers).
    pub(crate) extra_headers: http::HeaderMap,
    /// Absolute offset of the first byte of the body.
    pub(crate) start: u64,
    /// Absolute offset just past the last byte, when the length is known.
    pub(crate) end: Option<u64>,
}

impl Download {
    /// `body` wrapped so that a break mid-way resumes, at most
    /// `max_retries` times. A body that ends cleanly but short of its known
    /// length counts as a break.
    pub(crate) fn wrap(self, body: ResponseBody) -> ResponseBody {
        let resumes_left = self.inner.retry.max_retries;
        let seed = self.inner.retry.jitter_seed.unwrap_or_else(XorShift::seed);
        let backoff = Backoff::new(&self.inner.retry, seed);
        ResponseBody::from_stream(Resumable {
            next: self.start,
            download: Arc::new(self),
            resumes_left,
            backoff,
            state: State::Reading(body),
        })
    }
}

type Resuming = Pin<Box<dyn Future<Output = Result<ResponseBody>> + Send>>;

enum State {
    Reading(ResponseBody),
    Resuming(Resuming),
    Done,
}

struct Resumable {
    download: Arc<Download>,
    /// Absolute offset of the next byte to yield.
    next: u64,
    resumes_left: usize,
    backoff: Backoff,
    state: State,
}

impl Resumable {
    /// After `err` broke the body: a resume future, or `err` itself when the
    /// body may not be resumed.
    fn resume(&mut self, err: Error) -> std::result::Result<Resuming, Error> {
        let d = &self.download;
        let Some(etag) = d.etag.clone() else {
            return Err(err);
        };
        if !err.is_retryable() || self.resumes_left == 0 {
            return Err(err);
        }
        let state = &d.inner.retry_state;
        let Some(_cost) = state.acquire(&err) else {
            return Err(err.context("not resumed: the store's retry budget is exhausted"));
        };
        self.resumes_left -= 1;
        let delay = self.backoff.next_delay();
        let sleep = state.clock.sleep(delay);
        let download = Arc::clone(&self.download);
        let from = self.next;
        Ok(Box::pin(async move {
            sleep.await;
            fetch_rest(&download, &etag, from).await
        }))
    }
}

/// GETs the object from byte `from` on, if its ETag is still `etag`.
async fn fetch_rest(d: &Download, etag: &str, from: u64) -> Result<ResponseBody> {
    let range = match d.end {
        Some(end) => format!("bytes={from}-{}", end - 1),
        None => format!("bytes={from}-"),
    };
    let mut req = S3Request::new("GetObject", Method::GET, Some(&d.key))
        .streaming()
        .header(RANGE, &range)?
        .header(IF_MATCH, etag)?;
    req.headers.extend(d.extra_headers.clone());
    if let Some(v) = &d.version_id {
        req = req.query("versionId", v);
    }
    let target = d.inner.target(Some(&d.key));
    let what = format!("GetObject {target}: resuming at byte {from}");
    let resp = d.inner.send(req).await.map_err(|e| {
        if e.kind() == ErrorKind::PreconditionFailed {
            e.context(format!(
                "{what}: the object changed during the download (ETag no longer {etag})"
            ))
        } else {
            e.context(&what)
        }
    })?;
    if resp.status != StatusCode::PARTIAL_CONTENT {
        return Err(Error::new(
            ErrorKind::Service,
            format!("{what}: expected status 206, got {}", resp.status.as_u16()),
        ));
    }
    let value = resp
        .headers
        .get("content-range")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ok = parse_content_range(value)
        .is_some_and(|(r, _)| r.start == from && d.end.is_none_or(|end| r.end == end));
    if !ok {
        return Err(Error::new(
            ErrorKind::Service,
            format!("{what}: answer has Content-Range {value:?}, not the bytes asked for"),
        ));
    }
    if let Some(got) = resp.headers.get(http::header::ETAG)
        && got.as_bytes() != etag.as_bytes()
    {
        return Err(Error::new(
            ErrorKind::PreconditionFailed,
            format!("{what}: the object changed during the download (ETag no longer {etag})"),
        ));
    }
    Ok(resp.body)
}

impl Stream for Resumable {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            let broke = match &mut this.state {
                State::Done => return Poll::Ready(None),
                State::Reading(body) => match Pin::new(body).poll_next(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Some(Ok(chunk))) => {
                        let len = chunk.len() as u64;
                        if this.download.end.is_some_and(|end| this.next + len > end) {
                            this.state = State::Done;
                            return Poll::Ready(Some(Err(Error::new(
                                ErrorKind::Transport,
                                "GetObject: the body is longer than its Content-Length",
                            ))));
                        }
                        this.next += len;
                        return Poll::Ready(Some(Ok(chunk)));
                    }
                    Poll::Ready(Some(Err(e))) => e,
                    Poll::Ready(None) => match this.download.end {
                        Some(end) if this.next < end => {
                            let target = this.download.inner.target(Some(&this.download.key));
                            Error::new(
                                ErrorKind::Transport,
                                format!(
                                    "GetObject {target}: body ended at byte {} of {end}",
                                    this.next
                                ),
                            )
                            .with_retryable(true)
                        }
                        _ => {
                            this.state = State::Done;
                            return Poll::Ready(None);
                        }
                    },
                },
                State::Resuming(fut) => match fut.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(body)) => {
                        this.state = State::Reading(body);
                        continue;
                    }
                    Poll::Ready(Err(e)) => {
                        this.state = State::Done;
                        return Poll::Ready(Some(Err(e)));
                    }
                },
            };
            match this.resume(broke) {
                Ok(fut) => this.state = State::Resuming(fut),
                Err(e) => {
                    this.state = State::Done;
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
    }
}
