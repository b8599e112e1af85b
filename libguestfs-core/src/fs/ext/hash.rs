//! The htree name hash (`ext4fs_dirhash`): the legacy hash, half-MD4 and TEA, each reading
//! name bytes as signed or unsigned chars, seeded with the superblock's `s_hash_seed`.
//!
//! The kernel orders what readdir returns from a hashed directory by these values, so they
//! decide the order in which `tar` (and anything else reading a directory) sees names.

/// A hash version as `dx_root_info.hash_version` and `s_def_hash_version` number them, with
/// the superblock's unsigned flag folded in (`DX_HASH_*`, `DX_HASH_*_UNSIGNED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashVersion {
    Legacy,
    HalfMd4,
    Tea,
    LegacyUnsigned,
    HalfMd4Unsigned,
    TeaUnsigned,
}

/// `EXT4_HTREE_EOF_32BIT`: the position readdir reports at the end, which no hash may equal.
const HTREE_EOF_32BIT: u32 = (1 << (32 - 1)) - 1;

impl HashVersion {
    /// The version numbered `code` (0 to 5); others are not name hashes this reader knows
    /// (6 is SipHash, which only encrypted casefolded directories use).
    pub fn from_code(code: u32) -> Option<HashVersion> {
        Some(match code {
            0 => HashVersion::Legacy,
            1 => HashVersion::HalfMd4,
            2 => HashVersion::Tea,
            3 => HashVersion::LegacyUnsigned,
            4 => HashVersion::HalfMd4Unsigned,
            5 => HashVersion::TeaUnsigned,
            _ => return None,
        })
    }

    /// The same hash over unsigned chars: what `s_hash_unsigned` (3) added to versions 0 to 2
    /// gives.
    pub fn unsigned(self) -> HashVersion {
        match self {
            HashVersion::Legacy => HashVersion::LegacyUnsigned,
            HashVersion::HalfMd4 => HashVersion::HalfMd4Unsigned,
            HashVersion::Tea => HashVersion::TeaUnsigned,
            other => other,
        }
    }

    fn is_unsigned(self) -> bool {
        matches!(
            self,
            HashVersion::LegacyUnsigned | HashVersion::HalfMd4Unsigned | HashVersion::TeaUnsigned
        )
    }
}

/// A name byte widened as C's `char` would be: sign-extended unless the hash is unsigned.
fn widen(byte: u8, unsigned: bool) -> u32 {
    if unsigned {
        u32::from(byte)
    } else {
        byte as i8 as i32 as u32
    }
}

/// The (major, minor) hash of `name`: the major hash with its low bit cleared (the bit
/// marks continuation blocks in the index), the minor hash 0 for the legacy hash. An all-zero
/// `seed` means MD4's initial state.
pub fn dirhash(version: HashVersion, seed: &[u32; 4], name: &[u8]) -> (u32, u32) {
    let mut buf: [u32; 4] = if seed.iter().any(|&w| w != 0) {
        *seed
    } else {
        [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476]
    };
    let unsigned = version.is_unsigned();
    let (hash, minor) = match version {
        HashVersion::Legacy | HashVersion::LegacyUnsigned => (legacy(name, unsigned), 0),
        HashVersion::HalfMd4 | HashVersion::HalfMd4Unsigned => {
            hash_blocks(name, unsigned, &mut buf, half_md4_transform);
            (buf[1], buf[2])
        }
        HashVersion::Tea | HashVersion::TeaUnsigned => {
            hash_blocks(name, unsigned, &mut buf, tea_transform);
            (buf[0], buf[1])
        }
    };
    let mut hash = hash & !1;
    if hash == HTREE_EOF_32BIT << 1 {
        hash = (HTREE_EOF_32BIT - 1) << 1;
    }
    (hash, minor)
}

/// Feeds `name` to `transform` a block of `N` words (`4 * N` bytes) at a time.
fn hash_blocks<const N: usize>(
    name: &[u8],
    unsigned: bool,
    buf: &mut [u32; 4],
    transform: fn(&mut [u32; 4], &[u32; N]),
) {
    for start in (0..name.len()).step_by(N * 4) {
        let mut words = [0u32; N];
        str_to_words(&name[start..], unsigned, &mut words);
        transform(buf, &words);
    }
}

/// `dx_hack_hash`, the hash of the first htree directories.
fn legacy(name: &[u8], unsigned: bool) -> u32 {
    let (mut hash0, mut hash1) = (0x12a3_fe2du32, 0x37ab_e8f9u32);
    for &b in name {
        let mut hash = hash1.wrapping_add(hash0 ^ widen(b, unsigned).wrapping_mul(7_152_373));
        if hash & 0x8000_0000 != 0 {
            hash = hash.wrapping_sub(0x7fff_ffff);
        }
        hash1 = hash0;
        hash0 = hash;
    }
    hash0 << 1
}

