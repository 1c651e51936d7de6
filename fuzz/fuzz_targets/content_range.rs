//! `Content-Range` parsing: never a panic; a parsed range is non-empty and
//! formats back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    s3lite::__fuzz::check_content_range(&String::from_utf8_lossy(data));
});
