//! Configuration keys: [`S3ConfigKey`], their string names, aliases and
//! environment variables, and the parsing of their values.
//!
//! Pure code: no I/O. The environment is read through a function the caller
//! passes (`|name| std::env::var(name).ok()` in `S3StoreBuilder::from_env`),
//! so tests never touch the process environment.
//!
//! Names are case-insensitive and may carry an `aws_` prefix: `region`,
//! `aws_region`, `AWS_REGION` and `Region` all name [`S3ConfigKey::Region`].
//! [`S3ConfigKey::as_ref`] gives the canonical name (`region`).
//!
//! Values parse as obstore's do:
//! - booleans: `1`, `true`, `on`, `yes`, `y` and `0`, `false`, `off`, `no`,
//!   `n`, in any case ([`parse_bool`]);
//! - durations: `30s`, `500ms`, `2m`, `1h`, `1m30s`, `1.5s`, or plain
//!   seconds `30` ([`parse_duration`]);
//! - counts: decimal integers.
//!
//! ```
//! use s3lite::config::S3ConfigKey;
//! let key: S3ConfigKey = "AWS_ENDPOINT_URL".parse()?;
//! assert_eq!(key, S3ConfigKey::Endpoint);
//! assert_eq!(key.as_ref(), "endpoint");
//! assert_eq!(key.env_names()[0], "AWS_ENDPOINT");
//! # Ok::<(), s3lite::Error>(())
//! ```

mod value;

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, ErrorKind, Result};

pub use value::{
    CannedAcl, ChecksumAlgorithm, ChecksumWhen, ConditionalPut, CopyIfNotExists,
    ServerSideEncryption, content_type_for, decode_base64, parse_bool, parse_duration,
    percent_decode,
};

