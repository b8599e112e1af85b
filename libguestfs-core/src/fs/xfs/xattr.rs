//! Extended attributes: the short-form list in the inode's attribute fork, or leaf blocks
//! (reached through a dabtree of node blocks when there are several), with values inline or
//! in remote blocks; POSIX ACLs converted to the form `getxattr(2)` gives.

use super::bmap::{self, Extent};
use super::inode::{Fork, Inode, FMT_LOCAL};
use super::meta::{crc_ok, Meta};
use super::XfsFs;
use crate::error::{Error, Result};
use std::collections::HashSet;

// Entry flags (`XFS_ATTR_*`).
const ATTR_LOCAL: u8 = 0x01;
const ATTR_ROOT: u8 = 0x02;
const ATTR_SECURE: u8 = 0x04;
/// Parent pointers, a private namespace listxattr never shows.
const ATTR_PARENT: u8 = 0x08;
const ATTR_INCOMPLETE: u8 = 0x80;

const ATTR_LEAF_MAGIC: u16 = 0xfbee;
const ATTR3_LEAF_MAGIC: u16 = 0x3bee;
const DA_NODE_MAGIC: u16 = 0xfebe;
const DA3_NODE_MAGIC: u16 = 0x3ebe;
const ATTR3_RMT_MAGIC: u32 = 0x5841_524d; // "XARM"
/// Where the magic of a dabtree block lies (after the forward and back links).
const DA_MAGIC_OFFSET: usize = 8;
const DA3_CRC_OFFSET: usize = 12;
const DA3_OWNER_OFFSET: usize = 48;
/// Leaf headers (entry count first) and where their entries start.
const LEAF_COUNT_V4: usize = 12;
const LEAF_ENTRIES_V4: usize = 32;
const LEAF_COUNT_V5: usize = 56;
const LEAF_ENTRIES_V5: usize = 80;
const LEAF_ENTRY_SIZE: usize = 8;
/// Node headers: entry count, level; entries (hash, child block) start after, the first
/// entry's child at +4.
const NODE_COUNT_V4: usize = 12;
const NODE_ENTRIES_V4: usize = 16;
const NODE_COUNT_V5: usize = 56;
const NODE_ENTRIES_V5: usize = 64;
/// `XFS_DA_NODE_MAXDEPTH`.
const DA_MAX_DEPTH: u16 = 5;
/// Remote value block header (v5): magic, offset, bytes, crc, uuid, owner, blkno, lsn.
const RMT_HDR: usize = 56;
const RMT_CRC_OFFSET: usize = 12;
/// `XATTR_SIZE_MAX`.
const XATTR_SIZE_MAX: usize = 65536;

// POSIX ACLs: XFS's names for them, and the Linux xattr names listxattr adds.
const SGI_ACL_FILE: &[u8] = b"SGI_ACL_FILE";
const SGI_ACL_DEFAULT: &[u8] = b"SGI_ACL_DEFAULT";
const ACL_USER: u32 = 0x02;
const ACL_GROUP: u32 = 0x08;
/// `struct xfs_acl_entry`: tag, id, permissions, padding.
const XFS_ACL_ENTRY_SIZE: usize = 12;
const POSIX_ACL_XATTR_VERSION: u32 = 2;

/// Every attribute of `inode` as listxattr names it (with its namespace prefix) and getxattr
/// gives its value, in on-disk order.
pub fn list(fs: &XfsFs, inode: &Inode) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut raw = RawEntries::new();
    if !inode.has_attr_fork() {
        return Ok(Vec::new());
    }
    if inode.aformat == FMT_LOCAL {
        short_form(inode, &mut raw)?;
    } else {
        let extents = bmap::extents(fs, inode, Fork::Attr)?;
        if !extents.is_empty() {
            Blocks {
                fs,
                inode,
                extents: &extents,
            }
            .all(&mut raw)?;
        }
    }
    let mut out = Vec::with_capacity(raw.len());
    for (flags, name, value) in raw {
        if flags & (ATTR_INCOMPLETE | ATTR_PARENT) != 0 {
            continue;
        }
        let prefix: &[u8] = if flags & ATTR_ROOT != 0 {
            let system: Option<&[u8]> = match &name[..] {
                SGI_ACL_FILE => Some(b"system.posix_acl_access"),
                SGI_ACL_DEFAULT => Some(b"system.posix_acl_default"),
                _ => None,
            };
            if let Some(system) = system {
                out.push((system.to_vec(), acl_to_xattr(inode.ino, &value)?));
            }
            b"trusted."
        } else if flags & ATTR_SECURE != 0 {
            b"security."
        } else {
            b"user."
        };
        let mut full = prefix.to_vec();
        full.extend_from_slice(&name);
        out.push((full, value));
    }
    Ok(out)
}

