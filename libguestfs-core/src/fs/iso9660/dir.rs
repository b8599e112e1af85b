//! Directories read as `do_isofs_readdir` reads them: records in on-disk order, a zero
//! length byte skipping to the next 2048-byte sector, multi-extent files listed once (under
//! the first record's inode, the last record's name), associated files hidden, names from
//! Rock Ridge NM, else Joliet, else the mapped plain name.

use super::inode::Inode;
use super::record::{
    joliet_name, translate_name, Record, FIXED_LEN, FLAG_ASSOCIATED, FLAG_MULTI_EXTENT,
};
use super::{corrupt, rock, Iso9660Fs, Loc, Rock, BLOCK};
use crate::error::Result;

/// One named entry: its name and where the kernel's inode for it lives.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: Vec<u8>,
    pub loc: Loc,
}

/// Where a record's inode lives: directories at their own `.` record (offset 0 of their
/// data), everything else at the record itself (`isofs_normalize_block_and_offset`).
fn normalize(rec: &Record, at: Loc) -> Loc {
    if rec.is_dir() {
        Loc::new(rec.data_start(), 0)
    } else {
        at
    }
}

/// The entries of `dir` without `.` and `..`.
pub fn read(fs: &Iso9660Fs, dir: &Inode) -> Result<Vec<Entry>> {
    let start = dir.first_extent();
    let size = dir.size;
    let nblocks = size.div_ceil(BLOCK);
    if start.saturating_add(nblocks) > fs.device_blocks() {
        return Err(corrupt(format!(
            "directory at block {} ({} bytes) extends beyond the image",
            start, size
        )));
    }
    let mut out = Vec::new();
    let mut pos = 0u64;
    let mut first: Option<Loc> = None;
    while pos < size {
        let block_no = start + pos / BLOCK;
        let off = (pos % BLOCK) as usize;
        let block = fs.block(block_no)?;
        // A record's first byte is its length; zero pads the rest of the block.
        let len = usize::from(block.get(off).copied().unwrap_or(0));
        if len == 0 {
            pos = (pos / BLOCK + 1) * BLOCK;
            continue;
        }
        let at = Loc::new(block_no, off as u32);
        let rec = fs.record_at_len(at, len)?;
        if len < rec.name_len() + FIXED_LEN {
            return Err(corrupt(format!(
                "directory record at block {} offset {}: name beyond the record",
                block_no, off
            )));
        }
        pos += len as u64;
        let ino_loc = *first.get_or_insert(normalize(&rec, at));
        if rec.flags() & FLAG_MULTI_EXTENT != 0 {
            continue;
        }
        first = None;
        if rec.is_dot() || rec.is_dotdot() || rec.flags() & FLAG_ASSOCIATED != 0 {
            continue;
        }
        let name = match fs.rock {
            Rock::No => None,
            _ => match rock::name(fs, &fs.rock_area(&rec, 0)) {
                None => continue,
                Some(n) => n,
            },
        };
        let name = match name {
            Some(n) => n,
            None if fs.joliet => joliet_name(rec.name()),
            None => translate_name(rec.name()),
        };
        if !name.is_empty() {
            out.push(Entry { name, loc: ino_loc });
        }
    }
    Ok(out)
}
