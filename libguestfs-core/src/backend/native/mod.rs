//! The native backend: images are read in-process, read-only, with no VM.

mod calls;
mod devices;
mod vfs;

use super::Backend;
use crate::block::luks::{LuksError, Volume as LuksVolume};
use crate::checksum::Checksummer;
use crate::drive::Drive;
use crate::error::{strerror, Error, Result};
use crate::fs::Filesystem;
use crate::types::*;
use devices::{no_table, Devices, NodeKind};
use guestfs_protocol::calls::*;
use guestfs_protocol::device_name::canonical_name;
use std::borrow::Cow;
use std::io::Write;
use std::sync::Arc;
use vfs::{check_path, prefix_path, Mount, MountTable};

/// MBR partition types of extended partitions, which hold no filesystem.
const MBR_EXTENDED: [u8; 3] = [0x05, 0x0f, 0x85];

/// GPT partition types that never hold a filesystem (LDM metadata/data, Microsoft reserved,
/// Windows shadow copies).
const GPT_NOT_FILESYSTEMS: [&str; 4] = [
    "5808C8AA-7E8F-42E0-85D2-E1E90434CFB3",
    "AF9B60A0-1431-4F62-BC68-3311714A69AD",
    "E3C9E316-0B5C-4DB8-817D-F92DF00215AE",
    "CADDEBF1-4400-4DE8-B103-12117DCF3CCF",
];

/// Mount options the native backend accepts: it is always read-only, so options that only
/// tune writing or caching are meaningless and harmless.
const ACCEPTED_MOUNT_OPTIONS: &[&str] = &[
    "ro",
    "rw",
    "noatime",
    "relatime",
    "nodiratime",
    "strictatime",
    "norecovery",
    "noload",
    "nodev",
    "nosuid",
    "noexec",
    "defaults",
    "sync",
    "async",
    "errors=continue",
    "errors=remount-ro",
    "user_xattr",
    "acl",
    "noacl",
    "data=ordered",
    "data=writeback",
    "data=journal",
    "nobarrier",
    "barrier",
    "discard",
    "nodiscard",
    "lazytime",
];

/// Options the kernel's btrfs accepts that only tune writing, allocation or caching:
/// harmless on a read-only reader (Fedora's and openSUSE's fstab carry several). Each is a
/// name, or a prefix ending in `=` for options with a value.
const BTRFS_HARMLESS_OPTIONS: &[&str] = &[
    "compress",
    "compress=",
    "compress-force",
    "compress-force=",
    "space_cache",
    "space_cache=",
    "nospace_cache",
    "clear_cache",
    "ssd",
    "ssd_spread",
    "nossd",
    "nossd_spread",
    "autodefrag",
    "noautodefrag",
    "commit=",
    "discard=",
    "datacow",
    "nodatacow",
    "datasum",
    "nodatasum",
    "flushoncommit",
    "noflushoncommit",
    "thread_pool=",
    "max_inline=",
    "treelog",
    "notreelog",
    "user_subvol_rm_allowed",
    "skip_balance",
    "usebackuproot",
    "rescan_uuid_tree",
    "enospc_debug",
    "noenospc_debug",
];

/// Whether `opt` is one of [`BTRFS_HARMLESS_OPTIONS`].
fn btrfs_harmless(opt: &str) -> bool {
    BTRFS_HARMLESS_OPTIONS
        .iter()
        .any(|h| match h.strip_suffix('=') {
            Some(name) => opt
                .strip_prefix(name)
                .is_some_and(|v| v.starts_with('=') && v.len() > 1),
            None => opt == *h,
        })
}

