//! Block devices: the "read bytes at an offset" layer every on-disk format reads through.
//!
//! Image formats (raw, qcow2, VMDK, VDI, VHD, VHDX) turn a file into a [`BlockDevice`];
//! partition tables and volume managers turn a device into more devices ([`Slice`], LVM
//! segments); filesystems read from one.

pub mod cache;
pub mod chain;
pub mod external;
pub mod luks;
mod mapped;
pub mod md;
pub mod probe;
pub mod qcow2;
pub mod raw;
pub mod vdi;
pub mod vhdx;
pub mod vmdk;
pub mod vpc;

use crate::error::{Error, Result};
use std::io;
use std::path::Path;
use std::sync::Arc;

/// A read-only random-access device of a fixed size.
pub trait BlockDevice: Send + Sync {
    /// Size in bytes.
    fn size(&self) -> u64;

    /// Fills `buf` with the bytes at `offset`. Reading past [`size`](Self::size) is an error
    /// (`UnexpectedEof`), never a short read.
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
}

/// A shared block device.
pub type Device = Arc<dyn BlockDevice>;

/// Checks that `len` bytes at `offset` lie inside a device of `size` bytes.
pub fn check_range(size: u64, offset: u64, len: usize) -> io::Result<()> {
    match offset.checked_add(len as u64) {
        Some(end) if end <= size => Ok(()),
        _ => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "read of {} bytes at offset {} is beyond the end of the device ({} bytes)",
                len, offset, size
            ),
        )),
    }
}

/// Reads `len` bytes at `offset` into a new buffer. The range is checked against the device
/// before the buffer is allocated, so a length read from disk cannot ask for more memory than
/// the device holds.
pub fn read_vec(dev: &dyn BlockDevice, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    check_range(dev.size(), offset, len)?;
    let mut buf = vec![0u8; len];
    dev.read_exact_at(&mut buf, offset)?;
    Ok(buf)
}

/// [`read_vec`] for probes, where bytes that are not there just mean "no".
pub fn read_in_range(dev: &dyn BlockDevice, offset: u64, len: usize) -> Option<Vec<u8>> {
    read_vec(dev, offset, len).ok()
}

/// The `N` bytes of `dev` at `offset`, when it holds them all: a structure of fixed size,
/// whose fields `bytes::Fixed` reads at offsets the compiler checks.
pub fn read_array<const N: usize>(dev: &dyn BlockDevice, offset: u64) -> Option<[u8; N]> {
    let mut buf = [0; N];
    dev.read_exact_at(&mut buf, offset).ok()?;
    Some(buf)
}

/// Fills `buf` with the bytes of `dev` at `offset`; bytes past its end read as zeros, as qemu
/// reads a file past its end (a truncated image, an extent shorter than its descriptor says).
pub fn read_or_zero(dev: &dyn BlockDevice, buf: &mut [u8], offset: u64) -> io::Result<()> {
    let avail = dev.size().saturating_sub(offset);
    let n = (buf.len() as u64).min(avail) as usize;
    let (inside, outside) = buf.split_at_mut(n);
    if !inside.is_empty() {
        dev.read_exact_at(inside, offset)?;
    }
    outside.fill(0);
    Ok(())
}

/// A window `[start, start+len)` of another device: a partition, or a linear LVM segment.
pub struct Slice {
    inner: Device,
    start: u64,
    len: u64,
}

impl Slice {
    /// A window of `inner`; the window is clipped to the end of `inner`.
    pub fn new(inner: Device, start: u64, len: u64) -> Slice {
        let avail = inner.size().saturating_sub(start);
        Slice {
            inner,
            start,
            len: len.min(avail),
        }
    }
}

impl BlockDevice for Slice {
    fn size(&self) -> u64 {
        self.len
    }
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        check_range(self.len, offset, buf.len())?;
        self.inner.read_exact_at(buf, self.start + offset)
    }
}

/// EIO: `NAME: corrupt FORMAT image: WHAT`, the image is damaged or not a sane image.
pub(crate) fn corrupt(name: &str, format: &str, what: impl std::fmt::Display) -> Error {
    Error::corrupt(format!("{}: corrupt {} image: {}", name, format, what))
}

