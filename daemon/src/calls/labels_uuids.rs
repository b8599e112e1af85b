//! Labels, UUIDs and minimum sizes of any filesystem: each type's own tool, chosen by what
//! blkid says the device holds.

use super::filesystems::{blkid_type, mountable_device};
use super::{ext, ntfs, swap, xfs};
use crate::sys::command_ok;
use guestfs_protocol::{Error, Result};

fn not_supported(what: &str, fstype: &str) -> Error {
    Error::new(
        libc::ENOTSUP,
        format!("don't know how to {} '{}' filesystems", what, fstype),
    )
}

pub fn set_label(mountable: &str, label: &str) -> Result<()> {
    let device = mountable_device(mountable);
    match blkid_type(mountable)?.as_str() {
        "btrfs" => {
            command_ok("btrfs", &["filesystem", "label", &device, label], false, "").map(|_| ())
        }
        "msdos" | "fat" | "vfat" => {
            command_ok("dosfslabel", &[&device, label], false, "").map(|_| ())
        }
        t if ext::is_extfs(t) => ext::set_e2label(&device, label),
        "ntfs" => ntfs::set_label(&device, label),
        "xfs" => xfs::set_label(&device, label),
        "swap" => swap::set_label(&device, label),
        t => Err(not_supported("set the label for", t)),
    }
}

/// Whether this btrfstune can change UUIDs (`-U`/`-u`, btrfs-progs 4.1 and later).
fn btrfstune_sets_uuids() -> bool {
    crate::sys::command_r("btrfstune", &["--help"], false)
        .is_ok_and(|done| done.stderr.contains("-U") && done.stderr.contains("-u"))
}

fn btrfstune(device: &str, args: &[&str]) -> Result<()> {
    if !btrfstune_sets_uuids() {
        return Err(Error::new(
            libc::ENOTSUP,
            "btrfs filesystems' UUID cannot be changed",
        ));
    }
    let mut a = vec!["-f"];
    a.extend(args);
    a.push(device);
    let done = crate::sys::command_r("btrfstune", &a, false)?;
    // 1.48 runs it with `commandr`: only a program that did not run to its end fails.
    match done.status {
        Some(_) => Ok(()),
        None => Err(Error::msg(format!("{}: {}", device, done.stderr))),
    }
}

pub fn set_uuid(device: &str, uuid: &str) -> Result<()> {
    match blkid_type(device)?.as_str() {
        t if ext::is_extfs(t) => {
            // tune2fs's magic values; callers who want them would get their own call.
            if matches!(uuid, "clear" | "random" | "time") {
                return Err(Error::msg("e2: invalid new UUID"));
            }
            ext::set_e2uuid(device, uuid)
        }
        "xfs" => {
            if matches!(uuid, "nil" | "generate") {
                return Err(Error::msg("xfs: invalid new UUID"));
            }
            xfs::set_uuid(device, uuid)
        }
        "swap" => swap::set_uuid(device, uuid),
        "btrfs" => btrfstune(device, &["-U", uuid]),
        t => Err(not_supported("set the UUID for", t)),
    }
}

/// A random UUID from the kernel, as `uuidgen` prints it.
fn random_uuid() -> Result<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/uuid")
        .map(|s| s.trim_end().to_string())
        .map_err(|e| crate::sys::io_error(&e, "/proc/sys/kernel/random/uuid"))
}

pub fn set_uuid_random(device: &str) -> Result<()> {
    match blkid_type(device)?.as_str() {
        t if ext::is_extfs(t) => ext::set_e2uuid(device, "random"),
        "xfs" => xfs::set_uuid(device, "generate"),
        "swap" => swap::set_uuid(device, &random_uuid()?),
        "btrfs" => btrfstune(device, &["-u"]),
        t => Err(not_supported("set the random UUID for", t)),
    }
}

/// Where `device` is mounted in the guest (`mountpoints` order).
fn mount_point(sysroot: &str, device: &str) -> Result<String> {
    super::filesystems::mounts(sysroot)
        .into_iter()
        .find(|(d, _)| d == device)
        .map(|(_, mp)| mp)
        .ok_or_else(|| Error::msg(format!("device not mounted: {}", device)))
}

pub fn vfs_minimum_size(sysroot: &str, mountable: &str) -> Result<i64> {
    let device = mountable_device(mountable);
    match blkid_type(mountable)?.as_str() {
        t if ext::is_extfs(t) => ext::minimum_size(&device),
        "ntfs" => ntfs::minimum_size(&device),
        "btrfs" => {
            let mp = mount_point(sysroot, &device)?;
            let out = command_ok(
                "btrfs",
                &[
                    "inspect-internal",
                    "min-dev-size",
                    &format!("{}{}", sysroot, mp),
                ],
                false,
                "",
            )?;
            ext::leading_number(&out).ok_or_else(|| Error::msg("cannot parse minimum size"))
        }
        "xfs" => {
            let mp = mount_point(sysroot, &device)?;
            xfs::minimum_size(&format!("{}{}", sysroot, mp))
        }
        t => Err(not_supported("get minimum size of", t)),
    }
}
