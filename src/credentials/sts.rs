//! AWS STS calls: [AssumeRole] (signed with our SigV4 signer, generic URI
//! mode) and [AssumeRoleWithWebIdentity] (unsigned), and the public
//! [`AssumeRoleProvider`].
//!
//! [AssumeRole]: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
//! [AssumeRoleWithWebIdentity]: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderValue, Method, StatusCode};
use time::OffsetDateTime;

use super::env::Env;
use super::{CredentialProvider, Credentials, fetch, http_client, snippet, unavailable};
use crate::error::{Error, ErrorKind, Result};
use crate::sign::{self, PayloadHash, SignableRequest, SigningParams, UriEncoding};
use crate::transport::{BoxFuture, HttpClient, HttpRequest};

/// How long one STS request may take.
const TIMEOUT: Duration = Duration::from_secs(10);
const FORM: &str = "application/x-www-form-urlencoded";

/// Where STS calls go: endpoint URL, signing region and HTTP client.
#[derive(Clone)]
pub(crate) struct Sts {
    pub(crate) endpoint: String,
    pub(crate) region: String,
    client: Option<Arc<dyn HttpClient>>,
}

impl Sts {
    /// The endpoint for `region`: `endpoint` if given, else
    /// `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`, else the regional
    /// endpoint (`https://sts.{region}.amazonaws.com`), else the global one
    /// signed for `us-east-1`.
    pub(crate) fn resolve(env: &Env, endpoint: Option<&str>, region: Option<&str>) -> Self {
        let region = region
            .map(str::to_string)
            .or_else(|| env.get("AWS_REGION"))
            .or_else(|| env.get("AWS_DEFAULT_REGION"));
        let endpoint = endpoint
            .map(str::to_string)
            .or_else(|| env.get("AWS_ENDPOINT_URL_STS"))
            .or_else(|| env.get("AWS_ENDPOINT_URL"))
            .unwrap_or_else(|| match &region {
                Some(r) if r.starts_with("cn-") => format!("https://sts.{r}.amazonaws.com.cn"),
                Some(r) => format!("https://sts.{r}.amazonaws.com"),
                None => "https://sts.amazonaws.com".to_string(),
            });
        Sts {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            region: region.unwrap_or_else(|| "us-east-1".to_string()),
            client: None,
        }
    }

    pub(crate) fn with_client(mut self, client: Option<Arc<dyn HttpClient>>) -> Self {
        self.client = client;
        self
    }

    /// Calls AssumeRole with `base` credentials.
    pub(crate) async fn assume_role(
        &self,
        base: &Credentials,
        role: &RoleParams,
    ) -> Result<Credentials> {
        let mut form = Form::new("AssumeRole");
        form.add("RoleArn", &role.role_arn);
        form.add("RoleSessionName", &role.session_name());
        if let Some(id) = &role.external_id {
            form.add("ExternalId", id);
        }
        if let Some(d) = role.duration_seconds {
            form.add("DurationSeconds", &d.to_string());
        }
        let body = form.finish();
        let uri: http::Uri = self.endpoint.parse().map_err(|_| {
            unavailable(
                "STS",
                format!("endpoint {:?} is not a valid URL", self.endpoint),
            )
        })?;
        let host = uri
            .authority()
            .map(|a| a.as_str().to_string())
            .unwrap_or_default();
        let path = match uri.path() {
            "" => "/",
            p => p,
        };
        let headers = [("host", host.as_str()), ("content-type", FORM)];
        let signed = sign::sign_request(
            &SignableRequest {
                method: "POST",
                path,
                query: "",
                headers: &headers,
            },
            &SigningParams {
                access_key_id: base.access_key_id(),
                secret_key: base.secret_key(),
                session_token: base.session_token(),
                region: &self.region,
                service: "sts",
                time: OffsetDateTime::now_utc(),
                uri_encoding: UriEncoding::Generic,
                payload: PayloadHash::for_body(body.as_bytes()),
                add_content_sha256_header: false,
                sign_session_token: true,
            },
        )
        .map_err(|e| e.context("STS AssumeRole: signing"))?;
        let mut request = self.request(body);
        for (name, value) in signed.headers {
            let value = HeaderValue::from_str(&value).map_err(|_| {
                unavailable(
                    "STS AssumeRole",
                    format!("signed header {name} is not a valid header value"),
                )
            })?;
            request.headers.insert(name, value);
        }
        self.send("AssumeRole", &role.role_arn, request).await
    }

