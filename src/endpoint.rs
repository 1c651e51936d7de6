//! Where requests for a bucket go: scheme, host, path prefix, and the name
//! and region they are signed for.
//!
//! Pure code: no I/O. [`Endpoint::resolve`] turns a configured endpoint (or
//! AWS's default for a region) and a bucket name into a [`BucketEndpoint`],
//! which builds the URL, the `Host` header value and the wire path of every
//! object request, and says how to sign them
//! ([`signing_name`](BucketEndpoint::signing_name),
//! [`signing_region`](BucketEndpoint::signing_region)).
//!
//! Resolution follows AWS's S3 endpoint rule set (the
//! `smithy.rules#endpointRuleSet` of the S3 model) for plain bucket names,
//! S3 Express directory buckets (`--x-s3`) and their access points
//! (`--xa-s3`), and S3 access point ARNs, with AWS's error messages;
//! `tests/aws_endpoint_rules.rs` runs AWS's published cases. Partitions
//! (DNS suffixes per region) are data: [`PARTITIONS`]. Multi-Region Access
//! Points (SigV4a), S3 on Outposts (ARNs and `--op-s3` aliases) and Object
//! Lambda get AWS's checks, then
//! [`ErrorKind::NotImplemented`](crate::ErrorKind::NotImplemented) naming
//! the feature, never a host.
//!
//! Addressing: against AWS, virtual-hosted style
//! (`https://bucket.s3.region.amazonaws.com/key`) when the name can be a
//! host label (3-63 lower-case letters, digits and `-`), else path style;
//! so a dotted name gets path style over TLS, because `a.b.s3.amazonaws.com`
//! does not match AWS's wildcard certificate. Path-style bucket names are
//! percent-encoded (everything but `A-Z a-z 0-9 - . _ ~`, `/` included), so
//! no name can change the URL's path, query, fragment or authority, and the
//! path signed is the path sent.
//!
//! Two deliberate differences from the AWS SDKs:
//! - with a custom endpoint the default is path style
//!   (`http://host:port/bucket/key`), as in object_store, because most
//!   self-hosted servers (MinIO, Ceph, LocalStack, s3s) expect it; AWS's
//!   SDKs default to virtual-hosted style there. Set
//!   [`style`](Endpoint::style) to
//!   [`VirtualHosted`](AddressingStyle::VirtualHosted) for AWS's rule. S3
//!   Express names and ARNs, which have no path form, follow AWS anyway.
//! - the store builder defaults the region to `us-east-1`, where the SDKs
//!   refuse to work without one.

mod arn;
mod base_url;
mod partitions;
mod rules;
mod url;

pub use partitions::{PARTITIONS, Partition, partition_of};
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
    /// `aws-global` means the global endpoint (`s3.amazonaws.com`), signed
    /// for `us-east-1`.
    pub region: String,
    /// The addressing style. `Some(Path)` forces path style (AWS's
    /// `ForcePathStyle`). `Some(VirtualHosted)` is AWS's rule:
    /// virtual-hosted for names that can be a host label, path style for
    /// the rest and on IP endpoints, dotted names virtual-hosted on plain
    /// `http://` endpoints. `None` is AWS's rule on AWS and path style on
    /// custom endpoints (see the module docs).
    pub style: Option<AddressingStyle>,
    /// Whether `http://` endpoints are allowed.
    pub allow_http: bool,
    /// AWS dual-stack (IPv4 and IPv6) hosts: `s3.dualstack.<region>.amazonaws.com`.
    pub dual_stack: bool,
    /// AWS FIPS 140 hosts: `s3-fips.<region>.amazonaws.com` (not in `aws-cn`).
    pub fips: bool,
    /// S3 Transfer Acceleration: `<bucket>.s3-accelerate.amazonaws.com`
    /// (not in `aws-cn`).
    pub accelerate: bool,
    /// The legacy global endpoint for `us-east-1`: `s3.amazonaws.com`
    /// instead of `s3.us-east-1.amazonaws.com`
    /// (`s3_us_east_1_regional_endpoint = legacy`). No effect elsewhere.
    pub use_global_endpoint: bool,
    /// Whether an access point ARN in another region than
    /// [`region`](Self::region) is used in its own region (`true`, the
    /// default, as AWS's rules do when the setting is unset) or refused.
    pub use_arn_region: bool,
    /// Refuses Multi-Region Access Point ARNs with AWS's error (they are
    /// refused as not implemented either way).
    pub disable_multi_region_access_points: bool,
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
            use_global_endpoint: false,
            use_arn_region: true,
            disable_multi_region_access_points: false,
        }
    }

    /// A custom endpoint URL (scheme, host, optional port and path).
    pub fn custom(url: impl Into<String>, region: impl Into<String>) -> Self {
        let mut e = Endpoint::aws(region);
        e.url = Some(url.into());
        e
    }

    /// Resolves where requests for `bucket` go and how they are signed.
    ///
    /// `bucket` is a bucket name, an S3 Express directory bucket or access
    /// point name, or an S3 access point ARN
    /// (`arn:aws:s3:<region>:<account>:accesspoint/<name>`).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig) naming
    /// the key and value, with AWS's message where AWS's rules refuse: a
    /// malformed endpoint URL, `http://` without `allow_http`, switches that
    /// do not combine (FIPS with acceleration or a custom endpoint, FIPS or
    /// acceleration in `aws-cn`, dual-stack with a custom endpoint, path
    /// style with acceleration or ARNs), a region that is not a valid DNS
    /// name where it goes into a host, a malformed S3 Express name or ARN,
    /// an ARN of another partition or (with `use_arn_region = false`)
    /// region; names that cannot be one path segment (empty, `/`, control
    /// characters, `.`, `..`).
    /// [`ErrorKind::NotImplemented`](crate::ErrorKind::NotImplemented)
    /// naming the feature for Multi-Region Access Points, S3 on Outposts and
    /// Object Lambda.
    ///
    /// ```
    /// use s3lite::endpoint::{AddressingStyle, Endpoint};
    /// let mut e = Endpoint::custom("http://127.0.0.1:4566", "us-east-1");
    /// e.allow_http = true;
    /// let b = e.resolve("photos")?;
    /// assert_eq!(b.url("cat 1.jpg", ""), "http://127.0.0.1:4566/photos/cat%201.jpg");
    /// assert_eq!(b.host(), "127.0.0.1:4566");
    ///
    /// let ap = Endpoint::aws("us-east-1")
    ///     .resolve("arn:aws:s3:eu-west-1:123456789012:accesspoint/logs")?;
    /// assert_eq!(ap.host(), "logs-123456789012.s3-accesspoint.eu-west-1.amazonaws.com");
    /// assert_eq!(ap.signing_region(), "eu-west-1");
    /// # Ok::<(), s3lite::Error>(())
    /// ```
    pub fn resolve(&self, bucket: &str) -> Result<BucketEndpoint> {
        let b = rules::resolve(self, bucket)?;
        let region = &b.signing_region;
        if region
            .chars()
            .any(|c| !c.is_ascii_graphic() || c == '/' || c == ',')
        {
            return Err(Error::invalid_config(
                "region",
                region,
                "cannot be used in a SigV4 credential scope",
            ));
        }
        Ok(b)
    }
}

