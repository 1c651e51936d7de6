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
    /// Show an object's metadata: size, ETag, type, metadata, checksum, storage class, encryption (SSE-C: the algorithm and key MD5).
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
    #[command(flatten)]
    pub(crate) sse_c: SseCArgs,
    #[command(flatten)]
    pub(crate) copy_source: CopySourceArgs,
    #[command(flatten)]
    pub(crate) filters: FilterArgs,
    /// Print what would be done, do nothing.
    #[arg(long)]
    pub(crate) dryrun: bool,
}

/// `--exclude` / `--include` (see `filter.rs`). clap keeps the two lists
/// apart; their order on the command line is read from the matches into
/// `Filters` by `main`.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct FilterArgs {
    /// Leave out paths (relative to the source) matching this glob (`*` also matches `/`); repeatable, the last matching --exclude/--include wins.
    #[arg(long, value_name = "PATTERN")]
    pub(crate) exclude: Vec<String>,
    /// Take paths matching this glob again after an --exclude; repeatable, the last matching --exclude/--include wins.
    #[arg(long, value_name = "PATTERN")]
    pub(crate) include: Vec<String>,
    /// Both lists in command-line order, set by `main` from the matches.
    #[arg(skip)]
    pub(crate) ordered: crate::filter::Filters,
}

/// SSE-C: objects encrypted with a key the caller keeps.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct SseCArgs {
    /// Encrypt uploads and read objects with a customer key (SSE-C); the only algorithm is AES256. Needs --sse-c-key.
    #[arg(long, value_name = "AES256", num_args = 0..=1, default_missing_value = "AES256")]
    pub(crate) sse_c: Option<String>,
    /// The SSE-C key: 32 bytes as given, `fileb://PATH` (a file of 32 bytes), or the base64 of 32 bytes; implies --sse-c. S3-to-S3 copies read the source with the same key unless --sse-c-copy-source-key or --no-sse-c-copy-source says otherwise. Never printed.
    #[arg(long, value_name = "KEY", allow_hyphen_values = true)]
    pub(crate) sse_c_key: Option<SecretArg>,
}

/// SSE-C of an S3-to-S3 copy's source, when it is not the destination's
/// `--sse-c-key` (key rotation, an SSE-C source copied to a plain one, a
/// plain source encrypted by the copy).
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct CopySourceArgs {
    /// S3-to-S3 copies: the source is encrypted with a customer key (SSE-C), given by --sse-c-copy-source-key; the only algorithm is AES256.
    #[arg(long, value_name = "AES256", num_args = 0..=1, default_missing_value = "AES256")]
    pub(crate) sse_c_copy_source: Option<String>,
    /// S3-to-S3 copies: the source's SSE-C key, in the forms of --sse-c-key; implies --sse-c-copy-source. The destination is written with --sse-c-key, --sse or neither. Never printed.
    #[arg(long, value_name = "KEY", allow_hyphen_values = true)]
    pub(crate) sse_c_copy_source_key: Option<SecretArg>,
    /// S3-to-S3 copies: the source has no SSE-C key (plain, SSE-S3 or SSE-KMS), so it is read without one even with --sse-c-key (which then encrypts the copy).
    #[arg(long, conflicts_with_all = ["sse_c_copy_source", "sse_c_copy_source_key"])]
    pub(crate) no_sse_c_copy_source: bool,
}

/// A secret option value: its `Debug` shows a placeholder.
#[derive(Clone)]
pub(crate) struct SecretArg(pub(crate) String);

impl std::str::FromStr for SecretArg {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(SecretArg(s.to_string()))
    }
}

impl std::fmt::Debug for SecretArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
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
    /// Cache-Control of uploads (and of S3-to-S3 copies with --metadata-directive REPLACE).
    #[arg(long, value_name = "VALUE")]
    pub(crate) cache_control: Option<String>,
    /// Content-Disposition of uploads (and REPLACE copies).
    #[arg(long, value_name = "VALUE")]
    pub(crate) content_disposition: Option<String>,
    /// Content-Encoding of uploads (and REPLACE copies).
    #[arg(long, value_name = "VALUE")]
    pub(crate) content_encoding: Option<String>,
    /// Content-Language of uploads (and REPLACE copies).
    #[arg(long, value_name = "VALUE")]
    pub(crate) content_language: Option<String>,
    /// User metadata of uploads, `name=value`; repeat it or separate pairs with commas. On S3-to-S3 copies it implies --metadata-directive REPLACE.
    #[arg(long, value_name = "NAME=VALUE")]
    pub(crate) metadata: Vec<String>,
    /// S3-to-S3 copies: COPY the source's attributes and metadata (the default), or REPLACE them with --content-type, --cache-control, --content-*, --metadata.
    #[arg(long, value_name = "COPY|REPLACE")]
    pub(crate) metadata_directive: Option<String>,
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
    #[command(flatten)]
    pub(crate) filters: FilterArgs,
    /// Print what would be deleted, delete nothing.
    #[arg(long)]
    pub(crate) dryrun: bool,
}

/// `cat`.
#[derive(Debug, Args)]
pub(crate) struct CatArgs {
    /// `s3://bucket/key`.
    pub(crate) url: String,
    #[command(flatten)]
    pub(crate) sse_c: SseCArgs,
}

/// `stat`.
#[derive(Debug, Args)]
pub(crate) struct StatArgs {
    /// `s3://bucket/key`.
    pub(crate) url: String,
    /// One JSON object instead of lines.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) sse_c: SseCArgs,
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
    #[command(flatten)]
    pub(crate) sse_c: SseCArgs,
    #[command(flatten)]
    pub(crate) copy_source: CopySourceArgs,
    #[command(flatten)]
    pub(crate) filters: FilterArgs,
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
