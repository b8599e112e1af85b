//! A bounded reader of Berkeley DB hash databases (rpm's old `Packages` file), enough to list
//! every key/data pair in the order a cursor visits them (bucket by bucket).
//!
//! Page 0 is the hash metadata page (`HMETA`): generic `DBMETA` (magic 0x061561, page size,
//! last page number, flags) followed by `max_bucket`, the masks, and the `spares` table that
//! maps buckets to pages. Bucket pages (`P_HASH`) hold alternating key and data items
//! addressed by an index of 16-bit offsets after the 26-byte page header; an item is
//! `H_KEYDATA` (inline bytes) or `H_OFFPAGE` (a chain of `P_OVERFLOW` pages). The byte order
//! is the creating machine's: the magic tells which.

use std::collections::HashSet;

/// `DB_HASHMAGIC`.
const HASH_MAGIC: u32 = 0x061561;
/// Offsets in the metadata page.
const META_MAGIC: usize = 12;
const META_VERSION: usize = 16;
const META_PAGESIZE: usize = 20;
const META_ENCRYPT_ALG: usize = 24;
const META_LAST_PGNO: usize = 32;
const META_MAX_BUCKET: usize = 72;
const META_SPARES: usize = 96;
/// `NCACHED`: entries in the spares table.
const NCACHED: usize = 32;
/// Generic page header fields.
const PAGE_NEXT_PGNO: usize = 16;
const PAGE_ENTRIES: usize = 20;
const PAGE_HF_OFFSET: usize = 22;
const PAGE_TYPE: usize = 25;
/// `SIZEOF_PAGE`: the index (or overflow data) starts here.
const SIZEOF_PAGE: usize = 26;
/// Page types.
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASH: u8 = 13;
/// Item types.
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;
/// `HOFFPAGE`: type(1) unused(3) pgno(4) tlen(4).
const HOFFPAGE_PGNO: usize = 4;
const HOFFPAGE_TLEN: usize = 8;

/// Where the database's bytes come from.
pub trait PageSource {
    /// The total size in bytes.
    fn size(&self) -> u64;
    /// Reads exactly `buf.len()` bytes at `offset`.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()>;
}

impl PageSource for [u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        let start = usize::try_from(offset).map_err(|_| std::io::ErrorKind::UnexpectedEof)?;
        let src = start
            .checked_add(buf.len())
            .and_then(|end| self.get(start..end))
            .ok_or(std::io::ErrorKind::UnexpectedEof)?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

impl PageSource for std::fs::File {
    fn size(&self) -> u64 {
        self.metadata().map(|m| m.len()).unwrap_or(0)
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(self, buf, offset)
    }
}

/// An open hash database.
pub struct HashDb<'a, S: PageSource + ?Sized> {
    src: &'a S,
    swap: bool,
    pagesize: usize,
    last_pgno: u32,
    max_bucket: u32,
    spares: [u32; NCACHED],
}

/// The total size limit of one data item (and of all overflow chains' work per item).
const MAX_ITEM: u32 = 256 << 20;

