//! `copy_out`: guest files and trees copied into a local directory, with modes, times,
//! symlinks, hard links, and (as root) ownership and device nodes kept, as `tar -x` of the
//! guest's `tar-out` would leave them.
//!
//! Guest names are hostile: every local operation is made relative to a directory descriptor
//! this code opened itself without following symlinks (`openat`, `mkdirat`, `symlinkat`, …)
//! with single, checked name components, so nothing can be created or written outside the
//! destination whatever the guest's names or symlinks are.

use crate::error::{Error, Result};
use crate::handle::Handle;
use crate::library::copy::split_path;
use crate::types::{
    major_minor, StatNs, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG,
};
use guestfs_protocol::lossless;
use std::collections::HashMap;
use std::ffi::CString;
use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

/// Directory nesting deeper than this cannot come from a real path (PATH_MAX is 4096).
const MAX_DEPTH: usize = 2048;

fn last_error(what: &str) -> Error {
    let e = std::io::Error::last_os_error();
    Error::from(e).context(what)
}

/// A guest name usable as one local path component: its bytes, as the guest has them.
fn component(name: &str) -> Option<CString> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') {
        return None;
    }
    CString::new(lossless::bytes_of(name).into_owned()).ok()
}

/// A local directory opened without following symlinks.
struct LocalDir {
    fd: OwnedFd,
    /// Its path, for messages only.
    shown: String,
}

