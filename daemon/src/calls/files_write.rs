//! The writing calls of the files family that need more than a line: filling, copying,
//! partial writes, temporary names, special files, wildcards and links, each with 1.48's
//! semantics and error wording. Guest paths are opened inside the sysroot chroot unless 1.48
//! prefixes them with the sysroot instead (copies, `ln -sf`, `cp`), which is noted where done.

use crate::daemon::Daemon;
use crate::devices::is_device_parameter;
use crate::sys::{command_ok, cstr, errno, Chroot};
use guestfs_protocol::error::strerror;
use guestfs_protocol::{CopyFileToFileOpts, Error, FileIn, Result};
use std::ffi::{CStr, CString};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd};

/// The size of C's stdio buffer, which 1.48 reads and writes in: a sparse copy still decides
/// per block of this size whether to skip it.
const BUFSIZ: usize = 8192;

/// How much is read or written per system call here (a multiple of [`BUFSIZ`]): larger than
/// 1.48's buffers, so big fills and copies take fewer calls, with the same results.
const IO_SIZE: usize = 16 * BUFSIZ;

/// glibc's GLOB_BRACE (a GNU extension the libc crate does not name).
const GLOB_BRACE: libc::c_int = 1 << 10;

/// `WHAT: strerror(errno)` for an errno.
fn failed(e: i32, what: &str) -> Error {
    Error::new(e, format!("{}: {}", what, strerror(e)))
}

/// open(2) of a path as it is (a device, or a sysroot-prefixed path); Err(errno).
fn open_raw(path: &str, flags: libc::c_int, mode: libc::mode_t) -> std::result::Result<File, i32> {
    let c = CString::new(path).map_err(|_| libc::EINVAL)?;
    // SAFETY: a valid C string; the descriptor returned is owned by the File.
    let fd = unsafe { libc::open(c.as_ptr(), flags | libc::O_CLOEXEC, mode as libc::c_uint) };
    if fd == -1 {
        return Err(errno());
    }
    // SAFETY: fd was just opened and is owned by nothing else.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// write(2) until all is written, or Err(errno) (1.48's `xwrite`).
fn write_fully(f: &File, mut buf: &[u8]) -> std::result::Result<(), i32> {
    while !buf.is_empty() {
        // SAFETY: `buf` is valid for its length.
        let r = unsafe { libc::write(f.as_raw_fd(), buf.as_ptr().cast(), buf.len()) };
        if r == -1 {
            let e = errno();
            if e == libc::EINTR {
                continue;
            }
            return Err(e);
        }
        buf = &buf[r as usize..];
    }
    Ok(())
}

/// close(2) of a file, reporting its error (writes may fail only here on some filesystems).
fn close(f: File, what: &str) -> Result<()> {
    let fd = f.as_raw_fd();
    std::mem::forget(f);
    // SAFETY: the descriptor was owned by `f`, which no longer closes it.
    if unsafe { libc::close(fd) } == -1 {
        return Err(failed(errno(), what));
    }
    Ok(())
}

/// Whether a buffer is all zero bytes.
fn is_zero(buf: &[u8]) -> bool {
    buf.iter().all(|&b| b == 0)
}

/// The optional arguments of 1.48's `copy` (shared by the copy_*_to_* calls), checked.
pub struct CopyRange {
    pub srcoffset: u64,
    pub destoffset: u64,
    /// None: to the end of the source.
    pub size: Option<u64>,
    pub sparse: bool,
}

impl CopyRange {
    pub fn from_opts(o: &CopyFileToFileOpts) -> Result<CopyRange> {
        let non_negative = |v: Option<i64>, what: &str| match v {
            Some(n) if n < 0 => Err(Error::msg(format!("{} is negative", what))),
            v => Ok(v.map(|n| n as u64)),
        };
        Ok(CopyRange {
            srcoffset: non_negative(o.srcoffset, "srcoffset")?.unwrap_or(0),
            destoffset: non_negative(o.destoffset, "destoffset")?.unwrap_or(0),
            size: non_negative(o.size, "size")?,
            sparse: o.sparse == Some(true),
        })
    }
}

/// Where a copy goes: the path opened, the path shown in errors, how it is opened, and
/// whether a failed copy removes it.
pub struct CopyDest<'a> {
    pub path: &'a str,
    pub shown: &'a str,
    pub flags: libc::c_int,
    pub mode: libc::mode_t,
    pub unlink_on_failure: bool,
}

