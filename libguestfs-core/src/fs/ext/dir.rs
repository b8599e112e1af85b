//! Directory entries (`struct ext4_dir_entry_2`) in directory blocks and inline directories.
//!
//! Linear and htree directories are read the same way: the htree root hides its index inside
//! the `..` entry's record and interior index blocks are one empty entry spanning the block, so
//! reading leaves linearly and skipping entries with inode 0 gives every name. Entries are
//! checked like `ext4_check_dir_entry`; a bad entry ends its block, as in the kernel's readdir.

use crate::bytes::{try_slice, Fixed};
use crate::fs::crc32c::crc32c;
use crate::fs::FileType;

/// One entry as stored.
pub struct RawEntry<'a> {
    pub inode: u32,
    pub name: &'a [u8],
    pub file_type: u8,
}

/// `ext4_dir_rec_len`: the space an entry with this name needs.
fn rec_len_for(name_len: usize) -> usize {
    (name_len + 8 + 3) & !3
}

/// `ext4_rec_len_from_disk`, with e2fsprogs' encoding of 64 KiB records.
pub fn rec_len_from_disk(raw: u16, block_size: usize) -> usize {
    if block_size < 65536 {
        return usize::from(raw);
    }
    if raw == 0xffff || raw == 0 {
        return block_size;
    }
    usize::from(raw & 0xfffc) | (usize::from(raw & 3) << 16)
}

/// Walks the entries of one directory block (or inline area) `buf`, calling `f` for each
/// entry with a non-zero inode until it returns false. Stops silently at the first invalid
/// entry (with the kernel's checks, down to a `.` that ends the block). `block_size` decodes record lengths; `inodes_count` bounds inode numbers.
pub fn for_each_entry<'a>(
    buf: &'a [u8],
    block_size: usize,
    inodes_count: u64,
    mut f: impl FnMut(RawEntry<'a>) -> bool,
) {
    let size = buf.len();
    let mut off = 0usize;
    while let Some(header) = Fixed::<8>::at(buf, off) {
        let inode = header.le32::<0>();
        let rlen = rec_len_from_disk(header.le16::<4>(), block_size);
        let name_len = usize::from(header.u8::<6>());
        let file_type = header.u8::<7>();
        let next = off + rlen;
        let name = try_slice(buf, off + 8, name_len);
        if rlen < rec_len_for(1)
            || !rlen.is_multiple_of(4)
            || rlen < rec_len_for(name_len)
            || next > size
            || (next > size.saturating_sub(rec_len_for(1)) && next != size)
            || u64::from(inode) > inodes_count
            || (next == size && name == Some(b"."))
        {
            return;
        }
        // The checks above keep the name inside the record.
        let Some(name) = name else { return };
        let entry = RawEntry {
            inode,
            name,
            file_type,
        };
        if inode != 0 && !f(entry) {
            return;
        }
        off = next;
    }
}

/// The size of `struct ext4_dir_entry_tail`, the checksum record ending a leaf block.
const TAIL_SIZE: usize = 12;
/// Its `det_reserved_ft`.
const TAIL_FILE_TYPE: u8 = 0xde;

/// How a directory block stands against its checksum (`ext4_dirblock_csum_verify`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockChecksum {
    Good,
    Bad,
    /// No checksum record at its end: an htree index block, or damage.
    Missing,
}

/// Checks a leaf block's checksum record: CRC-32C over the block before the record, seeded
/// with the filesystem seed, then the directory's inode number and generation.
pub fn leaf_checksum(block: &[u8], csum_seed: u32, ino: u32, generation: u32) -> BlockChecksum {
    let Some(data_len) = block.len().checked_sub(TAIL_SIZE) else {
        return BlockChecksum::Missing;
    };
    let Some(tail) = Fixed::<TAIL_SIZE>::at(block, data_len) else {
        return BlockChecksum::Missing;
    };
    if tail.le32::<0>() != 0
        || usize::from(tail.le16::<4>()) != TAIL_SIZE
        || tail.u8::<6>() != 0
        || tail.u8::<7>() != TAIL_FILE_TYPE
    {
        return BlockChecksum::Missing;
    }
    let seed = crc32c(
        crc32c(csum_seed, &ino.to_le_bytes()),
        &generation.to_le_bytes(),
    );
    if crc32c(seed, &block[..data_len]) == tail.le32::<8>() {
        BlockChecksum::Good
    } else {
        BlockChecksum::Bad
    }
}

/// Whether a block of an htree directory is one of its index blocks, which carry no leaf
/// checksum: the root (logical block 0) or a node (one empty entry spanning the block).
pub fn is_htree_index(block: &[u8], logical: u64) -> bool {
    logical == 0
        || Fixed::<8>::new(block).is_some_and(|e| {
            e.le32::<0>() == 0 && rec_len_from_disk(e.le16::<4>(), block.len()) == block.len()
        })
}

/// The file type an entry's `file_type` byte means (`get_dtype`); without the filetype
/// feature the byte is meaningless.
pub fn file_type(byte: u8, filetype_feature: bool) -> FileType {
    if !filetype_feature {
        return FileType::Unknown;
    }
    FileType::from_dirent_type(byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(buf: &mut Vec<u8>, ino: u32, rec_len: u16, name: &[u8], ft: u8) {
        let start = buf.len();
        buf.extend_from_slice(&ino.to_le_bytes());
        buf.extend_from_slice(&rec_len.to_le_bytes());
        buf.push(name.len() as u8);
        buf.push(ft);
        buf.extend_from_slice(name);
        buf.resize(start + rec_len as usize, 0);
    }

    #[test]
    fn stops_at_a_bad_entry_and_skips_empty_ones() {
        let mut b = Vec::new();
        entry(&mut b, 2, 12, b".", 2);
        entry(&mut b, 0, 12, b"", 0);
        entry(&mut b, 12, 16, b"hello", 1);
        entry(&mut b, 13, 8, b"x", 1); // rec_len too small: ends the block
        b.resize(64, 0);
        let mut names = Vec::new();
        for_each_entry(&b, 1024, 100, |e| {
            names.push((e.inode, e.name.to_vec()));
            true
        });
        assert_eq!(names, vec![(2, b".".to_vec()), (12, b"hello".to_vec())]);
    }

    #[test]
    fn big_block_record_lengths() {
        assert_eq!(rec_len_from_disk(0, 65536), 65536);
        assert_eq!(rec_len_from_disk(0xffff, 65536), 65536);
        assert_eq!(rec_len_from_disk(12, 65536), 12);
        assert_eq!(rec_len_from_disk(0xfffd, 65536), 0x1fffc);
        assert_eq!(rec_len_from_disk(4096, 4096), 4096);
    }
}
