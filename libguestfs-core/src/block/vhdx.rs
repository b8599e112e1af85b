//! VHDX images (Hyper-V), dynamic and fixed, read-only.
//!
//! The first MiB holds the file identifier ("vhdxfile"), two headers (the valid one with the
//! higher sequence number is current) and two region tables locating the block allocation
//! table (BAT) and the metadata region. Metadata items give the block size, the disk size and
//! the logical sector size. Every `chunk ratio` payload entries of the BAT are followed by a
//! sector bitmap entry, which only differencing images use.
//!
//! As qemu (block/vhdx.c): differencing images are refused, and so are 4 KiB logical sectors;
//! a header naming a log (a non-zero log GUID) whose entries are there to replay is refused
//! too, as qemu refuses to open such an image read-only. The refusals are ENOTSUP, so `auto`
//! hands the image to the appliance.

use super::mapped::{self, BlockMap, Piece};
use super::{read_or_zero, unsupported, BlockDevice, Device};
use crate::bytes::Fixed;
use crate::error::{Error, Result};
use std::io;

/// The file identifier's signature.
pub const SIGNATURE: &[u8; 8] = b"vhdxfile";
const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const HEADER_OFFSETS: [u64; 2] = [64 * KIB, 128 * KIB];
const REGION_TABLE_OFFSET: u64 = 192 * KIB;
/// Header checksums cover 4 KiB, region table checksums 64 KiB.
const HEADER_LEN: usize = 4096;
const REGION_TABLE_LEN: usize = 64 * 1024;
const MAX_REGION_ENTRIES: u32 = 2047;
const REGION_REQUIRED: u32 = 1;
/// The metadata table: a 32-byte header and up to 2047 entries of 32 bytes, in 64 KiB.
const METADATA_TABLE_LEN: usize = 64 * 1024;
/// Region and metadata table entries are 32 bytes, after a 16-byte (region) or 32-byte
/// (metadata) table header.
const TABLE_ENTRY_LEN: usize = 32;
const REGION_TABLE_HEADER_LEN: usize = 16;
const METADATA_TABLE_HEADER_LEN: usize = 32;
/// Where the header and the region table keep their CRC-32C.
const CHECKSUM_OFFSET: usize = 4;
const METADATA_REQUIRED: u32 = 4;
const PARAMS_HAS_PARENT: u32 = 2;
const LOG_ENTRY_SIGNATURE: &[u8; 4] = b"loge";
/// Log entries start on 4 KiB boundaries.
const LOG_SECTOR: u64 = 4096;
/// Payload block states (the low 3 bits of a BAT entry).
const PAYLOAD_FULLY_PRESENT: u64 = 6;
const PAYLOAD_PARTIALLY_PRESENT: u64 = 7;
const BAT_OFFSET_MASK: u64 = 0xffff_ffff_fff0_0000;
const BLOCK_SIZE_MIN: u64 = MIB;
const BLOCK_SIZE_MAX: u64 = 256 * MIB;
/// Sectors a chunk of payload blocks covers, per sector bitmap block.
const CHUNK_SECTORS: u64 = 1 << 23;
const SECTOR: u64 = 512;

/// A GUID as stored (mixed-endian, as Windows writes it).
const fn guid(d1: u32, d2: u16, d3: u16, d4: [u8; 8]) -> [u8; 16] {
    let (a, b, c) = (d1.to_le_bytes(), d2.to_le_bytes(), d3.to_le_bytes());
    [
        a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], d4[0], d4[1], d4[2], d4[3], d4[4], d4[5],
        d4[6], d4[7],
    ]
}

