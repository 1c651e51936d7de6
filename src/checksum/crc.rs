//! CRC-32 (IEEE), CRC-32C (Castagnoli) and CRC-64/NVME, table-driven with
//! slicing-by-8.
//!
//! All three are reflected CRCs with an all-ones initial value and final
//! XOR; they differ in width and polynomial. The eight 256-entry tables per
//! CRC are computed at compile time.

/// The reflected CRC-32 (IEEE 802.3) polynomial, as in zlib and S3's `CRC32`.
const CRC32_POLY: u32 = 0xEDB8_8320;
/// The reflected CRC-32C (Castagnoli) polynomial, S3's `CRC32C`.
const CRC32C_POLY: u32 = 0x82F6_3B78;
/// The CRC-64/NVME polynomial 0xAD93D23594C93659, bit-reversed.
const CRC64_NVME_POLY: u64 = 0xAD93_D235_94C9_3659u64.reverse_bits();

static CRC32_TABLES: [[u32; 256]; 8] = tables32(CRC32_POLY);
static CRC32C_TABLES: [[u32; 256]; 8] = tables32(CRC32C_POLY);
static CRC64_NVME_TABLES: [[u64; 256]; 8] = tables64(CRC64_NVME_POLY);

/// A streaming CRC-32 (IEEE); `finish` gives the check value.
///
/// ```
/// let mut c = s3lite::checksum::Crc32::new();
/// c.update(b"1234");
/// c.update(b"56789");
/// assert_eq!(c.finish(), 0xCBF4_3926);
/// ```
#[derive(Debug, Clone)]
pub struct Crc32 {
    state: u32,
}

/// A streaming CRC-32C (Castagnoli).
///
/// ```
/// let mut c = s3lite::checksum::Crc32c::new();
/// c.update(b"123456789");
/// assert_eq!(c.finish(), 0xE306_9283);
/// ```
#[derive(Debug, Clone)]
pub struct Crc32c {
    state: u32,
}

/// A streaming CRC-64/NVME.
///
/// ```
/// let mut c = s3lite::checksum::Crc64Nvme::new();
/// c.update(b"123456789");
/// assert_eq!(c.finish(), 0xAE8B_1486_0A79_9888);
/// ```
#[derive(Debug, Clone)]
pub struct Crc64Nvme {
    state: u64,
}

macro_rules! crc_impl {
    ($name:ident, $int:ty, $tables:ident, $update:ident) => {
        impl $name {
            /// A CRC over no data yet.
            pub fn new() -> Self {
                $name { state: !0 }
            }

            /// Feeds `data`.
            pub fn update(&mut self, data: &[u8]) {
                self.state = $update(self.state, data, &$tables);
            }

            /// The CRC of everything fed so far (the hasher stays usable).
            pub fn finish(&self) -> $int {
                !self.state
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::new()
            }
        }
    };
}

crc_impl!(Crc32, u32, CRC32_TABLES, update32);
crc_impl!(Crc32c, u32, CRC32C_TABLES, update32);
crc_impl!(Crc64Nvme, u64, CRC64_NVME_TABLES, update64);

