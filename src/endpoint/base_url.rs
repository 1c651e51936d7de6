//! A custom endpoint URL, parsed as AWS's `parseURL` reads it (and a little
//! stricter: no user information, no fragment, a plain host and path).

use super::split_host_port;
use crate::error::{Error, Result};

/// A parsed endpoint URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct BaseUrl {
    pub(super) https: bool,
    pub(super) host: String,
    pub(super) port: Option<u16>,
    /// Path without trailing slash (`""` or `/base`), already URL-safe.
    pub(super) path: String,
}

impl BaseUrl {
    /// Parses `url`; the error carries AWS's message ("Custom endpoint
    /// `...` was not a valid URI") and what is wrong with it.
    pub(super) fn parse(url: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::invalid_config(
                "endpoint",
                url,
                format!("Custom endpoint `{url}` was not a valid URI: {why}"),
            )
        };
        let (https, rest) = if let Some(rest) = strip_prefix_ignore_case(url, "https://") {
            (true, rest)
        } else if let Some(rest) = strip_prefix_ignore_case(url, "http://") {
            (false, rest)
        } else {
            return Err(bad("must start with http:// or https://"));
        };
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if path.contains(['?', '#']) {
            return Err(bad("must not have a query or fragment"));
        }
        if !path.bytes().all(is_path_byte) || !percent_escapes_ok(path) {
            return Err(bad(
                "has a path with characters that must be percent-encoded",
            ));
        }
        if authority.contains('@') {
            return Err(bad("must not contain user information"));
        }
        let (host, port) = split_host_port(authority).ok_or_else(|| bad("has an invalid port"))?;
        if host.is_empty() {
            return Err(bad("has no host"));
        }
        let host_ok = if let Some(inner) = host.strip_prefix('[') {
            inner.strip_suffix(']').is_some_and(|v6| {
                !v6.is_empty()
                    && v6
                        .chars()
                        .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
            })
        } else {
            host.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
        };
        if !host_ok {
            return Err(bad("has an invalid host name"));
        }
        let default_port = if https { 443 } else { 80 };
        Ok(BaseUrl {
            https,
            host: host.to_ascii_lowercase(),
            port: port.filter(|p| *p != default_port),
            path: path.trim_end_matches('/').to_string(),
        })
    }

    /// `host[:port]`, the port only when it is not the scheme's default.
    pub(super) fn authority(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.clone(),
        }
    }

    /// Whether the host is an IPv4 address or a bracketed IPv6 address
    /// (AWS's `isIp`): such endpoints are always addressed path style.
    pub(super) fn is_ip(&self) -> bool {
        self.host.starts_with('[') || self.host.parse::<std::net::Ipv4Addr>().is_ok()
    }
}

/// RFC 3986 path characters: unreserved, sub-delims, `:`, `@`, `/`, `%`.
fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/%".contains(&b)
}

/// Every `%` starts a two-hex-digit escape.
fn percent_escapes_ok(path: &str) -> bool {
    let b = path.as_bytes();
    b.iter().enumerate().all(|(i, c)| {
        *c != b'%'
            || (b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    })
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}
