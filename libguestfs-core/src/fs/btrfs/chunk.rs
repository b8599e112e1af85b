//! The chunk map: logical addresses to offsets on the one device. The system chunks come
//! from the superblock's `sys_chunk_array`, the others from the chunk tree (read through the
//! system chunks). Only the SINGLE and DUP profiles are read (DUP's two copies are equal, the
//! first is used); any striped or mirrored profile across devices is refused.

use super::{corrupt, Key};
use crate::bytes::{le16, le64, try_slice};
use crate::error::{Error, Result};
use std::collections::BTreeMap;

pub const CHUNK_ITEM_KEY: u8 = 228;
const CHUNK_ITEM_SIZE: usize = 48;
const STRIPE_SIZE: usize = 32;

pub const BLOCK_GROUP_DATA: u64 = 1 << 0;
pub const BLOCK_GROUP_DUP: u64 = 1 << 5;
/// RAID0, RAID1, RAID10, RAID5, RAID6, RAID1C3, RAID1C4.
const BLOCK_GROUP_MULTI_DEVICE: u64 =
    (1 << 3) | (1 << 4) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10);

/// One chunk: `length` logical bytes from its key's offset, stored at `physical` (and, for
/// DUP, again at `copy`).
#[derive(Debug, Clone, Copy)]
pub struct Chunk {
    pub length: u64,
    pub physical: u64,
    pub copy: Option<u64>,
}

#[derive(Debug, Default)]
pub struct ChunkMap {
    chunks: BTreeMap<u64, Chunk>,
}

impl ChunkMap {
    /// Adds the chunk item `data` at logical address `logical`, checking that it fits on a
    /// device of `dev_size` bytes and overlaps no other chunk.
    pub fn add(&mut self, logical: u64, data: &[u8], dev_size: u64) -> Result<()> {
        if data.len() < CHUNK_ITEM_SIZE + STRIPE_SIZE {
            return Err(corrupt(format_args!("chunk {}: item too short", logical)));
        }
        let length = le64(data, 0);
        let flags = le64(data, 24);
        let num_stripes = le16(data, 44);
        if flags & BLOCK_GROUP_MULTI_DEVICE != 0 {
            return Err(Error::new(
                libc::ENOTSUP,
                format!(
                    "btrfs: chunk profile {:#x} (only SINGLE and DUP are read natively)",
                    flags
                ),
            ));
        }
        let want = if flags & BLOCK_GROUP_DUP != 0 { 2 } else { 1 };
        if num_stripes != want {
            return Err(corrupt(format_args!(
                "chunk {}: {} stripes",
                logical, num_stripes
            )));
        }
        let physical = le64(data, CHUNK_ITEM_SIZE + 8);
        let copy = (want == 2).then(|| le64(data, CHUNK_ITEM_SIZE + STRIPE_SIZE + 8));
        let end = logical.checked_add(length);
        let outside = |p: u64| p.checked_add(length).is_none_or(|e| e > dev_size);
        if length == 0 || end.is_none() || outside(physical) || copy.is_some_and(outside) {
            return Err(corrupt(format_args!(
                "chunk {} (+{}) at {} outside the device",
                logical, length, physical
            )));
        }
        if let Some((s, c)) = self.chunks.range(..=logical).next_back() {
            if s + c.length > logical && *s != logical {
                return Err(corrupt(format_args!(
                    "chunk {} overlaps chunk {}",
                    logical, s
                )));
            }
            if *s == logical {
                return Ok(());
            }
        }
        if let Some((s, _)) = self.chunks.range(logical..).next() {
            if end.is_some_and(|e| e > *s) {
                return Err(corrupt(format_args!(
                    "chunk {} overlaps chunk {}",
                    logical, s
                )));
            }
        }
        self.chunks.insert(
            logical,
            Chunk {
                length,
                physical,
                copy,
            },
        );
        Ok(())
    }

    /// Loads the superblock's system chunk array.
    pub fn from_sys_array(array: &[u8], dev_size: u64) -> Result<ChunkMap> {
        let mut map = ChunkMap::default();
        let mut off = 0;
        while off < array.len() {
            let key = try_slice(array, off, Key::SIZE)
                .map(Key::parse)
                .ok_or_else(|| corrupt("sys_chunk_array truncated"))?;
            off += Key::SIZE;
            let stripes = usize::from(le16(array, off + 44));
            let len = CHUNK_ITEM_SIZE + stripes * STRIPE_SIZE;
            let item =
                try_slice(array, off, len).ok_or_else(|| corrupt("sys_chunk_array truncated"))?;
            if key.ty != CHUNK_ITEM_KEY {
                return Err(corrupt("sys_chunk_array: not a chunk item"));
            }
            map.add(key.offset, item, dev_size)?;
            off += len;
        }
        Ok(map)
    }

    /// The device offset of `len` bytes at logical address `logical`, all in one chunk.
    pub fn map(&self, logical: u64, len: u64) -> Option<u64> {
        self.mirrors(logical, len).map(|m| m[0])
    }

    /// The device offsets of each copy of `len` bytes at `logical` (two for DUP).
    pub fn mirrors(&self, logical: u64, len: u64) -> Option<[u64; 2]> {
        let (start, c) = self.chunks.range(..=logical).next_back()?;
        let within = logical - start;
        if within.checked_add(len)? > c.length {
            return None;
        }
        let first = c.physical.checked_add(within)?;
        Some([first, c.copy.map_or(first, |p| p + within)])
    }

    pub fn chunks(&self) -> impl Iterator<Item = (&u64, &Chunk)> {
        self.chunks.iter()
    }
}
