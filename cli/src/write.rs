//! How objects are written, from the command's options: the `PutOptions`
//! of uploads, the `CopyOptions` of S3-to-S3 copies (`--metadata-directive`,
//! the source's SSE-C key), and the library keys of `--sse`, `--sse-c` and
//! `--checksum`.

use s3lite::config::S3ConfigKey;
use s3lite::{CopyMetadata, CopyOptions, PutOptions};

use crate::args::{CopySourceArgs, PutArgs, SseCArgs};
use crate::error::{CliError, CliResult};

/// How uploads and S3-to-S3 copies write their objects.
#[derive(Debug, Clone, Default)]
pub(crate) struct WriteOptions {
    /// Uploads (files and stdin).
    pub(crate) put: PutOptions,
    /// Server-side copies, reading the source with `copy_source`'s key.
    pub(crate) copy: CopyOptions,
    /// The SSE-C key copies read their source with.
    pub(crate) copy_source: CopySource,
}

/// The options of a command that writes, checked for a copy between two
/// S3 locations when `s3_to_s3`: attributes given there need
/// `--metadata-directive REPLACE` (`--metadata` implies it, as in the AWS
/// CLI), since a COPY keeps the source's; the source's SSE-C options
/// (`source`) mean something only there (see [`copy_source`]).
pub(crate) fn write_options(
    args: &PutArgs,
    source: &CopySourceArgs,
    s3_to_s3: bool,
) -> CliResult<WriteOptions> {
    let copy_source = copy_source(source, s3_to_s3)?;
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
    let copy = copy_source.apply(copy)?;
    Ok(WriteOptions {
        put,
        copy,
        copy_source,
    })
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
    let Some(key) = sse_c_key(
        ("--sse-c", args.sse_c.as_deref()),
        ("--sse-c-key", args.sse_c_key.as_ref().map(|k| k.0.as_str())),
    )?
    else {
        return Ok(Vec::new());
    };
    if let Some(sse) = sse {
        return Err(CliError::usage(format!(
            "--sse {sse} and --sse-c: an object has one kind of server-side encryption"
        )));
    }
    Ok(sse_c_keys(&s3lite::encoding::encode_base64(&key)))
}

/// The SSE-C key an S3-to-S3 copy reads its source with.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) enum CopySource {
    /// The destination's: `--sse-c-key`, or none without it (the default).
    #[default]
    AsDestination,
    /// None (`--no-sse-c-copy-source`): the source is not SSE-C encrypted.
    NoKey,
    /// This key, base64 (`--sse-c-copy-source-key`).
    Key(String),
}

impl std::fmt::Debug for CopySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CopySource::AsDestination => "AsDestination",
            CopySource::NoKey => "NoKey",
            CopySource::Key(_) => "Key(***)",
        })
    }
}

impl CopySource {
    /// `options` reading the source with this key.
    pub(crate) fn apply(&self, options: CopyOptions) -> CliResult<CopyOptions> {
        match self {
            CopySource::AsDestination => Ok(options),
            CopySource::NoKey => Ok(options.without_source_customer_key()),
            // Checked by `copy_source` already; the library's error never
            // shows the key either.
            CopySource::Key(b64) => options
                .with_source_customer_key(b64)
                .map_err(|e| CliError::usage(format!("--sse-c-copy-source-key: {e}"))),
        }
    }

    /// The library keys of a store that reads the source (its HEAD before
    /// a copy), in place of the run's encryption keys; `None` when the
    /// run's store reads it.
    pub(crate) fn store_config(&self) -> Option<Vec<(S3ConfigKey, String)>> {
        match self {
            CopySource::AsDestination => None,
            CopySource::NoKey => Some(Vec::new()),
            CopySource::Key(b64) => Some(sse_c_keys(b64)),
        }
    }
}

