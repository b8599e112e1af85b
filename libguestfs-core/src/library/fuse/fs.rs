//! The FUSE filesystem of a local mount: each request the kernel sends becomes calls on the
//! handle, as libguestfs 1.48's `lib/fuse.c` makes them, so that the mount works on either
//! backend. Failures reach the caller as the errno of the failed call (EINVAL when the call
//! gave none); with a read-only mount every change fails with EROFS before any call.

use super::cache::DirCache;
use super::nodes::{self, Nodes};
use super::options::FuseOptions;
use crate::error::Error;
use crate::handle::Handle;
use fuser::{
    AccessFlags, Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation,
    INodeNo, OpenAccMode, OpenFlags, RenameFlags, ReplyAttr, ReplyData, ReplyDirectory, ReplyEmpty,
    ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, ReplyXattr, Request, TimeOrNow,
};
use guestfs_protocol::lossless;
use guestfs_protocol::structs::{StatNs, Xattr};
use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The guest protocol's limit on one read or write; larger requests are cut to it (the
/// kernel then asks for the rest).
const TRANSFER_LIMIT: usize = 2 * 1024 * 1024;

/// What the mount's settings are.
pub(crate) struct Settings {
    pub mountpoint: String,
    pub readonly: bool,
    pub debug_calls: bool,
    pub options: FuseOptions,
}

/// The handle while `mount_local_run` serves, and what the serving knows.
pub(crate) struct Served {
    /// Put here by `mount_local_run` for the time it serves, and taken back after.
    pub handle: Option<Handle>,
    nodes: Nodes,
    cache: DirCache,
    /// The listings of the open directories, by file handle.
    dirs: HashMap<u64, Vec<(String, FileType)>>,
    next_dir: u64,
}

impl Served {
    pub(crate) fn new(cache_timeout: Duration) -> Served {
        Served {
            handle: None,
            nodes: Nodes::new(),
            cache: DirCache::new(cache_timeout),
            dirs: HashMap::new(),
            next_dir: 1,
        }
    }
}

pub(crate) struct GuestFs {
    pub settings: Settings,
    pub served: Arc<Mutex<Served>>,
}

fn errno(e: &Error) -> Errno {
    Errno::from_i32(if e.errno == 0 { libc::EINVAL } else { e.errno })
}

fn kind_of_mode(mode: i64) -> FileType {
    match mode as u32 & libc::S_IFMT {
        libc::S_IFDIR => FileType::Directory,
        libc::S_IFLNK => FileType::Symlink,
        libc::S_IFBLK => FileType::BlockDevice,
        libc::S_IFCHR => FileType::CharDevice,
        libc::S_IFIFO => FileType::NamedPipe,
        libc::S_IFSOCK => FileType::Socket,
        _ => FileType::RegularFile,
    }
}

/// `readdir`'s file type letters.
fn kind_of_letter(ftyp: char) -> FileType {
    match ftyp {
        'b' => FileType::BlockDevice,
        'c' => FileType::CharDevice,
        'd' => FileType::Directory,
        'f' => FileType::NamedPipe,
        'l' => FileType::Symlink,
        's' => FileType::Socket,
        _ => FileType::RegularFile,
    }
}

fn time(sec: i64, nsec: i64) -> SystemTime {
    let nsec = nsec.clamp(0, 999_999_999) as u32;
    if sec >= 0 {
        UNIX_EPOCH + Duration::new(sec as u64, nsec)
    } else {
        UNIX_EPOCH - Duration::new(sec.unsigned_abs(), 0) + Duration::new(0, nsec)
    }
}

/// `utimens`'s (seconds, nanoseconds) for a time to set: nanoseconds -1 for "now", -2 for
/// "leave as it is".
fn utimens_time(t: Option<TimeOrNow>) -> (i64, i64) {
    match t {
        None => (0, -2),
        Some(TimeOrNow::Now) => (0, -1),
        Some(TimeOrNow::SpecificTime(t)) => match t.duration_since(UNIX_EPOCH) {
            Ok(d) => (d.as_secs() as i64, d.subsec_nanos() as i64),
            Err(e) => (-(e.duration().as_secs_f64().ceil() as i64), 0),
        },
    }
}

