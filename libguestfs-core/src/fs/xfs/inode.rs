//! Inodes (`struct xfs_dinode`): the core, the checks the kernel's verifier makes that this
//! reader relies on, the data and attribute forks, and the attributes `stat(2)` reports.

use super::meta::{crc_ok, Meta};
use super::superblock::Superblock;
use crate::error::Result;
use crate::fs::UnixMode;
use crate::types::{
    makedev, StatNs, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK,
};

const XFS_DINODE_MAGIC: u16 = 0x494e; // "IN"
/// Size of the v1/v2 core and of the v3 core (CRC-enabled filesystems).
const CORE_SIZE_V2: usize = 100;
const CORE_SIZE_V3: usize = 176;
/// Where the v3 inode checksum lies.
const CRC_OFFSET: usize = 100;

// di_format / di_aformat
pub const FMT_DEV: u8 = 0;
pub const FMT_LOCAL: u8 = 1;
pub const FMT_EXTENTS: u8 = 2;
pub const FMT_BTREE: u8 = 3;

// di_flags2
const DIFLAG2_BIGTIME: u64 = 0x08;
const DIFLAG2_NREXT64: u64 = 0x10;

/// `st_blksize` of XFS files as the kernel reports it (`xfs_stat_blksize`: the page size
/// without the largeio mount option).
const STAT_BLKSIZE: i64 = 4096;
/// Offset of the Unix epoch in big timestamps (`XFS_BIGTIME_EPOCH_OFFSET`).
const BIGTIME_EPOCH_OFFSET: i64 = 1 << 31;
const NSEC_PER_SEC: u64 = 1_000_000_000;

/// Which fork of an inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fork {
    Data,
    Attr,
}

/// A decoded inode.
#[derive(Debug, Clone)]
pub struct Inode {
    pub ino: u64,
    raw: Vec<u8>,
    pub mode: u16,
    pub format: u8,
    pub aformat: u8,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    pub atime: (i64, i64),
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
    pub size: u64,
    pub nblocks: u64,
    pub nextents: u64,
    pub anextents: u64,
    core_size: usize,
    /// Where the attribute fork starts in the literal area (bytes), if there is one.
    attr_off: Option<usize>,
}

fn decode_time(m: &Meta, off: usize, bigtime: bool) -> Result<(i64, i64)> {
    if bigtime {
        let t = m.be64(off)?;
        Ok((
            (t / NSEC_PER_SEC) as i64 - BIGTIME_EPOCH_OFFSET,
            (t % NSEC_PER_SEC) as i64,
        ))
    } else {
        Ok((i64::from(m.be32(off)? as i32), i64::from(m.be32(off + 4)?)))
    }
}

impl Inode {
    /// Decodes the `sb_inodesize` bytes of inode `ino`.
    pub fn parse(sb: &Superblock, ino: u64, raw: Vec<u8>) -> Result<Inode> {
        let what = || format!("inode {}", ino);
        let m = Meta::new(&raw, &what);
        if m.be16(0)? != XFS_DINODE_MAGIC {
            return Err(m.err("bad magic number"));
        }
        let version = m.u8(4)?;
        let core_size = if sb.is_v5() {
            if version != 3 {
                return Err(m.err(format_args!("version {} on a v5 filesystem", version)));
            }
            if !crc_ok(&raw, CRC_OFFSET) {
                return Err(m.err("bad checksum"));
            }
            if m.be64(152)? != ino {
                return Err(m.err(format_args!("records inode number {}", m.be64(152)?)));
            }
            CORE_SIZE_V3
        } else {
            if !(1..=2).contains(&version) {
                return Err(m.err(format_args!("version {} on a v4 filesystem", version)));
            }
            CORE_SIZE_V2
        };
        let flags2 = if version == 3 { m.be64(120)? } else { 0 };
        let bigtime = flags2 & DIFLAG2_BIGTIME != 0;
        let (nextents, anextents) = if flags2 & DIFLAG2_NREXT64 != 0 {
            (m.be64(24)?, u64::from(m.be32(76)?))
        } else {
            (u64::from(m.be32(76)?), u64::from(m.be16(80)?))
        };
        let nlink = if version == 1 {
            u32::from(m.be16(6)?)
        } else {
            m.be32(16)?
        };
        let size = m.be64(56)?;
        if size > i64::MAX as u64 {
            return Err(m.err("negative size"));
        }
        let literal = raw.len().saturating_sub(core_size);
        let forkoff = usize::from(m.u8(82)?) * 8;
        let attr_off = if forkoff == 0 {
            None
        } else if forkoff >= literal {
            return Err(m.err("attribute fork offset past the inode"));
        } else {
            Some(forkoff)
        };
        let inode = Inode {
            ino,
            mode: m.be16(2)?,
            format: m.u8(5)?,
            aformat: m.u8(83)?,
            uid: m.be32(8)?,
            gid: m.be32(12)?,
            nlink,
            atime: decode_time(&m, 32, bigtime)?,
            mtime: decode_time(&m, 40, bigtime)?,
            ctime: decode_time(&m, 48, bigtime)?,
            size,
            nblocks: m.be64(64)?,
            nextents,
            anextents,
            core_size,
            attr_off,
            raw,
        };
        inode.check_format()?;
        Ok(inode)
    }

