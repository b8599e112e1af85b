//! Filesystems: listing and probing (blkid), mounting, unmounting, statvfs, mkfs, and the
//! `Filesystems` family's entry points into the per-type files (ext, swap, xfs, ntfs, …).

use super::{bootloaders, ext, free_space, ntfs, swap, xfs};
use crate::daemon::Daemon;
use crate::devices::{disks, from_kernel, is_device_parameter, kernel_partitions, split_btrfsvol};
use crate::sys::{self, command_ok, cstr, perror, run, Chroot};
use guestfs_protocol::calls;
use guestfs_protocol::{
    E2fsckOpts, Error, FileIn, FstrimOpts, InternalMountable, IsoInfo, Mke2fsOpts, MkfsBtrfsOpts,
    MkfsOpts, MksquashfsOpts, MkswapOpts, Mount9pOpts, NtfscloneOutOpts, NtfsfixOpts,
    NtfsresizeOpts, RemountOpts, Result, StatVfs, SyslinuxOpts, Tune2fsOpts, UmountOpts,
    XfsAdminOpts, XfsGrowfsOpts, XfsInfo, XfsRepairOpts,
};
use std::collections::HashMap;

/// `blkid -c /dev/null -o export DEV…`: the tags of each device that has any.
pub fn blkid_all(devs: &[String]) -> HashMap<String, HashMap<String, String>> {
    let mut out = HashMap::new();
    if devs.is_empty() {
        return out;
    }
    let mut args = vec!["-c", "/dev/null", "-o", "export"];
    args.extend(devs.iter().map(String::as_str));
    let Ok(res) = run("blkid", &args) else {
        return out;
    };
    let mut cur: Option<(String, HashMap<String, String>)> = None;
    for line in res.stdout.lines() {
        if line.is_empty() {
            if let Some((d, t)) = cur.take() {
                out.insert(d, t);
            }
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            if k == "DEVNAME" {
                if let Some((d, t)) = cur.take() {
                    out.insert(d, t);
                }
                cur = Some((v.to_string(), HashMap::new()));
            } else if let Some((_, t)) = cur.as_mut() {
                t.insert(k.to_string(), unescape_export(v));
            }
        }
    }
    if let Some((d, t)) = cur.take() {
        out.insert(d, t);
    }
    out
}

/// `blkid -o export` escapes shell metacharacters with backslashes.
fn unescape_export(v: &str) -> String {
    let mut s = String::new();
    let mut esc = false;
    for c in v.chars() {
        if esc {
            s.push(c);
            esc = false;
        } else if c == '\\' {
            esc = true;
        } else {
            s.push(c);
        }
    }
    s
}

/// The device of a (translated) mountable: `btrfsvol:/dev/sdb1/vol` → `/dev/sdb1`.
pub fn mountable_device(m: &str) -> String {
    match m.strip_prefix("btrfsvol:") {
        Some(rest) => split_btrfsvol(rest, false)
            .map(|(d, _)| d)
            .unwrap_or_else(|| rest.to_string()),
        None => m.to_string(),
    }
}

/// blkid's value of one tag, "" when the device has none.
fn blkid_tag(mountable: &str, tag: &str) -> Result<String> {
    let dev = mountable_device(mountable);
    let out = run(
        "blkid",
        &["-c", "/dev/null", "-o", "value", "-s", tag, &dev],
    )?;
    match out.status {
        0 => Ok(out.stdout.trim_end_matches('\n').to_string()),
        // 2: the tag was not found.
        2 => Ok(String::new()),
        _ => Err(Error::msg(format!("blkid: {}", out.stderr.trim_end()))),
    }
}

/// blkid's TYPE of a device ("" when it has none).
pub fn blkid_type(device: &str) -> Result<String> {
    blkid_tag(device, "TYPE")
}

/// The device holding the filesystem whose TAG (UUID or LABEL) is `value`.
fn findfs(tag: &str, value: &str) -> Result<String> {
    let _ = disks();
    let spec = format!("{}={}", tag, value);
    let out = run("blkid", &["-c", "/dev/null", "-o", "device", "-t", &spec])?;
    let dev = out
        .stdout
        .lines()
        .next()
        .map(str::trim)
        .unwrap_or("")
        .to_string();
    if out.status != 0 || dev.is_empty() {
        // 1.48 runs findfs(8) and quotes its failure.
        return Err(Error::msg(format!(
            "findfs exited with status 1: findfs: unable to resolve '{}'",
            spec
        )));
    }
    Ok(canonical_device(&dev))
}

