//! A Windows registry hive ("regf") reader and writer with hivex's API.
//!
//! The whole hive is held in memory; [`write`] changes it in place as hivex does. [`Hive::from_bytes`] checks the base block (signature,
//! major version, checksum) and walks the hive bins once, recording where allocated cells
//! start; every offset read from the hive afterwards is followed only if it lands on such a
//! cell, and every field is read within its cell. Node and value handles are file offsets of
//! `nk` and `vk` cells, as in hivex (so the root is usually 0x1020), and are checked each time
//! they are used.
//!
//! Record names follow the format's own: `nk` (key node), `vk` (key value), `lf`/`lh`/`li`
//! (subkey lists), `ri` (index root: a list of subkey lists), `db` (big data: a list of data
//! segments for values over 16344 bytes in hives of version 1.4 and later).
//!
//! Errors carry hivex's errno: EINVAL for a handle that is not a cell of the right kind,
//! EFAULT for an offset in the hive that points nowhere, ENOTSUP for structures hivex does not
//! understand, ERANGE for hivex's limits, and ELOOP for loops in subkey lists.

pub mod calls;
pub mod merge;
mod regf;
pub mod regfile;
mod text;
pub mod write;

pub use regf::{header_checksum, HiveHeader, HBIN_START, MIN_HIVE_SIZE};
pub use text::names_equal;

use crate::error::{Error, Result};
use regf::{cell_size, le16, le32, le64, CellMap};
use std::collections::HashSet;

/// Value types (`REG_*`).
pub const REG_NONE: u32 = 0;
pub const REG_SZ: u32 = 1;
pub const REG_EXPAND_SZ: u32 = 2;
pub const REG_BINARY: u32 = 3;
pub const REG_DWORD: u32 = 4;
pub const REG_DWORD_BIG_ENDIAN: u32 = 5;
pub const REG_LINK: u32 = 6;
pub const REG_MULTI_SZ: u32 = 7;
pub const REG_RESOURCE_LIST: u32 = 8;
pub const REG_FULL_RESOURCE_DESCRIPTOR: u32 = 9;
pub const REG_RESOURCE_REQUIREMENTS_LIST: u32 = 10;
pub const REG_QWORD: u32 = 11;

/// hivex's HIVEX_MAX_SUBKEYS: the most subkeys one key may have.
pub const MAX_SUBKEYS: usize = 70_000;
/// hivex's HIVEX_MAX_VALUES: the most values one key may have.
pub const MAX_VALUES: usize = 110_000;
/// hivex's HIVEX_MAX_VALUE_LEN: the longest value data read.
pub const MAX_VALUE_LEN: usize = 8_000_000;
/// How deeply `ri` lists may nest. Windows uses one level (ri → leaves); hivex follows any
/// nesting, we allow a little.
pub const MAX_SUBKEY_LIST_DEPTH: usize = 4;
/// Windows limits the key tree to 512 levels; walks up or down the tree stop there.
pub const MAX_KEY_DEPTH: usize = 512;

/// Data of one big-data segment (the rest of a 16 KiB cell).
const BIG_DATA_SEGMENT_LEN: usize = 16344;

/// `nk` fixed part: size(4) "nk" flags(2) timestamp(8) access(4) parent(4) subkeys(4)
/// volatile subkeys(4) subkey list(4) volatile list(4) values(4) value list(4) sk(4) class(4)
/// max name/class/value lengths(20) name length(2) class length(2), then the name.
const NK_NAME: usize = 0x50;
const NK_FLAGS: usize = 0x06;
const NK_TIMESTAMP: usize = 0x08;
const NK_PARENT: usize = 0x14;
const NK_NUMBER_OF_SUBKEYS: usize = 0x18;
const NK_SUBKEYS_LIST: usize = 0x20;
const NK_NUMBER_OF_VALUES: usize = 0x28;
const NK_VALUES_LIST: usize = 0x2c;
const NK_NAME_LENGTH: usize = 0x4c;
/// nk flag: the name is stored in Latin-1 ("compressed") rather than UTF-16LE.
const KEY_COMP_NAME: u16 = 0x0020;

