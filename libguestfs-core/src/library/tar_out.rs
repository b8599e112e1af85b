//! `tar_out`, built on the backend operations so every backend gives the same result: a
//! GNU-format tar stream of a guest directory, as `tar -C DIR -cf - .` in the appliance
//! writes it.

use crate::calls::Cancellable;
use crate::error::{Error, Result};
use crate::handle::Handle;
use crate::types::{
    major_minor, StatNs, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG,
};
use guestfs_protocol::calls::TarOutOpts;
use guestfs_protocol::lossless;
use std::collections::HashMap;
use std::io::{self, Write};

const BLOCK: usize = 512;

/// GNU tar's default record size (blocking factor 20).
const RECORD: u64 = 20 * BLOCK as u64;

/// Counts the bytes written through it.
struct Counting<'a> {
    inner: &'a mut dyn Write,
    written: u64,
}

impl Write for Counting<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Deep directory trees beyond this cannot come from a real path (PATH_MAX is 4096).
const MAX_DEPTH: usize = 2048;

/// Writes tar records and counts bytes for padding.
struct TarWriter<'a> {
    out: &'a mut dyn Write,
    numeric_owner: bool,
    /// (st_dev, st_ino) of regular files with several links → their archive name, so later
    /// links become hard-link entries like GNU tar writes.
    links: HashMap<(i64, i64), String>,
    /// File bytes archived so far, and when progress was last reported.
    copied: u64,
    last_progress: std::time::Instant,
}

impl TarWriter<'_> {
    fn header(
        &mut self,
        name: &str,
        st: &StatNs,
        kind: tar::EntryType,
        size: u64,
        link: Option<&str>,
    ) -> Result<()> {
        // The archive holds the names' bytes, as the guest's filesystem has them.
        let name = &*lossless::bytes_of(name);
        let link = link.map(lossless::bytes_of);
        let link = link.as_deref();
        if name.len() > 100 {
            self.long_entry(tar::EntryType::GNULongName, name)?;
        }
        if let Some(l) = link {
            if l.len() > 100 {
                self.long_entry(tar::EntryType::GNULongLink, l)?;
            }
        }
        let mut h = tar::Header::new_gnu();
        set_truncated_name(&mut h, name);
        if let Some(l) = link {
            let n = l.len().min(100);
            h.as_old_mut().linkname[..n].copy_from_slice(&l[..n]);
        }
        h.set_mode((st.st_mode & 0o7777) as u32);
        h.set_uid(st.st_uid.max(0) as u64);
        h.set_gid(st.st_gid.max(0) as u64);
        h.set_size(size);
        h.set_mtime(st.st_mtime_sec.max(0) as u64);
        h.set_entry_type(kind);
        if !self.numeric_owner {
            // The appliance's own /etc/passwd and /etc/group know only root.
            if st.st_uid == 0 {
                let _ = h.set_username("root");
            }
            if st.st_gid == 0 {
                let _ = h.set_groupname("root");
            }
        }
        if matches!(kind, tar::EntryType::Char | tar::EntryType::Block) {
            let (maj, min) = major_minor(st.st_rdev);
            let _ = h.set_device_major(maj as u32);
            let _ = h.set_device_minor(min as u32);
        }
        h.set_cksum();
        self.out.write_all(h.as_bytes())?;
        Ok(())
    }

    /// A GNU `././@LongLink` record holding a name longer than the header's 100 bytes.
    fn long_entry(&mut self, kind: tar::EntryType, value: &[u8]) -> Result<()> {
        let mut data = value.to_vec();
        data.push(0);
        let mut h = tar::Header::new_gnu();
        set_truncated_name(&mut h, b"././@LongLink");
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_size(data.len() as u64);
        h.set_mtime(0);
        h.set_entry_type(kind);
        let _ = h.set_username("root");
        let _ = h.set_groupname("root");
        h.set_cksum();
        self.out.write_all(h.as_bytes())?;
        self.out.write_all(&data)?;
        self.pad(data.len() as u64)
    }

    fn pad(&mut self, written: u64) -> Result<()> {
        let rem = (written % BLOCK as u64) as usize;
        if rem != 0 {
            self.out.write_all(&[0u8; BLOCK][..BLOCK - rem])?;
        }
        Ok(())
    }
}