/// `btrfsvol:DEVICE/PATH` split as 1.48 does: after the first prefix of the path that names a
/// device (`/dev/sda1/root` → `/dev/sda1`, `root`; `/dev/VG/LV/home` → `/dev/VG/LV`, `home`).
pub(crate) fn split_btrfsvol<'a>(
    devices: &Devices,
    mountable: &'a str,
) -> Option<(&'a str, &'a str)> {
    let rest = mountable.strip_prefix("btrfsvol:")?;
    let names = rest.strip_prefix("/dev/")?;
    names.match_indices('/').find_map(|(i, _)| {
        let cut = "/dev/".len() + i;
        devices.find(&rest[..cut])?;
        Some((&rest[..cut], &rest[cut + 1..]))
    })
}

pub struct NativeBackend {
    devices: Devices,
    mounts: MountTable,
    /// Set when `auto` chose this backend: an opened volume holding what it cannot read
    /// then makes it hand over to the appliance (see [`Backend::hand_over`]).
    hands_over: bool,
    /// The encrypted volumes opened, for the appliance to open again on a hand-over.
    opened: Vec<crate::backend::OpenedVolume>,
}

impl NativeBackend {
    /// Opens every drive and scans partitions and LVM. Debug messages go to `log`.
    pub fn launch(drives: &[Drive], log: &mut dyn FnMut(String)) -> Result<NativeBackend> {
        let devices = Devices::open(drives, log)?;
        Ok(NativeBackend {
            devices,
            mounts: MountTable::default(),
            hands_over: false,
            opened: Vec::new(),
        })
    }

    /// `auto` chose this backend: it hands over to the appliance when an encrypted volume
    /// turns out to hold what it cannot read.
    pub fn hand_over_when_unsupported(&mut self) {
        self.hands_over = true;
    }

    /// True when every filesystem on the drives can be read natively; the `auto` backend uses
    /// the appliance otherwise.
    pub fn unsupported_content(&self) -> Vec<String> {
        let mut why = Vec::new();
        for node in &self.devices.nodes {
            if let Err(reason) = &node.device {
                why.push(format!("{}: {}", node.name, reason));
                continue;
            }
            let t = node.vfs_type();
            if t == "crypto_LUKS" {
                // What a LUKS volume holds is known only once a tool opens it with its key;
                // the backend hands over to the appliance then if need be (`hand_over`).
                // A volume it cannot open at all goes to the appliance now.
                if let Ok(Err(e @ LuksError::Unsupported(_))) =
                    node.device().map(|d| LuksVolume::read(d.as_ref()))
                {
                    why.push(format!("{}: {}", node.name, e));
                }
                continue;
            }
            if t == "linux_raid_member" {
                // Arrays are assembled natively (block::md); a member whose superblock the
                // reader could not use may belong to an array the appliance assembles.
                if let Some((_, r)) = self
                    .devices
                    .md_bad_members
                    .iter()
                    .find(|(n, _)| *n == node.name)
                {
                    why.push(format!("{}: md RAID member: {}", node.name, r));
                }
                continue;
            }
            if matches!(node.kind, NodeKind::Md { .. }) {
                let partitioned = node.device().ok().is_some_and(|d| {
                    crate::partition::read(d.as_ref(), 512).is_ok_and(|t| t.is_some())
                });
                if partitioned {
                    why.push(format!("{}: partitioned md array", node.name));
                    continue;
                }
            }
            if !t.is_empty()
                && !t.ends_with("_member")
                && t != "swap"
                && !crate::fs::is_supported(t)
            {
                why.push(format!("{}: {}", node.name, t));
            } else if let Some(r) = node.device().ok().and_then(|d| crate::fs::refusal(d, t)) {
                why.push(format!("{}: {}: {}", node.name, t, r));
            }
        }
        why
    }