/// Raw entries: flags, name, value.
type RawEntries = Vec<(u8, Vec<u8>, Vec<u8>)>;

/// The short-form list: a header (total size, count), then name length, value length,
/// flags, name and value for each attribute.
fn short_form(inode: &Inode, out: &mut RawEntries) -> Result<()> {
    let what = || format!("inode {}: short-form attributes", inode.ino);
    let m = Meta::new(inode.fork(Fork::Attr), &what);
    let count = m.u8(2)?;
    let mut off = 4;
    for _ in 0..count {
        let namelen = usize::from(m.u8(off)?);
        let valuelen = usize::from(m.u8(off + 1)?);
        let flags = m.u8(off + 2)?;
        let name = m.slice(off + 3, namelen)?.to_vec();
        let value = m.slice(off + 3 + namelen, valuelen)?.to_vec();
        out.push((flags, name, value));
        off += 3 + namelen + valuelen;
    }
    Ok(())
}

/// The attribute fork's blocks.
struct Blocks<'a> {
    fs: &'a XfsFs,
    inode: &'a Inode,
    extents: &'a [Extent],
}

impl Blocks<'_> {
    /// Reads attribute-fork block `blk`, checking its v5 checksum and owner.
    fn read(&self, blk: u64, what: &dyn Fn() -> String) -> Result<Vec<u8>> {
        let Some(e) = bmap::find(self.extents, blk) else {
            return Err(Meta::new(&[], what).err("not mapped"));
        };
        self.fs.read_fsb(e.start + (blk - e.off), 1, what)
    }

    fn what(&self, blk: u64) -> impl Fn() -> String {
        let ino = self.inode.ino;
        move || format!("inode {}: attribute block {}", ino, blk)
    }

    fn check_v5(&self, m: &Meta, block: &[u8]) -> Result<()> {
        if self.fs.sb.is_v5() {
            if !crc_ok(block, DA3_CRC_OFFSET) {
                return Err(m.err("bad checksum"));
            }
            if m.be64(DA3_OWNER_OFFSET)? != self.inode.ino {
                return Err(m.err("owned by another inode"));
            }
        }
        Ok(())
    }

    /// Every leaf, from the leftmost one along the sibling links.
    fn all(&self, out: &mut RawEntries) -> Result<()> {
        let v5 = self.fs.sb.is_v5();
        let (leaf_magic, node_magic) = if v5 {
            (ATTR3_LEAF_MAGIC, DA3_NODE_MAGIC)
        } else {
            (ATTR_LEAF_MAGIC, DA_NODE_MAGIC)
        };
        // Down the leftmost path of the dabtree.
        let mut blk = 0u64;
        let mut depth = 0u16;
        let mut block = loop {
            let what = self.what(blk);
            let block = self.read(blk, &what)?;
            let m = Meta::new(&block, &what);
            let magic = m.be16(DA_MAGIC_OFFSET)?;
            self.check_v5(&m, &block)?;
            if magic == leaf_magic {
                break block;
            }
            if magic != node_magic {
                return Err(m.err("bad magic number"));
            }
            depth += 1;
            if depth > DA_MAX_DEPTH {
                return Err(m.err("dabtree too deep"));
            }
            let (count_off, entries) = if v5 {
                (NODE_COUNT_V5, NODE_ENTRIES_V5)
            } else {
                (NODE_COUNT_V4, NODE_ENTRIES_V4)
            };
            if m.be16(count_off)? == 0 {
                return Err(m.err("empty node"));
            }
            blk = u64::from(m.be32(entries + 4)?);
        };
        // Along the leaves.
        let mut seen = HashSet::new();
        loop {
            if !seen.insert(blk) {
                return Err(self.fs_err(blk, "leaf reached twice (a loop)"));
            }
            let what = self.what(blk);
            let m = Meta::new(&block, &what);
            if m.be16(DA_MAGIC_OFFSET)? != leaf_magic {
                return Err(m.err("bad magic number"));
            }
            self.leaf(&m, out)?;
            let forw = m.be32(0)?;
            if forw == 0 {
                return Ok(());
            }
            blk = u64::from(forw);
            let what = self.what(blk);
            block = self.read(blk, &what)?;
            self.check_v5(&Meta::new(&block, &what), &block)?;
        }
    }

    fn fs_err(&self, blk: u64, msg: &str) -> Error {
        Meta::new(&[], &self.what(blk)).err(msg)
    }

    /// The entries of one leaf block.
    fn leaf(&self, m: &Meta, out: &mut RawEntries) -> Result<()> {
        let (count_off, entries) = if self.fs.sb.is_v5() {
            (LEAF_COUNT_V5, LEAF_ENTRIES_V5)
        } else {
            (LEAF_COUNT_V4, LEAF_ENTRIES_V4)
        };
        let count = usize::from(m.be16(count_off)?);
        for i in 0..count {
            let e = entries + i * LEAF_ENTRY_SIZE;
            let nameidx = usize::from(m.be16(e + 4)?);
            let flags = m.u8(e + 6)?;
            if flags & ATTR_LOCAL != 0 {
                let valuelen = usize::from(m.be16(nameidx)?);
                let namelen = usize::from(m.u8(nameidx + 2)?);
                let name = m.slice(nameidx + 3, namelen)?.to_vec();
                let value = m.slice(nameidx + 3 + namelen, valuelen)?.to_vec();
                out.push((flags, name, value));
            } else {
                let valueblk = u64::from(m.be32(nameidx)?);
                let valuelen = m.be32(nameidx + 4)? as usize;
                let namelen = usize::from(m.u8(nameidx + 8)?);
                let name = m.slice(nameidx + 9, namelen)?.to_vec();
                let value = if flags & ATTR_INCOMPLETE != 0 {
                    Vec::new()
                } else {
                    self.remote_value(valueblk, valuelen)?
                };
                out.push((flags, name, value));
            }
        }
        Ok(())
    }

    /// A value stored in remote blocks from attribute-fork block `blk`.
    fn remote_value(&self, mut blk: u64, len: usize) -> Result<Vec<u8>> {
        if len > XATTR_SIZE_MAX {
            return Err(self.fs_err(blk, "remote value larger than 64 KiB"));
        }
        let v5 = self.fs.sb.is_v5();
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            let what = self.what(blk);
            let block = self.read(blk, &what)?;
            let m = Meta::new(&block, &what);
            let data = if v5 {
                if m.be32(0)? != ATTR3_RMT_MAGIC
                    || !crc_ok(&block, RMT_CRC_OFFSET)
                    || m.be64(32)? != self.inode.ino
                    || m.be32(4)? as usize != out.len()
                {
                    return Err(m.err("bad remote value block"));
                }
                m.slice(RMT_HDR, m.be32(8)? as usize)?
            } else {
                &block[..]
            };
            if data.is_empty() {
                return Err(m.err("empty remote value block"));
            }
            let want = (len - out.len()).min(data.len());
            out.extend_from_slice(&data[..want]);
            blk += 1;
        }
        Ok(out)
    }
}

