//! The checksums s3lite once wrote by hand (slicing-by-8 CRCs, FIPS 180-4
//! SHA-1, RFC 1321 MD5), kept as the reference that `benches/checksum.rs`
//! measures the crates against and `tests/checksum_crates.rs` compares their
//! output with. Not part of the library.
#![allow(dead_code, reason = "each including crate uses part")]
#![allow(unreachable_pub, reason = "included as a private module")]
#![allow(clippy::unwrap_used, reason = "reference code")]

pub mod crc {
    // CRC-32 (IEEE), CRC-32C (Castagnoli) and CRC-64/NVME, table-driven with
    // slicing-by-8.
    //
    // All three are reflected CRCs with an all-ones initial value and final
    // XOR; they differ in width and polynomial. The eight 256-entry tables per
    // CRC are computed at compile time.

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
    #[derive(Debug, Clone)]
    pub struct Crc32 {
        state: u32,
    }

    /// A streaming CRC-32C (Castagnoli).
    #[derive(Debug, Clone)]
    pub struct Crc32c {
        state: u32,
    }

    /// A streaming CRC-64/NVME.
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
}

pub mod sha1 {
    // SHA-1 (FIPS 180-4), streaming.
    //
    // Used for S3's `x-amz-checksum-sha1` and to name SSO cache files as the AWS
    // CLI does. SHA-1 is broken for collision resistance; it is here only because
    // those formats require it, never as a security primitive.

    /// A streaming SHA-1 hasher.
    #[derive(Clone)]
    pub struct Sha1 {
        state: [u32; 5],
        /// Bytes of a partial block.
        buf: [u8; 64],
        buf_len: usize,
        /// Total bytes hashed.
        len: u64,
    }

    /// The SHA-1 of `data` in one call.
    pub fn sha1(data: &[u8]) -> [u8; 20] {
        let mut h = Sha1::new();
        h.update(data);
        h.finish()
    }

    impl Sha1 {
        /// A hasher with the FIPS 180-4 initial state.
        pub fn new() -> Self {
            Sha1 {
                state: [
                    0x6745_2301,
                    0xEFCD_AB89,
                    0x98BA_DCFE,
                    0x1032_5476,
                    0xC3D2_E1F0,
                ],
                buf: [0; 64],
                buf_len: 0,
                len: 0,
            }
        }

        /// Feeds `data`.
        pub fn update(&mut self, mut data: &[u8]) {
            self.len = self.len.wrapping_add(data.len() as u64);
            if self.buf_len > 0 {
                let take = (64 - self.buf_len).min(data.len());
                self.buf[self.buf_len..self.buf_len + take].copy_from_slice(&data[..take]);
                self.buf_len += take;
                data = &data[take..];
                if self.buf_len < 64 {
                    return;
                }
                let block = self.buf;
                compress(&mut self.state, &block);
                self.buf_len = 0;
            }
            let mut blocks = data.chunks_exact(64);
            for block in &mut blocks {
                compress(&mut self.state, block);
            }
            let rest = blocks.remainder();
            self.buf[..rest.len()].copy_from_slice(rest);
            self.buf_len = rest.len();
        }

        /// The digest (big-endian, 20 bytes).
        pub fn finish(mut self) -> [u8; 20] {
            let bit_len = self.len.wrapping_mul(8);
            let mut pad = [0u8; 72];
            pad[0] = 0x80;
            let pad_len = if self.buf_len < 56 {
                56 - self.buf_len
            } else {
                120 - self.buf_len
            };
            // `update` counts these bytes too, but `bit_len` was taken before.
            self.update(&pad[..pad_len]);
            self.update(&bit_len.to_be_bytes());
            debug_assert_eq!(self.buf_len, 0);
            let mut out = [0u8; 20];
            for (chunk, word) in out.chunks_exact_mut(4).zip(self.state) {
                chunk.copy_from_slice(&word.to_be_bytes());
            }
            out
        }
    }

    impl Default for Sha1 {
        fn default() -> Self {
            Sha1::new()
        }
    }

