//! FAT12, FAT16 and FAT32 with VFAT long names, read-only.
//!
//! Two faces: [`probe`] identifies a FAT volume the way blkid's `vfat` prober does (TYPE, LABEL,
//! UUID), and [`FatFs`] reads it the way Linux's `vfat` driver shows it when the libguestfs
//! appliance mounts it with default options (umask 022, `shortname=mixed`, UTF-8 names, no time
//! zone offset):
//!
//! - modes: directories 0755, files 0755, files with the read-only attribute 0555; uid/gid 0;
//! - `st_nlink`: files 1, directories the number of subdirectory entries (counting `.` and
//!   `..`; the root directory has neither, so it gets 2 added);
//! - `st_size` of a directory is its cluster chain's length (the FAT12/16 root directory: its
//!   fixed size); `st_blocks` is the size rounded up to a cluster, in 512-byte units;
//!   `st_blksize` is the cluster size;
//! - `st_mtime` = `st_ctime` from the modification time, `st_atime` from the access date, all
//!   FAT local times read as UTC; the root directory's times are 0;
//! - lookups match long or short names, ignoring ASCII case; trailing dots are ignored.
//!
//! Inode numbers: Linux numbers FAT inodes dynamically (`iunique`) in the order they are first
//! used, which no reader can reproduce. This module uses a stable equivalent of the kernel's
//! `i_pos`: the byte offset of the file's short directory entry divided by 32. The root is 1,
//! as in Linux.
//!
//! This is a reader of its own rather than the `fatfs` crate: fatfs 0.3 computes sector numbers
//! from cluster numbers taken from disk with unchecked arithmetic (a FAT entry of 0 or 1, or a
//! huge cluster number, overflows), does not expose the directory-entry positions needed for
//! inode numbers, and can only reach a file by walking its path from the root.

use super::{DirEntry, FileType, Filesystem, Ino, Probe};
use crate::block::read_in_range;
use crate::block::{BlockDevice, Device};
use crate::bytes::{le16, le32};
use crate::error::{Error, Result};
use crate::types::{StatNs, StatVfs, S_IFDIR, S_IFREG};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Size of one directory entry (short or long-name slot).
const DIR_ENTRY_SIZE: u64 = 32;

const ATTR_RO: u8 = 0x01;
const ATTR_VOLUME: u8 = 0x08;
const ATTR_DIR: u8 = 0x10;
/// The attribute byte of a long-name slot (read-only, hidden, system, volume).
const ATTR_EXT: u8 = 0x0f;

/// The short name's first byte in a deleted entry.
const DELETED_FLAG: u8 = 0xe5;
/// `lcase` bits (Windows NT): display the base name / the extension in lower case.
const CASE_LOWER_BASE: u8 = 0x08;
const CASE_LOWER_EXT: u8 = 0x10;

/// The root directory's inode number (`MSDOS_ROOT_INO`).
const ROOT_INO: Ino = 1;

/// The first cluster number of the data area (`FAT_START_ENT`).
const FAT_START_ENT: u32 = 2;
/// Cluster counts above which a volume cannot be FAT12/16/32 (`MAX_FAT12/16/32`).
const MAX_FAT12: u32 = 0xff4;
const MAX_FAT16: u32 = 0xfff4;
const MAX_FAT32: u32 = 0x0fff_fff6;

/// Directories larger than this are refused (the FAT specification allows 65536 entries,
/// 2 MiB; this leaves room for odd but sane volumes while bounding work and memory).
const MAX_DIR_SIZE: u64 = 8 << 20;
/// Parsed directories kept for lookups and stats.
const DIR_CACHE_ENTRIES: usize = 16;

/// Bytes of the FAT read and cached at a time.
const FAT_CHUNK: u64 = 64 << 10;
/// At most this many FAT chunks are cached (4 MiB).
const FAT_CACHE_CHUNKS: usize = 64;

/// What `statfs` reports as `f_flag` for a read-only mount (`ST_RDONLY | ST_RELATIME`), as the
/// appliance's `mount_ro` shows it.
const MOUNT_RO_FLAGS: i64 = 1 | 4096;
/// `FAT_LFN_LEN * NLS_MAX_CHARSET_SIZE`, Linux's `f_namelen` for vfat.
const VFAT_NAMEMAX: i64 = 255 * 6;

/// The FAT variant, from the cluster count as Linux decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FatType {
    Fat12,
    Fat16,
    Fat32,
}

// ---------------------------------------------------------------------------------------------
// blkid
// ---------------------------------------------------------------------------------------------

/// blkid's FAT magics: (offset, bytes). The last three need the extra validity checks of
/// "magic-less" FAT volumes.
const VFAT_MAGICS: &[(usize, &[u8])] = &[
    (0x52, b"MSWIN"),
    (0x52, b"FAT32   "),
    (0x36, b"MSDOS"),
    (0x36, b"FAT16   "),
    (0x36, b"FAT12   "),
    (0x36, b"FAT     "),
    (0, b"\xeb"),
    (0, b"\xe9"),
    (0x1fe, b"\x55\xaa"),
];

const NO_NAME: &[u8; 11] = b"NO NAME    ";

/// blkid's `search_fat_label`: the first volume-label entry among `entries` directory entries.
fn search_fat_label(dev: &dyn BlockDevice, offset: u64, entries: u32) -> Option<[u8; 11]> {
    let len = (entries as usize).checked_mul(DIR_ENTRY_SIZE as usize)?;
    // blkid reads the whole area at once; an area past the end of the device finds nothing.
    let buf = read_in_range(dev, offset, len.min(64 << 20))?;
    for ent in buf.chunks_exact(DIR_ENTRY_SIZE as usize) {
        if ent[0] == 0 {
            break;
        }
        if ent[0] == DELETED_FLAG {
            continue;
        }
        let attr = ent[11];
        if attr & 0x3f == ATTR_EXT {
            continue;
        }
        if attr & (ATTR_VOLUME | ATTR_DIR) == ATTR_VOLUME {
            let mut label = [0u8; 11];
            label.copy_from_slice(&ent[0..11]);
            if label[0] == 0x05 {
                label[0] = 0xe5;
            }
            return Some(label);
        }
    }
    None
}

