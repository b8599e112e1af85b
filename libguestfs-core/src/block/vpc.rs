//! VHD images (qemu's "vpc" driver: Connectix / Microsoft Virtual PC), read-only.
//!
//! A 512-byte footer (big-endian fields, "conectix") gives the size and type. A fixed image
//! is the disk followed by the footer, which is then found only at the end of the file. A
//! dynamic image starts with a copy of the footer, then a dynamic disk header ("cxsparse")
//! pointing at the block allocation table (BAT); each allocated block is a sector bitmap and
//! the block's data.
//!
//! This reads what qemu reads, so that the disk is the one the appliance sees: the disk size
//! follows qemu's rules (the CHS geometry for images made by Virtual PC and old qemu, the
//! footer's current size for every other creator and for the largest geometry); sector
//! bitmaps are not consulted (an allocated block is read whole); and a differencing image is
//! read as a dynamic one without its parent, whose unallocated blocks read as zeros.

use super::mapped::{self, BlockMap, Piece};
use super::{read_or_zero, BlockDevice, Device};
use crate::bytes::Fixed;
use crate::error::{Error, Result};
use std::io;

/// The cookie at the start of every footer.
pub const COOKIE: &[u8; 8] = b"conectix";
const FOOTER_LEN: u64 = 512;
/// The fields of the dynamic disk header the reader uses (it is 1024 bytes).
const DYNAMIC_HEADER_FIELDS: usize = 40;
const SECTOR: u64 = 512;
const TYPE_FIXED: u32 = 2;
/// The largest disk, 2040 GiB.
const MAX_SECTORS: u64 = 0xff00_0000;
/// The largest CHS geometry (65535 cylinders, 16 heads, 255 sectors).
const MAX_GEOMETRY: u64 = 65535 * 16 * 255;
/// A BAT entry of a block that is not allocated.
const UNALLOCATED: u32 = 0xffff_ffff;

/// A read-only VHD disk.
pub struct VpcImage {
    source: Device,
    size: u64,
    layout: Layout,
}

enum Layout {
    /// The disk's bytes are the file's from offset 0.
    Fixed,
    Dynamic {
        block_size: u64,
        /// Bytes of the sector bitmap before each block's data.
        bitmap_size: u64,
        bat: Vec<u32>,
    },
}

fn invalid(name: &str, what: impl std::fmt::Display) -> Error {
    super::corrupt(name, "VHD", what)
}

/// One's complement of the byte sum, the checksum field read as zero.
fn checksum(footer: &[u8; FOOTER_LEN as usize]) -> u32 {
    let sum = footer
        .iter()
        .enumerate()
        .filter(|(i, _)| !(64..68).contains(i))
        .fold(0u32, |a, (_, &b)| a.wrapping_add(u32::from(b)));
    !sum
}

/// The disk size in sectors, as qemu computes it from a footer.
fn total_sectors(footer: &[u8; FOOTER_LEN as usize]) -> u64 {
    let f = Fixed::from(footer);
    let chs = u64::from(f.be16::<56>()) * u64::from(f.u8::<58>()) * u64::from(f.u8::<59>());
    // Virtual PC and qemu before 2.6 size the disk by its geometry; everyone else (Hyper-V,
    // disk2vhd, XenServer, Azure, current qemu writing "qem2") by the current size.
    let uses_chs = matches!(&footer[28..32], b"vpc " | b"qemu");
    if !uses_chs || chs == MAX_GEOMETRY {
        f.be64::<48>() / SECTOR
    } else {
        chs
    }
}

