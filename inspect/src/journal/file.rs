//! One journal file held in memory: its header, the list of its entries (from the chain of
//! entry arrays), and each entry's fields.

use super::compress::{self, Compression};
use super::format::{self, EntryObject, Header};
use crate::error::{Error, Result};

/// The most bytes of field data (names and values) one entry may return, so that an entry
/// whose items all point at one large DATA object cannot exhaust memory.
pub const MAX_ENTRY_DATA: usize = 256 << 20;

/// Longest field name kept whole when a payload is cut at the data threshold.
const MAX_FIELD_NAME: usize = 256;

/// A journal file read from `data` (the whole file, or at least its header and arena).
pub struct JournalFile {
    name: String,
    data: Vec<u8>,
    header: Header,
    /// Offsets of the ENTRY objects, in the order of the file's entry array (seqnum order).
    entries: Vec<u64>,
    /// Why the list of entries stops before `header.n_entries`, when it does.
    entries_error: Option<Error>,
}

/// An entry's fixed fields and its `(name, value)` pairs, in the order the entry lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub seqnum: u64,
    /// `__REALTIME_TIMESTAMP`: µs since the epoch.
    pub realtime_usec: u64,
    /// `__MONOTONIC_TIMESTAMP`: µs since boot.
    pub monotonic_usec: u64,
    /// `_BOOT_ID` of the entry header.
    pub boot_id: [u8; 16],
    pub fields: Vec<(String, Vec<u8>)>,
}

impl JournalFile {
    /// Parses a journal file. Fails when the header is unusable; a broken entry array chain
    /// or a bad entry only ends the list of entries early (systemd stops reading a file at
    /// the first such error too), and [`JournalFile::entries_error`] says why.
    pub fn parse(name: &str, data: Vec<u8>) -> Result<JournalFile> {
        let header = Header::parse(&data)?;
        header.check_file_size(data.len() as u64)?;
        let mut file = JournalFile {
            name: name.to_string(),
            data,
            header,
            entries: Vec::new(),
            entries_error: None,
        };
        if let Err(e) = file.read_entry_arrays() {
            file.entries_error = Some(e);
        }
        Ok(file)
    }

    /// Collects the entry offsets from the chain of ENTRY_ARRAY objects. Bounded: arrays must
    /// come at increasing offsets (so the chain cannot loop), entries too (so every array but
    /// the last adds an entry), and no more than `n_entries` entries are taken. A chain that
    /// ends early (an interrupted write) just gives fewer entries.
    fn read_entry_arrays(&mut self) -> Result<()> {
        let h = &self.header;
        let buf = &self.data;
        // Every entry takes at least 64 bytes of the arena, so this bounds the allocation.
        let max_entries = h.n_entries.min(h.arena_size / format::ENTRY_ITEMS_OFFSET);
        let mut entries: Vec<u64> = Vec::new();
        let mut array_offset = h.entry_array_offset;
        let mut previous_array = 0u64;
        let mut previous_entry = 0u64;
        let mut result = Ok(());
        'chain: while array_offset != 0 && (entries.len() as u64) < max_entries {
            if array_offset <= previous_array {
                result = Err(Error::corrupt(format!(
                    "journal: entry array chain goes back from {} to {}",
                    previous_array, array_offset
                )));
                break;
            }
            let array = match format::entry_array_at(buf, h, array_offset) {
                Ok(a) => a,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            for i in 0..array.n_items {
                if entries.len() as u64 >= max_entries {
                    break 'chain;
                }
                let p = match format::entry_array_item(buf, h, array_offset, i) {
                    Ok(p) => p,
                    Err(e) => {
                        result = Err(e);
                        break 'chain;
                    }
                };
                if p == 0 {
                    // An unused slot: the array was not filled (systemd's reader stops here).
                    break 'chain;
                }
                if p <= previous_entry {
                    result = Err(Error::corrupt(format!(
                        "journal: entry array at {} is not in order",
                        array_offset
                    )));
                    break 'chain;
                }
                if let Err(e) = format::entry_at(buf, h, p) {
                    result = Err(e);
                    break 'chain;
                }
                entries.push(p);
                previous_entry = p;
            }
            previous_array = array_offset;
            array_offset = array.next_entry_array_offset;
        }
        self.entries = entries;
        result
    }

