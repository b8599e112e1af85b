//! The XFS superblock (`struct xfs_dsb`, big-endian, in sector 0), its feature bits, and the
//! checks made before reading: what the kernel would refuse, and what this reader does not
//! implement (realtime devices, external logs, unknown incompatible features), is refused.

use super::meta::{corrupt, crc_ok, Meta};
use crate::error::{Error, Result};

pub const XFS_SB_MAGIC: u32 = 0x5846_5342; // "XFSB"

// sb_versionnum
const VERSION_NUMBITS: u16 = 0x000f;
const VERSION_DIRV2BIT: u16 = 0x2000;
const VERSION_MOREBITSBIT: u16 = 0x8000;

// sb_features2
const FEATURES2_CRC: u32 = 0x0100;
const FEATURES2_FTYPE: u32 = 0x0200;

// sb_features_incompat (v5)
const INCOMPAT_FTYPE: u32 = 0x01;
const INCOMPAT_SPINODES: u32 = 0x02;
const INCOMPAT_META_UUID: u32 = 0x04;
const INCOMPAT_BIGTIME: u32 = 0x08;
const INCOMPAT_NEEDSREPAIR: u32 = 0x10;
const INCOMPAT_NREXT64: u32 = 0x20;
/// The incompatible features this reader understands.
const INCOMPAT_KNOWN: u32 = INCOMPAT_FTYPE
    | INCOMPAT_SPINODES
    | INCOMPAT_META_UUID
    | INCOMPAT_BIGTIME
    | INCOMPAT_NEEDSREPAIR
    | INCOMPAT_NREXT64;

/// The superblock's checksum field (v5).
const SB_CRC_OFFSET: usize = 224;
/// Bytes of the superblock this reader decodes.
pub const SB_SIZE: usize = 264;

/// The fields of `struct xfs_dsb` this reader uses, with the kernel's names.
#[derive(Debug, Clone)]
pub struct Superblock {
    pub blocksize: u32,
    pub dblocks: u64,
    pub rblocks: u64,
    pub logstart: u64,
    pub rootino: u64,
    pub agblocks: u32,
    pub agcount: u32,
    pub logblocks: u32,
    pub versionnum: u16,
    pub sectsize: u16,
    pub inodesize: u16,
    pub blocklog: u8,
    pub inodelog: u8,
    pub inopblog: u8,
    pub agblklog: u8,
    pub inprogress: u8,
    pub imax_pct: u8,
    pub icount: u64,
    pub ifree: u64,
    pub fdblocks: u64,
    pub dirblklog: u8,
    pub features2: u32,
    pub incompat: u32,
}

impl Superblock {
    /// Decodes and checks a superblock read from sector 0 (at least `sb_sectsize` bytes for
    /// the v5 checksum). `dev_size` is the size of the device in bytes.
    pub fn parse(b: &[u8], dev_size: u64) -> Result<Superblock> {
        let what = || "superblock".to_string();
        let m = Meta::new(b, &what);
        if m.be32(0)? != XFS_SB_MAGIC {
            return Err(Error::new(libc::EINVAL, "xfs: no XFS superblock found"));
        }
        let sb = Superblock {
            blocksize: m.be32(4)?,
            dblocks: m.be64(8)?,
            rblocks: m.be64(16)?,
            logstart: m.be64(48)?,
            rootino: m.be64(56)?,
            agblocks: m.be32(84)?,
            agcount: m.be32(88)?,
            logblocks: m.be32(96)?,
            versionnum: m.be16(100)?,
            sectsize: m.be16(102)?,
            inodesize: m.be16(104)?,
            blocklog: m.u8(120)?,
            inodelog: m.u8(122)?,
            inopblog: m.u8(123)?,
            agblklog: m.u8(124)?,
            inprogress: m.u8(126)?,
            imax_pct: m.u8(127)?,
            icount: m.be64(128)?,
            ifree: m.be64(136)?,
            fdblocks: m.be64(144)?,
            dirblklog: m.u8(192)?,
            features2: m.be32(200)?,
            incompat: m.be32(216)?,
        };
        sb.check(b, dev_size)?;
        Ok(sb)
    }

