//! blkid-style probes against images made by the real tools, compared with `blkid -p`.

use guestfs::block::{raw::RawImage, BlockDevice, Device};
use guestfs::fs::{self, signatures, Probe};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let base = std::env::var_os("TMPDIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/tmp"));
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = base.join(format!("guestfs-{}-{}-{}", tag, std::process::id(), nanos));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {} >/dev/null 2>&1", tool))
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn run(cmd: &str) -> Option<String> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .env("LC_ALL", "C.UTF-8")
        .output()
        .unwrap();
    if !out.status.success() {
        eprintln!(
            "command failed: {}\n{}",
            cmd,
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn must(cmd: &str) -> String {
    run(cmd).unwrap_or_else(|| panic!("command failed: {}", cmd))
}

/// TYPE, LABEL and UUID as `blkid -p -o export` prints them (unescaped).
fn blkid(path: &Path) -> Probe {
    let out = run(&format!("blkid -p -o export '{}'", path.display())).unwrap_or_default();
    let get = |k: &str| {
        let v = out
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{}=", k)))
            .unwrap_or("");
        let mut s = String::new();
        let mut chars = v.chars();
        while let Some(c) = chars.next() {
            s.push(if c == '\\' {
                chars.next().unwrap_or(c)
            } else {
                c
            });
        }
        s
    };
    Probe {
        fs_type: get("TYPE"),
        label: get("LABEL"),
        uuid: get("UUID"),
    }
}

fn probe_file(path: &Path) -> Option<Probe> {
    let dev: Device = Arc::new(RawImage::open(path).unwrap());
    fs::probe(&*dev)
}

/// Probes an image and checks the result against blkid.
fn check(path: &Path, fs_type: &str) -> Probe {
    let ours = probe_file(path).unwrap_or_else(|| panic!("{}: nothing found", path.display()));
    let theirs = blkid(path);
    assert_eq!(ours, theirs, "{}", path.display());
    assert_eq!(ours.fs_type, fs_type);
    ours
}

fn tools(list: &[&str]) -> bool {
    for t in list {
        if !have(t) {
            eprintln!("SKIP: {} not installed", t);
            return false;
        }
    }
    true
}

#[test]
fn swap() {
    if !tools(&["mkswap", "blkid"]) {
        return;
    }
    let dir = TempDir::new("sig-swap");
    let img = dir.path("swap.img");
    let i = img.display();
    must(&format!(
        "truncate -s 4M '{}' && mkswap -L SWAPLABEL -U 0a1b2c3d-1111-2222-3333-444455556666 '{}'",
        i, i
    ));
    let p = check(&img, "swap");
    assert_eq!(
        (p.label.as_str(), p.uuid.as_str()),
        ("SWAPLABEL", "0a1b2c3d-1111-2222-3333-444455556666")
    );
    must(&format!("mkswap '{}'", i));
    check(&img, "swap");
    // Old-style swap space: no label or UUID.
    let mut data = vec![0u8; 1 << 20];
    data[4086..4096].copy_from_slice(b"SWAP-SPACE");
    std::fs::write(&img, &data).unwrap();
    assert_eq!(
        check(&img, "swap"),
        Probe {
            fs_type: "swap".into(),
            ..Probe::default()
        }
    );
}

#[test]
fn lvm2_member() {
    if !tools(&["pvcreate", "losetup", "blkid"]) {
        return;
    }
    let dir = TempDir::new("sig-lvm");
    let img = dir.path("pv.img");
    must(&format!("truncate -s 8M '{}'", img.display()));
    let Some(out) = run(&format!("losetup -f --show '{}'", img.display())) else {
        eprintln!("SKIP: no loop devices here");
        return;
    };
    let loopdev = out.trim().to_string();
    let ok = run(&format!("pvcreate -ff -y '{}' </dev/null", loopdev)).is_some();
    must(&format!("losetup -d '{}'", loopdev));
    if !ok {
        eprintln!("SKIP: pvcreate failed");
        return;
    }
    let p = check(&img, "LVM2_member");
    assert_eq!(p.uuid.len(), 38);
    assert_eq!(p.uuid.matches('-').count(), 6);
    // pvcreate's label is in sector 1; one in sector 0 is found too, a damaged one is not.
    let mut data = std::fs::read(&img).unwrap();
    let label: Vec<u8> = data[512..1024].to_vec();
    data[512..1024].fill(0);
    let mut moved = label.clone();
    moved[8] = 0; // sector number in the label
    let crc = lvm2_crc(&moved[20..]);
    moved[16..20].copy_from_slice(&crc.to_le_bytes());
    data[0..512].copy_from_slice(&moved);
    std::fs::write(&img, &data).unwrap();
    assert_eq!(check(&img, "LVM2_member").uuid, p.uuid);
    data[100] ^= 1;
    std::fs::write(&img, &data).unwrap();
    assert_eq!(probe_file(&img), None);
}

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

#[test]
fn crypto_luks() {
    if !tools(&["cryptsetup", "blkid"]) {
        return;
    }
    let dir = TempDir::new("sig-luks");
    let key = dir.path("key");
    std::fs::write(&key, b"not a secret").unwrap();
    for (ty, extra, label) in [
        ("luks1", "--iter-time 1", ""),
        (
            "luks2",
            "--pbkdf pbkdf2 --pbkdf-force-iterations 1000 --label CRYPTLABEL",
            "CRYPTLABEL",
        ),
    ] {
        let img = dir.path(&format!("{}.img", ty));
        let cmd = format!(
            "truncate -s 20M '{i}' && cryptsetup luksFormat --type {ty} --batch-mode --key-file '{k}' {extra} '{i}'",
            i = img.display(),
            ty = ty,
            k = key.display(),
            extra = extra
        );
        if run(&cmd).is_none() {
            eprintln!("SKIP: cryptsetup luksFormat --type {} failed here", ty);
            continue;
        }
        let p = check(&img, "crypto_LUKS");
        assert_eq!(p.label, label);
        assert_eq!(p.uuid.len(), 36);
        if ty == "luks2" {
            // A wiped primary header: the secondary one is found.
            let mut data = std::fs::read(&img).unwrap();
            data[0..6].fill(0);
            std::fs::write(&img, &data).unwrap();
            assert_eq!(check(&img, "crypto_LUKS").uuid, p.uuid);
        }
    }
}

#[test]
fn xfs_btrfs_iso9660_squashfs() {
    let dir = TempDir::new("sig-fs");
    let tree = dir.path("tree");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    std::fs::write(tree.join("sub/file.txt"), b"hello\n").unwrap();
    let t = tree.display();
    if tools(&["mkfs.xfs", "blkid"]) {
        let img = dir.path("xfs.img");
        must(&format!(
            "truncate -s 320M '{i}' && mkfs.xfs -q -L XFSLABEL '{i}'",
            i = img.display()
        ));
        let p = check(&img, "xfs");
        assert_eq!(p.label, "XFSLABEL");
        must(&format!("mkfs.xfs -q -f -m crc=0 '{}'", img.display()));
        check(&img, "xfs");
        // A damaged v5 superblock fails its CRC.
        must(&format!("mkfs.xfs -q -f '{}'", img.display()));
        let mut data = std::fs::read(&img).unwrap();
        data[150] ^= 0x40;
        std::fs::write(&img, &data).unwrap();
        assert_eq!(probe_file(&img), None);
    }
    if tools(&["mkfs.btrfs", "blkid"]) {
        let img = dir.path("btrfs.img");
        must(&format!(
            "truncate -s 200M '{i}' && mkfs.btrfs -q -L 'BTR label' '{i}'",
            i = img.display()
        ));
        let p = check(&img, "btrfs");
        assert_eq!(p.label, "BTR label");
    }
    if tools(&["xorriso", "blkid"]) {
        let img = dir.path("cd.iso");
        must(&format!(
            "xorriso -as mkisofs -quiet -R -J -V ISOLABEL -o '{}' '{}'",
            img.display(),
            t
        ));
        let p = check(&img, "iso9660");
        assert_eq!(p.label, "ISOLABEL");
        must(&format!(
            "xorriso -as mkisofs -quiet -R -V PLAIN_ISO -o '{}' '{}'",
            img.display(),
            t
        ));
        check(&img, "iso9660");
    }
    if tools(&["mksquashfs", "blkid"]) {
        let img = dir.path("sq.img");
        must(&format!(
            "mksquashfs '{}' '{}' -quiet -noappend >/dev/null",
            t,
            img.display()
        ));
        check(&img, "squashfs");
    }
    if tools(&["mkfs.ext4"]) {
        // Nothing here claims an ext4 filesystem (the ext prober does).
        let img = dir.path("ext4.img");
        must(&format!(
            "truncate -s 16M '{i}' && mkfs.ext4 -q -F '{i}'",
            i = img.display()
        ));
        let dev: Device = Arc::new(RawImage::open(&img).unwrap());
        assert_eq!(signatures::probe_before_filesystems(&*dev), None);
        assert_eq!(signatures::probe_other(&*dev), None);
    }
}

/// An image held in memory.
struct MemDev(Vec<u8>);

impl BlockDevice for MemDev {
    fn size(&self) -> u64 {
        self.0.len() as u64
    }
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        guestfs::block::check_range(self.size(), offset, buf.len())?;
        buf.copy_from_slice(&self.0[offset as usize..offset as usize + buf.len()]);
        Ok(())
    }
}

/// An md 1.x superblock as mdadm writes it, with its checksum.
fn md1_superblock(super_offset: u64, uuid: [u8; 16], name: &str) -> Vec<u8> {
    let mut sb = vec![0u8; 256 + 2 * 4];
    sb[0..4].copy_from_slice(&0xa92b4efcu32.to_le_bytes());
    sb[4..8].copy_from_slice(&1u32.to_le_bytes());
    sb[16..32].copy_from_slice(&uuid);
    sb[32..32 + name.len()].copy_from_slice(name.as_bytes());
    sb[72..76].copy_from_slice(&1u32.to_le_bytes()); // level 1
    sb[92..96].copy_from_slice(&2u32.to_le_bytes()); // raid_disks
    sb[144..152].copy_from_slice(&(super_offset >> 9).to_le_bytes());
    sb[168..184].copy_from_slice(&[0x55; 16]); // device_uuid
    sb[220..224].copy_from_slice(&4u32.to_le_bytes()); // max_dev
    let mut sum: u64 = 0;
    for c in sb.chunks_exact(4) {
        sum += u64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
    }
    let csum = ((sum & 0xffff_ffff) + (sum >> 32)) as u32;
    sb[216..220].copy_from_slice(&csum.to_le_bytes());
    sb
}

#[test]
fn linux_raid_member() {
    if !tools(&["blkid"]) {
        return;
    }
    let dir = TempDir::new("sig-md");
    let img = dir.path("md.img");
    // The real tool first: it needs the md driver, which this host may lack.
    if tools(&["mdadm", "losetup"]) {
        let img2 = dir.path("md2.img");
        must(&format!(
            "truncate -s 8M '{}' '{}'",
            img.display(),
            img2.display()
        ));
        let a = run(&format!("losetup -f --show '{}'", img.display())).unwrap_or_default();
        let b = run(&format!("losetup -f --show '{}'", img2.display())).unwrap_or_default();
        let (a, b) = (a.trim().to_string(), b.trim().to_string());
        let created = !a.is_empty()
            && !b.is_empty()
            && run(&format!("mdadm --create /dev/md/guestfstest --run --level=1 --raid-devices=2 --metadata=1.2 '{}' '{}' </dev/null", a, b)).is_some();
        if created {
            let _ = run("mdadm --stop /dev/md/guestfstest");
        }
        for d in [&a, &b] {
            if !d.is_empty() {
                let _ = run(&format!("losetup -d '{}'", d));
            }
        }
        if created {
            check(&img, "linux_raid_member");
        } else {
            eprintln!("SKIP: mdadm --create does not work here (no md driver); using hand-made superblocks");
        }
    }
    let size = 8u64 << 20;
    let uuid: [u8; 16] = *b"\x12\x34\x56\x78\x9a\xbc\xde\xf0\x0f\xed\xcb\xa9\x87\x65\x43\x21";
    // 1.0 at the end, 1.1 at the start, 1.2 at 4 KiB.
    for off in [(size & !0xfff) - 0x2000, 0, 0x1000] {
        let mut data = vec![0u8; size as usize];
        let sb = md1_superblock(off, uuid, "host:array");
        data[off as usize..off as usize + sb.len()].copy_from_slice(&sb);
        std::fs::write(&img, &data).unwrap();
        let p = check(&img, "linux_raid_member");
        assert_eq!(p.label, "host:array");
        // A wrong checksum is refused.
        data[off as usize + 216] ^= 1;
        let dev = MemDev(data);
        assert_eq!(signatures::probe_before_filesystems(&dev), None);
    }
    // 0.90 at the last 64 KiB boundary but one, little-endian as x86 mdadm writes it.
    let mut data = vec![0u8; size as usize];
    let off = (size & !0xffff) - 0x10000;
    let words: [u32; 16] = [
        0xa92b4efc, 0, 90, 0, 0, 0x11223344, 0, 1, 4096, 2, 2, 0, 0, 0x55667788, 0x99aabbcc,
        0xddeeff00,
    ];
    for (i, w) in words.iter().enumerate() {
        data[off as usize + 4 * i..off as usize + 4 * i + 4].copy_from_slice(&w.to_le_bytes());
    }
    std::fs::write(&img, &data).unwrap();
    let p = check(&img, "linux_raid_member");
    assert_eq!(p.uuid, "11223344-5566-7788-99aa-bbccddeeff00");
}

#[test]
fn bitlocker() {
    if !tools(&["blkid"]) {
        return;
    }
    let dir = TempDir::new("sig-bde");
    let img = dir.path("bde.img");
    // A Windows 7 BitLocker boot sector pointing at FVE metadata (hand-made: no tool here
    // makes BitLocker volumes).
    let mut data = vec![0u8; 1 << 20];
    data[0..11].copy_from_slice(b"\xeb\x58\x90-FVE-FS-");
    data[11..13].copy_from_slice(&512u16.to_le_bytes());
    data[67..71].copy_from_slice(&1234u32.to_le_bytes());
    data[176..184].copy_from_slice(&0x10000u64.to_le_bytes());
    data[510] = 0x55;
    data[511] = 0xaa;
    data[0x10000..0x10008].copy_from_slice(b"-FVE-FS-");
    data[0x1000a..0x1000c].copy_from_slice(&2u16.to_le_bytes());
    std::fs::write(&img, &data).unwrap();
    let p = check(&img, "BitLocker");
    assert_eq!(p.uuid, "0000000000001234");
    // Without FVE metadata it is not BitLocker.
    data[0x10000] = 0;
    assert_eq!(signatures::probe_before_filesystems(&MemDev(data)), None);
}

#[test]
fn nothing_on_blank_or_small_devices() {
    for size in [0usize, 1, 511, 4096, 1 << 20] {
        let dev = MemDev(vec![0u8; size]);
        assert_eq!(fs::probe(&dev), None, "{} zero bytes", size);
        let dev = MemDev(vec![0xffu8; size]);
        assert_eq!(fs::probe(&dev), None, "{} 0xff bytes", size);
    }
}
