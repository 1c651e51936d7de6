//! `xml::parse_error` and `xml::is_error_body` on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Never a panic; a body that parses as <Error> is seen as one.
    if let Some(body) = s3lite::xml::parse_error(data) {
        let _ = body;
        assert!(s3lite::xml::is_error_body(data));
    }
});
