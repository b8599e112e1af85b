//! The superblock (primary copy at 64 KiB): geometry, tree roots, features, the one device.

use super::corrupt;
use crate::bytes::Fixed;
use crate::error::{Error, Result};

/// Where the primary superblock lives.
pub const SUPER_OFFSET: u64 = 65536;
/// The bytes of the superblock the checksum covers end here.
pub const SUPER_SIZE: usize = 4096;
const MAGIC: &[u8; 8] = b"_BHRfS_M";
/// Size of `sys_chunk_array`.
const SYS_CHUNK_ARRAY_MAX: usize = 2048;
const SYS_CHUNK_ARRAY_OFFSET: usize = 0x32b;

const CSUM_CRC32C: u16 = 0;

// Incompatible features this reader understands (the others are refused).
const INCOMPAT_MIXED_BACKREF: u64 = 1 << 0;
const INCOMPAT_DEFAULT_SUBVOL: u64 = 1 << 1;
const INCOMPAT_MIXED_GROUPS: u64 = 1 << 2;
const INCOMPAT_COMPRESS_LZO: u64 = 1 << 3;
const INCOMPAT_COMPRESS_ZSTD: u64 = 1 << 4;
const INCOMPAT_BIG_METADATA: u64 = 1 << 5;
const INCOMPAT_EXTENDED_IREF: u64 = 1 << 6;
const INCOMPAT_SKINNY_METADATA: u64 = 1 << 8;
const INCOMPAT_NO_HOLES: u64 = 1 << 9;
const INCOMPAT_METADATA_UUID: u64 = 1 << 10;
const INCOMPAT_KNOWN: u64 = INCOMPAT_MIXED_BACKREF
    | INCOMPAT_DEFAULT_SUBVOL
    | INCOMPAT_MIXED_GROUPS
    | INCOMPAT_COMPRESS_LZO
    | INCOMPAT_COMPRESS_ZSTD
    | INCOMPAT_BIG_METADATA
    | INCOMPAT_EXTENDED_IREF
    | INCOMPAT_SKINNY_METADATA
    | INCOMPAT_NO_HOLES
    | INCOMPAT_METADATA_UUID;

/// Read-only-compatible feature: block group items live in their own tree.
pub const COMPAT_RO_BLOCK_GROUP_TREE: u64 = 1 << 3;
/// Read-only-compatible feature: the free space tree exists.
pub const COMPAT_RO_FREE_SPACE_TREE: u64 = 1 << 0;

/// The superblock fields the reader uses.
#[derive(Debug, Clone)]
pub struct Superblock {
    /// The filesystem UUID metadata blocks carry (`metadata_uuid` when that feature is on).
    pub meta_fsid: [u8; 16],
    /// The UUID `statfs` derives `f_fsid` from.
    pub fsid: [u8; 16],
    pub root: u64,
    pub root_level: u8,
    pub chunk_root: u64,
    pub chunk_root_level: u8,
    pub total_bytes: u64,
    pub sectorsize: u32,
    pub nodesize: u32,
    pub compat_ro: u64,
    pub csum_type: u16,
    /// This device's `dev_item`: total size and bytes allocated to chunks.
    pub dev_total_bytes: u64,
    pub dev_bytes_used: u64,
    pub sys_chunk_array: Vec<u8>,
}

impl Superblock {
    /// Parses the superblock, checking what the rest of the reader relies on; features and
    /// layouts it does not read give ENOTSUP.
    pub fn parse(b: &[u8]) -> Result<Superblock> {
        let b = match Fixed::<SUPER_SIZE>::new(b) {
            Some(f) if f.array::<0x40, 8>() == MAGIC[..] => f,
            _ => return Err(corrupt("no superblock")),
        };
        let csum_type = b.le16::<0xc4>();
        if csum_type == CSUM_CRC32C {
            let crc = super::crc32c(&b.bytes()[0x20..]);
            if crc != b.le32::<0>() {
                return Err(corrupt("superblock checksum mismatch"));
            }
        }
        let fsid = b.array::<0x20, 16>();
        let incompat = b.le64::<0xbc>();
        let mut meta_fsid = fsid;
        if incompat & INCOMPAT_METADATA_UUID != 0 {
            meta_fsid = b.array::<0x23b, 16>();
        }
        let sys_len = b.le32::<0xa0>() as usize;
        if sys_len > SYS_CHUNK_ARRAY_MAX {
            return Err(corrupt("sys_chunk_array too long"));
        }
        let sb = Superblock {
            meta_fsid,
            fsid,
            root: b.le64::<0x50>(),
            chunk_root: b.le64::<0x58>(),
            total_bytes: b.le64::<0x70>(),
            sectorsize: b.le32::<0x90>(),
            nodesize: b.le32::<0x94>(),
            compat_ro: b.le64::<0xb4>(),
            csum_type,
            root_level: b.u8::<0xc6>(),
            chunk_root_level: b.u8::<0xc7>(),
            dev_total_bytes: b.le64::<{ 0xc9 + 8 }>(),
            dev_bytes_used: b.le64::<{ 0xc9 + 16 }>(),
            sys_chunk_array: b.bytes()[SYS_CHUNK_ARRAY_OFFSET..][..sys_len].to_vec(),
        };
        if !sb.sectorsize.is_power_of_two() || !(4096..=65536).contains(&sb.sectorsize) {
            return Err(corrupt(format_args!("bad sector size {}", sb.sectorsize)));
        }
        if !sb.nodesize.is_power_of_two() || sb.nodesize < sb.sectorsize || sb.nodesize > 65536 {
            return Err(corrupt(format_args!("bad node size {}", sb.nodesize)));
        }
        if sb.root_level >= super::tree::MAX_LEVEL || sb.chunk_root_level >= super::tree::MAX_LEVEL
        {
            return Err(corrupt("bad tree root level"));
        }
        let unknown = incompat & !INCOMPAT_KNOWN;
        if unknown != 0 {
            return Err(Error::new(
                libc::ENOTSUP,
                format!("btrfs: incompatible features {:#x} not supported", unknown),
            ));
        }
        let num_devices = b.le64::<0x88>();
        if num_devices != 1 {
            return Err(Error::new(
                libc::ENOTSUP,
                format!(
                    "btrfs: {} devices (only single-device filesystems are read natively)",
                    num_devices
                ),
            ));
        }
        if b.le64::<0x60>() != 0 {
            return Err(Error::new(
                libc::ENOTSUP,
                "btrfs: a tree log to replay (the filesystem was not unmounted cleanly)",
            ));
        }
        Ok(sb)
    }
}
