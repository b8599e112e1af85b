//! A hosted sparse extent (VMDK4, `KDMV`): a header, a grain directory of grain table
//! offsets, grain tables of grain offsets, and the grains, raw or deflate-compressed (the
//! stream-optimized subformat, where each grain starts with a marker giving its compressed
//! size). A stream-optimized image written by VMware keeps its header in a footer at the end
//! of the file. The redundant grain directory is not needed for reading and is ignored.

use super::{corrupt, unsupported};
use crate::block::mapped::{self, BlockMap, Piece};
use crate::block::{read_or_zero, BlockDevice, Device};
use crate::bytes::{try_le32, Fixed};
use crate::error::{Error, Result};
use flate2::{Decompress, FlushDecompress, Status};
use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

const SECTOR: u64 = 512;
/// `gd_offset` of an image whose real header is in the footer.
const GD_AT_END: u64 = u64::MAX;
const FLAG_ZERO_GRAIN: u32 = 1 << 2;
const FLAG_MARKER: u32 = 1 << 17;
const COMPRESSION_DEFLATE: u16 = 1;
/// A grain table entry meaning "reads as zeros" (with FLAG_ZERO_GRAIN).
const GTE_ZEROED: u32 = 1;
const MARKER_END_OF_STREAM: u32 = 0;
const MARKER_FOOTER: u32 = 3;
/// qemu's limits: grains up to 1 GiB, 512 entries per grain table, 32 Mi directory entries.
const MAX_GRAIN_SECTORS: u64 = 0x20_0000;
const MAX_GTES: u32 = 512;
const MAX_GD_ENTRIES: u64 = 32 * 1024 * 1024;
/// The largest compressed grain read (the native backend's bound on the memory one
/// decompression takes; VMware writes 64 KiB grains, qemu too).
const MAX_COMPRESSED_GRAIN: u64 = 16 << 20;
/// Grain tables kept decoded (each at most 2 KiB).
const GT_CACHE_TABLES: usize = 4096;
/// Memory for decompressed grains kept (a filesystem's metadata sits in a few grains that
/// are read again and again); at least one grain is kept.
const GRAIN_CACHE_BYTES: u64 = 4 << 20;
/// A grain marker: the grain's LBA (u64) and its compressed size (u32), then the data.
const MARKER_LEN: u64 = 12;
/// qemu's `VMDK4Header` with the magic before it: the fields end with the compression
/// algorithm at 77.
const HEADER_SIZE: usize = 79;
/// A stream-optimized image's footer: a footer marker, the footer (a header) and an
/// end-of-stream marker, one sector each.
const FOOTER_SIZE: usize = 3 * SECTOR as usize;

/// The header fields the reader uses.
struct Header {
    version: u32,
    /// Where an embedded descriptor is (in sectors).
    desc_offset: u64,
    flags: u32,
    capacity: u64,
    granularity: u64,
    gtes_per_gt: u32,
    gd_offset: u64,
    grain_offset: u64,
    compression: u16,
}

impl Header {
    /// The header in `b`, which starts with the magic.
    fn parse(b: &[u8; HEADER_SIZE]) -> Header {
        let b = Fixed::from(b);
        Header {
            version: b.le32::<4>(),
            flags: b.le32::<8>(),
            capacity: b.le64::<12>(),
            granularity: b.le64::<20>(),
            desc_offset: b.le64::<28>(),
            gtes_per_gt: b.le32::<44>(),
            gd_offset: b.le64::<56>(),
            grain_offset: b.le64::<64>(),
            compression: b.le16::<77>(),
        }
    }

    /// The header at the start of a file whose first bytes are `head`: qemu reads the bytes
    /// of a file shorter than a header as zeros (its block layer pads reads past the end).
    fn parse_head(head: &[u8]) -> Header {
        let mut b = [0u8; HEADER_SIZE];
        let n = head.len().min(HEADER_SIZE);
        b[..n].copy_from_slice(&head[..n]);
        Header::parse(&b)
    }
}

