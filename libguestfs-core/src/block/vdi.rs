//! VirtualBox VDI images (version 1.1), static and dynamic, read-only.
//!
//! A 512-byte header (little-endian fields) points at the block map, one 32-bit entry per
//! 1 MiB block of the disk: the block's index in the data area, or "unallocated"/"discarded"
//! (both read as zeros). Static images simply have every block allocated. The checks are
//! qemu's (block/vdi.c), so an image qemu refuses is refused here too.

use super::mapped::{self, BlockMap, Piece};
use super::{read_or_zero, BlockDevice, Device};
use crate::bytes::Fixed;
use crate::error::{Error, Result};
use std::io;

/// `signature` of every VDI header.
pub const SIGNATURE: u32 = 0xbeda_107f;
/// Version 1.1, the only one qemu reads.
const VERSION_1_1: u32 = 0x0001_0001;
const SECTOR: u64 = 512;
/// The only block size qemu reads.
const BLOCK_SIZE: u64 = 1 << 20;
/// The largest number of blocks qemu accepts.
const MAX_BLOCKS: u32 = 0x3fff_ffff;
/// Block map entries at or above this are not allocated (0xfffffffe "discarded",
/// 0xffffffff "unallocated").
const FIRST_UNALLOCATED: u32 = 0xffff_fffe;
/// Bytes of the header the reader looks at.
const HEADER_LEN: usize = 456;

/// A read-only VDI disk.
pub struct VdiImage {
    source: Device,
    size: u64,
    data_offset: u64,
    block_map: Vec<u32>,
}

fn corrupt(name: &str, what: impl std::fmt::Display) -> Error {
    super::corrupt(name, "VDI", what)
}

fn unsupported(name: &str, what: impl std::fmt::Display) -> Error {
    super::unsupported(name, format_args!("VDI image with {}", what))
}

/// Opens a VDI image over the bytes of `source`; `name` identifies it in errors.
pub fn open_source(source: Device, name: &str) -> Result<VdiImage> {
    let file_size = source.size();
    let mut h = [0u8; HEADER_LEN];
    if file_size < HEADER_LEN as u64 {
        return Err(corrupt(name, "file too short for a VDI header"));
    }
    source
        .read_exact_at(&mut h, 0)
        .map_err(|e| Error::from(e).context(name))?;
    let fields = Fixed::from(&h);
    if fields.le32::<64>() != SIGNATURE {
        return Err(corrupt(name, "no VDI signature"));
    }
    let version = fields.le32::<68>();
    let offset_bmap = u64::from(fields.le32::<340>());
    let offset_data = u64::from(fields.le32::<344>());
    let sector_size = fields.le32::<360>();
    let mut disk_size = fields.le64::<368>();
    let block_size = u64::from(fields.le32::<376>());
    let block_extra = fields.le32::<380>();
    let blocks = fields.le32::<384>();
    let (uuid_link, uuid_parent) = (fields.array::<424, 16>(), fields.array::<440, 16>());
    // VBoxManage writes sizes that are not whole sectors; qemu rounds them up.
    disk_size = disk_size.div_ceil(SECTOR).saturating_mul(SECTOR);
    if version != VERSION_1_1 {
        return Err(unsupported(
            name,
            format_args!("version {}.{}", version >> 16, version & 0xffff),
        ));
    }
    if !offset_bmap.is_multiple_of(SECTOR) {
        return Err(unsupported(
            name,
            format_args!("unaligned block map offset {:#x}", offset_bmap),
        ));
    }
    if !offset_data.is_multiple_of(SECTOR) {
        return Err(unsupported(
            name,
            format_args!("unaligned data offset {:#x}", offset_data),
        ));
    }
    if u64::from(sector_size) != SECTOR {
        return Err(unsupported(
            name,
            format_args!("sector size {} is not {}", sector_size, SECTOR),
        ));
    }
    if block_size != BLOCK_SIZE {
        return Err(unsupported(
            name,
            format_args!("block size {} is not {}", block_size, BLOCK_SIZE),
        ));
    }
    if block_extra != 0 {
        return Err(unsupported(
            name,
            format_args!("block_extra {} != 0", block_extra),
        ));
    }
    if disk_size > u64::from(blocks) * block_size {
        return Err(unsupported(
            name,
            format_args!(
                "disk size {}, image bitmap has room for {}",
                disk_size,
                u64::from(blocks) * block_size
            ),
        ));
    }
    if uuid_link.iter().any(|&b| b != 0) {
        return Err(unsupported(name, "non-NULL link UUID"));
    }
    if uuid_parent.iter().any(|&b| b != 0) {
        return Err(unsupported(name, "non-NULL parent UUID"));
    }
    if blocks > MAX_BLOCKS {
        return Err(unsupported(
            name,
            format_args!("too many blocks {}, max is {}", blocks, MAX_BLOCKS),
        ));
    }
    // Only the entries the disk uses are read; they must lie inside the file.
    let used = disk_size.div_ceil(block_size);
    let map_len = used * 4;
    if offset_bmap
        .checked_add(map_len)
        .is_none_or(|end| end > file_size)
    {
        return Err(corrupt(
            name,
            format_args!(
                "block map of {} entries at {:#x} is beyond the end of the file",
                used, offset_bmap
            ),
        ));
    }
    let mut raw = vec![0u8; map_len as usize];
    source
        .read_exact_at(&mut raw, offset_bmap)
        .map_err(|e| Error::from(e).context(name))?;
    let block_map = raw
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Ok(VdiImage {
        source,
        size: disk_size,
        data_offset: offset_data,
        block_map,
    })
}

impl BlockMap for VdiImage {
    fn size(&self) -> u64 {
        self.size
    }
    fn unit(&self) -> u64 {
        BLOCK_SIZE
    }
    fn piece(&self, index: u64) -> io::Result<Piece> {
        let entry = usize::try_from(index)
            .ok()
            .and_then(|i| self.block_map.get(i).copied())
            .unwrap_or(FIRST_UNALLOCATED);
        Ok(if entry >= FIRST_UNALLOCATED {
            Piece::Zero
        } else {
            Piece::Host(self.data_offset + u64::from(entry) * BLOCK_SIZE)
        })
    }
    fn read_host(&self, buf: &mut [u8], host: u64) -> io::Result<()> {
        read_or_zero(self.source.as_ref(), buf, host)
    }
}

impl BlockDevice for VdiImage {
    fn size(&self) -> u64 {
        self.size
    }
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        mapped::read(self, buf, offset)
    }
}
