//! md superblocks: version 0.90 (64 KiB before the end of the member, native-endian, read
//! here as little-endian as x86 writes it) and version 1.x (1.0 near the end, 1.1 at the
//! start, 1.2 at 4 KiB), as the kernel's md driver and mdadm read them.

use crate::block::BlockDevice;
use crate::bytes::{try_le16, Fixed};

/// The magic number of both superblock formats.
const MD_MAGIC: u32 = 0xa92b_4efc;
/// Bytes read for a superblock: all of 0.90, and 1.x with its role table (mdadm and the
/// kernel keep 1.x superblocks within 4 KiB).
pub const SB_BYTES: usize = 4096;
/// 1.x: where the role table starts, and the most roles that fit in [`SB_BYTES`].
const ROLES_OFFSET: usize = 256;
const MAX_ROLES: usize = (SB_BYTES - ROLES_OFFSET) / 2;

/// 1.x feature bits (md_p.h).
pub const FEATURE_BITMAP: u32 = 1;
pub const FEATURE_RECOVERY_OFFSET: u32 = 2;
pub const FEATURE_RESHAPE_ACTIVE: u32 = 4;
pub const FEATURE_BAD_BLOCKS: u32 = 8;
pub const FEATURE_REPLACEMENT: u32 = 0x10;
pub const FEATURE_NEW_OFFSET: u32 = 0x40;
pub const FEATURE_JOURNAL: u32 = 0x200;
pub const FEATURE_PPL: u32 = 0x400;
pub const FEATURE_MULTIPLE_PPLS: u32 = 0x800;

/// 1.x role table values that are not a slot in the array.
const ROLE_SPARE: u16 = 0xffff;
const ROLE_FAULTY: u16 = 0xfffe;
const ROLE_JOURNAL: u16 = 0xfffd;

/// 0.90 disk descriptor state bits.
const DISK_FAULTY: u32 = 1 << 0;
const DISK_SYNC: u32 = 1 << 2;

/// The superblock formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metadata {
    V0_90,
    V1_0,
    V1_1,
    V1_2,
}

impl Metadata {
    /// As mdadm prints it (`MD_METADATA=`).
    pub fn name(self) -> &'static str {
        match self {
            Metadata::V0_90 => "0.90",
            Metadata::V1_0 => "1.0",
            Metadata::V1_1 => "1.1",
            Metadata::V1_2 => "1.2",
        }
    }
}

/// What one member is in its array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Slot N, holding current data.
    Active(u32),
    /// Slot N, still being rebuilt (its data is not to be read).
    Recovering(u32),
    Spare,
    Faulty,
    Journal,
}

/// One member's superblock, in the terms both formats share.
#[derive(Debug, Clone)]
pub struct Superblock {
    pub metadata: Metadata,
    /// The array's UUID, bytes in on-disk order (as mdadm prints them).
    pub uuid: [u8; 16],
    /// 1.x: the array name (`HOST:NAME` or `NAME`); 0.90: empty.
    pub name: String,
    /// 0.90: the preferred minor (`/dev/mdN`).
    pub preferred_minor: u32,
    pub level: i32,
    pub layout: u32,
    /// In 512-byte sectors (0 for levels without chunks).
    pub chunk_sectors: u64,
    pub raid_disks: u32,
    /// How many members were in the array when this superblock was written (1.x: role table
    /// entries naming a slot; 0.90: active_disks): what `mdadm --no-degraded` expects.
    pub recorded_active: u32,
    /// Sectors each member contributes (`size`; 0 for raid0 and linear).
    pub dev_sectors: u64,
    /// Where the data starts on the member, and how much there is, in sectors.
    pub data_offset: u64,
    pub data_sectors: u64,
    pub role: Role,
    /// The member's number in the array (the index /proc/mdstat shows in brackets).
    pub dev_number: u32,
    pub events: u64,
    /// Whether the array was shut down cleanly (no resync pending): the kernel will not
    /// start a dirty degraded raid4/5/6.
    pub clean: bool,
    pub feature_map: u32,
    /// Creation and update times (seconds).
    pub ctime: u64,
    pub utime: u64,
}

/// Why a superblock was refused (for the `-v` log and the appliance fallback).
pub type Refusal = String;

