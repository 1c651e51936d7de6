//! `S3StoreBuilder::build`: resolve every value, check them together, and
//! refuse inconsistent ones with `InvalidConfig` naming the key.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::S3StoreBuilder;
use super::value::{self, Source, Value};
use crate::config::{
    ChecksumAlgorithm, ChecksumWhen, KeyGroup, S3ConfigKey as K, ServerSideEncryption,
};
use crate::credentials::{
    CachingProvider, CredentialProvider, Credentials, DefaultChain, StaticProvider,
};
use crate::endpoint::{AddressingStyle, Endpoint};
use crate::error::{Error, Result};
use crate::retry::{RetryConfig, SystemClock};
use crate::store::S3Store;
use crate::store::express::ExpressSessions;
use crate::store::put::WriteSettings;
use crate::store::request::{RetryState, StoreInner};
use crate::store::settings::StoreSettings;
use crate::store::sse::Encryption;
use crate::transport::{ClientOptions, HttpClient};

impl S3StoreBuilder {
    /// Checks the configuration and builds the store.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig) naming the
    /// key and the value that is wrong (secrets as `***`): an unknown or
    /// malformed value, a missing bucket, a malformed endpoint or URL,
    /// `http://` without `allow_http`, only one of key id and secret,
    /// inconsistent encryption settings, an SSE-C key that is not 32
    /// bytes of base64, `skip_signature` with an S3 Express
    /// directory bucket (CreateSession needs credentials), a profile
    /// config file that cannot be read for its `region`.
    pub fn build(mut self) -> Result<S3Store> {
        if let Some(e) = self.error.take().or_else(|| self.env_error.take()) {
            return Err(e);
        }
        for (key, (value, _)) in &self.values {
            value::check(*key, &value.to_string(), value)?;
        }
        let bucket = self
            .text(K::Bucket)
            .ok_or_else(|| Error::invalid_config("bucket", "", "is required"))?
            .to_string();
        let region = match self.text(K::Region).or_else(|| self.text(K::DefaultRegion)) {
            Some(region) => region.to_string(),
            None => self
                .profile_region()?
                .unwrap_or_else(|| "us-east-1".to_string()),
        };
        let endpoint_url = match (
            self.values.get(&K::Endpoint),
            self.values.get(&K::EndpointUrlS3),
        ) {
            (Some((Value::Text(e), se)), Some((Value::Text(s3), ss))) => {
                Some(if se > ss { e.clone() } else { s3.clone() })
            }
            (_, Some((Value::Text(s3), _))) => Some(s3.clone()),
            (Some((Value::Text(e), _)), _) => Some(e.clone()),
            _ => None,
        };
        let options = self.resolved_client_options()?;
        let style = self.flag(K::VirtualHostedStyleRequest).map(|v| {
            if v {
                AddressingStyle::VirtualHosted
            } else {
                AddressingStyle::Path
            }
        });
        let endpoint_url_for_dynamo = endpoint_url.clone();
        let mut endpoint = Endpoint::aws(region.clone());
        endpoint.url = endpoint_url;
        endpoint.style = style;
        endpoint.allow_http = options.allow_http;
        endpoint.dual_stack = self.on(K::DualStack);
        endpoint.fips = self.on(K::Fips);
        endpoint.accelerate = self.on(K::Accelerate);
        endpoint.use_global_endpoint = self
            .text(K::S3UsEast1RegionalEndpoint)
            .is_some_and(|v| v.eq_ignore_ascii_case("legacy"));
        endpoint.use_arn_region = self.flag(K::UseArnRegion) != Some(false);
        endpoint.disable_multi_region_access_points = self.on(K::DisableMultiRegionAccessPoints);
        let endpoint = endpoint.resolve(&bucket)?;
        self.check_encryption()?;
        // S3 Express session auth: for directory buckets on AWS, or when
        // asked for (a custom zonal endpoint).
        let express = endpoint.is_express() || self.on(K::S3Express);
        let (checksum, validate_downloads) = self.integrity(endpoint_url_for_dynamo.is_some());
        let skip_signature = self.on(K::SkipSignature);
        if express && skip_signature {
            return Err(K::SkipSignature.invalid(
                "true",
                "S3 Express directory buckets need credentials for CreateSession",
            ));
        }
        let credentials = if skip_signature {
            None
        } else {
            Some(self.credential_provider()?)
        };
        let retry = self.retry_config()?;
        let client: Arc<dyn HttpClient> = match self.client.take() {
            Some(c) => {
                if let Some((key, _)) = self.values.iter().find(|(k, (_, s))| {
                    k.group() == KeyGroup::Client && **k != K::AllowHttp && *s != Source::Env
                }) {
                    return Err(key.invalid(
                        &self.get_config_value(*key).unwrap_or_default(),
                        "has no effect with a custom http_client; configure that client instead",
                    ));
                }
                c
            }
            None => default_client(&options)?,
        };
        let transfer = self.transfer.take().unwrap_or_default();
        transfer.validate()?;
        let mut settings = StoreSettings::new(
            self.prefix.take().map(|(p, _)| p),
            self.text(K::DefaultContentType).map(str::to_string),
            std::mem::take(&mut self.content_types),
            transfer,
        );
        settings.writes = self.write_settings(endpoint_url_for_dynamo)?;
        // Directory buckets do not support object tags.
        settings.writes.disable_tagging |= express;
        let clock = self.clock.take();
        let session_clock = clock.clone().unwrap_or_else(|| Arc::new(SystemClock));
        Ok(S3Store {
            inner: Arc::new_cyclic(|store| StoreInner {
                bucket,
                endpoint,
                region,
                credentials,
                client,
                retry_state: RetryState::new(&retry, clock),
                retry,
                unsigned_payload: self.on(K::UnsignedPayload),
                request_payer: self.on(K::RequestPayer),
                checksum,
                validate_downloads,
                express: express.then(|| ExpressSessions::new(store.clone(), session_clock)),
                background: Default::default(),
            }),
            settings: Arc::new(settings),
        })
    }

