//! [`S3StoreBuilder`]: typed setters, `with_config`, `from_env`, `from_url`;
//! validated by `build()` (in `builder/build.rs`).
//!
//! Every value remembers where it came from, and a value only replaces one
//! from the same or a weaker source: explicit setters and `with_config`
//! beat the URL, which beats the environment, which beats the defaults,
//! whatever order the calls come in.

mod build;
mod value;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{
    CannedAcl, ChecksumAlgorithm, ChecksumWhen, ConditionalPut, CopyIfNotExists, S3ConfigKey,
    ServerSideEncryption,
};
use crate::credentials::CredentialProvider;
use crate::error::Error;
use crate::retry::{Clock, RetryConfig};
use crate::store::TransferConfig;
use crate::transport::{ClientOptions, HttpClient};

use value::{Source, Value};

/// Builds an [`S3Store`](super::S3Store); `build()` checks every value and
/// names the bad one.
///
/// ```
/// let store = s3lite::S3Store::builder()
///     .bucket("photos")
///     .region("eu-west-1")
///     .access_key_id("AKIDEXAMPLE")
///     .secret_access_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
///     .build()?;
/// assert_eq!(store.bucket(), "photos");
///
/// // The same from strings, as obstore's config dictionaries spell them:
/// use s3lite::config::S3ConfigKey;
/// let store = s3lite::S3StoreBuilder::from_url("s3://photos/2026/")
///     .with_config("aws_region".parse::<S3ConfigKey>()?, "eu-west-1")
///     .with_config(S3ConfigKey::SkipSignature, "true")
///     .build()?;
/// assert_eq!(store.prefix(), Some("2026"));
/// # Ok::<(), s3lite::Error>(())
/// ```
#[derive(Default)]
pub struct S3StoreBuilder {
    values: BTreeMap<S3ConfigKey, (Value, Source)>,
    prefix: Option<(String, Source)>,
    /// The first bad value given; `build()` returns it.
    error: Option<Error>,
    credentials: Option<Arc<dyn CredentialProvider>>,
    client: Option<Arc<dyn HttpClient>>,
    client_options: Option<ClientOptions>,
    retry: Option<RetryConfig>,
    root_certificates: Vec<Vec<u8>>,
    default_headers: http::HeaderMap,
    content_types: Vec<(String, String)>,
    transfer: Option<TransferConfig>,
    /// Time source of the request loop (tests inject a virtual clock).
    pub(crate) clock: Option<Arc<dyn Clock>>,
    /// Where the default credential chain reads its variables.
    env: EnvSource,
    /// The first bad value read from the environment; `build()` returns it
    /// unless [`without_env`](S3StoreBuilder::without_env) dropped it.
    env_error: Option<Error>,
}

