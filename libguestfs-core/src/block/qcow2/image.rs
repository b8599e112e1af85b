//! The qcow2 virtual disk: guest offsets through the L1 and L2 tables to host clusters,
//! zero clusters, compressed clusters, subclusters, and the backing device.
//!
//! Like qemu's file driver, bytes past the end of the image file read as zeros (a truncated
//! image shows zeros where qemu, and so the appliance, shows zeros); nothing is ever allocated
//! from an on-disk size that the file size or a fixed limit does not bound.

use super::header::{corrupt, Header};
use crate::block::{check_range, BlockDevice, Device};
use crate::error::Result;
use flate2::{Decompress, FlushDecompress};
use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

/// Host offset bits of L1 and standard L2 entries (bits 9–55).
const L1E_OFFSET_MASK: u64 = 0x00ff_ffff_ffff_fe00;
const L2E_OFFSET_MASK: u64 = 0x00ff_ffff_ffff_fe00;
/// L2 entry flags.
const QCOW_OFLAG_COMPRESSED: u64 = 1 << 62;
const QCOW_OFLAG_ZERO: u64 = 1;
/// The cluster descriptor of a compressed cluster (bits 0–61).
const L2E_COMPRESSED_OFFSET_SIZE_MASK: u64 = (1 << 62) - 1;
/// Subclusters per cluster with extended L2 entries.
const SUBCLUSTERS: u64 = 32;
/// Memory budget of the L2 table cache, per image.
const L2_CACHE_BYTES: u64 = 4 << 20;
/// Bounds on the number of cached L2 tables.
const L2_CACHE_MIN: usize = 2;
const L2_CACHE_MAX: usize = 1024;

/// What one granule (cluster, or subcluster with extended L2) of the guest reads from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mapping {
    /// Host bytes at this offset (of the granule's cluster start).
    Data(u64),
    /// Zeros.
    Zero,
    /// The backing device at the same guest offset (zeros without one).
    Backing,
    /// A compressed cluster, by its descriptor.
    Compressed(u64),
}

/// A pending run of guest bytes that can be served by one operation.
#[derive(Debug, Clone, Copy)]
enum Run {
    /// `len` bytes from host offset `host`.
    Data {
        host: u64,
    },
    Zero,
    Backing,
}

/// An LRU cache of decoded L2 tables, keyed by host offset.
struct L2Cache {
    tables: HashMap<u64, (Arc<[u64]>, u64)>,
    capacity: usize,
    clock: u64,
}

impl L2Cache {
    fn get(&mut self, offset: u64) -> Option<Arc<[u64]>> {
        self.clock += 1;
        let clock = self.clock;
        self.tables.get_mut(&offset).map(|(t, used)| {
            *used = clock;
            t.clone()
        })
    }

    fn insert(&mut self, offset: u64, table: Arc<[u64]>) {
        if self.tables.len() >= self.capacity && !self.tables.contains_key(&offset) {
            if let Some(oldest) = self
                .tables
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| *k)
            {
                self.tables.remove(&oldest);
            }
        }
        self.clock += 1;
        self.tables.insert(offset, (table, self.clock));
    }
}

/// The last decompressed cluster, keyed by its descriptor.
type ClusterCache = Option<(u64, Arc<Vec<u8>>)>;