    /// The name the file was opened under (for messages).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Why reading the list of entries stopped early, if it did.
    pub fn entries_error(&self) -> Option<&Error> {
        self.entries_error.as_ref()
    }

    /// The number of readable entries.
    pub fn n_entries(&self) -> usize {
        self.entries.len()
    }

    fn entry_offset(&self, index: usize) -> Result<u64> {
        self.entries
            .get(index)
            .copied()
            .ok_or_else(|| Error::new(libc::EINVAL, format!("journal: no entry {}", index)))
    }

    /// The fixed part of entry `index` (seqnum, timestamps, boot ID, xor hash).
    pub fn entry_object(&self, index: usize) -> Result<EntryObject> {
        format::entry_at(&self.data, &self.header, self.entry_offset(index)?)
    }

    /// Entry `index` with its fields. With `data_threshold` > 0, each `FIELD=value` payload
    /// is cut to that many bytes (the field name is kept whole); 0 means no limit (up to
    /// [`compress::MAX_DECOMPRESSED_SIZE`] for compressed payloads).
    pub fn entry(&self, index: usize, data_threshold: usize) -> Result<Entry> {
        let offset = self.entry_offset(index)?;
        let e = format::entry_at(&self.data, &self.header, offset)?;
        let mut fields = Vec::new();
        let mut total: usize = 0;
        for i in 0..e.n_items {
            let p = format::entry_item_offset(&self.data, &self.header, offset, i)?;
            let (name, value) = self.data_payload(p, data_threshold)?;
            total = total.saturating_add(name.len()).saturating_add(value.len());
            if total > MAX_ENTRY_DATA {
                return Err(Error::new(
                    libc::EFBIG,
                    format!(
                        "journal: entry at {} has more than {} bytes of data",
                        offset, MAX_ENTRY_DATA
                    ),
                ));
            }
            fields.push((name, value));
        }
        Ok(Entry {
            seqnum: e.seqnum,
            realtime_usec: e.realtime,
            monotonic_usec: e.monotonic,
            boot_id: e.boot_id,
            fields,
        })
    }

    /// The `(name, value)` of the DATA object at `offset`, decompressed and cut at the
    /// threshold.
    fn data_payload(&self, offset: u64, threshold: usize) -> Result<(String, Vec<u8>)> {
        let d = format::data_at(&self.data, &self.header, offset)?;
        let limit = if threshold == 0 {
            usize::MAX
        } else {
            threshold.saturating_add(MAX_FIELD_NAME)
        };
        let owned;
        let payload: &[u8] = match Compression::from_object_flags(d.flags)? {
            None => d.payload,
            Some(kind) => {
                let out = compress::decompress(kind, d.payload, limit)?;
                if out.truncated && threshold == 0 {
                    return Err(Error::new(
                        libc::EFBIG,
                        format!(
                            "journal: DATA object at {} decompresses to more than {} bytes",
                            offset,
                            compress::MAX_DECOMPRESSED_SIZE
                        ),
                    ));
                }
                owned = out.data;
                &owned
            }
        };
        let eq = payload.iter().position(|&b| b == b'=').ok_or_else(|| {
            Error::corrupt(format!("journal: DATA object at {} has no '='", offset))
        })?;
        let name = String::from_utf8_lossy(&payload[..eq]).into_owned();
        let mut value = &payload[eq + 1..];
        if threshold > 0 {
            let keep = threshold.saturating_sub(eq + 1);
            if value.len() > keep {
                value = &value[..keep];
            }
        }
        Ok((name, value.to_vec()))
    }
}