/// One configuration key of an S3 store.
///
/// Covers obstore's `S3Config`, `ClientConfig` and `RetryConfig` keys plus
/// s3lite's endpoint switches. The README lists every key with its
/// environment variables and default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum S3ConfigKey {
    /// `access_key_id`: the access key id of static credentials.
    AccessKeyId,
    /// `secret_access_key`: the secret of static credentials (secret).
    SecretAccessKey,
    /// `session_token` (alias `token`): the token of temporary credentials (secret).
    SessionToken,
    /// `region`: the region requests are signed for. Default
    /// `default_region`, else the `region` of the active profile in
    /// `~/.aws/config` (as boto3 reads it), else `us-east-1`.
    Region,
    /// `default_region`: the region used when `region` is not set.
    DefaultRegion,
    /// `bucket` (alias `bucket_name`): the bucket (required).
    Bucket,
    /// `endpoint` (alias `endpoint_url`; also composer's `S3_ENDPOINT_URL`,
    /// read last): a custom endpoint URL.
    Endpoint,
    /// `endpoint_url_s3`: a custom endpoint for S3 only; wins over `endpoint`.
    EndpointUrlS3,
    /// `virtual_hosted_style_request`: `true` asks for AWS's addressing rule
    /// (virtual-hosted for names that can be a host label, path style for
    /// the rest and on IP endpoints), also on custom endpoints; `false`
    /// forces path style.
    VirtualHostedStyleRequest,
    /// `unsigned_payload`: sign bodies as `UNSIGNED-PAYLOAD`.
    UnsignedPayload,
    /// `skip_signature`: send requests unsigned (public buckets).
    SkipSignature,
    /// `use_dualstack_endpoint` (alias `dualstack`): AWS IPv4+IPv6 endpoints.
    DualStack,
    /// `use_fips_endpoint` (alias `fips`): AWS FIPS 140 endpoints.
    Fips,
    /// `use_accelerate_endpoint` (alias `transfer_acceleration`): S3
    /// Transfer Acceleration (`bucket.s3-accelerate.amazonaws.com`).
    Accelerate,
    /// `s3_us_east_1_regional_endpoint`: `regional` (default) or `legacy`;
    /// `legacy` sends `us-east-1` requests to the global endpoint
    /// `s3.amazonaws.com`, as the AWS CLI's setting of that name does.
    S3UsEast1RegionalEndpoint,
    /// `use_arn_region` (alias `s3_use_arn_region`): whether an access point
    /// ARN of another region is used in its own region (default `true`) or
    /// refused.
    UseArnRegion,
    /// `disable_multi_region_access_points` (alias
    /// `s3_disable_multiregion_access_points`): refuse Multi-Region Access
    /// Point ARNs with AWS's error (s3lite refuses them as not implemented
    /// either way).
    DisableMultiRegionAccessPoints,
    /// `checksum_algorithm`: `crc32`, `crc32c`, `crc64nvme`, `sha1` or `sha256`.
    ChecksumAlgorithm,
    /// `request_checksum_calculation`: `when_supported` (every upload carries
    /// a checksum) or `when_required`.
    RequestChecksumCalculation,
    /// `response_checksum_validation`: `when_supported` (every download is
    /// checked) or `when_required`.
    ResponseChecksumValidation,
    /// `conditional_put`: `etag` (default), `disabled` or `dynamo:<table>[:<ms>]`.
    ConditionalPut,
    /// `copy_if_not_exists`: `multipart`, `header:<name>:<value>`,
    /// `header-with-status:<name>:<value>:<status>` or `dynamo:<table>[:<ms>]`.
    CopyIfNotExists,
    /// `disable_tagging`: never send object tags.
    DisableTagging,
    /// `canned_acl` (alias `acl`; also `S3_CANNED_ACL`): the canned ACL
    /// (`x-amz-acl`) of every object the store writes, unless the write's
    /// [`PutOptions`](crate::PutOptions) names one. Default: none sent.
    CannedAcl,
    /// `disable_bulk_delete`: delete objects one request at a time.
    DisableBulkDelete,
    /// `request_payer` (alias `requester_pays`): operate on requester-pays
    /// buckets. A boolean, or `requester` (as object_store reads
    /// `AWS_REQUEST_PAYER`) for `true`.
    RequestPayer,
    /// `s3_express`: S3 Express One Zone session authentication.
    S3Express,
    /// `imdsv1_fallback`: fall back to IMDSv1 for instance credentials.
    ImdsV1Fallback,
    /// `metadata_endpoint`: the EC2 instance metadata endpoint.
    MetadataEndpoint,
    /// `container_credentials_relative_uri`: ECS task credentials path.
    ContainerCredentialsRelativeUri,
    /// `container_credentials_full_uri`: container credentials URL.
    ContainerCredentialsFullUri,
    /// `container_authorization_token_file`: file holding the container
    /// credentials authorization token.
    ContainerAuthorizationTokenFile,
    /// `web_identity_token_file`: OIDC token file for AssumeRoleWithWebIdentity.
    WebIdentityTokenFile,
    /// `role_arn`: the role to assume with a web identity token.
    RoleArn,
    /// `role_session_name`: the session name of the assumed role.
    RoleSessionName,
    /// `endpoint_url_sts`: a custom STS endpoint.
    EndpointUrlSts,
    /// `server_side_encryption`: `AES256`, `aws:kms`, `aws:kms:dsse` or `sse-c`.
    ServerSideEncryption,
    /// `sse_kms_key_id`: the KMS key of `aws:kms` / `aws:kms:dsse` encryption.
    SseKmsKeyId,
    /// `sse_bucket_key_enabled`: use an S3 Bucket Key with KMS encryption.
    SseBucketKeyEnabled,
    /// `sse_customer_key_base64`: the base64 256-bit SSE-C key (secret).
    SseCustomerKeyBase64,
    /// `allow_http`: allow `http://` endpoints.
    AllowHttp,
    /// `allow_invalid_certificates`: accept any server certificate (dangerous).
    AllowInvalidCertificates,
    /// `root_certificates` (alias `ca_bundle`): extra trusted roots, PEM
    /// text or the path of a PEM file.
    RootCertificates,
    /// `connect_timeout`: longest TCP connect. Default 5 s.
    ConnectTimeout,
    /// `timeout` (alias `request_timeout`): longest wait without progress
    /// until the response headers. Default 30 s.
    Timeout,
    /// `read_timeout` (alias `idle_timeout`): longest gap while reading a
    /// body. Default 30 s.
    ReadTimeout,
    /// `pool_idle_timeout`: how long idle connections are kept. Default 90 s.
    PoolIdleTimeout,
    /// `pool_max_idle_per_host`: most idle connections per host.
    PoolMaxIdlePerHost,
    /// `http1_only`: speak HTTP/1.1 only (the default).
    Http1Only,
    /// `http2_only`: speak HTTP/2 only (feature `http2`).
    Http2Only,
    /// `http2_keep_alive_interval`: HTTP/2 PING interval (feature `http2`).
    Http2KeepAliveInterval,
    /// `http2_keep_alive_timeout`: HTTP/2 PING answer timeout (feature `http2`).
    Http2KeepAliveTimeout,
    /// `http2_keep_alive_while_idle`: PING idle HTTP/2 connections too.
    Http2KeepAliveWhileIdle,
    /// `http2_max_frame_size`: largest HTTP/2 frame (feature `http2`).
    Http2MaxFrameSize,
    /// `randomize_addresses`: shuffle the addresses DNS returns.
    RandomizeAddresses,
    /// `proxy_url`: proxy for every request (env `ALL_PROXY` too).
    ProxyUrl,
    /// `https_proxy`: proxy for `https://` requests (env `HTTPS_PROXY`).
    HttpsProxy,
    /// `http_proxy`: proxy for `http://` requests (env `HTTP_PROXY`).
    HttpProxy,
    /// `proxy_ca_certificate`: a PEM CA (text or file path) trusted for an
    /// `https://` proxy.
    ProxyCaCertificate,
    /// `proxy_excludes` (alias `no_proxy`): comma-separated hosts, domains
    /// and CIDR ranges reached without the proxy.
    ProxyExcludes,
    /// `user_agent`: the `User-Agent` header. Default `s3lite/<version>`.
    UserAgent,
    /// `default_content_type`: `Content-Type` of uploads whose key suffix is
    /// not in the built-in table.
    DefaultContentType,
    /// `max_retries`: retries after the first attempt. Default 10.
    MaxRetries,
    /// `retry_timeout`: no retry starts after this long. Default 3 min.
    RetryTimeout,
    /// `init_backoff` (alias `backoff_init`): the first backoff. Default 100 ms.
    InitBackoff,
    /// `max_backoff` (alias `backoff_max`): the longest backoff. Default 15 s.
    MaxBackoff,
    /// `backoff_base` (alias `base`): growth of the backoff. Default 2.
    BackoffBase,
}