impl LocalDir {
    fn open_path(path: &Path) -> Result<LocalDir> {
        let c = CString::new(path.as_os_str().as_encoded_bytes())
            .map_err(|_| Error::new(libc::EINVAL, format!("{}: invalid path", path.display())))?;
        // SAFETY: c is a valid C string; the returned descriptor is owned below.
        let fd = unsafe {
            libc::open(
                c.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(last_error(&path.display().to_string()));
        }
        // SAFETY: fd is a fresh descriptor we own.
        Ok(LocalDir {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            shown: path.display().to_string(),
        })
    }

    fn raw(&self) -> i32 {
        self.fd.as_raw_fd()
    }

    fn shown(&self, name: &str) -> String {
        format!("{}/{}", self.shown, name)
    }

    /// The subdirectory `name`, created if missing; an existing symlink there is refused.
    fn subdir(&self, name: &CString, shown: &str) -> Result<LocalDir> {
        // SAFETY: plain syscalls on a descriptor we own and a valid C string.
        unsafe {
            if libc::mkdirat(self.raw(), name.as_ptr(), 0o700) < 0
                && *libc::__errno_location() != libc::EEXIST
            {
                return Err(last_error(&self.shown(shown)));
            }
            let fd = libc::openat(
                self.raw(),
                name.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            );
            if fd < 0 {
                return Err(last_error(&self.shown(shown)));
            }
            Ok(LocalDir {
                fd: OwnedFd::from_raw_fd(fd),
                shown: self.shown(shown),
            })
        }
    }

    /// Removes a non-directory entry `name` if there is one (a file being replaced).
    fn remove_existing(&self, name: &CString) {
        // SAFETY: unlinkat on a descriptor we own; it never follows a symlink.
        unsafe { libc::unlinkat(self.raw(), name.as_ptr(), 0) };
    }

    /// A new regular file `name` (replacing a non-directory already there).
    fn create_file(&self, name: &CString, shown: &str) -> Result<File> {
        let flags =
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        for attempt in 0..2 {
            // SAFETY: openat on a descriptor we own and a valid C string.
            let fd = unsafe { libc::openat(self.raw(), name.as_ptr(), flags, 0o600) };
            if fd >= 0 {
                // SAFETY: fd is a fresh descriptor we own.
                return Ok(unsafe { File::from_raw_fd(fd) });
            }
            // SAFETY: reading errno right after the failed call.
            if attempt == 0 && unsafe { *libc::__errno_location() } == libc::EEXIST {
                self.remove_existing(name);
                continue;
            }
            break;
        }
        Err(last_error(&self.shown(shown)))
    }

    /// Runs a creating call, replacing a non-directory already at `name`.
    fn create_with(&self, name: &CString, shown: &str, f: impl Fn() -> i32) -> Result<()> {
        if f() == 0 {
            return Ok(());
        }
        // SAFETY: reading errno right after the failed call.
        if unsafe { *libc::__errno_location() } == libc::EEXIST {
            self.remove_existing(name);
            if f() == 0 {
                return Ok(());
            }
        }
        Err(last_error(&self.shown(shown)))
    }

    /// Ownership (as root), permissions and times of entry `name`, not following symlinks.
    /// Removes a file this copy made (a download that failed part way, which tar leaves out).
    fn remove_file(&self, name: &CString) {
        // SAFETY: unlinkat with a valid C string and a descriptor we own; a failure leaves
        // the partial file, nothing worse.
        unsafe {
            libc::unlinkat(self.raw(), name.as_ptr(), 0);
        }
    }

    fn set_attributes(&self, name: &CString, st: &StatNs, symlink: bool) {
        // SAFETY: *at calls on a descriptor we own with AT_SYMLINK_NOFOLLOW; failures are not
        // fatal, as with tar, which also only warns.
        unsafe {
            if libc::geteuid() == 0 {
                libc::fchownat(
                    self.raw(),
                    name.as_ptr(),
                    st.st_uid as libc::uid_t,
                    st.st_gid as libc::gid_t,
                    libc::AT_SYMLINK_NOFOLLOW,
                );
            }
            if !symlink {
                libc::fchmodat(
                    self.raw(),
                    name.as_ptr(),
                    (st.st_mode & 0o7777) as libc::mode_t,
                    0,
                );
            }
            let times = [
                libc::timespec {
                    tv_sec: st.st_atime_sec as libc::time_t,
                    tv_nsec: st.st_atime_nsec as _,
                },
                libc::timespec {
                    tv_sec: st.st_mtime_sec as libc::time_t,
                    tv_nsec: st.st_mtime_nsec as _,
                },
            ];
            libc::utimensat(
                self.raw(),
                name.as_ptr(),
                times.as_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            );
        }
    }
}

/// State of one copy: the destination root and the hard links seen.
struct Copy {
    root: LocalDir,
    /// (st_dev, st_ino) of files with several links → their path below the root.
    links: HashMap<(i64, i64), CString>,
    /// Some guest entry could not be read (and was left out).
    guest_failed: bool,
}

impl Copy {
    /// The value of a read from the guest, or None (the entry is left out) when it failed.
    fn guest<T>(&mut self, r: Result<T>) -> Option<T> {
        r.map_err(|_| self.guest_failed = true).ok()
    }
}

/// What libguestfs 1.48 reports when the guest side of a directory copy fails: its copy-out
/// streams `tar-out`, whose daemon can then only cancel the transfer. It ignores tar-out's
/// result, so the call still succeeds with what tar sent, the unreadable entries left out.
const GUEST_READ_FAILED: &str = "file receive cancelled by daemon";

impl Handle {
    /// Copies a guest file or directory (recursively) into the existing local directory
    /// `localdir`. Guest names can never place anything outside `localdir`.
    pub(crate) fn impl_copy_out(&mut self, remotepath: &str, localdir: &str) -> Result<()> {
        let local = lossless::os_str_of(localdir);
        let local = Path::new(&*local);
        if !local.is_dir() {
            return Err(Error::msg(format!(
                "target ‘{}’ is not a directory",
                localdir
            )));
        }
        // As libguestfs: a regular file (not through a symlink) is downloaded, a directory
        // copied recursively, anything else refused.
        let is_file = self.is_file(remotepath, Default::default())?;
        let (_, base) = split_path(remotepath)?;
        let root = LocalDir::open_path(local)?;
        if is_file {
            let name = component(&base).ok_or_else(|| {
                Error::new(
                    libc::EINVAL,
                    format!("{}: cannot copy out this path", remotepath),
                )
            })?;
            let mut f = root.create_file(&name, &base)?;
            return self.download_to(remotepath, &mut f);
        }
        if !self.is_dir(remotepath, Default::default())? {
            return Err(Error::msg(format!(
                "‘{}’ is not a file or directory",
                remotepath
            )));
        }
        let st = self.statns(remotepath)?;
        let mut copy = Copy {
            root,
            links: HashMap::new(),
            guest_failed: false,
        };
        // Errors reading the guest's entries are not the caller's: only the one below is.
        self.push_error_handler_quiet();
        let copied = self.copy_tree(&mut copy, remotepath, &base, &st);
        self.pop_error_handler();
        copied?;
        if copy.guest_failed {
            self.report_error("", Error::msg(GUEST_READ_FAILED));
        }
        Ok(())
    }

