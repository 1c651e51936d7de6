//! HTTP transport: the one abstraction the store sends requests through.
//!
//! [`HttpClient`] takes an [`HttpRequest`] with an absolute URL and returns an
//! [`HttpResponse`] whose body streams ([`ResponseBody`]); nothing is buffered
//! by the transport. Two implementations ship:
//!
//! - `HyperClient` (feature `hyper-rustls`, default): hyper 1.x over rustls
//!   with the ring provider and the Mozilla (webpki) roots, HTTP/1.1, pooled.
//! - `ReqwestClient` (feature `reqwest`): for applications that already
//!   depend on reqwest and want one connection pool.
//!
//! Users may implement [`HttpClient`] themselves, for example to add tracing
//! or to replay recorded responses in tests.
//!
//! # Errors
//!
//! Both clients map failures the same way:
//!
//! | failure | [`ErrorKind`] | retryable |
//! | --- | --- | --- |
//! | malformed URL, scheme other than `http`/`https` | [`InvalidInput`](ErrorKind::InvalidInput) | no |
//! | `http://` URL while [`ClientOptions::allow_http`] is false | [`InvalidConfig`](ErrorKind::InvalidConfig) | no |
//! | DNS, TCP connect, TLS handshake, refused | [`Transport`](ErrorKind::Transport) | yes |
//! | reset or early EOF after sending, body shorter than `Content-Length` | [`Transport`](ErrorKind::Transport) | yes |
//! | connect, request or read timeout | [`Timeout`](ErrorKind::Timeout) | yes |
//! | the caller's request body stream failed | the stream's own error | as the stream said |
//!
//! Messages name the method and the URL without its query string and
//! fragment: presigned URLs carry `X-Amz-Signature` and
//! `X-Amz-Security-Token` there. Request headers are never printed, as they
//! carry `Authorization`.

mod body;
#[cfg(feature = "hyper-rustls")]
mod hyper;
mod proxy;
#[cfg(feature = "reqwest")]
mod reqwest;
#[cfg(feature = "hyper-rustls")]
mod resolve;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;
use std::time::Duration;

#[cfg(feature = "hyper-rustls")]
pub use self::hyper::HyperClient;
#[cfg(feature = "reqwest")]
pub use self::reqwest::ReqwestClient;
pub use body::{BodyStream, RequestBody, ResponseBody};

use crate::{Error, ErrorKind};

/// A boxed, `Send` future, the return type of [`HttpClient::send`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A request ready to send.
///
/// `Debug` prints the method, the URL without its query string, the header
/// *names* and the body's length; never header values or the query.
pub struct HttpRequest {
    /// The HTTP method.
    pub method: http::Method,
    /// The absolute URL: scheme, host, optional port, path and query.
    pub url: String,
    /// Request headers, already signed. `Host` is added by the client;
    /// `User-Agent` is added when absent.
    pub headers: http::HeaderMap,
    /// The request body.
    pub body: RequestBody,
}

impl HttpRequest {
    /// A request with no headers and an empty body.
    pub fn new(method: http::Method, url: impl Into<String>) -> Self {
        HttpRequest {
            method,
            url: url.into(),
            headers: http::HeaderMap::new(),
            body: RequestBody::Empty,
        }
    }

    /// `METHOD url-without-query`, the prefix of every error message about
    /// this request.
    pub fn describe(&self) -> String {
        describe(&self.method, &self.url)
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &redact_url(&self.url))
            .field("headers", &HeaderNames(&self.headers))
            .field("body", &self.body)
            .finish()
    }
}

/// A response whose headers have arrived; the body streams.
#[derive(Debug)]
pub struct HttpResponse {
    /// The HTTP status.
    pub status: http::StatusCode,
    /// Response headers.
    pub headers: http::HeaderMap,
    /// The body, read on demand.
    pub body: ResponseBody,
}

/// The one HTTP abstraction of the crate.
///
/// Implemented by `HyperClient` (default) and `ReqwestClient` (feature
/// `reqwest`); users may implement it. An implementation returns every
/// response, whatever its status: classifying 4xx and 5xx is the store's
/// job. It must not follow redirects.
pub trait HttpClient: Send + Sync + fmt::Debug + 'static {
    /// Sends `request` and resolves once the response headers have arrived.
    ///
    /// # Errors
    ///
    /// See the [module documentation](self#errors).
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, crate::Result<HttpResponse>>;
}

