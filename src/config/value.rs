//! Parsing of configuration values: booleans, durations, base64, and the
//! named choices (checksum, encryption, conditional put, copy-if-not-exists).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::error::{Error, Result};

/// `1/true/on/yes/y` and `0/false/off/no/n`, in any case; `None` otherwise.
///
/// ```
/// assert_eq!(s3lite::config::parse_bool("Yes"), Some(true));
/// assert_eq!(s3lite::config::parse_bool("maybe"), None);
/// ```
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" | "y" => Some(true),
        "0" | "false" | "off" | "no" | "n" => Some(false),
        _ => None,
    }
}

/// A duration: plain seconds (`30`, `1.5`) or numbers with units, summed
/// (`500ms`, `30s`, `2m`, `1h`, `1m30s`, `1m 30s`). Units: `ns`, `us`,
/// `ms`, `s`/`sec`/`secs`/`second(s)`, `m`/`min`/`mins`/`minute(s)`,
/// `h`/`hr`/`hour(s)`, `d`/`day(s)`. `None` for anything else.
///
/// ```
/// use std::time::Duration;
/// use s3lite::config::parse_duration;
/// assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
/// assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
/// assert_eq!(parse_duration("30"), Some(Duration::from_secs(30)));
/// assert_eq!(parse_duration("soon"), None);
/// ```
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(secs) = s.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_end == 0 {
            return None;
        }
        let number: f64 = rest[..num_end].parse().ok()?;
        rest = rest[num_end..].trim_start();
        let unit_end = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let unit = rest[..unit_end].to_ascii_lowercase();
        rest = rest[unit_end..].trim_start();
        let scale = match unit.as_str() {
            "ns" | "nsec" => 1e-9,
            "us" | "usec" | "µs" => 1e-6,
            "ms" | "msec" | "millis" => 1e-3,
            "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
            "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
            "d" | "day" | "days" => 86400.0,
            _ => return None,
        };
        total = total.checked_add(Duration::try_from_secs_f64(number * scale).ok()?)?;
    }
    Some(total)
}

pub use crate::encoding::decode_base64;

/// Decodes `%XX` escapes; `None` for a bad escape or invalid UTF-8.
///
/// ```
/// assert_eq!(s3lite::config::percent_decode("a%20b").as_deref(), Some("a b"));
/// ```
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A checksum algorithm S3 can verify on upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChecksumAlgorithm {
    /// CRC-32.
    Crc32,
    /// CRC-32C.
    Crc32c,
    /// CRC-64/NVME.
    Crc64Nvme,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
}

impl ChecksumAlgorithm {
    /// The name S3 uses in `x-amz-checksum-algorithm` (`CRC32C`, `SHA256`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "CRC32",
            ChecksumAlgorithm::Crc32c => "CRC32C",
            ChecksumAlgorithm::Crc64Nvme => "CRC64NVME",
            ChecksumAlgorithm::Sha1 => "SHA1",
            ChecksumAlgorithm::Sha256 => "SHA256",
        }
    }
}

impl FromStr for ChecksumAlgorithm {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Ok(
            match s
                .trim()
                .to_ascii_lowercase()
                .replace(['-', '_'], "")
                .as_str()
            {
                "crc32" => ChecksumAlgorithm::Crc32,
                "crc32c" => ChecksumAlgorithm::Crc32c,
                "crc64nvme" => ChecksumAlgorithm::Crc64Nvme,
                "sha1" => ChecksumAlgorithm::Sha1,
                "sha256" => ChecksumAlgorithm::Sha256,
                _ => {
                    return Err(Error::invalid_config(
                        "checksum_algorithm",
                        s,
                        "unknown checksum; expected crc32, crc32c, crc64nvme, sha1 or sha256",
                    ));
                }
            },
        )
    }
}

/// When checksums are sent on upload (`request_checksum_calculation`) or
/// checked on download (`response_checksum_validation`), as the AWS SDKs'
/// settings of the same names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChecksumWhen {
    /// On every operation that supports one: uploads carry a checksum
    /// (`checksum_algorithm`, else CRC32), downloads ask for and check it.
    WhenSupported,
    /// Only where the operation requires one or `checksum_algorithm` asks
    /// for it.
    WhenRequired,
}

impl ChecksumWhen {
    /// `when_supported` or `when_required`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChecksumWhen::WhenSupported => "when_supported",
            ChecksumWhen::WhenRequired => "when_required",
        }
    }
}

impl FromStr for ChecksumWhen {
    type Err = Error;

