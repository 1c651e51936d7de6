//! Checksums S3 accepts in `x-amz-checksum-*`: CRC32, CRC32C, CRC64NVME,
//! SHA-1 and SHA-256.
//!
//! Pure: no I/O. The three CRCs come from `crc-fast` (AWS's SIMD CRC crate:
//! carry-less multiplication with PCLMULQDQ / VPCLMULQDQ / ARM PMULL where the
//! CPU has it), SHA-1 from RustCrypto's `sha1` and SHA-256 from `sha2`, the
//! crate the signer uses (both with SHA extensions where present).
//! `benches/checksum.rs` measures them against the hand-written code they
//! replaced. S3 wants each value as the base64 of its big-endian bytes:
//! [`Hasher::finish_base64`].
//!
//! Multipart uploads: S3 keeps either a *composite* checksum (the checksum of
//! the concatenated binary part checksums, written `<base64>-<parts>`,
//! [`composite`]) or, for the CRCs, a *full-object* one (the CRC of the whole
//! object, which S3 derives from the part CRCs). [`multipart_type`] says which
//! s3lite asks for: full-object for CRC64NVME (the only type S3 allows for
//! it), composite for the others.
//!
//! ```
//! use s3lite::checksum::Hasher;
//! use s3lite::config::ChecksumAlgorithm;
//!
//! let mut h = Hasher::new(ChecksumAlgorithm::Crc32);
//! h.update(b"123456789");
//! assert_eq!(h.finish_base64(), "y/Q5Jg=="); // 0xCBF43926
//! ```

use crc_fast::CrcAlgorithm;
use sha1::Sha1;
use sha2::{Digest, Sha256};

pub use crate::config::ChecksumAlgorithm;

use crate::encoding::{decode_base64, encode_base64};

/// Which multipart checksum type s3lite uses for an algorithm.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumType {
    /// The checksum of the part checksums, `<base64>-<parts>`.
    Composite,
    /// The checksum of the whole object, as for a single PUT.
    FullObject,
}

impl ChecksumType {
    /// The `x-amz-checksum-type` value: `COMPOSITE` or `FULL_OBJECT`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChecksumType::Composite => "COMPOSITE",
            ChecksumType::FullObject => "FULL_OBJECT",
        }
    }
}

/// The multipart checksum type s3lite asks for with `algorithm`:
/// full-object for the CRCs (the object then has the same checksum as if it
/// were one PUT, which a whole-object GET can check, and S3 alternatives
/// such as s3s accept only this type), composite for SHA-1 and SHA-256
/// (S3 allows nothing else for them).
pub fn multipart_type(algorithm: ChecksumAlgorithm) -> ChecksumType {
    match algorithm {
        ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c | ChecksumAlgorithm::Crc64Nvme => {
            ChecksumType::FullObject
        }
        _ => ChecksumType::Composite,
    }
}

/// The full-object CRC of an object from its parts' base64 CRCs and sizes
/// (in part order), in base64: what S3 reports for a `FULL_OBJECT`
/// multipart upload. `None` for SHA-1/SHA-256 (no such combination exists)
/// or a part value that is not a base64 CRC of the algorithm's width.
///
/// ```
/// use s3lite::checksum::{checksum_base64, full_object};
/// use s3lite::config::ChecksumAlgorithm::Crc32;
///
/// let parts = [(checksum_base64(Crc32, b"hello "), 6), (checksum_base64(Crc32, b"world"), 5)];
/// assert_eq!(full_object(Crc32, &parts), Some(checksum_base64(Crc32, b"hello world")));
/// ```
pub fn full_object<S: AsRef<str>>(
    algorithm: ChecksumAlgorithm,
    parts: &[(S, u64)],
) -> Option<String> {
    let (crc, width) = match algorithm {
        ChecksumAlgorithm::Crc32 => (CrcAlgorithm::Crc32IsoHdlc, 4),
        ChecksumAlgorithm::Crc32c => (CrcAlgorithm::Crc32Iscsi, 4),
        ChecksumAlgorithm::Crc64Nvme => (CrcAlgorithm::Crc64Nvme, 8),
        _ => return None,
    };
    let mut whole: Option<u64> = None;
    for (value, len) in parts {
        let bytes = decode_base64(value.as_ref()).filter(|b| b.len() == width)?;
        let part = bytes.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b));
        whole = Some(match whole {
            None => part,
            Some(sofar) => crc_fast::checksum_combine(crc, sofar, part, *len),
        });
    }
    let whole = whole?;
    Some(encode_base64(&whole.to_be_bytes()[8 - width..]))
}

/// The header that carries an `algorithm` value: `x-amz-checksum-crc32c`, ...
pub fn header_name(algorithm: ChecksumAlgorithm) -> &'static str {
    match algorithm {
        ChecksumAlgorithm::Crc32 => "x-amz-checksum-crc32",
        ChecksumAlgorithm::Crc32c => "x-amz-checksum-crc32c",
        ChecksumAlgorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
        ChecksumAlgorithm::Sha1 => "x-amz-checksum-sha1",
        _ => "x-amz-checksum-sha256",
    }
}

