//! The XML reader on arbitrary bytes, and `parse(write(text)) == text` for
//! arbitrary text through the request writer.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    s3lite::__fuzz::check_xml(data, &text);
});
