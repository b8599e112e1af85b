//! Changing a hive in place, cell for cell as hivex 1.3 does, so that a hive changed here is
//! the hive hivex would have written (same cells at the same offsets, same handles returned).
//!
//! hivex never reuses free space: new cells go one after another into hive bins it appends
//! (the first allocation after opening always starts a new bin), and cells no longer used
//! are marked free. Subkey lists are kept sorted (Windows needs it): adding a key copies the
//! list that receives it into a new cell one entry longer.

use super::regf::{cell_size, le16, le32, HBIN_HEADER_LEN};
use super::{
    file_offset, invalid, Hive, NodeHandle, HBIN_START, KEY_COMP_NAME, NK_FLAGS, NK_NAME,
    NK_NAME_LENGTH, NK_NUMBER_OF_SUBKEYS, NK_NUMBER_OF_VALUES, NK_PARENT, NK_SUBKEYS_LIST,
    NK_TIMESTAMP, NK_VALUES_LIST, VALUE_COMP_NAME, VK_DATA_INLINE, VK_DATA_OFFSET, VK_DATA_SIZE,
    VK_DATA_TYPE, VK_FLAGS, VK_NAME, VK_NAME_LENGTH,
};
use crate::error::{Error, Result};

/// hivex's largest single allocation.
const MAX_ALLOCATION: usize = 1_000_000;
/// Sizes of hivex's record structs, each counting one element of its trailing array.
const NK_RECORD: usize = NK_NAME + 1;
const VK_RECORD: usize = VK_NAME + 1;
const LF_RECORD: usize = 0x10;
const RI_RECORD: usize = 0x0c;
const VALUE_LIST: usize = 8;

const NK_SK: usize = 0x30;
const NK_CLASSNAME: usize = 0x34;
const NK_MAX_SUBKEY_NAME_LEN: usize = 0x38;
const NK_MAX_VK_NAME_LEN: usize = 0x40;
const NK_MAX_VK_DATA_LEN: usize = 0x44;
const NK_VOLATILE_SUBKEYS_LIST: usize = 0x24;
const SK_PREV: usize = 0x08;
const SK_NEXT: usize = 0x0c;
const SK_REFCOUNT: usize = 0x10;
const NONE: u32 = 0xffff_ffff;

fn read_only() -> Error {
    Error::new(libc::EROFS, "hive opened read-only")
}

/// A name as hivex stores it: Latin-1 when every character fits (flag set), else UTF-16LE.
fn encode_name(name: &str) -> (Vec<u8>, bool) {
    if name.chars().all(|c| (c as u32) < 0x100) {
        (name.chars().map(|c| c as u8).collect(), true)
    } else {
        (
            name.encode_utf16().flat_map(|u| u.to_le_bytes()).collect(),
            false,
        )
    }
}

/// `strcasecmp` of the C locale on the names' UTF-8 bytes.
fn strcasecmp(a: &str, b: &str) -> std::cmp::Ordering {
    let lower = |s: &str| -> Vec<u8> { s.bytes().map(|c| c.to_ascii_lowercase()).collect() };
    lower(a).cmp(&lower(b))
}

/// The hash of an `lh` entry (`lf` entries hold the name's first four bytes instead).
fn entry_hash(list_id: &[u8], name: &str) -> [u8; 4] {
    if list_id == b"lf" {
        let mut h = [0u8; 4];
        for (d, s) in h.iter_mut().zip(name.bytes()) {
            *d = s;
        }
        h
    } else {
        let h = name.bytes().fold(0u32, |h, c| {
            h.wrapping_mul(37)
                .wrapping_add(u32::from(c.to_ascii_uppercase()))
        });
        h.to_le_bytes()
    }
}

fn rel(off: usize) -> u32 {
    (off - HBIN_START) as u32
}

impl Hive {
    /// Allows the changes of this module (hivex's `HIVEX_OPEN_WRITE`).
    pub fn set_writable(&mut self) {
        self.writable = true;
    }

    pub fn is_writable(&self) -> bool {
        self.writable
    }

