//! Where requests for a bucket go: scheme, host and path prefix.
//!
//! Pure code: no I/O. [`Endpoint::resolve`] turns a configured endpoint (or
//! AWS's default for a region) and a bucket name into a [`BucketEndpoint`],
//! which builds the URL, the `Host` header value and the wire path of every
//! object request.
//!
//! Addressing: with a custom endpoint the default is path style
//! (`http://host:port/bucket/key`), because most self-hosted servers
//! (MinIO, Ceph, LocalStack, s3s) expect it. Against AWS the default is
//! virtual-hosted style (`https://bucket.s3.region.amazonaws.com/key`) when
//! the bucket name is DNS-safe; a bucket name with dots falls back to path
//! style over TLS, because `a.b.s3.amazonaws.com` does not match AWS's
//! wildcard certificate.

mod url;

pub use url::{ParsedUrl, parse_url};

use crate::error::{Error, Result};
use crate::sign::encode_key_path;

/// How the bucket appears in request URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddressingStyle {
    /// `scheme://host/bucket/key`.
    Path,
    /// `scheme://bucket.host/key`.
    VirtualHosted,
}

/// The configuration that decides where requests go.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Endpoint {
    /// A custom endpoint such as `http://127.0.0.1:9000`; `None` means AWS.
    pub url: Option<String>,
    /// The AWS region, used for the default AWS host and for signing.
    pub region: String,
    /// Forces an addressing style; `None` picks the default described in the
    /// module docs.
    pub style: Option<AddressingStyle>,
    /// Whether `http://` endpoints are allowed.
    pub allow_http: bool,
    /// AWS dual-stack (IPv4 and IPv6) hosts: `s3.dualstack.<region>.amazonaws.com`.
    pub dual_stack: bool,
    /// AWS FIPS 140 hosts: `s3-fips.<region>.amazonaws.com`.
    pub fips: bool,
    /// S3 Transfer Acceleration: `<bucket>.s3-accelerate.amazonaws.com`.
    pub accelerate: bool,
}

impl Endpoint {
    /// An endpoint for AWS in `region` with default addressing.
    pub fn aws(region: impl Into<String>) -> Self {
        Endpoint {
            url: None,
            region: region.into(),
            style: None,
            allow_http: false,
            dual_stack: false,
            fips: false,
            accelerate: false,
        }
    }

    /// A custom endpoint URL (scheme, host, optional port and path).
    pub fn custom(url: impl Into<String>, region: impl Into<String>) -> Self {
        Endpoint {
            url: Some(url.into()),
            region: region.into(),
            style: None,
            allow_http: false,
            dual_stack: false,
            fips: false,
            accelerate: false,
        }
    }

