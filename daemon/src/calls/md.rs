//! Linux software RAID (md): the arrays assembled from the drives.

use crate::daemon::Daemon;
use guestfs_protocol::calls;
use guestfs_protocol::device_name::natural_cmp;
use guestfs_protocol::Result;

/// The md arrays (assembled on first use), as /dev/mdN in natural order.
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
    v.sort_by(|a, b| natural_cmp(a, b));
    v
}

impl calls::Md for Daemon {
    fn list_md_devices(&mut self) -> Result<Vec<String>> {
        Ok(list_md_devices())
    }
}
