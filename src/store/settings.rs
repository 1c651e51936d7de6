//! Store-wide settings that shape keys and uploads: the key prefix (from
//! `from_url` / `prefix`) and the `Content-Type` of uploads.

use std::borrow::Cow;

use super::{S3Store, TransferConfig};

/// What the builder decided about keys and uploads.
#[derive(Debug, Default)]
pub(crate) struct StoreSettings {
    /// `some/prefix/` (always ending in `/`), or empty for none.
    prefix: String,
    default_content_type: Option<String>,
    /// `(suffix, content type)` overrides of the built-in table.
    content_types: Vec<(String, String)>,
    /// Part size, threshold and concurrency of the transfer helpers.
    pub(crate) transfer: TransferConfig,
    /// Conditional put, copy-if-not-exists, tagging, bulk delete, SSE.
    pub(crate) writes: super::put::WriteSettings,
}

impl StoreSettings {
    pub(crate) fn new(
        prefix: Option<String>,
        default_content_type: Option<String>,
        content_types: Vec<(String, String)>,
        transfer: TransferConfig,
    ) -> Self {
        let trimmed = prefix.as_deref().unwrap_or("").trim_matches('/');
        StoreSettings {
            prefix: if trimmed.is_empty() {
                String::new()
            } else {
                format!("{trimmed}/")
            },
            default_content_type,
            content_types,
            transfer,
            writes: super::put::WriteSettings::default(),
        }
    }
}

impl S3Store {
    /// The prefix applied to every key, without its trailing `/`, if any.
    pub fn prefix(&self) -> Option<&str> {
        let p = self.settings.prefix.trim_end_matches('/');
        (!p.is_empty()).then_some(p)
    }

    /// The key S3 sees for the store key `key`: `<prefix>/<key>`, or `key`
    /// when the store has no prefix. Every operation calls this on every key
    /// (and listing prefix / start-after) it sends.
    pub(crate) fn full_key<'a>(&self, key: &'a str) -> Cow<'a, str> {
        full_key(&self.settings.prefix, key)
    }

    /// The store key of the S3 key `key`: `key` without the prefix. Keys
    /// outside the prefix (which a listing under it never returns) are kept
    /// as they are.
    #[allow(
        dead_code,
        reason = "for operations in other files (bulk delete, upload listings)"
    )]
    pub(crate) fn strip_prefix<'a>(&self, key: &'a str) -> &'a str {
        strip_prefix(&self.settings.prefix, key)
    }

    /// The raw prefix (`some/prefix/` or empty), for [`super::ListStream`].
    pub(crate) fn raw_prefix(&self) -> &str {
        &self.settings.prefix
    }

    /// The `Content-Type` of an upload to `key` that names none: the
    /// builder's suffix table, then the built-in one, then
    /// `default_content_type`.
    pub(crate) fn content_type_for(&self, key: &str) -> Option<&str> {
        let s = &self.settings;
        let name = key.rsplit('/').next().unwrap_or(key);
        let suffix = name
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_lowercase());
        if let Some(suffix) = &suffix
            && let Some((_, ct)) = s.content_types.iter().rev().find(|(x, _)| x == suffix)
        {
            return Some(ct);
        }
        crate::config::content_type_for(key).or(s.default_content_type.as_deref())
    }
}

/// `prefix` + `key` (`prefix` is empty or ends in `/`).
pub(crate) fn full_key<'a>(prefix: &str, key: &'a str) -> Cow<'a, str> {
    if prefix.is_empty() {
        Cow::Borrowed(key)
    } else {
        Cow::Owned(format!("{prefix}{key}"))
    }
}

/// `key` without `prefix`, or `key` itself when it lies outside.
pub(crate) fn strip_prefix<'a>(prefix: &str, key: &'a str) -> &'a str {
    key.strip_prefix(prefix).unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_is_normalised_and_round_trips() {
        let s = StoreSettings::new(
            Some("/a/b/".into()),
            None,
            Vec::new(),
            TransferConfig::default(),
        );
        assert_eq!(s.prefix, "a/b/");
        assert_eq!(full_key(&s.prefix, "k/x"), "a/b/k/x");
        assert_eq!(strip_prefix(&s.prefix, "a/b/k/x"), "k/x");
        assert_eq!(strip_prefix(&s.prefix, "other"), "other");
        let none = StoreSettings::new(
            Some("//".into()),
            None,
            Vec::new(),
            TransferConfig::default(),
        );
        assert_eq!(full_key(&none.prefix, "k"), "k");
    }
}
