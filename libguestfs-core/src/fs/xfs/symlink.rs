//! Symbolic links: the target inline in the inode, or in remote blocks (each with a header
//! on v5 filesystems).

use super::bmap;
use super::inode::{Fork, Inode, FMT_LOCAL};
use super::meta::{crc_ok, Meta};
use super::XfsFs;
use crate::error::Result;

/// `XFS_SYMLINK_MAXLEN`.
const SYMLINK_MAXLEN: u64 = 1024;
const SYMLINK_MAGIC: u32 = 0x5853_4c4d; // "XSLM"
/// `struct xfs_dsymlink_hdr`: magic, offset, bytes, crc, uuid, owner, blkno, lsn.
const SYMLINK_HDR: usize = 56;
const SYMLINK_CRC_OFFSET: usize = 12;

/// The target bytes of symlink `inode`.
pub fn target(fs: &XfsFs, inode: &Inode) -> Result<Vec<u8>> {
    let what = || format!("symlink inode {}", inode.ino);
    let m = Meta::new(&[], &what);
    if inode.size == 0 || inode.size > SYMLINK_MAXLEN {
        return Err(m.err(format_args!("bad target length {}", inode.size)));
    }
    let len = inode.size as usize;
    if inode.format == FMT_LOCAL {
        return Ok(Meta::new(inode.fork(Fork::Data), &what)
            .slice(0, len)?
            .to_vec());
    }
    let v5 = fs.sb.is_v5();
    let mut out = Vec::with_capacity(len);
    for e in bmap::extents(fs, inode, Fork::Data)? {
        for i in 0..e.len {
            if out.len() >= len {
                break;
            }
            let block = fs.read_fsb(e.start + i, 1, &what)?;
            let bm = Meta::new(&block, &what);
            let data = if v5 {
                if bm.be32(0)? != SYMLINK_MAGIC
                    || !crc_ok(&block, SYMLINK_CRC_OFFSET)
                    || bm.be64(32)? != inode.ino
                    || bm.be32(4)? as usize != out.len()
                {
                    return Err(bm.err(format_args!("bad remote block {}", e.off + i)));
                }
                let bytes = bm.be32(8)? as usize;
                bm.slice(SYMLINK_HDR, bytes)?
            } else {
                &block[..]
            };
            let want = (len - out.len()).min(data.len());
            out.extend_from_slice(&data[..want]);
        }
    }
    if out.len() != len {
        return Err(m.err("target shorter than its length"));
    }
    Ok(out)
}
