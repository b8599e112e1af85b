//! `Read + Seek` over a block device, for the `ntfs` crate.

use super::*;

/// `Read + Seek` over a [`BlockDevice`], with a one-block cache for the crate's small reads.
pub(super) struct DevCursor<'a> {
    pub(super) dev: &'a dyn BlockDevice,
    pub(super) pos: u64,
    pub(super) cache_start: u64,
    pub(super) cache: Vec<u8>,
}

pub(super) const CURSOR_BLOCK: u64 = 4096;

impl<'a> DevCursor<'a> {
    pub(super) fn new(dev: &'a dyn BlockDevice) -> DevCursor<'a> {
        DevCursor {
            dev,
            pos: 0,
            cache_start: 0,
            cache: Vec::new(),
        }
    }
}

impl Read for DevCursor<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = self.dev.size();
        if self.pos >= size || buf.is_empty() {
            return Ok(0);
        }
        let n = (size - self.pos).min(buf.len() as u64) as usize;
        if n as u64 >= CURSOR_BLOCK {
            self.dev.read_exact_at(&mut buf[..n], self.pos)?;
            self.pos += n as u64;
            return Ok(n);
        }
        let in_cache =
            self.pos >= self.cache_start && self.pos < self.cache_start + self.cache.len() as u64;
        if !in_cache {
            let start = self.pos - self.pos % CURSOR_BLOCK;
            let len = CURSOR_BLOCK.min(size - start) as usize;
            self.cache.resize(len, 0);
            self.dev.read_exact_at(&mut self.cache, start)?;
            self.cache_start = start;
        }
        let off = (self.pos - self.cache_start) as usize;
        let n = n.min(self.cache.len() - off);
        buf[..n].copy_from_slice(&self.cache[off..off + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for DevCursor<'_> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let new = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(d) => self.dev.size().checked_add_signed(d),
        };
        match new {
            Some(p) => {
                self.pos = p;
                Ok(p)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek to a negative or overflowing offset",
            )),
        }
    }
}