/// What a key configures, for grouping in docs and in `client_options()` /
/// What kind of value a key takes; decides how its string is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValueKind {
    /// `1/true/on/yes/y` or `0/false/off/no/n`.
    Bool,
    /// `30s`, `500ms`, `2m`, `1h`, `1m30s` or plain seconds.
    Duration,
    /// A non-negative integer.
    Count,
    /// A number (the backoff base).
    Number,
    /// A name from a fixed set or a small grammar (checksum algorithm,
    /// encryption, `conditional_put`, `copy_if_not_exists`).
    Choice,
    /// Free text: names, URLs, paths, secrets.
    Text,
}

/// `retry()` overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyGroup {
    /// Bucket, region, endpoint, credentials and S3 behaviour.
    Store,
    /// Options of the HTTP client.
    Client,
    /// Retry and backoff.
    Retry,
}

struct KeyInfo {
    key: S3ConfigKey,
    name: &'static str,
    aliases: &'static [&'static str],
    /// Environment variables read besides `AWS_<NAME>` and `AWS_<ALIAS>`.
    extra_env: &'static [&'static str],
    group: KeyGroup,
    secret: bool,
    default: &'static str,
}

const fn info(
    key: S3ConfigKey,
    name: &'static str,
    aliases: &'static [&'static str],
    group: KeyGroup,
    default: &'static str,
) -> KeyInfo {
    KeyInfo {
        key,
        name,
        aliases,
        extra_env: &[],
        group,
        secret: false,
        default,
    }
}

const fn secret(mut i: KeyInfo) -> KeyInfo {
    i.secret = true;
    i
}

const fn env(mut i: KeyInfo, extra: &'static [&'static str]) -> KeyInfo {
    i.extra_env = extra;
    i
}