/// A kernel device path as libguestfs names it: device-mapper LVs as /dev/VG/LV, other
/// device-mapper devices (opened encrypted volumes) as /dev/mapper/NAME, anything else as it
/// is (disks are translated back by the caller).
fn canonical_device(dev: &str) -> String {
    use std::os::unix::fs::MetadataExt;
    let sys = if let Some(n) = dev.strip_prefix("/dev/dm-") {
        Some(format!("/sys/block/dm-{}", n))
    } else if dev.starts_with("/dev/mapper/") {
        std::fs::metadata(dev).ok().map(|m| {
            let rdev = m.rdev();
            format!("/sys/dev/block/{}:{}", libc::major(rdev), libc::minor(rdev))
        })
    } else {
        None
    };
    let Some(sys) = sys else {
        return dev.to_string();
    };
    let read = |attr: &str| {
        std::fs::read_to_string(format!("{}/dm/{}", sys, attr))
            .ok()
            .map(|s| s.trim().to_string())
    };
    let Some(name) = read("name") else {
        return dev.to_string();
    };
    // LVM names its devices VG-LV, with "--" escaping a "-" inside either name, and tags
    // them with an `LVM-` uuid.
    if read("uuid").is_some_and(|u| u.starts_with("LVM-")) {
        let b = name.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'-' {
                if b.get(i + 1) == Some(&b'-') {
                    i += 2;
                    continue;
                }
                let (vg, lv) = (&name[..i], &name[i + 1..]);
                if !vg.is_empty() && !lv.is_empty() {
                    return format!("/dev/{}/{}", vg.replace("--", "-"), lv.replace("--", "-"));
                }
            }
            i += 1;
        }
    }
    format!("/dev/mapper/{}", name)
}

/// MBR partition types of extended partitions.
const MBR_EXTENDED: [&str; 3] = ["5", "f", "85"];
/// GPT types that never hold a filesystem (LDM, Microsoft reserved, shadow copies).
const GPT_NOT_FILESYSTEMS: [&str; 4] = [
    "5808C8AA-7E8F-42E0-85D2-E1E90434CFB3",
    "AF9B60A0-1431-4F62-BC68-3311714A69AD",
    "E3C9E316-0B5C-4DB8-817D-F92DF00215AE",
    "CADDEBF1-4400-4DE8-B103-12117DCF3CCF",
];

fn list_filesystems() -> Result<Vec<(String, String)>> {
    // libguestfs's order: whole devices without partitions, device-mapper devices that are
    // not LVs (opened LUKS and BitLocker volumes), partitions, md arrays, LVs.
    let mut candidates: Vec<String> = Vec::new();
    let mut partitions: Vec<String> = Vec::new();
    for d in disks() {
        let parts = kernel_partitions(d);
        if parts.is_empty() {
            candidates.push(format!("/dev/{}", d));
            continue;
        }
        let table = super::partitions::sfdisk_dump(&format!("/dev/{}", d));
        for p in parts {
            let num: i32 = p[d.len()..].parse().unwrap_or(0);
            let ty = table
                .as_ref()
                .and_then(|t| t.parts.iter().find(|x| x.num == num))
                .map(|x| x.ptype.to_ascii_uppercase())
                .unwrap_or_default();
            let is_dos = table.as_ref().is_some_and(|t| t.label == "dos");
            if is_dos && MBR_EXTENDED.iter().any(|e| e.eq_ignore_ascii_case(&ty)) {
                continue;
            }
            if GPT_NOT_FILESYSTEMS.contains(&ty.as_str()) {
                continue;
            }
            partitions.push(format!("/dev/{}", p));
        }
    }
    candidates.extend(mapper_devices_not_lvs());
    candidates.extend(partitions);
    let mut tags = blkid_all(&candidates);
    let types: Vec<&str> = tags
        .values()
        .filter_map(|t| t.get("TYPE").map(String::as_str))
        .collect();
    let has_md = types.contains(&"linux_raid_member");
    let has_lvm = types.contains(&"LVM2_member") || has_md;
    let mut lvs = Vec::new();
    if has_md {
        let md = super::md::list_md_devices();
        let md_tags = blkid_all(&md);
        tags.extend(md_tags);
        candidates.extend(md);
    }
    if has_lvm {
        lvs = crate::lvm::lvs()?;
        let lv_tags = blkid_all(&lvs);
        tags.extend(lv_tags);
    }
    let mut out = Vec::new();
    for dev in candidates.iter().chain(lvs.iter()) {
        let t = tags
            .get(dev)
            .and_then(|t| t.get("TYPE"))
            .cloned()
            .unwrap_or_default();
        if t.ends_with("_member") || t == "crypto_LUKS" || t == "BitLocker" {
            continue;
        }
        let t = if t.is_empty() {
            "unknown".to_string()
        } else {
            t
        };
        let subvolumes = if t == "btrfs" {
            btrfs_subvolumes(dev)
        } else {
            Vec::new()
        };
        out.push((dev.clone(), t));
        // The whole device stands for the default subvolume; every other one follows it
        // (already in the library's names: results are only translated back when they are a
        // device name).
        let user = from_kernel(dev);
        for path in subvolumes {
            out.push((format!("btrfsvol:{}/{}", user, path), "btrfs".to_string()));
        }
    }
    Ok(out)
}

