//! The native md reader against arrays made by real mdadm inside the appliance (this host
//! has no md driver; `md-make.sh` builds them with `virt-tools guestfish`): every array
//! (raid0, raid1, raid4, raid5, raid6, raid10; metadata 0.90, 1.0, 1.1, 1.2) is assembled
//! natively, copied out, and its ext4 filesystem loop-mounted by the kernel's driver, which
//! must find exactly the files the appliance wrote. Then the same with members missing
//! (degraded arrays rebuilt from parity or copies, arrays the kernel would not start).

mod common;
use common::*;
use guestfs::block::md::{self, superblock::Metadata};
use guestfs::block::raw::RawImage;
use guestfs::block::{Device, Slice};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

const MAKE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/md-make.sh");

/// The images, built once per run (None: the appliance cannot run here, said once).
fn images() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Ok(d) = std::env::var("MD_TEST_IMAGES") {
            return Some(PathBuf::from(d));
        }
        let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/virt-tools");
        if !tool.exists() {
            eprintln!("SKIP: md tests need target/release/virt-tools to build arrays in the appliance");
            return None;
        }
        let dir = Scratch::new("md");
        let out = dir.0.clone();
        std::mem::forget(dir);
        let ok = sh(&format!(
            "LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg bash '{}' '{} guestfish' '{}'",
            MAKE,
            tool.display(),
            out.display()
        ));
        if !ok {
            eprintln!(
                "SKIP: the appliance could not build md arrays here (see {}/make.log)",
                out.display()
            );
            return None;
        }
        Some(out)
    })
    .as_deref()
}

/// The partitions of the given disks, in the kernel's listing order.
fn partitions(dir: &Path, disks: &[&str]) -> Vec<(String, Device)> {
    let mut out = Vec::new();
    for (i, d) in disks.iter().enumerate() {
        let dev: Device = Arc::new(RawImage::open(&dir.join(format!("{}.img", d))).unwrap());
        let table = guestfs::partition::read(dev.as_ref(), 512)
            .unwrap()
            .unwrap();
        for e in &table.partitions {
            let name = format!("/dev/sd{}{}", (b'a' + i as u8) as char, e.number);
            out.push((
                name,
                Arc::new(Slice::new(dev.clone(), e.start, e.size)) as Device,
            ));
        }
    }
    out
}

/// Copies the array out, mounts its ext4 with the kernel's driver, and checks the files.
fn check_content(dir: &Path, name: &str, dev: &Device) {
    let scratch = Scratch::new(&format!("md-{}", name.replace('/', "_")));
    let flat = scratch.0.join("array.img");
    let mut f = std::fs::File::create(&flat).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let mut off = 0u64;
    while off < dev.size() {
        let n = (dev.size() - off).min(buf.len() as u64) as usize;
        dev.read_exact_at(&mut buf[..n], off).unwrap();
        std::io::Write::write_all(&mut f, &buf[..n]).unwrap();
        off += n as u64;
    }
    drop(f);
    let mnt = scratch.0.join("mnt");
    let Some(m) = LoopMount::new(&flat, &mnt, "ro,noload") else {
        // Without loop mounts, at least the ext4 superblock must be where it belongs.
        eprintln!(
            "SKIP: no loop mounts: checking only the ext4 magic of {}",
            name
        );
        let mut magic = [0u8; 2];
        dev.read_exact_at(&mut magic, 1024 + 56).unwrap();
        assert_eq!(magic, [0x53, 0xef], "{}", name);
        return;
    };
    let level = std::fs::read_to_string(mnt.join("dir/hello")).unwrap();
    assert!(level.ends_with("-hello"), "{}: {:?}", name, level);
    assert_eq!(
        std::fs::read(mnt.join("big.bin")).unwrap(),
        std::fs::read(dir.join("big.bin")).unwrap(),
        "{}: big.bin",
        name
    );
    assert_eq!(std::fs::read(mnt.join("a/b/c/small")).unwrap(), b"xyz");
    drop(m);
}

