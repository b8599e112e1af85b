//! Name lookup in directories. A tool stats every file of a directory after listing it, and
//! resolves every path from `/`: searching the directory's blocks for each name would read
//! and checksum the whole directory once per file. Instead the first lookup in a directory
//! indexes all its names, and later lookups answer from the index. The indexes are bounded
//! by the number of names they hold; a directory too big for the bound is searched.

use super::inode::Inode;
use super::ExtFs;
use crate::error::Result;
use ahash::AHashMap as HashMap;
use std::sync::{Arc, Mutex};

/// Names held by all indexes together at most (a few MiB of memory).
const MAX_INDEXED_NAMES: usize = 1 << 17;

/// A directory's names and the inode each leads to (the first entry of a name, in block
/// order, as a search finds it).
type NameIndex = HashMap<Vec<u8>, u32>;

#[derive(Default)]
pub(super) struct DirIndexes {
    state: Mutex<Indexes>,
}

#[derive(Default)]
struct Indexes {
    by_dir: HashMap<u64, Arc<NameIndex>>,
    names: usize,
}

impl DirIndexes {
    fn get(&self, dir: u64) -> Option<Arc<NameIndex>> {
        self.lock().by_dir.get(&dir).cloned()
    }

    fn insert(&self, dir: u64, index: Arc<NameIndex>) {
        let mut state = self.lock();
        if state.names + index.len() > MAX_INDEXED_NAMES {
            state.by_dir.clear();
            state.names = 0;
        }
        state.names += index.len();
        state.by_dir.insert(dir, index);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Indexes> {
        // Every update leaves the maps consistent: a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl ExtFs {
    /// The inode `name` leads to in directory `dir`, if any.
    pub(super) fn find_name(&self, dir: &Inode, name: &[u8]) -> Result<Option<u32>> {
        if let Some(index) = self.dir_indexes.get(dir.ino) {
            return Ok(index.get(name).copied());
        }
        match self.index_names(dir) {
            Ok(Some(index)) => {
                let found = index.get(name).copied();
                self.dir_indexes.insert(dir.ino, Arc::new(index));
                Ok(found)
            }
            // Too many names, or a damaged block somewhere: a search, which stops at the
            // name, fails only as the kernel's would.
            Ok(None) | Err(_) => self.search_name(dir, name),
        }
    }

    /// All names of a directory, or None when there are more than the indexes may hold.
    fn index_names(&self, dir: &Inode) -> Result<Option<NameIndex>> {
        let mut index = NameIndex::new();
        let mut too_many = false;
        self.scan_dir(dir, |ino, name, _| {
            if index.len() >= MAX_INDEXED_NAMES {
                too_many = true;
                return false;
            }
            index.entry(name.to_vec()).or_insert(ino);
            true
        })?;
        Ok((!too_many).then_some(index))
    }

    fn search_name(&self, dir: &Inode, name: &[u8]) -> Result<Option<u32>> {
        let mut found = None;
        self.scan_dir(dir, |ino, n, _| {
            if n == name {
                found = Some(ino);
                false
            } else {
                true
            }
        })?;
        Ok(found)
    }
}
