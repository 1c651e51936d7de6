//! An [`HttpClient`] on top of reqwest (feature `reqwest`).

use std::fmt;

use super::body::SendBody;
use super::proxy::ProxyRules;
use super::{
    BoxFuture, ClientOptions, HttpClient, HttpRequest, HttpResponse, Progress, RequestBody,
    ResponseBody, add_configured_headers, add_default_headers, causes, check_url, request_timeout,
    with_progress_timeout,
};
use crate::{Error, ErrorKind};

/// An [`HttpClient`] that sends through a `reqwest::Client`, for
/// applications that already use reqwest and want to share its pool.
///
/// [`ReqwestClient::new`] builds a reqwest client from [`ClientOptions`]:
/// rustls with the webpki roots, HTTP/1.1 (HTTP/2 with the `http2` feature),
/// no redirects, and the proxies of the options (reqwest's own proxy code). A
/// client of your own (`From<reqwest::Client>`) keeps its settings; turn its
/// redirects off (`redirect::Policy::none()`), since S3 answers some
/// requests with a redirect the store must see. The request `timeout`,
/// `read_timeout` and `allow_http` of [`ClientOptions`] are applied by this
/// wrapper in both cases.
#[derive(Clone)]
pub struct ReqwestClient {
    client: reqwest::Client,
    options: ClientOptions,
}

