//! Canonical request pieces: URI path and query encoding, header normalisation.
//!
//! Everything here writes into a caller-owned `String` so that one buffer holds
//! the whole canonical request.

use std::borrow::Cow;

use super::{PayloadHash, SignableRequest, UNSIGNED_HEADERS, UriEncoding};
use crate::error::Error;

const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// AWS `UriEncode`: percent-encodes every byte of `s` except the unreserved
/// characters `A-Z a-z 0-9 - _ . ~`, with upper-case hex; `/` is kept when
/// `encode_slash` is false (paths) and encoded as `%2F` otherwise (query
/// names and values). A space becomes `%20`, never `+`.
///
/// ```
/// use s3lite::sign::uri_encode;
///
/// assert_eq!(uri_encode("a b/c+d~", false), "a%20b/c%2Bd~");
/// assert_eq!(uri_encode("a b/c", true), "a%20b%2Fc");
/// assert_eq!(uri_encode("é", true), "%C3%A9");
/// ```
pub fn uri_encode(s: &str, encode_slash: bool) -> String {
    let mask = kept_mask(encode_slash);
    let mut out = Vec::with_capacity(s.len() * 3);
    for &b in s.as_bytes() {
        if CLASS[usize::from(b)] & mask != 0 {
            out.push(b);
        } else {
            out.extend_from_slice(&[
                b'%',
                HEX_UPPER[usize::from(b >> 4)],
                HEX_UPPER[usize::from(b & 0x0f)],
            ]);
        }
    }
    // Kept bytes, `%` and hex digits only: ASCII, so always valid UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

/// Turns an S3 object key into the path segment(s) to put on the wire: every
/// byte except the unreserved characters and `/` is percent-encoded, so
/// `photos/my cat+1.jpg` becomes `photos/my%20cat%2B1.jpg`. A key may start
/// with or contain runs of `/`; they are kept as they are (S3 paths are never
/// normalised).
///
/// ```
/// use s3lite::sign::encode_key_path;
///
/// assert_eq!(encode_key_path("photos/my cat+1.jpg"), "photos/my%20cat%2B1.jpg");
/// assert_eq!(encode_key_path("a//b/中"), "a//b/%E4%B8%AD");
/// ```
pub fn encode_key_path(key: &str) -> String {
    uri_encode(key, false)
}

/// [`CLASS`] bit: the byte stays as it is in a path (unreserved or `/`).
const KEPT_IN_PATH: u8 = 1;
/// [`CLASS`] bit: the byte stays as it is in a query name or value (unreserved).
const KEPT_IN_QUERY: u8 = 2;

/// Per byte, which `UriEncode` modes keep it: one table load instead of a
/// chain of comparisons per byte (the 1,024-byte key bench spends most of its
/// encoding time on this test).
const CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            table[i] = KEPT_IN_PATH | KEPT_IN_QUERY;
        } else if b == b'/' {
            table[i] = KEPT_IN_PATH;
        }
        i += 1;
    }
    table
};

