//! The bounds s3lite puts on what a server, a command or a file may make it
//! hold or wait for.
//!
//! A client must not grow without bound, or wait forever, because an
//! endpoint (or a proxy in front of it), a `credential_process` command or a
//! corrupt `~/.aws/config` sends more than a working one ever would. Each
//! limit is far above what S3 and the AWS tools produce, so it never trips
//! in normal use; past it the call fails with a typed error (the kind is
//! given per limit) naming the limit, and the connection is dropped (the
//! command killed) instead of being read to the end. Object bodies (`get`,
//! `download_*`) are streamed and not limited: their size is the caller's
//! choice, bounded by `Content-Length` and
//! [`ClientOptions::read_timeout`](crate::transport::ClientOptions).
//!
//! Besides these: XML documents nest at most 32 elements deep (S3's are 5),
//! JSON documents 16 levels, `source_profile` chains 8 hops, and each
//! credential-endpoint request (IMDS, ECS/EKS, SSO, STS) is bounded in total
//! by its provider's timeout, body included.

/// The largest S3 `<Error>` answer (a non-2xx body) read into memory: 1 MiB.
/// S3's error documents are a few hundred bytes.
pub const MAX_ERROR_BODY: usize = 1024 * 1024;

/// The largest non-streamed 2xx answer read into memory (a ListObjectsV2
/// page, ListParts, CopyObjectResult, DeleteObjects result, ...): 64 MiB.
/// A full page of 1,000 keys of 1,024 bytes is about 1.5 MiB.
pub const MAX_RESPONSE_BODY: usize = 64 * 1024 * 1024;

/// The largest answer of a credential endpoint (STS, SSO, IMDS, ECS/EKS,
/// DynamoDB lock calls) read into memory: 1 MiB. Real answers are under
/// 4 KiB.
pub const MAX_CREDENTIALS_BODY: usize = 1024 * 1024;

/// The largest response head (status line and headers) the default hyper
/// client reads: 408 KiB (hyper's own default, `8192 + 4096 * 100`, set
/// explicitly so it cannot drift). Past it the request fails with
/// [`ErrorKind::Transport`](crate::ErrorKind::Transport) ("message head is
/// too large") and the connection is closed. It also caps hyper's read
/// buffer, so a server cannot make one connection buffer more.
pub const MAX_RESPONSE_HEAD: usize = 8192 + 4096 * 100;

/// The most header fields in one response the default hyper client accepts:
/// 100 (hyper's built-in default; S3 sends about 15). More fail the request
/// like a head past [`MAX_RESPONSE_HEAD`].
pub const MAX_RESPONSE_HEADERS: usize = 100;

/// The most ListObjectsV2 pages in a row that bring neither a key nor a
/// common prefix: 1,000. S3 may answer a truncated page with no keys (for
/// example while it skips deleted objects), but not forever; past this the
/// listing fails with [`ErrorKind::Service`](crate::ErrorKind::Service)
/// instead of following new tokens without end. A token sent before (a
/// cycle of any length) fails at once.
pub const MAX_LIST_PAGES_WITHOUT_PROGRESS: usize = 1_000;

/// How long a `credential_process` command may run before it is killed and
/// the call fails with [`ErrorKind::Credentials`](crate::ErrorKind::Credentials):
/// 60 s (the command's standard input is closed, so it cannot be waiting
/// for the user at the terminal). Set another bound with
/// `ProcessProvider::with_timeout`.
pub const CREDENTIAL_PROCESS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The most a `credential_process` command may print on standard output
/// (1 MiB, as [`MAX_CREDENTIALS_BODY`]); past it the command is killed.
/// Of its standard error the first 64 KiB are kept, for the message.
pub const MAX_CREDENTIAL_PROCESS_OUTPUT: usize = MAX_CREDENTIALS_BODY;

/// The largest AWS shared config or credentials file read (`~/.aws/config`,
/// `~/.aws/credentials`): 16 MiB. Real ones are a few KiB; a bigger one (or
/// a device such as `/dev/zero` named by `AWS_CONFIG_FILE`) fails with
/// [`ErrorKind::Credentials`](crate::ErrorKind::Credentials).
pub const MAX_PROFILE_FILE: u64 = 16 * 1024 * 1024;