/// `str2hashbuf`: packs the first `words.len() * 4` bytes of `rest` (what is left of the
/// name) big-end first into words, each started from, and the rest filled with, a pad made of
/// the length of `rest` (not of the block: that is how the kernel pads).
fn str_to_words(rest: &[u8], unsigned: bool, words: &mut [u32]) {
    let len = rest.len() as u32;
    let mut pad = len | (len << 8);
    pad |= pad << 16;
    let take = rest.len().min(words.len() * 4);
    let mut val = pad;
    let mut filled = 0;
    for (i, &b) in rest[..take].iter().enumerate() {
        val = widen(b, unsigned).wrapping_add(val << 8);
        if i % 4 == 3 {
            words[filled] = val;
            filled += 1;
            val = pad;
        }
    }
    if filled < words.len() {
        words[filled] = val;
        filled += 1;
    }
    for w in &mut words[filled..] {
        *w = pad;
    }
}

/// The kernel's cut-down MD4 round (`half_md4_transform`).
fn half_md4_transform(buf: &mut [u32; 4], x: &[u32; 8]) {
    const K2: u32 = 0o13240474631;
    const K3: u32 = 0o15666365641;
    let f = |x: u32, y: u32, z: u32| z ^ (x & (y ^ z));
    let g = |x: u32, y: u32, z: u32| (x & y).wrapping_add((x ^ y) & z);
    let h = |x: u32, y: u32, z: u32| x ^ y ^ z;
    let [mut a, mut b, mut c, mut d] = *buf;
    macro_rules! round {
        ($f:ident, $a:ident, $b:ident, $c:ident, $d:ident, $x:expr, $s:expr) => {
            $a = $a
                .wrapping_add($f($b, $c, $d))
                .wrapping_add($x)
                .rotate_left($s)
        };
    }
    round!(f, a, b, c, d, x[0], 3);
    round!(f, d, a, b, c, x[1], 7);
    round!(f, c, d, a, b, x[2], 11);
    round!(f, b, c, d, a, x[3], 19);
    round!(f, a, b, c, d, x[4], 3);
    round!(f, d, a, b, c, x[5], 7);
    round!(f, c, d, a, b, x[6], 11);
    round!(f, b, c, d, a, x[7], 19);

    round!(g, a, b, c, d, x[1].wrapping_add(K2), 3);
    round!(g, d, a, b, c, x[3].wrapping_add(K2), 5);
    round!(g, c, d, a, b, x[5].wrapping_add(K2), 9);
    round!(g, b, c, d, a, x[7].wrapping_add(K2), 13);
    round!(g, a, b, c, d, x[0].wrapping_add(K2), 3);
    round!(g, d, a, b, c, x[2].wrapping_add(K2), 5);
    round!(g, c, d, a, b, x[4].wrapping_add(K2), 9);
    round!(g, b, c, d, a, x[6].wrapping_add(K2), 13);

    round!(h, a, b, c, d, x[3].wrapping_add(K3), 3);
    round!(h, d, a, b, c, x[7].wrapping_add(K3), 9);
    round!(h, c, d, a, b, x[2].wrapping_add(K3), 11);
    round!(h, b, c, d, a, x[6].wrapping_add(K3), 15);
    round!(h, a, b, c, d, x[1].wrapping_add(K3), 3);
    round!(h, d, a, b, c, x[5].wrapping_add(K3), 9);
    round!(h, c, d, a, b, x[0].wrapping_add(K3), 11);
    round!(h, b, c, d, a, x[4].wrapping_add(K3), 15);

    buf[0] = buf[0].wrapping_add(a);
    buf[1] = buf[1].wrapping_add(b);
    buf[2] = buf[2].wrapping_add(c);
    buf[3] = buf[3].wrapping_add(d);
}

