//! Files in the mounted guest: metadata, directories, contents, transfers, and the basic
//! writing calls. Guest paths are resolved inside a chroot into the sysroot (as 1.48's daemon
//! does), so absolute symlinks in the guest stay in the guest.

use super::files_read::GrepFlags;
use crate::daemon::Daemon;
use crate::devices::is_device_parameter;
use crate::sys::{command_ok, cstr, errno, io_error, perror, Chroot};
use guestfs_protocol::calls;
use guestfs_protocol::checksum::Checksummer;
use guestfs_protocol::error::strerror;
use guestfs_protocol::lossless;
use guestfs_protocol::{
    CopyFileToFileOpts, Dirent, Error, FileIn, GlobExpandOpts, GrepOpts, InotifyEvent,
    IsBlockdevOpts, IsChardevOpts, IsDirOpts, IsFifoOpts, IsFileOpts, IsSocketOpts, MktempOpts,
    Result, StatNs,
};
use std::ffi::CStr;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, OpenOptionsExt};

fn stat_of(st: &libc::stat64) -> StatNs {
    StatNs {
        st_dev: st.st_dev as i64,
        st_ino: st.st_ino as i64,
        st_mode: st.st_mode as i64,
        st_nlink: st.st_nlink as i64,
        st_uid: st.st_uid as i64,
        st_gid: st.st_gid as i64,
        st_rdev: st.st_rdev as i64,
        st_size: st.st_size,
        st_blksize: st.st_blksize,
        st_blocks: st.st_blocks,
        st_atime_sec: st.st_atime,
        st_atime_nsec: st.st_atime_nsec,
        st_mtime_sec: st.st_mtime,
        st_mtime_nsec: st.st_mtime_nsec,
        st_ctime_sec: st.st_ctime,
        st_ctime_nsec: st.st_ctime_nsec,
        ..Default::default()
    }
}

/// stat/lstat of a path relative to the current root; Err(errno).
fn raw_stat(path: &str, follow: bool) -> std::result::Result<libc::stat64, i32> {
    let c = cstr(path).map_err(|_| libc::EINVAL)?;
    // SAFETY: st is written by the call.
    let mut st: libc::stat64 = unsafe { std::mem::zeroed() };
    let r = unsafe {
        if follow {
            libc::stat64(c.as_ptr(), &mut st)
        } else {
            libc::lstat64(c.as_ptr(), &mut st)
        }
    };
    if r == -1 {
        Err(errno())
    } else {
        Ok(st)
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{}{}", dir, name)
    } else {
        format!("{}/{}", dir, name)
    }
}

fn raw_readlink(path: &str) -> std::result::Result<String, i32> {
    std::fs::read_link(lossless::os_str_of(path))
        .map(|p| lossless::string_of(p.as_os_str().as_bytes()).into_owned())
        .map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))
}

/// The raw entries of a directory (with `.` and `..`) in on-disk order: (ino, d_type, name).
/// One directory's entries (inode, `d_type`, name) as `readdir` returned them, and the error
/// that ended the listing early, if one did (a damaged directory block, say).
struct DirListing {
    entries: Vec<(u64, u8, Vec<u8>)>,
    readdir_error: Option<i32>,
}

/// Lists a directory; fails only when it cannot be opened.
fn list_dir(path: &str) -> std::result::Result<DirListing, i32> {
    let c = cstr(path).map_err(|_| libc::EINVAL)?;
    // SAFETY: opendir/readdir64/closedir on a handle we own; entries are copied out at once.
    unsafe {
        let d = libc::opendir(c.as_ptr());
        if d.is_null() {
            return Err(errno());
        }
        let mut entries = Vec::new();
        let readdir_error = loop {
            *libc::__errno_location() = 0;
            let e = libc::readdir64(d);
            if e.is_null() {
                break Some(errno()).filter(|&n| n != 0);
            }
            let name = CStr::from_ptr((*e).d_name.as_ptr()).to_bytes().to_vec();
            entries.push(((*e).d_ino, (*e).d_type, name));
        };
        libc::closedir(d);
        Ok(DirListing {
            entries,
            readdir_error,
        })
    }
}

/// A directory's entries, ignoring an error part-way (1.48's `readdir` and friends do not
/// check for one).
fn read_dir_raw(path: &str) -> std::result::Result<Vec<(u64, u8, Vec<u8>)>, i32> {
    list_dir(path).map(|l| l.entries)
}

fn opendir_error(dir: &str, e: i32) -> Error {
    Error::new(e, format!("opendir: {}: {}", dir, strerror(e)))
}

