//! A writer that counts the bytes it passes on, for the records that report a size.

use std::io::Write;

pub struct CountingWriter<W: Write> {
    inner: W,
    /// Bytes written so far.
    pub count: u64,
}

impl<W: Write> CountingWriter<W> {
    pub fn new(inner: W) -> CountingWriter<W> {
        CountingWriter { inner, count: 0 }
    }
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
