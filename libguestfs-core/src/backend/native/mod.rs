//! The native backend: images are read in-process, read-only, with no VM.

mod devices;
mod vfs;

pub use devices::{canonical_name, drive_index, drive_letters, natural_cmp};

use super::Backend;
use crate::checksum::Checksummer;
use crate::error::{strerror, Error, Result};
use crate::fs::Filesystem;
use crate::handle::Drive;
use crate::types::*;
use devices::{no_table, Devices, NodeKind};
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

pub struct NativeBackend {
    devices: Devices,
    mounts: MountTable,
}

impl NativeBackend {
    /// Opens every drive and scans partitions and LVM. Debug messages go to `log`.
    pub fn launch(drives: &[Drive], log: &mut dyn FnMut(String)) -> Result<NativeBackend> {
        let devices = Devices::open(drives, log)?;
        Ok(NativeBackend {
            devices,
            mounts: MountTable::default(),
        })
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
            if !t.is_empty()
                && !t.ends_with("_member")
                && t != "swap"
                && !crate::fs::is_supported(t)
            {
                why.push(format!("{}: {}", node.name, t));
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
        for opt in options.split(',').filter(|o| !o.is_empty()) {
            if !ACCEPTED_MOUNT_OPTIONS.contains(&opt) {
                return Err(wrong_fs());
            }
        }
        let fs_type = node.vfs_type().to_string();
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
        let fs: Arc<dyn Filesystem> =
            crate::fs::open(node.device()?.clone(), &fs_type).map_err(|e| {
                if e.errno == libc::ENOTSUP {
                    e
                } else {
                    wrong_fs()
                }
            })?;
        self.mounts.mounts.push(Mount {
            mountpoint,
            device: node.name.clone(),
            fs,
            devno: node.devno,
        });
        Ok(())
    }

    fn lstat_path(&self, path: &str) -> Result<Stat> {
        let loc = self
            .mounts
            .resolve(path, false)
            .map_err(|e| prefix_path(e, path))?;
        self.mounts.stat(&loc)
    }

    /// The daemon's checks on a Pathname argument, worded with the call's stub name: it must
    /// be absolute, and a root filesystem must be mounted.
    fn pathname(&self, stub: &str, path: &str) -> Result<()> {
        if !path.starts_with('/') {
            return Err(Error::new(
                libc::EINVAL,
                format!("{}_stub: path must start with a / character", stub),
            ));
        }
        if !self.mounts.mounts.iter().any(|m| m.mountpoint == "/") {
            return Err(Error::new(
                libc::EINVAL,
                format!(
                    "{}_stub: you must call 'mount' first to mount the root filesystem",
                    stub
                ),
            ));
        }
        Ok(())
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

/// Removes "/" duplicates: the daemon passes paths to the kernel, which ignores them.
fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{}{}", dir, name)
    } else {
        format!("{}/{}", dir, name)
    }
}

impl Backend for NativeBackend {
    fn name(&self) -> &str {
        "native"
    }

    fn shutdown(&mut self) -> Result<()> {
        self.mounts.mounts.clear();
        Ok(())
    }

    fn list_devices(&mut self) -> Result<Vec<String>> {
        Ok(self.devices.disks().map(|n| n.name.clone()).collect())
    }

    fn list_partitions(&mut self) -> Result<Vec<String>> {
        Ok(self.devices.partitions().map(|n| n.name.clone()).collect())
    }

