//! How objects are written, from the command's options: the `PutOptions`
//! of uploads, the `CopyOptions` of S3-to-S3 copies (`--metadata-directive`),
//! and the library keys of `--sse`, `--sse-c` and `--checksum`.

use s3lite::config::S3ConfigKey;
use s3lite::{CopyMetadata, CopyOptions, PutOptions};

use crate::args::{PutArgs, SseCArgs};
use crate::error::{CliError, CliResult};

/// How uploads and S3-to-S3 copies write their objects.
#[derive(Debug, Clone, Default)]
pub(crate) struct WriteOptions {
    /// Uploads (files and stdin).
    pub(crate) put: PutOptions,
    /// Server-side copies.
    pub(crate) copy: CopyOptions,
}

/// The options of a command that writes, checked for a copy between two
/// S3 locations when `s3_to_s3`: attributes given there need
/// `--metadata-directive REPLACE` (`--metadata` implies it, as in the AWS
/// CLI), since a COPY keeps the source's.
pub(crate) fn write_options(args: &PutArgs, s3_to_s3: bool) -> CliResult<WriteOptions> {
    let put = put_options(args)?;
    let replace = match args.metadata_directive.as_deref() {
        None => !put.metadata.is_empty(),
        Some(d) if d.eq_ignore_ascii_case("COPY") => false,
        Some(d) if d.eq_ignore_ascii_case("REPLACE") => true,
        Some(d) => {
            return Err(CliError::usage(format!(
                "--metadata-directive {d:?}: expected COPY or REPLACE"
            )));
        }
    };
    let mut copy = CopyOptions::default();
    if let Some(class) = &args.storage_class {
        copy = copy.with_storage_class(class);
    }
    if replace {
        let mut m = CopyMetadata::default();
        m.content_type = put.content_type.clone();
        m.content_encoding = put.content_encoding.clone();
        m.content_disposition = put.content_disposition.clone();
        m.content_language = put.content_language.clone();
        m.cache_control = put.cache_control.clone();
        m.metadata = put.metadata.clone();
        copy = copy.with_replace_metadata(m);
    } else if s3_to_s3 {
        let given = [
            ("--content-type", args.content_type.is_some()),
            ("--cache-control", args.cache_control.is_some()),
            ("--content-disposition", args.content_disposition.is_some()),
            ("--content-encoding", args.content_encoding.is_some()),
            ("--content-language", args.content_language.is_some()),
            ("--metadata", !args.metadata.is_empty()),
        ];
        if let Some((option, _)) = given.iter().find(|(_, set)| *set) {
            return Err(CliError::usage(format!(
                "{option} on an S3-to-S3 copy needs --metadata-directive REPLACE (COPY, the default, keeps the source's attributes and metadata)"
            )));
        }
    }
    Ok(WriteOptions { put, copy })
}

/// How uploads are written, from the command's options.
pub(crate) fn put_options(args: &PutArgs) -> CliResult<PutOptions> {
    let mut options = PutOptions::default();
    if let Some(alg) = &args.checksum {
        let alg = alg.parse().map_err(|_| {
            CliError::usage(format!(
                "--checksum {alg:?}: expected CRC32, CRC32C, CRC64NVME, SHA1 or SHA256"
            ))
        })?;
        options = options.with_checksum(alg);
    }
    if let Some(t) = &args.content_type {
        options = options.with_content_type(t);
    }
    if let Some(v) = &args.cache_control {
        options = options.with_cache_control(v);
    }
    if let Some(v) = &args.content_disposition {
        options = options.with_content_disposition(v);
    }
    if let Some(v) = &args.content_encoding {
        options = options.with_content_encoding(v);
    }
    if let Some(v) = &args.content_language {
        options = options.with_content_language(v);
    }
    if let Some(class) = &args.storage_class {
        options = options.with_storage_class(class);
    }
    for pair in args.metadata.iter().flat_map(|m| m.split(',')) {
        match pair.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => {
                options = options.with_metadata(name.trim(), value);
            }
            _ => {
                return Err(CliError::usage(format!(
                    "--metadata {pair:?}: expected name=value"
                )));
            }
        }
    }
    Ok(options)
}