/// The environment the builder and its default credential chain read.
#[derive(Clone, Default)]
enum EnvSource {
    /// None: nothing is read (`without_env`, `Default`).
    #[default]
    Off,
    /// The process environment.
    Process,
    /// The credential chain's variables, read once through the function
    /// given to `from_env_with`.
    Captured(Arc<Vec<(&'static str, String)>>),
}

impl EnvSource {
    /// The variable `name`, as the default credential chain reads it.
    fn get(&self, name: &str) -> Option<String> {
        match self {
            EnvSource::Off => None,
            EnvSource::Process => std::env::var(name).ok(),
            EnvSource::Captured(vars) => vars
                .iter()
                .find(|(var, _)| *var == name)
                .map(|(_, value)| value.clone()),
        }
    }
}

impl S3StoreBuilder {
    /// A builder that reads the process environment, as obstore's
    /// constructors do: every `AWS_*` variable that names a key (and
    /// `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`; see
    /// [`S3ConfigKey::env_names`]), at the weakest precedence: explicit
    /// setters and `with_config` win, then a URL, then the environment,
    /// whatever order the calls come in. The default credential chain reads
    /// the environment too. [`without_env`](Self::without_env) turns both off.
    pub fn new() -> Self {
        Self::from_env()
    }

    /// The same as [`new`](Self::new): the process environment, at the
    /// weakest precedence.
    pub fn from_env() -> Self {
        let mut builder = Self::read_env(|name| std::env::var(name).ok());
        builder.env = EnvSource::Process;
        builder
    }

    /// As [`from_env`](Self::from_env), reading variables through `get`
    /// instead of the process environment (for the keys, and for the
    /// default credential chain), so tests and sandboxes need not touch it.
    /// Empty values count as unset; a bad value is reported by `build()`,
    /// naming the variable.
    ///
    /// ```
    /// let store = s3lite::S3StoreBuilder::from_env_with(|name| match name {
    ///     "AWS_BUCKET" => Some("photos".into()),
    ///     "AWS_REGION" => Some("eu-west-1".into()),
    ///     "AWS_SKIP_SIGNATURE" => Some("yes".into()),
    ///     _ => None,
    /// })
    /// .build()?;
    /// assert_eq!(store.region(), "eu-west-1");
    /// # Ok::<(), s3lite::Error>(())
    /// ```
    pub fn from_env_with(get: impl Fn(&str) -> Option<String>) -> Self {
        let mut builder = Self::read_env(&get);
        let captured = crate::credentials::CHAIN_VARIABLES
            .iter()
            .filter_map(|name| Some((*name, get(name)?)))
            .collect();
        builder.env = EnvSource::Captured(Arc::new(captured));
        builder
    }

    /// Forgets everything read from the environment (values and their
    /// errors), and keeps the default credential chain from reading it: only
    /// what is set on the builder counts. For tests and sandboxes.
    ///
    /// ```
    /// let store = s3lite::S3Store::builder()
    ///     .without_env()
    ///     .bucket("b1")
    ///     .skip_signature(true)
    ///     .build()?;
    /// assert_eq!(store.region(), "us-east-1"); // whatever AWS_REGION says
    /// # Ok::<(), s3lite::Error>(())
    /// ```
    pub fn without_env(mut self) -> Self {
        self.values.retain(|_, (_, source)| *source != Source::Env);
        self.env_error = None;
        self.env = EnvSource::Off;
        self
    }

    /// A builder holding the variables `get` gives.
    fn read_env(get: impl Fn(&str) -> Option<String>) -> Self {
        let mut builder = Self::default();
        for (key, var, raw) in crate::config::read_env(get) {
            builder.set_raw(key, &raw, Source::Env, Some(&var));
        }
        builder
    }

    /// A builder from a storage URL (`s3://bucket/prefix`,
    /// `https://bucket.s3.region.amazonaws.com/prefix`, R2, ...; see
    /// [`parse_url`](crate::endpoint::parse_url)), reading the process
    /// environment like [`new`](Self::new). Explicit setters win over what
    /// the URL says, and the URL over the environment.
    pub fn from_url(url: &str) -> Self {
        Self::new().with_url(url)
    }

    /// Applies a storage URL: bucket, region, endpoint, dual-stack / FIPS /
    /// acceleration switches and prefix, at lower precedence than explicit
    /// setters and higher than the environment. A malformed URL is reported
    /// by `build()`.
    pub fn with_url(mut self, url: &str) -> Self {
        match crate::endpoint::parse_url(url) {
            Ok(parsed) => {
                let s = Source::Url;
                if let Some(b) = parsed.bucket {
                    self.put(S3ConfigKey::Bucket, Value::Text(b), s);
                }
                if let Some(r) = parsed.region {
                    self.put(S3ConfigKey::Region, Value::Text(r), s);
                }
                if let Some(e) = parsed.endpoint {
                    self.put(S3ConfigKey::Endpoint, Value::Text(e), s);
                }
                for (key, on) in [
                    (S3ConfigKey::DualStack, parsed.dual_stack),
                    (S3ConfigKey::Fips, parsed.fips),
                    (S3ConfigKey::Accelerate, parsed.accelerate),
                ] {
                    if on {
                        self.put(key, Value::Bool(true), s);
                    }
                }
                if let Some(p) = parsed.prefix {
                    self.set_prefix(p, s);
                }
            }
            Err(e) => self.fail(e),
        }
        self
    }

    /// Sets `key` from its string form, as obstore's config does
    /// (`"true"`, `"30s"`, ...). A bad value is reported by `build()`,
    /// naming the key and showing the value (`***` for secrets).
    pub fn with_config(mut self, key: S3ConfigKey, value: impl Into<String>) -> Self {
        self.set_raw(key, &value.into(), Source::Explicit, None);
        self
    }

    /// The value of `key` as a string, if set (secrets included: handle with
    /// care).
    pub fn get_config_value(&self, key: S3ConfigKey) -> Option<String> {
        self.values.get(&key).map(|(v, _)| v.to_string())
    }

    /// The prefix inside the bucket applied to every key: `put("a")` writes
    /// `<prefix>/a`, and listings show keys without it. Leading and
    /// trailing `/` are ignored; empty means none.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.set_prefix(prefix.into(), Source::Explicit);
        self
    }

    /// A credential provider, used instead of static keys and the default
    /// sources.
    pub fn credentials(mut self, provider: impl CredentialProvider) -> Self {
        self.credentials = Some(Arc::new(provider));
        self
    }

    /// A custom HTTP client, used instead of the default one. Explicitly
    /// set client options (other than `allow_http`) are then an error.
    pub fn http_client(mut self, client: impl HttpClient) -> Self {
        self.client = Some(Arc::new(client));
        self
    }

    /// All options of the default HTTP client at once. Replaces every
    /// client option set before (from any source); later setters refine it.
    pub fn client_options(mut self, options: ClientOptions) -> Self {
        self.values
            .retain(|k, _| k.group() != crate::config::KeyGroup::Client);
        self.client_options = Some(options);
        self
    }

    /// Part size, multipart threshold and concurrency of the transfer
    /// helpers (`put_stream`, `upload_file`, `download_file`, ...); boto3's
    /// defaults otherwise. `build()` checks it against S3's limits.
    pub fn transfer_config(mut self, config: TransferConfig) -> Self {
        self.transfer = Some(config);
        self
    }

    /// Retry limits and backoff at once. Replaces every retry option set
    /// before (from any source); later setters refine it.
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.values
            .retain(|k, _| k.group() != crate::config::KeyGroup::Retry);
        self.retry = Some(retry);
        self
    }

