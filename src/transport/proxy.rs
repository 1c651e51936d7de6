//! Proxy selection shared by the clients: which proxy (if any) a request
//! goes through, from [`ClientOptions`]'s `proxy_url`, `https_proxy`,
//! `http_proxy` and `proxy_excludes`.
//!
//! The hyper client's connector lives here too: `https://` targets go
//! through an HTTP `CONNECT` tunnel (TLS end to end with the server);
//! `http://` targets are forwarded in absolute form (`GET http://host/path`),
//! as HTTP proxies expect, with `Proxy-Authorization` on each request. The
//! proxy itself may be `http://` or `https://` (TLS to the proxy, trusting
//! [`ClientOptions::proxy_ca_certificate_pem`] as well).
#![cfg_attr(
    not(feature = "hyper-rustls"),
    allow(
        dead_code,
        reason = "the reqwest client matches proxies with its own code"
    )
)]

use std::net::IpAddr;

use http::{HeaderValue, Uri};

use super::ClientOptions;
use crate::config::percent_decode;
use crate::error::{Error, Result};

/// One configured proxy.
#[derive(Clone)]
pub(crate) struct ProxyTarget {
    /// `scheme://host:port` of the proxy.
    pub(crate) uri: Uri,
    /// `Basic ...` from the URL's user information.
    pub(crate) auth: Option<HeaderValue>,
    /// The URL as it may be printed: without user information.
    pub(crate) shown: String,
    /// The original URL, for clients (reqwest) that parse it themselves.
    #[cfg_attr(
        not(feature = "reqwest"),
        allow(dead_code, reason = "read by the reqwest client only")
    )]
    pub(crate) raw: String,
}

impl std::fmt::Debug for ProxyTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

/// Which proxy each request goes through.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProxyRules {
    pub(crate) all: Option<ProxyTarget>,
    pub(crate) https: Option<ProxyTarget>,
    pub(crate) http: Option<ProxyTarget>,
    pub(crate) excludes: Vec<Exclude>,
}

/// One `proxy_excludes` / `NO_PROXY` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Exclude {
    /// `*`: no request uses the proxy.
    All,
    /// A host name; matches itself and its subdomains.
    Domain(String),
    /// An address, or a CIDR range.
    Net(IpAddr, u8),
}

impl ProxyRules {
    /// The rules of `options`; `None` when no proxy is configured.
    ///
    /// # Errors
    /// `InvalidConfig` naming the proxy key for a malformed URL.
    pub(crate) fn from_options(options: &ClientOptions) -> Result<Option<Self>> {
        let parse = |key: &str, url: &Option<String>| {
            url.as_deref().map(|u| parse_proxy(key, u)).transpose()
        };
        let rules = ProxyRules {
            all: parse("proxy_url", &options.proxy_url)?,
            https: parse("https_proxy", &options.https_proxy)?,
            http: parse("http_proxy", &options.http_proxy)?,
            excludes: options
                .proxy_excludes
                .iter()
                .flat_map(|e| e.split(','))
                .filter_map(parse_exclude)
                .collect(),
        };
        let any = rules.all.is_some() || rules.https.is_some() || rules.http.is_some();
        Ok(any.then_some(rules))
    }

    /// The proxy for a request to `dst`, or `None` to connect directly.
    pub(crate) fn proxy_for(&self, dst: &Uri) -> Option<&ProxyTarget> {
        let https = dst.scheme_str() == Some("https");
        let proxy = if https {
            self.https.as_ref()
        } else {
            self.http.as_ref()
        };
        let proxy = proxy.or(self.all.as_ref())?;
        let host = dst.host()?.trim_start_matches('[').trim_end_matches(']');
        (!self.excluded(host)).then_some(proxy)
    }

    fn excluded(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let ip: Option<IpAddr> = host.parse().ok();
        self.excludes.iter().any(|e| match e {
            Exclude::All => true,
            Exclude::Domain(d) => host == *d || host.ends_with(&format!(".{d}")),
            Exclude::Net(net, bits) => ip.is_some_and(|ip| in_net(ip, *net, *bits)),
        })
    }
}

