//! What may be printed: the one place that decides which header values are
//! secrets and how a URL loses its credentials before it reaches an error
//! message or a `Debug` line. Pure code, no I/O.

use std::borrow::Cow;

/// Header names whose values are secrets: never shown in `Debug`, `Display`
/// or error messages.
const SENSITIVE_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-amz-security-token",
    // S3 Express session credentials travel as a plain signed header.
    "x-amz-s3session-token",
];

/// Whether the value of header `name` is a secret (compared ignoring ASCII
/// case): credentials, session tokens and SSE-C keys.
pub(crate) fn is_sensitive_header(name: &str) -> bool {
    SENSITIVE_HEADERS
        .iter()
        .any(|s| name.eq_ignore_ascii_case(s))
        || name
            .to_ascii_lowercase()
            .contains("server-side-encryption-customer-key")
}

/// `value` with the user information of its authority replaced by `***`:
/// `http://user:pass@proxy:3128/x` becomes `http://***@proxy:3128/x`, and
/// the scheme-less `user:pass@proxy:3128` becomes `***@proxy:3128`. The
/// authority ends at the first `/`, so an `@` in a path is kept.
pub(crate) fn without_userinfo(value: &str) -> Cow<'_, str> {
    let (scheme, rest) = match value.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, value),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return Cow::Borrowed(value);
    };
    let host = &rest[at + 1..];
    Cow::Owned(match scheme {
        Some(scheme) => format!("{scheme}://***@{host}"),
        None => format!("***@{host}"),
    })
}

/// `url` without query string and fragment (where presigned signatures and
/// tokens live) and without user information: safe to print.
pub(crate) fn redact_url(url: &str) -> Cow<'_, str> {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    match without_userinfo(&url[..end]) {
        Cow::Borrowed(_) => Cow::Borrowed(&url[..end]),
        Cow::Owned(s) => Cow::Owned(s),
    }
}

/// A header value as it may appear in a message: the value itself, or
/// `***` for a [sensitive](is_sensitive_header) header.
pub(crate) fn shown_header_value<'a>(name: &str, value: &'a str) -> &'a str {
    if is_sensitive_header(name) {
        "***"
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_hidden_with_or_without_a_scheme() {
        assert_eq!(
            without_userinfo("http://u:p@proxy:3128"),
            "http://***@proxy:3128"
        );
        assert_eq!(without_userinfo("u:p@proxy:3128"), "***@proxy:3128");
        assert_eq!(without_userinfo("u:p@proxy:3128/x@y"), "***@proxy:3128/x@y");
        assert_eq!(without_userinfo("https://h/a@b"), "https://h/a@b");
        assert_eq!(without_userinfo("proxy:3128"), "proxy:3128");
    }

    #[test]
    fn redacted_urls_drop_query_fragment_and_userinfo() {
        assert_eq!(
            redact_url("https://h/b/k?X-Amz-Signature=abc#f"),
            "https://h/b/k"
        );
        assert_eq!(redact_url("https://h/b/k#frag"), "https://h/b/k");
        assert_eq!(redact_url("https://u:p@h/b"), "https://***@h/b");
        assert_eq!(redact_url("u:p@h:1?x"), "***@h:1");
        assert_eq!(redact_url("https://h/a@b"), "https://h/a@b");
    }

    #[test]
    fn session_and_customer_keys_are_sensitive() {
        for name in [
            "Authorization",
            "x-amz-security-token",
            "X-Amz-S3session-Token",
            "x-amz-server-side-encryption-customer-key",
            "x-amz-copy-source-server-side-encryption-customer-key",
            "Proxy-Authorization",
        ] {
            assert!(is_sensitive_header(name), "{name}");
            assert_eq!(shown_header_value(name, "secret"), "***");
        }
        assert!(!is_sensitive_header("x-amz-date"));
        assert_eq!(
            shown_header_value("content-type", "text/plain"),
            "text/plain"
        );
    }
}