/// `vk` fixed part: size(4) "vk" name length(2) data size(4) data offset(4) type(4) flags(2)
/// spare(2), then the name.
const VK_NAME: usize = 0x18;
const VK_NAME_LENGTH: usize = 0x06;
const VK_DATA_SIZE: usize = 0x08;
const VK_DATA_OFFSET: usize = 0x0c;
const VK_DATA_TYPE: usize = 0x10;
const VK_FLAGS: usize = 0x14;
/// vk flag: the name is stored in Latin-1.
const VALUE_COMP_NAME: u16 = 0x0001;
/// Top bit of the data size: the data (≤ 4 bytes) is stored in the data offset field.
const VK_DATA_INLINE: u32 = 0x8000_0000;

/// A key: the file offset of its `nk` cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeHandle(pub usize);

/// A value: the file offset of its `vk` cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ValueHandle(pub usize);

/// Options of [`Hive::from_bytes_opts`].
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenOptions {
    /// hivex's "unsafe" flag: tolerate damage (skip bad hive bins and cells, bad subkey list
    /// entries, and subkey counts that do not match) instead of failing.
    pub tolerant: bool,
}

/// An open hive.
pub struct Hive {
    data: Vec<u8>,
    cells: CellMap,
    root: usize,
    tolerant: bool,
    header: HiveHeader,
    hive_bins: usize,
    allocated_cells: usize,
    /// Opened for writing (hivex's `HIVEX_OPEN_WRITE`); see [`write`].
    writable: bool,
    /// Where the hive bins end (hivex's `endpages`): new bins are added there.
    end_of_bins: usize,
    /// Where the next cell goes in the last bin added by this writer (hivex's `endblocks`);
    /// 0 until the first allocation, which always starts a new bin.
    end_of_cells: usize,
}

impl std::fmt::Debug for Hive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hive")
            .field("size", &self.data.len())
            .field("root", &format_args!("0x{:x}", self.root))
            .field("hive_bins", &self.hive_bins)
            .field("allocated_cells", &self.allocated_cells)
            .field("tolerant", &self.tolerant)
            .finish()
    }
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(libc::EINVAL, msg)
}
fn fault(msg: impl Into<String>) -> Error {
    Error::new(libc::EFAULT, msg)
}
fn unsupported(msg: impl Into<String>) -> Error {
    Error::new(libc::ENOTSUP, msg)
}
fn range(msg: impl Into<String>) -> Error {
    Error::new(libc::ERANGE, msg)
}
fn looped(msg: impl Into<String>) -> Error {
    Error::new(libc::ELOOP, msg)
}

/// A stored (hive-bin relative) cell offset as a file offset.
fn file_offset(rel: u32) -> Option<usize> {
    (rel as usize).checked_add(HBIN_START)
}

impl Hive {
    /// Parses a hive held in memory, strictly (any damage is an error).
    pub fn from_bytes(data: Vec<u8>) -> Result<Hive> {
        Hive::from_bytes_opts(data, OpenOptions::default())
    }

    /// Parses a hive held in memory.
    pub fn from_bytes_opts(data: Vec<u8>, opts: OpenOptions) -> Result<Hive> {
        let header = regf::parse_header(&data)?;
        let root = file_offset(header.root_cell_offset).unwrap_or(usize::MAX);
        let scan = regf::scan_bins(&data, &header, root, opts.tolerant)?;
        Ok(Hive {
            data,
            cells: scan.cells,
            root,
            tolerant: opts.tolerant,
            hive_bins: scan.hive_bins,
            allocated_cells: scan.allocated_cells,
            writable: false,
            end_of_bins: (header.hive_bins_data_size as usize).saturating_add(HBIN_START),
            end_of_cells: 0,
            header,
        })
    }

    /// The base block's fields.
    pub fn header(&self) -> &HiveHeader {
        &self.header
    }

    /// The size of the hive file in bytes.
    pub fn size(&self) -> usize {
        self.data.len()
    }

    /// How many hive bins and allocated cells the open found.
    pub fn stats(&self) -> (usize, usize) {
        (self.hive_bins, self.allocated_cells)
    }