const BAT_GUID: [u8; 16] = guid(
    0x2dc2_7766,
    0xf623,
    0x4200,
    [0x9d, 0x64, 0x11, 0x5e, 0x9b, 0xfd, 0x4a, 0x08],
);
const METADATA_GUID: [u8; 16] = guid(
    0x8b7c_a206,
    0x4790,
    0x4b9a,
    [0xb8, 0xfe, 0x57, 0x5f, 0x05, 0x0f, 0x88, 0x6e],
);
const FILE_PARAMETERS: [u8; 16] = guid(
    0xcaa1_6737,
    0xfa36,
    0x4d43,
    [0xb3, 0xb6, 0x33, 0xf0, 0xaa, 0x44, 0xe7, 0x6b],
);
const VIRTUAL_DISK_SIZE: [u8; 16] = guid(
    0x2fa5_4224,
    0xcd1b,
    0x4876,
    [0xb2, 0x11, 0x5d, 0xbe, 0xd8, 0x3b, 0xf4, 0xb8],
);
const PAGE83_DATA: [u8; 16] = guid(
    0xbeca_12ab,
    0xb2e6,
    0x4523,
    [0x93, 0xef, 0xc3, 0x09, 0xe0, 0x00, 0xc7, 0x46],
);
const LOGICAL_SECTOR_SIZE: [u8; 16] = guid(
    0x8141_bf1d,
    0xa96f,
    0x4709,
    [0xba, 0x47, 0xf2, 0x33, 0xa8, 0xfa, 0xab, 0x5f],
);
const PHYSICAL_SECTOR_SIZE: [u8; 16] = guid(
    0xcda3_48c7,
    0x445d,
    0x4471,
    [0x9c, 0xc9, 0xe9, 0x88, 0x52, 0x51, 0xc5, 0x56],
);
const PARENT_LOCATOR: [u8; 16] = guid(
    0xa8d3_5f2d,
    0xb30b,
    0x454d,
    [0xab, 0xf7, 0xd3, 0xd8, 0x48, 0x34, 0xab, 0x0c],
);

/// A read-only VHDX disk.
pub struct VhdxImage {
    source: Device,
    size: u64,
    block_size: u64,
    /// log2 of the chunk ratio: payload entries between two sector bitmap entries.
    chunk_ratio_bits: u32,
    bat: Vec<u64>,
}

fn corrupt(name: &str, what: impl std::fmt::Display) -> Error {
    super::corrupt(name, "VHDX", what)
}

/// CRC-32C of `buf` with its 4-byte checksum field (at `CHECKSUM_OFFSET`) read as zero.
fn checksum_ok<const N: usize>(buf: &[u8; N]) -> bool {
    // Reading the field checks, at compile time, that `buf` holds it.
    let stored = Fixed::from(buf).le32::<CHECKSUM_OFFSET>();
    let (head, rest) = buf.split_at(CHECKSUM_OFFSET);
    let crc = crc32c::crc32c(head);
    let crc = crc32c::crc32c_append(crc, &[0; 4]);
    crc32c::crc32c_append(crc, rest.get(4..).unwrap_or_default()) == stored
}

/// A structure of `N` bytes at `offset`, which must lie inside the file (on the heap: the
/// tables are 64 KiB).
fn read_fixed_in_file<const N: usize>(
    source: &dyn BlockDevice,
    name: &str,
    what: &str,
    offset: u64,
) -> Result<Box<[u8; N]>> {
    read_in_file(source, name, what, offset, N)?
        .into_boxed_slice()
        .try_into()
        .map_err(|_| corrupt(name, format_args!("{} at {:#x} is short", what, offset)))
}

/// Reads `len` bytes at `offset`, which must lie inside the file.
fn read_in_file(
    source: &dyn BlockDevice,
    name: &str,
    what: &str,
    offset: u64,
    len: usize,
) -> Result<Vec<u8>> {
    if offset
        .checked_add(len as u64)
        .is_none_or(|end| end > source.size())
    {
        return Err(corrupt(
            name,
            format_args!("{} at {:#x} is beyond the end of the file", what, offset),
        ));
    }
    let mut buf = vec![0u8; len];
    source
        .read_exact_at(&mut buf, offset)
        .map_err(|e| Error::from(e).context(name))?;
    Ok(buf)
}

/// The current header: (log GUID, log offset, log length).
fn current_header(source: &dyn BlockDevice, name: &str) -> Result<([u8; 16], u64, u64)> {
    let mut best: Option<(u64, Box<[u8; HEADER_LEN]>)> = None;
    for at in HEADER_OFFSETS {
        // A header cut off by the end of the file is not valid (qemu reads zeros there).
        let Ok(h) = read_fixed_in_file::<HEADER_LEN>(source, name, "header", at) else {
            continue;
        };
        let fields = Fixed::from(&*h);
        if &h[..4] != b"head" || fields.le16::<66>() != 1 || !checksum_ok(&h) {
            continue;
        }
        let seq = fields.le64::<8>();
        match &best {
            Some((s, b)) if *s > seq || (*s == seq && *b == h) => {}
            Some((s, _)) if *s == seq => {
                return Err(corrupt(
                    name,
                    "two different headers with the same sequence number",
                ))
            }
            _ => best = Some((seq, h)),
        }
    }
    let Some((_, h)) = best else {
        return Err(corrupt(name, "no valid header"));
    };
    let h = Fixed::from(&*h);
    Ok((
        h.array::<48, 16>(),
        h.le64::<72>(),
        u64::from(h.le32::<68>()),
    ))
}

