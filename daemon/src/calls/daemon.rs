//! The daemon itself: liveness, sync, optional feature groups, kernel modules and caches, and
//! the debugging calls.

use crate::daemon::Daemon;
use crate::sys::{self, command, Outcome};
use guestfs_protocol::calls;
use guestfs_protocol::{Error, FileIn, Result, UtsName, ACTIONS};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;

/// The optional groups this daemon implements, each with the programs it needs in the
/// appliance. A group is available only when its calls are implemented here and every one of
/// its programs is present, so `available` never promises what a call would then refuse.
const GROUPS: &[(&str, &[&str])] = &[
    // libacl, linked into the daemon.
    ("acl", &[]),
    // Kernel ioctls: no program needed.
    ("blkdiscard", &[]),
    ("blkdiscardzeroes", &[]),
    ("btrfs", &["btrfs"]),
    ("extlinux", &["extlinux"]),
    ("f2fs", &["mkfs.f2fs", "resize.f2fs"]),
    ("fstrim", &["fstrim"]),
    ("gdisk", &["sgdisk"]),
    // As 1.48: grub-install is there; installing needs the guest's own GRUB platform files.
    ("grub", &["grub-install"]),
    // Hives are read and written by this daemon's own code (guestfs-inspect).
    ("hivex", &[]),
    // The kernel's own: no program needed.
    ("inotify", &[]),
    // Journals are read by this daemon's own code (guestfs-inspect).
    ("journal", &[]),
    ("ldm", &["ldmtool"]),
    // The Sleuth Kit's library, opened at run time (the file, not a program).
    ("libtsk", &[crate::calls::forensics::tsk::LIBRARY_PATH]),
    // Debian's libyara, opened at run time (the file, not a program).
    ("libyara", &[crate::calls::forensics::yara::LIBRARY_PATH]),
    // libcap, linked into the daemon.
    ("linuxcaps", &[]),
    // UUIDs given to mke2fs, mkswap and swapon: the tools always take them.
    ("linuxfsuuid", &["mke2fs", "mkswap", "swapon"]),
    ("linuxmodules", &["modprobe"]),
    ("linuxxattrs", &[]),
    ("luks", &["cryptsetup"]),
    ("lvm2", &["lvm"]),
    ("mdadm", &["mdadm"]),
    ("mknod", &[]),
    ("ntfs3g", &["ntfs-3g.probe", "ntfsclone", "ntfsfix"]),
    ("ntfsprogs", &["ntfsresize"]),
    ("rsync", &["rsync"]),
    ("scrub", &["scrub"]),
    // The process's attr/current in /proc, as libselinux uses it.
    ("selinux", &[]),
    ("selinuxrelabel", &["setfiles"]),
    ("sleuthkit", &["icat", "blkls"]),
    ("squashfs", &["mksquashfs"]),
    ("syslinux", &["syslinux", "mattrib", "mcopy", "mmove"]),
    ("wipefs", &["wipefs"]),
    (
        "xfs",
        &[
            "xfs_admin",
            "xfs_db",
            "xfs_growfs",
            "xfs_info",
            "xfs_repair",
            "xfs_spaceman",
        ],
    ),
    ("xz", &["xz"]),
    ("zerofree", &["zerofree"]),
];

/// Groups that no call belongs to any more, which 1.48 still lists and reports as available.
const RETIRED_GROUPS: &[&str] = &["augeas", "realpath"];

