//! The secret access key and the SigV4 signing-key derivation, with a per-day
//! cache; and the redaction that keeps secrets out of `Debug` output.
//!
//! The signing key is `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region),
//! service), "aws4_request")`. It changes once a day, so [`SecretKey`] keeps the
//! last one it derived: a request then costs two HMACs (canonical-request hash
//! aside) instead of six.

use std::fmt;
use std::sync::{Mutex, PoisonError};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroize;

use crate::redact::is_sensitive_header;

/// An AWS secret access key.
///
/// `Debug` and `Display` print `SecretKey(***)`; the key is zeroised on drop, and
/// so is the signing key derived from it and cached inside.
///
/// ```
/// use s3lite::sign::SecretKey;
///
/// let key = SecretKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
/// assert_eq!(format!("{key:?}"), "SecretKey(***)");
/// ```
pub struct SecretKey {
    secret: String,
    /// Single-entry cache of the last derived signing key.
    cache: Mutex<Option<CachedKey>>,
    /// How many times a signing key was derived (not served from the cache).
    #[cfg(test)]
    pub(crate) derivations: std::sync::atomic::AtomicUsize,
}

/// A derived signing key with the scope it belongs to.
struct CachedKey {
    date: [u8; 8],
    region: String,
    service: String,
    key: SigningKey,
}

/// A derived SigV4 signing key; zeroised on drop.
#[derive(Clone)]
pub(crate) struct SigningKey(pub(crate) [u8; 32]);

impl Drop for SigningKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl SecretKey {
    /// Wraps a secret access key.
    pub fn new(secret: impl Into<String>) -> Self {
        SecretKey {
            secret: secret.into(),
            cache: Mutex::new(None),
            #[cfg(test)]
            derivations: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// The secret itself. Only for signing: never log, print or store it.
    pub fn expose(&self) -> &str {
        &self.secret
    }

    /// The signing key for `date` (`YYYYMMDD`), `region` and `service`, from the
    /// cache when the last call had the same scope.
    pub(crate) fn signing_key(&self, date: &[u8; 8], region: &str, service: &str) -> SigningKey {
        // A poisoned lock only means another thread panicked while holding it; the
        // entry is either complete or `None`, so it is safe to keep using.
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(c) = cache.as_ref()
            && c.date == *date
            && c.region == region
            && c.service == service
        {
            return c.key.clone();
        }
        #[cfg(test)]
        self.derivations
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let key = derive_signing_key(&self.secret, date, region, service);
        match cache.as_mut() {
            Some(c) => {
                // Reuse the entry's buffers; the old key is zeroised by its Drop.
                c.date = *date;
                c.region.clear();
                c.region.push_str(region);
                c.service.clear();
                c.service.push_str(service);
                c.key = key.clone();
            }
            None => {
                *cache = Some(CachedKey {
                    date: *date,
                    region: region.to_owned(),
                    service: service.to_owned(),
                    key: key.clone(),
                });
            }
        }
        key
    }
}

impl Clone for SecretKey {
    /// Clones the secret; the clone starts with an empty signing-key cache.
    fn clone(&self) -> Self {
        SecretKey::new(self.secret.clone())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.secret.zeroize();
        // The cached SigningKey zeroises itself when the Option is dropped.
    }
}

/// HMAC-SHA256 of the concatenation of `parts` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes keys of any length (long ones are hashed), so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The full derivation chain, without the cache.
fn derive_signing_key(secret: &str, date: &[u8; 8], region: &str, service: &str) -> SigningKey {
    // "AWS4" + secret is the first key.
    let mut first = Vec::with_capacity(4 + secret.len());
    first.extend_from_slice(b"AWS4");
    first.extend_from_slice(secret.as_bytes());
    let mut k_date = hmac_sha256(&first, &[date]);
    first.zeroize();
    let mut k_region = hmac_sha256(&k_date, &[region.as_bytes()]);
    k_date.zeroize();
    let mut k_service = hmac_sha256(&k_region, &[service.as_bytes()]);
    k_region.zeroize();
    let key = SigningKey(hmac_sha256(&k_service, &[b"aws4_request"]));
    k_service.zeroize();
    key
}

/// A header list for `Debug` with secret values replaced by `***`.
pub(crate) struct RedactedHeaders<'a, N: AsRef<str>, V: AsRef<str>>(pub(crate) &'a [(N, V)]);

impl<N: AsRef<str>, V: AsRef<str>> fmt::Debug for RedactedHeaders<'_, N, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for (name, value) in self.0 {
            let (name, value) = (name.as_ref(), value.as_ref());
            if is_sensitive_header(name) {
                list.entry(&(name, "***"));
            } else {
                list.entry(&(name, value));
            }
        }
        list.finish()
    }
}

