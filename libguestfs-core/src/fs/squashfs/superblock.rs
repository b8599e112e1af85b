//! The superblock (`struct squashfs_super_block`, 96 bytes at offset 0, little-endian) and
//! the checks the kernel's `squashfs_fill_super` makes before it mounts.

use super::compress::Compressor;
use super::corrupt;
use crate::bytes::Fixed;
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

impl Superblock {
    /// Parses and checks the superblock (`b` holds at least [`SB_SIZE`] bytes). Versions
    /// other than 4.0 and unknown compressors are ENOTSUP; inconsistencies are EIO.
    pub fn parse(b: &[u8], dev_size: u64) -> Result<Superblock> {
        let Some(f) = Fixed::<SB_SIZE>::new(b) else {
            return Err(corrupt("superblock: the device is too small"));
        };
        if f.le32::<0>() != MAGIC {
            return Err(corrupt("superblock: bad magic"));
        }
        let (major, minor) = (f.le16::<28>(), f.le16::<30>());
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
            inodes: f.le32::<4>(),
            block_size: f.le32::<12>(),
            fragments: f.le32::<16>(),
            compressor: Compressor::from_id(f.le16::<20>())?,
            block_log: f.le16::<22>(),
            flags: f.le16::<24>(),
            no_ids: f.le16::<26>(),
            root_inode: f.le64::<32>(),
            bytes_used: f.le64::<40>(),
            id_table_start: f.le64::<48>(),
            xattr_id_table_start: f.le64::<56>(),
            inode_table_start: f.le64::<64>(),
            directory_table_start: f.le64::<72>(),
            fragment_table_start: f.le64::<80>(),
            lookup_table_start: f.le64::<88>(),
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
