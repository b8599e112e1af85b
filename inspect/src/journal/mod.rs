//! A read-only reader of systemd journal files (systemd's "Journal File Format"), for files
//! copied out of a guest: it works on bytes in memory, never on host paths.
//!
//! [`JournalFile`] reads one file: the header, the chain of entry arrays (regular or compact),
//! and each entry's DATA objects (plain, or compressed with XZ, LZ4 or ZSTD).
//! [`Journal`] interleaves the entries of several files in the order `journalctl` shows them
//! and keeps a cursor (`next_entry`, `previous_entry`, `skip`), like sd-journal does for a
//! directory.
//!
//! Everything is bounded: objects must lie inside the file's arena, entry array chains must
//! move forward through the file, decompressed payloads are capped
//! ([`compress::MAX_DECOMPRESSED_SIZE`]) and so is one entry's data ([`MAX_ENTRY_DATA`]).

pub mod calls;
pub mod compress;
mod file;
pub mod format;

pub use file::{Entry, JournalFile, MAX_ENTRY_DATA};

use crate::error::{Error, Result};
use format::EntryObject;
use std::cmp::Ordering;

/// sd-journal's default data threshold (64 KiB).
pub const DEFAULT_DATA_THRESHOLD: usize = 64 * 1024;

/// A set of journal files read as one journal, with a cursor.
pub struct Journal {
    files: Vec<JournalFile>,
    /// Every entry, as (file index, entry index in that file), in journal order.
    order: Vec<(u32, u32)>,
    /// The current entry in `order`; None before the first `next_entry`.
    position: Option<usize>,
    data_threshold: usize,
    warnings: Vec<String>,
}

/// The keys sd-journal orders and matches entries by.
#[derive(Clone, Copy)]
struct Location {
    seqnum_id: [u8; 16],
    entry: EntryObject,
}

/// sd-journal's order of two entries of possibly different files: by seqnum when both files
/// share a seqnum source, else by monotonic time within one boot, else by wall-clock time,
/// and finally by the xor hash of the entry's data.
fn compare_locations(a: &Location, b: &Location) -> Ordering {
    if a.seqnum_id == b.seqnum_id {
        let o = a.entry.seqnum.cmp(&b.entry.seqnum);
        if o != Ordering::Equal {
            return o;
        }
    }
    if a.entry.boot_id == b.entry.boot_id {
        let o = a.entry.monotonic.cmp(&b.entry.monotonic);
        if o != Ordering::Equal {
            return o;
        }
    }
    a.entry
        .realtime
        .cmp(&b.entry.realtime)
        .then(a.entry.xor_hash.cmp(&b.entry.xor_hash))
}

impl Journal {
    /// Reads a set of journal files, given as (name, bytes). Files that cannot be read are
    /// skipped, and a file whose entry list is broken contributes the entries before the
    /// break, as sd-journal does; [`Journal::warnings`] lists both.
    pub fn open(files: Vec<(String, Vec<u8>)>) -> Journal {
        let mut warnings = Vec::new();
        let mut parsed = Vec::new();
        for (name, data) in files {
            match JournalFile::parse(&name, data) {
                Ok(f) => {
                    if let Some(e) = f.entries_error() {
                        warnings.push(format!(
                            "{}: reading stopped after {} entries: {}",
                            name,
                            f.n_entries(),
                            e
                        ));
                    }
                    parsed.push(f)
                }
                Err(e) => warnings.push(format!("{}: ignored: {}", name, e)),
            }
        }
        Journal::from_files(parsed, warnings)
    }

    /// A journal over already parsed files.
    pub fn from_files(files: Vec<JournalFile>, mut warnings: Vec<String>) -> Journal {
        // Files beyond u32 indexes cannot exist within the caller's size limits; drop any.
        let mut files = files;
        files.truncate(u32::MAX as usize);
        let order = interleave(&files, &mut warnings);
        Journal {
            files,
            order,
            position: None,
            data_threshold: DEFAULT_DATA_THRESHOLD,
            warnings,
        }
    }

