//! blkid's identification of what the native backend does not read but must name: RAID and
//! volume-manager members, encrypted volumes, swap, and filesystems read elsewhere or not at
//! all. Each prober follows util-linux's libblkid (2.38) checks closely enough to give the
//! same TYPE, LABEL and UUID that `blkid -p` prints.
//!
//! Order: blkid tries RAID members (`linux_raid_member`), `LVM2_member`, `crypto_LUKS` and
//! `BitLocker` first and stops at the first of them that matches
//! ([`probe_before_filesystems`]); then filesystems ([`probe_other`], with ext2/3/4 probed
//! in between by `fs::probe`), in blkid's order: vfat, swap, xfs, iso9660, ntfs, squashfs,
//! btrfs.

use super::Probe;
use crate::block::BlockDevice;
use crate::block::{read_array, read_in_range};
use crate::bytes::{be32, le16, le32, le64, Fixed};
use crate::fs::crc32c::crc32c;

/// blkid's `blkid_probe_set_uuid`: the standard 8-4-4-4-12 form, nothing for an all-zero UUID.
fn uuid_string(u: &[u8]) -> String {
    if u.len() != 16 || u.iter().all(|&b| b == 0) {
        return String::new();
    }
    let h: Vec<String> = u.iter().map(|b| format!("{:02x}", b)).collect();
    format!(
        "{}-{}-{}-{}-{}",
        h[0..4].concat(),
        h[4..6].concat(),
        h[6..8].concat(),
        h[8..10].concat(),
        h[10..16].concat()
    )
}

/// blkid's `blkid_probe_set_label`: bytes up to the first NUL, trailing white space removed.
fn label_string(raw: &[u8]) -> String {
    super::fat::label_string(raw)
}

fn probe(fs_type: &str, label: String, uuid: String) -> Option<Probe> {
    Some(Probe {
        fs_type: fs_type.into(),
        label,
        uuid,
    })
}

// ---------------------------------------------------------------------------------------------
// Members and encrypted volumes
// ---------------------------------------------------------------------------------------------

/// Signatures blkid checks before filesystems (RAID and volume-manager members, LUKS,
/// BitLocker); the first that matches wins.
pub fn probe_before_filesystems(dev: &dyn BlockDevice) -> Option<Probe> {
    probe_linux_raid(dev)
        .or_else(|| probe_lvm2(dev))
        .or_else(|| probe_luks(dev))
        .or_else(|| probe_bitlocker(dev))
}

/// Everything else that is not ext2/3/4, in blkid's order.
pub fn probe_other(dev: &dyn BlockDevice) -> Option<Probe> {
    super::fat::probe(dev)
        .or_else(|| probe_swap(dev))
        .or_else(|| probe_xfs(dev))
        .or_else(|| probe_iso9660(dev))
        .or_else(|| super::ntfs::probe(dev))
        .or_else(|| probe_squashfs(dev))
        .or_else(|| probe_btrfs(dev))
        .or_else(|| probe_unread(dev))
}

const MD_SB_MAGIC: u32 = 0xa92b_4efc;
const MD_RESERVED_BYTES: u64 = 0x10000;

/// md superblock 0.90: 64 KiB from the (64 KiB-aligned) end, in either byte order.
fn probe_raid0(dev: &dyn BlockDevice, off: u64) -> Option<Probe> {
    let size = dev.size();
    let sb = read_in_range(dev, off, 64)?;
    let (uuid, sb_size): ([u8; 16], u64) = if le32(&sb, 0) == MD_SB_MAGIC {
        // blkid byte-swaps each little-endian word, so the UUID reads as mdadm prints it.
        let mut u = [0u8; 16];
        u[0..4].copy_from_slice(&le32(&sb, 20).to_be_bytes());
        if le32(&sb, 8) >= 90 {
            u[4..8].copy_from_slice(&le32(&sb, 52).to_be_bytes());
            u[8..12].copy_from_slice(&le32(&sb, 56).to_be_bytes());
            u[12..16].copy_from_slice(&le32(&sb, 60).to_be_bytes());
        }
        (u, u64::from(le32(&sb, 32)))
    } else if be32(&sb, 0) == MD_SB_MAGIC {
        let mut u = [0u8; 16];
        u[0..4].copy_from_slice(&sb[20..24]);
        if be32(&sb, 8) >= 90 {
            u[4..16].copy_from_slice(&sb[52..64]);
        }
        (u, u64::from(be32(&sb, 32)))
    } else {
        return None;
    };
    let sb_size = sb_size << 10;
    if size < sb_size + MD_RESERVED_BYTES || off < sb_size {
        return None;
    }
    probe("linux_raid_member", String::new(), uuid_string(&uuid))
}