    fn put16(&mut self, off: usize, v: u16) {
        self.data[off..off + 2].copy_from_slice(&v.to_le_bytes());
    }

    fn put32(&mut self, off: usize, v: u32) {
        self.data[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }

    fn get32(&self, off: usize) -> u32 {
        le32(&self.data, off).unwrap_or(0)
    }

    fn get16(&self, off: usize) -> u16 {
        le16(&self.data, off).unwrap_or(0)
    }

    fn cell_id(&self, off: usize) -> [u8; 2] {
        [
            self.data.get(off + 4).copied().unwrap_or(0),
            self.data.get(off + 5).copied().unwrap_or(0),
        ]
    }

    /// A stored offset field as a file offset.
    fn target(&self, field: usize) -> usize {
        file_offset(self.get32(field)).unwrap_or(usize::MAX)
    }

    /// Appends a hive bin big enough for a cell of `hint` bytes; returns where cells start.
    fn allocate_bin(&mut self, hint: usize) -> usize {
        let pages = 1 + (hint + HBIN_HEADER_LEN - 1) / 4096;
        let offset = self.end_of_bins;
        let end = offset + pages * 4096;
        if end > self.data.len() {
            self.data.resize(end, 0);
            self.cells.grow(end);
        }
        self.end_of_bins = end;
        self.data[offset..offset + 4].copy_from_slice(b"hbin");
        self.put32(offset + 4, rel(offset));
        self.put32(offset + 8, (pages * 4096) as u32);
        self.data[offset + 12..offset + HBIN_HEADER_LEN].fill(0);
        self.hive_bins += 1;
        offset + HBIN_HEADER_LEN
    }

    /// A new allocated cell of at least `len` bytes (size field included), zeroed but for its
    /// size and `id`.
    fn allocate(&mut self, len: usize, id: &[u8; 2]) -> Result<usize> {
        if !self.writable {
            return Err(read_only());
        }
        if len < 4 {
            return Err(Error::new(
                libc::ERANGE,
                format!("refusing too small allocation ({})", len),
            ));
        }
        if len > MAX_ALLOCATION {
            return Err(Error::new(
                libc::ERANGE,
                format!("refusing too large allocation ({})", len),
            ));
        }
        let len = (len + 7) & !7;
        if self.end_of_cells == 0 || self.end_of_cells + len > self.end_of_bins {
            self.end_of_cells = self.allocate_bin(len);
        }
        let off = self.end_of_cells;
        self.data[off..off + len].fill(0);
        self.put32(off, (len as i32).wrapping_neg() as u32);
        if id[0] != 0 && id[1] != 0 && len >= 8 {
            self.data[off + 4..off + 6].copy_from_slice(id);
        }
        self.cells.set(off);
        self.allocated_cells += 1;
        self.end_of_cells += len;
        let rest = self.end_of_bins - self.end_of_cells;
        if rest > 0 {
            let at = self.end_of_cells;
            self.put32(at, rest as u32);
        }
        Ok(off)
    }

    /// Marks an allocated cell free (nothing else is changed).
    fn free(&mut self, off: usize) {
        if !self.is_cell(off) {
            return;
        }
        if let Some((size, _)) = cell_size(&self.data, off) {
            self.put32(off, size as u32);
            self.cells.clear(off);
            self.allocated_cells = self.allocated_cells.saturating_sub(1);
        }
    }

    /// A key handle whose cell is a whole `nk` record (so its fields can be written).
    fn check_nk(&self, node: NodeHandle) -> Result<()> {
        match self.nk(node) {
            Ok(_) => Ok(()),
            Err(_) => Err(invalid("invalid block or not an 'nk' block")),
        }
    }

    /// Whether `off` is an `sk` cell long enough for the fields written here.
    fn is_sk(&self, off: usize) -> bool {
        self.record(off, b"sk", SK_REFCOUNT + 4).is_ok()
    }

    /// The subkey-list cells of a key, in reading order (an `ri` before the lists it holds),
    /// without checking the subkeys they point to.
    fn subkey_list_cells(&self, node: NodeHandle) -> Result<Vec<usize>> {
        let mut cells = Vec::new();
        if self.get32(node.0 + NK_NUMBER_OF_SUBKEYS) == 0 {
            return Ok(cells);
        }
        let first = self.target(node.0 + NK_SUBKEYS_LIST);
        if !self.is_cell(first) {
            return Err(Error::new(
                libc::EFAULT,
                format!("subkey_lf is not a valid block (0x{:x})", first),
            ));
        }
        self.check_list(first)?;
        cells.push(first);
        if &self.cell_id(first) == b"ri" {
            let count = self.get16(first + 6) as usize;
            for i in 0..count {
                let list = self.target(first + 8 + i * 4);
                if self.is_cell(list) && !cells.contains(&list) {
                    self.check_list(list)?;
                    cells.push(list);
                }
            }
        }
        Ok(cells)
    }

    /// A subkey list cell that holds all the entries its count says.
    fn check_list(&self, off: usize) -> Result<()> {
        let entry_len = match &self.cell_id(off) {
            b"lf" | b"lh" => 8,
            _ => 4,
        };
        let count = self.get16(off + 6) as usize;
        match self.cell(off) {
            Some(c) if c.len() >= 8 + count * entry_len => Ok(()),
            _ => Err(Error::new(
                libc::EFAULT,
                format!("subkey list at 0x{:x} is too short", off),
            )),
        }
    }

    /// `hivex_node_add_child`: a new key `name` under `parent`; returns its handle.
    pub fn node_add_child(&mut self, parent: NodeHandle, name: &str) -> Result<NodeHandle> {
        if !self.writable {
            return Err(read_only());
        }
        self.check_nk(parent)?;
        if name.is_empty() {
            return Err(invalid("name is NULL or zero length"));
        }
        if let Ok(Some(_)) = self.node_get_child(parent, name) {
            return Err(Error::new(
                libc::EEXIST,
                "a child with that name exists already",
            ));
        }
        let (stored, latin1) = encode_name(name);
        let nk = self.allocate(NK_RECORD + stored.len(), b"nk")?;
        self.put16(nk + NK_FLAGS, if latin1 { KEY_COMP_NAME } else { 0 });
        self.put32(nk + NK_PARENT, rel(parent.0));
        self.put32(nk + NK_SUBKEYS_LIST, NONE);
        self.put32(nk + NK_VOLATILE_SUBKEYS_LIST, NONE);
        self.put32(nk + NK_VALUES_LIST, NONE);
        self.put32(nk + NK_CLASSNAME, NONE);
        self.put16(nk + NK_NAME_LENGTH, stored.len() as u16);
        self.data[nk + NK_NAME..nk + NK_NAME + stored.len()].copy_from_slice(&stored);

        // The security descriptor and time stamp are the parent's.
        let sk = self.target(parent.0 + NK_SK);
        if !self.is_sk(sk) {
            return Err(Error::new(
                libc::EFAULT,
                format!("parent sk is not a valid block ({})", sk),
            ));
        }
        let refs = self.get32(sk + SK_REFCOUNT);
        self.put32(sk + SK_REFCOUNT, refs.wrapping_add(1));
        self.put32(nk + NK_SK, rel(sk));
        let stamp: [u8; 8] = self.data[parent.0 + NK_TIMESTAMP..parent.0 + NK_TIMESTAMP + 8]
            .try_into()
            .unwrap_or([0; 8]);
        self.data[nk + NK_TIMESTAMP..nk + NK_TIMESTAMP + 8].copy_from_slice(&stamp);

        let lists = self.subkey_list_cells(parent)?;
        let nr_subkeys = self.get32(parent.0 + NK_NUMBER_OF_SUBKEYS);
        if nr_subkeys == u32::MAX {
            return Err(Error::new(
                libc::EOVERFLOW,
                format!("too many subkeys ({})", nr_subkeys),
            ));
        }
        if nr_subkeys == 0 {
            for l in lists {
                self.free(l);
            }
            let lh = self.allocate(LF_RECORD, b"lh")?;
            self.put16(lh + 6, 1);
            self.put32(lh + 8, rel(nk));
            let hash = entry_hash(b"lh", name);
            self.data[lh + 12..lh + 16].copy_from_slice(&hash);
            self.put32(parent.0 + NK_SUBKEYS_LIST, rel(lh));
        } else {
            self.insert_subkey(parent, &lists, name, nk)?;
        }
        self.put32(parent.0 + NK_NUMBER_OF_SUBKEYS, nr_subkeys + 1);
        let utf16_len = if latin1 {
            stored.len() * 2
        } else {
            stored.len()
        };
        if (self.get16(parent.0 + NK_MAX_SUBKEY_NAME_LEN) as usize) < utf16_len {
            self.put16(parent.0 + NK_MAX_SUBKEY_NAME_LEN, utf16_len as u16);
        }
        Ok(NodeHandle(nk))
    }

    /// Puts `nk` into the parent's subkey lists before the first key whose name sorts after
    /// `name` (or at the end of the last list): the list is copied one entry longer.
    fn insert_subkey(
        &mut self,
        parent: NodeHandle,
        lists: &[usize],
        name: &str,
        nk: usize,
    ) -> Result<()> {
        let mut place: Option<(usize, usize)> = None;
        'search: for &list in lists {
            let id = self.cell_id(list);
            let entry_len = match &id {
                b"lf" | b"lh" => 8,
                b"li" => 4,
                _ => continue,
            };
            let count = self.get16(list + 6) as usize;
            place = Some((list, count));
            for j in 0..count {
                let child = self.target(list + 8 + j * entry_len);
                let child_name = self.node_name(NodeHandle(child)).unwrap_or_default();
                if strcasecmp(name, &child_name).is_lt() {
                    place = Some((list, j));
                    break 'search;
                }
            }
        }
        let Some((old, posn)) = place else {
            return Err(Error::new(libc::ENOTSUP, "could not find ri->lf link"));
        };
        let id = self.cell_id(old);
        let entry_len = if &id == b"li" { 4 } else { 8 };
        let count = self.get16(old + 6) as usize;
        if count == u16::MAX as usize {
            return Err(Error::new(
                libc::EOVERFLOW,
                format!(
                    "cannot extend record because it already contains the maximum number of subkeys ({})",
                    count
                ),
            ));
        }
        let header = if entry_len == 8 { LF_RECORD } else { RI_RECORD };
        let new = self.allocate(header + count * entry_len, &id)?;
        self.put16(new + 6, (count + 1) as u16);
        let entries =
            |at: usize, from: usize, to: usize| at + 8 + from * entry_len..at + 8 + to * entry_len;
        let before = self.data[entries(old, 0, posn)].to_vec();
        let after = self.data[entries(old, posn, count)].to_vec();
        self.data[entries(new, 0, posn)].copy_from_slice(&before);
        self.data[entries(new, posn + 1, count + 1)].copy_from_slice(&after);
        let slot = new + 8 + posn * entry_len;
        self.put32(slot, rel(nk));
        if entry_len == 8 {
            let hash = entry_hash(&id, name);
            self.data[slot + 4..slot + 8].copy_from_slice(&hash);
        }
        self.free(old);

        // Point whatever referred to the old list at the new one.
        if self.target(parent.0 + NK_SUBKEYS_LIST) == old {
            self.put32(parent.0 + NK_SUBKEYS_LIST, rel(new));
            return Ok(());
        }
        for &ri in lists {
            if &self.cell_id(ri) != b"ri" {
                continue;
            }
            for j in 0..self.get16(ri + 6) as usize {
                if self.target(ri + 8 + j * 4) == old {
                    self.put32(ri + 8 + j * 4, rel(new));
                    return Ok(());
                }
            }
        }
        Err(Error::new(libc::ENOTSUP, "could not find ri->lf link"))
    }