/// The value of an upper-case hex digit, `0xFF` for any other byte
/// (canonical escapes use upper case only).
const UPPER_HEX_VALUE: [u8; 256] = {
    let mut table = [0xFFu8; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// The [`CLASS`] bit of a mode.
#[inline]
fn kept_mask(encode_slash: bool) -> u8 {
    if encode_slash {
        KEPT_IN_QUERY
    } else {
        KEPT_IN_PATH
    }
}

/// `true` if `b` stays as it is in `UriEncode` output.
#[inline]
fn is_kept(b: u8, encode_slash: bool) -> bool {
    CLASS[usize::from(b)] & kept_mask(encode_slash) != 0
}

#[inline]
fn push_escape(out: &mut String, b: u8) {
    out.push('%');
    out.push(char::from(HEX_UPPER[usize::from(b >> 4)]));
    out.push(char::from(HEX_UPPER[usize::from(b & 0x0f)]));
}

#[inline]
fn push_encoded_byte(out: &mut String, b: u8, encode_slash: bool) {
    if is_kept(b, encode_slash) {
        out.push(char::from(b));
    } else {
        push_escape(out, b);
    }
}

/// Appends `UriEncode(s)` to `out`, copying runs of kept bytes in one go.
pub(crate) fn uri_encode_into(out: &mut String, s: &str, encode_slash: bool) {
    let mask = kept_mask(encode_slash);
    let bytes = s.as_bytes();
    let mut run_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if CLASS[usize::from(b)] & mask == 0 {
            // Kept bytes are ASCII, so a non-empty run starts and ends on char
            // boundaries (an empty one may sit inside a multi-byte char).
            if i > run_start {
                out.push_str(&s[run_start..i]);
            }
            push_escape(out, b);
            run_start = i + 1;
        }
    }
    out.push_str(&s[run_start..]);
}

#[inline]
fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Appends `UriEncode(percent_decode(bytes))`: the canonical form of a value
/// that is already percent-encoded on the wire, whatever encoding choices the
/// sender made (`%7e` vs `~`, raw `$` vs `%24`). A `%` not followed by two hex
/// digits is taken literally (and so encoded as `%25`); `+` is a literal plus.
pub(crate) fn reencode_into(out: &mut String, s: &str, encode_slash: bool) {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Fast path: a run that is already canonical (kept bytes, and escapes in
        // upper-case hex of bytes that must stay escaped) is copied as is.
        let start = i;
        let mask = kept_mask(encode_slash);
        while i < bytes.len() {
            let b = bytes[i];
            if CLASS[usize::from(b)] & mask != 0 {
                i += 1;
            } else if b == b'%'
                && i + 2 < bytes.len()
                && let (h, l) = (
                    UPPER_HEX_VALUE[usize::from(bytes[i + 1])],
                    UPPER_HEX_VALUE[usize::from(bytes[i + 2])],
                )
                && (h | l) < 16
                && CLASS[usize::from((h << 4) | l)] & mask == 0
            {
                i += 3;
            } else {
                break;
            }
        }
        // Escapes and kept bytes are ASCII: a non-empty run is on char boundaries.
        if i > start {
            out.push_str(&s[start..i]);
        }
        if i == bytes.len() {
            break;
        }
        let b = match escape_at(bytes, i) {
            Some(decoded) => {
                i += 2;
                decoded
            }
            None => bytes[i],
        };
        push_encoded_byte(out, b, encode_slash);
        i += 1;
    }
}

/// Appends lower-case hex of `bytes` (digests and signatures).
pub(crate) fn push_hex_lower(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        out.push(char::from(HEX_LOWER[usize::from(b >> 4)]));
        out.push(char::from(HEX_LOWER[usize::from(b & 0x0f)]));
    }
}

/// Appends the canonical URI of `path` (which starts with `/` or is empty).
///
/// - [`UriEncoding::S3`]: the path is taken as sent, without normalisation, and
///   brought to canonical encoding (decode escapes, `UriEncode` with `/` kept).
///   For a path built with [`encode_key_path`] this is the path itself.
/// - [`UriEncoding::Generic`]: `.`/`..` segments are resolved, empty segments
///   dropped (a trailing `/` is kept), and each segment is encoded again, so an
///   escape such as `%20` becomes `%2520` (double encoding).
pub(crate) fn write_canonical_path(out: &mut String, path: &str, mode: UriEncoding) {
    if path.is_empty() {
        out.push('/');
        return;
    }
    match mode {
        UriEncoding::S3 => reencode_into(out, path, false),
        UriEncoding::Generic => {
            let mut stack: Vec<&str> = Vec::new();
            for segment in path.split('/') {
                match segment {
                    "" | "." => {}
                    ".." => {
                        stack.pop();
                    }
                    s => stack.push(s),
                }
            }
            let ends_with_slash = path.ends_with('/');
            out.push('/');
            for (i, segment) in stack.iter().enumerate() {
                uri_encode_into(out, segment, true);
                if i + 1 < stack.len() || ends_with_slash {
                    out.push('/');
                }
            }
        }
    }
}

