//! GPT (GUID Partition Table), read the way the Linux kernel reads it
//! (block/partitions/efi.c), so that partition numbers and sizes match the appliance's kernel.
//!
//! A GPT disk starts with a protective MBR (an entry of type 0xEE starting at LBA 1), then the
//! primary GPT header at LBA 1 and its partition entry array; a backup header sits at the last
//! LBA with its own copy of the array. Headers and arrays carry CRC32s.
//!
//! The kernel trusts only a valid primary header (it checks the backup only for warnings,
//! and reads the backup instead only with the `gpt` boot option, which libguestfs does not
//! give), so [`read`] does the same. [`read_with_backup`] falls back to the backup header when
//! the primary is bad, as parted and sgdisk do.

use super::mbr;
use super::{PartitionEntry, PartitionTable, TableType};
use crate::block::BlockDevice;
use crate::bytes::Fixed;
use crate::error::Result;

/// "EFI PART".
pub const GPT_HEADER_SIGNATURE: [u8; 8] = *b"EFI PART";
/// The header as the specification defines it (fields up to the entry array CRC).
const GPT_HEADER_MIN_SIZE: u32 = 92;
/// The only partition entry size the kernel accepts.
const GPT_ENTRY_SIZE: u32 = 128;
/// The kernel's ceiling on the entry array (KMALLOC_MAX_SIZE on x86-64 with 4 KiB pages).
const MAX_ENTRY_ARRAY_BYTES: u64 = 4 << 20;
/// Partition numbers stop at 255 (the kernel's DISK_MAX_PARTS - 1).
const MAX_PARTITION_NUMBER: u32 = 255;

/// A GPT header (the fields the reader uses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GptHeader {
    pub header_size: u32,
    pub my_lba: u64,
    pub alternate_lba: u64,
    pub first_usable_lba: u64,
    pub last_usable_lba: u64,
    pub disk_guid: [u8; 16],
    pub partition_entry_lba: u64,
    pub num_partition_entries: u32,
    pub sizeof_partition_entry: u32,
    pub partition_entry_array_crc32: u32,
}

/// One partition entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GptEntry {
    pub partition_type_guid: [u8; 16],
    pub unique_partition_guid: [u8; 16],
    pub starting_lba: u64,
    pub ending_lba: u64,
    pub attributes: u64,
    /// Name, UTF-16LE in 36 code units, NUL-terminated when shorter.
    pub partition_name: String,
}

/// Formats a GUID as GPT stores it: the first three fields little-endian, the last two as
/// bytes; upper case with dashes (`C12A7328-F81F-11D2-BA4B-00A0C93EC93B`).
pub fn format_guid(g: &[u8; 16]) -> String {
    format!(
        "{:02X}{:02X}{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}",
        g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]
    )
}

impl GptEntry {
    /// Parses a 128-byte entry.
    fn parse(b: &[u8; GPT_ENTRY_SIZE as usize]) -> GptEntry {
        let units: Vec<u16> = b[56..128]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|&u| u != 0)
            .collect();
        let b = Fixed::from(b);
        GptEntry {
            partition_type_guid: b.array::<0, 16>(),
            unique_partition_guid: b.array::<16, 16>(),
            starting_lba: b.le64::<32>(),
            ending_lba: b.le64::<40>(),
            attributes: b.le64::<48>(),
            partition_name: String::from_utf16_lossy(&units),
        }
    }
}

/// The kernel's `is_pmbr_valid`: a 0x55AA MBR with an entry of type 0xEE starting at LBA 1
/// (protective or hybrid).
fn protective_mbr_present(dev: &dyn BlockDevice) -> Result<bool> {
    if dev.size() < 512 {
        return Ok(false);
    }
    let mut s = [0u8; 512];
    dev.read_exact_at(&mut s, 0)?;
    if !mbr::magic_present(&s) {
        return Ok(false);
    }
    Ok(mbr::entries(&s)
        .iter()
        .any(|p| p.sys_ind == mbr::EFI_PMBR_OSTYPE_EFI_GPT && p.start_sect == 1))
}

