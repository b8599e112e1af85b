//! MBR (msdos) partition tables, read the way the Linux kernel reads them
//! (block/partitions/msdos.c), so that partition numbers and sizes match the devices the
//! libguestfs appliance's kernel creates.
//!
//! Layout of the Master Boot Record (the first 512 bytes of the disk, whatever the logical
//! sector size): four 16-byte partition entries at 0x1be and the signature 0x55 0xAA at 510.
//! Each entry holds a boot indicator, CHS fields the kernel ignores, the partition type
//! ("system indicator") and the LBA start and sector count. An extended partition (types 0x05,
//! 0x0f, 0x85) holds a chain of Extended Boot Records, each an MBR-shaped sector whose first
//! entries describe one logical partition (start relative to that EBR) and a link to the next
//! EBR (start relative to the extended partition).

use super::{PartitionEntry, PartitionTable, TableType};
use crate::block::BlockDevice;
use crate::bytes::Fixed;
use crate::error::Result;

/// Offset of the partition entries in an MBR or EBR.
const PARTITION_TABLE_OFFSET: usize = 0x1be;
/// Size of one partition entry.
const PARTITION_ENTRY_SIZE: usize = 16;
/// The type GPT's protective MBR entry carries.
pub const EFI_PMBR_OSTYPE_EFI_GPT: u8 = 0xee;
/// The kernel reads partition table sectors in 512-byte units whatever the logical sector size.
const MBR_SIZE: usize = 512;
/// The kernel's per-disk slot limit (DISK_MAX_PARTS): partition numbers stop at 255.
const DISK_MAX_PARTS: u32 = 256;
/// The kernel gives up on an EBR chain after this many links without a data partition.
const MAX_EMPTY_LINKS: u32 = 100;
/// A BSD disklabel's partitions: 16-byte entries from 148.
const BSD_PARTITIONS_AT: usize = 148;
const BSD_PARTITION_LEN: usize = 16;
/// A UnixWare VTOC's slices: 12-byte entries from 216.
const UNIXWARE_SLICES_AT: usize = 216;
const UNIXWARE_SLICE_LEN: usize = 12;
const UNIXWARE_MAX_SLICES: usize = 16;
/// A Solaris x86 VTOC's slices: 12-byte entries from 72.
const SOLARIS_SLICES_AT: usize = 72;
const SOLARIS_SLICE_LEN: usize = 12;

/// One 16-byte entry of an MBR or EBR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsdosPartition {
    pub boot_ind: u8,
    pub sys_ind: u8,
    /// First sector, in logical sectors (relative to the table's reference point).
    pub start_sect: u32,
    /// Number of logical sectors.
    pub nr_sects: u32,
}

impl MsdosPartition {
    fn parse(b: &[u8; PARTITION_ENTRY_SIZE]) -> MsdosPartition {
        let b = Fixed::from(b);
        MsdosPartition {
            boot_ind: b.u8::<0>(),
            sys_ind: b.u8::<4>(),
            start_sect: b.le32::<8>(),
            nr_sects: b.le32::<12>(),
        }
    }

    /// DOS (0x05), Windows LBA (0x0f) and Linux (0x85) extended partitions.
    pub fn is_extended(&self) -> bool {
        matches!(self.sys_ind, 0x05 | 0x0f | 0x85)
    }
}

/// The four entries of an MBR-shaped sector.
pub fn entries(sector: &[u8; MBR_SIZE]) -> [MsdosPartition; 4] {
    let mut out = [MsdosPartition {
        boot_ind: 0,
        sys_ind: 0,
        start_sect: 0,
        nr_sects: 0,
    }; 4];
    for (i, e) in out.iter_mut().enumerate() {
        let mut raw = [0u8; PARTITION_ENTRY_SIZE];
        let at = PARTITION_TABLE_OFFSET + i * PARTITION_ENTRY_SIZE;
        raw.copy_from_slice(&sector[at..at + PARTITION_ENTRY_SIZE]);
        *e = MsdosPartition::parse(&raw);
    }
    out
}

/// True when the sector ends with the 0x55 0xAA signature.
pub fn magic_present(sector: &[u8; MBR_SIZE]) -> bool {
    sector[510] == 0x55 && sector[511] == 0xaa
}