    /// Calls AssumeRoleWithWebIdentity (unsigned) with `token`.
    pub(crate) async fn assume_role_with_web_identity(
        &self,
        role: &RoleParams,
        token: &str,
    ) -> Result<Credentials> {
        let mut form = Form::new("AssumeRoleWithWebIdentity");
        form.add("RoleArn", &role.role_arn);
        form.add("RoleSessionName", &role.session_name());
        form.add("WebIdentityToken", token);
        if let Some(d) = role.duration_seconds {
            form.add("DurationSeconds", &d.to_string());
        }
        let request = self.request(form.finish());
        self.send("AssumeRoleWithWebIdentity", &role.role_arn, request)
            .await
    }

    fn request(&self, body: String) -> HttpRequest {
        let mut request = HttpRequest::new(
            Method::POST,
            format!("{}/", self.endpoint.trim_end_matches('/')),
        );
        if let Ok(url) = self.endpoint.parse::<http::Uri>()
            && !matches!(url.path(), "" | "/")
        {
            request.url = self.endpoint.clone();
        }
        request
            .headers
            .insert(http::header::CONTENT_TYPE, HeaderValue::from_static(FORM));
        request.body = body.into();
        request
    }

    async fn send(
        &self,
        action: &str,
        role_arn: &str,
        request: HttpRequest,
    ) -> Result<Credentials> {
        let what = format!("STS {action} {role_arn} ({})", request.describe());
        let client = match &self.client {
            Some(c) => Arc::clone(c),
            None => http_client(TIMEOUT)?,
        };
        let (status, body) = fetch(&*client, request, TIMEOUT).await.map_err(|e| {
            let retryable = e.is_retryable();
            unavailable(&what, e).with_retryable(retryable)
        })?;
        if status != StatusCode::OK {
            let parsed = crate::xml::parse_sts_error(&body);
            let retryable = status.is_server_error()
                || parsed
                    .as_ref()
                    .and_then(|p| p.code.as_deref())
                    .is_some_and(|c| c.contains("Throttl") || c == "IDPCommunicationError");
            let mut e = Error::new(ErrorKind::Credentials, what)
                .with_status(status.as_u16())
                .with_retryable(retryable);
            e = match parsed {
                Some(p) => e
                    .with_s3_error(p.code, p.message)
                    .with_request_id(p.request_id),
                None => e.with_s3_error(None, Some(snippet(&body))),
            };
            return Err(e);
        }
        let c = crate::xml::parse_sts_credentials(&body).map_err(|e| e.context(&what))?;
        Ok(
            Credentials::new(c.access_key_id, c.secret_access_key.expose())
                .with_session_token(c.session_token)
                .with_expiry(c.expiration),
        )
    }
}

/// The role to assume and how.
#[derive(Debug, Clone, Default)]
pub(crate) struct RoleParams {
    pub(crate) role_arn: String,
    pub(crate) session_name: Option<String>,
    pub(crate) external_id: Option<String>,
    pub(crate) duration_seconds: Option<u32>,
}

impl RoleParams {
    /// The session name, or `s3lite-<unix millis>`.
    fn session_name(&self) -> String {
        self.session_name.clone().unwrap_or_else(|| {
            let millis = OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
            format!("s3lite-{millis}")
        })
    }
}

/// An `application/x-www-form-urlencoded` STS request body.
struct Form(String);

impl Form {
    fn new(action: &str) -> Self {
        let mut f = Form(String::new());
        f.add("Action", action);
        f.add("Version", "2011-06-15");
        f
    }

    fn add(&mut self, name: &str, value: &str) {
        if !self.0.is_empty() {
            self.0.push('&');
        }
        self.0.push_str(&sign::uri_encode(name, true));
        self.0.push('=');
        self.0.push_str(&sign::uri_encode(value, true));
    }

    fn finish(self) -> String {
        self.0
    }
}