/// A header and entry array that passed every check of the kernel's `is_gpt_valid`.
struct ValidGpt {
    header: GptHeader,
    entries: Vec<u8>,
}

/// Geometry of the device in logical sectors.
struct Disk<'a> {
    dev: &'a dyn BlockDevice,
    sector_size: u64,
    /// The last addressable LBA.
    last_lba: u64,
}

impl Disk<'_> {
    /// Reads `len` bytes at `lba`; None when they do not all lie on the device.
    fn read_lba(&self, lba: u64, len: usize) -> Result<Option<Vec<u8>>> {
        let Some(offset) = lba.checked_mul(self.sector_size) else {
            return Ok(None);
        };
        match offset.checked_add(len as u64) {
            Some(end) if end <= self.dev.size() => {}
            _ => return Ok(None),
        }
        let mut buf = vec![0u8; len];
        self.dev.read_exact_at(&mut buf, offset)?;
        Ok(Some(buf))
    }

    /// The kernel's `is_gpt_valid` for the header at `lba`.
    fn valid_gpt_at(&self, lba: u64) -> Result<Option<ValidGpt>> {
        // sector_size is 512 or 4096 here, so it fits a usize and bounds the allocation.
        let Some(mut raw) = self.read_lba(lba, self.sector_size as usize)? else {
            return Ok(None);
        };
        // A sector (512 bytes at least) always holds the header's fields.
        let Some(h) = Fixed::<{ GPT_HEADER_MIN_SIZE as usize }>::new(&raw) else {
            return Ok(None);
        };
        if h.array::<0, 8>() != GPT_HEADER_SIGNATURE {
            return Ok(None);
        }
        let header_size = h.le32::<12>();
        if header_size < GPT_HEADER_MIN_SIZE || u64::from(header_size) > self.sector_size {
            return Ok(None);
        }
        let header_crc32 = h.le32::<16>();
        let header = GptHeader {
            header_size,
            my_lba: h.le64::<24>(),
            alternate_lba: h.le64::<32>(),
            first_usable_lba: h.le64::<40>(),
            last_usable_lba: h.le64::<48>(),
            disk_guid: h.array::<56, 16>(),
            partition_entry_lba: h.le64::<72>(),
            num_partition_entries: h.le32::<80>(),
            sizeof_partition_entry: h.le32::<84>(),
            partition_entry_array_crc32: h.le32::<88>(),
        };
        // The CRC covers the header with its CRC field read as zero.
        raw[16..20].fill(0);
        if crc32fast::hash(&raw[..header_size as usize]) != header_crc32 {
            return Ok(None);
        }
        if header.my_lba != lba
            || header.first_usable_lba > self.last_lba
            || header.last_usable_lba > self.last_lba
            || header.last_usable_lba < header.first_usable_lba
            || header.sizeof_partition_entry != GPT_ENTRY_SIZE
        {
            return Ok(None);
        }
        let array_bytes = u64::from(header.num_partition_entries) * u64::from(GPT_ENTRY_SIZE);
        if array_bytes == 0
            || array_bytes > MAX_ENTRY_ARRAY_BYTES
            || header.partition_entry_lba > self.last_lba
        {
            return Ok(None);
        }
        // array_bytes <= 4 MiB, so the cast is exact; read_lba checks it lies on the device.
        let Some(entries) = self.read_lba(header.partition_entry_lba, array_bytes as usize)? else {
            return Ok(None);
        };
        if crc32fast::hash(&entries) != header.partition_entry_array_crc32 {
            return Ok(None);
        }
        Ok(Some(ValidGpt { header, entries }))
    }
}

/// Reads the GPT of a whole device as the Linux kernel does: a protective (or hybrid) MBR
/// and a valid primary header and entry array are required. Returns None otherwise.
pub fn read(dev: &dyn BlockDevice, sector_size: u64) -> Result<Option<PartitionTable>> {
    read_impl(dev, sector_size, false)
}