    /// `xfs_dinode_verify_fork`: the data fork format must suit the file type.
    fn check_format(&self) -> Result<()> {
        let what = || format!("inode {}", self.ino);
        let m = Meta::new(&self.raw, &what);
        let ok = match self.file_type() {
            S_IFCHR | S_IFBLK | S_IFIFO | S_IFSOCK => self.format == FMT_DEV,
            S_IFREG => matches!(self.format, FMT_EXTENTS | FMT_BTREE),
            S_IFDIR | S_IFLNK => matches!(self.format, FMT_LOCAL | FMT_EXTENTS | FMT_BTREE),
            0 => return Err(m.err("is free (mode 0)")),
            _ => return Err(m.err(format_args!("bad mode 0{:o}", self.mode))),
        };
        if !ok {
            return Err(m.err(format_args!(
                "data fork format {} for mode 0{:o}",
                self.format, self.mode
            )));
        }
        if self.format == FMT_LOCAL && self.size > self.fork(Fork::Data).len() as u64 {
            return Err(m.err("inline data larger than its fork"));
        }
        if self.format == FMT_EXTENTS && self.nextents > (self.fork(Fork::Data).len() / 16) as u64 {
            return Err(m.err("more extents than its data fork holds"));
        }
        if self.attr_off.is_some()
            && self.aformat == FMT_EXTENTS
            && self.anextents > (self.fork(Fork::Attr).len() / 16) as u64
        {
            return Err(m.err("more extents than its attribute fork holds"));
        }
        Ok(())
    }

    /// The bytes of a fork in the inode (its root: inline data, extent records or the root
    /// of a B-tree). Empty for an attribute fork that does not exist.
    pub fn fork(&self, fork: Fork) -> &[u8] {
        let literal = self.raw.get(self.core_size..).unwrap_or(&[]);
        match (fork, self.attr_off) {
            (Fork::Data, None) => literal,
            (Fork::Data, Some(off)) => literal.get(..off).unwrap_or(&[]),
            (Fork::Attr, None) => &[],
            (Fork::Attr, Some(off)) => literal.get(off..).unwrap_or(&[]),
        }
    }

    pub fn has_attr_fork(&self) -> bool {
        self.attr_off.is_some()
    }

    /// The format and extent count of a fork.
    pub fn fork_format(&self, fork: Fork) -> (u8, u64) {
        match fork {
            Fork::Data => (self.format, self.nextents),
            Fork::Attr => (self.aformat, self.anextents),
        }
    }

    /// The device number of a device file (`xfs_to_linux_dev_t`: a 14-bit major, cut to 9
    /// bits, and an 18-bit minor).
    fn rdev(&self) -> i64 {
        let ft = self.file_type();
        if ft != S_IFCHR && ft != S_IFBLK {
            return 0;
        }
        // A device file's data fork holds its number; a fork too short for it is 0, as the
        // kernel's (zeroed) in-core fork would read.
        let dev = crate::bytes::try_be32(self.fork(Fork::Data), 0).unwrap_or(0);
        makedev(u64::from((dev >> 18) & 0x1ff), u64::from(dev & 0x3ffff))
    }

    /// The attributes as `stat(2)` on Linux reports them (`xfs_vn_getattr`).
    pub fn stat(&self, blocklog: u8) -> StatNs {
        StatNs {
            st_dev: 0,
            st_ino: self.ino as i64,
            st_mode: i64::from(self.mode),
            st_nlink: i64::from(self.nlink),
            st_uid: i64::from(self.uid),
            st_gid: i64::from(self.gid),
            st_rdev: self.rdev(),
            st_size: self.size as i64,
            st_blksize: STAT_BLKSIZE,
            st_blocks: self.nblocks.wrapping_shl(u32::from(blocklog) - 9) as i64,
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
        self.mode
    }
}