    fn list_filesystems(&mut self) -> Result<Vec<(String, String)>> {
        let mut candidates = Vec::new();
        for node in &self.devices.nodes {
            match &node.kind {
                NodeKind::Disk { table: Some(_), .. } => continue,
                NodeKind::Disk { table: None, .. } | NodeKind::LogicalVolume { .. } => {}
                NodeKind::Partition { entry, .. } => {
                    if entry.is_extended
                        || entry.mbr_id.is_some_and(|id| MBR_EXTENDED.contains(&id))
                    {
                        continue;
                    }
                    if entry
                        .gpt_type
                        .as_deref()
                        .is_some_and(|t| GPT_NOT_FILESYSTEMS.contains(&t))
                    {
                        continue;
                    }
                }
            }
            candidates.push(node);
        }
        // Order: whole devices, partitions, then LVs sorted by name.
        let mut out = Vec::new();
        let mut lvs = Vec::new();
        for node in candidates {
            let t = node.vfs_type();
            if t.ends_with("_member") || t == "crypto_LUKS" || t == "BitLocker" {
                continue;
            }
            let t = if t.is_empty() {
                "unknown".to_string()
            } else {
                t.to_string()
            };
            if matches!(node.kind, NodeKind::LogicalVolume { .. }) {
                lvs.push((node.name.clone(), t));
            } else {
                out.push((node.name.clone(), t));
            }
        }
        lvs.sort();
        out.extend(lvs);
        Ok(out)
    }

    fn list_md_devices(&mut self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }

    fn vfs_type(&mut self, mountable: &str) -> Result<String> {
        Ok(self.devices.get(mountable)?.vfs_type().to_string())
    }

    fn vfs_label(&mut self, mountable: &str) -> Result<String> {
        Ok(self
            .devices
            .get(mountable)?
            .probe()
            .map(|p| p.label.clone())
            .unwrap_or_default())
    }

    fn vfs_uuid(&mut self, mountable: &str) -> Result<String> {
        Ok(self
            .devices
            .get(mountable)?
            .probe()
            .map(|p| p.uuid.clone())
            .unwrap_or_default())
    }

    fn blockdev_getsize64(&mut self, device: &str) -> Result<i64> {
        let node = self.devices.get(device)?;
        Ok(node.device()?.size() as i64)
    }

    fn blockdev_getss(&mut self, device: &str) -> Result<i32> {
        let node = self.devices.get(device)?;
        let disk = match &node.kind {
            NodeKind::Partition { disk, .. } => &self.devices.nodes[*disk],
            _ => node,
        };
        Ok(match &disk.kind {
            NodeKind::Disk { sector_size, .. } => *sector_size as i32,
            _ => 512,
        })
    }

    fn part_list(&mut self, device: &str) -> Result<Vec<Partition>> {
        let table = self
            .devices
            .table(device)?
            .ok_or_else(|| no_table(device))?;
        Ok(table
            .partitions
            .iter()
            .map(|p| Partition {
                part_num: p.number as i32,
                part_start: p.start as i64,
                part_end: (p.start + p.size) as i64 - 1,
                part_size: p.size as i64,
            })
            .collect())
    }

    fn part_get_parttype(&mut self, device: &str) -> Result<String> {
        let table = self
            .devices
            .table(device)?
            .ok_or_else(|| no_table(device))?;
        Ok(table.table_type.name().to_string())
    }

    fn part_get_mbr_id(&mut self, device: &str, partnum: i32) -> Result<i32> {
        let entry = self.devices.partition(device, partnum)?;
        entry.mbr_id.map(i32::from).ok_or_else(|| {
            Error::new(
                libc::EINVAL,
                "part_get_mbr_id can only be used on MBR partition tables",
            )
        })
    }

    fn part_get_gpt_type(&mut self, device: &str, partnum: i32) -> Result<String> {
        let entry = self.devices.partition(device, partnum)?;
        entry.gpt_type.clone().ok_or_else(|| {
            Error::new(
                libc::EINVAL,
                "part_get_gpt_type can only be used on GPT partition tables",
            )
        })
    }

    fn part_get_gpt_guid(&mut self, device: &str, partnum: i32) -> Result<String> {
        let entry = self.devices.partition(device, partnum)?;
        entry.gpt_guid.clone().ok_or_else(|| {
            Error::new(
                libc::EINVAL,
                "part_get_gpt_guid can only be used on GPT partition tables",
            )
        })
    }

    fn part_to_dev(&mut self, partition: &str) -> Result<String> {
        let node = self.devices.get(partition)?;
        match &node.kind {
            NodeKind::Partition { disk, .. } => Ok(self.devices.nodes[*disk].name.clone()),
            _ => Err(Error::new(
                libc::EINVAL,
                format!("device name is not a partition: {}", partition),
            )),
        }
    }

