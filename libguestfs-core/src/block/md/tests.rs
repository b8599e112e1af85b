//! Hostile superblocks and assemblies: every one is refused with a reason or left out, never
//! a panic, and reads stay inside the members.

use super::superblock::{self, Role};
use super::*;
use crate::block::Mem;

const MEMBER: usize = 1 << 20;

/// Fields of a 1.2 superblock to write.
#[derive(Clone, Copy)]
struct Sb {
    level: u32,
    layout: u32,
    chunk: u32,
    raid_disks: u32,
    size: u64,
    data_offset: u64,
    data_size: u64,
    role: u16,
    max_dev: u32,
}

impl Default for Sb {
    fn default() -> Sb {
        Sb {
            level: 5,
            layout: 2,
            chunk: 8,
            raid_disks: 3,
            size: 2000,
            data_offset: 16,
            data_size: 2032,
            role: 0,
            max_dev: 4,
        }
    }
}

/// A 1 MiB member holding a 1.2 superblock with `sb`'s fields and a valid checksum; data
/// bytes are `fill`.
fn member(sb: Sb, fill: u8) -> Device {
    let mut d = vec![fill; MEMBER];
    let b = &mut d[4096..8192];
    b.fill(0);
    b[0..4].copy_from_slice(&0xa92b_4efcu32.to_le_bytes());
    b[4..8].copy_from_slice(&1u32.to_le_bytes());
    b[16..32].copy_from_slice(&[7u8; 16]);
    b[32..36].copy_from_slice(b"h:r5");
    b[72..76].copy_from_slice(&sb.level.to_le_bytes());
    b[76..80].copy_from_slice(&sb.layout.to_le_bytes());
    b[80..88].copy_from_slice(&sb.size.to_le_bytes());
    b[88..92].copy_from_slice(&sb.chunk.to_le_bytes());
    b[92..96].copy_from_slice(&sb.raid_disks.to_le_bytes());
    b[128..136].copy_from_slice(&sb.data_offset.to_le_bytes());
    b[136..144].copy_from_slice(&sb.data_size.to_le_bytes());
    b[144..152].copy_from_slice(&8u64.to_le_bytes());
    b[160..164].copy_from_slice(&u32::from(sb.role).to_le_bytes());
    b[200..208].copy_from_slice(&1u64.to_le_bytes());
    b[208..216].copy_from_slice(&u64::MAX.to_le_bytes());
    b[220..224].copy_from_slice(&sb.max_dev.to_le_bytes());
    let roles = (sb.max_dev as usize).min(1900);
    for i in 0..roles {
        let v: u16 = if i == sb.role as usize {
            sb.role
        } else {
            i as u16
        };
        b[256 + i * 2..258 + i * 2].copy_from_slice(&v.to_le_bytes());
    }
    let len = (256 + roles * 2).min(4096);
    let mut sum: u64 = 0;
    for w in b[..len].chunks(4) {
        let mut x = [0u8; 4];
        x[..w.len()].copy_from_slice(w);
        sum += u64::from(u32::from_le_bytes(x));
    }
    let csum = ((sum & 0xffff_ffff) + (sum >> 32)) as u32;
    b[216..220].copy_from_slice(&csum.to_le_bytes());
    Arc::new(Mem(d))
}

fn members(sbs: &[Sb]) -> Vec<(String, Device)> {
    sbs.iter()
        .enumerate()
        .map(|(i, sb)| {
            (
                format!("/dev/sd{}", (b'a' + i as u8) as char),
                member(*sb, i as u8 + 1),
            )
        })
        .collect()
}

fn roles(sb: Sb, n: u16) -> Vec<Sb> {
    (0..n).map(|role| Sb { role, ..sb }).collect()
}