/// Appends the canonical query string: the pairs of `query` (as sent: split on
/// `&`, then on the first `=`, escapes decoded, `+` literal, empty pairs
/// skipped) plus the unencoded `extra` pairs, each name and value `UriEncode`d,
/// sorted by name then value. `scratch` is a reusable buffer.
pub(crate) fn write_canonical_query(
    out: &mut String,
    scratch: &mut String,
    query: &str,
    extra: &[(&str, &str)],
) {
    if query.is_empty() && extra.is_empty() {
        return;
    }
    scratch.clear();
    // (name start, name end = value start, value end) into `scratch`.
    let mut spans: Vec<(usize, usize, usize)> = Vec::with_capacity(8 + extra.len());
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let start = scratch.len();
        reencode_into(scratch, name, true);
        let mid = scratch.len();
        reencode_into(scratch, value, true);
        spans.push((start, mid, scratch.len()));
    }
    for (name, value) in extra {
        let start = scratch.len();
        uri_encode_into(scratch, name, true);
        let mid = scratch.len();
        uri_encode_into(scratch, value, true);
        spans.push((start, mid, scratch.len()));
    }
    let s = scratch.as_str();
    spans.sort_unstable_by(|a, b| (&s[a.0..a.1], &s[a.1..a.2]).cmp(&(&s[b.0..b.1], &s[b.1..b.2])));
    for (i, &(start, mid, end)) in spans.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&s[start..mid]);
        out.push('=');
        out.push_str(&s[mid..end]);
    }
}

/// The first of `names` that is the name of a parameter of a raw query
/// (ASCII case-insensitive, escapes decoded), e.g. a caller-set
/// `X-Amz-Signature`.
pub(crate) fn query_has_name<'n>(query: &str, names: &[&'n str]) -> Option<&'n str> {
    let mut decoded = String::new();
    for pair in query.split('&') {
        let mut name = pair.split_once('=').map_or(pair, |(n, _)| n);
        if name.contains('%') {
            decoded.clear();
            percent_decode_lossy(&mut decoded, name);
            name = &decoded;
        }
        if let Some(found) = names.iter().find(|n| n.eq_ignore_ascii_case(name)) {
            return Some(found);
        }
    }
    None
}

/// The byte a valid `%XX` escape at `bytes[i]` stands for; `None` when
/// `bytes[i]` does not start one.
#[inline]
fn escape_at(bytes: &[u8], i: usize) -> Option<u8> {
    if bytes.get(i) != Some(&b'%') {
        return None;
    }
    let high = hex_value(*bytes.get(i + 1)?)?;
    let low = hex_value(*bytes.get(i + 2)?)?;
    Some((high << 4) | low)
}

/// Appends `s` with `%XX` escapes decoded (invalid UTF-8 replaced).
fn percent_decode_lossy(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let mut raw = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = match escape_at(bytes, i) {
            Some(decoded) => {
                i += 2;
                decoded
            }
            None => bytes[i],
        };
        raw.push(b);
        i += 1;
    }
    out.push_str(&String::from_utf8_lossy(&raw));
}

/// `true` for the characters of an HTTP token (RFC 9110 `tchar`).
#[inline]
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// Checks that `s` is an HTTP token (header name, method); `what` names it in
/// the error.
pub(crate) fn check_token(what: &str, s: &str) -> Result<(), Error> {
    if s.is_empty() {
        return Err(Error::invalid_input(format!("empty {what}")));
    }
    if let Some(c) = s.chars().find(|&c| !c.is_ascii() || !is_tchar(c as u8)) {
        return Err(Error::invalid_input(format!(
            "{what} {s:?} contains the invalid character {c:?}"
        )));
    }
    Ok(())
}