use KeyGroup::{Client, Retry, Store};
use S3ConfigKey as K;

/// Every key, in documentation order.
const KEYS: &[KeyInfo] = &[
    info(
        K::AccessKeyId,
        "access_key_id",
        &[],
        Store,
        "from the environment",
    ),
    secret(info(
        K::SecretAccessKey,
        "secret_access_key",
        &[],
        Store,
        "from the environment",
    )),
    secret(info(
        K::SessionToken,
        "session_token",
        &["token"],
        Store,
        "none",
    )),
    info(
        K::Region,
        "region",
        &[],
        Store,
        "`default_region`, else the profile's `region`, else `us-east-1`",
    ),
    info(K::DefaultRegion, "default_region", &[], Store, "none"),
    info(K::Bucket, "bucket", &["bucket_name"], Store, "required"),
    env(
        info(
            K::Endpoint,
            "endpoint",
            &["endpoint_url"],
            Store,
            "AWS for the region",
        ),
        &["S3_ENDPOINT_URL"],
    ),
    info(K::EndpointUrlS3, "endpoint_url_s3", &[], Store, "none"),
    info(
        K::VirtualHostedStyleRequest,
        "virtual_hosted_style_request",
        &[],
        Store,
        "AWS's rule on AWS (virtual-hosted for host-label names), path style on custom endpoints",
    ),
    info(K::UnsignedPayload, "unsigned_payload", &[], Store, "false"),
    info(K::SkipSignature, "skip_signature", &[], Store, "false"),
    info(
        K::DualStack,
        "use_dualstack_endpoint",
        &["dualstack", "dual_stack"],
        Store,
        "false",
    ),
    info(K::Fips, "use_fips_endpoint", &["fips"], Store, "false"),
    info(
        K::Accelerate,
        "use_accelerate_endpoint",
        &[
            "s3_use_accelerate_endpoint",
            "transfer_acceleration",
            "accelerate",
        ],
        Store,
        "false",
    ),
    info(
        K::S3UsEast1RegionalEndpoint,
        "s3_us_east_1_regional_endpoint",
        &["us_east_1_regional_endpoint"],
        Store,
        "regional",
    ),
    info(
        K::UseArnRegion,
        "use_arn_region",
        &["s3_use_arn_region"],
        Store,
        "true",
    ),
    info(
        K::DisableMultiRegionAccessPoints,
        "disable_multi_region_access_points",
        &[
            "s3_disable_multiregion_access_points",
            "disable_multiregion_access_points",
        ],
        Store,
        "false",
    ),
    info(
        K::ChecksumAlgorithm,
        "checksum_algorithm",
        &[],
        Store,
        "none",
    ),
    info(
        K::RequestChecksumCalculation,
        "request_checksum_calculation",
        &[],
        Store,
        "when_supported on AWS, when_required on custom endpoints",
    ),
    info(
        K::ResponseChecksumValidation,
        "response_checksum_validation",
        &[],
        Store,
        "when_supported on AWS, when_required on custom endpoints",
    ),
    info(K::ConditionalPut, "conditional_put", &[], Store, "etag"),
    info(K::CopyIfNotExists, "copy_if_not_exists", &[], Store, "none"),
    info(K::DisableTagging, "disable_tagging", &[], Store, "false"),
    env(
        info(
            K::CannedAcl,
            "canned_acl",
            &["acl"],
            Store,
            "none (the bucket's default)",
        ),
        &["S3_CANNED_ACL"],
    ),
    info(
        K::DisableBulkDelete,
        "disable_bulk_delete",
        &[],
        Store,
        "false",
    ),
    info(
        K::RequestPayer,
        "request_payer",
        &["requester_pays"],
        Store,
        "false",
    ),
    info(K::S3Express, "s3_express", &[], Store, "false"),
    info(K::ImdsV1Fallback, "imdsv1_fallback", &[], Store, "false"),
    info(
        K::MetadataEndpoint,
        "metadata_endpoint",
        &["ec2_metadata_service_endpoint"],
        Store,
        "http://169.254.169.254",
    ),
    info(
        K::ContainerCredentialsRelativeUri,
        "container_credentials_relative_uri",
        &[],
        Store,
        "none",
    ),
    info(
        K::ContainerCredentialsFullUri,
        "container_credentials_full_uri",
        &[],
        Store,
        "none",
    ),
    info(
        K::ContainerAuthorizationTokenFile,
        "container_authorization_token_file",
        &[],
        Store,
        "none",
    ),
    info(
        K::WebIdentityTokenFile,
        "web_identity_token_file",
        &[],
        Store,
        "none",
    ),
    info(K::RoleArn, "role_arn", &[], Store, "none"),
    info(K::RoleSessionName, "role_session_name", &[], Store, "none"),
    info(K::EndpointUrlSts, "endpoint_url_sts", &[], Store, "AWS STS"),
    info(
        K::ServerSideEncryption,
        "server_side_encryption",
        &[],
        Store,
        "the bucket's default",
    ),
    info(K::SseKmsKeyId, "sse_kms_key_id", &[], Store, "none"),
    info(
        K::SseBucketKeyEnabled,
        "sse_bucket_key_enabled",
        &[],
        Store,
        "the bucket's default",
    ),
    secret(info(
        K::SseCustomerKeyBase64,
        "sse_customer_key_base64",
        &[],
        Store,
        "none",
    )),
    info(K::AllowHttp, "allow_http", &[], Client, "false"),
    info(
        K::AllowInvalidCertificates,
        "allow_invalid_certificates",
        &[],
        Client,
        "false",
    ),
    info(
        K::RootCertificates,
        "root_certificates",
        &["root_certificate", "ca_bundle"],
        Client,
        "Mozilla roots only",
    ),
    info(K::ConnectTimeout, "connect_timeout", &[], Client, "5s"),
    info(K::Timeout, "timeout", &["request_timeout"], Client, "30s"),
    info(
        K::ReadTimeout,
        "read_timeout",
        &["idle_timeout"],
        Client,
        "30s",
    ),
    info(K::PoolIdleTimeout, "pool_idle_timeout", &[], Client, "90s"),
    info(
        K::PoolMaxIdlePerHost,
        "pool_max_idle_per_host",
        &[],
        Client,
        "unlimited",
    ),
    info(K::Http1Only, "http1_only", &[], Client, "true"),
    info(K::Http2Only, "http2_only", &[], Client, "false"),
    info(
        K::Http2KeepAliveInterval,
        "http2_keep_alive_interval",
        &[],
        Client,
        "none",
    ),
    info(
        K::Http2KeepAliveTimeout,
        "http2_keep_alive_timeout",
        &[],
        Client,
        "20s",
    ),
    info(
        K::Http2KeepAliveWhileIdle,
        "http2_keep_alive_while_idle",
        &[],
        Client,
        "false",
    ),
    info(
        K::Http2MaxFrameSize,
        "http2_max_frame_size",
        &[],
        Client,
        "16384",
    ),
    info(
        K::RandomizeAddresses,
        "randomize_addresses",
        &[],
        Client,
        "false",
    ),
    env(
        info(K::ProxyUrl, "proxy_url", &[], Client, "none"),
        &["ALL_PROXY", "all_proxy"],
    ),
    env(
        info(K::HttpsProxy, "https_proxy", &[], Client, "none"),
        &["HTTPS_PROXY", "https_proxy"],
    ),
    env(
        info(K::HttpProxy, "http_proxy", &[], Client, "none"),
        &["HTTP_PROXY", "http_proxy"],
    ),
    info(
        K::ProxyCaCertificate,
        "proxy_ca_certificate",
        &[],
        Client,
        "none",
    ),
    env(
        info(
            K::ProxyExcludes,
            "proxy_excludes",
            &["no_proxy"],
            Client,
            "none",
        ),
        &["NO_PROXY", "no_proxy"],
    ),
    info(K::UserAgent, "user_agent", &[], Client, "s3lite/<version>"),
    info(
        K::DefaultContentType,
        "default_content_type",
        &[],
        Client,
        "none",
    ),
    info(K::MaxRetries, "max_retries", &[], Retry, "10"),
    info(K::RetryTimeout, "retry_timeout", &[], Retry, "180s"),
    info(
        K::InitBackoff,
        "init_backoff",
        &["backoff_init", "initial_backoff"],
        Retry,
        "100ms",
    ),
    info(K::MaxBackoff, "max_backoff", &["backoff_max"], Retry, "15s"),
    info(K::BackoffBase, "backoff_base", &["base"], Retry, "2"),
];