impl GuestFs {
    fn attr(&self, node: u64, st: &StatNs) -> FileAttr {
        let o = &self.settings.options;
        let mut perm = (st.st_mode & 0o7777) as u16;
        if let Some(mask) = o.umask {
            perm &= !(mask as u16);
        }
        FileAttr {
            ino: INodeNo(node),
            size: st.st_size.max(0) as u64,
            blocks: st.st_blocks.max(0) as u64,
            atime: time(st.st_atime_sec, st.st_atime_nsec),
            mtime: time(st.st_mtime_sec, st.st_mtime_nsec),
            ctime: time(st.st_ctime_sec, st.st_ctime_nsec),
            crtime: UNIX_EPOCH,
            kind: kind_of_mode(st.st_mode),
            perm,
            nlink: st.st_nlink.max(0) as u32,
            uid: o.uid.unwrap_or(st.st_uid as u32),
            gid: o.gid.unwrap_or(st.st_gid as u32),
            rdev: st.st_rdev as u32,
            blksize: st.st_blksize.max(0) as u32,
            flags: 0,
        }
    }

    /// Runs `f` with the handle and the serving state; EIO when there is no handle (a
    /// request before `mount_local_run`, which cannot happen: nothing is read before).
    fn with<R>(
        &self,
        f: impl FnOnce(&mut Handle, &mut Served) -> Result<R, Errno>,
    ) -> Result<R, Errno> {
        let mut guard = self.served.lock().map_err(|_| Errno::EIO)?;
        let served = &mut *guard;
        let mut g = served.handle.take().ok_or(Errno::EIO)?;
        let r = f(&mut g, served);
        served.handle = Some(g);
        r
    }

    fn debug(&self, g: &Handle, op: &str, args: std::fmt::Arguments) {
        if self.settings.debug_calls {
            g.events.debug(&format!(
                "{}: mount_local_{} ({})",
                self.settings.mountpoint, op, args
            ));
        }
    }

    fn path(s: &Served, node: INodeNo) -> Result<String, Errno> {
        s.nodes
            .path(node.0)
            .map(str::to_string)
            .ok_or(Errno::ENOENT)
    }

    fn child(s: &Served, parent: INodeNo, name: &OsStr) -> Result<String, Errno> {
        let dir = Self::path(s, parent)?;
        Ok(nodes::child(&dir, &lossless::string_of_os(name)))
    }

    fn writable(&self) -> Result<(), Errno> {
        if self.settings.readonly {
            Err(Errno::EROFS)
        } else {
            Ok(())
        }
    }

    /// The status of `path`: from the cache, else `lstatns`.
    fn stat(g: &mut Handle, s: &Served, path: &str) -> Result<StatNs, Errno> {
        if let Some(st) = s.cache.stat(path) {
            return Ok(*st);
        }
        g.lstatns(path).map_err(|e| errno(&e))
    }

    fn xattrs(g: &mut Handle, s: &Served, path: &str) -> Result<Vec<Xattr>, Errno> {
        if let Some(x) = s.cache.xattrs(path) {
            return Ok(x.clone());
        }
        g.lgetxattrs(path).map_err(|e| errno(&e))
    }

    /// The attributes of `path` after it was found or made, under its node number.
    fn found(&self, g: &mut Handle, s: &mut Served, path: &str) -> Result<FileAttr, Errno> {
        let st = Self::stat(g, s, path)?;
        let node = s.nodes.number(path);
        Ok(self.attr(node, &st))
    }

    fn reply_entry(&self, r: Result<FileAttr, Errno>, reply: ReplyEntry) {
        let o = &self.settings.options;
        match r {
            Ok(attr) => {
                reply.entry_with_ttls(&o.attr_timeout, &o.entry_timeout, &attr, Generation(0))
            }
            Err(e) => reply.error(e),
        }
    }

    /// A change by path: read-only check, cache dropped, `call` made.
    fn change(
        &self,
        op: &str,
        paths: &[&str],
        call: impl FnOnce(&mut Handle) -> crate::error::Result<()>,
    ) -> Result<(), Errno> {
        self.writable()?;
        self.with(|g, s| {
            self.debug(g, op, format_args!("{}", paths.join(", ")));
            for p in paths {
                s.cache.invalidate(p);
            }
            call(g).map_err(|e| errno(&e))
        })
    }

