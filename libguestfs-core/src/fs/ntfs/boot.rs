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
