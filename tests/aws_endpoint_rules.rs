//! AWS's published S3 endpoint-rule test cases, run against
//! [`Endpoint::resolve`].
//!
//! Source: `tests/functional/endpoint-rules/s3/endpoint-tests-1.json` (393
//! cases) and `botocore/data/partitions.json` of the botocore 1.43.67 sdist
//! on PyPI (Apache-2.0), the cases of the `endpointTests` of AWS's S3 Smithy
//! model. They are not in this repository: `scripts/aws-endpoint-tests`
//! downloads the sdist once into `~/.cache/s3lite/aws-endpoint-rules/`,
//! checks both files' SHA-256 and prints `S3LITE_AWS_ENDPOINT_TESTS` and
//! `S3LITE_AWS_PARTITIONS`, which `scripts/test` exports. Without them the
//! tests skip, unless `S3LITE_REQUIRE_SERVERS=1`.
//!
//! Each case's `params` become an [`Endpoint`]: `Region`, `Endpoint`,
//! `UseFIPS`, `UseDualStack`, `Accelerate`, `UseGlobalEndpoint`
//! (`s3_us_east_1_regional_endpoint = legacy`), `UseArnRegion` (only an
//! explicit `false` refuses, as in AWS's rules) and
//! `DisableMultiRegionAccessPoints` map one to one. `ForcePathStyle = true`
//! is `style = Path`. Without it, a case without `Endpoint` keeps `style =
//! None` (s3lite's default on AWS is AWS's rule), and a case with
//! `Endpoint` gets `style = VirtualHosted`, which is AWS's rule; s3lite's
//! own default there is path style (a deliberate difference, documented on
//! `Endpoint`), so mapping "no flag" to `None` would compare our default,
//! not AWS's rule. `Key`, `Prefix` and `CopySource` are read by no rule.
//!
//! An endpoint case agrees when the URL ([`BucketEndpoint::endpoint_url`]),
//! the signing name and region of AWS's first auth scheme, and session auth
//! (`sigv4-s3express` versus `sigv4`) are equal. An error case agrees when
//! resolution fails with `InvalidConfig` and the message contains AWS's
//! message verbatim, or, for the few cases in [`MEANING`], the text that
//! says the same. Every case not listed in [`OUT_OF_SCOPE`] must agree.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

#[path = "sign_vectors_support/json.rs"]
#[allow(dead_code, reason = "the reader serves several test files")]
mod json;

use json::Value;
use s3lite::ErrorKind;
use s3lite::endpoint::{AddressingStyle, BucketEndpoint, Endpoint, PARTITIONS};

/// Why a case is out of scope. Each reason is checked against the case: a
/// table row whose reason does not hold fails the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reason {
    /// The case has no `Region` and expects "A region must be set": an
    /// s3lite store always has a region (`us-east-1` unless set), a
    /// deliberate difference from the SDKs.
    NoRegion,
    /// The case has no `Bucket` (ListBuckets, WriteGetObjectResponse): an
    /// s3lite store resolves one bucket and has no bucket-less operations.
    NoBucket,
    /// `DisableS3ExpressSessionAuth = true`: s3lite always signs S3 Express
    /// requests with CreateSession credentials; there is no key to sign
    /// them with plain SigV4.
    SessionAuthOff,
    /// `UseS3ExpressControlEndpoint = true`: a per-operation parameter of
    /// the S3 Express control plane (CreateBucket, ListDirectoryBuckets on
    /// `s3express-control`), which s3lite does not implement.
    ExpressControlPlane,
    /// `DisableAccessPoints = true`: a per-operation parameter (CreateBucket
    /// refuses access points); s3lite resolves once per store.
    AccessPointsDisabled,
    /// AWS resolves a Multi-Region Access Point (SigV4a); s3lite refuses it
    /// with `NotImplemented` naming the feature (checked).
    MultiRegionAccessPoint,
    /// AWS resolves an S3 on Outposts access point ARN (SigV4a,
    /// `s3-outposts`); s3lite refuses it with `NotImplemented` (checked).
    Outposts,
    /// AWS resolves an S3 on Outposts bucket alias (`--op-s3`); s3lite
    /// refuses it with `NotImplemented` (checked).
    OutpostsAlias,
    /// AWS resolves an Object Lambda access point ARN
    /// (`s3-object-lambda`); s3lite refuses it with `NotImplemented`
    /// (checked).
    ObjectLambda,
}