    /// The root key.
    pub fn root(&self) -> NodeHandle {
        NodeHandle(self.root)
    }

    /// Whether `off` is the start of an allocated cell.
    fn is_cell(&self, off: usize) -> bool {
        off < self.data.len() && self.cells.is_allocated_cell(off)
    }

    /// The bytes of the allocated cell at `off`, size field included.
    fn cell(&self, off: usize) -> Option<&[u8]> {
        if !self.is_cell(off) {
            return None;
        }
        let (size, _) = cell_size(&self.data, off)?;
        self.data.get(off..off.checked_add(size)?)
    }

    /// The cell at a stored offset, if it is one.
    fn cell_at_rel(&self, rel: u32) -> Option<(usize, &[u8])> {
        let off = file_offset(rel)?;
        self.cell(off).map(|c| (off, c))
    }

    fn record(&self, off: usize, id: &[u8; 2], min_len: usize) -> Result<&[u8]> {
        let what = std::str::from_utf8(id).unwrap_or("?");
        let cell = match self.cell(off) {
            Some(c) if c.get(4..6) == Some(&id[..]) => c,
            _ => {
                return Err(invalid(format!(
                    "invalid block or not an '{}' block (0x{:x})",
                    what, off
                )))
            }
        };
        if cell.len() < min_len {
            return Err(fault(format!(
                "'{}' record at 0x{:x} is too short ({} bytes)",
                what,
                off,
                cell.len()
            )));
        }
        Ok(cell)
    }

    fn nk(&self, node: NodeHandle) -> Result<&[u8]> {
        self.record(node.0, b"nk", NK_NAME)
    }

    fn vk(&self, value: ValueHandle) -> Result<&[u8]> {
        self.record(value.0, b"vk", VK_NAME)
    }

    // --- keys ---

    /// The key's name (the root's name is usually meaningless, e.g. `ROOT` or `CMI-CreateHive…`).
    pub fn node_name(&self, node: NodeHandle) -> Result<String> {
        let nk = self.nk(node)?;
        let len = le16(nk, NK_NAME_LENGTH).unwrap_or(0) as usize;
        let name = nk
            .get(NK_NAME..NK_NAME + len)
            .ok_or_else(|| fault(format!("key name is too long ({}, {})", len, nk.len())))?;
        if le16(nk, NK_FLAGS).unwrap_or(0) & KEY_COMP_NAME != 0 {
            Ok(text::latin1_to_string(name))
        } else {
            text::utf16le_name_to_string(name)
        }
    }

    /// The key's last-write time as a Windows FILETIME (100 ns units since 1601).
    pub fn node_timestamp(&self, node: NodeHandle) -> Result<i64> {
        let nk = self.nk(node)?;
        let t = le64(nk, NK_TIMESTAMP).unwrap_or(0) as i64;
        if t < 0 {
            return Err(invalid(format!(
                "negative time reported at 0x{:x}: {}",
                node.0, t
            )));
        }
        Ok(t)
    }

    /// The parent key. The root's parent field points wherever the writer left it.
    pub fn node_parent(&self, node: NodeHandle) -> Result<NodeHandle> {
        let nk = self.nk(node)?;
        let rel = le32(nk, NK_PARENT).unwrap_or(u32::MAX);
        match file_offset(rel) {
            Some(off) if self.is_cell(off) => Ok(NodeHandle(off)),
            _ => Err(fault(format!(
                "parent is not a valid block (0x{:x})",
                rel as u64 + HBIN_START as u64
            ))),
        }
    }

    /// The number of subkeys the key records (not checked against its lists).
    pub fn node_nr_children(&self, node: NodeHandle) -> Result<usize> {
        let nk = self.nk(node)?;
        Ok(le32(nk, NK_NUMBER_OF_SUBKEYS).unwrap_or(0) as usize)
    }

    /// The number of values the key records.
    pub fn node_nr_values(&self, node: NodeHandle) -> Result<usize> {
        let nk = self.nk(node)?;
        Ok(le32(nk, NK_NUMBER_OF_VALUES).unwrap_or(0) as usize)
    }