/// The paths of a btrfs filesystem's subvolumes except its default one, as
/// `btrfs subvolume list` prints them, from a private read-only mount of the device.
fn btrfs_subvolumes(device: &str) -> Vec<String> {
    let mnt = format!("/run/guestfsd-btrfs-{}", std::process::id());
    if std::fs::create_dir_all(&mnt).is_err() {
        return Vec::new();
    }
    crate::modules::load("btrfs");
    let mut out = Vec::new();
    if sys::mount(device, &mnt, "btrfs", libc::MS_RDONLY, "").is_ok() {
        let default_id = sys::run_ok("btrfs", &["subvolume", "get-default", &mnt])
            .ok()
            .and_then(|s| parse_subvolume_line(&s).map(|(id, _)| id));
        if let Ok(list) = sys::run_ok("btrfs", &["subvolume", "list", &mnt]) {
            out = list
                .lines()
                .filter_map(parse_subvolume_line)
                .filter(|(id, path)| Some(*id) != default_id && !path.is_empty())
                .map(|(_, path)| path)
                .collect();
        }
        if let Ok(c) = cstr(&mnt) {
            // SAFETY: c is a valid NUL-terminated path.
            unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
        }
    }
    let _ = std::fs::remove_dir(&mnt);
    out
}

/// `ID 256 gen 8 top level 5 path root` → (256, "root"); `ID 5 (FS_TREE)` → (5, "").
fn parse_subvolume_line(line: &str) -> Option<(u64, String)> {
    let rest = line.trim().strip_prefix("ID ")?;
    let id = rest.split_whitespace().next()?.parse().ok()?;
    let path = rest
        .split_once(" path ")
        .map(|(_, p)| p.to_string())
        .unwrap_or_default();
    Some((id, path))
}

/// `/dev/mapper/NAME` for every device-mapper device that is not an LVM LV and has no
/// partitions, sorted: opened encrypted volumes. LVM tags its devices with a `LVM-` uuid.
fn mapper_devices_not_lvs() -> Vec<String> {
    let Ok(rd) = std::fs::read_dir("/sys/block") else {
        return Vec::new();
    };
    let mut out: Vec<String> = rd
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("dm-"))
        .filter(|n| {
            let uuid = std::fs::read_to_string(format!("/sys/block/{}/dm/uuid", n));
            !uuid.is_ok_and(|u| u.starts_with("LVM-")) && kernel_partitions(n).is_empty()
        })
        .filter_map(|n| std::fs::read_to_string(format!("/sys/block/{}/dm/name", n)).ok())
        .map(|name| format!("/dev/mapper/{}", name.trim()))
        .collect();
    out.sort();
    out
}