impl Daemon {
    /// 1.48's `copy`: `range` of `src` (opened as is) into `dest`.
    pub fn copy_range(
        &mut self,
        src: &str,
        src_shown: &str,
        dest: &CopyDest,
        range: &CopyRange,
    ) -> Result<()> {
        let mut input = open_raw(src, libc::O_RDONLY, 0).map_err(|e| failed(e, src_shown))?;
        if range.srcoffset > 0 {
            std::io::Seek::seek(&mut input, std::io::SeekFrom::Start(range.srcoffset))
                .map_err(|e| failed(os_errno(&e), &format!("lseek: {}", src_shown)))?;
        }
        let output =
            open_raw(dest.path, dest.flags, dest.mode).map_err(|e| failed(e, dest.shown))?;
        let r = self.copy_data(input, src_shown, output, dest, range);
        if r.is_err() && dest.unlink_on_failure {
            if let Ok(c) = CString::new(dest.path) {
                // SAFETY: a valid C string.
                unsafe { libc::unlink(c.as_ptr()) };
            }
        }
        r
    }

    fn copy_data(
        &mut self,
        mut input: File,
        src_shown: &str,
        mut output: File,
        dest: &CopyDest,
        range: &CopyRange,
    ) -> Result<()> {
        if range.destoffset > 0 {
            std::io::Seek::seek(&mut output, std::io::SeekFrom::Start(range.destoffset))
                .map_err(|e| failed(os_errno(&e), &format!("lseek: {}", dest.shown)))?;
        }
        let mut buf = vec![0u8; IO_SIZE];
        let mut left = range.size;
        while left != Some(0) {
            let n = left.map_or(IO_SIZE, |l| l.min(IO_SIZE as u64) as usize);
            let r = match input.read(&mut buf[..n]) {
                Ok(r) => r,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(failed(os_errno(&e), &format!("read: {}", src_shown))),
            };
            if r == 0 {
                if left.is_none() {
                    break;
                }
                return Err(Error::msg(format!("{}: input too short", src_shown)));
            }
            self.copy_out(&mut output, &buf[..r], dest, range.sparse)?;
            if let (Some(l), Some(total)) = (left.as_mut(), range.size) {
                *l -= r as u64;
                self.progress.notify(total - *l, total);
            }
        }
        close(input, &format!("close: {}", src_shown))?;
        close(output, &format!("close: {}", dest.shown))
    }

    /// Writes what was read, leaving holes for the all-zero blocks of a sparse copy.
    fn copy_out(
        &self,
        output: &mut File,
        data: &[u8],
        dest: &CopyDest,
        sparse: bool,
    ) -> Result<()> {
        if !sparse {
            return write_fully(output, data)
                .map_err(|e| failed(e, &format!("{}: write", dest.shown)));
        }
        for block in data.chunks(BUFSIZ) {
            if is_zero(block) {
                std::io::Seek::seek(output, std::io::SeekFrom::Current(block.len() as i64))
                    .map_err(|e| {
                        failed(
                            os_errno(&e),
                            &format!("{}: seek (because of sparse flag)", dest.shown),
                        )
                    })?;
            } else {
                write_fully(output, block)
                    .map_err(|e| failed(e, &format!("{}: write", dest.shown)))?;
            }
        }
        Ok(())
    }

    pub(super) fn copy_file_to_file(
        &mut self,
        src: &str,
        dest: &str,
        opts: &CopyFileToFileOpts,
    ) -> Result<()> {
        let range = CopyRange::from_opts(opts)?;
        let append = if opts.append == Some(true) {
            libc::O_APPEND
        } else {
            libc::O_TRUNC
        };
        // 1.48 prefixes both with the sysroot (no chroot).
        let (s, d) = (self.sysroot_path(src), self.sysroot_path(dest));
        let to = CopyDest {
            path: &d,
            shown: dest,
            flags: libc::O_WRONLY | libc::O_CREAT | libc::O_NOCTTY | append,
            mode: 0o666,
            unlink_on_failure: true,
        };
        self.copy_range(&s, src, &to, &range)
    }