use Reason::*;

impl Reason {
    /// The feature a refusal must name.
    fn feature(self) -> Option<&'static str> {
        match self {
            MultiRegionAccessPoint => Some("Multi-Region Access Points"),
            Outposts => Some("S3 on Outposts access points"),
            OutpostsAlias => Some("S3 on Outposts bucket aliases"),
            ObjectLambda => Some("S3 Object Lambda"),
            _ => None,
        }
    }

    /// Whether the reason is true of `case`.
    fn holds(self, case: &Case<'_>) -> bool {
        let p = case.params;
        let on = |k: &str| p.get(k).is_some_and(Value::as_bool);
        match self {
            NoRegion => p.get("Region").is_none(),
            NoBucket => p.get("Bucket").is_none(),
            SessionAuthOff => on("DisableS3ExpressSessionAuth"),
            ExpressControlPlane => on("UseS3ExpressControlEndpoint"),
            AccessPointsDisabled => on("DisableAccessPoints"),
            refused => {
                let feature = refused.feature().unwrap_or_default();
                case.expect.get("endpoint").is_some()
                    && matches!(case.resolve(), Some(Err(e))
                        if e.kind() == ErrorKind::NotImplemented
                            && e.to_string().contains(feature))
            }
        }
    }
}

/// Error cases whose AWS message s3lite words differently, with the text
/// its error carries instead.
const MEANING: &[(&str, &str)] = &[(
    // s3lite refuses `/` in any bucket name before AWS's rules run.
    "S3 Outposts invalid bucket name",
    "must not contain '/'",
)];