fn mount(
    sysroot: &str,
    options: &str,
    vfstype: Option<&str>,
    mountable: &str,
    mountpoint: &str,
) -> Result<()> {
    let (device, subvol) = match mountable.strip_prefix("btrfsvol:") {
        Some(rest) => match split_btrfsvol(rest, false) {
            Some((d, v)) => (d, Some(v.to_string())),
            None => (rest.to_string(), None),
        },
        None => (mountable.to_string(), None),
    };
    let mp = if mountpoint == "/" {
        sysroot.to_string()
    } else {
        format!("{}{}", sysroot, mountpoint)
    };
    if !std::path::Path::new(&mp).is_dir() {
        return Err(Error::msg(format!(
            "mount: {}: mount point is not a directory",
            mountpoint
        )));
    }
    // 1.48 puts the subvolume before the caller's options.
    let opts = match (subvol, options) {
        (None, o) => o.to_string(),
        (Some(v), "") => format!("subvol={}", v),
        (Some(v), o) => format!("subvol={},{}", v, o),
    };
    let mut args: Vec<&str> = Vec::new();
    if !opts.is_empty() {
        args.extend(["-o", opts.as_str()]);
    }
    if let Some(t) = vfstype {
        args.extend(["-t", t]);
    }
    args.push(&device);
    args.push(&mp);
    let out = run("mount", &args)?;
    if out.status != 0 {
        return Err(Error::new(
            libc::EINVAL,
            format!(
                "mount exited with status {}: {}",
                out.status,
                out.stderr.trim_end()
            ),
        ));
    }
    Ok(())
}

/// (device, mountpoint) of the guest mounts in mount order, devices in kernel names except
/// LVs, which are named /dev/VG/LV (1.48, RHBZ#646432).
pub fn mounts(sysroot: &str) -> Vec<(String, String)> {
    if sysroot.is_empty() {
        return Vec::new();
    }
    sys::mount_table()
        .into_iter()
        .filter_map(|m| {
            let rel = if m.dir == sysroot {
                "/".to_string()
            } else {
                m.dir
                    .strip_prefix(sysroot)
                    .filter(|r| r.starts_with('/'))?
                    .to_string()
            };
            Some((canonical_device(&m.source), rel))
        })
        .collect()
}

/// Unmounts everything under the sysroot, deepest first.
pub fn umount_all(sysroot: &str) -> Result<()> {
    if sysroot.is_empty() {
        return Ok(());
    }
    let below = format!("{}/", sysroot);
    let mut mps: Vec<String> = sys::mount_table()
        .into_iter()
        .map(|m| m.dir)
        .filter(|m| m == sysroot || m.starts_with(&below))
        .collect();
    mps.reverse();
    for m in mps {
        let out = run("umount", &[&m])?;
        if out.status != 0 {
            return Err(Error::msg(format!(
                "umount: {}: {}",
                m,
                out.stderr.trim_end()
            )));
        }
    }
    Ok(())
}

impl calls::Filesystems for Daemon {
    fn list_filesystems(&mut self) -> Result<Vec<(String, String)>> {
        list_filesystems()
    }

    fn vfs_type(&mut self, mountable: &str) -> Result<String> {
        blkid_tag(mountable, "TYPE")
    }

    fn vfs_label(&mut self, mountable: &str) -> Result<String> {
        blkid_tag(mountable, "LABEL")
    }

    fn vfs_uuid(&mut self, mountable: &str) -> Result<String> {
        blkid_tag(mountable, "UUID")
    }

    fn findfs_uuid(&mut self, uuid: &str) -> Result<String> {
        findfs("UUID", uuid)
    }

    fn findfs_label(&mut self, label: &str) -> Result<String> {
        findfs("LABEL", label)
    }

    fn mount(&mut self, mountable: &str, mountpoint: &str) -> Result<()> {
        mount(&self.sysroot, "", None, mountable, mountpoint)
    }

    fn mount_ro(&mut self, mountable: &str, mountpoint: &str) -> Result<()> {
        mount(&self.sysroot, "ro", None, mountable, mountpoint)
    }

    fn mount_options(&mut self, options: &str, mountable: &str, mountpoint: &str) -> Result<()> {
        mount(&self.sysroot, options, None, mountable, mountpoint)
    }

    fn mount_vfs(
        &mut self,
        options: &str,
        vfstype: &str,
        mountable: &str,
        mountpoint: &str,
    ) -> Result<()> {
        mount(&self.sysroot, options, Some(vfstype), mountable, mountpoint)
    }