    /// `when_supported` / `when_required`, in any case, with `_`, `-` or
    /// nothing between the words (the AWS CLI writes `WHEN_SUPPORTED`).
    fn from_str(s: &str) -> Result<Self> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_'], "")
            .as_str()
        {
            "whensupported" => Ok(ChecksumWhen::WhenSupported),
            "whenrequired" => Ok(ChecksumWhen::WhenRequired),
            _ => Err(Error::invalid_config(
                "checksum mode",
                s,
                "expected when_supported or when_required",
            )),
        }
    }
}

/// Server-side encryption of uploaded objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServerSideEncryption {
    /// `AES256`: SSE-S3, keys managed by S3.
    Aes256,
    /// `aws:kms`: SSE-KMS.
    Kms,
    /// `aws:kms:dsse`: dual-layer SSE-KMS.
    DsseKms,
    /// `sse-c`: a key the caller supplies with every request.
    SseC,
}

impl ServerSideEncryption {
    /// The configuration spelling (`AES256`, `aws:kms`, `aws:kms:dsse`, `sse-c`).
    pub fn as_str(self) -> &'static str {
        match self {
            ServerSideEncryption::Aes256 => "AES256",
            ServerSideEncryption::Kms => "aws:kms",
            ServerSideEncryption::DsseKms => "aws:kms:dsse",
            ServerSideEncryption::SseC => "sse-c",
        }
    }
}

impl FromStr for ServerSideEncryption {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "aes256" | "sse-s3" => ServerSideEncryption::Aes256,
            "aws:kms" | "sse-kms" => ServerSideEncryption::Kms,
            "aws:kms:dsse" | "dsse-kms" => ServerSideEncryption::DsseKms,
            "sse-c" => ServerSideEncryption::SseC,
            _ => {
                return Err(Error::invalid_config(
                    "server_side_encryption",
                    s,
                    "unknown encryption; expected AES256, aws:kms, aws:kms:dsse or sse-c",
                ));
            }
        })
    }
}

/// A canned ACL of the objects a store writes (`x-amz-acl`), as boto3's
/// `ExtraArgs={"ACL": ...}` and composer's `S3_CANNED_ACL`.
///
/// ```
/// use s3lite::config::CannedAcl;
/// let acl: CannedAcl = "bucket-owner-full-control".parse()?;
/// assert_eq!(acl, CannedAcl::BucketOwnerFullControl);
/// assert_eq!(acl.as_str(), "bucket-owner-full-control");
/// # Ok::<(), s3lite::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CannedAcl {
    /// `private`: the owner only (S3's default).
    Private,
    /// `public-read`: anyone may read.
    PublicRead,
    /// `public-read-write`: anyone may read and write.
    PublicReadWrite,
    /// `authenticated-read`: any AWS account may read.
    AuthenticatedRead,
    /// `aws-exec-read`: EC2 may read AMI bundles.
    AwsExecRead,
    /// `bucket-owner-read`: the bucket's owner may read.
    BucketOwnerRead,
    /// `bucket-owner-full-control`: the bucket's owner has full control.
    BucketOwnerFullControl,
}

impl CannedAcl {
    /// Every canned ACL of an object.
    pub const ALL: [CannedAcl; 7] = [
        CannedAcl::Private,
        CannedAcl::PublicRead,
        CannedAcl::PublicReadWrite,
        CannedAcl::AuthenticatedRead,
        CannedAcl::AwsExecRead,
        CannedAcl::BucketOwnerRead,
        CannedAcl::BucketOwnerFullControl,
    ];

    /// The `x-amz-acl` value (`public-read`).
    pub fn as_str(self) -> &'static str {
        match self {
            CannedAcl::Private => "private",
            CannedAcl::PublicRead => "public-read",
            CannedAcl::PublicReadWrite => "public-read-write",
            CannedAcl::AuthenticatedRead => "authenticated-read",
            CannedAcl::AwsExecRead => "aws-exec-read",
            CannedAcl::BucketOwnerRead => "bucket-owner-read",
            CannedAcl::BucketOwnerFullControl => "bucket-owner-full-control",
        }
    }
}

impl fmt::Display for CannedAcl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CannedAcl {
    type Err = Error;

    /// The `x-amz-acl` spelling, in any case.
    ///
    /// # Errors
    /// `InvalidConfig` naming the value and listing the canned ACLs.
    fn from_str(s: &str) -> Result<Self> {
        let v = s.trim();
        CannedAcl::ALL
            .into_iter()
            .find(|acl| acl.as_str().eq_ignore_ascii_case(v))
            .ok_or_else(|| {
                let names: Vec<&str> = CannedAcl::ALL.iter().map(|a| a.as_str()).collect();
                Error::invalid_config(
                    "canned_acl",
                    s,
                    format!("unknown canned ACL; expected one of {}", names.join(", ")),
                )
            })
    }
}

