//! The on-disk structures of a systemd journal file, named as in systemd's "Journal File
//! Format" specification. All integers are little-endian; offsets are absolute file offsets,
//! 64-bit aligned. Every reader here checks bounds against the file and returns EIO errors on
//! corrupt data.

use crate::error::{Error, Result};

/// The file signature at offset 0.
pub const SIGNATURE: &[u8; 8] = b"LPKSHHRH";

/// `header_size` of the smallest header systemd ever wrote (up to and excluding `n_data`).
pub const HEADER_SIZE_MIN: u64 = 208;

/// The bytes of the header this reader looks at (through `tail_entry_offset`, systemd 254).
pub const HEADER_SIZE_KNOWN: usize = 272;

// Compatible flags: a reader may ignore these.
pub const HEADER_COMPATIBLE_SEALED: u32 = 1 << 0;
pub const HEADER_COMPATIBLE_TAIL_ENTRY_BOOT_ID: u32 = 1 << 1;
pub const HEADER_COMPATIBLE_SEALED_CONTINUOUS: u32 = 1 << 2;

// Incompatible flags: a reader that does not know one must refuse the file.
pub const HEADER_INCOMPATIBLE_COMPRESSED_XZ: u32 = 1 << 0;
pub const HEADER_INCOMPATIBLE_COMPRESSED_LZ4: u32 = 1 << 1;
pub const HEADER_INCOMPATIBLE_KEYED_HASH: u32 = 1 << 2;
pub const HEADER_INCOMPATIBLE_COMPRESSED_ZSTD: u32 = 1 << 3;
pub const HEADER_INCOMPATIBLE_COMPACT: u32 = 1 << 4;
/// Every incompatible flag this reader understands. Keyed hashing only changes how the hash
/// tables are keyed; iteration does not use them.
pub const HEADER_INCOMPATIBLE_SUPPORTED: u32 = HEADER_INCOMPATIBLE_COMPRESSED_XZ
    | HEADER_INCOMPATIBLE_COMPRESSED_LZ4
    | HEADER_INCOMPATIBLE_KEYED_HASH
    | HEADER_INCOMPATIBLE_COMPRESSED_ZSTD
    | HEADER_INCOMPATIBLE_COMPACT;

// File states.
pub const STATE_OFFLINE: u8 = 0;
pub const STATE_ONLINE: u8 = 1;
pub const STATE_ARCHIVED: u8 = 2;

// Object flags (compression of a DATA object's payload).
pub const OBJECT_COMPRESSED_XZ: u8 = 1 << 0;
pub const OBJECT_COMPRESSED_LZ4: u8 = 1 << 1;
pub const OBJECT_COMPRESSED_ZSTD: u8 = 1 << 2;
pub const OBJECT_COMPRESSION_MASK: u8 =
    OBJECT_COMPRESSED_XZ | OBJECT_COMPRESSED_LZ4 | OBJECT_COMPRESSED_ZSTD;

/// Size of `ObjectHeader`.
pub const OBJECT_HEADER_SIZE: u64 = 16;
/// Offset of `EntryObject.items`.
pub const ENTRY_ITEMS_OFFSET: u64 = 64;
/// Offset of `EntryArrayObject.items`.
pub const ENTRY_ARRAY_ITEMS_OFFSET: u64 = 24;
/// Offset of `DataObject.payload` in regular files.
pub const DATA_PAYLOAD_OFFSET_REGULAR: u64 = 64;
/// Offset of `DataObject.payload` in compact files (after two 32-bit tail-array fields).
pub const DATA_PAYLOAD_OFFSET_COMPACT: u64 = 72;

/// Realtime timestamps are valid when non-zero and below 2^55 µs (as systemd checks them).
pub fn valid_realtime(u: u64) -> bool {
    u > 0 && u < (1 << 55)
}

/// Monotonic timestamps are valid below 2^55 µs.
pub fn valid_monotonic(u: u64) -> bool {
    u < (1 << 55)
}

/// The object types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectType {
    Unused,
    Data,
    Field,
    Entry,
    DataHashTable,
    FieldHashTable,
    EntryArray,
    Tag,
    Unknown(u8),
}

impl ObjectType {
    pub fn from_u8(t: u8) -> ObjectType {
        match t {
            0 => ObjectType::Unused,
            1 => ObjectType::Data,
            2 => ObjectType::Field,
            3 => ObjectType::Entry,
            4 => ObjectType::DataHashTable,
            5 => ObjectType::FieldHashTable,
            6 => ObjectType::EntryArray,
            7 => ObjectType::Tag,
            other => ObjectType::Unknown(other),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ObjectType::Unused => "UNUSED",
            ObjectType::Data => "DATA",
            ObjectType::Field => "FIELD",
            ObjectType::Entry => "ENTRY",
            ObjectType::DataHashTable => "DATA_HASH_TABLE",
            ObjectType::FieldHashTable => "FIELD_HASH_TABLE",
            ObjectType::EntryArray => "ENTRY_ARRAY",
            ObjectType::Tag => "TAG",
            ObjectType::Unknown(_) => "unknown",
        }
    }
}