/// mdadm's `calc_sb_1_csum`.
fn md1_checksum(sb: &[u8], max_dev: usize) -> u32 {
    let size = 256 + max_dev * 2;
    let mut sum: u64 = 0;
    let mut i = 0;
    while i + 4 <= size {
        let word = if (216..220).contains(&i) {
            0
        } else {
            le32(sb, i)
        };
        sum += u64::from(word);
        i += 4;
    }
    if size - i == 2 {
        sum += u64::from(le16(sb, i));
    }
    ((sum & 0xffff_ffff) + (sum >> 32)) as u32
}

/// md superblock 1.x at `off`.
fn probe_raid1(dev: &dyn BlockDevice, off: u64) -> Option<Probe> {
    let head = read_in_range(dev, off, 256)?;
    if le32(&head, 0) != MD_SB_MAGIC || le32(&head, 4) != 1 || le64(&head, 144) != off >> 9 {
        return None;
    }
    let max_dev = le32(&head, 220) as usize;
    if max_dev > 32768 {
        return None;
    }
    let sb = read_in_range(dev, off, 256 + max_dev * 2)?;
    if md1_checksum(&sb, max_dev) != le32(&sb, 216) {
        return None;
    }
    probe(
        "linux_raid_member",
        label_string(&sb[32..64]),
        uuid_string(&sb[16..32]),
    )
}

/// `linux_raid_member`: md 0.90 and 1.0 at the end, 1.1 at the start, 1.2 at 4 KiB.
fn probe_linux_raid(dev: &dyn BlockDevice) -> Option<Probe> {
    let size = dev.size();
    if size > MD_RESERVED_BYTES {
        let sboff = (size & !(MD_RESERVED_BYTES - 1)) - MD_RESERVED_BYTES;
        if let Some(p) = probe_raid0(dev, sboff) {
            return Some(p);
        }
        if size >= 0x2000 {
            let sboff = (size & !0xfff) - 0x2000;
            if let Some(p) = probe_raid1(dev, sboff) {
                return Some(p);
            }
        }
    }
    probe_raid1(dev, 0).or_else(|| probe_raid1(dev, 0x1000))
}

/// LVM2's label CRC.
fn lvm2_crc(data: &[u8]) -> u32 {
    const TAB: [u32; 16] = [
        0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158,
        0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4,
        0xa00ae278, 0xbdbdf21c,
    ];
    let mut crc: u32 = 0xf597_a6cf;
    for &b in data {
        crc ^= u32::from(b);
        crc = (crc >> 4) ^ TAB[(crc & 0xf) as usize];
        crc = (crc >> 4) ^ TAB[(crc & 0xf) as usize];
    }
    crc
}

/// `LVM2_member`: a `LABELONE` label in one of the first four sectors; the UUID is the PV UUID
/// with dashes after characters 6, 10, 14, 18, 22 and 26.
fn probe_lvm2(dev: &dyn BlockDevice) -> Option<Probe> {
    for sector in 0u64..4 {
        let Some(buf) = read_array::<512>(dev, sector * 512) else {
            continue;
        };
        let label = Fixed::from(&buf);
        if &buf[0..8] != b"LABELONE" || &buf[24..32] != b"LVM2 001" {
            continue;
        }
        if label.le64::<8>() != sector {
            continue;
        }
        if lvm2_crc(&buf[20..512]) != label.le32::<16>() {
            continue;
        }
        let raw = &buf[32..64];
        let mut uuid = String::new();
        for (i, &c) in raw.iter().enumerate() {
            if matches!(i, 6 | 10 | 14 | 18 | 22 | 26) {
                uuid.push('-');
            }
            uuid.push(char::from(c));
        }
        return probe("LVM2_member", String::new(), uuid);
    }
    None
}

