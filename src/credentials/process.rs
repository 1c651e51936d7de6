//! Credentials printed by an external command (`credential_process`).

use std::fmt;
use std::sync::Arc;

use super::{CredentialProvider, Credentials, unavailable};
use crate::error::Result;
use crate::json;
use crate::transport::BoxFuture;

const NAME: &str = "credential_process";

/// Runs a command and reads the credentials it prints, as the AWS CLI's
/// `credential_process` setting does.
///
/// The command runs through `sh -c` (`cmd /C` on Windows) and must print a
/// JSON object: `"Version": 1`, `AccessKeyId`, `SecretAccessKey`, and
/// optionally `SessionToken` and `Expiration` (ISO 8601). A non-zero exit
/// is an error that shows the command's standard error. The command runs on
/// tokio's blocking pool. Runs on every call: wrap it in a
/// [`CachingProvider`](super::CachingProvider).
///
/// `Debug` and errors do not show the command line, which may hold secrets.
#[derive(Clone)]
pub struct ProcessProvider {
    command: String,
}

impl ProcessProvider {
    /// Runs `command` (a shell command line).
    pub fn new(command: impl Into<String>) -> Self {
        ProcessProvider {
            command: command.into(),
        }
    }

    async fn load(&self) -> Result<Credentials> {
        let command = self.command.clone();
        let output = tokio::task::spawn_blocking(move || shell(&command).output())
            .await
            .map_err(|e| unavailable(NAME, format!("the command's task failed: {e}")))?
            .map_err(|e| unavailable(NAME, "could not start the command").with_source(e))?;
        if !output.status.success() {
            let stderr = super::snippet(&output.stderr);
            return Err(unavailable(
                NAME,
                format!("the command failed ({}): {stderr}", output.status),
            ));
        }
        parse_output(&output.stdout)
            .map_err(|why| unavailable(NAME, format!("the command's output: {why}")))
    }
}

#[cfg(not(windows))]
fn shell(command: &str) -> std::process::Command {
    let mut c = std::process::Command::new("sh");
    c.arg("-c").arg(command);
    c.stdin(std::process::Stdio::null());
    c
}

#[cfg(windows)]
fn shell(command: &str) -> std::process::Command {
    let mut c = std::process::Command::new("cmd");
    c.arg("/C").arg(command);
    c.stdin(std::process::Stdio::null());
    c
}

/// Reads the Version 1 JSON document.
pub(crate) fn parse_output(stdout: &[u8]) -> std::result::Result<Credentials, String> {
    let o = json::parse_object(stdout)?;
    match o.opt_i64("Version")? {
        Some(1) => {}
        Some(v) => return Err(format!("unsupported Version {v} (expected 1)")),
        None => return Err("field \"Version\" is missing".into()),
    }
    super::from_json_fields(&o, "SessionToken")
}

impl fmt::Debug for ProcessProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProcessProvider")
    }
}

impl CredentialProvider for ProcessProvider {
    fn credentials(&self) -> BoxFuture<'_, Result<Arc<Credentials>>> {
        Box::pin(async move { self.load().await.map(Arc::new) })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on bad fixtures")]

    use super::*;

    #[test]
    fn version_1_document_gives_credentials() {
        let c = parse_output(
            br#"{"Version": 1, "AccessKeyId": "AKID", "SecretAccessKey": "SECRET",
                "SessionToken": "TOKEN", "Expiration": "2030-01-02T03:04:05Z"}"#,
        )
        .unwrap();
        assert_eq!(c.access_key_id(), "AKID");
        assert_eq!(c.session_token(), Some("TOKEN"));
        assert_eq!(c.expires_at().map(|t| t.year()), Some(2030));
    }

    #[test]
    fn wrong_version_or_missing_field_is_rejected() {
        for bad in [
            &br#"{"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "S"}"#[..],
            br#"{"AccessKeyId": "A", "SecretAccessKey": "S"}"#,
            br#"{"Version": 1, "AccessKeyId": "A"}"#,
            br#"{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "S", "Expiration": "soon"}"#,
            b"not json",
        ] {
            let e = parse_output(bad).err().unwrap();
            assert!(!e.contains("\"S\""), "{e}");
        }
    }
}
