//! The ext2/3/4 superblock (`struct ext4_super_block`, 1024 bytes at byte 1024), its feature
//! flags, the checks the kernel makes before mounting, and blkid's naming of the variants.

use super::hash::HashVersion;
use crate::bytes::Fixed;
use crate::error::{Error, Result};
use crate::fs::crc32c::crc32c;

/// Byte offset of the primary superblock.
pub const SUPERBLOCK_OFFSET: u64 = 1024;
pub const SUPERBLOCK_SIZE: usize = 1024;
pub const EXT4_SUPER_MAGIC: u16 = 0xef53;

// s_feature_compat
pub const COMPAT_HAS_JOURNAL: u32 = 0x0004;
pub const COMPAT_DIR_INDEX: u32 = 0x0020;
pub const COMPAT_SPARSE_SUPER2: u32 = 0x0200;

// s_feature_incompat
pub const INCOMPAT_FILETYPE: u32 = 0x0002;
pub const INCOMPAT_RECOVER: u32 = 0x0004;
pub const INCOMPAT_JOURNAL_DEV: u32 = 0x0008;
pub const INCOMPAT_META_BG: u32 = 0x0010;
pub const INCOMPAT_EXTENTS: u32 = 0x0040;
pub const INCOMPAT_64BIT: u32 = 0x0080;
pub const INCOMPAT_MMP: u32 = 0x0100;
pub const INCOMPAT_FLEX_BG: u32 = 0x0200;
pub const INCOMPAT_EA_INODE: u32 = 0x0400;
pub const INCOMPAT_CSUM_SEED: u32 = 0x2000;
pub const INCOMPAT_LARGEDIR: u32 = 0x4000;
pub const INCOMPAT_INLINE_DATA: u32 = 0x8000;
pub const INCOMPAT_ENCRYPT: u32 = 0x10000;
pub const INCOMPAT_CASEFOLD: u32 = 0x20000;

/// The incompatible features the kernel's ext4 driver mounts (`EXT4_FEATURE_INCOMPAT_SUPP`).
pub const INCOMPAT_SUPPORTED: u32 = INCOMPAT_FILETYPE
    | INCOMPAT_RECOVER
    | INCOMPAT_META_BG
    | INCOMPAT_EXTENTS
    | INCOMPAT_64BIT
    | INCOMPAT_FLEX_BG
    | INCOMPAT_EA_INODE
    | INCOMPAT_MMP
    | INCOMPAT_CSUM_SEED
    | INCOMPAT_LARGEDIR
    | INCOMPAT_INLINE_DATA
    | INCOMPAT_ENCRYPT
    | INCOMPAT_CASEFOLD;

// s_feature_ro_compat
pub const RO_COMPAT_SPARSE_SUPER: u32 = 0x0001;
pub const RO_COMPAT_LARGE_FILE: u32 = 0x0002;
pub const RO_COMPAT_BTREE_DIR: u32 = 0x0004;
pub const RO_COMPAT_HUGE_FILE: u32 = 0x0008;
pub const RO_COMPAT_BIGALLOC: u32 = 0x0200;
pub const RO_COMPAT_METADATA_CSUM: u32 = 0x0400;

/// s_flags: "test filesystem", which blkid calls ext4dev.
const FLAGS_TEST_FILESYS: u32 = 0x0004;
/// s_flags: directory hashes read names as unsigned chars.
const FLAGS_UNSIGNED_HASH: u32 = 0x0002;
/// `DX_HASH_SIPHASH`, a version the kernel refuses as the default hash.
const DX_HASH_SIPHASH: u8 = 6;

// What blkid considers ext2 and ext3 to understand (libblkid's ext.c).
const EXT2_RO_COMPAT_SUPP: u32 =
    RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE | RO_COMPAT_BTREE_DIR;
const EXT2_INCOMPAT_SUPP: u32 = INCOMPAT_FILETYPE | INCOMPAT_META_BG;
const EXT3_RO_COMPAT_SUPP: u32 = EXT2_RO_COMPAT_SUPP;
const EXT3_INCOMPAT_SUPP: u32 = INCOMPAT_FILETYPE | INCOMPAT_RECOVER | INCOMPAT_META_BG;

