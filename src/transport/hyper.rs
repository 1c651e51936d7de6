//! The default [`HttpClient`]: hyper 1.x over rustls (feature `hyper-rustls`).

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use hyper::body::{Frame, SizeHint};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;

use super::resolve::Resolver;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::body::{BodyAborted, SendBody};
use super::proxy::{ProxyConnector, ProxyRules};
use super::{
    BoxFuture, ClientOptions, HttpClient, HttpRequest, HttpResponse, Progress, ResponseBody,
    add_configured_headers, add_default_headers, causes, check_url, request_timeout,
    with_progress_timeout,
};
use crate::{Error, ErrorKind};

/// The default [`HttpClient`]: hyper 1.x, HTTP/1.1 (HTTP/2 with the
/// `http2` feature), rustls with the ring provider, the Mozilla roots from
/// `webpki-roots` plus [`ClientOptions::root_certificates_pem`], a
/// connection pool, and proxies ([`ClientOptions::proxy_url`]).
///
/// Cloning is cheap and clones share the pool. Requests must run on a tokio
/// runtime (with the time driver enabled).
#[derive(Clone)]
pub struct HyperClient {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client<HttpsConnector<ProxyConnector>, HyperBody>,
    options: ClientOptions,
    proxies: Option<Arc<ProxyRules>>,
}

impl HyperClient {
    /// A client configured by `options`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`] when an entry of
    /// [`ClientOptions::root_certificates_pem`] (or the proxy CA) holds no
    /// certificate or an unusable one, when a proxy URL is malformed, or
    /// when both `http1_only` and `http2_only` are set;
    /// [`ErrorKind::NotImplemented`] for `http2_only` without the `http2`
    /// feature.
    pub fn new(options: &ClientOptions) -> crate::Result<Self> {
        super::check_http_versions(options)?;
        let tls = tls_config(options, None)?;
        let mut http = HttpConnector::new_with_resolver(Resolver::new(
            options.randomize_addresses,
            options.resolve.clone(),
        ));
        // The https connector below checks the scheme; `send` checks allow_http.
        http.enforce_http(false);
        http.set_connect_timeout(Some(options.connect_timeout));
        http.set_nodelay(true);
        let proxies = ProxyRules::from_options(options)?.map(Arc::new);
        let proxy_tls = tls_config(options, options.proxy_ca_certificate_pem.as_deref())?;
        let to_proxy = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(proxy_tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http.clone());
        let connector = ProxyConnector {
            direct: http,
            to_proxy,
            rules: proxies.clone(),
        };
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http();
        #[cfg(feature = "http2")]
        let https = if options.http2_only {
            https.enable_http2().wrap_connector(connector)
        } else if !options.http1_only {
            https.enable_all_versions().wrap_connector(connector)
        } else {
            https.enable_http1().wrap_connector(connector)
        };
        #[cfg(not(feature = "http2"))]
        let https = https.enable_http1().wrap_connector(connector);
        let mut builder = Client::builder(TokioExecutor::new());
        builder
            .pool_idle_timeout(options.pool_idle_timeout)
            .pool_max_idle_per_host(options.pool_max_idle_per_host)
            .pool_timer(TokioTimer::new())
            // A head past this fails instead of growing the buffer; the
            // header count keeps hyper's default (MAX_RESPONSE_HEADERS):
            // setting it moves the parse to the heap.
            .http1_max_buf_size(crate::limits::MAX_RESPONSE_HEAD);
        #[cfg(feature = "http2")]
        {
            builder
                .http2_only(options.http2_only)
                .timer(TokioTimer::new())
                .http2_keep_alive_interval(options.http2_keep_alive_interval)
                .http2_keep_alive_while_idle(options.http2_keep_alive_while_idle)
                .http2_max_frame_size(options.http2_max_frame_size);
            if let Some(timeout) = options.http2_keep_alive_timeout {
                builder.http2_keep_alive_timeout(timeout);
            }
        }
        let client = builder.build(https);
        Ok(HyperClient {
            inner: Arc::new(Inner {
                client,
                options: options.clone(),
                proxies,
            }),
        })
    }

    /// The options this client was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    async fn execute(&self, request: HttpRequest) -> crate::Result<HttpResponse> {
        let options = &self.inner.options;
        let what = request.describe();
        let uri = check_url(&request.method, &request.url, options.allow_http)?;
        let HttpRequest {
            method,
            mut headers,
            body,
            ..
        } = request;
        // The configured headers first: they win over the automatic ones.
        add_configured_headers(&mut headers, &options.default_headers);
        add_default_headers(&method, &mut headers, &body, options);
        // Forwarded (absolute-form) requests carry the proxy's credentials;
        // tunnels send them with CONNECT instead.
        if uri.scheme_str() == Some("http")
            && let Some(auth) = self
                .inner
                .proxies
                .as_ref()
                .and_then(|p| p.proxy_for(&uri))
                .and_then(|p| p.auth.clone())
        {
            headers.insert(http::header::PROXY_AUTHORIZATION, auth);
        }
        let content_length = headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let progress = Progress::new();
        let body = HyperBody(SendBody::new(body, content_length, progress.clone()));
        let mut req = http::Request::new(body);
        *req.method_mut() = method;
        *req.uri_mut() = uri;
        *req.headers_mut() = headers;

