//! The mount table: filesystems joined under one guest tree, and path resolution across them
//! with the kernel's rules (symlinks resolved inside the guest, `..` never above `/`,
//! mountpoints crossed, at most 40 symlinks per lookup).

use crate::error::{Error, Result};
use crate::fs::{FileType, Filesystem, Ino};
use crate::types::{StatNs, StatVfs};
use std::collections::VecDeque;
use std::sync::Arc;

/// Linux's limit on symlinks followed in one path lookup.
const MAX_SYMLINKS: usize = 40;

/// A filesystem mounted at a guest path.
pub struct Mount {
    /// Canonical guest path (`/`, `/boot`).
    pub mountpoint: String,
    /// The device (mountable) it came from.
    pub device: String,
    pub fs: Arc<dyn Filesystem>,
    /// `st_dev` of every file in it.
    pub devno: i64,
}

/// A resolved guest path.
#[derive(Debug, Clone)]
pub struct Location {
    /// Index into the mount table.
    pub mount: usize,
    pub ino: Ino,
    /// The canonical path (no symlinks, no `.`/`..`).
    pub path: String,
}

#[derive(Default)]
pub struct MountTable {
    pub mounts: Vec<Mount>,
}

/// Splits a guest path into its non-empty, non-`.` components.
fn components(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|c| !c.is_empty() && *c != ".")
}

fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{}", name)
    } else {
        format!("{}/{}", dir, name)
    }
}

/// The daemon's check on every Pathname argument.
pub fn check_path(path: &str) -> Result<()> {
    if path.starts_with('/') {
        Ok(())
    } else {
        Err(Error::new(
            libc::EINVAL,
            "path must start with a / character",
        ))
    }
}

impl MountTable {
    /// The mount at a canonical path, the most recent one when several are stacked.
    fn mount_at(&self, path: &str) -> Option<usize> {
        self.mounts.iter().rposition(|m| m.mountpoint == path)
    }

    fn root(&self) -> Result<Location> {
        let mount = self.mount_at("/").ok_or_else(|| {
            Error::new(
                libc::EINVAL,
                "you must call 'mount' first to mount the root filesystem",
            )
        })?;
        Ok(Location {
            mount,
            ino: self.mounts[mount].fs.root(),
            path: "/".to_string(),
        })
    }

    pub fn fs(&self, loc: &Location) -> &Arc<dyn Filesystem> {
        &self.mounts[loc.mount].fs
    }

    /// statvfs of the filesystem a location is on, with `f_fsid` filled in from the device
    /// for filesystems whose kernel driver reports the device number there.
    pub fn statvfs(&self, loc: &Location) -> Result<StatVfs> {
        let mount = &self.mounts[loc.mount];
        let mut st = mount.fs.statvfs()?;
        if mount.fs.fsid_is_device() {
            st.fsid = mount.devno;
        }
        Ok(st)
    }

    /// stat of a resolved location, with `st_dev` filled in.
    pub fn stat(&self, loc: &Location) -> Result<StatNs> {
        let mount = &self.mounts[loc.mount];
        let mut st = mount.fs.stat(loc.ino)?;
        st.st_dev = mount.devno;
        Ok(st)
    }

    /// Resolves a guest path. `follow` says whether a symlink in the last component is
    /// followed (stat) or returned itself (lstat). Errors carry only the errno's text; callers
    /// add the path.
    pub fn resolve(&self, path: &str, follow: bool) -> Result<Location> {
        check_path(path)?;
        let root = self.root()?;
        let mut stack: Vec<Location> = vec![root.clone()];
        let mut pending: VecDeque<String> = components(path).map(str::to_string).collect();
        let mut symlinks = 0usize;
        while let Some(name) = pending.pop_front() {
            let cur = stack.last().cloned().unwrap_or_else(|| root.clone());
            if name == ".." {
                if stack.len() > 1 {
                    stack.pop();
                }
                continue;
            }
            let fs = self.fs(&cur);
            if !self.stat(&cur)?.is_dir() {
                return Err(Error::new(
                    libc::ENOTDIR,
                    crate::error::strerror(libc::ENOTDIR),
                ));
            }
            let ino = fs
                .lookup(cur.ino, &name)?
                .ok_or_else(|| Error::new(libc::ENOENT, crate::error::strerror(libc::ENOENT)))?;
            let child_path = join(&cur.path, &name);
            let child = match self.mount_at(&child_path) {
                Some(m) => Location {
                    mount: m,
                    ino: self.mounts[m].fs.root(),
                    path: child_path,
                },
                None => Location {
                    mount: cur.mount,
                    ino,
                    path: child_path,
                },
            };
            let is_last = pending.is_empty();
            if (follow || !is_last) && self.fs(&child).stat(child.ino)?.is_symlink() {
                symlinks += 1;
                if symlinks > MAX_SYMLINKS {
                    return Err(Error::new(libc::ELOOP, crate::error::strerror(libc::ELOOP)));
                }
                let target = self.fs(&child).read_link(child.ino)?;
                if target.starts_with('/') {
                    stack.truncate(1);
                }
                for c in components(&target).collect::<Vec<_>>().into_iter().rev() {
                    pending.push_front(c.to_string());
                }
                continue;
            }
            // A directory reached again below itself (a hard-linked directory or a corrupt
            // entry pointing up the tree): the kernel's dcache refuses such a lookup with
            // ELOOP ("would have caused loop"), which also bounds every walk over the tree.
            if stack
                .iter()
                .any(|a| a.mount == child.mount && a.ino == child.ino)
            {
                return Err(Error::new(libc::ELOOP, crate::error::strerror(libc::ELOOP)));
            }
            stack.push(child);
        }
        Ok(stack.pop().unwrap_or(root))
    }

