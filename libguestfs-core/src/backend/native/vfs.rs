//! The mount table: filesystems joined under one guest tree, and path resolution across them
//! with the kernel's rules (symlinks resolved inside the guest, `..` never above `/`,
//! mountpoints crossed, at most 40 symlinks per lookup).

use crate::error::{Error, Result};
use crate::fs::{FileType, Filesystem, Ino};
use crate::types::{StatNs, StatVfs};
use ahash::AHashMap as HashMap;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

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
    /// The anonymous devices the kernel would have taken for it (see
    /// [`Filesystem::anonymous_devices`]), given back at unmount; shared by the mounts of one
    /// device, as the kernel shares their superblock.
    anon: Arc<Mutex<AnonDevices>>,
    /// What names in its directories lead to, and the attributes of its inodes: the native
    /// backend never changes a filesystem, so an answer stays true while it is mounted.
    answers: Mutex<Answers>,
}

/// Anonymous device numbers of a superblock: its own, then one per part taken so far.
#[derive(Default)]
struct AnonDevices {
    minors: Vec<u64>,
    superblock: i64,
    /// Part (see [`Filesystem::device_part`]) to its `st_dev`.
    parts: Vec<(u64, i64)>,
}

/// Lookups and stats a mount remembers, bounded: past the bound each map starts again.
#[derive(Default)]
struct Answers {
    /// Directory, then name, to the inode it leads to (None: nothing).
    lookups: HashMap<Ino, HashMap<String, Option<Ino>>>,
    lookup_count: usize,
    stats: HashMap<Ino, StatNs>,
}

/// Answers of each kind a mount remembers at most (a few MiB).
const ANSWERS_KEPT: usize = 1 << 16;

impl Mount {
    pub fn new(mountpoint: String, device: String, fs: Arc<dyn Filesystem>, devno: i64) -> Mount {
        Mount {
            mountpoint,
            device,
            fs,
            devno,
            anon: Arc::default(),
            answers: Mutex::default(),
        }
    }

    /// `name` in directory `dir`, as the filesystem's lookup answers, remembered: tools
    /// resolve every path from `/`, so the same directories are searched again and again.
    fn lookup(&self, dir: Ino, name: &str) -> Result<Option<Ino>> {
        if let Some(found) = self.answers().lookups.get(&dir).and_then(|d| d.get(name)) {
            return Ok(*found);
        }
        let found = self.fs.lookup(dir, name)?;
        let mut answers = self.answers();
        if answers.lookup_count >= ANSWERS_KEPT {
            answers.lookups.clear();
            answers.lookup_count = 0;
        }
        answers.lookup_count += 1;
        answers
            .lookups
            .entry(dir)
            .or_default()
            .insert(name.to_string(), found);
        Ok(found)
    }

    /// The filesystem's stat of `ino`, remembered (a resolution stats every directory on
    /// the way, and tools stat what they have just resolved).
    fn stat(&self, ino: Ino) -> Result<StatNs> {
        if let Some(st) = self.answers().stats.get(&ino) {
            return Ok(*st);
        }
        let st = self.fs.stat(ino)?;
        let mut answers = self.answers();
        if answers.stats.len() >= ANSWERS_KEPT {
            answers.stats.clear();
        }
        answers.stats.insert(ino, st);
        Ok(st)
    }

    fn answers(&self) -> std::sync::MutexGuard<'_, Answers> {
        // Every update is one insert or clear: a poisoned lock still guards consistent maps.
        self.answers.lock().unwrap_or_else(|p| p.into_inner())
    }
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
    mounts: Vec<Mount>,
    /// Directories resolved lately: tools resolve `DIR/NAME` for every name of a directory.
    dirs: DirMemo,
}

/// Where a path resolution stands: the directories from `/` to the current one, and how
/// many symlinks it followed on the way (the limit counts them over the whole path).
#[derive(Clone)]
struct Walk {
    stack: Vec<Location>,
    symlinks: usize,
}

/// What one step of a resolution reached.
enum Step {
    /// The location of the name (a mounted root where something is mounted on it).
    Child(Location),
    /// A symlink to follow.
    Symlink(Location),
}

/// The first anonymous device minor free in the appliance once it has booted (what the
/// kernel gives the first btrfs mounted there: its superblock this one, its root the next).
const FIRST_FREE_ANON_MINOR: u64 = 23;

/// Resolved directory paths (as given, followed to the end), cleared when the mounts change.
#[derive(Default)]
struct DirMemo(Mutex<HashMap<String, Arc<Walk>>>);

/// Directory paths remembered at most; past that the memo starts again.
const DIR_MEMO_ENTRIES: usize = 4096;