/// Reads the superblock of `dev` in any format (mdadm's order: 0.90, then 1.x at the end,
/// start, 4 KiB). `None` when there is no md magic anywhere; `Err` when there is but the
/// superblock is not sane.
pub fn read(dev: &dyn BlockDevice) -> Option<Result<Superblock, Refusal>> {
    let size = dev.size();
    let sectors = size / 512;
    // 0.90: the last 64 KiB-aligned 64 KiB of the device.
    if size >= 128 * 1024 {
        let off = (size & !(65536 - 1)) - 65536;
        if let Some(r) = read_at(dev, off).filter(|b| magic_and_major(b) == (MD_MAGIC, 0)) {
            return Some(parse_0_90(&r, sectors));
        }
    }
    // 1.0: 8 KiB before the end, 4 KiB aligned.
    if sectors >= 16 {
        let sb_start = (sectors - 16) & !7;
        if let Some(r) = read_at(dev, sb_start * 512).filter(is_v1) {
            return Some(parse_1(&r, Metadata::V1_0, sb_start, sectors));
        }
    }
    for (metadata, sb_start) in [(Metadata::V1_1, 0), (Metadata::V1_2, 8)] {
        if let Some(r) = read_at(dev, sb_start * 512).filter(is_v1) {
            return Some(parse_1(&r, metadata, sb_start, sectors));
        }
    }
    None
}

fn is_v1(b: &[u8; SB_BYTES]) -> bool {
    magic_and_major(b) == (MD_MAGIC, 1)
}

/// The magic and the major version, which the 0.90 and 1.x superblocks both start with.
fn magic_and_major(b: &[u8; SB_BYTES]) -> (u32, u32) {
    let f = Fixed::from(b);
    (f.le32::<0>(), f.le32::<4>())
}

fn read_at(dev: &dyn BlockDevice, off: u64) -> Option<[u8; SB_BYTES]> {
    crate::block::read_array(dev, off)
}

