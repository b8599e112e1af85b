//! The file allocation table: entries, cluster chains and free-cluster counts.

use super::*;

/// What a FAT entry says about the next cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FatEntry {
    Free,
    Next(u32),
    /// End of chain; Linux also ends a chain at a "bad cluster" mark.
    Eof,
}

impl FatFs {
    pub(super) fn read_dev(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.dev
            .read_exact_at(buf, offset)
            .map_err(|e| Error::corrupt(format!("FAT: read at offset {}: {}", offset, e)))
    }

    /// A cached chunk of the FAT.
    pub(super) fn fat_chunk(&self, chunk_index: u64) -> Result<Arc<Vec<u8>>> {
        let mut cache = self.fat_cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = cache.get(&chunk_index) {
            return Ok(c.clone());
        }
        let start = chunk_index * FAT_CHUNK;
        let len = FAT_CHUNK.min(self.geo.fat_bytes.saturating_sub(start)) as usize;
        let mut data = vec![0u8; len];
        self.read_dev(self.geo.fat_offset + start, &mut data)?;
        if cache.len() >= FAT_CACHE_CHUNKS {
            cache.clear();
        }
        let data = Arc::new(data);
        cache.insert(chunk_index, data.clone());
        Ok(data)
    }

    /// Reads bytes of the FAT at `off` (relative to the FAT's start) through the chunk cache.
    pub(super) fn fat_bytes(&self, off: u64, out: &mut [u8]) -> Result<()> {
        let end = off.saturating_add(out.len() as u64);
        if end > self.geo.fat_bytes {
            return Err(Error::corrupt("FAT: entry beyond the end of the FAT"));
        }
        let mut chunk: Option<(u64, Arc<Vec<u8>>)> = None;
        for (i, slot) in out.iter_mut().enumerate() {
            let pos = off + i as u64;
            let index = pos / FAT_CHUNK;
            let data = match &chunk {
                Some((ci, d)) if *ci == index => d.clone(),
                _ => {
                    let d = self.fat_chunk(index)?;
                    chunk = Some((index, d.clone()));
                    d
                }
            };
            *slot = data.get((pos % FAT_CHUNK) as usize).copied().unwrap_or(0);
        }
        Ok(())
    }

    /// Counts the free clusters, reading the FAT sequentially (as `fat_count_free_clusters`).
    pub(super) fn count_free_clusters(&self) -> Result<i64> {
        // A multiple of 3 bytes keeps FAT12 entry pairs inside one piece.
        const PIECE: u64 = 3 << 18;
        let (bits, mask): (u64, u32) = match self.geo.fat_type {
            FatType::Fat12 => (12, 0xfff),
            FatType::Fat16 => (16, 0xffff),
            FatType::Fat32 => (32, 0x0fff_ffff),
        };
        let end_byte = (u64::from(self.geo.max_cluster) * bits)
            .div_ceil(8)
            .min(self.geo.fat_bytes);
        let mut free = 0i64;
        let mut piece_start = 0u64;
        let mut buf = Vec::new();
        while piece_start < end_byte {
            let len = PIECE.min(end_byte - piece_start) as usize;
            buf.resize(len, 0);
            self.read_dev(self.geo.fat_offset + piece_start, &mut buf)?;
            let first = (piece_start * 8 / bits) as u32;
            let last = (((piece_start + len as u64) * 8 / bits) as u32).min(self.geo.max_cluster);
            for c in first.max(FAT_START_ENT)..last {
                let byte = (u64::from(c) * bits / 8 - piece_start) as usize;
                // Each piece ends where its last whole entry does.
                let value = match self.geo.fat_type {
                    FatType::Fat12 => try_le16(&buf, byte).map(|v| {
                        if c & 1 == 1 {
                            u32::from(v) >> 4
                        } else {
                            u32::from(v) & 0xfff
                        }
                    }),
                    FatType::Fat16 => try_le16(&buf, byte).map(u32::from),
                    FatType::Fat32 => try_le32(&buf, byte),
                };
                let value = value.ok_or_else(|| {
                    Error::corrupt(format!("FAT: entry of cluster {} past its piece", c))
                })?;
                if value & mask == 0 {
                    free += 1;
                }
            }
            piece_start += len as u64;
        }
        Ok(free)
    }