    /// Mounts for `call` (the daemon names its argument checks after the call's stub).
    fn mount_fs(
        &mut self,
        call: &str,
        options: &str,
        vfstype: Option<&str>,
        mountable: &str,
        mountpoint: &str,
    ) -> Result<()> {
        // A btrfs subvolume is mounted as 1.48 does, with `subvol=` before the options.
        let (mountable, options) = match split_btrfsvol(&self.devices, mountable) {
            Some((device, volume)) => (
                device,
                if options.is_empty() {
                    format!("subvol={}", volume)
                } else {
                    format!("subvol={},{}", volume, options)
                },
            ),
            None => (mountable, options.to_string()),
        };
        let options = options.as_str();
        let node = self.devices.find(mountable).ok_or_else(|| {
            Error::new(
                libc::ENOENT,
                format!("{}_stub: {}: {}", call, mountable, strerror(libc::ENOENT)),
            )
        })?;
        let mount_failed = |what: &str| {
            Error::new(
                libc::EINVAL,
                format!(
                    "mount exited with status 32: mount: /sysroot{}: {}",
                    sysroot_suffix(mountpoint),
                    what
                ),
            )
        };
        let wrong_fs = || {
            mount_failed(&format!(
                "wrong fs type, bad option, bad superblock on {}, missing codepage or helper program, or other error.\n       dmesg(1) may have more information after failed mount system call.",
                node.name
            ))
        };
        let fs_type = node.vfs_type().to_string();
        let mut subvolume = crate::fs::btrfs::Selection::default();
        for opt in options.split(',').filter(|o| !o.is_empty()) {
            if fs_type == "btrfs" {
                if let Some(path) = opt.strip_prefix("subvol=") {
                    subvolume.path = Some(path.to_string());
                    continue;
                }
                if let Some(id) = opt.strip_prefix("subvolid=") {
                    subvolume.id = Some(id.parse().map_err(|_| wrong_fs())?);
                    continue;
                }
                if btrfs_harmless(opt) {
                    continue;
                }
            }
            if !ACCEPTED_MOUNT_OPTIONS.contains(&opt) {
                return Err(wrong_fs());
            }
        }
        // An empty device: every filesystem's superblock read fails with EIO, which mount(8)
        // words differently from a superblock it could read but not use.
        if fs_type.is_empty() && node.device().is_ok_and(|d| d.size() == 0) {
            return Err(mount_failed(&format!(
                "can't read superblock on {}.\n       dmesg(1) may have more information after failed mount system call.",
                node.name
            )));
        }
        if fs_type.is_empty()
            || fs_type.ends_with("_member")
            || fs_type == "swap"
            || fs_type == "crypto_LUKS"
        {
            return Err(wrong_fs());
        }
        if let Some(t) = vfstype {
            if !vfstype_matches(t, &fs_type) {
                return Err(wrong_fs());
            }
        }
        let mountpoint = if mountpoint == "/" {
            "/".to_string()
        } else {
            check_path(mountpoint)?;
            let loc = self
                .mounts
                .resolve(mountpoint, true)
                .map_err(|_| mount_failed("mount point does not exist."))?;
            if !self.mounts.stat(&loc)?.is_dir() {
                return Err(mount_failed("mount point is not a directory."));
            }
            loc.path
        };
        let opened = if fs_type == "btrfs" && subvolume != Default::default() {
            crate::fs::btrfs::BtrfsFs::open_subvolume(node.device()?.clone(), &subvolume)
                .map(|fs| Arc::new(fs) as Arc<dyn Filesystem>)
        } else {
            crate::fs::open(node.device()?.clone(), &fs_type)
        };
        let fs = opened.map_err(|e| match e.errno {
            libc::ENOTSUP => e,
            // A subvolume that is not there: mount(8) says what the kernel's ENOENT means.
            libc::ENOENT if fs_type == "btrfs" => mount_failed(
                "mount(2) system call failed: No such file or directory.\n       dmesg(1) may have more information after failed mount system call.",
            ),
            _ => wrong_fs(),
        })?;
        self.mounts
            .push(Mount::new(mountpoint, node.name.clone(), fs, node.devno));
        Ok(())
    }

    fn lstat_path(&self, path: &str) -> Result<StatNs> {
        let loc = self
            .mounts
            .resolve(path, false)
            .map_err(|e| prefix_path(e, path))?;
        self.mounts.stat(&loc)
    }

