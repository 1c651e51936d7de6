//! The ISO 8601 and HTTP date parsers: never a panic, and a parsed time
//! formats and parses back to itself (at the format's precision).
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3lite::date::{format_http_date, format_iso8601, parse_http_date, parse_iso8601};
use time::UtcOffset;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(t) = parse_iso8601(&text) {
        let utc = t.to_offset(UtcOffset::UTC);
        if (0..=9999).contains(&utc.year()) {
            let written = format_iso8601(t);
            let again = parse_iso8601(&written)
                .unwrap_or_else(|e| panic!("{written:?} does not parse: {e}"));
            // Floor, as the formatter does (pre-1970 times are negative).
            let millis = |t: time::OffsetDateTime| t.unix_timestamp_nanos().div_euclid(1_000_000);
            assert_eq!(millis(again), millis(t), "{text:?} -> {written:?}");
        }
    }
    if let Ok(t) = parse_http_date(&text) {
        let utc = t.to_offset(UtcOffset::UTC);
        if (0..=9999).contains(&utc.year()) {
            let written = format_http_date(t);
            let again = parse_http_date(&written)
                .unwrap_or_else(|e| panic!("{written:?} does not parse: {e}"));
            assert_eq!(
                again.unix_timestamp(),
                t.unix_timestamp(),
                "{text:?} -> {written:?}"
            );
        }
    }
});
