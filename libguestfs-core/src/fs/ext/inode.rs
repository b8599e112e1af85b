//! Inodes (`struct ext4_inode`): decoding, the checks `__ext4_iget` makes, and the
//! attributes as the kernel reports them through `stat(2)`.

use super::extents;
use super::superblock::{Geometry, Superblock, INCOMPAT_64BIT, RO_COMPAT_HUGE_FILE};
use super::xattr;
use crate::bytes::{try_le16, try_le32, Fixed};
use crate::error::{Error, Result};
use crate::fs::UnixMode;
use crate::types::{makedev, StatNs, S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFREG};

// i_flags
pub const EXT4_IMMUTABLE_FL: u32 = 0x0000_0010;
pub const EXT4_APPEND_FL: u32 = 0x0000_0020;
pub const EXT4_ENCRYPT_FL: u32 = 0x0000_0800;
/// A directory with an htree index.
pub const EXT4_INDEX_FL: u32 = 0x0000_1000;
pub const EXT4_HUGE_FILE_FL: u32 = 0x0004_0000;
pub const EXT4_EXTENTS_FL: u32 = 0x0008_0000;
pub const EXT4_EA_INODE_FL: u32 = 0x0020_0000;
pub const EXT4_INLINE_DATA_FL: u32 = 0x1000_0000;

/// Size of the classic inode; `i_extra_isize` counts the bytes beyond it.
pub const GOOD_OLD_INODE_SIZE: usize = 128;
/// `sizeof(struct ext4_inode)`: what the kernel assumes when `i_extra_isize` is 0.
const FULL_INODE_SIZE: usize = 160;
/// Bytes of `i_block`.
pub const I_BLOCK_SIZE: usize = 60;
const I_BLOCK_OFFSET: usize = 0x28;

pub const ROOT_INO: u64 = 2;

/// A decoded inode.
#[derive(Debug, Clone)]
pub struct Inode {
    pub ino: u64,
    /// The on-disk inode (`s_inode_size` bytes).
    pub raw: Vec<u8>,
    /// `i_block`: block pointers, the extent tree root, a fast symlink's target or the start
    /// of inline data.
    pub i_block: [u8; I_BLOCK_SIZE],
    pub mode: u16,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub links_count: u16,
    /// `i_blocks` in 512-byte units, as the kernel computes it.
    pub blocks: u64,
    pub flags: u32,
    pub file_acl: u64,
    /// `i_generation`, part of the seed of the inode's metadata checksums.
    pub generation: u32,
    pub atime: (i64, i64),
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
    /// Offset of the in-inode xattr area (after the magic), when it exists.
    pub ibody_xattrs: Option<usize>,
    /// Where the `system.data` value of an inline-data inode lies in `raw` (offset, length);
    /// None when the inode does not have inline data in the kernel's sense.
    pub inline: Option<(usize, usize)>,
}

/// Seconds and nanoseconds from a 32-bit time and its `_extra` word (epoch bits, then
/// nanoseconds shifted by 2), like `ext4_decode_extra_time`.
fn decode_time(base: u32, extra: Option<u32>) -> (i64, i64) {
    let mut sec = i64::from(base as i32);
    let mut nsec = 0;
    if let Some(extra) = extra {
        let epoch = i64::from(extra & 3);
        if epoch != 0 {
            sec += epoch << 32;
        }
        nsec = i64::from(extra >> 2);
    }
    (sec, nsec)
}

impl Inode {
    pub fn has_flag(&self, f: u32) -> bool {
        self.flags & f != 0
    }
    pub fn i_block(&self) -> &[u8] {
        &self.i_block
    }
    /// The parent's inode number, which an inline directory's data starts with.
    pub fn inline_dir_parent(&self) -> u32 {
        Fixed::from(&self.i_block).le32::<0>()
    }
    /// `ext4_inode_is_fast_symlink`: a symlink whose target lives in `i_block`.
    /// `cluster_size` is the filesystem's cluster (block, without bigalloc) size.
    pub fn is_fast_symlink(&self, cluster_size: u64) -> bool {
        if !self.is_symlink() {
            return false;
        }
        if self.has_flag(EXT4_EA_INODE_FL) {
            return self.size != 0 && self.size < I_BLOCK_SIZE as u64;
        }
        if self.inline.is_some() {
            return false;
        }
        let ea_blocks = if self.file_acl != 0 {
            cluster_size >> 9
        } else {
            0
        };
        self.blocks.wrapping_sub(ea_blocks) == 0
    }
    /// Whether data is mapped by an extent tree rather than block pointers.
    pub fn uses_extents(&self) -> bool {
        self.has_flag(EXT4_EXTENTS_FL)
    }