/// Every algorithm, in a fixed order (CRC32, CRC32C, CRC64NVME, SHA1, SHA256).
pub const ALL: [ChecksumAlgorithm; 5] = [
    ChecksumAlgorithm::Crc32,
    ChecksumAlgorithm::Crc32c,
    ChecksumAlgorithm::Crc64Nvme,
    ChecksumAlgorithm::Sha1,
    ChecksumAlgorithm::Sha256,
];

/// A streaming checksum of any algorithm S3 supports.
#[derive(Clone)]
pub struct Hasher {
    algorithm: ChecksumAlgorithm,
    state: State,
}

#[derive(Clone)]
enum State {
    /// CRC32, CRC32C or CRC64NVME: `crc-fast` returns every width as `u64`.
    Crc(crc_fast::Digest),
    // Unboxed: the CRC state (about 300 bytes) is the largest anyway.
    Sha1(Sha1),
    Sha256(Sha256),
}

impl Hasher {
    /// A hasher for `algorithm` over no data yet.
    pub fn new(algorithm: ChecksumAlgorithm) -> Self {
        let crc = |alg| State::Crc(crc_fast::Digest::new(alg));
        let state = match algorithm {
            ChecksumAlgorithm::Crc32 => crc(CrcAlgorithm::Crc32IsoHdlc),
            ChecksumAlgorithm::Crc32c => crc(CrcAlgorithm::Crc32Iscsi),
            ChecksumAlgorithm::Crc64Nvme => crc(CrcAlgorithm::Crc64Nvme),
            ChecksumAlgorithm::Sha1 => State::Sha1(Sha1::default()),
            _ => State::Sha256(Sha256::default()),
        };
        Hasher { algorithm, state }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        self.algorithm
    }

    /// Feeds `data`.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            State::Crc(c) => c.update(data),
            State::Sha1(h) => h.update(data),
            State::Sha256(h) => h.update(data),
        }
    }

    /// The checksum as big-endian bytes (4, 8, 20 or 32 of them).
    pub fn finish(self) -> Vec<u8> {
        match self.state {
            State::Crc(c) if self.algorithm == ChecksumAlgorithm::Crc64Nvme => {
                c.finalize().to_be_bytes().to_vec()
            }
            // CRC32 and CRC32C: the low 32 bits (the high ones are zero).
            State::Crc(c) => (c.finalize() as u32).to_be_bytes().to_vec(),
            State::Sha1(h) => h.finalize().to_vec(),
            State::Sha256(h) => h.finalize().to_vec(),
        }
    }

    /// The checksum as S3 writes it: base64 of the big-endian bytes.
    pub fn finish_base64(self) -> String {
        encode_base64(&self.finish())
    }
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// The SHA-1 of `data` (the file name of an AWS SSO token cache entry).
pub(crate) fn sha1(data: &[u8]) -> [u8; 20] {
    Sha1::digest(data).into()
}

/// The base64 `algorithm` checksum of `data`, as S3 wants it in
/// `x-amz-checksum-*`.
pub fn checksum_base64(algorithm: ChecksumAlgorithm, data: &[u8]) -> String {
    let mut h = Hasher::new(algorithm);
    h.update(data);
    h.finish_base64()
}

/// The composite checksum of a multipart object from its parts' base64
/// checksums (in part order): the checksum of their concatenated binary
/// values, in base64, with `-<number of parts>` appended. `None` if a part
/// value is not base64.
///
/// ```
/// use s3lite::checksum::{checksum_base64, composite};
/// use s3lite::config::ChecksumAlgorithm::Crc32c;
///
/// let parts = [checksum_base64(Crc32c, b"a"), checksum_base64(Crc32c, b"b")];
/// assert!(composite(Crc32c, &parts).unwrap().ends_with("-2"));
/// ```
pub fn composite<S: AsRef<str>>(algorithm: ChecksumAlgorithm, parts: &[S]) -> Option<String> {
    let mut h = Hasher::new(algorithm);
    for part in parts {
        h.update(&decode_base64(part.as_ref())?);
    }
    Some(format!("{}-{}", h.finish_base64(), parts.len()))
}

