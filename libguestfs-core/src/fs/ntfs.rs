//! NTFS, read-only, as the libguestfs appliance shows it through ntfs-3g.
//!
//! Two faces: [`probe`] identifies an NTFS volume as blkid does (TYPE `ntfs`, LABEL from
//! `$Volume`'s `$VOLUME_NAME`, UUID the 64-bit volume serial number in upper-case hex), and
//! [`NtfsFs`] reads it giving the answers ntfs-3g 2022.10 gives when mounted with default
//! options:
//!
//! - inode numbers are MFT record numbers (the root is 5); metadata files (records below 16)
//!   and DOS 8.3 names are not listed, though lookups find both, case-sensitively;
//! - modes 0777 (symbolic links too), uid/gid 0; directories have one link, files the record's
//!   link count;
//! - a directory's size is its `$I30` index allocation's data size (0 for small directories)
//!   and its `st_blocks` the allocated size / 512; a file's size is its unnamed `$DATA`
//!   stream's, `st_blocks` its allocated (or, when compressed or sparse, compressed) size
//!   rounded up to 512; a resident stream counts its length rounded up to 8;
//! - times from `$STANDARD_INFORMATION` (mtime = data change, ctime = MFT change);
//! - Interix special files (FIFOs, sockets, devices, symbolic links) and reparse points
//!   (symbolic links, junctions, anything else shown as a link to "unsupported reparse tag")
//!   as ntfs-3g presents them;
//! - `statvfs` as ntfs-3g's `statfs`: clusters, free clusters from `$Bitmap`, inodes from the
//!   MFT bitmap plus what the free space could hold.
//!
//! The `ntfs` crate locates MFT records (the MFT may be fragmented) and reads attribute values
//! (data runs, attribute lists). It trusts the structure of the records it parses, so every
//! record is first read and checked here ([`RawRecord`]) before the crate sees it, and the
//! directory indexes are read here, in ntfs-3g's readdir order (index root, then the index
//! blocks in use in VCN order).
//!
//! Not supported, with clear errors: reading compressed (`ENOTSUP`) or encrypted (`EACCES`)
//! files or the data of reparse points (`ENOTSUP`); alternate data streams are ignored.
//! Absolute symbolic links and junctions are rendered as ntfs-3g does for a volume mounted on
//! the appliance's `/sysroot` (where libguestfs mounts the guest's root).

use super::{DirEntry, FileType, Filesystem, Ino, Probe};
use crate::block::read_in_range;
use crate::block::{BlockDevice, Device};
use crate::bytes::{le16, le32, le64};
use crate::error::{Error, Result};
use crate::types::{
    makedev, StatNs, StatVfs, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK,
};
use ntfs::{Ntfs, NtfsAttributeType, NtfsFile, NtfsReadSeek};
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::{Arc, Mutex};

// MFT record numbers of metadata files.
const FILE_MFT: u64 = 0;
const FILE_VOLUME: u64 = 3;
const FILE_BITMAP: u64 = 6;
const FILE_ROOT: u64 = 5;
/// The first record number of a user file; lower ones are metadata, hidden from listings.
const FILE_FIRST_USER: u64 = 16;

// Attribute types.
const AT_STANDARD_INFORMATION: u32 = 0x10;
const AT_ATTRIBUTE_LIST: u32 = 0x20;
const AT_VOLUME_NAME: u32 = 0x60;
const AT_DATA: u32 = 0x80;
const AT_INDEX_ROOT: u32 = 0x90;
const AT_INDEX_ALLOCATION: u32 = 0xa0;
const AT_BITMAP: u32 = 0xb0;
const AT_REPARSE_POINT: u32 = 0xc0;
const AT_END: u32 = 0xffff_ffff;

// MFT record flags.
const MFT_RECORD_IN_USE: u16 = 0x0001;
const MFT_RECORD_IS_DIRECTORY: u16 = 0x0002;

// Attribute flags.
const ATTR_COMPRESSION_MASK: u16 = 0x00ff;
const ATTR_IS_ENCRYPTED: u16 = 0x4000;
const ATTR_IS_SPARSE: u16 = 0x8000;

// File attributes ($STANDARD_INFORMATION and $FILE_NAME).
const FILE_ATTR_HIDDEN: u32 = 0x0002;
const FILE_ATTR_SYSTEM: u32 = 0x0004;
const FILE_ATTR_REPARSE_POINT: u32 = 0x0400;
const FILE_ATTR_I30_INDEX_PRESENT: u32 = 0x1000_0000;

/// `$FILE_NAME` namespace of a DOS 8.3 name that ntfs-3g does not list.
const FILE_NAME_DOS: u8 = 2;

// Index entry flags.
const INDEX_ENTRY_END: u16 = 2;

// Reparse tags.
const IO_REPARSE_TAG_MOUNT_POINT: u32 = 0xa000_0003;
const IO_REPARSE_TAG_SYMLINK: u32 = 0xa000_000c;
const IO_REPARSE_TAG_LX_SYMLINK: u32 = 0xa000_001d;
const IO_REPARSE_TAG_IS_MICROSOFT: u32 = 0x8000_0000;

// Interix special-file magics (the first 8 bytes of the unnamed stream of a system file).
const INTX_SYMBOLIC_LINK: &[u8; 8] = b"IntxLNK\x01";
const INTX_CHARACTER_DEVICE: &[u8; 8] = b"IntxCHR\x00";
const INTX_BLOCK_DEVICE: &[u8; 8] = b"IntxBLK\x00";
/// Linux's PATH_MAX, which bounds an Interix link target.
const PATH_MAX: u64 = 4096;

/// Difference between the NTFS epoch (1601) and the Unix epoch, in 100 ns units.
const NTFS_TIME_OFFSET: i64 = 116_444_736_000_000_000;

/// The 512-byte stride of update sequence fix-ups.
const NTFS_BLOCK_SIZE: usize = 512;

/// Where libguestfs mounts a guest's root filesystem in the appliance; ntfs-3g writes it into
/// the targets of absolute links and junctions.
const APPLIANCE_MOUNT_POINT: &str = "/sysroot";
/// ntfs-3g's directory for targets on other volumes.
const MAPPING_DIR: &str = ".NTFS-3G/";

const BACKSLASH: u16 = b'\\' as u16;
const SLASH: u16 = b'/' as u16;
const COLON: u16 = b':' as u16;

/// ntfs-3g's target for a link to another volume: `/sysroot/.NTFS-3G/X:/path`, with the
/// drive letter in upper case and slashes for backslashes.
fn mapped_target(path: &[u16]) -> String {
    let mut t: Vec<char> = char::decode_utf16(path.iter().copied())
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .map(|c| if c == '\\' { '/' } else { c })
        .collect();
    if t.get(1) == Some(&':') && t[0].is_ascii_lowercase() {
        t[0] = t[0].to_ascii_uppercase();
    }
    format!(
        "{}/{}{}",
        APPLIANCE_MOUNT_POINT,
        MAPPING_DIR,
        t.into_iter().collect::<String>()
    )
}

/// ntfs-3g's link target for reparse points it cannot interpret.
fn bad_reparse_target(tag: u32) -> String {
    format!("unsupported reparse tag 0x{:08x}", tag)
}

/// `f_flag` of a read-only mount (`ST_RDONLY | ST_RELATIME`), as the appliance shows it.
const MOUNT_RO_FLAGS: i64 = 1 | 4096;
/// `NTFS_MAX_NAME_LEN`.
const NTFS_NAMEMAX: i64 = 255;

/// Limits against hostile volumes.
const MAX_ATTRIBUTE_LIST: u64 = 256 << 10;
const MAX_REPARSE_DATA: u64 = 16 << 10;
const MAX_ATTRIBUTES: usize = 4096;
const DIR_CACHE_ENTRIES: usize = 16;

fn utf16le_units(b: &[u8]) -> Vec<u16> {
    b.chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect()
}