/// A read-only sparse extent.
pub(super) struct SparseExtent {
    name: String,
    file: Device,
    size: u64,
    grain: u64,
    gtes_per_gt: u64,
    /// Grain table offsets (in sectors), 0 for none: the entries inside the file.
    directory: Vec<u32>,
    /// Entries the directory has; those past the end of the file read as 0.
    directory_len: u64,
    compressed: bool,
    marker: bool,
    zero_grain: bool,
    tables: Mutex<HashMap<u32, Arc<[u32]>>>,
    /// Decompressed grains by host offset, at most `grain_cache_len` of them.
    grains: Mutex<HashMap<u64, Arc<Vec<u8>>>>,
    grain_cache_len: usize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each update of these caches is one insert: a panic elsewhere cannot leave them torn.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl SparseExtent {
    /// Opens the extent in `file`, whose first bytes are `head`.
    pub(super) fn open(file: Device, name: &str, head: &[u8]) -> Result<SparseExtent> {
        let mut h = Header::parse_head(head);
        let file_size = file.size();
        if h.capacity == 0 && h.desc_offset != 0 {
            return Err(unsupported(
                name,
                "sparse extent holding a descriptor of other extents",
            ));
        }
        if h.gd_offset == GD_AT_END {
            h = footer_header(file.as_ref(), name)?;
        }
        if h.version > 3 {
            return Err(unsupported(
                name,
                format_args!("VMDK version {}", h.version),
            ));
        }
        if h.gtes_per_gt > MAX_GTES {
            return Err(corrupt(name, "grain table size too big"));
        }
        let gd_entry_sectors = u64::from(h.gtes_per_gt).saturating_mul(h.granularity);
        if gd_entry_sectors == 0 {
            return Err(corrupt(name, "grain directory entry size is invalid"));
        }
        if h.granularity > MAX_GRAIN_SECTORS {
            return Err(corrupt(name, "invalid granularity"));
        }
        let gd_entries = h.capacity.div_ceil(gd_entry_sectors);
        if gd_entries > MAX_GD_ENTRIES {
            return Err(corrupt(name, "grain directory too big"));
        }
        if file_size.div_ceil(SECTOR) < h.grain_offset {
            return Err(corrupt(
                name,
                format_args!(
                    "file truncated, expecting at least {} bytes",
                    h.grain_offset.saturating_mul(SECTOR)
                ),
            ));
        }
        let compressed = h.compression == COMPRESSION_DEFLATE;
        let grain = h.granularity * SECTOR;
        if compressed && grain > MAX_COMPRESSED_GRAIN {
            return Err(unsupported(
                name,
                format_args!("compressed grains of {} bytes", grain),
            ));
        }
        // Directory entries past the end of the file read as zeros (no table), as qemu
        // reads them; only those inside it are read, so the file bounds the allocation.
        let gd_at = h.gd_offset.saturating_mul(SECTOR);
        let in_file = (file_size.saturating_sub(gd_at) / 4).min(gd_entries);
        let mut raw = vec![0u8; (in_file * 4) as usize];
        file.read_exact_at(&mut raw, gd_at)
            .map_err(|e| Error::from(e).context(name))?;
        let directory: Vec<u32> = raw
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok(SparseExtent {
            name: name.to_string(),
            file,
            size: h.capacity.saturating_mul(SECTOR),
            grain,
            gtes_per_gt: u64::from(h.gtes_per_gt),
            directory,
            directory_len: gd_entries,
            compressed,
            marker: h.flags & FLAG_MARKER != 0,
            zero_grain: h.flags & FLAG_ZERO_GRAIN != 0,
            tables: Mutex::new(HashMap::new()),
            grains: Mutex::new(HashMap::new()),
            grain_cache_len: (GRAIN_CACHE_BYTES / grain).max(1) as usize,
        })
    }

    pub(super) fn size(&self) -> u64 {
        self.size
    }

    /// Reads `buf` at `offset` of the extent, which starts at `disk_offset` of the disk;
    /// unallocated grains read from `parent` at the same disk offset.
    pub(super) fn read(
        &self,
        buf: &mut [u8],
        offset: u64,
        disk_offset: u64,
        parent: Option<&dyn BlockDevice>,
    ) -> io::Result<()> {
        mapped::read(
            &WithParent {
                extent: self,
                disk_offset,
                parent,
            },
            buf,
            offset,
        )
    }

    fn corrupt(&self, what: String) -> io::Error {
        io::Error::other(corrupt(&self.name, what).message)
    }

    /// The grain table at sector `at`.
    fn table(&self, at: u32) -> io::Result<Arc<[u32]>> {
        if let Some(t) = lock(&self.tables).get(&at) {
            return Ok(t.clone());
        }
        let mut raw = vec![0u8; (self.gtes_per_gt * 4) as usize];
        read_or_zero(self.file.as_ref(), &mut raw, u64::from(at) * SECTOR)?;
        let table: Arc<[u32]> = raw
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let mut tables = lock(&self.tables);
        if tables.len() >= GT_CACHE_TABLES {
            tables.clear();
        }
        tables.insert(at, table.clone());
        Ok(table)
    }

    /// The decompressed grain whose data (or marker) is at host offset `at`.
    fn grain_data(&self, at: u64) -> io::Result<Arc<Vec<u8>>> {
        if let Some(data) = lock(&self.grains).get(&at) {
            return Ok(data.clone());
        }
        // qemu reads two grains' worth: a grain that does not compress well, with its marker,
        // takes more than one.
        let avail = self.file.size().saturating_sub(at);
        let mut raw = vec![0u8; (2 * self.grain).min(avail) as usize];
        self.file.read_exact_at(&mut raw, at)?;
        let data = if self.marker {
            let len = try_le32(&raw, 8).map(u64::from).ok_or_else(|| {
                self.corrupt(format!(
                    "compressed grain at {:#x} has its marker past the end of the file",
                    at
                ))
            })?;
            if len == 0 || len > 2 * self.grain - MARKER_LEN {
                return Err(self.corrupt(format!(
                    "compressed grain at {:#x} has an invalid size {}",
                    at, len
                )));
            }
            raw.get(MARKER_LEN as usize..(MARKER_LEN + len) as usize)
                .ok_or_else(|| {
                    self.corrupt(format!(
                        "compressed grain at {:#x} is beyond the end of the file",
                        at
                    ))
                })?
        } else {
            &raw[..raw.len().min(self.grain as usize)]
        };
        let mut out = Vec::with_capacity(self.grain as usize);
        let mut z = Decompress::new(true);
        match z.decompress_vec(data, &mut out, FlushDecompress::Finish) {
            Ok(Status::StreamEnd) => {}
            _ => {
                return Err(
                    self.corrupt(format!("compressed grain at {:#x} does not decompress", at))
                )
            }
        }
        let out = Arc::new(out);
        let mut grains = lock(&self.grains);
        if grains.len() >= self.grain_cache_len {
            grains.clear();
        }
        grains.insert(at, out.clone());
        Ok(out)
    }
}

/// The header in the footer of an image whose header says "grain directory at the end":
/// a footer marker, the footer (a header), an end-of-stream marker, one sector each.
fn footer_header(file: &dyn BlockDevice, name: &str) -> Result<Header> {
    let end = file.size().div_ceil(SECTOR) * SECTOR;
    let Some(at) = end.checked_sub(3 * SECTOR) else {
        return Err(corrupt(name, "invalid footer"));
    };
    let mut f = [0u8; FOOTER_SIZE];
    read_or_zero(file, &mut f, at).map_err(|e| Error::from(e).context(name))?;
    let b = Fixed::from(&f);
    // The footer marker at 0, the footer at 512, the end-of-stream marker at 1024.
    let footer = b.array::<512, HEADER_SIZE>();
    if &footer[..4] != super::SPARSE_MAGIC
        || b.le32::<8>() != 0
        || b.le32::<12>() != MARKER_FOOTER
        || b.le64::<1024>() != 0
        || b.le32::<1032>() != 0
        || b.le32::<1036>() != MARKER_END_OF_STREAM
    {
        return Err(corrupt(name, "invalid footer"));
    }
    Ok(Header::parse(&footer))
}

/// The extent's block map, with where the parent is.
struct WithParent<'a> {
    extent: &'a SparseExtent,
    disk_offset: u64,
    parent: Option<&'a dyn BlockDevice>,
}

