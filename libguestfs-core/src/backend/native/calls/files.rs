//! The files calls the native backend answers.

use super::super::*;
use guestfs_protocol::calls as api;
use guestfs_protocol::lossless;

impl api::Files for NativeBackend {
    fn ls0(&mut self, directory: &str, filenames: &mut dyn Write) -> Result<()> {
        let loc = self
            .mounts
            .resolve_dir(directory)
            .map_err(|e| e.context("opendir"))?;
        // The daemon has replied by the time a damaged directory fails its readdir.
        let mut names: Vec<String> = self
            .mounts
            .read_dir(&loc)
            .map_err(|_| Error::receive_cancelled())?
            .into_iter()
            .map(|e| e.name)
            .collect();
        names.sort_by(|a, b| lossless::cmp(a, b));
        write_names(filenames, &names)
    }

    fn readdir(&mut self, dir: &str) -> Result<Vec<Dirent>> {
        let loc = self
            .mounts
            .resolve_dir(dir)
            .map_err(|e| e.context("opendir"))?;
        let parent = if loc.path == "/" {
            loc.clone()
        } else {
            let parent_path = loc
                .path
                .rsplit_once('/')
                .map(|(p, _)| if p.is_empty() { "/" } else { p })
                .unwrap_or("/");
            self.mounts.resolve(parent_path, true)?
        };
        let fs = self.mounts.fs(&loc).clone();
        Ok(self
            .mounts
            .read_dir_with_dots(&loc, &parent)?
            .into_iter()
            .map(|e| Dirent {
                ino: fs.dirent_ino(loc.ino, &e) as i64,
                ftyp: e.file_type.ftyp(),
                name: e.name,
            })
            .collect())
    }

    fn statns(&mut self, path: &str) -> Result<StatNs> {
        let loc = self
            .mounts
            .resolve(path, true)
            .map_err(|e| prefix_path(e, path))?;
        self.mounts.stat(&loc)
    }

    fn lstatns(&mut self, path: &str) -> Result<StatNs> {
        self.lstat_path(path)
    }

    fn internal_lstatnslist(&mut self, path: &str, names: &[String]) -> Result<Vec<StatNs>> {
        let mounts = &self.mounts;
        Ok(names
            .iter()
            .map(|n| {
                mounts
                    .resolve_in(path, n, false)
                    .and_then(|loc| mounts.stat(&loc))
                    .unwrap_or(StatNs {
                        st_ino: -1,
                        ..Default::default()
                    })
            })
            .collect())
    }

    fn readlink(&mut self, path: &str) -> Result<String> {
        let loc = self
            .mounts
            .resolve(path, false)
            .map_err(|e| prefix_path(e, path))?;
        self.mounts
            .fs(&loc)
            .read_link(loc.ino)
            .map_err(|e| prefix_path(e, path))
    }

    fn internal_readlinklist(&mut self, path: &str, names: &[String]) -> Result<Vec<String>> {
        let mounts = &self.mounts;
        Ok(names
            .iter()
            .map(|n| {
                // Most names are not symlinks: the remembered stat says so without
                // reading the inode again (read_link would fail, giving "" too).
                let target = mounts.resolve_in(path, n, false).and_then(|loc| {
                    if mounts.stat(&loc)?.is_symlink() {
                        mounts.fs(&loc).read_link(loc.ino)
                    } else {
                        Ok(String::new())
                    }
                });
                target.unwrap_or_default()
            })
            .collect())
    }

    fn download(&mut self, remotefilename: &str, out: &mut dyn Write) -> Result<()> {
        if remotefilename.starts_with("/dev/") {
            if let Some(node) = self.devices.find(remotefilename) {
                let dev = node.device()?.clone();
                return copy_device(dev.as_ref(), 0, dev.size(), out);
            }
        }
        self.mounts.copy_file(remotefilename, out).map(|_| ())
    }

    fn download_offset(
        &mut self,
        remotefilename: &str,
        out: &mut dyn Write,
        offset: i64,
        size: i64,
    ) -> Result<()> {
        if offset < 0 || size < 0 {
            return Err(Error::new(
                libc::EINVAL,
                "offset and size must be non-negative",
            ));
        }
        if remotefilename.starts_with("/dev/") {
            if let Some(node) = self.devices.find(remotefilename) {
                let dev = node.device()?.clone();
                let end = (offset as u64).saturating_add(size as u64).min(dev.size());
                return copy_device(
                    dev.as_ref(),
                    offset as u64,
                    end.saturating_sub(offset as u64),
                    out,
                );
            }
        }
        let loc = self
            .mounts
            .resolve(remotefilename, true)
            .map_err(|e| prefix_path(e, remotefilename))?;
        if self.mounts.stat(&loc)?.is_dir() {
            return Err(Error::path(libc::EISDIR, remotefilename));
        }
        self.mounts
            .copy_range(&loc, offset as u64, size as u64, out)
            .map(|_| ())
    }