/// Checks a header value: no control characters except tab, and CR/LF only as
/// an obs-fold line continuation (`CRLF` or `LF` followed by space or tab).
/// The error names the header, not the value (it may be a secret).
pub(crate) fn check_header_value(name: &str, value: &str) -> Result<(), Error> {
    let bytes = value.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let ok = match b {
            b'\t' => true,
            b'\r' => bytes.get(i + 1) == Some(&b'\n'),
            b'\n' => matches!(bytes.get(i + 1), Some(b' ' | b'\t')),
            0x00..=0x1f | 0x7f => false,
            _ => true,
        };
        if !ok {
            return Err(Error::invalid_input(format!(
                "header {name:?}: invalid byte 0x{b:02x} at offset {i} of its value"
            )));
        }
    }
    Ok(())
}

/// The header name in lower case, borrowed when it already is.
pub(crate) fn lower_name(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// Appends a canonical header value: obs-folds replaced by one space, leading
/// and trailing spaces and tabs removed, runs of spaces collapsed to one.
///
/// Inner tabs are kept, as aws-c-auth (the implementation behind the AWS test
/// suite), aws-sigv4 and the AWS documentation ("convert sequential spaces to a
/// single space") do. Leading and trailing tabs are removed because they are
/// HTTP optional whitespace: the server never sees them. Callers validate the
/// value with [`check_header_value`] first.
pub(crate) fn write_header_value(out: &mut String, value: &str) {
    if value.contains(['\r', '\n']) {
        let unfolded = unfold(value);
        write_trimmed_value(out, &unfolded);
    } else {
        write_trimmed_value(out, value);
    }
}

fn write_trimmed_value(out: &mut String, value: &str) {
    let value = value.trim_matches([' ', '\t']);
    let mut first = true;
    for part in value.split(' ').filter(|p| !p.is_empty()) {
        if !first {
            out.push(' ');
        }
        first = false;
        out.push_str(part);
    }
}

/// Replaces every obs-fold (optional whitespace, `CR? LF`, whitespace) with a
/// single space, as RFC 9112 section 5.2 tells recipients to.
fn unfold(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(pos) = rest.find(['\r', '\n']) {
        out.push_str(rest[..pos].trim_end_matches([' ', '\t']));
        out.push(' ');
        rest = rest[pos..].trim_start_matches(['\r', '\n', ' ', '\t']);
    }
    out.push_str(rest);
    out
}

/// A header to sign: lower-case name, raw value.
pub(crate) type HeaderEntry<'a> = (Cow<'a, str>, &'a str);

/// Validates the request headers, drops the unsigned ones, adds `extra` (the
/// headers the signer sets) and sorts by name; equal names keep their order.
pub(crate) fn collect_headers<'a>(
    req: &SignableRequest<'a>,
    extra: &[(&'static str, &'a str)],
) -> Result<Vec<HeaderEntry<'a>>, Error> {
    let mut headers: Vec<HeaderEntry<'a>> = Vec::with_capacity(req.headers.len() + extra.len());
    let mut has_host = false;
    for &(name, value) in req.headers {
        check_token("header name", name)?;
        check_header_value(name, value)?;
        let lower = lower_name(name);
        if UNSIGNED_HEADERS.contains(&lower.as_ref()) {
            continue;
        }
        if lower == "x-amz-date" || extra.iter().any(|(n, _)| *n == lower) {
            return Err(Error::invalid_input(format!(
                "header {name:?} is set by the signer; do not pass it in"
            )));
        }
        has_host |= lower == "host";
        headers.push((lower, value));
    }
    if !has_host {
        return Err(Error::invalid_input("the request has no host header"));
    }
    headers.extend(extra.iter().map(|&(n, v)| (Cow::Borrowed(n), v)));
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(headers)
}

