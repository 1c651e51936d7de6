//! The bounds s3lite puts on what a server may make it hold or wait for.
//!
//! A client must not grow without bound because an endpoint (or a proxy in
//! front of it) answers with more than S3 ever would. Each limit is far above
//! what S3 sends, so it never trips against a working server; past it the
//! call fails with [`ErrorKind::Service`](crate::ErrorKind::Service) naming
//! the limit, and the connection is dropped instead of read to the end.
//! Object bodies (`get`, `download_*`) are streamed and not limited.

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