/// The availability-zone id of an S3 Express directory bucket
/// (`name--usw2-az1--x-s3` -> `usw2-az1`) or access point
/// (`name--usw2-az1--xa-s3`) name, found as AWS's rules find it: a zone id
/// of 8, 9, 13, 14 or 20 characters between `--` and the suffix.
///
/// ```
/// assert_eq!(s3lite::endpoint::express_zone("logs--use1-az4--x-s3"), Some("use1-az4"));
/// assert_eq!(s3lite::endpoint::express_zone("logs--usaz1--x-s3"), None);
/// ```
pub fn express_zone(bucket: &str) -> Option<&str> {
    rules::express_zone_of(bucket, rules::express_suffix_len(bucket)?)
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
    signing_name: &'static str,
    signing_region: String,
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

    /// Whether the bucket is an S3 Express One Zone directory bucket or
    /// access point: requests are then signed with session credentials
    /// from CreateSession (AWS's `sigv4-s3express`).
    pub fn is_express(&self) -> bool {
        self.express
    }

    /// The SigV4 service name requests are signed for: `s3`, or
    /// `s3express` for S3 Express One Zone.
    pub fn signing_name(&self) -> &str {
        self.signing_name
    }

    /// The region requests are signed for: the configured region,
    /// `us-east-1` for `aws-global`, the ARN's region for access points.
    pub fn signing_region(&self) -> &str {
        &self.signing_region
    }

    /// The URL of the bucket itself, as AWS's endpoint rules write it:
    /// `https://bucket.s3.us-west-2.amazonaws.com`,
    /// `https://s3.us-west-2.amazonaws.com/bucket%21`.
    pub fn endpoint_url(&self) -> String {
        self.url_for_path(&self.path_prefix, "")
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

    /// Where service-level calls (ListBuckets) go: this endpoint without
    /// `bucket` (the name this endpoint was resolved for), path `/`.
    /// `None` where no such endpoint exists: S3 Express zonal hosts, access
    /// points, and hosts that do not carry the bucket as resolved.
    pub fn service_endpoint(&self, bucket: &str) -> Option<BucketEndpoint> {
        if self.express {
            return None;
        }
        let (host, path_prefix) = match self.style {
            AddressingStyle::Path => {
                let suffix = format!("/{}", crate::sign::uri_encode(bucket, true));
                (
                    self.host.clone(),
                    self.path_prefix.strip_suffix(&suffix)?.to_string(),
                )
            }
            AddressingStyle::VirtualHosted => (
                self.host.strip_prefix(&format!("{bucket}."))?.to_string(),
                self.path_prefix.clone(),
            ),
        };
        Some(BucketEndpoint {
            scheme: self.scheme,
            host,
            path_prefix,
            style: AddressingStyle::Path,
            express: false,
            signing_name: self.signing_name,
            signing_region: self.signing_region.clone(),
        })
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
