//! `Retry-After` and `x-amz-retry-after` parsing against a fuzzed clock.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (i64, Option<&[u8]>, &[u8])| {
    let (now, amz, retry_after) = input;
    s3lite::__fuzz::check_retry_after(retry_after, amz, now);
});