    /// Decodes and checks an on-disk inode as `__ext4_iget` does.
    pub fn parse(sb: &Superblock, geo: &Geometry, ino: u64, raw: Vec<u8>) -> Result<Inode> {
        let corrupt = |msg: &str| Error::corrupt(format!("ext4: inode #{}: {}", ino, msg));
        let inode_size = raw.len();
        let base = Fixed::<GOOD_OLD_INODE_SIZE>::new(&raw).ok_or_else(|| {
            corrupt(&format!(
                "{} bytes, less than the {} of an inode",
                inode_size, GOOD_OLD_INODE_SIZE
            ))
        })?;
        let mode = base.le16::<0x00>();
        let links_count = base.le16::<0x1a>();
        let dtime = base.le32::<0x14>();
        let flags = base.le32::<0x20>();

        // i_extra_isize, and the kernel's in-memory value (32 when the field is 0).
        let mut extra_isize = 0usize;
        let mut raw_extra = 0usize;
        if inode_size > GOOD_OLD_INODE_SIZE {
            raw_extra = try_le16(&raw, 0x80).map_or(inode_size, usize::from);
            if GOOD_OLD_INODE_SIZE + raw_extra > inode_size || !raw_extra.is_multiple_of(4) {
                return Err(corrupt(&format!(
                    "bad extra_isize {} (inode size {})",
                    raw_extra, inode_size
                )));
            }
            extra_isize = if raw_extra == 0 {
                FULL_INODE_SIZE - GOOD_OLD_INODE_SIZE
            } else {
                raw_extra
            };
        }
        let extra = |off: usize| {
            (off + 4 <= GOOD_OLD_INODE_SIZE + extra_isize)
                .then(|| try_le32(&raw, off))
                .flatten()
        };

        if links_count == 0 && (mode == 0 || dtime != 0) {
            return Err(Error::new(
                libc::ESTALE,
                format!("ext4: inode #{} is deleted", ino),
            ));
        }

        let uid = u32::from(base.le16::<0x02>()) | (u32::from(base.le16::<0x78>()) << 16);
        let gid = u32::from(base.le16::<0x18>()) | (u32::from(base.le16::<0x7a>()) << 16);
        let size = u64::from(base.le32::<0x04>()) | (u64::from(base.le32::<0x6c>()) << 32);
        if size > i64::MAX as u64 {
            return Err(corrupt("bad i_size value"));
        }
        let blocks_lo = u64::from(base.le32::<0x1c>());
        let blocks = if sb.has_ro_compat(RO_COMPAT_HUGE_FILE) {
            let b = blocks_lo | (u64::from(base.le16::<0x74>()) << 32);
            if flags & EXT4_HUGE_FILE_FL != 0 {
                b << (geo.block_bits - 9)
            } else {
                b
            }
        } else {
            blocks_lo
        };
        let mut file_acl = u64::from(base.le32::<0x68>());
        if sb.has_incompat(INCOMPAT_64BIT) {
            file_acl |= u64::from(base.le16::<0x76>()) << 32;
        }
        if file_acl != 0 && (file_acl <= geo.first_data_block || file_acl >= geo.blocks_count) {
            return Err(corrupt(&format!(
                "bad extended attribute block {}",
                file_acl
            )));
        }

        // In-inode xattrs exist only when i_extra_isize was set on disk and the magic follows.
        let mut ibody_xattrs = None;
        if raw_extra != 0 {
            let magic_off = GOOD_OLD_INODE_SIZE + raw_extra;
            if try_le32(&raw, magic_off) == Some(xattr::XATTR_MAGIC) {
                ibody_xattrs = Some(magic_off + 4);
            }
        }
        let mut inline = None;
        if flags & EXT4_INLINE_DATA_FL != 0 {
            if let Some(start) = ibody_xattrs {
                inline = xattr::find_inline_data(&raw, start)
                    .map_err(|e| e.context(&format!("inode #{}", ino)))?;
            }
        }

        let inode = Inode {
            ino,
            mode,
            uid,
            gid,
            size,
            links_count,
            blocks,
            flags,
            file_acl,
            i_block: base.array::<I_BLOCK_OFFSET, I_BLOCK_SIZE>(),
            generation: base.le32::<0x64>(),
            atime: decode_time(base.le32::<0x08>(), extra(0x8c)),
            ctime: decode_time(base.le32::<0x0c>(), extra(0x84)),
            mtime: decode_time(base.le32::<0x10>(), extra(0x88)),
            ibody_xattrs,
            inline,
            raw,
        };

        let ft = inode.file_type();
        if ft == S_IFLNK && inode.flags & (EXT4_IMMUTABLE_FL | EXT4_APPEND_FL) != 0 {
            return Err(corrupt("immutable or append flags not allowed on symlinks"));
        }
        let fast_symlink = inode.is_fast_symlink(geo.block_size << geo.cluster_bits);
        if fast_symlink && !inode.has_flag(EXT4_ENCRYPT_FL) {
            let target = inode.i_block();
            let len = target.iter().position(|&c| c == 0).unwrap_or(target.len());
            if inode.size == 0 || inode.size >= I_BLOCK_SIZE as u64 || len as u64 != inode.size {
                return Err(corrupt(&format!(
                    "invalid fast symlink length {}",
                    inode.size
                )));
            }
        }
        if inode.inline.is_none()
            && (ft == S_IFREG || ft == S_IFDIR || (ft == S_IFLNK && !fast_symlink))
            && inode.uses_extents()
        {
            extents::check_root(&inode, geo)?;
        }
        Ok(inode)
    }