impl<'a, S: PageSource + ?Sized> HashDb<'a, S> {
    /// Opens a hash database; None if page 0 is not hash metadata.
    pub fn open(src: &'a S) -> Option<HashDb<'a, S>> {
        let mut meta = [0u8; 512];
        src.read_at(&mut meta, 0).ok()?;
        let magic_le = u32::from_le_bytes(meta[META_MAGIC..META_MAGIC + 4].try_into().ok()?);
        let swap = if magic_le == HASH_MAGIC {
            false
        } else if magic_le.swap_bytes() == HASH_MAGIC {
            true
        } else {
            return None;
        };
        let rd = |off: usize| -> Option<u32> {
            let v = u32::from_le_bytes(meta.get(off..off + 4)?.try_into().ok()?);
            Some(if swap { v.swap_bytes() } else { v })
        };
        let version = rd(META_VERSION)?;
        if !(7..=10).contains(&version) || meta[META_ENCRYPT_ALG] != 0 {
            return None;
        }
        let pagesize = rd(META_PAGESIZE)? as usize;
        if !(512..=65536).contains(&pagesize) || !pagesize.is_power_of_two() {
            return None;
        }
        let mut spares = [0u32; NCACHED];
        for (i, s) in spares.iter_mut().enumerate() {
            *s = rd(META_SPARES + i * 4)?;
        }
        Some(HashDb {
            src,
            swap,
            pagesize,
            last_pgno: rd(META_LAST_PGNO)?,
            max_bucket: rd(META_MAX_BUCKET)?,
            spares,
        })
    }

    fn u16_at(&self, b: &[u8], off: usize) -> Option<u16> {
        let v = u16::from_le_bytes(b.get(off..off + 2)?.try_into().ok()?);
        Some(if self.swap { v.swap_bytes() } else { v })
    }

    fn u32_at(&self, b: &[u8], off: usize) -> Option<u32> {
        let v = u32::from_le_bytes(b.get(off..off + 4)?.try_into().ok()?);
        Some(if self.swap { v.swap_bytes() } else { v })
    }

    fn page(&self, pgno: u32) -> Option<Vec<u8>> {
        if pgno > self.last_pgno {
            return None;
        }
        let off = (pgno as u64).checked_mul(self.pagesize as u64)?;
        if off.checked_add(self.pagesize as u64)? > self.src.size() {
            return None;
        }
        let mut buf = vec![0u8; self.pagesize];
        self.src.read_at(&mut buf, off).ok()?;
        Some(buf)
    }

    /// The first page of a bucket (`BS_TO_PAGE`).
    fn bucket_page(&self, bucket: u32) -> Option<u32> {
        // __db_log2: the smallest i with 2^i >= bucket + 1.
        let n = bucket.checked_add(1)?;
        let log2 = 32 - (n - 1).leading_zeros();
        bucket.checked_add(*self.spares.get(log2 as usize)?)
    }

    /// Reads an overflow chain of `tlen` bytes starting at `pgno`.
    fn overflow(&self, mut pgno: u32, tlen: u32, budget: &mut u64) -> Option<Vec<u8>> {
        if tlen > MAX_ITEM || tlen as u64 > *budget {
            return None;
        }
        *budget -= tlen as u64;
        let mut visited = HashSet::new();
        let mut out = Vec::new();
        while (out.len() as u32) < tlen {
            if !visited.insert(pgno) {
                return None;
            }
            let p = self.page(pgno)?;
            if p[PAGE_TYPE] != P_OVERFLOW {
                return None;
            }
            let len = self.u16_at(&p, PAGE_HF_OFFSET)? as usize;
            let data = p.get(SIZEOF_PAGE..SIZEOF_PAGE.checked_add(len)?)?;
            let take = data.len().min(tlen as usize - out.len());
            out.extend_from_slice(&data[..take]);
            if take == 0 {
                return None;
            }
            pgno = self.u32_at(&p, PAGE_NEXT_PGNO)?;
        }
        Some(out)
    }

    /// The bytes of item `indx` of a hash page.
    fn item(&self, p: &[u8], indx: usize, budget: &mut u64) -> Option<Vec<u8>> {
        let off = self.u16_at(p, SIZEOF_PAGE + indx * 2)? as usize;
        let end = if indx == 0 {
            self.pagesize
        } else {
            self.u16_at(p, SIZEOF_PAGE + (indx - 1) * 2)? as usize
        };
        let item = p.get(off..end)?;
        match *item.first()? {
            H_KEYDATA => {
                let len = item.len() as u64 - 1;
                if len > *budget {
                    return None;
                }
                *budget -= len;
                Some(item[1..].to_vec())
            }
            H_OFFPAGE => {
                let pgno = self.u32_at(item, HOFFPAGE_PGNO)?;
                let tlen = self.u32_at(item, HOFFPAGE_TLEN)?;
                self.overflow(pgno, tlen, budget)
            }
            _ => None,
        }
    }

    /// Every key/data pair, bucket by bucket, in page order within a bucket. Damaged items
    /// are skipped; page chains are followed once each.
    pub fn pairs(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        let mut visited = HashSet::new();
        // Overflow items may share pages: bound what they can make us copy.
        let mut budget = self.src.size().saturating_mul(2).saturating_add(1 << 20);
        // Every bucket has a page of its own, so there are no more buckets than pages.
        let pages = self.src.size() / self.pagesize as u64;
        let max_bucket = (self.max_bucket as u64)
            .min(pages)
            .min(self.last_pgno as u64) as u32;
        for bucket in 0..=max_bucket {
            let Some(mut pgno) = self.bucket_page(bucket) else {
                continue;
            };
            while pgno != 0 && visited.insert(pgno) {
                let Some(p) = self.page(pgno) else {
                    break;
                };
                if p[PAGE_TYPE] != P_HASH && p[PAGE_TYPE] != P_HASH_UNSORTED {
                    break;
                }
                let entries = self.u16_at(&p, PAGE_ENTRIES).unwrap_or(0) as usize;
                let entries = entries.min((self.pagesize - SIZEOF_PAGE) / 2);
                let mut i = 0;
                while i + 1 < entries {
                    let k = self.item(&p, i, &mut budget);
                    let d = self.item(&p, i + 1, &mut budget);
                    if let (Some(k), Some(d)) = (k, d) {
                        out.push((k, d));
                    }
                    i += 2;
                }
                pgno = self.u32_at(&p, PAGE_NEXT_PGNO).unwrap_or(0);
            }
        }
        out
    }

    /// Whether keys are stored in the opposite byte order to this machine's.
    pub fn swapped(&self) -> bool {
        self.swap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_garbage() {
        assert!(HashDb::open(&[0u8; 10][..]).is_none());
        assert!(HashDb::open(&[0u8; 4096][..]).is_none());
        let mut meta = vec![0u8; 4096];
        meta[12..16].copy_from_slice(&HASH_MAGIC.to_le_bytes());
        meta[16..20].copy_from_slice(&9u32.to_le_bytes());
        meta[20..24].copy_from_slice(&1000u32.to_le_bytes());
        assert!(HashDb::open(&meta[..]).is_none());
        meta[20..24].copy_from_slice(&4096u32.to_le_bytes());
        meta[72..76].copy_from_slice(&u32::MAX.to_le_bytes());
        meta[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
        let db = HashDb::open(&meta[..]).unwrap();
        // Pages beyond the data are not there; nothing is found and nothing loops forever.
        assert!(db.pairs().is_empty());
    }
}