/// The directories the daemon runs programs from.
pub const PROGRAM_PATH: &[&str] = &["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/// Whether the appliance carries `name`: on its boot path, or (a symlink into the mount
/// point of) its disk, mounted on first use.
pub fn have_program(name: &str) -> bool {
    PROGRAM_PATH.iter().any(|d| {
        let p = std::path::Path::new(d).join(name);
        p.is_file() || std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink())
    })
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

/// Whether /proc/filesystems lists `name` (a driver the kernel has now).
fn kernel_has_filesystem(name: &str) -> Result<bool> {
    let text = std::fs::read_to_string("/proc/filesystems")
        .map_err(|e| sys::io_error(&e, "/proc/filesystems"))?;
    Ok(text
        .lines()
        .any(|l| l.rsplit('\t').next().map(str::trim) == Some(name)))
}

/// The kernel's release, as uname(2) gives it.
fn uname() -> Result<libc::utsname> {
    // SAFETY: uname fills a caller-provided struct; all zeroes is a valid value.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: u is a valid out pointer.
    if unsafe { libc::uname(&mut u) } == -1 {
        return Err(sys::perror("utsname"));
    }
    Ok(u)
}

fn field(chars: &[libc::c_char]) -> String {
    let bytes: Vec<u8> = chars
        .iter()
        .take_while(|c| **c != 0)
        .map(|c| *c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
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

    fn debug(&mut self, subcmd: &str, extraargs: &[String]) -> Result<String> {
        crate::calls::debug::debug(self, subcmd, extraargs)
    }

    /// Writes the incoming file to `tmpname` in the appliance (not in the guest).
    fn debug_upload(&mut self, filename: &mut FileIn<'_>, tmpname: &str, mode: i32) -> Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode as u32)
            .custom_flags(libc::O_NOCTTY | libc::O_CLOEXEC)
            .open(tmpname)
            .map_err(|e| sys::io_error(&e, tmpname))?;
        let mut buf = vec![0u8; guestfs_protocol::MAX_CHUNK_SIZE];
        loop {
            let n = filename.read(&mut buf).map_err(Error::from)?;
            if n == 0 {
                return Ok(());
            }
            f.write_all(&buf[..n])
                .map_err(|_| Error::msg(format!("write error: {}", tmpname)))?;
        }
    }

    fn dmesg(&mut self) -> Result<String> {
        match command("dmesg", &[], false)? {
            Outcome::Success(out) => Ok(out),
            Outcome::Failure(err) => Err(Error::msg(err)),
        }
    }

    fn drop_caches(&mut self, whattodrop: i32) -> Result<()> {
        crate::calls::debug::drop_caches(whattodrop)
    }

    fn filesystem_available(&mut self, filesystem: &str) -> Result<bool> {
        if !filesystem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(Error::msg(
                "filesystem name contains non-alphanumeric characters",
            ));
        }
        if kernel_has_filesystem(filesystem)? {
            return Ok(true);
        }
        if group_available("linuxmodules") {
            crate::modules::load(filesystem);
        }
        kernel_has_filesystem(filesystem)
    }

    /// The regression test of RHBZ#914931: the daemon crashes while a file comes in, after
    /// `count` chunks (one a second).
    fn internal_rhbz914931(&mut self, filename: &mut FileIn<'_>, count: i32) -> Result<()> {
        if count <= 0 || count > 1000 {
            return Err(Error::msg("count out of range"));
        }
        let mut left = count;
        let mut buf = vec![0u8; guestfs_protocol::MAX_CHUNK_SIZE];
        loop {
            if filename.read(&mut buf).map_err(Error::from)? == 0 {
                return Ok(());
            }
            left -= 1;
            std::thread::sleep(std::time::Duration::from_secs(1));
            if left == 0 {
                std::process::abort();
            }
        }
    }

    /// Loads a module with the appliance's module loader (1.48 runs kmod's modprobe; its
    /// error for a module it cannot find is kept).
    fn modprobe(&mut self, modulename: &str) -> Result<()> {
        if crate::modules::load(modulename) {
            return Ok(());
        }
        Err(Error::msg(format!(
            "modprobe: FATAL: Module {} not found in directory /lib/modules/{}",
            modulename,
            field(&uname()?.release)
        )))
    }

    /// A negative time sleeps not at all (1.48 would sleep for the unsigned reading of it).
    fn sleep(&mut self, secs: i32) -> Result<()> {
        std::thread::sleep(std::time::Duration::from_secs(secs.max(0) as u64));
        Ok(())
    }

    fn utsname(&mut self) -> Result<UtsName> {
        let u = uname()?;
        Ok(UtsName {
            uts_sysname: field(&u.sysname),
            uts_release: field(&u.release),
            uts_version: field(&u.version),
            uts_machine: field(&u.machine),
        })
    }
}
