//! [`parse_url`]: bucket, region, endpoint and prefix from a storage URL.

use super::{split_host_port, validate_region};
use crate::config::percent_decode;
use crate::error::{Error, Result};

/// What a storage URL says; see [`parse_url`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ParsedUrl {
    /// The bucket, when the URL names one.
    pub bucket: Option<String>,
    /// The region, when the URL names one (`auto` for R2).
    pub region: Option<String>,
    /// A custom endpoint (`https://<account>.r2.cloudflarestorage.com`);
    /// `None` for AWS, whose endpoint follows from the region.
    pub endpoint: Option<String>,
    /// The path inside the bucket, without leading or trailing `/`.
    pub prefix: Option<String>,
    /// The URL names a dual-stack AWS host.
    pub dual_stack: bool,
    /// The URL names a FIPS AWS host.
    pub fips: bool,
    /// The URL names a Transfer Acceleration host.
    pub accelerate: bool,
}

/// Parses a storage URL (obstore's `from_url` forms, plus any plain
/// endpoint):
///
/// | URL | bucket | region | endpoint | prefix |
/// |---|---|---|---|---|
/// | `s3://b/p/q`, `s3a://b/p/q` | `b` | - | - | `p/q` |
/// | `https://s3.<r>.amazonaws.com/b/p` | `b` | `<r>` | - | `p` |
/// | `https://b.s3.<r>.amazonaws.com/p` | `b` | `<r>` | - | `p` |
/// | `https://b.s3.amazonaws.com/p` | `b` | - | - | `p` |
/// | `https://[b.]s3.dualstack.<r>.amazonaws.com[/b]/p` | `b` | `<r>` (dual-stack) | - | `p` |
/// | `https://[b.]s3-fips[.dualstack].<r>.amazonaws.com[/b]/p` | `b` | `<r>` (FIPS) | - | `p` |
/// | `https://b.s3-accelerate[.dualstack].amazonaws.com/p` | `b` | - (accelerate) | - | `p` |
/// | `https://b--az--x-s3.s3express-az.<r>.amazonaws.com/p` | `b--az--x-s3` | `<r>` | - | `p` |
/// | `https://<acct>[.<jurisdiction>].r2.cloudflarestorage.com/b/p` | `b` | `auto` | `https://<acct>[.<jurisdiction>].r2.cloudflarestorage.com` | `p` |
/// | `http[s]://host[:port]/b/p` (any other host) | `b` | - | `http[s]://host[:port]` | `p` |
///
/// Path segments are percent-decoded. The addressing style is not fixed by
/// the URL: the usual defaults apply (virtual-hosted on AWS, path style on
/// custom endpoints).
///
/// # Errors
/// [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig) naming `url`:
/// an unknown scheme, no bucket where one is required, user information,
/// a query or fragment, bad percent-encoding, a bad port.
///
/// ```
/// let p = s3lite::endpoint::parse_url("https://photos.s3.eu-west-1.amazonaws.com/2026/")?;
/// assert_eq!(p.bucket.as_deref(), Some("photos"));
/// assert_eq!(p.region.as_deref(), Some("eu-west-1"));
/// assert_eq!(p.prefix.as_deref(), Some("2026"));
/// # Ok::<(), s3lite::Error>(())
/// ```
pub fn parse_url(url: &str) -> Result<ParsedUrl> {
    let bad = |why: &str| Error::invalid_config("url", &crate::redact::without_userinfo(url), why);
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad("must look like s3://bucket/path or https://host/bucket/path"))?;
    if rest.contains(['?', '#']) {
        return Err(bad("must not have a query or fragment"));
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err(bad("must not contain user information"));
    }
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode(s).ok_or_else(|| bad("has invalid percent-encoding")))
        .collect::<Result<_>>()?;
    let scheme = scheme.to_ascii_lowercase();
    let mut parsed = ParsedUrl::default();
    match scheme.as_str() {
        "s3" | "s3a" => {
            let bucket = percent_decode(authority)
                .filter(|b| !b.is_empty())
                .ok_or_else(|| bad("has no bucket"))?;
            parsed.bucket = Some(bucket);
            parsed.prefix = join(&segments);
        }
        "http" | "https" => {
            let (host, _port) =
                split_host_port(authority).ok_or_else(|| bad("has an invalid port"))?;
            let host = host.to_ascii_lowercase();
            if host.is_empty() {
                return Err(bad("has no host"));
            }
            let https = scheme == "https";
            if let Some(labels) = host.strip_suffix(".r2.cloudflarestorage.com") {
                let parts: Vec<&str> = labels.split('.').collect();
                if parts.is_empty() || parts.len() > 2 || parts.iter().any(|p| p.is_empty()) {
                    return Err(bad(
                        "R2 URLs look like https://<account>[.<jurisdiction>].r2.cloudflarestorage.com/<bucket>",
                    ));
                }
                parsed.region = Some("auto".to_string());
                parsed.endpoint = Some(origin(&scheme, authority));
                path_style(&mut parsed, &segments);
            } else if let Some(labels) = aws_labels(&host) {
                if !https {
                    return Err(bad("AWS URLs must use https://"));
                }
                aws(&mut parsed, &labels, &segments).map_err(bad)?;
            } else {
                parsed.endpoint = Some(origin(&scheme, authority));
                path_style(&mut parsed, &segments);
            }
            if parsed.bucket.is_none() {
                return Err(bad("has no bucket"));
            }
        }
        _ => return Err(bad("unknown scheme; expected s3, s3a, http or https")),
    }
    Ok(parsed)
}

