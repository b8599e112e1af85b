//! The answers of the `inspect_*` calls from what `inspect_os` found: one implementation for
//! the library and the daemon. Unknown facts read as `unknown` (or 0), as in libguestfs.

use super::{inspect_filesystems, InspectionCache, InspectionData};
use crate::error::{Error, Result};
use crate::guest::Guest;
use crate::inspect::io::Io;

/// A Windows-only value of the inspection data, or 1.48's error naming what is missing.
fn windows_only(value: &Option<String>, missing: &str) -> Result<String> {
    value
        .clone()
        .ok_or_else(|| Error::new(libc::EINVAL, missing.to_string()))
}

fn or_unknown(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "unknown".into())
}

impl InspectionCache {
    /// `inspect_os`: inspects every filesystem of the guest, keeps what it found, and returns
    /// the roots of the operating systems (empty if none).
    pub fn inspect_os(&mut self, guest: &mut dyn Guest) -> Result<Vec<String>> {
        self.fses = inspect_filesystems(&mut Io::new(guest))?;
        Ok(self.roots())
    }

    fn getter<T>(&self, root: &str, f: impl FnOnce(&InspectionData) -> T) -> Result<T> {
        self.root(root).map(f)
    }

    /// `linux`, `windows`, `freebsd`, … or `unknown`.
    pub fn get_type(&self, root: &str) -> Result<String> {
        self.getter(root, |d| d.os_type.unwrap_or("unknown").to_string())
    }

    pub fn get_distro(&self, root: &str) -> Result<String> {
        self.getter(root, |d| d.distro.unwrap_or("unknown").to_string())
    }

    pub fn get_product_name(&self, root: &str) -> Result<String> {
        self.getter(root, |d| or_unknown(&d.product_name))
    }

    pub fn get_product_variant(&self, root: &str) -> Result<String> {
        self.getter(root, |d| or_unknown(&d.product_variant))
    }

    pub fn get_major_version(&self, root: &str) -> Result<i32> {
        self.getter(root, |d| d.version.map(|v| v.0 as i32).unwrap_or(0))
    }

    pub fn get_minor_version(&self, root: &str) -> Result<i32> {
        self.getter(root, |d| d.version.map(|v| v.1 as i32).unwrap_or(0))
    }

    pub fn get_arch(&self, root: &str) -> Result<String> {
        self.getter(root, |d| or_unknown(&d.arch))
    }

    pub fn get_hostname(&self, root: &str) -> Result<String> {
        self.getter(root, |d| or_unknown(&d.hostname))
    }

    /// os-release `BUILD_ID` or Windows `CurrentBuildNumber` (an extension of this project).
    pub fn get_build_id(&self, root: &str) -> Result<String> {
        self.getter(root, |d| or_unknown(&d.build_id))
    }

    pub fn get_package_format(&self, root: &str) -> Result<String> {
        self.getter(root, |d| d.package_format.unwrap_or("unknown").to_string())
    }

    pub fn get_package_management(&self, root: &str) -> Result<String> {
        self.getter(root, |d| {
            d.package_management.unwrap_or("unknown").to_string()
        })
    }

    /// (mountpoint, mountable) pairs: the fstab entries whose mountpoint starts with `/`, in
    /// fstab order; just `("/", root)` when there is no fstab information.
    pub fn get_mountpoints(&self, root: &str) -> Result<Vec<(String, String)>> {
        self.getter(root, |d| {
            if d.fstab.is_empty() {
                vec![("/".to_string(), root.to_string())]
            } else {
                d.fstab
                    .iter()
                    .filter(|(_, mp)| mp.starts_with('/'))
                    .map(|(m, mp)| (mp.clone(), m.clone()))
                    .collect()
            }
        })
    }

    /// Every fstab entry's mountable (swap and `none` included); just the root when there is
    /// no fstab information.
    pub fn get_filesystems(&self, root: &str) -> Result<Vec<String>> {
        self.getter(root, |d| {
            if d.fstab.is_empty() {
                vec![root.to_string()]
            } else {
                d.fstab.iter().map(|(m, _)| m.clone()).collect()
            }
        })
    }

    /// (drive letter, device) pairs of a Windows guest; empty otherwise.
    pub fn get_drive_mappings(&self, root: &str) -> Result<Vec<(String, String)>> {
        self.getter(root, |d| d.drive_mappings.clone())
    }

    pub fn get_windows_systemroot(&self, root: &str) -> Result<String> {
        self.root(root).and_then(|d| {
            windows_only(
                &d.windows_systemroot,
                "not a Windows guest, or systemroot could not be determined",
            )
        })
    }

    pub fn get_windows_current_control_set(&self, root: &str) -> Result<String> {
        self.root(root).and_then(|d| {
            windows_only(
                &d.windows_current_control_set,
                "not a Windows guest, or CurrentControlSet could not be determined",
            )
        })
    }

    pub fn get_windows_software_hive(&self, root: &str) -> Result<String> {
        self.root(root).and_then(|d| {
            windows_only(
                &d.windows_software_hive,
                "not a Windows guest, or software hive not found",
            )
        })
    }

    pub fn get_windows_system_hive(&self, root: &str) -> Result<String> {
        self.root(root).and_then(|d| {
            windows_only(
                &d.windows_system_hive,
                "not a Windows guest, or system hive not found",
            )
        })
    }

    /// Always `installed` (install media detection was removed in libguestfs 1.38).
    pub fn get_format(&self, root: &str) -> Result<String> {
        self.getter(root, |_| "installed".to_string())
    }

    /// `inspect_is_live`, `inspect_is_netinst`, `inspect_is_multipart`: always false (install
    /// media detection was removed in libguestfs 1.38).
    pub fn is_install_media(&self, root: &str) -> Result<bool> {
        self.getter(root, |_| false)
    }
}