    fn part_to_partnum(&mut self, partition: &str) -> Result<i32> {
        let node = self.devices.get(partition)?;
        match &node.kind {
            NodeKind::Partition { entry, .. } => Ok(entry.number as i32),
            _ => Err(Error::new(
                libc::EINVAL,
                format!("device name is not a partition: {}", partition),
            )),
        }
    }

    /// The native backend never writes: a plain mount is a read-only one, and writing calls
    /// are refused.
    fn mount(&mut self, mountable: &str, mountpoint: &str) -> Result<()> {
        self.mount_fs("mount", "", None, mountable, mountpoint)
    }

    fn mount_ro(&mut self, mountable: &str, mountpoint: &str) -> Result<()> {
        self.mount_fs("mount_ro", "ro", None, mountable, mountpoint)
    }

    fn mount_options(&mut self, options: &str, mountable: &str, mountpoint: &str) -> Result<()> {
        self.mount_fs("mount_options", options, None, mountable, mountpoint)
    }

    fn mount_vfs(
        &mut self,
        options: &str,
        vfstype: &str,
        mountable: &str,
        mountpoint: &str,
    ) -> Result<()> {
        self.mount_fs("mount_vfs", options, Some(vfstype), mountable, mountpoint)
    }

    fn umount(&mut self, pathordevice: &str) -> Result<()> {
        let canonical = canonical_name(pathordevice);
        let idx = self
            .mounts
            .mounts
            .iter()
            .rposition(|m| m.mountpoint == pathordevice || m.device == canonical)
            .ok_or_else(|| {
                Error::new(
                    libc::EINVAL,
                    format!("umount: {}: not mounted.", pathordevice),
                )
            })?;
        let mp = self.mounts.mounts[idx].mountpoint.clone();
        let prefix = if mp == "/" {
            "/".to_string()
        } else {
            format!("{}/", mp)
        };
        if self
            .mounts
            .mounts
            .iter()
            .skip(idx + 1)
            .any(|m| m.mountpoint.starts_with(&prefix))
        {
            return Err(Error::new(
                libc::EBUSY,
                format!("umount: /sysroot{}: target is busy.", sysroot_suffix(&mp)),
            ));
        }
        self.mounts.mounts.remove(idx);
        Ok(())
    }

    fn umount_all(&mut self) -> Result<()> {
        self.mounts.mounts.clear();
        Ok(())
    }

    fn mounts(&mut self) -> Result<Vec<String>> {
        Ok(self
            .mounts
            .mounts
            .iter()
            .map(|m| m.device.clone())
            .collect())
    }

    fn mountpoints(&mut self) -> Result<Vec<(String, String)>> {
        Ok(self
            .mounts
            .mounts
            .iter()
            .map(|m| (m.device.clone(), m.mountpoint.clone()))
            .collect())
    }

    fn ls(&mut self, directory: &str) -> Result<Vec<String>> {
        self.pathname("ls0", directory)?;
        let loc = self
            .mounts
            .resolve_dir(directory)
            .map_err(|e| e.context("opendir"))?;
        let mut names: Vec<String> = self
            .mounts
            .read_dir(&loc)?
            .into_iter()
            .map(|e| e.name)
            .collect();
        names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        Ok(names)
    }

    fn readdir(&mut self, dir: &str) -> Result<Vec<Dirent>> {
        self.pathname("readdir", dir)?;
        let loc = self
            .mounts
            .resolve_dir(dir)
            .map_err(|e| e.context("opendir"))?;
        let parent = if loc.path == "/" {
            loc.clone()
        } else {
            let parent_path = loc
                .path
                .rsplit_once('/')
                .map(|(p, _)| if p.is_empty() { "/" } else { p })
                .unwrap_or("/");
            self.mounts.resolve(parent_path, true)?
        };
        let mut out = vec![
            Dirent {
                ino: loc.ino as i64,
                ftyp: 'd',
                name: ".".into(),
            },
            Dirent {
                ino: parent.ino as i64,
                ftyp: 'd',
                name: "..".into(),
            },
        ];
        for e in self.mounts.read_dir(&loc)? {
            out.push(Dirent {
                ino: e.ino as i64,
                ftyp: e.file_type.ftyp(),
                name: e.name,
            });
        }
        Ok(out)
    }

