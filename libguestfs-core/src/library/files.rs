//! The library-side file calls, built on daemon calls as libguestfs 1.48 builds them: `cat`,
//! `read_file` and `read_lines` over `download`; `ls` and `find` over `ls0`/`find0`; `write`
//! over `internal_write` (or `upload` for large contents); the `*list` calls over their
//! `internal_*` calls in batches; `stat`/`lstat` over the `*ns` calls.

use crate::backend::ext::split_names;
use crate::error::Result;
use crate::handle::Handle;
use guestfs_protocol::structs::{Stat, StatNs, Xattr};

/// The most names the `internal_*list` calls are given at once (the reply must fit in a
/// protocol message).
const LIST_BATCH: usize = 1000;

/// Contents up to this size go through `internal_write` in one message.
const WRITE_IN_ONE_MESSAGE: usize = 2 * 1024 * 1024;

/// libguestfs's 13-field `stat` from a `statns`.
fn stat_of(s: &StatNs) -> Stat {
    Stat {
        dev: s.st_dev,
        ino: s.st_ino,
        mode: s.st_mode,
        nlink: s.st_nlink,
        uid: s.st_uid,
        gid: s.st_gid,
        rdev: s.st_rdev,
        size: s.st_size,
        blksize: s.st_blksize,
        blocks: s.st_blocks,
        atime: s.st_atime_sec,
        mtime: s.st_mtime_sec,
        ctime: s.st_ctime_sec,
    }
}

/// Sorted bytewise, like the C library's `strcmp` sort.
fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort_by(|a, b| guestfs_protocol::lossless::cmp(a, b));
    names
}

impl Handle {
    pub(crate) fn impl_read_file(&mut self, path: &str) -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        self.download_to(path, &mut buf)?;
        Ok(buf)
    }

    /// The file as a C string: up to the first NUL byte.
    pub(crate) fn impl_cat(&mut self, path: &str) -> Result<String> {
        let data = self.read_file(path)?;
        let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
        Ok(guestfs_protocol::lossless::string_of(&data[..end]).into_owned())
    }

    /// Lines split on `\n`, a final `\r` removed from each; no empty last line for a final
    /// newline.
    pub(crate) fn impl_read_lines(&mut self, path: &str) -> Result<Vec<String>> {
        let data = self.read_file(path)?;
        let mut lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
        if data.is_empty() || data.ends_with(b"\n") {
            lines.pop();
        }
        Ok(lines
            .into_iter()
            .map(|l| {
                // A line is a C string: it stops at a NUL.
                let l = &l[..l.iter().position(|&b| b == 0).unwrap_or(l.len())];
                let l = l.strip_suffix(b"\r").unwrap_or(l);
                guestfs_protocol::lossless::string_of(l).into_owned()
            })
            .collect())
    }

    pub(crate) fn impl_ls(&mut self, directory: &str) -> Result<Vec<String>> {
        let mut buf = Vec::new();
        self.ls0_to(directory, &mut buf)?;
        Ok(sorted(split_names(&buf)))
    }

    pub(crate) fn impl_find(&mut self, directory: &str) -> Result<Vec<String>> {
        let mut buf = Vec::new();
        self.find0_to(directory, &mut buf)?;
        Ok(sorted(split_names(&buf)))
    }

    fn write_or_append(&mut self, path: &str, content: &[u8], append: bool) -> Result<()> {
        if content.len() <= WRITE_IN_ONE_MESSAGE {
            return if append {
                self.internal_write_append(path, content)
            } else {
                self.internal_write(path, content)
            };
        }
        let mut data = content;
        if append {
            let size = self.filesize(path)?;
            self.upload_offset_from(&mut data, path, size)
        } else {
            self.upload_from(&mut data, path)
        }
    }

    pub(crate) fn impl_write(&mut self, path: &str, content: &[u8]) -> Result<()> {
        self.write_or_append(path, content, false)
    }

    pub(crate) fn impl_write_append(&mut self, path: &str, content: &[u8]) -> Result<()> {
        self.write_or_append(path, content, true)
    }

    pub(crate) fn impl_lstatnslist(&mut self, path: &str, names: &[String]) -> Result<Vec<StatNs>> {
        let mut out = Vec::with_capacity(names.len());
        for batch in names.chunks(LIST_BATCH) {
            out.extend(self.internal_lstatnslist(path, batch)?);
        }
        Ok(out)
    }

    pub(crate) fn impl_lxattrlist(&mut self, path: &str, names: &[String]) -> Result<Vec<Xattr>> {
        let mut out = Vec::new();
        for batch in names.chunks(LIST_BATCH) {
            out.extend(self.internal_lxattrlist(path, batch)?);
        }
        Ok(out)
    }

    pub(crate) fn impl_readlinklist(
        &mut self,
        path: &str,
        names: &[String],
    ) -> Result<Vec<String>> {
        let mut out = Vec::with_capacity(names.len());
        for batch in names.chunks(LIST_BATCH) {
            out.extend(self.internal_readlinklist(path, batch)?);
        }
        Ok(out)
    }

    pub(crate) fn impl_stat(&mut self, path: &str) -> Result<Stat> {
        Ok(stat_of(&self.statns(path)?))
    }

    pub(crate) fn impl_lstat(&mut self, path: &str) -> Result<Stat> {
        Ok(stat_of(&self.lstatns(path)?))
    }

    pub(crate) fn impl_lstatlist(&mut self, path: &str, names: &[String]) -> Result<Vec<Stat>> {
        Ok(self.lstatnslist(path, names)?.iter().map(stat_of).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_keeps_seconds() {
        let ns = StatNs {
            st_mtime_sec: 5,
            st_mtime_nsec: 7,
            st_size: 9,
            ..Default::default()
        };
        let s = stat_of(&ns);
        assert_eq!((s.mtime, s.size), (5, 9));
    }
}
