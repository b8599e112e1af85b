//! Directories: their raw bytes, parsed entries with long names, and a lookup index.

use super::*;

impl FatFs {
    /// The raw bytes of a directory: the fixed root area, or its cluster chain.
    pub(super) fn dir_bytes(&self, ino: Ino) -> Result<(Vec<u8>, Vec<u64>)> {
        let max_clusters = (MAX_DIR_SIZE / self.geo.cluster_size).max(1);
        let (regions, total): (Vec<(u64, u64)>, u64) =
            if ino == ROOT_INO && self.geo.fat_type != FatType::Fat32 {
                (
                    vec![(self.geo.root_dir_offset, self.geo.root_dir_size)],
                    self.geo.root_dir_size,
                )
            } else {
                let start = if ino == ROOT_INO {
                    self.geo.root_cluster
                } else {
                    let raw = self.entry_at(ino)?;
                    if !entry_is_dir(&raw) {
                        return Err(Error::new(
                            libc::ENOTDIR,
                            crate::error::strerror(libc::ENOTDIR),
                        ));
                    }
                    entry_start(&raw, self.geo.fat_type)
                };
                let clusters = self.chain(start, max_clusters)?;
                let regions: Vec<(u64, u64)> = clusters
                    .iter()
                    .map(|&c| (self.geo.cluster_offset(c), self.geo.cluster_size))
                    .collect();
                let total = clusters.len() as u64 * self.geo.cluster_size;
                (regions, total)
            };
        if total > MAX_DIR_SIZE {
            return Err(Error::corrupt("FAT: directory too large"));
        }
        let mut data = vec![0u8; total as usize];
        let mut positions = Vec::with_capacity(regions.len());
        let mut at = 0usize;
        for (off, len) in regions {
            let len = len as usize;
            self.read_dev(off, &mut data[at..at + len])?;
            positions.push(off);
            at += len;
        }
        Ok((data, positions))
    }

    /// A directory's entries, from the cache when it was parsed recently.
    pub(super) fn entries(&self, ino: Ino) -> Result<Arc<Listing>> {
        {
            let mut cache = self.dir_cache.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(i) = cache.iter().position(|(d, _)| *d == ino) {
                let hit = cache.remove(i);
                let entries = hit.1.clone();
                cache.insert(0, hit);
                return Ok(entries);
            }
        }
        let entries = Arc::new(Listing::new(self.parse_dir(ino)?));
        let mut cache = self.dir_cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(0, (ino, entries.clone()));
        cache.truncate(DIR_CACHE_ENTRIES);
        Ok(entries)
    }

    /// Parses a directory the way Linux's `__fat_readdir` walks it, `.` and `..` included.
    pub(super) fn parse_dir(&self, ino: Ino) -> Result<Vec<Entry>> {
        let (data, region_starts) = self.dir_bytes(ino)?;
        let region_len = if ino == ROOT_INO && self.geo.fat_type != FatType::Fat32 {
            self.geo.root_dir_size.max(1)
        } else {
            self.geo.cluster_size
        };
        let pos_of = |index: usize| -> u64 {
            let byte = index as u64 * DIR_ENTRY_SIZE;
            let region = (byte / region_len) as usize;
            region_starts.get(region).copied().unwrap_or(0) + byte % region_len
        };
        let slots: Vec<[u8; 32]> = data
            .chunks_exact(DIR_ENTRY_SIZE as usize)
            .map(|c| {
                let mut a = [0u8; 32];
                a.copy_from_slice(c);
                a
            })
            .collect();

        let mut out = Vec::new();
        let mut i = 0usize;
        while i < slots.len() {
            let de = &slots[i];
            let attr = entry_attr(de);
            if de[0] == DELETED_FLAG
                || (attr != ATTR_EXT && (attr & ATTR_VOLUME != 0 || de[0] == 0))
            {
                i += 1;
                continue;
            }
            let mut long_name = None;
            if attr == ATTR_EXT {
                match parse_long(&slots, i) {
                    LongParse::Invalid => {
                        i += 1;
                        continue;
                    }
                    LongParse::NotLongName(next) => {
                        // The slot sequence broke off: parse the entry that broke it afresh.
                        i = next;
                        continue;
                    }
                    LongParse::Eof => break,
                    LongParse::Found { short_index, name } => {
                        i = short_index;
                        long_name = name;
                    }
                }
            }
            let de = &slots[i];
            let short_name = parse_short_name(de);
            let name = long_name.unwrap_or_else(|| short_name.clone());
            out.push(Entry {
                name,
                short_name,
                pos: pos_of(i),
                raw: *de,
            });
            i += 1;
        }
        Ok(out)
    }