/// Smallest and largest block sizes (log2) the kernel accepts: 1 KiB to 64 KiB.
const MIN_BLOCK_LOG: u32 = 10;
const MAX_BLOCK_LOG: u32 = 16;
/// The kernel's EXT4_MAX_CLUSTER_LOG_SIZE.
const MAX_CLUSTER_LOG: u32 = 30;
/// Upper bound on block groups we hold descriptors for (64 Ki groups of 128 MiB is 8 TiB;
/// 4 Mi groups is 512 TiB with 4 KiB blocks), so a forged count cannot exhaust memory.
pub const MAX_GROUPS: u64 = 1 << 22;

/// The fields of `struct ext4_super_block` this reader uses, with the kernel's names.
#[derive(Debug, Clone)]
pub struct Superblock {
    pub s_inodes_count: u32,
    pub s_blocks_count: u64,
    pub s_r_blocks_count: u64,
    pub s_first_data_block: u32,
    pub s_log_block_size: u32,
    pub s_log_cluster_size: u32,
    pub s_blocks_per_group: u32,
    pub s_clusters_per_group: u32,
    pub s_inodes_per_group: u32,
    pub s_magic: u16,
    pub s_rev_level: u32,
    pub s_first_ino: u32,
    pub s_inode_size: u16,
    pub s_feature_compat: u32,
    pub s_feature_incompat: u32,
    pub s_feature_ro_compat: u32,
    pub s_uuid: [u8; 16],
    pub s_volume_name: [u8; 16],
    pub s_reserved_gdt_blocks: u16,
    pub s_journal_inum: u32,
    pub s_desc_size: u16,
    pub s_first_meta_bg: u32,
    /// The hash seed of htree directories, as the kernel reads it (four little-endian words).
    pub s_hash_seed: [u32; 4],
    pub s_def_hash_version: u8,
    pub s_flags: u32,
    pub s_overhead_clusters: u32,
    pub s_backup_bgs: [u32; 2],
    /// Whether `s_checksum` matches (always true without metadata_csum).
    pub checksum_ok: bool,
    /// The seed of every metadata checksum when metadata_csum is on: `s_checksum_seed` with
    /// the csum_seed feature, else the CRC-32C of the UUID (the kernel's `s_csum_seed`).
    pub csum_seed: Option<u32>,
}

impl Superblock {
    /// Decodes the 1024 superblock bytes. Nothing is validated here but the length.
    pub fn parse(b: &[u8]) -> Option<Superblock> {
        let b = Fixed::<SUPERBLOCK_SIZE>::new(b)?;
        let incompat = b.le32::<0x60>();
        let is64 = incompat & INCOMPAT_64BIT != 0;
        let hi = |high: u32| if is64 { u64::from(high) << 32 } else { 0 };
        let ro_compat = b.le32::<0x64>();
        let s_uuid = b.array::<0x68, 16>();
        let checksum_ok = if ro_compat & RO_COMPAT_METADATA_CSUM != 0 {
            crc32c(!0, &b.bytes()[..0x3fc]) == b.le32::<0x3fc>()
        } else {
            true
        };
        let csum_seed = (ro_compat & RO_COMPAT_METADATA_CSUM != 0).then(|| {
            if incompat & INCOMPAT_CSUM_SEED != 0 {
                b.le32::<0x270>()
            } else {
                crc32c(!0, &s_uuid)
            }
        });
        Some(Superblock {
            s_inodes_count: b.le32::<0x00>(),
            s_blocks_count: u64::from(b.le32::<0x04>()) | hi(b.le32::<0x150>()),
            s_r_blocks_count: u64::from(b.le32::<0x08>()) | hi(b.le32::<0x154>()),
            s_first_data_block: b.le32::<0x14>(),
            s_log_block_size: b.le32::<0x18>(),
            s_log_cluster_size: b.le32::<0x1c>(),
            s_blocks_per_group: b.le32::<0x20>(),
            s_clusters_per_group: b.le32::<0x24>(),
            s_inodes_per_group: b.le32::<0x28>(),
            s_magic: b.le16::<0x38>(),
            s_rev_level: b.le32::<0x4c>(),
            s_first_ino: b.le32::<0x54>(),
            s_inode_size: b.le16::<0x58>(),
            s_feature_compat: b.le32::<0x5c>(),
            s_feature_incompat: incompat,
            s_feature_ro_compat: ro_compat,
            s_uuid,
            s_volume_name: b.array::<0x78, 16>(),
            s_reserved_gdt_blocks: b.le16::<0xce>(),
            s_journal_inum: b.le32::<0xe0>(),
            s_desc_size: b.le16::<0xfe>(),
            s_first_meta_bg: b.le32::<0x104>(),
            s_hash_seed: [
                b.le32::<0xec>(),
                b.le32::<0xf0>(),
                b.le32::<0xf4>(),
                b.le32::<0xf8>(),
            ],
            s_def_hash_version: b.u8::<0xfc>(),
            s_flags: b.le32::<0x160>(),
            s_overhead_clusters: b.le32::<0x248>(),
            s_backup_bgs: [b.le32::<0x24c>(), b.le32::<0x250>()],
            checksum_ok,
            csum_seed,
        })
    }