/// Reads the 512-byte sector at byte `offset`; None when it lies (even partly) past the end.
fn read_sector(dev: &dyn BlockDevice, offset: u64) -> Result<Option<[u8; MBR_SIZE]>> {
    match offset.checked_add(MBR_SIZE as u64) {
        Some(end) if end <= dev.size() => {}
        _ => return Ok(None),
    }
    let mut buf = [0u8; MBR_SIZE];
    dev.read_exact_at(&mut buf, offset)?;
    Ok(Some(buf))
}

/// The kernel's AIX check: "IBMA" in EBCDIC at byte 0, no Linux-ish partition, and an LVM
/// record at sector 7. Such disks get no msdos partitions (Debian kernels lack AIX support).
fn aix_magic_present(dev: &dyn BlockDevice, sector: &[u8; MBR_SIZE]) -> Result<bool> {
    if sector[..4] != [0xc9, 0xc2, 0xd4, 0xc1] {
        return Ok(false);
    }
    for p in entries(sector) {
        // Solaris x86 / Linux swap, Linux data, Linux LVM, Linux RAID, extended.
        if matches!(p.sys_ind, 0x82 | 0x83 | 0x8e | 0xfd) || p.is_extended() {
            return Ok(false);
        }
    }
    Ok(match read_sector(dev, 7 * MBR_SIZE as u64)? {
        Some(s) => &s[..4] == b"_LVM",
        None => false,
    })
}

/// True when sector 0 looks like the boot sector of a FAT or NTFS filesystem: an x86 jump and
/// the filesystem's name where its BIOS parameter block keeps it. (parted's heuristic; the
/// kernel shows no partitions for such a disk either way.)
fn looks_like_fat_or_ntfs(sector: &[u8; MBR_SIZE]) -> bool {
    if !(sector[0] == 0xeb || sector[0] == 0xe9) {
        return false;
    }
    &sector[3..11] == b"NTFS    " || &sector[54..57] == b"FAT" || &sector[82..87] == b"FAT32"
}

/// Collects partitions as the kernel's `put_partition` + `blk_add_partition` would create
/// them. Like the kernel, it counts in 512-byte units whatever the logical sector size.
struct Builder {
    /// The disk's capacity in 512-byte units, rounded down to whole logical sectors.
    capacity: u64,
    /// Logical sector size in 512-byte units.
    sector_units: u64,
    partitions: Vec<PartitionEntry>,
}

/// What a partition's kernel device stands for.
#[derive(Clone, Copy)]
enum Kind {
    /// A primary or logical partition of type `sys_ind`.
    Data(MsdosPartition),
    /// An extended partition container.
    Extended(MsdosPartition),
    /// A BSD, Solaris, UnixWare or Minix slice inside a primary partition.
    Slice,
}

impl Builder {
    /// Adds partition `number` at `from` (512-byte units) whose table size is `size` and whose
    /// kernel device has `device` units. A partition starting past the end of the disk is
    /// dropped and one running past it is cut short, as `blk_add_partition` does.
    fn put(&mut self, number: u32, from: u64, size: u64, device: u64, kind: Kind) {
        if device == 0 || from >= self.capacity || number >= DISK_MAX_PARTS {
            return;
        }
        let device = device.min(self.capacity - from);
        let (mbr_id, is_extended, bootable) = match kind {
            Kind::Data(p) => (Some(p.sys_ind), false, p.boot_ind == 0x80),
            Kind::Extended(p) => (Some(p.sys_ind), true, p.boot_ind == 0x80),
            Kind::Slice => (None, false, false),
        };
        self.partitions.push(PartitionEntry {
            number,
            start: from * UNIT,
            size: size.saturating_mul(UNIT),
            device_size: device * UNIT,
            mbr_id,
            is_extended,
            gpt_type: None,
            gpt_guid: None,
            gpt_name: None,
            gpt_attributes: None,
            bootable,
        });
    }

    /// Reads the 512-byte unit `n`; None past the end of the disk (`read_part_sector`).
    fn read_unit(&self, dev: &dyn BlockDevice, n: u64) -> Result<Option<[u8; MBR_SIZE]>> {
        if n >= self.capacity {
            return Ok(None);
        }
        read_sector(dev, n * UNIT)
    }
}