/// The cases s3lite does not claim to agree with, by name
/// (`documentation`), with the reason.
const OUT_OF_SCOPE: &[(&str, Reason)] = &[
    ("no region set", NoRegion),
    ("region is not a valid DNS-suffix", NoBucket),
    (
        "UseGlobalEndpoints=true, region=us-east-1 uses the global endpoint",
        NoBucket,
    ),
    (
        "UseGlobalEndpoints=true, region=us-west-2 uses the regional endpoint",
        NoBucket,
    ),
    (
        "UseGlobalEndpoints=true, region=cn-north-1 uses the regional endpoint",
        NoBucket,
    ),
    (
        "UseGlobalEndpoints=true, region=us-east-1, fips=true uses the regional endpoint with fips",
        NoBucket,
    ),
    (
        "UseGlobalEndpoints=true, region=us-east-1, dualstack=true uses the regional endpoint with dualstack",
        NoBucket,
    ),
    (
        "UseGlobalEndpoints=true, region=us-east-1, dualstack and fips uses the regional endpoint with fips/dualstack",
        NoBucket,
    ),
    (
        "UseGlobalEndpoints=true, region=us-east-1 with custom endpoint, uses custom",
        NoBucket,
    ),
    (
        "UseGlobalEndpoints=true, region=us-west-2 with custom endpoint, uses custom",
        NoBucket,
    ),
    (
        "UseGlobalEndpoints=true, region=us-east-1 with accelerate on non bucket case uses the global endpoint and ignores accelerate",
        NoBucket,
    ),
    ("aws-global region uses the global endpoint", NoBucket),
    (
        "aws-global region with fips uses the regional endpoint",
        NoBucket,
    ),
    (
        "aws-global region with dualstack uses the regional endpoint",
        NoBucket,
    ),
    (
        "aws-global region with fips and dualstack uses the regional endpoint",
        NoBucket,
    ),
    (
        "aws-global region with accelerate on non-bucket case, uses global endpoint and ignores accelerate",
        NoBucket,
    ),
    (
        "aws-global region with custom endpoint, uses custom",
        NoBucket,
    ),
    ("non-bucket endpoint override with FIPS = error", NoBucket),
    ("FIPS + dualstack + custom endpoint", NoBucket),
    ("dualstack + custom endpoint", NoBucket),
    ("custom endpoint without FIPS/dualstack", NoBucket),
    ("non bucket + FIPS", NoBucket),
    ("standard non bucket endpoint", NoBucket),
    ("non bucket endpoint with FIPS + Dualstack", NoBucket),
    ("non bucket endpoint with dualstack", NoBucket),
    ("endpoint override + FIPS + dualstack", NoBucket),
    (
        "non-bucket endpoint override + dualstack + global endpoint",
        NoBucket,
    ),
    (
        "Endpoint override + UseGlobalEndpoint + us-east-1",
        NoBucket,
    ),
    (
        "non-FIPS partition with FIPS set + custom endpoint",
        NoBucket,
    ),
    ("aws-global + dualstack + custom endpoint", NoBucket),
    ("aws-global + FIPS + endpoint override.", NoBucket),
    ("endpoint override with aws-global region", NoBucket),
    ("WriteGetObjectResponse @ us-west-2", NoBucket),
    ("WriteGetObjectResponse with custom endpoint", NoBucket),
    ("WriteGetObjectResponse @ us-east-1", NoBucket),
    ("WriteGetObjectResponse with fips", NoBucket),
    ("WriteGetObjectResponse with dualstack", NoBucket),
    ("WriteGetObjectResponse with accelerate", NoBucket),
    ("WriteGetObjectResponse with fips in CN", NoBucket),
    ("WriteGetObjectResponse with invalid partition", NoBucket),
    ("WriteGetObjectResponse with an unknown partition", NoBucket),
    ("S3 Snow without bucket", NoBucket),
    ("Control plane without bucket", NoBucket),
    ("Control plane without bucket and fips", NoBucket),
    ("Control Plane host override no bucket", NoBucket),
    ("Control plane without bucket and dualstack", NoBucket),
    ("Control plane without bucket, fips and dualstack", NoBucket),
    ("Data Plane sigv4 auth with short AZ", SessionAuthOff),
    (
        "Data Plane sigv4 auth with short AZ with AP",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with short zone (13 chars)",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with short zone (13 chars) with AP",
        SessionAuthOff,
    ),
    ("Data Plane sigv4 auth with short AZ fips", SessionAuthOff),
    (
        "Data Plane sigv4 auth with short AZ fips with AP",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with short zone (13 chars) fips",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with short zone (13 chars) fips with AP",
        SessionAuthOff,
    ),
    ("Data Plane sigv4 auth with long AZ", SessionAuthOff),
    ("Data Plane sigv4 auth with long AZ with AP", SessionAuthOff),
    (
        "Data Plane sigv4 auth with medium zone(14 chars)",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with medium zone(14 chars) with AP",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with long zone(20 chars)",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with long zone(20 chars) with AP",
        SessionAuthOff,
    ),
    ("Data Plane sigv4 auth with long AZ fips", SessionAuthOff),
    (
        "Data Plane sigv4 auth with long AZ fips with AP",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with medium zone (14 chars) fips",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with medium zone (14 chars) fips with AP",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with long zone (20 chars) fips",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with long zone (20 chars) fips with AP",
        SessionAuthOff,
    ),
    ("Control Plane host override", SessionAuthOff),
    ("Control Plane host override with AP", SessionAuthOff),
    ("Control Plane host override ip", SessionAuthOff),
    ("Control Plane host override ip with AP", SessionAuthOff),
    ("bad format error no session auth", SessionAuthOff),
    ("bad AP format error no session auth", SessionAuthOff),
    ("host override data plane bucket error", SessionAuthOff),
    ("host override data plane AP error", SessionAuthOff),
    (
        "Data Plane sigv4 auth with short AZ and dualstack",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with short AZ and FIPS with dualstack",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with zone and dualstack",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with 9-char zone and FIPS with dualstack",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with 13-char zone and dualstack",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with 13-char zone and FIPS with dualstack",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with 14-char zone and dualstack",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with 14-char zone and FIPS with dualstack",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with long zone (20 char) and dualstack",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with long zone (20 char) and FIPS with dualstack",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with zone and dualstack and AP",
        SessionAuthOff,
    ),
    (
        "Data Plane AP sigv4 auth with zone and FIPS with dualstack",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with (9 char) zone and dualstack with AP",
        SessionAuthOff,
    ),
    (
        "Access Point sigv4 auth with (9 char) zone and FIPS with dualstack",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with (13 char) zone with AP and dualstack",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with (13 char) zone with AP and FIPS and dualstack",
        SessionAuthOff,
    ),
    (
        "Data Plane sigv4 auth with (14 char) zone and AP with dualstack",
        SessionAuthOff,
    ),
    (
        "Data Plane with (14 char) zone and AP with FIPS and dualstack",
        SessionAuthOff,
    ),
    ("Data plane AP with sigv4 and dualstack", SessionAuthOff),
    (
        "Data plane AP sigv4 with fips and dualstack",
        SessionAuthOff,
    ),
    ("Control plane with short AZ bucket", ExpressControlPlane),
    (
        "Control plane with short AZ bucket china region",
        ExpressControlPlane,
    ),
    (
        "Control plane with short AZ bucket and fips",
        ExpressControlPlane,
    ),
    (
        "Control plane with short AZ bucket and fips china region",
        ExpressControlPlane,
    ),
    (
        "Control plane with with bucket containing delimiters",
        ExpressControlPlane,
    ),
    ("Control plane and FIPS with dualstack", ExpressControlPlane),
    (
        "Control plane with dualstack and bucket",
        ExpressControlPlane,
    ),
    (
        "Access points when Access points explicitly disabled (used for CreateBucket)",
        AccessPointsDisabled,
    ),
    ("missing arn type", AccessPointsDisabled),
    (
        "s3 object lambda with access points disabled",
        AccessPointsDisabled,
    ),
    ("vanilla MRAP", MultiRegionAccessPoint),
    (
        "ARN with aws-global region and  UseArnRegion uses the regional endpoint",
        Outposts,
    ),
    ("S3 outposts vanilla test", Outposts),
    ("S3 outposts custom endpoint", Outposts),
    (
        "outposts arn with region mismatch and UseArnRegion=true",
        Outposts,
    ),
    (
        "outposts arn with region mismatch and UseArnRegion unset",
        Outposts,
    ),
    (
        "ARN with UseGlobalEndpoint and use-east-1 region uses the regional endpoint",
        Outposts,
    ),
    (
        "S3 Outposts bucketAlias Real Outpost Prod us-west-1",
        OutpostsAlias,
    ),
    (
        "S3 Outposts bucketAlias Real Outpost Prod ap-east-1",
        OutpostsAlias,
    ),
    (
        "S3 Outposts bucketAlias Ec2 Outpost Prod us-east-1",
        OutpostsAlias,
    ),
    (
        "S3 Outposts bucketAlias Ec2 Outpost Prod me-south-1",
        OutpostsAlias,
    ),
    ("S3 Outposts bucketAlias Real Outpost Beta", OutpostsAlias),
    ("S3 Outposts bucketAlias Ec2 Outpost Beta", OutpostsAlias),
    ("object lambda @us-east-1", ObjectLambda),
    ("object lambda @us-west-2", ObjectLambda),
    (
        "object lambda, colon resource deliminator @us-west-2",
        ObjectLambda,
    ),
    (
        "object lambda @us-east-1, client region us-west-2, useArnRegion=true",
        ObjectLambda,
    ),
    (
        "object lambda @us-east-1, client region s3-external-1, useArnRegion=true",
        ObjectLambda,
    ),
    (
        "object lambda @us-east-1, client region aws-global, useArnRegion=true",
        ObjectLambda,
    ),
    ("object lambda @us-gov-east-1", ObjectLambda),
    ("object lambda @us-gov-east-1, with fips", ObjectLambda),
    ("object lambda with custom endpoint", ObjectLambda),
];

