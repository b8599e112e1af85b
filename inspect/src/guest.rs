//! The guest as inspection, hives and journals see it: the daemon calls of
//! [`guestfs_protocol::calls`], served by the library's backend or by the daemon itself.
//!
//! Like libguestfs's daemon-internal calls, the conveniences of [`GuestExt`] are neither traced
//! nor reported, and take plain arguments instead of optional-argument structs. They go
//! through the generated `checked` entry points, so arguments are checked (and device names
//! translated) as for any call.

use crate::error::Result;
use guestfs_protocol::calls::{checked, ArgChecks, DaemonCalls, IsDirOpts, IsFileOpts};
use guestfs_protocol::lossless;
use std::io::Write;

/// Whatever answers the daemon calls: the library's backends, the daemon.
pub trait Guest: DaemonCalls + ArgChecks {}

impl<T: DaemonCalls + ArgChecks + ?Sized> Guest for T {}

/// Splits a `ls0`/`find0` stream (names each followed by NUL), carrying each name's bytes.
pub fn split_names(buf: &[u8]) -> Vec<String> {
    buf.split(|&c| c == 0)
        .filter(|s| !s.is_empty())
        .map(|s| lossless::string_of(s).into_owned())
        .collect()
}

pub trait GuestExt {
    /// `is_file`, following a final symlink when `follow`.
    fn is_file_follow(&mut self, path: &str, follow: bool) -> Result<bool>;
    /// `is_dir`, following a final symlink when `follow`.
    fn is_dir_follow(&mut self, path: &str, follow: bool) -> Result<bool>;
    /// The names in a directory (without `.` and `..`), sorted bytewise.
    fn ls_names(&mut self, dir: &str) -> Result<Vec<String>>;
    /// Every path below a directory, relative to it, sorted bytewise.
    fn find_names(&mut self, dir: &str) -> Result<Vec<String>>;
    /// `size` bytes of a file or device from `offset`.
    fn download_range(
        &mut self,
        path: &str,
        offset: i64,
        size: i64,
        out: &mut dyn Write,
    ) -> Result<()>;
}

impl<G: Guest + ?Sized> GuestExt for G {
    fn is_file_follow(&mut self, path: &str, follow: bool) -> Result<bool> {
        let opts = IsFileOpts {
            followsymlinks: Some(follow),
        };
        checked::is_file(self, path, &opts)
    }

    fn is_dir_follow(&mut self, path: &str, follow: bool) -> Result<bool> {
        let opts = IsDirOpts {
            followsymlinks: Some(follow),
        };
        checked::is_dir(self, path, &opts)
    }

    fn ls_names(&mut self, dir: &str) -> Result<Vec<String>> {
        let mut buf = Vec::new();
        checked::ls0(self, dir, &mut buf)?;
        let mut names = split_names(&buf);
        names.sort_by(|a, b| lossless::cmp(a, b));
        Ok(names)
    }

    fn find_names(&mut self, dir: &str) -> Result<Vec<String>> {
        let mut buf = Vec::new();
        checked::find0(self, dir, &mut buf)?;
        let mut names = split_names(&buf);
        names.sort_by(|a, b| lossless::cmp(a, b));
        Ok(names)
    }

    fn download_range(
        &mut self,
        path: &str,
        offset: i64,
        size: i64,
        out: &mut dyn Write,
    ) -> Result<()> {
        checked::download_offset(self, path, out, offset, size)
    }
}
