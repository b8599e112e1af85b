//! Extent trees (`ext4_extent_header`, `ext4_extent_idx`, `ext4_extent`): mapping a file's
//! logical blocks to physical blocks. Nodes are checked like `__ext4_ext_check` (magic,
//! depth, counts, sorted entries, blocks inside the filesystem); the depth is bounded by 5.

use super::inode::Inode;
use super::superblock::Geometry;
use super::{ExtFs, Run};
use crate::bytes::Fixed;
use crate::error::{Error, Result};

const EXT4_EXT_MAGIC: u16 = 0xf30a;
/// `EXT4_MAX_EXTENT_DEPTH`.
const MAX_DEPTH: u16 = 5;
const ENTRY_SIZE: usize = 12;
const HEADER_SIZE: usize = 12;
/// Lengths above this mark an uninitialized (unwritten) extent, which reads as zeros.
const EXT_INIT_MAX_LEN: u16 = 1 << 15;

struct Header {
    entries: usize,
    depth: u16,
}

fn corrupt(ino: u64, msg: &str) -> Error {
    Error::corrupt(format!(
        "ext4: inode #{}: corrupt extent tree: {}",
        ino, msg
    ))
}

fn header(node: &[u8], ino: u64) -> Result<Header> {
    let capacity = node.len().saturating_sub(HEADER_SIZE) / ENTRY_SIZE;
    let Some(h) = Fixed::<HEADER_SIZE>::new(node) else {
        return Err(corrupt(ino, "node shorter than its header"));
    };
    if h.le16::<0>() != EXT4_EXT_MAGIC {
        return Err(corrupt(ino, "invalid magic"));
    }
    let entries = usize::from(h.le16::<2>());
    let max = usize::from(h.le16::<4>());
    let depth = h.le16::<6>();
    if max == 0 || max > capacity {
        return Err(corrupt(ino, "invalid eh_max"));
    }
    if entries > max {
        return Err(corrupt(ino, "invalid eh_entries"));
    }
    if depth > MAX_DEPTH {
        return Err(corrupt(ino, "too large eh_depth"));
    }
    Ok(Header { entries, depth })
}

/// `ext4_inode_block_valid` without the system-zone check.
pub fn block_range_valid(geo: &Geometry, start: u64, count: u64) -> bool {
    start > geo.first_data_block
        && start
            .checked_add(count)
            .is_some_and(|end| end <= geo.blocks_count)
}

#[derive(Clone, Copy)]
struct Extent {
    lblk: u64,
    len: u64,
    pblk: u64,
    unwritten: bool,
}

fn leaf_entry(node: &[u8], i: usize, ino: u64) -> Result<Extent> {
    let e = entry(node, i, ino)?;
    let raw_len = e.le16::<4>();
    let (len, unwritten) = if raw_len > EXT_INIT_MAX_LEN {
        (raw_len - EXT_INIT_MAX_LEN, true)
    } else {
        (raw_len, false)
    };
    Ok(Extent {
        lblk: u64::from(e.le32::<0>()),
        len: u64::from(len),
        pblk: (u64::from(e.le16::<6>()) << 32) | u64::from(e.le32::<8>()),
        unwritten,
    })
}

/// (first logical block, child node block) of index entry `i`.
fn index_entry(node: &[u8], i: usize, ino: u64) -> Result<(u64, u64)> {
    let e = entry(node, i, ino)?;
    Ok((
        u64::from(e.le32::<0>()),
        u64::from(e.le32::<4>()) | (u64::from(e.le16::<8>()) << 32),
    ))
}

/// Entry `i` of a node (`header` checked that `eh_max` entries fit in it).
fn entry(node: &[u8], i: usize, ino: u64) -> Result<Fixed<'_, ENTRY_SIZE>> {
    i.checked_mul(ENTRY_SIZE)
        .and_then(|off| Fixed::at(node, HEADER_SIZE + off))
        .ok_or_else(|| corrupt(ino, &format!("entry {} lies past the node", i)))
}

