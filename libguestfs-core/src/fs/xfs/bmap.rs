//! Block mapping of a fork: the extent list kept in the inode, or the block-map B-tree
//! (`bmbt`) whose root is in the inode. Either gives the fork's extents, sorted by file offset.

use super::inode::{Fork, Inode, FMT_BTREE, FMT_EXTENTS, FMT_LOCAL};
use super::meta::{crc_ok, Meta};
use super::XfsFs;
use crate::error::Result;
use std::collections::HashSet;

const BMAP_MAGIC: u32 = 0x424d_4150; // "BMAP"
const BMAP_CRC_MAGIC: u32 = 0x424d_4133; // "BMA3"
/// Long-format B-tree block headers, without and with the v5 fields.
const BLOCK_HDR_V4: usize = 24;
const BLOCK_HDR_V5: usize = 72;
const BLOCK_CRC_OFFSET: usize = 64;
/// Header of the root in the inode (`xfs_bmdr_block`: level, number of records).
const ROOT_HDR: usize = 4;
const REC_SIZE: usize = 16;
/// A key (file offset) and a pointer (filesystem block) are 8 bytes each.
const KEY_SIZE: usize = 8;
const PTR_SIZE: usize = 8;
/// More levels than any real block-map B-tree has (`XFS_BM_MAXLEVELS` is at most 9 with
/// 64-bit extent counts and 1 KiB blocks).
const MAX_LEVELS: u16 = 12;

/// A run of file blocks: `len` blocks from file block `off`, stored from filesystem block
/// `start` (in `agno << agblklog | agbno` form); an unwritten extent reads as zeros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    pub off: u64,
    pub start: u64,
    pub len: u64,
    pub unwritten: bool,
}

impl Extent {
    pub fn end(&self) -> u64 {
        self.off + self.len
    }
}

/// Decodes one packed 128-bit `xfs_bmbt_rec`.
fn decode_rec(rec: &[u8; REC_SIZE]) -> Extent {
    let rec = crate::bytes::Fixed::from(rec);
    let l0 = rec.be64::<0>();
    let l1 = rec.be64::<8>();
    Extent {
        unwritten: l0 >> 63 != 0,
        off: (l0 & ((1 << 63) - 1)) >> 9,
        start: ((l0 & 0x1ff) << 43) | (l1 >> 21),
        len: l1 & ((1 << 21) - 1),
    }
}

/// The extents of `fork` (empty for a fork that does not exist or holds inline data),
/// checked: in order, not overlapping, on the device, no more than the inode records.
pub fn extents(fs: &XfsFs, inode: &Inode, fork: Fork) -> Result<Vec<Extent>> {
    let (format, count) = inode.fork_format(fork);
    let root = inode.fork(fork);
    let fork_name = match fork {
        Fork::Data => "data",
        Fork::Attr => "attribute",
    };
    let what = || format!("inode {}: {} fork", inode.ino, fork_name);
    let m = Meta::new(root, &what);
    if fork == Fork::Attr && !inode.has_attr_fork() {
        return Ok(Vec::new());
    }
    // Every extent holds at least one block of the device.
    if count > fs.sb.dblocks {
        return Err(m.err(format_args!("absurd extent count {}", count)));
    }
    let mut out = Vec::new();
    match format {
        FMT_LOCAL => return Ok(out),
        FMT_EXTENTS => {
            let recs = m.slice(0, count as usize * REC_SIZE)?;
            out.reserve(count as usize);
            for rec in recs.as_chunks::<REC_SIZE>().0 {
                push_checked(fs, &m, &mut out, decode_rec(rec))?;
            }
        }
        FMT_BTREE => {
            let level = m.be16(0)?;
            let numrecs = usize::from(m.be16(2)?);
            if level == 0 || level > MAX_LEVELS {
                return Err(m.err(format_args!("bad B-tree root level {}", level)));
            }
            let maxrecs = root.len().saturating_sub(ROOT_HDR) / (KEY_SIZE + PTR_SIZE);
            if numrecs == 0 || numrecs > maxrecs {
                return Err(m.err(format_args!("bad B-tree root record count {}", numrecs)));
            }
            let ptrs = ROOT_HDR + maxrecs * KEY_SIZE;
            let mut walk = Walk {
                fs,
                ino: inode.ino,
                limit: count,
                seen: HashSet::new(),
                out: &mut out,
            };
            for i in 0..numrecs {
                walk.node(m.be64(ptrs + i * PTR_SIZE)?, level - 1)?;
            }
            if out.len() as u64 != count {
                return Err(m.err(format_args!(
                    "B-tree holds {} extents, the inode says {}",
                    out.len(),
                    count
                )));
            }
        }
        other => return Err(m.err(format_args!("unknown format {}", other))),
    }
    Ok(out)
}