    /// Frees a key's value list, values and their data, leaving it with no values.
    fn delete_values(&mut self, node: NodeHandle) -> Result<()> {
        let values = self.node_values(node)?;
        if self.get32(node.0 + NK_NUMBER_OF_VALUES) != 0 {
            let list = self.target(node.0 + NK_VALUES_LIST);
            self.free(list);
        }
        for v in values {
            let size = self.get32(v.0 + VK_DATA_SIZE);
            if size & VK_DATA_INLINE == 0 {
                let data = self.target(v.0 + VK_DATA_OFFSET);
                self.free(data);
            }
            self.free(v.0);
        }
        self.put32(node.0 + NK_NUMBER_OF_VALUES, 0);
        self.put32(node.0 + NK_VALUES_LIST, NONE);
        Ok(())
    }

    /// One less key uses a security descriptor; the last one frees it.
    fn release_sk(&mut self, sk: usize) -> Result<()> {
        if !self.is_sk(sk) {
            return Err(Error::new(
                libc::EFAULT,
                format!("not an sk record: 0x{:x}", sk),
            ));
        }
        let refs = self.get32(sk + SK_REFCOUNT);
        if refs == 0 {
            return Err(invalid(format!(
                "sk record already has refcount 0: 0x{:x}",
                sk
            )));
        }
        self.put32(sk + SK_REFCOUNT, refs - 1);
        if refs == 1 {
            let prev = self.target(sk + SK_PREV);
            let next = self.target(sk + SK_NEXT);
            if prev != sk && next != sk && self.is_sk(prev) && self.is_sk(next) {
                self.put32(prev + SK_NEXT, rel(next));
                self.put32(next + SK_PREV, rel(prev));
            }
            self.free(sk);
        }
        Ok(())
    }