impl BlockMap for WithParent<'_> {
    fn size(&self) -> u64 {
        self.extent.size
    }
    fn unit(&self) -> u64 {
        self.extent.grain
    }
    fn piece(&self, index: u64) -> io::Result<Piece> {
        let e = self.extent;
        let gd_index = index / e.gtes_per_gt;
        if gd_index >= e.directory_len {
            return Err(e.corrupt(format!("grain {} beyond the grain directory", index)));
        }
        let table_at = e.directory.get(gd_index as usize).copied().unwrap_or(0);
        if table_at == 0 {
            return Ok(Piece::Lower);
        }
        let entry = e.table(table_at)?[(index % e.gtes_per_gt) as usize];
        Ok(match entry {
            GTE_ZEROED if e.zero_grain => Piece::Zero,
            0 => Piece::Lower,
            s if e.compressed => Piece::Special(u64::from(s) * SECTOR),
            s => Piece::Host(u64::from(s) * SECTOR),
        })
    }
    fn read_host(&self, buf: &mut [u8], host: u64) -> io::Result<()> {
        read_or_zero(self.extent.file.as_ref(), buf, host)
    }
    fn read_lower(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        match self.parent {
            Some(p) => read_or_zero(p, buf, self.disk_offset + offset),
            None => {
                buf.fill(0);
                Ok(())
            }
        }
    }
    fn read_special(&self, buf: &mut [u8], key: u64, within: u64) -> io::Result<()> {
        let data = self.extent.grain_data(key)?;
        let part = usize::try_from(within)
            .ok()
            .and_then(|w| data.get(w..w.checked_add(buf.len())?))
            .ok_or_else(|| {
                self.extent.corrupt(format!(
                    "compressed grain at {:#x} decompresses to {} bytes, too few",
                    key,
                    data.len()
                ))
            })?;
        buf.copy_from_slice(part);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::Mem;

    #[test]
    fn a_header_cut_short_reads_as_zeros_as_in_qemu() {
        let h = Header::parse_head(b"KDMV\x03\x00");
        assert_eq!(h.version, 3);
        assert_eq!(
            (h.flags, h.capacity, h.gd_offset, h.compression),
            (0, 0, 0, 0)
        );
    }

    /// A stream-optimized extent whose only grain starts 8 bytes before the end of the file:
    /// its marker (12 bytes) is cut, which is named, not read as a size of 0.
    #[test]
    fn a_grain_marker_past_the_end_of_the_file_is_named() {
        let mut img = vec![0u8; 6 * 512 + 8];
        img[..4].copy_from_slice(super::super::SPARSE_MAGIC);
        img[4..8].copy_from_slice(&3u32.to_le_bytes()); // version
        img[8..12].copy_from_slice(&FLAG_MARKER.to_le_bytes());
        img[12..20].copy_from_slice(&128u64.to_le_bytes()); // capacity (sectors)
        img[20..28].copy_from_slice(&128u64.to_le_bytes()); // granularity
        img[44..48].copy_from_slice(&MAX_GTES.to_le_bytes());
        img[56..64].copy_from_slice(&1u64.to_le_bytes()); // grain directory at sector 1
        img[64..72].copy_from_slice(&3u64.to_le_bytes()); // grain offset
        img[77..79].copy_from_slice(&COMPRESSION_DEFLATE.to_le_bytes());
        img[512..516].copy_from_slice(&2u32.to_le_bytes()); // grain table at sector 2
        img[1024..1028].copy_from_slice(&6u32.to_le_bytes()); // grain 0 at sector 6
        let head = img.clone();
        let file: Device = Arc::new(Mem(img));
        let extent = SparseExtent::open(file, "t.vmdk", &head).unwrap();
        let mut buf = [0u8; 512];
        let err = extent.read(&mut buf, 0, 0, None).unwrap_err();
        assert!(
            err.to_string()
                .contains("compressed grain at 0xc00 has its marker past the end of the file"),
            "{}",
            err
        );
    }
}
