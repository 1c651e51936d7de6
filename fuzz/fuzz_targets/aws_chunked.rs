//! aws-chunked framing: for any payload, chunk size and mode, the body
//! built from `chunk_header` / `trailer_frame` is exactly `framed_length`
//! bytes, and signing a chunk whole or in pieces gives one signature.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use s3lite::sign::chunked::{
    ChunkSigner, StreamingMode, chunk_header, framed_length, trailer_frame,
};
use s3lite::sign::{SecretKey, SigningParams, UriEncoding};
use time::OffsetDateTime;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    payload: &'a [u8],
    chunk_size: u16,
    mode: u8,
    trailer_value: u8,
    split: usize,
}

fuzz_target!(|input: Input<'_>| {
    let chunk_size = usize::from(input.chunk_size.max(1));
    let mode = match input.mode % 3 {
        0 => StreamingMode::Signed,
        1 => StreamingMode::SignedTrailer,
        _ => StreamingMode::UnsignedTrailer,
    };
    let sig = "a".repeat(64);
    let sig = mode.signs_chunks().then_some(sig.as_str());
    let value = "Q".repeat(usize::from(input.trailer_value));
    let trailer = [("x-amz-checksum-crc32", value.as_str())];
    let mut body = 0u64;
    for chunk in input.payload.chunks(chunk_size) {
        body += (chunk_header(chunk.len(), sig).len() + chunk.len() + 2) as u64;
    }
    body += chunk_header(0, sig).len() as u64;
    if mode.has_trailer() {
        body += trailer_frame(&trailer, sig).len() as u64;
    } else {
        body += 2;
    }
    let want = framed_length(
        mode,
        input.payload.len() as u64,
        chunk_size,
        mode.has_trailer().then_some((trailer[0].0, value.len())),
    );
    assert_eq!(
        body,
        want,
        "{mode:?} {} bytes in {chunk_size}",
        input.payload.len()
    );

    let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    let params = SigningParams {
        access_key_id: "AKIDEXAMPLE",
        secret_key: &secret,
        session_token: None,
        region: "us-east-1",
        service: "s3",
        time: OffsetDateTime::UNIX_EPOCH,
        uri_encoding: UriEncoding::S3,
        payload: mode.payload_hash(),
        add_content_sha256_header: true,
        sign_session_token: true,
    };
    let seed = "b".repeat(64);
    let (Ok(mut whole), Ok(mut pieces)) = (
        ChunkSigner::new(&params, &seed),
        ChunkSigner::new(&params, &seed),
    ) else {
        panic!("a valid seed is refused");
    };
    let cut = input.split % (input.payload.len() + 1);
    let (a, b) = input.payload.split_at(cut);
    assert_eq!(
        whole.sign_chunk(input.payload),
        pieces.sign_chunk_parts(&[a, b])
    );
});
