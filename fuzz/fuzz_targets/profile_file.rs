//! The shared config / credentials file parser: never a panic, and what it
//! reads, written back, reads the same.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    s3lite::__fuzz::check_profile_file(&String::from_utf8_lossy(data));
});
