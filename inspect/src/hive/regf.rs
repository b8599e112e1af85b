//! The regf base block (file header) and the map of hive bins and cells.
//!
//! Layout (all little-endian): a 4096-byte base block starting `regf`, then hive bins
//! (`hbin`, multiples of 4096 bytes) holding cells. Each cell starts with a signed 32-bit size:
//! negative when the cell is allocated, positive when free. Cell offsets stored in the hive
//! are relative to the first hive bin (file offset 0x1000).

use crate::error::{Error, Result};

/// File offset of the first hive bin; stored cell offsets are relative to it.
pub const HBIN_START: usize = 0x1000;
/// Size of the base block that is covered by the checksum.
const CHECKSUM_COVERED: usize = 0x1fc;
/// Size of a hive bin header (`hbin`, offset, size, reserved, timestamp, spare).
pub const HBIN_HEADER_LEN: usize = 0x20;
/// The smallest file hivex accepts: the base block plus one hive bin.
pub const MIN_HIVE_SIZE: usize = 0x2000;

/// The fields of the base block (the specification's names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HiveHeader {
    pub primary_sequence_number: u32,
    pub secondary_sequence_number: u32,
    /// Windows FILETIME (100 ns units since 1601-01-01).
    pub last_written_timestamp: i64,
    pub major_version: u32,
    pub minor_version: u32,
    pub file_type: u32,
    pub file_format: u32,
    /// Relative to the first hive bin.
    pub root_cell_offset: u32,
    pub hive_bins_data_size: u32,
    pub clustering_factor: u32,
    /// The embedded file name (UTF-16LE, informational only).
    pub file_name: String,
    pub checksum: u32,
}

pub(crate) fn le16(b: &[u8], pos: usize) -> Option<u16> {
    let s = b.get(pos..pos.checked_add(2)?)?;
    Some(u16::from_le_bytes([s[0], s[1]]))
}