    impl std::fmt::Debug for Sha1 {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Sha1").field("len", &self.len).finish()
        }
    }

    /// One 64-byte block of the compression function.
    fn compress(h: &mut [u32; 5], block: &[u8]) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = *h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
}

pub mod md5 {
    /// The MD5 digest of `data` (RFC 1321).
    pub fn md5(data: &[u8]) -> [u8; 16] {
        let mut state: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
        let mut blocks = data.chunks_exact(64);
        for block in &mut blocks {
            md5_block(&mut state, block);
        }
        // Padding: 0x80, zeros to 56 mod 64, then the bit length, little-endian.
        let rest = blocks.remainder();
        let mut tail = [0u8; 128];
        tail[..rest.len()].copy_from_slice(rest);
        tail[rest.len()] = 0x80;
        let tail_len = if rest.len() < 56 { 64 } else { 128 };
        let bits = (data.len() as u64).wrapping_mul(8);
        tail[tail_len - 8..tail_len].copy_from_slice(&bits.to_le_bytes());
        for block in tail[..tail_len].chunks_exact(64) {
            md5_block(&mut state, block);
        }
        let mut out = [0u8; 16];
        for (dst, word) in out.chunks_exact_mut(4).zip(state) {
            dst.copy_from_slice(&word.to_le_bytes());
        }
        out
    }

    /// Per-round left rotations (RFC 1321, section 3.4).
    const SHIFTS: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5,
        9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10,
        15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];

    /// `floor(abs(sin(i + 1)) * 2^32)` for i in 0..64 (RFC 1321, section 3.4).
    const SINES: [u32; 64] = [
        0xd76a_a478,
        0xe8c7_b756,
        0x2420_70db,
        0xc1bd_ceee,
        0xf57c_0faf,
        0x4787_c62a,
        0xa830_4613,
        0xfd46_9501,
        0x6980_98d8,
        0x8b44_f7af,
        0xffff_5bb1,
        0x895c_d7be,
        0x6b90_1122,
        0xfd98_7193,
        0xa679_438e,
        0x49b4_0821,
        0xf61e_2562,
        0xc040_b340,
        0x265e_5a51,
        0xe9b6_c7aa,
        0xd62f_105d,
        0x0244_1453,
        0xd8a1_e681,
        0xe7d3_fbc8,
        0x21e1_cde6,
        0xc337_07d6,
        0xf4d5_0d87,
        0x455a_14ed,
        0xa9e3_e905,
        0xfcef_a3f8,
        0x676f_02d9,
        0x8d2a_4c8a,
        0xfffa_3942,
        0x8771_f681,
        0x6d9d_6122,
        0xfde5_380c,
        0xa4be_ea44,
        0x4bde_cfa9,
        0xf6bb_4b60,
        0xbebf_bc70,
        0x289b_7ec6,
        0xeaa1_27fa,
        0xd4ef_3085,
        0x0488_1d05,
        0xd9d4_d039,
        0xe6db_99e5,
        0x1fa2_7cf8,
        0xc4ac_5665,
        0xf429_2244,
        0x432a_ff97,
        0xab94_23a7,
        0xfc93_a039,
        0x655b_59c3,
        0x8f0c_cc92,
        0xffef_f47d,
        0x8584_5dd1,
        0x6fa8_7e4f,
        0xfe2c_e6e0,
        0xa301_4314,
        0x4e08_11a1,
        0xf753_7e82,
        0xbd3a_f235,
        0x2ad7_d2bb,
        0xeb86_d391,
    ];

    fn md5_block(state: &mut [u32; 4], block: &[u8]) {
        let mut m = [0u32; 16];
        for (word, bytes) in m.iter_mut().zip(block.chunks_exact(4)) {
            *word = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        let [mut a, mut b, mut c, mut d] = *state;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let rotated = a
                .wrapping_add(f)
                .wrapping_add(SINES[i])
                .wrapping_add(m[g])
                .rotate_left(SHIFTS[i]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(rotated);
        }
        for (s, v) in state.iter_mut().zip([a, b, c, d]) {
            *s = s.wrapping_add(v);
        }
    }
}
