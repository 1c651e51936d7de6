//! `xml::parse_tagging` on arbitrary bytes, and `parse(write(tags)) ==
//! tags` through `xml::write_tagging`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3lite::ErrorKind;
use s3lite::xml::{parse_tagging, write_tagging};

fuzz_target!(|data: &[u8]| {
    // Never a panic; every refusal is a typed Service error.
    let parsed = match parse_tagging(data) {
        Ok(tags) => tags,
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Service, "{e}");
            Vec::new()
        }
    };
    // The tags it read, and tags made of the input's lines (`key=value`),
    // read back exactly once written. XML 1.0 cannot carry NUL.
    let text = String::from_utf8_lossy(data);
    let lines: Vec<(String, String)> = text
        .lines()
        .map(|l| l.split_once('=').unwrap_or((l, "")))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for tags in [parsed, lines] {
        if tags.iter().any(|(k, v)| k.contains('\0') || v.contains('\0')) {
            continue;
        }
        let body = write_tagging(&tags);
        let again = parse_tagging(body.as_bytes())
            .unwrap_or_else(|e| panic!("written tagging does not parse ({e}): {body}"));
        assert_eq!(again, tags, "{body}");
    }
});
