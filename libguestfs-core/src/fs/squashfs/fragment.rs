//! The fragment table: entries (`struct squashfs_fragment_entry`: the block's byte address,
//! its on-disk size with the "uncompressed" bit) for the blocks that pack the tails of
//! several files (and small files whole), kept in metadata blocks listed at
//! `fragment_table_start`.

use super::data::BlockSize;
use super::{corrupt, SquashFs};
use crate::error::Result;

const ENTRY_SIZE: usize = 16;

impl SquashFs {
    /// The fragment block `index`: its byte address and size word.
    pub(super) fn fragment(&self, index: u32) -> Result<(u64, BlockSize)> {
        if index >= self.sb.fragments {
            return Err(corrupt(format!(
                "fragment index {} out of range ({} fragments)",
                index, self.sb.fragments
            )));
        }
        let e = self.table_entry(
            self.sb.fragment_table_start,
            u64::from(index),
            ENTRY_SIZE,
            "fragment",
        )?;
        let start = u64::from_le_bytes([e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7]]);
        let size = BlockSize(u32::from_le_bytes([e[8], e[9], e[10], e[11]]));
        Ok((start, size))
    }
}
