//! The NTFS boot sector: what blkid and the reader check, and the blkid probe.

use super::*;

/// The boot sector fields blkid and this reader check.
pub(super) struct BootSector {
    pub(super) sector_size: u64,
    pub(super) sectors_per_cluster: u64,
    pub(super) total_sectors: u64,
    pub(super) mft_lcn: u64,
    pub(super) mft_mirror_lcn: u64,
    pub(super) mft_record_size: u64,
    pub(super) index_record_size: u64,
    pub(super) serial: u64,
}

impl BootSector {
    /// blkid's NTFS superblock checks.
    pub(super) fn parse(bs: &[u8]) -> Option<BootSector> {
        let f = Fixed::<512>::new(bs)?;
        if f.array::<3, 8>() != *b"NTFS    " {
            return None;
        }
        let sector_size = u64::from(f.le16::<11>());
        if !(256..=4096).contains(&sector_size) || !sector_size.is_power_of_two() {
            return None;
        }
        let spc = f.u8::<13>();
        let sectors_per_cluster = match spc {
            1 | 2 | 4 | 8 | 16 | 32 | 64 | 128 => u64::from(spc),
            240..=249 => 1u64 << (256 - u32::from(spc)),
            _ => return None,
        };
        if sector_size * sectors_per_cluster > 2 << 20 {
            return None;
        }
        // Fields a FAT boot sector uses must be zero.
        if f.le16::<14>() != 0
            || f.le16::<17>() != 0
            || f.le16::<19>() != 0
            || f.le16::<22>() != 0
            || f.le32::<32>() != 0
            || f.u8::<16>() != 0
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
        let mft_record_size = record_size(f.u8::<0x40>())?;
        // The index record size is not checked by blkid; 0 marks it invalid here.
        let index_record_size = record_size(f.u8::<0x44>()).unwrap_or(0);
        let total_sectors = f.le64::<0x28>();
        let nr_clusters = total_sectors / sectors_per_cluster;
        let mft_lcn = f.le64::<0x30>();
        let mft_mirror_lcn = f.le64::<0x38>();
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
            serial: f.le64::<0x48>(),
        })
    }

    pub(super) fn cluster_size(&self) -> u64 {
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
    // A record too short for its header (a tiny record size) has no label to find.
    let (mut attr_off, bytes_allocated) = match Fixed::<RECORD_HEADER_SIZE>::new(&vol) {
        Some(h) => (u64::from(h.le16::<20>()), u64::from(h.le32::<28>())),
        None => (rs, 0),
    };
    while attr_off <= bytes_allocated {
        let a = attr_off as usize;
        let Some(attr) = Fixed::<RESIDENT_HEADER_SIZE>::at(&vol, a) else {
            break;
        };
        let attr_len = u64::from(attr.le32::<4>());
        let ty = attr.le32::<0>();
        if attr_len == 0 || ty == AT_END {
            break;
        }
        if ty == AT_VOLUME_NAME {
            let val_off = usize::from(attr.le16::<20>());
            let val_len = attr.le32::<16>() as usize;
            if let Some(value) = try_slice(&vol, a + val_off, val_len) {
                let units = utf16le_units(value);
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