/// The kernel's 512-byte sector.
const UNIT: u64 = MBR_SIZE as u64;

/// Reads the msdos partition table of a whole device with the given logical sector size.
///
/// Returns None when the kernel would find no msdos table: no 0x55AA signature, a boot
/// indicator other than 0 or 0x80 (a FAT or other boot sector), a GPT protective entry (GPT
/// is [`super::gpt`]'s business; when GPT does not parse the kernel shows no partitions), an
/// AIX disk, or a FAT/NTFS boot sector without any partition entry.
pub fn read(dev: &dyn BlockDevice, sector_size: u64) -> Result<Option<PartitionTable>> {
    if sector_size < UNIT || !sector_size.is_power_of_two() {
        return Ok(None);
    }
    let Some(mbr) = read_sector(dev, 0)? else {
        return Ok(None);
    };
    if aix_magic_present(dev, &mbr)? {
        return Ok(None);
    }
    if !magic_present(&mbr) {
        return Ok(None);
    }
    let primaries = entries(&mbr);
    // With 0x55AA present this is a partition table or a FAT boot sector; the kernel rejects
    // it when a boot indicator is neither 0 nor 0x80.
    if primaries
        .iter()
        .any(|p| p.boot_ind != 0 && p.boot_ind != 0x80)
    {
        return Ok(None);
    }
    if primaries
        .iter()
        .any(|p| p.sys_ind == EFI_PMBR_OSTYPE_EFI_GPT)
    {
        return Ok(None);
    }
    if primaries.iter().all(|p| p.nr_sects == 0) && looks_like_fat_or_ntfs(&mbr) {
        return Ok(None);
    }

    let sector_units = sector_size / UNIT;
    let capacity = dev.size() / sector_size * sector_units;
    let mut b = Builder {
        capacity,
        sector_units,
        partitions: Vec::new(),
    };
    let mut next = 5u32;
    // First pass: primary partitions and the logical partitions of extended ones.
    for (slot, p) in (1u32..).zip(primaries.iter()) {
        let start = u64::from(p.start_sect) * sector_units;
        let size = u64::from(p.nr_sects) * sector_units;
        if size == 0 {
            continue;
        }
        if p.is_extended() {
            // The kernel exposes the container as a tiny device (room for LILO, not for
            // mkfs): two 512-byte units, or one logical sector when that is larger.
            b.put(
                slot,
                start,
                size,
                size.min(sector_units.max(2)),
                Kind::Extended(*p),
            );
            parse_extended(dev, &mut b, start, size, &mut next)?;
            continue;
        }
        b.put(slot, start, size, size, Kind::Data(*p));
    }
    // Second pass: slices inside BSD, Minix, UnixWare and Solaris partitions.
    for p in primaries.iter() {
        if p.nr_sects == 0 {
            continue;
        }
        let start = u64::from(p.start_sect) * sector_units;
        let size = u64::from(p.nr_sects) * sector_units;
        match p.sys_ind {
            0xa5 => parse_bsd(dev, &mut b, start, size, true, &mut next)?,
            0xa6 | 0xa9 => parse_bsd(dev, &mut b, start, size, false, &mut next)?,
            0x81 => parse_minix(dev, &mut b, start, &mut next)?,
            0x63 => parse_unixware(dev, &mut b, start, &mut next)?,
            0x82 | 0xbf => parse_solaris_x86(dev, &mut b, start, &mut next)?,
            _ => {}
        }
    }
    b.partitions.sort_by_key(|e| e.number);
    Ok(Some(PartitionTable {
        table_type: TableType::Msdos,
        partitions: b.partitions,
        disk_guid: None,
    }))
}