/// One test case.
struct Case<'a> {
    name: &'a str,
    params: &'a Value,
    expect: &'a Value,
}

impl Case<'_> {
    /// The case's parameters as an [`Endpoint`] and bucket; `None` without
    /// a region or bucket.
    fn endpoint(&self) -> Option<(Endpoint, &str)> {
        let p = self.params;
        let text = |k: &str| p.get(k).map(Value::as_str);
        let on = |k: &str| p.get(k).is_some_and(Value::as_bool);
        let region = text("Region")?;
        let bucket = text("Bucket")?;
        let mut e = match text("Endpoint") {
            Some(url) => Endpoint::custom(url, region),
            None => Endpoint::aws(region),
        };
        e.allow_http = true;
        e.fips = on("UseFIPS");
        e.dual_stack = on("UseDualStack");
        e.accelerate = on("Accelerate");
        e.use_global_endpoint = on("UseGlobalEndpoint");
        e.use_arn_region = p.get("UseArnRegion").is_none_or(Value::as_bool);
        e.disable_multi_region_access_points = on("DisableMultiRegionAccessPoints");
        e.style = if on("ForcePathStyle") {
            Some(AddressingStyle::Path)
        } else if e.url.is_some() {
            Some(AddressingStyle::VirtualHosted)
        } else {
            None
        };
        Some((e, bucket))
    }

    fn resolve(&self) -> Option<s3lite::Result<BucketEndpoint>> {
        let (e, bucket) = self.endpoint()?;
        Some(e.resolve(bucket))
    }

    /// `Ok` when s3lite agrees, else what differs.
    fn check(&self) -> Result<(), String> {
        let Value::Obj(fields) = self.params else {
            return Err("params is not an object".into());
        };
        let mapped = [
            "Region",
            "Bucket",
            "Endpoint",
            "UseFIPS",
            "UseDualStack",
            "Accelerate",
            "UseGlobalEndpoint",
            "UseArnRegion",
            "DisableMultiRegionAccessPoints",
            "ForcePathStyle",
            "Key",
            "Prefix",
            "CopySource",
        ];
        for (key, value) in fields {
            if !mapped.contains(&key.as_str()) && !matches!(value, Value::Bool(false)) {
                return Err(format!("parameter {key} = {value:?} has no s3lite mapping"));
            }
        }
        let got = self.resolve().ok_or("no region or bucket")?;
        if let Some(want) = self.expect.get("error") {
            let want = want.as_str();
            let err = match got {
                Ok(b) => return Err(format!("AWS: error {want:?}; s3lite: {}", b.endpoint_url())),
                Err(e) => e,
            };
            let text = MEANING
                .iter()
                .find(|(name, _)| *name == self.name)
                .map_or(want, |(_, ours)| ours);
            if err.kind() != ErrorKind::InvalidConfig || !err.to_string().contains(text) {
                return Err(format!(
                    "AWS: error {want:?}; s3lite: {:?} {err}",
                    err.kind()
                ));
            }
            return Ok(());
        }
        let want = self
            .expect
            .get("endpoint")
            .ok_or("expects neither endpoint nor error")?;
        let url = want.s("url");
        let auth = want
            .get("properties")
            .and_then(|p| p.list("authSchemes").first())
            .ok_or("no auth scheme")?;
        let b = got.map_err(|e| format!("AWS: {url}; s3lite: {:?} {e}", e.kind()))?;
        let scheme = auth.s("name");
        let ours = (
            b.endpoint_url(),
            b.signing_name(),
            b.signing_region(),
            if b.is_express() {
                "sigv4-s3express"
            } else {
                "sigv4"
            },
        );
        let theirs = (
            url.to_string(),
            auth.s("signingName"),
            auth.get("signingRegion").map_or("", Value::as_str),
            scheme,
        );
        if ours == theirs {
            Ok(())
        } else {
            Err(format!("AWS: {theirs:?}; s3lite: {ours:?}"))
        }
    }
}