fn corrupt(what: impl std::fmt::Display) -> Error {
    Error::corrupt(format!("ntfs: {}", what))
}

fn errno(e: i32) -> Error {
    Error::new(e, crate::error::strerror(e))
}

fn crate_err(e: ntfs::NtfsError) -> Error {
    corrupt(e)
}

// ---------------------------------------------------------------------------------------------
// blkid
// ---------------------------------------------------------------------------------------------

/// The boot sector fields blkid and this reader check.
struct BootSector {
    sector_size: u64,
    sectors_per_cluster: u64,
    total_sectors: u64,
    mft_lcn: u64,
    mft_mirror_lcn: u64,
    mft_record_size: u64,
    index_record_size: u64,
    serial: u64,
}

impl BootSector {
    /// blkid's NTFS superblock checks.
    fn parse(bs: &[u8]) -> Option<BootSector> {
        if bs.len() < 512 || bs.get(3..11) != Some(b"NTFS    ") {
            return None;
        }
        let sector_size = u64::from(le16(bs, 11));
        if !(256..=4096).contains(&sector_size) || !sector_size.is_power_of_two() {
            return None;
        }
        let spc = bs[13];
        let sectors_per_cluster = match spc {
            1 | 2 | 4 | 8 | 16 | 32 | 64 | 128 => u64::from(spc),
            240..=249 => 1u64 << (256 - u32::from(spc)),
            _ => return None,
        };
        if sector_size * sectors_per_cluster > 2 << 20 {
            return None;
        }
        // Fields a FAT boot sector uses must be zero.
        if le16(bs, 14) != 0
            || le16(bs, 17) != 0
            || le16(bs, 19) != 0
            || le16(bs, 22) != 0
            || le32(bs, 32) != 0
            || bs[16] != 0
        {
            return None;
        }
        let cluster_size = sector_size * sectors_per_cluster;
        let record_size = |raw: u8| -> Option<u64> {
            let v = raw as i8;
            if (0xe1..=0xf7).contains(&raw) {
                Some(1u64 << (-i32::from(v)))
            } else {
                match raw {
                    1 | 2 | 4 | 8 | 16 | 32 | 64 => Some(u64::from(raw) * cluster_size),
                    _ => None,
                }
            }
        };
        let mft_record_size = record_size(bs[0x40])?;
        // The index record size is not checked by blkid; 0 marks it invalid here.
        let index_record_size = record_size(bs[0x44]).unwrap_or(0);
        let total_sectors = le64(bs, 0x28);
        let nr_clusters = total_sectors / sectors_per_cluster;
        let mft_lcn = le64(bs, 0x30);
        let mft_mirror_lcn = le64(bs, 0x38);
        if mft_lcn > nr_clusters || mft_mirror_lcn > nr_clusters {
            return None;
        }
        Some(BootSector {
            sector_size,
            sectors_per_cluster,
            total_sectors,
            mft_lcn,
            mft_mirror_lcn,
            mft_record_size,
            index_record_size,
            serial: le64(bs, 0x48),
        })
    }

    fn cluster_size(&self) -> u64 {
        self.sector_size * self.sectors_per_cluster
    }
}

/// Identifies an NTFS volume as blkid does. Like blkid, it reads `$Volume` assuming the first
/// records of the MFT are contiguous and without applying update-sequence fix-ups.
pub fn probe(dev: &dyn BlockDevice) -> Option<Probe> {
    let bs = read_in_range(dev, 0, 512)?;
    let boot = BootSector::parse(&bs)?;
    let rs = boot.mft_record_size;
    if !(4..=1 << 20).contains(&rs) {
        return None;
    }
    let mft_off = boot.mft_lcn.checked_mul(boot.cluster_size())?;
    let mft = read_in_range(dev, mft_off, rs as usize)?;
    if &mft[0..4] != b"FILE" {
        return None;
    }
    let vol = read_in_range(dev, mft_off.checked_add(FILE_VOLUME * rs)?, rs as usize)?;
    if &vol[0..4] != b"FILE" {
        return None;
    }
    let mut label = String::new();
    let mut attr_off = u64::from(le16(&vol, 20));
    let bytes_allocated = u64::from(le32(&vol, 28));
    while attr_off + 24 <= rs && attr_off <= bytes_allocated {
        let a = attr_off as usize;
        let attr_len = u64::from(le32(&vol, a + 4));
        let ty = le32(&vol, a);
        if attr_len == 0 || ty == AT_END {
            break;
        }
        if ty == AT_VOLUME_NAME {
            let val_off = u64::from(le16(&vol, a + 20));
            let val_len = u64::from(le32(&vol, a + 16));
            if attr_off + val_off + val_len <= rs {
                let start = (attr_off + val_off) as usize;
                let units = utf16le_units(&vol[start..start + val_len as usize]);
                let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
                label = String::from_utf16_lossy(&units[..end])
                    .trim_end()
                    .to_string();
            }
            break;
        }
        attr_off += attr_len;
    }
    Some(Probe {
        fs_type: "ntfs".into(),
        label,
        uuid: format!("{:016X}", boot.serial),
    })
}

// ---------------------------------------------------------------------------------------------
// Reading through the crate
// ---------------------------------------------------------------------------------------------

/// `Read + Seek` over a [`BlockDevice`], with a one-block cache for the crate's small reads.
struct DevCursor<'a> {
    dev: &'a dyn BlockDevice,
    pos: u64,
    cache_start: u64,
    cache: Vec<u8>,
}

const CURSOR_BLOCK: u64 = 4096;