    /// 1.48's deprecated `copy_size`: exactly `size` bytes, devices or sysroot-prefixed paths.
    pub(super) fn copy_size(&mut self, src: &str, dest: &str, size: i64) -> Result<()> {
        let on_disk = |p: &str| {
            if is_device_parameter(p) {
                p.to_string()
            } else {
                self.sysroot_path(p)
            }
        };
        let (s, d) = (on_disk(src), on_disk(dest));
        let input = open_raw(&s, libc::O_RDONLY, 0).map_err(|e| failed(e, src))?;
        let (flags, mode) = if is_device_parameter(dest) {
            (libc::O_WRONLY, 0)
        } else {
            (
                libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_NOCTTY,
                0o666,
            )
        };
        let output = open_raw(&d, flags, mode).map_err(|e| failed(e, dest))?;
        let total = size as u64;
        let mut position = 0u64;
        let mut buf = vec![0u8; IO_SIZE];
        while position < total {
            let n = (total - position).min(IO_SIZE as u64) as usize;
            let r = match (&input).read(&mut buf[..n]) {
                Ok(0) => return Err(Error::msg(format!("{}: input file too short", src))),
                Ok(r) => r,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(failed(os_errno(&e), &format!("{}: read", src))),
            };
            write_fully(&output, &buf[..r]).map_err(|e| failed(e, &format!("{}: write", dest)))?;
            position += r as u64;
            self.progress.notify(position, total);
        }
        close(input, &format!("{}: close", src))?;
        close(output, &format!("{}: close", dest))
    }

    /// open(2) of a guest path inside the chroot.
    fn open_in_guest(
        &self,
        path: &str,
        flags: libc::c_int,
        mode: libc::mode_t,
    ) -> Result<std::result::Result<File, i32>> {
        let _c = Chroot::enter(&self.sysroot)?;
        Ok(open_raw(path, flags, mode))
    }

    /// `fill` and `fill_pattern`: `len` bytes of `chunk` repeated, over the start of the file
    /// (which is not truncated, as in 1.48). With `partial`, what one write(2) wrote counts
    /// (1.48's `fill`); otherwise each piece is written whole (`fill_pattern`).
    fn fill_with(&mut self, chunk: &[u8], partial: bool, len: usize, path: &str) -> Result<()> {
        let f = self
            .open_in_guest(path, libc::O_WRONLY | libc::O_CREAT | libc::O_NOCTTY, 0o666)?
            .map_err(|e| failed(e, &format!("open: {}", path)))?;
        let mut n = 0usize;
        while n < len {
            let want = (len - n).min(chunk.len());
            let written = if partial {
                // SAFETY: `chunk` holds at least `want` bytes.
                let r = unsafe { libc::write(f.as_raw_fd(), chunk.as_ptr().cast(), want) };
                if r == -1 {
                    return Err(failed(errno(), &format!("write: {}", path)));
                }
                r as usize
            } else {
                write_fully(&f, &chunk[..want])
                    .map_err(|e| failed(e, &format!("write: {}", path)))?;
                want
            };
            n += written;
            self.progress.notify(n as u64, len as u64);
        }
        close(f, &format!("close: {}", path))
    }

    pub(super) fn fill(&mut self, c: i32, len: i32, path: &str) -> Result<()> {
        if !(0..=255).contains(&c) {
            return Err(Error::msg(format!(
                "{}: byte number must be in range 0..255",
                c
            )));
        }
        if len < 0 {
            return Err(Error::msg(format!("{}: length is < 0", len)));
        }
        self.fill_with(&[c as u8; IO_SIZE], true, len as usize, path)
    }

    pub(super) fn fill_pattern(&mut self, pattern: &str, len: i32, path: &str) -> Result<()> {
        // The pattern is a C string: it ends at its first NUL.
        let pattern = c_prefix(pattern.as_bytes());
        if pattern.is_empty() {
            return Err(Error::msg("pattern string must be non-empty"));
        }
        if len < 0 {
            return Err(Error::msg(format!("{}: length is < 0", len)));
        }
        // Whole repetitions of the pattern per write, so each write starts where it starts.
        let chunk = pattern.repeat((IO_SIZE / pattern.len()).max(1));
        self.fill_with(&chunk, false, len as usize, path)
    }

    pub(super) fn fill_dir(&mut self, dir: &str, nr: i32) -> Result<()> {
        for i in 0..nr.max(0) {
            let name = format!("{}/{:08}", dir, i);
            let f = self
                .open_in_guest(
                    &name,
                    libc::O_WRONLY | libc::O_CREAT | libc::O_NOCTTY,
                    0o666,
                )?
                .map_err(|e| failed(e, &format!("create: {}", name)))?;
            close(f, &format!("close: {}", name))?;
        }
        Ok(())
    }