/// Every path below `dir`, relative to it, each followed by `\0` (pre-order, like find).
///
/// Returns false when a directory could not be read, or only in part: `find` then reports it
/// and exits 1, and 1.48's `find0` cancels its transfer.
fn walk(base: &[u8], rel: &[u8], depth: usize, out: &mut Vec<u8>) -> bool {
    if depth > 4096 {
        return true;
    }
    let mut full = base.to_vec();
    if !rel.is_empty() {
        if !full.ends_with(b"/") {
            full.push(b'/');
        }
        full.extend_from_slice(rel);
    }
    let path = lossless::string_from(full);
    let Ok(listing) = list_dir(&path) else {
        return false;
    };
    let mut complete = listing.readdir_error.is_none();
    for (_, t, name) in listing.entries {
        if name == b"." || name == b".." {
            continue;
        }
        let mut r = rel.to_vec();
        if !r.is_empty() {
            r.push(b'/');
        }
        r.extend_from_slice(&name);
        out.extend_from_slice(&r);
        out.push(0);
        let is_dir = match t {
            libc::DT_DIR => true,
            libc::DT_UNKNOWN => {
                let p = format!(
                    "{}/{}",
                    path.trim_end_matches('/'),
                    lossless::string_of(&name)
                );
                raw_stat(&p, false)
                    .map(|s| s.st_mode & libc::S_IFMT == libc::S_IFDIR)
                    .unwrap_or(false)
            }
            _ => false,
        };
        if is_dir {
            complete &= walk(base, &r, depth + 1, out);
        }
    }
    complete
}

/// Reads up to `count` bytes at `offset` (fewer at the end of the file).
pub fn read_at_most(f: &File, count: usize, offset: u64, shown: &str) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; count];
    let mut got = 0;
    while got < buf.len() {
        match f.read_at(&mut buf[got..], offset + got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(&e, shown)),
        }
    }
    buf.truncate(got);
    Ok(buf)
}

/// "PATH: is a directory" (1.48's check before a download, RHBZ#908321).
fn check_not_directory(f: &File, path: &str) -> Result<()> {
    let md = f
        .metadata()
        .map_err(|e| io_error(&e, &format!("fstat: {}", path)))?;
    if md.is_dir() {
        return Err(Error::msg(format!("{}: is a directory", path)));
    }
    Ok(())
}

/// `perror` with whatever errno is current, as 1.48 reports its negative offsets.
fn negative(path: &str) -> Error {
    Error::msg(format!(
        "{}: offset in file is negative: {}",
        path,
        strerror(0)
    ))
}

impl Daemon {
    /// Opens a device or a guest file for reading: (file, size for progress).
    fn open_for_download(&self, target: &str) -> Result<(File, u64)> {
        if is_device_parameter(target) {
            let f = File::open(target).map_err(|e| io_error(&e, target))?;
            check_not_directory(&f, target)?;
            let size = super::devices::size64(target)?.max(0) as u64;
            return Ok((f, size));
        }
        let f = {
            let _c = Chroot::enter(&self.sysroot)?;
            File::open(lossless::os_str_of(target)).map_err(|e| io_error(&e, target))?
        };
        check_not_directory(&f, target)?;
        let size = f.metadata().map(|m| m.len()).unwrap_or(0);
        Ok((f, size))
    }

    /// Sends `len` bytes of `f` from where it is, with progress messages.
    fn send_file(&mut self, f: &mut File, len: u64, out: &mut dyn Write) -> Result<()> {
        let mut buf = vec![0u8; guestfs_protocol::MAX_CHUNK_SIZE];
        let mut sent = 0u64;
        while sent < len {
            let want = (len - sent).min(buf.len() as u64) as usize;
            let n = match f.read(&mut buf[..want]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::from(e)),
            };
            out.write_all(&buf[..n]).map_err(Error::from)?;
            sent += n as u64;
            self.progress.notify(sent, len);
        }
        Ok(())
    }

    /// 1.48's `upload`: the incoming file into a device or a guest file.
    fn upload_to(
        &mut self,
        file: &mut FileIn,
        target: &str,
        truncate: bool,
        offset: i64,
    ) -> Result<()> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true)
            .mode(0o666)
            .custom_flags(libc::O_NOCTTY | libc::O_CLOEXEC);
        if !is_device_parameter(target) {
            opts.create(true).truncate(truncate);
        }
        let f = if is_device_parameter(target) {
            opts.open(target)
        } else {
            let _c = Chroot::enter(&self.sysroot)?;
            opts.open(target)
        };
        let mut f = f.map_err(|e| io_error(&e, target))?;
        if offset > 0 {
            std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(offset as u64))
                .map_err(|e| io_error(&e, &format!("lseek: {}", target)))?;
        }
        let hint = file.size_hint;
        let mut buf = vec![0u8; guestfs_protocol::MAX_CHUNK_SIZE];
        let mut written = 0u64;
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                // A cancel chunk from the library: the server answers for it.
                Err(e) => return Err(Error::from(e)),
            };
            if f.write_all(&buf[..n]).is_err() {
                return Err(Error::msg(format!("write error: {}", target)));
            }
            written += n as u64;
            if hint > 0 {
                self.progress.notify(written, hint);
            }
        }
        f.sync_all().map_err(|e| io_error(&e, "close"))
    }

    /// 1.48's `internal_write` and `internal_write_append`.
    fn write_content(&self, path: &str, content: &[u8], append: bool) -> Result<()> {
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true)
            .mode(0o666)
            .custom_flags(libc::O_NOCTTY | libc::O_CLOEXEC);
        if append {
            opts.append(true);
        } else {
            opts.write(true).truncate(true);
        }
        let mut f = {
            let _c = Chroot::enter(&self.sysroot)?;
            opts.open(path)
                .map_err(|e| io_error(&e, &format!("open: {}", path)))?
        };
        f.write_all(content).map_err(|e| io_error(&e, "write"))?;
        // 1.48 closes without syncing (the data reaches the disk at sync or unmount, as the
        // library's autosync does): an fsync per small file costs a journal commit each.
        use std::os::fd::IntoRawFd;
        // SAFETY: the descriptor is ours alone, closed once here.
        if unsafe { libc::close(f.into_raw_fd()) } == -1 {
            return Err(crate::sys::perror(&format!("close: {}", path)));
        }
        Ok(())
    }

    /// A system call on a guest path inside the chroot; Err(errno).
    fn in_guest<T>(
        &self,
        f: impl FnOnce() -> std::result::Result<T, i32>,
    ) -> Result<std::result::Result<T, i32>> {
        let _c = Chroot::enter(&self.sysroot)?;
        Ok(f())
    }

    /// `cp`/`mv`/`rm`/`ln` run on sysroot paths; their own error text is the error.
    fn coreutil(&self, program: &str, args: &[&str]) -> Result<()> {
        command_ok(program, args, false, "").map(|_| ())
    }
}