    /// Resolves where requests for `bucket` go.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig) when the
    /// endpoint URL is malformed, uses `http://` without `allow_http`, or the
    /// bucket name cannot be used with the requested addressing style.
    ///
    /// ```
    /// use s3lite::endpoint::{AddressingStyle, Endpoint};
    /// let mut e = Endpoint::custom("http://127.0.0.1:4566", "us-east-1");
    /// e.allow_http = true;
    /// let b = e.resolve("photos")?;
    /// assert_eq!(b.url("cat 1.jpg", ""), "http://127.0.0.1:4566/photos/cat%201.jpg");
    /// assert_eq!(b.host(), "127.0.0.1:4566");
    /// # Ok::<(), s3lite::Error>(())
    /// ```
    pub fn resolve(&self, bucket: &str) -> Result<BucketEndpoint> {
        validate_bucket_name(bucket)?;
        let mut express = false;
        let (base, default_style) = match &self.url {
            Some(url) => {
                let not_with_custom = |key: &str| {
                    Error::invalid_config(key, "true", "cannot be combined with a custom endpoint")
                };
                if self.dual_stack {
                    return Err(not_with_custom("use_dualstack_endpoint"));
                }
                if self.fips {
                    return Err(not_with_custom("use_fips_endpoint"));
                }
                if self.accelerate {
                    return Err(not_with_custom("use_accelerate_endpoint"));
                }
                (BaseUrl::parse(url)?, AddressingStyle::Path)
            }
            None => {
                validate_region(&self.region)?;
                let host = if let Some(zone) = express_zone(bucket) {
                    express = true;
                    self.express_host(zone)?
                } else if self.accelerate {
                    self.accelerate_host(bucket)?
                } else {
                    aws_host(&self.region, self.dual_stack, self.fips)
                };
                let base = BaseUrl {
                    https: true,
                    host,
                    port: None,
                    path: String::new(),
                };
                (base, AddressingStyle::VirtualHosted)
            }
        };
        if (express || self.accelerate) && self.style == Some(AddressingStyle::Path) {
            return Err(Error::invalid_config(
                "virtual_hosted_style_request",
                "false",
                if express {
                    "S3 Express directory buckets need virtual-hosted-style requests"
                } else {
                    "Transfer Acceleration needs virtual-hosted-style requests"
                },
            ));
        }
        if !base.https && !self.allow_http {
            return Err(Error::invalid_config(
                "endpoint",
                self.url.as_deref().unwrap_or_default(),
                "http:// endpoints need allow_http = true",
            ));
        }
        let dns_safe = is_dns_safe(bucket);
        let style = match self.style {
            Some(AddressingStyle::VirtualHosted) if !dns_safe => {
                return Err(Error::invalid_config(
                    "bucket",
                    bucket,
                    "is not a DNS-compatible name, so it cannot be used with virtual-hosted-style requests",
                ));
            }
            Some(style) => style,
            // Dotted names break TLS wildcard certificates on virtual hosts.
            None if default_style == AddressingStyle::VirtualHosted
                && !express
                && !self.accelerate
                && (!dns_safe || (base.https && bucket.contains('.'))) =>
            {
                AddressingStyle::Path
            }
            None => default_style,
        };
        let authority = base.authority();
        let (host, path_prefix) = match style {
            AddressingStyle::Path => (authority, format!("{}/{}", base.path, bucket)),
            AddressingStyle::VirtualHosted => (format!("{bucket}.{authority}"), base.path.clone()),
        };
        Ok(BucketEndpoint {
            scheme: if base.https { "https" } else { "http" },
            host,
            path_prefix,
            style,
            express,
        })
    }

    /// `s3express-<az>.<region>.amazonaws.com` (or `s3express-fips-<az>`).
    fn express_host(&self, zone: &str) -> Result<String> {
        if self.dual_stack {
            return Err(Error::invalid_config(
                "use_dualstack_endpoint",
                "true",
                "S3 Express zonal endpoints have no dual-stack form",
            ));
        }
        if self.accelerate {
            return Err(Error::invalid_config(
                "use_accelerate_endpoint",
                "true",
                "S3 Express directory buckets do not support Transfer Acceleration",
            ));
        }
        let fips = if self.fips { "-fips" } else { "" };
        Ok(format!(
            "s3express{fips}-{zone}.{}.{}",
            self.region,
            aws_suffix(&self.region)
        ))
    }

    /// `s3-accelerate[.dualstack].amazonaws.com`, for DNS-safe names without dots.
    fn accelerate_host(&self, bucket: &str) -> Result<String> {
        if self.fips {
            return Err(Error::invalid_config(
                "use_fips_endpoint",
                "true",
                "Transfer Acceleration has no FIPS endpoint",
            ));
        }
        if !is_dns_safe(bucket) || bucket.contains('.') {
            return Err(Error::invalid_config(
                "bucket",
                bucket,
                "Transfer Acceleration needs a DNS-compatible bucket name without dots",
            ));
        }
        let dual = if self.dual_stack { ".dualstack" } else { "" };
        Ok(format!("s3-accelerate{dual}.{}", aws_suffix(&self.region)))
    }
}

