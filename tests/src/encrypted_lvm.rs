//! libguestfs's phony Fedora guest in its two encrypted layouts (make-fedora-img.pl,
//! `LAYOUT=luks-on-lvm` and `LAYOUT=lvm-on-luks`), made offline with the real tools: lvm2 on a
//! loop device lays out the volume group without activating it (the host has no
//! device-mapper), `mkfs.ext2 -d` makes the filesystems, and `cryptsetup reencrypt --encrypt`
//! encrypts them in place. Partition 1 is `/boot`; partition 2 holds the volume group `VG`
//! with the LVs `Root` (32 MiB), `LV1`, `LV2` (32 MiB) and `LV3` (64 MiB). The disk is
//! smaller than upstream's 1 GiB, which only the free space shows. Needs root (losetup).

use crate::images::{make_disk, make_ext, tiny_elf, FsSpec, Part, Tree};
use crate::sh;
use std::fs::{self, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What cryptsetup puts in front of the data (LUKS2's default header).
const LUKS_HEADER_MIB: u64 = 16;

/// The LVs of `VG`: name, size in MiB, ext2 block size, label and UUID.
const VOLUMES: [(&str, u64, u32, &str, &str); 4] = [
    (
        "Root",
        32,
        4096,
        "ROOT",
        "01234567-0123-0123-0123-012345678902",
    ),
    (
        "LV1",
        32,
        4096,
        "LV1",
        "01234567-0123-0123-0123-0123456789a1",
    ),
    (
        "LV2",
        32,
        1024,
        "LV2",
        "01234567-0123-0123-0123-0123456789a2",
    ),
    (
        "LV3",
        64,
        2048,
        "LV3",
        "01234567-0123-0123-0123-0123456789a3",
    ),
];

/// The size of partition 2 (the PV, or the LUKS volume holding it).
const PV_PART_MIB: u64 = 200;

/// Why these images cannot be made here, if they cannot (they need root for loop devices,
/// lvm2 and cryptsetup).
pub fn unavailable() -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("needs root (loop devices for lvm2)".into());
    }
    for tool in ["lvm", "losetup", "cryptsetup", "mkfs.ext2", "sfdisk"] {
        if !crate::have(tool) {
            return Some(format!("{} is not installed", tool));
        }
    }
    None
}

/// `LAYOUT=luks-on-lvm`: every LV is a LUKS volume, with the passphrase `FEDORA-<LV>`.
pub fn fedora_luks_on_lvm(work: &Path, out: &Path) -> PathBuf {
    let pv = work.join("pv.img");
    sparse(&pv, PV_PART_MIB);
    let offsets = make_volume_group(&pv);
    for (&(name, size, block, label, uuid), at) in VOLUMES.iter().zip(&offsets) {
        let fs = volume_fs(work, name, size - LUKS_HEADER_MIB, block, label, uuid);
        let key = format!("FEDORA-{}", name);
        encrypt(work, &fs, size, &key, &uuid_of("1", name));
        copy_into(&fs, &pv, *at);
    }
    fedora_disk(work, &pv, out)
}

/// `LAYOUT=lvm-on-luks`: partition 2 is a LUKS volume (passphrase `FEDORA`) holding the PV.
pub fn fedora_lvm_on_luks(work: &Path, out: &Path) -> PathBuf {
    let pv = work.join("pv.img");
    sparse(&pv, PV_PART_MIB - LUKS_HEADER_MIB);
    let offsets = make_volume_group(&pv);
    for (&(name, size, block, label, uuid), at) in VOLUMES.iter().zip(&offsets) {
        let fs = volume_fs(work, name, size, block, label, uuid);
        copy_into(&fs, &pv, *at);
    }
    encrypt(work, &pv, PV_PART_MIB, "FEDORA", &uuid_of("2", "sda2"));
    fedora_disk(work, &pv, out)
}

/// A fixed LUKS UUID per volume, so the device-mapper names (`luks-UUID`) in the tools'
/// output are the same on every run.
fn uuid_of(layout: &str, name: &str) -> String {
    let n: u64 = name.bytes().fold(0, |a, b| a * 31 + u64::from(b)) % 1_000_000_000_000;
    format!("0000000{}-0000-4000-8000-{:012}", layout, n)
}

fn sparse(path: &Path, mib: u64) {
    let f = fs::File::create(path).expect("image file");
    f.set_len(mib << 20).expect("image size");
}

/// The phony Fedora root (make-fedora-img.pl's files) or an empty filesystem.
fn volume_fs(
    work: &Path,
    name: &str,
    size_mib: u64,
    block: u32,
    label: &str,
    uuid: &str,
) -> PathBuf {
    let tree = if name == "Root" {
        fedora_root()
    } else {
        Tree::new()
    };
    let spec = FsSpec {
        kind: "ext2",
        size_mib,
        label: Some(label),
        uuid: Some(uuid),
        block_size: Some(block),
        ..Default::default()
    };
    make_ext(work, name, &spec, &tree)
}

