//! `xml::parse_bucket_versioning` on arbitrary bytes, and the
//! PutBucketVersioning body for arbitrary status text read back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3lite::ErrorKind;
use s3lite::xml::{VersioningStatus, parse_bucket_versioning, write_bucket_versioning};

fuzz_target!(|data: &[u8]| {
    // Never a panic; every refusal is a typed Service error.
    if let Err(e) = parse_bucket_versioning(data) {
        assert_eq!(e.kind(), ErrorKind::Service, "{e}");
    }
    // parse(write(status)): the status it names, surrounding whitespace
    // ignored, blank as never versioned, anything else refused. XML 1.0
    // cannot carry NUL.
    let status = String::from_utf8_lossy(data);
    if status.contains('\0') {
        return;
    }
    let body = write_bucket_versioning(&status);
    let read = parse_bucket_versioning(body.as_bytes());
    match (status.trim(), read) {
        ("", Ok(VersioningStatus::Unversioned))
        | ("Enabled", Ok(VersioningStatus::Enabled))
        | ("Suspended", Ok(VersioningStatus::Suspended)) => {}
        ("" | "Enabled" | "Suspended", other) => panic!("{body} read as {other:?}"),
        (_, Ok(s)) => panic!("{body} read as {s:?}"),
        (_, Err(e)) => assert_eq!(e.kind(), ErrorKind::Service, "{e}"),
    }
});