    fn statns(&mut self, path: &str) -> Result<Stat> {
        self.pathname("statns", path)?;
        let loc = self
            .mounts
            .resolve(path, true)
            .map_err(|e| prefix_path(e, path))?;
        self.mounts.stat(&loc)
    }

    fn lstatns(&mut self, path: &str) -> Result<Stat> {
        self.pathname("lstatns", path)?;
        self.lstat_path(path)
    }

    fn lstatnslist(&mut self, path: &str, names: &[String]) -> Result<Vec<Stat>> {
        self.pathname("internal_lstatnslist", path)?;
        Ok(names
            .iter()
            .map(|n| {
                self.lstat_path(&join(path, n)).unwrap_or(Stat {
                    st_ino: -1,
                    ..Default::default()
                })
            })
            .collect())
    }

    fn readlink(&mut self, path: &str) -> Result<String> {
        self.pathname("readlink", path)?;
        let loc = self
            .mounts
            .resolve(path, false)
            .map_err(|e| prefix_path(e, path))?;
        self.mounts
            .fs(&loc)
            .read_link(loc.ino)
            .map_err(|e| prefix_path(e, path))
    }

    fn lgetxattrs(&mut self, path: &str) -> Result<Vec<(String, Vec<u8>)>> {
        self.pathname("lgetxattrs", path)?;
        let loc = self
            .mounts
            .resolve(path, false)
            .map_err(|e| prefix_path(e, path))?;
        self.mounts
            .fs(&loc)
            .xattrs(loc.ino)
            .map_err(|e| prefix_path(e, path))
    }

    fn readlinklist(&mut self, path: &str, names: &[String]) -> Result<Vec<String>> {
        self.pathname("internal_readlinklist", path)?;
        Ok(names
            .iter()
            .map(|n| self.readlink(&join(path, n)).unwrap_or_default())
            .collect())
    }

    fn read_file(&mut self, path: &str) -> Result<Vec<u8>> {
        self.pathname("read_file", path)?;
        self.mounts.read_file(path)
    }

    fn download(&mut self, remotefilename: &str, out: &mut dyn Write) -> Result<()> {
        if remotefilename.starts_with("/dev/") {
            if let Some(node) = self.devices.find(remotefilename) {
                let dev = node.device()?.clone();
                return copy_device(dev.as_ref(), 0, dev.size(), out);
            }
        }
        self.pathname("download", remotefilename)?;
        self.mounts.copy_file(remotefilename, out).map(|_| ())
    }

    fn download_offset(
        &mut self,
        remotefilename: &str,
        offset: i64,
        size: i64,
        out: &mut dyn Write,
    ) -> Result<()> {
        if offset < 0 || size < 0 {
            return Err(Error::new(
                libc::EINVAL,
                "offset and size must be non-negative",
            ));
        }
        if remotefilename.starts_with("/dev/") {
            if let Some(node) = self.devices.find(remotefilename) {
                let dev = node.device()?.clone();
                let end = (offset as u64).saturating_add(size as u64).min(dev.size());
                return copy_device(
                    dev.as_ref(),
                    offset as u64,
                    end.saturating_sub(offset as u64),
                    out,
                );
            }
        }
        let loc = self
            .mounts
            .resolve(remotefilename, true)
            .map_err(|e| prefix_path(e, remotefilename))?;
        if self.mounts.stat(&loc)?.is_dir() {
            return Err(Error::path(libc::EISDIR, remotefilename));
        }
        self.mounts
            .copy_range(&loc, offset as u64, size as u64, out)
            .map(|_| ())
    }

    fn pread(&mut self, path: &str, count: i32, offset: i64) -> Result<Vec<u8>> {
        self.pathname("pread", path)?;
        let (count, offset) = crate::protocol::pread_args(count, offset)?;
        let loc = self
            .mounts
            .resolve(path, true)
            .map_err(|e| prefix_path(e, path))?;
        if self.mounts.stat(&loc)?.is_dir() {
            return Err(Error::path(libc::EISDIR, path));
        }
        let mut out = Vec::new();
        self.mounts.copy_range(&loc, offset, count, &mut out)?;
        Ok(out)
    }