/// Checks one node's entries (`ext4_valid_extent_entries`).
fn check_entries(node: &[u8], h: &Header, geo: &Geometry, ino: u64) -> Result<()> {
    let mut cur = 0u64;
    for i in 0..h.entries {
        if h.depth == 0 {
            let e = leaf_entry(node, i, ino)?;
            if e.len == 0 || !block_range_valid(geo, e.pblk, e.len) {
                return Err(corrupt(
                    ino,
                    &format!("invalid extent (block {}, length {})", e.pblk, e.len),
                ));
            }
            if e.lblk < cur {
                return Err(corrupt(ino, "overlapping extents"));
            }
            cur = e.lblk + e.len;
        } else {
            let (lblk, child) = index_entry(node, i, ino)?;
            if !block_range_valid(geo, child, 1) {
                return Err(corrupt(ino, &format!("invalid index block {}", child)));
            }
            if i > 0 && lblk < cur {
                return Err(corrupt(ino, "unsorted index entries"));
            }
            cur = lblk + 1;
        }
    }
    Ok(())
}

/// The checks `ext4_iget` makes on the root of an extent-mapped inode.
pub fn check_root(inode: &Inode, geo: &Geometry) -> Result<()> {
    let root = inode.i_block();
    let h = header(root, inode.ino)?;
    check_entries(root, &h, geo, inode.ino)
}

struct Walk<'a> {
    fs: &'a ExtFs,
    ino: u64,
    lo: u64,
    hi: u64,
    out: Vec<Extent>,
    /// Nodes still allowed to be read for this request.
    budget: u64,
}

impl Walk<'_> {
    fn node(
        &mut self,
        node: &[u8],
        expected_depth: Option<u16>,
        node_lo: u64,
        node_hi: u64,
    ) -> Result<()> {
        let geo = self.fs.geometry();
        let h = header(node, self.ino)?;
        if expected_depth.is_some_and(|d| d != h.depth) {
            return Err(corrupt(self.ino, "unexpected depth"));
        }
        check_entries(node, &h, geo, self.ino)?;
        if h.depth == 0 {
            for i in 0..h.entries {
                let e = leaf_entry(node, i, self.ino)?;
                if e.lblk + e.len <= self.lo {
                    continue;
                }
                if e.lblk >= self.hi {
                    break;
                }
                self.out.push(e);
            }
            return Ok(());
        }
        for i in 0..h.entries {
            let (lblk, child) = index_entry(node, i, self.ino)?;
            let child_lo = if i == 0 { node_lo } else { lblk };
            let child_hi = if i + 1 < h.entries {
                index_entry(node, i + 1, self.ino)?.0
            } else {
                node_hi
            };
            if child_hi <= self.lo {
                continue;
            }
            if child_lo >= self.hi {
                break;
            }
            if self.budget == 0 {
                return Err(corrupt(self.ino, "too many nodes"));
            }
            self.budget -= 1;
            let block = self.fs.meta_block(child)?;
            self.node(&block, Some(h.depth - 1), child_lo, child_hi)?;
        }
        Ok(())
    }
}

/// Maps logical blocks `[lo, hi)` of an extent-mapped inode to runs, holes and unwritten
/// extents as runs without a physical block.
pub fn map(fs: &ExtFs, inode: &Inode, lo: u64, hi: u64) -> Result<Vec<Run>> {
    let mut walk = Walk {
        fs,
        ino: inode.ino,
        lo,
        hi,
        out: Vec::new(),
        budget: 64 + 2 * (hi - lo).min(1 << 24),
    };
    walk.node(inode.i_block(), None, 0, u64::MAX)?;
    let mut extents = walk.out;
    extents.sort_by_key(|e| e.lblk);
    let mut runs = Vec::new();
    let mut pos = lo;
    for e in extents {
        let start = e.lblk.max(pos);
        let end = (e.lblk + e.len).min(hi);
        if start >= end {
            continue;
        }
        if start > pos {
            runs.push(Run {
                lblk: pos,
                len: start - pos,
                pblk: None,
            });
        }
        let pblk = if e.unwritten {
            None
        } else {
            Some(e.pblk + (start - e.lblk))
        };
        runs.push(Run {
            lblk: start,
            len: end - start,
            pblk,
        });
        pos = end;
    }
    if pos < hi {
        runs.push(Run {
            lblk: pos,
            len: hi - pos,
            pblk: None,
        });
    }
    Ok(runs)
}
