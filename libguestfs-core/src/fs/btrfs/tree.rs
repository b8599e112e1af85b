//! B-tree nodes and leaves, and walking a key range of a tree.
//!
//! Every node is checked before use: its checksum, its own address, the filesystem it
//! belongs to, its level (a child is exactly one level below its parent, so a pointer back to
//! a node or its ancestor is refused), strictly increasing keys, a child's first key equal to
//! the key its parent gives it, and leaf item data inside the leaf. Together these bound a
//! walk by the number of items in the range asked for.

use super::{corrupt, BtrfsFs, Key};
use crate::bytes::{le32, le64, try_slice, u8_at};
use crate::error::Result;
use std::sync::Arc;

/// `BTRFS_MAX_LEVEL`.
pub const MAX_LEVEL: u8 = 8;
const HEADER_SIZE: usize = 101;
const ITEM_SIZE: usize = Key::SIZE + 8;
const KEY_PTR_SIZE: usize = Key::SIZE + 16;

/// A checked tree block.
pub struct Node {
    pub level: u8,
    data: Arc<Vec<u8>>,
    nritems: usize,
}

impl Node {
    pub fn parse(fs: &BtrfsFs, logical: u64, data: Arc<Vec<u8>>, level: u8) -> Result<Node> {
        let b = &data[..];
        let at = || format!("tree block {}", logical);
        if fs.sb.csum_type == 0 && le32(b, 0) != super::crc32c(b.get(32..).unwrap_or(&[])) {
            return Err(corrupt(format_args!("{}: checksum mismatch", at())));
        }
        if le64(b, 48) != logical {
            return Err(corrupt(format_args!(
                "{}: wrong address {}",
                at(),
                le64(b, 48)
            )));
        }
        if b.get(32..48) != Some(&fs.sb.meta_fsid[..]) {
            return Err(corrupt(format_args!(
                "{}: belongs to another filesystem",
                at()
            )));
        }
        if u8_at(b, 100) != level {
            return Err(corrupt(format_args!(
                "{}: level {}, expected {}",
                at(),
                u8_at(b, 100),
                level
            )));
        }
        let nritems = le32(b, 96) as usize;
        let each = if level == 0 { ITEM_SIZE } else { KEY_PTR_SIZE };
        if nritems
            .checked_mul(each)
            .is_none_or(|n| n > b.len().saturating_sub(HEADER_SIZE))
        {
            return Err(corrupt(format_args!("{}: {} items", at(), nritems)));
        }
        let node = Node {
            level,
            data,
            nritems,
        };
        let mut prev: Option<Key> = None;
        for i in 0..nritems {
            let k = node.key(i);
            if prev.is_some_and(|p| p >= k) {
                return Err(corrupt(format_args!("{}: keys out of order", at())));
            }
            prev = Some(k);
            if level == 0 && node.item_data(i).is_none() {
                return Err(corrupt(format_args!(
                    "{}: item {} outside the leaf",
                    at(),
                    i
                )));
            }
        }
        Ok(node)
    }

    pub fn len(&self) -> usize {
        self.nritems
    }

    fn entry_offset(&self, i: usize) -> usize {
        let each = if self.level == 0 {
            ITEM_SIZE
        } else {
            KEY_PTR_SIZE
        };
        HEADER_SIZE + i * each
    }

    pub fn key(&self, i: usize) -> Key {
        Key::parse(&self.data[self.entry_offset(i).min(self.data.len())..])
    }

    /// A leaf item's data.
    pub fn item_data(&self, i: usize) -> Option<&[u8]> {
        let off = self.entry_offset(i);
        let data_off = le32(&self.data, off + Key::SIZE) as usize;
        let size = le32(&self.data, off + Key::SIZE + 4) as usize;
        try_slice(&self.data, HEADER_SIZE.checked_add(data_off)?, size)
    }

    /// A node's child pointer.
    pub fn child(&self, i: usize) -> u64 {
        le64(&self.data, self.entry_offset(i) + Key::SIZE)
    }
}

impl BtrfsFs {
    /// Calls `f` with every item of the tree at `root` (of `level`) whose key is in
    /// `min..=max`, in key order, until `f` returns false.
    pub(super) fn walk(
        &self,
        root: u64,
        level: u8,
        min: Key,
        max: Key,
        f: &mut dyn FnMut(Key, &[u8]) -> Result<bool>,
    ) -> Result<()> {
        if level >= MAX_LEVEL {
            return Err(corrupt(format_args!("tree root {}: level {}", root, level)));
        }
        self.walk_node(root, level, None, min, max, f).map(|_| ())
    }

    fn walk_node(
        &self,
        logical: u64,
        level: u8,
        first_key: Option<Key>,
        min: Key,
        max: Key,
        f: &mut dyn FnMut(Key, &[u8]) -> Result<bool>,
    ) -> Result<bool> {
        let node = self.node(logical, level)?;
        if let Some(k) = first_key {
            if node.len() == 0 || node.key(0) != k {
                return Err(corrupt(format_args!(
                    "tree block {}: first key differs from its parent's",
                    logical
                )));
            }
        }
        if level == 0 {
            for i in 0..node.len() {
                let k = node.key(i);
                if k < min {
                    continue;
                }
                if k > max {
                    return Ok(false);
                }
                let data = node.item_data(i).unwrap_or(&[]);
                if !f(k, data)? {
                    return Ok(false);
                }
            }
            return Ok(true);
        }
        for i in 0..node.len() {
            let k = node.key(i);
            if k > max {
                return Ok(false);
            }
            if i + 1 < node.len() && node.key(i + 1) <= min {
                continue;
            }
            if !self.walk_node(node.child(i), level - 1, Some(k), min, max, f)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The first item with a key in `min..=max`.
    pub(super) fn find_first(
        &self,
        root: (u64, u8),
        min: Key,
        max: Key,
    ) -> Result<Option<(Key, Vec<u8>)>> {
        let mut out = None;
        self.walk(root.0, root.1, min, max, &mut |k, d| {
            out = Some((k, d.to_vec()));
            Ok(false)
        })?;
        Ok(out)
    }
}
