//! The internal parsers, for the fuzz targets in `fuzz/` (feature `_fuzz`,
//! off by default; not an API, hidden from the docs).
//!
//! The parsers' types are crate-private, so each function here runs one
//! parser on fuzzer input and asserts its properties itself: it panics, as
//! the fuzzer wants, when a property breaks. Public parsers (`xml::parse_*`,
//! `date`, `endpoint::parse_url`, `config`, `sign`) are fuzzed directly.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use time::OffsetDateTime;

/// The JSON reader: never panics, and for an object document,
/// `parse(write(doc)) == doc` and writing is stable.
pub fn check_json(input: &[u8]) {
    let _ = crate::json::parse(input);
    let Ok(object) = crate::json::parse_object(input) else {
        return;
    };
    let written = object.to_json();
    let again = crate::json::parse_object(written.as_bytes())
        .unwrap_or_else(|e| panic!("written JSON does not parse ({e}): {written}"));
    assert!(
        again == object,
        "JSON changed through write and parse: {written}"
    );
    assert_eq!(again.to_json(), written);
}

/// The `credential_process` output reader: never panics; what it accepts
/// has a non-empty access key id.
pub fn check_process_output(input: &[u8]) {
    if let Ok(c) = crate::credentials::parse_process_output(input) {
        assert!(!c.access_key_id().is_empty());
    }
}

/// The shared config/credentials file parser: never panics, and the
/// settings it reads, written back as a file, read back the same.
pub fn check_profile_file(text: &str) {
    for is_config in [true, false] {
        let (profiles, sessions) = crate::credentials::parse_profile_files(text, is_config);
        let mut out = String::new();
        for (name, props) in &profiles {
            let header = match (is_config, name.as_str()) {
                (true, "default") => "[default]".to_string(),
                (true, _) => format!("[profile {name}]"),
                (false, _) => format!("[{name}]"),
            };
            write_section(&mut out, &header, props);
        }
        if is_config {
            for (name, props) in &sessions {
                write_section(&mut out, &format!("[sso-session {name}]"), props);
            }
        } else {
            assert!(
                sessions.is_empty(),
                "sso-session sections in a credentials file"
            );
        }
        let again = crate::credentials::parse_profile_files(&out, is_config);
        assert_eq!(
            again,
            (profiles, sessions),
            "rewritten file reads differently:\n{out}"
        );
    }
}

fn write_section(out: &mut String, header: &str, props: &HashMap<String, String>) {
    out.push_str(header);
    out.push('\n');
    for (key, value) in props {
        // No spaces: a line that starts with one continues the previous
        // setting, and a value may itself start with `#`.
        let _ = writeln!(out, "{key}={value}");
    }
}

/// The XML reader and writer: text written by the request writer reads
/// back exactly (`parse(write(text)) == text`), and the reader never panics
/// on `input`.
pub fn check_xml(input: &[u8], text: &str) {
    let _ = crate::xml::read_tree(input);
    // XML 1.0 cannot carry NUL; every other char is escaped or kept.
    if text.contains('\0') {
        return;
    }
    let mut w = crate::xml::XmlWriter::new("Delete");
    w.leaf("Key", text);
    let doc = w.finish("Delete");
    let root = crate::xml::read_tree(doc.as_bytes())
        .unwrap_or_else(|e| panic!("written XML does not parse ({e}): {doc}"));
    let key = root.child("Key").map(|k| k.text().to_string());
    assert_eq!(key.as_deref(), Some(text), "{doc}");
}

/// `Content-Range` parsing: never panics; a parsed range is non-empty,
/// and formatting it reads back the same.
pub fn check_content_range(value: &str) {
    let Some((range, total)) = crate::store::parse_content_range(value) else {
        return;
    };
    assert!(range.start < range.end, "{value:?} gave {range:?}");
    let written = format!(
        "bytes {}-{}/{}",
        range.start,
        range.end - 1,
        total.map_or_else(|| "*".to_string(), |t| t.to_string())
    );
    assert_eq!(
        crate::store::parse_content_range(&written),
        Some((range, total)),
        "{written}"
    );
}

/// `Retry-After` / `x-amz-retry-after` parsing: never panics; a plain
/// number of seconds is taken as it is, and an HTTP date gives the wait
/// from `now` (zero when it is past).
pub fn check_retry_after(retry_after: &[u8], amz_retry_after: Option<&[u8]>, now: i64) {
    let Ok(now) = OffsetDateTime::from_unix_timestamp(now.rem_euclid(253_402_300_799)) else {
        return;
    };
    let mut headers = http::HeaderMap::new();
    let Ok(value) = http::HeaderValue::from_bytes(retry_after) else {
        return;
    };
    headers.insert(http::header::RETRY_AFTER, value);
    if let Some(amz) = amz_retry_after.and_then(|v| http::HeaderValue::from_bytes(v).ok()) {
        headers.insert("x-amz-retry-after", amz);
    }
    let wait = crate::retry::retry_after(&headers, now);
    let amz = headers
        .get("x-amz-retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let text = headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    if let Some(ms) = amz {
        assert_eq!(wait, Some(Duration::from_millis(ms)));
    } else if let Some(secs) = text.and_then(|t| t.parse::<u64>().ok()) {
        assert_eq!(wait, Some(Duration::from_secs(secs)));
    } else if let Some(at) = text.and_then(|t| crate::date::parse_http_date(t).ok()) {
        let want = Duration::try_from(at - now).unwrap_or(Duration::ZERO);
        assert_eq!(wait, Some(want));
    } else {
        assert_eq!(wait, None);
    }
}

