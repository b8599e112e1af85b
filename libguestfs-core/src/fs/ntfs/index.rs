//! Directory indexes (`$I30`): their names in ntfs-3g's readdir order.

use super::*;

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
        if root.len() < 32 {
            return Err(corrupt("short $INDEX_ROOT"));
        }
        let block_size = u64::from(le32(&root, 8));
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
            if le64(&block, 16) != offset >> vcn_bits {
                return Err(corrupt("index block VCN mismatch"));
            }
            if u64::from(le32(&block, 24 + 8)) + 0x18 != block_size {
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
    let entries_offset = le32(buf, header) as usize;
    let index_length = le32(buf, header + 4) as usize;
    let end = header.saturating_add(index_length);
    if end > buf.len() {
        return Err(corrupt("index entries run past their node"));
    }
    let mut p = header.saturating_add(entries_offset);
    loop {
        if p + 16 > end {
            return Err(corrupt("index node without an end entry"));
        }
        let length = usize::from(le16(buf, p + 8));
        let key_length = usize::from(le16(buf, p + 10));
        let flags = le16(buf, p + 12);
        if flags & INDEX_ENTRY_END != 0 {
            return Ok(());
        }
        if length < 16 || p + length > end || key_length < 66 || 16 + key_length > length {
            return Err(corrupt("bad index entry"));
        }
        let key = &buf[p + 16..p + 16 + key_length];
        let name_len = usize::from(key[64]);
        if 66 + 2 * name_len > key_length {
            return Err(corrupt("bad file name in index entry"));
        }
        let units = utf16le_units(&key[66..66 + 2 * name_len]);
        // ntfs-3g cannot convert names with unpaired surrogates and leaves them out.
        if let Ok(name) = String::from_utf16(&units) {
            out.push(IndexName {
                name,
                ino: le64(buf, p) & 0x0000_ffff_ffff_ffff,
                namespace: key[65],
                file_attributes: le32(key, 56),
            });
        }
        p += length;
    }
}
