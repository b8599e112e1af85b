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

mod boot;
mod dir;
mod dirent;
mod table;

pub(crate) use boot::label_string;
pub use boot::probe;
use boot::Geometry;
use dir::Listing;
use dirent::*;

use super::{DirEntry, FileType, Filesystem, Ino, Probe};
use crate::block::{read_array, read_in_range};
use crate::block::{BlockDevice, Device};
use crate::bytes::{try_le16, try_le32, Fixed};
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
            (S_IFREG | perm, entry_size(&raw), 1)
        };
        let times = Fixed::from(&raw);
        let mtime = fat_time_to_unix(times.le16::<22>(), times.le16::<24>());
        let atime = fat_time_to_unix(0, times.le16::<18>());
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
        let size = entry_size(&raw);
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