/// The availability-zone id of an S3 Express directory bucket name
/// (`name--usw2-az1--x-s3` -> `usw2-az1`).
pub fn express_zone(bucket: &str) -> Option<&str> {
    let stem = bucket.strip_suffix("--x-s3")?;
    let (name, zone) = stem.rsplit_once("--")?;
    let ok = !name.is_empty()
        && !zone.is_empty()
        && zone
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    ok.then_some(zone)
}

/// The region a wrong-region answer names, as a hint for the error message:
/// `Some("the bucket is in region eu-west-1; set region = eu-west-1")`.
///
/// S3 answers a request sent to the wrong region with 301
/// `PermanentRedirect` (or 307) or 400 `AuthorizationHeaderMalformed` /
/// `IllegalLocationConstraintException`, and names the bucket's region in
/// the `x-amz-bucket-region` header or the `<Region>` element. `None` for
/// every other answer, or when no region is named.
///
/// ```
/// use s3lite::endpoint::wrong_region_hint;
/// let mut headers = http::HeaderMap::new();
/// headers.insert("x-amz-bucket-region", "eu-west-1".parse().unwrap());
/// let hint = wrong_region_hint(http::StatusCode::MOVED_PERMANENTLY, &headers, None);
/// assert_eq!(hint.as_deref(), Some("the bucket is in region eu-west-1; set region = eu-west-1"));
/// ```
pub fn wrong_region_hint(
    status: http::StatusCode,
    headers: &http::HeaderMap,
    error: Option<&crate::xml::S3ErrorBody>,
) -> Option<String> {
    let code = error.and_then(|e| e.code.as_deref());
    let wrong_region = matches!(status.as_u16(), 301 | 307)
        || matches!(
            code,
            Some(
                "PermanentRedirect"
                    | "TemporaryRedirect"
                    | "AuthorizationHeaderMalformed"
                    | "IllegalLocationConstraintException"
            )
        );
    if !wrong_region {
        return None;
    }
    let region = headers
        .get("x-amz-bucket-region")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .or_else(|| error.and_then(|e| e.region.as_deref()))?;
    if validate_region(region).is_err() {
        return None;
    }
    Some(format!(
        "the bucket is in region {region}; set region = {region}"
    ))
}

/// Where requests for one bucket go; built by [`Endpoint::resolve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketEndpoint {
    scheme: &'static str,
    host: String,
    /// Wire path before the key, without trailing slash: `""`, `/bucket`, `/base/bucket`.
    path_prefix: String,
    style: AddressingStyle,
    express: bool,
}

impl BucketEndpoint {
    /// The `Host` header value: host, plus `:port` when it is not the default.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &str {
        self.scheme
    }

    /// The addressing style in effect.
    pub fn style(&self) -> AddressingStyle {
        self.style
    }

    /// Whether requests go to an S3 Express One Zone zonal endpoint.
    pub fn is_express(&self) -> bool {
        self.express
    }

    /// The wire path (percent-encoded once, as signed in S3 mode) of `key`;
    /// an empty key gives the bucket's own path.
    pub fn path(&self, key: &str) -> String {
        let encoded = encode_key_path(key);
        let mut path = String::with_capacity(self.path_prefix.len() + 1 + encoded.len());
        path.push_str(&self.path_prefix);
        path.push('/');
        path.push_str(&encoded);
        path
    }

    /// The wire path of bucket-level calls (list, create, delete bucket):
    /// `/bucket` in path style, `/` on a virtual host.
    pub fn bucket_path(&self) -> String {
        if self.path_prefix.is_empty() {
            "/".to_string()
        } else {
            self.path_prefix.clone()
        }
    }

    /// The absolute URL of `key` with an already encoded `query` (may be empty).
    pub fn url(&self, key: &str, query: &str) -> String {
        self.url_for_path(&self.path(key), query)
    }

    /// The absolute URL of an already encoded wire `path` and `query`.
    pub fn url_for_path(&self, path: &str, query: &str) -> String {
        let mut url = String::with_capacity(
            self.scheme.len() + 3 + self.host.len() + path.len() + query.len() + 1,
        );
        url.push_str(self.scheme);
        url.push_str("://");
        url.push_str(&self.host);
        url.push_str(path);
        if !query.is_empty() {
            url.push('?');
            url.push_str(query);
        }
        url
    }
}

