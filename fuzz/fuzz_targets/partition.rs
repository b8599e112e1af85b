//! MBR and GPT readers over in-memory disks, with 512- and 4096-byte logical sectors.
#![no_main]

#[path = "../common/memory.rs"]
mod memory;

use guestfs::block::{BlockDevice};
use guestfs::partition::{self, gpt, mbr};
use libfuzzer_sys::fuzz_target;
use memory::Mem;

/// Makes the CRCs of a GPT header at `lba` (and of its entry array, when it lies inside the
/// data) correct, so the fuzzer gets past them to the entries.
fn fix_gpt_crcs(disk: &mut [u8], sector_size: usize, lba: usize) {
    let at = lba * sector_size;
    let Some(header) = disk.get(at..at + 92) else {
        return;
    };
    if &header[0..8] != b"EFI PART" {
        return;
    }
    let le32 =
        |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize;
    let header_size = le32(header, 12).clamp(92, sector_size);
    let entry_lba = u64::from_le_bytes(header[72..80].try_into().unwrap_or([0; 8]));
    let array_len = le32(header, 80).saturating_mul(le32(header, 84));
    let array_start = usize::try_from(entry_lba)
        .unwrap_or(usize::MAX)
        .saturating_mul(sector_size);
    if let Some(array) = disk.get(array_start..array_start.saturating_add(array_len)) {
        let crc = crc32fast::hash(array);
        disk[at + 88..at + 92].copy_from_slice(&crc.to_le_bytes());
    }
    if disk.len() < at + header_size {
        return;
    }
    disk[at + 16..at + 20].fill(0);
    let crc = crc32fast::hash(&disk[at..at + header_size]);
    disk[at + 16..at + 20].copy_from_slice(&crc.to_le_bytes());
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, data)) = data.split_first() else {
        return;
    };
    let mut bytes = data.to_vec();
    if mode & 1 != 0 {
        let sector_size = if mode & 2 != 0 { 4096 } else { 512 };
        let last = (bytes.len() / sector_size).saturating_sub(1);
        fix_gpt_crcs(&mut bytes, sector_size, 1);
        fix_gpt_crcs(&mut bytes, sector_size, last);
    }
    let disk = Mem(bytes);
    for sector_size in [512, 4096] {
        for table in [
            mbr::read(&disk, sector_size),
            gpt::read(&disk, sector_size),
            gpt::read_with_backup(&disk, sector_size),
            partition::read(&disk, sector_size),
        ]
        .into_iter()
        .flatten()
        .flatten()
        {
            for p in &table.partitions {
                assert!(p.number >= 1 && p.number <= 255);
                assert!(p.device_size <= disk.size() - p.start.min(disk.size()));
            }
        }
    }
});
