//! The boot sector: blkid's `vfat` probe and the geometry Linux derives from the BPB.

use super::*;

/// blkid's FAT magics: (offset, bytes). The last three need the extra validity checks of
/// "magic-less" FAT volumes.
pub(super) const VFAT_MAGICS: &[(usize, &[u8])] = &[
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

pub(super) const NO_NAME: &[u8; 11] = b"NO NAME    ";

/// blkid's `search_fat_label`: the first volume-label entry among `entries` directory entries.
pub(super) fn search_fat_label(
    dev: &dyn BlockDevice,
    offset: u64,
    entries: u32,
) -> Option<[u8; 11]> {
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
    let bs = read_array::<512>(dev, 0)?;
    let f = Fixed::from(&bs);
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
    let reserved = u32::from(f.le16::<14>());
    let fats = u32::from(bs[16]);
    let media = bs[21];
    if fats == 0 || reserved == 0 || !(media >= 0xf8 || media == 0xf0) {
        return None;
    }
    if !sectors_per_cluster.is_power_of_two() {
        return None;
    }
    let sector_size = u32::from(f.le16::<11>());
    if !sector_size.is_power_of_two() || !(512..=4096).contains(&sector_size) {
        return None;
    }
    let dir_entries = u32::from(f.le16::<17>());
    let mut sect_count = u32::from(f.le16::<19>());
    if sect_count == 0 {
        sect_count = f.le32::<32>();
    }
    let fat16_length = u32::from(f.le16::<22>());
    let fat32_length = f.le32::<36>();
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
            boot_label = Some(f.array::<43, 11>());
            serial = Some(f.array::<39, 4>());
        }
        let root_start = (u64::from(reserved) + u64::from(fat_size)) * u64::from(sector_size);
        vol_label = search_fat_label(dev, root_start, dir_entries);
    } else if fat32_length != 0 {
        let buf_size = sectors_per_cluster * sector_size;
        let start_data_sect = u64::from(reserved) + u64::from(fat_size);
        let entries =
            (u64::from(fat32_length) * u64::from(sector_size) / 4).min(u64::from(u32::MAX)) as u32;
        let mut next = f.le32::<44>();
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
            match read_array::<4>(dev, fat_entry_off) {
                Some(entry) => next = u32::from_le_bytes(entry) & 0x0fff_ffff,
                None => break,
            }
        }
        vol_label = found;
        if bs[66] == 0x29 || bs[66] == 0x28 {
            boot_label = Some(f.array::<71, 11>());
            serial = Some(f.array::<67, 4>());
        }
        // FAT32 needs a valid FSInfo signature (or all zeros) when it has an FSInfo sector.
        let fsinfo_sect = u64::from(f.le16::<48>());
        if fsinfo_sect != 0 {
            let fsinfo = read_array::<512>(dev, fsinfo_sect * u64::from(sector_size))?;
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

/// The geometry Linux derives from the boot sector's BIOS Parameter Block.
#[derive(Debug, Clone)]
pub(super) struct Geometry {
    pub(super) fat_type: FatType,
    pub(super) cluster_size: u64,
    /// Byte offset of the first FAT (the one Linux reads).
    pub(super) fat_offset: u64,
    /// Size of one FAT in bytes.
    pub(super) fat_bytes: u64,
    /// FAT12/16: byte offset and size of the fixed root directory.
    pub(super) root_dir_offset: u64,
    pub(super) root_dir_size: u64,
    /// FAT32: the root directory's first cluster.
    pub(super) root_cluster: u32,
    /// Byte offset of cluster 2.
    pub(super) data_offset: u64,
    /// One past the highest valid cluster number (`max_cluster`).
    pub(super) max_cluster: u32,
}

impl Geometry {
    /// Validates the boot sector as Linux's `fat_fill_super` does before it mounts.
    pub(super) fn parse(bs: &[u8]) -> Result<Geometry> {
        let bad = |what: &str| {
            Error::new(
                libc::EINVAL,
                format!("not a valid FAT filesystem: {}", what),
            )
        };
        let Some(f) = Fixed::<512>::new(bs) else {
            return Err(bad("boot sector too short"));
        };
        let reserved = u64::from(f.le16::<14>());
        let fats = u64::from(f.u8::<16>());
        let media = f.u8::<21>();
        let sector_size = u64::from(f.le16::<11>());
        let sectors_per_cluster = u64::from(f.u8::<13>());
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
        let fat16_length = u64::from(f.le16::<22>());
        let fat32_length = u64::from(f.le32::<36>());
        let is_fat32 = fat16_length == 0;
        let fat_length = if is_fat32 { fat32_length } else { fat16_length };
        if fat_length == 0 {
            return Err(bad("bogus number of FAT sectors"));
        }
        let dir_entries = u64::from(f.le16::<17>());
        let dir_per_sector = sector_size / DIR_ENTRY_SIZE;
        if dir_entries % dir_per_sector != 0 {
            return Err(bad("bogus number of directory entries"));
        }
        let mut total_sectors = u64::from(f.le16::<19>());
        if total_sectors == 0 {
            total_sectors = u64::from(f.le32::<32>());
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
        let root_cluster = if is_fat32 { f.le32::<44>() } else { 0 };
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

    pub(super) fn cluster_offset(&self, cluster: u32) -> u64 {
        // `cluster` has been checked against max_cluster, so this cannot overflow.
        self.data_offset + u64::from(cluster - FAT_START_ENT) * self.cluster_size
    }

    pub(super) fn valid_cluster(&self, cluster: u32) -> bool {
        (FAT_START_ENT..self.max_cluster).contains(&cluster)
    }
}
