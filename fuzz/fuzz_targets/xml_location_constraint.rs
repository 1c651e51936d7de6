//! `xml::parse_location_constraint` on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Never a panic; every refusal is a typed Service error.
    if let Err(e) = s3lite::xml::parse_location_constraint(data) {
        assert_eq!(e.kind(), s3lite::ErrorKind::Service, "{e}");
    }
});
