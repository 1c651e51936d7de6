//! [`Endpoint::resolve`], following AWS's S3 endpoint rule set
//! (`smithy.rules#endpointRuleSet` of the S3 model, rule set 1.0) in its
//! order: the global checks, S3 Express names, Outposts aliases, then
//! virtual-hosted names, dotted names on plain-http endpoints, ARNs and
//! path style. Error messages carry AWS's text.
//!
//! Where s3lite differs on purpose (documented on [`Endpoint`]): a custom
//! endpoint defaults to path style for plain bucket names; `region` always
//! has a value (the builder defaults it to `us-east-1`); a region that would
//! go into an AWS host name must be a valid host label; an explicit path
//! style on a custom endpoint is honoured for S3 Express names too; a dotted
//! name on a plain-http IP endpoint is addressed path style.

use super::base_url::BaseUrl;
use super::partitions::{Partition, partition_of};
use super::{AddressingStyle, BucketEndpoint, Endpoint, arn};
use crate::error::{Error, ErrorKind, Result};
use crate::sign::uri_encode;

/// The signing name of S3 requests.
pub(super) const S3: &str = "s3";
/// The signing name of S3 Express One Zone requests.
pub(super) const S3_EXPRESS: &str = "s3express";

/// Resolves `bucket` for `e`.
pub(super) fn resolve(e: &Endpoint, bucket: &str) -> Result<BucketEndpoint> {
    validate_bucket_name(bucket)?;
    if e.region.is_empty() {
        return Err(Error::invalid_config(
            "region",
            "",
            "A region must be set when sending requests to S3.",
        ));
    }
    let custom = e.url.is_some();
    if e.accelerate && e.fips {
        return Err(flag(
            "use_fips_endpoint",
            "Accelerate cannot be used with FIPS",
        ));
    }
    if custom && e.dual_stack {
        return Err(flag(
            "use_dualstack_endpoint",
            "Cannot set dual-stack in combination with a custom endpoint.",
        ));
    }
    if custom && e.fips {
        return Err(flag(
            "use_fips_endpoint",
            "A custom endpoint cannot be combined with FIPS",
        ));
    }
    if custom && e.accelerate {
        return Err(flag(
            "use_accelerate_endpoint",
            "A custom endpoint cannot be combined with S3 Accelerate",
        ));
    }
    let part = partition_of(&e.region);
    if e.fips && part.id == "aws-cn" {
        return Err(flag(
            "use_fips_endpoint",
            format!(
                "Partition does not support FIPS (region {} is in partition {})",
                e.region, part.id
            ),
        ));
    }
    let base = e.url.as_deref().map(BaseUrl::parse).transpose()?;
    if let Some(b) = &base
        && !b.https
        && !e.allow_http
    {
        return Err(Error::invalid_config(
            "endpoint",
            e.url.as_deref().unwrap_or_default(),
            "http:// endpoints need allow_http = true",
        ));
    }
    let ctx = Ctx {
        e,
        bucket,
        part,
        base,
    };
    if let Some(suffix_len) = express_suffix_len(bucket) {
        return ctx.express(suffix_len);
    }
    if bucket.len() >= 50
        && bucket.ends_with("--op-s3")
        && let Some(result) = ctx.outposts_alias()
    {
        return result;
    }
    ctx.bucket()
}

/// What every rule needs: the configuration, the bucket, the client
/// region's partition and the parsed custom endpoint.
pub(super) struct Ctx<'a> {
    pub(super) e: &'a Endpoint,
    pub(super) bucket: &'a str,
    pub(super) part: &'static Partition,
    pub(super) base: Option<BaseUrl>,
}