    fn pread(&mut self, path: &str, count: i32, offset: i64) -> Result<Vec<u8>> {
        let (count, offset) = crate::protocol::pread_args(count, offset)?;
        let loc = self
            .mounts
            .resolve(path, true)
            .map_err(|e| prefix_path(e, path))?;
        if self.mounts.stat(&loc)?.is_dir() {
            return Err(Error::path(libc::EISDIR, path));
        }
        let mut out = Vec::new();
        self.mounts.copy_range(&loc, offset, count, &mut out)?;
        Ok(out)
    }

    fn find0(&mut self, directory: &str, files: &mut dyn Write) -> Result<()> {
        let loc = self.mounts.resolve_dir(directory)?;
        // The daemon runs `find /sysroot/DIR` and cuts `/sysroot/DIR` off each result, so the
        // names keep a leading `/` unless DIR ended with one (libguestfs 1.48's behaviour).
        let prefix = if directory.ends_with('/') { "" } else { "/" };
        let mut out = Vec::new();
        // A directory that cannot be read makes `find` fail after the daemon replied.
        self.mounts
            .walk(&loc, |rel, _, _| {
                out.push(format!("{}{}", prefix, rel));
                Ok(())
            })
            .map_err(|_| Error::receive_cancelled())?;
        out.sort_by(|a, b| lossless::cmp(a, b));
        write_names(files, &out)
    }

    fn is_file(&mut self, path: &str, opts: &IsFileOpts) -> Result<bool> {
        let followsymlinks = opts.followsymlinks.unwrap_or(false);
        Ok(self
            .mounts
            .resolve(path, followsymlinks)
            .and_then(|l| self.mounts.stat(&l))
            .is_ok_and(|s| s.is_reg()))
    }

    fn is_dir(&mut self, path: &str, opts: &IsDirOpts) -> Result<bool> {
        let followsymlinks = opts.followsymlinks.unwrap_or(false);
        Ok(self
            .mounts
            .resolve(path, followsymlinks)
            .and_then(|l| self.mounts.stat(&l))
            .is_ok_and(|s| s.is_dir()))
    }

    fn is_symlink(&mut self, path: &str) -> Result<bool> {
        Ok(self
            .mounts
            .resolve(path, false)
            .and_then(|l| self.mounts.stat(&l))
            .is_ok_and(|s| s.is_symlink()))
    }

    fn exists(&mut self, path: &str) -> Result<bool> {
        Ok(self.mounts.resolve(path, true).is_ok())
    }

    fn realpath(&mut self, path: &str) -> Result<String> {
        let loc = self
            .mounts
            .resolve(path, true)
            .map_err(|e| prefix_path(e, path))?;
        Ok(loc.path)
    }

    fn case_sensitive_path(&mut self, path: &str) -> Result<String> {
        let mounts = &self.mounts;
        guestfs_protocol::paths::case_sensitive_path(path, |dir| {
            let loc = mounts.resolve(dir, true).map_err(|e| e.errno)?;
            match mounts.stat(&loc) {
                Ok(st) if st.is_dir() => {}
                Ok(_) => return Err(libc::ENOTDIR),
                Err(e) => return Err(e.errno),
            }
            let entries = mounts.read_dir(&loc).map_err(|e| e.errno)?;
            Ok(entries.into_iter().map(|e| e.name).collect())
        })
    }

    fn checksum(&mut self, csumtype: &str, path: &str) -> Result<String> {
        let mut sum = Checksummer::new(csumtype)?;
        struct Sink<'a>(&'a mut Checksummer);
        impl Write for Sink<'_> {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.update(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        self.download(path, &mut Sink(&mut sum))?;
        Ok(sum.finish())
    }
}

/// The stream of names a `ls0`/`find0` call sends: each name followed by a NUL byte.
fn write_names(out: &mut dyn Write, names: &[String]) -> Result<()> {
    for n in names {
        out.write_all(&lossless::bytes_of(n))?;
        out.write_all(b"\0")?;
    }
    Ok(())
}