#[test]
fn a_sane_raid5_reads_and_rebuilds() {
    let sb = Sb::default();
    let scan = scan(&members(&roles(sb, 3)));
    assert_eq!(scan.arrays.len(), 1);
    let dev = scan.arrays[0].device.as_ref().unwrap();
    assert_eq!(dev.size(), 2000 * 512 * 2);
    let mut b = vec![0u8; 8192];
    dev.read_exact_at(&mut b, 0).unwrap();
    // Left-symmetric, stripe 0: chunk 0 on member 0 (bytes 1), chunk 1 on member 1 (2).
    assert!(b[..4096].iter().all(|&x| x == 1));
    assert!(b[4096..].iter().all(|&x| x == 2));
    // Without member 1, chunk 1 is the XOR of members 0 and 2 (1 ^ 3 = 2).
    let mut m = members(&roles(sb, 3));
    m.remove(1);
    let scan2 = super::scan(&m);
    let dev = scan2.arrays[0].device.as_ref().unwrap();
    dev.read_exact_at(&mut b, 0).unwrap();
    assert!(b[4096..].iter().all(|&x| x == 1 ^ 3));
    assert!(dev.read_exact_at(&mut b, dev.size() - 10).is_err());
}

#[test]
fn wrong_checksum_is_a_bad_member() {
    let m = members(&roles(Sb::default(), 3));
    let mut bytes = vec![0u8; MEMBER];
    m[0].1.read_exact_at(&mut bytes, 0).unwrap();
    bytes[4096 + 100] ^= 1;
    let bad: Device = Arc::new(Mem(bytes));
    let scan = scan(&[("/dev/sda".into(), bad), m[1].clone(), m[2].clone()]);
    assert_eq!(scan.bad_members.len(), 1);
    assert!(scan.bad_members[0].1.contains("checksum"));
    // The two good members still make a (degraded) raid5.
    assert_eq!(scan.arrays[0].missing(), 1);
}

#[test]
fn absurd_fields_are_refused() {
    let base = Sb::default();
    let cases = [
        Sb {
            raid_disks: 100_000,
            ..base
        },
        Sb { chunk: 0, ..base },
        Sb {
            chunk: u32::MAX,
            ..base
        },
        Sb {
            size: u64::MAX / 2,
            ..base
        },
        Sb { level: 77, ..base },
        Sb { layout: 99, ..base },
    ];
    for (i, sb) in cases.iter().enumerate() {
        let scan = scan(&members(&roles(*sb, 3)));
        for a in &scan.arrays {
            assert!(a.device.is_err(), "case {}", i);
        }
    }
    // Data claimed beyond the member's end, and absurd role tables: bad members.
    for sb in [
        Sb {
            data_size: 1 << 40,
            ..base
        },
        Sb {
            data_offset: u64::MAX,
            ..base
        },
        Sb {
            max_dev: 100_000,
            ..base
        },
    ] {
        let scan = scan(&members(&roles(sb, 3)));
        assert!(scan.arrays.is_empty());
        assert_eq!(scan.bad_members.len(), 3);
    }
}

#[test]
fn two_members_in_one_slot_are_refused() {
    let sb = Sb::default();
    let scan = scan(&members(&[sb, sb, Sb { role: 1, ..sb }]));
    assert_eq!(scan.arrays.len(), 1);
    let why = scan.arrays[0].device.as_ref().err().unwrap();
    assert!(why.contains("slot 0"), "{}", why);
}

#[test]
fn truncated_member_has_no_superblock_or_reads_fail() {
    let m = members(&roles(Sb::default(), 3));
    // Cut member 0 in the middle of its superblock, member 1 after it but before its data
    // ends.
    let mut b0 = vec![0u8; 4096 + 100];
    m[0].1.read_exact_at(&mut b0, 0).unwrap();
    let mut b1 = vec![0u8; 600 * 512];
    m[1].1.read_exact_at(&mut b1, 0).unwrap();
    let scan = scan(&[
        ("/dev/sda".into(), Arc::new(Mem(b0)) as Device),
        ("/dev/sdb".into(), Arc::new(Mem(b1)) as Device),
        m[2].clone(),
    ]);
    assert!(scan.arrays.iter().all(|a| !a.active));
}

#[test]
fn roles_of_a_raid0_need_every_member() {
    let sb = Sb {
        level: 0,
        size: 0,
        ..Sb::default()
    };
    let mut m = members(&roles(sb, 3));
    assert!(scan(&m).arrays[0].device.is_ok());
    m.pop();
    let s = scan(&m);
    assert!(!s.arrays[0].active);
    let mut b = [0u8; 512];
    let dev = s.arrays[0].device.as_ref().unwrap();
    assert!(dev.read_exact_at(&mut b, 2 * 4096).is_err());
    let _ = Role::Spare;
    let _ = superblock::SB_BYTES;
}