/// A libc call returning -1 on failure, as Err(errno).
fn check(r: libc::c_int) -> std::result::Result<(), i32> {
    if r == -1 {
        Err(errno())
    } else {
        Ok(())
    }
}

/// 1.48's `recursive_mkdir`: Ok, Err(Some(errno)), or Err(None) when a path element exists
/// and is not a directory.
fn recursive_mkdir(path: &str, depth: usize) -> std::result::Result<(), Option<i32>> {
    let c = cstr(path).map_err(|_| Some(libc::EINVAL))?;
    // SAFETY: valid C string.
    if unsafe { libc::mkdir(c.as_ptr(), 0o777) } == 0 {
        return Ok(());
    }
    match errno() {
        libc::EEXIST => match raw_stat(path, false) {
            Ok(st) if st.st_mode & libc::S_IFMT == libc::S_IFDIR => Ok(()),
            Ok(_) => Err(None),
            Err(e) => Err(Some(e)),
        },
        libc::ENOENT if path != "/" && depth < 4096 => {
            let parent = match path.rfind('/') {
                Some(0) => "/",
                Some(i) => &path[..i],
                None => return Err(Some(libc::ENOENT)),
            };
            recursive_mkdir(parent, depth + 1)?;
            // SAFETY: valid C string.
            if unsafe { libc::mkdir(c.as_ptr(), 0o777) } == 0 {
                Ok(())
            } else {
                Err(Some(errno()))
            }
        }
        e => Err(Some(e)),
    }
}

