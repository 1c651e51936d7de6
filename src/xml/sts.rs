//! AWS STS answers: the credentials of [AssumeRole] and
//! [AssumeRoleWithWebIdentity], and the `<ErrorResponse>` body STS sends
//! with a failure.
//!
//! [AssumeRole]: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
//! [AssumeRoleWithWebIdentity]: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html

use std::fmt;

use time::OffsetDateTime;

use super::tree::{Node, parse_doc, read_tree_partial};
use crate::Result;
use crate::sign::SecretKey;

/// The `<Credentials>` of an STS answer.
///
/// `Debug` shows the key id and expiry only.
#[derive(Clone)]
#[non_exhaustive]
pub struct StsCredentials {
    /// `<AccessKeyId>`.
    pub access_key_id: String,
    /// `<SecretAccessKey>`, wrapped so it cannot be printed.
    pub secret_access_key: SecretKey,
    /// `<SessionToken>`; read it with care, it is a secret.
    pub session_token: String,
    /// `<Expiration>`.
    pub expiration: OffsetDateTime,
}

impl fmt::Debug for StsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &"***")
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// Reads an `AssumeRoleResponse` or `AssumeRoleWithWebIdentityResponse`
/// body.
///
/// # Errors
///
/// [`ErrorKind::Service`](crate::ErrorKind::Service) when the body is not
/// well-formed XML, has another root, or lacks one of the four credential
/// fields. The message never contains the secret or the token.
pub fn parse_sts_credentials(body: &[u8]) -> Result<StsCredentials> {
    let roots = ["AssumeRoleResponse", "AssumeRoleWithWebIdentityResponse"];
    parse_doc(body, &roots, |root| {
        let result_name = format!("{}Result", root.name().trim_end_matches("Response"));
        let result = root
            .child(&result_name)
            .ok_or_else(|| root.missing(&result_name))?;
        read_credentials(result)
    })
}

/// Reads the answer of S3 Express [CreateSession]: `<CreateSessionResult>`
/// with the same four `<Credentials>` fields as STS.
///
/// [CreateSession]: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateSession.html
///
/// # Errors
///
/// As [`parse_sts_credentials`].
pub fn parse_create_session(body: &[u8]) -> Result<StsCredentials> {
    parse_doc(
        body,
        &["CreateSessionResult", "CreateSessionOutput"],
        |root| read_credentials(root),
    )
}

/// The four `<Credentials>` fields under `parent`, shared by STS and
/// CreateSession answers.
fn read_credentials(parent: &Node<'_>) -> Result<StsCredentials> {
    let creds = parent
        .child("Credentials")
        .ok_or_else(|| parent.missing("Credentials"))?;
    let secret = creds
        .opt_trim("SecretAccessKey")
        .ok_or_else(|| creds.missing("SecretAccessKey"))?;
    Ok(StsCredentials {
        access_key_id: creds
            .opt_trim("AccessKeyId")
            .ok_or_else(|| creds.missing("AccessKeyId"))?,
        secret_access_key: SecretKey::new(secret),
        session_token: creds
            .opt_trim("SessionToken")
            .ok_or_else(|| creds.missing("SessionToken"))?,
        expiration: creds.req_date("Expiration")?,
    })
}

/// The fields of an STS `<ErrorResponse>` body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct StsError {
    /// `<Code>`: `AccessDenied`, `ExpiredTokenException`, `InvalidIdentityToken`, ...
    pub code: Option<String>,
    /// `<Message>`.
    pub message: Option<String>,
    /// `<RequestId>`.
    pub request_id: Option<String>,
}

/// Reads an STS `<ErrorResponse>` body; `None` when `body` is not one.
pub fn parse_sts_error(body: &[u8]) -> Option<StsError> {
    let root = read_tree_partial(body)?;
    if root.name() != "ErrorResponse" {
        return None;
    }
    let error = root.child("Error");
    Some(StsError {
        code: error.and_then(|e| e.opt_trim("Code")),
        message: error.and_then(|e| e.opt_trim("Message")),
        request_id: root
            .opt_trim("RequestId")
            .or_else(|| error.and_then(|e| e.opt_trim("RequestId"))),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on bad fixtures")]

    use super::*;

    const ASSUME_ROLE: &str = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <SourceIdentity>Alice</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo/TestAR</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:TestAR</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764</SessionToken>
      <Expiration>2019-11-09T13:34:41Z</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>"#;

    #[test]
    fn assume_role_response_gives_credentials() {
        let c = parse_sts_credentials(ASSUME_ROLE.as_bytes()).unwrap();
        assert_eq!(c.access_key_id, "ASIAIOSFODNN7EXAMPLE");
        assert_eq!(
            c.secret_access_key.expose(),
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
        );
        assert_eq!(c.session_token, "AQoDYXdzEPT//////////wEXAMPLEtc764");
        assert_eq!(
            crate::date::format_iso8601(c.expiration),
            "2019-11-09T13:34:41.000Z"
        );
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("wJalrXUtnFEMI") && !shown.contains("AQoDYXdz"),
            "{shown}"
        );
    }

    #[test]
    fn web_identity_response_gives_credentials() {
        let body = ASSUME_ROLE
            .replace("AssumeRoleResponse", "AssumeRoleWithWebIdentityResponse")
            .replace("AssumeRoleResult", "AssumeRoleWithWebIdentityResult");
        let c = parse_sts_credentials(body.as_bytes()).unwrap();
        assert_eq!(c.access_key_id, "ASIAIOSFODNN7EXAMPLE");
    }

    #[test]
    fn missing_field_is_a_service_error_without_secrets() {
        let body = ASSUME_ROLE.replace(
            "<SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764</SessionToken>",
            "",
        );
        let e = parse_sts_credentials(body.as_bytes()).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Service);
        assert!(e.to_string().contains("SessionToken"), "{e}");
        assert!(!e.to_string().contains("wJalrXUtnFEMI"), "{e}");
        let wrong = ASSUME_ROLE.replace("AssumeRoleResult", "OtherResult");
        assert!(parse_sts_credentials(wrong.as_bytes()).is_err());
        assert!(parse_sts_credentials(b"<Error/>").is_err());
    }

    #[test]
    fn error_response_gives_code_message_and_request_id() {
        let body = br#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>AccessDenied</Code><Message>Not authorized</Message></Error>
  <RequestId>req-1</RequestId></ErrorResponse>"#;
        let e = parse_sts_error(body).unwrap();
        assert_eq!(e.code.as_deref(), Some("AccessDenied"));
        assert_eq!(e.message.as_deref(), Some("Not authorized"));
        assert_eq!(e.request_id.as_deref(), Some("req-1"));
        assert!(parse_sts_error(ASSUME_ROLE.as_bytes()).is_none());
    }
}
