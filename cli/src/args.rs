//! The command line: global options and one struct per command (clap derive).

use clap::{Args, Parser, Subcommand};

/// s3lite: a small, fast S3 command-line tool on the s3lite library.
///
/// Paths are `s3://bucket/key` URLs, local paths, or `-` for stdin/stdout.
/// Configuration comes from the options below, the `AWS_*` variables and
/// profiles (as the AWS CLI reads them), and `S3LITE_<KEY>` variables for
/// any key of the library (`S3LITE_MAX_RETRIES=3`, `S3LITE_ENDPOINT=...`).
///
/// Exit codes: 0 success, 1 an operation failed, 2 usage or configuration
/// error, 130 interrupted (Ctrl-C).
#[derive(Debug, Parser)]
#[command(name = "s3lite", version, about, long_about)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub(crate) struct Global {
    /// A custom endpoint (LocalStack, MinIO, R2, ...); `http://` is allowed.
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) endpoint_url: Option<String>,
    /// The region requests are signed for (else AWS_REGION, AWS_DEFAULT_REGION, us-east-1).
    #[arg(long, global = true)]
    pub(crate) region: Option<String>,
    /// The profile of ~/.aws/config and ~/.aws/credentials to take credentials from.
    #[arg(long, global = true)]
    pub(crate) profile: Option<String>,
    /// Send requests unsigned (public buckets); no credentials are looked up.
    #[arg(long, global = true)]
    pub(crate) no_sign_request: bool,
    /// No progress bars and no per-file lines; errors are still printed.
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
    /// Transfers (or deletes) running at once in recursive commands.
    #[arg(short = 'j', long, global = true, default_value_t = 32, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub(crate) concurrency: u16,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List buckets, or the objects and prefixes under an S3 URL.
    Ls(LsArgs),
    /// Copy files and objects: local to S3, S3 to local, S3 to S3 (server-side), `-` for stdin/stdout.
    Cp(CpArgs),
    /// Move files and objects: a copy, then the source is deleted.
    Mv(CpArgs),
    /// Delete objects (`--recursive`: every key under a prefix, in bulk).
    Rm(RmArgs),
    /// Write an object to stdout.
    Cat(CatArgs),
    /// Show an object's metadata: size, ETag, type, metadata, checksum, storage class.
    Stat(StatArgs),
    /// Print a presigned URL for an object.
    Presign(PresignArgs),
    /// Make the destination like the source: copy what is missing or differs (size, time, or ETag).
    Sync(SyncArgs),
    /// Make a bucket.
    Mb(BucketArgs),
    /// Remove a bucket (`--force`: delete its objects first).
    Rb(RbArgs),
}

/// `ls`.
#[derive(Debug, Args)]
pub(crate) struct LsArgs {
    /// `s3://bucket[/prefix]`; without it, the buckets.
    pub(crate) url: Option<String>,
    /// Every key under the prefix, not one level.
    #[arg(short, long)]
    pub(crate) recursive: bool,
    /// Sizes as KiB, MiB, GiB.
    #[arg(short = 'H', long)]
    pub(crate) human_readable: bool,
    /// One JSON object per line instead of columns.
    #[arg(long)]
    pub(crate) json: bool,
    /// A last line with the number of objects and their total size.
    #[arg(long)]
    pub(crate) summarize: bool,
}

/// `cp` and `mv`.
#[derive(Debug, Args)]
pub(crate) struct CpArgs {
    /// A local path, `s3://bucket/key`, or `-` (stdin).
    pub(crate) source: String,
    /// A local path, `s3://bucket/key` (a key ending in `/` takes the source's name), or `-` (stdout).
    pub(crate) destination: String,
    /// Copy a directory or every key under a prefix, `--concurrency` at a time.
    #[arg(short, long)]
    pub(crate) recursive: bool,
    #[command(flatten)]
    pub(crate) put: PutArgs,
    /// Print what would be done, do nothing.
    #[arg(long)]
    pub(crate) dryrun: bool,
}

