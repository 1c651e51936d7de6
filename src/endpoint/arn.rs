//! ARNs as bucket names: S3 access points are resolved (host
//! `<name>-<account>.s3-accesspoint.<arn region>...`, signed for the ARN's
//! region); Multi-Region Access Points, Outposts and Object Lambda ARNs get
//! AWS's checks and then a `NotImplemented` refusal, never a host.

use super::BucketEndpoint;
use super::partitions::{Partition, partition_of};
use super::rules::{Ctx, S3, aws_host, is_host_label, virtual_host};
use crate::error::{Error, Result};

/// An ARN as AWS's `aws.parseArn` splits it.
#[derive(Debug)]
pub(super) struct Arn<'a> {
    partition: &'a str,
    service: &'a str,
    region: &'a str,
    account: &'a str,
    /// The resource split on both `:` and `/`.
    resource: Vec<&'a str>,
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>`; `None` when
/// a part is missing or the partition, service or resource is empty.
pub(super) fn parse(s: &str) -> Option<Arn<'_>> {
    let mut parts = s.splitn(6, ':');
    let (arn, partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if arn != "arn" || partition.is_empty() || service.is_empty() || resource.is_empty() {
        return None;
    }
    Some(Arn {
        partition,
        service,
        region,
        account,
        resource: resource.split([':', '/']).collect(),
    })
}

/// The branches of AWS's rules for an ARN bucket.
pub(super) fn resolve(ctx: &Ctx<'_>, arn: &Arn<'_>) -> Result<BucketEndpoint> {
    let e = ctx.e;
    let kind = arn.resource.first().copied().unwrap_or_default();
    if kind.is_empty() {
        return Err(ctx.bad_bucket("Invalid ARN: No ARN type specified"));
    }
    let name = arn.resource.get(1).copied().filter(|n| !n.is_empty());
    let no_name = || {
        ctx.bad_bucket(
            "Invalid ARN: Expected a resource of the format `accesspoint:<accesspoint name>` but no name was provided",
        )
    };
    let one_component = || {
        ctx.bad_bucket(
            "Invalid ARN: The ARN may only contain a single resource component after `accesspoint`.",
        )
    };
    if arn.service == "s3-object-lambda" {
        if kind != "accesspoint" {
            return Err(ctx.bad_bucket(format!(
                "Invalid ARN: Object Lambda ARNs only support `accesspoint` arn types, but found: `{kind}`"
            )));
        }
        let name = name.ok_or_else(no_name)?;
        if e.dual_stack {
            return Err(ctx.bad_bucket("S3 Object Lambda does not support Dual-stack"));
        }
        if e.accelerate {
            return Err(ctx.bad_bucket("S3 Object Lambda does not support S3 Accelerate"));
        }
        if arn.region.is_empty() {
            return Err(ctx.bad_bucket("Invalid ARN: bucket ARN is missing a region"));
        }
        if arn.resource.len() > 2 {
            return Err(one_component());
        }
        check_region(ctx, arn)?;
        if arn.account.is_empty() {
            return Err(ctx.bad_bucket("Invalid ARN: Missing account id"));
        }
        check_account(ctx, arn.account)?;
        check_name(ctx, name)?;
        return Err(ctx.refuse(
            "S3 Object Lambda access points",
            "they are signed as s3-object-lambda, which s3lite does not implement",
        ));
    }
    if kind == "accesspoint" {
        let name = name.ok_or_else(no_name)?;
        if arn.region.is_empty() {
            return multi_region(ctx, arn, name);
        }
        if arn.resource.len() > 2 {
            return Err(one_component());
        }
        let bp = check_region(ctx, arn)?;
        if arn.service != "s3" {
            return Err(ctx.bad_bucket(format!(
                "Invalid ARN: The ARN was not for the S3 service, found: {}",
                arn.service
            )));
        }
        check_account(ctx, arn.account)?;
        check_name(ctx, name)?;
        if e.accelerate {
            return Err(ctx.bad_bucket("Access Points do not support S3 Accelerate"));
        }
        let label = format!("{name}-{}", arn.account);
        return Ok(match &ctx.base {
            Some(base) => virtual_host(base, &label, S3, arn.region, false),
            None => {
                let fips = if e.fips { "-fips" } else { "" };
                let ds = if e.dual_stack { ".dualstack" } else { "" };
                let host = format!(
                    "{label}.s3-accesspoint{fips}{ds}.{}.{}",
                    arn.region, bp.dns_suffix
                );
                aws_host(host, String::new(), S3, arn.region, false)
            }
        });
    }
    if arn.service == "s3-outposts" {
        return outposts(ctx, arn);
    }
    Err(ctx.bad_bucket(format!(
        "Invalid ARN: Unrecognized format: {} (type: {kind})",
        ctx.bucket
    )))
}

/// A Multi-Region Access Point (an access point ARN without a region).
fn multi_region(ctx: &Ctx<'_>, arn: &Arn<'_>, name: &str) -> Result<BucketEndpoint> {
    let e = ctx.e;
    if !is_host_label(name, true) {
        return Err(ctx.bad_bucket("Invalid Access Point Name"));
    }
    if e.dual_stack {
        return Err(ctx.bad_bucket("S3 MRAP does not support dual-stack"));
    }
    if e.fips {
        return Err(ctx.bad_bucket("S3 MRAP does not support FIPS"));
    }
    if e.accelerate {
        return Err(ctx.bad_bucket("S3 MRAP does not support S3 Accelerate"));
    }
    if e.disable_multi_region_access_points {
        return Err(Error::invalid_config(
            "disable_multi_region_access_points",
            "true",
            "Invalid configuration: Multi-Region Access Point ARNs are disabled.",
        ));
    }
    if ctx.part.id != arn.partition {
        return Err(ctx.bad_bucket(format!(
            "Client was configured for partition `{}` but bucket referred to partition `{}`",
            ctx.part.id, arn.partition
        )));
    }
    Err(ctx.refuse(
        "Multi-Region Access Points",
        "they are signed with SigV4a, which s3lite does not implement",
    ))
}

/// An S3 on Outposts access point ARN
/// (`outpost/<id>/accesspoint/<name>`).
fn outposts(ctx: &Ctx<'_>, arn: &Arn<'_>) -> Result<BucketEndpoint> {
    let e = ctx.e;
    if e.dual_stack {
        return Err(ctx.bad_bucket("S3 Outposts does not support Dual-stack"));
    }
    if e.fips {
        return Err(ctx.bad_bucket("S3 Outposts does not support FIPS"));
    }
    if e.accelerate {
        return Err(ctx.bad_bucket("S3 Outposts does not support S3 Accelerate"));
    }
    if arn.resource.len() > 4 {
        return Err(ctx.bad_bucket("Invalid Arn: Outpost Access Point ARN contains sub resources"));
    }
    let Some(outpost) = arn.resource.get(1) else {
        return Err(ctx.bad_bucket("Invalid ARN: The Outpost Id was not set"));
    };
    if !is_host_label(outpost, false) {
        return Err(ctx.bad_bucket(format!(
            "Invalid ARN: The outpost Id may only contain a-z, A-Z, 0-9 and `-`. Found: `{outpost}`"
        )));
    }
    check_region(ctx, arn)?;
    check_account(ctx, arn.account)?;
    let Some(kind) = arn.resource.get(2) else {
        return Err(ctx.bad_bucket("Invalid ARN: Expected a 4-component resource"));
    };
    let Some(name) = arn.resource.get(3) else {
        return Err(ctx.bad_bucket("Invalid ARN: expected an access point name"));
    };
    if *kind != "accesspoint" {
        return Err(ctx.bad_bucket(format!(
            "Expected an outpost type `accesspoint`, found {kind}"
        )));
    }
    check_name(ctx, name)?;
    Err(ctx.refuse(
        "S3 on Outposts access points",
        "they are signed with SigV4a for s3-outposts, which s3lite does not implement",
    ))
}

/// AWS's checks of the ARN's region against the client's: `use_arn_region`,
/// the partition, and the region's form. Returns the ARN's partition.
fn check_region(ctx: &Ctx<'_>, arn: &Arn<'_>) -> Result<&'static Partition> {
    if !ctx.e.use_arn_region && arn.region != ctx.e.region {
        return Err(Error::invalid_config(
            "use_arn_region",
            "false",
            format!(
                "Invalid configuration: region from ARN `{}` does not match client region `{}` and UseArnRegion is `false`",
                arn.region, ctx.e.region
            ),
        ));
    }
    let bp = partition_of(arn.region);
    if bp.id != ctx.part.id {
        return Err(ctx.bad_bucket(format!(
            "Client was configured for partition `{}` but ARN (`{}`) has `{}`",
            ctx.part.id, ctx.bucket, bp.id
        )));
    }
    if !is_host_label(arn.region, true) {
        return Err(ctx.bad_bucket(format!(
            "Invalid region in ARN: `{}` (invalid DNS name)",
            arn.region
        )));
    }
    Ok(bp)
}

fn check_account(ctx: &Ctx<'_>, account: &str) -> Result<()> {
    if is_host_label(account, false) {
        return Ok(());
    }
    Err(ctx.bad_bucket(format!(
        "Invalid ARN: The account id may only contain a-z, A-Z, 0-9 and `-`. Found: `{account}`"
    )))
}

fn check_name(ctx: &Ctx<'_>, name: &str) -> Result<()> {
    if is_host_label(name, false) {
        return Ok(());
    }
    Err(ctx.bad_bucket(format!(
        "Invalid ARN: The access point name may only contain a-z, A-Z, 0-9 and `-`. Found: `{name}`"
    )))
}