/// mdadm's checksum: the sum of the little-endian words of `b` (the checksum word counted
/// as 0), folded to 32 bits.
fn fold_sum(b: &[u8], csum_at: usize) -> u32 {
    let mut sum: u64 = 0;
    let mut chunks = b.chunks_exact(4);
    for (i, w) in chunks.by_ref().enumerate() {
        if i * 4 != csum_at {
            sum += u64::from(u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
        }
    }
    if let [a, b] = chunks.remainder() {
        sum += u64::from(u16::from_le_bytes([*a, *b]));
    }
    ((sum & 0xffff_ffff) + (sum >> 32)) as u32
}

/// The 0.90 superblock's `this_disk` descriptor: its word (number, major, minor, raid_disk,
/// state follow).
const THIS_DISK: usize = 992;

/// Parses a 0.90 superblock of a member of `dev_sectors` sectors.
pub fn parse_0_90(b: &[u8], dev_sectors: u64) -> Result<Superblock, Refusal> {
    let Some(f) = Fixed::<SB_BYTES>::new(b) else {
        return Err("short 0.90 superblock".into());
    };
    // Word `i` of the superblock.
    macro_rules! w {
        ($i:expr) => {
            f.le32::<{ $i * 4 }>()
        };
    }
    let csum = w!(38);
    if fold_sum(f.bytes(), 38 * 4) != csum {
        return Err(format!(
            "0.90 superblock checksum mismatch (stored {:#x})",
            csum
        ));
    }
    if w!(2) != 90 {
        return Err(format!("unknown 0.90 minor version {}", w!(2)));
    }
    let mut uuid = [0u8; 16];
    uuid[0..4].copy_from_slice(&f.array::<{ 5 * 4 }, 4>());
    uuid[4..16].copy_from_slice(&f.array::<{ 13 * 4 }, 12>());
    // this_disk: the descriptor at word 992 (number, major, minor, raid_disk, state).
    let (raid_disk, state) = (w!(THIS_DISK + 3), w!(THIS_DISK + 4));
    let role = if state & DISK_FAULTY != 0 {
        Role::Faulty
    } else if raid_disk < w!(10) && state & DISK_SYNC != 0 {
        Role::Active(raid_disk)
    } else {
        Role::Spare
    };
    let sb_start = (dev_sectors & !127).saturating_sub(128);
    Ok(Superblock {
        metadata: Metadata::V0_90,
        uuid,
        name: String::new(),
        preferred_minor: w!(11),
        level: w!(7) as i32,
        layout: w!(64),
        chunk_sectors: u64::from(w!(65)) / 512,
        raid_disks: w!(10),
        recorded_active: w!(34),
        dev_sectors: u64::from(w!(8)) * 2,
        data_offset: 0,
        data_sectors: sb_start,
        role,
        dev_number: w!(THIS_DISK),
        events: u64::from(w!(39)) | (u64::from(w!(40)) << 32),
        clean: w!(33) & 1 != 0,
        feature_map: 0,
        ctime: u64::from(w!(6)),
        utime: u64::from(w!(32)),
    })
}

/// Parses a 1.x superblock found at sector `sb_start` of a member of `dev_sectors` sectors.
pub fn parse_1(
    b: &[u8],
    metadata: Metadata,
    sb_start: u64,
    dev_sectors: u64,
) -> Result<Superblock, Refusal> {
    let Some(f) = Fixed::<ROLES_OFFSET>::new(b) else {
        return Err("short 1.x superblock".into());
    };
    let max_dev = f.le32::<220>() as usize;
    if max_dev > MAX_ROLES || b.len() < ROLES_OFFSET + max_dev * 2 {
        return Err(format!("1.x superblock with {} role slots", max_dev));
    }
    let csum = f.le32::<216>();
    if fold_sum(&b[..ROLES_OFFSET + max_dev * 2], 216) != csum {
        return Err(format!(
            "1.x superblock checksum mismatch (stored {:#x})",
            csum
        ));
    }
    if f.le64::<144>() != sb_start {
        return Err(format!(
            "1.x superblock at sector {} says it is at sector {}",
            sb_start,
            f.le64::<144>()
        ));
    }
    let uuid = f.array::<16, 16>();
    let name_bytes = f.array::<32, 32>();
    let name_len = name_bytes.iter().position(|&c| c == 0).unwrap_or(32);
    let name = String::from_utf8_lossy(&name_bytes[..name_len]).into_owned();
    let feature_map = f.le32::<8>();
    let dev_number = f.le32::<160>() as usize;
    // The role table was checked to lie in `b` (max_dev slots).
    let role_of = |i: usize| try_le16(b, ROLES_OFFSET + i * 2).unwrap_or(ROLE_SPARE);
    let role_value = if dev_number < max_dev {
        role_of(dev_number)
    } else {
        ROLE_SPARE
    };
    let raid_disks = f.le32::<92>();
    let recorded_active = (0..max_dev)
        .filter(|&i| u32::from(role_of(i)) < raid_disks)
        .count() as u32;
    let role = match role_value {
        ROLE_SPARE => Role::Spare,
        ROLE_FAULTY => Role::Faulty,
        ROLE_JOURNAL => Role::Journal,
        r if u32::from(r) >= raid_disks => Role::Spare,
        r if feature_map & FEATURE_RECOVERY_OFFSET != 0 => Role::Recovering(u32::from(r)),
        r => Role::Active(u32::from(r)),
    };
    let data_offset = f.le64::<128>();
    let data_sectors = f.le64::<136>();
    match data_offset.checked_add(data_sectors) {
        Some(end) if end <= dev_sectors => {}
        _ => {
            return Err(format!(
                "1.x superblock: data ({} sectors at sector {}) beyond the member's {} sectors",
                data_sectors, data_offset, dev_sectors
            ))
        }
    }
    // The 1.x times: seconds in the low 40 bits.
    let secs = |v: u64| v & 0xff_ffff_ffff;
    Ok(Superblock {
        metadata,
        uuid,
        name,
        preferred_minor: 0,
        level: f.le32::<72>() as i32,
        layout: f.le32::<76>(),
        chunk_sectors: u64::from(f.le32::<88>()),
        raid_disks,
        recorded_active,
        dev_sectors: f.le64::<80>(),
        data_offset,
        data_sectors,
        role,
        dev_number: dev_number as u32,
        events: f.le64::<200>(),
        clean: f.le64::<208>() == u64::MAX,
        feature_map,
        ctime: secs(f.le64::<64>()),
        utime: secs(f.le64::<192>()),
    })
}

/// The UUID as mdadm prints it: `xxxxxxxx:xxxxxxxx:xxxxxxxx:xxxxxxxx`, 1.x bytes in disk
/// order, 0.90 as four native (little-endian) words.
pub fn uuid_string(metadata: Metadata, uuid: &[u8; 16]) -> String {
    let hex: Vec<String> = uuid
        .chunks(4)
        .map(|c| {
            if metadata == Metadata::V0_90 {
                format!("{:08x}", u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            } else {
                c.iter().map(|b| format!("{:02x}", b)).collect()
            }
        })
        .collect();
    hex.join(":")
}