/// ENOTSUP: a valid image using a feature the native backend does not implement (`auto`
/// hands such an image to the appliance).
pub(crate) fn unsupported(name: &str, what: impl std::fmt::Display) -> Error {
    Error::new(
        libc::ENOTSUP,
        format!("{}: {} (not supported by the native backend)", name, what),
    )
}

/// A device whose every byte is zero (an unallocated backing image, a `zero` LVM segment).
pub struct Zero(pub u64);

impl BlockDevice for Zero {
    fn size(&self) -> u64 {
        self.0
    }
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        check_range(self.0, offset, buf.len())?;
        buf.fill(0);
        Ok(())
    }
}

/// The image formats the native backend opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Raw,
    Qcow2,
    Vmdk,
    Vdi,
    /// VHD (qemu's driver name is "vpc", after Virtual PC).
    Vpc,
    Vhdx,
}

impl ImageFormat {
    /// The native format of a format name (qemu's names), or why the native backend cannot
    /// read it.
    pub fn parse(name: &str) -> Result<ImageFormat> {
        match name {
            "raw" => Ok(ImageFormat::Raw),
            "qcow2" => Ok(ImageFormat::Qcow2),
            "vmdk" => Ok(ImageFormat::Vmdk),
            "vdi" => Ok(ImageFormat::Vdi),
            "vpc" => Ok(ImageFormat::Vpc),
            "vhdx" => Ok(ImageFormat::Vhdx),
            other => Err(Error::new(
                libc::ENOTSUP,
                format!("disk image format ‘{}’ is not supported by the native backend, which reads raw, qcow2, vmdk, vdi, vpc and vhdx (LIBGUESTFS_BACKEND=direct reads it through qemu)", other),
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ImageFormat::Raw => "raw",
            ImageFormat::Qcow2 => "qcow2",
            ImageFormat::Vmdk => "vmdk",
            ImageFormat::Vdi => "vdi",
            ImageFormat::Vpc => "vpc",
            ImageFormat::Vhdx => "vhdx",
        }
    }
}

/// The native format of an image given without one: qemu's guess ([`probe::probe_file`]),
/// refused when it is a format the native backend does not read.
pub fn detect_format(path: &Path) -> Result<ImageFormat> {
    let name = probe::probe_file(path)?;
    ImageFormat::parse(name).map_err(|e| e.context(&path.display().to_string()))
}

/// Opens a disk image read-only, behind a [`cache::CachedDevice`]. `format` None means
/// detect it (as qemu does when the user gives no `--format`).
pub fn open_image(path: &Path, format: Option<ImageFormat>) -> Result<(Device, ImageFormat)> {
    let format = match format {
        Some(f) => f,
        None => detect_format(path)?,
    };
    let dev = chain::open(path, format)?;
    Ok((Arc::new(cache::CachedDevice::new(dev)), format))
}

/// A device held in memory, for the parsers' unit tests.
#[cfg(test)]
pub(crate) struct Mem(pub(crate) Vec<u8>);

#[cfg(test)]
impl BlockDevice for Mem {
    fn size(&self) -> u64 {
        self.0.len() as u64
    }
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        check_range(self.size(), offset, buf.len())?;
        let o = offset as usize;
        buf.copy_from_slice(&self.0[o..o + buf.len()]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_reads_its_window_and_stops_at_its_end() {
        let mem: Device = Arc::new(Mem((0..100u8).collect()));
        let s = Slice::new(mem, 10, 20);
        let mut b = [0u8; 5];
        s.read_exact_at(&mut b, 15).unwrap();
        assert_eq!(b, [25, 26, 27, 28, 29]);
        assert!(s.read_exact_at(&mut b, 16).is_err());
        assert!(s.read_exact_at(&mut b, u64::MAX - 2).is_err());
    }

    #[test]
    fn slice_is_clipped_to_its_device() {
        let mem: Device = Arc::new(Mem(vec![0; 50]));
        assert_eq!(Slice::new(mem.clone(), 40, 100).size(), 10);
        assert_eq!(Slice::new(mem, 400, 100).size(), 0);
    }
}