impl DirMemo {
    fn get(&self, path: &str) -> Option<Arc<Walk>> {
        self.lock().get(path).cloned()
    }

    fn insert(&self, path: &str, walk: Arc<Walk>) {
        let mut map = self.lock();
        if map.len() >= DIR_MEMO_ENTRIES {
            map.clear();
        }
        map.insert(path.to_string(), walk);
    }

    fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Walk>>> {
        // Every update is one insert or clear: a poisoned map is still consistent.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A path split before its last component, when that is an ordinary name (not `.`, `..`,
/// or empty from a trailing `/`): resolving the path is resolving the directory, then the name.
fn split_last(path: &str) -> Option<(&str, &str)> {
    let cut = path.rfind('/')?;
    let (dir, name) = (&path[..cut], &path[cut + 1..]);
    if name.is_empty() || name == "." || name == ".." {
        return None;
    }
    Some((if dir.is_empty() { "/" } else { dir }, name))
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
    pub fn mounts(&self) -> &[Mount] {
        &self.mounts
    }

    pub fn push(&mut self, mut mount: Mount) {
        self.dirs.clear();
        let anonymous = mount.fs.anonymous_devices();
        if anonymous > 0 {
            // A second mount of the same device shares the superblock and its devices.
            if let Some(other) = self.mounts.iter().find(|o| {
                o.device == mount.device
                    && o.fs.anonymous_devices() > 0
                    && !lock(&o.anon).minors.is_empty()
            }) {
                mount.anon = other.anon.clone();
            } else {
                for _ in 0..anonymous {
                    let minor = self.free_anon_minor(&mount.anon);
                    let mut anon = lock(&mount.anon);
                    anon.minors.push(minor);
                    if anon.minors.len() == 1 {
                        anon.superblock = crate::types::makedev(0, minor);
                    }
                    mount.devno = crate::types::makedev(0, minor);
                }
            }
            let parts = mount.fs.parts_at_mount();
            for part in &parts {
                mount.devno = self.part_devno(&mount.anon, *part);
            }
            if parts.is_empty() {
                mount.devno = lock(&mount.anon).superblock.max(mount.devno);
            }
        }
        self.mounts.push(mount);
    }

    /// The lowest anonymous minor no mount holds (the kernel hands out the lowest free one;
    /// in the appliance the first free one is FIRST_FREE_ANON_MINOR).
    fn free_anon_minor(&self, also: &Arc<Mutex<AnonDevices>>) -> u64 {
        let held: Vec<u64> = self
            .mounts
            .iter()
            .map(|m| &m.anon)
            .chain(std::iter::once(also))
            .flat_map(|a| lock(a).minors.clone())
            .collect();
        (FIRST_FREE_ANON_MINOR..)
            .find(|m| !held.contains(m))
            .unwrap_or(FIRST_FREE_ANON_MINOR)
    }

    /// `st_dev` of a part of a superblock, taking a device for it the first time.
    fn part_devno(&self, anon: &Arc<Mutex<AnonDevices>>, part: u64) -> i64 {
        if let Some((_, d)) = lock(anon).parts.iter().find(|(p, _)| *p == part) {
            return *d;
        }
        let minor = self.free_anon_minor(anon);
        let devno = crate::types::makedev(0, minor);
        let mut a = lock(anon);
        a.minors.push(minor);
        a.parts.push((part, devno));
        devno
    }

    /// `st_dev` of an inode of a mount.
    fn devno_of(&self, mount: usize, ino: Ino) -> i64 {
        let m = &self.mounts[mount];
        match m.fs.device_part(ino) {
            None => m.devno,
            Some(0) => lock(&m.anon).superblock,
            Some(part) => self.part_devno(&m.anon, part),
        }
    }

    pub fn remove(&mut self, index: usize) -> Mount {
        self.dirs.clear();
        self.mounts.remove(index)
    }

    pub fn clear(&mut self) {
        self.dirs.clear();
        self.mounts.clear();
    }

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
        let mut st = mount.fs.statvfs_at(loc.ino)?;
        if mount.fs.fsid_is_device() {
            st.fsid = mount.devno;
        }
        Ok(st)
    }

    /// stat of a resolved location, with `st_dev` filled in.
    pub fn stat(&self, loc: &Location) -> Result<StatNs> {
        let mount = &self.mounts[loc.mount];
        let mut st = mount.stat(loc.ino)?;
        st.st_dev = self.devno_of(loc.mount, loc.ino);
        Ok(st)
    }

    /// Resolves a guest path. `follow` says whether a symlink in the last component is
    /// followed (stat) or returned itself (lstat). Errors carry only the errno's text; callers
    /// add the path.
    pub fn resolve(&self, path: &str, follow: bool) -> Result<Location> {
        check_path(path)?;
        let root = self.root()?;
        if let Some((dir, name)) = split_last(path) {
            return self.resolve_name(dir, name, follow, root);
        }
        let start = Walk {
            stack: vec![root.clone()],
            symlinks: 0,
        };
        let pending = components(path).map(str::to_string).collect();
        let mut end = self.continue_walk(start, pending, follow)?;
        Ok(end.stack.pop().unwrap_or(root))
    }

    /// Resolves `NAME` in the directory path `dir`, as [`Self::resolve`] resolves the path
    /// `DIR/NAME` (the `*list` calls give a directory and names in it).
    pub fn resolve_in(&self, dir: &str, name: &str, follow: bool) -> Result<Location> {
        if name.is_empty() || name == "." || name == ".." || name.contains('/') {
            return self.resolve(&format!("{}/{}", dir, name), follow);
        }
        check_path(dir)?;
        self.resolve_name(dir, name, follow, self.root()?)
    }

    /// Resolves an ordinary `name` in the directory path `dir`.
    fn resolve_name(
        &self,
        dir: &str,
        name: &str,
        follow: bool,
        root: Location,
    ) -> Result<Location> {
        let walk = self.resolve_dir_walk(dir, &root)?;
        // The common case, a name that is not a symlink to follow, needs no copy of the
        // remembered walk.
        let start = match self.step(&walk.stack, name, follow)? {
            Step::Child(child) => return Ok(child),
            Step::Symlink(_) => (*walk).clone(),
        };
        let mut end = self.continue_walk(start, VecDeque::from([name.to_string()]), follow)?;
        Ok(end.stack.pop().unwrap_or(root))
    }

    /// The walk to directory path `dir` (every component followed, as a path continuing
    /// after it has them), remembered.
    fn resolve_dir_walk(&self, dir: &str, root: &Location) -> Result<Arc<Walk>> {
        if let Some(walk) = self.dirs.get(dir) {
            return Ok(walk);
        }
        let start = Walk {
            stack: vec![root.clone()],
            symlinks: 0,
        };
        let pending = components(dir).map(str::to_string).collect();
        let walk = Arc::new(self.continue_walk(start, pending, true)?);
        self.dirs.insert(dir, walk.clone());
        Ok(walk)
    }

    /// Continues a resolution through the `pending` components.
    fn continue_walk(
        &self,
        walk: Walk,
        mut pending: VecDeque<String>,
        follow: bool,
    ) -> Result<Walk> {
        let Walk {
            mut stack,
            mut symlinks,
        } = walk;
        while let Some(name) = pending.pop_front() {
            if name == ".." {
                if stack.len() > 1 {
                    stack.pop();
                }
                continue;
            }
            let follow_this = follow || !pending.is_empty();
            match self.step(&stack, &name, follow_this)? {
                Step::Child(child) => stack.push(child),
                Step::Symlink(link) => {
                    symlinks += 1;
                    if symlinks > MAX_SYMLINKS {
                        return Err(Error::new(libc::ELOOP, crate::error::strerror(libc::ELOOP)));
                    }
                    let target = self.fs(&link).read_link(link.ino)?;
                    if target.starts_with('/') {
                        stack.truncate(1);
                    }
                    for c in components(&target).collect::<Vec<_>>().into_iter().rev() {
                        pending.push_front(c.to_string());
                    }
                }
            }
        }
        Ok(Walk { stack, symlinks })
    }

    /// One step of a resolution: `name` in the directory at the end of `stack`.
    fn step(&self, stack: &[Location], name: &str, follow: bool) -> Result<Step> {
        let cur = stack
            .last()
            .ok_or_else(|| Error::new(libc::EIO, "empty path walk"))?;
        if !self.stat(cur)?.is_dir() {
            return Err(Error::new(
                libc::ENOTDIR,
                crate::error::strerror(libc::ENOTDIR),
            ));
        }
        let ino = self.mounts[cur.mount]
            .lookup(cur.ino, name)?
            .ok_or_else(|| Error::new(libc::ENOENT, crate::error::strerror(libc::ENOENT)))?;
        let child = self.child(cur, name, ino);
        // The kernel takes a device for a btrfs subvolume when a lookup first enters it.
        self.devno_of(child.mount, child.ino);
        if follow && self.mounts[child.mount].stat(child.ino)?.is_symlink() {
            return Ok(Step::Symlink(child));
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
        Ok(Step::Child(child))
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every update is one push or assignment: a poisoned lock still guards consistent data.
    m.lock().unwrap_or_else(|p| p.into_inner())
}
