//! `xml::parse_list_parts` on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Never a panic; every refusal is a typed Service error.
    if let Err(e) = s3lite::xml::parse_list_parts(data) {
        assert_eq!(e.kind(), s3lite::ErrorKind::Service, "{e}");
    }
});