    pub fn has_compat(&self, f: u32) -> bool {
        self.s_feature_compat & f != 0
    }
    pub fn has_incompat(&self, f: u32) -> bool {
        self.s_feature_incompat & f != 0
    }
    pub fn has_ro_compat(&self, f: u32) -> bool {
        self.s_feature_ro_compat & f != 0
    }

    /// The default hash of directories (`s_def_hash_version`), made unsigned as the kernel's
    /// `ext4_hash_info_init` does: with dir_index, names hash as unsigned chars when s_flags
    /// says so, and as x86's signed chars otherwise. None for a version the kernel refuses to
    /// mount (beyond SipHash, or SipHash itself).
    pub fn default_hash(&self) -> Option<HashVersion> {
        if self.s_def_hash_version >= DX_HASH_SIPHASH {
            return None;
        }
        let v = HashVersion::from_code(u32::from(self.s_def_hash_version))?;
        Some(if self.hash_unsigned() {
            v.unsigned()
        } else {
            v
        })
    }

    /// Whether `s_hash_unsigned` is set: htree versions 0 to 2 then hash unsigned chars.
    pub fn hash_unsigned(&self) -> bool {
        self.has_compat(COMPAT_DIR_INDEX) && self.s_flags & FLAGS_UNSIGNED_HASH != 0
    }

    /// blkid's TYPE for this superblock: `jbd` for an external journal, `ext4dev`, `ext4`,
    /// `ext3` or `ext2` by the features present; None when no variant claims it.
    pub fn blkid_type(&self) -> Option<&'static str> {
        let fc = self.s_feature_compat;
        let fi = self.s_feature_incompat;
        let frc = self.s_feature_ro_compat;
        if fi & INCOMPAT_JOURNAL_DEV != 0 {
            return Some("jbd");
        }
        let beyond_ext3 = frc & !EXT3_RO_COMPAT_SUPP != 0 || fi & !EXT3_INCOMPAT_SUPP != 0;
        if self.s_flags & FLAGS_TEST_FILESYS != 0 {
            return Some("ext4dev");
        }
        if beyond_ext3 {
            return Some("ext4");
        }
        if fc & COMPAT_HAS_JOURNAL != 0 {
            return Some("ext3");
        }
        if frc & !EXT2_RO_COMPAT_SUPP != 0 || fi & !EXT2_INCOMPAT_SUPP != 0 {
            return None;
        }
        Some("ext2")
    }

    /// blkid's LABEL: the volume name up to its first NUL, trailing white space removed.
    pub fn label(&self) -> String {
        let end = self
            .s_volume_name
            .iter()
            .position(|&c| c == 0)
            .unwrap_or(16);
        let name = self.s_volume_name.get(..end).unwrap_or(&[]);
        String::from_utf8_lossy(name).trim_end().to_string()
    }

    /// blkid's UUID: lower-case and dashed; empty when the UUID is all zeros.
    pub fn uuid(&self) -> String {
        if self.s_uuid.iter().all(|&b| b == 0) {
            return String::new();
        }
        let mut s = String::with_capacity(36);
        for (i, b) in self.s_uuid.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                s.push('-');
            }
            s.push_str(&format!("{:02x}", b));
        }
        s
    }
}