        let sent =
            with_progress_timeout(self.inner.client.request(req), &progress, options.timeout);
        let response = match sent.await {
            Some(Ok(response)) => response,
            Some(Err(e)) => {
                return Err(match progress.take_body_error() {
                    Some(body_error) => body_error.context(format!("{what}: request body")),
                    None => map_error(&what, options, e),
                });
            }
            None => return Err(request_timeout(&what, options.timeout)),
        };
        let (parts, body) = response.into_parts();
        Ok(HttpResponse {
            status: parts.status,
            headers: parts.headers,
            body: ResponseBody::from_incoming(body)
                .with_read_timeout(options.read_timeout)
                .with_context(what),
        })
    }
}

impl HttpClient for HyperClient {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, crate::Result<HttpResponse>> {
        Box::pin(self.execute(request))
    }
}

impl fmt::Debug for HyperClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperClient")
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

/// Classifies a failed request. hyper-util's errors never contain the URL.
fn map_error(what: &str, options: &ClientOptions, e: hyper_util::client::legacy::Error) -> Error {
    if e.is_connect() {
        if is_io_timeout(&e) {
            let secs = options.connect_timeout.as_secs_f64();
            return Error::new(
                ErrorKind::Timeout,
                format!("{what}: connect timed out after {secs}s (ClientOptions::connect_timeout)"),
            )
            .with_source(e)
            .with_retryable(true);
        }
        let why = causes(&e);
        return Error::new(
            ErrorKind::Transport,
            format!("{what}: connect failed ({why})"),
        )
        .with_source(e)
        .with_retryable(true);
    }
    let why = causes(&e);
    Error::new(
        ErrorKind::Transport,
        format!("{what}: request failed ({why})"),
    )
    .with_source(e)
    .with_retryable(true)
}

/// Whether an I/O timeout appears anywhere in `error`'s source chain.
fn is_io_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return true;
        }
        next = e.source();
    }
    false
}

/// The request body type handed to hyper.
struct HyperBody(SendBody);

impl hyper::body::Body for HyperBody {
    type Data = Bytes;
    type Error = BodyAborted;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyAborted>>> {
        Pin::new(&mut self.0)
            .poll_next(cx)
            .map(|item| item.map(|piece| piece.map(Frame::data)))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end()
    }

    fn size_hint(&self) -> SizeHint {
        match self.0.remaining() {
            Some(n) => SizeHint::with_exact(n),
            None => SizeHint::default(),
        }
    }
}

/// rustls configuration: ring, webpki roots plus the extra PEM roots (and
/// `proxy_ca`, for the connection to a proxy), or no verification at all
/// when `allow_invalid_certificates`.
fn tls_config(
    options: &ClientOptions,
    proxy_ca: Option<&[u8]>,
) -> crate::Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let pems = options
        .root_certificates_pem
        .iter()
        .map(Vec::as_slice)
        .enumerate()
        .map(|(i, pem)| (format!("root_certificates_pem entry {i}"), pem))
        .chain(proxy_ca.map(|pem| ("proxy_ca_certificate".to_string(), pem)));
    for (entry, pem) in pems {
        let key = entry.split(' ').next().unwrap_or_default().to_string();
        let mut found = false;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert
                .map_err(|e| Error::invalid_config(&key, &entry, "invalid PEM").with_source(e))?;
            roots.add(cert).map_err(|e| {
                Error::invalid_config(&key, &entry, "unusable certificate").with_source(e)
            })?;
            found = true;
        }
        if !found {
            return Err(Error::invalid_config(
                &key,
                &entry,
                "no CERTIFICATE section",
            ));
        }
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| {
            Error::new(ErrorKind::InvalidConfig, "TLS protocol versions").with_source(e)
        })?;
    let config = if options.allow_invalid_certificates {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
            .with_no_client_auth()
    } else {
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    Ok(config)
}

/// Accepts every server certificate; still checks that the handshake is
/// signed by the certificate's key. Only for
/// [`ClientOptions::allow_invalid_certificates`].
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_pem_without_certificate_is_invalid_config() {
        let options = ClientOptions {
            root_certificates_pem: vec![b"not pem".to_vec()],
            ..ClientOptions::default()
        };
        let e = HyperClient::new(&options).expect_err("must fail");
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(e.to_string().contains("root_certificates_pem"), "{e}");
    }
}
