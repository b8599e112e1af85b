//! Fuzz inputs that describe a disk image sparsely, so that mutations land on the structures
//! of real images (a few kilobytes in a multi-megabyte volume) rather than on zeros:
//!
//! `[u32 LE size in KiB]` then chunks of `[u32 LE byte offset][u16 LE length][bytes]`; bytes not
//! covered read as zero. Seeds are made from real images with `fuzz/make_seeds.py`.

use guestfs::block::{check_range, BlockDevice};
use std::collections::BTreeMap;
use std::io;

/// The largest device a fuzz input may describe.
const MAX_SIZE: u64 = 64 << 20;

pub struct SparseImage {
    size: u64,
    chunks: BTreeMap<u64, Vec<u8>>,
}

impl SparseImage {
    pub fn parse(data: &[u8]) -> Option<SparseImage> {
        if data.len() < 4 {
            return None;
        }
        let size = (u64::from(u32::from_le_bytes([data[0], data[1], data[2], data[3]])) << 10).min(MAX_SIZE);
        let mut chunks = BTreeMap::new();
        let mut p = 4;
        while p + 6 <= data.len() {
            let off = u64::from(u32::from_le_bytes([data[p], data[p + 1], data[p + 2], data[p + 3]]));
            let len = usize::from(u16::from_le_bytes([data[p + 4], data[p + 5]]));
            p += 6;
            let end = (p + len).min(data.len());
            if off < size {
                let keep = ((size - off) as usize).min(end - p);
                chunks.insert(off, data[p..p + keep].to_vec());
            }
            p = end;
        }
        Some(SparseImage { size, chunks })
    }
}

impl BlockDevice for SparseImage {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        check_range(self.size, offset, buf.len())?;
        buf.fill(0);
        let end = offset + buf.len() as u64;
        // Later chunks overwrite earlier ones where they overlap.
        for (&start, bytes) in self.chunks.range(..end) {
            let cend = start + bytes.len() as u64;
            if cend <= offset {
                continue;
            }
            let from = start.max(offset);
            let to = cend.min(end);
            buf[(from - offset) as usize..(to - offset) as usize]
                .copy_from_slice(&bytes[(from - start) as usize..(to - start) as usize]);
        }
        Ok(())
    }
}