impl ReqwestClient {
    /// A reqwest client configured by `options`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`] when an entry of
    /// [`ClientOptions::root_certificates_pem`] holds no usable certificate,
    /// or reqwest cannot build its TLS configuration.
    pub fn new(options: &ClientOptions) -> crate::Result<Self> {
        super::check_http_versions(options)?;
        if options.randomize_addresses {
            return Err(crate::Error::new(
                crate::ErrorKind::NotImplemented,
                "randomize_addresses = \"true\": only the default hyper client shuffles DNS answers",
            ));
        }
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.connect_timeout)
            .pool_idle_timeout(options.pool_idle_timeout)
            .pool_max_idle_per_host(options.pool_max_idle_per_host)
            .tcp_nodelay(true)
            .danger_accept_invalid_certs(options.allow_invalid_certificates);
        for (host, ip) in &options.resolve {
            // Port 0: the URL's port is used, as in the hyper client.
            builder = builder.resolve(host, std::net::SocketAddr::new(*ip, 0));
        }
        if options.http1_only {
            builder = builder.http1_only();
        }
        #[cfg(feature = "http2")]
        if options.http2_only {
            builder = builder.http2_prior_knowledge();
        }
        #[cfg(feature = "http2")]
        {
            builder = builder
                .http2_keep_alive_interval(options.http2_keep_alive_interval)
                .http2_keep_alive_while_idle(options.http2_keep_alive_while_idle)
                .http2_max_frame_size(options.http2_max_frame_size);
            if let Some(timeout) = options.http2_keep_alive_timeout {
                builder = builder.http2_keep_alive_timeout(timeout);
            }
        }
        if let Some(rules) = ProxyRules::from_options(options)? {
            let no_proxy = reqwest::NoProxy::from_string(&options.proxy_excludes.join(","));
            for (i, target) in [&rules.https, &rules.http, &rules.all]
                .into_iter()
                .enumerate()
            {
                if let Some(target) = target {
                    let proxy = match i {
                        0 => reqwest::Proxy::https(&target.raw),
                        1 => reqwest::Proxy::http(&target.raw),
                        _ => reqwest::Proxy::all(&target.raw),
                    };
                    let proxy = proxy.map_err(|e| {
                        Error::invalid_config("proxy_url", &target.shown, "invalid proxy URL")
                            .with_source(e.without_url())
                    })?;
                    builder = builder.proxy(proxy.no_proxy(no_proxy.clone()));
                }
            }
        }
        let pems = options
            .root_certificates_pem
            .iter()
            .enumerate()
            .map(|(i, pem)| (format!("entry {i}"), pem))
            .chain(
                options
                    .proxy_ca_certificate_pem
                    .iter()
                    .map(|pem| ("proxy_ca_certificate".to_string(), pem)),
            );
        for (entry, pem) in pems {
            let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
                Error::invalid_config("root_certificates_pem", &entry, "invalid PEM").with_source(e)
            })?;
            if certs.is_empty() {
                return Err(Error::invalid_config(
                    "root_certificates_pem",
                    &entry,
                    "no CERTIFICATE section",
                ));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder.build().map_err(|e| {
            Error::new(
                ErrorKind::InvalidConfig,
                "building the reqwest client failed",
            )
            .with_source(e)
        })?;
        Ok(Self::from_client(client, options))
    }

    /// Wraps an existing reqwest client; of `options` only `timeout`,
    /// `read_timeout`, `allow_http` and `user_agent` apply.
    pub fn from_client(client: reqwest::Client, options: &ClientOptions) -> Self {
        ReqwestClient {
            client,
            options: options.clone(),
        }
    }

    /// The wrapped reqwest client.
    pub fn inner(&self) -> &reqwest::Client {
        &self.client
    }

    async fn execute(&self, request: HttpRequest) -> crate::Result<HttpResponse> {
        let options = &self.options;
        let what = request.describe();
        check_url(&request.method, &request.url, options.allow_http)?;
        let url = reqwest::Url::parse(&request.url)
            .map_err(|_| Error::invalid_input(format!("{what}: not a valid URL")))?;
        let HttpRequest {
            method,
            mut headers,
            body,
            ..
        } = request;
        // The configured headers first: they win over the automatic ones.
        add_configured_headers(&mut headers, &options.default_headers);
        add_default_headers(&method, &mut headers, &body, options);
        let progress = Progress::new();
        let body = match body {
            RequestBody::Empty => None,
            body => {
                // Sent as a stream to see progress; keep the length known.
                if let Some(len) = body.len_hint()
                    && !headers.contains_key(http::header::CONTENT_LENGTH)
                {
                    headers.insert(http::header::CONTENT_LENGTH, len.into());
                }
                let content_length = headers
                    .get(http::header::CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok());
                let send = SendBody::new(body, content_length, progress.clone());
                Some(reqwest::Body::wrap_stream(send))
            }
        };
        let mut req = reqwest::Request::new(method, url);
        *req.headers_mut() = headers;
        *req.body_mut() = body;

        let sent = with_progress_timeout(self.client.execute(req), &progress, options.timeout);
        let response = match sent.await {
            Some(Ok(response)) => response,
            Some(Err(e)) => {
                return Err(match progress.take_body_error() {
                    Some(body_error) => body_error.context(format!("{what}: request body")),
                    None => map_error(&what, e),
                });
            }
            None => return Err(request_timeout(&what, options.timeout)),
        };
        Ok(HttpResponse {
            status: response.status(),
            headers: response.headers().clone(),
            body: ResponseBody::from_reqwest(response)
                .with_read_timeout(options.read_timeout)
                .with_context(what),
        })
    }
}

impl From<reqwest::Client> for ReqwestClient {
    /// Wraps `client` with [`ClientOptions::default`] (so `http://` URLs
    /// are refused); see [`ReqwestClient::from_client`].
    fn from(client: reqwest::Client) -> Self {
        Self::from_client(client, &ClientOptions::default())
    }
}

impl HttpClient for ReqwestClient {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, crate::Result<HttpResponse>> {
        Box::pin(self.execute(request))
    }
}

impl fmt::Debug for ReqwestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestClient")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Classifies a failed request; the URL (with its query) is removed from
/// reqwest's error before it is kept as the source.
fn map_error(what: &str, e: reqwest::Error) -> Error {
    let e = e.without_url();
    let (kind, message) = if e.is_timeout() {
        (ErrorKind::Timeout, "timed out")
    } else if e.is_connect() {
        (ErrorKind::Transport, "connect failed")
    } else if e.is_builder() {
        return Error::invalid_input(format!("{what}: invalid request")).with_source(e);
    } else {
        (ErrorKind::Transport, "request failed")
    };
    let why = causes(&e);
    Error::new(kind, format!("{what}: {message} ({why})"))
        .with_source(e)
        .with_retryable(true)
}
