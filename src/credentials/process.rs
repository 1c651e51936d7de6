//! Credentials printed by an external command (`credential_process`).

use std::fmt;
use std::io::Read;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use super::{CredentialProvider, Credentials, unavailable};
use crate::error::Result;
use crate::json;
use crate::limits::{CREDENTIAL_PROCESS_TIMEOUT, MAX_CREDENTIAL_PROCESS_OUTPUT};
use crate::transport::BoxFuture;

const NAME: &str = "credential_process";

/// How much of the command's standard error is kept (for the message).
const MAX_STDERR: usize = 64 * 1024;

/// How often the command is checked for having exited.
const POLL: Duration = Duration::from_millis(10);

/// Runs a command and reads the credentials it prints, as the AWS CLI's
/// `credential_process` setting does.
///
/// The command runs through `sh -c` (`cmd /C` on Windows) with standard
/// input closed, and must print a JSON object: `"Version": 1`,
/// `AccessKeyId`, `SecretAccessKey`, and optionally `SessionToken` and
/// `Expiration` (ISO 8601). A non-zero exit is an error that shows the
/// command's standard error. A command that runs longer than
/// [`CREDENTIAL_PROCESS_TIMEOUT`] (or [`with_timeout`](Self::with_timeout)),
/// or prints more than [`MAX_CREDENTIAL_PROCESS_OUTPUT`], is killed and the
/// call fails. Runs on every call: wrap it in a
/// [`CachingProvider`](super::CachingProvider).
///
/// `Debug` and errors do not show the command line, which may hold secrets.
#[derive(Clone)]
pub struct ProcessProvider {
    command: String,
    timeout: Duration,
}

impl ProcessProvider {
    /// Runs `command` (a shell command line).
    pub fn new(command: impl Into<String>) -> Self {
        ProcessProvider {
            command: command.into(),
            timeout: CREDENTIAL_PROCESS_TIMEOUT,
        }
    }

    /// Kills the command and fails when it has not exited after `timeout`
    /// (default [`CREDENTIAL_PROCESS_TIMEOUT`]).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    async fn load(&self) -> Result<Credentials> {
        let mut child = shell(&self.command)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| unavailable(NAME, "could not start the command").with_source(e))?;
        let stdout = read_capped(child.stdout.take(), MAX_CREDENTIAL_PROCESS_OUTPUT)?;
        let stderr = read_capped(child.stderr.take(), MAX_STDERR)?;
        let deadline = tokio::time::Instant::now() + self.timeout;
        let run = tokio::time::timeout_at(deadline, wait(&mut child, stdout)).await;
        let (status, stdout) = match run {
            Ok(Ok(done)) => done,
            Ok(Err(why)) => {
                reap(child);
                return Err(unavailable(NAME, why));
            }
            Err(_) => {
                reap(child);
                let secs = self.timeout.as_secs_f64();
                return Err(unavailable(
                    NAME,
                    format!(
                        "the command did not finish within {secs}s \
                         (limits::CREDENTIAL_PROCESS_TIMEOUT) and was killed"
                    ),
                ));
            }
        };
        if !status.success() {
            // The command has exited; a child it left behind may still hold
            // standard error open, so do not wait long for it.
            let stderr = tokio::time::timeout(Duration::from_secs(1), stderr)
                .await
                .ok()
                .and_then(|r| r.ok())
                .unwrap_or_default();
            let stderr = super::snippet(&stderr);
            return Err(unavailable(
                NAME,
                format!("the command failed ({status}): {stderr}"),
            ));
        }
        parse_output(&stdout)
            .map_err(|why| unavailable(NAME, format!("the command's output: {why}")))
    }
}

/// Reads `pipe` to its end, or to one byte past `cap`, on its own thread (a
/// pipe read blocks); the receiver gets what was read.
fn read_capped(
    pipe: Option<impl Read + Send + 'static>,
    cap: usize,
) -> Result<tokio::sync::oneshot::Receiver<Vec<u8>>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let Some(pipe) = pipe else {
        let _ = tx.send(Vec::new());
        return Ok(rx);
    };
    let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
    std::thread::Builder::new()
        .name("s3lite-credential-process".into())
        .spawn(move || {
            let mut buf = Vec::new();
            // A read error ends the output; what came before is kept.
            let _ = pipe.take(limit).read_to_end(&mut buf);
            let _ = tx.send(buf);
        })
        .map_err(|e| unavailable(NAME, "could not start a reader thread").with_source(e))?;
    Ok(rx)
}

/// Waits for the command's standard output to end, then for it to exit.
async fn wait(
    child: &mut Child,
    stdout: tokio::sync::oneshot::Receiver<Vec<u8>>,
) -> std::result::Result<(ExitStatus, Vec<u8>), String> {
    let stdout = stdout.await.unwrap_or_default();
    if stdout.len() > MAX_CREDENTIAL_PROCESS_OUTPUT {
        return Err(format!(
            "the command printed more than {MAX_CREDENTIAL_PROCESS_OUTPUT} bytes \
             (limits::MAX_CREDENTIAL_PROCESS_OUTPUT) and was killed"
        ));
    }
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok((status, stdout)),
            Ok(None) => tokio::time::sleep(POLL).await,
            Err(e) => return Err(format!("waiting for the command: {e}")),
        }
    }
}

/// Kills the command (on Unix its whole process group, so a child the shell
/// started dies too) and collects its exit status, on a thread of its own
/// (both block).
fn reap(mut child: Child) {
    std::thread::spawn(move || {
        #[cfg(unix)]
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = child.kill();
        let _ = child.wait();
    });
}

#[cfg(not(windows))]
fn shell(command: &str) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    let mut c = std::process::Command::new("sh");
    c.arg("-c").arg(command);
    c.stdin(std::process::Stdio::null());
    // Its own process group, so a timeout can kill what it started.
    c.process_group(0);
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
