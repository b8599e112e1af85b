//! File extents (`EXTENT_DATA` items): inline data, regular extents (maybe compressed),
//! preallocated extents (read as zeros) and holes (no item, or a zero disk address).

use super::compress::COMPRESS_NONE;
use super::corrupt;
use crate::bytes::{le64, u8_at};
use crate::error::{Error, Result};

pub const EXTENT_DATA_KEY: u8 = 108;
const INLINE_DATA_START: usize = 21;
const REGULAR_SIZE: usize = 53;
/// `BTRFS_MAX_UNCOMPRESSED`: a compressed extent never holds more.
pub const MAX_UNCOMPRESSED: u64 = 128 * 1024;

#[derive(Debug, Clone)]
pub enum Data {
    /// Bytes stored in the item (maybe compressed), `ram_bytes` once decompressed.
    Inline {
        compression: u8,
        ram_bytes: u64,
        bytes: Vec<u8>,
    },
    /// `disk_num_bytes` at `disk_bytenr`; the file sees bytes from `offset` of the extent
    /// (after decompression when compressed).
    Regular {
        compression: u8,
        disk_bytenr: u64,
        disk_num_bytes: u64,
        offset: u64,
        ram_bytes: u64,
    },
    /// Preallocated, or a hole: zeros.
    Zeros,
}

/// One extent of a file: `len` bytes at file offset `off`.
#[derive(Debug, Clone)]
pub struct FileExtent {
    pub off: u64,
    pub len: u64,
    pub data: Data,
}

impl FileExtent {
    pub fn end(&self) -> u64 {
        self.off.saturating_add(self.len)
    }

    pub fn parse(ino: u64, off: u64, b: &[u8]) -> Result<FileExtent> {
        let bad = |what: &str| corrupt(format_args!("inode {}: extent at {}: {}", ino, off, what));
        if b.len() < INLINE_DATA_START {
            return Err(bad("item too short"));
        }
        let ram_bytes = le64(b, 8);
        let compression = u8_at(b, 16);
        if u8_at(b, 17) != 0 || b[18] != 0 || b[19] != 0 {
            return Err(Error::new(
                libc::EIO,
                format!("btrfs: inode {}: encrypted or encoded extent", ino),
            ));
        }
        let kind = u8_at(b, 20);
        if compression > super::compress::COMPRESS_ZSTD {
            return Err(bad("unknown compression"));
        }
        if kind == 0 {
            let bytes = b[INLINE_DATA_START..].to_vec();
            if compression == COMPRESS_NONE && ram_bytes != bytes.len() as u64 {
                return Err(bad("inline size mismatch"));
            }
            if ram_bytes > MAX_UNCOMPRESSED {
                return Err(bad("inline extent too large"));
            }
            return Ok(FileExtent {
                off,
                len: ram_bytes,
                data: Data::Inline {
                    compression,
                    ram_bytes,
                    bytes,
                },
            });
        }
        if b.len() < REGULAR_SIZE || kind > 2 {
            return Err(bad("bad extent item"));
        }
        let disk_bytenr = le64(b, 21);
        let disk_num_bytes = le64(b, 29);
        let offset = le64(b, 37);
        let num_bytes = le64(b, 45);
        let data = if kind == 2 || disk_bytenr == 0 {
            Data::Zeros
        } else {
            if compression != COMPRESS_NONE
                && (ram_bytes > MAX_UNCOMPRESSED || disk_num_bytes > MAX_UNCOMPRESSED)
            {
                return Err(bad("compressed extent too large"));
            }
            Data::Regular {
                compression,
                disk_bytenr,
                disk_num_bytes,
                offset,
                ram_bytes,
            }
        };
        Ok(FileExtent {
            off,
            len: num_bytes,
            data,
        })
    }
}
