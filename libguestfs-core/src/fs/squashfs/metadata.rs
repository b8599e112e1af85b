//! Metadata blocks: a 2-byte header (length, bit 15 set when stored uncompressed) followed by
//! at most 8 KiB of data once decompressed. Tables (inodes, directories, fragments, ids,
//! xattrs) are streams of such blocks; a position in a stream is the block's byte address
//! and an offset in its decompressed data.

use super::superblock::METADATA_SIZE;
use super::{corrupt, SquashFs};
use crate::error::Result;
use std::sync::Arc;

const UNCOMPRESSED: u16 = 0x8000;

/// One decompressed metadata block and where the next one starts.
pub struct MetaBlock {
    pub data: Vec<u8>,
    pub next: u64,
}

/// A position in a metadata stream.
#[derive(Debug, Clone, Copy)]
pub struct MetaPos {
    /// Byte address of the current block on the device.
    pub block: u64,
    /// Offset in the block's decompressed data.
    pub offset: usize,
}

impl SquashFs {
    /// Reads and decompresses the metadata block at byte `addr` (cached).
    pub(super) fn meta_block(&self, addr: u64) -> Result<Arc<MetaBlock>> {
        if let Some(b) = self.cache.meta(addr) {
            return Ok(b);
        }
        let mut hdr = [0u8; 2];
        self.read_bytes(addr, &mut hdr, "metadata block header")?;
        let hdr = u16::from_le_bytes(hdr);
        let len = usize::from(hdr & !UNCOMPRESSED);
        if len == 0 || len > METADATA_SIZE {
            return Err(corrupt(format!(
                "metadata block at byte {}: bad length {}",
                addr, len
            )));
        }
        let mut raw = vec![0u8; len];
        self.read_bytes(addr + 2, &mut raw, "metadata block")?;
        let data = if hdr & UNCOMPRESSED != 0 {
            raw
        } else {
            self.sb
                .compressor
                .decompress(&raw, METADATA_SIZE, self.sb.xz_dict)
                .map_err(|e| e.context(&format!("metadata block at byte {}", addr)))?
        };
        let block = Arc::new(MetaBlock {
            data,
            next: addr + 2 + len as u64,
        });
        self.cache.put_meta(addr, block.clone());
        Ok(block)
    }

    /// Reads `out.len()` bytes of a metadata stream from `pos`, following blocks, and
    /// advances `pos`. Blocks must lie before `end` (the table's end).
    pub(super) fn meta_read(&self, pos: &mut MetaPos, out: &mut [u8], end: u64) -> Result<()> {
        let mut done = 0;
        while done < out.len() {
            if pos.block >= end {
                return Err(corrupt(format!(
                    "metadata read runs past its table's end (byte {})",
                    end
                )));
            }
            let b = self.meta_block(pos.block)?;
            if pos.offset > b.data.len() {
                return Err(corrupt(format!(
                    "metadata offset {} past the end of the block at byte {} ({} bytes)",
                    pos.offset,
                    pos.block,
                    b.data.len()
                )));
            }
            let avail = &b.data[pos.offset..];
            let n = avail.len().min(out.len() - done);
            out[done..done + n].copy_from_slice(&avail[..n]);
            done += n;
            pos.offset += n;
            if pos.offset == b.data.len() {
                pos.block = b.next;
                pos.offset = 0;
            }
        }
        Ok(())
    }

    pub(super) fn meta_u16(&self, pos: &mut MetaPos, end: u64) -> Result<u16> {
        let mut b = [0u8; 2];
        self.meta_read(pos, &mut b, end)?;
        Ok(u16::from_le_bytes(b))
    }

    pub(super) fn meta_u32(&self, pos: &mut MetaPos, end: u64) -> Result<u32> {
        let mut b = [0u8; 4];
        self.meta_read(pos, &mut b, end)?;
        Ok(u32::from_le_bytes(b))
    }

    pub(super) fn meta_u64(&self, pos: &mut MetaPos, end: u64) -> Result<u64> {
        let mut b = [0u8; 8];
        self.meta_read(pos, &mut b, end)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Reads `len` bytes of a metadata stream into a new buffer, growing it as blocks are
    /// read (so that a claimed length larger than the table fails before it is allocated).
    pub(super) fn meta_vec(&self, pos: &mut MetaPos, len: usize, end: u64) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut left = len;
        while left > 0 {
            let n = left.min(METADATA_SIZE);
            let start = out.len();
            out.resize(start + n, 0);
            self.meta_read(pos, &mut out[start..], end)?;
            left -= n;
        }
        Ok(out)
    }

    /// Entry `index` of a table of `entry_size`-byte entries kept in metadata blocks whose
    /// addresses are listed (u64 each) at `index_start` (the fragment, id, xattr id and
    /// export tables all have this shape).
    pub(super) fn table_entry(
        &self,
        index_start: u64,
        index: u64,
        entry_size: usize,
        what: &str,
    ) -> Result<Vec<u8>> {
        let per_block = (METADATA_SIZE / entry_size) as u64;
        let slot = index / per_block;
        let mut ptr = [0u8; 8];
        let at = slot
            .checked_mul(8)
            .and_then(|o| o.checked_add(index_start))
            .ok_or_else(|| corrupt(format!("{} {}: index out of range", what, index)))?;
        self.read_bytes(at, &mut ptr, what)?;
        let block = u64::from_le_bytes(ptr);
        let mut pos = MetaPos {
            block,
            offset: (index % per_block) as usize * entry_size,
        };
        let mut out = vec![0u8; entry_size];
        self.meta_read(&mut pos, &mut out, self.sb.bytes_used)
            .map_err(|e| e.context(&format!("{} {}", what, index)))?;
        Ok(out)
    }
}