impl calls::Files for Daemon {
    // BEGIN reading calls (grep family, head/tail, wc, strings, hexdump, file, …): each a
    // one-line delegation to `files_read.rs`.
    fn du(&mut self, path: &str) -> Result<i64> {
        self.du_kb(path)
    }
    fn grep(&mut self, regex: &str, path: &str, opts: &GrepOpts) -> Result<Vec<String>> {
        self.grep_lines(regex, path, GrepFlags::from(opts))
    }
    fn egrep(&mut self, regex: &str, path: &str) -> Result<Vec<String>> {
        self.grep_lines(regex, path, GrepFlags::named("egrep"))
    }
    fn fgrep(&mut self, pattern: &str, path: &str) -> Result<Vec<String>> {
        self.grep_lines(pattern, path, GrepFlags::named("fgrep"))
    }
    fn grepi(&mut self, regex: &str, path: &str) -> Result<Vec<String>> {
        self.grep_lines(regex, path, GrepFlags::named("grepi"))
    }
    fn egrepi(&mut self, regex: &str, path: &str) -> Result<Vec<String>> {
        self.grep_lines(regex, path, GrepFlags::named("egrepi"))
    }
    fn fgrepi(&mut self, pattern: &str, path: &str) -> Result<Vec<String>> {
        self.grep_lines(pattern, path, GrepFlags::named("fgrepi"))
    }
    fn zgrep(&mut self, regex: &str, path: &str) -> Result<Vec<String>> {
        self.grep_lines(regex, path, GrepFlags::named("zgrep"))
    }
    fn zegrep(&mut self, regex: &str, path: &str) -> Result<Vec<String>> {
        self.grep_lines(regex, path, GrepFlags::named("zegrep"))
    }
    fn zfgrep(&mut self, pattern: &str, path: &str) -> Result<Vec<String>> {
        self.grep_lines(pattern, path, GrepFlags::named("zfgrep"))
    }
    fn zgrepi(&mut self, regex: &str, path: &str) -> Result<Vec<String>> {
        self.grep_lines(regex, path, GrepFlags::named("zgrepi"))
    }
    fn zegrepi(&mut self, regex: &str, path: &str) -> Result<Vec<String>> {
        self.grep_lines(regex, path, GrepFlags::named("zegrepi"))
    }
    fn zfgrepi(&mut self, pattern: &str, path: &str) -> Result<Vec<String>> {
        self.grep_lines(pattern, path, GrepFlags::named("zfgrepi"))
    }
    fn equal(&mut self, file1: &str, file2: &str) -> Result<bool> {
        self.files_equal(file1, file2)
    }
    fn file(&mut self, path: &str) -> Result<String> {
        self.file_type(path)
    }
    fn file_architecture(&mut self, filename: &str) -> Result<String> {
        self.architecture(filename)
    }
    fn zfile(&mut self, meth: &str, path: &str) -> Result<String> {
        self.zfile_type(meth, path)
    }
    fn head(&mut self, path: &str) -> Result<Vec<String>> {
        self.head_tail("head", "10", path)
    }
    fn head_n(&mut self, nrlines: i32, path: &str) -> Result<Vec<String>> {
        self.head_tail("head", &nrlines.to_string(), path)
    }
    fn tail(&mut self, path: &str) -> Result<Vec<String>> {
        self.head_tail("tail", "10", path)
    }
    // 1.48: a negative count means "from line -N on", tail's +N.
    fn tail_n(&mut self, nrlines: i32, path: &str) -> Result<Vec<String>> {
        self.head_tail(
            "tail",
            &if nrlines >= 0 {
                nrlines.to_string()
            } else {
                format!("+{}", -(nrlines as i64))
            },
            path,
        )
    }
    fn hexdump(&mut self, path: &str) -> Result<String> {
        self.hexdump_text(path)
    }
    fn initrd_cat(&mut self, initrdpath: &str, filename: &str) -> Result<Vec<u8>> {
        self.initrd_member(initrdpath, filename)
    }
    fn initrd_list(&mut self, path: &str) -> Result<Vec<String>> {
        self.initrd_names(path)
    }
    fn is_blockdev(&mut self, path: &str, opts: &IsBlockdevOpts) -> Result<bool> {
        self.is_kind(path, opts.followsymlinks == Some(true), libc::S_IFBLK)
    }
    fn is_chardev(&mut self, path: &str, opts: &IsChardevOpts) -> Result<bool> {
        self.is_kind(path, opts.followsymlinks == Some(true), libc::S_IFCHR)
    }
    fn is_fifo(&mut self, path: &str, opts: &IsFifoOpts) -> Result<bool> {
        self.is_kind(path, opts.followsymlinks == Some(true), libc::S_IFIFO)
    }
    fn is_socket(&mut self, path: &str, opts: &IsSocketOpts) -> Result<bool> {
        self.is_kind(path, opts.followsymlinks == Some(true), libc::S_IFSOCK)
    }
    fn is_zero(&mut self, path: &str) -> Result<bool> {
        self.file_is_zero(path)
    }
    fn llz(&mut self, directory: &str) -> Result<String> {
        self.llz_listing(directory)
    }
    fn strings(&mut self, path: &str) -> Result<Vec<String>> {
        self.strings_lines("s", path)
    }
    fn strings_e(&mut self, encoding: &str, path: &str) -> Result<Vec<String>> {
        self.strings_lines(encoding, path)
    }
    fn wc_c(&mut self, path: &str) -> Result<i32> {
        self.wc("-c", path)
    }
    fn wc_l(&mut self, path: &str) -> Result<i32> {
        self.wc("-l", path)
    }
    fn wc_w(&mut self, path: &str) -> Result<i32> {
        self.wc("-w", path)
    }
    // END reading calls

    fn statns(&mut self, path: &str) -> Result<StatNs> {
        self.in_guest(|| raw_stat(path, true))?
            .map(|st| stat_of(&st))
            .map_err(|e| Error::path(e, path))
    }

    fn lstatns(&mut self, path: &str) -> Result<StatNs> {
        self.in_guest(|| raw_stat(path, false))?
            .map(|st| stat_of(&st))
            .map_err(|e| Error::path(e, path))
    }

    fn internal_lstatnslist(&mut self, path: &str, names: &[String]) -> Result<Vec<StatNs>> {
        let _c = Chroot::enter(&self.sysroot)?;
        Ok(names
            .iter()
            .map(|n| {
                raw_stat(&join(path, n), false)
                    .map(|st| stat_of(&st))
                    .unwrap_or(StatNs {
                        st_ino: -1,
                        ..Default::default()
                    })
            })
            .collect())
    }

