//! The appliance's disk: the programs kept off the boot path (rarely used tools, their
//! libraries and data files) live on an ext2 filesystem attached after the user's drives. The
//! initramfs holds a symlink into its mount point for each of its files, so they are found at
//! their usual paths once it is mounted; it is mounted read-only the first time a program is
//! run, which keeps it off the boot path.

use std::sync::Mutex;

/// The initramfs file naming the mount point (written by the appliance builder).
const MOUNTPOINT_FILE: &str = "/etc/guestfsd/appliance-disk";

/// Whether the disk has been mounted (or found missing): tried once per daemon.
static READY: Mutex<bool> = Mutex::new(false);

/// Mounts the appliance's disk if this appliance has one and it is not mounted yet. Without
/// one (a daemon run on the host, an old appliance) the programs are where they always are.
pub fn ensure_mounted() {
    let mut ready = READY.lock().unwrap_or_else(|e| e.into_inner());
    if *ready {
        return;
    }
    *ready = true;
    let Ok(text) = std::fs::read_to_string(MOUNTPOINT_FILE) else {
        return;
    };
    let mountpoint = text.trim();
    let Some(disk) = crate::devices::appliance_disk() else {
        return;
    };
    crate::modules::load("ext4");
    let _ = std::fs::create_dir_all(mountpoint);
    let flags = libc::MS_RDONLY | libc::MS_NODEV | libc::MS_NOATIME;
    if let Err(e) = crate::sys::mount(&format!("/dev/{}", disk), mountpoint, "ext4", flags, "") {
        eprintln!(
            "guestfsd: cannot mount the appliance's disk /dev/{}: {}",
            disk, e.message
        );
    }
}