/// The file named by `var`, or `None` (skip) when unset; with
/// `S3LITE_REQUIRE_SERVERS=1` a missing file fails instead.
fn fixture(var: &str) -> Option<String> {
    let required = std::env::var("S3LITE_REQUIRE_SERVERS").is_ok_and(|v| v == "1");
    match std::env::var(var) {
        Ok(path) => {
            Some(std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{var}={path}: {e}")))
        }
        Err(_) => {
            assert!(!required, "{var} is not set but S3LITE_REQUIRE_SERVERS=1");
            eprintln!("skipped: {var} is not set (scripts/aws-endpoint-tests downloads it)");
            None
        }
    }
}

#[test]
fn aws_s3_endpoint_rule_cases_agree() {
    let Some(text) = fixture("S3LITE_AWS_ENDPOINT_TESTS") else {
        return;
    };
    let doc = json::parse(&text);
    let cases: Vec<Case<'_>> = doc
        .list("testCases")
        .iter()
        .map(|c| Case {
            name: c.s("documentation"),
            params: c.get("params").unwrap(),
            expect: c.get("expect").unwrap(),
        })
        .collect();
    let mut used = vec![0usize; OUT_OF_SCOPE.len()];
    let mut per_reason: Vec<(Reason, usize)> = Vec::new();
    let (mut agree, mut in_scope) = (0, 0);
    let mut failures = Vec::new();
    for case in &cases {
        let row = OUT_OF_SCOPE
            .iter()
            .position(|(name, reason)| *name == case.name && reason.holds(case));
        if let Some(i) = row {
            used[i] += 1;
            let reason = OUT_OF_SCOPE[i].1;
            match per_reason.iter_mut().find(|(r, _)| *r == reason) {
                Some((_, n)) => *n += 1,
                None => per_reason.push((reason, 1)),
            }
            continue;
        }
        in_scope += 1;
        match case.check() {
            Ok(()) => agree += 1,
            Err(why) => failures.push(format!("{:?}: {why}", case.name)),
        }
    }
    let out = cases.len() - in_scope;
    let tally = format!(
        "{agree} of {in_scope} in-scope cases agree, {out} of {} are out of scope",
        cases.len()
    );
    eprintln!("AWS S3 endpoint rules (botocore 1.43.67): {tally}");
    for (reason, n) in &per_reason {
        eprintln!("  out of scope, {reason:?}: {n}");
    }
    let stale: Vec<&str> = OUT_OF_SCOPE
        .iter()
        .zip(&used)
        .filter(|(_, n)| **n == 0)
        .map(|((name, _), _)| *name)
        .collect();
    assert!(
        stale.is_empty(),
        "out-of-scope rows whose reason holds for no case: {stale:#?}"
    );
    assert!(
        failures.is_empty(),
        "{} in-scope cases disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(
        readme.contains(&tally),
        "README.md's Endpoints section must state: {tally}"
    );
}

/// `partitions.rs` holds what `partitions.json` says: ids, region regexes,
/// DNS suffixes and region names, in order.
#[test]
fn partition_table_matches_partitions_json() {
    let Some(text) = fixture("S3LITE_AWS_PARTITIONS") else {
        return;
    };
    let doc = json::parse(&text);
    let theirs: Vec<(String, String, String, Vec<String>)> = doc
        .list("partitions")
        .iter()
        .map(|p| {
            let Some(Value::Obj(regions)) = p.get("regions") else {
                panic!("regions is not an object");
            };
            (
                p.s("id").to_string(),
                p.s("regionRegex").to_string(),
                p.get("outputs").unwrap().s("dnsSuffix").to_string(),
                regions.iter().map(|(name, _)| name.clone()).collect(),
            )
        })
        .collect();
    let ours: Vec<(String, String, String, Vec<String>)> = PARTITIONS
        .iter()
        .map(|p| {
            (
                p.id.to_string(),
                p.region_regex.to_string(),
                p.dns_suffix.to_string(),
                p.regions.iter().map(|r| r.to_string()).collect(),
            )
        })
        .collect();
    assert_eq!(ours, theirs);
}
