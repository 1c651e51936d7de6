//! Where a command reads or writes: an `s3://bucket/key` URL, a local path,
//! or `-` for stdin/stdout.

use std::fmt;
use std::path::PathBuf;

use crate::error::{CliError, CliResult};

/// A parsed command-line location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    /// `s3://bucket/key`; `key` may be empty or a prefix.
    S3 { bucket: String, key: String },
    /// A local file or directory.
    Local(PathBuf),
    /// `-`: stdin as a source, stdout as a destination.
    Stdio,
}

impl Location {
    /// Parses `arg`. Anything starting with `s3:` (any case) must be a
    /// well-formed `s3://bucket[/key]`; other text is a local path.
    pub(crate) fn parse(arg: &str) -> CliResult<Location> {
        if arg == "-" {
            return Ok(Location::Stdio);
        }
        let scheme = arg.get(..3).is_some_and(|s| s.eq_ignore_ascii_case("s3:"));
        if !scheme {
            if arg.is_empty() {
                return Err(CliError::usage("an empty path is not a location"));
            }
            return Ok(Location::Local(PathBuf::from(arg)));
        }
        let Some(rest) = arg.get(5..).filter(|_| arg.get(3..5) == Some("//")) else {
            return Err(CliError::usage(format!(
                "bad S3 URL {arg:?}: expected s3://bucket/key"
            )));
        };
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(CliError::usage(format!(
                "bad S3 URL {arg:?}: no bucket name after s3://"
            )));
        }
        Ok(Location::S3 {
            bucket: bucket.to_string(),
            key: key.to_string(),
        })
    }

    /// Parses `arg`, which must be an S3 URL (for `ls`, `rm`, `cat`, ...).
    pub(crate) fn parse_s3(arg: &str) -> CliResult<(String, String)> {
        match Location::parse(arg)? {
            Location::S3 { bucket, key } => Ok((bucket, key)),
            _ => Err(CliError::usage(format!(
                "{arg:?} is not an S3 URL: expected s3://bucket/key"
            ))),
        }
    }

    /// Parses `arg`, which must name an object: `s3://bucket/key` with a key
    /// that does not end in `/`.
    pub(crate) fn parse_object(arg: &str) -> CliResult<(String, String)> {
        let (bucket, key) = Location::parse_s3(arg)?;
        if key.is_empty() || key.ends_with('/') {
            return Err(CliError::usage(format!(
                "{arg:?} names no object: expected s3://bucket/key"
            )));
        }
        Ok((bucket, key))
    }

    /// Parses `arg`, which must name a bucket alone: `s3://bucket`.
    pub(crate) fn parse_bucket(arg: &str) -> CliResult<String> {
        let (bucket, key) = Location::parse_s3(arg)?;
        if !key.is_empty() {
            return Err(CliError::usage(format!(
                "{arg:?} has a key: expected s3://bucket"
            )));
        }
        Ok(bucket)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
            Location::Local(p) => write!(f, "{}", p.display()),
            Location::Stdio => f.write_str("-"),
        }
    }
}

/// `s3://bucket/key`.
pub(crate) fn s3_url(bucket: &str, key: &str) -> String {
    format!("s3://{bucket}/{key}")
}

/// A prefix as a directory: empty stays empty, else it ends in `/`.
pub(crate) fn dir_prefix(key: &str) -> String {
    if key.is_empty() || key.ends_with('/') {
        key.to_string()
    } else {
        format!("{key}/")
    }
}

/// The last `/`-separated part of `key`.
pub(crate) fn base_name(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3(bucket: &str, key: &str) -> Location {
        Location::S3 {
            bucket: bucket.into(),
            key: key.into(),
        }
    }

    #[test]
    fn s3_urls_split_into_bucket_and_key() {
        assert_eq!(Location::parse("s3://b").ok(), Some(s3("b", "")));
        assert_eq!(Location::parse("s3://b/").ok(), Some(s3("b", "")));
        assert_eq!(
            Location::parse("s3://b/a/b c/é").ok(),
            Some(s3("b", "a/b c/é"))
        );
        assert_eq!(Location::parse("S3://b/k").ok(), Some(s3("b", "k")));
    }

    #[test]
    fn bad_s3_urls_are_usage_errors_naming_the_url() {
        for bad in ["s3:/b/k", "s3:b", "s3://", "s3:///k", "s3:", "s3:中/k"] {
            let e = Location::parse(bad).expect_err(bad);
            assert_eq!(e.code, crate::error::EXIT_USAGE, "{bad}");
            assert!(e.message.contains(&format!("{bad:?}")), "{bad}: {e}");
        }
    }

    #[test]
    fn dash_and_paths() {
        assert_eq!(Location::parse("-").ok(), Some(Location::Stdio));
        assert_eq!(
            Location::parse("./s3:x").ok(),
            Some(Location::Local("./s3:x".into()))
        );
        assert!(Location::parse("").is_err());
    }

    #[test]
    fn objects_and_buckets_are_checked() {
        assert!(Location::parse_object("s3://b/").is_err());
        assert!(Location::parse_object("s3://b/dir/").is_err());
        assert!(Location::parse_object("/tmp/x").is_err());
        assert_eq!(
            Location::parse_object("s3://b/k").ok(),
            Some(("b".into(), "k".into()))
        );
        assert!(Location::parse_bucket("s3://b/k").is_err());
        assert_eq!(Location::parse_bucket("s3://b/").ok(), Some("b".into()));
    }

    #[test]
    fn prefixes_and_names() {
        assert_eq!(dir_prefix(""), "");
        assert_eq!(dir_prefix("a"), "a/");
        assert_eq!(dir_prefix("a/"), "a/");
        assert_eq!(base_name("a/b/c.txt"), "c.txt");
        assert_eq!(base_name("c"), "c");
    }
}