    fn pread_device(&mut self, device: &str, count: i32, offset: i64) -> Result<Vec<u8>> {
        let (count, offset) = crate::protocol::pread_args(count, offset)?;
        let dev = self.devices.get(device)?.device()?.clone();
        let end = offset.saturating_add(count).min(dev.size());
        let mut out = Vec::new();
        copy_device(dev.as_ref(), offset, end.saturating_sub(offset), &mut out)?;
        Ok(out)
    }

    fn findfs_uuid(&mut self, uuid: &str) -> Result<String> {
        self.findfs(|p| p.uuid == uuid, "UUID", uuid)
    }

    fn findfs_label(&mut self, label: &str) -> Result<String> {
        self.findfs(|p| p.label == label, "LABEL", label)
    }

    fn find(&mut self, directory: &str) -> Result<Vec<String>> {
        self.pathname("find0", directory)?;
        let loc = self.mounts.resolve_dir(directory)?;
        // The daemon runs `find /sysroot/DIR` and cuts `/sysroot/DIR` off each result, so the
        // names keep a leading `/` unless DIR ended with one (libguestfs 1.48's behaviour).
        let prefix = if directory.ends_with('/') { "" } else { "/" };
        let mut out = Vec::new();
        self.mounts.walk(&loc, |rel, _, _| {
            out.push(format!("{}{}", prefix, rel));
            Ok(())
        })?;
        out.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        Ok(out)
    }

    fn is_file(&mut self, path: &str, followsymlinks: bool) -> Result<bool> {
        self.pathname("is_file", path)?;
        Ok(self
            .mounts
            .resolve(path, followsymlinks)
            .and_then(|l| self.mounts.stat(&l))
            .is_ok_and(|s| s.is_reg()))
    }

    fn is_dir(&mut self, path: &str, followsymlinks: bool) -> Result<bool> {
        self.pathname("is_dir", path)?;
        Ok(self
            .mounts
            .resolve(path, followsymlinks)
            .and_then(|l| self.mounts.stat(&l))
            .is_ok_and(|s| s.is_dir()))
    }

    fn is_symlink(&mut self, path: &str) -> Result<bool> {
        self.pathname("is_symlink", path)?;
        Ok(self
            .mounts
            .resolve(path, false)
            .and_then(|l| self.mounts.stat(&l))
            .is_ok_and(|s| s.is_symlink()))
    }

    fn exists(&mut self, path: &str) -> Result<bool> {
        self.pathname("exists", path)?;
        Ok(self.mounts.resolve(path, true).is_ok())
    }

    fn statvfs(&mut self, path: &str) -> Result<StatVfs> {
        self.pathname("statvfs", path)?;
        let loc = self
            .mounts
            .resolve(path, true)
            .map_err(|e| prefix_path(e, path))?;
        self.mounts.fs(&loc).statvfs()
    }

    fn realpath(&mut self, path: &str) -> Result<String> {
        self.pathname("realpath", path)?;
        let loc = self
            .mounts
            .resolve(path, true)
            .map_err(|e| prefix_path(e, path))?;
        Ok(loc.path)
    }

    fn case_sensitive_path(&mut self, path: &str) -> Result<String> {
        self.pathname("case_sensitive_path", path)?;
        let mut loc = self.mounts.resolve("/", true)?;
        let parts: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        let mut out = String::new();
        for (i, part) in parts.iter().enumerate() {
            if *part == "." || *part == ".." {
                return Err(Error::new(
                    libc::EINVAL,
                    format!("{}: path must not contain . or .. elements", path),
                ));
            }
            let entries = match self.mounts.stat(&loc) {
                Ok(st) if st.is_dir() => self.mounts.read_dir(&loc)?,
                _ => Vec::new(),
            };
            let found = entries
                .iter()
                .find(|e| e.name == *part)
                .or_else(|| entries.iter().find(|e| e.name.eq_ignore_ascii_case(part)));
            match found {
                Some(e) => {
                    out.push('/');
                    out.push_str(&e.name);
                    loc = self.mounts.child(&loc, &e.name, e.ino);
                }
                // Only the last element may be missing: it is kept as given, so the path can be
                // created.
                None if i + 1 == parts.len() => {
                    out.push('/');
                    out.push_str(part);
                    return Ok(out);
                }
                None => return Err(Error::path(libc::ENOENT, path)),
            }
        }
        if out.is_empty() {
            out.push('/');
        }
        Ok(out)
    }