/// Little-endian reads that fail (never panic) outside the buffer.
pub fn le_u64(buf: &[u8], at: u64) -> Result<u64> {
    let b = bytes(buf, at, 8)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Ok(u64::from_le_bytes(a))
}

pub fn le_u32(buf: &[u8], at: u64) -> Result<u32> {
    let b = bytes(buf, at, 4)?;
    let mut a = [0u8; 4];
    a.copy_from_slice(b);
    Ok(u32::from_le_bytes(a))
}

pub fn id128(buf: &[u8], at: u64) -> Result<[u8; 16]> {
    let b = bytes(buf, at, 16)?;
    let mut a = [0u8; 16];
    a.copy_from_slice(b);
    Ok(a)
}

/// `len` bytes at `at`, or an EIO error when they are not all inside `buf`.
pub fn bytes(buf: &[u8], at: u64, len: u64) -> Result<&[u8]> {
    let start = usize::try_from(at).ok();
    let end = at.checked_add(len).and_then(|e| usize::try_from(e).ok());
    match (start, end) {
        (Some(s), Some(e)) => buf.get(s..e).ok_or_else(|| {
            Error::corrupt(format!(
                "journal: read of {} bytes at {} is outside the file",
                len, at
            ))
        }),
        _ => Err(Error::corrupt(format!(
            "journal: read of {} bytes at {} is outside the file",
            len, at
        ))),
    }
}

/// The file header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub compatible_flags: u32,
    pub incompatible_flags: u32,
    pub state: u8,
    pub file_id: [u8; 16],
    pub machine_id: [u8; 16],
    pub tail_entry_boot_id: [u8; 16],
    pub seqnum_id: [u8; 16],
    pub header_size: u64,
    pub arena_size: u64,
    pub data_hash_table_offset: u64,
    pub data_hash_table_size: u64,
    pub field_hash_table_offset: u64,
    pub field_hash_table_size: u64,
    pub tail_object_offset: u64,
    pub n_objects: u64,
    pub n_entries: u64,
    pub tail_entry_seqnum: u64,
    pub head_entry_seqnum: u64,
    pub entry_array_offset: u64,
    pub head_entry_realtime: u64,
    pub tail_entry_realtime: u64,
    pub tail_entry_monotonic: u64,
}

impl Header {
    /// Parses and checks the header at the start of `buf`. `buf` may be just a prefix of the
    /// file (at least [`HEADER_SIZE_MIN`] bytes); the checks against the file's length are
    /// done by [`Header::check_file_size`].
    pub fn parse(buf: &[u8]) -> Result<Header> {
        if buf.len() < HEADER_SIZE_MIN as usize {
            return Err(Error::corrupt(
                "journal: file is shorter than a journal header",
            ));
        }
        if bytes(buf, 0, 8)? != SIGNATURE {
            return Err(Error::corrupt(
                "journal: not a journal file (bad signature)",
            ));
        }
        let h = Header {
            compatible_flags: le_u32(buf, 8)?,
            incompatible_flags: le_u32(buf, 12)?,
            state: bytes(buf, 16, 1)?[0],
            file_id: id128(buf, 24)?,
            machine_id: id128(buf, 40)?,
            tail_entry_boot_id: id128(buf, 56)?,
            seqnum_id: id128(buf, 72)?,
            header_size: le_u64(buf, 88)?,
            arena_size: le_u64(buf, 96)?,
            data_hash_table_offset: le_u64(buf, 104)?,
            data_hash_table_size: le_u64(buf, 112)?,
            field_hash_table_offset: le_u64(buf, 120)?,
            field_hash_table_size: le_u64(buf, 128)?,
            tail_object_offset: le_u64(buf, 136)?,
            n_objects: le_u64(buf, 144)?,
            n_entries: le_u64(buf, 152)?,
            tail_entry_seqnum: le_u64(buf, 160)?,
            head_entry_seqnum: le_u64(buf, 168)?,
            entry_array_offset: le_u64(buf, 176)?,
            head_entry_realtime: le_u64(buf, 184)?,
            tail_entry_realtime: le_u64(buf, 192)?,
            tail_entry_monotonic: le_u64(buf, 200)?,
        };
        let unknown = h.incompatible_flags & !HEADER_INCOMPATIBLE_SUPPORTED;
        if unknown != 0 {
            return Err(Error::new(
                libc::EPROTONOSUPPORT,
                format!("journal: unsupported incompatible flags 0x{:x}", unknown),
            ));
        }
        if h.state > STATE_ARCHIVED {
            return Err(Error::corrupt(format!(
                "journal: invalid file state {}",
                h.state
            )));
        }
        if h.header_size < HEADER_SIZE_MIN {
            return Err(Error::corrupt(format!(
                "journal: invalid header size {}",
                h.header_size
            )));
        }
        if h.header_size.checked_add(h.arena_size).is_none() {
            return Err(Error::corrupt(format!(
                "journal: invalid arena size {}",
                h.arena_size
            )));
        }
        if h.entry_array_offset != 0
            && (!h.entry_array_offset.is_multiple_of(8) || h.entry_array_offset < h.header_size)
        {
            return Err(Error::corrupt(format!(
                "journal: invalid entry array offset {}",
                h.entry_array_offset
            )));
        }
        Ok(h)
    }