impl Ctx<'_> {
    /// An `InvalidConfig` error naming the bucket.
    pub(super) fn bad_bucket(&self, why: impl std::fmt::Display) -> Error {
        Error::invalid_config("bucket", self.bucket, why)
    }

    /// A `NotImplemented` error naming the bucket and the feature.
    pub(super) fn refuse(&self, feature: &str, why: &str) -> Error {
        Error::new(
            ErrorKind::NotImplemented,
            format!(
                "bucket = {:?}: {feature} are not supported: {why}",
                self.bucket
            ),
        )
    }

    /// AWS's check of a region that goes into a host name (or, on custom
    /// endpoints, of virtual-hosted requests).
    fn check_region_label(&self) -> Result<()> {
        if is_host_label(&self.e.region, false) {
            Ok(())
        } else {
            Err(Error::invalid_config(
                "region",
                &self.e.region,
                "Invalid region: region was not a valid DNS name.",
            ))
        }
    }

    /// `-fips` when FIPS hosts are asked for.
    fn fips(&self) -> &'static str {
        if self.e.fips { "-fips" } else { "" }
    }

    /// `.dualstack` when dual-stack hosts are asked for.
    fn ds(&self) -> &'static str {
        if self.e.dual_stack { ".dualstack" } else { "" }
    }

    /// S3 Express directory buckets (`--x-s3`) and access points (`--xa-s3`).
    fn express(&self, suffix_len: usize) -> Result<BucketEndpoint> {
        let (e, bucket) = (self.e, self.bucket);
        if e.accelerate {
            return Err(flag(
                "use_accelerate_endpoint",
                "S3Express does not support S3 Accelerate.",
            ));
        }
        let not_hostable =
            || self.bad_bucket("S3Express bucket name is not a valid virtual hostable name.");
        if let Some(base) = &self.base {
            // AWS keeps virtual-hosted addressing and session auth on a
            // custom endpoint; IP endpoints (and, in s3lite, an explicit
            // path style) get the path form. AWS's rule puts the endpoint's
            // path after the bucket on IP endpoints; s3lite keeps it before,
            // as for every other path-style URL (no AWS case has a path).
            return if base.is_ip() || e.style == Some(AddressingStyle::Path) {
                Ok(path_style(base, bucket, S3_EXPRESS, &e.region, true))
            } else if is_virtual_hostable(bucket, false) {
                Ok(virtual_host(base, bucket, S3_EXPRESS, &e.region, true))
            } else {
                Err(not_hostable())
            };
        }
        if e.style == Some(AddressingStyle::Path) {
            return Err(Error::invalid_config(
                "virtual_hosted_style_request",
                "false",
                "S3 Express directory buckets need virtual-hosted-style requests",
            ));
        }
        if !is_virtual_hostable(bucket, false) {
            return Err(not_hostable());
        }
        let zone = express_zone_of(bucket, suffix_len)
            .ok_or_else(|| self.bad_bucket("Unrecognized S3Express bucket name format."))?;
        self.check_region_label()?;
        let host = format!(
            "{bucket}.s3express{}-{zone}{}.{}.{}",
            self.fips(),
            self.ds(),
            e.region,
            self.part.dns_suffix
        );
        Ok(aws_host(host, String::new(), S3_EXPRESS, &e.region, true))
    }

    /// S3 on Outposts bucket aliases (`...--op-s3`): AWS's checks, then a
    /// refusal (they are signed with SigV4a as `s3-outposts`). `None` when
    /// the name is not shaped like an alias (AWS then reads it as a bucket).
    fn outposts_alias(&self) -> Option<Result<BucketEndpoint>> {
        let b = self.bucket;
        let hardware = substring_rev(b, 49, 50)?;
        let region_prefix = substring_rev(b, 8, 12)?;
        let outpost_id = substring_rev(b, 32, 49)?;
        Some(if !is_host_label(outpost_id, false) {
            Err(self
                .bad_bucket("Invalid ARN: The outpost Id must only contain a-z, A-Z, 0-9 and `-`."))
        } else if !is_virtual_hostable(b, false) {
            Err(self.bad_bucket("Invalid Outposts Bucket alias - it must be a valid bucket name."))
        } else if hardware != "e" && hardware != "o" {
            Err(self.bad_bucket(format!(
                "Unrecognized hardware type: \"Expected hardware type o or e but got {hardware}\""
            )))
        } else if region_prefix == "beta" && self.base.is_none() {
            Err(self.bad_bucket("Expected a endpoint to be specified but no endpoint was found"))
        } else {
            Err(self.refuse(
                "S3 on Outposts bucket aliases (--op-s3)",
                "they are signed with SigV4a for s3-outposts, which s3lite does not implement",
            ))
        })
    }

    /// Plain bucket names and ARNs.
    fn bucket(&self) -> Result<BucketEndpoint> {
        let (e, b) = (self.e, self.bucket);
        let global = e.region == "aws-global";
        let region = if global {
            "us-east-1"
        } else {
            e.region.as_str()
        };
        let legacy = global || (e.use_global_endpoint && e.region == "us-east-1");
        let dns = self.part.dns_suffix;
        let ds = self.ds();
        // s3lite's deliberate default: path style on custom endpoints.
        let force_path = match e.style {
            Some(AddressingStyle::Path) => true,
            Some(AddressingStyle::VirtualHosted) => false,
            None => self.base.is_some(),
        };
        if !force_path && is_virtual_hostable(b, false) {
            self.check_region_label()?;
            if e.accelerate && self.part.id == "aws-cn" {
                return Err(flag(
                    "use_accelerate_endpoint",
                    format!("S3 Accelerate cannot be used in this region ({})", e.region),
                ));
            }
            if let Some(base) = &self.base {
                return Ok(if base.is_ip() {
                    path_style(base, b, S3, region, false)
                } else {
                    bucket_host(base, b, region)
                });
            }
            let host = if e.fips {
                format!("{b}.s3-fips{ds}.{region}.{dns}")
            } else if e.accelerate && e.dual_stack && global {
                format!("{b}.s3-accelerate.dualstack.us-east-1.{dns}")
            } else if e.accelerate {
                format!("{b}.s3-accelerate{ds}.{dns}")
            } else if e.dual_stack {
                format!("{b}.s3.dualstack.{region}.{dns}")
            } else if legacy {
                format!("{b}.s3.{dns}")
            } else {
                format!("{b}.s3.{}.{dns}", e.region)
            };
            return Ok(aws_host(host, String::new(), S3, region, false));
        }
        // Dotted names on plain-http endpoints: no TLS certificate to break.
        if let Some(base) = &self.base
            && !base.https
            && !base.is_ip()
            && !force_path
            && is_virtual_hostable(b, true)
        {
            self.check_region_label()?;
            return Ok(bucket_host(base, b, &e.region));
        }
        if b.starts_with("arn:") {
            return match arn::parse(b) {
                Some(parsed) if e.style != Some(AddressingStyle::Path) => {
                    arn::resolve(self, &parsed)
                }
                Some(_) => Err(Error::invalid_config(
                    "virtual_hosted_style_request",
                    "false",
                    "Path-style addressing cannot be used with ARN buckets",
                )),
                None => Err(self.bad_bucket(format!("Invalid ARN: `{b}` was not a valid ARN"))),
            };
        }
        if e.accelerate {
            return Err(if e.style == Some(AddressingStyle::Path) {
                Error::invalid_config(
                    "virtual_hosted_style_request",
                    "false",
                    "Path-style addressing cannot be used with S3 Accelerate",
                )
            } else {
                self.bad_bucket(
                    "Path-style addressing cannot be used with S3 Accelerate (the name cannot be a host label)",
                )
            });
        }
        if let Some(base) = &self.base {
            return Ok(path_style(base, b, S3, region, false));
        }
        self.check_region_label()?;
        let host = if e.fips {
            format!("s3-fips{ds}.{region}.{dns}")
        } else if e.dual_stack {
            format!("s3.dualstack.{region}.{dns}")
        } else if legacy {
            format!("s3.{dns}")
        } else {
            format!("s3.{}.{dns}", e.region)
        };
        let prefix = format!("/{}", uri_encode(b, true));
        Ok(aws_host(host, prefix, S3, region, false))
    }
}