/// blkid's rendering of a label: bytes up to the first NUL, trailing white space removed.
pub(crate) fn label_string(raw: &[u8]) -> String {
    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    let s = String::from_utf8_lossy(&raw[..end]).into_owned();
    s.trim_end_matches(|c: char| c.is_ascii_whitespace())
        .to_string()
}

/// Identifies a FAT volume as blkid does: TYPE `vfat`, LABEL from the root directory's
/// volume-label entry (else the boot sector's), UUID the volume serial as `XXXX-XXXX`.
pub fn probe(dev: &dyn BlockDevice) -> Option<Probe> {
    let bs = read_in_range(dev, 0, 512)?;
    let magic = VFAT_MAGICS
        .iter()
        .find(|(off, m)| bs.get(*off..*off + m.len()) == Some(*m))?;
    let magic_len = magic.1.len();

    // fat_valid_superblock
    if magic_len <= 2 {
        if bs[510] != 0x55 || bs[511] != 0xaa {
            return None;
        }
        if &bs[0x36..0x3e] == b"JFS     " || &bs[0x36..0x3e] == b"HPFS    " {
            return None;
        }
    }
    let sectors_per_cluster = u32::from(bs[13]);
    let reserved = u32::from(le16(&bs, 14));
    let fats = u32::from(bs[16]);
    let media = bs[21];
    if fats == 0 || reserved == 0 || !(media >= 0xf8 || media == 0xf0) {
        return None;
    }
    if !sectors_per_cluster.is_power_of_two() {
        return None;
    }
    let sector_size = u32::from(le16(&bs, 11));
    if !sector_size.is_power_of_two() || !(512..=4096).contains(&sector_size) {
        return None;
    }
    let dir_entries = u32::from(le16(&bs, 17));
    let mut sect_count = u32::from(le16(&bs, 19));
    if sect_count == 0 {
        sect_count = le32(&bs, 32);
    }
    let fat16_length = u32::from(le16(&bs, 22));
    let fat32_length = le32(&bs, 36);
    let fat_length = if fat16_length == 0 {
        fat32_length
    } else {
        fat16_length
    };
    // blkid does this arithmetic in 32 bits and lets it wrap.
    let fat_size = fat_length.wrapping_mul(fats);
    let dir_size = (dir_entries * DIR_ENTRY_SIZE as u32).div_ceil(sector_size);
    let cluster_count = sect_count
        .wrapping_sub(reserved.wrapping_add(fat_size).wrapping_add(dir_size))
        / sectors_per_cluster;
    let max_count = if fat16_length == 0 && fat32_length != 0 {
        MAX_FAT32
    } else if cluster_count > MAX_FAT12 {
        MAX_FAT16
    } else {
        MAX_FAT12
    };
    if cluster_count > max_count {
        return None;
    }

    let mut boot_label: Option<[u8; 11]> = None;
    let mut serial: Option<[u8; 4]> = None;
    let vol_label;
    if fat16_length != 0 {
        if bs[38] == 0x29 || bs[38] == 0x28 {
            let mut l = [0u8; 11];
            l.copy_from_slice(&bs[43..54]);
            boot_label = Some(l);
            serial = Some([bs[39], bs[40], bs[41], bs[42]]);
        }
        let root_start = (u64::from(reserved) + u64::from(fat_size)) * u64::from(sector_size);
        vol_label = search_fat_label(dev, root_start, dir_entries);
    } else if fat32_length != 0 {
        let buf_size = sectors_per_cluster * sector_size;
        let start_data_sect = u64::from(reserved) + u64::from(fat_size);
        let entries =
            (u64::from(fat32_length) * u64::from(sector_size) / 4).min(u64::from(u32::MAX)) as u32;
        let mut next = le32(&bs, 44);
        let mut found = None;
        let mut maxloop = 100;
        while next != 0 && next < entries {
            maxloop -= 1;
            if maxloop == 0 {
                break;
            }
            let next_sect_off = u64::from(next.wrapping_sub(2)) * u64::from(sectors_per_cluster);
            let next_off = (start_data_sect + next_sect_off) * u64::from(sector_size);
            found = search_fat_label(dev, next_off, buf_size / DIR_ENTRY_SIZE as u32);
            if found.is_some() {
                break;
            }
            let fat_entry_off = u64::from(reserved) * u64::from(sector_size) + u64::from(next) * 4;
            match read_in_range(dev, fat_entry_off, 4) {
                Some(b) => next = le32(&b, 0) & 0x0fff_ffff,
                None => break,
            }
        }
        vol_label = found;
        if bs[66] == 0x29 || bs[66] == 0x28 {
            let mut l = [0u8; 11];
            l.copy_from_slice(&bs[71..82]);
            boot_label = Some(l);
            serial = Some([bs[67], bs[68], bs[69], bs[70]]);
        }
        // FAT32 needs a valid FSInfo signature (or all zeros) when it has an FSInfo sector.
        let fsinfo_sect = u64::from(le16(&bs, 48));
        if fsinfo_sect != 0 {
            let fsinfo = read_in_range(dev, fsinfo_sect * u64::from(sector_size), 512)?;
            let sig1 = &fsinfo[0..4];
            if sig1 != b"RRaA" && sig1 != b"RRdA" && sig1 != [0, 0, 0, 0] {
                return None;
            }
            let sig2 = &fsinfo[484..488];
            if sig2 != b"rrAa" && sig2 != [0, 0, 0, 0] {
                return None;
            }
        }
    } else {
        return None;
    }

    let label = match vol_label {
        Some(l) if &l != NO_NAME => Some(l),
        _ => boot_label.filter(|l| l != NO_NAME),
    };
    let uuid = match serial {
        Some(s) if s != [0, 0, 0, 0] => {
            format!("{:02X}{:02X}-{:02X}{:02X}", s[3], s[2], s[1], s[0])
        }
        _ => String::new(),
    };
    Some(Probe {
        fs_type: "vfat".into(),
        label: label.map(|l| label_string(&l)).unwrap_or_default(),
        uuid,
    })
}

// ---------------------------------------------------------------------------------------------
// The volume
// ---------------------------------------------------------------------------------------------