    /// Frees one key whose subkeys are already freed.
    fn delete_node(&mut self, node: NodeHandle) -> Result<()> {
        for list in self.subkey_list_cells(node)? {
            self.free(list);
        }
        self.delete_values(node)?;
        let sk = self.get32(node.0 + NK_SK);
        if sk != NONE {
            self.release_sk(file_offset(sk).unwrap_or(usize::MAX))?;
            self.put32(node.0 + NK_SK, NONE);
        }
        let class = self.get32(node.0 + NK_CLASSNAME);
        if class != NONE {
            self.free(file_offset(class).unwrap_or(usize::MAX));
            self.put32(node.0 + NK_CLASSNAME, NONE);
        }
        self.free(node.0);
        Ok(())
    }

    /// `hivex_node_delete_child`: removes a key (not the root) with all its subkeys and values.
    pub fn node_delete_child(&mut self, node: NodeHandle) -> Result<()> {
        if !self.writable {
            return Err(read_only());
        }
        self.check_nk(node)?;
        if node == self.root() {
            return Err(invalid("cannot delete root node"));
        }
        let parent = self.node_parent(node)?;
        // Subkeys before their parents (hivex visits the tree and deletes on leaving a key);
        // the walk first makes sure the tree has no loops.
        self.walk(node, super::MAX_SUBKEYS, &mut |_, _| Ok(()))?;
        let mut post_order = Vec::new();
        post_order_of(self, node, &mut post_order)?;
        for n in post_order {
            self.delete_node(n)?;
        }

        for list in self.subkey_list_cells(parent)? {
            if !matches!(&self.cell_id(list), b"lf" | b"lh") {
                continue;
            }
            let count = self.get16(list + 6) as usize;
            if let Some(j) = (0..count).find(|j| self.target(list + 8 + j * 8) == node.0) {
                self.data.copy_within(
                    list + 8 + (j + 1) * 8..list + 8 + count * 8,
                    list + 8 + j * 8,
                );
                self.put16(list + 6, (count - 1) as u16);
                let n = self.get32(parent.0 + NK_NUMBER_OF_SUBKEYS);
                self.put32(parent.0 + NK_NUMBER_OF_SUBKEYS, n.wrapping_sub(1));
                return Ok(());
            }
        }
        Err(Error::new(
            libc::ENOTSUP,
            "could not find parent to child link",
        ))
    }