pub(crate) fn le32(b: &[u8], pos: usize) -> Option<u32> {
    let s = b.get(pos..pos.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

pub(crate) fn le64(b: &[u8], pos: usize) -> Option<u64> {
    let s = b.get(pos..pos.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(u64::from_le_bytes(a))
}

/// XOR of the first 127 little-endian words of the base block, as hivex computes it.
pub fn header_checksum(data: &[u8]) -> u32 {
    let mut sum = 0u32;
    let mut pos = 0;
    while pos < CHECKSUM_COVERED {
        sum ^= le32(data, pos).unwrap_or(0);
        pos += 4;
    }
    sum
}

/// Windows never stores 0 or 0xFFFFFFFF as the checksum; it writes 1 and 0xFFFFFFFE instead.
/// hivex ignores this, so it would refuse such a (rare, valid) hive; we accept both.
fn checksum_matches(computed: u32, stored: u32) -> bool {
    let windows = match computed {
        0 => 1,
        0xffff_ffff => 0xffff_fffe,
        other => other,
    };
    stored == computed || stored == windows
}

/// Parses and checks the base block.
pub fn parse_header(data: &[u8]) -> Result<HiveHeader> {
    if data.len() < MIN_HIVE_SIZE {
        return Err(Error::new(
            libc::EINVAL,
            format!(
                "file is too small to be a Windows NT Registry hive file ({} bytes)",
                data.len()
            ),
        ));
    }
    if data.get(0..4) != Some(b"regf") {
        return Err(Error::new(
            libc::ENOTSUP,
            "not a Windows NT Registry hive file (no 'regf' signature)",
        ));
    }
    let field = |pos| le32(data, pos).unwrap_or(0);
    let major_version = field(0x14);
    if major_version != 1 {
        return Err(Error::new(
            libc::ENOTSUP,
            format!("hive file major version {} (expected 1)", major_version),
        ));
    }
    let computed = header_checksum(data);
    let checksum = field(CHECKSUM_COVERED);
    if !checksum_matches(computed, checksum) {
        return Err(Error::new(
            libc::EINVAL,
            format!(
                "bad checksum in hive header (stored 0x{:08x}, computed 0x{:08x})",
                checksum, computed
            ),
        ));
    }
    let name_bytes = data.get(0x30..0x70).unwrap_or(&[]);
    let units: Vec<u16> = name_bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    Ok(HiveHeader {
        primary_sequence_number: field(0x04),
        secondary_sequence_number: field(0x08),
        last_written_timestamp: le64(data, 0x0c).unwrap_or(0) as i64,
        major_version,
        minor_version: field(0x18),
        file_type: field(0x1c),
        file_format: field(0x20),
        root_cell_offset: field(0x24),
        hive_bins_data_size: field(0x28),
        clustering_factor: field(0x2c),
        file_name: String::from_utf16_lossy(&units),
        checksum,
    })
}

/// One bit per 4-byte unit of the file: set where an allocated cell starts. A stored offset is
/// followed only if it lands on a set bit, so every record read starts at a real cell whose
/// extent was checked against its hive bin when the map was built.
pub struct CellMap {
    bits: Vec<u64>,
}

impl CellMap {
    fn new(file_len: usize) -> CellMap {
        let units = file_len / 4 + 1;
        CellMap {
            bits: vec![0; units / 64 + 1],
        }
    }

    pub(crate) fn set(&mut self, off: usize) {
        let unit = off / 4;
        if let Some(w) = self.bits.get_mut(unit / 64) {
            *w |= 1u64 << (unit % 64);
        }
    }

    /// Forgets the cell at `off` (it was freed).
    pub(crate) fn clear(&mut self, off: usize) {
        let unit = off / 4;
        if let Some(w) = self.bits.get_mut(unit / 64) {
            *w &= !(1u64 << (unit % 64));
        }
    }

    /// Makes room for a file grown to `file_len` bytes.
    pub(crate) fn grow(&mut self, file_len: usize) {
        let words = (file_len / 4 + 1) / 64 + 1;
        if words > self.bits.len() {
            self.bits.resize(words, 0);
        }
    }

    pub fn is_allocated_cell(&self, off: usize) -> bool {
        if off & 3 != 0 || off < HBIN_START {
            return false;
        }
        let unit = off / 4;
        match self.bits.get(unit / 64) {
            Some(w) => w & (1u64 << (unit % 64)) != 0,
            None => false,
        }
    }
}

/// What the hive-bin walk found.
pub struct BinScan {
    pub cells: CellMap,
    pub hive_bins: usize,
    pub allocated_cells: usize,
    pub free_cells: usize,
}

/// The size of the cell at file offset `off` and whether it is allocated.
pub fn cell_size(data: &[u8], off: usize) -> Option<(usize, bool)> {
    let raw = le32(data, off)? as i32;
    Some((raw.unsigned_abs() as usize, raw < 0))
}

/// Walks the hive bins from 0x1000 up to the end of the hive bins data (or the file), recording
/// every allocated cell. In strict mode any inconsistency is an error (as in hivex); with
/// `tolerant` (hivex's "unsafe" flag) bad bins are searched past and bad cells end their bin.
pub fn scan_bins(data: &[u8], header: &HiveHeader, root: usize, tolerant: bool) -> Result<BinScan> {
    let bad = |msg: String| Error::new(libc::ENOTSUP, msg);
    // Computed in 32 bits as hivex does (a size near 4 GiB wraps and leaves no hive bins).
    let end_of_bins =
        (header.hive_bins_data_size.wrapping_add(HBIN_START as u32) as usize).min(data.len());
    let mut scan = BinScan {
        cells: CellMap::new(data.len()),
        hive_bins: 0,
        allocated_cells: 0,
        free_cells: 0,
    };
    let mut seen_root = false;
    let mut bad_root = false;
    let mut off = HBIN_START;
    while off < end_of_bins {
        if data.get(off..off + 4) != Some(b"hbin") {
            if !tolerant {
                return Err(bad(format!(
                    "trailing garbage at end of file (at 0x{:x}, after {} pages)",
                    off, scan.hive_bins
                )));
            }
            // Look for the next hive bin on a 4 KiB boundary.
            let mut found = false;
            while off < end_of_bins {
                off += 0x1000;
                if off < end_of_bins && data.get(off..off + 4) == Some(b"hbin") {
                    found = true;
                    break;
                }
            }
            if !found {
                break;
            }
        }
        let bin_size = le32(data, off + 8).unwrap_or(0) as usize;
        if bin_size <= HBIN_HEADER_LEN || bin_size & 0xfff != 0 {
            return Err(bad(format!(
                "page size {} at 0x{:x}, bad registry",
                bin_size, off
            )));
        }
        let bin_end = match off.checked_add(bin_size) {
            Some(end) if end <= data.len() => end,
            _ => {
                return Err(bad(format!(
                    "page size {} at 0x{:x} extends beyond end of file, bad registry",
                    bin_size, off
                )))
            }
        };
        let declared = (le32(data, off + 4).unwrap_or(0) as usize).saturating_add(HBIN_START);
        if declared != off {
            return Err(bad(format!(
                "declared page offset (0x{:x}) does not match computed offset (0x{:x}), bad registry",
                declared, off
            )));
        }
        scan.hive_bins += 1;

        let mut cell = off + HBIN_HEADER_LEN;
        while cell < bin_end {
            let is_root = cell == root;
            if is_root {
                seen_root = true;
            }
            // `cell` is 4-aligned and below `bin_end`, a multiple of 4, so the size is there.
            let (size, allocated) = cell_size(data, cell).unwrap_or((0, false));
            // 0x80000000 has no positive counterpart; hivex takes it as a bad size too.
            if size <= 4 || size & 3 != 0 || size >= 0x8000_0000 {
                if is_root || !tolerant {
                    return Err(bad(format!(
                        "the block at 0x{:x} size {} <= 4 or not a multiple of 4, bad registry",
                        cell, size
                    )));
                }
                break;
            }
            // hivex refuses this even in unsafe mode.
            if cell.checked_add(size).is_none_or(|end| end > bin_end) {
                return Err(bad(format!(
                    "the block at 0x{:x} size {} extends beyond the current page, bad registry",
                    cell, size
                )));
            }
            if allocated {
                scan.allocated_cells += 1;
                if is_root && data.get(cell + 4..cell + 6) != Some(b"nk") {
                    bad_root = true;
                }
                scan.cells.set(cell);
            } else {
                scan.free_cells += 1;
                if is_root {
                    bad_root = true;
                }
            }
            cell += size;
        }
        off = bin_end;
    }
    if !seen_root {
        return Err(bad("no root block found".to_string()));
    }
    if bad_root {
        return Err(bad("bad root block (free or not nk)".to_string()));
    }
    Ok(scan)
}
