//! The `credential_process` output reader on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    s3lite::__fuzz::check_process_output(data);
});