    pub(super) fn pwrite(&mut self, path: &str, content: &[u8], offset: i64) -> Result<i32> {
        if offset < 0 {
            return Err(Error::msg("offset is negative"));
        }
        let f = self
            .open_in_guest(path, libc::O_WRONLY, 0)?
            .map_err(|e| failed(e, &format!("open: {}", path)))?;
        // SAFETY: `content` is valid for its length.
        let r = unsafe {
            libc::pwrite64(
                f.as_raw_fd(),
                content.as_ptr().cast(),
                content.len(),
                offset,
            )
        };
        if r == -1 {
            return Err(failed(errno(), &format!("pwrite: {}", path)));
        }
        close(f, &format!("close: {}", path))?;
        Ok(r as i32)
    }

    pub(super) fn write_file(&mut self, path: &str, content: &str, size: i32) -> Result<()> {
        if size < 0 {
            return Err(Error::msg("size cannot be negative"));
        }
        let content = c_prefix(content.as_bytes());
        let size = match size as usize {
            0 => content.len(),
            n if n > content.len() => {
                return Err(Error::msg("size parameter is larger than string content"))
            }
            n => n,
        };
        let f = self
            .open_in_guest(
                path,
                libc::O_WRONLY | libc::O_TRUNC | libc::O_CREAT | libc::O_NOCTTY,
                0o666,
            )?
            .map_err(|e| failed(e, &format!("open: {}", path)))?;
        write_fully(&f, &content[..size]).map_err(|e| failed(e, "write"))?;
        close(f, &format!("close: {}", path))
    }

    pub(super) fn fallocate64(&mut self, path: &str, len: i64) -> Result<()> {
        let f = self
            .open_in_guest(
                path,
                libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_NOCTTY,
                0o666,
            )?
            .map_err(|e| failed(e, &format!("open: {}", path)))?;
        // SAFETY: a valid descriptor.
        let err = unsafe { libc::posix_fallocate64(f.as_raw_fd(), 0, len) };
        if err != 0 {
            return Err(failed(err, path));
        }
        close(f, &format!("close: {}", path))
    }

    /// 1.48's `zero`: the first 32 blocks of 4096 bytes of a device, written only where they
    /// are not already zero.
    pub(super) fn zero(&mut self, device: &str) -> Result<()> {
        const BLOCK: usize = 4096;
        let f = open_raw(device, libc::O_RDWR, 0).map_err(|e| failed(e, device))?;
        let zeroes = [0u8; BLOCK];
        let mut buf = [0u8; BLOCK];
        for i in 0..32u64 {
            let offset = (i * BLOCK as u64) as i64;
            // SAFETY: `buf` is BLOCK bytes long.
            let r = unsafe { libc::pread64(f.as_raw_fd(), buf.as_mut_ptr().cast(), BLOCK, offset) };
            if r != BLOCK as isize {
                let e = if r == -1 { errno() } else { 0 };
                return Err(failed(e, &format!("pread: {}", device)));
            }
            if !is_zero(&buf) {
                // SAFETY: `zeroes` is BLOCK bytes long.
                let w =
                    unsafe { libc::pwrite64(f.as_raw_fd(), zeroes.as_ptr().cast(), BLOCK, offset) };
                if w != BLOCK as isize {
                    let e = if w == -1 { errno() } else { 0 };
                    return Err(failed(e, &format!("pwrite: {}", device)));
                }
            }
            self.progress.notify(i, 32);
        }
        close(f, &format!("close: {}", device))
    }