impl S3ConfigKey {
    /// Every key, in documentation order.
    pub fn all() -> impl Iterator<Item = S3ConfigKey> {
        KEYS.iter().map(|i| i.key)
    }

    fn info(self) -> &'static KeyInfo {
        // Every variant has exactly one row; `all_keys_have_one_row` checks it.
        KEYS.iter().find(|i| i.key == self).unwrap_or(&KEYS[0])
    }

    /// The canonical lower-case name (`region`).
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// Other accepted names (`token` for `session_token`); each also works
    /// with an `aws_` prefix and in any case.
    pub fn aliases(self) -> &'static [&'static str] {
        self.info().aliases
    }

    /// What the key configures.
    pub fn group(self) -> KeyGroup {
        self.info().group
    }

    /// Whether the value is a secret, shown as `***` in errors and `Debug`.
    pub fn is_secret(self) -> bool {
        self.info().secret
    }

    /// What kind of value this key takes.
    pub fn value_kind(self) -> ValueKind {
        match self {
            K::VirtualHostedStyleRequest
            | K::UnsignedPayload
            | K::SkipSignature
            | K::DualStack
            | K::Fips
            | K::Accelerate
            | K::UseArnRegion
            | K::DisableMultiRegionAccessPoints
            | K::DisableTagging
            | K::DisableBulkDelete
            | K::RequestPayer
            | K::S3Express
            | K::ImdsV1Fallback
            | K::SseBucketKeyEnabled
            | K::AllowHttp
            | K::AllowInvalidCertificates
            | K::Http1Only
            | K::Http2Only
            | K::Http2KeepAliveWhileIdle
            | K::RandomizeAddresses => ValueKind::Bool,
            K::ConnectTimeout
            | K::Timeout
            | K::ReadTimeout
            | K::PoolIdleTimeout
            | K::Http2KeepAliveInterval
            | K::Http2KeepAliveTimeout
            | K::RetryTimeout
            | K::InitBackoff
            | K::MaxBackoff => ValueKind::Duration,
            K::PoolMaxIdlePerHost | K::MaxRetries | K::Http2MaxFrameSize => ValueKind::Count,
            K::BackoffBase => ValueKind::Number,
            K::ChecksumAlgorithm
            | K::RequestChecksumCalculation
            | K::ResponseChecksumValidation
            | K::ServerSideEncryption
            | K::ConditionalPut
            | K::CopyIfNotExists
            | K::CannedAcl
            | K::S3UsEast1RegionalEndpoint => ValueKind::Choice,
            _ => ValueKind::Text,
        }
    }

    /// The default, in words, as the README shows it.
    pub fn default_description(self) -> &'static str {
        self.info().default
    }

    /// The environment variables `from_env` reads for this key, first found
    /// wins: `AWS_<NAME>`, then `AWS_<ALIAS>` for each alias, then the
    /// conventional names (`HTTPS_PROXY`, `NO_PROXY`, ...).
    pub fn env_names(self) -> Vec<String> {
        let i = self.info();
        let mut names: Vec<String> = std::iter::once(i.name)
            .chain(i.aliases.iter().copied())
            .map(|n| format!("AWS_{}", n.to_ascii_uppercase()))
            .collect();
        for extra in i.extra_env {
            if !names.iter().any(|n| n == extra) {
                names.push((*extra).to_string());
            }
        }
        names
    }

    /// `value` as it may be shown: `***` for secrets.
    /// URLs lose their user information (`http://***@proxy:3128`, also
    /// without a scheme: `***@proxy:3128`).
    pub fn display_value(self, value: &str) -> String {
        if self.is_secret() {
            return "***".to_string();
        }
        crate::redact::without_userinfo(value).into_owned()
    }

    /// An [`ErrorKind::InvalidConfig`] error naming this key and showing
    /// `value` (or `***` for a secret).
    pub fn invalid(self, value: &str, why: impl fmt::Display) -> Error {
        Error::invalid_config(self.name(), &self.display_value(value), why)
    }

    /// An [`ErrorKind::NotImplemented`] error naming this key.
    pub fn not_implemented(self, value: &str, why: impl fmt::Display) -> Error {
        Error::new(
            ErrorKind::NotImplemented,
            format!("{} = {:?}: {why}", self.name(), self.display_value(value)),
        )
    }
}