/// An `InvalidConfig` error of a `true` switch.
fn flag(key: &str, why: impl std::fmt::Display) -> Error {
    Error::invalid_config(key, "true", why)
}

/// `https://<host><prefix>` on AWS, virtual-hosted unless `prefix` is set.
pub(super) fn aws_host(
    host: String,
    path_prefix: String,
    signing_name: &'static str,
    signing_region: &str,
    express: bool,
) -> BucketEndpoint {
    let style = if path_prefix.is_empty() {
        AddressingStyle::VirtualHosted
    } else {
        AddressingStyle::Path
    };
    BucketEndpoint {
        scheme: "https",
        host,
        path_prefix,
        style,
        express,
        signing_name,
        signing_region: signing_region.to_string(),
    }
}

/// `<scheme>://<label>.<authority><path>` on a custom endpoint.
pub(super) fn virtual_host(
    base: &BaseUrl,
    label: &str,
    signing_name: &'static str,
    signing_region: &str,
    express: bool,
) -> BucketEndpoint {
    BucketEndpoint {
        scheme: if base.https { "https" } else { "http" },
        host: format!("{label}.{}", base.authority()),
        path_prefix: base.path.clone(),
        style: AddressingStyle::VirtualHosted,
        express,
        signing_name,
        signing_region: signing_region.to_string(),
    }
}