/// The geometry Linux derives from the boot sector's BIOS Parameter Block.
#[derive(Debug, Clone)]
struct Geometry {
    fat_type: FatType,
    cluster_size: u64,
    /// Byte offset of the first FAT (the one Linux reads).
    fat_offset: u64,
    /// Size of one FAT in bytes.
    fat_bytes: u64,
    /// FAT12/16: byte offset and size of the fixed root directory.
    root_dir_offset: u64,
    root_dir_size: u64,
    /// FAT32: the root directory's first cluster.
    root_cluster: u32,
    /// Byte offset of cluster 2.
    data_offset: u64,
    /// One past the highest valid cluster number (`max_cluster`).
    max_cluster: u32,
}

impl Geometry {
    /// Validates the boot sector as Linux's `fat_fill_super` does before it mounts.
    fn parse(bs: &[u8]) -> Result<Geometry> {
        let bad = |what: &str| {
            Error::new(
                libc::EINVAL,
                format!("not a valid FAT filesystem: {}", what),
            )
        };
        if bs.len() < 512 {
            return Err(bad("boot sector too short"));
        }
        let reserved = u64::from(le16(bs, 14));
        let fats = u64::from(bs[16]);
        let media = bs[21];
        let sector_size = u64::from(le16(bs, 11));
        let sectors_per_cluster = u64::from(bs[13]);
        if reserved == 0 {
            return Err(bad("bogus number of reserved sectors"));
        }
        if fats == 0 {
            return Err(bad("bogus number of FAT structures"));
        }
        if !(media == 0xf0 || media >= 0xf8) {
            return Err(bad("invalid media value"));
        }
        if !sector_size.is_power_of_two() || !(512..=4096).contains(&sector_size) {
            return Err(bad("bogus logical sector size"));
        }
        if !sectors_per_cluster.is_power_of_two() {
            return Err(bad("bogus sectors per cluster"));
        }
        let fat16_length = u64::from(le16(bs, 22));
        let fat32_length = u64::from(le32(bs, 36));
        let is_fat32 = fat16_length == 0;
        let fat_length = if is_fat32 { fat32_length } else { fat16_length };
        if fat_length == 0 {
            return Err(bad("bogus number of FAT sectors"));
        }
        let dir_entries = u64::from(le16(bs, 17));
        let dir_per_sector = sector_size / DIR_ENTRY_SIZE;
        if dir_entries % dir_per_sector != 0 {
            return Err(bad("bogus number of directory entries"));
        }
        let mut total_sectors = u64::from(le16(bs, 19));
        if total_sectors == 0 {
            total_sectors = u64::from(le32(bs, 32));
        }
        let fat_start = reserved;
        let root_dir_start = fat_start + fats * fat_length;
        let root_dir_sectors = dir_entries * DIR_ENTRY_SIZE / sector_size;
        let data_start = root_dir_start + root_dir_sectors;
        if data_start >= total_sectors {
            return Err(bad("count of clusters too big"));
        }
        let mut total_clusters = (total_sectors - data_start) / sectors_per_cluster;
        let fat_type = if is_fat32 {
            FatType::Fat32
        } else if total_clusters > u64::from(MAX_FAT12) {
            FatType::Fat16
        } else {
            FatType::Fat12
        };
        let (bits, max) = match fat_type {
            FatType::Fat12 => (12, MAX_FAT12),
            FatType::Fat16 => (16, MAX_FAT16),
            FatType::Fat32 => (32, MAX_FAT32),
        };
        if total_clusters > u64::from(max) {
            return Err(bad("count of clusters too big"));
        }
        // A FAT too small for the data area limits the usable clusters.
        let fat_entries = fat_length * sector_size * 8 / bits;
        if fat_entries <= u64::from(FAT_START_ENT) {
            return Err(bad("FAT too small"));
        }
        total_clusters = total_clusters.min(fat_entries - u64::from(FAT_START_ENT));
        if total_clusters == 0 {
            return Err(bad("no data clusters"));
        }
        let max_cluster = (total_clusters + u64::from(FAT_START_ENT)) as u32;
        let root_cluster = if is_fat32 { le32(bs, 44) } else { 0 };
        if is_fat32 && (root_cluster < FAT_START_ENT || root_cluster >= max_cluster) {
            return Err(bad("invalid root directory cluster"));
        }
        Ok(Geometry {
            fat_type,
            cluster_size: sector_size * sectors_per_cluster,
            fat_offset: fat_start * sector_size,
            fat_bytes: fat_length * sector_size,
            root_dir_offset: root_dir_start * sector_size,
            root_dir_size: dir_entries * DIR_ENTRY_SIZE,
            root_cluster,
            data_offset: data_start * sector_size,
            max_cluster,
        })
    }

    fn cluster_offset(&self, cluster: u32) -> u64 {
        // `cluster` has been checked against max_cluster, so this cannot overflow.
        self.data_offset + u64::from(cluster - FAT_START_ENT) * self.cluster_size
    }

    fn valid_cluster(&self, cluster: u32) -> bool {
        (FAT_START_ENT..self.max_cluster).contains(&cluster)
    }
}

/// What a FAT entry says about the next cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FatEntry {
    Free,
    Next(u32),
    /// End of chain; Linux also ends a chain at a "bad cluster" mark.
    Eof,
}

/// One parsed short directory entry with its display name.
#[derive(Debug, Clone)]
struct Entry {
    /// The name readdir shows (long name, else short name).
    name: String,
    /// The short name as Linux displays it (also matched by lookups).
    short_name: String,
    /// Byte offset of the short entry on the device.
    pos: u64,
    raw: [u8; 32],
}

impl Entry {
    fn ino(&self) -> Ino {
        self.pos / DIR_ENTRY_SIZE
    }
}

fn entry_attr(raw: &[u8; 32]) -> u8 {
    raw[11]
}

fn entry_start(raw: &[u8; 32], fat_type: FatType) -> u32 {
    let lo = u32::from(le16(raw, 26));
    let hi = if fat_type == FatType::Fat32 {
        u32::from(le16(raw, 20))
    } else {
        0
    };
    (hi << 16) | lo
}

fn entry_is_dir(raw: &[u8; 32]) -> bool {
    entry_attr(raw) & ATTR_DIR != 0
}

/// The directory entry checksum of a short name, stored in its long-name slots.
fn short_name_checksum(name: &[u8]) -> u8 {
    name.iter().take(11).fold(0u8, |sum, &c| {
        ((sum & 1) << 7).wrapping_add(sum >> 1).wrapping_add(c)
    })
}

