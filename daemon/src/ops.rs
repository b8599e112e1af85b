//! The implementations of the daemon calls. Guest paths are resolved inside a chroot into the
//! sysroot (as libguestfs's daemon does), so absolute symlinks in the guest stay in the guest.

use crate::devices::{disks, from_kernel, kernel_partitions, to_kernel};
use crate::sys::{cstr, errno, perror, run};
use guestfs::error::{strerror, Error, Result};
use guestfs::types::{Dirent, Partition, StatNs, StatVfs};
use std::collections::HashMap;
use std::ffi::CStr;
use std::fs::File;
use std::os::unix::ffi::OsStrExt;

/// Device arguments of Dev_or_Path calls arrive with this marker in front.
const DEV_MARK: &str = "\0dev:";

/// While alive, the process's root is the sysroot. Dropping it returns to the real root
/// (the working directory stays at the real `/`, so `chroot(".")` goes back).
struct Chroot(bool);

fn chroot_in(sysroot: &str) -> Result<Chroot> {
    if sysroot.is_empty() {
        return Ok(Chroot(false));
    }
    let c = cstr(sysroot)?;
    // SAFETY: valid C string.
    if unsafe { libc::chroot(c.as_ptr()) } == -1 {
        return Err(perror(sysroot));
    }
    Ok(Chroot(true))
}

impl Drop for Chroot {
    fn drop(&mut self) {
        if self.0 {
            // SAFETY: valid C string; the cwd is the real root.
            unsafe { libc::chroot(c".".as_ptr()) };
        }
    }
}

fn stat_of(st: &libc::stat64) -> StatNs {
    StatNs {
        st_dev: st.st_dev as i64,
        st_ino: st.st_ino as i64,
        st_mode: st.st_mode as i64,
        st_nlink: st.st_nlink as i64,
        st_uid: st.st_uid as i64,
        st_gid: st.st_gid as i64,
        st_rdev: st.st_rdev as i64,
        st_size: st.st_size,
        st_blksize: st.st_blksize,
        st_blocks: st.st_blocks,
        st_atime_sec: st.st_atime,
        st_atime_nsec: st.st_atime_nsec,
        st_mtime_sec: st.st_mtime,
        st_mtime_nsec: st.st_mtime_nsec,
        st_ctime_sec: st.st_ctime,
        st_ctime_nsec: st.st_ctime_nsec,
    }
}

/// stat/lstat of a path relative to the current root; Err(errno).
fn raw_stat(path: &str, follow: bool) -> std::result::Result<libc::stat64, i32> {
    let c = cstr(path).map_err(|_| libc::EINVAL)?;
    // SAFETY: st is written by the call.
    let mut st: libc::stat64 = unsafe { std::mem::zeroed() };
    let r = unsafe {
        if follow {
            libc::stat64(c.as_ptr(), &mut st)
        } else {
            libc::lstat64(c.as_ptr(), &mut st)
        }
    };
    if r == -1 {
        Err(errno())
    } else {
        Ok(st)
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{}{}", dir, name)
    } else {
        format!("{}/{}", dir, name)
    }
}

pub fn root_mounted(sysroot: &str) -> bool {
    mounts_raw()
        .iter()
        .any(|(_, mp, _)| mp == sysroot || mp.starts_with(&format!("{}/", sysroot)))
}

pub fn feature_available(group: &str) -> i32 {
    match group {
        "lvm2" | "mdadm" | "linuxfsuuid" | "linuxmodules" | "ntfs3g" | "ntfsprogs" | "xfs"
        | "btrfs" | "luks" | "blkid" => 0,
        _ => 1,
    }
}

pub fn list_devices() -> Vec<String> {
    disks()
        .iter()
        .map(|d| from_kernel(&format!("/dev/{}", d)))
        .collect()
}

pub fn list_partitions() -> Vec<String> {
    let mut out = Vec::new();
    for d in disks() {
        for p in kernel_partitions(d) {
            out.push(from_kernel(&format!("/dev/{}", p)));
        }
    }
    out
}

