//! Directories (version 2): the short-form directory in the inode, and the data blocks of
//! block, leaf, node and B-tree directories, read in the order the kernel's readdir gives
//! (on-disk order). Leaf and free-index blocks only speed up the kernel's lookups; names are
//! all in the data blocks.

use super::bmap::{self, Extent};
use super::inode::{Fork, Inode, FMT_LOCAL};
use super::meta::{crc_ok, Meta};
use super::XfsFs;
use crate::error::Result;
use crate::fs::FileType;

const DIR2_BLOCK_MAGIC: u32 = 0x5844_3242; // "XD2B"
const DIR2_DATA_MAGIC: u32 = 0x5844_3244; // "XD2D"
const DIR3_BLOCK_MAGIC: u32 = 0x5844_4233; // "XDB3"
const DIR3_DATA_MAGIC: u32 = 0x5844_4433; // "XDD3"
/// Data block headers: magic and best-free table, and with v5 the CRC header and padding.
const DATA_HDR_V4: usize = 16;
const DATA_HDR_V5: usize = 64;
const DATA_CRC_OFFSET: usize = 4;
/// A free region in a data block starts with this tag.
const DATA_FREE_TAG: u16 = 0xffff;
/// The block tail of a single-block directory: leaf count and stale count.
const BLOCK_TAIL_SIZE: usize = 8;
const LEAF_ENTRY_SIZE: usize = 8;
/// Data blocks lie below 32 GiB of the directory's address space (`XFS_DIR2_LEAF_OFFSET`).
pub const LEAF_OFFSET_BYTES: u64 = 1 << 35;

/// One directory entry as stored (including `.` and `..` of block-format directories).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: Vec<u8>,
    pub ino: u64,
    pub file_type: FileType,
}

/// Every entry of directory `dir` in readdir's order, `.` and `..` first.
pub fn read(fs: &XfsFs, dir: &Inode) -> Result<Vec<Entry>> {
    if dir.format == FMT_LOCAL {
        return short_form(fs, dir);
    }
    let extents = bmap::extents(fs, dir, Fork::Data)?;
    let dir_fsbs = u64::from(1u32 << fs.sb.dirblklog);
    let leaf_fsb = LEAF_OFFSET_BYTES >> fs.sb.blocklog;
    // A single-block directory: its only data block also holds the leaf (`xfs_dir2_isblock`).
    let is_block =
        extents.last().is_some_and(|e| e.end() == dir_fsbs) && dir.size == fs.sb.dir_block_size();
    let mut out = Vec::new();
    for e in extents.iter().take_while(|e| e.off < leaf_fsb) {
        // The directory blocks that start in this extent.
        let mut db_off = e.off.div_ceil(dir_fsbs) * dir_fsbs;
        while db_off < e.end() && db_off < leaf_fsb {
            let block = read_dir_block(fs, dir, &extents, db_off)?;
            data_block_entries(fs, dir.ino, db_off, &block, is_block, &mut out)?;
            db_off += dir_fsbs;
        }
    }
    Ok(out)
}

/// Reads the directory block at file block `db_off`, which may span several extents.
fn read_dir_block(fs: &XfsFs, dir: &Inode, extents: &[Extent], db_off: u64) -> Result<Vec<u8>> {
    let bs = u64::from(fs.sb.blocksize);
    let fsbs = 1u64 << fs.sb.dirblklog;
    let what = || format!("directory inode {}: block {}", dir.ino, db_off);
    let mut block = Vec::with_capacity((fsbs * bs) as usize);
    let mut blk = db_off;
    while blk < db_off + fsbs {
        let Some(e) = bmap::find(extents, blk) else {
            return Err(Meta::new(&[], &what).err("has a hole"));
        };
        let n = (e.end().min(db_off + fsbs)) - blk;
        block.extend_from_slice(&fs.read_fsb(e.start + (blk - e.off), n, &what)?);
        blk += n;
    }
    Ok(block)
}