/// Walks the EBR chain of the extended partition at `first_sector` (`first_size` units long),
/// numbering logical partitions from `*next`, as the kernel's `parse_extended` does.
fn parse_extended(
    dev: &dyn BlockDevice,
    b: &mut Builder,
    first_sector: u64,
    first_size: u64,
    next: &mut u32,
) -> Result<()> {
    let mut this_sector = first_sector;
    let mut this_size = first_size;
    let mut empty_links = 0u32;
    loop {
        empty_links += 1;
        if empty_links > MAX_EMPTY_LINKS || *next >= DISK_MAX_PARTS {
            return Ok(());
        }
        let Some(ebr) = b.read_unit(dev, this_sector)? else {
            return Ok(());
        };
        if !magic_present(&ebr) {
            return Ok(());
        }
        let table = entries(&ebr);
        // Data partitions first: usually entry 0, but DR-DOS and OS/2 use the others too; the
        // 3rd and 4th entries often hold garbage, so they must fit inside the extended area.
        for (i, p) in table.iter().enumerate() {
            if p.nr_sects == 0 || p.is_extended() {
                continue;
            }
            let offs = u64::from(p.start_sect) * b.sector_units;
            let size = u64::from(p.nr_sects) * b.sector_units;
            let start = this_sector.saturating_add(offs);
            if i >= 2
                && (offs + size > this_size
                    || start < first_sector
                    || start.saturating_add(size) > first_sector.saturating_add(first_size))
            {
                continue;
            }
            b.put(*next, start, size, size, Kind::Data(*p));
            empty_links = 0;
            *next += 1;
            if *next >= DISK_MAX_PARTS {
                return Ok(());
            }
        }
        // Then follow the first link to the next EBR, relative to the extended partition.
        let Some(link) = table.iter().find(|p| p.nr_sects != 0 && p.is_extended()) else {
            return Ok(());
        };
        this_sector = first_sector.saturating_add(u64::from(link.start_sect) * b.sector_units);
        this_size = u64::from(link.nr_sects) * b.sector_units;
    }
}

/// Adds one slice (512-byte units, as the slice tables count) if a number is left.
fn put_slice(b: &mut Builder, next: &mut u32, from: u64, size: u64) -> bool {
    if *next >= DISK_MAX_PARTS {
        return false;
    }
    b.put(*next, from, size, size, Kind::Slice);
    *next += 1;
    true
}

/// A BSD disklabel in the unit after the start of a FreeBSD (0xa5), OpenBSD (0xa6) or NetBSD
/// (0xa9) partition: `d_magic` 0x82564557, `d_npartitions` at 138, 16-byte entries from 148.
fn parse_bsd(
    dev: &dyn BlockDevice,
    b: &mut Builder,
    offset: u64,
    size: u64,
    freebsd: bool,
    next: &mut u32,
) -> Result<()> {
    const BSD_DISKMAGIC: u32 = 0x8256_4557;
    const BSD_MAXPARTITIONS: usize = 16;
    let Some(l) = b.read_unit(dev, offset + 1)? else {
        return Ok(());
    };
    let label = Fixed::from(&l);
    if label.le32::<0>() != BSD_DISKMAGIC {
        return Ok(());
    }
    let npartitions = usize::from(label.le16::<138>()).min(BSD_MAXPARTITIONS);
    // 16 slots of 16 bytes from 148 end at 404: all in the unit.
    let (slots, _) = l[BSD_PARTITIONS_AT..].as_chunks::<BSD_PARTITION_LEN>();
    let d_partition = |slot: &[u8; BSD_PARTITION_LEN]| {
        let p = Fixed::from(slot);
        (p.le32::<0>(), p.le32::<4>(), p.u8::<12>()) // p_size, p_offset, p_fstype
    };
    // FreeBSD's offsets are relative to the slice when the 'c' partition starts at 0.
    let relative = freebsd && slots.get(2).is_some_and(|c| d_partition(c).1 == 0);
    for slot in slots.iter().take(npartitions) {
        let (p_size, p_offset, p_fstype) = d_partition(slot);
        if p_fstype == 0 {
            continue;
        }
        let mut bsd_start = u64::from(p_offset);
        let bsd_size = u64::from(p_size);
        if relative {
            bsd_start += offset;
        }
        if bsd_start == offset && bsd_size == size {
            // The whole parent partition: already there.
            continue;
        }
        if offset > bsd_start || offset + size < bsd_start + bsd_size {
            continue;
        }
        if !put_slice(b, next, bsd_start, bsd_size) {
            break;
        }
    }
    Ok(())
}

