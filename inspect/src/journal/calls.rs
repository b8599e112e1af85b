//! libguestfs's `journal_*` calls, for the library and the daemon alike.
//!
//! `journal_open` copies the journal files of a guest directory into memory through the
//! guest's file operations (so it works the same on every backend, and in the daemon, and
//! never opens a host path), then [`Journal`] reads them. One journal is open at a time.

use crate::error::{strerror, Error, Result};
use crate::guest::{Guest, GuestExt};
use crate::journal::format::{Header, HEADER_SIZE_KNOWN};
use crate::journal::Journal;
use guestfs_protocol::structs::Xattr;
use std::io::{self, Write};

/// The most bytes `journal_open` reads from the guest in all (EFBIG beyond).
pub const JOURNAL_MAX_TOTAL_SIZE: u64 = 1 << 30;

/// The most journal files `journal_open` reads (EMFILE beyond).
pub const JOURNAL_MAX_FILES: usize = 4096;

/// 1.48's error for a journal call made with no journal open (it names the daemon function).
fn not_open(call: &str) -> Error {
    Error::msg(format!(
        "do_{}: you must call 'journal-open' first to initialize the journal handle",
        call
    ))
}

/// sd-journal's notion of a journal file name (`*.journal`, and `*.journal~` for files
/// journald set aside after an unclean shutdown).
fn is_journal_file_name(name: &str) -> bool {
    name.ends_with(".journal") || name.ends_with(".journal~")
}

/// A 128-bit ID as sd-journal accepts for a machine directory: 32 hex digits, or the UUID
/// form with dashes.
fn is_id128(name: &str) -> bool {
    let b = name.as_bytes();
    match b.len() {
        32 => b.iter().all(|c| c.is_ascii_hexdigit()),
        36 => b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        }),
        _ => false,
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{}{}", dir, name)
    } else {
        format!("{}/{}", dir, name)
    }
}

/// A `Write` that keeps at most `limit` bytes and fails past that.
struct CappedWriter {
    buf: Vec<u8>,
    limit: usize,
}