/// Whether `value` is a composite (multipart) checksum, `<base64>-<n>`,
/// which cannot be checked against the bytes of a whole-object GET.
pub fn is_composite(value: &str) -> bool {
    value
        .rsplit_once('-')
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_values_are_big_endian() {
        // 0xCBF43926, 0xE3069283, 0xAE8B14860A799888 of "123456789".
        let cases = [
            (ChecksumAlgorithm::Crc32, "y/Q5Jg=="),
            (ChecksumAlgorithm::Crc32c, "4waSgw=="),
            (ChecksumAlgorithm::Crc64Nvme, "rosUhgp5mIg="),
        ];
        for (alg, want) in cases {
            assert_eq!(checksum_base64(alg, b"123456789"), want, "{alg:?}");
        }
        // FIPS 180 "abc" digests, base64.
        assert_eq!(
            checksum_base64(ChecksumAlgorithm::Sha1, b"abc"),
            "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="
        );
        assert_eq!(
            checksum_base64(ChecksumAlgorithm::Sha256, b"abc"),
            "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
    }

    fn hex(bytes: &[u8]) -> String {
        crate::encoding::encode_hex(bytes)
    }

    fn digest(alg: ChecksumAlgorithm, data: &[u8]) -> String {
        let mut h = Hasher::new(alg);
        h.update(data);
        hex(&h.finish())
    }

    /// RFC 3720 (iSCSI), appendix B.4, CRC-32C vectors; the empty input of
    /// every CRC (init and xorout cancel).
    #[test]
    fn crcs_match_rfc_3720_and_empty_input() {
        let c = ChecksumAlgorithm::Crc32c;
        assert_eq!(digest(c, &[0u8; 32]), "8a9136aa");
        assert_eq!(digest(c, &[0xffu8; 32]), "62a8ab43");
        assert_eq!(digest(c, &(0..32).collect::<Vec<u8>>()), "46dd794e");
        assert_eq!(digest(ChecksumAlgorithm::Crc32, b""), "00000000");
        assert_eq!(
            digest(ChecksumAlgorithm::Crc64Nvme, b""),
            "0000000000000000"
        );
    }

    /// FIPS 180 SHA-1 vectors, the million-`a` one included.
    #[test]
    fn sha1_matches_fips_180_vectors() {
        let s = ChecksumAlgorithm::Sha1;
        assert_eq!(digest(s, b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            digest(
                s,
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            ),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(
            digest(s, &vec![b'a'; 1_000_000]),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
    }

    /// Feeding in pieces gives the one-shot value, for every algorithm and
    /// split.
    #[test]
    fn streaming_equals_one_shot_at_every_split() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for alg in ALL {
            let whole = digest(alg, &data);
            for split in (0..data.len()).step_by(7) {
                let mut h = Hasher::new(alg);
                h.update(&data[..split]);
                h.update(&data[split..]);
                assert_eq!(hex(&h.finish()), whole, "{alg:?} split {split}");
            }
        }
    }

    #[test]
    fn trailer_vector_checksum_is_crc32c_of_the_doc_payload() {
        // The aws-chunked trailer example sends x-amz-checksum-crc32c:sOO8/Q==
        // for 66560 bytes of 'a'.
        assert_eq!(
            checksum_base64(ChecksumAlgorithm::Crc32c, &[b'a'; 66560]),
            "sOO8/Q=="
        );
    }

    #[test]
    fn composite_hashes_binary_part_values() {
        let a = checksum_base64(ChecksumAlgorithm::Sha256, b"part one");
        let b = checksum_base64(ChecksumAlgorithm::Sha256, b"part two");
        let mut raw = decode_base64(&a).unwrap_or_default();
        raw.extend(decode_base64(&b).unwrap_or_default());
        let want = format!("{}-2", checksum_base64(ChecksumAlgorithm::Sha256, &raw));
        assert_eq!(composite(ChecksumAlgorithm::Sha256, &[a, b]), Some(want));
        assert_eq!(composite(ChecksumAlgorithm::Crc32, &["!!"]), None);
    }

    /// Combining part CRCs gives the CRC of the whole, for every CRC and
    /// uneven parts (an empty one included).
    #[test]
    fn full_object_crc_of_parts_equals_the_crc_of_the_whole() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 13 + 5) as u8).collect();
        let cuts = [0, 1, 4096, 4096, 7000, 10_000];
        for alg in [
            ChecksumAlgorithm::Crc32,
            ChecksumAlgorithm::Crc32c,
            ChecksumAlgorithm::Crc64Nvme,
        ] {
            let parts: Vec<(String, u64)> = cuts
                .windows(2)
                .map(|w| {
                    let part = &data[w[0]..w[1]];
                    (checksum_base64(alg, part), part.len() as u64)
                })
                .collect();
            assert_eq!(
                full_object(alg, &parts),
                Some(checksum_base64(alg, &data)),
                "{alg:?}"
            );
        }
        assert_eq!(full_object(ChecksumAlgorithm::Sha256, &[("AAAA", 3)]), None);
        assert_eq!(
            full_object(ChecksumAlgorithm::Crc32, &[("AAAAAAAA", 3)]),
            None
        );
    }

    #[test]
    fn composite_values_are_recognised() {
        assert!(is_composite("abcd==-3"));
        assert!(!is_composite("y/Q5Jg=="));
        assert!(!is_composite("ab-"));
        assert!(!is_composite("a-b"));
    }

    #[test]
    fn header_names_and_types() {
        assert_eq!(
            header_name(ChecksumAlgorithm::Crc64Nvme),
            "x-amz-checksum-crc64nvme"
        );
        assert_eq!(
            multipart_type(ChecksumAlgorithm::Crc64Nvme),
            ChecksumType::FullObject
        );
        assert_eq!(
            multipart_type(ChecksumAlgorithm::Sha1).as_str(),
            "COMPOSITE"
        );
        assert_eq!(
            multipart_type(ChecksumAlgorithm::Crc32).as_str(),
            "FULL_OBJECT"
        );
    }
}
