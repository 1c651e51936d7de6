//! The SSO-OIDC CreateToken answer reader (token refresh) on arbitrary
//! bytes: no panic, a bounded expiry, and the cache file written from it
//! reads back with the new token.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    s3lite::__fuzz::check_sso_create_token(data);
});