/// Like [`read`], but when the primary header or its array is bad, uses the backup header
/// at the last LBA (as parted and sgdisk do).
pub fn read_with_backup(dev: &dyn BlockDevice, sector_size: u64) -> Result<Option<PartitionTable>> {
    read_impl(dev, sector_size, true)
}

fn read_impl(
    dev: &dyn BlockDevice,
    sector_size: u64,
    use_backup: bool,
) -> Result<Option<PartitionTable>> {
    if sector_size != 512 && sector_size != 4096 {
        return Ok(None);
    }
    let sectors = dev.size() / sector_size;
    if sectors < 3 {
        return Ok(None);
    }
    let disk = Disk {
        dev,
        sector_size,
        last_lba: sectors - 1,
    };
    if !protective_mbr_present(dev)? {
        return Ok(None);
    }
    let gpt = match disk.valid_gpt_at(1)? {
        Some(g) => g,
        None if use_backup => match disk.valid_gpt_at(disk.last_lba)? {
            Some(g) => g,
            None => return Ok(None),
        },
        None => return Ok(None),
    };
    Ok(Some(table(&disk, &gpt)))
}

/// The partitions the kernel's `efi_partition` creates from a valid GPT.
fn table(disk: &Disk<'_>, gpt: &ValidGpt) -> PartitionTable {
    let mut partitions = Vec::new();
    let disk_size = disk.dev.size();
    for (index, chunk) in (0u32..).zip(gpt.entries.chunks_exact(GPT_ENTRY_SIZE as usize)) {
        if index >= MAX_PARTITION_NUMBER {
            break;
        }
        let mut raw = [0u8; GPT_ENTRY_SIZE as usize];
        raw.copy_from_slice(chunk);
        let e = GptEntry::parse(&raw);
        // Unused entries have an all-zero type; entries reaching past the disk are ignored.
        if e.partition_type_guid == [0u8; 16]
            || e.starting_lba > disk.last_lba
            || e.ending_lba > disk.last_lba
        {
            continue;
        }
        // An inverted entry would give the kernel an absurd size; nothing sane can use it.
        if e.ending_lba < e.starting_lba {
            continue;
        }
        // Both LBAs are <= last_lba, so these products stay within the device size.
        let start = e.starting_lba * disk.sector_size;
        let size = (e.ending_lba - e.starting_lba + 1) * disk.sector_size;
        partitions.push(PartitionEntry {
            number: index + 1,
            start,
            size,
            device_size: size.min(disk_size - start),
            mbr_id: None,
            is_extended: false,
            gpt_type: Some(format_guid(&e.partition_type_guid)),
            gpt_guid: Some(format_guid(&e.unique_partition_guid)),
            gpt_name: Some(e.partition_name),
            gpt_attributes: Some(e.attributes),
            bootable: false,
        });
    }
    PartitionTable {
        table_type: TableType::Gpt,
        partitions,
        disk_guid: Some(format_guid(&gpt.header.disk_guid)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_uses_mixed_endianness() {
        // EFI System Partition type as stored on disk.
        let esp = [
            0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e,
            0xc9, 0x3b,
        ];
        assert_eq!(format_guid(&esp), "C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
    }

    #[test]
    fn name_stops_at_nul_and_survives_bad_utf16() {
        let mut raw = [0u8; 128];
        for (i, u) in "EFI System".encode_utf16().enumerate() {
            raw[56 + 2 * i..58 + 2 * i].copy_from_slice(&u.to_le_bytes());
        }
        assert_eq!(GptEntry::parse(&raw).partition_name, "EFI System");
        raw[56..58].copy_from_slice(&0xd800u16.to_le_bytes());
        assert_eq!(GptEntry::parse(&raw).partition_name, "\u{fffd}FI System");
    }
}
