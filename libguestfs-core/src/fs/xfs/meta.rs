//! One metadata structure read from the device, with field readers that fail, naming the
//! structure, when a field lies past its end (instead of reading zeros).

use crate::bytes::{try_be16, try_be32, try_be64, try_le32, try_slice};
use crate::error::{Error, Result};
use std::fmt::Display;

/// A corruption error: EIO with a message saying what is wrong and where.
pub fn corrupt(what: impl Display) -> Error {
    Error::corrupt(format!("xfs: {}", what))
}

/// Bytes of one on-disk structure and what they are (for error messages).
pub struct Meta<'a> {
    pub data: &'a [u8],
    what: &'a dyn Fn() -> String,
}

impl<'a> Meta<'a> {
    pub fn new(data: &'a [u8], what: &'a dyn Fn() -> String) -> Meta<'a> {
        Meta { data, what }
    }

    /// A corruption error about this structure.
    pub fn err(&self, msg: impl Display) -> Error {
        corrupt(format!("{}: {}", (self.what)(), msg))
    }

    fn short(&self, off: usize, len: usize) -> Error {
        self.err(format_args!(
            "{} bytes at offset {} lie past its end ({} bytes)",
            len,
            off,
            self.data.len()
        ))
    }

    pub fn u8(&self, off: usize) -> Result<u8> {
        self.data
            .get(off)
            .copied()
            .ok_or_else(|| self.short(off, 1))
    }

    pub fn be16(&self, off: usize) -> Result<u16> {
        try_be16(self.data, off).ok_or_else(|| self.short(off, 2))
    }

    pub fn be32(&self, off: usize) -> Result<u32> {
        try_be32(self.data, off).ok_or_else(|| self.short(off, 4))
    }

    pub fn be64(&self, off: usize) -> Result<u64> {
        try_be64(self.data, off).ok_or_else(|| self.short(off, 8))
    }

    pub fn slice(&self, off: usize, len: usize) -> Result<&'a [u8]> {
        try_slice(self.data, off, len).ok_or_else(|| self.short(off, len))
    }
}

/// Whether the CRC-32C of `data`, its stored checksum at `crc_off` counted as zeros, is the
/// little-endian value stored there (`xfs_verify_cksum`).
pub fn crc_ok(data: &[u8], crc_off: usize) -> bool {
    use crate::fs::crc32c::crc32c;
    let (Some(head), Some(stored), Some(tail)) = (
        data.get(..crc_off),
        try_le32(data, crc_off),
        crc_off.checked_add(4).and_then(|e| data.get(e..)),
    ) else {
        return false;
    };
    let crc = crc32c(crc32c(crc32c(!0, head), &[0; 4]), tail);
    !crc == stored
}