fn set_truncated_name(h: &mut tar::Header, name: &[u8]) {
    let n = name.len().min(100);
    let old = h.as_old_mut();
    old.name = [0; 100];
    old.name[..n].copy_from_slice(&name[..n]);
}

/// Passes through exactly `size` bytes: a file that grew is cut, one that shrank is padded
/// with zeros (GNU tar does the same when a file changes while it is archived).
struct Exact<'a> {
    out: &'a mut dyn Write,
    remaining: u64,
}

impl Write for Exact<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = (buf.len() as u64).min(self.remaining) as usize;
        self.out.write_all(&buf[..n])?;
        self.remaining -= n as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl Handle {
    /// `tar_out`: writes a tar archive of guest directory `directory` to `out`. The options
    /// `xattrs`, `selinux` and `acls` are not supported.
    pub(crate) fn impl_tar_out(
        &mut self,
        directory: &str,
        out: &mut dyn Write,
        opts: &TarOutOpts,
    ) -> Result<()> {
        if self.backend_mut().is_some_and(|b| b.name() != "native") {
            return self.daemon_tar_out(directory, out, opts);
        }
        for (given, name) in [
            (opts.xattrs, "xattrs"),
            (opts.selinux, "selinux"),
            (opts.acls, "acls"),
        ] {
            if given == Some(true) {
                return Err(Error::new(
                    libc::ENOTSUP,
                    format!("the {} option is not supported", name),
                ));
            }
        }
        match opts.compress.as_deref() {
            None | Some("") => self.tar_out_plain(directory, out, opts),
            Some("gzip") => {
                let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::default());
                self.tar_out_plain(directory, &mut gz, opts)?;
                gz.finish()?;
                Ok(())
            }
            Some(other) => Err(Error::new(
                libc::ENOTSUP,
                format!("unsupported compression type: {}", other),
            )),
        }
    }

    /// An appliance's daemon makes the archive itself with GNU tar, as 1.48's does: every
    /// optional argument, and one streamed transfer instead of a call per file.
    fn daemon_tar_out(
        &mut self,
        directory: &str,
        out: &mut dyn Write,
        opts: &TarOutOpts,
    ) -> Result<()> {
        let action = guestfs_protocol::meta::action("tar_out").expect("tar_out is declared");
        let cancel = self.begin_transfer();
        let result = self.with_backend(action, |daemon| {
            guestfs_protocol::checked::tar_out(
                daemon,
                directory,
                &mut Cancellable::new(out, &cancel),
                opts,
            )
        });
        self.finish_transfer(result, &cancel)
    }

    fn tar_out_plain(
        &mut self,
        directory: &str,
        out: &mut dyn Write,
        opts: &TarOutOpts,
    ) -> Result<()> {
        let st = self.statns(directory)?;
        if !st.is_dir() {
            return Err(Error::path(libc::ENOTDIR, directory));
        }
        let mut counted = Counting {
            inner: out,
            written: 0,
        };
        let mut tw = TarWriter {
            out: &mut counted,
            numeric_owner: opts.numericowner.unwrap_or(false),
            links: HashMap::new(),
            copied: 0,
            last_progress: std::time::Instant::now(),
        };
        tw.header("./", &st, tar::EntryType::Directory, 0, None)?;
        // Past the first header the daemon's tar would be streaming: a guest directory or file
        // that cannot be read cancels the transfer, which is all 1.48's library reports.
        self.push_error_handler_quiet();
        let walked = self.tar_dir(&mut tw, directory, ".", opts, 0);
        self.pop_error_handler();
        walked.map_err(|_| Error::receive_cancelled())?;
        // Two zero blocks end the archive, and GNU tar writes whole 10 KiB records.
        tw.out.write_all(&[0u8; BLOCK * 2])?;
        drop(tw);
        let rem = (counted.written % RECORD) as usize;
        if rem != 0 {
            counted.write_all(&vec![0u8; RECORD as usize - rem])?;
        }
        Ok(())
    }

    fn tar_dir(
        &mut self,
        tw: &mut TarWriter,
        dir: &str,
        rel: &str,
        opts: &TarOutOpts,
        depth: usize,
    ) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(Error::new(
                libc::ELOOP,
                format!("{}: directory tree too deep", dir),
            ));
        }
        let entries = self.readdir(dir)?;
        for e in entries {
            // Names that cannot be one path component (and a NUL, which ends a name in a tar
            // header, so `a\0b` would be read back as `a`) are never archived.
            if e.name.is_empty()
                || e.name == "."
                || e.name == ".."
                || e.name.contains('/')
                || e.name.contains('\0')
            {
                continue;
            }
            let path = join(dir, &e.name);
            let name = format!("{}/{}", rel, e.name);
            if opts
                .excludes
                .iter()
                .flatten()
                .any(|pattern| excluded(pattern, &name))
            {
                continue;
            }
            let st = self.lstatns(&path)?;
            match st.st_mode & S_IFMT {
                S_IFDIR => {
                    tw.header(
                        &format!("{}/", name),
                        &st,
                        tar::EntryType::Directory,
                        0,
                        None,
                    )?;
                    self.tar_dir(tw, &path, &name, opts, depth + 1)?;
                }
                S_IFREG => {
                    if st.st_nlink > 1 {
                        if let Some(first) = tw.links.get(&(st.st_dev, st.st_ino)).cloned() {
                            tw.header(&name, &st, tar::EntryType::Link, 0, Some(&first))?;
                            continue;
                        }
                        tw.links.insert((st.st_dev, st.st_ino), name.clone());
                    }
                    let size = st.st_size.max(0) as u64;
                    tw.header(&name, &st, tar::EntryType::Regular, size, None)?;
                    let mut exact = Exact {
                        out: &mut *tw.out,
                        remaining: size,
                    };
                    self.download_to(&path, &mut exact)?;
                    let short = exact.remaining;
                    if short > 0 {
                        io::copy(&mut io::Read::take(io::repeat(0), short), &mut *tw.out)?;
                    }
                    tw.pad(size)?;
                    tw.copied += size;
                    // Progress as libguestfs paces it: at most three times a second.
                    if tw.last_progress.elapsed() >= std::time::Duration::from_millis(333) {
                        tw.last_progress = std::time::Instant::now();
                        self.emit_progress(tw.copied, 0);
                    }
                }
                S_IFLNK => {
                    let target = self.readlink(&path)?;
                    tw.header(&name, &st, tar::EntryType::Symlink, 0, Some(&target))?;
                }
                S_IFCHR => tw.header(&name, &st, tar::EntryType::Char, 0, None)?,
                S_IFBLK => tw.header(&name, &st, tar::EntryType::Block, 0, None)?,
                S_IFIFO => tw.header(&name, &st, tar::EntryType::Fifo, 0, None)?,
                // GNU tar skips sockets ("socket ignored").
                _ => {}
            }
        }
        Ok(())
    }
}