/// How conditional puts are provided.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConditionalPut {
    /// `etag`: the standard `If-Match` / `If-None-Match` headers (default).
    ETag,
    /// `disabled`: conditional puts fail.
    Disabled,
    /// `dynamo:<table>[:<timeout ms>]`: a DynamoDB lock table.
    Dynamo {
        /// The table name.
        table: String,
        /// The lock timeout in milliseconds, when given.
        timeout_ms: Option<u64>,
    },
}

impl FromStr for ConditionalPut {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = |why: &str| Error::invalid_config("conditional_put", s, why);
        match s.trim() {
            v if v.eq_ignore_ascii_case("etag") => Ok(ConditionalPut::ETag),
            v if v.eq_ignore_ascii_case("disabled") => Ok(ConditionalPut::Disabled),
            v => match parse_dynamo(v) {
                Some(Ok((table, timeout_ms))) => Ok(ConditionalPut::Dynamo { table, timeout_ms }),
                Some(Err(why)) => Err(bad(why)),
                None => Err(bad(
                    "expected etag, disabled or dynamo:<table>[:<timeout ms>]",
                )),
            },
        }
    }
}

/// How "copy if not exists" is provided.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CopyIfNotExists {
    /// `multipart`: a multipart copy completed with `If-None-Match: *`.
    Multipart,
    /// `header:<name>:<value>`: a copy with this header; 412 means it exists.
    Header {
        /// Header name.
        name: String,
        /// Header value.
        value: String,
    },
    /// `header-with-status:<name>:<value>:<status>`: as `Header`, with the
    /// status the store answers when the target exists.
    HeaderWithStatus {
        /// Header name.
        name: String,
        /// Header value.
        value: String,
        /// The "already exists" status.
        status: u16,
    },
    /// `dynamo:<table>[:<timeout ms>]`: a DynamoDB lock table.
    Dynamo {
        /// The table name.
        table: String,
        /// The lock timeout in milliseconds, when given.
        timeout_ms: Option<u64>,
    },
}

impl FromStr for CopyIfNotExists {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = |why: &str| Error::invalid_config("copy_if_not_exists", s, why);
        let v = s.trim();
        if v.eq_ignore_ascii_case("multipart") {
            return Ok(CopyIfNotExists::Multipart);
        }
        if let Some(Ok((table, timeout_ms))) = parse_dynamo(v) {
            return Ok(CopyIfNotExists::Dynamo { table, timeout_ms });
        } else if let Some(Err(why)) = parse_dynamo(v) {
            return Err(bad(why));
        }
        let header = |rest: &str| -> Option<(String, String)> {
            let (name, value) = rest.split_once(':')?;
            let (name, value) = (name.trim(), value.trim());
            let ok = !name.is_empty()
                && http::HeaderName::from_bytes(name.as_bytes()).is_ok()
                && http::HeaderValue::from_str(value).is_ok();
            ok.then(|| (name.to_string(), value.to_string()))
        };
        if let Some(rest) = v.strip_prefix("header-with-status:") {
            let (head, status) = rest.rsplit_once(':').ok_or_else(|| bad("missing status"))?;
            let status: u16 = status
                .trim()
                .parse()
                .ok()
                .filter(|s| (100..600).contains(s))
                .ok_or_else(|| bad("status must be an HTTP status code"))?;
            let (name, value) = header(head).ok_or_else(|| bad("expected <name>:<value>"))?;
            return Ok(CopyIfNotExists::HeaderWithStatus {
                name,
                value,
                status,
            });
        }
        if let Some(rest) = v.strip_prefix("header:") {
            let (name, value) =
                header(rest).ok_or_else(|| bad("expected header:<name>:<value>"))?;
            return Ok(CopyIfNotExists::Header { name, value });
        }
        Err(bad(
            "expected multipart, header:<name>:<value>, header-with-status:<name>:<value>:<status> or dynamo:<table>",
        ))
    }
}

/// `dynamo:<table>[:<ms>]`: `None` when not a dynamo value.
fn parse_dynamo(v: &str) -> Option<std::result::Result<(String, Option<u64>), &'static str>> {
    let rest = v.strip_prefix("dynamo:")?;
    let (table, timeout) = match rest.split_once(':') {
        Some((t, ms)) => match ms.trim().parse::<u64>() {
            Ok(ms) => (t, Some(ms)),
            Err(_) => return Some(Err("the dynamo timeout must be milliseconds")),
        },
        None => (rest, None),
    };
    if table.trim().is_empty() {
        return Some(Err("the dynamo table name is empty"));
    }
    Some(Ok((table.trim().to_string(), timeout)))
}