/// Sixteen rounds of TEA over the first two words of `buf` (`TEA_transform`).
fn tea_transform(buf: &mut [u32; 4], x: &[u32; 4]) {
    const DELTA: u32 = 0x9E37_79B9;
    let (mut b0, mut b1) = (buf[0], buf[1]);
    let [a, b, c, d] = *x;
    let mut sum = 0u32;
    for _ in 0..16 {
        sum = sum.wrapping_add(DELTA);
        b0 = b0.wrapping_add(
            ((b1 << 4).wrapping_add(a)) ^ b1.wrapping_add(sum) ^ ((b1 >> 5).wrapping_add(b)),
        );
        b1 = b1.wrapping_add(
            ((b0 << 4).wrapping_add(c)) ^ b0.wrapping_add(sum) ^ ((b0 >> 5).wrapping_add(d)),
        );
    }
    buf[0] = buf[0].wrapping_add(b0);
    buf[1] = buf[1].wrapping_add(b1);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed `0d0c0b0a-0f0e-1110-1312-151417161918` as debugfs's `dx_hash -s` takes it.
    const SEED: [u32; 4] = [0x0a0b_0c0d, 0x1011_0e0f, 0x1415_1213, 0x1819_1617];
    const ZERO: [u32; 4] = [0; 4];

    fn names() -> [Vec<u8>; 5] {
        [
            b".".to_vec(),
            b"a".to_vec(),
            b"hello".to_vec(),
            "été-café".as_bytes().to_vec(),
            vec![b'x'; 40],
        ]
    }

    /// A hash version, a seed, and the (hash, minor hash) of each of [`names`].
    type Expected = (u32, &'static [u32; 4], [(u32, u32); 5]);

    /// Each version and seed against e2fsprogs 1.47's `debugfs -R "dx_hash -h N -s SEED NAME"`
    /// for the names above (one needing sign extension, one longer than a block of each hash).
    #[test]
    fn hashes_match_e2fsprogs() {
        #[rustfmt::skip]
        let table: [Expected; 12] = [
            (0, &ZERO, [(0x71d73e48, 0), (0xe74b53e2, 0), (0x32252546, 0), (0xf7c92cc0, 0), (0x382d277e, 0)]),
            (0, &SEED, [(0x71d73e48, 0), (0xe74b53e2, 0), (0x32252546, 0), (0xf7c92cc0, 0), (0x382d277e, 0)]),
            (1, &ZERO, [(0x3df9c490, 0x700a9a17), (0xd5fa7d7a, 0xacb48187), (0x1746da32, 0x420013b5), (0xad54f1be, 0x8825e9ff), (0xa58368b6, 0x7a9f8ab7)]),
            (1, &SEED, [(0xba4b7bb0, 0xa6033435), (0xe0accfa6, 0x23a054fd), (0x5e1ee47a, 0x9e27ab33), (0xab20bd3e, 0x679ab1ad), (0x55d40e12, 0x39629dd3)]),
            (2, &ZERO, [(0x31fd669c, 0x12dc5935), (0x6d0ea4c0, 0xc18922df), (0x6f5bb1a8, 0x231917c2), (0x60e81110, 0x2c68bbe6), (0xb3f4bbfc, 0xbfd548a9)]),
            (2, &SEED, [(0xaeda9b4c, 0xc898d79d), (0x67b23a70, 0xfbb4baa7), (0x5a0ef9e6, 0xf75c2f35), (0x8ab3d0fa, 0xf2aefb1d), (0xbf10375a, 0x87dd0dad)]),
            (3, &ZERO, [(0x71d73e48, 0), (0xe74b53e2, 0), (0x32252546, 0), (0x571a6080, 0), (0x382d277e, 0)]),
            (3, &SEED, [(0x71d73e48, 0), (0xe74b53e2, 0), (0x32252546, 0), (0x571a6080, 0), (0x382d277e, 0)]),
            (4, &ZERO, [(0x3df9c490, 0x700a9a17), (0xd5fa7d7a, 0xacb48187), (0x1746da32, 0x420013b5), (0x436db662, 0x162e5987), (0xa58368b6, 0x7a9f8ab7)]),
            (4, &SEED, [(0xba4b7bb0, 0xa6033435), (0xe0accfa6, 0x23a054fd), (0x5e1ee47a, 0x9e27ab33), (0x1266a866, 0x94a15d57), (0x55d40e12, 0x39629dd3)]),
            (5, &ZERO, [(0x31fd669c, 0x12dc5935), (0x6d0ea4c0, 0xc18922df), (0x6f5bb1a8, 0x231917c2), (0xb57643ae, 0xb1057e0d), (0xb3f4bbfc, 0xbfd548a9)]),
            (5, &SEED, [(0xaeda9b4c, 0xc898d79d), (0x67b23a70, 0xfbb4baa7), (0x5a0ef9e6, 0xf75c2f35), (0x7fead394, 0x13f3dfc2), (0xbf10375a, 0x87dd0dad)]),
        ];
        for (code, seed, want) in table {
            let version = HashVersion::from_code(code).unwrap();
            for (name, want) in names().iter().zip(want) {
                assert_eq!(
                    dirhash(version, seed, name),
                    want,
                    "version {} seed {:x?} name {:?}",
                    code,
                    seed,
                    String::from_utf8_lossy(name)
                );
            }
        }
    }

    #[test]
    fn unknown_versions_are_refused_and_unsigned_folds_in() {
        assert_eq!(HashVersion::from_code(6), None);
        assert_eq!(HashVersion::from_code(u32::MAX), None);
        assert_eq!(HashVersion::Tea.unsigned(), HashVersion::TeaUnsigned);
        assert_eq!(
            HashVersion::TeaUnsigned.unsigned(),
            HashVersion::TeaUnsigned
        );
    }

    #[test]
    fn empty_and_longest_names_hash_without_panic() {
        for code in 0..6 {
            let v = HashVersion::from_code(code).unwrap();
            let _ = dirhash(v, &SEED, b"");
            let (h, _) = dirhash(v, &SEED, &[0xff; 255]);
            assert_eq!(h & 1, 0);
        }
    }
}