/// The ECS/EKS and IMDS credential answer reader: never panics; what it
/// accepts is valid credentials, and written back as a document (expiry
/// to the millisecond, as the endpoints write it) reads the same.
pub fn check_endpoint_credentials(input: &[u8]) {
    let Ok(c) = crate::credentials::parse_endpoint_credentials(input) else {
        return;
    };
    assert!(c.validate().is_ok());
    let mut doc = crate::json::Object::default();
    doc.set_str("AccessKeyId", c.access_key_id());
    doc.set_str("SecretAccessKey", c.secret_key().expose());
    if let Some(t) = c.session_token() {
        doc.set_str("Token", t);
    }
    // A 4-digit year, as ISO 8601 is read: an offset can move a parsed
    // time out of it, and then it has no such form to write.
    let expiry = c.expires_at().filter(|t| {
        t.checked_to_offset(time::UtcOffset::UTC)
            .is_some_and(|t| (0..=9999).contains(&t.year()))
    });
    if let Some(t) = expiry {
        doc.set_str("Expiration", crate::date::format_iso8601(t));
    }
    let written = doc.to_json();
    let again = crate::credentials::parse_endpoint_credentials(written.as_bytes())
        .unwrap_or_else(|e| panic!("written credentials do not parse: {e}"));
    assert_same_credentials(&again, &c, expiry);
}

/// The SSO portal's GetRoleCredentials answer reader: never panics; what it
/// accepts is valid credentials, and written back as an answer reads the
/// same.
pub fn check_sso_role_credentials(input: &[u8]) {
    let Ok(c) = crate::credentials::parse_role_credentials(input) else {
        return;
    };
    assert!(c.validate().is_ok());
    let mut rc = crate::json::Object::default();
    rc.set_str("accessKeyId", c.access_key_id());
    rc.set_str("secretAccessKey", c.secret_key().expose());
    if let Some(t) = c.session_token() {
        rc.set_str("sessionToken", t);
    }
    let mut inner = rc.to_json();
    if let Some(t) = c.expires_at() {
        let ms = t.unix_timestamp_nanos() / 1_000_000;
        inner.pop();
        let _ = write!(inner, ",\"expiration\":{ms}}}");
    }
    let written = format!("{{\"roleCredentials\":{inner}}}");
    let again = crate::credentials::parse_role_credentials(written.as_bytes())
        .unwrap_or_else(|e| panic!("written answer does not parse: {e}"));
    assert_same_credentials(&again, &c, c.expires_at());
}

fn assert_same_credentials(
    a: &crate::credentials::Credentials,
    b: &crate::credentials::Credentials,
    expiry: Option<OffsetDateTime>,
) {
    assert_eq!(a.access_key_id(), b.access_key_id());
    assert!(a.secret_key().expose() == b.secret_key().expose());
    assert_eq!(a.session_token(), b.session_token());
    let ms = |t: Option<OffsetDateTime>| t.map(|t| t.unix_timestamp_nanos().div_euclid(1_000_000));
    assert_eq!(ms(a.expires_at()), ms(expiry));
}

/// When the SSO targets' answers arrive: a time with nanoseconds, so the
/// millisecond cache format is exercised.
fn sso_now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(1_767_225_600_123_456_789)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The SSO token cache file reader: never panics; what it reads, written
/// back as the refresh writes it, reads the same; the refresh settings
/// reader never panics on it.
pub fn check_sso_token_cache(input: &[u8]) {
    let Ok(cache) = crate::credentials::parse_token_cache(input) else {
        return;
    };
    let _ = crate::credentials::SsoRefresh::from_cache(&cache.doc, sso_now());
    let written = cache.doc.to_json();
    let again = crate::credentials::parse_token_cache(written.as_bytes())
        .unwrap_or_else(|e| panic!("rewritten cache does not parse: {e}"));
    assert!(again == cache, "cache changed through write and read");
}

/// The SSO-OIDC CreateToken answer reader: never panics; an accepted
/// answer expires 0 to 2^31-1 s after it arrived, and the cache file the
/// refresh writes from it reads back with the new token and expiry (to the
/// millisecond).
pub fn check_sso_create_token(input: &[u8]) {
    let now = sso_now();
    let Ok(token) = crate::credentials::parse_create_token(input, now) else {
        return;
    };
    let lifetime = token.expires_at - now;
    assert!(
        lifetime >= time::Duration::ZERO && lifetime <= time::Duration::seconds(i32::MAX.into()),
        "{lifetime}"
    );
    let mut doc = crate::json::Object::default();
    doc.set_str("accessToken", "OLD");
    doc.set_str("expiresAt", "2020-01-01T00:00:00Z");
    doc.set_str("refreshToken", "OLDREFRESH");
    token.write_into(&mut doc);
    let written = doc.to_json();
    let cache = crate::credentials::parse_token_cache(written.as_bytes())
        .unwrap_or_else(|e| panic!("refreshed cache does not parse: {e}"));
    assert!(cache.access_token == token.access_token);
    let ms = |t: OffsetDateTime| t.unix_timestamp_nanos().div_euclid(1_000_000);
    assert_eq!(ms(cache.expires_at), ms(token.expires_at));
    let refresh = cache.doc.opt_str("refreshToken").ok().flatten();
    assert!(refresh == Some(token.refresh_token.as_deref().unwrap_or("OLDREFRESH")));
}