/// GNU tar's `--exclude=PATTERN` test for a member name (`./dir/file`): a shell wildcard
/// (`*` matching `/` too), unanchored, so it may match the whole name or any tail of it that
/// starts at a component.
fn excluded(pattern: &str, member: &str) -> bool {
    let (Ok(pattern), Ok(member)) = (
        std::ffi::CString::new(lossless::bytes_of(pattern).into_owned()),
        std::ffi::CString::new(lossless::bytes_of(member).into_owned()),
    ) else {
        return false;
    };
    let bytes = member.as_bytes();
    std::iter::once(0)
        .chain(
            bytes
                .iter()
                .enumerate()
                .filter(|&(_, &b)| b == b'/')
                .map(|(i, _)| i + 1),
        )
        .any(|start| {
            // SAFETY: fnmatch reads two NUL-terminated strings; the tail starts inside one.
            unsafe { libc::fnmatch(pattern.as_ptr(), member.as_ptr().add(start), 0) == 0 }
        })
}

fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{}{}", dir, name)
    } else {
        format!("{}/{}", dir, name)
    }
}

#[cfg(test)]
mod tests {
    use super::excluded;

    #[test]
    fn excludes_are_unanchored_wildcards_as_in_gnu_tar() {
        assert!(excluded("./etc", "./etc"));
        assert!(excluded("etc", "./etc"));
        assert!(excluded("passwd", "./etc/passwd"));
        assert!(excluded("*.log", "./var/log/syslog.log"));
        assert!(excluded("etc/*", "./etc/ssh/sshd_config"));
        assert!(excluded("./e?c", "./etc"));
        assert!(!excluded("tc", "./etc"));
        assert!(!excluded("etc/p", "./etc/passwd"));
        assert!(!excluded("[!e]tc", "./etc"));
    }
}
