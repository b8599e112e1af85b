//! An ext2/3/4 filesystem made from a directory without the appliance: `mke2fs -d DIR` on the
//! host writes the filesystem and the directory's contents straight into the new raw disk,
//! some twenty times faster than tar streamed into the appliance under TCG. It is the same
//! mke2fs, with the same /etc/mke2fs.conf, that the appliance runs, given the options the
//! daemon's mkfs gives it, so the filesystem is the one the appliance would make; the files
//! get the names, modes, owners, mtimes and links tar gives them (and the root directory the
//! input's mtime, set with debugfs). Unlike tar, mke2fs keeps the files' atimes and the
//! sub-second part of their mtimes. Nothing is mounted and no image but the new one is
//! opened.
//!
//! Only where the result is the same: a whole-disk filesystem (no partition table) on a raw
//! disk with 512-byte sectors, from a directory with no extended attributes anywhere (mke2fs
//! copies them, tar as 1.48 runs it does not). When mke2fs fails (a file it cannot read),
//! the caller makes the filesystem the appliance's way, which reports what 1.48 reports.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, Stdio};

/// Whether a filesystem of `fstype` from `dir` can be made here.
pub fn applies(fstype: &str, label: Option<&str>, dir: &Path) -> bool {
    matches!(fstype, "ext2" | "ext3" | "ext4")
        && label.is_none_or(|l| l.len() <= EXT_LABEL_MAX)
        && !has_xattrs(dir, 0)
}

/// The longest label mke2fs takes whole (a longer one is an error of the daemon's mkfs).
const EXT_LABEL_MAX: usize = 16;

/// How deep [`has_xattrs`] looks before giving up (and answering yes).
const MAX_DEPTH: usize = 256;

/// True when anything in the tree has an extended attribute (or cannot be looked at).
fn has_xattrs(path: &Path, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return true;
    }
    let Ok(c_path) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return true;
    };
    // SAFETY: a NUL-terminated path and no buffer: llistxattr returns the list's length.
    let len = unsafe { libc::llistxattr(c_path.as_ptr(), std::ptr::null_mut(), 0) };
    if len != 0 {
        return true;
    }
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return true;
    };
    if !meta.is_dir() {
        return false;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return true;
    };
    entries
        .into_iter()
        .any(|e| e.map_or(true, |e| has_xattrs(&e.path(), depth + 1)))
}

/// Runs `mke2fs -t TYPE -F -q [-L LABEL] -d DIR DISK SIZE` over the whole of the new disk
/// of `len` bytes; false when it failed (its messages are not shown: the appliance's way
/// reports the failure). The appliance sees the disk rounded up to whole sectors, and its
/// mke2fs makes as many blocks as fit in that: so does this one, and what it wrote past the
/// end of the file, which the appliance reads as zeros, must be zeros.
pub fn make(fstype: &str, label: Option<&str>, dir: &Path, disk: &Path, len: u64) -> bool {
    let sectors_len = len.div_ceil(512) * 512;
    let mut cmd = Command::new("mke2fs");
    cmd.args(["-t", fstype, "-F", "-q"]);
    if let Some(label) = label {
        cmd.arg("-L").arg(label);
    }
    let made = cmd
        .arg("-d")
        .arg(dir)
        .arg(disk)
        .arg(format!("{}k", sectors_len / 1024))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    made && trim_to(disk, len).unwrap_or(false) && root_mtime_of(dir, disk)
}

/// mke2fs -d leaves the root directory's mtime at when it ran; tar gives it the directory's.
fn root_mtime_of(dir: &Path, disk: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(dir) else {
        return false;
    };
    Command::new("debugfs")
        .arg("-w")
        .arg("-R")
        .arg(format!("set_inode_field / mtime @{}", meta.mtime()))
        .arg(disk)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Cuts the file back to `len` bytes if it grew; false when what is cut is not all zeros.
fn trim_to(disk: &Path, len: u64) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(disk)?;
    let now = f.metadata()?.len();
    if now <= len {
        return Ok(now == len);
    }
    let mut tail = Vec::new();
    f.seek(SeekFrom::Start(len))?;
    (&mut f).take(4096).read_to_end(&mut tail)?;
    if now - len > 4096 || tail.iter().any(|&b| b != 0) {
        return Ok(false);
    }
    f.set_len(len)?;
    Ok(true)
}