    /// The first device (in `blkid` order: disks, partitions, LVs) whose probe matches.
    fn findfs(
        &self,
        matches: impl Fn(&crate::fs::Probe) -> bool,
        tag: &str,
        value: &str,
    ) -> Result<String> {
        self.devices
            .nodes
            .iter()
            .find(|n| n.probe().is_some_and(&matches))
            .map(|n| n.name.clone())
            .ok_or_else(|| {
                Error::new(
                    libc::ENOENT,
                    format!("findfs: unable to resolve '{}={}'", tag, value),
                )
            })
    }

    fn lvm_vg(&self, vgname: &str) -> Result<&crate::lvm::VolumeGroup> {
        self.devices
            .lvm
            .vgs
            .iter()
            .find(|vg| vg.name == vgname)
            .ok_or_else(|| Error::new(libc::ENOENT, format!("{}: volume group not found", vgname)))
    }
}

/// The path after `/sysroot` in the appliance's mount messages.
fn sysroot_suffix(mountpoint: &str) -> &str {
    if mountpoint == "/" {
        ""
    } else {
        mountpoint
    }
}

/// Whether `mount -t REQUESTED` accepts a device blkid calls `found`.
fn vfstype_matches(requested: &str, found: &str) -> bool {
    match requested {
        // The kernel's ext4 driver mounts ext2 and ext3 too.
        "ext4" => matches!(found, "ext2" | "ext3" | "ext4"),
        "ext3" => matches!(found, "ext3" | "ext2"),
        "ntfs3" | "ntfs-3g" => found == "ntfs",
        "msdos" | "fat" => found == "vfat",
        other => other == found,
    }
}

impl Unimplemented for NativeBackend {
    fn unimplemented(&self, call: &'static str) -> Error {
        Error::new(
            libc::ENOTSUP,
            format!(
                "{} is not available in the native backend, which only reads images (use LIBGUESTFS_BACKEND=direct)",
                call
            ),
        )
    }
}

/// The daemon's argument checks, so that both backends refuse the same calls the same way.
impl ArgChecks for NativeBackend {
    fn need_root(&mut self, call: &str) -> Result<()> {
        if self.mounts.mounts().iter().any(|m| m.mountpoint == "/") {
            return Ok(());
        }
        Err(Error::new(
            libc::EINVAL,
            format!(
                "{}_stub: you must call 'mount' first to mount the root filesystem",
                call
            ),
        ))
    }

    fn dev_or_path<'a>(&mut self, call: &str, arg: &'a str) -> Result<Cow<'a, str>> {
        if arg.starts_with("/dev/") && self.devices.find(arg).is_some() {
            return Ok(Cow::Borrowed(arg));
        }
        self.pathname(call, arg)?;
        self.need_root(call)?;
        Ok(Cow::Borrowed(arg))
    }
}

impl Backend for NativeBackend {
    fn name(&self) -> &str {
        "native"
    }

    fn hand_over(&self) -> Option<crate::backend::HandOver> {
        if !self.hands_over || !self.mounts.mounts().is_empty() {
            return None;
        }
        let reasons = self.unsupported_content();
        (!reasons.is_empty()).then(|| crate::backend::HandOver {
            reasons,
            opened: self.opened.clone(),
        })
    }

    fn shutdown(&mut self) -> Result<()> {
        self.mounts.clear();
        Ok(())
    }
}

/// Streams a byte range of a block device.
fn copy_device(
    dev: &dyn crate::block::BlockDevice,
    offset: u64,
    len: u64,
    out: &mut dyn Write,
) -> Result<()> {
    let mut buf = vec![0u8; 1 << 20];
    let mut done = 0u64;
    while done < len {
        let n = (len - done).min(buf.len() as u64) as usize;
        dev.read_exact_at(&mut buf[..n], offset + done)?;
        out.write_all(&buf[..n])?;
        done += n as u64;
    }
    Ok(())
}