    /// Resolves a directory for listing; the error names the path like `opendir` does.
    pub fn resolve_dir(&self, path: &str) -> Result<Location> {
        let loc = self.resolve(path, true).map_err(|e| prefix_path(e, path))?;
        if !self.stat(&loc)?.is_dir() {
            return Err(Error::path(libc::ENOTDIR, path));
        }
        Ok(loc)
    }

    /// The entries of a directory location, with mountpoints replaced by the mounted root's
    /// type (as the kernel's readdir does not, but stat does).
    pub fn read_dir(&self, loc: &Location) -> Result<Vec<crate::fs::DirEntry>> {
        self.checked_names(loc, self.fs(loc).read_dir(loc.ino)?)
    }

    /// Like [`Self::read_dir`], with `.` and `..` where the kernel's readdir puts them;
    /// `parent` is the location `..` leads to.
    pub fn read_dir_with_dots(
        &self,
        loc: &Location,
        parent: &Location,
    ) -> Result<Vec<crate::fs::DirEntry>> {
        self.checked_names(loc, self.fs(loc).read_dir_with_dots(loc.ino, parent.ino)?)
    }

    fn checked_names(
        &self,
        loc: &Location,
        entries: Vec<crate::fs::DirEntry>,
    ) -> Result<Vec<crate::fs::DirEntry>> {
        // The kernel's readdir checks every name a filesystem hands it (verify_dirent_name):
        // an empty name or one containing `/` cannot be a path component, so the directory
        // read fails with EIO rather than pass on a name that would mean another path.
        if entries
            .iter()
            .any(|e| e.name.is_empty() || e.name.contains('/'))
        {
            return Err(Error::path(libc::EIO, &loc.path));
        }
        Ok(entries)
    }

    /// The location of `name` inside directory `dir` without following a final symlink.
    pub fn child(&self, dir: &Location, name: &str, ino: Ino) -> Location {
        let child_path = join(&dir.path, name);
        match self.mount_at(&child_path) {
            Some(m) => Location {
                mount: m,
                ino: self.mounts[m].fs.root(),
                path: child_path,
            },
            None => Location {
                mount: dir.mount,
                ino,
                path: child_path,
            },
        }
    }

    /// Streams a file, following symlinks. Directories are refused.
    pub fn copy_file(&self, path: &str, out: &mut dyn std::io::Write) -> Result<u64> {
        let loc = self.resolve(path, true).map_err(|e| prefix_path(e, path))?;
        let st = self.stat(&loc)?;
        if st.is_dir() {
            return Err(Error::path(libc::EISDIR, path));
        }
        self.copy_range(&loc, 0, u64::MAX, out)
    }

    /// Streams up to `len` bytes of a file from `offset`.
    pub fn copy_range(
        &self,
        loc: &Location,
        offset: u64,
        len: u64,
        out: &mut dyn std::io::Write,
    ) -> Result<u64> {
        let fs = self.fs(loc);
        // Up to 1 MiB at a time, but no bigger than the file: copying many small files must
        // not allocate and clear a large buffer for each.
        let size = fs.stat(loc.ino)?.st_size.max(0) as u64;
        let cap = len.min(size.saturating_sub(offset)).clamp(4096, 1 << 20) as usize;
        let mut buf = vec![0u8; cap];
        let mut pos = offset;
        let mut copied = 0u64;
        while copied < len {
            let want = (len - copied).min(buf.len() as u64) as usize;
            let n = fs.read_at(loc.ino, pos, &mut buf[..want])?;
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n])?;
            pos += n as u64;
            copied += n as u64;
        }
        Ok(copied)
    }

    /// Every path below `dir` (relative to it, without a leading `/`), depth first, with each
    /// directory's entries in name order; directories are entered once even on a corrupt
    /// filesystem whose directories form a loop.
    pub fn walk(
        &self,
        dir: &Location,
        mut visit: impl FnMut(&str, &Location, FileType) -> Result<()>,
    ) -> Result<()> {
        let mut seen = std::collections::HashSet::new();
        seen.insert((dir.mount, dir.ino));
        self.walk_inner(dir, "", &mut seen, &mut visit, 0)
    }

    fn walk_inner(
        &self,
        dir: &Location,
        rel: &str,
        seen: &mut std::collections::HashSet<(usize, Ino)>,
        visit: &mut dyn FnMut(&str, &Location, FileType) -> Result<()>,
        depth: usize,
    ) -> Result<()> {
        // PATH_MAX (4096) bounds how deep a real path can go.
        if depth > 2048 {
            return Err(Error::new(
                libc::ELOOP,
                format!("{}: directory tree too deep", dir.path),
            ));
        }
        let mut entries = self.read_dir(dir)?;
        entries.sort_by(|a, b| guestfs_protocol::lossless::cmp(&a.name, &b.name));
        for e in entries {
            let child = self.child(dir, &e.name, e.ino);
            let rel_child = if rel.is_empty() {
                e.name.clone()
            } else {
                format!("{}/{}", rel, e.name)
            };
            let ftype = if child.mount != dir.mount {
                FileType::Directory
            } else {
                e.file_type
            };
            visit(&rel_child, &child, ftype)?;
            let is_dir = match ftype {
                FileType::Directory => true,
                FileType::Unknown => self.stat(&child).map(|s| s.is_dir()).unwrap_or(false),
                _ => false,
            };
            if is_dir && seen.insert((child.mount, child.ino)) {
                self.walk_inner(&child, &rel_child, seen, visit, depth + 1)?;
            }
        }
        Ok(())
    }
}

/// Adds the path to an error from path resolution: `PATH: No such file or directory`.
pub fn prefix_path(e: Error, path: &str) -> Error {
    Error::new(e.errno, format!("{}: {}", path, e.message))
}
