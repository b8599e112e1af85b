//! Raw disk images: the file's bytes are the disk's bytes. As qemu presents a raw file, the
//! disk is a whole number of 512-byte sectors: a file whose length is not one (virt-make-fs
//! makes such files) ends in a partial sector read as zeros.

use super::{check_range, BlockDevice};
use crate::error::{Error, Result};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// The sector size qemu rounds a raw file's length up to.
const SECTOR: u64 = 512;

/// A raw image file opened read-only.
pub struct RawImage {
    file: File,
    /// The bytes the file holds.
    len: u64,
    /// The disk's size: `len` rounded up to a whole sector.
    size: u64,
}

impl RawImage {
    pub fn open(path: &Path) -> Result<RawImage> {
        let file =
            File::open(path).map_err(|e| Error::from(e).context(&path.display().to_string()))?;
        let len = block_or_file_size(&file)
            .map_err(|e| Error::from(e).context(&path.display().to_string()))?;
        Ok(RawImage {
            file,
            len,
            size: len.div_ceil(SECTOR) * SECTOR,
        })
    }
}

/// The size of a regular file, or of a block device (whose metadata length is 0).
fn block_or_file_size(file: &File) -> io::Result<u64> {
    use std::io::{Seek, SeekFrom};
    let meta = file.metadata()?;
    if meta.is_file() {
        return Ok(meta.len());
    }
    let mut f = file;
    let end = f.seek(SeekFrom::End(0))?;
    f.seek(SeekFrom::Start(0))?;
    Ok(end)
}

impl BlockDevice for RawImage {
    fn size(&self) -> u64 {
        self.size
    }
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        check_range(self.size, offset, buf.len())?;
        // The part of the last sector past the end of the file reads as zeros.
        let in_file = self.len.saturating_sub(offset).min(buf.len() as u64) as usize;
        let (held, beyond) = buf.split_at_mut(in_file);
        self.file.read_exact_at(held, offset)?;
        beyond.fill(0);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_last_sector_reads_as_zeros() {
        let path = std::env::temp_dir().join(format!("raw-partial-{}", std::process::id()));
        std::fs::write(&path, vec![7u8; 1000]).unwrap();
        let img = RawImage::open(&path).unwrap();
        assert_eq!(img.size(), 1024);
        let mut buf = [1u8; 48];
        img.read_exact_at(&mut buf, 976).unwrap();
        assert_eq!(&buf[..24], &[7u8; 24]);
        assert_eq!(&buf[24..], &[0u8; 24]);
        img.read_exact_at(&mut buf[..8], 1010).unwrap();
        assert_eq!(&buf[..8], &[0u8; 8]);
        assert!(img.read_exact_at(&mut buf, 1000).is_err());
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, b"").unwrap();
        assert_eq!(RawImage::open(&path).unwrap().size(), 0);
        std::fs::remove_file(&path).unwrap();
    }
}
