//! `endpoint::parse_url` and the builder's `from_url` path on arbitrary
//! text: never a panic; a refused URL is InvalidConfig, and `build()` fails
//! with a typed error or gives a store of the URL's bucket.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3lite::{ErrorKind, S3StoreBuilder};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parsed = s3lite::endpoint::parse_url(&text);
    if let Err(e) = &parsed {
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
    }
    let built = S3StoreBuilder::from_env_with(|_| None)
        .with_url(&text)
        .region("us-east-1")
        .access_key_id("AKIDEXAMPLE")
        .secret_access_key("SECRETEXAMPLE")
        .build();
    match (built, parsed) {
        (Ok(store), Ok(p)) => {
            if let Some(bucket) = p.bucket {
                assert_eq!(store.bucket(), bucket);
            }
        }
        (Ok(_), Err(e)) => panic!("built a store from a refused URL: {e}"),
        (Err(e), _) => assert!(
            matches!(
                e.kind(),
                ErrorKind::InvalidConfig | ErrorKind::NotImplemented | ErrorKind::InvalidInput
            ),
            "{e}"
        ),
    }
});