impl<'a> DevCursor<'a> {
    fn new(dev: &'a dyn BlockDevice) -> DevCursor<'a> {
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

// ---------------------------------------------------------------------------------------------
// MFT records, checked here before the crate parses them
// ---------------------------------------------------------------------------------------------

/// Applies the update sequence fix-ups of a multi-sector record ("FILE" or "INDX").
fn fixup(buf: &mut [u8], magic: &[u8; 4]) -> Result<()> {
    if buf.len() < 48 || &buf[0..4] != magic {
        return Err(corrupt(format!(
            "bad {} record signature",
            String::from_utf8_lossy(magic)
        )));
    }
    let usa_ofs = usize::from(le16(buf, 4));
    let usa_count = usize::from(le16(buf, 6));
    if usa_count == 0
        || usa_count - 1 != buf.len() / NTFS_BLOCK_SIZE
        || usa_ofs % 2 != 0
        || usa_ofs + usa_count * 2 > buf.len()
    {
        return Err(corrupt("bad update sequence array"));
    }
    let usn = [buf[usa_ofs], buf[usa_ofs + 1]];
    for i in 1..usa_count {
        let end = i * NTFS_BLOCK_SIZE;
        if buf[end - 2..end] != usn {
            return Err(corrupt("update sequence number mismatch (torn write)"));
        }
        let fix = [buf[usa_ofs + 2 * i], buf[usa_ofs + 2 * i + 1]];
        buf[end - 2..end].copy_from_slice(&fix);
    }
    Ok(())
}

/// One attribute of a record, its header fields checked.
#[derive(Debug, Clone)]
struct RawAttr {
    ty: u32,
    name: Vec<u16>,
    flags: u16,
    instance: u16,
    /// Resident: (value offset in the record, value length).
    resident: Option<(usize, usize)>,
    lowest_vcn: u64,
    allocated_size: u64,
    data_size: u64,
    initialized_size: u64,
    compressed_size: u64,
}

/// Size information of a stream, as ntfs-3g keeps it in its inode.
#[derive(Debug, Clone, Copy, Default)]
struct StreamInfo {
    flags: u16,
    data_size: u64,
    /// What `st_blocks` counts: the allocated size, or the compressed size of compressed and
    /// sparse streams, or a resident value's length rounded up to 8.
    allocated_size: u64,
    initialized_size: u64,
}

impl RawAttr {
    fn info(&self) -> StreamInfo {
        match self.resident {
            Some((_, len)) => StreamInfo {
                flags: self.flags,
                data_size: len as u64,
                allocated_size: (len as u64 + 7) & !7,
                initialized_size: len as u64,
            },
            None => StreamInfo {
                flags: self.flags,
                data_size: self.data_size,
                allocated_size: if self.flags & (ATTR_COMPRESSION_MASK | ATTR_IS_SPARSE) != 0 {
                    self.compressed_size
                } else {
                    self.allocated_size
                },
                initialized_size: self.initialized_size,
            },
        }
    }
}

/// A checked, fixed-up MFT record.
#[derive(Debug, Clone)]
struct RawRecord {
    data: Vec<u8>,
    attrs: Vec<RawAttr>,
}

impl RawRecord {
    /// Fixes up and checks a record so that every attribute header lies inside it.
    fn parse(mut data: Vec<u8>) -> Result<RawRecord> {
        fixup(&mut data, b"FILE")?;
        let len = data.len();
        let bytes_in_use = le32(&data, 24) as usize;
        let bytes_allocated = le32(&data, 28) as usize;
        if bytes_allocated > len || bytes_in_use > bytes_allocated {
            return Err(corrupt("MFT record sizes are inconsistent"));
        }
        let mut attrs = Vec::new();
        let mut off = usize::from(le16(&data, 20));
        loop {
            if off + 4 > bytes_in_use {
                return Err(corrupt("MFT record attributes run past the record"));
            }
            let ty = le32(&data, off);
            if ty == AT_END {
                break;
            }
            if attrs.len() >= MAX_ATTRIBUTES {
                return Err(corrupt("too many attributes"));
            }
            let alen = le32(&data, off + 4) as usize;
            let non_resident = data.get(off + 8).copied().unwrap_or(0) != 0;
            let min = if non_resident { 64 } else { 24 };
            if alen < min || alen & 7 != 0 || off + alen > bytes_in_use {
                return Err(corrupt("bad attribute length"));
            }
            let a = &data[off..off + alen];
            let name_len = usize::from(a[9]);
            let name_off = usize::from(le16(a, 10));
            if name_len > 0 && name_off + 2 * name_len > alen {
                return Err(corrupt("attribute name outside the attribute"));
            }
            let name = if name_len > 0 {
                utf16le_units(&a[name_off..name_off + 2 * name_len])
            } else {
                Vec::new()
            };
            let flags = le16(a, 12);
            let mut attr = RawAttr {
                ty,
                name,
                flags,
                instance: le16(a, 14),
                resident: None,
                lowest_vcn: 0,
                allocated_size: 0,
                data_size: 0,
                initialized_size: 0,
                compressed_size: 0,
            };
            if non_resident {
                let runs_off = usize::from(le16(a, 32));
                if runs_off < 64 || runs_off > alen {
                    return Err(corrupt("bad mapping pairs offset"));
                }
                attr.lowest_vcn = le64(a, 16);
                attr.allocated_size = le64(a, 40);
                attr.data_size = le64(a, 48);
                attr.initialized_size = le64(a, 56);
                attr.compressed_size =
                    if flags & (ATTR_COMPRESSION_MASK | ATTR_IS_SPARSE) != 0 && alen >= 72 {
                        le64(a, 64)
                    } else {
                        attr.allocated_size
                    };
                if attr.data_size > i64::MAX as u64
                    || attr.initialized_size > attr.data_size.max(attr.allocated_size)
                {
                    return Err(corrupt("bad non-resident attribute sizes"));
                }
            } else {
                let vlen = le32(a, 16) as usize;
                let voff = usize::from(le16(a, 20));
                if voff > alen || vlen > alen - voff {
                    return Err(corrupt("resident value outside the attribute"));
                }
                attr.resident = Some((off + voff, vlen));
            }
            attrs.push(attr);
            off += alen;
        }
        Ok(RawRecord { data, attrs })
    }

    fn flags(&self) -> u16 {
        le16(&self.data, 22)
    }

    fn link_count(&self) -> u16 {
        le16(&self.data, 18)
    }

    fn base_record(&self) -> u64 {
        le64(&self.data, 32) & 0x0000_ffff_ffff_ffff
    }

    fn find(&self, ty: u32, name: &[u16]) -> Option<&RawAttr> {
        self.attrs.iter().find(|a| a.ty == ty && a.name == name)
    }

    fn resident_value(&self, attr: &RawAttr) -> Option<&[u8]> {
        let (off, len) = attr.resident?;
        self.data.get(off..off + len)
    }
}

/// One entry of an `$ATTRIBUTE_LIST`.
#[derive(Debug, Clone)]
struct ListEntry {
    ty: u32,
    name: Vec<u16>,
    lowest_vcn: u64,
    record: u64,
    instance: u16,
}

/// Parses an attribute list, checking what the crate's parser relies on.
fn parse_attribute_list(b: &[u8]) -> Result<Vec<ListEntry>> {
    let mut out = Vec::new();
    let mut off = 0usize;
    while off < b.len() {
        if off + 26 > b.len() {
            return Err(corrupt("truncated attribute list entry"));
        }
        let len = usize::from(le16(b, off + 4));
        let name_len = usize::from(b[off + 6]);
        let name_off = usize::from(b[off + 7]);
        if len < 26 || off + len > b.len() || (name_len > 0 && name_off + 2 * name_len > len) {
            return Err(corrupt("bad attribute list entry"));
        }
        let name = if name_len > 0 {
            utf16le_units(&b[off + name_off..off + name_off + 2 * name_len])
        } else {
            Vec::new()
        };
        out.push(ListEntry {
            ty: le32(b, off),
            name,
            lowest_vcn: le64(b, off + 8),
            record: le64(b, off + 16) & 0x0000_ffff_ffff_ffff,
            instance: le16(b, off + 24),
        });
        off += len;
    }
    Ok(out)
}

/// An attribute list's entries and the extension records they name (by record number).
type AttributeList = (Vec<ListEntry>, Vec<(u64, RawRecord)>);

/// A file: the crate's handle on its base record plus the checked raw records.
struct Inode<'n> {
    number: u64,
    file: NtfsFile<'n>,
    base: RawRecord,
    /// With an attribute list: its entries and the extension records it names.
    list: Option<AttributeList>,
}

impl Inode<'_> {
    /// The first extent of an attribute (the one holding its sizes), wherever it lives.
    fn attr(&self, ty: u32, name: &[u16]) -> Option<(&RawRecord, &RawAttr)> {
        match &self.list {
            None => self.base.find(ty, name).map(|a| (&self.base, a)),
            Some((entries, records)) => {
                let entry = entries
                    .iter()
                    .find(|e| e.ty == ty && e.name == name && e.lowest_vcn == 0)?;
                let record = if entry.record == self.number {
                    &self.base
                } else {
                    &records.iter().find(|(n, _)| *n == entry.record)?.1
                };
                let attr = record
                    .attrs
                    .iter()
                    .find(|a| a.ty == ty && a.name == name && a.instance == entry.instance)?;
                Some((record, attr))
            }
        }
    }

    fn stream(&self, ty: u32, name: &[u16]) -> Option<StreamInfo> {
        self.attr(ty, name).map(|(_, a)| a.info())
    }
}

/// `$STANDARD_INFORMATION`: times and file attributes.
struct StandardInformation {
    last_data_change: u64,
    last_mft_change: u64,
    last_access: u64,
    file_attributes: u32,
}

/// ntfs-3g's `ntfs2timespec`: NTFS time to (seconds, nanoseconds), nanoseconds forced to 0
/// where the conversion gives nonsense.
fn ntfs_time(t: u64) -> (i64, i64) {
    let cputime = (t as i64).wrapping_sub(NTFS_TIME_OFFSET);
    let sec = cputime / 10_000_000;
    let nsec = (cputime - sec * 10_000_000) * 100;
    if !(0..=999_999_999).contains(&nsec) {
        (sec, 0)
    } else {
        (sec, nsec)
    }
}

/// One name in a directory index.
#[derive(Debug, Clone)]
struct IndexName {
    name: String,
    ino: u64,
    namespace: u8,
    file_attributes: u32,
}

/// A directory's names, with an index for exact lookups (the first entry of each name).
struct DirIndex {
    names: Vec<IndexName>,
    by_name: std::collections::HashMap<String, Ino>,
}

impl DirIndex {
    fn new(names: Vec<IndexName>) -> DirIndex {
        let mut by_name = std::collections::HashMap::new();
        for n in names.iter().filter(|n| n.ino > 1) {
            by_name.entry(n.name.clone()).or_insert(n.ino);
        }
        DirIndex { names, by_name }
    }
}

/// An NTFS volume opened read-only.
pub struct NtfsFs {
    dev: Device,
    ntfs: Ntfs,
    cluster_size: u64,
    record_size: u64,
    nr_clusters: u64,
    dir_cache: Mutex<Vec<(Ino, Arc<DirIndex>)>>,
    statvfs: Mutex<Option<StatVfs>>,
}

impl NtfsFs {
    /// Opens an NTFS volume.
    pub fn open(dev: Device) -> Result<NtfsFs> {
        let bad = |why: &str| {
            Error::new(
                libc::EINVAL,
                format!("not a valid NTFS filesystem: {}", why),
            )
        };
        let bs = read_in_range(&*dev, 0, 512).ok_or_else(|| bad("device too small"))?;
        let boot = BootSector::parse(&bs).ok_or_else(|| bad("bad boot sector"))?;
        if bs[510] != 0x55 || bs[511] != 0xaa {
            return Err(bad("bad boot sector signature"));
        }
        // Sizes the crate would allocate buffers of: keep them sane.
        if !(512..=4096).contains(&boot.sector_size) {
            return Err(bad("unsupported sector size"));
        }
        if !boot.mft_record_size.is_power_of_two()
            || !(1024..=65536).contains(&boot.mft_record_size)
        {
            return Err(bad("unsupported MFT record size"));
        }
        if !boot.index_record_size.is_power_of_two()
            || !(512..=65536).contains(&boot.index_record_size)
        {
            return Err(bad("unsupported index record size"));
        }
        if boot.mft_lcn == 0 || boot.mft_mirror_lcn == 0 {
            return Err(bad("bad MFT location"));
        }
        let cluster_size = boot.cluster_size();
        let nr_clusters = boot.total_sectors / boot.sectors_per_cluster;
        let mut cur = DevCursor::new(&*dev);
        let ntfs = Ntfs::new(&mut cur).map_err(|e| bad(&e.to_string()))?;
        if u64::from(ntfs.file_record_size()) != boot.mft_record_size
            || u64::from(ntfs.cluster_size()) != cluster_size
        {
            return Err(bad("inconsistent boot sector"));
        }
        let fs = NtfsFs {
            dev,
            ntfs,
            cluster_size,
            record_size: boot.mft_record_size,
            nr_clusters,
            dir_cache: Mutex::new(Vec::new()),
            statvfs: Mutex::new(None),
        };
        // The crate parses the MFT's own record (record 0 at the MFT's start) on every file
        // lookup without checking it: check it once here. Then the MFT and the root directory
        // must be readable, as for ntfs-3g's mount.
        {
            let mft_pos = boot
                .mft_lcn
                .checked_mul(cluster_size)
                .ok_or_else(|| bad("bad MFT location"))?;
            let mut record = vec![0u8; fs.record_size as usize];
            fs.dev
                .read_exact_at(&mut record, mft_pos)
                .map_err(|e| corrupt(format!("reading the MFT: {}", e)))?;
            let mft = RawRecord::parse(record)?;
            match mft.find(AT_DATA, &[]) {
                Some(a) if a.resident.is_none() => {}
                _ => return Err(corrupt("$MFT has no non-resident $DATA")),
            }
            let mut cur = DevCursor::new(&*fs.dev);
            let root = fs.inode(&mut cur, FILE_ROOT)?;
            if root.base.flags() & MFT_RECORD_IS_DIRECTORY == 0 {
                return Err(corrupt("the root directory is not a directory"));
            }
        }
        Ok(fs)
    }