impl Write for CappedWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len().saturating_add(data.len()) > self.limit {
            return Err(io::Error::other("journal file is larger than expected"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `size` bytes of a guest file from offset 0, never more.
fn read_prefix(backend: &mut dyn Guest, path: &str, size: u64) -> Result<Vec<u8>> {
    let limit = usize::try_from(size).map_err(|_| Error::new(libc::EFBIG, "file too large"))?;
    let mut w = CappedWriter {
        buf: Vec::with_capacity(limit.min(16 << 20)),
        limit,
    };
    backend.download_range(path, 0, size as i64, &mut w)?;
    Ok(w.buf)
}

/// The journal files sd-journal would open for `directory`: its `*.journal` files and those
/// of its machine-ID subdirectories (one level down), in name order.
fn journal_paths(
    backend: &mut dyn Guest,
    directory: &str,
    warnings: &mut Vec<String>,
) -> Result<Vec<String>> {
    if !backend.is_dir_follow(directory, true)? {
        let errno = if backend.exists(directory)? {
            libc::ENOTDIR
        } else {
            libc::ENOENT
        };
        return Err(Error::new(
            errno,
            format!(
                "sd_journal_open_directory: {}: {}",
                directory,
                strerror(errno)
            ),
        ));
    }
    let mut paths = Vec::new();
    let add = |paths: &mut Vec<String>, path: String| -> Result<()> {
        paths.push(path);
        if paths.len() > JOURNAL_MAX_FILES {
            return Err(Error::new(
                libc::EMFILE,
                format!(
                    "{}: more than {} journal files",
                    directory, JOURNAL_MAX_FILES
                ),
            ));
        }
        Ok(())
    };
    for name in backend.ls_names(directory)? {
        let path = join(directory, &name);
        if is_journal_file_name(&name) {
            if backend.is_file_follow(&path, true)? {
                add(&mut paths, path)?;
            }
        } else if is_id128(&name) && backend.is_dir_follow(&path, true)? {
            let names = match backend.ls_names(&path) {
                Ok(n) => n,
                Err(e) => {
                    warnings.push(format!("{}: ignored: {}", path, e));
                    continue;
                }
            };
            for sub in names {
                let subpath = join(&path, &sub);
                if is_journal_file_name(&sub) && backend.is_file_follow(&subpath, true)? {
                    add(&mut paths, subpath)?;
                }
            }
        }
    }
    Ok(paths)
}

/// Reads the journal files of a guest directory. A file that is not a usable journal is
/// skipped (with a warning), like sd-journal does; only its header and arena are read (the
/// arena includes journald's preallocated space), and all files together may not exceed
/// [`JOURNAL_MAX_TOTAL_SIZE`].
/// Returns the journal and the warnings (skipped files, entry lists cut short).
pub fn read_journal_directory(
    backend: &mut dyn Guest,
    directory: &str,
) -> Result<(Journal, Vec<String>)> {
    let mut warnings = Vec::new();
    let paths = journal_paths(backend, directory, &mut warnings)?;
    let mut files = Vec::new();
    let mut total: u64 = 0;
    for path in paths {
        let head = match read_prefix(backend, &path, HEADER_SIZE_KNOWN as u64) {
            Ok(h) => h,
            Err(e) => {
                warnings.push(format!("{}: ignored: {}", path, e));
                continue;
            }
        };
        let header = match Header::parse(&head) {
            Ok(h) => h,
            Err(e) => {
                warnings.push(format!("{}: ignored: {}", path, e));
                continue;
            }
        };
        let file_size = match backend.statns(&path) {
            Ok(st) => st.st_size.max(0) as u64,
            Err(e) => {
                warnings.push(format!("{}: ignored: {}", path, e));
                continue;
            }
        };
        if let Err(e) = header.check_file_size(file_size) {
            warnings.push(format!("{}: ignored: {}", path, e));
            continue;
        }
        let size = header.arena_end();
        total = total.saturating_add(size);
        if total > JOURNAL_MAX_TOTAL_SIZE {
            return Err(Error::new(
                libc::EFBIG,
                format!(
                    "{}: the journal files are larger than {} bytes in all",
                    directory, JOURNAL_MAX_TOTAL_SIZE
                ),
            ));
        }
        let data = read_prefix(backend, &path, size).map_err(|e| e.context(&path))?;
        files.push((path, data));
    }
    let journal = Journal::open(files);
    warnings.extend(journal.warnings().iter().cloned());
    Ok((journal, warnings))
}

/// `journal_open`'s work: reads the journal of `directory` (see [`read_journal_directory`]).
/// Returns it with the debug messages to pass on (skipped files, the number of entries).
pub fn open(guest: &mut dyn Guest, directory: &str) -> Result<(Journal, Vec<String>)> {
    let (journal, warnings) = read_journal_directory(guest, directory)?;
    let mut messages: Vec<String> = warnings
        .iter()
        .map(|w| format!("journal_open: {}", w))
        .collect();
    messages.push(format!(
        "journal_open: {}: {} entries",
        directory,
        journal.len()
    ));
    Ok((journal, messages))
}

/// The open journal, or 1.48's error.
fn opened<'a>(journal: &'a mut Option<Journal>, call: &str) -> Result<&'a mut Journal> {
    journal.as_mut().ok_or_else(|| not_open(call))
}

/// `journal_close`: closes the journal opened by `journal_open`.
pub fn close(journal: &mut Option<Journal>) -> Result<()> {
    match journal.take() {
        Some(_) => Ok(()),
        None => Err(not_open("journal_close")),
    }
}

/// `journal_next`: moves to the next entry; false at the end of the journal.
pub fn next(journal: &mut Option<Journal>) -> Result<bool> {
    Ok(opened(journal, "journal_next")?.next_entry())
}

/// `journal_skip`: skips `skip` entries forward (or back when negative); returns how many
/// were skipped (≥ 0; fewer than |skip| at either end of the journal).
pub fn skip(journal: &mut Option<Journal>, skip: i64) -> Result<i64> {
    Ok(opened(journal, "journal_skip")?.skip(skip))
}

/// `journal_get`: the fields of the current entry as (name, value) pairs, in the entry's
/// order. Values are bytes; a `NAME=value` longer than the data threshold is cut to it.
pub fn get(journal: &mut Option<Journal>) -> Result<Vec<Xattr>> {
    let fields = opened(journal, "internal_journal_get")?.entry()?.fields;
    Ok(fields
        .into_iter()
        .map(|(attrname, attrval)| Xattr { attrname, attrval })
        .collect())
}

/// `journal_get_data_threshold`: the data threshold (0 = unlimited).
pub fn get_data_threshold(journal: &mut Option<Journal>) -> Result<i64> {
    Ok(
        i64::try_from(opened(journal, "journal_get_data_threshold")?.data_threshold())
            .unwrap_or(i64::MAX),
    )
}

/// `journal_set_data_threshold`: field payloads longer than `threshold` bytes are cut by
/// `journal_get`; 0 means unlimited (compressed payloads up to 64 MiB).
pub fn set_data_threshold(journal: &mut Option<Journal>, threshold: i64) -> Result<()> {
    let j = opened(journal, "journal_set_data_threshold")?;
    let t = usize::try_from(threshold).map_err(|_| {
        Error::new(
            libc::EINVAL,
            format!("invalid data threshold {}", threshold),
        )
    })?;
    j.set_data_threshold(t);
    Ok(())
}

/// `journal_get_realtime_usec`: the current entry's time in µs since the epoch.
pub fn get_realtime_usec(journal: &mut Option<Journal>) -> Result<i64> {
    // Valid realtime timestamps are below 2^55, so they fit.
    opened(journal, "journal_get_realtime_usec")?
        .realtime_usec()
        .map(|t| t as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_journal_file_name("system.journal"));
        assert!(is_journal_file_name("system@x.journal~"));
        assert!(!is_journal_file_name("system.journal.bak"));
        assert!(is_id128("69d27b356a94476da859461d3a3bc6fd"));
        assert!(is_id128("69d27b35-6a94-476d-a859-461d3a3bc6fd"));
        assert!(!is_id128("remote"));
        assert!(!is_id128("69d27b356a94476da859461d3a3bc6fg"));
        assert_eq!(join("/var/log/journal", "x"), "/var/log/journal/x");
        assert_eq!(join("/", "x"), "/x");
    }
}