    /// The upload checksum in effect and whether downloads are checked:
    /// `checksum_algorithm` always; with `request_checksum_calculation =
    /// when_supported` (the default on AWS, not on `custom_endpoint`s, whose
    /// servers often reject or mangle checksum headers) CRC32 when no
    /// algorithm is set, and with `response_checksum_validation =
    /// when_supported` every GET is checked.
    fn integrity(&self, custom_endpoint: bool) -> (Option<ChecksumAlgorithm>, bool) {
        let configured = match self.values.get(&K::ChecksumAlgorithm) {
            Some((Value::Checksum(c), _)) => Some(*c),
            _ => None,
        };
        let default = if custom_endpoint {
            ChecksumWhen::WhenRequired
        } else {
            ChecksumWhen::WhenSupported
        };
        let when = |key| match self.values.get(&key) {
            Some((Value::ChecksumWhen(w), _)) => *w,
            _ => default,
        };
        let upload = match when(K::RequestChecksumCalculation) {
            ChecksumWhen::WhenSupported => configured.or(Some(ChecksumAlgorithm::Crc32)),
            _ => configured,
        };
        let validate = configured.is_some()
            || when(K::ResponseChecksumValidation) == ChecksumWhen::WhenSupported;
        (upload, validate)
    }

    fn text(&self, key: K) -> Option<&str> {
        match self.values.get(&key) {
            Some((Value::Text(s), _)) => Some(s),
            _ => None,
        }
    }

    fn flag(&self, key: K) -> Option<bool> {
        match self.values.get(&key) {
            Some((Value::Bool(b), _)) => Some(*b),
            _ => None,
        }
    }

    fn on(&self, key: K) -> bool {
        self.flag(key) == Some(true)
    }

    fn duration(&self, key: K) -> Option<Duration> {
        match self.values.get(&key) {
            Some((Value::Duration(d), _)) => Some(*d),
            _ => None,
        }
    }

    fn count(&self, key: K) -> Option<usize> {
        match self.values.get(&key) {
            Some((Value::Count(n), _)) => Some(*n),
            _ => None,
        }
    }