    /// The end of the arena: every object lies in `[header_size, arena_end)`.
    pub fn arena_end(&self) -> u64 {
        self.header_size.saturating_add(self.arena_size)
    }

    /// Refuses a file shorter than its header says (a truncated file, as systemd does).
    pub fn check_file_size(&self, file_size: u64) -> Result<()> {
        if self.arena_end() > file_size {
            return Err(Error::corrupt(format!(
                "journal: file is truncated ({} bytes, header and arena need {})",
                file_size,
                self.arena_end()
            )));
        }
        Ok(())
    }

    pub fn compact(&self) -> bool {
        self.incompatible_flags & HEADER_INCOMPATIBLE_COMPACT != 0
    }

    /// Size of one item of an ENTRY object: 4 bytes (offset) when compact, else 16 (offset
    /// and hash).
    pub fn entry_item_size(&self) -> u64 {
        if self.compact() {
            4
        } else {
            16
        }
    }

    /// Size of one item of an ENTRY_ARRAY object.
    pub fn entry_array_item_size(&self) -> u64 {
        if self.compact() {
            4
        } else {
            8
        }
    }

    pub fn data_payload_offset(&self) -> u64 {
        if self.compact() {
            DATA_PAYLOAD_OFFSET_COMPACT
        } else {
            DATA_PAYLOAD_OFFSET_REGULAR
        }
    }
}

/// The header every object starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectHeader {
    pub object_type: ObjectType,
    pub flags: u8,
    pub size: u64,
}

/// Reads the object header at `offset` and checks that the object lies inside the arena
/// (`[header_size, arena_end)`), is aligned, has the wanted type and is at least `min_size`
/// bytes long.
pub fn object_at(
    buf: &[u8],
    header: &Header,
    offset: u64,
    wanted: ObjectType,
    min_size: u64,
) -> Result<ObjectHeader> {
    if !offset.is_multiple_of(8) || offset < header.header_size {
        return Err(Error::corrupt(format!(
            "journal: invalid {} object offset {}",
            wanted.name(),
            offset
        )));
    }
    let end = header.arena_end().min(buf.len() as u64);
    let h = bytes(buf, offset, OBJECT_HEADER_SIZE)?;
    let object_type = ObjectType::from_u8(h[0]);
    let flags = h[1];
    let size = le_u64(buf, offset + 8)?;
    if object_type != wanted {
        return Err(Error::corrupt(format!(
            "journal: object at {} is {} (type {}), expected {}",
            offset,
            object_type.name(),
            h[0],
            wanted.name()
        )));
    }
    if size < min_size.max(OBJECT_HEADER_SIZE) {
        return Err(Error::corrupt(format!(
            "journal: {} object at {} is too small ({} bytes)",
            wanted.name(),
            offset,
            size
        )));
    }
    match offset.checked_add(size) {
        Some(e) if e <= end => {}
        _ => {
            return Err(Error::corrupt(format!(
                "journal: {} object at {} ({} bytes) extends past the end of the file",
                wanted.name(),
                offset,
                size
            )))
        }
    }
    Ok(ObjectHeader {
        object_type,
        flags,
        size,
    })
}

/// The fixed part of an ENTRY object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryObject {
    pub seqnum: u64,
    pub realtime: u64,
    pub monotonic: u64,
    pub boot_id: [u8; 16],
    pub xor_hash: u64,
    /// Number of items (DATA references).
    pub n_items: u64,
}

/// Reads and checks the ENTRY object at `offset` (as systemd checks it when moving to one).
pub fn entry_at(buf: &[u8], header: &Header, offset: u64) -> Result<EntryObject> {
    let oh = object_at(buf, header, offset, ObjectType::Entry, ENTRY_ITEMS_OFFSET)?;
    let items_bytes = oh.size - ENTRY_ITEMS_OFFSET;
    let item_size = header.entry_item_size();
    if !items_bytes.is_multiple_of(item_size) || items_bytes == 0 {
        return Err(Error::corrupt(format!(
            "journal: ENTRY object at {} has a bad size {}",
            offset, oh.size
        )));
    }
    let e = EntryObject {
        seqnum: le_u64(buf, offset + 16)?,
        realtime: le_u64(buf, offset + 24)?,
        monotonic: le_u64(buf, offset + 32)?,
        boot_id: id128(buf, offset + 40)?,
        xor_hash: le_u64(buf, offset + 56)?,
        n_items: items_bytes / item_size,
    };
    if e.seqnum == 0 || !valid_realtime(e.realtime) || !valid_monotonic(e.monotonic) {
        return Err(Error::corrupt(format!(
            "journal: ENTRY object at {} has invalid seqnum or timestamps",
            offset
        )));
    }
    Ok(e)
}

