//! Directory items: `DIR_INDEX` (readdir order), `DIR_ITEM` (lookups by name hash) and
//! `XATTR_ITEM` share one layout, several entries to an item.

use super::{corrupt, Key};
use crate::bytes::{le16, try_slice, u8_at};
use crate::error::Result;

pub const XATTR_ITEM_KEY: u8 = 24;
pub const DIR_ITEM_KEY: u8 = 84;
pub const DIR_INDEX_KEY: u8 = 96;
const DIR_ITEM_HEADER: usize = Key::SIZE + 13;
/// `BTRFS_FT_ENCRYPTED`, a flag beside the file type.
const FT_MASK: u8 = 0x7f;

/// One entry of a directory (or extended attribute) item.
#[derive(Debug, Clone)]
pub struct DirItem {
    pub location: Key,
    pub file_type: u8,
    pub name: Vec<u8>,
    pub data: Vec<u8>,
}

/// The entries of one item.
pub fn parse(b: &[u8], owner: u64) -> Result<Vec<DirItem>> {
    let mut out = Vec::new();
    let mut off = 0;
    while off < b.len() {
        let bad = || corrupt(format_args!("inode {}: directory item truncated", owner));
        let head = try_slice(b, off, DIR_ITEM_HEADER).ok_or_else(bad)?;
        let data_len = usize::from(le16(head, Key::SIZE + 8));
        let name_len = usize::from(le16(head, Key::SIZE + 10));
        let name = try_slice(b, off + DIR_ITEM_HEADER, name_len).ok_or_else(bad)?;
        let data = try_slice(b, off + DIR_ITEM_HEADER + name_len, data_len).ok_or_else(bad)?;
        out.push(DirItem {
            location: Key::parse(head),
            file_type: u8_at(head, Key::SIZE + 12) & FT_MASK,
            name: name.to_vec(),
            data: data.to_vec(),
        });
        off += DIR_ITEM_HEADER + name_len + data_len;
    }
    Ok(out)
}

/// `btrfs_name_hash`: the key offset of a `DIR_ITEM` or `XATTR_ITEM`.
pub fn name_hash(name: &[u8]) -> u64 {
    u64::from(crate::fs::crc32c::crc32c(!1, name))
}