    /// The client options: the `client_options()` base, then each key.
    fn resolved_client_options(&self) -> Result<ClientOptions> {
        let mut o = self.client_options.clone().unwrap_or_default();
        if let Some(v) = self.flag(K::AllowHttp) {
            o.allow_http = v;
        }
        if let Some(v) = self.flag(K::AllowInvalidCertificates) {
            o.allow_invalid_certificates = v;
        }
        if let Some(v) = self.text(K::RootCertificates) {
            o.root_certificates_pem
                .push(pem_text_or_file(K::RootCertificates, v)?);
        }
        o.root_certificates_pem
            .extend(self.root_certificates.iter().cloned());
        if let Some(v) = self.duration(K::ConnectTimeout) {
            o.connect_timeout = v;
        }
        if let Some(v) = self.duration(K::Timeout) {
            o.timeout = Some(v);
        }
        if let Some(v) = self.duration(K::ReadTimeout) {
            o.read_timeout = Some(v);
        }
        if let Some(v) = self.duration(K::PoolIdleTimeout) {
            o.pool_idle_timeout = v;
        }
        if let Some(v) = self.count(K::PoolMaxIdlePerHost) {
            o.pool_max_idle_per_host = v;
        }
        if let Some(v) = self.flag(K::Http2Only) {
            o.http2_only = v;
            // Asking for HTTP/2 only turns the HTTP/1.1-only default off.
            if v && self.flag(K::Http1Only).is_none() {
                o.http1_only = false;
            }
        }
        if let Some(v) = self.flag(K::Http1Only) {
            o.http1_only = v;
        }
        if let Some(v) = self.duration(K::Http2KeepAliveInterval) {
            o.http2_keep_alive_interval = Some(v);
        }
        if let Some(v) = self.duration(K::Http2KeepAliveTimeout) {
            o.http2_keep_alive_timeout = Some(v);
        }
        if let Some(v) = self.flag(K::Http2KeepAliveWhileIdle) {
            o.http2_keep_alive_while_idle = v;
        }
        if let Some(v) = self.count(K::Http2MaxFrameSize) {
            o.http2_max_frame_size = u32::try_from(v).ok();
        }
        o.randomize_addresses = self.on(K::RandomizeAddresses);
        for (key, slot) in [
            (K::ProxyUrl, &mut o.proxy_url),
            (K::HttpsProxy, &mut o.https_proxy),
            (K::HttpProxy, &mut o.http_proxy),
        ] {
            if let Some(v) = self.text(key) {
                *slot = Some(v.to_string());
            }
        }
        if let Some(v) = self.text(K::ProxyExcludes) {
            o.proxy_excludes = vec![v.to_string()];
        }
        if let Some(v) = self.text(K::ProxyCaCertificate) {
            o.proxy_ca_certificate_pem = Some(pem_text_or_file(K::ProxyCaCertificate, v)?);
        }
        if let Some(v) = self.text(K::UserAgent) {
            o.user_agent = Some(v.to_string());
        }
        for (name, value) in &self.default_headers {
            o.default_headers.append(name.clone(), value.clone());
        }
        Ok(o)
    }

    fn retry_config(&self) -> Result<RetryConfig> {
        let mut r = self.retry.clone().unwrap_or_default();
        if let Some(v) = self.count(K::MaxRetries) {
            r.max_retries = v;
        }
        if let Some(v) = self.duration(K::RetryTimeout) {
            r.retry_timeout = v;
        }
        if let Some(v) = self.duration(K::InitBackoff) {
            r.init_backoff = v;
        }
        if let Some(v) = self.duration(K::MaxBackoff) {
            r.max_backoff = v;
        }
        if let Some((Value::Float(v), _)) = self.values.get(&K::BackoffBase) {
            r.base = *v;
        }
        if r.max_backoff < r.init_backoff {
            return Err(K::MaxBackoff.invalid(
                &format!("{}s", r.max_backoff.as_secs_f64()),
                format!(
                    "must not be shorter than init_backoff ({}s)",
                    r.init_backoff.as_secs_f64()
                ),
            ));
        }
        if !r.base.is_finite() || r.base < 1.0 {
            return Err(K::BackoffBase.invalid(&r.base.to_string(), "must be at least 1"));
        }
        Ok(r)
    }

