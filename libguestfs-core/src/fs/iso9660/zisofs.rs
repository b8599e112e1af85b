//! Transparently compressed files (RRIP ZF, algorithm `pz`: zisofs), decompressed as the
//! kernel's zisofs code does: a table of block pointers after a header, each block a zlib
//! stream of at most 2^shift bytes of data, equal pointers meaning a block of zeros.

use super::inode::Inode;
use super::{corrupt, Iso9660Fs};
use crate::bytes::Fixed;
use crate::error::Result;
use std::io::Read;

/// A compressed block larger than this is corruption (zlib never grows data by that much).
fn max_compressed(block_size: usize) -> usize {
    block_size * 2 + 1024
}

/// Reads `len` bytes of the file's stored (compressed) data at `pos`.
fn stored(fs: &Iso9660Fs, inode: &Inode, pos: u64, len: usize) -> Result<Vec<u8>> {
    let mut raw = Inode {
        zisofs: None,
        size: u64::MAX,
        ..inode.clone()
    };
    // The stored data is as long as the record's sections say.
    raw.size = inode.sections.iter().map(|s| s.size).sum();
    let mut buf = vec![0u8; len];
    let n = fs.read_data(&raw, pos, &mut buf)?;
    if n < len {
        return Err(corrupt(format!(
            "inode {}: compressed data ends at byte {}",
            inode.ino,
            pos + n as u64
        )));
    }
    Ok(buf)
}

/// Decompressed data of `inode` at `offset` into `buf`.
pub fn read(
    fs: &Iso9660Fs,
    inode: &Inode,
    (header_words, shift): (u8, u8),
    offset: u64,
    buf: &mut [u8],
) -> Result<usize> {
    if offset >= inode.size || buf.is_empty() {
        return Ok(0);
    }
    let block_size = 1usize << shift;
    let n = (buf.len() as u64).min(inode.size - offset) as usize;
    let table = u64::from(header_words) * 4;
    let mut done = 0;
    while done < n {
        let pos = offset + done as u64;
        let blk = pos >> shift;
        let ptrs = stored(fs, inode, table + blk * 4, 8)?;
        let ptrs = Fixed::<8>::new(&ptrs).ok_or_else(|| corrupt("short block pointers"))?;
        let (start, end) = (ptrs.le32::<0>(), ptrs.le32::<4>());
        let mut data = vec![0u8; block_size];
        if end > start {
            let clen = (end - start) as usize;
            if clen > max_compressed(block_size) {
                return Err(corrupt(format!(
                    "inode {}: compressed block {} is {} bytes",
                    inode.ino, blk, clen
                )));
            }
            let comp = stored(fs, inode, u64::from(start), clen)?;
            let mut dec = flate2::read::ZlibDecoder::new(&comp[..]).take(block_size as u64);
            let mut out = Vec::with_capacity(block_size);
            dec.read_to_end(&mut out)
                .map_err(|e| corrupt(format!("inode {}: block {}: {}", inode.ino, blk, e)))?;
            data[..out.len()].copy_from_slice(&out);
        } else if end < start {
            return Err(corrupt(format!(
                "inode {}: block pointers of block {} go backwards",
                inode.ino, blk
            )));
        }
        let in_block = (pos % block_size as u64) as usize;
        let len = (block_size - in_block).min(n - done);
        buf[done..done + len].copy_from_slice(&data[in_block..in_block + len]);
        done += len;
    }
    Ok(n)
}