/// `crypto_LUKS`: a LUKS1 or LUKS2 header (or a LUKS2 secondary header at its known offsets).
fn probe_luks(dev: &dyn BlockDevice) -> Option<Probe> {
    const SECONDARY: [u64; 9] = [
        0x4000, 0x8000, 0x10000, 0x20000, 0x40000, 0x80000, 0x100000, 0x200000, 0x400000,
    ];
    let valid = |h: &[u8; 512], magic: &[u8], off: u64| -> bool {
        let f = Fixed::from(h);
        &h[0..6] == magic && !(f.be16::<6>() == 2 && f.be64::<256>() != off)
    };
    let attributes = |h: &[u8; 512]| -> Option<Probe> {
        let uuid = label_string(&h[168..208]);
        match Fixed::from(h).be16::<6>() {
            2 => probe("crypto_LUKS", label_string(&h[24..72]), uuid),
            _ => probe("crypto_LUKS", String::new(), uuid),
        }
    };
    let h = read_array::<512>(dev, 0)?;
    if valid(&h, b"LUKS\xba\xbe", 0) {
        return attributes(&h);
    }
    for off in SECONDARY {
        let h = read_array::<512>(dev, off)?;
        if valid(&h, b"SKUL\xba\xbe", off) {
            return attributes(&h);
        }
    }
    None
}

/// `BitLocker`: a BitLocker boot sector (Vista, Windows 7 or To Go) with valid FVE metadata.
fn probe_bitlocker(dev: &dyn BlockDevice) -> Option<Probe> {
    let buf = read_array::<512>(dev, 0)?;
    let boot = Fixed::from(&buf);
    let kind = if buf[0..11] == *b"\xeb\x52\x90-FVE-FS-" {
        0
    } else if buf[0..11] == *b"\xeb\x58\x90-FVE-FS-" {
        1
    } else if buf[0..11] == *b"\xeb\x58\x90MSWIN4.1" {
        2
    } else {
        return None;
    };
    if kind != 0 {
        let off = if kind == 1 {
            boot.le64::<176>()
        } else {
            boot.le64::<440>()
        };
        if off == 0 || off % 64 != 0 {
            return None;
        }
        let fve = read_in_range(dev, off, 12)?;
        if &fve[0..8] != b"-FVE-FS-" {
            return None;
        }
    }
    let uuid = if kind == 1 {
        let serial = boot.le32::<67>();
        if serial == 0 {
            String::new()
        } else {
            format!("{:016}", serial)
        }
    } else {
        String::new()
    };
    probe("BitLocker", String::new(), uuid)
}

// ---------------------------------------------------------------------------------------------
// Filesystems and swap
// ---------------------------------------------------------------------------------------------

/// `swap`: `SWAPSPACE2` (label and UUID in the version-1 header) or `SWAP-SPACE` at the end of
/// the first page, for page sizes from 4 to 64 KiB.
fn probe_swap(dev: &dyn BlockDevice) -> Option<Probe> {
    const TOI_MAGIC: &[u8] = b"\xed\xc3\x02\xe9\x98\x56\xe5\x0c";
    for page in [0x1000u64, 0x2000, 0x4000, 0x8000, 0x10000] {
        let Some(magic) = read_in_range(dev, page - 10, 10) else {
            continue;
        };
        let v0 = magic == b"SWAP-SPACE";
        let v1 = magic == b"SWAPSPACE2";
        if !v0 && !v1 {
            continue;
        }
        let start = read_in_range(dev, 0, 8)?;
        if start == TOI_MAGIC {
            return None;
        }
        if v0 {
            return probe("swap", String::new(), String::new());
        }
        let hdr = read_array::<512>(dev, 1024)?;
        let header = Fixed::from(&hdr);
        let version = header.le32::<0>();
        // blkid tries only the first magic it finds.
        if version != 1 && version.swap_bytes() != 1 {
            return None;
        }
        if header.le32::<4>() == 0 {
            return None;
        }
        let (mut label, mut uuid) = (String::new(), String::new());
        // blkid's sanity check for garbage in the header's padding.
        if header.le32::<{ 44 + 32 * 4 }>() == 0 && header.le32::<{ 44 + 33 * 4 }>() == 0 {
            if hdr[28] != 0 {
                label = label_string(&hdr[28..44]);
            }
            uuid = uuid_string(&hdr[12..28]);
        }
        return probe("swap", label, uuid);
    }
    None
}