    /// Fills the caches with what a directory listing is followed by: the entries' status,
    /// extended attributes and link targets, in one call each. Only an optimisation: a
    /// call that fails leaves its cache unfilled.
    fn prefill(g: &mut Handle, s: &mut Served, dir: &str, names: &[String]) {
        if let Ok(stats) = g.lstatnslist(dir, names) {
            for (name, st) in names.iter().zip(stats) {
                if st.st_ino >= 0 {
                    s.cache.insert_stat(nodes::child(dir, name), st);
                }
            }
        }
        if let Ok(list) = g.lxattrlist(dir, names) {
            // Each name's attributes follow a record with no name whose value is their
            // count; a name whose attributes could not be read has an empty count.
            let mut i = 0;
            let mut file = 0;
            while i < list.len() && file < names.len() {
                let counted = !list[i].attrval.is_empty();
                i += 1;
                let start = i;
                while i < list.len() && !list[i].attrname.is_empty() {
                    i += 1;
                }
                if counted {
                    let path = nodes::child(dir, &names[file]);
                    s.cache.insert_xattrs(path, list[start..i].to_vec());
                }
                file += 1;
            }
        }
        if let Ok(links) = g.readlinklist(dir, names) {
            for (name, target) in names.iter().zip(links) {
                if !target.is_empty() {
                    s.cache.insert_link(nodes::child(dir, name), target);
                }
            }
        }
    }
}

