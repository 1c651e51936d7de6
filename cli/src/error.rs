//! What a command fails with, and the exit code of each failure.

use std::fmt;

/// Exit code of a failed operation.
pub(crate) const EXIT_FAILED: u8 = 1;
/// Exit code of a usage or configuration error.
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit code after Ctrl-C (128 + SIGINT, as shells report it).
pub(crate) const EXIT_INTERRUPTED: u8 = 130;

/// A failed command: the message to print and the exit code.
#[derive(Debug)]
pub(crate) struct CliError {
    pub(crate) code: u8,
    pub(crate) message: String,
}

/// The result of a command.
pub(crate) type CliResult<T = ()> = Result<T, CliError>;

impl CliError {
    /// A usage error (exit 2): a bad URL, option or combination.
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        CliError {
            code: EXIT_USAGE,
            message: message.into(),
        }
    }

    /// A failed operation (exit 1).
    pub(crate) fn failed(message: impl Into<String>) -> Self {
        CliError {
            code: EXIT_FAILED,
            message: message.into(),
        }
    }

    /// The command was interrupted (exit 130).
    pub(crate) fn interrupted() -> Self {
        CliError {
            code: EXIT_INTERRUPTED,
            message: "interrupted".to_string(),
        }
    }

    /// A library error of the operation `what` (`cp s3://b/k`, ...): exit 2
    /// for a configuration error, else 1. The library's message already
    /// names the key, the S3 error code and the request id.
    pub(crate) fn s3(what: &str, e: s3lite::Error) -> Self {
        let code = if e.kind() == s3lite::ErrorKind::InvalidConfig {
            EXIT_USAGE
        } else {
            EXIT_FAILED
        };
        CliError {
            code,
            message: format!("{what}: {e}"),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