    fn umount(&mut self, pathordevice: &str, opts: &UmountOpts) -> Result<()> {
        let target = if is_device_parameter(pathordevice) {
            pathordevice.to_string()
        } else {
            self.sysroot_path(pathordevice)
        };
        let mut args = Vec::new();
        if opts.force == Some(true) {
            args.push("-f");
        }
        if opts.lazyunmount == Some(true) {
            args.push("-l");
        }
        args.push(&target);
        command_ok("umount", &args, false, pathordevice).map(|_| ())
    }

    fn umount_all(&mut self) -> Result<()> {
        umount_all(&self.sysroot)
    }

    fn mounts(&mut self) -> Result<Vec<String>> {
        Ok(mounts(&self.sysroot).into_iter().map(|(d, _)| d).collect())
    }

    fn mountpoints(&mut self) -> Result<Vec<(String, String)>> {
        Ok(mounts(&self.sysroot))
    }

    fn statvfs(&mut self, path: &str) -> Result<StatVfs> {
        let _c = Chroot::enter(&self.sysroot)?;
        let c = cstr(path)?;
        // SAFETY: st is written by the call.
        let mut st: libc::statvfs64 = unsafe { std::mem::zeroed() };
        if unsafe { libc::statvfs64(c.as_ptr(), &mut st) } == -1 {
            return Err(perror(path));
        }
        Ok(StatVfs {
            bsize: st.f_bsize as i64,
            frsize: st.f_frsize as i64,
            blocks: st.f_blocks as i64,
            bfree: st.f_bfree as i64,
            bavail: st.f_bavail as i64,
            files: st.f_files as i64,
            ffree: st.f_ffree as i64,
            favail: st.f_favail as i64,
            fsid: st.f_fsid as i64,
            flag: st.f_flag as i64,
            namemax: st.f_namemax as i64,
        })
    }

    fn mkfs(&mut self, fstype: &str, device: &str, opts: &MkfsOpts) -> Result<()> {
        crate::mkfs::mkfs(fstype, device, opts)
    }

    fn mkfs_b(&mut self, fstype: &str, blocksize: i32, device: &str) -> Result<()> {
        let opts = MkfsOpts {
            blocksize: Some(blocksize),
            ..Default::default()
        };
        crate::mkfs::mkfs(fstype, device, &opts)
    }

    fn mkfs_btrfs(&mut self, devices: &[String], opts: &MkfsBtrfsOpts) -> Result<()> {
        crate::mkfs::mkfs_btrfs(devices, opts)
    }

    fn mksquashfs(
        &mut self,
        path: &str,
        filename: &mut dyn std::io::Write,
        opts: &MksquashfsOpts,
    ) -> Result<()> {
        crate::mkfs::mksquashfs(path, &self.sysroot_path(path), opts, filename)
    }

    fn df(&mut self) -> Result<String> {
        command_ok("df", &[], false, "")
    }

    fn df_h(&mut self) -> Result<String> {
        command_ok("df", &["-h"], false, "")
    }

    fn fsck(&mut self, fstype: &str, device: &str) -> Result<i32> {
        let done = sys::command_r("fsck", &["-a", "-t", fstype, device], false)?;
        done.status
            .ok_or_else(|| Error::msg(format!("{}: {}", device, done.stderr)))
    }

    fn internal_parse_mountable(&mut self, mountable: &str) -> Result<InternalMountable> {
        // 1.48's mountable types: 0 a device, 1 a btrfs subvolume.
        Ok(match mountable.strip_prefix("btrfsvol:") {
            Some(rest) => {
                let (device, volume) = split_btrfsvol(rest, false)
                    .map(|(d, v)| (d, v.to_string()))
                    .unwrap_or_else(|| (rest.to_string(), String::new()));
                InternalMountable {
                    im_type: 1,
                    im_device: from_kernel(&device),
                    im_volume: volume,
                }
            }
            None => InternalMountable {
                im_type: 0,
                im_device: from_kernel(mountable),
                im_volume: String::new(),
            },
        })
    }

    fn list_9p(&mut self) -> Result<Vec<String>> {
        Err(nine_p_removed())
    }

    fn mount_9p(&mut self, _tag: &str, _mountpoint: &str, _opts: &Mount9pOpts) -> Result<()> {
        Err(nine_p_removed())
    }

