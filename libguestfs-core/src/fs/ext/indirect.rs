//! The ext2/ext3 block map: 12 direct pointers in `i_block`, then one single-, one double-
//! and one triple-indirect block. A zero pointer at any level is a hole.

use super::extents::block_range_valid;
use super::inode::Inode;
use super::{ExtFs, Run};
use crate::bytes::try_le32;
use crate::error::{Error, Result};
use std::sync::Arc;

const DIRECT: u64 = 12;

/// Pointer `i` of a pointer array (`i_block` or an indirect block) of inode `ino`.
fn ptr(b: &[u8], i: u64, ino: u64) -> Result<u64> {
    usize::try_from(i)
        .ok()
        .and_then(|i| i.checked_mul(4))
        .and_then(|off| try_le32(b, off))
        .map(u64::from)
        .ok_or_else(|| {
            Error::corrupt(format!(
                "ext4: inode #{}: block pointer {} lies past its {}-byte array",
                ino,
                i,
                b.len()
            ))
        })
}

fn push(runs: &mut Vec<Run>, lblk: u64, len: u64, pblk: Option<u64>) {
    if let Some(last) = runs.last_mut() {
        if last.lblk + last.len == lblk {
            let contiguous = match (last.pblk, pblk) {
                (None, None) => true,
                (Some(a), Some(b)) => a + last.len == b,
                _ => false,
            };
            if contiguous {
                last.len += len;
                return;
            }
        }
    }
    runs.push(Run { lblk, len, pblk });
}

/// Maps logical blocks `[lo, hi)` of a block-mapped inode to runs.
pub fn map(fs: &ExtFs, inode: &Inode, lo: u64, hi: u64) -> Result<Vec<Run>> {
    let geo = fs.geometry();
    let p = geo.block_size / 4;
    let single_end = DIRECT + p;
    let double_end = single_end + p * p;
    let triple_end = double_end + p * p * p;
    let ino = inode.ino;
    let i_block: Arc<[u8]> = Arc::from(inode.i_block());
    // Reads the block a pointer names, or None for a hole.
    let follow = |pb: u64| -> Result<Option<Arc<[u8]>>> {
        if pb == 0 {
            return Ok(None);
        }
        if !block_range_valid(geo, pb, 1) {
            return Err(Error::corrupt(format!(
                "ext4: inode #{}: invalid indirect block {}",
                ino, pb
            )));
        }
        fs.meta_block(pb).map(Some)
    };
    let mut runs = Vec::new();
    let mut pos = lo;
    while pos < hi {
        // The pointer array holding `pos`, the index of `pos` in it, and the first logical
        // block past what that array maps.
        let (array, idx, span_end) = if pos < DIRECT {
            (Some(i_block.clone()), pos, DIRECT)
        } else if pos < single_end {
            (follow(ptr(&i_block, 12, ino)?)?, pos - DIRECT, single_end)
        } else if pos < double_end {
            let rel = pos - single_end;
            let span_end = single_end + (rel / p + 1) * p;
            let arr = match follow(ptr(&i_block, 13, ino)?)? {
                Some(l1) => follow(ptr(&l1, rel / p, ino)?)?,
                None => None,
            };
            (arr, rel % p, span_end)
        } else if pos < triple_end {
            let rel = pos - double_end;
            let span_end = double_end + (rel / p + 1) * p;
            let arr = match follow(ptr(&i_block, 14, ino)?)? {
                Some(l1) => match follow(ptr(&l1, rel / (p * p), ino)?)? {
                    Some(l2) => follow(ptr(&l2, (rel / p) % p, ino)?)?,
                    None => None,
                },
                None => None,
            };
            (arr, rel % p, span_end)
        } else {
            push(&mut runs, pos, hi - pos, None);
            break;
        };
        let end = span_end.min(hi);
        match array {
            None => push(&mut runs, pos, end - pos, None),
            Some(arr) => {
                for (i, lblk) in (pos..end).enumerate() {
                    let pb = ptr(&arr, idx + i as u64, ino)?;
                    if pb == 0 {
                        push(&mut runs, lblk, 1, None);
                    } else if block_range_valid(geo, pb, 1) {
                        push(&mut runs, lblk, 1, Some(pb));
                    } else {
                        return Err(Error::corrupt(format!(
                            "ext4: inode #{}: invalid block {}",
                            ino, pb
                        )));
                    }
                }
            }
        }
        pos = end;
    }
    Ok(runs)
}
