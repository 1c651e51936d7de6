//! The SSO portal's GetRoleCredentials answer reader (JSON) on arbitrary
//! bytes: no panic, and what it accepts, written back, reads the same.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    s3lite::__fuzz::check_sso_role_credentials(data);
});