impl<T: HttpClient + ?Sized> HttpClient for Arc<T> {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, crate::Result<HttpResponse>> {
        (**self).send(request)
    }
}

impl<T: HttpClient + ?Sized> HttpClient for Box<T> {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, crate::Result<HttpResponse>> {
        (**self).send(request)
    }
}

/// Settings shared by the built-in clients.
///
/// ```
/// # use std::time::Duration;
/// # use s3lite::transport::ClientOptions;
/// let mut options = ClientOptions::default();
/// options.timeout = Some(Duration::from_secs(60));
/// ```
///
/// `Debug` shows proxy URLs without their user information.
#[non_exhaustive]
#[derive(Clone)]
pub struct ClientOptions {
    /// Longest wait for a TCP connection to be established. Default 5 s.
    pub connect_timeout: Duration,
    /// Longest wait *without progress* before the response headers arrive.
    ///
    /// The clock starts when the request is sent and restarts each time the
    /// connection takes another chunk (at most 64 KiB) of the request body,
    /// so a large upload over a slow link does not trip it while a stalled
    /// one does. Once the body is sent, the server has this long to send its
    /// status line and headers. Covers the TLS handshake. `None` waits
    /// forever. Default 30 s.
    pub timeout: Option<Duration>,
    /// Longest gap between two chunks of a response body while it is read.
    ///
    /// Applied by [`ResponseBody`]: the clock runs only while the body is
    /// being polled, so a slow consumer does not trip it. `None` waits
    /// forever. Default 30 s.
    pub read_timeout: Option<Duration>,
    /// How long an idle pooled connection is kept. Default 90 s.
    pub pool_idle_timeout: Duration,
    /// Most idle connections kept per host. Default `usize::MAX` (no limit):
    /// the pool never holds more connections than were in use at once.
    /// `0` disables pooling.
    pub pool_max_idle_per_host: usize,
    /// Whether plain `http://` URLs may be used. Default `false`: such a
    /// request fails with [`ErrorKind::InvalidConfig`] before any connection
    /// is made. Enable for local test servers (MinIO, LocalStack).
    pub allow_http: bool,
    /// Accept any server certificate, expired, self-signed or for another
    /// host. Default `false`.
    ///
    /// **Dangerous**: anyone on the network path can read and alter the
    /// traffic, credentials included. For local test servers only; prefer
    /// [`root_certificates_pem`](Self::root_certificates_pem).
    pub allow_invalid_certificates: bool,
    /// Shuffles the addresses DNS returns for each new connection, so many
    /// connections spread over every address of a name. Default `false`
    /// (DNS order). [`HyperClient`] only; `ReqwestClient` refuses it.
    pub randomize_addresses: bool,
    /// Fixed addresses for host names, used instead of DNS for them (as
    /// curl's `--resolve` and reqwest's `resolve`): a request to `host`
    /// connects to the address at the URL's port; TLS still checks the
    /// certificate against `host`, and the `Host` header and the signature
    /// keep it. Names match without regard to case. Default none.
    pub resolve: Vec<(String, std::net::IpAddr)>,
    /// Extra trusted root certificates, each entry a PEM document holding
    /// one or more `CERTIFICATE` sections; trusted next to the built-in
    /// Mozilla roots.
    pub root_certificates_pem: Vec<Vec<u8>>,
    /// The `User-Agent` header sent when the request has none. Default
    /// `s3lite/<version>`.
    pub user_agent: Option<String>,
    /// Headers added to every request that does not already carry them.
    /// They are added after signing, so they are not signed: do not put
    /// `x-amz-*` headers here (S3 rejects unsigned ones).
    pub default_headers: http::HeaderMap,
    /// Speak HTTP/1.1 only. Default `true`. With the `http2` feature,
    /// `false` lets TLS (ALPN) pick HTTP/2 or HTTP/1.1.
    pub http1_only: bool,
    /// Speak HTTP/2 only (prior knowledge on `http://`). Needs the `http2`
    /// feature. Default `false`.
    pub http2_only: bool,
    /// Interval of HTTP/2 keep-alive PINGs; `None` sends none. Feature `http2`.
    pub http2_keep_alive_interval: Option<Duration>,
    /// How long to wait for a keep-alive PING answer. Feature `http2`.
    pub http2_keep_alive_timeout: Option<Duration>,
    /// Send keep-alive PINGs on idle HTTP/2 connections too. Feature `http2`.
    pub http2_keep_alive_while_idle: bool,
    /// The largest HTTP/2 frame s3lite accepts. Feature `http2`.
    pub http2_max_frame_size: Option<u32>,
    /// The proxy of every request (obstore's `proxy_url`; env `ALL_PROXY`):
    /// `http://[user:pass@]host[:port]` or `https://...`.
    ///
    /// `https://` requests go through an HTTP `CONNECT` tunnel; `http://`
    /// requests are forwarded in absolute form (`GET http://host/path`).
    pub proxy_url: Option<String>,
    /// The proxy of `https://` requests; wins over `proxy_url` (env `HTTPS_PROXY`).
    pub https_proxy: Option<String>,
    /// The proxy of `http://` requests; wins over `proxy_url` (env `HTTP_PROXY`).
    pub http_proxy: Option<String>,
    /// Hosts reached without the proxy (env `NO_PROXY`): each entry a
    /// comma-separated list of host names (matching their subdomains too),
    /// `.domain` suffixes, IP addresses, CIDR ranges (`10.0.0.0/8`) or `*`.
    pub proxy_excludes: Vec<String>,
    /// A PEM CA certificate trusted for TLS to an `https://` proxy, next to
    /// the Mozilla roots and [`root_certificates_pem`](Self::root_certificates_pem).
    pub proxy_ca_certificate_pem: Option<Vec<u8>>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(5),
            timeout: Some(Duration::from_secs(30)),
            read_timeout: Some(Duration::from_secs(30)),
            pool_idle_timeout: Duration::from_secs(90),
            pool_max_idle_per_host: usize::MAX,
            allow_http: false,
            allow_invalid_certificates: false,
            randomize_addresses: false,
            resolve: Vec::new(),
            root_certificates_pem: Vec::new(),
            user_agent: Some(DEFAULT_USER_AGENT.to_owned()),
            default_headers: http::HeaderMap::new(),
            http1_only: true,
            http2_only: false,
            http2_keep_alive_interval: None,
            http2_keep_alive_timeout: None,
            http2_keep_alive_while_idle: false,
            http2_max_frame_size: None,
            proxy_url: None,
            https_proxy: None,
            http_proxy: None,
            proxy_excludes: Vec::new(),
            proxy_ca_certificate_pem: None,
        }
    }
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proxy = |p: &Option<String>| p.as_deref().map(|u| redact_url(u).into_owned());
        f.debug_struct("ClientOptions")
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("read_timeout", &self.read_timeout)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("pool_max_idle_per_host", &self.pool_max_idle_per_host)
            .field("allow_http", &self.allow_http)
            .field(
                "allow_invalid_certificates",
                &self.allow_invalid_certificates,
            )
            .field("randomize_addresses", &self.randomize_addresses)
            .field("resolve", &self.resolve)
            .field("root_certificates_pem", &self.root_certificates_pem.len())
            .field("user_agent", &self.user_agent)
            .field("default_headers", &HeaderNames(&self.default_headers))
            .field("http1_only", &self.http1_only)
            .field("http2_only", &self.http2_only)
            .field("proxy_url", &proxy(&self.proxy_url))
            .field("https_proxy", &proxy(&self.https_proxy))
            .field("http_proxy", &proxy(&self.http_proxy))
            .field("proxy_excludes", &self.proxy_excludes)
            .finish_non_exhaustive()
    }
}