/// The source key of an S3-to-S3 copy, from `--sse-c-copy-source` /
/// `--sse-c-copy-source-key` (the key in the forms of `--sse-c-key`) and
/// `--no-sse-c-copy-source`. `s3_to_s3` says whether the command copies
/// between two S3 locations: elsewhere the options mean nothing.
///
/// # Errors
/// A usage error (exit 2) for a missing, short or unreadable key, another
/// algorithm than AES256, or any of the options on a command that is no
/// S3-to-S3 copy.
pub(crate) fn copy_source(args: &CopySourceArgs, s3_to_s3: bool) -> CliResult<CopySource> {
    let given = if args.no_sse_c_copy_source {
        Some("--no-sse-c-copy-source")
    } else if args.sse_c_copy_source_key.is_some() {
        Some("--sse-c-copy-source-key")
    } else if args.sse_c_copy_source.is_some() {
        Some("--sse-c-copy-source")
    } else {
        None
    };
    if let Some(option) = given
        && !s3_to_s3
    {
        return Err(CliError::usage(format!(
            "{option} applies only to S3-to-S3 copies (it names the source's SSE-C key); \
             uploads and downloads take the object's key with --sse-c-key"
        )));
    }
    if args.no_sse_c_copy_source {
        return Ok(CopySource::NoKey);
    }
    let key = sse_c_key(
        ("--sse-c-copy-source", args.sse_c_copy_source.as_deref()),
        (
            "--sse-c-copy-source-key",
            args.sse_c_copy_source_key.as_ref().map(|k| k.0.as_str()),
        ),
    )?;
    Ok(match key {
        Some(raw) => CopySource::Key(s3lite::encoding::encode_base64(&raw)),
        None => CopySource::AsDestination,
    })
}

/// The 32 bytes of an SSE-C key option pair (`--sse-c` and `--sse-c-key`,
/// or their copy-source twins): `None` when neither is given.
fn sse_c_key(
    (algorithm_option, algorithm): (&str, Option<&str>),
    (key_option, key): (&str, Option<&str>),
) -> CliResult<Option<Vec<u8>>> {
    let Some(key) = key else {
        return match algorithm {
            Some(_) => Err(CliError::usage(format!(
                "{algorithm_option} needs the key: {key_option} KEY (32 bytes, fileb://PATH or base64)"
            ))),
            None => Ok(None),
        };
    };
    if let Some(alg) = algorithm
        && !alg.eq_ignore_ascii_case("AES256")
    {
        return Err(CliError::usage(format!(
            "{algorithm_option} {alg:?}: the only SSE-C algorithm is AES256"
        )));
    }
    customer_key(key_option, key).map(Some)
}

/// The store keys of SSE-C with the key whose base64 is `b64`.
fn sse_c_keys(b64: &str) -> Vec<(S3ConfigKey, String)> {
    vec![
        (S3ConfigKey::ServerSideEncryption, "sse-c".to_string()),
        (S3ConfigKey::SseCustomerKeyBase64, b64.to_string()),
    ]
}