pub fn list_md_devices() -> Vec<String> {
    crate::lvm::activate_md();
    let mut v: Vec<String> = std::fs::read_dir("/sys/block")
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| {
                    n.starts_with("md")
                        && std::path::Path::new(&format!("/sys/block/{}/md/level", n)).exists()
                })
                .filter(|n| {
                    std::fs::read_to_string(format!("/sys/block/{}/size", n))
                        .map(|s| s.trim() != "0")
                        .unwrap_or(false)
                })
                .map(|n| format!("/dev/{}", n))
                .collect()
        })
        .unwrap_or_default();
    v.sort_by(|a, b| guestfs::backend::native::natural_cmp(a, b));
    v
}

/// `blkid -c /dev/null -o export DEV…`: the tags of each device that has any.
fn blkid_all(devs: &[String]) -> HashMap<String, HashMap<String, String>> {
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

/// blkid's value of one tag, "" when the device has none.
pub fn blkid_tag(mountable: &str, tag: &str) -> Result<String> {
    let dev = to_kernel(mountable_device(mountable))?;
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

/// The device of a mountable (`btrfsvol:/dev/sda1/vol` → `/dev/sda1`,
/// `btrfsvol:/dev/VG/LV/vol` → `/dev/VG/LV`): the shortest prefix that is a block device,
/// else the first name after `/dev/`.
fn mountable_device(m: &str) -> &str {
    use std::os::unix::fs::FileTypeExt;
    let Some(rest) = m.strip_prefix("btrfsvol:") else {
        return m;
    };
    let Some(names) = rest.strip_prefix("/dev/") else {
        return rest;
    };
    let ends: Vec<usize> = names
        .match_indices('/')
        .map(|(i, _)| i + "/dev/".len())
        .collect();
    let is_block = |p: &str| std::fs::metadata(p).is_ok_and(|md| md.file_type().is_block_device());
    ends.iter()
        .map(|&e| &rest[..e])
        .find(|p| is_block(p))
        .or_else(|| ends.first().map(|&e| &rest[..e]))
        .unwrap_or(rest)
}

/// A partition table as `sfdisk --dump` describes it.
struct Table {
    label: String,
    sector_size: i64,
    /// (number, start sector, size in sectors, type)
    parts: Vec<(i32, i64, i64, String)>,
}

fn sfdisk_dump(kernel_disk: &str) -> Option<Table> {
    let out = run("sfdisk", &["--dump", kernel_disk]).ok()?;
    if out.status != 0 {
        return None;
    }
    let mut t = Table {
        label: String::new(),
        sector_size: 512,
        parts: Vec::new(),
    };
    for line in out.stdout.lines() {
        if let Some(v) = line.strip_prefix("label: ") {
            t.label = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("sector-size: ") {
            t.sector_size = v.trim().parse().unwrap_or(512);
        } else if let Some((dev, rest)) = line.split_once(" : ") {
            let num: i32 = dev
                .trim()
                .rsplit(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let mut start = 0;
            let mut size = 0;
            let mut ptype = String::new();
            for field in rest.split(',') {
                if let Some((k, v)) = field.split_once('=') {
                    match k.trim() {
                        "start" => start = v.trim().parse().unwrap_or(0),
                        "size" => size = v.trim().parse().unwrap_or(0),
                        "type" => ptype = v.trim().to_string(),
                        _ => {}
                    }
                }
            }
            t.parts.push((num, start, size, ptype));
        }
    }
    (!t.label.is_empty()).then_some(t)
}

fn no_table(device: &str) -> Error {
    Error::new(
        libc::EINVAL,
        format!("parted: {}: unrecognised disk label", device),
    )
}

fn table_of(device: &str) -> Result<Table> {
    let k = to_kernel(device)?;
    sfdisk_dump(&k).ok_or_else(|| no_table(device))
}

pub fn part_list(device: &str) -> Result<Vec<Partition>> {
    let t = table_of(device)?;
    Ok(t.parts
        .iter()
        .map(|(n, start, size, _)| {
            let start_b = start.saturating_mul(t.sector_size);
            let size_b = size.saturating_mul(t.sector_size);
            Partition {
                part_num: *n,
                part_start: start_b,
                part_end: start_b + size_b - 1,
                part_size: size_b,
            }
        })
        .collect())
}

pub fn part_get_parttype(device: &str) -> Result<String> {
    let t = table_of(device)?;
    Ok(match t.label.as_str() {
        "dos" => "msdos".to_string(),
        other => other.to_string(),
    })
}

fn part_type(device: &str, partnum: i32) -> Result<(Table, String)> {
    let t = table_of(device)?;
    let ty = t
        .parts
        .iter()
        .find(|p| p.0 == partnum)
        .map(|p| p.3.clone())
        .ok_or_else(|| {
            Error::new(
                libc::EINVAL,
                format!("{}: partition {} not found", device, partnum),
            )
        })?;
    Ok((t, ty))
}

pub fn part_get_mbr_id(device: &str, partnum: i32) -> Result<i32> {
    let (t, ty) = part_type(device, partnum)?;
    if t.label != "dos" {
        return Err(Error::new(
            libc::EINVAL,
            "part_get_mbr_id can only be used on MBR partition tables",
        ));
    }
    i32::from_str_radix(&ty, 16)
        .map_err(|_| Error::new(libc::EINVAL, format!("could not parse MBR type: {}", ty)))
}

pub fn part_get_gpt_type(device: &str, partnum: i32) -> Result<String> {
    let (t, ty) = part_type(device, partnum)?;
    if t.label != "gpt" {
        return Err(Error::new(
            libc::EINVAL,
            "part_get_gpt_type can only be used on GPT partition tables",
        ));
    }
    Ok(ty.to_uppercase())
}

pub fn part_get_gpt_guid(device: &str, partnum: i32) -> Result<String> {
    let k = to_kernel(device)?;
    let out = crate::sys::run("sfdisk", &["--dump", &k])?;
    if !out.stdout.lines().any(|l| l.trim() == "label: gpt") {
        return Err(Error::new(
            libc::EINVAL,
            "part_get_gpt_guid can only be used on GPT partition tables",
        ));
    }
    for line in out.stdout.lines() {
        let Some((dev, rest)) = line.split_once(" : ") else {
            continue;
        };
        let num: i32 = dev
            .trim()
            .rsplit(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if num != partnum {
            continue;
        }
        for field in rest.split(',') {
            if let Some(("uuid", v)) = field.split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
                return Ok(v.to_uppercase());
            }
        }
    }
    Err(Error::new(
        libc::EINVAL,
        format!("{}: partition {} not found", device, partnum),
    ))
}

/// Up to `count` bytes at `offset` of a guest file or (with the device marker) a device.
pub fn pread(target: &str, sysroot: &str, count: i32, offset: i64) -> Result<Vec<u8>> {
    let (count, offset) = guestfs::protocol::pread_args(count, offset)?;
    let (f, _) = open_for_download(sysroot, target)?;
    let shown = target.strip_prefix(DEV_MARK).unwrap_or(target);
    let mut buf = vec![0u8; count as usize];
    let mut got = 0;
    while got < buf.len() {
        match std::os::unix::fs::FileExt::read_at(&f, &mut buf[got..], offset + got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::path(e.raw_os_error().unwrap_or(libc::EIO), shown)),
        }
    }
    buf.truncate(got);
    Ok(buf)
}

/// The device holding the filesystem whose TAG (UUID or LABEL) is `value`.
pub fn findfs(tag: &str, value: &str) -> Result<String> {
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
        return Err(Error::new(
            libc::ENOENT,
            format!("findfs: unable to resolve '{}'", spec),
        ));
    }
    Ok(canonical_device(&dev))
}

/// A kernel device path as libguestfs names it: disks and partitions in drive order,
/// device-mapper LVs as /dev/VG/LV, other device-mapper devices (opened encrypted volumes)
/// as /dev/mapper/NAME.
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
        return from_kernel(dev);
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

/// The whole disk and the number of a partition, from sysfs.
fn partition_info(partition: &str) -> Result<(String, i32)> {
    let k = to_kernel(partition)?;
    let name = k.strip_prefix("/dev/").unwrap_or(&k);
    let sys = format!("/sys/class/block/{}", name);
    let not_partition = || {
        Error::new(
            libc::EINVAL,
            format!("device name is not a partition: {}", partition),
        )
    };
    let num: i32 = std::fs::read_to_string(format!("{}/partition", sys))
        .map_err(|_| not_partition())?
        .trim()
        .parse()
        .map_err(|_| not_partition())?;
    let real = std::fs::canonicalize(&sys).map_err(|_| not_partition())?;
    let disk = real
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(not_partition)?;
    Ok((from_kernel(&format!("/dev/{}", disk)), num))
}

pub fn part_to_dev(partition: &str) -> Result<String> {
    partition_info(partition).map(|(d, _)| d)
}

pub fn part_to_partnum(partition: &str) -> Result<i32> {
    partition_info(partition).map(|(_, n)| n)
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

pub fn list_filesystems() -> Result<Vec<(String, String)>> {
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
        let table = sfdisk_dump(&format!("/dev/{}", d));
        for p in parts {
            let num: i32 = p[d.len()..].parse().unwrap_or(0);
            let ty = table
                .as_ref()
                .and_then(|t| t.parts.iter().find(|x| x.0 == num))
                .map(|x| x.3.to_ascii_uppercase())
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
        let md = list_md_devices();
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
        let user = from_kernel(dev);
        let subvolumes = if t == "btrfs" {
            btrfs_subvolumes(dev)
        } else {
            Vec::new()
        };
        out.push((user.clone(), t));
        // The whole device stands for the default subvolume; every other one follows it.
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
    if crate::sys::mount(device, &mnt, "btrfs", libc::MS_RDONLY, "").is_ok() {
        let default_id = crate::sys::run_ok("btrfs", &["subvolume", "get-default", &mnt])
            .ok()
            .and_then(|s| parse_subvolume_line(&s).map(|(id, _)| id));
        if let Ok(list) = crate::sys::run_ok("btrfs", &["subvolume", "list", &mnt]) {
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

/// Replaces the kernel's device names in a message by the user's.
fn user_names(msg: &str) -> String {
    let mut out = msg.to_string();
    for (i, d) in disks().iter().enumerate() {
        let ours = format!("sd{}", guestfs::backend::native::drive_letters(i));
        if *d != ours {
            out = out.replace(&format!("/dev/{}", d), &format!("/dev/{}", ours));
        }
    }
    out
}

pub fn mount(
    call: &str,
    sysroot: &str,
    options: &str,
    vfstype: Option<&str>,
    mountable: &str,
    mountpoint: &str,
) -> Result<()> {
    let (device, subvol) = match mountable.strip_prefix("btrfsvol:") {
        Some(_) => {
            let dev = mountable_device(mountable);
            let vol = mountable[("btrfsvol:".len() + dev.len())..].trim_start_matches('/');
            (dev, Some(vol.to_string()))
        }
        None => (mountable, None),
    };
    // Like libguestfs's stubs, anything but a device or a btrfs subvolume is refused before
    // mount(8) sees it (`-m btrfsvol:…` splits into the "device" `btrfsvol`).
    if !device.starts_with("/dev/") {
        return Err(Error::new(
            libc::ENOENT,
            format!("{}_stub: {}: {}", call, device, strerror(libc::ENOENT)),
        ));
    }
    let dev = to_kernel(device)
        .map_err(|e| Error::new(e.errno, format!("{}_stub: {}", call, e.message)))?;
    if !mountpoint.starts_with('/') {
        return Err(Error::msg("path must start with a / character"));
    }
    let mp = if mountpoint == "/" {
        sysroot.to_string()
    } else {
        format!("{}{}", sysroot, mountpoint)
    };
    let mut opts = options.to_string();
    if let Some(v) = subvol {
        if !opts.is_empty() {
            opts.push(',');
        }
        opts.push_str("subvol=");
        opts.push_str(&v);
    }
    let mut args: Vec<&str> = Vec::new();
    if !opts.is_empty() {
        args.extend(["-o", opts.as_str()]);
    }
    if let Some(t) = vfstype {
        args.extend(["-t", t]);
    }
    args.push(&dev);
    args.push(&mp);
    let out = run("mount", &args)?;
    if out.status != 0 {
        return Err(Error::new(
            libc::EINVAL,
            user_names(&format!(
                "mount exited with status {}: {}",
                out.status,
                out.stderr.trim_end()
            )),
        ));
    }
    Ok(())
}

/// (device, mountpoint, type) of every mount, from /proc/mounts.
fn mounts_raw() -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let mut it = l.split(' ');
            let (d, m, t) = (it.next()?, it.next()?, it.next()?);
            Some((unoctal(d), unoctal(m), t.to_string()))
        })
        .collect()
}

/// /proc/mounts escapes space, tab, newline and backslash as `\ooo`.
fn unoctal(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// (device, mountpoint) of the guest mounts in mount order.
pub fn mounts(sysroot: &str) -> Vec<(String, String)> {
    if sysroot.is_empty() {
        return Vec::new();
    }
    mounts_raw()
        .into_iter()
        .filter_map(|(d, m, _)| {
            let rel = if m == sysroot {
                "/".to_string()
            } else {
                m.strip_prefix(sysroot)
                    .filter(|r| r.starts_with('/'))?
                    .to_string()
            };
            Some((from_kernel(&d), rel))
        })
        .collect()
}

pub fn umount(sysroot: &str, pathordevice: &str, force: bool, lazy: bool) -> Result<()> {
    let target = if pathordevice.starts_with("/dev/") {
        to_kernel(pathordevice)?
    } else if pathordevice.starts_with('/') {
        if pathordevice == "/" {
            sysroot.to_string()
        } else {
            format!("{}{}", sysroot, pathordevice)
        }
    } else {
        return Err(Error::msg("path must start with a / character"));
    };
    let mut args = Vec::new();
    if force {
        args.push("-f");
    }
    if lazy {
        args.push("-l");
    }
    args.push(&target);
    let out = run("umount", &args)?;
    if out.status != 0 {
        let msg = out
            .stderr
            .trim_end()
            .replace(&format!("{}/", sysroot), "/")
            .replace(&format!(" {}:", sysroot), " /:");
        return Err(Error::new(libc::EINVAL, user_names(&msg)));
    }
    Ok(())
}

pub fn umount_all(sysroot: &str) -> Result<()> {
    if sysroot.is_empty() {
        return Ok(());
    }
    let mut mps: Vec<String> = mounts_raw()
        .into_iter()
        .map(|(_, m, _)| m)
        .filter(|m| m == sysroot || m.starts_with(&format!("{}/", sysroot)))
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

pub fn stat(sysroot: &str, path: &str, follow: bool) -> Result<StatNs> {
    let _c = chroot_in(sysroot)?;
    raw_stat(path, follow)
        .map(|st| stat_of(&st))
        .map_err(|e| Error::path(e, path))
}

pub fn lstatnslist(sysroot: &str, dir: &str, names: &[String]) -> Vec<StatNs> {
    let Ok(_c) = chroot_in(sysroot) else {
        return Vec::new();
    };
    names
        .iter()
        .map(|n| {
            raw_stat(&join(dir, n), false)
                .map(|st| stat_of(&st))
                .unwrap_or(StatNs {
                    st_ino: -1,
                    ..Default::default()
                })
        })
        .collect()
}

fn raw_readlink(path: &str) -> std::result::Result<String, i32> {
    std::fs::read_link(path)
        .map(|p| String::from_utf8_lossy(p.as_os_str().as_bytes()).into_owned())
        .map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))
}

pub fn readlink(sysroot: &str, path: &str) -> Result<String> {
    let _c = chroot_in(sysroot)?;
    raw_readlink(path).map_err(|e| Error::path(e, path))
}

/// The extended attributes of a file, not following a final symlink.
pub fn lgetxattrs(sysroot: &str, path: &str) -> Result<Vec<(String, Vec<u8>)>> {
    let _c = chroot_in(sysroot)?;
    let c = cstr(path)?;
    // SAFETY (both closures): the kernel writes at most `len` bytes into `buf`, and a NULL
    // buffer with length 0 asks for the size.
    let names = read_sized("llistxattr", usize::MAX, |buf, len| unsafe {
        libc::llistxattr(c.as_ptr(), buf as *mut libc::c_char, len)
    })?;
    let mut out = Vec::new();
    for name in names.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let Ok(cn) = std::ffi::CString::new(name) else {
            continue;
        };
        // 64 KiB is the kernel's limit for a value.
        let val = read_sized("lgetxattr", 65536, |buf, len| unsafe {
            libc::lgetxattr(c.as_ptr(), cn.as_ptr(), buf as *mut libc::c_void, len)
        })?;
        out.push((String::from_utf8_lossy(name).into_owned(), val));
    }
    Ok(out)
}

/// A size query then a read into a buffer of that size (at most `limit` bytes), for the
/// syscalls that work that way (`f(NULL, 0)` returns the size). A race gives ERANGE.
fn read_sized(call: &str, limit: usize, f: impl Fn(*mut u8, usize) -> isize) -> Result<Vec<u8>> {
    let failed = || {
        let e = errno();
        Error::new(e, format!("{}: {}", call, strerror(e)))
    };
    let len = f(std::ptr::null_mut(), 0);
    if len < 0 {
        return Err(failed());
    }
    let mut buf = vec![0u8; (len as usize).min(limit)];
    let len = f(buf.as_mut_ptr(), buf.len());
    if len < 0 {
        return Err(failed());
    }
    buf.truncate(len as usize);
    Ok(buf)
}

pub fn readlinklist(sysroot: &str, dir: &str, names: &[String]) -> Vec<String> {
    let Ok(_c) = chroot_in(sysroot) else {
        return Vec::new();
    };
    names
        .iter()
        .map(|n| raw_readlink(&join(dir, n)).unwrap_or_default())
        .collect()
}

pub fn realpath(sysroot: &str, path: &str) -> Result<String> {
    let _c = chroot_in(sysroot)?;
    std::fs::canonicalize(path)
        .map(|p| String::from_utf8_lossy(p.as_os_str().as_bytes()).into_owned())
        .map_err(|e| Error::path(e.raw_os_error().unwrap_or(libc::EIO), path))
}

pub fn exists(sysroot: &str, path: &str) -> bool {
    let Ok(_c) = chroot_in(sysroot) else {
        return false;
    };
    let Ok(c) = cstr(path) else { return false };
    // SAFETY: valid C string.
    unsafe { libc::access(c.as_ptr(), libc::F_OK) == 0 }
}

pub fn is_type(sysroot: &str, path: &str, follow: bool, want: libc::mode_t) -> Result<bool> {
    let _c = chroot_in(sysroot)?;
    match raw_stat(path, follow) {
        Ok(st) => Ok(st.st_mode & libc::S_IFMT == want),
        Err(e) if e == libc::ENOENT || e == libc::ENOTDIR => Ok(false),
        Err(e) => Err(Error::path(e, path)),
    }
}

pub fn statvfs(sysroot: &str, path: &str) -> Result<StatVfs> {
    let _c = chroot_in(sysroot)?;
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

/// The raw entries of a directory (with `.` and `..`) in on-disk order: (ino, d_type, name).
fn read_dir_raw(path: &str) -> std::result::Result<Vec<(u64, u8, Vec<u8>)>, i32> {
    let c = cstr(path).map_err(|_| libc::EINVAL)?;
    // SAFETY: opendir/readdir64/closedir on a handle we own; entries are copied out at once.
    unsafe {
        let d = libc::opendir(c.as_ptr());
        if d.is_null() {
            return Err(errno());
        }
        let mut out = Vec::new();
        loop {
            let e = libc::readdir64(d);
            if e.is_null() {
                break;
            }
            let name = CStr::from_ptr((*e).d_name.as_ptr()).to_bytes().to_vec();
            out.push(((*e).d_ino, (*e).d_type, name));
        }
        libc::closedir(d);
        Ok(out)
    }
}

pub fn readdir(sysroot: &str, dir: &str) -> Result<Vec<Dirent>> {
    let _c = chroot_in(sysroot)?;
    let entries = read_dir_raw(dir)
        .map_err(|e| Error::new(e, format!("opendir: {}: {}", dir, strerror(e))))?;
    Ok(entries
        .into_iter()
        .map(|(ino, t, name)| Dirent {
            ino: ino as i64,
            ftyp: match t {
                libc::DT_BLK => 'b',
                libc::DT_CHR => 'c',
                libc::DT_DIR => 'd',
                libc::DT_FIFO => 'f',
                libc::DT_LNK => 'l',
                libc::DT_REG => 'r',
                libc::DT_SOCK => 's',
                libc::DT_UNKNOWN => 'u',
                _ => '?',
            },
            name: String::from_utf8_lossy(&name).into_owned(),
        })
        .collect())
}

/// The names of a directory, each followed by `\0`, without `.` and `..`.
pub fn ls0(sysroot: &str, dir: &str) -> Result<Vec<u8>> {
    let _c = chroot_in(sysroot)?;
    let entries = read_dir_raw(dir)
        .map_err(|e| Error::new(e, format!("opendir: {}: {}", dir, strerror(e))))?;
    let mut out = Vec::new();
    for (_, _, name) in entries {
        if name == b"." || name == b".." {
            continue;
        }
        out.extend_from_slice(&name);
        out.push(0);
    }
    Ok(out)
}

/// Every path below `dir`, relative to it, each followed by `\0` (pre-order, like find).
pub fn find0(sysroot: &str, dir: &str) -> Result<Vec<u8>> {
    let _c = chroot_in(sysroot)?;
    let st = raw_stat(dir, true).map_err(|e| Error::path(e, dir))?;
    if st.st_mode & libc::S_IFMT != libc::S_IFDIR {
        return Err(Error::path(libc::ENOTDIR, dir));
    }
    let mut out = Vec::new();
    walk(dir.as_bytes(), b"", 0, &mut out);
    if dir.ends_with('/') {
        return Ok(out);
    }
    // libguestfs 1.48's daemon cuts `/sysroot/DIR` off `find`'s output, so unless DIR ends
    // in a slash every name keeps a leading one.
    let mut prefixed = Vec::with_capacity(out.len() + out.len() / 8);
    for name in out.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        prefixed.push(b'/');
        prefixed.extend_from_slice(name);
        prefixed.push(0);
    }
    Ok(prefixed)
}

fn walk(base: &[u8], rel: &[u8], depth: usize, out: &mut Vec<u8>) {
    if depth > 4096 {
        return;
    }
    let mut full = base.to_vec();
    if !rel.is_empty() {
        if !full.ends_with(b"/") {
            full.push(b'/');
        }
        full.extend_from_slice(rel);
    }
    let path = String::from_utf8_lossy(&full).into_owned();
    let Ok(entries) = read_dir_raw(&path) else {
        return;
    };
    for (_, t, name) in entries {
        if name == b"." || name == b".." {
            continue;
        }
        let mut r = rel.to_vec();
        if !r.is_empty() {
            r.push(b'/');
        }
        r.extend_from_slice(&name);
        out.extend_from_slice(&r);
        out.push(0);
        let is_dir = match t {
            libc::DT_DIR => true,
            libc::DT_UNKNOWN => {
                let p = format!(
                    "{}/{}",
                    path.trim_end_matches('/'),
                    String::from_utf8_lossy(&name)
                );
                raw_stat(&p, false)
                    .map(|s| s.st_mode & libc::S_IFMT == libc::S_IFDIR)
                    .unwrap_or(false)
            }
            _ => false,
        };
        if is_dir {
            walk(base, &r, depth + 1, out);
        }
    }
}

pub fn case_sensitive_path(sysroot: &str, path: &str) -> Result<String> {
    let _c = chroot_in(sysroot)?;
    let parts: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        if *part == "." || *part == ".." {
            return Err(Error::new(
                libc::EINVAL,
                format!("{}: path must not contain . or .. elements", path),
            ));
        }
        let dir = if out.is_empty() {
            "/".to_string()
        } else {
            out.clone()
        };
        let entries = read_dir_raw(&dir).unwrap_or_default();
        let names: Vec<String> = entries
            .iter()
            .map(|(_, _, n)| String::from_utf8_lossy(n).into_owned())
            .collect();
        let found = names
            .iter()
            .find(|n| n == part)
            .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(part)));
        match found {
            Some(n) => {
                out.push('/');
                out.push_str(n);
            }
            None => {
                for p in &parts[i..] {
                    out.push('/');
                    out.push_str(p);
                }
                return Ok(out);
            }
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

/// Opens a file or device for reading; returns it with the number of bytes it holds.
pub fn open_for_download(sysroot: &str, target: &str) -> Result<(File, u64)> {
    if let Some(dev) = target.strip_prefix(DEV_MARK) {
        let f =
            File::open(dev).map_err(|e| Error::path(e.raw_os_error().unwrap_or(libc::EIO), dev))?;
        let size = crate::sys::blockdev_size64(dev).unwrap_or(0).max(0) as u64;
        return Ok((f, size));
    }
    let _c = chroot_in(sysroot)?;
    let f = File::open(target)
        .map_err(|e| Error::path(e.raw_os_error().unwrap_or(libc::EIO), target))?;
    let md = f
        .metadata()
        .map_err(|e| Error::path(e.raw_os_error().unwrap_or(libc::EIO), target))?;
    if md.is_dir() {
        return Err(Error::new(
            libc::EISDIR,
            format!("{}: is a directory", target),
        ));
    }
    Ok((f, md.len()))
}

pub fn open_for_upload(sysroot: &str, target: &str) -> Result<File> {
    if let Some(dev) = target.strip_prefix(DEV_MARK) {
        return std::fs::OpenOptions::new()
            .write(true)
            .open(dev)
            .map_err(|e| Error::path(e.raw_os_error().unwrap_or(libc::EIO), dev));
    }
    let _c = chroot_in(sysroot)?;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(target)
        .map_err(|e| Error::path(e.raw_os_error().unwrap_or(libc::EIO), target))
}

pub fn checksum(sysroot: &str, csumtype: &str, target: &str) -> Result<String> {
    let mut sum = guestfs::checksum::Checksummer::new(csumtype)?;
    let (mut f, _) = open_for_download(sysroot, target)?;
    let shown = target.strip_prefix(DEV_MARK).unwrap_or(target);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = std::io::Read::read(&mut f, &mut buf)
            .map_err(|e| Error::path(e.raw_os_error().unwrap_or(libc::EIO), shown))?;
        if n == 0 {
            break;
        }
        sum.update(&buf[..n]);
    }
    Ok(sum.finish())
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

    #[test]
    fn mount_table_unescapes() {
        assert_eq!(unoctal("/sysroot/a\\040b"), "/sysroot/a b");
    }
}