    /// The subkeys, in stored order (Windows keeps them sorted by upper-cased name).
    pub fn node_children(&self, node: NodeHandle) -> Result<Vec<NodeHandle>> {
        let nk = self.nk(node)?;
        let count = le32(nk, NK_NUMBER_OF_SUBKEYS).unwrap_or(0) as usize;
        if count > MAX_SUBKEYS {
            return Err(range(format!(
                "nr_subkeys_in_nk > HIVEX_MAX_SUBKEYS ({} > {})",
                count, MAX_SUBKEYS
            )));
        }
        if count == 0 {
            return Ok(Vec::new());
        }
        let rel = le32(nk, NK_SUBKEYS_LIST).unwrap_or(u32::MAX);
        let list = match file_offset(rel) {
            Some(off) if self.is_cell(off) => off,
            _ => {
                return Err(fault(format!(
                    "subkey_lf is not a valid block (0x{:x})",
                    rel as u64 + HBIN_START as u64
                )))
            }
        };
        let mut walk = SubkeyWalk {
            node: node.0,
            children: Vec::with_capacity(count),
            lists: HashSet::new(),
        };
        self.read_subkey_list(list, 0, &mut walk)?;
        if walk.children.len() != count && !self.tolerant {
            return Err(unsupported(format!(
                "nr_subkeys_in_nk = {} is not equal to number of children read {}",
                count,
                walk.children.len()
            )));
        }
        Ok(walk.children.into_iter().map(NodeHandle).collect())
    }

    /// Reads one `lf`/`lh`/`li` list, or an `ri` list of such lists.
    fn read_subkey_list(&self, off: usize, depth: usize, walk: &mut SubkeyWalk) -> Result<()> {
        if !walk.lists.insert(off) {
            return Err(looped(format!(
                "subkey list at 0x{:x} is referenced more than once (loop)",
                off
            )));
        }
        if walk.lists.len() > MAX_SUBKEYS {
            return Err(range(format!(
                "more than {} subkey lists under one key",
                MAX_SUBKEYS
            )));
        }
        let cell = self
            .cell(off)
            .ok_or_else(|| fault(format!("subkey list is not a valid block (0x{:x})", off)))?;
        let id = [
            cell.get(4).copied().unwrap_or(0),
            cell.get(5).copied().unwrap_or(0),
        ];
        let count = le16(cell, 6).unwrap_or(0) as usize;
        let (entry_len, what) = match &id {
            b"lf" | b"lh" => (8, "subkeys"),
            b"li" | b"ri" => (4, "offsets"),
            _ => {
                return Err(unsupported(format!(
                    "subkey block is not lf/lh/li/ri (0x{:x}, {}, {})",
                    off, id[0], id[1]
                )))
            }
        };
        if 8 + count * entry_len > cell.len() {
            return Err(fault(format!(
                "too many {} ({}, {})",
                what,
                count,
                cell.len()
            )));
        }
        for i in 0..count {
            let rel = le32(cell, 8 + i * entry_len).unwrap_or(u32::MAX);
            let target = file_offset(rel).filter(|&t| self.is_cell(t));
            if &id == b"ri" {
                let Some(sublist) = target else {
                    if self.tolerant {
                        continue;
                    }
                    return Err(fault(format!(
                        "ri-offset is not a valid block (0x{:x})",
                        rel as u64 + HBIN_START as u64
                    )));
                };
                if depth + 1 >= MAX_SUBKEY_LIST_DEPTH {
                    return Err(looped(format!(
                        "ri lists nested more than {} deep",
                        MAX_SUBKEY_LIST_DEPTH
                    )));
                }
                self.read_subkey_list(sublist, depth + 1, walk)?;
                continue;
            }
            // Like hivex: a subkey must be an nk cell; unsafe mode skips one that is not.
            let is_nk = |t: usize| self.cell(t).and_then(|c| c.get(4..6)) == Some(&b"nk"[..]);
            let Some(child) = target.filter(|&t| is_nk(t)) else {
                if self.tolerant {
                    continue;
                }
                return Err(fault(format!(
                    "subkey is not a valid block (0x{:x})",
                    rel as u64 + HBIN_START as u64
                )));
            };
            if child == walk.node {
                if self.tolerant {
                    continue;
                }
                return Err(looped(format!(
                    "key 0x{:x} lists itself as a subkey",
                    child
                )));
            }
            if walk.children.len() >= MAX_SUBKEYS {
                return Err(range(format!(
                    "more than HIVEX_MAX_SUBKEYS ({}) subkeys",
                    MAX_SUBKEYS
                )));
            }
            walk.children.push(child);
        }
        Ok(())
    }