impl AsRef<str> for S3ConfigKey {
    fn as_ref(&self) -> &str {
        self.name()
    }
}

impl fmt::Display for S3ConfigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for S3ConfigKey {
    type Err = Error;

    /// Accepts the canonical name or an alias, in any case, with or without
    /// an `aws_` prefix; also the conventional proxy variables.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfig`] for an unknown name.
    fn from_str(s: &str) -> Result<Self> {
        let lower = s.trim().to_ascii_lowercase();
        let bare = lower.strip_prefix("aws_").unwrap_or(&lower);
        KEYS.iter()
            .find(|i| i.name == bare || i.aliases.contains(&bare))
            .or_else(|| {
                KEYS.iter()
                    .find(|i| i.extra_env.iter().any(|e| e.eq_ignore_ascii_case(&lower)))
            })
            .map(|i| i.key)
            .ok_or_else(|| Error::invalid_config("config key", s, "unknown configuration key"))
    }
}

/// Reads every key's environment variables through `get`; the first
/// non-empty value of each key wins. Returns `(key, variable, value)`.
///
/// ```
/// use s3lite::config::{S3ConfigKey, read_env};
/// let found = read_env(|name| (name == "AWS_REGION").then(|| "eu-west-1".to_string()));
/// assert_eq!(found[0].0, S3ConfigKey::Region);
/// ```
pub fn read_env(get: impl Fn(&str) -> Option<String>) -> Vec<(S3ConfigKey, String, String)> {
    let mut found = Vec::new();
    for key in S3ConfigKey::all() {
        for name in key.env_names() {
            if let Some(value) = get(&name).filter(|v| !v.trim().is_empty()) {
                found.push((key, name, value));
                break;
            }
        }
    }
    found
}

