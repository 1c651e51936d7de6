//! The JSON reader (credential documents): never a panic, and
//! `parse(write(doc)) == doc` for objects.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    s3lite::__fuzz::check_json(data);
});
