//! The crate's one base64 and hex codec, and MD5 (RFC 1321, from `md-5`)
//! for `Content-MD5`, SSE-C key digests and ETags.
//!
//! Pure: no I/O. MD5 is not a security primitive here: S3 asks for it as
//! an integrity check of request bodies and customer keys.

/// The base64 alphabet (RFC 4648, standard, with `+` and `/`).
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with `=` padding.
///
/// ```
/// assert_eq!(s3lite::encoding::encode_base64(b"hi"), "aGk=");
/// ```
pub fn encode_base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from_be_bytes([0, b[0], b[1], b[2]]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64 (with or without `=` padding); `None` when the
/// text is not base64.
///
/// ```
/// assert_eq!(s3lite::encoding::decode_base64("aGk=").as_deref(), Some(&b"hi"[..]));
/// ```
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    fn sextet(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let s = s.trim().as_bytes();
    let unpadded = match s {
        [head @ .., b'=', b'='] => head,
        [head @ .., b'='] => head,
        _ => s,
    };
    if !s.len().is_multiple_of(4) && unpadded.len() != s.len() {
        return None;
    }
    if unpadded.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(unpadded.len() * 3 / 4);
    for chunk in unpadded.chunks(4) {
        let mut acc = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            acc |= sextet(*c)? << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

/// The MD5 digest of `data` (RFC 1321), from RustCrypto's `md-5`.
///
/// ```
/// let d = s3lite::encoding::md5(b"abc");
/// assert_eq!(d[..4], [0x90, 0x01, 0x50, 0x98]);
/// ```
pub fn md5(data: &[u8]) -> [u8; 16] {
    use md5::Digest;
    md5::Md5::digest(data).into()
}

/// The base64 of the MD5 of `data`: the form of `Content-MD5` and
/// `x-amz-server-side-encryption-customer-key-MD5`.
pub fn md5_base64(data: &[u8]) -> String {
    encode_base64(&md5(data))
}

/// Lower-case hex of `data`: the form of an ETag's MD5 and of SigV4 digests.
///
/// ```
/// assert_eq!(s3lite::encoding::encode_hex(&[0x0a, 0xff]), "0aff");
/// ```
pub fn encode_hex(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() * 2);
    crate::sign::canonical::push_hex_lower(&mut out, data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The test suite of RFC 1321, appendix A.5.
    #[test]
    fn md5_matches_rfc_1321_vectors() {
        let cases: [(&str, &str); 7] = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            (
                "abcdefghijklmnopqrstuvwxyz",
                "c3fcd3d76192e4007dfb496cca67e13b",
            ),
            (
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                "d174ab98d277d9f5a5611c2c9f419d9f",
            ),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(hex(&md5(input.as_bytes())), want, "{input:?}");
        }
    }

    #[test]
    fn md5_handles_every_padding_boundary() {
        // 55, 56, 63, 64 and 65 bytes cross the one- and two-block tails.
        let cases: [(usize, &str); 5] = [
            (55, "ef1772b6dff9a122358552954ad0df65"),
            (56, "3b0c8ac703f828b04c6c197006d17218"),
            (63, "b06521f39153d618550606be297466d5"),
            (64, "014842d480b571495a4a0363793f7367"),
            (65, "c743a45e0d2e6a95cb859adae0248435"),
        ];
        for (len, want) in cases {
            assert_eq!(hex(&md5(&vec![b'a'; len])), want, "{len} bytes");
        }
    }

    #[test]
    fn base64_round_trips_rfc_4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (raw, enc) in cases {
            assert_eq!(encode_base64(raw.as_bytes()), enc);
            assert_eq!(decode_base64(enc).as_deref(), Some(raw.as_bytes()));
        }
        let all: Vec<u8> = (0..=255u8).collect();
        assert_eq!(decode_base64(&encode_base64(&all)), Some(all));
    }

    #[test]
    fn base64_rejects_what_is_not_base64() {
        for bad in ["Z", "Zm9v!", "Zg=", "=Zg=", "Zm9vY"] {
            assert_eq!(decode_base64(bad), None, "{bad}");
        }
    }

    #[test]
    fn md5_base64_is_the_content_md5_form() {
        // The Content-MD5 of an empty body.
        assert_eq!(md5_base64(b""), "1B2M2Y8AsgTpgAmY7PhCfg==");
    }
}