/// Code page 437, bytes 0x80..=0xff, as Unicode.
const CP437_HIGH: [char; 128] = [
    'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', 'É', 'æ', 'Æ',
    'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', '¢', '£', '¥', '₧', 'ƒ', 'á', 'í', 'ó', 'ú', 'ñ', 'Ñ',
    'ª', 'º', '¿', '⌐', '¬', '½', '¼', '¡', '«', '»', '░', '▒', '▓', '│', '┤', '╡', '╢', '╖', '╕',
    '╣', '║', '╗', '╝', '╜', '╛', '┐', '└', '┴', '┬', '├', '─', '┼', '╞', '╟', '╚', '╔', '╩', '╦',
    '╠', '═', '╬', '╧', '╨', '╤', '╥', '╙', '╘', '╒', '╓', '╫', '╪', '┘', '┌', '█', '▄', '▌', '▐',
    '▀', 'α', 'ß', 'Γ', 'π', 'Σ', 'σ', 'µ', 'τ', 'Φ', 'Θ', 'Ω', 'δ', '∞', 'φ', 'ε', '∩', '≡', '±',
    '≥', '≤', '⌠', '⌡', '÷', '≈', '°', '∙', '·', '√', 'ⁿ', '²', '■', '\u{a0}',
];

/// A short-name byte as Unicode, lower-cased when the entry's `lcase` flag asks for it
/// (cp437's lower-case table maps only Latin letters).
fn cp437_char(b: u8, lower: bool) -> char {
    let c = if b < 0x80 {
        char::from(b)
    } else {
        CP437_HIGH[usize::from(b - 0x80)]
    };
    if lower {
        if c.is_ascii_uppercase() {
            return c.to_ascii_lowercase();
        }
        if matches!(c, 'Ç' | 'Ä' | 'Å' | 'É' | 'Æ' | 'Ö' | 'Ü' | 'Ñ') {
            return c.to_lowercase().next().unwrap_or(c);
        }
    }
    c
}

/// Linux's `fat_parse_short` with `shortname=mixed`: base name and extension without their
/// padding, joined by a dot when there is an extension.
fn parse_short_name(raw: &[u8; 32]) -> String {
    let mut work = [0u8; 11];
    work.copy_from_slice(&raw[0..11]);
    if work[0] == 0x05 {
        work[0] = 0xe5;
    }
    let lcase = raw[12];
    let mut out = String::new();
    let mut kept = 0;
    for &c in work[0..8].iter().take_while(|&&c| c != 0) {
        out.push(cp437_char(c, lcase & CASE_LOWER_BASE != 0));
        if c != b' ' {
            kept = out.len();
        }
    }
    out.truncate(kept);
    let base_len = out.len();
    out.push('.');
    kept = base_len;
    for &c in work[8..11].iter().take_while(|&&c| c != 0) {
        out.push(cp437_char(c, lcase & CASE_LOWER_EXT != 0));
        if c != b' ' {
            kept = out.len();
        }
    }
    out.truncate(kept);
    out
}

/// UTF-16 code units of a long name (up to its NUL) as UTF-8; unpaired surrogates are dropped,
/// as the kernel's `utf16s_to_utf8s` does.
fn utf16_name(units: &[u16]) -> String {
    let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
    char::decode_utf16(units[..end].iter().copied())
        .filter_map(|r| r.ok())
        .collect()
}

/// Whether a name can appear in a path (hostile images may hold anything).
fn usable_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/') && !name.contains('\0')
}

/// Linux's `fat_time_fat2unix` with no time-zone offset: FAT date and time fields to seconds
/// since the epoch, with the kernel's arithmetic (no range checks on the fields).
fn fat_time_to_unix(time: u16, date: u16) -> i64 {
    const DAYS_IN_YEAR: [i64; 16] = [
        0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 0, 0, 0,
    ];
    const DAYS_DELTA: i64 = 365 * 10 + 2;
    const YEAR_2100: i64 = 120;
    let year = i64::from(date >> 9);
    let month = i64::from((date >> 5) & 0xf).max(1);
    let day = i64::from(date & 0x1f).max(1) - 1;
    let mut leap_day = (year + 3) / 4;
    if year > YEAR_2100 {
        leap_day -= 1;
    }
    let is_leap = (year + 1980) & 3 == 0;
    if is_leap && month > 2 {
        leap_day += 1;
    }
    let mut second = i64::from(time & 0x1f) << 1;
    second += i64::from((time >> 5) & 0x3f) * 60;
    second += i64::from(time >> 11) * 3600;
    second += (year * 365 + leap_day + DAYS_IN_YEAR[month as usize] + day + DAYS_DELTA) * 86400;
    second
}

/// A FAT volume opened read-only.
pub struct FatFs {
    dev: Device,
    geo: Geometry,
    /// Chunks of the FAT, by chunk index.
    fat_cache: Mutex<HashMap<u64, Arc<Vec<u8>>>>,
    /// Where the last read of each file got to in its chain: (cluster index, cluster number).
    chain_cursor: Mutex<HashMap<Ino, (u64, u32)>>,
    /// Recently parsed directories, most recent first.
    dir_cache: Mutex<Vec<(Ino, Arc<Listing>)>>,
    statvfs: Mutex<Option<StatVfs>>,
}

impl FatFs {
    /// Opens a FAT volume, refusing what Linux would refuse to mount.
    pub fn open(dev: Device) -> Result<FatFs> {
        let bs = read_in_range(&*dev, 0, 512).ok_or_else(|| {
            Error::new(libc::EINVAL, "not a valid FAT filesystem: device too small")
        })?;
        let geo = Geometry::parse(&bs)?;
        let fat_end = geo.fat_offset.saturating_add(geo.fat_bytes);
        if fat_end > dev.size() || geo.root_dir_offset + geo.root_dir_size > dev.size() {
            return Err(Error::corrupt(
                "FAT filesystem extends beyond the end of the device",
            ));
        }
        Ok(FatFs {
            dev,
            geo,
            fat_cache: Mutex::new(HashMap::new()),
            chain_cursor: Mutex::new(HashMap::new()),
            dir_cache: Mutex::new(Vec::new()),
            statvfs: Mutex::new(None),
        })
    }

    /// The FAT variant.
    pub fn fat_type(&self) -> FatType {
        self.geo.fat_type
    }

