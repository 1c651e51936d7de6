//! `S3ConfigKey` parsing and config values through the builder: key names
//! round-trip (`name.parse() == key`, every alias too), each value parser
//! never panics, and `build()` fails with a typed error that never shows a
//! secret value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3lite::config::{
    ChecksumAlgorithm, ChecksumWhen, ConditionalPut, CopyIfNotExists, S3ConfigKey,
    ServerSideEncryption, ValueKind, parse_bool, parse_duration, percent_decode,
};
use s3lite::{ErrorKind, S3StoreBuilder};

fuzz_target!(|input: (&str, &str)| {
    let (name, value) = input;
    let _ = parse_bool(value);
    let _ = parse_duration(value);
    let _ = percent_decode(value);
    let _ = value.parse::<ChecksumAlgorithm>();
    let _ = value.parse::<ChecksumWhen>();
    let _ = value.parse::<ConditionalPut>();
    let _ = value.parse::<CopyIfNotExists>();
    let _ = value.parse::<ServerSideEncryption>();
    let Ok(key) = name.parse::<S3ConfigKey>() else {
        return;
    };
    assert_eq!(key.name().parse::<S3ConfigKey>().ok(), Some(key));
    assert_eq!(key.as_ref(), key.name());
    for alias in key.aliases() {
        assert_eq!(alias.parse::<S3ConfigKey>().ok(), Some(key), "{alias}");
    }
    if key.value_kind() == ValueKind::Bool {
        let _ = parse_bool(value);
    }
    // These two read a file when the value is not PEM text.
    if matches!(
        key,
        S3ConfigKey::RootCertificates | S3ConfigKey::ProxyCaCertificate
    ) {
        return;
    }
    let build = |value: &str| {
        S3StoreBuilder::from_env_with(|_| None)
            .bucket("bucket")
            .region("us-east-1")
            .access_key_id("AKIDEXAMPLE")
            .secret_access_key("SECRETEXAMPLE")
            .with_config(key, value)
            .build()
    };
    if let Err(e) = build(value) {
        assert!(
            matches!(
                e.kind(),
                ErrorKind::InvalidConfig | ErrorKind::NotImplemented | ErrorKind::InvalidInput
            ),
            "{e}"
        );
        if key.is_secret() {
            // The value must not show; text that every message of this key
            // holds anyway (its name, the reason) does not count.
            let v = value.trim();
            let placeholder = build("Pl4ceh0lder-S3cr3t-Zz9")
                .err()
                .map(|p| format!("{p} {p:?}"));
            let shown = format!("{e} {e:?}");
            if let Some(p) = &placeholder {
                assert!(!p.contains("Pl4ceh0lder-S3cr3t-Zz9"), "secret shown: {p}");
            }
            if v.len() >= 12 && !placeholder.is_some_and(|p| p.contains(v)) {
                assert!(!shown.contains(v), "secret shown: {shown}");
            }
        }
    }
});