/// Minix subpartitions: an MBR-shaped table in the partition's first unit whose first entry
/// has type 0x81; every entry of type 0x81 is a subpartition (absolute units).
fn parse_minix(dev: &dyn BlockDevice, b: &mut Builder, offset: u64, next: &mut u32) -> Result<()> {
    let Some(data) = b.read_unit(dev, offset)? else {
        return Ok(());
    };
    let table = entries(&data);
    if !magic_present(&data) || table[0].sys_ind != 0x81 {
        return Ok(());
    }
    for p in table.iter().filter(|p| p.sys_ind == 0x81) {
        if !put_slice(b, next, u64::from(p.start_sect), u64::from(p.nr_sects)) {
            break;
        }
    }
    Ok(())
}

/// A UnixWare disklabel 29 units into the partition: `d_magic` 0xCA5E600D at 4, the VTOC
/// magic 0x600DDEEE at 156, 12-byte slices from 216; slice 0 is the whole disk.
fn parse_unixware(
    dev: &dyn BlockDevice,
    b: &mut Builder,
    offset: u64,
    next: &mut u32,
) -> Result<()> {
    let Some(l) = b.read_unit(dev, offset + 29)? else {
        return Ok(());
    };
    let label = Fixed::from(&l);
    if label.le32::<4>() != 0xca5e_600d || label.le32::<156>() != 0x600d_deee {
        return Ok(());
    }
    // 16 slices of 12 bytes from 216 end at 408: all in the unit.
    let (slices, _) = l[UNIXWARE_SLICES_AT..].as_chunks::<UNIXWARE_SLICE_LEN>();
    for slice in slices.iter().take(UNIXWARE_MAX_SLICES).skip(1) {
        let slice = Fixed::from(slice);
        if slice.le16::<0>() == 0 {
            continue;
        }
        if !put_slice(
            b,
            next,
            u64::from(slice.le32::<4>()),
            u64::from(slice.le32::<8>()),
        ) {
            break;
        }
    }
    Ok(())
}