/// `s3lite/<version>`.
const DEFAULT_USER_AGENT: &str = concat!("s3lite/", env!("CARGO_PKG_VERSION"));

// ---------------------------------------------------------------------------
// Helpers shared by the clients.

pub(crate) use crate::redact::redact_url;

/// `METHOD url-without-query`.
pub(crate) fn describe(method: &http::Method, url: &str) -> String {
    format!("{method} {}", redact_url(url))
}

/// Parses and checks the request URL against the options.
pub(crate) fn check_url(
    method: &http::Method,
    url: &str,
    allow_http: bool,
) -> crate::Result<http::Uri> {
    let what = describe(method, url);
    let uri: http::Uri = url
        .parse()
        .map_err(|_| Error::invalid_input(format!("{what}: not a valid URL")))?;
    if uri.authority().is_none() {
        return Err(Error::invalid_input(format!("{what}: URL has no host")));
    }
    match uri.scheme_str() {
        Some("https") => Ok(uri),
        Some("http") if allow_http => Ok(uri),
        Some("http") => Err(Error::new(
            ErrorKind::InvalidConfig,
            format!(
                "{what}: plain http refused; set allow_http (ClientOptions::allow_http) to allow it"
            ),
        )),
        _ => Err(Error::invalid_input(format!(
            "{what}: URL scheme must be http or https"
        ))),
    }
}