    fn mount_loop(&mut self, file: &str, mountpoint: &str) -> Result<()> {
        crate::modules::load("loop");
        let (f, mp) = (self.sysroot_path(file), self.sysroot_path(mountpoint));
        let prefix = format!("{} on {}", file, mountpoint);
        command_ok("mount", &["-o", "loop", &f, &mp], false, &prefix).map(|_| ())
    }

    fn remount(&mut self, mountpoint: &str, opts: &RemountOpts) -> Result<()> {
        // Only `rw` can change for now, but it must be given.
        let Some(rw) = opts.rw else {
            return Err(Error::msg("parameter 'rw' must be specified"));
        };
        let options = if rw { "remount,rw" } else { "remount,ro" };
        let mp = self.sysroot_path(mountpoint);
        let prefix = format!("{}: {}", mountpoint, options);
        command_ok("mount", &["-o", options, &mp], false, &prefix).map(|_| ())
    }

    fn mkmountpoint(&mut self, exemptpath: &str) -> Result<()> {
        let path = absolute_path("mkmountpoint", exemptpath)?;
        let _c = Chroot::enter(&self.sysroot)?;
        std::fs::DirBuilder::new()
            .create(path)
            .map_err(|e| sys::io_error(&e, path))
    }

    fn rmmountpoint(&mut self, exemptpath: &str) -> Result<()> {
        let path = absolute_path("rmmountpoint", exemptpath)?;
        let _c = Chroot::enter(&self.sysroot)?;
        std::fs::remove_dir(path).map_err(|e| sys::io_error(&e, path))
    }

    fn isoinfo(&mut self, isofile: &str) -> Result<IsoInfo> {
        super::iso::isoinfo(isofile, Some(&self.sysroot))
    }

    fn isoinfo_device(&mut self, device: &str) -> Result<IsoInfo> {
        super::iso::isoinfo(device, None)
    }

    fn vfs_minimum_size(&mut self, mountable: &str) -> Result<i64> {
        super::labels_uuids::vfs_minimum_size(&self.sysroot, mountable)
    }

    fn set_label(&mut self, mountable: &str, label: &str) -> Result<()> {
        super::labels_uuids::set_label(mountable, label)
    }

    fn set_uuid(&mut self, device: &str, uuid: &str) -> Result<()> {
        super::labels_uuids::set_uuid(device, uuid)
    }

    fn set_uuid_random(&mut self, device: &str) -> Result<()> {
        super::labels_uuids::set_uuid_random(device)
    }

    // ext2/3/4
    fn tune2fs_l(&mut self, device: &str) -> Result<Vec<(String, String)>> {
        ext::tune2fs_l(device)
    }

    fn tune2fs(&mut self, device: &str, opts: &Tune2fsOpts) -> Result<()> {
        ext::tune2fs(device, opts)
    }

    fn e2fsck(&mut self, device: &str, opts: &E2fsckOpts) -> Result<()> {
        ext::e2fsck(device, opts)
    }

    fn e2fsck_f(&mut self, device: &str) -> Result<()> {
        let opts = E2fsckOpts {
            correct: Some(true),
            ..Default::default()
        };
        ext::e2fsck(device, &opts)
    }

    fn resize2fs(&mut self, device: &str) -> Result<()> {
        ext::resize2fs(&self.sysroot, device, &[], &[])
    }

    fn resize2fs_M(&mut self, device: &str) -> Result<()> {
        ext::resize2fs(&self.sysroot, device, &["-M"], &[])
    }

    fn resize2fs_size(&mut self, device: &str, size: i64) -> Result<()> {
        ext::resize2fs_size(&self.sysroot, device, size)
    }

    fn get_e2label(&mut self, device: &str) -> Result<String> {
        blkid_tag(device, "LABEL")
    }

    fn get_e2uuid(&mut self, device: &str) -> Result<String> {
        blkid_tag(device, "UUID")
    }

    fn set_e2label(&mut self, device: &str, label: &str) -> Result<()> {
        ext::set_e2label(device, label)
    }

    fn set_e2uuid(&mut self, device: &str, uuid: &str) -> Result<()> {
        ext::set_e2uuid(device, uuid)
    }