    fn cursor(&self) -> DevCursor<'_> {
        DevCursor::new(&*self.dev)
    }

    /// Reads and checks the raw record the crate located.
    fn raw_record(&self, file: &NtfsFile<'_>) -> Result<RawRecord> {
        let pos = file
            .position()
            .value()
            .ok_or_else(|| corrupt("MFT record without a position"))?
            .get();
        let mut data = vec![0u8; self.record_size as usize];
        self.dev
            .read_exact_at(&mut data, pos)
            .map_err(|e| corrupt(format!("reading MFT record: {}", e)))?;
        RawRecord::parse(data)
    }

    /// Opens file record `number` (a base record in use), checking every record the crate
    /// will parse for it.
    fn inode<'n>(&'n self, cur: &mut DevCursor<'_>, number: u64) -> Result<Inode<'n>> {
        if number <= 1 && number != FILE_MFT {
            return Err(errno(libc::ENOENT));
        }
        let file = self
            .ntfs
            .file(cur, number)
            .map_err(|_| errno(libc::ENOENT))?;
        let base = self.raw_record(&file)?;
        if base.flags() & MFT_RECORD_IN_USE == 0 || base.base_record() != 0 {
            return Err(errno(libc::ENOENT));
        }
        let mut inode = Inode {
            number,
            file,
            base,
            list: None,
        };
        if let Some(list_attr) = inode.base.find(AT_ATTRIBUTE_LIST, &[]).cloned() {
            let bytes = match inode.base.resident_value(&list_attr) {
                Some(v) => v.to_vec(),
                None => {
                    if list_attr.data_size > MAX_ATTRIBUTE_LIST {
                        return Err(corrupt("attribute list too large"));
                    }
                    let mut buf = vec![0u8; list_attr.data_size as usize];
                    let attr = inode
                        .file
                        .attributes_raw()
                        .filter_map(|a| a.ok())
                        .find(|a| a.ty().ok() == Some(NtfsAttributeType::AttributeList))
                        .ok_or_else(|| corrupt("attribute list vanished"))?;
                    let mut value = attr.value(cur).map_err(crate_err)?;
                    read_value(&mut value, cur, 0, &mut buf)?;
                    buf
                }
            };
            let entries = parse_attribute_list(&bytes)?;
            let mut records: Vec<(u64, RawRecord)> = Vec::new();
            for e in &entries {
                if e.record == number || records.iter().any(|(n, _)| *n == e.record) {
                    continue;
                }
                let f = self.ntfs.file(cur, e.record).map_err(crate_err)?;
                let raw = self.raw_record(&f)?;
                if raw.base_record() != number {
                    return Err(corrupt("attribute list names a record of another file"));
                }
                records.push((e.record, raw));
            }
            inode.list = Some((entries, records));
        }
        Ok(inode)
    }

    fn standard_information(&self, inode: &Inode<'_>) -> Result<StandardInformation> {
        let attr = inode
            .base
            .find(AT_STANDARD_INFORMATION, &[])
            .ok_or_else(|| corrupt("no $STANDARD_INFORMATION"))?;
        let v = inode
            .base
            .resident_value(attr)
            .ok_or_else(|| corrupt("non-resident $STANDARD_INFORMATION"))?;
        if v.len() < 48 {
            return Err(corrupt("short $STANDARD_INFORMATION"));
        }
        Ok(StandardInformation {
            last_data_change: le64(v, 8),
            last_mft_change: le64(v, 16),
            last_access: le64(v, 24),
            file_attributes: le32(v, 32),
        })
    }