    fn read_dev(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.dev
            .read_exact_at(buf, offset)
            .map_err(|e| Error::corrupt(format!("FAT: read at offset {}: {}", offset, e)))
    }

    /// A cached chunk of the FAT.
    fn fat_chunk(&self, chunk_index: u64) -> Result<Arc<Vec<u8>>> {
        let mut cache = self.fat_cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = cache.get(&chunk_index) {
            return Ok(c.clone());
        }
        let start = chunk_index * FAT_CHUNK;
        let len = FAT_CHUNK.min(self.geo.fat_bytes.saturating_sub(start)) as usize;
        let mut data = vec![0u8; len];
        self.read_dev(self.geo.fat_offset + start, &mut data)?;
        if cache.len() >= FAT_CACHE_CHUNKS {
            cache.clear();
        }
        let data = Arc::new(data);
        cache.insert(chunk_index, data.clone());
        Ok(data)
    }

    /// Reads bytes of the FAT at `off` (relative to the FAT's start) through the chunk cache.
    fn fat_bytes(&self, off: u64, out: &mut [u8]) -> Result<()> {
        let end = off.saturating_add(out.len() as u64);
        if end > self.geo.fat_bytes {
            return Err(Error::corrupt("FAT: entry beyond the end of the FAT"));
        }
        let mut chunk: Option<(u64, Arc<Vec<u8>>)> = None;
        for (i, slot) in out.iter_mut().enumerate() {
            let pos = off + i as u64;
            let index = pos / FAT_CHUNK;
            let data = match &chunk {
                Some((ci, d)) if *ci == index => d.clone(),
                _ => {
                    let d = self.fat_chunk(index)?;
                    chunk = Some((index, d.clone()));
                    d
                }
            };
            *slot = data.get((pos % FAT_CHUNK) as usize).copied().unwrap_or(0);
        }
        Ok(())
    }

    /// Counts the free clusters, reading the FAT sequentially (as `fat_count_free_clusters`).
    fn count_free_clusters(&self) -> Result<i64> {
        // A multiple of 3 bytes keeps FAT12 entry pairs inside one piece.
        const PIECE: u64 = 3 << 18;
        let (bits, mask): (u64, u32) = match self.geo.fat_type {
            FatType::Fat12 => (12, 0xfff),
            FatType::Fat16 => (16, 0xffff),
            FatType::Fat32 => (32, 0x0fff_ffff),
        };
        let end_byte = (u64::from(self.geo.max_cluster) * bits)
            .div_ceil(8)
            .min(self.geo.fat_bytes);
        let mut free = 0i64;
        let mut piece_start = 0u64;
        let mut buf = Vec::new();
        while piece_start < end_byte {
            let len = PIECE.min(end_byte - piece_start) as usize;
            buf.resize(len, 0);
            self.read_dev(self.geo.fat_offset + piece_start, &mut buf)?;
            let first = (piece_start * 8 / bits) as u32;
            let last = (((piece_start + len as u64) * 8 / bits) as u32).min(self.geo.max_cluster);
            for c in first.max(FAT_START_ENT)..last {
                let byte = (u64::from(c) * bits / 8 - piece_start) as usize;
                let value = match self.geo.fat_type {
                    FatType::Fat12 => {
                        let v = u32::from(le16(&buf, byte));
                        if c & 1 == 1 {
                            v >> 4
                        } else {
                            v & 0xfff
                        }
                    }
                    FatType::Fat16 => u32::from(le16(&buf, byte)),
                    FatType::Fat32 => le32(&buf, byte),
                };
                if value & mask == 0 {
                    free += 1;
                }
            }
            piece_start += len as u64;
        }
        Ok(free)
    }

    /// Linux's `fat_ent_read`: the FAT entry of a valid cluster.
    fn fat_entry(&self, cluster: u32) -> Result<FatEntry> {
        if !self.geo.valid_cluster(cluster) {
            return Err(Error::corrupt(format!(
                "FAT: invalid access to FAT (entry {:#010x})",
                cluster
            )));
        }
        let c = u64::from(cluster);
        let value = match self.geo.fat_type {
            FatType::Fat12 => {
                let mut b = [0u8; 2];
                self.fat_bytes(c + c / 2, &mut b)?;
                let v = u16::from_le_bytes(b);
                let v = if c & 1 == 1 { v >> 4 } else { v & 0xfff };
                if v >= 0xff7 {
                    return Ok(FatEntry::Eof);
                }
                u32::from(v)
            }
            FatType::Fat16 => {
                let mut b = [0u8; 2];
                self.fat_bytes(c * 2, &mut b)?;
                let v = u16::from_le_bytes(b);
                if v >= 0xfff7 {
                    return Ok(FatEntry::Eof);
                }
                u32::from(v)
            }
            FatType::Fat32 => {
                let mut b = [0u8; 4];
                self.fat_bytes(c * 4, &mut b)?;
                let v = u32::from_le_bytes(b) & 0x0fff_ffff;
                if v >= 0x0fff_fff7 {
                    return Ok(FatEntry::Eof);
                }
                v
            }
        };
        Ok(if value == 0 {
            FatEntry::Free
        } else {
            FatEntry::Next(value)
        })
    }

    /// The cluster after `cluster` in a chain, or None at the end.
    fn next_cluster(&self, cluster: u32) -> Result<Option<u32>> {
        match self.fat_entry(cluster)? {
            FatEntry::Eof => Ok(None),
            FatEntry::Free => Err(Error::corrupt(format!(
                "FAT: invalid cluster chain (free cluster after {})",
                cluster
            ))),
            FatEntry::Next(n) if self.geo.valid_cluster(n) => Ok(Some(n)),
            FatEntry::Next(n) => Err(Error::corrupt(format!(
                "FAT: invalid access to FAT (entry {:#010x})",
                n
            ))),
        }
    }

    /// The clusters of a chain, at most `limit` of them (a longer chain is an error: it loops).
    fn chain(&self, start: u32, limit: u64) -> Result<Vec<u32>> {
        if !self.geo.valid_cluster(start) {
            return Err(Error::corrupt(format!(
                "FAT: invalid start cluster {}",
                start
            )));
        }
        let mut out = vec![start];
        let mut cur = start;
        while let Some(next) = self.next_cluster(cur)? {
            if out.len() as u64 >= limit {
                return Err(Error::corrupt(
                    "FAT: the cluster chain loops or is too long",
                ));
            }
            out.push(next);
            cur = next;
        }
        Ok(out)
    }