/// Library keys of the upload options: `--sse`, `--sse-kms-key-id`, and
/// checked downloads with `--checksum`.
pub(crate) fn put_config(p: &PutArgs) -> Vec<(S3ConfigKey, String)> {
    let mut keys = Vec::new();
    if let Some(sse) = &p.sse {
        keys.push((S3ConfigKey::ServerSideEncryption, sse.clone()));
    }
    if let Some(id) = &p.sse_kms_key_id {
        keys.push((S3ConfigKey::SseKmsKeyId, id.clone()));
    }
    if p.checksum.is_some() {
        // Downloads are then checked against the stored checksum.
        keys.push((
            S3ConfigKey::ResponseChecksumValidation,
            "when_supported".to_string(),
        ));
    }
    keys
}

/// Library keys of `--sse-c` / `--sse-c-key`: `server_side_encryption =
/// sse-c` and the key as base64 (`sse_customer_key_base64`). `sse` is the
/// command's `--sse`, which cannot go with them.
///
/// The key is 32 bytes as given (as the AWS CLI takes it), `fileb://PATH`
/// (the file's 32 bytes), or the base64 of 32 bytes (44 characters, so it
/// cannot be taken for a raw key). No message shows it.
///
/// # Errors
/// A usage error (exit 2) for a missing, short or unreadable key, another
/// algorithm than AES256, or `--sse` with it.
pub(crate) fn sse_c_config(
    args: &SseCArgs,
    sse: Option<&str>,
) -> CliResult<Vec<(S3ConfigKey, String)>> {
    let Some(key) = &args.sse_c_key else {
        return match &args.sse_c {
            Some(_) => Err(CliError::usage(
                "--sse-c needs the key: --sse-c-key KEY (32 bytes, fileb://PATH or base64)",
            )),
            None => Ok(Vec::new()),
        };
    };
    if let Some(alg) = &args.sse_c
        && !alg.eq_ignore_ascii_case("AES256")
    {
        return Err(CliError::usage(format!(
            "--sse-c {alg:?}: the only SSE-C algorithm is AES256"
        )));
    }
    if let Some(sse) = sse {
        return Err(CliError::usage(format!(
            "--sse {sse} and --sse-c: an object has one kind of server-side encryption"
        )));
    }
    let raw = customer_key(&key.0)?;
    Ok(vec![
        (S3ConfigKey::ServerSideEncryption, "sse-c".to_string()),
        (
            S3ConfigKey::SseCustomerKeyBase64,
            s3lite::encoding::encode_base64(&raw),
        ),
    ])
}