/// Whether the log holds an entry of the current log GUID: one qemu would replay.
fn log_needs_replay(source: &dyn BlockDevice, log_guid: &[u8; 16], offset: u64, len: u64) -> bool {
    if log_guid == &[0; 16] {
        return false;
    }
    let end = offset.saturating_add(len).min(source.size());
    let mut entry = [0u8; 48];
    let mut at = offset;
    while at + 48 <= end {
        if source.read_exact_at(&mut entry, at).is_ok()
            && &entry[..4] == LOG_ENTRY_SIGNATURE
            && &entry[32..48] == log_guid
        {
            return true;
        }
        at += LOG_SECTOR;
    }
    false
}

/// The BAT and metadata regions: (offset, length) each.
fn regions(source: &dyn BlockDevice, name: &str) -> Result<((u64, u64), (u64, u64))> {
    let t =
        read_fixed_in_file::<REGION_TABLE_LEN>(source, name, "region table", REGION_TABLE_OFFSET)?;
    if &t[..4] != b"regi" || !checksum_ok(&t) {
        return Err(corrupt(name, "invalid region table"));
    }
    let count = Fixed::from(&*t).le32::<8>();
    if count > MAX_REGION_ENTRIES {
        return Err(corrupt(
            name,
            format_args!("{} region table entries", count),
        ));
    }
    let (mut bat, mut metadata) = (None, None);
    for i in 0..count as usize {
        // count <= 2047: the entries fill at most the table.
        let e = Fixed::<TABLE_ENTRY_LEN>::at(&*t, REGION_TABLE_HEADER_LEN + i * TABLE_ENTRY_LEN)
            .ok_or_else(|| {
                corrupt(
                    name,
                    format_args!("region table entry {} past the table", i),
                )
            })?;
        let region = (e.le64::<16>(), u64::from(e.le32::<24>()));
        let kind = e.array::<0, 16>();
        let slot = if kind == BAT_GUID {
            &mut bat
        } else if kind == METADATA_GUID {
            &mut metadata
        } else if e.le32::<28>() & REGION_REQUIRED != 0 {
            return Err(unsupported(name, "a required region of an unknown kind"));
        } else {
            continue;
        };
        if slot.replace(region).is_some() {
            return Err(corrupt(name, "a region listed twice"));
        }
    }
    match (bat, metadata) {
        (Some(b), Some(m)) => Ok((b, m)),
        _ => Err(corrupt(name, "no BAT or metadata region")),
    }
}

/// (block size, disk size) from the metadata region at `offset`.
fn metadata(source: &dyn BlockDevice, name: &str, offset: u64) -> Result<(u64, u64)> {
    let t = read_fixed_in_file::<METADATA_TABLE_LEN>(source, name, "metadata table", offset)?;
    if &t[..8] != b"metadata" {
        return Err(corrupt(name, "invalid metadata table"));
    }
    let count = usize::from(Fixed::from(&*t).le16::<10>());
    if count * TABLE_ENTRY_LEN > METADATA_TABLE_LEN - METADATA_TABLE_HEADER_LEN {
        return Err(corrupt(name, format_args!("{} metadata entries", count)));
    }
    let known = [
        FILE_PARAMETERS,
        VIRTUAL_DISK_SIZE,
        PAGE83_DATA,
        LOGICAL_SECTOR_SIZE,
        PHYSICAL_SECTOR_SIZE,
        PARENT_LOCATOR,
    ];
    let mut items: [Option<u64>; 6] = [None; 6];
    for i in 0..count {
        let e = Fixed::<TABLE_ENTRY_LEN>::at(&*t, METADATA_TABLE_HEADER_LEN + i * TABLE_ENTRY_LEN)
            .ok_or_else(|| corrupt(name, format_args!("metadata entry {} past the table", i)))?;
        let kind = e.array::<0, 16>();
        match known.iter().position(|g| *g == kind) {
            Some(k) if items[k].is_some() => {
                return Err(corrupt(name, "a metadata item listed twice"))
            }
            Some(k) => items[k] = Some(offset + u64::from(e.le32::<16>())),
            None if e.le32::<24>() & METADATA_REQUIRED != 0 => {
                return Err(unsupported(
                    name,
                    "a required metadata item of an unknown kind",
                ))
            }
            None => {}
        }
    }
    if items[5].is_some() {
        return Err(unsupported(name, "differencing VHDX image"));
    }
    let [Some(params), Some(disk_size), Some(_), Some(logical), Some(_), _] = items else {
        return Err(unsupported(name, "a required metadata item is missing"));
    };
    let params = read_fixed_in_file::<8>(source, name, "file parameters", params)?;
    let params = Fixed::from(&*params);
    if params.le32::<4>() & PARAMS_HAS_PARENT != 0 {
        return Err(unsupported(name, "differencing VHDX image"));
    }
    let block_size = u64::from(params.le32::<0>());
    let disk_size = u64::from_le_bytes(*read_fixed_in_file(source, name, "disk size", disk_size)?);
    let logical = u32::from_le_bytes(*read_fixed_in_file(source, name, "sector size", logical)?);
    if !(BLOCK_SIZE_MIN..=BLOCK_SIZE_MAX).contains(&block_size) || !block_size.is_power_of_two() {
        return Err(corrupt(name, format_args!("block size {}", block_size)));
    }
    if u64::from(logical) != SECTOR {
        return Err(unsupported(
            name,
            format_args!("logical sector size {}", logical),
        ));
    }
    Ok((block_size, disk_size))
}