/// Parses one proxy URL: `http://[user:pass@]host[:port]`, `https://...`,
/// or `host:port` (taken as `http://`).
pub(crate) fn parse_proxy(key: &str, url: &str) -> Result<ProxyTarget> {
    let shown = super::redact_url(url).into_owned();
    let bad = |why: &str| Error::invalid_config(key, &shown, why);
    let full = if url.contains("://") {
        url.trim().to_string()
    } else {
        format!("http://{}", url.trim())
    };
    let (scheme, rest) = full.split_once("://").ok_or_else(|| bad("is not a URL"))?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(bad("only http:// and https:// proxies are supported"));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (host, port) =
        crate::endpoint::split_host_port(hostport).ok_or_else(|| bad("has an invalid port"))?;
    if host.is_empty() {
        return Err(bad("has no host"));
    }
    let port = port.unwrap_or(if scheme == "https" { 443 } else { 80 });
    let uri: Uri = format!("{scheme}://{host}:{port}")
        .parse()
        .map_err(|_| bad("has an invalid host"))?;
    let auth = match userinfo {
        Some(info) => {
            let (user, pass) = info.split_once(':').unwrap_or((info, ""));
            let user = percent_decode(user).ok_or_else(|| bad("has bad percent-encoding"))?;
            let pass = percent_decode(pass).ok_or_else(|| bad("has bad percent-encoding"))?;
            let mut value = HeaderValue::from_str(&format!(
                "Basic {}",
                encode_base64(format!("{user}:{pass}").as_bytes())
            ))
            .map_err(|_| bad("has invalid user information"))?;
            value.set_sensitive(true);
            Some(value)
        }
        None => None,
    };
    Ok(ProxyTarget {
        uri,
        auth,
        shown: super::redact_url(&full).into_owned(),
        raw: full,
    })
}

fn parse_exclude(entry: &str) -> Option<Exclude> {
    let entry = entry.trim().to_ascii_lowercase();
    if entry.is_empty() {
        return None;
    }
    if entry == "*" {
        return Some(Exclude::All);
    }
    if let Some((net, bits)) = entry.split_once('/')
        && let (Ok(ip), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u8>())
    {
        return Some(Exclude::Net(ip, bits));
    }
    let bare = entry.trim_start_matches('[');
    let bare = bare.split(']').next().unwrap_or(bare);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        let bits = if ip.is_ipv4() { 32 } else { 128 };
        return Some(Exclude::Net(ip, bits));
    }
    // `host:port` entries exclude the host on every port.
    let host = entry.split(':').next().unwrap_or(&entry);
    let host = host.trim_start_matches("*.").trim_start_matches('.');
    Some(Exclude::Domain(host.to_string()))
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let bits = u32::from(bits.min(32));
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let bits = u32::from(bits.min(128));
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

pub(crate) use crate::encoding::encode_base64;

#[cfg(feature = "hyper-rustls")]
pub(crate) use connector::ProxyConnector;

#[cfg(feature = "hyper-rustls")]
mod connector {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::task::{Context, Poll};