/// The README table of every key: name, aliases, environment variables,
/// default. `tests/config.rs` checks the README holds it.
pub fn markdown_table() -> String {
    let mut out = String::from("| key | aliases | environment | default |\n|---|---|---|---|\n");
    for key in S3ConfigKey::all() {
        let code = |s: &str| format!("`{s}`");
        let aliases: Vec<String> = key.aliases().iter().map(|a| code(a)).collect();
        let env: Vec<String> = key.env_names().iter().map(|e| code(e)).collect();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            key.name(),
            aliases.join(", "),
            env.join(", "),
            key.default_description()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_keys_have_one_row() {
        let mut seen = std::collections::HashSet::new();
        for i in KEYS {
            assert!(seen.insert(i.key), "{:?} twice", i.key);
            assert!(!i.name.starts_with("aws_"), "{}", i.name);
        }
    }

    #[test]
    fn names_and_aliases_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for i in KEYS {
            for n in std::iter::once(&i.name).chain(i.aliases) {
                assert!(seen.insert(*n), "{n} names two keys");
            }
        }
    }

    #[test]
    fn every_key_round_trips_through_its_names() {
        for key in S3ConfigKey::all() {
            assert_eq!(key.as_ref().parse::<S3ConfigKey>().ok(), Some(key));
            for name in key.env_names() {
                assert_eq!(name.parse::<S3ConfigKey>().ok(), Some(key), "{name}");
            }
            for alias in key.aliases() {
                let upper = format!("Aws_{}", alias.to_ascii_uppercase());
                assert_eq!(upper.parse::<S3ConfigKey>().ok(), Some(key), "{upper}");
            }
        }
    }

    #[test]
    fn unknown_key_is_invalid_config_naming_it() {
        let e = "aws_regoin".parse::<S3ConfigKey>().expect_err("unknown");
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(e.to_string().contains("aws_regoin"), "{e}");
    }
}