/// A Solaris x86 VTOC in the unit after the partition start: `v_sanity` 0x600DDEEE at 12,
/// `v_version` 1 at 16, `v_nparts` at 30, 12-byte slices from 72 relative to the partition.
/// (Type 0x82 is also Linux swap; the VTOC magic tells them apart.)
fn parse_solaris_x86(
    dev: &dyn BlockDevice,
    b: &mut Builder,
    offset: u64,
    next: &mut u32,
) -> Result<()> {
    let Some(v) = b.read_unit(dev, offset + 1)? else {
        return Ok(());
    };
    let vtoc = Fixed::from(&v);
    if vtoc.le32::<12>() != 0x600d_deee || vtoc.le32::<16>() != 1 {
        return Ok(());
    }
    // Old VTOCs had 8 slices.
    let max_nparts = if vtoc.le16::<30>() > 8 { 16 } else { 8 };
    // 16 slices of 12 bytes from 72 end at 264: all in the unit.
    let (slices, _) = v[SOLARIS_SLICES_AT..].as_chunks::<SOLARIS_SLICE_LEN>();
    for slice in slices.iter().take(max_nparts) {
        let slice = Fixed::from(slice);
        let s_size = slice.le32::<8>();
        if s_size == 0 {
            continue;
        }
        if !put_slice(
            b,
            next,
            u64::from(slice.le32::<4>()) + offset,
            u64::from(s_size),
        ) {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::Mem;

    fn put_entry(
        disk: &mut [u8],
        sector_off: usize,
        i: usize,
        boot: u8,
        ty: u8,
        start: u32,
        n: u32,
    ) {
        let at = sector_off + 0x1be + 16 * i;
        disk[at] = boot;
        disk[at + 4] = ty;
        disk[at + 8..at + 12].copy_from_slice(&start.to_le_bytes());
        disk[at + 12..at + 16].copy_from_slice(&n.to_le_bytes());
        disk[sector_off + 510] = 0x55;
        disk[sector_off + 511] = 0xaa;
    }

    /// Checked against the appliance kernel: a self-linked EBR gives 251 logicals (5..255).
    #[test]
    fn self_linked_ebr_stops_at_the_kernel_limits() {
        let mut disk = vec![0u8; 64 * 512];
        put_entry(&mut disk, 0, 0, 0, 0x05, 2, 60);
        // EBR at sector 2: one logical at +1 and a link back to itself.
        put_entry(&mut disk, 2 * 512, 0, 0, 0x83, 1, 4);
        put_entry(&mut disk, 2 * 512, 1, 0, 0x05, 0, 60);
        let t = read(&Mem(disk), 512).unwrap().unwrap();
        assert_eq!(t.partitions.len(), 1 + 251);
        assert_eq!(t.partitions.last().unwrap().number, 255);

        // A loop with no data partition ends after 100 links.
        let mut disk = vec![0u8; 64 * 512];
        put_entry(&mut disk, 0, 0, 0, 0x0f, 2, 60);
        put_entry(&mut disk, 2 * 512, 1, 0, 0x05, 0, 60);
        let t = read(&Mem(disk), 512).unwrap().unwrap();
        assert_eq!(t.partitions.len(), 1);
        assert_eq!(t.partitions[0].device_size, 1024);
    }

    #[test]
    fn bad_boot_indicator_and_protective_entry_mean_no_table() {
        let mut disk = vec![0u8; 8 * 512];
        put_entry(&mut disk, 0, 0, 0, 0x83, 1, 4);
        put_entry(&mut disk, 0, 1, 0x12, 0x83, 5, 2);
        assert_eq!(read(&Mem(disk.clone()), 512).unwrap(), None);
        put_entry(&mut disk, 0, 1, 0, 0xee, 1, 7);
        assert_eq!(read(&Mem(disk), 512).unwrap(), None);
    }

    /// Checked against the appliance kernel: partition 1 cut to the disk, 2 dropped.
    #[test]
    fn partitions_past_the_end_are_dropped_or_cut() {
        let mut disk = vec![0u8; 8 * 512];
        put_entry(&mut disk, 0, 0, 0x80, 0x83, 4, 100);
        put_entry(&mut disk, 0, 1, 0, 0x83, 8, 1);
        put_entry(&mut disk, 0, 2, 0, 0x83, u32::MAX, u32::MAX);
        let t = read(&Mem(disk), 512).unwrap().unwrap();
        assert_eq!(t.partitions.len(), 1);
        let p = &t.partitions[0];
        assert_eq!(
            (p.number, p.start, p.size, p.device_size, p.bootable),
            (1, 2048, 51200, 2048, true)
        );
    }

    /// A FreeBSD slice with a disklabel; the expected devices are what the Debian 6.1
    /// kernel of the libguestfs appliance created for the same bytes.
    #[test]
    fn bsd_disklabel_slices_follow_the_logicals() {
        let mut disk = vec![0u8; 8 << 20];
        put_entry(&mut disk, 0, 0, 0, 0xa5, 2048, 8192);
        put_entry(&mut disk, 0, 1, 0, 0x83, 10240, 2048);
        let lab = 2049 * 512;
        disk[lab..lab + 4].copy_from_slice(&0x8256_4557u32.to_le_bytes());
        disk[lab + 138..lab + 140].copy_from_slice(&4u16.to_le_bytes());
        for (i, (size, off, fstype)) in [
            (1000u32, 16u32, 7u8),
            (2000, 1016, 1),
            (8192, 0, 0),
            (500, 3016, 7),
        ]
        .iter()
        .enumerate()
        {
            let at = lab + 148 + 16 * i;
            disk[at..at + 4].copy_from_slice(&size.to_le_bytes());
            disk[at + 4..at + 8].copy_from_slice(&off.to_le_bytes());
            disk[at + 12] = *fstype;
        }
        let t = read(&Mem(disk), 512).unwrap().unwrap();
        let got: Vec<(u32, u64, u64)> = t
            .partitions
            .iter()
            .map(|p| (p.number, p.start / 512, p.device_size / 512))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, 2048, 8192),
                (2, 10240, 2048),
                (5, 2064, 1000),
                (6, 3064, 2000),
                (7, 5064, 500)
            ]
        );
    }

    #[test]
    fn fat_boot_sector_is_not_a_table() {
        let mut disk = vec![0u8; 8 * 512];
        disk[0] = 0xeb;
        disk[82..90].copy_from_slice(b"FAT32   ");
        disk[510] = 0x55;
        disk[511] = 0xaa;
        assert_eq!(read(&Mem(disk.clone()), 512).unwrap(), None);
        disk[0] = 0;
        let t = read(&Mem(disk), 512).unwrap().unwrap();
        assert!(t.partitions.is_empty());
    }
}