/// Opens a VHD image over the bytes of `source`; `name` identifies it in errors.
pub fn open_source(source: Device, name: &str) -> Result<VpcImage> {
    let io_err = |e: io::Error| Error::from(e).context(name);
    let file_size = source.size();
    if file_size < FOOTER_LEN {
        return Err(invalid(name, "file too short for a VHD footer"));
    }
    let mut footer = [0u8; FOOTER_LEN as usize];
    source.read_exact_at(&mut footer, 0).map_err(io_err)?;
    let mut fixed = false;
    if &footer[..8] != COOKIE {
        // A fixed disk has its footer only at the end of the file.
        source
            .read_exact_at(&mut footer, file_size - FOOTER_LEN)
            .map_err(io_err)?;
        if &footer[..8] != COOKIE || Fixed::from(&footer).be32::<60>() != TYPE_FIXED {
            return Err(invalid(name, "no VHD footer"));
        }
        fixed = true;
    }
    let fields = Fixed::from(&footer);
    if checksum(&footer) != fields.be32::<64>() {
        return Err(invalid(name, "incorrect footer checksum"));
    }
    let sectors = total_sectors(&footer);
    if sectors > MAX_SECTORS {
        return Err(invalid(
            name,
            format_args!("{} sectors: file too large", sectors),
        ));
    }
    let size = sectors * SECTOR;
    if fixed {
        return Ok(VpcImage {
            source,
            size,
            layout: Layout::Fixed,
        });
    }

    let header_at = fields.be64::<16>();
    let mut header = [0u8; DYNAMIC_HEADER_FIELDS];
    if header_at
        .checked_add(header.len() as u64)
        .is_none_or(|end| end > file_size)
    {
        return Err(invalid(
            name,
            format_args!(
                "dynamic disk header at {:#x} beyond the end of the file",
                header_at
            ),
        ));
    }
    source
        .read_exact_at(&mut header, header_at)
        .map_err(io_err)?;
    if &header[..8] != b"cxsparse" {
        return Err(invalid(name, "no dynamic disk header"));
    }
    let dynamic = Fixed::from(&header);
    let bat_offset = dynamic.be64::<16>();
    let entries = u64::from(dynamic.be32::<28>());
    let block_size = u64::from(dynamic.be32::<32>());
    if !block_size.is_power_of_two() || block_size < SECTOR {
        return Err(invalid(name, format_args!("block size {}", block_size)));
    }
    let bitmap_size = (block_size / (8 * SECTOR)).div_ceil(SECTOR) * SECTOR;
    if size / block_size > 0xffff_ffff {
        return Err(invalid(name, "too many blocks"));
    }
    if entries * block_size < size {
        return Err(invalid(
            name,
            "block allocation table too small for the disk",
        ));
    }
    if entries > i32::MAX as u64 / 4 {
        return Err(invalid(
            name,
            format_args!("{} BAT entries: too many", entries),
        ));
    }
    let bat_len = entries * 4;
    if bat_offset
        .checked_add(bat_len)
        .is_none_or(|end| end > file_size)
    {
        return Err(invalid(
            name,
            format_args!(
                "block allocation table of {} entries at {:#x} beyond the end of the file",
                entries, bat_offset
            ),
        ));
    }
    let mut raw = vec![0u8; bat_len as usize];
    source.read_exact_at(&mut raw, bat_offset).map_err(io_err)?;
    let bat: Vec<u32> = raw
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    // qemu refuses an image whose blocks end past the end of the file: it was truncated.
    for &e in bat.iter().filter(|&&e| e != UNALLOCATED) {
        let end = u64::from(e) * SECTOR + bitmap_size + block_size;
        if end > file_size {
            return Err(invalid(
                name,
                format_args!(
                    "a block ends at {:#x}, beyond the end of the file ({:#x}): the image has been truncated",
                    end, file_size
                ),
            ));
        }
    }
    Ok(VpcImage {
        source,
        size,
        layout: Layout::Dynamic {
            block_size,
            bitmap_size,
            bat,
        },
    })
}

impl BlockMap for VpcImage {
    fn size(&self) -> u64 {
        self.size
    }
    fn unit(&self) -> u64 {
        match &self.layout {
            Layout::Fixed => self.size.max(1),
            Layout::Dynamic { block_size, .. } => *block_size,
        }
    }
    fn piece(&self, index: u64) -> io::Result<Piece> {
        Ok(match &self.layout {
            Layout::Fixed => Piece::Host(0),
            Layout::Dynamic {
                bitmap_size, bat, ..
            } => match usize::try_from(index).ok().and_then(|i| bat.get(i)) {
                Some(&e) if e != UNALLOCATED => Piece::Host(u64::from(e) * SECTOR + bitmap_size),
                _ => Piece::Zero,
            },
        })
    }
    fn read_host(&self, buf: &mut [u8], host: u64) -> io::Result<()> {
        read_or_zero(self.source.as_ref(), buf, host)
    }
}

impl BlockDevice for VpcImage {
    fn size(&self) -> u64 {
        self.size
    }
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        mapped::read(self, buf, offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn footer(app: &[u8; 4], cyls: u16, heads: u8, spt: u8, current: u64) -> [u8; 512] {
        let mut f = [0u8; 512];
        f[28..32].copy_from_slice(app);
        f[48..56].copy_from_slice(&current.to_be_bytes());
        f[56..58].copy_from_slice(&cyls.to_be_bytes());
        f[58] = heads;
        f[59] = spt;
        f
    }

    #[test]
    fn disk_size_follows_qemus_creator_rules() {
        assert_eq!(total_sectors(&footer(b"vpc ", 10, 4, 17, 1 << 30)), 680);
        assert_eq!(total_sectors(&footer(b"qemu", 10, 4, 17, 1 << 30)), 680);
        assert_eq!(total_sectors(&footer(b"qem2", 10, 4, 17, 1 << 30)), 1 << 21);
        assert_eq!(total_sectors(&footer(b"win ", 10, 4, 17, 1 << 30)), 1 << 21);
        assert_eq!(
            total_sectors(&footer(b"wa\0\0", 10, 4, 17, 1 << 30)),
            1 << 21
        );
        assert_eq!(
            total_sectors(&footer(b"vpc ", 65535, 16, 255, 1 << 40)),
            1 << 31
        );
    }
}