    /// SSE keys that contradict each other are `InvalidConfig`.
    fn check_encryption(&self) -> Result<()> {
        let sse = match self.values.get(&K::ServerSideEncryption) {
            Some((Value::Encryption(e), _)) => Some(*e),
            _ => None,
        };
        let kms = matches!(
            sse,
            Some(ServerSideEncryption::Kms | ServerSideEncryption::DsseKms)
        );
        if let Some(id) = self.text(K::SseKmsKeyId)
            && !kms
        {
            return Err(K::SseKmsKeyId
                .invalid(id, "needs server_side_encryption = aws:kms or aws:kms:dsse"));
        }
        if self.flag(K::SseBucketKeyEnabled).is_some() && !kms {
            return Err(K::SseBucketKeyEnabled.invalid(
                &self
                    .get_config_value(K::SseBucketKeyEnabled)
                    .unwrap_or_default(),
                "needs server_side_encryption = aws:kms or aws:kms:dsse",
            ));
        }
        let customer_key = self.text(K::SseCustomerKeyBase64);
        match (sse, customer_key) {
            (Some(ServerSideEncryption::SseC), None) => Err(K::SseCustomerKeyBase64
                .invalid("", "is required with server_side_encryption = sse-c")),
            (Some(ServerSideEncryption::SseC), Some(_)) | (_, None) => Ok(()),
            (_, Some(key)) => {
                Err(K::SseCustomerKeyBase64.invalid(key, "needs server_side_encryption = sse-c"))
            }
        }
    }

    /// Conditional put, copy-if-not-exists, tagging, bulk delete and SSE.
    fn write_settings(&self, endpoint_url: Option<String>) -> Result<WriteSettings> {
        let mut w = WriteSettings {
            disable_tagging: self.on(K::DisableTagging),
            disable_bulk_delete: self.on(K::DisableBulkDelete),
            custom_endpoint: endpoint_url.is_some(),
            dynamo_endpoint: endpoint_url,
            ..WriteSettings::default()
        };
        if let Some((Value::ConditionalPut(c), _)) = self.values.get(&K::ConditionalPut) {
            w.conditional_put = c.clone();
        }
        if let Some((Value::CopyIfNotExists(c), _)) = self.values.get(&K::CopyIfNotExists) {
            w.copy_if_not_exists = Some(c.clone());
        }
        if let Some((Value::Acl(acl), _)) = self.values.get(&K::CannedAcl) {
            w.acl = Some(*acl);
        }
        if let Some((Value::Encryption(sse), _)) = self.values.get(&K::ServerSideEncryption) {
            w.encryption = Some(Encryption::new(
                *sse,
                self.text(K::SseKmsKeyId),
                self.flag(K::SseBucketKeyEnabled),
                self.text(K::SseCustomerKeyBase64),
            )?);
        }
        Ok(w)
    }