    use http::Uri;
    use hyper::rt::{Read, ReadBufCursor, Write};
    use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
    use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};

    use super::super::resolve::Resolver;
    use hyper_util::rt::TokioIo;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::{ProxyRules, ProxyTarget};

    type BoxError = Box<dyn std::error::Error + Send + Sync>;
    type Stream = MaybeHttpsStream<TokioIo<TcpStream>>;

    /// Connects directly, through a `CONNECT` tunnel, or to a forwarding
    /// proxy, as [`ProxyRules`] say.
    #[derive(Clone)]
    pub(crate) struct ProxyConnector {
        pub(crate) direct: HttpConnector<Resolver>,
        /// Reaches the proxy itself (TLS for `https://` proxies).
        pub(crate) to_proxy: HttpsConnector<HttpConnector<Resolver>>,
        pub(crate) rules: Option<Arc<ProxyRules>>,
    }

    /// A connection made by [`ProxyConnector`].
    #[derive(Debug)]
    pub(crate) struct ProxyStream {
        io: Stream,
        mode: Mode,
    }

    #[derive(Debug, Clone, Copy)]
    enum Mode {
        Direct,
        Tunnel,
        /// Requests are sent in absolute form to an HTTP proxy.
        Forward,
    }

    impl tower_service::Service<Uri> for ProxyConnector {
        type Response = ProxyStream;
        type Error = BoxError;
        type Future = Pin<Box<dyn Future<Output = Result<ProxyStream, BoxError>> + Send>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, dst: Uri) -> Self::Future {
            let proxy = self.rules.as_ref().and_then(|r| r.proxy_for(&dst)).cloned();
            let Some(proxy) = proxy else {
                let connecting = self.direct.call(dst);
                return Box::pin(async move {
                    let tcp = connecting.await?;
                    Ok(ProxyStream {
                        io: MaybeHttpsStream::Http(tcp),
                        mode: Mode::Direct,
                    })
                });
            };
            let connecting = self.to_proxy.call(proxy.uri.clone());
            Box::pin(async move {
                let io = connecting
                    .await
                    .map_err(|e| format!("proxy {}: {e}", proxy.shown))?;
                if dst.scheme_str() == Some("https") {
                    let io = tunnel(io, &dst, &proxy).await?;
                    Ok(ProxyStream {
                        io,
                        mode: Mode::Tunnel,
                    })
                } else {
                    Ok(ProxyStream {
                        io,
                        mode: Mode::Forward,
                    })
                }
            })
        }
    }

    /// Sends `CONNECT host:port` and waits for a 2xx answer.
    async fn tunnel(io: Stream, dst: &Uri, proxy: &ProxyTarget) -> Result<Stream, BoxError> {
        let host = dst.host().ok_or("request URL has no host")?;
        let port = dst.port_u16().unwrap_or(443);
        let authority = format!("{host}:{port}");
        let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
        if let Some(auth) = &proxy.auth {
            request.push_str("Proxy-Authorization: ");
            request.push_str(auth.to_str().unwrap_or_default());
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        let mut io = TokioIo::new(io);
        io.write_all(request.as_bytes()).await?;
        io.flush().await?;
        // The server speaks only after the TLS ClientHello, so nothing past
        // the proxy's answer can arrive yet.
        let mut answer = Vec::with_capacity(256);
        let mut buf = [0u8; 512];
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = io.read(&mut buf).await?;
            if n == 0 {
                return Err(
                    format!("proxy {} closed the connection during CONNECT", proxy.shown).into(),
                );
            }
            answer.extend_from_slice(&buf[..n]);
            if answer.len() > 16 * 1024 {
                return Err(
                    format!("proxy {} sent an over-long CONNECT answer", proxy.shown).into(),
                );
            }
        }
        let status_line = String::from_utf8_lossy(&answer);
        let status_line = status_line.lines().next().unwrap_or_default();
        let ok = status_line
            .split_whitespace()
            .nth(1)
            .is_some_and(|code| code.starts_with('2'));
        if !ok {
            return Err(format!(
                "proxy {} refused CONNECT {authority}: {status_line}",
                proxy.shown
            )
            .into());
        }
        Ok(io.into_inner())
    }

    impl Connection for ProxyStream {
        fn connected(&self) -> Connected {
            match self.mode {
                Mode::Direct => self.io.connected(),
                // What was negotiated with the proxy says nothing about the server.
                Mode::Tunnel => Connected::new(),
                Mode::Forward => self.io.connected().proxy(true),
            }
        }
    }

    impl Read for ProxyStream {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: ReadBufCursor<'_>,
        ) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.io).poll_read(cx, buf)
        }
    }

    impl Write for ProxyStream {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            Pin::new(&mut self.io).poll_write(cx, buf)
        }

        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.io).poll_flush(cx)
        }

        fn poll_shutdown(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.io).poll_shutdown(cx)
        }

        fn is_write_vectored(&self) -> bool {
            self.io.is_write_vectored()
        }

        fn poll_write_vectored(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &[std::io::IoSlice<'_>],
        ) -> Poll<std::io::Result<usize>> {
            Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(excludes: &str) -> ProxyRules {
        let options = ClientOptions {
            https_proxy: Some("http://u%40x:p%3Ass@proxy.local:3128".into()),
            proxy_url: Some("proxy.all:8080".into()),
            proxy_excludes: vec![excludes.to_string()],
            ..ClientOptions::default()
        };
        ProxyRules::from_options(&options)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_default()
    }

    #[test]
    fn proxy_choice_follows_scheme_and_excludes() {
        let r = rules("localhost, .internal.example, 10.0.0.0/8, ::1, minio:9000");
        let pick = |url: &str| {
            r.proxy_for(&url.parse().unwrap_or_default())
                .map(|p| p.uri.to_string())
        };
        assert_eq!(
            pick("https://s3.amazonaws.com/b").as_deref(),
            Some("http://proxy.local:3128/")
        );
        assert_eq!(
            pick("http://s3.amazonaws.com/b").as_deref(),
            Some("http://proxy.all:8080/")
        );
        for direct in [
            "http://localhost:4566/b",
            "https://a.internal.example/b",
            "https://internal.example/b",
            "http://10.1.2.3/b",
            "http://[::1]:9000/b",
            "http://minio/b",
        ] {
            assert_eq!(pick(direct), None, "{direct}");
        }
        let star = rules("*");
        assert!(
            star.proxy_for(&"https://x/".parse().unwrap_or_default())
                .is_none()
        );
    }

    #[test]
    fn proxy_credentials_become_basic_auth_and_are_not_shown() {
        let r = rules("");
        let p = r.https.as_ref().map(|p| (p.shown.clone(), p.auth.clone()));
        let (shown, auth) = p.unwrap_or_default();
        assert!(!shown.contains("p%3Ass"), "{shown}");
        // "u@x:p:ss"
        assert_eq!(
            auth.and_then(|a| a.to_str().ok().map(str::to_string))
                .as_deref(),
            Some("Basic dUB4OnA6c3M=")
        );
    }

    #[test]
    fn bad_proxy_urls_are_invalid_config() {
        for bad in ["socks5://h:1080", "http://h:99999", "http://"] {
            let e = parse_proxy("proxy_url", bad).expect_err(bad);
            assert_eq!(e.kind(), crate::ErrorKind::InvalidConfig, "{bad}");
            assert!(e.to_string().contains("proxy_url"), "{e}");
        }
    }

    #[test]
    fn base64_encoding() {
        for (raw, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
        ] {
            assert_eq!(encode_base64(raw.as_bytes()), enc);
        }
    }
}
