//! Parsed configuration values and where they came from.

use std::fmt;
use std::time::Duration;

use crate::config::{
    CannedAcl, ChecksumAlgorithm, ChecksumWhen, ConditionalPut, CopyIfNotExists, S3ConfigKey,
    ServerSideEncryption, ValueKind, decode_base64, parse_bool, parse_duration,
};
use crate::error::Result;

/// Where a value came from; a stronger source wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Source {
    Env,
    Url,
    Explicit,
}

/// A parsed value.
#[derive(Clone, PartialEq)]
pub(super) enum Value {
    Text(String),
    Bool(bool),
    Duration(Duration),
    Count(usize),
    Float(f64),
    Checksum(ChecksumAlgorithm),
    ChecksumWhen(ChecksumWhen),
    Encryption(ServerSideEncryption),
    ConditionalPut(ConditionalPut),
    CopyIfNotExists(CopyIfNotExists),
    Acl(CannedAcl),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(s) => f.write_str(s),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Duration(d) => write!(f, "{}s", d.as_secs_f64()),
            Value::Count(n) => write!(f, "{n}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Checksum(c) => write!(f, "{c}"),
            Value::ChecksumWhen(w) => f.write_str(w.as_str()),
            Value::Encryption(e) => write!(f, "{e}"),
            Value::ConditionalPut(c) => write!(f, "{c:?}"),
            Value::CopyIfNotExists(c) => write!(f, "{c:?}"),
            Value::Acl(a) => write!(f, "{a}"),
        }
    }
}

/// Parses the string form of `key`'s value.
///
/// # Errors
/// `InvalidConfig` naming the key and showing the value (`***` for secrets).
pub(super) fn parse(key: S3ConfigKey, raw: &str) -> Result<Value> {
    use S3ConfigKey as K;
    let trimmed = raw.trim();
    let boolean = || {
        parse_bool(trimmed)
            .map(Value::Bool)
            .ok_or_else(|| key.invalid(raw, "not a boolean; use true/false, 1/0, yes/no, on/off"))
    };
    let duration = || {
        parse_duration(trimmed).map(Value::Duration).ok_or_else(|| {
            key.invalid(
                raw,
                "not a duration; use e.g. 30s, 500ms, 2m, 1h or seconds",
            )
        })
    };
    let count = || {
        trimmed
            .parse::<usize>()
            .map(Value::Count)
            .map_err(|_| key.invalid(raw, "not a non-negative integer"))
    };
    let text = || {
        if trimmed.is_empty() {
            Err(key.invalid(raw, "must not be empty"))
        } else {
            Ok(Value::Text(trimmed.to_string()))
        }
    };
    let value = match (key.value_kind(), key) {
        // object_store's and obstore's AWS_REQUEST_PAYER also takes `requester`.
        (ValueKind::Bool, K::RequestPayer) if trimmed.eq_ignore_ascii_case("requester") => {
            Value::Bool(true)
        }
        (ValueKind::Bool, _) => boolean()?,
        (ValueKind::Duration, _) => duration()?,
        (ValueKind::Count, _) => count()?,
        (ValueKind::Number, _) => match trimmed.parse::<f64>() {
            Ok(x) => Value::Float(x),
            Err(_) => return Err(key.invalid(raw, "not a number")),
        },
        (_, K::ChecksumAlgorithm) => Value::Checksum(trimmed.parse()?),
        (_, K::RequestChecksumCalculation | K::ResponseChecksumValidation) => {
            Value::ChecksumWhen(trimmed.parse().map_err(|_: crate::Error| {
                key.invalid(raw, "expected when_supported or when_required")
            })?)
        }
        (_, K::ServerSideEncryption) => Value::Encryption(trimmed.parse()?),
        (_, K::ConditionalPut) => Value::ConditionalPut(trimmed.parse()?),
        (_, K::CopyIfNotExists) => Value::CopyIfNotExists(trimmed.parse()?),
        (_, K::CannedAcl) => Value::Acl(trimmed.parse()?),
        (_, K::ProxyExcludes) => Value::Text(trimmed.to_string()),
        (_, K::S3UsEast1RegionalEndpoint) => Value::Text(trimmed.to_ascii_lowercase()),
        _ => text()?,
    };
    check(key, raw, &value)?;
    Ok(value)
}

/// Range checks shared by `with_config` and the typed setters.
pub(super) fn check(key: S3ConfigKey, raw: &str, value: &Value) -> Result<()> {
    use S3ConfigKey as K;
    match (key, value) {
        (K::ConnectTimeout | K::Timeout | K::ReadTimeout, Value::Duration(d)) if d.is_zero() => {
            Err(key.invalid(raw, "must be greater than zero"))
        }
        (K::BackoffBase, Value::Float(x)) if !x.is_finite() || *x < 1.0 => {
            Err(key.invalid(raw, "must be a finite number of at least 1"))
        }
        (K::Http2MaxFrameSize, Value::Count(n)) if !(16_384..=16_777_215).contains(n) => {
            Err(key.invalid(raw, "must be between 16384 and 16777215"))
        }
        (K::SseCustomerKeyBase64, Value::Text(s)) => match decode_base64(s) {
            Some(bytes) if bytes.len() == 32 => Ok(()),
            Some(bytes) => Err(key.invalid(
                raw,
                format!("must be 32 bytes (256 bits) of base64, got {}", bytes.len()),
            )),
            None => Err(key.invalid(raw, "is not base64")),
        },
        (K::S3UsEast1RegionalEndpoint, Value::Text(s))
            if !s.eq_ignore_ascii_case("regional") && !s.eq_ignore_ascii_case("legacy") =>
        {
            Err(key.invalid(raw, "must be regional or legacy"))
        }
        (K::UserAgent | K::DefaultContentType, Value::Text(s))
            if http::HeaderValue::from_str(s).is_err() =>
        {
            Err(key.invalid(raw, "is not a valid HTTP header value"))
        }
        _ => Ok(()),
    }
}