    fn mke2fs(&mut self, device: &str, opts: &Mke2fsOpts) -> Result<()> {
        ext::mke2fs(device, opts)
    }

    fn mke2fs_J(
        &mut self,
        fstype: &str,
        blocksize: i32,
        device: &str,
        journal: &str,
    ) -> Result<()> {
        ext::mke2fs_j(fstype, blocksize, device, &format!("device={}", journal))
    }

    fn mke2fs_JL(&mut self, fstype: &str, blocksize: i32, device: &str, label: &str) -> Result<()> {
        ext::mke2fs_jl(fstype, blocksize, device, label)
    }

    fn mke2fs_JU(&mut self, fstype: &str, blocksize: i32, device: &str, uuid: &str) -> Result<()> {
        ext::mke2fs_j(fstype, blocksize, device, &format!("device=UUID={}", uuid))
    }

    fn mke2journal(&mut self, blocksize: i32, device: &str) -> Result<()> {
        ext::mke2journal(blocksize, device, &[])
    }

    fn mke2journal_L(&mut self, blocksize: i32, label: &str, device: &str) -> Result<()> {
        ext::mke2journal_l(blocksize, label, device)
    }

    fn mke2journal_U(&mut self, blocksize: i32, uuid: &str, device: &str) -> Result<()> {
        ext::mke2journal(blocksize, device, &["-U", uuid])
    }

    fn mklost_and_found(&mut self, mountpoint: &str) -> Result<()> {
        ext::mklost_and_found(&self.sysroot, mountpoint)
    }

    // Swap
    fn mkswap(&mut self, device: &str, opts: &MkswapOpts) -> Result<()> {
        swap::mkswap(device, opts)
    }

    fn mkswap_L(&mut self, label: &str, device: &str) -> Result<()> {
        let opts = MkswapOpts {
            label: Some(label.into()),
            ..Default::default()
        };
        swap::mkswap(device, &opts)
    }

    fn mkswap_U(&mut self, uuid: &str, device: &str) -> Result<()> {
        let opts = MkswapOpts {
            uuid: Some(uuid.into()),
            ..Default::default()
        };
        swap::mkswap(device, &opts)
    }

    fn mkswap_file(&mut self, path: &str) -> Result<()> {
        swap::mkswap_file(path, &self.sysroot_path(path))
    }

    fn swapon_device(&mut self, device: &str) -> Result<()> {
        swap::swap_on_off("swapon", None, device)
    }

    fn swapoff_device(&mut self, device: &str) -> Result<()> {
        swap::swap_on_off("swapoff", None, device)
    }

    fn swapon_file(&mut self, file: &str) -> Result<()> {
        swap::swap_on_off("swapon", None, &self.sysroot_path(file))
    }

    fn swapoff_file(&mut self, file: &str) -> Result<()> {
        swap::swap_on_off("swapoff", None, &self.sysroot_path(file))
    }

    fn swapon_label(&mut self, label: &str) -> Result<()> {
        swap::swap_on_off_label("swapon", label)
    }

    fn swapoff_label(&mut self, label: &str) -> Result<()> {
        swap::swap_on_off_label("swapoff", label)
    }

    fn swapon_uuid(&mut self, uuid: &str) -> Result<()> {
        swap::swap_on_off("swapon", Some("-U"), uuid)
    }

    fn swapoff_uuid(&mut self, uuid: &str) -> Result<()> {
        swap::swap_on_off("swapoff", Some("-U"), uuid)
    }

    // XFS
    fn xfs_info(&mut self, pathordevice: &str) -> Result<XfsInfo> {
        let target = if is_device_parameter(pathordevice) {
            pathordevice.to_string()
        } else {
            self.sysroot_path(pathordevice)
        };
        let mut info = xfs::xfs_info(&target)?;
        info.xfs_mntpoint = crate::devices::from_kernel_in_text(&info.xfs_mntpoint);
        Ok(info)
    }

    fn xfs_growfs(&mut self, path: &str, opts: &XfsGrowfsOpts) -> Result<()> {
        xfs::xfs_growfs(path, &self.sysroot_path(path), opts)
    }

    fn xfs_admin(&mut self, device: &str, opts: &XfsAdminOpts) -> Result<()> {
        xfs::xfs_admin(device, opts)
    }

