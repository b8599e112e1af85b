//! A small bounded cache of metadata blocks (inode tables, extent nodes, indirect blocks,
//! xattr blocks), so walking a tree or stat-ing a directory's files does not re-read the
//! same blocks. Eviction is first-in first-out; the bound is in bytes.

use ahash::AHashMap as HashMap;
use std::collections::VecDeque;
use std::sync::Arc;

pub struct BlockCache {
    map: HashMap<u64, Arc<[u8]>>,
    order: VecDeque<u64>,
    capacity: usize,
}

/// Bytes of metadata blocks kept.
const CACHE_BYTES: usize = 32 << 20;

impl BlockCache {
    pub fn new(block_size: usize) -> BlockCache {
        BlockCache {
            map: HashMap::new(),
            order: VecDeque::new(),
            capacity: (CACHE_BYTES / block_size.max(1)).max(16),
        }
    }

    pub fn get(&self, block: u64) -> Option<Arc<[u8]>> {
        self.map.get(&block).cloned()
    }

    pub fn insert(&mut self, block: u64, data: Arc<[u8]>) {
        if self.map.insert(block, data).is_some() {
            return;
        }
        self.order.push_back(block);
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
    }
}