/// Credentials of an IAM role, assumed with STS AssumeRole using the
/// credentials of another provider.
///
/// Each call assumes the role again: wrap it in a
/// [`CachingProvider`](super::CachingProvider).
///
/// ```no_run
/// # use s3lite::credentials::{AssumeRoleProvider, CachingProvider, EnvironmentProvider};
/// let provider = CachingProvider::new(
///     AssumeRoleProvider::new(EnvironmentProvider::new(), "arn:aws:iam::123456789012:role/reader")
///         .with_session_name("nightly-job")
///         .with_external_id("ext-1")
///         .with_region("eu-west-1"),
/// );
/// # let _ = provider;
/// ```
pub struct AssumeRoleProvider {
    base: Box<dyn CredentialProvider>,
    role: RoleParams,
    region: Option<String>,
    endpoint: Option<String>,
    env: Env,
    client: Option<Arc<dyn HttpClient>>,
}

impl AssumeRoleProvider {
    /// Assumes `role_arn` with the credentials of `base`.
    pub fn new(base: impl CredentialProvider, role_arn: impl Into<String>) -> Self {
        AssumeRoleProvider {
            base: Box::new(base),
            role: RoleParams {
                role_arn: role_arn.into(),
                ..RoleParams::default()
            },
            region: None,
            endpoint: None,
            env: Env::process(),
            client: None,
        }
    }

    /// The `RoleSessionName`; default `s3lite-<unix millis>`.
    pub fn with_session_name(mut self, name: impl Into<String>) -> Self {
        self.role.session_name = Some(name.into());
        self
    }

    /// The `ExternalId` the role's trust policy asks for.
    pub fn with_external_id(mut self, id: impl Into<String>) -> Self {
        self.role.external_id = Some(id.into());
        self
    }

    /// The `DurationSeconds` of the session (900 to the role's maximum).
    pub fn with_duration(mut self, duration: Duration) -> Self {
        self.role.duration_seconds = Some(u32::try_from(duration.as_secs()).unwrap_or(u32::MAX));
        self
    }

    /// The STS region (regional endpoint and signing region); default
    /// `AWS_REGION`, else the global endpoint and `us-east-1`.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The STS endpoint URL (e.g. a local STS for tests).
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Sends requests with `client` instead of a default one.
    pub fn with_http_client(mut self, client: Arc<dyn HttpClient>) -> Self {
        self.client = Some(client);
        self
    }

    async fn load(&self) -> Result<Arc<Credentials>> {
        let base = self.base.credentials().await?;
        let sts = Sts::resolve(&self.env, self.endpoint.as_deref(), self.region.as_deref())
            .with_client(self.client.clone());
        sts.assume_role(&base, &self.role).await.map(Arc::new)
    }
}

impl fmt::Debug for AssumeRoleProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssumeRoleProvider")
            .field("base", &self.base)
            .field("role_arn", &self.role.role_arn)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl CredentialProvider for AssumeRoleProvider {
    fn credentials(&self) -> BoxFuture<'_, Result<Arc<Credentials>>> {
        Box::pin(self.load())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encodes_reserved_characters() {
        let mut f = Form::new("AssumeRole");
        f.add("RoleArn", "arn:aws:iam::1:role/a b+c");
        assert_eq!(
            f.finish(),
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fa%20b%2Bc"
        );
    }

    #[test]
    fn endpoint_follows_override_env_and_region() {
        let env = Env::from_lookup(|_| None);
        let sts = Sts::resolve(&env, None, Some("eu-west-1"));
        assert_eq!(
            (sts.endpoint.as_str(), sts.region.as_str()),
            ("https://sts.eu-west-1.amazonaws.com", "eu-west-1")
        );
        let sts = Sts::resolve(&env, None, None);
        assert_eq!(
            (sts.endpoint.as_str(), sts.region.as_str()),
            ("https://sts.amazonaws.com", "us-east-1")
        );
        let env = Env::from_lookup(|n| {
            (n == "AWS_ENDPOINT_URL_STS").then(|| "http://127.0.0.1:5000/".to_string())
        });
        assert_eq!(
            Sts::resolve(&env, None, None).endpoint,
            "http://127.0.0.1:5000"
        );
    }
}