    /// Reads the short directory entry an inode number designates.
    pub(super) fn entry_at(&self, ino: Ino) -> Result<[u8; 32]> {
        let enoent = || Error::new(libc::ENOENT, crate::error::strerror(libc::ENOENT));
        let pos = ino.checked_mul(DIR_ENTRY_SIZE).ok_or_else(enoent)?;
        let in_root = self.geo.fat_type != FatType::Fat32
            && pos >= self.geo.root_dir_offset
            && pos < self.geo.root_dir_offset + self.geo.root_dir_size;
        let data_end = self.geo.cluster_offset(self.geo.max_cluster - 1) + self.geo.cluster_size;
        let in_data = pos >= self.geo.data_offset && pos < data_end;
        if !in_root && !in_data {
            return Err(enoent());
        }
        let mut raw = [0u8; 32];
        self.read_dev(pos, &mut raw)?;
        let attr = entry_attr(&raw);
        if raw[0] == 0 || raw[0] == DELETED_FLAG || attr == ATTR_EXT || attr & ATTR_VOLUME != 0 {
            return Err(enoent());
        }
        Ok(raw)
    }

    pub(super) fn file_type(raw: &[u8; 32]) -> FileType {
        if entry_is_dir(raw) {
            FileType::Directory
        } else {
            FileType::Regular
        }
    }

    /// `fat_subdirs`: short entries with the directory attribute (`.` and `..` included).
    pub(super) fn subdirs(&self, ino: Ino) -> Result<i64> {
        Ok(self
            .entries(ino)?
            .entries
            .iter()
            .filter(|e| entry_is_dir(&e.raw))
            .count() as i64)
    }
}

/// A parsed directory with an index for lookups: long and short names, lower-cased (ASCII),
/// to the first entry that has that name.
pub(super) struct Listing {
    pub(super) entries: Vec<Entry>,
    pub(super) by_name: HashMap<String, usize>,
}

impl Listing {
    pub(super) fn new(entries: Vec<Entry>) -> Listing {
        let mut by_name = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            for name in [&e.name, &e.short_name] {
                if usable_name(name) {
                    by_name.entry(name.to_ascii_lowercase()).or_insert(i);
                }
            }
        }
        Listing { entries, by_name }
    }
}

/// The result of reading a run of long-name slots (`fat_parse_long`).
pub(super) enum LongParse {
    /// Not a valid start of a long name: skip this slot.
    Invalid,
    /// A slot that is not a long-name slot interrupted the run; parse it from this index.
    NotLongName(usize),
    /// The directory ended inside the run.
    Eof,
    /// The short entry at `short_index`; `name` is the long name if its checksum matches.
    Found {
        short_index: usize,
        name: Option<String>,
    },
}

pub(super) fn parse_long(slots: &[[u8; 32]], mut i: usize) -> LongParse {
    'parse_long: loop {
        let Some(ds) = slots.get(i) else {
            return LongParse::Eof;
        };
        let id = ds[0];
        if id & 0x40 == 0 {
            return LongParse::Invalid;
        }
        let count = id & !0x40;
        if count == 0 || count > 20 {
            return LongParse::Invalid;
        }
        let checksum = ds[13];
        let mut unicode = [0xffffu16; 20 * 13 + 1];
        let mut slot = count;
        let mut ds = *ds;
        loop {
            slot -= 1;
            let offset = usize::from(slot) * 13;
            // A slot's 13 characters lie in three runs: bytes 1..11, 14..26 and 28..32.
            let slot_bytes = Fixed::from(&ds);
            let (a, b, c) = (
                slot_bytes.array::<1, 10>(),
                slot_bytes.array::<14, 12>(),
                slot_bytes.array::<28, 4>(),
            );
            let units = [&a[..], &b[..], &c[..]]
                .into_iter()
                .flat_map(|run| run.chunks_exact(2))
                .map(|u| u16::from_le_bytes([u[0], u[1]]));
            for (slot_unit, u) in unicode[offset..offset + 13].iter_mut().zip(units) {
                *slot_unit = u;
            }
            if ds[0] & 0x40 != 0 {
                unicode[offset + 13] = 0;
            }
            i += 1;
            let Some(next) = slots.get(i) else {
                return LongParse::Eof;
            };
            if slot == 0 {
                break;
            }
            if entry_attr(next) != ATTR_EXT {
                return LongParse::NotLongName(i);
            }
            if next[0] & !0x40 != slot || next[13] != checksum {
                continue 'parse_long;
            }
            ds = *next;
        }
        let de = &slots[i];
        if de[0] == DELETED_FLAG {
            return LongParse::Invalid;
        }
        if entry_attr(de) == ATTR_EXT {
            continue 'parse_long;
        }
        if de[0] == 0 || entry_attr(de) & ATTR_VOLUME != 0 {
            return LongParse::Invalid;
        }
        let name = if short_name_checksum(&de[0..11]) == checksum {
            Some(utf16_name(&unicode[..usize::from(count) * 13 + 1]))
        } else {
            None
        };
        return LongParse::Found {
            short_index: i,
            name,
        };
    }
}
