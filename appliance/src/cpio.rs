//! A writer of "newc" cpio archives, the format the Linux kernel unpacks as an initramfs.

use std::io::{self, Write};

pub struct CpioWriter<W: Write> {
    out: W,
    ino: u32,
    written: u64,
}

pub const S_IFDIR: u32 = 0o040000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFCHR: u32 = 0o020000;

impl<W: Write> CpioWriter<W> {
    pub fn new(out: W) -> CpioWriter<W> {
        CpioWriter {
            out,
            ino: 1,
            written: 0,
        }
    }

    fn pad(&mut self) -> io::Result<()> {
        let pad = ((4 - self.written % 4) % 4) as usize;
        self.write_raw(&[0u8; 3][..pad])
    }

    fn write_raw(&mut self, b: &[u8]) -> io::Result<()> {
        self.out.write_all(b)?;
        self.written += b.len() as u64;
        Ok(())
    }

    fn header(&mut self, name: &str, mode: u32, size: u64, rdev: (u32, u32)) -> io::Result<()> {
        if size > u32::MAX as u64 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{}: file too large for cpio", name),
            ));
        }
        let nlink = if mode & 0o170000 == S_IFDIR { 2 } else { 1 };
        let fields = [
            self.ino,
            mode,
            0,
            0,
            nlink,
            0,
            size as u32,
            0,
            0,
            rdev.0,
            rdev.1,
            name.len() as u32 + 1,
            0,
        ];
        self.ino += 1;
        let mut h = String::from("070701");
        for f in fields {
            h.push_str(&format!("{:08x}", f));
        }
        self.write_raw(h.as_bytes())?;
        self.write_raw(name.as_bytes())?;
        self.write_raw(&[0])?;
        self.pad()
    }

    pub fn dir(&mut self, name: &str, perm: u32) -> io::Result<()> {
        self.header(name, S_IFDIR | perm, 0, (0, 0))
    }

    pub fn file(&mut self, name: &str, perm: u32, data: &[u8]) -> io::Result<()> {
        self.header(name, S_IFREG | perm, data.len() as u64, (0, 0))?;
        self.write_raw(data)?;
        self.pad()
    }

    pub fn symlink(&mut self, name: &str, target: &str) -> io::Result<()> {
        self.header(name, S_IFLNK | 0o777, target.len() as u64, (0, 0))?;
        self.write_raw(target.as_bytes())?;
        self.pad()
    }

    pub fn char_device(&mut self, name: &str, perm: u32, major: u32, minor: u32) -> io::Result<()> {
        self.header(name, S_IFCHR | perm, 0, (major, minor))
    }

    /// Writes the trailer and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.header("TRAILER!!!", 0, 0, (0, 0))?;
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newc_headers_are_aligned() {
        let mut w = CpioWriter::new(Vec::new());
        w.file("init", 0o755, b"abc").unwrap();
        let out = w.finish().unwrap();
        assert!(out.starts_with(b"070701"));
        assert_eq!(out.len() % 4, 0);
        // 110-byte header + "init\0" padded to 116, then 3 bytes of data padded to 4.
        assert_eq!(&out[116..119], b"abc");
    }
}