/// Adds the headers the caller may leave out: `User-Agent`;
/// `Content-Length: 0` for an empty PUT, POST or PATCH (S3 refuses those
/// without a length, and HTTP libraries omit it); and, on an HTTP/1-only
/// client, `Connection: keep-alive`. HTTP/1.1 keeps connections open
/// without it, but LocalStack (on hypercorn) closes each one after its
/// answer unless the request names it, so every request there would pay a
/// new TCP (and TLS) connection. Not signed: a hop-by-hop header a proxy
/// may drop; never sent where HTTP/2 may be negotiated (it is illegal there).
pub(crate) fn add_default_headers(
    method: &http::Method,
    headers: &mut http::HeaderMap,
    body: &RequestBody,
    options: &ClientOptions,
) {
    if let Some(ua) = options.user_agent.as_deref()
        && !headers.contains_key(http::header::USER_AGENT)
        && let Ok(value) = http::HeaderValue::from_str(ua)
    {
        headers.insert(http::header::USER_AGENT, value);
    }
    if options.http1_only && !options.http2_only && !headers.contains_key(http::header::CONNECTION)
    {
        headers.insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("keep-alive"),
        );
    }
    let needs_length = [http::Method::PUT, http::Method::POST, http::Method::PATCH];
    if body.len_hint() == Some(0)
        && needs_length.contains(method)
        && !headers.contains_key(http::header::CONTENT_LENGTH)
    {
        headers.insert(
            http::header::CONTENT_LENGTH,
            http::HeaderValue::from_static("0"),
        );
    }
}

/// Adds each of `defaults` the request does not already carry.
pub(crate) fn add_configured_headers(headers: &mut http::HeaderMap, defaults: &http::HeaderMap) {
    for name in defaults.keys() {
        if !headers.contains_key(name) {
            for value in defaults.get_all(name) {
                headers.append(name.clone(), value.clone());
            }
        }
    }
}

/// Checks the HTTP version options: `InvalidConfig` when both `http1_only`
/// and `http2_only` are set, `NotImplemented` for `http2_only` without the
/// `http2` feature.
pub(crate) fn check_http_versions(options: &ClientOptions) -> crate::Result<()> {
    if options.http1_only && options.http2_only {
        return Err(Error::invalid_config(
            "http2_only",
            "true",
            "cannot be combined with http1_only = true",
        ));
    }
    if options.http2_only && !cfg!(feature = "http2") {
        return Err(Error::new(
            ErrorKind::NotImplemented,
            "http2_only = \"true\": HTTP/2 needs s3lite's `http2` feature",
        ));
    }
    Ok(())
}

/// State shared between a request body being sent and the request future:
/// when the body last made progress, and the error its stream failed with.
#[derive(Debug)]
pub(crate) struct Progress {
    last: Mutex<tokio::time::Instant>,
    body_error: Mutex<Option<Error>>,
}