/// A query string or canonical request for `Debug`: the values of
/// `X-Amz-Signature` / `X-Amz-Security-Token` parameters and of secret header
/// lines become `***`.
pub(crate) struct Redacted<'a>(pub(crate) &'a str);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::with_capacity(self.0.len());
        for (i, line) in self.0.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
            }
            match line.split_once(':') {
                Some((name, _)) if is_sensitive_header(name) => {
                    out.push_str(name);
                    out.push_str(":***");
                }
                _ => {
                    for (j, pair) in line.split('&').enumerate() {
                        if j > 0 {
                            out.push('&');
                        }
                        match pair.split_once('=') {
                            Some((name, _))
                                if name.eq_ignore_ascii_case("X-Amz-Signature")
                                    || name.eq_ignore_ascii_case("X-Amz-Security-Token") =>
                            {
                                out.push_str(name);
                                out.push_str("=***");
                            }
                            _ => out.push_str(pair),
                        }
                    }
                }
            }
        }
        fmt::Debug::fmt(&out, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn signing_key_matches_aws_derivation_example() {
        // AWS General Reference, "Examples of how to derive a signing key for
        // Signature Version 4" (also rust-s3's signing-key vector): 20150830,
        // us-east-1, iam.
        let key = SecretKey::new(SECRET);
        let derived = key.signing_key(b"20150830", "us-east-1", "iam");
        assert_eq!(
            hex(&derived.0),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
    }

    #[test]
    fn signing_key_cache_hits_for_same_scope() {
        let key = SecretKey::new(SECRET);
        let a = key.signing_key(b"20150830", "us-east-1", "s3");
        let b = key.signing_key(b"20150830", "us-east-1", "s3");
        assert_eq!(a.0, b.0);
        assert_eq!(key.derivations.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn signing_key_cache_misses_when_scope_changes() {
        let key = SecretKey::new(SECRET);
        let day1 = key.signing_key(b"20150830", "us-east-1", "s3");
        let day2 = key.signing_key(b"20150831", "us-east-1", "s3");
        let other_region = key.signing_key(b"20150831", "eu-west-1", "s3");
        let other_service = key.signing_key(b"20150831", "eu-west-1", "sts");
        assert_ne!(day1.0, day2.0);
        assert_ne!(day2.0, other_region.0);
        assert_ne!(other_region.0, other_service.0);
        assert_eq!(key.derivations.load(Ordering::Relaxed), 4);
        // Back to a previous scope: a single-entry cache derives again.
        let again = key.signing_key(b"20150830", "us-east-1", "s3");
        assert_eq!(again.0, day1.0);
        assert_eq!(key.derivations.load(Ordering::Relaxed), 5);
    }

    #[test]
    fn secret_key_debug_and_display_hide_the_secret() {
        let key = SecretKey::new(SECRET);
        let _ = key.signing_key(b"20150830", "us-east-1", "s3");
        for shown in [format!("{key:?}"), format!("{key}"), format!("{key:#?}")] {
            assert_eq!(shown, "SecretKey(***)");
            assert!(!shown.contains(SECRET));
        }
        assert_eq!(key.expose(), SECRET);
    }

    #[test]
    fn clone_keeps_secret_and_starts_with_empty_cache() {
        let key = SecretKey::new(SECRET);
        let _ = key.signing_key(b"20150830", "us-east-1", "s3");
        let copy = key.clone();
        assert_eq!(copy.expose(), SECRET);
        assert_eq!(copy.derivations.load(Ordering::Relaxed), 0);
    }
}
