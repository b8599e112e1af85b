//! Raw disk images: the file's bytes are the disk's bytes.

use super::{check_range, BlockDevice};
use crate::error::{Error, Result};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// A raw image file opened read-only.
pub struct RawImage {
    file: File,
    size: u64,
}

impl RawImage {
    pub fn open(path: &Path) -> Result<RawImage> {
        let file =
            File::open(path).map_err(|e| Error::from(e).context(&path.display().to_string()))?;
        let size = block_or_file_size(&file)
            .map_err(|e| Error::from(e).context(&path.display().to_string()))?;
        Ok(RawImage { file, size })
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
        self.file.read_exact_at(buf, offset)
    }
}