    fn readlink(&mut self, path: &str) -> Result<String> {
        self.in_guest(|| raw_readlink(path))?
            .map_err(|e| Error::new(e, format!("readlink: {}: {}", path, strerror(e))))
    }

    fn internal_readlinklist(&mut self, path: &str, names: &[String]) -> Result<Vec<String>> {
        let _c = Chroot::enter(&self.sysroot)?;
        Ok(names
            .iter()
            .map(|n| raw_readlink(&join(path, n)).unwrap_or_default())
            .collect())
    }

    fn realpath(&mut self, path: &str) -> Result<String> {
        let _c = Chroot::enter(&self.sysroot)?;
        std::fs::canonicalize(lossless::os_str_of(path))
            .map(|p| lossless::string_of(p.as_os_str().as_bytes()).into_owned())
            .map_err(|e| io_error(&e, path))
    }

    fn case_sensitive_path(&mut self, path: &str) -> Result<String> {
        let _c = Chroot::enter(&self.sysroot)?;
        guestfs_protocol::paths::case_sensitive_path(path, |dir| {
            Ok(read_dir_raw(dir)?
                .iter()
                .map(|(_, _, n)| lossless::string_of(n).into_owned())
                .filter(|n| n != "." && n != "..")
                .collect())
        })
    }

    fn exists(&mut self, path: &str) -> Result<bool> {
        let c = cstr(path)?;
        // SAFETY: valid C string.
        Ok(self
            .in_guest(|| check(unsafe { libc::access(c.as_ptr(), libc::F_OK) }))?
            .is_ok())
    }

    fn is_file(&mut self, path: &str, opts: &IsFileOpts) -> Result<bool> {
        self.is_type(path, opts.followsymlinks == Some(true), libc::S_IFREG)
    }

    fn is_dir(&mut self, path: &str, opts: &IsDirOpts) -> Result<bool> {
        self.is_type(path, opts.followsymlinks == Some(true), libc::S_IFDIR)
    }

    fn is_symlink(&mut self, path: &str) -> Result<bool> {
        self.is_type(path, false, libc::S_IFLNK)
    }

    fn pread(&mut self, path: &str, count: i32, offset: i64) -> Result<Vec<u8>> {
        let (count, offset) = guestfs_protocol::pread_args(count, offset)?;
        let (f, _) = self.open_for_download(path)?;
        read_at_most(&f, count as usize, offset, path)
    }

    fn readdir(&mut self, dir: &str) -> Result<Vec<Dirent>> {
        let entries = self
            .in_guest(|| read_dir_raw(dir))?
            .map_err(|e| opendir_error(dir, e))?;
        Ok(entries
            .into_iter()
            .map(|(ino, t, name)| Dirent {
                ino: ino as i64,
                ftyp: match t {
                    libc::DT_BLK => 'b',
                    libc::DT_CHR => 'c',
                    libc::DT_DIR => 'd',
                    libc::DT_FIFO => 'f',
                    libc::DT_LNK => 'l',
                    libc::DT_REG => 'r',
                    libc::DT_SOCK => 's',
                    libc::DT_UNKNOWN => 'u',
                    _ => '?',
                },
                name: lossless::string_from(name),
            })
            .collect())
    }