/// A parsed endpoint URL.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BaseUrl {
    https: bool,
    host: String,
    port: Option<u16>,
    /// Path without trailing slash (`""` or `/base`).
    path: String,
}

impl BaseUrl {
    fn parse(url: &str) -> Result<Self> {
        let bad = |why: &str| Error::invalid_config("endpoint", url, why);
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
        if authority.contains('@') {
            return Err(bad("must not contain user information"));
        }
        let (host, port) = split_host_port(authority).ok_or_else(|| bad("has an invalid port"))?;
        if host.is_empty() {
            return Err(bad("has no host"));
        }
        let host_ok = if host.starts_with('[') {
            host.ends_with(']')
                && host[1..host.len() - 1]
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
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

    fn authority(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.clone(),
        }
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Splits `host[:port]`, handling `[v6]:port`. `None` for a bad port.
pub(crate) fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let colon = if authority.starts_with('[') {
        match authority.find(']') {
            Some(end) if authority[end + 1..].starts_with(':') => Some(end + 1),
            Some(end) if end + 1 == authority.len() => None,
            _ => return None,
        }
    } else {
        authority.rfind(':')
    };
    match colon {
        Some(i) => {
            let port: u16 = authority[i + 1..].parse().ok()?;
            Some((&authority[..i], Some(port)))
        }
        None => Some((authority, None)),
    }
}

/// The AWS S3 host of a region: `s3[-fips][.dualstack].<region>.amazonaws.com[.cn]`.
fn aws_host(region: &str, dual_stack: bool, fips: bool) -> String {
    let fips = if fips { "-fips" } else { "" };
    let dual = if dual_stack { ".dualstack" } else { "" };
    format!("s3{fips}{dual}.{region}.{}", aws_suffix(region))
}

/// `amazonaws.com`, or `amazonaws.com.cn` for China regions.
fn aws_suffix(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

fn validate_region(region: &str) -> Result<()> {
    let ok = !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_config(
            "region",
            region,
            "must be lower-case letters, digits and '-', such as us-east-1",
        ))
    }
}

/// Rejects names no S3 implementation accepts (empty, `/`, control characters,
/// over 255 bytes). Stricter AWS naming rules are left to the server, since
/// legacy buckets and other servers allow more.
fn validate_bucket_name(bucket: &str) -> Result<()> {
    let why = if bucket.is_empty() {
        "must not be empty"
    } else if bucket.len() > 255 {
        "is longer than 255 bytes"
    } else if bucket.contains('/') {
        "must not contain '/'"
    } else if bucket.chars().any(|c| c.is_control() || c.is_whitespace()) {
        "must not contain whitespace or control characters"
    } else {
        return Ok(());
    };
    Err(Error::invalid_config("bucket", bucket, why))
}

/// Whether `bucket` can be a DNS label sequence: 3-63 characters of
/// lower-case letters, digits, `-` and `.`, starting and ending with a letter
/// or digit, no `..`, and not shaped like an IPv4 address.
pub fn is_dns_safe(bucket: &str) -> bool {
    let bytes = bucket.as_bytes();
    let edge_ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-' || *b == b'.')
        && edge_ok(bytes[0])
        && edge_ok(bytes[bytes.len() - 1])
        && !bucket.contains("..")
        && !bucket.contains(".-")
        && !bucket.contains("-.")
        && bucket.parse::<std::net::Ipv4Addr>().is_err()
}

#[cfg(test)]
mod tests;