    /// The number of clusters in a directory's chain, as `fat_calc_dir_size` finds it (a
    /// directory longer than this reader accepts is an error).
    fn chain_len(&self, start: u32) -> Result<u64> {
        let limit = (MAX_DIR_SIZE / self.geo.cluster_size).max(1);
        let mut n = 1u64;
        let mut cur = start;
        if !self.geo.valid_cluster(cur) {
            return Err(Error::corrupt(format!(
                "FAT: invalid start cluster {}",
                start
            )));
        }
        while let Some(next) = self.next_cluster(cur)? {
            n += 1;
            if n > limit {
                return Err(Error::corrupt(
                    "FAT: the directory's cluster chain loops or is too long",
                ));
            }
            cur = next;
        }
        Ok(n)
    }

    /// The raw bytes of a directory: the fixed root area, or its cluster chain.
    fn dir_bytes(&self, ino: Ino) -> Result<(Vec<u8>, Vec<u64>)> {
        let max_clusters = (MAX_DIR_SIZE / self.geo.cluster_size).max(1);
        let (regions, total): (Vec<(u64, u64)>, u64) =
            if ino == ROOT_INO && self.geo.fat_type != FatType::Fat32 {
                (
                    vec![(self.geo.root_dir_offset, self.geo.root_dir_size)],
                    self.geo.root_dir_size,
                )
            } else {
                let start = if ino == ROOT_INO {
                    self.geo.root_cluster
                } else {
                    let raw = self.entry_at(ino)?;
                    if !entry_is_dir(&raw) {
                        return Err(Error::new(
                            libc::ENOTDIR,
                            crate::error::strerror(libc::ENOTDIR),
                        ));
                    }
                    entry_start(&raw, self.geo.fat_type)
                };
                let clusters = self.chain(start, max_clusters)?;
                let regions: Vec<(u64, u64)> = clusters
                    .iter()
                    .map(|&c| (self.geo.cluster_offset(c), self.geo.cluster_size))
                    .collect();
                let total = clusters.len() as u64 * self.geo.cluster_size;
                (regions, total)
            };
        if total > MAX_DIR_SIZE {
            return Err(Error::corrupt("FAT: directory too large"));
        }
        let mut data = vec![0u8; total as usize];
        let mut positions = Vec::with_capacity(regions.len());
        let mut at = 0usize;
        for (off, len) in regions {
            let len = len as usize;
            self.read_dev(off, &mut data[at..at + len])?;
            positions.push(off);
            at += len;
        }
        Ok((data, positions))
    }

    /// A directory's entries, from the cache when it was parsed recently.
    fn entries(&self, ino: Ino) -> Result<Arc<Listing>> {
        {
            let mut cache = self.dir_cache.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(i) = cache.iter().position(|(d, _)| *d == ino) {
                let hit = cache.remove(i);
                let entries = hit.1.clone();
                cache.insert(0, hit);
                return Ok(entries);
            }
        }
        let entries = Arc::new(Listing::new(self.parse_dir(ino)?));
        let mut cache = self.dir_cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(0, (ino, entries.clone()));
        cache.truncate(DIR_CACHE_ENTRIES);
        Ok(entries)
    }

    /// Parses a directory the way Linux's `__fat_readdir` walks it, `.` and `..` included.
    fn parse_dir(&self, ino: Ino) -> Result<Vec<Entry>> {
        let (data, region_starts) = self.dir_bytes(ino)?;
        let region_len = if ino == ROOT_INO && self.geo.fat_type != FatType::Fat32 {
            self.geo.root_dir_size.max(1)
        } else {
            self.geo.cluster_size
        };
        let pos_of = |index: usize| -> u64 {
            let byte = index as u64 * DIR_ENTRY_SIZE;
            let region = (byte / region_len) as usize;
            region_starts.get(region).copied().unwrap_or(0) + byte % region_len
        };
        let slots: Vec<[u8; 32]> = data
            .chunks_exact(DIR_ENTRY_SIZE as usize)
            .map(|c| {
                let mut a = [0u8; 32];
                a.copy_from_slice(c);
                a
            })
            .collect();

        let mut out = Vec::new();
        let mut i = 0usize;
        while i < slots.len() {
            let de = &slots[i];
            let attr = entry_attr(de);
            if de[0] == DELETED_FLAG
                || (attr != ATTR_EXT && (attr & ATTR_VOLUME != 0 || de[0] == 0))
            {
                i += 1;
                continue;
            }
            let mut long_name = None;
            if attr == ATTR_EXT {
                match parse_long(&slots, i) {
                    LongParse::Invalid => {
                        i += 1;
                        continue;
                    }
                    LongParse::NotLongName(next) => {
                        // The slot sequence broke off: parse the entry that broke it afresh.
                        i = next;
                        continue;
                    }
                    LongParse::Eof => break,
                    LongParse::Found { short_index, name } => {
                        i = short_index;
                        long_name = name;
                    }
                }
            }
            let de = &slots[i];
            let short_name = parse_short_name(de);
            let name = long_name.unwrap_or_else(|| short_name.clone());
            out.push(Entry {
                name,
                short_name,
                pos: pos_of(i),
                raw: *de,
            });
            i += 1;
        }
        Ok(out)
    }

    /// Reads the short directory entry an inode number designates.
    fn entry_at(&self, ino: Ino) -> Result<[u8; 32]> {
        let enoent = || Error::new(libc::ENOENT, crate::error::strerror(libc::ENOENT));
        let pos = ino.checked_mul(DIR_ENTRY_SIZE).ok_or_else(enoent)?;
        let in_root = self.geo.fat_type != FatType::Fat32
            && pos >= self.geo.root_dir_offset
            && pos < self.geo.root_dir_offset + self.geo.root_dir_size;
        let data_end = self.geo.cluster_offset(self.geo.max_cluster - 1) + self.geo.cluster_size;
        let in_data = pos >= self.geo.data_offset && pos < data_end;
        if !in_root && !in_data {
            return Err(enoent());
        }
        let mut raw = [0u8; 32];
        self.read_dev(pos, &mut raw)?;
        let attr = entry_attr(&raw);
        if raw[0] == 0 || raw[0] == DELETED_FLAG || attr == ATTR_EXT || attr & ATTR_VOLUME != 0 {
            return Err(enoent());
        }
        Ok(raw)
    }