    fn checksum(&mut self, csumtype: &str, path: &str) -> Result<String> {
        let mut sum = Checksummer::new(csumtype)?;
        let (mut f, _) = self.open_for_download(path)?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = f.read(&mut buf).map_err(|e| io_error(&e, path))?;
            if n == 0 {
                break;
            }
            sum.update(&buf[..n]);
        }
        Ok(sum.finish())
    }

    fn ls0(&mut self, dir: &str, filenames: &mut dyn Write) -> Result<()> {
        let listing = self
            .in_guest(|| list_dir(dir))?
            .map_err(|e| opendir_error(dir, e))?;
        for (_, _, name) in listing.entries {
            if name == b"." || name == b".." {
                continue;
            }
            filenames.write_all(&name).map_err(Error::from)?;
            filenames.write_all(b"\0").map_err(Error::from)?;
        }
        if let Some(e) = listing.readdir_error {
            // 1.48 has replied by the time readdir fails: the transfer is cancelled.
            filenames.flush().map_err(Error::from)?;
            return Err(Error::new(e, format!("readdir: {}: {}", dir, strerror(e))));
        }
        Ok(())
    }

    fn find0(&mut self, directory: &str, files: &mut dyn Write) -> Result<()> {
        let (out, complete) = {
            let _c = Chroot::enter(&self.sysroot)?;
            let st = raw_stat(directory, true).map_err(|e| Error::path(e, directory))?;
            if st.st_mode & libc::S_IFMT != libc::S_IFDIR {
                return Err(Error::path(libc::ENOTDIR, directory));
            }
            let mut out = Vec::new();
            let complete = walk(&lossless::bytes_of(directory), b"", 0, &mut out);
            (out, complete)
        };
        if !complete {
            // `find` printed what it could read and exited 1: 1.48 sends those names, then
            // cancels the transfer.
            files.write_all(&out).map_err(Error::from)?;
            files.flush().map_err(Error::from)?;
            return Err(Error::msg(format!("pclose: {}: find failed", directory)));
        }
        if directory.ends_with('/') {
            return files.write_all(&out).map_err(Error::from);
        }
        // libguestfs 1.48's daemon cuts `/sysroot/DIR` off `find`'s output, so unless DIR
        // ends in a slash every name keeps a leading one.
        for name in out.split(|&b| b == 0).filter(|n| !n.is_empty()) {
            files.write_all(b"/").map_err(Error::from)?;
            files.write_all(name).map_err(Error::from)?;
            files.write_all(b"\0").map_err(Error::from)?;
        }
        Ok(())
    }

    fn download(&mut self, remotefilename: &str, filename: &mut dyn Write) -> Result<()> {
        let (mut f, size) = self.open_for_download(remotefilename)?;
        self.send_file(&mut f, size, filename)
    }

    fn download_offset(
        &mut self,
        remotefilename: &str,
        filename: &mut dyn Write,
        offset: i64,
        size: i64,
    ) -> Result<()> {
        if offset < 0 {
            return Err(negative(remotefilename));
        }
        if size < 0 {
            return Err(Error::msg(format!(
                "{}: size is negative: {}",
                remotefilename,
                strerror(0)
            )));
        }
        let (mut f, _) = self.open_for_download(remotefilename)?;
        if offset > 0 {
            std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(offset as u64))
                .map_err(|e| io_error(&e, &format!("lseek: {}", remotefilename)))?;
        }
        self.send_file(&mut f, size as u64, filename)
    }

    fn upload(&mut self, filename: &mut FileIn<'_>, remotefilename: &str) -> Result<()> {
        self.upload_to(filename, remotefilename, true, 0)
    }

    fn upload_offset(
        &mut self,
        filename: &mut FileIn<'_>,
        remotefilename: &str,
        offset: i64,
    ) -> Result<()> {
        if offset < 0 {
            return Err(negative(remotefilename));
        }
        self.upload_to(filename, remotefilename, false, offset)
    }

    fn internal_write(&mut self, path: &str, content: &[u8]) -> Result<()> {
        self.write_content(path, content, false)
    }

    fn internal_write_append(&mut self, path: &str, content: &[u8]) -> Result<()> {
        self.write_content(path, content, true)
    }

    fn touch(&mut self, path: &str) -> Result<()> {
        match self.in_guest(|| raw_stat(path, false))? {
            Err(libc::ENOENT) => {}
            Err(e) => return Err(Error::path(e, &format!("lstat: {}", path))),
            Ok(st) if st.st_mode & libc::S_IFMT != libc::S_IFREG => {
                return Err(Error::msg(format!(
                    "{}: touch can only be used on a regular files",
                    path
                )))
            }
            Ok(_) => {}
        }
        let f = {
            let _c = Chroot::enter(&self.sysroot)?;
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .mode(0o666)
                .custom_flags(libc::O_NOCTTY | libc::O_CLOEXEC)
                .open(path)
                .map_err(|e| io_error(&e, &format!("open: {}", path)))?
        };
        // SAFETY: a valid descriptor; NULL times mean "now".
        let r =
            unsafe { libc::futimens(std::os::unix::io::AsRawFd::as_raw_fd(&f), std::ptr::null()) };
        if r == -1 {
            return Err(perror(&format!("futimens: {}", path)));
        }
        Ok(())
    }

    fn mkdir(&mut self, path: &str) -> Result<()> {
        let c = cstr(path)?;
        // SAFETY: valid C string.
        self.in_guest(|| check(unsafe { libc::mkdir(c.as_ptr(), 0o777) }))?
            .map_err(|e| Error::path(e, path))
    }

    fn mkdir_mode(&mut self, path: &str, mode: i32) -> Result<()> {
        if mode < 0 {
            return Err(Error::msg(format!("{}: mode is negative", path)));
        }
        let c = cstr(path)?;
        // SAFETY: valid C string.
        self.in_guest(|| check(unsafe { libc::mkdir(c.as_ptr(), mode as libc::mode_t) }))?
            .map_err(|e| Error::path(e, path))
    }

    fn mkdir_p(&mut self, path: &str) -> Result<()> {
        match self.in_guest(|| Ok(recursive_mkdir(path, 0)))? {
            Ok(Ok(())) => Ok(()),
            Ok(Err(Some(e))) | Err(e) => Err(Error::path(e, path)),
            Ok(Err(None)) => Err(Error::msg(format!(
                "{}: a path element was not a directory",
                path
            ))),
        }
    }

    fn rm(&mut self, path: &str) -> Result<()> {
        let c = cstr(path)?;
        // SAFETY: valid C string.
        self.in_guest(|| check(unsafe { libc::unlink(c.as_ptr()) }))?
            .map_err(|e| Error::path(e, path))
    }

    fn rm_f(&mut self, path: &str) -> Result<()> {
        let c = cstr(path)?;
        // SAFETY: valid C string.
        match self.in_guest(|| check(unsafe { libc::unlink(c.as_ptr()) }))? {
            Ok(()) | Err(libc::ENOENT) => Ok(()),
            Err(e) => Err(Error::path(e, path)),
        }
    }

    fn rm_rf(&mut self, path: &str) -> Result<()> {
        if path == "/" {
            return Err(Error::msg("cannot remove root directory"));
        }
        let full = self.sysroot_path(path);
        command_ok("rm", &["-rf", &full], false, path).map(|_| ())
    }

    fn rmdir(&mut self, path: &str) -> Result<()> {
        let c = cstr(path)?;
        // SAFETY: valid C string.
        self.in_guest(|| check(unsafe { libc::rmdir(c.as_ptr()) }))?
            .map_err(|e| Error::path(e, path))
    }

    fn filesize(&mut self, file: &str) -> Result<i64> {
        self.in_guest(|| raw_stat(file, true))?
            .map(|st| st.st_size)
            .map_err(|e| Error::path(e, file))
    }

    fn cp(&mut self, src: &str, dest: &str) -> Result<()> {
        let (s, d) = (self.sysroot_path(src), self.sysroot_path(dest));
        self.coreutil("cp", &[&s, &d])
    }

    fn mv(&mut self, src: &str, dest: &str) -> Result<()> {
        let (s, d) = (self.sysroot_path(src), self.sysroot_path(dest));
        self.coreutil("mv", &[&s, &d])
    }

    fn chmod(&mut self, mode: i32, path: &str) -> Result<()> {
        if mode < 0 {
            return Err(Error::msg(format!("{}: mode is negative", path)));
        }
        let c = cstr(path)?;
        // SAFETY: valid C string.
        self.in_guest(|| check(unsafe { libc::chmod(c.as_ptr(), mode as libc::mode_t) }))?
            .map_err(|e| Error::new(e, format!("{}: 0{:o}: {}", path, mode, strerror(e))))
    }

    fn chown(&mut self, owner: i32, group: i32, path: &str) -> Result<()> {
        let c = cstr(path)?;
        // SAFETY: valid C string; -1 means "unchanged", as for chown(2).
        self.in_guest(|| {
            check(unsafe { libc::chown(c.as_ptr(), owner as libc::uid_t, group as libc::gid_t) })
        })?
        .map_err(|e| Error::new(e, format!("{}: {}.{}: {}", path, owner, group, strerror(e))))
    }

    fn ln_s(&mut self, target: &str, linkname: &str) -> Result<()> {
        let link = self.sysroot_path(linkname);
        let prefix = format!("ln -s: {}: {}", target, linkname);
        command_ok("ln", &["-s", "--", target, &link], false, &prefix).map(|_| ())
    }

    fn truncate_size(&mut self, path: &str, size: i64) -> Result<()> {
        let f = {
            let _c = Chroot::enter(&self.sysroot)?;
            std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NOCTTY | libc::O_CLOEXEC)
                .open(path)
                .map_err(|e| io_error(&e, &format!("open: {}", path)))?
        };
        // SAFETY: a valid descriptor.
        let r = unsafe { libc::ftruncate64(std::os::unix::io::AsRawFd::as_raw_fd(&f), size) };
        if r == -1 {
            return Err(perror(&format!("ftruncate: {}", path)));
        }
        Ok(())
    }

    // Writing calls: `files_write.rs`, inotify: `files_inotify.rs`.

    fn copy_file_to_file(
        &mut self,
        src: &str,
        dest: &str,
        opts: &CopyFileToFileOpts,
    ) -> Result<()> {
        Daemon::copy_file_to_file(self, src, dest, opts)
    }

    fn copy_size(&mut self, src: &str, dest: &str, size: i64) -> Result<()> {
        Daemon::copy_size(self, src, dest, size)
    }

    fn cp_a(&mut self, src: &str, dest: &str) -> Result<()> {
        self.cp_with("-a", src, dest)
    }

    fn cp_r(&mut self, src: &str, dest: &str) -> Result<()> {
        self.cp_with("-rP", src, dest)
    }

    fn fallocate(&mut self, path: &str, len: i32) -> Result<()> {
        if len < 0 {
            return Err(Error::msg("length < 0"));
        }
        Daemon::fallocate64(self, path, len as i64)
    }

    fn fallocate64(&mut self, path: &str, len: i64) -> Result<()> {
        Daemon::fallocate64(self, path, len)
    }

    fn fill(&mut self, c: i32, len: i32, path: &str) -> Result<()> {
        Daemon::fill(self, c, len, path)
    }

    fn fill_dir(&mut self, dir: &str, nr: i32) -> Result<()> {
        Daemon::fill_dir(self, dir, nr)
    }

    fn fill_pattern(&mut self, pattern: &str, len: i32, path: &str) -> Result<()> {
        Daemon::fill_pattern(self, pattern, len, path)
    }

    fn internal_upload(
        &mut self,
        filename: &mut FileIn<'_>,
        tmpname: &str,
        mode: i32,
    ) -> Result<()> {
        Daemon::internal_upload(self, filename, tmpname, mode)
    }

    fn lchown(&mut self, owner: i32, group: i32, path: &str) -> Result<()> {
        Daemon::lchown(self, owner, group, path)
    }

    fn ln(&mut self, target: &str, linkname: &str) -> Result<()> {
        self.hard_link(target, linkname, false)
    }

    fn ln_f(&mut self, target: &str, linkname: &str) -> Result<()> {
        self.hard_link(target, linkname, true)
    }

    fn ln_sf(&mut self, target: &str, linkname: &str) -> Result<()> {
        self.symlink_force(target, linkname)
    }

    fn mkdtemp(&mut self, tmpl: &str) -> Result<String> {
        Daemon::mkdtemp(self, tmpl)
    }

    fn mkfifo(&mut self, mode: i32, path: &str) -> Result<()> {
        self.mknod_typed(libc::S_IFIFO, mode, 0, 0, path)
    }

    fn mknod(&mut self, mode: i32, devmajor: i32, devminor: i32, path: &str) -> Result<()> {
        Daemon::mknod(self, mode, devmajor, devminor, path)
    }

    fn mknod_b(&mut self, mode: i32, devmajor: i32, devminor: i32, path: &str) -> Result<()> {
        self.mknod_typed(libc::S_IFBLK, mode, devmajor, devminor, path)
    }

    fn mknod_c(&mut self, mode: i32, devmajor: i32, devminor: i32, path: &str) -> Result<()> {
        self.mknod_typed(libc::S_IFCHR, mode, devmajor, devminor, path)
    }

    fn mktemp(&mut self, tmpl: &str, opts: &MktempOpts) -> Result<String> {
        Daemon::mktemp(self, tmpl, opts.suffix.as_deref())
    }

    fn pwrite(&mut self, path: &str, content: &[u8], offset: i64) -> Result<i32> {
        Daemon::pwrite(self, path, content, offset)
    }

    fn rename(&mut self, oldpath: &str, newpath: &str) -> Result<()> {
        Daemon::rename(self, oldpath, newpath)
    }

    fn scrub_file(&mut self, file: &str) -> Result<()> {
        Daemon::scrub_file(self, file)
    }

    fn truncate(&mut self, path: &str) -> Result<()> {
        calls::Files::truncate_size(self, path, 0)
    }

    fn utimens(
        &mut self,
        path: &str,
        atsecs: i64,
        atnsecs: i64,
        mtsecs: i64,
        mtnsecs: i64,
    ) -> Result<()> {
        Daemon::utimens(self, path, [(atsecs, atnsecs), (mtsecs, mtnsecs)])
    }

    fn write_file(&mut self, path: &str, content: &str, size: i32) -> Result<()> {
        Daemon::write_file(self, path, content, size)
    }

    fn zero(&mut self, device: &str) -> Result<()> {
        Daemon::zero(self, device)
    }

    fn get_umask(&mut self) -> Result<i32> {
        Ok(super::files_write::get_umask())
    }

    fn umask(&mut self, mask: i32) -> Result<i32> {
        super::files_write::set_umask(mask)
    }

    fn glob_expand(&mut self, pattern: &str, opts: &GlobExpandOpts) -> Result<Vec<String>> {
        Daemon::glob_expand(self, pattern, opts.directoryslash != Some(false))
    }

    fn inotify_init(&mut self, maxevents: i32) -> Result<()> {
        Daemon::inotify_init(self, maxevents)
    }

    fn inotify_add_watch(&mut self, path: &str, mask: i32) -> Result<i64> {
        Daemon::inotify_add_watch(self, path, mask)
    }

    fn inotify_rm_watch(&mut self, wd: i32) -> Result<()> {
        Daemon::inotify_rm_watch(self, wd)
    }

    fn inotify_read(&mut self) -> Result<Vec<InotifyEvent>> {
        Daemon::inotify_read(self)
    }

    fn inotify_files(&mut self) -> Result<Vec<String>> {
        Daemon::inotify_files(self)
    }

    fn inotify_close(&mut self) -> Result<()> {
        Daemon::inotify_close(self)
    }
}

impl Daemon {
    fn is_type(&self, path: &str, follow: bool, want: libc::mode_t) -> Result<bool> {
        match self.in_guest(|| raw_stat(path, follow))? {
            Ok(st) => Ok(st.st_mode & libc::S_IFMT == want),
            Err(e) if e == libc::ENOENT || e == libc::ENOTDIR => Ok(false),
            Err(e) => Err(Error::path(e, path)),
        }
    }
}