/// The labels before `.amazonaws.com[.cn]`, if the host is AWS.
fn aws_labels(host: &str) -> Option<Vec<&str>> {
    let stem = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))?;
    Some(stem.split('.').collect())
}

/// Fills `parsed` from the labels of an AWS S3 host.
fn aws(parsed: &mut ParsedUrl, labels: &[&str], segments: &[String]) -> Result<(), &'static str> {
    // The service label is the right-most `s3*` label followed only by
    // `dualstack` and a region: bucket names may hold `s3` labels too.
    let is_region = |l: &str| l.contains('-') && validate_region(l).is_ok();
    let found = (0..labels.len()).rev().find_map(|i| {
        let service = labels[i];
        let tail = &labels[i + 1..];
        let (dual, region) = match tail {
            [] => (false, None),
            ["dualstack"] => (true, None),
            [r] if is_region(r) => (false, Some(*r)),
            ["dualstack", r] if is_region(r) => (true, Some(*r)),
            _ => return None,
        };
        let kind = match service {
            "s3" => Service::Standard,
            "s3-fips" => Service::Fips,
            "s3-accelerate" if region.is_none() => Service::Accelerate,
            s if s.starts_with("s3express-") && region.is_some() && !dual => Service::Express,
            _ => return None,
        };
        Some((i, kind, dual, region))
    });
    let Some((i, kind, dual, region)) = found else {
        return Err("is not an S3 host of amazonaws.com");
    };
    parsed.region = region.map(str::to_string);
    parsed.dual_stack = dual;
    parsed.fips = kind == Service::Fips;
    parsed.accelerate = kind == Service::Accelerate;
    if i == 0 {
        if matches!(kind, Service::Accelerate | Service::Express) {
            return Err("names no bucket in the host");
        }
        path_style(parsed, segments);
    } else {
        parsed.bucket = Some(labels[..i].join("."));
        parsed.prefix = join(segments);
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    Standard,
    Fips,
    Accelerate,
    Express,
}

/// Bucket from the first path segment, prefix from the rest.
fn path_style(parsed: &mut ParsedUrl, segments: &[String]) {
    if let Some((bucket, rest)) = segments.split_first() {
        parsed.bucket = Some(bucket.clone());
        parsed.prefix = join(rest);
    }
}

fn join(segments: &[String]) -> Option<String> {
    (!segments.is_empty()).then(|| segments.join("/"))
}

fn origin(scheme: &str, authority: &str) -> String {
    format!("{scheme}://{}", authority.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_information_is_not_shown() {
        let e = parse_url("https://AKID:SECRET@host/b").expect_err("userinfo");
        assert!(!e.to_string().contains("SECRET"), "{e}");
    }

    #[test]
    fn prefix_ignores_empty_segments() {
        let p = parse_url("s3://b//x///y/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.prefix.as_deref(), Some("x/y"));
    }
}