impl fmt::Display for ChecksumAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ServerSideEncryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Built-in `Content-Type` of common key suffixes (lower-case, no dot).
const CONTENT_TYPES: &[(&str, &str)] = &[
    ("avif", "image/avif"),
    ("bin", "application/octet-stream"),
    ("bmp", "image/bmp"),
    ("css", "text/css"),
    ("csv", "text/csv"),
    ("gif", "image/gif"),
    ("gz", "application/gzip"),
    ("htm", "text/html"),
    ("html", "text/html"),
    ("ico", "image/vnd.microsoft.icon"),
    ("jpeg", "image/jpeg"),
    ("jpg", "image/jpeg"),
    ("js", "text/javascript"),
    ("json", "application/json"),
    ("jsonl", "application/jsonl"),
    ("md", "text/markdown"),
    ("mjs", "text/javascript"),
    ("mp3", "audio/mpeg"),
    ("mp4", "video/mp4"),
    ("ndjson", "application/x-ndjson"),
    ("parquet", "application/vnd.apache.parquet"),
    ("pdf", "application/pdf"),
    ("png", "image/png"),
    ("svg", "image/svg+xml"),
    ("tar", "application/x-tar"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
    ("txt", "text/plain"),
    ("wasm", "application/wasm"),
    ("webm", "video/webm"),
    ("webp", "image/webp"),
    ("xml", "application/xml"),
    ("yaml", "application/yaml"),
    ("yml", "application/yaml"),
    ("zip", "application/zip"),
    ("zst", "application/zstd"),
];

/// The built-in `Content-Type` of `key` by its suffix (`a/b.JSON` ->
/// `application/json`), `None` for unknown suffixes.
///
/// ```
/// assert_eq!(s3lite::config::content_type_for("img/cat.PNG"), Some("image/png"));
/// assert_eq!(s3lite::config::content_type_for("README"), None);
/// ```
pub fn content_type_for(key: &str) -> Option<&'static str> {
    let name = key.rsplit('/').next().unwrap_or(key);
    let (_, ext) = name.rsplit_once('.')?;
    let ext = ext.to_ascii_lowercase();
    CONTENT_TYPES
        .iter()
        .find(|(e, _)| *e == ext)
        .map(|(_, ct)| *ct)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let cases: &[(&str, Option<Duration>)] = &[
            ("30s", Some(Duration::from_secs(30))),
            ("500ms", Some(Duration::from_millis(500))),
            ("2m", Some(Duration::from_secs(120))),
            ("1h", Some(Duration::from_secs(3600))),
            ("1m 30s", Some(Duration::from_secs(90))),
            ("1.5s", Some(Duration::from_millis(1500))),
            ("15", Some(Duration::from_secs(15))),
            ("0", Some(Duration::ZERO)),
            ("", None),
            ("-1", None),
            ("s", None),
            ("10 parsecs", None),
            ("1e400", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_duration(s), *want, "{s}");
        }
    }

    #[test]
    fn base64_round_trips_known_values() {
        assert_eq!(decode_base64("").as_deref(), Some(&b""[..]));
        assert_eq!(decode_base64("Zg==").as_deref(), Some(&b"f"[..]));
        assert_eq!(decode_base64("Zm8=").as_deref(), Some(&b"fo"[..]));
        assert_eq!(decode_base64("Zm9v").as_deref(), Some(&b"foo"[..]));
        assert_eq!(decode_base64("Zm9vYg").as_deref(), Some(&b"foob"[..]));
        assert_eq!(decode_base64("Zm9vYmFy").as_deref(), Some(&b"foobar"[..]));
        for bad in ["Z", "Zm9v!", "Zm=9", "Zm9vY==="] {
            assert_eq!(decode_base64(bad), None, "{bad}");
        }
    }

    #[test]
    fn named_choices_parse_and_reject_unknown() {
        assert_eq!(
            "CRC32C".parse::<ChecksumAlgorithm>().ok(),
            Some(ChecksumAlgorithm::Crc32c)
        );
        assert!("md5".parse::<ChecksumAlgorithm>().is_err());
        assert_eq!(
            "AWS:KMS".parse::<ServerSideEncryption>().ok(),
            Some(ServerSideEncryption::Kms)
        );
        assert!("rot13".parse::<ServerSideEncryption>().is_err());
        assert_eq!(
            "dynamo:locks:5000".parse::<ConditionalPut>().ok(),
            Some(ConditionalPut::Dynamo {
                table: "locks".into(),
                timeout_ms: Some(5000)
            })
        );
        assert_eq!(
            "header-with-status:x-if:*:409"
                .parse::<CopyIfNotExists>()
                .ok(),
            Some(CopyIfNotExists::HeaderWithStatus {
                name: "x-if".into(),
                value: "*".into(),
                status: 409
            })
        );
        assert!("header:bad name:1".parse::<CopyIfNotExists>().is_err());
    }
}