    /// The default credential chain (environment, profiles, web identity,
    /// container, IMDS). Credential keys set on the builder take the place
    /// of their environment variables; the rest comes from the builder's
    /// environment (the process's, the one of `from_env_with`, or none
    /// after `without_env`).
    fn default_chain(&self) -> DefaultChain {
        let as_env = [
            (K::RoleArn, "AWS_ROLE_ARN"),
            (K::RoleSessionName, "AWS_ROLE_SESSION_NAME"),
            (K::WebIdentityTokenFile, "AWS_WEB_IDENTITY_TOKEN_FILE"),
            (
                K::ContainerCredentialsRelativeUri,
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            ),
            (
                K::ContainerCredentialsFullUri,
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            ),
            (
                K::ContainerAuthorizationTokenFile,
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            ),
        ];
        let overrides: Vec<(&'static str, String)> = as_env
            .into_iter()
            .filter_map(|(key, var)| Some((var, self.text(key)?.to_string())))
            .collect();
        let env = self.env.clone();
        let mut chain = DefaultChain::builder().with_lookup(move |name| {
            overrides
                .iter()
                .find(|(var, _)| *var == name)
                .map(|(_, value)| value.clone())
                .or_else(|| env.get(name))
        });
        if let Some(sts) = self.text(K::EndpointUrlSts) {
            chain = chain.sts_endpoint(sts);
        }
        if let Some(endpoint) = self.text(K::MetadataEndpoint) {
            chain = chain.imds_endpoint(endpoint);
        }
        chain.imdsv1_fallback(self.on(K::ImdsV1Fallback)).build()
    }

    /// The `region` of the active profile (`AWS_PROFILE`, else `default`)
    /// in the shared config files, as boto3 and the AWS SDKs read it when
    /// no key, URL or variable names a region; never read `without_env`.
    fn profile_region(&self) -> Result<Option<String>> {
        if matches!(self.env, super::EnvSource::Off) {
            return Ok(None);
        }
        let env = self.env.clone();
        let env = crate::credentials::Env::from_lookup(move |name| env.get(name));
        crate::credentials::profile_setting_blocking(&env, "region").map_err(|e| {
            Error::invalid_config(
                "region",
                "",
                format!("the profile's region cannot be read: {e}"),
            )
        })
    }

    /// Where credentials come from: a provider, static keys, or the default
    /// chain.
    fn credential_provider(&mut self) -> Result<Arc<dyn CredentialProvider>> {
        let explicit = |k: K| self.values.get(&k).is_some_and(|(_, s)| *s != Source::Env);
        let key = self.text(K::AccessKeyId).map(str::to_string);
        let secret = self.text(K::SecretAccessKey).map(str::to_string);
        if let Some(provider) = self.credentials.take() {
            if explicit(K::AccessKeyId) || explicit(K::SecretAccessKey) {
                return Err(Error::invalid_config(
                    "access_key_id",
                    "***",
                    "set either static keys or a credential provider, not both",
                ));
            }
            // A provider that does not cache is asked once, then before
            // expiry, as obstore does (`CredentialProvider::is_cached`).
            if provider.is_cached() {
                return Ok(provider);
            }
            return Ok(Arc::new(CachingProvider::new(provider)));
        }
        match (key, secret) {
            (Some(key), Some(secret)) => {
                let mut c = Credentials::new(key, secret);
                if let Some(token) = self.text(K::SessionToken) {
                    c = c.with_session_token(token);
                }
                c.validate()?;
                Ok(Arc::new(StaticProvider::new(c)))
            }
            (Some(key), None) => Err(Error::invalid_config(
                "secret_access_key",
                "",
                format!("is required when access_key_id ({key}) is set"),
            )),
            (None, Some(_)) => Err(Error::invalid_config(
                "access_key_id",
                "",
                "is required when secret_access_key is set",
            )),
            (None, None) => Ok(Arc::new(self.default_chain())),
        }
    }
}

/// PEM text as given, or the contents of the file it names.
fn pem_text_or_file(key: K, value: &str) -> Result<Vec<u8>> {
    if value.contains("-----BEGIN") {
        return Ok(value.as_bytes().to_vec());
    }
    std::fs::read(Path::new(value)).map_err(|e| {
        key.invalid(
            value,
            format!("is neither PEM text nor a readable file ({e})"),
        )
    })
}

#[cfg(feature = "hyper-rustls")]
fn default_client(options: &ClientOptions) -> Result<Arc<dyn HttpClient>> {
    Ok(Arc::new(crate::transport::HyperClient::new(options)?))
}

#[cfg(all(not(feature = "hyper-rustls"), feature = "reqwest"))]
fn default_client(options: &ClientOptions) -> Result<Arc<dyn HttpClient>> {
    Ok(Arc::new(crate::transport::ReqwestClient::new(options)?))
}

#[cfg(not(any(feature = "hyper-rustls", feature = "reqwest")))]
fn default_client(_: &ClientOptions) -> Result<Arc<dyn HttpClient>> {
    Err(Error::invalid_config(
        "http_client",
        "",
        "no HTTP client: enable the hyper-rustls or reqwest feature, or pass one with http_client()",
    ))
}

#[cfg(test)]
mod tests {
    use crate::ErrorKind;
    use crate::store::S3StoreBuilder;
    use crate::transport::ClientOptions;