    /// Reads `buf.len()` bytes (or up to the end) of an attribute's value at `offset`; bytes
    /// past the initialized size read as zeros.
    #[allow(clippy::too_many_arguments)]
    fn read_stream(
        &self,
        cur: &mut DevCursor<'_>,
        inode: &Inode<'_>,
        ty: u32,
        name: &str,
        info: &StreamInfo,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize> {
        if offset >= info.data_size || buf.is_empty() {
            return Ok(0);
        }
        let want = (info.data_size - offset).min(buf.len() as u64) as usize;
        let buf = &mut buf[..want];
        let init_end = info.initialized_size.min(info.data_size);
        let from_disk = if offset >= init_end {
            0
        } else {
            (init_end - offset).min(want as u64) as usize
        };
        buf[from_disk..].fill(0);
        if from_disk > 0 {
            let wanted_ty = NtfsAttributeType::n(ty);
            let mut attrs = inode.file.attributes();
            let mut seen = 0usize;
            loop {
                seen += 1;
                if seen > MAX_ATTRIBUTES {
                    return Err(corrupt("too many attributes"));
                }
                let item = match attrs.next(cur) {
                    None => return Err(corrupt("stream vanished")),
                    Some(item) => item.map_err(crate_err)?,
                };
                let attr = item.to_attribute().map_err(crate_err)?;
                if attr.ty().ok() != wanted_ty {
                    continue;
                }
                let attr_name = attr.name().map_err(crate_err)?;
                if attr_name.to_string_lossy() != name {
                    continue;
                }
                let mut value = attr.value(cur).map_err(crate_err)?;
                let got = read_value(&mut value, cur, offset, &mut buf[..from_disk])?;
                if got < from_disk {
                    return Err(corrupt("stream shorter than its size"));
                }
                break;
            }
        }
        Ok(want)
    }

    /// Reads a whole small attribute value.
    fn read_small(
        &self,
        cur: &mut DevCursor<'_>,
        inode: &Inode<'_>,
        ty: u32,
        name: &str,
        max: u64,
    ) -> Result<Option<Vec<u8>>> {
        let name_units: Vec<u16> = name.encode_utf16().collect();
        let Some((record, attr)) = inode.attr(ty, &name_units) else {
            return Ok(None);
        };
        if let Some(v) = record.resident_value(attr) {
            return Ok(Some(v.to_vec()));
        }
        let info = attr.info();
        if info.data_size > max {
            return Err(corrupt("attribute value too large"));
        }
        let mut buf = vec![0u8; info.data_size as usize];
        self.read_stream(cur, inode, ty, name, &info, 0, &mut buf)?;
        Ok(Some(buf))
    }

    // -----------------------------------------------------------------------------------------
    // Directories
    // -----------------------------------------------------------------------------------------

    /// All names of a directory's `$I30` index in collation order, DOS names and metadata
    /// files included.
    fn index_names(&self, dir: Ino) -> Result<Arc<DirIndex>> {
        {
            let mut cache = self.dir_cache.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(i) = cache.iter().position(|(d, _)| *d == dir) {
                let hit = cache.remove(i);
                let names = hit.1.clone();
                cache.insert(0, hit);
                return Ok(names);
            }
        }
        let names = Arc::new(DirIndex::new(self.read_index(dir)?));
        let mut cache = self.dir_cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(0, (dir, names.clone()));
        cache.truncate(DIR_CACHE_ENTRIES);
        Ok(names)
    }

    fn read_index(&self, dir: Ino) -> Result<Vec<IndexName>> {
        let mut cur = self.cursor();
        let inode = self.inode(&mut cur, dir)?;
        if inode.base.flags() & MFT_RECORD_IS_DIRECTORY == 0 {
            return Err(errno(libc::ENOTDIR));
        }
        let i30: Vec<u16> = "$I30".encode_utf16().collect();
        let (record, root_attr) = inode
            .attr(AT_INDEX_ROOT, &i30)
            .ok_or_else(|| corrupt("directory without $INDEX_ROOT"))?;
        let root = record
            .resident_value(root_attr)
            .ok_or_else(|| corrupt("non-resident $INDEX_ROOT"))?
            .to_vec();
        if root.len() < 32 {
            return Err(corrupt("short $INDEX_ROOT"));
        }
        let block_size = u64::from(le32(&root, 8));
        let mut out = Vec::new();
        // ntfs-3g's readdir order: the index root's entries, then the index blocks in use
        // (by the index's $BITMAP) in VCN order, each block's entries in order.
        index_node_entries(&root, 16, &mut out)?;
        let Some(alloc) = inode.stream(AT_INDEX_ALLOCATION, &i30) else {
            return Ok(out);
        };
        if !block_size.is_power_of_two() || !(512..=65536).contains(&block_size) {
            return Err(corrupt("bad index block size"));
        }
        let vcn_bits = if block_size >= self.cluster_size {
            self.cluster_size.trailing_zeros()
        } else {
            9
        };
        let blocks = alloc.data_size / block_size;
        let bitmap = self
            .read_small(&mut cur, &inode, AT_BITMAP, "$I30", blocks / 8 + 4096)?
            .ok_or_else(|| corrupt("index allocation without $BITMAP"))?;
        let mut block = vec![0u8; block_size as usize];
        for n in 0..blocks.min(bitmap.len() as u64 * 8) {
            if bitmap[(n / 8) as usize] & (1 << (n % 8)) == 0 {
                continue;
            }
            let offset = n * block_size;
            let got = self.read_stream(
                &mut cur,
                &inode,
                AT_INDEX_ALLOCATION,
                "$I30",
                &alloc,
                offset,
                &mut block,
            )?;
            if got != block.len() {
                return Err(corrupt("short index block"));
            }
            fixup(&mut block, b"INDX")?;
            if le64(&block, 16) != offset >> vcn_bits {
                return Err(corrupt("index block VCN mismatch"));
            }
            if u64::from(le32(&block, 24 + 8)) + 0x18 != block_size {
                return Err(corrupt("bad index block allocated size"));
            }
            index_node_entries(&block, 24, &mut out)?;
        }
        Ok(out)
    }

    /// Case-insensitive lookup used when resolving link targets (ntfs-3g's
    /// `ntfs_fix_file_name`): the entry's own name and its inode number.
    fn lookup_ignore_case(&self, dir: Ino, name: &str) -> Option<(String, Ino)> {
        let index = self.index_names(dir).ok()?;
        if let Some(&ino) = index.by_name.get(name) {
            return Some((name.to_string(), ino));
        }
        let upper: String = name.chars().flat_map(char::to_uppercase).collect();
        index
            .names
            .iter()
            .filter(|n| n.ino > 1)
            .find(|n| {
                n.name
                    .chars()
                    .flat_map(char::to_uppercase)
                    .eq(upper.chars())
            })
            .map(|n| (n.name.clone(), n.ino))
    }

    // -----------------------------------------------------------------------------------------
    // Links
    // -----------------------------------------------------------------------------------------

    /// The target ntfs-3g shows for a reparse point: Ok(Some) for a target, Ok(None) when it
    /// depends on things this reader does not model.
    fn reparse_target(
        &self,
        cur: &mut DevCursor<'_>,
        inode: &Inode<'_>,
        parent: Option<Ino>,
    ) -> Result<String> {
        let data = self
            .read_small(cur, inode, AT_REPARSE_POINT, "", MAX_REPARSE_DATA)?
            .ok_or_else(|| corrupt("reparse point without $REPARSE_POINT"))?;
        if data.len() < 8 {
            return Ok(bad_reparse_target(0));
        }
        let tag = le32(&data, 0);
        let data_len = usize::from(le16(&data, 4));
        let header = if tag & IO_REPARSE_TAG_IS_MICROSOFT != 0 {
            8
        } else {
            24
        };
        if data_len + header != data.len() {
            return Ok(bad_reparse_target(tag));
        }
        let body = &data[8..];
        let is_dir = inode.base.flags() & MFT_RECORD_IS_DIRECTORY != 0;
        let target = match tag {
            IO_REPARSE_TAG_MOUNT_POINT | IO_REPARSE_TAG_SYMLINK => {
                let path_start = if tag == IO_REPARSE_TAG_SYMLINK { 12 } else { 8 };
                let subst_off = usize::from(le16(body, 0));
                let subst_len = usize::from(le16(body, 2));
                let print_off = usize::from(le16(body, 4));
                let print_len = usize::from(le16(body, 6));
                let fits = |off: usize, len: usize| path_start + off + len <= body.len();
                if body.len() < path_start
                    || !fits(subst_off, subst_len)
                    || !fits(print_off, print_len)
                    || subst_len % 2 != 0
                {
                    None
                } else {
                    let mut units = utf16le_units(
                        &body[path_start + subst_off..path_start + subst_off + subst_len],
                    );
                    if tag == IO_REPARSE_TAG_MOUNT_POINT {
                        self.full_link(&mut units, is_dir)
                    } else {
                        // Absolute and relative forms are honoured only with the "relative"
                        // flag, the \??\ form only without it, as ntfs-3g does.
                        let relative_flag = le32(body, 8) & 1 != 0;
                        match (units.first().copied(), units.get(1).copied()) {
                            (Some(BACKSLASH), Some(c))
                                if c == u16::from(b'?') || c == BACKSLASH =>
                            {
                                if relative_flag {
                                    None
                                } else {
                                    self.full_link(&mut units, is_dir)
                                }
                            }
                            (Some(BACKSLASH), _) | (_, Some(COLON)) if relative_flag => {
                                self.abs_link(&mut units, is_dir)
                            }
                            (Some(BACKSLASH), _) | (_, Some(COLON)) => None,
                            _ if relative_flag => {
                                parent.and_then(|p| self.rel_link(p, &mut units, is_dir))
                            }
                            _ => None,
                        }
                    }
                }
            }
            IO_REPARSE_TAG_LX_SYMLINK => {
                if body.len() >= 4 && le32(body, 0) == 2 {
                    let link = &body[4..];
                    let end = link.iter().position(|&b| b == 0).unwrap_or(link.len());
                    Some(String::from_utf8_lossy(&link[..end]).into_owned())
                } else {
                    None
                }
            }
            _ => None,
        };
        Ok(target.unwrap_or_else(|| bad_reparse_target(tag)))
    }

    /// ntfs-3g's `ntfs_fix_file_name`: looks a path component up ignoring case; on success
    /// the component takes the case of the name on disk.
    fn fix_file_name(&self, dir: Ino, comp: &mut [u16]) -> Option<Ino> {
        let name = String::from_utf16(comp).ok()?;
        let (found, ino) = self.lookup_ignore_case(dir, &name)?;
        let units: Vec<u16> = found.encode_utf16().collect();
        if units.len() == comp.len() {
            comp.copy_from_slice(&units);
        }
        Some(ino)
    }

    /// Whether a file is a directory record and whether it is a reparse point.
    fn kind(&self, cur: &mut DevCursor<'_>, ino: Ino) -> Option<(bool, bool)> {
        let inode = self.inode(cur, ino).ok()?;
        let si = self.standard_information(&inode).ok()?;
        Some((
            inode.base.flags() & MFT_RECORD_IS_DIRECTORY != 0,
            si.file_attributes & FILE_ATTR_REPARSE_POINT != 0,
        ))
    }

    /// ntfs-3g's `search_absolute`: follows `path` (components separated by `\`) from the
    /// root, fixing the case of what it finds and turning the separators it passes into `/`
    /// (in place, as ntfs-3g does even when the search fails); the path as a string if it
    /// resolves to an object of the link's kind or reaches another reparse point.
    fn search_absolute(&self, path: &mut [u16], is_dir: bool) -> Option<String> {
        let mut cur = self.cursor();
        let count = path.len();
        let mut dir = FILE_ROOT;
        let mut start = 0usize;
        let mut depth = 0;
        loop {
            depth += 1;
            if depth > 256 {
                return None;
            }
            let mut len = 0;
            while start + len < count && path[start + len] != BACKSLASH {
                len += 1;
            }
            let ino = self.fix_file_name(dir, &mut path[start..start + len])?;
            let (node_is_dir, reparse) = self.kind(&mut cur, ino)?;
            start += len;
            if start < count {
                path[start] = SLASH;
                start += 1;
            }
            if !(node_is_dir && !reparse && start < count) {
                if node_is_dir == is_dir || reparse {
                    return String::from_utf16(path).ok();
                }
                return None;
            }
            dir = ino;
        }
    }

    /// `ntfs_get_fulllink`: `\??\X:\path` (a junction, or a full symbolic link) or
    /// `\??\Volume{…}\`.
    fn full_link(&self, j: &mut [u16], is_dir: bool) -> Option<String> {
        let head: Vec<u16> = "\\??\\".encode_utf16().collect();
        let vol_head: Vec<u16> = "\\??\\Volume{".encode_utf16().collect();
        let count = j.len();
        let dir_junction =
            count >= 7 && j[..4] == head[..] && j[4] != 0 && j[5] == COLON && j[6] == BACKSLASH;
        let vol_junction = count >= 12 && j[..11] == vol_head[..] && j[count - 1] == BACKSLASH;
        if dir_junction && count > 7 && j[7] != 0 {
            if let Some(found) = self.search_absolute(&mut j[7..], is_dir) {
                return Some(format!("{}/{}", APPLIANCE_MOUNT_POINT, found));
            }
        }
        if dir_junction || vol_junction {
            let end = if vol_junction { count - 1 } else { count };
            return Some(mapped_target(&j[4..end]));
        }
        None
    }

    /// `ntfs_get_abslink`: `X:\path` or `\path`.
    fn abs_link(&self, j: &mut [u16], is_dir: bool) -> Option<String> {
        let count = j.len();
        let full_path = count >= 3 && j[0] != 0 && j[1] == COLON && j[2] == BACKSLASH;
        let abs_path = !full_path && j.first() == Some(&BACKSLASH);
        let found = if full_path && count > 3 && j[3] != 0 {
            self.search_absolute(&mut j[3..], is_dir)
        } else if abs_path {
            self.search_absolute(&mut j[1..], is_dir)
        } else {
            None
        };
        match found {
            Some(found) => Some(format!("{}/{}", APPLIANCE_MOUNT_POINT, found)),
            None if full_path => Some(mapped_target(j)),
            None => None,
        }
    }

    /// ntfs-3g's `search_relative`: follows a relative target from the link's directory,
    /// fixing case as it goes; the target if it resolves to an object of the link's kind (or
    /// reaches another reparse point).
    fn rel_link(&self, parent: Ino, path: &mut [u16], is_dir: bool) -> Option<String> {
        let mut cur = self.cursor();
        let count = path.len();
        let dot = u16::from(b'.');
        let mut dir = parent;
        let mut last: Option<Ino> = None;
        let mut pos = 0usize;
        let mut steps = 0;
        while pos + 1 < count {
            steps += 1;
            if steps > 256 {
                return None;
            }
            if path[pos] == dot && path[pos + 1] == BACKSLASH {
                path[pos + 1] = SLASH;
                pos += 2;
            } else if pos + 2 < count
                && path[pos] == dot
                && path[pos + 1] == dot
                && path[pos + 2] == BACKSLASH
            {
                path[pos + 2] = SLASH;
                pos += 3;
                dir = self.parent_of(&mut cur, dir)?;
                last = Some(dir);
            } else {
                let mut len = 0;
                while pos + len < count && path[pos + len] != BACKSLASH {
                    len += 1;
                }
                if len == 0 {
                    return None;
                }
                let ino = self.fix_file_name(dir, &mut path[pos..pos + len])?;
                let (_, reparse) = self.kind(&mut cur, ino)?;
                last = Some(ino);
                if pos + len < count {
                    path[pos + len] = SLASH;
                    pos += len + 1;
                } else {
                    pos += len;
                }
                if reparse {
                    // Not followed further; the rest is kept as written.
                    return String::from_utf16(path).ok();
                }
                dir = ino;
            }
        }
        let (target_is_dir, _) = self.kind(&mut cur, last?)?;
        if target_is_dir != is_dir {
            return None;
        }
        String::from_utf16(path).ok()
    }

    /// The directory holding a directory (from its `$FILE_NAME`); none above the root.
    fn parent_of(&self, cur: &mut DevCursor<'_>, dir: Ino) -> Option<Ino> {
        if dir == FILE_ROOT {
            return None;
        }
        let inode = self.inode(cur, dir).ok()?;
        Self::parent_from_file_name(&inode)
    }

    /// An Interix special file's type, device number and (for links) target.
    fn interix(
        &self,
        cur: &mut DevCursor<'_>,
        inode: &Inode<'_>,
        info: &StreamInfo,
    ) -> Result<Option<(i64, i64, Option<String>)>> {
        if info.data_size <= 8
            || info.data_size > 8 + 2 * PATH_MAX
            || info.flags & (ATTR_COMPRESSION_MASK | ATTR_IS_ENCRYPTED) != 0
        {
            return Ok(None);
        }
        let mut data = vec![0u8; info.data_size as usize];
        self.read_stream(cur, inode, AT_DATA, "", info, 0, &mut data)?;
        let magic = &data[0..8];
        if (magic == INTX_BLOCK_DEVICE || magic == INTX_CHARACTER_DEVICE) && data.len() == 24 {
            let rdev = makedev(le64(&data, 8), le64(&data, 16));
            let ty = if magic == INTX_BLOCK_DEVICE {
                S_IFBLK
            } else {
                S_IFCHR
            };
            return Ok(Some((ty, rdev, None)));
        }
        if magic == INTX_SYMBOLIC_LINK {
            let units = utf16le_units(&data[8..]);
            let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
            let target = String::from_utf16(&units[..end])
                .map_err(|_| Error::new(libc::EILSEQ, "ntfs: invalid link target"))?;
            return Ok(Some((S_IFLNK, 0, Some(target))));
        }
        Ok(None)
    }

    /// The parent directory a file's first `$FILE_NAME` names.
    fn parent_from_file_name(inode: &Inode<'_>) -> Option<Ino> {
        let fname = inode.base.attrs.iter().find(|a| a.ty == 0x30)?;
        let v = inode.base.resident_value(fname)?;
        Some(le64(v, 0) & 0x0000_ffff_ffff_ffff)
    }

    fn blksize(&self) -> i64 {
        // ntfs-3g mounts with blksize = cluster size; the kernel cannot go past a page.
        self.cluster_size.min(4096) as i64
    }

    fn stat_inode(
        &self,
        cur: &mut DevCursor<'_>,
        inode: &Inode<'_>,
    ) -> Result<(StatNs, Option<String>)> {
        let si = self.standard_information(inode)?;
        let data = inode.stream(AT_DATA, &[]).unwrap_or_default();
        let is_dir = inode.base.flags() & MFT_RECORD_IS_DIRECTORY != 0;
        let reparse = si.file_attributes & FILE_ATTR_REPARSE_POINT != 0;
        let mut st = StatNs {
            st_ino: inode.number as i64,
            st_blksize: self.blksize(),
            ..StatNs::default()
        };
        let mut link = None;
        if is_dir || reparse {
            if reparse {
                let target = self.reparse_target(cur, inode, Self::parent_from_file_name(inode))?;
                st.st_mode = S_IFLNK | 0o777;
                st.st_size = target.len() as i64;
                st.st_blocks = (data.allocated_size.saturating_add(511) >> 9) as i64;
                st.st_nlink = i64::from(inode.base.link_count());
                link = Some(target);
            } else {
                let i30: Vec<u16> = "$I30".encode_utf16().collect();
                let index = inode.stream(AT_INDEX_ALLOCATION, &i30).unwrap_or_default();
                st.st_mode = S_IFDIR | 0o777;
                st.st_size = index.data_size as i64;
                st.st_blocks = (index.allocated_size >> 9) as i64;
                st.st_nlink = 1;
            }
        } else {
            let mut mode = S_IFREG;
            st.st_size = data.data_size as i64;
            st.st_blocks = (data.allocated_size.saturating_add(511) >> 9) as i64;
            st.st_nlink = i64::from(inode.base.link_count());
            if si.file_attributes & FILE_ATTR_SYSTEM != 0 && inode.attr(AT_DATA, &[]).is_some() {
                if si.file_attributes & FILE_ATTR_HIDDEN == 0 {
                    if data.data_size == 0 {
                        mode = S_IFIFO;
                    } else if data.data_size == 1 {
                        mode = S_IFSOCK;
                    }
                }
                if let Some((ty, rdev, target)) = self.interix(cur, inode, &data)? {
                    mode = ty;
                    st.st_rdev = rdev;
                    if let Some(t) = target {
                        st.st_size = t.len() as i64;
                        link = Some(t);
                    }
                }
            }
            st.st_mode = mode | 0o777;
        }
        let (asec, ansec) = ntfs_time(si.last_access);
        let (msec, mnsec) = ntfs_time(si.last_data_change);
        let (csec, cnsec) = ntfs_time(si.last_mft_change);
        st.st_atime_sec = asec;
        st.st_atime_nsec = ansec;
        st.st_mtime_sec = msec;
        st.st_mtime_nsec = mnsec;
        st.st_ctime_sec = csec;
        st.st_ctime_nsec = cnsec;
        Ok((st, link))
    }

    /// Counts zero bits of an attribute value, reading it in pieces.
    fn count_zero_bits(
        &self,
        cur: &mut DevCursor<'_>,
        inode: &Inode<'_>,
        ty: u32,
        info: &StreamInfo,
    ) -> Result<u64> {
        let mut zeros = 0u64;
        let mut off = 0u64;
        let mut buf = vec![0u8; 1 << 20];
        while off < info.data_size {
            let n = (info.data_size - off).min(buf.len() as u64) as usize;
            let got = self.read_stream(cur, inode, ty, "", info, off, &mut buf[..n])?;
            if got == 0 {
                break;
            }
            zeros += buf[..got]
                .iter()
                .map(|b| u64::from(b.count_zeros()))
                .sum::<u64>();
            off += got as u64;
        }
        Ok(zeros)
    }
}

/// Reads from an attribute value at `offset` until `buf` is full or the value ends.
fn read_value(
    value: &mut ntfs::attribute_value::NtfsAttributeValue<'_, '_>,
    cur: &mut DevCursor<'_>,
    offset: u64,
    buf: &mut [u8],
) -> Result<usize> {
    value
        .seek(cur, SeekFrom::Start(offset))
        .map_err(crate_err)?;
    let mut done = 0;
    while done < buf.len() {
        let n = value.read(cur, &mut buf[done..]).map_err(crate_err)?;
        if n == 0 {
            break;
        }
        done += n;
    }
    Ok(done)
}

/// The names of one index node (the index root's, or an index block's) whose index header is
/// at `header` in `buf`, in order.
fn index_node_entries(buf: &[u8], header: usize, out: &mut Vec<IndexName>) -> Result<()> {
    let entries_offset = le32(buf, header) as usize;
    let index_length = le32(buf, header + 4) as usize;
    let end = header.saturating_add(index_length);
    if end > buf.len() {
        return Err(corrupt("index entries run past their node"));
    }
    let mut p = header.saturating_add(entries_offset);
    loop {
        if p + 16 > end {
            return Err(corrupt("index node without an end entry"));
        }
        let length = usize::from(le16(buf, p + 8));
        let key_length = usize::from(le16(buf, p + 10));
        let flags = le16(buf, p + 12);
        if flags & INDEX_ENTRY_END != 0 {
            return Ok(());
        }
        if length < 16 || p + length > end || key_length < 66 || 16 + key_length > length {
            return Err(corrupt("bad index entry"));
        }
        let key = &buf[p + 16..p + 16 + key_length];
        let name_len = usize::from(key[64]);
        if 66 + 2 * name_len > key_length {
            return Err(corrupt("bad file name in index entry"));
        }
        let units = utf16le_units(&key[66..66 + 2 * name_len]);
        // ntfs-3g cannot convert names with unpaired surrogates and leaves them out.
        if let Ok(name) = String::from_utf16(&units) {
            out.push(IndexName {
                name,
                ino: le64(buf, p) & 0x0000_ffff_ffff_ffff,
                namespace: key[65],
                file_attributes: le32(key, 56),
            });
        }
        p += length;
    }
}

impl Filesystem for NtfsFs {
    fn fs_type(&self) -> &str {
        "ntfs"
    }

