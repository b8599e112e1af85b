//! A bounded cache of an image's bytes, in front of the image format (raw, qcow2): the
//! filesystems above read their metadata (directory blocks, inode tables, B-tree nodes) in
//! small pieces and again and again while a tool walks a tree, and each of those reads would
//! otherwise be a system call, and for qcow2 a table lookup too.
//!
//! The image is cached in aligned chunks, so a small read also brings in its neighbours
//! (metadata tends to sit together). Large reads, which are file data a tool streams once, go
//! straight to the image and are not kept. Eviction is least-recently-used by a clock; the
//! bound is in bytes, whatever the image holds.

use super::{check_range, BlockDevice, Device};
use ahash::AHashMap as HashMap;
use std::io;
use std::sync::{Arc, Mutex};

/// The unit of caching.
const CHUNK: u64 = 16 << 10;

/// Bytes of the image kept at most.
const CAPACITY: usize = 16 << 20;

/// Reads of this size or more bypass the cache.
const BYPASS: usize = 256 << 10;

/// A device with a bounded cache of its chunks.
pub struct CachedDevice {
    inner: Device,
    chunks: Mutex<Chunks>,
}

/// The cached chunks, with a clock for least-recently-used eviction.
struct Chunks {
    map: HashMap<u64, Slot>,
    clock: u64,
}

struct Slot {
    data: Arc<Vec<u8>>,
    last_used: u64,
}

impl CachedDevice {
    pub fn new(inner: Device) -> CachedDevice {
        CachedDevice {
            inner,
            chunks: Mutex::new(Chunks {
                map: HashMap::new(),
                clock: 0,
            }),
        }
    }

    /// The chunk with index `index`, read from the image when it is not cached.
    fn chunk(&self, index: u64) -> io::Result<Arc<Vec<u8>>> {
        if let Some(data) = self.lock().lookup(index) {
            return Ok(data);
        }
        let start = index * CHUNK;
        let len = CHUNK.min(self.inner.size() - start) as usize;
        let mut buf = vec![0u8; len];
        self.inner.read_exact_at(&mut buf, start)?;
        let data = Arc::new(buf);
        self.lock().insert(index, data.clone());
        Ok(data)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Chunks> {
        // A panic while the lock was held cannot leave the map inconsistent (every update is
        // one insert or remove), so a poisoned lock is still usable.
        self.chunks.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Chunks {
    fn lookup(&mut self, index: u64) -> Option<Arc<Vec<u8>>> {
        self.clock += 1;
        let now = self.clock;
        self.map.get_mut(&index).map(|slot| {
            slot.last_used = now;
            slot.data.clone()
        })
    }

    fn insert(&mut self, index: u64, data: Arc<Vec<u8>>) {
        let max_chunks = CAPACITY / CHUNK as usize;
        if self.map.len() >= max_chunks && !self.map.contains_key(&index) {
            // Evict the least recently used eighth at once, so that the scan over the map
            // is paid once per many inserts.
            let mut ages: Vec<(u64, u64)> =
                self.map.iter().map(|(&i, s)| (s.last_used, i)).collect();
            ages.sort_unstable();
            for (_, i) in ages.iter().take(max_chunks / 8 + 1) {
                self.map.remove(i);
            }
        }
        self.clock += 1;
        self.map.insert(
            index,
            Slot {
                data,
                last_used: self.clock,
            },
        );
    }
}

impl BlockDevice for CachedDevice {
    fn size(&self) -> u64 {
        self.inner.size()
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        check_range(self.size(), offset, buf.len())?;
        if buf.len() >= BYPASS {
            return self.inner.read_exact_at(buf, offset);
        }
        let mut done = 0usize;
        while done < buf.len() {
            let pos = offset + done as u64;
            let chunk = self.chunk(pos / CHUNK)?;
            let within = (pos % CHUNK) as usize;
            let n = (buf.len() - done).min(chunk.len() - within);
            buf[done..done + n].copy_from_slice(&chunk[within..within + n]);
            done += n;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A device whose byte at `o` is `o % 251`, counting the reads that reach it.
    struct Counting {
        size: u64,
        reads: AtomicUsize,
    }

    impl BlockDevice for Counting {
        fn size(&self) -> u64 {
            self.size
        }
        fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
            check_range(self.size, offset, buf.len())?;
            self.reads.fetch_add(1, Ordering::Relaxed);
            for (i, b) in buf.iter_mut().enumerate() {
                *b = ((offset + i as u64) % 251) as u8;
            }
            Ok(())
        }
    }

    fn counting(size: u64) -> Arc<Counting> {
        Arc::new(Counting {
            size,
            reads: AtomicUsize::new(0),
        })
    }

    fn expected(offset: u64, len: usize) -> Vec<u8> {
        (0..len as u64)
            .map(|i| ((offset + i) % 251) as u8)
            .collect()
    }

    #[test]
    fn repeated_small_reads_reach_the_image_once() {
        let dev = counting(1 << 20);
        let cached = CachedDevice::new(dev.clone());
        for _ in 0..100 {
            let mut b = [0u8; 4096];
            cached.read_exact_at(&mut b, 8192).unwrap();
            assert_eq!(b.to_vec(), expected(8192, 4096));
        }
        assert_eq!(dev.reads.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn reads_across_chunks_and_at_the_end_are_exact() {
        let size = 3 * CHUNK + 1000;
        let cached = CachedDevice::new(counting(size));
        let mut b = vec![0u8; 10_000];
        cached.read_exact_at(&mut b, CHUNK - 5000).unwrap();
        assert_eq!(b, expected(CHUNK - 5000, 10_000));
        let mut tail = vec![0u8; 1000];
        cached.read_exact_at(&mut tail, 3 * CHUNK).unwrap();
        assert_eq!(tail, expected(3 * CHUNK, 1000));
        assert!(cached.read_exact_at(&mut tail, 3 * CHUNK + 1).is_err());
        assert!(cached.read_exact_at(&mut tail, u64::MAX - 10).is_err());
    }

    #[test]
    fn large_reads_bypass_the_cache_and_the_bound_holds() {
        let dev = counting(64 << 20);
        let cached = CachedDevice::new(dev.clone());
        let mut big = vec![0u8; BYPASS];
        cached.read_exact_at(&mut big, 0).unwrap();
        assert_eq!(big, expected(0, BYPASS));
        assert!(cached.lock().map.is_empty());
        let mut b = [0u8; 16];
        for i in 0..(64 << 20) / CHUNK {
            cached.read_exact_at(&mut b, i * CHUNK).unwrap();
        }
        assert!(cached.lock().map.len() <= CAPACITY / CHUNK as usize);
        // The most recently used chunk survived eviction.
        let before = dev.reads.load(Ordering::Relaxed);
        cached.read_exact_at(&mut b, (64 << 20) - CHUNK).unwrap();
        assert_eq!(dev.reads.load(Ordering::Relaxed), before);
    }
}