    /// The clock the request loop signs with, measures
    /// [`RetryConfig::retry_timeout`] with and sleeps on between retries;
    /// default [`SystemClock`](crate::retry::SystemClock). Tests pass a
    /// virtual clock to run backoff without waiting.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Trusts the certificates of a PEM document (one or more
    /// `CERTIFICATE` sections) next to the Mozilla roots.
    pub fn root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates.push(pem.into());
        self
    }

    /// A header sent with every request that does not carry it; it wins
    /// over the transport's automatic `User-Agent` and `Connection:
    /// keep-alive`. Not signed: use it for `x-*` headers of proxies and
    /// gateways (or `connection: close`), never `x-amz-*`. A bad name or
    /// value is reported by `build()`.
    pub fn default_header(mut self, name: &str, value: &str) -> Self {
        match (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            (Ok(n), Ok(v)) => {
                self.default_headers.append(n, v);
            }
            _ => self.fail(Error::invalid_config(
                "default_headers",
                &format!("{name}: {value}"),
                "is not a valid HTTP header",
            )),
        }
        self
    }

    /// The `Content-Type` of uploads whose key ends in `.<suffix>`; wins
    /// over the built-in table ([`content_type_for`](crate::config::content_type_for)).
    pub fn content_type_for_suffix(mut self, suffix: &str, content_type: &str) -> Self {
        if http::HeaderValue::from_str(content_type).is_err() {
            self.fail(Error::invalid_config(
                "content_type",
                content_type,
                "is not a valid header value",
            ));
        }
        self.content_types.push((
            suffix.trim_start_matches('.').to_ascii_lowercase(),
            content_type.to_string(),
        ));
        self
    }

    fn put(&mut self, key: S3ConfigKey, value: Value, source: Source) {
        match self.values.get(&key) {
            Some((_, old)) if *old > source => {}
            _ => {
                self.values.insert(key, (value, source));
            }
        }
    }

    fn set_raw(&mut self, key: S3ConfigKey, raw: &str, source: Source, var: Option<&str>) {
        match (value::parse(key, raw), var) {
            (Ok(v), _) => self.put(key, v, source),
            (Err(e), Some(var)) => {
                self.env_error
                    .get_or_insert_with(|| e.context(format!("from {var}")));
            }
            (Err(e), None) => self.fail(e),
        }
    }

    fn set_prefix(&mut self, prefix: String, source: Source) {
        match &self.prefix {
            Some((_, old)) if *old > source => {}
            _ => self.prefix = Some((prefix, source)),
        }
    }

    fn fail(&mut self, e: Error) {
        self.error.get_or_insert(e);
    }
}

