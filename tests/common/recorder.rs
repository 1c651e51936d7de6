//! [`Recorder`]: an `HttpClient` that sends through hyper (optionally
//! trusting a test CA), records every exchange, and can damage bytes on the
//! wire: one byte of the next in-memory PUT body, or of the next GET
//! response body.
#![allow(dead_code, reason = "each test binary uses a different part")]
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use http::{HeaderMap, Method};
use s3lite::transport::{
    BoxFuture, ClientOptions, HttpClient, HttpRequest, HttpResponse, HyperClient, RequestBody,
    ResponseBody,
};

/// One exchange as the client saw it.
#[derive(Debug, Clone)]
pub(crate) struct Exchange {
    pub(crate) method: Method,
    pub(crate) url: String,
    pub(crate) request: HeaderMap,
    pub(crate) response: HeaderMap,
}

/// Sends through hyper and records every exchange.
#[derive(Debug, Clone)]
pub(crate) struct Recorder {
    inner: Arc<HyperClient>,
    log: Arc<Mutex<Vec<Exchange>>>,
    /// Flip a bit of the next in-memory PUT body (after signing).
    pub(crate) corrupt_next_put: Arc<Mutex<bool>>,
    /// Flip a bit of the next GET response body.
    pub(crate) corrupt_next_get: Arc<Mutex<bool>>,
}

fn take(flag: &Mutex<bool>) -> bool {
    std::mem::take(&mut *flag.lock().unwrap_or_else(PoisonError::into_inner))
}

impl Recorder {
    /// Over plain HTTP (and the Mozilla roots).
    pub(crate) fn new() -> Self {
        Self::trusting(None)
    }

    /// Trusting the PEM certificate `ca` too (a test TLS front).
    pub(crate) fn trusting(ca: Option<&str>) -> Self {
        let mut options = ClientOptions::default();
        options.allow_http = true;
        if let Some(pem) = ca {
            options.root_certificates_pem.push(pem.as_bytes().to_vec());
        }
        Recorder {
            inner: Arc::new(HyperClient::new(&options).unwrap()),
            log: Arc::default(),
            corrupt_next_put: Arc::default(),
            corrupt_next_get: Arc::default(),
        }
    }

    /// Every exchange so far.
    pub(crate) fn log(&self) -> Vec<Exchange> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The last exchange with `method`.
    pub(crate) fn last(&self, method: Method) -> Exchange {
        self.log()
            .into_iter()
            .rev()
            .find(|e| e.method == method)
            .unwrap()
    }

    /// Forgets the exchanges so far.
    pub(crate) fn clear(&self) {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

impl HttpClient for Recorder {
    fn send(&self, mut request: HttpRequest) -> BoxFuture<'_, s3lite::Result<HttpResponse>> {
        Box::pin(async move {
            let is_put_body = request.method == Method::PUT
                && matches!(&request.body, RequestBody::Bytes(b) if !b.is_empty());
            if is_put_body
                && take(&self.corrupt_next_put)
                && let RequestBody::Bytes(b) = &request.body
            {
                let mut v = b.to_vec();
                v[0] ^= 0x20;
                request.body = RequestBody::Bytes(Bytes::from(v));
            }
            let corrupt_get = request.method == Method::GET
                && !request.url.contains("list-type")
                && take(&self.corrupt_next_get);
            let (method, url, headers) = (
                request.method.clone(),
                request.url.clone(),
                request.headers.clone(),
            );
            let mut resp = self.inner.send(request).await?;
            self.log
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(Exchange {
                    method,
                    url,
                    request: headers,
                    response: resp.headers.clone(),
                });
            if corrupt_get {
                let body = std::mem::replace(&mut resp.body, ResponseBody::empty());
                let mut bytes = body.collect().await?.to_vec();
                if let Some(b) = bytes.last_mut() {
                    *b ^= 0x01;
                }
                resp.body = ResponseBody::from_bytes(bytes);
            }
            Ok(resp)
        })
    }
}

/// The value of header `name`, or `""`.
pub(crate) fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}