    fn root(&self) -> Ino {
        FILE_ROOT
    }

    fn stat(&self, ino: Ino) -> Result<StatNs> {
        let mut cur = self.cursor();
        let inode = self.inode(&mut cur, ino)?;
        Ok(self.stat_inode(&mut cur, &inode)?.0)
    }

    fn read_dir(&self, dir: Ino) -> Result<Vec<DirEntry>> {
        let index = self.index_names(dir)?;
        let mut out = Vec::with_capacity(index.names.len());
        for n in index.names.iter() {
            if n.namespace == FILE_NAME_DOS || n.ino < FILE_FIRST_USER {
                continue;
            }
            if n.name.is_empty()
                || n.name.contains('/')
                || n.name.contains('\0')
                || n.name == "."
                || n.name == ".."
            {
                continue;
            }
            let file_type = if n.file_attributes & (FILE_ATTR_REPARSE_POINT | FILE_ATTR_SYSTEM) != 0
            {
                match self.stat(n.ino) {
                    Ok(st) => FileType::from_mode(st.st_mode),
                    Err(_) => FileType::Unknown,
                }
            } else if n.file_attributes & FILE_ATTR_I30_INDEX_PRESENT != 0 {
                FileType::Directory
            } else {
                FileType::Regular
            };
            out.push(DirEntry {
                name: n.name.clone(),
                ino: n.ino,
                file_type,
            });
        }
        Ok(out)
    }