/// One typed setter per key: `fn name(self, value) -> Self`.
macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident($ty:ty) => $key:ident, $wrap:expr;)*) => {
        impl S3StoreBuilder {
            $(
                $(#[$doc])*
                pub fn $name(mut self, value: $ty) -> Self {
                    #[allow(clippy::redundant_closure_call, reason = "the macro's value conversion")]
                    let v = ($wrap)(value);
                    self.put(S3ConfigKey::$key, v, Source::Explicit);
                    self
                }
            )*
        }
    };
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

setters! {
    /// The bucket (required).
    bucket(impl Into<String>) => Bucket, text;
    /// The region requests are signed for; default `default_region`, else `us-east-1`.
    region(impl Into<String>) => Region, text;
    /// The region used when `region` is not set.
    default_region(impl Into<String>) => DefaultRegion, text;
    /// A custom endpoint such as `http://127.0.0.1:9000` (MinIO, Ceph,
    /// LocalStack, R2). Requests then default to path style.
    endpoint(impl Into<String>) => Endpoint, text;
    /// A custom endpoint for S3 only; wins over `endpoint` from the same source.
    endpoint_url_s3(impl Into<String>) => EndpointUrlS3, text;
    /// `true` asks for AWS's addressing rule (virtual-hosted where the name
    /// can be a host label) also on custom endpoints, `false` forces path style.
    virtual_hosted_style_request(bool) => VirtualHostedStyleRequest, Value::Bool;
    /// The access key id of static credentials.
    access_key_id(impl Into<String>) => AccessKeyId, text;
    /// The secret access key of static credentials.
    secret_access_key(impl Into<String>) => SecretAccessKey, text;
    /// The session token of static temporary credentials.
    session_token(impl Into<String>) => SessionToken, text;
    /// Sends requests unsigned, for public buckets; no credentials are looked up.
    skip_signature(bool) => SkipSignature, Value::Bool;
    /// Signs bodies as `UNSIGNED-PAYLOAD` instead of hashing them.
    unsigned_payload(bool) => UnsignedPayload, Value::Bool;
    /// AWS dual-stack (IPv4 + IPv6) endpoints.
    dual_stack(bool) => DualStack, Value::Bool;
    /// AWS FIPS endpoints.
    fips(bool) => Fips, Value::Bool;
    /// S3 Transfer Acceleration endpoints.
    transfer_acceleration(bool) => Accelerate, Value::Bool;
    /// `regional` (default) or `legacy`: `legacy` sends `us-east-1` requests
    /// to the global endpoint `s3.amazonaws.com`.
    s3_us_east_1_regional_endpoint(impl Into<String>) => S3UsEast1RegionalEndpoint, text;
    /// Whether an access point ARN of another region is used in its own
    /// region (default `true`) or refused.
    use_arn_region(bool) => UseArnRegion, Value::Bool;
    /// Refuses Multi-Region Access Point ARNs with AWS's error.
    disable_multi_region_access_points(bool) => DisableMultiRegionAccessPoints, Value::Bool;
    /// The checksum of uploads (`x-amz-checksum-*`) and the check of
    /// downloads; see `request_checksum_calculation`.
    checksum_algorithm(ChecksumAlgorithm) => ChecksumAlgorithm, Value::Checksum;
    /// When uploads carry a checksum: `WhenSupported` (every PutObject and
    /// UploadPart, CRC32 unless `checksum_algorithm` says otherwise) or
    /// `WhenRequired`. Default: `WhenSupported` on AWS, `WhenRequired` on
    /// custom endpoints.
    request_checksum_calculation(ChecksumWhen) => RequestChecksumCalculation, Value::ChecksumWhen;
    /// When downloads are checked: `WhenSupported` (every GET asks for the
    /// checksum and checks it) or `WhenRequired` (only with
    /// `checksum_algorithm`). Default: as `request_checksum_calculation`.
    response_checksum_validation(ChecksumWhen) => ResponseChecksumValidation, Value::ChecksumWhen;
    /// How conditional puts work: `etag` (default), `disabled`, or a DynamoDB lock table.
    conditional_put(ConditionalPut) => ConditionalPut, Value::ConditionalPut;
    /// How "copy if not exists" works: S3's `If-None-Match` (unset: on AWS only; refused on custom endpoints), `multipart`, a header, or DynamoDB.
    copy_if_not_exists(CopyIfNotExists) => CopyIfNotExists, Value::CopyIfNotExists;
    /// Never send object tags (`PutOptions::tags`).
    disable_tagging(bool) => DisableTagging, Value::Bool;
    /// The canned ACL of every object written (`x-amz-acl`), unless a write's `PutOptions::acl` names one.
    canned_acl(CannedAcl) => CannedAcl, Value::Acl;
    /// `delete_many` sends one DeleteObject per key instead of DeleteObjects.
    disable_bulk_delete(bool) => DisableBulkDelete, Value::Bool;
    /// Requester-pays buckets: `x-amz-request-payer: requester` on every request and presigned URL.
    request_payer(bool) => RequestPayer, Value::Bool;
    /// S3 Express One Zone session auth (CreateSession) for a custom zonal endpoint; directory buckets on AWS get it without this key.
    s3_express(bool) => S3Express, Value::Bool;
    /// IMDSv1 fallback of instance credentials.
    imdsv1_fallback(bool) => ImdsV1Fallback, Value::Bool;
    /// The EC2 instance metadata endpoint.
    metadata_endpoint(impl Into<String>) => MetadataEndpoint, text;
    /// ECS task credentials path.
    container_credentials_relative_uri(impl Into<String>) => ContainerCredentialsRelativeUri, text;
    /// Container credentials URL.
    container_credentials_full_uri(impl Into<String>) => ContainerCredentialsFullUri, text;
    /// File holding the container credentials authorization token.
    container_authorization_token_file(impl Into<String>) => ContainerAuthorizationTokenFile, text;
    /// OIDC token file for AssumeRoleWithWebIdentity.
    web_identity_token_file(impl Into<String>) => WebIdentityTokenFile, text;
    /// The role to assume with a web identity token.
    role_arn(impl Into<String>) => RoleArn, text;
    /// The session name of the assumed role.
    role_session_name(impl Into<String>) => RoleSessionName, text;
    /// A custom STS endpoint.
    endpoint_url_sts(impl Into<String>) => EndpointUrlSts, text;
    /// Server-side encryption: `AES256`, `aws:kms`, `aws:kms:dsse` or `sse-c`.
    server_side_encryption(ServerSideEncryption) => ServerSideEncryption, Value::Encryption;
    /// The KMS key of `aws:kms` encryption.
    sse_kms_key_id(impl Into<String>) => SseKmsKeyId, text;
    /// S3 Bucket Keys for KMS encryption.
    sse_bucket_key_enabled(bool) => SseBucketKeyEnabled, Value::Bool;
    /// The base64 256-bit SSE-C key.
    sse_customer_key_base64(impl Into<String>) => SseCustomerKeyBase64, text;
    /// Allows `http://` endpoints (off by default).
    allow_http(bool) => AllowHttp, Value::Bool;
    /// Accepts any server certificate. **Dangerous**; local tests only.
    allow_invalid_certificates(bool) => AllowInvalidCertificates, Value::Bool;
    /// Longest TCP connect (default 5 s).
    connect_timeout(Duration) => ConnectTimeout, Value::Duration;
    /// Longest wait without progress until the response headers (default 30 s).
    timeout(Duration) => Timeout, Value::Duration;
    /// Longest gap between chunks of a response body (default 30 s).
    read_timeout(Duration) => ReadTimeout, Value::Duration;
    /// How long idle pooled connections are kept (default 90 s).
    pool_idle_timeout(Duration) => PoolIdleTimeout, Value::Duration;
    /// Most idle connections kept per host.
    pool_max_idle_per_host(usize) => PoolMaxIdlePerHost, Value::Count;
    /// HTTP/1.1 only (default `true`).
    http1_only(bool) => Http1Only, Value::Bool;
    /// HTTP/2 only (feature `http2`).
    http2_only(bool) => Http2Only, Value::Bool;
    /// HTTP/2 keep-alive PING interval (feature `http2`).
    http2_keep_alive_interval(Duration) => Http2KeepAliveInterval, Value::Duration;
    /// HTTP/2 keep-alive PING answer timeout (feature `http2`).
    http2_keep_alive_timeout(Duration) => Http2KeepAliveTimeout, Value::Duration;
    /// PING idle HTTP/2 connections too (feature `http2`).
    http2_keep_alive_while_idle(bool) => Http2KeepAliveWhileIdle, Value::Bool;
    /// Largest HTTP/2 frame accepted (feature `http2`).
    http2_max_frame_size(usize) => Http2MaxFrameSize, Value::Count;
    /// Shuffle DNS answers before connecting, to spread connections over a name's addresses.
    randomize_addresses(bool) => RandomizeAddresses, Value::Bool;
    /// The proxy of every request: `http://[user:pass@]host:port` or `https://...`.
    proxy_url(impl Into<String>) => ProxyUrl, text;
    /// The proxy of `https://` requests (wins over `proxy_url`).
    https_proxy(impl Into<String>) => HttpsProxy, text;
    /// The proxy of `http://` requests (wins over `proxy_url`).
    http_proxy(impl Into<String>) => HttpProxy, text;
    /// A PEM CA (text or file path) trusted for TLS to an `https://` proxy.
    proxy_ca_certificate(impl Into<String>) => ProxyCaCertificate, text;
    /// Comma-separated hosts, domains and CIDR ranges reached without the proxy.
    proxy_excludes(impl Into<String>) => ProxyExcludes, text;
    /// The `User-Agent` header.
    user_agent(impl Into<String>) => UserAgent, text;
    /// `Content-Type` of uploads whose suffix is not in the table.
    default_content_type(impl Into<String>) => DefaultContentType, text;
    /// Retries after the first attempt (default 10).
    max_retries(usize) => MaxRetries, Value::Count;
    /// No retry starts after this long (default 3 min).
    retry_timeout(Duration) => RetryTimeout, Value::Duration;
    /// The first backoff (default 100 ms).
    init_backoff(Duration) => InitBackoff, Value::Duration;
    /// The longest backoff (default 15 s).
    max_backoff(Duration) => MaxBackoff, Value::Duration;
    /// Growth of the backoff per retry (default 2).
    backoff_base(f64) => BackoffBase, Value::Float;
}

impl fmt::Debug for S3StoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values: Vec<String> = self
            .values
            .iter()
            .map(|(k, (v, s))| format!("{k}={:?} ({s:?})", k.display_value(&v.to_string())))
            .collect();
        f.debug_struct("S3StoreBuilder")
            .field("values", &values)
            .field("prefix", &self.prefix)
            .field("credentials", &self.credentials)
            .field("client", &self.client)
            .field("client_options", &self.client_options)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}
