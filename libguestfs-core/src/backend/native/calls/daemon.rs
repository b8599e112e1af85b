//! The daemon-family calls the native backend answers: which optional groups of calls it
//! serves (`internal_feature_available`, `available_all_groups`), and the unmount before the
//! handle shuts it down (`internal_autosync`: nothing is written, so nothing to sync).

use super::super::*;
use guestfs_protocol::calls as api;

/// The groups with calls the native backend (or the library over it) answers: the read side
/// of LVM, LUKS, md, btrfs subvolumes and xattrs, GPT partition types, hives and journals.
const NATIVE_GROUPS: [&str; 8] = [
    "btrfs",
    "gdisk",
    "hivex",
    "journal",
    "linuxxattrs",
    "luks",
    "lvm2",
    "mdadm",
];

impl api::Daemon for NativeBackend {
    fn internal_autosync(&mut self) -> Result<()> {
        self.mounts.clear();
        Ok(())
    }

    fn internal_feature_available(&mut self, group: &str) -> Result<i32> {
        Ok(if NATIVE_GROUPS.contains(&group) {
            0
        } else if guestfs_protocol::meta::feature_groups().contains(&group) {
            1
        } else {
            2
        })
    }

    fn available_all_groups(&mut self) -> Result<Vec<String>> {
        Ok(guestfs_protocol::meta::feature_groups()
            .into_iter()
            .map(str::to_string)
            .collect())
    }
}