/// The virtual host of `bucket` on a custom endpoint: `<bucket>.<host>`, or
/// the endpoint as it is when its host already starts with `<bucket>.`
/// (obstore's form: with `virtual_hosted_style_request`, object_store
/// expects the endpoint to name the bucket's host, so a migrated
/// configuration must not get the bucket twice).
fn bucket_host(base: &BaseUrl, bucket: &str, signing_region: &str) -> BucketEndpoint {
    let named = base
        .host
        .get(..bucket.len() + 1)
        .is_some_and(|head| head.eq_ignore_ascii_case(&format!("{bucket}.")));
    let mut e = virtual_host(base, bucket, S3, signing_region, false);
    if named {
        e.host = base.authority();
    }
    e
}

/// `<scheme>://<authority><path>/<uriEncode(bucket)>` on a custom endpoint:
/// every byte of the name but `A-Z a-z 0-9 - . _ ~` is percent-encoded
/// (`/` too), so no name can add a path segment, a query or a fragment.
fn path_style(
    base: &BaseUrl,
    bucket: &str,
    signing_name: &'static str,
    signing_region: &str,
    express: bool,
) -> BucketEndpoint {
    BucketEndpoint {
        scheme: if base.https { "https" } else { "http" },
        host: base.authority(),
        path_prefix: format!("{}/{}", base.path, uri_encode(bucket, true)),
        style: AddressingStyle::Path,
        express,
        signing_name,
        signing_region: signing_region.to_string(),
    }
}

/// The length of the S3 Express suffix of `bucket`: 6 for `--x-s3`
/// (directory buckets), 7 for `--xa-s3` (their access points).
pub(super) fn express_suffix_len(bucket: &str) -> Option<usize> {
    if bucket.ends_with("--x-s3") {
        Some(6)
    } else if bucket.ends_with("--xa-s3") {
        Some(7)
    } else {
        None
    }
}

/// The zone id before the suffix, as AWS finds it: the first of the
/// lengths 8, 9, 13, 14 and 20 that is preceded by `--`.
pub(super) fn express_zone_of(bucket: &str, suffix_len: usize) -> Option<&str> {
    [8, 9, 13, 14, 20].into_iter().find_map(|n| {
        let zone = substring_rev(bucket, suffix_len, suffix_len + n)?;
        let delimiter = substring_rev(bucket, suffix_len + n, suffix_len + n + 2)?;
        (delimiter == "--").then_some(zone)
    })
}

/// AWS's `substring(s, start, stop, reverse = true)`: the characters from
/// `stop` to `start` counted from the end; `None` when out of range or `s`
/// is not ASCII.
fn substring_rev(s: &str, start: usize, stop: usize) -> Option<&str> {
    if start >= stop || s.len() < stop || !s.is_ascii() {
        return None;
    }
    s.get(s.len() - stop..s.len() - start)
}

/// AWS's `isValidHostLabel`: 1-63 letters, digits and `-`, not starting or
/// ending with `-`; with `allow_dots`, every `.`-separated label must be one.
pub(super) fn is_host_label(s: &str, allow_dots: bool) -> bool {
    if allow_dots {
        return s.split('.').all(|label| is_host_label(label, false));
    }
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            b.len() <= 63
                && first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        }
        _ => false,
    }
}

/// AWS's `aws.isVirtualHostableS3Bucket`: 3-63 characters, no upper case,
/// not shaped like an IPv4 address, and a host label (labels with
/// `allow_dots`).
pub(super) fn is_virtual_hostable(bucket: &str, allow_dots: bool) -> bool {
    let ipv4_like = {
        let parts: Vec<&str> = bucket.split('.').collect();
        parts.len() == 4
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
    };
    (3..=63).contains(&bucket.len())
        && !bucket.bytes().any(|c| c.is_ascii_uppercase())
        && !ipv4_like
        && is_host_label(bucket, allow_dots)
}

/// Refuses names that no server reads as one path segment: empty, over 255
/// bytes, control characters, `/` (outside ARNs, whose resource part uses
/// it and which never go into a path), and the dot segments `.` and `..`,
/// which URL normalisation would remove. Everything else is allowed and
/// percent-encoded in path style; AWS's naming rules are the server's.
fn validate_bucket_name(bucket: &str) -> Result<()> {
    let why = if bucket.is_empty() {
        "must not be empty"
    } else if bucket.len() > 255 {
        "is longer than 255 bytes"
    } else if bucket.contains('/') && !bucket.starts_with("arn:") {
        "must not contain '/'"
    } else if bucket.chars().any(char::is_control) {
        "must not contain control characters"
    } else if bucket == "." || bucket == ".." {
        "must not be a dot segment ('.' or '..')"
    } else {
        return Ok(());
    };
    Err(Error::invalid_config("bucket", bucket, why))
}