/// The 32 bytes of the value of the key option `option` (see
/// [`sse_c_config`]).
fn customer_key(option: &str, value: &str) -> CliResult<Vec<u8>> {
    const FORMS: &str = "32 bytes, fileb://PATH of a 32-byte file, or the base64 of 32 bytes";
    if let Some(path) = value.strip_prefix("fileb://") {
        let bytes = std::fs::read(path)
            .map_err(|e| CliError::usage(format!("{option} fileb://{path}: {e}")))?;
        if bytes.len() != 32 {
            return Err(CliError::usage(format!(
                "{option} fileb://{path}: the file holds {} bytes; an SSE-C key is 32",
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
            "{option}: not a key ({} characters); expected {FORMS}",
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
        let plain =
            write_options(&PutArgs::default(), &CopySourceArgs::default(), true).map(|o| o.copy);
        assert_eq!(plain.ok(), Some(CopyOptions::default()));
        // --metadata implies REPLACE, as in the AWS CLI.
        let meta = PutArgs {
            metadata: vec!["a=1".into()],
            ..PutArgs::default()
        };
        let copy =
            write_options(&meta, &CopySourceArgs::default(), true).map(|o| o.copy.replace_metadata);
        let metadata = copy.ok().flatten().map(|m| m.metadata);
        assert_eq!(metadata, Some(vec![("a".into(), "1".into())]));
        // An attribute with COPY on an S3-to-S3 copy would be lost: refused.
        let typed = PutArgs {
            content_type: Some("text/csv".into()),
            ..PutArgs::default()
        };
        let e = write_options(&typed, &CopySourceArgs::default(), true)
            .expect_err("COPY with --content-type");
        assert!(e.message.contains("--content-type"), "{e}");
        assert!(
            write_options(&typed, &CopySourceArgs::default(), false).is_ok(),
            "uploads take it"
        );
        let replace = PutArgs {
            metadata_directive: Some("replace".into()),
            ..typed
        };
        let copy = write_options(&replace, &CopySourceArgs::default(), true)
            .map(|o| o.copy.replace_metadata);
        let ct = copy.ok().flatten().and_then(|m| m.content_type);
        assert_eq!(ct.as_deref(), Some("text/csv"));
        let bad = PutArgs {
            metadata_directive: Some("MOVE".into()),
            ..PutArgs::default()
        };
        assert!(write_options(&bad, &CopySourceArgs::default(), true).is_err());
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

    fn source(key: &str) -> CopySourceArgs {
        CopySourceArgs {
            sse_c_copy_source_key: Some(SecretArg(key.to_string())),
            ..CopySourceArgs::default()
        }
    }

    #[test]
    fn copy_source_keys_take_the_forms_of_sse_c_key() {
        let raw = "0123456789abcdef0123456789abcdef";
        let b64 = s3lite::encoding::encode_base64(raw.as_bytes());
        for form in [raw, b64.as_str()] {
            let got = copy_source(&source(form), true).ok();
            assert_eq!(got, Some(CopySource::Key(b64.clone())), "{form}");
        }
        let mut with_alg = source(raw);
        with_alg.sse_c_copy_source = Some("aes256".into());
        assert_eq!(
            copy_source(&with_alg, true).ok(),
            Some(CopySource::Key(b64.clone()))
        );
        // Neither: the destination's key, as before the options existed.
        let none = copy_source(&CopySourceArgs::default(), true).ok();
        assert_eq!(none, Some(CopySource::AsDestination));
        let plain = CopySourceArgs {
            no_sse_c_copy_source: true,
            ..CopySourceArgs::default()
        };
        assert_eq!(copy_source(&plain, true).ok(), Some(CopySource::NoKey));
        // The copy options read the source so.
        let options = write_options(&PutArgs::default(), &source(raw), true)
            .unwrap_or_else(|e| panic!("{e}"));
        let want = CopyOptions::default()
            .with_source_customer_key(raw)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(options.copy, want);
        let options =
            write_options(&PutArgs::default(), &plain, true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            options.copy,
            CopyOptions::default().without_source_customer_key()
        );
        assert_eq!(
            CopySource::Key(b64.clone()).store_config(),
            Some(vec![
                (S3ConfigKey::ServerSideEncryption, "sse-c".to_string()),
                (S3ConfigKey::SseCustomerKeyBase64, b64),
            ])
        );
    }

    #[test]
    fn copy_source_options_outside_s3_to_s3_copies_are_usage_errors() {
        let raw = "0123456789abcdef0123456789abcdef";
        let plain = CopySourceArgs {
            no_sse_c_copy_source: true,
            ..CopySourceArgs::default()
        };
        let alg = CopySourceArgs {
            sse_c_copy_source: Some("AES256".into()),
            ..CopySourceArgs::default()
        };
        for (args, option) in [
            (source(raw), "--sse-c-copy-source-key"),
            (plain, "--no-sse-c-copy-source"),
            (alg.clone(), "--sse-c-copy-source"),
        ] {
            let e = copy_source(&args, false).expect_err("an upload or download");
            assert_eq!(e.code, crate::error::EXIT_USAGE, "{e}");
            assert!(
                e.message.contains(option) && e.message.contains("S3-to-S3"),
                "{e}"
            );
            assert!(!e.message.contains(raw), "{e}");
        }
        // The algorithm alone needs the key; a short key is refused unseen.
        let e = copy_source(&alg, true).expect_err("no key");
        assert!(e.message.contains("--sse-c-copy-source-key"), "{e}");
        let short = "short-secret-key";
        let e = copy_source(&source(short), true).expect_err("16 bytes");
        assert!(
            e.message.contains("--sse-c-copy-source-key") && !e.message.contains(short),
            "{e}"
        );
        let mut rot13 = source(raw);
        rot13.sse_c_copy_source = Some("rot13".into());
        assert!(copy_source(&rot13, true).is_err());
        let shown = format!(
            "{:?} {:?}",
            source(raw),
            copy_source(&source(raw), true).ok()
        );
        let b64 = s3lite::encoding::encode_base64(raw.as_bytes());
        assert!(!shown.contains(raw) && !shown.contains(&b64), "{shown}");
    }
}