    /// ntfs-3g looks names up case-sensitively among all names of the index, DOS names and
    /// metadata files included.
    fn lookup(&self, dir: Ino, name: &str) -> Result<Option<Ino>> {
        Ok(self.index_names(dir)?.by_name.get(name).copied())
    }

    fn read_link(&self, ino: Ino) -> Result<String> {
        let mut cur = self.cursor();
        let inode = self.inode(&mut cur, ino)?;
        match self.stat_inode(&mut cur, &inode)? {
            (_, Some(target)) => Ok(target),
            _ => Err(errno(libc::EINVAL)),
        }
    }

    fn read_at(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let mut cur = self.cursor();
        let inode = self.inode(&mut cur, ino)?;
        if inode.base.flags() & MFT_RECORD_IS_DIRECTORY != 0 {
            return Err(errno(libc::EISDIR));
        }
        let si = self.standard_information(&inode)?;
        if si.file_attributes & FILE_ATTR_REPARSE_POINT != 0 {
            return Err(Error::new(
                libc::ENOTSUP,
                "ntfs: reading the data of reparse points is not supported",
            ));
        }
        let Some(info) = inode.stream(AT_DATA, &[]) else {
            return Ok(0);
        };
        if info.flags & ATTR_IS_ENCRYPTED != 0 {
            return Err(errno(libc::EACCES));
        }
        if info.flags & ATTR_COMPRESSION_MASK != 0 {
            return Err(Error::new(
                libc::ENOTSUP,
                "ntfs: compressed files are not supported by the native backend",
            ));
        }
        self.read_stream(&mut cur, &inode, AT_DATA, "", &info, offset, buf)
    }