    /// `hivex_node_set_value`: sets (or adds, at the end) the value `key` of a key. Like
    /// hivex, every value of the key is written anew.
    pub fn node_set_value(
        &mut self,
        node: NodeHandle,
        key: &str,
        value_type: u32,
        value: &[u8],
    ) -> Result<()> {
        let mut values = Vec::new();
        for v in self.node_values(node)? {
            let (t, data) = self.value_value(v)?;
            values.push((self.value_key(v)?, t, data));
        }
        match values
            .iter_mut()
            .find(|(k, _, _)| k.eq_ignore_ascii_case(key))
        {
            Some(slot) => *slot = (key.to_string(), value_type, value.to_vec()),
            None => values.push((key.to_string(), value_type, value.to_vec())),
        }
        self.node_set_values(node, &values)
    }

    /// `hivex_node_set_values`: replaces all the values of a key.
    pub fn node_set_values(
        &mut self,
        node: NodeHandle,
        values: &[(String, u32, Vec<u8>)],
    ) -> Result<()> {
        if !self.writable {
            return Err(read_only());
        }
        self.check_nk(node)?;
        self.delete_values(node)?;
        if values.is_empty() {
            return Ok(());
        }
        let list = self.allocate(VALUE_LIST + (values.len() - 1) * 4, &[0, 0])?;
        self.put32(node.0 + NK_NUMBER_OF_VALUES, values.len() as u32);
        self.put32(node.0 + NK_VALUES_LIST, rel(list));
        for (i, (key, t, data)) in values.iter().enumerate() {
            let (stored, latin1) = encode_name(key);
            let vk = self.allocate(VK_RECORD + stored.len(), b"vk")?;
            self.put32(list + 4 + i * 4, rel(vk));
            self.put16(vk + VK_NAME_LENGTH, stored.len() as u16);
            self.data[vk + VK_NAME..vk + VK_NAME + stored.len()].copy_from_slice(&stored);
            self.put32(vk + VK_DATA_TYPE, *t);
            let len = data.len() as u32;
            let inline = data.len() <= 4;
            self.put32(
                vk + VK_DATA_SIZE,
                if inline { len | VK_DATA_INLINE } else { len },
            );
            let flags = if stored.is_empty() || !latin1 {
                0
            } else {
                VALUE_COMP_NAME
            };
            self.put16(vk + VK_FLAGS, flags);
            if inline {
                self.data[vk + VK_DATA_OFFSET..vk + VK_DATA_OFFSET + data.len()]
                    .copy_from_slice(data);
            } else {
                let cell = self.allocate(data.len() + 4, &[0, 0])?;
                self.data[cell + 4..cell + 4 + data.len()].copy_from_slice(data);
                self.put32(vk + VK_DATA_OFFSET, rel(cell));
            }
            let utf16_len = if latin1 {
                stored.len() * 2
            } else {
                stored.len()
            } as u32;
            if utf16_len > self.get32(node.0 + NK_MAX_VK_NAME_LEN) {
                self.put32(node.0 + NK_MAX_VK_NAME_LEN, utf16_len);
            }
            if len > self.get32(node.0 + NK_MAX_VK_DATA_LEN) {
                self.put32(node.0 + NK_MAX_VK_DATA_LEN, len);
            }
        }
        Ok(())
    }

    /// `hivex_commit`'s bytes: the hive with its base block updated (sequence numbers
    /// increased, the size of the hive bins, the checksum).
    pub fn commit(&mut self) -> Result<&[u8]> {
        if !self.writable {
            return Err(read_only());
        }
        let sequence = self.get32(4).wrapping_add(1);
        self.put32(4, sequence);
        self.put32(8, sequence);
        self.put32(0x28, rel(self.end_of_bins));
        let sum = super::header_checksum(&self.data);
        self.put32(0x1fc, sum);
        Ok(&self.data)
    }
}

/// The keys of the tree below `node` (itself included), each after its subkeys, subkeys in
/// stored order.
/// The tree must have been walked first (no loops).
fn post_order_of(hive: &Hive, node: NodeHandle, out: &mut Vec<NodeHandle>) -> Result<()> {
    // (key, children visited?) — an explicit stack: hives can nest deeply.
    let mut stack = vec![(node, false)];
    while let Some((n, expanded)) = stack.pop() {
        if expanded {
            out.push(n);
            continue;
        }
        stack.push((n, true));
        for child in hive.node_children(n)?.into_iter().rev() {
            stack.push((child, false));
        }
    }
    Ok(())
}