/// `xfs`: the superblock's sanity checks, and its CRC on version 5.
fn probe_xfs(dev: &dyn BlockDevice) -> Option<Probe> {
    let sb = read_array::<512>(dev, 0)?;
    if &sb[0..4] != b"XFSB" {
        return None;
    }
    let fields = Fixed::from(&sb);
    let blocksize = fields.be32::<4>();
    let dblocks = fields.be64::<8>();
    let rextsize = fields.be32::<80>();
    let agblocks = fields.be32::<84>();
    let agcount = fields.be32::<88>();
    let versionnum = fields.be16::<100>();
    let sectsize = fields.be16::<102>();
    let inodesize = fields.be16::<104>();
    let blocklog = sb[120];
    let sectlog = sb[121];
    let inodelog = sb[122];
    let inopblog = sb[123];
    let imax_pct = sb[127];
    let features2 = fields.be32::<200>();
    let rtext_bytes = rextsize.wrapping_mul(blocksize);
    let max_dblocks = u64::from(agcount) * u64::from(agblocks);
    let min_dblocks = u64::from(agcount.wrapping_sub(1)) * u64::from(agblocks) + 64;
    let bad = agcount == 0
        || !(512..=32768).contains(&sectsize)
        || !(9..=15).contains(&sectlog)
        || u32::from(sectsize) != 1 << sectlog
        || !(512..=65536).contains(&blocksize)
        || !(9..=16).contains(&blocklog)
        || u64::from(blocksize) != 1u64 << blocklog
        || !(256..=2048).contains(&inodesize)
        || !(8..=11).contains(&inodelog)
        || u32::from(inodesize) != 1 << inodelog
        || i32::from(blocklog) - i32::from(inodelog) != i32::from(inopblog)
        || !(4096..=1 << 30).contains(&rtext_bytes)
        || imax_pct > 100
        || dblocks == 0
        || dblocks > max_dblocks
        || dblocks < min_dblocks;
    if bad {
        return None;
    }
    if versionnum & 0x0f == 5 {
        if versionnum & 0x8000 == 0 || features2 & 0x100 == 0 {
            return None;
        }
        // The sector size was checked above: at least 512 bytes.
        let sector = read_in_range(dev, 0, usize::from(sectsize))?;
        let (head, rest) = sector.split_at_checked(224)?;
        let (stored, tail) = rest.split_first_chunk::<4>()?;
        let crc = crc32c(crc32c(crc32c(!0, head), &[0, 0, 0, 0]), tail);
        if !crc != u32::from_le_bytes(*stored) {
            return None;
        }
    }
    let label = if sb[108] != 0 {
        label_string(&sb[108..120])
    } else {
        String::new()
    };
    probe("xfs", label, uuid_string(&sb[32..48]))
}

