//! The daemon itself: liveness, sync, optional feature groups.

use crate::daemon::Daemon;
use guestfs_protocol::calls;
use guestfs_protocol::{Result, ACTIONS};

/// The optional groups this daemon implements, each with the programs it needs in the
/// appliance. A group is available only when its calls are implemented here and every one of
/// its programs is present, so `available` never promises what a call would then refuse.
const GROUPS: &[(&str, &[&str])] = &[
    ("gdisk", &["sgdisk"]),
    // Hives are read and written by this daemon's own code (guestfs-inspect).
    ("hivex", &[]),
    // Journals are read by this daemon's own code (guestfs-inspect).
    ("journal", &[]),
    // Debian's libyara, opened at run time (the file, not a program).
    ("libyara", &[crate::calls::forensics::yara::LIBRARY_PATH]),
    // The kernel's own: no program needed.
    ("linuxxattrs", &[]),
    ("lvm2", &["lvm"]),
    ("luks", &["cryptsetup"]),
    ("sleuthkit", &["icat", "blkls"]),
    ("wipefs", &["wipefs"]),
];

/// Groups that no call belongs to any more, which 1.48 still lists and reports as available.
const RETIRED_GROUPS: &[&str] = &["augeas", "realpath"];

/// The directories the daemon runs programs from.
pub const PROGRAM_PATH: &[&str] = &["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

fn have_program(name: &str) -> bool {
    PROGRAM_PATH
        .iter()
        .any(|d| std::path::Path::new(d).join(name).is_file())
}

pub fn group_available(group: &str) -> bool {
    RETIRED_GROUPS.contains(&group)
        || GROUPS
            .iter()
            .find(|(g, _)| *g == group)
            .is_some_and(|(_, programs)| programs.iter().all(|p| have_program(p)))
}

/// Every optional group of the API, sorted (1.48 lists them all, available or not).
fn all_groups() -> Vec<String> {
    let mut v: Vec<String> = ACTIONS
        .iter()
        .filter(|a| a.is_daemon())
        .filter_map(|a| a.group.map(str::to_string))
        .chain(RETIRED_GROUPS.iter().map(|g| g.to_string()))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Unmounts every guest filesystem and flushes everything to the disks.
pub fn umount_all_and_sync(d: &mut Daemon) -> Result<()> {
    crate::calls::filesystems::umount_all(&d.sysroot)?;
    // SAFETY: sync has no arguments.
    unsafe { libc::sync() };
    Ok(())
}

impl calls::Daemon for Daemon {
    fn ping_daemon(&mut self) -> Result<()> {
        Ok(())
    }

    fn echo_daemon(&mut self, words: &[String]) -> Result<String> {
        Ok(words.join(" "))
    }

    fn internal_exit(&mut self) -> Result<()> {
        Ok(())
    }

    fn sync(&mut self) -> Result<()> {
        // SAFETY: sync has no arguments.
        unsafe { libc::sync() };
        Ok(())
    }

    fn internal_autosync(&mut self) -> Result<()> {
        umount_all_and_sync(self)
    }

    fn internal_feature_available(&mut self, group: &str) -> Result<i32> {
        Ok(if group_available(group) {
            0
        } else if all_groups().iter().any(|g| g == group) {
            1
        } else {
            2
        })
    }

    fn available_all_groups(&mut self) -> Result<Vec<String>> {
        Ok(all_groups())
    }
}
