//! Extended attributes. An inode's xattr index selects an entry of the xattr id table
//! (`struct squashfs_xattr_id`: reference of its first attribute, count, total size); the
//! attributes lie in the xattr table as a name (`struct squashfs_xattr_entry`: type with the
//! namespace, name without its prefix) and a value, or, for values stored once and shared
//! ("out of line"), a reference to the value.

use super::inode::{Inode, INVALID_XATTR};
use super::metadata::MetaPos;
use super::superblock::INVALID_BLK;
use super::{corrupt, SquashFs};
use crate::error::Result;

const ID_ENTRY_SIZE: usize = 16;
/// The type's flag for a value stored out of line, and its namespace mask.
const VALUE_OOL: u16 = 0x100;
const PREFIX_MASK: u16 = 0xff;
/// The kernel's xattr size limit (`XATTR_SIZE_MAX`).
const VALUE_MAX: u32 = 65536;

fn prefix(t: u16) -> Option<&'static [u8]> {
    match t & PREFIX_MASK {
        0 => Some(b"user."),
        1 => Some(b"trusted."),
        2 => Some(b"security."),
        _ => None,
    }
}

impl SquashFs {
    /// Entry `index` of the xattr id table: where the xattr table starts, the reference of
    /// the first attribute, how many there are and their total size.
    pub(super) fn xattr_id(&self, index: u32) -> Result<(u64, u64, u32, u32)> {
        let mut hdr = [0u8; 16];
        self.read_bytes(self.sb.xattr_id_table_start, &mut hdr, "xattr id table")?;
        let table_start = u64::from_le_bytes([
            hdr[0], hdr[1], hdr[2], hdr[3], hdr[4], hdr[5], hdr[6], hdr[7],
        ]);
        let ids = u32::from_le_bytes([hdr[8], hdr[9], hdr[10], hdr[11]]);
        if index >= ids {
            return Err(corrupt(format!(
                "xattr index {} out of range ({} ids)",
                index, ids
            )));
        }
        let e = self.table_entry(
            self.sb.xattr_id_table_start + 16,
            u64::from(index),
            ID_ENTRY_SIZE,
            "xattr id",
        )?;
        let xref = u64::from_le_bytes([e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7]]);
        let count = u32::from_le_bytes([e[8], e[9], e[10], e[11]]);
        let size = u32::from_le_bytes([e[12], e[13], e[14], e[15]]);
        Ok((table_start, xref, count, size))
    }

    /// The attributes of `inode` in on-disk order (what `listxattr` gives), with their full
    /// names.
    pub(super) fn xattr_list(&self, inode: &Inode) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        if inode.xattr == INVALID_XATTR || self.sb.xattr_id_table_start == INVALID_BLK {
            return Ok(Vec::new());
        }
        let (table_start, xref, count, _) = self.xattr_id(inode.xattr)?;
        let end = self.sb.xattr_id_table_start;
        let at = |r: u64| MetaPos {
            block: table_start.saturating_add(r >> 16),
            offset: (r & 0xffff) as usize,
        };
        let mut pos = at(xref);
        let mut out = Vec::new();
        // Each attribute takes at least 8 bytes of the table: `count` is bounded by it
        // through the reads failing at the table's end.
        for _ in 0..count {
            let t = self.meta_u16(&mut pos, end)?;
            let name_len = self.meta_u16(&mut pos, end)?;
            let name = self.meta_vec(&mut pos, usize::from(name_len), end)?;
            let vsize = self.meta_u32(&mut pos, end)?;
            let value = if t & VALUE_OOL != 0 {
                if vsize != 8 {
                    return Err(corrupt("out-of-line xattr value reference of bad size"));
                }
                let vref = self.meta_u64(&mut pos, end)?;
                let mut vpos = at(vref);
                let len = self.meta_u32(&mut vpos, end)?;
                if len > VALUE_MAX {
                    return Err(corrupt(format!("xattr value of {} bytes", len)));
                }
                self.meta_vec(&mut vpos, len as usize, end)?
            } else {
                if vsize > VALUE_MAX {
                    return Err(corrupt(format!("xattr value of {} bytes", vsize)));
                }
                self.meta_vec(&mut pos, vsize as usize, end)?
            };
            let Some(p) = prefix(t) else {
                // The kernel lists no attribute of an unknown namespace.
                continue;
            };
            let mut full = p.to_vec();
            full.extend_from_slice(&name);
            out.push((full, value));
        }
        Ok(out)
    }
}