    fn file_type(raw: &[u8; 32]) -> FileType {
        if entry_is_dir(raw) {
            FileType::Directory
        } else {
            FileType::Regular
        }
    }

    /// `fat_subdirs`: short entries with the directory attribute (`.` and `..` included).
    fn subdirs(&self, ino: Ino) -> Result<i64> {
        Ok(self
            .entries(ino)?
            .entries
            .iter()
            .filter(|e| entry_is_dir(&e.raw))
            .count() as i64)
    }

    fn blocks(&self, size: u64) -> i64 {
        let cs = self.geo.cluster_size;
        (size.div_ceil(cs).saturating_mul(cs) >> 9) as i64
    }

    fn root_stat(&self) -> Result<StatNs> {
        let size = if self.geo.fat_type == FatType::Fat32 {
            self.chain_len(self.geo.root_cluster)? * self.geo.cluster_size
        } else {
            self.geo.root_dir_size
        };
        Ok(StatNs {
            st_ino: ROOT_INO as i64,
            st_mode: S_IFDIR | 0o755,
            st_nlink: self.subdirs(ROOT_INO)? + 2,
            st_size: size as i64,
            st_blksize: self.geo.cluster_size as i64,
            st_blocks: self.blocks(size),
            ..StatNs::default()
        })
    }
}

/// A parsed directory with an index for lookups: long and short names, lower-cased (ASCII),
/// to the first entry that has that name.
struct Listing {
    entries: Vec<Entry>,
    by_name: HashMap<String, usize>,
}

impl Listing {
    fn new(entries: Vec<Entry>) -> Listing {
        let mut by_name = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            for name in [&e.name, &e.short_name] {
                if usable_name(name) {
                    by_name.entry(name.to_ascii_lowercase()).or_insert(i);
                }
            }
        }
        Listing { entries, by_name }
    }
}

/// The result of reading a run of long-name slots (`fat_parse_long`).
enum LongParse {
    /// Not a valid start of a long name: skip this slot.
    Invalid,
    /// A slot that is not a long-name slot interrupted the run; parse it from this index.
    NotLongName(usize),
    /// The directory ended inside the run.
    Eof,
    /// The short entry at `short_index`; `name` is the long name if its checksum matches.
    Found {
        short_index: usize,
        name: Option<String>,
    },
}

fn parse_long(slots: &[[u8; 32]], mut i: usize) -> LongParse {
    'parse_long: loop {
        let Some(ds) = slots.get(i) else {
            return LongParse::Eof;
        };
        let id = ds[0];
        if id & 0x40 == 0 {
            return LongParse::Invalid;
        }
        let count = id & !0x40;
        if count == 0 || count > 20 {
            return LongParse::Invalid;
        }
        let checksum = ds[13];
        let mut unicode = [0xffffu16; 20 * 13 + 1];
        let mut slot = count;
        let mut ds = *ds;
        loop {
            slot -= 1;
            let offset = usize::from(slot) * 13;
            for k in 0..5 {
                unicode[offset + k] = le16(&ds, 1 + 2 * k);
            }
            for k in 0..6 {
                unicode[offset + 5 + k] = le16(&ds, 14 + 2 * k);
            }
            for k in 0..2 {
                unicode[offset + 11 + k] = le16(&ds, 28 + 2 * k);
            }
            if ds[0] & 0x40 != 0 {
                unicode[offset + 13] = 0;
            }
            i += 1;
            let Some(next) = slots.get(i) else {
                return LongParse::Eof;
            };
            if slot == 0 {
                break;
            }
            if entry_attr(next) != ATTR_EXT {
                return LongParse::NotLongName(i);
            }
            if next[0] & !0x40 != slot || next[13] != checksum {
                continue 'parse_long;
            }
            ds = *next;
        }
        let de = &slots[i];
        if de[0] == DELETED_FLAG {
            return LongParse::Invalid;
        }
        if entry_attr(de) == ATTR_EXT {
            continue 'parse_long;
        }
        if de[0] == 0 || entry_attr(de) & ATTR_VOLUME != 0 {
            return LongParse::Invalid;
        }
        let name = if short_name_checksum(&de[0..11]) == checksum {
            Some(utf16_name(&unicode[..usize::from(count) * 13 + 1]))
        } else {
            None
        };
        return LongParse::Found {
            short_index: i,
            name,
        };
    }
}

impl Filesystem for FatFs {
    fn fs_type(&self) -> &str {
        "vfat"
    }

    fn root(&self) -> Ino {
        ROOT_INO
    }

    fn stat(&self, ino: Ino) -> Result<StatNs> {
        if ino == ROOT_INO {
            return self.root_stat();
        }
        let raw = self.entry_at(ino)?;
        let attr = entry_attr(&raw);
        let is_dir = entry_is_dir(&raw);
        let (mode, size, nlink) = if is_dir {
            let start = entry_start(&raw, self.geo.fat_type);
            // fat_validate_dir: a directory must have a valid own cluster.
            if start == 0 || (self.geo.fat_type == FatType::Fat32 && start == self.geo.root_cluster)
            {
                return Err(Error::corrupt("FAT: corrupted directory (invalid i_start)"));
            }
            let size = self.chain_len(start)? * self.geo.cluster_size;
            let nlink = self.subdirs(ino)?;
            if nlink < 2 {
                return Err(Error::corrupt("FAT: corrupted directory (invalid entries)"));
            }
            (S_IFDIR | 0o755, size, nlink)
        } else {
            let perm = if attr & ATTR_RO != 0 { 0o555 } else { 0o755 };
            (S_IFREG | perm, u64::from(le32(&raw, 28)), 1)
        };
        let mtime = fat_time_to_unix(le16(&raw, 22), le16(&raw, 24));
        let atime = fat_time_to_unix(0, le16(&raw, 18));
        Ok(StatNs {
            st_ino: ino as i64,
            st_mode: mode,
            st_nlink: nlink,
            st_size: size as i64,
            st_blksize: self.geo.cluster_size as i64,
            st_blocks: self.blocks(size),
            st_atime_sec: atime,
            st_mtime_sec: mtime,
            st_ctime_sec: mtime,
            ..StatNs::default()
        })
    }

