//! Directories: a listing in the directory table made of runs, each a header (the entry
//! count less one, the metadata block of the entries' inodes, a base inode number) and
//! entries (offset of the inode in that block, inode number delta, type, name). Entries are
//! sorted by name (mksquashfs sorts them), which is the order readdir gives. Extended
//! directories carry an index (name of the first entry of each metadata block) that lookups
//! use to skip ahead.

use super::inode::{Inode, InodeRef};
use super::metadata::MetaPos;
use super::superblock::METADATA_SIZE;
use super::{corrupt, SquashFs};
use crate::error::Result;
use crate::fs::FileType;

/// `SQUASHFS_DIR_COUNT`, `SQUASHFS_NAME_LEN`: limits the kernel enforces.
const DIR_COUNT: u32 = 256;
pub const NAME_LEN: usize = 256;
/// The listing size counts 3 bytes for `.` and `..`, which are not stored.
const DOTS_SIZE: u64 = 3;

pub struct Entry {
    pub name: Vec<u8>,
    pub ino: u32,
    pub inode_ref: InodeRef,
    pub file_type: FileType,
}

fn file_type(t: u16) -> Result<FileType> {
    Ok(match t {
        1 => FileType::Directory,
        2 => FileType::Regular,
        3 => FileType::Symlink,
        4 => FileType::BlockDevice,
        5 => FileType::CharDevice,
        6 => FileType::Fifo,
        7 => FileType::Socket,
        other => {
            return Err(corrupt(format!(
                "directory entry of unknown type {}",
                other
            )))
        }
    })
}

impl SquashFs {
    /// The entries of a directory in readdir's order (`squashfs_readdir`). With `stop_at`,
    /// reading starts at the index entry that precedes that name and ends once names sort
    /// after it (a lookup).
    pub(super) fn dir_entries(&self, dir: &Inode, stop_at: Option<&[u8]>) -> Result<Vec<Entry>> {
        let end = self.sb.bytes_used;
        let mut pos = dir.dir_start;
        let mut length = DOTS_SIZE;
        if let Some(name) = stop_at {
            if dir.index_count > 0 {
                (pos, length) = self.dir_index_seek(dir, name)?;
            }
        }
        let mut out = Vec::new();
        while length < dir.size {
            let mut hdr = [0u8; 12];
            self.meta_read(&mut pos, &mut hdr, end)?;
            length += 12;
            let count = u32::from_le_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]).wrapping_add(1);
            let start = u64::from(u32::from_le_bytes([hdr[4], hdr[5], hdr[6], hdr[7]]));
            let base = u32::from_le_bytes([hdr[8], hdr[9], hdr[10], hdr[11]]);
            if count > DIR_COUNT || count == 0 {
                return Err(corrupt(format!("directory run of {} entries", count)));
            }
            for _ in 0..count {
                let mut e = [0u8; 8];
                self.meta_read(&mut pos, &mut e, end)?;
                let offset = u16::from_le_bytes([e[0], e[1]]);
                let delta = i16::from_le_bytes([e[2], e[3]]);
                let ftype = file_type(u16::from_le_bytes([e[4], e[5]]))?;
                let size = usize::from(u16::from_le_bytes([e[6], e[7]])) + 1;
                if size > NAME_LEN {
                    return Err(corrupt(format!("directory entry name of {} bytes", size)));
                }
                let name = self.meta_vec(&mut pos, size, end)?;
                length += 8 + size as u64;
                if let Some(want) = stop_at {
                    if name.as_slice() > want {
                        return Ok(out);
                    }
                }
                out.push(Entry {
                    name,
                    ino: base.wrapping_add(delta as i32 as u32),
                    inode_ref: (start << 16) | u64::from(offset),
                    file_type: ftype,
                });
            }
        }
        Ok(out)
    }

    /// Where to start reading for `name`: the last index entry whose name sorts at or before
    /// it (`get_dir_index_using_name`). Returns the position and the listing bytes before.
    fn dir_index_seek(&self, dir: &Inode, name: &[u8]) -> Result<(MetaPos, u64)> {
        let end = self.sb.directory_table_start;
        let mut ipos = dir.index_pos;
        let mut best = (dir.dir_start, DOTS_SIZE);
        for _ in 0..dir.index_count {
            let index = self.meta_u32(&mut ipos, end)?;
            let start = self.meta_u32(&mut ipos, end)?;
            let size = self.meta_u32(&mut ipos, end)? as usize + 1;
            if size > NAME_LEN {
                return Err(corrupt(format!("directory index name of {} bytes", size)));
            }
            let iname = self.meta_vec(&mut ipos, size, end)?;
            if iname.as_slice() > name {
                break;
            }
            let length = u64::from(index) + DOTS_SIZE;
            if length >= dir.size {
                return Err(corrupt("directory index past the directory's end"));
            }
            best = (
                MetaPos {
                    block: self.sb.directory_table_start + u64::from(start),
                    // The index counts bytes from the listing's start, which need not be
                    // at a block's start.
                    offset: ((u64::from(index) + dir.dir_start.offset as u64)
                        % METADATA_SIZE as u64) as usize,
                },
                length,
            );
        }
        Ok(best)
    }
}
