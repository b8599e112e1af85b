//! Boot loaders installed onto guest filesystems: syslinux (FAT), extlinux (ext, btrfs,
//! xfs…), grub-install.

use crate::sys::command_ok;
use guestfs_protocol::{Result, SyslinuxOpts};

pub fn syslinux(device: &str, o: &SyslinuxOpts) -> Result<()> {
    let mut args = vec!["--install", "--force"];
    if let Some(d) = &o.directory {
        args.extend(["--directory", d]);
    }
    args.push(device);
    command_ok("syslinux", &args, false, "").map(|_| ())
}

/// extlinux into `directory` (the guest's), at `dir` in the appliance.
pub fn extlinux(directory: &str, dir: &str) -> Result<()> {
    command_ok("extlinux", &["--install", dir], false, directory).map(|_| ())
}

/// grub-install with the guest's `root` (at `root_dir` in the appliance) as root directory.
pub fn grub_install(root_dir: &str, device: &str) -> Result<()> {
    let root = format!("--root-directory={}", root_dir);
    command_ok("grub-install", &[&root, device], false, "").map(|_| ())
}
