//! Partition tables: MBR (with extended/logical partitions) and GPT.
//!
//! [`read`] looks at a whole device and returns its table, or `None` when the device has no
//! partition table the native backend knows.

pub mod gpt;
pub mod mbr;

use crate::block::BlockDevice;
use crate::error::Result;

/// The kind of partition table, named as parted and libguestfs name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableType {
    Msdos,
    Gpt,
}

impl TableType {
    /// `part_get_parttype`'s answer.
    pub fn name(self) -> &'static str {
        match self {
            TableType::Msdos => "msdos",
            TableType::Gpt => "gpt",
        }
    }
}

/// One partition, as the Linux kernel exposes it (`/dev/sdaN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionEntry {
    /// The kernel's partition number: MBR primaries 1–4, logicals from 5 (then BSD, Solaris,
    /// UnixWare and Minix slices); GPT entry index + 1.
    pub number: u32,
    /// Byte offset of the first byte on the device.
    pub start: u64,
    /// Size in bytes as the partition table says. For an MBR extended partition this is the
    /// whole extended area (parted's `part_list` size); see `device_size`.
    pub size: u64,
    /// Size of the kernel's block device for this partition: equal to `size`, except for an
    /// MBR extended partition, which the kernel exposes as a 1 KiB device (two 512-byte
    /// sectors; one 4 KiB sector on 4Kn disks), and a partition running past the end of the
    /// disk, which the kernel cuts short.
    pub device_size: u64,
    /// MBR partition type byte (msdos tables only; None for slices inside a BSD, Solaris,
    /// UnixWare or Minix partition).
    pub mbr_id: Option<u8>,
    /// True for an MBR extended partition container (types 0x05, 0x0f, 0x85).
    pub is_extended: bool,
    /// GPT partition type GUID, upper case with dashes (GPT only).
    pub gpt_type: Option<String>,
    /// GPT unique partition GUID, upper case with dashes (GPT only).
    pub gpt_guid: Option<String>,
    /// GPT partition name (GPT only).
    pub gpt_name: Option<String>,
    /// GPT attribute bits (GPT only).
    pub gpt_attributes: Option<u64>,
    /// MBR boot flag (0x80).
    pub bootable: bool,
}

/// A device's partition table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionTable {
    pub table_type: TableType,
    /// Partitions sorted by number.
    pub partitions: Vec<PartitionEntry>,
    /// GPT disk GUID (GPT only).
    pub disk_guid: Option<String>,
}

/// Reads the partition table of a whole device with the given logical sector size (512 or
/// 4096). GPT is preferred when a protective MBR is present, as the kernel does.
pub fn read(dev: &dyn BlockDevice, sector_size: u64) -> Result<Option<PartitionTable>> {
    if let Some(t) = gpt::read(dev, sector_size)? {
        return Ok(Some(t));
    }
    mbr::read(dev, sector_size)
}