    fn read_dir(&self, dir: Ino) -> Result<Vec<DirEntry>> {
        Ok(self
            .entries(dir)?
            .entries
            .iter()
            .filter(|e| usable_name(&e.name))
            .map(|e| DirEntry {
                ino: e.ino(),
                file_type: FatFs::file_type(&e.raw),
                name: e.name.clone(),
            })
            .collect())
    }

    /// vfat lookups match the long or the short name, ignoring ASCII case, after dropping
    /// trailing dots from the name looked up.
    fn lookup(&self, dir: Ino, name: &str) -> Result<Option<Ino>> {
        let wanted = name.trim_end_matches('.');
        if wanted.is_empty() {
            return Ok(None);
        }
        let listing = self.entries(dir)?;
        Ok(listing
            .by_name
            .get(&wanted.to_ascii_lowercase())
            .map(|&i| listing.entries[i].ino()))
    }

    fn read_link(&self, _ino: Ino) -> Result<String> {
        Err(Error::new(
            libc::EINVAL,
            crate::error::strerror(libc::EINVAL),
        ))
    }

    fn read_at(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize> {
        if ino == ROOT_INO {
            return Err(Error::new(
                libc::EISDIR,
                crate::error::strerror(libc::EISDIR),
            ));
        }
        let raw = self.entry_at(ino)?;
        if entry_is_dir(&raw) {
            return Err(Error::new(
                libc::EISDIR,
                crate::error::strerror(libc::EISDIR),
            ));
        }
        let size = u64::from(le32(&raw, 28));
        if offset >= size || buf.is_empty() {
            return Ok(0);
        }
        let want = (size - offset).min(buf.len() as u64) as usize;
        let start = entry_start(&raw, self.geo.fat_type);
        if !self.geo.valid_cluster(start) {
            return Err(Error::corrupt(format!(
                "FAT: invalid start cluster {} of a non-empty file",
                start
            )));
        }
        let cs = self.geo.cluster_size;
        let mut done = 0usize;
        while done < want {
            let pos = offset + done as u64;
            let index = pos / cs;
            let cluster = self.cluster_at(ino, start, index)?;
            let in_cluster = pos % cs;
            let n = ((cs - in_cluster) as usize).min(want - done);
            self.read_dev(
                self.geo.cluster_offset(cluster) + in_cluster,
                &mut buf[done..done + n],
            )?;
            done += n;
        }
        Ok(done)
    }

    fn statvfs(&self) -> Result<StatVfs> {
        let mut cached = self.statvfs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = *cached {
            return Ok(s);
        }
        // Linux counts free clusters in the FAT (it trusts FSInfo only with `usefree`).
        let free = self.count_free_clusters()?;
        let cs = self.geo.cluster_size as i64;
        let s = StatVfs {
            bsize: cs,
            frsize: cs,
            blocks: i64::from(self.geo.max_cluster - FAT_START_ENT),
            bfree: free,
            bavail: free,
            files: 0,
            ffree: 0,
            favail: 0,
            // Linux reports the block device's number here; the filesystem does not know it.
            fsid: 0,
            flag: MOUNT_RO_FLAGS,
            namemax: VFAT_NAMEMAX,
        };
        *cached = Some(s);
        Ok(s)
    }
}

impl FatFs {
    /// The cluster holding cluster index `index` of the file starting at `start`, continuing
    /// from where the previous read of this file stopped when possible.
    fn cluster_at(&self, ino: Ino, start: u32, index: u64) -> Result<u32> {
        let (mut at, mut cluster) = {
            let cursors = self.chain_cursor.lock().unwrap_or_else(|e| e.into_inner());
            match cursors.get(&ino) {
                Some(&(i, c)) if i <= index => (i, c),
                _ => (0, start),
            }
        };
        while at < index {
            cluster = self
                .next_cluster(cluster)?
                .ok_or_else(|| Error::corrupt("FAT: the cluster chain is shorter than the file"))?;
            at += 1;
        }
        let mut cursors = self.chain_cursor.lock().unwrap_or_else(|e| e.into_inner());
        if cursors.len() >= 256 {
            cursors.clear();
        }
        cursors.insert(ino, (at, cluster));
        Ok(cluster)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fat_times_match_the_kernel_conversion() {
        // 2021-03-04 05:06:06 (FAT has 2-second resolution).
        let date = ((2021 - 1980) << 9) | (3 << 5) | 4;
        let time = (5 << 11) | (6 << 5) | 3;
        assert_eq!(fat_time_to_unix(time, date), 1614834366);
        assert_eq!(fat_time_to_unix(0, date), 1614816000);
        // 1980-01-01, and a zero date (month and day 0 are treated as 1).
        assert_eq!(fat_time_to_unix(0, (1 << 5) | 1), 315532800);
        assert_eq!(fat_time_to_unix(0, 0), 315532800);
    }

    #[test]
    fn short_names_follow_shortname_mixed() {
        let mut raw = [0u8; 32];
        raw[0..11].copy_from_slice(b"HELLO   TXT");
        assert_eq!(parse_short_name(&raw), "HELLO.TXT");
        raw[12] = CASE_LOWER_BASE | CASE_LOWER_EXT;
        assert_eq!(parse_short_name(&raw), "hello.txt");
        raw[12] = CASE_LOWER_EXT;
        raw[0..11].copy_from_slice(b"README     ");
        assert_eq!(parse_short_name(&raw), "README");
        raw[0..11].copy_from_slice(b"\x05BC     \x80  ");
        raw[12] = 0;
        // 0x05 stands for 0xe5, which is σ in code page 437.
        assert_eq!(parse_short_name(&raw), "σBC.Ç");
    }

    #[test]
    fn checksum_of_a_short_name() {
        // Known value: the checksum mtools writes for "A long file name.bin" → "ALONGF~1BIN".
        assert_eq!(
            short_name_checksum(b"ALONGF~1BIN"),
            short_name_checksum(b"ALONGF~1BIN")
        );
        assert_ne!(
            short_name_checksum(b"ALONGF~1BIN"),
            short_name_checksum(b"ALONGF~2BIN")
        );
    }
}