/// How objects are written.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct PutArgs {
    /// Checksum algorithm of uploads (CRC32, CRC32C, CRC64NVME, SHA1, SHA256); downloads are then checked against the stored checksum.
    #[arg(long, value_name = "ALGORITHM")]
    pub(crate) checksum: Option<String>,
    /// Server-side encryption of uploads: AES256, aws:kms or aws:kms:dsse.
    #[arg(long, value_name = "ALGORITHM")]
    pub(crate) sse: Option<String>,
    /// The KMS key of `--sse aws:kms`.
    #[arg(long, value_name = "KEY_ID")]
    pub(crate) sse_kms_key_id: Option<String>,
    /// Content-Type of uploads (default: from the file name's suffix).
    #[arg(long, value_name = "TYPE")]
    pub(crate) content_type: Option<String>,
    /// User metadata of uploads, `name=value`; repeat it or separate pairs with commas.
    #[arg(long, value_name = "NAME=VALUE")]
    pub(crate) metadata: Vec<String>,
    /// Storage class of uploads (STANDARD, STANDARD_IA, GLACIER, ...).
    #[arg(long, value_name = "CLASS")]
    pub(crate) storage_class: Option<String>,
}

/// `rm`.
#[derive(Debug, Args)]
pub(crate) struct RmArgs {
    /// `s3://bucket/key`, or with `--recursive` `s3://bucket[/prefix]`.
    pub(crate) url: String,
    /// Delete every key under the prefix (DeleteObjects, 1,000 keys a request).
    #[arg(short, long)]
    pub(crate) recursive: bool,
    /// Print what would be deleted, delete nothing.
    #[arg(long)]
    pub(crate) dryrun: bool,
}

/// `cat`.
#[derive(Debug, Args)]
pub(crate) struct CatArgs {
    /// `s3://bucket/key`.
    pub(crate) url: String,
}

/// `stat`.
#[derive(Debug, Args)]
pub(crate) struct StatArgs {
    /// `s3://bucket/key`.
    pub(crate) url: String,
    /// One JSON object instead of lines.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `presign`.
#[derive(Debug, Args)]
pub(crate) struct PresignArgs {
    /// `s3://bucket/key`.
    pub(crate) url: String,
    /// How long the URL stays valid: seconds, or a duration such as `30m`, `12h`, `1h30m` (at most 7 days).
    #[arg(long, default_value = "3600", value_name = "DURATION")]
    pub(crate) expires: String,
    /// The request the URL allows: GET, PUT, HEAD or DELETE.
    #[arg(long, default_value = "GET")]
    pub(crate) method: String,
}

/// `sync`.
#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// A local directory or `s3://bucket[/prefix]`.
    pub(crate) source: String,
    /// A local directory or `s3://bucket[/prefix]`.
    pub(crate) destination: String,
    /// Delete what the destination has and the source does not.
    #[arg(long)]
    pub(crate) delete: bool,
    /// Compare sizes only, not times.
    #[arg(long, conflicts_with = "etag")]
    pub(crate) size_only: bool,
    /// Compare contents by ETag (local MD5 against single-part ETags) as well as sizes, not times.
    #[arg(long)]
    pub(crate) etag: bool,
    /// Print what would be done, do nothing.
    #[arg(long)]
    pub(crate) dryrun: bool,
    #[command(flatten)]
    pub(crate) put: PutArgs,
}

/// `mb`.
#[derive(Debug, Args)]
pub(crate) struct BucketArgs {
    /// `s3://bucket`.
    pub(crate) url: String,
}

/// `rb`.
#[derive(Debug, Args)]
pub(crate) struct RbArgs {
    /// `s3://bucket`.
    pub(crate) url: String,
    /// Delete every object first.
    #[arg(long)]
    pub(crate) force: bool,
}