    fn xfs_repair(&mut self, device: &str, opts: &XfsRepairOpts) -> Result<i32> {
        if is_device_parameter(device) {
            xfs::xfs_repair(device, device, true, opts)
        } else {
            xfs::xfs_repair(device, &self.sysroot_path(device), false, opts)
        }
    }

    // NTFS
    fn ntfs_3g_probe(&mut self, rw: bool, device: &str) -> Result<i32> {
        ntfs::ntfs_3g_probe(rw, device)
    }

    fn ntfsresize(&mut self, device: &str, opts: &NtfsresizeOpts) -> Result<()> {
        ntfs::ntfsresize(device, opts)
    }

    fn ntfsresize_size(&mut self, device: &str, size: i64) -> Result<()> {
        let opts = NtfsresizeOpts {
            size: Some(size),
            ..Default::default()
        };
        ntfs::ntfsresize(device, &opts)
    }

    fn ntfsfix(&mut self, device: &str, opts: &NtfsfixOpts) -> Result<()> {
        ntfs::ntfsfix(device, opts)
    }

    fn ntfscat_i(
        &mut self,
        device: &str,
        inode: i64,
        filename: &mut dyn std::io::Write,
    ) -> Result<()> {
        ntfs::ntfscat_i(&mountable_device(device), inode, filename)
    }

    fn ntfsclone_in(&mut self, backupfile: &mut FileIn<'_>, device: &str) -> Result<()> {
        ntfs::ntfsclone_in(backupfile, device)
    }

    fn ntfsclone_out(
        &mut self,
        device: &str,
        backupfile: &mut dyn std::io::Write,
        opts: &NtfscloneOutOpts,
    ) -> Result<()> {
        ntfs::ntfsclone_out(device, opts, backupfile)
    }

    // Free space
    fn zerofree(&mut self, device: &str) -> Result<()> {
        free_space::zerofree(device)
    }

    fn zero_free_space(&mut self, directory: &str) -> Result<()> {
        let dir = self.sysroot_path(directory);
        free_space::zero_free_space(&dir, &mut self.progress)
    }

    fn scrub_freespace(&mut self, dir: &str) -> Result<()> {
        free_space::scrub_freespace(dir, &self.sysroot_path(dir))
    }

    fn fstrim(&mut self, mountpoint: &str, opts: &FstrimOpts) -> Result<()> {
        free_space::fstrim(&self.sysroot_path(mountpoint), opts)
    }

    fn f2fs_expand(&mut self, device: &str) -> Result<()> {
        command_ok("resize.f2fs", &[device], true, "").map(|_| ())
    }

    // Boot loaders
    fn syslinux(&mut self, device: &str, opts: &SyslinuxOpts) -> Result<()> {
        bootloaders::syslinux(device, opts)
    }

    fn extlinux(&mut self, directory: &str) -> Result<()> {
        bootloaders::extlinux(directory, &self.sysroot_path(directory))
    }

    fn grub_install(&mut self, root: &str, device: &str) -> Result<()> {
        bootloaders::grub_install(&self.sysroot_path(root), device)
    }
}

/// 1.48 words it as a system error, with the errno of whatever ran last (none here).
fn nine_p_removed() -> Error {
    Error::msg(format!(
        "9p support was removed in libguestfs 1.48: {}",
        guestfs_protocol::error::strerror(0)
    ))
}

/// mkmountpoint's and rmmountpoint's own check (their argument is a plain string), worded
/// as 1.48's ABS_PATH names the C function.
fn absolute_path<'a>(call: &str, path: &'a str) -> Result<&'a str> {
    if path.starts_with('/') {
        Ok(path)
    } else {
        Err(Error::msg(format!(
            "do_{}: path must start with a / character",
            call
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn btrfs_subvolume_lines_parse() {
        assert_eq!(
            parse_subvolume_line("ID 257 gen 9 top level 256 path root/nested"),
            Some((257, "root/nested".to_string()))
        );
        assert_eq!(
            parse_subvolume_line("ID 5 (FS_TREE)\n"),
            Some((5, String::new()))
        );
        assert_eq!(
            parse_subvolume_line("ID 260 gen 3 top level 5 path with path in it"),
            Some((260, "with path in it".to_string()))
        );
        assert_eq!(parse_subvolume_line("garbage"), None);
    }
}
