//! [`S3StoreBuilder`]: typed setters, validated by `build()`.

use std::fmt;
use std::sync::Arc;

use super::S3Store;
use super::request::StoreInner;
use crate::credentials::{CredentialProvider, Credentials, EnvironmentProvider, StaticProvider};
use crate::endpoint::{AddressingStyle, Endpoint};
use crate::error::{Error, Result};
use crate::retry::RetryConfig;
use crate::transport::{ClientOptions, HttpClient};

/// Builds an [`S3Store`]; `build()` checks every value and names the bad one.
///
/// ```
/// let store = s3lite::S3Store::builder()
///     .bucket("photos")
///     .region("eu-west-1")
///     .access_key_id("AKIDEXAMPLE")
///     .secret_access_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
///     .build()?;
/// assert_eq!(store.bucket(), "photos");
/// # Ok::<(), s3lite::Error>(())
/// ```
#[derive(Default)]
pub struct S3StoreBuilder {
    bucket: Option<String>,
    region: Option<String>,
    endpoint: Option<String>,
    style: Option<AddressingStyle>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    session_token: Option<String>,
    credentials: Option<Arc<dyn CredentialProvider>>,
    skip_signature: bool,
    unsigned_payload: bool,
    client: Option<Arc<dyn HttpClient>>,
    client_options: ClientOptions,
    retry: RetryConfig,
}

impl S3StoreBuilder {
    /// A builder with every value at its default.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bucket (required).
    pub fn bucket(mut self, bucket: impl Into<String>) -> Self {
        self.bucket = Some(bucket.into());
        self
    }

    /// The AWS region; default `us-east-1`.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// A custom endpoint such as `http://127.0.0.1:9000` (MinIO, Ceph,
    /// LocalStack, R2). Requests then default to path style.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// `true` forces virtual-hosted-style requests, `false` path style.
    pub fn virtual_hosted_style_request(mut self, virtual_hosted: bool) -> Self {
        self.style = Some(if virtual_hosted {
            AddressingStyle::VirtualHosted
        } else {
            AddressingStyle::Path
        });
        self
    }

    /// Allows `http://` endpoints (off by default).
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.client_options.allow_http = allow;
        self
    }

    /// The access key id of static credentials.
    pub fn access_key_id(mut self, key: impl Into<String>) -> Self {
        self.access_key_id = Some(key.into());
        self
    }

    /// The secret access key of static credentials.
    pub fn secret_access_key(mut self, secret: impl Into<String>) -> Self {
        self.secret_access_key = Some(secret.into());
        self
    }

    /// The session token of static temporary credentials.
    pub fn session_token(mut self, token: impl Into<String>) -> Self {
        self.session_token = Some(token.into());
        self
    }

    /// A credential provider, used instead of static keys.
    pub fn credentials(mut self, provider: impl CredentialProvider) -> Self {
        self.credentials = Some(Arc::new(provider));
        self
    }

    /// Sends requests unsigned, for public buckets; no credentials are looked up.
    pub fn skip_signature(mut self, skip: bool) -> Self {
        self.skip_signature = skip;
        self
    }

    /// Signs bodies as `UNSIGNED-PAYLOAD` instead of hashing them.
    pub fn unsigned_payload(mut self, unsigned: bool) -> Self {
        self.unsigned_payload = unsigned;
        self
    }

    /// Options of the default HTTP client (timeouts, pool, certificates).
    pub fn client_options(mut self, options: ClientOptions) -> Self {
        self.client_options = options;
        self
    }

    /// A custom HTTP client, used instead of the default one.
    pub fn http_client(mut self, client: impl HttpClient) -> Self {
        self.client = Some(Arc::new(client));
        self
    }

    /// Retry limits and backoff.
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Checks the configuration and builds the store.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig) naming the
    /// key and value that is wrong: a missing bucket, a malformed endpoint,
    /// `http://` without `allow_http`, only one of key id and secret.
    pub fn build(self) -> Result<S3Store> {
        let bucket = self
            .bucket
            .ok_or_else(|| Error::invalid_config("bucket", "", "is required"))?;
        let region = self.region.unwrap_or_else(|| "us-east-1".to_string());
        let endpoint = Endpoint {
            url: self.endpoint,
            region: region.clone(),
            style: self.style,
            allow_http: self.client_options.allow_http,
        }
        .resolve(&bucket)?;
        let credentials: Option<Arc<dyn CredentialProvider>> = if self.skip_signature {
            None
        } else {
            Some(
                match (self.credentials, self.access_key_id, self.secret_access_key) {
                    (Some(provider), None, None) => provider,
                    (Some(_), _, _) => {
                        return Err(Error::invalid_config(
                            "access_key_id",
                            "***",
                            "set either static keys or a credential provider, not both",
                        ));
                    }
                    (None, Some(key), Some(secret)) => {
                        let mut c = Credentials::new(key, secret);
                        if let Some(token) = self.session_token {
                            c = c.with_session_token(token);
                        }
                        c.validate()?;
                        Arc::new(StaticProvider::new(c))
                    }
                    (None, Some(key), None) => {
                        return Err(Error::invalid_config(
                            "secret_access_key",
                            "",
                            format!("is required when access_key_id ({key}) is set"),
                        ));
                    }
                    (None, None, Some(_)) => {
                        return Err(Error::invalid_config(
                            "access_key_id",
                            "",
                            "is required when secret_access_key is set",
                        ));
                    }
                    (None, None, None) => Arc::new(EnvironmentProvider::new()),
                },
            )
        };
        let client: Arc<dyn HttpClient> = match self.client {
            Some(c) => c,
            None => default_client(&self.client_options)?,
        };
        Ok(S3Store {
            inner: Arc::new(StoreInner {
                bucket,
                endpoint,
                region,
                credentials,
                client,
                retry: self.retry,
                unsigned_payload: self.unsigned_payload,
            }),
        })
    }
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

impl fmt::Debug for S3StoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3StoreBuilder")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("style", &self.style)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "***"),
            )
            .field("session_token", &self.session_token.as_ref().map(|_| "***"))
            .field("credentials", &self.credentials)
            .field("skip_signature", &self.skip_signature)
            .field("unsigned_payload", &self.unsigned_payload)
            .field("client_options", &self.client_options)
            .field("retry", &self.retry)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

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
        let b = S3StoreBuilder::new()
            .bucket("b1")
            .access_key_id("AKID")
            .secret_access_key("TOPSECRETVALUE")
            .session_token("TOKENVALUE");
        let shown = format!("{b:?}");
        assert!(
            !shown.contains("TOPSECRETVALUE") && !shown.contains("TOKENVALUE"),
            "{shown}"
        );
        let store = b.build().unwrap_or_else(|e| panic!("{e}"));
        let shown = format!("{store:?}");
        assert!(
            !shown.contains("TOPSECRETVALUE") && !shown.contains("TOKENVALUE"),
            "{shown}"
        );
    }
}