    /// Copies directory `remotepath` (whose last component is `base`) into `copy.root`.
    fn copy_tree(
        &mut self,
        copy: &mut Copy,
        remotepath: &str,
        base: &str,
        st: &StatNs,
    ) -> Result<()> {
        match component(base) {
            // Copying `/` (basename "", which tar writes as ".") puts its contents straight
            // into the destination.
            None => {
                let root = LocalDir {
                    fd: copy.root.fd.try_clone()?,
                    shown: copy.root.shown.clone(),
                };
                self.copy_dir(copy, remotepath, &root, &[], 0)
            }
            Some(name) => {
                let top = copy.root.subdir(&name, base)?;
                self.copy_dir(copy, remotepath, &top, std::slice::from_ref(&name), 0)?;
                copy.root.set_attributes(&name, st, false);
                Ok(())
            }
        }
    }

    /// Copies the entries of guest directory `dir` into `local` (at `rel` below the root).
    fn copy_dir(
        &mut self,
        copy: &mut Copy,
        dir: &str,
        local: &LocalDir,
        rel: &[CString],
        depth: usize,
    ) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(Error::new(
                libc::ELOOP,
                format!("{}: directory tree too deep", dir),
            ));
        }
        let r = self.ls(dir);
        let Some(names) = copy.guest(r) else {
            return Ok(());
        };
        let r = self.lstatnslist(dir, &names);
        let Some(stats) = copy.guest(r) else {
            return Ok(());
        };
        for (name, st) in names.iter().zip(stats) {
            let Some(cname) = component(name) else {
                continue;
            };
            // An entry the guest cannot stat (lstatnslist's st_ino -1) is left out.
            if st.st_ino == -1 {
                copy.guest_failed = true;
                continue;
            }
            let path = if dir.ends_with('/') {
                format!("{}{}", dir, name)
            } else {
                format!("{}/{}", dir, name)
            };
            let mut child_rel = rel.to_vec();
            child_rel.push(cname.clone());
            match st.st_mode & S_IFMT {
                S_IFDIR => {
                    let sub = local.subdir(&cname, name)?;
                    self.copy_dir(copy, &path, &sub, &child_rel, depth + 1)?;
                    local.set_attributes(&cname, &st, false);
                }
                S_IFREG => {
                    if st.st_nlink > 1 {
                        if let Some(first) = copy.links.get(&(st.st_dev, st.st_ino)) {
                            let first = first.clone();
                            // The first link's path lies below the root, through directories
                            // this copy created (they are never replaced by anything else).
                            local.create_with(&cname, name, || unsafe {
                                libc::linkat(
                                    copy.root.raw(),
                                    first.as_ptr(),
                                    local.raw(),
                                    cname.as_ptr(),
                                    0,
                                )
                            })?;
                            continue;
                        }
                        copy.links
                            .insert((st.st_dev, st.st_ino), join_components(&child_rel));
                    }
                    let mut f = local.create_file(&cname, name)?;
                    let r = self.download_to(&path, &mut f);
                    drop(f);
                    if copy.guest(r).is_none() {
                        local.remove_file(&cname);
                        continue;
                    }
                    local.set_attributes(&cname, &st, false);
                }
                S_IFLNK => {
                    let r = self.readlink(&path);
                    let Some(target) = copy.guest(r) else {
                        continue;
                    };
                    let ctarget =
                        CString::new(lossless::bytes_of(&target).into_owned()).map_err(|_| {
                            Error::new(libc::EINVAL, format!("{}: link target contains NUL", path))
                        })?;
                    // SAFETY: symlinkat with valid C strings and a descriptor we own.
                    local.create_with(&cname, name, || unsafe {
                        libc::symlinkat(ctarget.as_ptr(), local.raw(), cname.as_ptr())
                    })?;
                    local.set_attributes(&cname, &st, true);
                }
                kind @ (S_IFCHR | S_IFBLK | S_IFIFO) => {
                    let is_root = unsafe { libc::geteuid() } == 0;
                    if kind != S_IFIFO && !is_root {
                        // Like tar run as a user: device nodes cannot be made; skip them.
                        continue;
                    }
                    let (maj, min) = major_minor(st.st_rdev);
                    let dev = libc::makedev(maj as u32, min as u32);
                    let mode = (kind | (st.st_mode & 0o7777)) as libc::mode_t;
                    // SAFETY: mknodat with a valid C string and a descriptor we own.
                    local.create_with(&cname, name, || unsafe {
                        libc::mknodat(local.raw(), cname.as_ptr(), mode, dev)
                    })?;
                    local.set_attributes(&cname, &st, false);
                }
                // Sockets are not copied (tar skips them too).
                _ => {}
            }
        }
        Ok(())
    }
}

fn join_components(parts: &[CString]) -> CString {
    let mut bytes = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            bytes.push(b'/');
        }
        bytes.extend_from_slice(p.as_bytes());
    }
    // The parts are NUL-free C strings, so the join is too.
    CString::new(bytes).unwrap_or_default()
}
