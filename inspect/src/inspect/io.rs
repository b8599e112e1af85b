//! Guest file access for inspection, over the backend operations.
//!
//! Inspection runs the backend's operations directly rather than through the traced Handle
//! methods: in libguestfs these are the daemon's internal calls, which are neither traced nor
//! reported as errors. Every read is bounded: a file's size is checked before it is read, and
//! reads go in pieces the protocol can carry.

use crate::error::{Error, Result};
use crate::guest::Guest;
use crate::guest::GuestExt;
use crate::types::StatNs;

/// "Small files" (release files, hostname files, rc.conf, boot.ini): libguestfs's limit of
/// `2 * 1048 * 1024` bytes (sic, a typo for 1024 kept for fidelity).
pub const SMALL_FILE_MAX: u64 = 2 * 1048 * 1024;

/// Files parsed with Augeas (fstab, mdadm.conf, sysconfig/network).
pub const AUGEAS_FILE_MAX: u64 = 100_000;

/// The largest piece asked for in one `pread` (below the protocol's 2 MiB limit).
const PREAD_CHUNK: u64 = 1 << 20;

/// The backend, seen by inspection.
pub struct Io<'a> {
    pub be: &'a mut dyn Guest,
}

impl<'a> Io<'a> {
    pub fn new(be: &'a mut dyn Guest) -> Io<'a> {
        Io { be }
    }

    /// `is_file`; errors count as "no".
    pub fn is_file(&mut self, path: &str, follow: bool) -> bool {
        self.be.is_file_follow(path, follow).unwrap_or(false)
    }

    /// `is_dir`; errors count as "no".
    pub fn is_dir(&mut self, path: &str, follow: bool) -> bool {
        self.be.is_dir_follow(path, follow).unwrap_or(false)
    }

    /// lstat, or None.
    pub fn lstat(&mut self, path: &str) -> Option<StatNs> {
        self.be.lstatns(path).ok()
    }

    /// stat (following symlinks), or None.
    pub fn stat(&mut self, path: &str) -> Option<StatNs> {
        self.be.statns(path).ok()
    }

    /// Whether `path` is a symlink whose target text is exactly `target`.
    pub fn is_symlink_to(&mut self, path: &str, target: &str) -> bool {
        match self.lstat(path) {
            Some(st) if st.is_symlink() => self.be.readlink(path).is_ok_and(|t| t == target),
            _ => false,
        }
    }

    /// `case_sensitive_path`, None on error.
    pub fn case_sensitive_path_silently(&mut self, path: &str) -> Option<String> {
        self.be.case_sensitive_path(path).ok()
    }

    /// The path resolved case-insensitively is a directory (lstat).
    pub fn is_dir_nocase(&mut self, path: &str) -> bool {
        match self.case_sensitive_path_silently(path) {
            Some(p) => self.is_dir(&p, false),
            None => false,
        }
    }

    /// The path resolved case-insensitively is a regular file (lstat).
    pub fn is_file_nocase(&mut self, path: &str) -> bool {
        match self.case_sensitive_path_silently(path) {
            Some(p) => self.is_file(&p, false),
            None => false,
        }
    }

    /// Reads a whole regular file (following symlinks) of at most `limit` bytes.
    /// Returns `Ok(None)` when it is not a regular file or is larger than `limit`.
    pub fn read_if_small(&mut self, path: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        let st = match self.be.statns(path) {
            Ok(st) => st,
            Err(_) => return Ok(None),
        };
        if !st.is_reg() || st.st_size < 0 || st.st_size as u64 > limit {
            return Ok(None);
        }
        self.read_upto(path, st.st_size as u64, limit).map(Some)
    }

    /// A "small file" as lines split on `\n` (OCaml `String.nsplit "\n"`: an empty file gives
    /// one empty line, a final `\n` gives a final empty line). None if not a regular file or
    /// too large.
    pub fn read_small_file_lines(&mut self, path: &str) -> Option<Vec<String>> {
        let data = self.read_if_small(path, SMALL_FILE_MAX).ok()??;
        Some(split_lines(&data))
    }

    /// The first line of a small file (up to `\n`), "" when empty. None when not a small
    /// regular file.
    pub fn read_first_line(&mut self, path: &str) -> Option<String> {
        let data = self.read_if_small(path, SMALL_FILE_MAX).ok()??;
        let end = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
        Some(String::from_utf8_lossy(&data[..end]).into_owned())
    }

    /// Reads the file's content, expecting about `expected` bytes; fails if it holds more
    /// than `limit` bytes (the file grew, or the size was a lie).
    pub fn read_upto(&mut self, path: &str, expected: u64, limit: u64) -> Result<Vec<u8>> {
        let mut out: Vec<u8> = Vec::with_capacity(expected.min(limit).min(1 << 24) as usize);
        loop {
            let offset = out.len() as u64;
            if offset > limit {
                return Err(Error::new(
                    libc::EFBIG,
                    format!("{}: file is larger than {} bytes", path, limit),
                ));
            }
            let want = PREAD_CHUNK.min(limit + 1 - offset);
            let piece = self.be.pread(path, want as i32, offset as i64)?;
            if piece.is_empty() {
                break;
            }
            out.extend_from_slice(&piece);
        }
        if out.len() as u64 > limit {
            return Err(Error::new(
                libc::EFBIG,
                format!("{}: file is larger than {} bytes", path, limit),
            ));
        }
        Ok(out)
    }

    /// The size of a file (following symlinks), as `filesize` reports it; errors are worded
    /// like the daemon's (`PATH: strerror`).
    pub fn filesize(&mut self, path: &str) -> Result<i64> {
        self.be.statns(path).map(|st| st.st_size)
    }
}

/// Splits on `\n` like OCaml's `String.nsplit "\n"`.
pub fn split_lines(data: &[u8]) -> Vec<String> {
    data.split(|&b| b == b'\n')
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_lines_like_nsplit() {
        assert_eq!(split_lines(b""), vec![""]);
        assert_eq!(split_lines(b"a\nb\n"), vec!["a", "b", ""]);
        assert_eq!(split_lines(b"a\r\nb"), vec!["a\r", "b"]);
    }
}