    fn checksum(&mut self, csumtype: &str, path: &str) -> Result<String> {
        self.pathname("checksum", path)?;
        let mut sum = Checksummer::new(csumtype)?;
        struct Sink<'a>(&'a mut Checksummer);
        impl Write for Sink<'_> {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.update(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        self.download(path, &mut Sink(&mut sum))?;
        Ok(sum.finish())
    }

    fn cryptsetup_open(&mut self, device: &str, _key: &str, _mapname: &str) -> Result<()> {
        let _ = self.devices.get(device)?;
        Err(Error::new(
            libc::ENOTSUP,
            format!("{}: encrypted devices are opened by the appliance backend (LIBGUESTFS_BACKEND=direct)", device),
        ))
    }

    /// The native backend assembles LVM when it launches; there is nothing to rescan.
    fn lvm_scan(&mut self, _activate: bool) -> Result<()> {
        Ok(())
    }

    fn pvs(&mut self) -> Result<Vec<String>> {
        // Like `lvm pvs`: every PV, including those in no volume group.
        Ok(self
            .devices
            .lvm
            .pvs_full()
            .into_iter()
            .map(|pv| pv.pv_name)
            .collect())
    }

    fn vgs(&mut self) -> Result<Vec<String>> {
        Ok(self
            .devices
            .lvm
            .vgs
            .iter()
            .map(|vg| vg.name.clone())
            .collect())
    }

    fn lvs(&mut self) -> Result<Vec<String>> {
        let mut lvs: Vec<String> = self
            .devices
            .logical_volumes()
            .map(|n| n.name.clone())
            .collect();
        lvs.sort();
        Ok(lvs)
    }

    fn pvs_full(&mut self) -> Result<Vec<LvmPv>> {
        Ok(self.devices.lvm.pvs_full())
    }

    fn vgs_full(&mut self) -> Result<Vec<LvmVg>> {
        Ok(self.devices.lvm.vgs_full())
    }

    fn lvs_full(&mut self) -> Result<Vec<LvmLv>> {
        Ok(self.devices.lvm.lvs_full())
    }

    fn lvuuid(&mut self, device: &str) -> Result<String> {
        let node = self.devices.get(device)?;
        if let NodeKind::LogicalVolume { vg, lv } = &node.kind {
            let vg = self.lvm_vg(vg)?;
            if let Some(l) = vg.lvs.iter().find(|l| &l.name == lv) {
                return Ok(l.uuid.clone());
            }
        }
        Err(Error::new(
            libc::EINVAL,
            format!("{}: not a logical volume", device),
        ))
    }

    fn pvuuid(&mut self, device: &str) -> Result<String> {
        let canonical = canonical_name(device);
        self.devices
            .lvm
            .vgs
            .iter()
            .flat_map(|vg| vg.pvs.iter())
            .find(|pv| pv.device == canonical)
            .map(|pv| pv.uuid.replace('-', ""))
            .ok_or_else(|| Error::new(libc::EINVAL, format!("{}: not a physical volume", device)))
    }

    fn vguuid(&mut self, vgname: &str) -> Result<String> {
        Ok(self.lvm_vg(vgname)?.uuid.replace('-', ""))
    }

    fn vglvuuids(&mut self, vgname: &str) -> Result<Vec<String>> {
        Ok(self
            .lvm_vg(vgname)?
            .lvs
            .iter()
            .map(|l| l.uuid.replace('-', ""))
            .collect())
    }

    fn vgpvuuids(&mut self, vgname: &str) -> Result<Vec<String>> {
        Ok(self
            .lvm_vg(vgname)?
            .pvs
            .iter()
            .map(|p| p.uuid.replace('-', ""))
            .collect())
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