    #[test]
    fn randomize_addresses_reaches_the_client_options() {
        use crate::config::S3ConfigKey;
        let options = |value: &str| {
            S3StoreBuilder::new()
                .bucket("b1")
                .with_config(S3ConfigKey::RandomizeAddresses, value)
                .resolved_client_options()
                .unwrap_or_else(|e| panic!("{e}"))
        };
        assert!(options("true").randomize_addresses);
        assert!(!options("false").randomize_addresses);
    }

    #[test]
    fn missing_bucket_is_invalid_config() {
        let e = S3StoreBuilder::new().build().expect_err("no bucket");
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(e.to_string().contains("bucket"), "{e}");
    }

    #[test]
    fn key_without_secret_is_invalid_config() {
        let e = S3StoreBuilder::new()
            .bucket("b1")
            .access_key_id("AKID")
            .build()
            .expect_err("no secret");
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(e.to_string().contains("secret_access_key"), "{e}");
    }

    #[test]
    fn http_endpoint_needs_allow_http() {
        let e = S3StoreBuilder::new()
            .bucket("b1")
            .endpoint("http://127.0.0.1:9000")
            .skip_signature(true)
            .build()
            .expect_err("http refused");
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(e.to_string().contains("allow_http"), "{e}");
    }

    #[test]
    fn builder_debug_hides_secrets() {
        // The base64 of `SSECUSTOMERKEY0123456789abcdefgh`.
        const SSE_C_KEY: &str = "U1NFQ1VTVE9NRVJLRVkwMTIzNDU2Nzg5YWJjZGVmZ2g=";
        let b = S3StoreBuilder::new()
            .bucket("b1")
            .access_key_id("AKID")
            .secret_access_key("TOPSECRETVALUE")
            .session_token("TOKENVALUE")
            .proxy_url("http://user:PROXYPASS@proxy:3128")
            .server_side_encryption(crate::config::ServerSideEncryption::SseC)
            .sse_customer_key_base64(SSE_C_KEY);
        let shown = format!("{b:?}");
        for secret in ["TOPSECRETVALUE", "TOKENVALUE", "PROXYPASS", SSE_C_KEY] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let store = b.build().unwrap_or_else(|e| panic!("{e}"));
        let shown = format!("{store:?}");
        for secret in ["TOPSECRETVALUE", "TOKENVALUE", SSE_C_KEY] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    /// Regression: a proxy URL without a scheme (`user:pass@proxy:3128`)
    /// printed its password in builder and ClientOptions `Debug` and in the
    /// parse error of a bad value.
    #[test]
    fn scheme_less_proxy_urls_hide_their_password() {
        let b = S3StoreBuilder::new()
            .bucket("b1")
            .skip_signature(true)
            .proxy_url("user:PROXYPASS@proxy:3128")
            .https_proxy("u:HTTPSPASS@proxy:bad-port");
        let shown = format!("{b:?}");
        assert!(
            !shown.contains("PROXYPASS") && !shown.contains("HTTPSPASS"),
            "{shown}"
        );
        let e = b.build().expect_err("bad port");
        assert!(
            !e.to_string().contains("HTTPSPASS") && !format!("{e:?}").contains("HTTPSPASS"),
            "{e}"
        );
        let options = ClientOptions {
            proxy_url: Some("user:PROXYPASS@proxy:3128".into()),
            http_proxy: Some("user:PROXYPASS@proxy:3128/".into()),
            ..ClientOptions::default()
        };
        let shown = format!("{options:?}");
        assert!(!shown.contains("PROXYPASS"), "{shown}");
        assert!(shown.contains("***@proxy:3128"), "{shown}");
    }
}