    /// `stat(2)` as the kernel's ext4 driver fills it (`st_dev` left 0).
    pub fn stat(&self, block_size: u64) -> StatNs {
        let ft = self.file_type();
        let dev_words = Fixed::<8>::new(self.i_block()).filter(|_| ft == S_IFCHR || ft == S_IFBLK);
        let rdev = dev_words.map_or(0, |b| {
            let old = b.le32::<0>();
            if old != 0 {
                // old_decode_dev: 8-bit major and minor.
                makedev(u64::from((old >> 8) & 0xff), u64::from(old & 0xff))
            } else {
                // new_decode_dev: 12-bit major, 20-bit minor.
                let new = b.le32::<4>();
                makedev(
                    u64::from((new & 0xfff00) >> 8),
                    u64::from((new & 0xff) | ((new >> 12) & 0xfff00)),
                )
            }
        });
        let mut blocks = self.blocks;
        // ext4_file_getattr: an inline-data regular file reports the sectors its bytes need.
        if ft == S_IFREG && self.inline.is_some() {
            blocks = blocks.wrapping_add(self.size.div_ceil(512));
        }
        StatNs {
            st_dev: 0,
            st_ino: self.ino as i64,
            st_mode: i64::from(self.mode),
            st_nlink: i64::from(self.links_count),
            st_uid: i64::from(self.uid),
            st_gid: i64::from(self.gid),
            st_rdev: rdev,
            st_size: self.size as i64,
            st_blksize: block_size as i64,
            st_blocks: blocks as i64,
            st_atime_sec: self.atime.0,
            st_atime_nsec: self.atime.1,
            st_mtime_sec: self.mtime.0,
            st_mtime_nsec: self.mtime.1,
            st_ctime_sec: self.ctime.0,
            st_ctime_nsec: self.ctime.1,
            ..Default::default()
        }
    }
}

impl crate::fs::UnixMode for Inode {
    fn mode(&self) -> u16 {
        self.mode
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_time_epoch_and_nanoseconds() {
        assert_eq!(decode_time(0x8000_0000, None), (-(1i64 << 31), 0));
        assert_eq!(decode_time(5, Some((123 << 2) | 1)), (5 + (1 << 32), 123));
        assert_eq!(
            decode_time(0x8000_0000, Some(1)),
            ((1i64 << 32) - (1 << 31), 0)
        );
    }
}