/// Sizes derived from a superblock the kernel would accept.
#[derive(Debug, Clone)]
pub struct Geometry {
    pub block_size: u64,
    pub block_bits: u32,
    /// log2(blocks per cluster): 0 without bigalloc.
    pub cluster_bits: u32,
    pub blocks_count: u64,
    pub first_data_block: u64,
    pub blocks_per_group: u64,
    pub inodes_per_group: u64,
    pub inodes_count: u64,
    pub inode_size: u64,
    pub first_ino: u64,
    pub desc_size: u64,
    pub desc_per_block: u64,
    pub groups_count: u64,
    /// Blocks of group descriptors (`s_gdb_count`).
    pub gdb_count: u64,
    /// Inode table blocks per group (`s_itb_per_group`).
    pub itb_per_group: u64,
}

fn bad(msg: impl Into<String>) -> Error {
    Error::corrupt(format!("ext4: {}", msg.into()))
}

impl Geometry {
    /// The checks `ext4_fill_super` makes on the superblock's geometry, and the derived sizes.
    /// `device_size` is the size of the device the filesystem lives on.
    pub fn new(sb: &Superblock, device_size: u64) -> Result<Geometry> {
        if sb.s_magic != EXT4_SUPER_MAGIC {
            return Err(bad("bad magic number in superblock"));
        }
        if !sb.checksum_ok {
            return Err(Error::new(
                libc::EBADMSG,
                "ext4: invalid superblock checksum",
            ));
        }
        let block_bits = sb
            .s_log_block_size
            .checked_add(MIN_BLOCK_LOG)
            .filter(|b| *b <= MAX_BLOCK_LOG)
            .ok_or_else(|| bad(format!("invalid log block size {}", sb.s_log_block_size)))?;
        let block_size = 1u64 << block_bits;
        let cluster_bits = if sb.has_ro_compat(RO_COMPAT_BIGALLOC) {
            let log = sb.s_log_cluster_size;
            if log < sb.s_log_block_size || log > MAX_CLUSTER_LOG - MIN_BLOCK_LOG {
                return Err(bad(format!("invalid log cluster size {}", log)));
            }
            log - sb.s_log_block_size
        } else {
            0
        };
        let (inode_size, first_ino) = if sb.s_rev_level == 0 {
            (128u64, 11u64)
        } else {
            (u64::from(sb.s_inode_size), u64::from(sb.s_first_ino))
        };
        if inode_size < 128 || inode_size > block_size || !inode_size.is_power_of_two() {
            return Err(bad(format!("unsupported inode size {}", inode_size)));
        }
        if first_ino < 11 {
            return Err(bad(format!("invalid first ino {}", first_ino)));
        }
        let desc_size = if sb.has_incompat(INCOMPAT_64BIT) {
            let d = u64::from(sb.s_desc_size);
            if !(64..=1024).contains(&d) || !d.is_power_of_two() || d > block_size {
                return Err(bad(format!("unsupported descriptor size {}", d)));
            }
            d
        } else {
            32
        };
        let blocks_per_group = u64::from(sb.s_blocks_per_group);
        let clusters_per_group = u64::from(sb.s_clusters_per_group);
        if cluster_bits > 0 {
            if clusters_per_group == 0
                || clusters_per_group > block_size * 8
                || clusters_per_group.checked_shl(cluster_bits) != Some(blocks_per_group)
            {
                return Err(bad("invalid clusters per group"));
            }
        } else if blocks_per_group == 0 || blocks_per_group > block_size * 8 {
            return Err(bad(format!(
                "invalid blocks per group {}",
                blocks_per_group
            )));
        }
        if blocks_per_group % 8 != 0 {
            return Err(bad(format!(
                "invalid blocks per group {}",
                blocks_per_group
            )));
        }
        let inodes_per_group = u64::from(sb.s_inodes_per_group);
        let inodes_per_block = block_size / inode_size;
        if inodes_per_group < inodes_per_block || inodes_per_group > block_size * 8 {
            return Err(bad(format!(
                "invalid inodes per group {}",
                inodes_per_group
            )));
        }
        let blocks_count = sb.s_blocks_count;
        let first_data_block = u64::from(sb.s_first_data_block);
        if first_data_block >= blocks_count {
            return Err(bad("first data block beyond the block count"));
        }
        let fs_bytes = blocks_count
            .checked_mul(block_size)
            .ok_or_else(|| bad("block count too large"))?;
        if fs_bytes > device_size {
            return Err(bad(format!(
                "bad geometry: block count {} exceeds size of device ({} blocks)",
                blocks_count,
                device_size / block_size
            )));
        }
        let groups_count = (blocks_count - first_data_block).div_ceil(blocks_per_group);
        if groups_count > MAX_GROUPS {
            return Err(bad(format!("too many block groups ({})", groups_count)));
        }
        if groups_count * inodes_per_group != u64::from(sb.s_inodes_count) {
            return Err(bad(format!(
                "inodes count not valid: {} vs {}",
                sb.s_inodes_count,
                groups_count * inodes_per_group
            )));
        }
        let desc_per_block = block_size / desc_size;
        let gdb_count = groups_count.div_ceil(desc_per_block);
        if sb.has_incompat(INCOMPAT_META_BG) && u64::from(sb.s_first_meta_bg) > gdb_count {
            return Err(bad(format!(
                "first meta block group too large: {}",
                sb.s_first_meta_bg
            )));
        }
        Ok(Geometry {
            block_size,
            block_bits,
            cluster_bits,
            blocks_count,
            first_data_block,
            blocks_per_group,
            inodes_per_group,
            inodes_count: u64::from(sb.s_inodes_count),
            inode_size,
            first_ino,
            desc_size,
            desc_per_block,
            groups_count,
            gdb_count,
            itb_per_group: inodes_per_group / inodes_per_block,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sb_with(compat: u32, incompat: u32, ro: u32) -> Superblock {
        let mut b = vec![0u8; 1024];
        b[0x38..0x3a].copy_from_slice(&EXT4_SUPER_MAGIC.to_le_bytes());
        b[0x5c..0x60].copy_from_slice(&compat.to_le_bytes());
        b[0x60..0x64].copy_from_slice(&incompat.to_le_bytes());
        b[0x64..0x68].copy_from_slice(&ro.to_le_bytes());
        Superblock::parse(&b).unwrap()
    }

    #[test]
    fn blkid_names_the_variants_by_features() {
        let filetype = INCOMPAT_FILETYPE;
        let sparse = RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE;
        assert_eq!(sb_with(0, filetype, sparse).blkid_type(), Some("ext2"));
        assert_eq!(
            sb_with(COMPAT_HAS_JOURNAL, filetype | INCOMPAT_RECOVER, sparse).blkid_type(),
            Some("ext3")
        );
        assert_eq!(
            sb_with(COMPAT_HAS_JOURNAL, filetype | INCOMPAT_EXTENTS, sparse).blkid_type(),
            Some("ext4")
        );
        assert_eq!(
            sb_with(0, filetype, sparse | RO_COMPAT_HUGE_FILE).blkid_type(),
            Some("ext4")
        );
        assert_eq!(
            sb_with(0, INCOMPAT_JOURNAL_DEV, 0).blkid_type(),
            Some("jbd")
        );
    }

    #[test]
    fn uuid_is_dashed_lower_case_and_empty_when_zero() {
        let mut sb = sb_with(0, 0, 0);
        assert_eq!(sb.uuid(), "");
        sb.s_uuid = [0xAB; 16];
        assert_eq!(sb.uuid(), "abababab-abab-abab-abab-abababababab");
    }
}