/// Appends the entries of one data block (or the data part of a single-block directory).
fn data_block_entries(
    fs: &XfsFs,
    ino: u64,
    db_off: u64,
    block: &[u8],
    is_block: bool,
    out: &mut Vec<Entry>,
) -> Result<()> {
    let what = || format!("directory inode {}: block {}", ino, db_off);
    let m = Meta::new(block, &what);
    let v5 = fs.sb.is_v5();
    let (magic, hdr) = match (v5, is_block) {
        (false, true) => (DIR2_BLOCK_MAGIC, DATA_HDR_V4),
        (false, false) => (DIR2_DATA_MAGIC, DATA_HDR_V4),
        (true, true) => (DIR3_BLOCK_MAGIC, DATA_HDR_V5),
        (true, false) => (DIR3_DATA_MAGIC, DATA_HDR_V5),
    };
    if m.be32(0)? != magic {
        return Err(m.err("bad magic number"));
    }
    if v5 {
        if !crc_ok(block, DATA_CRC_OFFSET) {
            return Err(m.err("bad checksum"));
        }
        if m.be64(40)? != ino {
            return Err(m.err(format_args!("owned by inode {}", m.be64(40)?)));
        }
    }
    let end = if is_block {
        let tail = block.len() - BLOCK_TAIL_SIZE;
        let count = m.be32(tail)? as usize;
        count
            .checked_mul(LEAF_ENTRY_SIZE)
            .and_then(|leaf| tail.checked_sub(leaf))
            .filter(|&e| e >= hdr)
            .ok_or_else(|| m.err(format_args!("bad leaf count {}", count)))?
    } else {
        block.len()
    };
    let ftype = fs.sb.has_ftype();
    let mut off = hdr;
    while off < end {
        if m.be16(off)? == DATA_FREE_TAG {
            let len = usize::from(m.be16(off + 2)?);
            if len < 8 || len % 8 != 0 || off + len > end {
                return Err(m.err(format_args!("bad free region at offset {}", off)));
            }
            off += len;
            continue;
        }
        let ino = m.be64(off)?;
        let namelen = usize::from(m.u8(off + 8)?);
        if namelen == 0 {
            return Err(m.err(format_args!("empty name at offset {}", off)));
        }
        let name = m.slice(off + 9, namelen)?;
        let ft = if ftype { m.u8(off + 9 + namelen)? } else { 0 };
        let size = (8 + 1 + namelen + usize::from(ftype) + 2).div_ceil(8) * 8;
        if off + size > end || usize::from(m.be16(off + size - 2)?) != off {
            return Err(m.err(format_args!("bad entry at offset {}", off)));
        }
        fs.check_ino(ino, &what)?;
        out.push(Entry {
            name: name.to_vec(),
            ino,
            file_type: FileType::from_dirent_type(ft),
        });
        off += size;
    }
    Ok(())
}

/// A short-form directory (in the inode): `.` and `..` (the parent stored in its header),
/// then the entries in the order stored.
fn short_form(fs: &XfsFs, dir: &Inode) -> Result<Vec<Entry>> {
    let data = dir.fork(Fork::Data);
    let data = data.get(..dir.size as usize).unwrap_or(data);
    let what = || format!("directory inode {}: short-form entries", dir.ino);
    let m = Meta::new(data, &what);
    let count = usize::from(m.u8(0)?);
    let i8count = m.u8(1)?;
    let ino_size = if i8count == 0 { 4 } else { 8 };
    let read_ino = |off: usize| -> Result<u64> {
        if ino_size == 4 {
            Ok(u64::from(m.be32(off)?))
        } else {
            m.be64(off)
        }
    };
    let parent = read_ino(2)?;
    fs.check_ino(parent, &what)?;
    let mut out = Vec::with_capacity(count + 2);
    let dots = [(b".".to_vec(), dir.ino), (b"..".to_vec(), parent)];
    for (name, ino) in dots {
        out.push(Entry {
            name,
            ino,
            file_type: FileType::Directory,
        });
    }
    let ftype = fs.sb.has_ftype();
    let mut off = 2 + ino_size;
    for _ in 0..count {
        let namelen = usize::from(m.u8(off)?);
        if namelen == 0 {
            return Err(m.err(format_args!("empty name at offset {}", off)));
        }
        // namelen, a 2-byte offset tag, the name, the file type, the inode number.
        let name = m.slice(off + 3, namelen)?;
        let mut p = off + 3 + namelen;
        let ft = if ftype {
            p += 1;
            m.u8(p - 1)?
        } else {
            0
        };
        let ino = read_ino(p)?;
        fs.check_ino(ino, &what)?;
        out.push(Entry {
            name: name.to_vec(),
            ino,
            file_type: FileType::from_dirent_type(ft),
        });
        off = p + ino_size;
    }
    Ok(out)
}