    pub(super) fn utimens(&mut self, path: &str, times: [(i64, i64); 2]) -> Result<()> {
        let nsec = |n: i64| match n {
            -1 => libc::UTIME_NOW,
            -2 => libc::UTIME_OMIT,
            n => n,
        };
        let ts = times.map(|(s, n)| libc::timespec {
            tv_sec: s,
            tv_nsec: nsec(n),
        });
        let c = cstr(path)?;
        let _c = Chroot::enter(&self.sysroot)?;
        // SAFETY: a valid C string and two timespecs.
        let r = unsafe {
            libc::utimensat(
                libc::AT_FDCWD,
                c.as_ptr(),
                ts.as_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        if r == -1 {
            return Err(failed(errno(), &format!("utimensat: {}", path)));
        }
        Ok(())
    }

    /// `mkdtemp` and `mktemp`: a unique name from a template, made in the guest.
    pub(super) fn mkdtemp(&mut self, tmpl: &str) -> Result<String> {
        let mut buf = cstr(tmpl)?.into_bytes_with_nul();
        let r = {
            let _c = Chroot::enter(&self.sysroot)?;
            // SAFETY: `buf` is a NUL-terminated writable template.
            unsafe { libc::mkdtemp(buf.as_mut_ptr().cast()) }
        };
        if r.is_null() {
            return Err(failed(errno(), tmpl));
        }
        Ok(from_c_buf(&buf))
    }

    pub(super) fn mktemp(&mut self, tmpl: &str, suffix: Option<&str>) -> Result<String> {
        let (name, suffix_len) = match suffix {
            Some(s) => {
                if !tmpl.ends_with('X') {
                    return Err(Error::msg(format!("template {} must end in X", tmpl)));
                }
                (format!("{}{}", tmpl, s), s.len())
            }
            None => (tmpl.to_string(), 0),
        };
        let mut buf = cstr(&name)?.into_bytes_with_nul();
        let fd = {
            let _c = Chroot::enter(&self.sysroot)?;
            // SAFETY: `buf` is a NUL-terminated writable template.
            unsafe { libc::mkstemps(buf.as_mut_ptr().cast(), suffix_len as libc::c_int) }
        };
        if fd == -1 {
            return Err(failed(errno(), &name));
        }
        // SAFETY: fd was just created and is ours.
        unsafe { libc::close(fd) };
        Ok(from_c_buf(&buf))
    }

    /// mknod(2) in the guest: `mknod` and the typed calls built on it.
    pub(super) fn mknod(&mut self, mode: i32, major: i32, minor: i32, path: &str) -> Result<()> {
        if mode < 0 {
            return Err(Error::msg(format!("{}: mode is negative", path)));
        }
        let c = cstr(path)?;
        let dev = libc::makedev(major as u32, minor as u32);
        let _c = Chroot::enter(&self.sysroot)?;
        // SAFETY: a valid C string.
        if unsafe { libc::mknod(c.as_ptr(), mode as libc::mode_t, dev) } == -1 {
            return Err(failed(errno(), path));
        }
        Ok(())
    }

    /// `mkfifo`, `mknod_b`, `mknod_c`: permission bits only, then the file type added.
    pub(super) fn mknod_typed(
        &mut self,
        kind: libc::mode_t,
        mode: i32,
        major: i32,
        minor: i32,
        path: &str,
    ) -> Result<()> {
        if mode & !0o7777 != 0 {
            return Err(Error::msg(format!(
                "{:o}: mode must specify only file permission bits",
                mode as u32
            )));
        }
        self.mknod(mode | kind as i32, major, minor, path)
    }

    /// link(2) in the guest; `replace` removes the link name first (`ln_f`).
    pub(super) fn hard_link(&mut self, target: &str, linkname: &str, replace: bool) -> Result<()> {
        let (t, l) = (cstr(target)?, cstr(linkname)?);
        let _c = Chroot::enter(&self.sysroot)?;
        // SAFETY: valid C strings.
        let r = unsafe {
            if replace {
                libc::unlink(l.as_ptr());
            }
            libc::link(t.as_ptr(), l.as_ptr())
        };
        if r == -1 {
            return Err(failed(errno(), &format!("link: {}: {}", target, linkname)));
        }
        Ok(())
    }

    /// `ln -sf` on the sysroot path of the link name (the target is stored as given).
    pub(super) fn symlink_force(&mut self, target: &str, linkname: &str) -> Result<()> {
        let link = self.sysroot_path(linkname);
        let prefix = format!("ln -sf: {}: {}", target, linkname);
        command_ok("ln", &["-sf", "--", target, &link], false, &prefix).map(|_| ())
    }

    /// `cp FLAGS` on sysroot paths; cp's own error text is the error.
    pub(super) fn cp_with(&mut self, flags: &str, src: &str, dest: &str) -> Result<()> {
        let (s, d) = (self.sysroot_path(src), self.sysroot_path(dest));
        command_ok("cp", &[flags, &s, &d], false, "").map(|_| ())
    }

    pub(super) fn lchown(&mut self, owner: i32, group: i32, path: &str) -> Result<()> {
        let c = cstr(path)?;
        let _c = Chroot::enter(&self.sysroot)?;
        // SAFETY: a valid C string; -1 leaves an id unchanged.
        let r = unsafe { libc::lchown(c.as_ptr(), owner as libc::uid_t, group as libc::gid_t) };
        if r == -1 {
            return Err(failed(errno(), &format!("{}: {}.{}", path, owner, group)));
        }
        Ok(())
    }

    pub(super) fn rename(&mut self, oldpath: &str, newpath: &str) -> Result<()> {
        let (o, n) = (cstr(oldpath)?, cstr(newpath)?);
        let _c = Chroot::enter(&self.sysroot)?;
        // SAFETY: valid C strings.
        if unsafe { libc::rename(o.as_ptr(), n.as_ptr()) } == -1 {
            return Err(failed(
                errno(),
                &format!("rename: {}: {}", oldpath, newpath),
            ));
        }
        Ok(())
    }

    /// `scrub -r` on the file a guest path resolves to (inside the guest). When it does not
    /// resolve, 1.48 reports the failure as a `malloc` error; so does this.
    pub(super) fn scrub_file(&mut self, file: &str) -> Result<()> {
        let resolved = {
            let _c = Chroot::enter(&self.sysroot)?;
            std::fs::canonicalize(file).map_err(|e| os_errno(&e))
        };
        let resolved = match resolved {
            Ok(p) => self.sysroot_path(&p.to_string_lossy()),
            Err(e) => return Err(failed(e, "malloc")),
        };
        command_ok("scrub", &["-r", &resolved], false, file).map(|_| ())
    }

    /// glob(3) in the guest with braces, marking directories with a slash unless asked not
    /// to; no match is an empty list.
    pub(super) fn glob_expand(
        &mut self,
        pattern: &str,
        directoryslash: bool,
    ) -> Result<Vec<String>> {
        let c = cstr(pattern)?;
        let mut flags = GLOB_BRACE;
        if directoryslash {
            flags |= libc::GLOB_MARK;
        }
        // SAFETY: glob_t is plain data, filled by glob and released by globfree.
        let mut g: libc::glob_t = unsafe { std::mem::zeroed() };
        let (r, e) = {
            let _c = Chroot::enter(&self.sysroot)?;
            // SAFETY: valid pattern and glob_t; glob never changes the working directory.
            let r = unsafe {
                *libc::__errno_location() = 0;
                libc::glob(c.as_ptr(), flags, None, &mut g)
            };
            (r, errno_now())
        };
        let out = if r == 0 {
            // SAFETY: glob returned gl_pathc valid C strings in gl_pathv.
            Ok((0..g.gl_pathc)
                .map(|i| unsafe { CStr::from_ptr(*g.gl_pathv.add(i)) })
                .map(|s| String::from_utf8_lossy(s.to_bytes()).into_owned())
                .collect())
        } else if r == libc::GLOB_NOMATCH {
            Ok(Vec::new())
        } else if e != 0 {
            Err(failed(e, pattern))
        } else {
            Err(Error::msg(format!("glob failed: {}", pattern)))
        };
        // SAFETY: `g` was initialised by glob.
        unsafe { libc::globfree(&mut g) };
        out
    }

    /// 1.48's `internal_upload`: the incoming file to an appliance path (not in the guest),
    /// created with `mode`.
    pub(super) fn internal_upload(
        &mut self,
        file: &mut FileIn,
        tmpname: &str,
        mode: i32,
    ) -> Result<()> {
        let f = open_raw(
            tmpname,
            libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_NOCTTY,
            mode as libc::mode_t,
        )
        .map_err(|e| failed(e, tmpname))?;
        let mut buf = vec![0u8; guestfs_protocol::MAX_CHUNK_SIZE];
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => return Err(Error::from(e)),
            };
            if (&f).write_all(&buf[..n]).is_err() {
                return Err(Error::msg(format!("write error: {}", tmpname)));
            }
        }
        close(f, &format!("close: {}", tmpname))
    }
}

/// The errno of an io::Error.
fn os_errno(e: &std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

/// errno as it is now (0 when unset).
fn errno_now() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// The bytes of a C string argument up to its first NUL (what C's `strlen` sees).
fn c_prefix(b: &[u8]) -> &[u8] {
    b.iter().position(|&c| c == 0).map_or(b, |i| &b[..i])
}

/// A NUL-terminated buffer as a string.
fn from_c_buf(buf: &[u8]) -> String {
    String::from_utf8_lossy(c_prefix(buf)).into_owned()
}

/// 1.48's `umask` and `get_umask`.
pub fn set_umask(mask: i32) -> Result<i32> {
    if !(0..=0o777).contains(&mask) {
        return Err(Error::msg(format!(
            "0{:o}: mask negative or out of range",
            mask as u32
        )));
    }
    // SAFETY: umask cannot fail.
    Ok(unsafe { libc::umask(mask as libc::mode_t) } as i32)
}

pub fn get_umask() -> i32 {
    // SAFETY: umask cannot fail; the previous mask is put back at once.
    unsafe {
        let r = libc::umask(0o022);
        libc::umask(r);
        r as i32
    }
}
