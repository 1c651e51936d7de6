//! `xml::parse_sts_error` on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Never a panic.
    let _ = s3lite::xml::parse_sts_error(data);
});
