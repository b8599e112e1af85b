//! Inode items: what `stat` reports (`btrfs_getattr`).

use super::corrupt;
use crate::bytes::{le32, le64};
use crate::error::Result;
use crate::fs::UnixMode;
use crate::types::{makedev, StatNs, S_IFBLK, S_IFCHR};

pub const INODE_ITEM_KEY: u8 = 1;
const INODE_ITEM_SIZE: usize = 160;

#[derive(Debug, Clone)]
pub struct Inode {
    /// Which tree and object it is (see `subvolume::handle`).
    pub handle: u64,
    /// Its number in its tree (`st_ino`).
    pub ino: u64,
    pub size: u64,
    /// Bytes of data the file occupies on disk (`i_bytes`).
    pub nbytes: u64,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
    /// The kernel's own `dev_t` encoding (major << 20 | minor).
    pub rdev: u64,
    pub atime: (i64, i64),
    pub ctime: (i64, i64),
    pub mtime: (i64, i64),
}

fn timespec(b: &[u8], off: usize) -> (i64, i64) {
    (le64(b, off) as i64, i64::from(le32(b, off + 8)))
}

impl Inode {
    pub fn parse(handle: u64, ino: u64, b: &[u8]) -> Result<Inode> {
        if b.len() < INODE_ITEM_SIZE {
            return Err(corrupt(format_args!("inode {}: item too short", ino)));
        }
        Ok(Inode {
            handle,
            ino,
            size: le64(b, 16),
            nbytes: le64(b, 24),
            nlink: le32(b, 40),
            uid: le32(b, 44),
            gid: le32(b, 48),
            mode: le32(b, 52),
            rdev: le64(b, 56),
            atime: timespec(b, 112),
            ctime: timespec(b, 124),
            mtime: timespec(b, 136),
        })
    }

    /// The empty directory the kernel shows where a subvolume cannot be entered
    /// (`new_simple_dir`): inode 2, mode 0755, owned by root, its times those of the lookup.
    pub fn empty_subvolume_dir(handle: u64) -> Inode {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let now = (now.as_secs() as i64, i64::from(now.subsec_nanos()));
        Inode {
            handle,
            ino: super::subvolume::EMPTY_SUBVOL_DIR,
            size: 0,
            nbytes: 0,
            nlink: 1,
            uid: 0,
            gid: 0,
            mode: crate::types::S_IFDIR as u32 | 0o755,
            rdev: 0,
            atime: now,
            ctime: now,
            mtime: now,
        }
    }

    pub fn stat(&self, sectorsize: u32) -> StatNs {
        let ft = self.file_type();
        let rdev = if ft == S_IFCHR || ft == S_IFBLK {
            makedev(self.rdev >> 20, self.rdev & 0xfffff)
        } else {
            0
        };
        let bs = u64::from(sectorsize);
        StatNs {
            st_dev: 0,
            st_ino: self.ino as i64,
            st_mode: i64::from(self.mode),
            st_nlink: i64::from(self.nlink),
            st_uid: i64::from(self.uid),
            st_gid: i64::from(self.gid),
            st_rdev: rdev,
            st_size: self.size as i64,
            st_blksize: i64::from(sectorsize),
            st_blocks: (self.nbytes.div_ceil(bs).saturating_mul(bs) >> 9) as i64,
            st_atime_sec: self.atime.0,
            st_atime_nsec: self.atime.1,
            st_mtime_sec: self.mtime.0,
            st_mtime_nsec: self.mtime.1,
            st_ctime_sec: self.ctime.0,
            st_ctime_nsec: self.ctime.1,
            ..StatNs::default()
        }
    }
}

impl crate::fs::UnixMode for Inode {
    fn mode(&self) -> u16 {
        // The file type and permission bits are the low 16 of btrfs's 32-bit mode.
        self.mode as u16
    }
}