/// The object offset of item `i` of the ENTRY object at `offset` (which has been checked by
/// [`entry_at`]).
pub fn entry_item_offset(buf: &[u8], header: &Header, offset: u64, i: u64) -> Result<u64> {
    let at = i
        .checked_mul(header.entry_item_size())
        .and_then(|x| x.checked_add(ENTRY_ITEMS_OFFSET))
        .and_then(|x| x.checked_add(offset))
        .ok_or_else(|| Error::corrupt("journal: entry item offset overflows"))?;
    if header.compact() {
        Ok(le_u32(buf, at)? as u64)
    } else {
        le_u64(buf, at)
    }
}

/// An ENTRY_ARRAY object: the link to the next array and its number of item slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryArrayObject {
    pub next_entry_array_offset: u64,
    pub n_items: u64,
}

pub fn entry_array_at(buf: &[u8], header: &Header, offset: u64) -> Result<EntryArrayObject> {
    let oh = object_at(
        buf,
        header,
        offset,
        ObjectType::EntryArray,
        ENTRY_ARRAY_ITEMS_OFFSET,
    )?;
    let items_bytes = oh.size - ENTRY_ARRAY_ITEMS_OFFSET;
    let item_size = header.entry_array_item_size();
    if !items_bytes.is_multiple_of(item_size) || items_bytes == 0 {
        return Err(Error::corrupt(format!(
            "journal: ENTRY_ARRAY object at {} has a bad size {}",
            offset, oh.size
        )));
    }
    Ok(EntryArrayObject {
        next_entry_array_offset: le_u64(buf, offset + 16)?,
        n_items: items_bytes / item_size,
    })
}

/// Item `i` of the ENTRY_ARRAY object at `offset` (0 means an unused slot).
pub fn entry_array_item(buf: &[u8], header: &Header, offset: u64, i: u64) -> Result<u64> {
    let at = i
        .checked_mul(header.entry_array_item_size())
        .and_then(|x| x.checked_add(ENTRY_ARRAY_ITEMS_OFFSET))
        .and_then(|x| x.checked_add(offset))
        .ok_or_else(|| Error::corrupt("journal: entry array item offset overflows"))?;
    if header.compact() {
        Ok(le_u32(buf, at)? as u64)
    } else {
        le_u64(buf, at)
    }
}

/// A DATA object: its compression flags and its (possibly compressed) payload `FIELD=value`.
#[derive(Debug, Clone, Copy)]
pub struct DataObject<'a> {
    pub flags: u8,
    pub payload: &'a [u8],
}

pub fn data_at<'a>(buf: &'a [u8], header: &Header, offset: u64) -> Result<DataObject<'a>> {
    let payload_offset = header.data_payload_offset();
    let oh = object_at(buf, header, offset, ObjectType::Data, payload_offset)?;
    let payload = bytes(buf, offset + payload_offset, oh.size - payload_offset)?;
    Ok(DataObject {
        flags: oh.flags,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_outside_fail() {
        let b = [1u8, 2, 3, 4];
        assert!(le_u64(&b, 0).is_err());
        assert_eq!(le_u32(&b, 0).unwrap(), 0x04030201);
        assert!(le_u32(&b, 1).is_err());
        assert!(bytes(&b, u64::MAX, 2).is_err());
        assert!(bytes(&b, 2, u64::MAX).is_err());
    }

    #[test]
    fn header_rejects_garbage() {
        assert!(Header::parse(b"LPKSHHRH").is_err());
        let mut h = vec![0u8; 240];
        assert!(Header::parse(&h).is_err());
        h[..8].copy_from_slice(SIGNATURE);
        // header_size 0 is invalid
        assert!(Header::parse(&h).is_err());
        h[88..96].copy_from_slice(&240u64.to_le_bytes());
        assert!(Header::parse(&h).is_ok());
        h[12] = 0x80; // unknown incompatible flag
        assert_eq!(Header::parse(&h).unwrap_err().errno, libc::EPROTONOSUPPORT);
        h[12] = 0;
        h[16] = 3; // state
        assert!(Header::parse(&h).is_err());
        h[16] = 0;
        h[96..104].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(Header::parse(&h).is_err());
    }
}
