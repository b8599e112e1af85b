//! RPM header blobs: an index of tags over a data store, big-endian.
//!
//! Layout: `il` (u32, number of index entries), `dl` (u32, data store length), then `il`
//! entries of 16 bytes (tag, type, offset into the store, count), then the store. A blob
//! exported from a package database starts directly with `il`; a header read from a package
//! file starts with the 8-byte header magic.

/// The magic in front of a header in package files (`8e ad e8 01`, then 4 reserved bytes).
const HEADER_MAGIC: [u8; 4] = [0x8e, 0xad, 0xe8, 0x01];
/// Size of one index entry.
const ENTRY_SIZE: usize = 16;
/// rpm's own limits on a header: fewer than 2^24 tags, data under 1 GiB.
const HEADER_TAGS_MAX: u32 = 0x00ff_ffff;
const HEADER_DATA_MAX: u32 = 0x3fff_ffff;

pub const RPM_INT8_TYPE: u32 = 2;
pub const RPM_INT16_TYPE: u32 = 3;
pub const RPM_INT32_TYPE: u32 = 4;
pub const RPM_INT64_TYPE: u32 = 5;
pub const RPM_STRING_TYPE: u32 = 6;
pub const RPM_STRING_ARRAY_TYPE: u32 = 8;
pub const RPM_I18NSTRING_TYPE: u32 = 9;

pub const RPMTAG_NAME: u32 = 1000;
pub const RPMTAG_VERSION: u32 = 1001;
pub const RPMTAG_RELEASE: u32 = 1002;
pub const RPMTAG_EPOCH: u32 = 1003;
pub const RPMTAG_SUMMARY: u32 = 1004;
pub const RPMTAG_DESCRIPTION: u32 = 1005;
pub const RPMTAG_URL: u32 = 1020;
pub const RPMTAG_ARCH: u32 = 1022;

/// One index entry.
#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: u32,
    typ: u32,
    offset: u32,
    count: u32,
}

/// A parsed header: its index and data store, borrowed from the blob.
pub struct Header<'a> {
    entries: Vec<Entry>,
    store: &'a [u8],
}