/// A read-only qcow2 virtual disk over an image `source`, optionally on a backing device.
pub struct Qcow2Image {
    name: String,
    source: Device,
    backing: Option<Device>,
    header: Header,
    size: u64,
    cluster_bits: u32,
    cluster_size: u64,
    /// log2 of the guest bytes one L2 table maps.
    l2_span_bits: u32,
    /// Guest bytes per granule: the cluster, or the subcluster with extended L2 entries.
    granule: u64,
    /// The active L1 table entries the virtual size needs; entries past the end of the image
    /// file are zero, as qemu reads them.
    l1: Vec<u64>,
    /// Compressed cluster descriptor layout.
    csize_shift: u32,
    csize_mask: u64,
    cluster_offset_mask: u64,
    l2_cache: Mutex<L2Cache>,
    cluster_cache: Mutex<ClusterCache>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere cannot leave these caches inconsistent: each update is one insert.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn eio(msg: String) -> io::Error {
    io::Error::other(msg)
}

impl Qcow2Image {
    /// Builds the reader from a validated header. `backing` is the backing device the
    /// caller opened for `header.backing_file`; None reads unallocated clusters as zeros.
    pub fn new(
        source: Device,
        header: Header,
        name: &str,
        backing: Option<Device>,
    ) -> Result<Qcow2Image> {
        let cluster_bits = header.cluster_bits;
        let cluster_size = header.cluster_size();
        let l2_span_bits = cluster_bits + header.l2_entries().trailing_zeros();
        let granule = if header.extended_l2() {
            cluster_size / SUBCLUSTERS
        } else {
            cluster_size
        };

        // Read the L1 entries that lie inside the file; the rest read as zero (qemu's view of
        // a truncated file). Bounded by the file size and by MAX_L1_BYTES.
        let needed = header.l1_entries_needed();
        let file_size = source.size();
        let in_file = file_size.saturating_sub(header.l1_table_offset) / 8;
        let count = needed.min(in_file) as usize;
        let mut raw = vec![0u8; count * 8];
        if count > 0 {
            source
                .read_exact_at(&mut raw, header.l1_table_offset)
                .map_err(|e| crate::error::Error::from(e).context(name))?;
        }
        let mut l1: Vec<u64> = raw
            .chunks_exact(8)
            .map(|c| u64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect();
        l1.resize(needed as usize, 0);

        let csize_shift = 62 - (cluster_bits - 8);
        let capacity = ((L2_CACHE_BYTES / cluster_size) as usize).clamp(L2_CACHE_MIN, L2_CACHE_MAX);
        Ok(Qcow2Image {
            name: name.to_string(),
            source,
            backing,
            size: header.size,
            cluster_bits,
            cluster_size,
            l2_span_bits,
            granule,
            l1,
            csize_shift,
            csize_mask: (1u64 << (cluster_bits - 8)) - 1,
            cluster_offset_mask: (1u64 << csize_shift) - 1,
            l2_cache: Mutex::new(L2Cache {
                tables: HashMap::new(),
                capacity,
                clock: 0,
            }),
            cluster_cache: Mutex::new(None),
            header,
        })
    }

    /// The header the image was opened with.
    pub fn header(&self) -> &Header {
        &self.header
    }

    fn corrupt(&self, what: String) -> io::Error {
        let e = corrupt(&self.name, what);
        eio(e.message)
    }

    /// Reads host bytes; bytes past the end of the image file read as zeros (as in qemu).
    fn read_host(&self, buf: &mut [u8], host: u64) -> io::Result<()> {
        let avail = self.source.size().saturating_sub(host);
        let n = (buf.len() as u64).min(avail) as usize;
        let (inside, outside) = buf.split_at_mut(n);
        if !inside.is_empty() {
            self.source.read_exact_at(inside, host)?;
        }
        outside.fill(0);
        Ok(())
    }

    /// Reads guest bytes from the backing device; past its end, or without one, zeros.
    fn read_backing(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let Some(backing) = &self.backing else {
            buf.fill(0);
            return Ok(());
        };
        let avail = backing.size().saturating_sub(offset);
        let n = (buf.len() as u64).min(avail) as usize;
        let (inside, outside) = buf.split_at_mut(n);
        if !inside.is_empty() {
            backing.read_exact_at(inside, offset)?;
        }
        outside.fill(0);
        Ok(())
    }

    /// The L2 table for L1 index `l1_index`, or None when it is unallocated.
    fn l2_table(&self, l1_index: u64) -> io::Result<Option<Arc<[u64]>>> {
        let Some(&entry) = usize::try_from(l1_index).ok().and_then(|i| self.l1.get(i)) else {
            return Ok(None);
        };
        let offset = entry & L1E_OFFSET_MASK;
        if offset == 0 {
            return Ok(None);
        }
        if offset & (self.cluster_size - 1) != 0 {
            return Err(self.corrupt(format!(
                "L2 table offset {:#x} unaligned (L1 index {:#x})",
                offset, l1_index
            )));
        }
        if let Some(t) = lock(&self.l2_cache).get(offset) {
            return Ok(Some(t));
        }
        let mut raw = vec![0u8; self.cluster_size as usize];
        self.read_host(&mut raw, offset)?;
        let table: Arc<[u64]> = raw
            .chunks_exact(8)
            .map(|c| u64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect();
        lock(&self.l2_cache).insert(offset, table.clone());
        Ok(Some(table))
    }

    /// Where the granule at guest offset `pos` reads from, given its L2 table.
    fn mapping(&self, l2: Option<&[u64]>, pos: u64) -> io::Result<Mapping> {
        let Some(l2) = l2 else {
            return Ok(Mapping::Backing);
        };
        let entries_per_table = self.l2_span_bits - self.cluster_bits;
        let l2_index = ((pos >> self.cluster_bits) & ((1u64 << entries_per_table) - 1)) as usize;
        let extended = self.header.extended_l2();
        let (entry, bitmap) = if extended {
            (
                l2.get(2 * l2_index).copied().unwrap_or(0),
                l2.get(2 * l2_index + 1).copied().unwrap_or(0),
            )
        } else {
            (l2.get(l2_index).copied().unwrap_or(0), 0)
        };
        if entry & QCOW_OFLAG_COMPRESSED != 0 {
            return Ok(Mapping::Compressed(entry & L2E_COMPRESSED_OFFSET_SIZE_MASK));
        }
        let host = entry & L2E_OFFSET_MASK;
        if host & (self.cluster_size - 1) != 0 {
            return Err(self.corrupt(format!("cluster allocation offset {:#x} unaligned", host)));
        }
        if !extended {
            if entry & QCOW_OFLAG_ZERO != 0 {
                if self.header.version < 3 {
                    return Err(
                        self.corrupt("zero cluster entry found in pre-v3 image".to_string())
                    );
                }
                return Ok(Mapping::Zero);
            }
            return Ok(if host == 0 {
                Mapping::Backing
            } else {
                Mapping::Data(host)
            });
        }
        // Extended L2: bits 0-31 say "allocated", bits 32-63 "reads as zero", per subcluster.
        let sc = (pos & (self.cluster_size - 1)) / self.granule;
        let alloc = bitmap & 0xffff_ffff;
        let zero = bitmap >> 32;
        if host != 0 {
            if alloc & zero != 0 {
                return Err(self.corrupt(format!("invalid subcluster bitmap {:#x}", bitmap)));
            }
            if zero & (1 << sc) != 0 {
                return Ok(Mapping::Zero);
            }
            if alloc & (1 << sc) != 0 {
                return Ok(Mapping::Data(host));
            }
            return Ok(Mapping::Backing);
        }
        if alloc != 0 {
            return Err(self.corrupt(format!(
                "invalid subcluster bitmap {:#x} for unallocated cluster",
                bitmap
            )));
        }
        Ok(if zero & (1 << sc) != 0 {
            Mapping::Zero
        } else {
            Mapping::Backing
        })
    }

    /// The decompressed cluster for a compressed cluster descriptor.
    fn decompressed(&self, descriptor: u64) -> io::Result<Arc<Vec<u8>>> {
        if let Some((d, data)) = lock(&self.cluster_cache).as_ref() {
            if *d == descriptor {
                return Ok(data.clone());
            }
        }
        let coffset = descriptor & self.cluster_offset_mask;
        let nb_csectors = ((descriptor >> self.csize_shift) & self.csize_mask) + 1;
        // At most 2^(cluster_bits - 8) sectors of 512 bytes: twice the cluster size.
        let csize = nb_csectors * 512 - (coffset & 511);
        let mut input = vec![0u8; csize as usize];
        self.read_host(&mut input, coffset)?;
        let mut out = vec![0u8; self.cluster_size as usize];
        // Raw deflate; qemu accepts the cluster when the output is filled, whatever follows.
        let mut d = Decompress::new(false);
        loop {
            let (i, o) = (d.total_in() as usize, d.total_out() as usize);
            if o == out.len() {
                break;
            }
            let (Some(inp), Some(outp)) = (input.get(i..), out.get_mut(o..)) else {
                break;
            };
            let res = d.decompress(inp, outp, FlushDecompress::Finish);
            let progressed = d.total_in() as usize != i || d.total_out() as usize != o;
            match res {
                Ok(flate2::Status::StreamEnd) => break,
                Ok(_) if progressed => continue,
                _ => break,
            }
        }
        if d.total_out() != self.cluster_size {
            return Err(self.corrupt(format!(
                "compressed cluster at {:#x} does not decompress to a full cluster",
                coffset
            )));
        }
        let data = Arc::new(out);
        *lock(&self.cluster_cache) = Some((descriptor, data.clone()));
        Ok(data)
    }

    /// Serves a run of `buf` (guest bytes starting at guest offset `offset`).
    fn flush(&self, run: Run, buf: &mut [u8], offset: u64) -> io::Result<()> {
        match run {
            Run::Data { host } => self.read_host(buf, host),
            Run::Zero => {
                buf.fill(0);
                Ok(())
            }
            Run::Backing => self.read_backing(buf, offset),
        }
    }
}

impl BlockDevice for Qcow2Image {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        check_range(self.size, offset, buf.len())?;
        // Consecutive granules that map to contiguous host bytes, to zeros, or to the backing
        // device are gathered into one run and served by one read.
        let mut run: Option<(Run, usize, usize)> = None; // (kind, start in buf, length)
        let mut done = 0usize;
        while done < buf.len() {
            let pos = offset + done as u64;
            let l1_index = pos >> self.l2_span_bits;
            let l2 = self.l2_table(l1_index)?;
            let table_end = (l1_index + 1) << self.l2_span_bits;
            while done < buf.len() {
                let pos = offset + done as u64;
                if pos >= table_end {
                    break;
                }
                let granule_end = (pos | (self.granule - 1)) + 1;
                let n = (granule_end - pos).min((buf.len() - done) as u64) as usize;
                let in_cluster = pos & (self.cluster_size - 1);
                let next = match self.mapping(l2.as_deref(), pos)? {
                    Mapping::Compressed(desc) => {
                        if let Some((kind, start, len)) = run.take() {
                            self.flush(kind, &mut buf[start..start + len], offset + start as u64)?;
                        }
                        let data = self.decompressed(desc)?;
                        let from = in_cluster as usize;
                        buf[done..done + n].copy_from_slice(&data[from..from + n]);
                        done += n;
                        continue;
                    }
                    Mapping::Data(cluster) => Run::Data {
                        host: cluster + in_cluster,
                    },
                    Mapping::Zero => Run::Zero,
                    Mapping::Backing => Run::Backing,
                };
                run = match (run, next) {
                    (Some((Run::Data { host }, start, len)), Run::Data { host: h })
                        if host + len as u64 == h =>
                    {
                        Some((Run::Data { host }, start, len + n))
                    }
                    (Some((Run::Zero, start, len)), Run::Zero) => Some((Run::Zero, start, len + n)),
                    (Some((Run::Backing, start, len)), Run::Backing) => {
                        Some((Run::Backing, start, len + n))
                    }
                    (prev, next) => {
                        if let Some((kind, start, len)) = prev {
                            self.flush(kind, &mut buf[start..start + len], offset + start as u64)?;
                        }
                        Some((next, done, n))
                    }
                };
                done += n;
            }
        }
        if let Some((kind, start, len)) = run {
            self.flush(kind, &mut buf[start..start + len], offset + start as u64)?;
        }
        Ok(())
    }
}