fn fedora_root() -> Tree {
    Tree::new()
        .dir("/boot", 0o755)
        .file("/bin/ls", tiny_elf(), 0o755)
        .dir("/etc/sysconfig", 0o755)
        .file("/usr/share/zoneinfo/Europe/London", "", 0o644)
        .dir("/var/lib/rpm", 0o755)
        .dir("/var/log/journal", 0o755)
        .file("/etc/shadow", "root::15440:0:99999:7:::\n", 0o000)
        .file(
            "/etc/fstab",
            "LABEL=BOOT /boot ext2 default 0 0\nLABEL=ROOT / ext2 default 0 0\n",
            0o644,
        )
        .file("/etc/motd", "Welcome to Fedora release 14 (Phony)\n", 0o644)
        .file("/etc/redhat-release", "Fedora release 14 (Phony)", 0o644)
        .file("/etc/fedora-release", "Fedora release 14 (Phony)", 0o644)
        .file("/etc/sysconfig/network", "HOSTNAME=fedora.invalid", 0o644)
        .file("/usr/lib/rpm/rpmrc", "", 0o644)
        .file(
            "/usr/lib/rpm/macros",
            "%_dbpath /var/lib/rpm\n%_db_backend sqlite\n",
            0o644,
        )
}

/// The disk: `/boot` (ext2, label BOOT) on partition 1, `part2` on partition 2.
fn fedora_disk(work: &Path, part2: &Path, out: &Path) -> PathBuf {
    let boot = make_ext(
        work,
        "boot",
        &FsSpec {
            kind: "ext2",
            size_mib: 16,
            label: Some("BOOT"),
            uuid: Some("01234567-0123-0123-0123-012345678901"),
            block_size: Some(4096),
            ..Default::default()
        },
        &Tree::new(),
    );
    make_disk(
        out,
        "dos",
        &[
            Part {
                size_mib: 16,
                kind: "83",
                content: Some(&boot),
            },
            Part {
                size_mib: PV_PART_MIB,
                kind: "83",
                content: Some(part2),
            },
        ],
    )
}

/// Encrypts the filesystem image `fs` in place into a LUKS2 volume of `size_mib` (its data
/// shifted behind the header).
fn encrypt(work: &Path, fs: &Path, size_mib: u64, passphrase: &str, uuid: &str) {
    let key = work.join("passphrase");
    fs::write(&key, passphrase).expect("passphrase file");
    let f = OpenOptions::new().write(true).open(fs).expect("fs image");
    f.set_len(size_mib << 20).expect("room for the LUKS header");
    sh(Command::new("cryptsetup")
        .args(["reencrypt", "--encrypt", "--type", "luks2"])
        .args(["--reduce-device-size", &format!("{}M", LUKS_HEADER_MIB)])
        .args(["--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000"])
        .args(["--uuid", uuid, "-q", "--key-file"])
        .arg(&key)
        .arg(fs));
}

/// Copies the whole of `src` into `dst` at byte `at`.
fn copy_into(src: &Path, dst: &Path, at: u64) {
    let data = fs::read(src).expect("read volume");
    let f = OpenOptions::new().write(true).open(dst).expect("open PV");
    f.write_all_at(&data, at).expect("write volume");
}

/// Makes the volume group `VG` with [`VOLUMES`] on the PV image `pv` and returns where each
/// LV's bytes start in it.
fn make_volume_group(pv: &Path) -> Vec<u64> {
    let out = sh(Command::new("losetup").args(["-f", "--show"]).arg(pv));
    let dev = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let result = std::panic::catch_unwind(|| {
        lvm(&dev, "pvcreate", &[&dev]);
        lvm(&dev, "vgcreate", &["VG", &dev]);
        for (name, size, ..) in VOLUMES {
            let size = format!("{}m", size);
            let args = ["--activate", "n", "--zero", "n", "-L", &size, "-n", name];
            lvm(&dev, "lvcreate", &[&args[..], &["VG"]].concat());
        }
        let pe_start: u64 = lvm(&dev, "pvs", &["-o", "pe_start", &dev]).parse().unwrap();
        let extent: u64 = lvm(&dev, "vgs", &["-o", "vg_extent_size", "VG"])
            .parse()
            .unwrap();
        VOLUMES
            .iter()
            .map(|(name, ..)| {
                // One linear segment: `/dev/loopN:FIRST-LAST`.
                let ranges = lvm(
                    &dev,
                    "lvs",
                    &["-o", "seg_pe_ranges", &format!("VG/{}", name)],
                );
                let first = ranges
                    .rsplit_once(':')
                    .and_then(|(_, r)| r.split('-').next())
                    .and_then(|n| n.parse::<u64>().ok())
                    .unwrap_or_else(|| panic!("{}: unexpected segments {}", name, ranges));
                pe_start + first * extent
            })
            .collect()
    });
    let _ = Command::new("losetup").arg("-d").arg(&dev).status();
    result.unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// `lvm CMD ARGS` on the one device `dev` only, without device-mapper or backups; its
/// report, trimmed.
fn lvm(dev: &str, cmd: &str, args: &[&str]) -> String {
    let out = sh(Command::new("lvm")
        .arg(cmd)
        .args(["--devices", dev, "--driverloaded", "n"])
        .args(["--config", "backup{backup=0 archive=0}"])
        .args(if matches!(cmd, "pvs" | "vgs" | "lvs") {
            &["--noheadings", "--units", "b", "--nosuffix"][..]
        } else {
            &[][..]
        })
        .args(args)
        .env("LVM_SUPPRESS_FD_WARNINGS", "1")
        .stdin(Stdio::null()));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
