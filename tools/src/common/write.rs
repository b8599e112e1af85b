//! Tools that change images (virt-copy-in, virt-tar-in, virt-edit). The drives are added
//! read-write, but the guest is first mounted read-only: everything that can fail before
//! anything is written (a missing destination, a file to edit that is not there, an
//! expression that changes nothing) fails on an image left exactly as it was. Only then are
//! the same filesystems remounted read-write.

use super::inspect::sort_mountpoints;
use super::Exit;
use guestfs::Handle;

/// Remounts every mounted filesystem of the guest read-write, parents first, keeping the
/// options it was mounted with (`mount -o remount,rw`). NTFS is served by ntfs-3g, a FUSE
/// program that stays read-only through a remount (writes are accepted and lost), so a guest
/// with NTFS is unmounted and mounted again read-write instead.
pub fn remount_read_write(g: &mut Handle) -> Result<(), Exit> {
    let mut mountpoints: Vec<(String, String)> = g
        .mountpoints()
        .map_err(|_| 1)?
        .into_iter()
        .map(|(device, mountpoint)| (mountpoint, device))
        .collect();
    sort_mountpoints(&mut mountpoints);
    let ntfs = mountpoints
        .iter()
        .any(|(_, device)| g.vfs_type(device).is_ok_and(|t| t == "ntfs"));
    if ntfs {
        g.umount_all().map_err(|_| 1)?;
        for (mountpoint, device) in mountpoints {
            g.mount_options("", &device, &mountpoint).map_err(|_| 1)?;
        }
        return Ok(());
    }
    for (mountpoint, device) in mountpoints {
        g.mount_options("remount,rw", &device, &mountpoint)
            .map_err(|_| 1)?;
    }
    Ok(())
}

/// Unmounts, syncs and stops the appliance, reporting what 1.48 reports when that fails
/// (a write that did not reach the disk is an error).
pub fn finish(mut g: Handle) -> Result<(), Exit> {
    g.shutdown().map_err(|_| 1)
}

/// The MBR partition type byte 1.48 gives the partition of a new filesystem of type `fstype`
/// (so that Windows, among others, sees it), when it knows one.
pub fn mbr_id_of_filesystem(fstype: &str) -> Option<i32> {
    match fstype {
        "msdos" => Some(0x01),
        "fat" | "vfat" => Some(0x0b),
        "ntfs" => Some(0x07),
        "minix" => Some(0x81),
        t if t.starts_with("ext") => Some(0x83),
        _ => None,
    }
}
