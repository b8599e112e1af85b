//! A fuzz input held in memory as a block device.

use guestfs::block::{check_range, BlockDevice};
use std::io;

/// The image bytes, held in memory.
pub struct Mem(pub Vec<u8>);

impl BlockDevice for Mem {
    fn size(&self) -> u64 {
        self.0.len() as u64
    }
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        check_range(self.size(), offset, buf.len())?;
        let start = offset as usize;
        buf.copy_from_slice(&self.0[start..start + buf.len()]);
        Ok(())
    }
}