impl Filesystem for GuestFs {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let r = self.with(|g, s| {
            let path = Self::child(s, parent, name)?;
            self.debug(g, "lookup", format_args!("{}", path));
            self.found(g, s, &path)
        });
        self.reply_entry(r, reply)
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        let r = self.with(|g, s| {
            let path = Self::path(s, ino)?;
            self.debug(g, "getattr", format_args!("{}", path));
            Self::stat(g, s, &path)
        });
        match r {
            Ok(st) => reply.attr(&self.settings.options.attr_timeout, &self.attr(ino.0, &st)),
            Err(e) => reply.error(e),
        }
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        if let Err(e) = self.writable() {
            return reply.error(e);
        }
        let r = self.with(|g, s| {
            let path = Self::path(s, ino)?;
            s.cache.invalidate(&path);
            if let Some(mode) = mode {
                self.debug(g, "chmod", format_args!("{}, 0{:o}", path, mode));
                g.chmod((mode & 0o7777) as i32, &path)
                    .map_err(|e| errno(&e))?;
            }
            if uid.is_some() || gid.is_some() {
                let (u, gr) = (uid.map_or(-1, |u| u as i32), gid.map_or(-1, |g| g as i32));
                self.debug(g, "chown", format_args!("{}, {}, {}", path, u, gr));
                g.lchown(u, gr, &path).map_err(|e| errno(&e))?;
            }
            if let Some(size) = size {
                self.debug(g, "truncate", format_args!("{}, {}", path, size));
                g.truncate_size(&path, size as i64).map_err(|e| errno(&e))?;
            }
            if atime.is_some() || mtime.is_some() {
                let (a, m) = (utimens_time(atime), utimens_time(mtime));
                self.debug(g, "utimens", format_args!("{}", path));
                g.utimens(&path, a.0, a.1, m.0, m.1)
                    .map_err(|e| errno(&e))?;
            }
            Self::stat(g, s, &path)
        });
        match r {
            Ok(st) => reply.attr(&self.settings.options.attr_timeout, &self.attr(ino.0, &st)),
            Err(e) => reply.error(e),
        }
    }

    fn readlink(&self, _req: &Request, ino: INodeNo, reply: ReplyData) {
        let r = self.with(|g, s| {
            let path = Self::path(s, ino)?;
            self.debug(g, "readlink", format_args!("{}", path));
            match s.cache.link(&path) {
                Some(t) => Ok(t.clone()),
                None => g.readlink(&path).map_err(|e| errno(&e)),
            }
        });
        match r {
            Ok(target) => reply.data(&lossless::bytes_of(&target)),
            Err(e) => reply.error(e),
        }
    }

    fn mknod(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        _umask: u32,
        rdev: u32,
        reply: ReplyEntry,
    ) {
        self.make(parent, name, reply, "mknod", |g, path| {
            let (major, minor) = (libc::major(rdev as u64), libc::minor(rdev as u64));
            g.mknod(mode as i32, major as i32, minor as i32, path)
        })
    }

    fn mkdir(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        _umask: u32,
        reply: ReplyEntry,
    ) {
        self.make(parent, name, reply, "mkdir", |g, path| {
            g.mkdir_mode(path, (mode & 0o7777) as i32)
        })
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        self.remove(parent, name, reply, "unlink", |g, p| g.rm(p))
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        self.remove(parent, name, reply, "rmdir", |g, p| g.rmdir(p))
    }

    fn symlink(
        &self,
        _req: &Request,
        parent: INodeNo,
        link_name: &OsStr,
        target: &Path,
        reply: ReplyEntry,
    ) {
        let target = lossless::string_of_os(target.as_os_str()).into_owned();
        self.make(parent, link_name, reply, "symlink", |g, path| {
            g.ln_s(&target, path)
        })
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        // The guest calls have no RENAME_NOREPLACE or RENAME_EXCHANGE.
        if !flags.is_empty() {
            return reply.error(Errno::EINVAL);
        }
        let paths = self.with(|_, s| {
            Ok((
                Self::child(s, parent, name)?,
                Self::child(s, newparent, newname)?,
            ))
        });
        let (from, to) = match paths {
            Ok(p) => p,
            Err(e) => return reply.error(e),
        };
        match self.change("rename", &[&from, &to], |g| g.rename(&from, &to)) {
            Ok(()) => {
                if let Ok(mut s) = self.served.lock() {
                    s.nodes.rename(&from, &to);
                }
                reply.ok()
            }
            Err(e) => reply.error(e),
        }
    }

    fn link(
        &self,
        _req: &Request,
        ino: INodeNo,
        newparent: INodeNo,
        newname: &OsStr,
        reply: ReplyEntry,
    ) {
        let from = match self.with(|_, s| Self::path(s, ino)) {
            Ok(p) => p,
            Err(e) => return reply.error(e),
        };
        self.make(newparent, newname, reply, "link", |g, path| {
            g.ln(&from, path)
        })
    }

    fn open(&self, _req: &Request, _ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        if self.settings.readonly && flags.acc_mode() != OpenAccMode::O_RDONLY {
            return reply.error(Errno::EROFS);
        }
        let o = &self.settings.options;
        let mut open = FopenFlags::empty();
        if o.kernel_cache {
            open |= FopenFlags::FOPEN_KEEP_CACHE;
        }
        if o.direct_io {
            open |= FopenFlags::FOPEN_DIRECT_IO;
        }
        reply.opened(FileHandle(0), open)
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<fuser::LockOwner>,
        reply: ReplyData,
    ) {
        let size = (size as usize).min(TRANSFER_LIMIT);
        let r = self.with(|g, s| {
            let path = Self::path(s, ino)?;
            self.debug(g, "read", format_args!("{}, {}, {}", path, size, offset));
            g.pread(&path, size as i32, offset as i64)
                .map_err(|e| errno(&e))
        });
        match r {
            Ok(data) => reply.data(&data[..data.len().min(size)]),
            Err(e) => reply.error(e),
        }
    }

    fn write(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: fuser::WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<fuser::LockOwner>,
        reply: ReplyWrite,
    ) {
        if let Err(e) = self.writable() {
            return reply.error(e);
        }
        let data = &data[..data.len().min(TRANSFER_LIMIT)];
        let r = self.with(|g, s| {
            let path = Self::path(s, ino)?;
            self.debug(
                g,
                "write",
                format_args!("{}, {}, {}", path, data.len(), offset),
            );
            s.cache.invalidate(&path);
            g.pwrite(&path, data, offset as i64).map_err(|e| errno(&e))
        });
        match r {
            Ok(n) => reply.written(n.max(0) as u32),
            Err(e) => reply.error(e),
        }
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _lock_owner: fuser::LockOwner,
        reply: ReplyEmpty,
    ) {
        reply.ok()
    }

    fn fsync(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        match self.with(|g, _| g.sync().map_err(|e| errno(&e))) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        let r = self.with(|g, s| {
            let path = Self::path(s, ino)?;
            self.debug(g, "readdir", format_args!("{}", path));
            s.cache.remove_expired();
            let ents = g.readdir(&path).map_err(|e| errno(&e))?;
            let names: Vec<String> = ents.iter().map(|e| e.name.clone()).collect();
            Self::prefill(g, s, &path, &names);
            let listing = ents
                .into_iter()
                .map(|e| (e.name, kind_of_letter(e.ftyp)))
                .collect();
            let fh = s.next_dir;
            s.next_dir += 1;
            s.dirs.insert(fh, listing);
            Ok(fh)
        });
        match r {
            Ok(fh) => reply.opened(FileHandle(fh), FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }

    fn readdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let Ok(mut guard) = self.served.lock() else {
            return reply.error(Errno::EIO);
        };
        let s = &mut *guard;
        let Some(dir) = s.nodes.path(ino.0).map(str::to_string) else {
            return reply.error(Errno::ENOENT);
        };
        let Some(listing) = s.dirs.get(&fh.0) else {
            return reply.error(Errno::EBADF);
        };
        for (i, (name, kind)) in listing.iter().enumerate().skip(offset as usize) {
            let node = match name.as_str() {
                "." => ino.0,
                ".." => s.nodes.number(nodes::parent(&dir)),
                _ => s.nodes.number(&nodes::child(&dir, name)),
            };
            if reply.add(
                INodeNo(node),
                i as u64 + 1,
                *kind,
                lossless::os_str_of(name),
            ) {
                break;
            }
        }
        reply.ok()
    }

    fn releasedir(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        reply: ReplyEmpty,
    ) {
        if let Ok(mut s) = self.served.lock() {
            s.dirs.remove(&fh.0);
        }
        reply.ok()
    }

    fn statfs(&self, _req: &Request, ino: INodeNo, reply: ReplyStatfs) {
        let r = self.with(|g, s| {
            let path = Self::path(s, ino)?;
            self.debug(g, "statfs", format_args!("{}", path));
            g.statvfs(&path).map_err(|e| errno(&e))
        });
        match r {
            Ok(v) => reply.statfs(
                v.blocks as u64,
                v.bfree as u64,
                v.bavail as u64,
                v.files as u64,
                v.ffree as u64,
                v.bsize as u32,
                v.namemax as u32,
                v.frsize as u32,
            ),
            Err(e) => reply.error(e),
        }
    }

    fn setxattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        name: &OsStr,
        value: &[u8],
        _flags: i32,
        _position: u32,
        reply: ReplyEmpty,
    ) {
        let path = match self.with(|_, s| Self::path(s, ino)) {
            Ok(p) => p,
            Err(e) => return reply.error(e),
        };
        let name = lossless::string_of_os(name).into_owned();
        let val = lossless::string_of(value).into_owned();
        // The guest call has no XATTR_CREATE or XATTR_REPLACE, as in 1.48.
        match self.change("setxattr", &[&path], |g| {
            g.lsetxattr(&name, &val, value.len() as i32, &path)
        }) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn getxattr(&self, _req: &Request, ino: INodeNo, name: &OsStr, size: u32, reply: ReplyXattr) {
        let name = lossless::string_of_os(name).into_owned();
        let r = self.with(|g, s| {
            let path = Self::path(s, ino)?;
            self.debug(g, "getxattr", format_args!("{}, {}, {}", path, name, size));
            let xattrs = Self::xattrs(g, s, &path)?;
            xattrs
                .into_iter()
                .find(|x| x.attrname == name)
                .map(|x| x.attrval)
                .ok_or(Errno::NO_XATTR)
        });
        match r {
            Ok(v) if size == 0 => reply.size(v.len() as u32),
            Ok(v) if v.len() <= size as usize => reply.data(&v),
            Ok(_) => reply.error(Errno::ERANGE),
            Err(e) => reply.error(e),
        }
    }

    fn listxattr(&self, _req: &Request, ino: INodeNo, size: u32, reply: ReplyXattr) {
        let r = self.with(|g, s| {
            let path = Self::path(s, ino)?;
            self.debug(g, "listxattr", format_args!("{}, {}", path, size));
            Self::xattrs(g, s, &path)
        });
        match r {
            Ok(xattrs) => {
                let mut list = Vec::new();
                for x in xattrs {
                    list.extend_from_slice(&lossless::bytes_of(&x.attrname));
                    list.push(0);
                }
                if size == 0 {
                    reply.size(list.len() as u32)
                } else if list.len() <= size as usize {
                    reply.data(&list)
                } else {
                    reply.error(Errno::ERANGE)
                }
            }
            Err(e) => reply.error(e),
        }
    }

    fn removexattr(&self, _req: &Request, ino: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let path = match self.with(|_, s| Self::path(s, ino)) {
            Ok(p) => p,
            Err(e) => return reply.error(e),
        };
        let name = lossless::string_of_os(name).into_owned();
        match self.change("removexattr", &[&path], |g| g.lremovexattr(&name, &path)) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    /// 1.48's `access`: a write test fails with EROFS on a read-only mount; root may read
    /// and write everything; the others, and everyone's execute test, go by the mode bits
    /// of the class (owner, group, other) the caller is in.
    fn access(&self, req: &Request, ino: INodeNo, mask: AccessFlags, reply: ReplyEmpty) {
        if self.settings.readonly && mask.contains(AccessFlags::W_OK) {
            return reply.error(Errno::EROFS);
        }
        let r = self.with(|g, s| {
            let path = Self::path(s, ino)?;
            self.debug(g, "access", format_args!("{}, {}", path, mask.bits()));
            Self::stat(g, s, &path)
        });
        let st = match r {
            Ok(st) => st,
            Err(e) => return reply.error(e),
        };
        if mask == AccessFlags::F_OK {
            return reply.ok();
        }
        let mode = st.st_mode as u32;
        let class = |user: u32, group: u32, other: u32| {
            let bit = if req.uid() as i64 == st.st_uid {
                user
            } else if req.gid() as i64 == st.st_gid {
                group
            } else {
                other
            };
            mode & bit != 0
        };
        let mut ok = true;
        if req.uid() != 0 {
            if mask.contains(AccessFlags::R_OK) {
                ok &= class(libc::S_IRUSR, libc::S_IRGRP, libc::S_IROTH);
            }
            if mask.contains(AccessFlags::W_OK) {
                ok &= class(libc::S_IWUSR, libc::S_IWGRP, libc::S_IWOTH);
            }
        }
        if mask.contains(AccessFlags::X_OK) {
            ok &= class(libc::S_IXUSR, libc::S_IXGRP, libc::S_IXOTH);
        }
        if ok {
            reply.ok()
        } else {
            reply.error(Errno::EACCES)
        }
    }
}

impl GuestFs {
    /// mknod, mkdir, symlink, link: `call` makes `name` in `parent`, then it is looked up.
    fn make(
        &self,
        parent: INodeNo,
        name: &OsStr,
        reply: ReplyEntry,
        op: &str,
        call: impl FnOnce(&mut Handle, &str) -> crate::error::Result<()>,
    ) {
        if let Err(e) = self.writable() {
            return reply.error(e);
        }
        let r = self.with(|g, s| {
            let path = Self::child(s, parent, name)?;
            self.debug(g, op, format_args!("{}", path));
            s.cache.invalidate(&path);
            call(g, &path).map_err(|e| errno(&e))?;
            self.found(g, s, &path)
        });
        self.reply_entry(r, reply)
    }

    /// unlink, rmdir: `call` removes `name` from `parent`, which then forgets its number.
    fn remove(
        &self,
        parent: INodeNo,
        name: &OsStr,
        reply: ReplyEmpty,
        op: &str,
        call: impl FnOnce(&mut Handle, &str) -> crate::error::Result<()>,
    ) {
        let path = match self.with(|_, s| Self::child(s, parent, name)) {
            Ok(p) => p,
            Err(e) => return reply.error(e),
        };
        match self.change(op, &[&path], |g| call(g, &path)) {
            Ok(()) => {
                if let Ok(mut s) = self.served.lock() {
                    s.nodes.remove(&path);
                }
                reply.ok()
            }
            Err(e) => reply.error(e),
        }
    }
}