/// `host;range;x-amz-date`: the distinct names of sorted `headers`.
pub(crate) fn signed_header_list(headers: &[HeaderEntry<'_>]) -> String {
    let mut out = String::with_capacity(headers.iter().map(|h| h.0.len() + 1).sum());
    let mut last: Option<&str> = None;
    for (name, _) in headers {
        if last == Some(name.as_ref()) {
            continue;
        }
        if last.is_some() {
            out.push(';');
        }
        out.push_str(name);
        last = Some(name);
    }
    out
}

/// Appends the query line's newline, the canonical headers, the signed header
/// list and the payload hash.
pub(crate) fn finish_canonical_request(
    creq: &mut String,
    headers: &[HeaderEntry<'_>],
    signed_headers: &str,
    payload: &PayloadHash,
) {
    creq.push('\n');
    let mut last: Option<&str> = None;
    for (name, value) in headers {
        if last == Some(name.as_ref()) {
            creq.push(',');
        } else {
            if last.is_some() {
                creq.push('\n');
            }
            creq.push_str(name);
            creq.push(':');
            last = Some(name);
        }
        write_header_value(creq, value);
    }
    creq.push_str("\n\n");
    creq.push_str(signed_headers);
    creq.push('\n');
    creq.push_str(payload.as_str());
}

/// Checks a credential-scope component: non-empty, visible ASCII, no `/`.
pub(crate) fn check_scope_part(what: &str, s: &str) -> Result<(), Error> {
    if s.is_empty() {
        return Err(Error::invalid_input(format!("empty {what}")));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !c.is_ascii_graphic() || matches!(c, '/' | ','))
    {
        return Err(Error::invalid_input(format!(
            "{what} {s:?} contains the invalid character {c:?}"
        )));
    }
    Ok(())
}

/// Writes `n` as zero-padded decimal filling `out`.
pub(crate) fn write_digits(out: &mut [u8], mut n: u32) {
    for slot in out.iter_mut().rev() {
        // `n % 10` is a single digit, so the cast cannot truncate.
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// Views bytes known to be ASCII (timestamps) as `&str`.
pub(crate) fn ascii_str(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical_path(path: &str, mode: UriEncoding) -> String {
        let mut out = String::new();
        write_canonical_path(&mut out, path, mode);
        out
    }

    fn canonical_query(query: &str) -> String {
        let mut out = String::new();
        write_canonical_query(&mut out, &mut String::new(), query, &[]);
        out
    }

    fn header_value(value: &str) -> String {
        let mut out = String::new();
        write_header_value(&mut out, value);
        out
    }

    /// Inverse of `uri_encode` for the round-trip test.
    fn percent_decode(s: &str) -> Vec<u8> {
        let mut out = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                let h = hex_value(b[i + 1]).expect("hex");
                let l = hex_value(b[i + 2]).expect("hex");
                out.push(h << 4 | l);
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        out
    }

    #[test]
    fn uri_encode_keeps_only_unreserved() {
        let all: String = (0u8..128).map(char::from).collect();
        let encoded = uri_encode(&all, true);
        let kept: String = encoded
            .split('%')
            .map(|s| s.get(2..).unwrap_or(""))
            .collect();
        assert_eq!(
            kept,
            "-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~"
        );
        assert!(encoded.contains("%2F") && encoded.contains("%20") && encoded.contains("%2B"));
    }

    #[test]
    fn uri_encode_edge_cases() {
        assert_eq!(uri_encode("", true), "");
        assert_eq!(uri_encode("/", false), "/");
        assert_eq!(uri_encode("/", true), "%2F");
        assert_eq!(uri_encode("%", true), "%25");
        assert_eq!(uri_encode("a+b c", true), "a%2Bb%20c");
        assert_eq!(uri_encode("😀", true), "%F0%9F%98%80");
        assert_eq!(uri_encode("中文", false), "%E4%B8%AD%E6%96%87");
        assert_eq!(
            uri_encode("$&'()*,;=:@!", false),
            "%24%26%27%28%29%2A%2C%3B%3D%3A%40%21"
        );
    }

    #[test]
    fn uri_encode_round_trips() {
        let samples = [
            "plain",
            "with space",
            "a/b//c/",
            "100% + 50% = ?",
            "é中文😀\u{7f}\u{0}\t",
            "~-._",
            "%2F already-encoded %20",
        ];
        for s in samples {
            for slash in [false, true] {
                let e = uri_encode(s, slash);
                assert!(e.is_ascii());
                assert_eq!(percent_decode(&e), s.as_bytes(), "{s:?}");
                // Encoding is canonical: decode + re-encode is the identity.
                let mut again = String::new();
                reencode_into(&mut again, &e, slash);
                assert_eq!(again, e);
            }
        }
    }

    #[test]
    fn encoders_handle_multibyte_chars_next_to_kept_bytes() {
        assert_eq!(uri_encode("é", false), "%C3%A9");
        assert_eq!(uri_encode("aé/中b", false), "a%C3%A9/%E4%B8%ADb");
        let mut out = String::new();
        reencode_into(&mut out, "/é中%2fa%41", false);
        assert_eq!(out, "/%C3%A9%E4%B8%AD/aA");
    }

    #[test]
    fn query_has_name_decodes_and_ignores_case() {
        let names = ["X-Amz-Signature", "X-Amz-Date"];
        assert_eq!(
            query_has_name("a=1&x-amz-date=2", &names),
            Some("X-Amz-Date")
        );
        assert_eq!(
            query_has_name("X%2DAmz%2DSignature", &names),
            Some("X-Amz-Signature")
        );
        assert_eq!(query_has_name("a=X-Amz-Date", &names), None);
        assert_eq!(query_has_name("", &names), None);
    }

    #[test]
    fn s3_path_is_not_normalised_but_canonically_encoded() {
        assert_eq!(
            canonical_path("/a//b/./../c/", UriEncoding::S3),
            "/a//b/./../c/"
        );
        assert_eq!(canonical_path("/my%20key", UriEncoding::S3), "/my%20key");
        assert_eq!(
            canonical_path("/test$file.text", UriEncoding::S3),
            "/test%24file.text"
        );
        assert_eq!(canonical_path("/%7e%41b", UriEncoding::S3), "/~Ab");
        assert_eq!(canonical_path("/100%", UriEncoding::S3), "/100%25");
        assert_eq!(canonical_path("", UriEncoding::S3), "/");
    }

    #[test]
    fn generic_path_is_normalised_and_double_encoded() {
        assert_eq!(
            canonical_path("/example1/example2/../..", UriEncoding::Generic),
            "/"
        );
        assert_eq!(
            canonical_path("//example//", UriEncoding::Generic),
            "/example/"
        );
        assert_eq!(
            canonical_path("/./example", UriEncoding::Generic),
            "/example"
        );
        assert_eq!(
            canonical_path("/my%20key", UriEncoding::Generic),
            "/my%2520key"
        );
        assert_eq!(canonical_path("/a/b/..", UriEncoding::Generic), "/a");
    }

    #[test]
    fn query_is_decoded_reencoded_and_sorted() {
        assert_eq!(canonical_query("b=2&a=1&a=0"), "a=0&a=1&b=2");
        assert_eq!(canonical_query("single&k=&x=a+b"), "k=&single=&x=a%2Bb");
        assert_eq!(canonical_query("p=%7e%2f%20&&q"), "p=~%2F%20&q=");
        assert_eq!(canonical_query("%E1%88%B4=1&Z=2"), "%E1%88%B4=1&Z=2");
        assert_eq!(canonical_query(""), "");
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        assert_eq!(header_value("  a   b  "), "a b");
        assert_eq!(header_value("\t a \t b\t"), "a \t b");
        assert_eq!(
            header_value("value1\n  value2\r\n     value3"),
            "value1 value2 value3"
        );
        assert_eq!(header_value(""), "");
        assert_eq!(header_value("\"a   b   c\""), "\"a b c\"");
    }

    #[test]
    fn header_checks_reject_bad_input() {
        assert!(check_token("header name", "x-amz-meta-ok").is_ok());
        assert!(check_token("header name", "bad name").is_err());
        assert!(check_token("header name", "").is_err());
        assert!(check_token("header name", "a:b").is_err());
        assert!(check_header_value("h", "ok\tvalue é").is_ok());
        assert!(check_header_value("h", "fold\r\n next").is_ok());
        assert!(check_header_value("h", "inject\r\nX-Evil: 1").is_err());
        assert!(check_header_value("h", "nul\0").is_err());
        assert!(check_header_value("h", "bare\rcr").is_err());
    }
}