fn be32(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

impl<'a> Header<'a> {
    /// Parses a header blob; None if it is malformed.
    pub fn parse(blob: &'a [u8]) -> Option<Header<'a>> {
        let blob = if blob.get(..4) == Some(&HEADER_MAGIC[..]) {
            blob.get(8..)?
        } else {
            blob
        };
        let il = be32(blob, 0)?;
        let dl = be32(blob, 4)?;
        if il == 0 || il > HEADER_TAGS_MAX || dl > HEADER_DATA_MAX {
            return None;
        }
        let index_len = (il as usize).checked_mul(ENTRY_SIZE)?;
        let store_start = 8usize.checked_add(index_len)?;
        let store_end = store_start.checked_add(dl as usize)?;
        let store = blob.get(store_start..store_end)?;
        let mut entries = Vec::with_capacity(il as usize);
        for i in 0..il as usize {
            let e = 8 + i * ENTRY_SIZE;
            entries.push(Entry {
                tag: be32(blob, e)?,
                typ: be32(blob, e + 4)?,
                offset: be32(blob, e + 8)?,
                count: be32(blob, e + 12)?,
            });
        }
        Some(Header { entries, store })
    }

    fn entry(&self, tag: u32) -> Option<&Entry> {
        self.entries.iter().find(|e| e.tag == tag)
    }

    /// The NUL-terminated string at a store offset.
    fn cstr(&self, offset: u32) -> Option<String> {
        let s = self.store.get(offset as usize..)?;
        let end = s.iter().position(|&b| b == 0)?;
        Some(String::from_utf8_lossy(&s[..end]).into_owned())
    }

    /// The first integer of an integer tag.
    pub fn get_number(&self, tag: u32) -> Option<i64> {
        let e = self.entry(tag)?;
        if e.count == 0 {
            return None;
        }
        let off = e.offset as usize;
        let b = self.store.get(off..)?;
        Some(match e.typ {
            RPM_INT8_TYPE => *b.first()? as i64,
            RPM_INT16_TYPE => u16::from_be_bytes(b.get(..2)?.try_into().ok()?) as i64,
            RPM_INT32_TYPE => u32::from_be_bytes(b.get(..4)?.try_into().ok()?) as i64,
            RPM_INT64_TYPE => u64::from_be_bytes(b.get(..8)?.try_into().ok()?) as i64,
            _ => return None,
        })
    }

    /// The tag as `headerFormat("%{TAG}")` shows it: the (first) string, a number, or
    /// `(none)` when the tag is absent.
    pub fn format(&self, tag: u32) -> String {
        let Some(e) = self.entry(tag) else {
            return "(none)".to_string();
        };
        let v = match e.typ {
            RPM_STRING_TYPE | RPM_STRING_ARRAY_TYPE | RPM_I18NSTRING_TYPE => self.cstr(e.offset),
            RPM_INT8_TYPE | RPM_INT16_TYPE | RPM_INT32_TYPE | RPM_INT64_TYPE => {
                self.get_number(tag).map(|n| n.to_string())
            }
            _ => None,
        };
        v.unwrap_or_else(|| "(none)".to_string())
    }
}

/// Builds a header blob from (tag, type, data) entries, for tests and fixtures. Strings must
/// include their NUL; INT32 data is big-endian.
pub fn build_header(entries: &[(u32, u32, u32, Vec<u8>)]) -> Vec<u8> {
    let mut index = Vec::new();
    let mut store: Vec<u8> = Vec::new();
    for (tag, typ, count, data) in entries {
        if *typ == RPM_INT32_TYPE {
            while store.len() & 3 != 0 {
                store.push(0);
            }
        }
        index.extend_from_slice(&tag.to_be_bytes());
        index.extend_from_slice(&typ.to_be_bytes());
        index.extend_from_slice(&(store.len() as u32).to_be_bytes());
        index.extend_from_slice(&count.to_be_bytes());
        store.extend_from_slice(data);
    }
    let mut blob = Vec::new();
    blob.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    blob.extend_from_slice(&(store.len() as u32).to_be_bytes());
    blob.extend_from_slice(&index);
    blob.extend_from_slice(&store);
    blob
}

/// A string entry for [`build_header`].
pub fn string_entry(tag: u32, s: &str) -> (u32, u32, u32, Vec<u8>) {
    let mut d = s.as_bytes().to_vec();
    d.push(0);
    (tag, RPM_STRING_TYPE, 1, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_format() {
        let blob = build_header(&[
            string_entry(RPMTAG_NAME, "bash"),
            string_entry(RPMTAG_VERSION, "5.0.17"),
            (RPMTAG_EPOCH, RPM_INT32_TYPE, 1, 2u32.to_be_bytes().to_vec()),
            (
                RPMTAG_SUMMARY,
                RPM_I18NSTRING_TYPE,
                2,
                b"The shell\0Die Shell\0".to_vec(),
            ),
        ]);
        let h = Header::parse(&blob).unwrap();
        assert_eq!(h.format(RPMTAG_NAME), "bash");
        assert_eq!(h.format(RPMTAG_VERSION), "5.0.17");
        assert_eq!(h.format(RPMTAG_SUMMARY), "The shell");
        assert_eq!(h.format(RPMTAG_URL), "(none)");
        assert_eq!(h.get_number(RPMTAG_EPOCH), Some(2));
        assert_eq!(h.get_number(RPMTAG_RELEASE), None);
        let mut with_magic = vec![0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0];
        with_magic.extend_from_slice(&blob);
        assert!(Header::parse(&with_magic).is_some());
    }

    #[test]
    fn malformed() {
        assert!(Header::parse(b"").is_none());
        assert!(Header::parse(&[0, 0, 0, 1, 0, 0, 0, 0]).is_none());
        assert!(Header::parse(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]).is_none());
        let mut blob = build_header(&[string_entry(RPMTAG_NAME, "x")]);
        // Offset beyond the store, and a string without its NUL.
        blob[16..20].copy_from_slice(&1000u32.to_be_bytes());
        let h = Header::parse(&blob).unwrap();
        assert_eq!(h.format(RPMTAG_NAME), "(none)");
        let blob = build_header(&[(RPMTAG_NAME, RPM_STRING_TYPE, 1, b"abc".to_vec())]);
        assert_eq!(Header::parse(&blob).unwrap().format(RPMTAG_NAME), "(none)");
    }
}