/// (level, metadata, members) of each array of md-make.sh, by its first member.
const ARRAYS: [(&str, i32, Metadata, u32); 6] = [
    ("/dev/sda1", 1, Metadata::V1_2, 2),
    ("/dev/sda2", 0, Metadata::V1_2, 3),
    ("/dev/sda3", 5, Metadata::V1_2, 4),
    ("/dev/sda4", 6, Metadata::V0_90, 4),
    ("/dev/sda5", 10, Metadata::V1_0, 4),
    ("/dev/sda6", 4, Metadata::V1_1, 3),
];

#[test]
fn every_level_and_metadata_reads_what_mdadm_wrote() {
    let Some(dir) = images() else { return };
    let scan = md::scan(&partitions(dir, &["a", "b", "c", "d"]));
    assert!(scan.bad_members.is_empty(), "{:?}", scan.bad_members);
    assert_eq!(scan.arrays.len(), 6);
    for (array, (first, level, metadata, n)) in scan.arrays.iter().zip(ARRAYS) {
        assert_eq!(array.members[0].name, first);
        assert_eq!(array.superblock.level, level, "{}", first);
        assert_eq!(array.metadata(), metadata, "{}", first);
        assert_eq!(array.superblock.raid_disks, n, "{}", first);
        assert_eq!(array.missing(), 0, "{}", first);
        let dev = array
            .device
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: {}", first, e));
        check_content(dir, first, dev);
    }
}

#[test]
fn degraded_arrays_are_rebuilt_from_parity_and_copies() {
    let Some(dir) = images() else { return };
    // Without disk d: raid5, raid6 and raid10 lose a member (raid1, raid0, raid4 have none
    // there). Without disk b: every array loses a member, and raid0 cannot be read at all.
    // Degraded arrays are inactive (1.48's appliance does not start them) but the reader
    // rebuilds them all the same.
    for (disks, expect) in [
        (
            ["a", "b", "c"],
            vec![(1, 0), (0, 0), (5, 1), (6, 1), (10, 1), (4, 0)],
        ),
        (
            ["a", "c", "d"],
            vec![(1, 1), (0, 1), (5, 1), (6, 1), (10, 1), (4, 1)],
        ),
    ] {
        let scan = md::scan(&partitions(dir, &disks));
        let got: Vec<(i32, usize)> = scan
            .arrays
            .iter()
            .map(|a| (a.superblock.level, a.missing()))
            .collect();
        assert_eq!(got, expect, "{:?}", disks);
        for a in &scan.arrays {
            assert_eq!(a.active, a.missing() == 0);
            if a.superblock.level == 0 && a.missing() > 0 {
                continue;
            }
            let what = format!("{:?} raid{}", disks, a.superblock.level);
            let dev = a
                .device
                .as_ref()
                .unwrap_or_else(|e| panic!("{}: {}", what, e));
            check_content(dir, &what, dev);
        }
    }
}

#[test]
fn two_members_missing_from_raid6_is_refused() {
    let Some(dir) = images() else { return };
    let scan = md::scan(&partitions(dir, &["a", "b"]));
    let raid6 = scan
        .arrays
        .iter()
        .find(|a| a.superblock.level == 6)
        .unwrap();
    assert!(raid6.device.is_err());
}

#[test]
fn a_damaged_superblock_is_reported_not_trusted() {
    let Some(dir) = images() else { return };
    let scratch = Scratch::new("md-bad");
    let bad = scratch.0.join("a.img");
    std::fs::copy(dir.join("a.img"), &bad).unwrap();
    // Flip a byte of the 1.2 superblock of sda1 (4 KiB into the partition at sector 2048).
    assert!(sh(&format!(
        "printf '\\377' | dd of='{}' bs=1 seek=$((2048*512+4096+100)) conv=notrunc 2>/dev/null",
        bad.display()
    )));
    let mut parts = partitions(&scratch.0, &["a"]);
    parts.extend(
        partitions(dir, &["b"])
            .into_iter()
            .map(|(n, d)| (n.replace("sda", "sdb"), d)),
    );
    let scan = md::scan(&parts);
    assert!(scan
        .bad_members
        .iter()
        .any(|(n, why)| n == "/dev/sda1" && why.contains("checksum")));
}