    /// Problems met while reading the files (skipped files, entry lists cut short).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    pub fn files(&self) -> &[JournalFile] {
        &self.files
    }

    /// The number of entries of the whole journal.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    pub fn data_threshold(&self) -> usize {
        self.data_threshold
    }

    /// Field payloads (`NAME=value`) longer than this are cut; 0 means no limit.
    pub fn set_data_threshold(&mut self, threshold: usize) {
        self.data_threshold = threshold;
    }

    /// Moves to the next entry; false (and the cursor stays) at the end.
    pub fn next_entry(&mut self) -> bool {
        let next = match self.position {
            None => 0,
            Some(p) => p + 1,
        };
        if next < self.order.len() {
            self.position = Some(next);
            true
        } else {
            false
        }
    }

    /// Moves to the previous entry; false (and the cursor stays) at the start.
    pub fn previous_entry(&mut self) -> bool {
        match self.position {
            Some(p) if p > 0 => {
                self.position = Some(p - 1);
                true
            }
            _ => false,
        }
    }

    /// Moves `n` entries forward (n > 0) or back (n < 0); returns how many it moved (≥ 0).
    pub fn skip(&mut self, n: i64) -> i64 {
        let len = self.order.len() as u64;
        if n >= 0 {
            let available = match self.position {
                None => len,
                Some(p) => len - 1 - p as u64,
            };
            let moved = (n as u64).min(available);
            if moved > 0 {
                let start = self.position.map_or(-1i64, |p| p as i64);
                self.position = Some((start + moved as i64) as usize);
            }
            moved as i64
        } else {
            let available = self.position.map_or(0, |p| p as u64);
            let moved = n.unsigned_abs().min(available);
            if let Some(p) = self.position {
                self.position = Some(p - moved as usize);
            }
            moved as i64
        }
    }

    /// Back to before the first entry.
    pub fn rewind(&mut self) {
        self.position = None;
    }

    fn current(&self) -> Result<(usize, usize)> {
        match self.position.and_then(|p| self.order.get(p)) {
            Some(&(f, e)) => Ok((f as usize, e as usize)),
            None => Err(Error::new(
                libc::EADDRNOTAVAIL,
                "journal: there is no current entry (call next_entry first)",
            )),
        }
    }

    /// The current entry, its fields cut at the data threshold.
    pub fn entry(&self) -> Result<Entry> {
        let (f, e) = self.current()?;
        match self.files.get(f) {
            Some(file) => file.entry(e, self.data_threshold),
            None => Err(Error::corrupt("journal: bad file index")),
        }
    }

    /// The current entry's seqnum, timestamps and boot ID, without its fields.
    pub fn entry_object(&self) -> Result<EntryObject> {
        let (f, e) = self.current()?;
        match self.files.get(f) {
            Some(file) => file.entry_object(e),
            None => Err(Error::corrupt("journal: bad file index")),
        }
    }

    /// The current entry's wall-clock time in µs since the epoch.
    pub fn realtime_usec(&self) -> Result<u64> {
        Ok(self.entry_object()?.realtime)
    }
}

/// Merges the files' entries the way sd-journal's `next` walks them: at each step every file
/// is advanced past the entries not after the last one returned (which drops duplicates
/// found in several files), then the smallest next entry wins. Each file's next entry is
/// cached, so a step costs one comparison per file; the caller bounds the number of files.
fn interleave(files: &[JournalFile], warnings: &mut Vec<String>) -> Vec<(u32, u32)> {
    let total: usize = files.iter().map(|f| f.n_entries()).sum();
    let mut order = Vec::with_capacity(total);
    let mut cursors = vec![0usize; files.len()];
    // Entries were checked when each file was read, so loading one fails only if the data
    // changed; such a file just ends there.
    let mut load = |fi: usize, ei: usize| -> Option<Location> {
        let f = files.get(fi)?;
        if ei >= f.n_entries() {
            return None;
        }
        match f.entry_object(ei) {
            Ok(entry) => Some(Location {
                seqnum_id: f.header().seqnum_id,
                entry,
            }),
            Err(e) => {
                warnings.push(format!("{}: {}", f.name(), e));
                None
            }
        }
    };
    let mut heads: Vec<Option<Location>> = (0..files.len()).map(|fi| load(fi, 0)).collect();
    let mut last: Option<Location> = None;
    loop {
        let mut best: Option<(usize, Location)> = None;
        for fi in 0..files.len() {
            // Skip this file's entries that do not come after the last one returned.
            while let (Some(head), Some(last)) = (&heads[fi], &last) {
                if compare_locations(head, last) == Ordering::Greater {
                    break;
                }
                cursors[fi] += 1;
                heads[fi] = load(fi, cursors[fi]);
            }
            if let Some(head) = heads[fi] {
                let better = match &best {
                    None => true,
                    Some((_, b)) => compare_locations(&head, b) == Ordering::Less,
                };
                if better {
                    best = Some((fi, head));
                }
            }
        }
        match best {
            None => break,
            Some((fi, head)) => {
                order.push((fi as u32, cursors[fi] as u32));
                cursors[fi] += 1;
                heads[fi] = load(fi, cursors[fi]);
                last = Some(head);
            }
        }
    }
    order
}