/// `iso9660`: the primary volume descriptor at 32 KiB; the label from Joliet when there is
/// one, the UUID from the modification (else creation) date.
fn probe_iso9660(dev: &dyn BlockDevice) -> Option<Probe> {
    const SECTOR: u64 = 2048;
    let first = read_in_range(dev, 16 * SECTOR, 6)?;
    if &first[1..6] != b"CD001" {
        return None;
    }
    let mut pvd: Option<Vec<u8>> = None;
    let mut joliet: Option<Vec<u8>> = None;
    let mut boot = false;
    for i in 0..16u64 {
        if pvd.is_some() && joliet.is_some() && boot {
            break;
        }
        let Some(desc) = read_in_range(dev, (16 + i) * SECTOR, 2048) else {
            break;
        };
        match desc[0] {
            255 => break,
            0 if !boot => boot = true,
            1 if pvd.is_none() => pvd = Some(desc),
            2 if joliet.is_none() => {
                let esc = &desc[88..91];
                if esc == b"%/@" || esc == b"%/C" || esc == b"%/E" {
                    joliet = Some(desc);
                }
            }
            _ => {}
        }
    }
    let pvd = pvd?;
    let ascii_label = label_string(&pvd[40..72]);
    let label = match &joliet {
        Some(j) => {
            let units: Vec<u16> = j[40..72]
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
            let jl = String::from_utf16_lossy(&units[..end])
                .trim_end()
                .to_string();
            // Joliet labels hold 16 characters; blkid takes the rest from the PVD label when
            // that continues the Joliet one.
            if jl.is_empty() || (ascii_label.len() > jl.len() && ascii_label.starts_with(&jl)) {
                ascii_label
            } else {
                jl
            }
        }
        None => ascii_label,
    };
    let uuid_from = |d: &[u8]| -> Option<String> {
        let b = &d[0..16];
        if b.iter().all(|&c| c == b'0') && d[16] == 0 {
            return None;
        }
        let s =
            |r: std::ops::Range<usize>| -> String { b[r].iter().map(|&c| char::from(c)).collect() };
        Some(format!(
            "{}-{}-{}-{}-{}-{}-{}",
            s(0..4),
            s(4..6),
            s(6..8),
            s(8..10),
            s(10..12),
            s(12..14),
            s(14..16)
        ))
    };
    let uuid = uuid_from(&pvd[830..847])
        .or_else(|| uuid_from(&pvd[813..830]))
        .unwrap_or_default();
    probe("iso9660", label, uuid)
}

/// `squashfs` (version 4) and `squashfs3` (older versions, either byte order).
fn probe_squashfs(dev: &dyn BlockDevice) -> Option<Probe> {
    let sb = read_array::<96>(dev, 0)?;
    let major = Fixed::from(&sb);
    if &sb[0..4] == b"hsqs" {
        if major.le16::<28>() >= 4 {
            return probe("squashfs", String::new(), String::new());
        }
        return probe("squashfs3", String::new(), String::new());
    }
    if &sb[0..4] == b"sqsh" && major.be16::<28>() < 4 {
        return probe("squashfs3", String::new(), String::new());
    }
    None
}

/// `btrfs`: the superblock at 64 KiB (checksum verified when it is CRC-32C).
fn probe_btrfs(dev: &dyn BlockDevice) -> Option<Probe> {
    let sb = read_array::<4096>(dev, 0x10000)?;
    if &sb[64..72] != b"_BHRfS_M" {
        return None;
    }
    let fields = Fixed::from(&sb);
    if fields.le16::<196>() == 0 {
        let crc = !crc32c(!0, &sb[32..]);
        if crc != fields.le32::<0>() {
            return None;
        }
    }
    let sectorsize = fields.le32::<144>();
    if sectorsize == 0 || !sectorsize.is_power_of_two() {
        return None;
    }
    let label = if sb[299] != 0 {
        label_string(&sb[299..555])
    } else {
        String::new()
    };
    probe("btrfs", label, uuid_string(&sb[32..48]))
}

/// Filesystems the native backend does not read, recognised by their magic so that `auto`
/// leaves them to the appliance (whose blkid also gives their label and UUID) rather than
/// listing them as `unknown`.
fn probe_unread(dev: &dyn BlockDevice) -> Option<Probe> {
    const MAGICS: [(&str, u64, &[u8]); 7] = [
        ("exfat", 3, b"EXFAT   "),
        ("f2fs", 1024, b"\x10\x20\xf5\xf2"),
        ("jfs", 32768, b"JFS1"),
        ("hfsplus", 1024, b"H+"),
        ("reiserfs", 65536 + 52, b"ReIsErFs"),
        ("reiserfs", 65536 + 52, b"ReIsEr2Fs"),
        ("reiserfs", 65536 + 52, b"ReIsEr3Fs"),
    ];
    MAGICS.iter().find_map(|&(fs_type, off, magic)| {
        let found = read_in_range(dev, off, magic.len())?;
        (found == magic).then(|| Probe {
            fs_type: fs_type.into(),
            ..Default::default()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_format_like_blkid() {
        let u: Vec<u8> = (1..=16).collect();
        assert_eq!(uuid_string(&u), "01020304-0506-0708-090a-0b0c0d0e0f10");
        assert_eq!(uuid_string(&[0; 16]), "");
    }
}
