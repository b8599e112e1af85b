//! Directory indexes (`$I30`): their names in ntfs-3g's readdir order.

use super::*;

/// An index entry's header: file reference, lengths, flags.
const INDEX_ENTRY_HEADER_SIZE: usize = 16;
/// The fixed part of a `$FILE_NAME` value, before the name itself.
const FILE_NAME_HEADER_SIZE: usize = 66;

/// One name in a directory index.
#[derive(Debug, Clone)]
pub(super) struct IndexName {
    pub(super) name: String,
    pub(super) ino: u64,
    pub(super) namespace: u8,
    pub(super) file_attributes: u32,
}

/// A directory's names, with an index for exact lookups (the first entry of each name).
pub(super) struct DirIndex {
    pub(super) names: Vec<IndexName>,
    pub(super) by_name: std::collections::HashMap<String, Ino>,
}

impl DirIndex {
    pub(super) fn new(names: Vec<IndexName>) -> DirIndex {
        let mut by_name = std::collections::HashMap::new();
        for n in names.iter().filter(|n| n.ino > 1) {
            by_name.entry(n.name.clone()).or_insert(n.ino);
        }
        DirIndex { names, by_name }
    }
}

impl NtfsFs {
    /// All names of a directory's `$I30` index in collation order, DOS names and metadata
    /// files included.
    pub(super) fn index_names(&self, dir: Ino) -> Result<Arc<DirIndex>> {
        {
            let mut cache = self.dir_cache.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(i) = cache.iter().position(|(d, _)| *d == dir) {
                let hit = cache.remove(i);
                let names = hit.1.clone();
                cache.insert(0, hit);
                return Ok(names);
            }
        }
        let names = Arc::new(DirIndex::new(self.read_index(dir)?));
        let mut cache = self.dir_cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(0, (dir, names.clone()));
        cache.truncate(DIR_CACHE_ENTRIES);
        Ok(names)
    }

    pub(super) fn read_index(&self, dir: Ino) -> Result<Vec<IndexName>> {
        let mut cur = self.cursor();
        let inode = self.inode(&mut cur, dir)?;
        if inode.base.flags() & MFT_RECORD_IS_DIRECTORY == 0 {
            return Err(errno(libc::ENOTDIR));
        }
        let i30: Vec<u16> = "$I30".encode_utf16().collect();
        let (record, root_attr) = inode
            .attr(AT_INDEX_ROOT, &i30)
            .ok_or_else(|| corrupt("directory without $INDEX_ROOT"))?;
        let root = record
            .resident_value(root_attr)
            .ok_or_else(|| corrupt("non-resident $INDEX_ROOT"))?
            .to_vec();
        let Some(root_header) = Fixed::<32>::new(&root) else {
            return Err(corrupt("short $INDEX_ROOT"));
        };
        let block_size = u64::from(root_header.le32::<8>());
        let mut out = Vec::new();
        // ntfs-3g's readdir order: the index root's entries, then the index blocks in use
        // (by the index's $BITMAP) in VCN order, each block's entries in order.
        index_node_entries(&root, 16, &mut out)?;
        let Some(alloc) = inode.stream(AT_INDEX_ALLOCATION, &i30) else {
            return Ok(out);
        };
        if !block_size.is_power_of_two() || !(512..=65536).contains(&block_size) {
            return Err(corrupt("bad index block size"));
        }
        let vcn_bits = if block_size >= self.cluster_size {
            self.cluster_size.trailing_zeros()
        } else {
            9
        };
        let blocks = alloc.data_size / block_size;
        let bitmap = self
            .read_small(&mut cur, &inode, AT_BITMAP, "$I30", blocks / 8 + 4096)?
            .ok_or_else(|| corrupt("index allocation without $BITMAP"))?;
        let mut block = vec![0u8; block_size as usize];
        for n in 0..blocks.min(bitmap.len() as u64 * 8) {
            if bitmap[(n / 8) as usize] & (1 << (n % 8)) == 0 {
                continue;
            }
            let offset = n * block_size;
            let got = self.read_stream(
                &mut cur,
                &inode,
                AT_INDEX_ALLOCATION,
                "$I30",
                &alloc,
                offset,
                &mut block,
            )?;
            if got != block.len() {
                return Err(corrupt("short index block"));
            }
            fixup(&mut block, b"INDX")?;
            // `fixup` checked the record header: a block holds at least that.
            let header = Fixed::<RECORD_HEADER_SIZE>::new(&block)
                .ok_or_else(|| corrupt("short index block"))?;
            if header.le64::<16>() != offset >> vcn_bits {
                return Err(corrupt("index block VCN mismatch"));
            }
            if u64::from(header.le32::<{ 24 + 8 }>()) + 0x18 != block_size {
                return Err(corrupt("bad index block allocated size"));
            }
            index_node_entries(&block, 24, &mut out)?;
        }
        Ok(out)
    }