/// Slicing-by-8 over a reflected 32-bit CRC state.
fn update32(mut crc: u32, data: &[u8], t: &[[u32; 256]; 8]) -> u32 {
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let lo = crc ^ u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        crc = t[7][(lo & 0xff) as usize]
            ^ t[6][((lo >> 8) & 0xff) as usize]
            ^ t[5][((lo >> 16) & 0xff) as usize]
            ^ t[4][(lo >> 24) as usize]
            ^ t[3][usize::from(c[4])]
            ^ t[2][usize::from(c[5])]
            ^ t[1][usize::from(c[6])]
            ^ t[0][usize::from(c[7])];
    }
    for &b in chunks.remainder() {
        crc = t[0][((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

/// Slicing-by-8 over a reflected 64-bit CRC state.
fn update64(mut crc: u64, data: &[u8], t: &[[u64; 256]; 8]) -> u64 {
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let x = crc ^ u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        crc = t[7][(x & 0xff) as usize]
            ^ t[6][((x >> 8) & 0xff) as usize]
            ^ t[5][((x >> 16) & 0xff) as usize]
            ^ t[4][((x >> 24) & 0xff) as usize]
            ^ t[3][((x >> 32) & 0xff) as usize]
            ^ t[2][((x >> 40) & 0xff) as usize]
            ^ t[1][((x >> 48) & 0xff) as usize]
            ^ t[0][(x >> 56) as usize];
    }
    for &b in chunks.remainder() {
        crc = t[0][((crc ^ u64::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

/// [`tables64`] for a 32-bit CRC: a reflected CRC of a polynomial below
/// 2^32 never sets the high half, so the same tables hold.
const fn tables32(poly: u32) -> [[u32; 256]; 8] {
    let wide = tables64(poly as u64);
    let mut t = [[0u32; 256]; 8];
    let mut k = 0;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            t[k][i] = wide[k][i] as u32;
            i += 1;
        }
        k += 1;
    }
    t
}

/// Slicing-by-8 tables of a reflected CRC: `t[0]` is the byte-at-a-time
/// table; `t[k][i]` is `t[k-1][i]` advanced over one more zero byte.
const fn tables64(poly: u64) -> [[u64; 256]; 8] {
    let mut t = [[0u64; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u64;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 1 == 1 { (c >> 1) ^ poly } else { c >> 1 };
            bit += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            i += 1;
        }
        k += 1;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit-at-a-time reference, to check the sliced tables.
    fn slow32(poly: u32, data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ poly
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    fn slow64(poly: u64, data: &[u8]) -> u64 {
        let mut crc = !0u64;
        for &b in data {
            crc ^= u64::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ poly
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// The check values of the CRC catalogue (reveng.sourceforge.io):
    /// CRC-32/ISO-HDLC, CRC-32/ISCSI and CRC-64/NVME over "123456789".
    #[test]
    fn crcs_match_catalogue_check_values() {
        let mut c = Crc32::new();
        c.update(b"123456789");
        assert_eq!(c.finish(), 0xCBF4_3926);
        let mut c = Crc32c::new();
        c.update(b"123456789");
        assert_eq!(c.finish(), 0xE306_9283);
        let mut c = Crc64Nvme::new();
        c.update(b"123456789");
        assert_eq!(c.finish(), 0xAE8B_1486_0A79_9888);
        // Empty input gives 0 for all three (init and xorout cancel).
        assert_eq!(Crc32::new().finish(), 0);
        assert_eq!(Crc64Nvme::new().finish(), 0);
    }

    /// RFC 3720 (iSCSI), appendix B.4: CRC-32C of 32 zero bytes, 32 0xFF
    /// bytes and 0..=31 ascending.
    #[test]
    fn crc32c_matches_rfc_3720_vectors() {
        let run = |data: &[u8]| {
            let mut c = Crc32c::new();
            c.update(data);
            c.finish()
        };
        assert_eq!(run(&[0u8; 32]), 0x8A91_36AA);
        assert_eq!(run(&[0xffu8; 32]), 0x62A8_AB43);
        let ascending: Vec<u8> = (0..32).collect();
        assert_eq!(run(&ascending), 0x46DD_794E);
    }

    #[test]
    fn sliced_tables_equal_bit_at_a_time_at_every_length_and_split() {
        let data: Vec<u8> = (0..200u32).map(|i| (i * 31 + 7) as u8).collect();
        for len in 0..data.len() {
            let d = &data[..len];
            let mut a = Crc32::new();
            let mut b = Crc32c::new();
            let mut c = Crc64Nvme::new();
            // Split at an odd place so both loops run.
            let split = len / 3;
            for part in [&d[..split], &d[split..]] {
                a.update(part);
                b.update(part);
                c.update(part);
            }
            assert_eq!(a.finish(), slow32(CRC32_POLY, d), "crc32 len {len}");
            assert_eq!(b.finish(), slow32(CRC32C_POLY, d), "crc32c len {len}");
            assert_eq!(c.finish(), slow64(CRC64_NVME_POLY, d), "crc64 len {len}");
        }
    }
}