/// Opens a VHDX image over the bytes of `source`; `name` identifies it in errors.
pub fn open_source(source: Device, name: &str) -> Result<VhdxImage> {
    let src = source.as_ref();
    if read_in_file(src, name, "file identifier", 0, 8)? != SIGNATURE {
        return Err(corrupt(name, "no VHDX file identifier"));
    }
    let (log_guid, log_offset, log_len) = current_header(src, name)?;
    if log_needs_replay(src, &log_guid, log_offset, log_len) {
        return Err(unsupported(
            name,
            "the log holds writes that need to be replayed first",
        ));
    }
    let ((bat_offset, bat_len), (metadata_offset, _)) = regions(src, name)?;
    let (block_size, size) = metadata(src, name, metadata_offset)?;
    // Whole sectors, as qemu presents the disk.
    let size = size / SECTOR * SECTOR;
    let chunk_ratio = CHUNK_SECTORS * SECTOR / block_size;
    let chunk_ratio_bits = chunk_ratio.trailing_zeros();
    let blocks = size.div_ceil(block_size);
    let entries = if blocks == 0 {
        0
    } else {
        blocks + ((blocks - 1) >> chunk_ratio_bits)
    };
    if entries > bat_len / 8 {
        return Err(corrupt(
            name,
            format_args!(
                "BAT region of {} bytes too small for {} entries",
                bat_len, entries
            ),
        ));
    }
    let raw = read_in_file(src, name, "BAT", bat_offset, (entries * 8) as usize)?;
    let bat: Vec<u64> = raw
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect();
    // Present blocks must lie inside the file (qemu's check; the last block may be partial).
    let file_size = src.size();
    let mut payload = 0u64;
    for (i, &e) in bat.iter().enumerate() {
        let is_bitmap = (i as u64 + 1).is_multiple_of(chunk_ratio + 1);
        if is_bitmap || e & 7 != PAYLOAD_FULLY_PRESENT {
            payload += u64::from(!is_bitmap);
            continue;
        }
        let start = e & BAT_OFFSET_MASK;
        let len = block_size.min(size - payload * block_size);
        if start < MIB || start.saturating_add(len) > file_size {
            return Err(corrupt(
                name,
                format_args!(
                    "BAT entry {} points to {:#x}, outside the file's data ({:#x} bytes)",
                    i, start, file_size
                ),
            ));
        }
        payload += 1;
    }
    Ok(VhdxImage {
        source,
        size,
        block_size,
        chunk_ratio_bits,
        bat,
    })
}

impl BlockMap for VhdxImage {
    fn size(&self) -> u64 {
        self.size
    }
    fn unit(&self) -> u64 {
        self.block_size
    }
    fn piece(&self, index: u64) -> io::Result<Piece> {
        let at = index + (index >> self.chunk_ratio_bits);
        let entry = usize::try_from(at)
            .ok()
            .and_then(|i| self.bat.get(i).copied())
            .unwrap_or(0);
        match entry & 7 {
            PAYLOAD_FULLY_PRESENT => Ok(Piece::Host(entry & BAT_OFFSET_MASK)),
            PAYLOAD_PARTIALLY_PRESENT | 4 => Err(io::Error::other(format!(
                "corrupt VHDX image: BAT entry {} in state {} in an image without a parent",
                at,
                entry & 7
            ))),
            // Not present, undefined, zero, unmapped.
            _ => Ok(Piece::Zero),
        }
    }
    fn read_host(&self, buf: &mut [u8], host: u64) -> io::Result<()> {
        read_or_zero(self.source.as_ref(), buf, host)
    }
}

impl BlockDevice for VhdxImage {
    fn size(&self) -> u64 {
        self.size
    }
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        mapped::read(self, buf, offset)
    }
}
