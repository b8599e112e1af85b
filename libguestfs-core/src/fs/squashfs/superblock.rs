//! The superblock (`struct squashfs_super_block`, 96 bytes at offset 0, little-endian) and
//! the checks the kernel's `squashfs_fill_super` makes before it mounts.

use super::compress::Compressor;
use super::corrupt;
use crate::bytes::{try_le32, try_slice};
use crate::error::{Error, Result};

pub const SB_SIZE: usize = 96;
const MAGIC: u32 = 0x7371_7368; // "hsqs"
/// `SQUASHFS_METADATA_SIZE`: uncompressed size of a metadata block.
pub const METADATA_SIZE: usize = 8192;
/// Smallest and largest data block sizes the kernel accepts.
const MIN_BLOCK_LOG: u16 = 12;
const MAX_BLOCK_LOG: u16 = 20;
/// Flag: compressor options follow the superblock in a metadata block.
const FLAG_COMP_OPT: u16 = 0x0400;
/// `SQUASHFS_INVALID_BLK`: a table that is absent.
pub const INVALID_BLK: u64 = u64::MAX;

#[derive(Debug, Clone)]
pub struct Superblock {
    pub inodes: u32,
    pub block_size: u32,
    pub block_log: u16,
    pub fragments: u32,
    pub compressor: Compressor,
    pub flags: u16,
    pub no_ids: u16,
    pub root_inode: u64,
    pub bytes_used: u64,
    pub id_table_start: u64,
    pub xattr_id_table_start: u64,
    pub inode_table_start: u64,
    pub directory_table_start: u64,
    pub fragment_table_start: u64,
    pub lookup_table_start: u64,
    /// The xz dictionary size the kernel allocates (set once the options are read).
    pub xz_dict: u32,
}

fn le16(b: &[u8], off: usize) -> u16 {
    try_slice(b, off, 2).map_or(0, |s| u16::from_le_bytes([s[0], s[1]]))
}

fn le64(b: &[u8], off: usize) -> u64 {
    try_slice(b, off, 8).map_or(0, |s| {
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        u64::from_le_bytes(a)
    })
}

impl Superblock {
    /// Parses and checks the superblock (`b` holds at least [`SB_SIZE`] bytes). Versions
    /// other than 4.0 and unknown compressors are ENOTSUP; inconsistencies are EIO.
    pub fn parse(b: &[u8], dev_size: u64) -> Result<Superblock> {
        if b.len() < SB_SIZE {
            return Err(corrupt("superblock: the device is too small"));
        }
        let le32 = |off| try_le32(b, off).unwrap_or(0);
        if le32(0) != MAGIC {
            return Err(corrupt("superblock: bad magic"));
        }
        let (major, minor) = (le16(b, 28), le16(b, 30));
        if major != 4 || minor > 0 {
            return Err(Error::new(
                libc::ENOTSUP,
                format!(
                    "squashfs: version {}.{} (only 4.0 is read natively)",
                    major, minor
                ),
            ));
        }
        let sb = Superblock {
            inodes: le32(4),
            block_size: le32(12),
            fragments: le32(16),
            compressor: Compressor::from_id(le16(b, 20))?,
            block_log: le16(b, 22),
            flags: le16(b, 24),
            no_ids: le16(b, 26),
            root_inode: le64(b, 32),
            bytes_used: le64(b, 40),
            id_table_start: le64(b, 48),
            xattr_id_table_start: le64(b, 56),
            inode_table_start: le64(b, 64),
            directory_table_start: le64(b, 72),
            fragment_table_start: le64(b, 80),
            lookup_table_start: le64(b, 88),
            // No limit until the options are read.
            xz_dict: u32::MAX,
        };
        sb.check(dev_size)?;
        Ok(sb)
    }

    /// The kernel's sanity checks, and those this reader relies on: tables in order, inside
    /// `bytes_used`, and `bytes_used` inside the device.
    fn check(&self, dev_size: u64) -> Result<()> {
        if !(MIN_BLOCK_LOG..=MAX_BLOCK_LOG).contains(&self.block_log)
            || self.block_size != 1 << self.block_log
        {
            return Err(corrupt(format!(
                "superblock: bad block size {} (log {})",
                self.block_size, self.block_log
            )));
        }
        if self.bytes_used > dev_size || self.bytes_used < SB_SIZE as u64 {
            return Err(corrupt(format!(
                "superblock: {} bytes used, device holds {}",
                self.bytes_used, dev_size
            )));
        }
        if self.inode_table_start.saturating_add(self.root_inode >> 16)
            >= self.directory_table_start
            || (self.root_inode & 0xffff) as usize >= METADATA_SIZE
        {
            return Err(corrupt("superblock: bad root inode reference"));
        }
        if self.inode_table_start >= self.directory_table_start
            || self.directory_table_start > self.bytes_used
            || self.id_table_start >= self.bytes_used
            || self.no_ids == 0
            || self.inodes == 0
        {
            return Err(corrupt("superblock: tables out of order or out of range"));
        }
        for t in [
            self.xattr_id_table_start,
            self.fragment_table_start,
            self.lookup_table_start,
        ] {
            if t != INVALID_BLK && t >= self.bytes_used {
                return Err(corrupt("superblock: a table lies past the end"));
            }
        }
        Ok(())
    }

    /// Whether compressor options follow the superblock.
    pub fn has_compressor_options(&self) -> bool {
        self.flags & FLAG_COMP_OPT != 0
    }
}
