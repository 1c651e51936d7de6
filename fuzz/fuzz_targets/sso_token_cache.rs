//! The SSO token cache file reader (`~/.aws/sso/cache/*.json`) on arbitrary
//! bytes: no panic, and a cache it reads, rewritten, reads the same.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    s3lite::__fuzz::check_sso_token_cache(data);
});
