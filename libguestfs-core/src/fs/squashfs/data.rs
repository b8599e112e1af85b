//! File data: a file is a run of data blocks stored one after another from its first
//! block's address, each listed in the inode by its on-disk size (0 for a block of zeros, a
//! hole), with its tail either in a last block or packed with others in a fragment block.

use super::inode::{Inode, INVALID_FRAG};
use super::metadata::MetaPos;
use super::{corrupt, SquashFs};
use crate::error::Result;
use std::sync::Arc;

/// `SQUASHFS_COMPRESSED_BIT_BLOCK`: set when a data block is stored uncompressed.
const UNCOMPRESSED: u32 = 1 << 24;

/// A data block's size word.
#[derive(Debug, Clone, Copy)]
pub struct BlockSize(pub u32);

impl BlockSize {
    pub fn on_disk(self) -> u32 {
        self.0 & !UNCOMPRESSED
    }

    pub fn compressed(self) -> bool {
        self.0 & UNCOMPRESSED == 0
    }
}

/// A file's data blocks: byte address and size word of each.
pub type BlockList = Vec<(u64, BlockSize)>;

impl SquashFs {
    /// The data blocks of a file, read from the list after its inode.
    pub(super) fn block_list(&self, inode: &Inode) -> Result<BlockList> {
        let count = inode.block_count(self.sb.block_log);
        let end = self.sb.directory_table_start;
        let mut pos: MetaPos = inode.block_list;
        let mut addr = inode.blocks_start;
        // Each entry takes 4 bytes of the inode table: the reads fail at its end long before
        // an absurd count could exhaust memory.
        let mut out = Vec::new();
        for _ in 0..count {
            let size = BlockSize(self.meta_u32(&mut pos, end)?);
            if size.on_disk() > self.sb.block_size {
                return Err(corrupt(format!(
                    "inode {}: data block of {} bytes, larger than the block size",
                    inode.ino,
                    size.on_disk()
                )));
            }
            out.push((addr, size));
            addr = addr.saturating_add(u64::from(size.on_disk()));
        }
        Ok(out)
    }

    /// The decompressed data block at `addr` (at most the block size, cached).
    fn data_block(&self, addr: u64, size: BlockSize) -> Result<Arc<Vec<u8>>> {
        if let Some(b) = self.cache.data(addr) {
            return Ok(b);
        }
        let len = size.on_disk();
        if len == 0 || len > self.sb.block_size {
            return Err(corrupt(format!(
                "data block at byte {}: bad size {}",
                addr, len
            )));
        }
        let mut raw = vec![0u8; len as usize];
        if addr.saturating_add(u64::from(len)) > self.sb.bytes_used {
            return Err(corrupt(format!(
                "data block at byte {} ({} bytes) past the filesystem's end",
                addr, len
            )));
        }
        self.read_bytes(addr, &mut raw, "data block")?;
        let data = if size.compressed() {
            self.sb
                .compressor
                .decompress(&raw, self.sb.block_size as usize, self.sb.xz_dict)
                .map_err(|e| e.context(&format!("data block at byte {}", addr)))?
        } else {
            raw
        };
        let data = Arc::new(data);
        self.cache.put_data(addr, data.clone());
        Ok(data)
    }

    /// Copies the file's bytes at `offset` into `buf`; returns how many (0 at the end).
    pub(super) fn read_data(&self, inode: &Inode, offset: u64, buf: &mut [u8]) -> Result<usize> {
        if offset >= inode.size || buf.is_empty() {
            return Ok(0);
        }
        let n = (buf.len() as u64).min(inode.size - offset) as usize;
        let blocks = self.cached_block_list(inode)?;
        let bs = u64::from(self.sb.block_size);
        let mut done = 0usize;
        while done < n {
            let pos = offset + done as u64;
            let index = pos >> self.sb.block_log;
            let block_start = index << self.sb.block_log;
            // The bytes of this block that belong to the file.
            let expected = (inode.size - block_start).min(bs) as usize;
            let within = (pos - block_start) as usize;
            let take = (expected - within).min(n - done);
            let dst = &mut buf[done..done + take];
            if let Some(&(addr, size)) = blocks.get(index as usize) {
                if size.on_disk() == 0 {
                    dst.fill(0);
                } else {
                    let data = self.data_block(addr, size)?;
                    let src = data.get(within..within + take).ok_or_else(|| {
                        corrupt(format!(
                            "inode {}: data block at byte {} holds {} bytes, {} expected",
                            inode.ino,
                            addr,
                            data.len(),
                            expected
                        ))
                    })?;
                    dst.copy_from_slice(src);
                }
            } else if inode.fragment != INVALID_FRAG {
                let (addr, size) = self.fragment(inode.fragment)?;
                let data = self.data_block(addr, size)?;
                let from = inode.frag_offset as usize + within;
                let src = data.get(from..from + take).ok_or_else(|| {
                    corrupt(format!(
                        "inode {}: tail past the end of fragment {}",
                        inode.ino, inode.fragment
                    ))
                })?;
                dst.copy_from_slice(src);
            } else {
                return Err(corrupt(format!(
                    "inode {}: no block for byte {}",
                    inode.ino, pos
                )));
            }
            done += take;
        }
        Ok(n)
    }
}
