//! `xml::parse_list_object_versions` on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Never a panic; every refusal is a typed Service error.
    let page = match s3lite::xml::parse_list_object_versions(data) {
        Ok(page) => page,
        Err(e) => {
            assert_eq!(e.kind(), s3lite::ErrorKind::Service, "{e}");
            return;
        }
    };
    // What it accepts is whole: each entry has a version id, a delete
    // marker has no size, the next-page markers are never empty.
    for v in &page.versions {
        assert!(!v.version_id.is_empty(), "{v:?}");
        assert!(!v.delete_marker || v.size == 0, "{v:?}");
    }
    assert_ne!(page.next_key_marker.as_deref(), Some(""));
    assert_ne!(page.next_version_id_marker.as_deref(), Some(""));
});