impl Progress {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Progress {
            last: Mutex::new(tokio::time::Instant::now()),
            body_error: Mutex::new(None),
        })
    }

    /// Records that the connection took another body chunk.
    pub(crate) fn tick(&self) {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = tokio::time::Instant::now();
    }

    fn last(&self) -> tokio::time::Instant {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps the error a request body stream failed with, for `send` to return.
    pub(crate) fn set_body_error(&self, error: Error) {
        *self
            .body_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(error);
    }

    /// The error the request body stream failed with, if it did.
    pub(crate) fn take_body_error(&self) -> Option<Error> {
        self.body_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// Runs `request` until it completes, or until `timeout` passes without
/// [`Progress::tick`]; `None` on timeout.
pub(crate) async fn with_progress_timeout<F: Future>(
    request: F,
    progress: &Progress,
    timeout: Option<Duration>,
) -> Option<F::Output> {
    let Some(timeout) = timeout else {
        return Some(request.await);
    };
    let stalled = async {
        loop {
            let deadline = progress.last() + timeout;
            if tokio::time::Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    };
    let mut request = std::pin::pin!(request);
    let mut stalled = std::pin::pin!(stalled);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(out) = request.as_mut().poll(cx) {
            return Poll::Ready(Some(out));
        }
        stalled.as_mut().poll(cx).map(|()| None)
    })
    .await
}

/// The error for a request that made no progress for `timeout`.
pub(crate) fn request_timeout(what: &str, timeout: Option<Duration>) -> Error {
    let secs = timeout.map_or(0.0, |t| t.as_secs_f64());
    Error::new(
        ErrorKind::Timeout,
        format!("{what}: no response headers within {secs}s (ClientOptions::timeout)"),
    )
    .with_retryable(true)
}

/// The causes below `error`, joined with `: `, for a message that says why
/// (`tcp connect error: Connection refused`), since `Display` of
/// [`Error`] shows only the top source. The HTTP libraries' errors never
/// contain the URL once reqwest's is stripped (`without_url`).
pub(crate) fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = error.source();
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// Prints header names only.
struct HeaderNames<'a>(&'a http::HeaderMap);

impl fmt::Debug for HeaderNames<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_url_refuses_http_without_allow_http() {
        let e = check_url(&http::Method::GET, "http://h/k?sig=S", false).expect_err("must fail");
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(!e.to_string().contains("sig=S"));
        assert!(check_url(&http::Method::GET, "http://h/k", true).is_ok());
    }

    #[test]
    fn check_url_rejects_bad_urls_without_printing_query() {
        for url in [
            "not a url?X-Amz-Signature=S",
            "ftp://h/k?X-Amz-Signature=S",
            "/k?X-Amz-Signature=S",
        ] {
            let e = check_url(&http::Method::PUT, url, true).expect_err("must fail");
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{url}");
            assert!(!format!("{e} {e:?}").contains("X-Amz-Signature"), "{url}");
        }
    }

    #[test]
    fn http1_clients_ask_for_keep_alive_and_http2_capable_ones_do_not() {
        let headers_with = |options: &ClientOptions, preset: Option<&'static str>| {
            let mut h = http::HeaderMap::new();
            if let Some(v) = preset {
                h.insert(http::header::CONNECTION, http::HeaderValue::from_static(v));
            }
            add_default_headers(&http::Method::GET, &mut h, &RequestBody::default(), options);
            h.get(http::header::CONNECTION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let http1 = ClientOptions::default();
        assert!(http1.http1_only, "the default is HTTP/1 only");
        assert_eq!(headers_with(&http1, None).as_deref(), Some("keep-alive"));
        // The caller's own value is kept.
        assert_eq!(
            headers_with(&http1, Some("close")).as_deref(),
            Some("close")
        );
        let mut any = ClientOptions {
            http1_only: false,
            ..ClientOptions::default()
        };
        assert_eq!(headers_with(&any, None), None);
        any.http2_only = true;
        assert_eq!(headers_with(&any, None), None);
    }

    #[test]
    fn request_debug_hides_header_values_and_query() {
        let mut r = HttpRequest::new(http::Method::GET, "https://h/k?X-Amz-Signature=S");
        r.headers.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_static("AWS4-HMAC-SHA256 SECRET"),
        );
        let s = format!("{r:?}");
        assert!(
            !s.contains("SECRET") && !s.contains("X-Amz-Signature"),
            "{s}"
        );
        assert!(s.contains("authorization"), "{s}");
    }
}