    fn statvfs(&self) -> Result<StatVfs> {
        let mut cached = self.statvfs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = *cached {
            return Ok(s);
        }
        let mut cur = self.cursor();
        // Free clusters: zero bits of $Bitmap (ntfs-3g counts its whole data size).
        let bitmap = self.inode(&mut cur, FILE_BITMAP)?;
        let info = bitmap
            .stream(AT_DATA, &[])
            .ok_or_else(|| corrupt("$Bitmap without data"))?;
        if info.data_size > self.nr_clusters / 8 + (1 << 20) {
            return Err(corrupt("$Bitmap larger than the volume needs"));
        }
        let free_clusters = self.count_zero_bits(&mut cur, &bitmap, AT_DATA, &info)?;
        // Free MFT records: zero bits of $MFT's $BITMAP plus its allocated slack.
        let mft = self.inode(&mut cur, FILE_MFT)?;
        let mft_bitmap = mft
            .stream(AT_BITMAP, &[])
            .ok_or_else(|| corrupt("$MFT without $BITMAP"))?;
        if mft_bitmap.data_size > self.dev.size() / self.record_size / 8 + (1 << 20) {
            return Err(corrupt("MFT bitmap larger than the volume could need"));
        }
        let mft_bitmap_alloc = match mft.attr(AT_BITMAP, &[]) {
            Some((_, a)) if a.resident.is_none() => a.allocated_size,
            _ => mft_bitmap.allocated_size,
        };
        let free_records = self.count_zero_bits(&mut cur, &mft, AT_BITMAP, &mft_bitmap)?
            + mft_bitmap_alloc
                .saturating_sub(mft_bitmap.data_size)
                .saturating_mul(8);
        let cluster_bits = self.cluster_size.trailing_zeros() as i32;
        let record_bits = self.record_size.trailing_zeros() as i32;
        let delta = cluster_bits - record_bits;
        let free_as_records = if delta >= 0 {
            free_clusters << delta
        } else {
            free_clusters >> -delta
        };
        let files = mft_bitmap_alloc
            .saturating_mul(8)
            .saturating_add(free_as_records);
        let ffree = free_as_records.saturating_add(free_records);
        let cs = self.cluster_size as i64;
        let s = StatVfs {
            bsize: cs,
            frsize: cs,
            blocks: self.nr_clusters as i64,
            bfree: free_clusters as i64,
            bavail: free_clusters as i64,
            files: files as i64,
            ffree: ffree as i64,
            favail: ffree as i64,
            fsid: 0,
            flag: MOUNT_RO_FLAGS,
            namemax: NTFS_NAMEMAX,
        };
        *cached = Some(s);
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ntfs_times_convert_like_ntfs_3g() {
        // 2021-03-04 05:06:07.1234567 UTC.
        let t = (1_614_834_367i64 * 10_000_000 + 1_234_567 + NTFS_TIME_OFFSET) as u64;
        assert_eq!(ntfs_time(t), (1_614_834_367, 123_456_700));
        // Before 1970: nanoseconds come out negative and are forced to 0.
        assert_eq!(ntfs_time(5), (-11_644_473_599, 0));
    }

    #[test]
    fn fixup_restores_sector_ends_and_detects_torn_writes() {
        let mut rec = vec![0u8; 1024];
        rec[0..4].copy_from_slice(b"FILE");
        rec[4..6].copy_from_slice(&48u16.to_le_bytes());
        rec[6..8].copy_from_slice(&3u16.to_le_bytes());
        rec[48..50].copy_from_slice(&[7, 0]);
        rec[50..52].copy_from_slice(&[0xaa, 0xbb]);
        rec[52..54].copy_from_slice(&[0xcc, 0xdd]);
        rec[510..512].copy_from_slice(&[7, 0]);
        rec[1022..1024].copy_from_slice(&[7, 0]);
        let mut ok = rec.clone();
        fixup(&mut ok, b"FILE").unwrap();
        assert_eq!(&ok[510..512], &[0xaa, 0xbb]);
        assert_eq!(&ok[1022..1024], &[0xcc, 0xdd]);
        rec[1022] = 8;
        assert!(fixup(&mut rec, b"FILE").is_err());
    }

    #[test]
    fn bad_reparse_text_has_ntfs_3g_length() {
        assert_eq!(bad_reparse_target(0x8000_0017).len(), 34);
    }
}