/// XFS's ACL (`struct xfs_acl`: a count, then tag, id, permissions of each entry, all
/// big-endian) to the `posix_acl_xattr` form getxattr gives (ids only for named users and
/// groups).
fn acl_to_xattr(ino: u64, disk: &[u8]) -> Result<Vec<u8>> {
    let what = || format!("inode {}: ACL", ino);
    let m = Meta::new(disk, &what);
    let count = m.be32(0)? as usize;
    if count.checked_mul(XFS_ACL_ENTRY_SIZE).map(|n| n + 4) != Some(disk.len()) {
        return Err(m.err(format_args!("{} entries in {} bytes", count, disk.len())));
    }
    let mut out = Vec::with_capacity(4 + count * 8);
    out.extend_from_slice(&POSIX_ACL_XATTR_VERSION.to_le_bytes());
    for i in 0..count {
        let e = 4 + i * XFS_ACL_ENTRY_SIZE;
        let tag = m.be32(e)?;
        let id = match tag {
            ACL_USER | ACL_GROUP => m.be32(e + 4)?,
            _ => u32::MAX,
        };
        out.extend_from_slice(&(tag as u16).to_le_bytes());
        out.extend_from_slice(&m.be16(e + 8)?.to_le_bytes());
        out.extend_from_slice(&id.to_le_bytes());
    }
    Ok(out)
}