    /// Case-insensitive lookup used when resolving link targets (ntfs-3g's
    /// `ntfs_fix_file_name`): the entry's own name and its inode number.
    pub(super) fn lookup_ignore_case(&self, dir: Ino, name: &str) -> Option<(String, Ino)> {
        let index = self.index_names(dir).ok()?;
        if let Some(&ino) = index.by_name.get(name) {
            return Some((name.to_string(), ino));
        }
        let upper: String = name.chars().flat_map(char::to_uppercase).collect();
        index
            .names
            .iter()
            .filter(|n| n.ino > 1)
            .find(|n| {
                n.name
                    .chars()
                    .flat_map(char::to_uppercase)
                    .eq(upper.chars())
            })
            .map(|n| (n.name.clone(), n.ino))
    }
}

/// The names of one index node (the index root's, or an index block's) whose index header is
/// at `header` in `buf`, in order.
pub(super) fn index_node_entries(
    buf: &[u8],
    header: usize,
    out: &mut Vec<IndexName>,
) -> Result<()> {
    let Some(node) = Fixed::<8>::at(buf, header) else {
        return Err(corrupt("index entries run past their node"));
    };
    let entries_offset = node.le32::<0>() as usize;
    let index_length = node.le32::<4>() as usize;
    let end = header.saturating_add(index_length);
    if end > buf.len() {
        return Err(corrupt("index entries run past their node"));
    }
    let mut p = header.saturating_add(entries_offset);
    loop {
        let entry = match Fixed::<INDEX_ENTRY_HEADER_SIZE>::at(buf, p) {
            Some(e) if p + INDEX_ENTRY_HEADER_SIZE <= end => e,
            _ => return Err(corrupt("index node without an end entry")),
        };
        let length = usize::from(entry.le16::<8>());
        let key_length = usize::from(entry.le16::<10>());
        let flags = entry.le16::<12>();
        if flags & INDEX_ENTRY_END != 0 {
            return Ok(());
        }
        if length < INDEX_ENTRY_HEADER_SIZE
            || p + length > end
            || key_length < FILE_NAME_HEADER_SIZE
            || INDEX_ENTRY_HEADER_SIZE + key_length > length
        {
            return Err(corrupt("bad index entry"));
        }
        let key = try_slice(buf, p + INDEX_ENTRY_HEADER_SIZE, key_length)
            .ok_or_else(|| corrupt("bad index entry"))?;
        // The length checks above keep the fixed part of the `$FILE_NAME` key in the entry.
        let file_name =
            Fixed::<FILE_NAME_HEADER_SIZE>::new(key).ok_or_else(|| corrupt("bad index entry"))?;
        let name_len = usize::from(file_name.u8::<64>());
        let units = utf16le_units(
            try_slice(key, FILE_NAME_HEADER_SIZE, 2 * name_len)
                .ok_or_else(|| corrupt("bad file name in index entry"))?,
        );
        // ntfs-3g cannot convert names with unpaired surrogates and leaves them out.
        if let Ok(name) = String::from_utf16(&units) {
            out.push(IndexName {
                name,
                ino: entry.le64::<0>() & 0x0000_ffff_ffff_ffff,
                namespace: file_name.u8::<65>(),
                file_attributes: file_name.le32::<56>(),
            });
        }
        p += length;
    }
}