    /// Linux's `fat_ent_read`: the FAT entry of a valid cluster.
    pub(super) fn fat_entry(&self, cluster: u32) -> Result<FatEntry> {
        if !self.geo.valid_cluster(cluster) {
            return Err(Error::corrupt(format!(
                "FAT: invalid access to FAT (entry {:#010x})",
                cluster
            )));
        }
        let c = u64::from(cluster);
        let value = match self.geo.fat_type {
            FatType::Fat12 => {
                let mut b = [0u8; 2];
                self.fat_bytes(c + c / 2, &mut b)?;
                let v = u16::from_le_bytes(b);
                let v = if c & 1 == 1 { v >> 4 } else { v & 0xfff };
                if v >= 0xff7 {
                    return Ok(FatEntry::Eof);
                }
                u32::from(v)
            }
            FatType::Fat16 => {
                let mut b = [0u8; 2];
                self.fat_bytes(c * 2, &mut b)?;
                let v = u16::from_le_bytes(b);
                if v >= 0xfff7 {
                    return Ok(FatEntry::Eof);
                }
                u32::from(v)
            }
            FatType::Fat32 => {
                let mut b = [0u8; 4];
                self.fat_bytes(c * 4, &mut b)?;
                let v = u32::from_le_bytes(b) & 0x0fff_ffff;
                if v >= 0x0fff_fff7 {
                    return Ok(FatEntry::Eof);
                }
                v
            }
        };
        Ok(if value == 0 {
            FatEntry::Free
        } else {
            FatEntry::Next(value)
        })
    }

    /// The cluster after `cluster` in a chain, or None at the end.
    pub(super) fn next_cluster(&self, cluster: u32) -> Result<Option<u32>> {
        match self.fat_entry(cluster)? {
            FatEntry::Eof => Ok(None),
            FatEntry::Free => Err(Error::corrupt(format!(
                "FAT: invalid cluster chain (free cluster after {})",
                cluster
            ))),
            FatEntry::Next(n) if self.geo.valid_cluster(n) => Ok(Some(n)),
            FatEntry::Next(n) => Err(Error::corrupt(format!(
                "FAT: invalid access to FAT (entry {:#010x})",
                n
            ))),
        }
    }

    /// The clusters of a chain, at most `limit` of them (a longer chain is an error: it loops).
    pub(super) fn chain(&self, start: u32, limit: u64) -> Result<Vec<u32>> {
        if !self.geo.valid_cluster(start) {
            return Err(Error::corrupt(format!(
                "FAT: invalid start cluster {}",
                start
            )));
        }
        let mut out = vec![start];
        let mut cur = start;
        while let Some(next) = self.next_cluster(cur)? {
            if out.len() as u64 >= limit {
                return Err(Error::corrupt(
                    "FAT: the cluster chain loops or is too long",
                ));
            }
            out.push(next);
            cur = next;
        }
        Ok(out)
    }

    /// The number of clusters in a directory's chain, as `fat_calc_dir_size` finds it (a
    /// directory longer than this reader accepts is an error).
    pub(super) fn chain_len(&self, start: u32) -> Result<u64> {
        let limit = (MAX_DIR_SIZE / self.geo.cluster_size).max(1);
        let mut n = 1u64;
        let mut cur = start;
        if !self.geo.valid_cluster(cur) {
            return Err(Error::corrupt(format!(
                "FAT: invalid start cluster {}",
                start
            )));
        }
        while let Some(next) = self.next_cluster(cur)? {
            n += 1;
            if n > limit {
                return Err(Error::corrupt(
                    "FAT: the directory's cluster chain loops or is too long",
                ));
            }
            cur = next;
        }
        Ok(n)
    }

    /// The cluster holding cluster index `index` of the file starting at `start`, continuing
    /// from where the previous read of this file stopped when possible.
    pub(super) fn cluster_at(&self, ino: Ino, start: u32, index: u64) -> Result<u32> {
        let (mut at, mut cluster) = {
            let cursors = self.chain_cursor.lock().unwrap_or_else(|e| e.into_inner());
            match cursors.get(&ino) {
                Some(&(i, c)) if i <= index => (i, c),
                _ => (0, start),
            }
        };
        while at < index {
            cluster = self
                .next_cluster(cluster)?
                .ok_or_else(|| Error::corrupt("FAT: the cluster chain is shorter than the file"))?;
            at += 1;
        }
        let mut cursors = self.chain_cursor.lock().unwrap_or_else(|e| e.into_inner());
        if cursors.len() >= 256 {
            cursors.clear();
        }
        cursors.insert(ino, (at, cluster));
        Ok(cluster)
    }
}
