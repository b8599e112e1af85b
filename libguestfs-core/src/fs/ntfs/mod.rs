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

mod boot;
mod cursor;
mod index;
mod links;
mod record;
mod stat;

pub use boot::probe;
use boot::BootSector;
use cursor::DevCursor;
use index::DirIndex;
use record::*;

use super::{DirEntry, FileType, Filesystem, Ino, Probe};
use crate::block::read_in_range;
use crate::block::{BlockDevice, Device};
use crate::bytes::{try_le32, try_le64, try_slice, try_u8, Fixed};
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
        let Some(v) = Fixed::<48>::new(v) else {
            return Err(corrupt("short $STANDARD_INFORMATION"));
        };
        Ok(StandardInformation {
            last_data_change: v.le64::<8>(),
            last_mft_change: v.le64::<16>(),
            last_access: v.le64::<24>(),
            file_attributes: v.le32::<32>(),
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
    use super::links::bad_reparse_target;
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