/// The 32 bytes of an `--sse-c-key` value (see [`sse_c_config`]).
fn customer_key(value: &str) -> CliResult<Vec<u8>> {
    const FORMS: &str = "32 bytes, fileb://PATH of a 32-byte file, or the base64 of 32 bytes";
    if let Some(path) = value.strip_prefix("fileb://") {
        let bytes = std::fs::read(path)
            .map_err(|e| CliError::usage(format!("--sse-c-key fileb://{path}: {e}")))?;
        if bytes.len() != 32 {
            return Err(CliError::usage(format!(
                "--sse-c-key fileb://{path}: the file holds {} bytes; an SSE-C key is 32",
                bytes.len()
            )));
        }
        return Ok(bytes);
    }
    if value.len() == 32 {
        return Ok(value.as_bytes().to_vec());
    }
    match s3lite::encoding::decode_base64(value) {
        Some(bytes) if bytes.len() == 32 => Ok(bytes),
        _ => Err(CliError::usage(format!(
            "--sse-c-key: not a key ({} characters); expected {FORMS}",
            value.chars().count()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::SecretArg;

    #[test]
    fn metadata_pairs_parse_and_bad_ones_name_the_pair() {
        let args = PutArgs {
            metadata: vec!["a=1,b=2".into(), "c=x=y".into()],
            ..PutArgs::default()
        };
        let o = put_options(&args).ok().map(|o| o.metadata);
        assert_eq!(
            o,
            Some(vec![
                ("a".into(), "1".into()),
                ("b".into(), "2".into()),
                ("c".into(), "x=y".into())
            ])
        );
        let bad = PutArgs {
            metadata: vec!["novalue".into()],
            ..PutArgs::default()
        };
        let e = put_options(&bad).expect_err("no =");
        assert!(e.message.contains("\"novalue\""), "{e}");
        let bad = PutArgs {
            checksum: Some("md4".into()),
            ..PutArgs::default()
        };
        assert!(
            put_options(&bad)
                .expect_err("md4")
                .message
                .contains("\"md4\"")
        );
    }

    #[test]
    fn copies_keep_metadata_unless_replace_or_metadata_is_given() {
        let plain = write_options(&PutArgs::default(), true).map(|o| o.copy);
        assert_eq!(plain.ok(), Some(CopyOptions::default()));
        // --metadata implies REPLACE, as in the AWS CLI.
        let meta = PutArgs {
            metadata: vec!["a=1".into()],
            ..PutArgs::default()
        };
        let copy = write_options(&meta, true).map(|o| o.copy.replace_metadata);
        let metadata = copy.ok().flatten().map(|m| m.metadata);
        assert_eq!(metadata, Some(vec![("a".into(), "1".into())]));
        // An attribute with COPY on an S3-to-S3 copy would be lost: refused.
        let typed = PutArgs {
            content_type: Some("text/csv".into()),
            ..PutArgs::default()
        };
        let e = write_options(&typed, true).expect_err("COPY with --content-type");
        assert!(e.message.contains("--content-type"), "{e}");
        assert!(write_options(&typed, false).is_ok(), "uploads take it");
        let replace = PutArgs {
            metadata_directive: Some("replace".into()),
            ..typed
        };
        let copy = write_options(&replace, true).map(|o| o.copy.replace_metadata);
        let ct = copy.ok().flatten().and_then(|m| m.content_type);
        assert_eq!(ct.as_deref(), Some("text/csv"));
        let bad = PutArgs {
            metadata_directive: Some("MOVE".into()),
            ..PutArgs::default()
        };
        assert!(write_options(&bad, true).is_err());
    }

    fn sse_c(key: &str) -> SseCArgs {
        SseCArgs {
            sse_c: None,
            sse_c_key: Some(SecretArg(key.to_string())),
        }
    }

    #[test]
    fn sse_c_keys_raw_base64_and_file_give_the_same_base64() {
        let raw = "0123456789abcdef0123456789abcdef";
        let b64 = s3lite::encoding::encode_base64(raw.as_bytes());
        let dir = std::env::temp_dir().join(format!("s3lite-cli-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok();
        let file = dir.join("key");
        std::fs::write(&file, raw).ok();
        let fileb = format!("fileb://{}", file.display());
        for form in [raw, b64.as_str(), fileb.as_str()] {
            let keys = sse_c_config(&sse_c(form), None).unwrap_or_default();
            assert_eq!(
                keys,
                [
                    (S3ConfigKey::ServerSideEncryption, "sse-c".to_string()),
                    (S3ConfigKey::SseCustomerKeyBase64, b64.clone()),
                ]
            );
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn bad_sse_c_options_are_usage_errors_that_never_show_the_key() {
        let short = "short-secret-key";
        let e = sse_c_config(&sse_c(short), None).expect_err("16 bytes");
        assert!(!e.message.contains(short), "{e}");
        assert!(e.message.contains("32 bytes"), "{e}");
        let good = "0123456789abcdef0123456789abcdef";
        let e = sse_c_config(&sse_c(good), Some("AES256")).expect_err("--sse too");
        assert!(!e.message.contains(good), "{e}");
        let mut alg = sse_c(good);
        alg.sse_c = Some("rot13".into());
        assert!(sse_c_config(&alg, None).is_err());
        let no_key = SseCArgs {
            sse_c: Some("AES256".into()),
            sse_c_key: None,
        };
        assert!(sse_c_config(&no_key, None).is_err());
        assert!(!format!("{:?}", sse_c(good)).contains(good));
    }
}