/// Appends an extent after checking it against the previous one and the device.
fn push_checked(fs: &XfsFs, m: &Meta, out: &mut Vec<Extent>, e: Extent) -> Result<()> {
    if e.len == 0 || e.off.checked_add(e.len).is_none_or(|end| end > 1 << 54) {
        return Err(m.err(format_args!("bad extent at file block {}", e.off)));
    }
    if out.last().is_some_and(|p| p.end() > e.off) {
        return Err(m.err(format_args!(
            "extent at file block {} overlaps the one before",
            e.off
        )));
    }
    if fs.sb.fsb_to_linear(e.start, e.len).is_none() {
        return Err(m.err(format_args!(
            "extent at file block {} points outside the filesystem (block {})",
            e.off, e.start
        )));
    }
    out.push(e);
    Ok(())
}

/// A depth-first walk of the B-tree below the root.
struct Walk<'a> {
    fs: &'a XfsFs,
    ino: u64,
    /// The inode's extent count: more records than that is corruption.
    limit: u64,
    seen: HashSet<u64>,
    out: &'a mut Vec<Extent>,
}

impl Walk<'_> {
    fn node(&mut self, fsb: u64, level: u16) -> Result<()> {
        let ino = self.ino;
        let what = move || format!("inode {}: block-map B-tree block {}", ino, fsb);
        if !self.seen.insert(fsb) || self.seen.len() as u64 > self.fs.sb.dblocks {
            return Err(Meta::new(&[], &what).err("reached twice (a loop)"));
        }
        let block = self.fs.read_fsb(fsb, 1, &what)?;
        let m = Meta::new(&block, &what);
        let v5 = self.fs.sb.is_v5();
        let (magic, hdr) = if v5 {
            (BMAP_CRC_MAGIC, BLOCK_HDR_V5)
        } else {
            (BMAP_MAGIC, BLOCK_HDR_V4)
        };
        if m.be32(0)? != magic {
            return Err(m.err("bad magic number"));
        }
        if v5 {
            if !crc_ok(&block, BLOCK_CRC_OFFSET) {
                return Err(m.err("bad checksum"));
            }
            if m.be64(56)? != ino {
                return Err(m.err(format_args!("owned by inode {}", m.be64(56)?)));
            }
        }
        if m.be16(4)? != level {
            return Err(m.err(format_args!(
                "level {} where {} was expected",
                m.be16(4)?,
                level
            )));
        }
        let numrecs = usize::from(m.be16(6)?);
        if level == 0 {
            let maxrecs = (block.len() - hdr) / REC_SIZE;
            if numrecs == 0 || numrecs > maxrecs {
                return Err(m.err(format_args!("bad record count {}", numrecs)));
            }
            if (self.out.len() + numrecs) as u64 > self.limit {
                return Err(m.err("more extents than the inode records"));
            }
            let recs = m.slice(hdr, numrecs * REC_SIZE)?;
            for rec in recs.as_chunks::<REC_SIZE>().0 {
                push_checked(self.fs, &m, self.out, decode_rec(rec))?;
            }
            return Ok(());
        }
        let maxrecs = (block.len() - hdr) / (KEY_SIZE + PTR_SIZE);
        if numrecs == 0 || numrecs > maxrecs {
            return Err(m.err(format_args!("bad record count {}", numrecs)));
        }
        let ptrs = hdr + maxrecs * KEY_SIZE;
        for i in 0..numrecs {
            self.node(m.be64(ptrs + i * PTR_SIZE)?, level - 1)?;
        }
        Ok(())
    }
}

/// The extent holding file block `blk`, if any (`extents` sorted by offset).
pub fn find(extents: &[Extent], blk: u64) -> Option<&Extent> {
    let i = extents.partition_point(|e| e.end() <= blk);
    extents.get(i).filter(|e| e.off <= blk)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_records_decode() {
        // startoff 5, startblock 0x2_0000_0000_1234 (bits above 43 in the first word),
        // blockcount 7, unwritten.
        let start: u64 = 0x2_0000_0000_1234;
        let l0: u64 = (1 << 63) | (5 << 9) | (start >> 43);
        let l1: u64 = ((start & ((1 << 43) - 1)) << 21) | 7;
        let mut rec = [0; REC_SIZE];
        rec[..8].copy_from_slice(&l0.to_be_bytes());
        rec[8..].copy_from_slice(&l1.to_be_bytes());
        assert_eq!(
            decode_rec(&rec),
            Extent {
                off: 5,
                start,
                len: 7,
                unwritten: true
            }
        );
    }

    #[test]
    fn find_by_file_block() {
        let e = |off, len| Extent {
            off,
            start: 100,
            len,
            unwritten: false,
        };
        let list = [e(0, 2), e(10, 5)];
        assert_eq!(find(&list, 1).map(|x| x.off), Some(0));
        assert_eq!(find(&list, 2), None);
        assert_eq!(find(&list, 14).map(|x| x.off), Some(10));
        assert_eq!(find(&list, 15), None);
    }
}