    /// The subkey called `name`, compared case-insensitively; None if there is none.
    pub fn node_get_child(&self, node: NodeHandle, name: &str) -> Result<Option<NodeHandle>> {
        for child in self.node_children(node)? {
            if text::names_equal(&self.node_name(child)?, name) {
                return Ok(Some(child));
            }
        }
        Ok(None)
    }

    /// The key at a path of names below `node` (each compared case-insensitively).
    pub fn node_get_path<'a>(
        &self,
        node: NodeHandle,
        path: impl IntoIterator<Item = &'a str>,
    ) -> Result<Option<NodeHandle>> {
        let mut node = node;
        for name in path {
            match self.node_get_child(node, name)? {
                Some(child) => node = child,
                None => return Ok(None),
            }
        }
        Ok(Some(node))
    }

    /// The names from the root down to `node` (empty for the root), following parent links at
    /// most [`MAX_KEY_DEPTH`] times.
    pub fn node_path(&self, node: NodeHandle) -> Result<Vec<String>> {
        let mut names = Vec::new();
        let mut cur = node;
        while cur.0 != self.root {
            if names.len() >= MAX_KEY_DEPTH {
                return Err(looped(format!(
                    "key 0x{:x} is more than {} levels below the root (parent loop?)",
                    node.0, MAX_KEY_DEPTH
                )));
            }
            names.push(self.node_name(cur)?);
            cur = self.node_parent(cur)?;
        }
        names.reverse();
        Ok(names)
    }

    /// The values, in stored order.
    pub fn node_values(&self, node: NodeHandle) -> Result<Vec<ValueHandle>> {
        let nk = self.nk(node)?;
        let count = le32(nk, NK_NUMBER_OF_VALUES).unwrap_or(0) as usize;
        if count > MAX_VALUES {
            return Err(range(format!(
                "nr_values > HIVEX_MAX_VALUES ({} > {})",
                count, MAX_VALUES
            )));
        }
        if count == 0 {
            return Ok(Vec::new());
        }
        let rel = le32(nk, NK_VALUES_LIST).unwrap_or(u32::MAX);
        let Some((list_off, list)) = self.cell_at_rel(rel) else {
            return Err(fault(format!(
                "value list is not a valid block (0x{:x})",
                rel as u64 + HBIN_START as u64
            )));
        };
        if 4 + count * 4 > list.len() {
            return Err(fault(format!(
                "value list at 0x{:x} is too long ({}, {})",
                list_off,
                count,
                list.len()
            )));
        }
        let mut values = Vec::with_capacity(count);
        for i in 0..count {
            let rel = le32(list, 4 + i * 4).unwrap_or(u32::MAX);
            // hivex fails here even in unsafe mode.
            match file_offset(rel).filter(|&v| self.is_cell(v)) {
                Some(v) => values.push(ValueHandle(v)),
                None => {
                    return Err(fault(format!(
                        "value is not a valid block (0x{:x})",
                        rel as u64 + HBIN_START as u64
                    )))
                }
            }
        }
        Ok(values)
    }

    /// The value called `key` ("" is the default value), compared case-insensitively; None if
    /// there is none.
    pub fn node_get_value(&self, node: NodeHandle, key: &str) -> Result<Option<ValueHandle>> {
        for value in self.node_values(node)? {
            if text::names_equal(&self.value_key(value)?, key) {
                return Ok(Some(value));
            }
        }
        Ok(None)
    }

    // --- values ---

    /// The value's name; "" for the key's default value.
    pub fn value_key(&self, value: ValueHandle) -> Result<String> {
        let vk = self.vk(value)?;
        let len = le16(vk, VK_NAME_LENGTH).unwrap_or(0) as usize;
        let name = vk
            .get(VK_NAME..VK_NAME + len)
            .ok_or_else(|| fault(format!("key name is too long ({}, {})", len, vk.len())))?;
        if le16(vk, VK_FLAGS).unwrap_or(0) & VALUE_COMP_NAME != 0 {
            Ok(text::latin1_to_string(name))
        } else {
            text::utf16le_name_to_string(name)
        }
    }

    /// The value's type (`REG_*`) and declared data length.
    pub fn value_type(&self, value: ValueHandle) -> Result<(u32, usize)> {
        let vk = self.vk(value)?;
        let t = le32(vk, VK_DATA_TYPE).unwrap_or(0);
        let len = le32(vk, VK_DATA_SIZE).unwrap_or(0) & !VK_DATA_INLINE;
        Ok((t, len as usize))
    }

    /// The value's type and data.
    pub fn value_value(&self, value: ValueHandle) -> Result<(u32, Vec<u8>)> {
        let vk = self.vk(value)?;
        let t = le32(vk, VK_DATA_TYPE).unwrap_or(0);
        let size = le32(vk, VK_DATA_SIZE).unwrap_or(0);
        let inline = size & VK_DATA_INLINE != 0;
        let len = (size & !VK_DATA_INLINE) as usize;
        if inline {
            if len > 4 {
                return Err(unsupported(format!(
                    "inline data with declared length ({:x}) > 4",
                    len
                )));
            }
            let data = vk.get(VK_DATA_OFFSET..VK_DATA_OFFSET + len).unwrap_or(&[]);
            return Ok((t, data.to_vec()));
        }
        if len > MAX_VALUE_LEN {
            return Err(range(format!(
                "data length > HIVEX_MAX_VALUE_LEN ({} > {})",
                len, MAX_VALUE_LEN
            )));
        }
        let rel = le32(vk, VK_DATA_OFFSET).unwrap_or(u32::MAX);
        let Some((data_off, cell)) = self.cell_at_rel(rel) else {
            return Err(fault(format!(
                "data offset is not a valid block (0x{:x})",
                rel as u64 + HBIN_START as u64
            )));
        };
        // Data in one cell (hives before version 1.4 put even large values there).
        if let Some(data) = cell.get(4..4 + len) {
            return Ok((t, data.to_vec()));
        }
        if cell.get(4..6) != Some(&b"db"[..]) {
            return Err(invalid(format!(
                "declared data length is longer than the block and block is not a db block (data 0x{:x}, data len {})",
                data_off, len
            )));
        }
        Ok((t, self.read_big_data(data_off, cell, len)?))
    }

    /// Concatenates the segments of a `db` record: count(2) at 6, segment list offset(4) at 8.
    fn read_big_data(&self, db_off: usize, db: &[u8], len: usize) -> Result<Vec<u8>> {
        let segments = le16(db, 6).unwrap_or(0) as usize;
        let rel = le32(db, 8).unwrap_or(u32::MAX);
        let Some((list_off, list)) = self.cell_at_rel(rel) else {
            return Err(invalid(format!(
                "blocklist is not a valid block (db block 0x{:x}, blocklist 0x{:x})",
                db_off,
                rel as u64 + HBIN_START as u64
            )));
        };
        if 4 + segments * 4 > list.len() {
            return Err(invalid(format!(
                "blocklist is too short (db block 0x{:x}, blocklist 0x{:x}, {} segments)",
                db_off, list_off, segments
            )));
        }
        let mut data = Vec::with_capacity(len.min(segments.saturating_mul(BIG_DATA_SEGMENT_LEN)));
        for i in 0..segments {
            if data.len() >= len {
                break;
            }
            let rel = le32(list, 4 + i * 4).unwrap_or(u32::MAX);
            let Some((_, segment)) = self.cell_at_rel(rel) else {
                return Err(invalid(format!(
                    "subblock is not valid (db block 0x{:x}, block list 0x{:x}, data subblock 0x{:x})",
                    db_off,
                    list_off,
                    rel as u64 + HBIN_START as u64
                )));
            };
            // Each segment but the last holds exactly 16344 bytes; the cell may be padded.
            let payload = segment.get(4..).unwrap_or(&[]);
            let take = payload
                .len()
                .min(BIG_DATA_SEGMENT_LEN)
                .min(len - data.len());
            data.extend_from_slice(&payload[..take]);
        }
        // Like hivex: if the segments hold less than declared, return what they hold.
        Ok(data)
    }

    /// A REG_SZ, REG_EXPAND_SZ or REG_LINK value as UTF-8, ending at the first NUL.
    pub fn value_string(&self, value: ValueHandle) -> Result<String> {
        let (t, data) = self.value_value(value)?;
        if t != REG_SZ && t != REG_EXPAND_SZ && t != REG_LINK {
            return Err(invalid("type is not string/expand_string/link"));
        }
        let len = text::utf16le_len_to_nul(&data);
        text::utf16le_to_string(&data[..len])
    }

    /// A REG_MULTI_SZ value's strings. As hivex does it: each NUL-terminated piece of the data
    /// is a string, empty ones included (so the usual final double NUL gives a last ""), and
    /// a trailing odd byte counts as an empty string.
    pub fn value_multiple_strings(&self, value: ValueHandle) -> Result<Vec<String>> {
        let (t, data) = self.value_value(value)?;
        if t != REG_MULTI_SZ {
            return Err(invalid("type is not multiple_strings"));
        }
        let mut strings = Vec::new();
        let mut rest = &data[..];
        while !rest.is_empty() {
            let len = text::utf16le_len_to_nul(rest);
            strings.push(text::utf16le_to_string(&rest[..len])?);
            rest = rest.get(len + 2..).unwrap_or(&[]);
        }
        Ok(strings)
    }

    /// A REG_DWORD (little-endian) or REG_DWORD_BIG_ENDIAN value.
    pub fn value_dword(&self, value: ValueHandle) -> Result<i32> {
        let (t, data) = self.value_value(value)?;
        let bytes: [u8; 4] = match data.get(..4) {
            Some(b) if t == REG_DWORD || t == REG_DWORD_BIG_ENDIAN => [b[0], b[1], b[2], b[3]],
            _ => return Err(invalid("type is not dword/dword_be")),
        };
        Ok(if t == REG_DWORD {
            i32::from_le_bytes(bytes)
        } else {
            i32::from_be_bytes(bytes)
        })
    }

    /// A REG_QWORD value.
    pub fn value_qword(&self, value: ValueHandle) -> Result<i64> {
        let (t, data) = self.value_value(value)?;
        match data.get(..8) {
            Some(b) if t == REG_QWORD => {
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                Ok(i64::from_le_bytes(a))
            }
            _ => Err(invalid("type is not qword or length < 8")),
        }
    }

    /// Visits every key below and including `start`, depth first in stored order, calling
    /// `visit(depth, node)`. Stops with ELOOP if a key is reached twice or the tree is deeper
    /// than [`MAX_KEY_DEPTH`], and with ERANGE after `max_keys` keys.
    pub fn walk(
        &self,
        start: NodeHandle,
        max_keys: usize,
        visit: &mut dyn FnMut(usize, NodeHandle) -> Result<()>,
    ) -> Result<()> {
        // Keys are marked when queued, so the stack never holds more than `max_keys` keys.
        let mut seen = HashSet::from([start.0]);
        let mut stack = vec![(0usize, start)];
        while let Some((depth, node)) = stack.pop() {
            if depth > MAX_KEY_DEPTH {
                return Err(looped(format!(
                    "keys nested more than {} deep",
                    MAX_KEY_DEPTH
                )));
            }
            visit(depth, node)?;
            let children = self.node_children(node)?;
            let first = stack.len();
            for child in children {
                if !seen.insert(child.0) {
                    return Err(looped(format!(
                        "key 0x{:x} is reached twice (subkey loop)",
                        child.0
                    )));
                }
                if seen.len() > max_keys {
                    return Err(range(format!("more than {} keys", max_keys)));
                }
                stack.push((depth + 1, child));
            }
            stack[first..].reverse();
        }
        Ok(())
    }
}

struct SubkeyWalk {
    node: usize,
    children: Vec<usize>,
    lists: HashSet<usize>,
}