    /// The kernel's `xfs_validate_sb_common` checks this reader relies on, plus refusals of
    /// what it does not read.
    fn check(&self, raw: &[u8], dev_size: u64) -> Result<()> {
        let version = self.versionnum & VERSION_NUMBITS;
        if !(4..=5).contains(&version) || self.versionnum & VERSION_DIRV2BIT == 0 && version == 4 {
            return Err(Error::new(
                libc::ENOTSUP,
                format!(
                    "xfs: unsupported superblock version 0x{:x}",
                    self.versionnum
                ),
            ));
        }
        let geometry_ok = self.agcount != 0
            && (512..=32768).contains(&self.sectsize)
            && self.sectsize.is_power_of_two()
            && (9..=16).contains(&self.blocklog)
            && self.blocksize == 1 << self.blocklog
            && u32::from(self.sectsize) <= self.blocksize
            && (8..=11).contains(&self.inodelog)
            && u32::from(self.inodesize) == 1 << self.inodelog
            && u32::from(self.inodelog) + u32::from(self.inopblog) == u32::from(self.blocklog)
            && self.agblocks >= 64
            && self.agblklog < 32
            && u64::from(self.agblocks) <= 1 << self.agblklog
            && u64::from(self.agblocks) > (1 << self.agblklog) / 2
            && u32::from(self.blocklog) + u32::from(self.dirblklog) <= 16
            && self.imax_pct <= 100
            && self.dblocks <= u64::from(self.agcount) * u64::from(self.agblocks)
            && self.dblocks > u64::from(self.agcount - 1) * u64::from(self.agblocks);
        if !geometry_ok {
            return Err(corrupt("superblock: inconsistent geometry"));
        }
        if self.is_v5() {
            if self.inodesize < 512 {
                return Err(corrupt("superblock: v5 inodes smaller than 512 bytes"));
            }
            if !crc_ok(
                raw.get(..usize::from(self.sectsize)).unwrap_or(&[]),
                SB_CRC_OFFSET,
            ) {
                return Err(corrupt("superblock: bad checksum"));
            }
            let unknown = self.incompat & !INCOMPAT_KNOWN;
            if unknown != 0 {
                return Err(Error::new(
                    libc::ENOTSUP,
                    format!("xfs: unsupported incompatible features (0x{:x})", unknown),
                ));
            }
            if self.incompat & INCOMPAT_NEEDSREPAIR != 0 {
                return Err(Error::new(
                    libc::ENOTSUP,
                    "xfs: the filesystem needs xfs_repair",
                ));
            }
        } else if self.features2 & FEATURES2_CRC != 0 {
            return Err(corrupt("superblock: v4 with the CRC feature"));
        }
        if self.inprogress != 0 {
            return Err(corrupt("superblock: mkfs did not finish"));
        }
        if self.rblocks != 0 {
            return Err(Error::new(
                libc::ENOTSUP,
                "xfs: realtime devices are not supported",
            ));
        }
        if self.logstart == 0 {
            return Err(Error::new(
                libc::ENOTSUP,
                "xfs: external log devices are not supported",
            ));
        }
        if self.logstart >= self.fsb_limit() || self.logblocks == 0 {
            return Err(corrupt("superblock: log outside the filesystem"));
        }
        let fs_bytes = self.dblocks.saturating_mul(u64::from(self.blocksize));
        if fs_bytes > dev_size {
            return Err(corrupt(format!(
                "superblock: the filesystem ({} bytes) is larger than its device ({} bytes)",
                fs_bytes, dev_size
            )));
        }
        Ok(())
    }

    /// A filesystem-block number (`agno << agblklog | agbno`) bound, for quick sanity checks.
    fn fsb_limit(&self) -> u64 {
        u64::from(self.agcount) << self.agblklog
    }

    pub fn is_v5(&self) -> bool {
        self.versionnum & VERSION_NUMBITS == 5
    }

    /// Directory entries record the file type.
    pub fn has_ftype(&self) -> bool {
        if self.is_v5() {
            self.incompat & INCOMPAT_FTYPE != 0
        } else {
            self.versionnum & VERSION_MOREBITSBIT != 0 && self.features2 & FEATURES2_FTYPE != 0
        }
    }

    /// Bytes of a directory block.
    pub fn dir_block_size(&self) -> u64 {
        u64::from(self.blocksize) << self.dirblklog
    }

    /// Splits a filesystem-block number into (AG, block in AG) and returns the linear block,
    /// if both parts are in range and `len` blocks fit in the AG.
    pub fn fsb_to_linear(&self, fsb: u64, len: u64) -> Option<u64> {
        let agno = fsb >> self.agblklog;
        let agbno = fsb & ((1u64 << self.agblklog) - 1);
        if agno >= u64::from(self.agcount) || agbno.checked_add(len)? > u64::from(self.agblocks) {
            return None;
        }
        let linear = agno * u64::from(self.agblocks) + agbno;
        (linear + len <= self.dblocks).then_some(linear)
    }

    /// The byte offset of inode `ino`, if its AG, block and slot are in range.
    pub fn inode_offset(&self, ino: u64) -> Option<u64> {
        let shift = u32::from(self.agblklog) + u32::from(self.inopblog);
        let agno = ino.checked_shr(shift).unwrap_or(0);
        if agno >= u64::from(self.agcount) || ino == 0 {
            return None;
        }
        let agbno = (ino >> self.inopblog) & ((1u64 << self.agblklog) - 1);
        let slot = ino & ((1u64 << self.inopblog) - 1);
        let fsb = (agno << self.agblklog) | agbno;
        let block = self.fsb_to_linear(fsb, 1)?;
        Some((block << self.blocklog) + (slot << self.inodelog))
    }
}
