//! A bounded reader of rpm's "ndb" package database (`Packages.db`, used by SUSE).
//!
//! All numbers are little-endian. The file starts with slot pages: the first 32 bytes are the
//! database header (`RpmP` magic, version 0, generation, number of slot pages, next package
//! index), and the rest are 16-byte slots (`Slot` magic, package index, block offset, block
//! count). A package's blob lives at `block offset × 16`: a blob header (`BlbS` magic,
//! package index, generation, length) followed by the header blob itself.

use super::bdb::PageSource;

/// A little-endian u32 at `off`, 0 when outside the buffer (callers check lengths).
fn le32(b: &[u8], off: usize) -> u32 {
    off.checked_add(4)
        .and_then(|end| b.get(off..end))
        .map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

const RPMPKG_HDR_MAGIC: u32 = u32::from_le_bytes(*b"RpmP");
const SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
const BLOBHEAD_MAGIC: u32 = u32::from_le_bytes(*b"BlbS");
/// The header occupies the first two slots.
const SLOT_START: u64 = 2;
const SLOT_SIZE: u64 = 16;
const BLK_SIZE: u64 = 16;
const PAGE_SIZE: u64 = 4096;
const BLOBHEAD_SIZE: u64 = 16;
/// The header's fields.
const HDR_OFF_VERSION: usize = 4;
const HDR_OFF_SLOTNPAGES: usize = 12;
/// rpm refuses headers bigger than this anyway.
const MAX_BLOB: u32 = 256 << 20;

/// Every (package index, header blob) pair, sorted by package index as rpm lists them.
/// None if the file is not an ndb package database.
pub fn packages<S: PageSource + ?Sized>(src: &S) -> Option<Vec<(u32, Vec<u8>)>> {
    let mut hdr = [0u8; 32];
    src.read_at(&mut hdr, 0).ok()?;
    if le32(&hdr, 0) != RPMPKG_HDR_MAGIC || le32(&hdr, HDR_OFF_VERSION) != 0 {
        return None;
    }
    let slotnpages = le32(&hdr, HDR_OFF_SLOTNPAGES) as u64;
    let size = src.size();
    let slot_bytes = slotnpages.checked_mul(PAGE_SIZE)?.min(size);
    let nslots = slot_bytes / SLOT_SIZE;
    let mut slots = Vec::new();
    let mut buf = [0u8; SLOT_SIZE as usize];
    for i in SLOT_START..nslots {
        if src.read_at(&mut buf, i * SLOT_SIZE).is_err() {
            break;
        }
        if le32(&buf, 0) != SLOT_MAGIC {
            continue;
        }
        let pkgidx = le32(&buf, 4);
        let blkoff = le32(&buf, 8) as u64;
        let blkcnt = le32(&buf, 12) as u64;
        if pkgidx == 0 || blkcnt == 0 {
            continue;
        }
        slots.push((pkgidx, blkoff, blkcnt));
    }
    slots.sort_by_key(|s| s.0);
    slots.dedup_by_key(|s| s.0);
    // Blobs must lie in the file and may not overlap: their total is bounded by its size.
    let mut budget = size;
    let mut out = Vec::new();
    for (pkgidx, blkoff, blkcnt) in slots {
        let off = blkoff.saturating_mul(BLK_SIZE);
        let span = blkcnt.saturating_mul(BLK_SIZE);
        if off.saturating_add(span) > size || span > budget {
            continue;
        }
        budget -= span;
        let mut head = [0u8; BLOBHEAD_SIZE as usize];
        if src.read_at(&mut head, off).is_err() {
            continue;
        }
        let bloblen = le32(&head, 12);
        if le32(&head, 0) != BLOBHEAD_MAGIC
            || le32(&head, 4) != pkgidx
            || bloblen > MAX_BLOB
            || BLOBHEAD_SIZE + bloblen as u64 > span
        {
            continue;
        }
        let mut blob = vec![0u8; bloblen as usize];
        if src.read_at(&mut blob, off + BLOBHEAD_SIZE).is_err() {
            continue;
        }
        out.push((pkgidx, blob));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a small ndb file holding the given blobs.
    pub fn build_ndb(blobs: &[&[u8]]) -> Vec<u8> {
        let mut f = vec![0u8; PAGE_SIZE as usize];
        f[0..4].copy_from_slice(b"RpmP");
        f[12..16].copy_from_slice(&1u32.to_le_bytes());
        for (i, blob) in blobs.iter().enumerate() {
            let blkoff = (f.len() as u64 / BLK_SIZE) as u32;
            let mut b = Vec::new();
            b.extend_from_slice(b"BlbS");
            b.extend_from_slice(&(i as u32 + 1).to_le_bytes());
            b.extend_from_slice(&0u32.to_le_bytes());
            b.extend_from_slice(&(blob.len() as u32).to_le_bytes());
            b.extend_from_slice(blob);
            b.extend_from_slice(&[0u8; 12]);
            while b.len() % BLK_SIZE as usize != 0 {
                b.push(0);
            }
            let blkcnt = (b.len() as u64 / BLK_SIZE) as u32;
            // Slots in reverse, to check the sorting by package index.
            let slot = (SLOT_START as usize + blobs.len() - 1 - i) * SLOT_SIZE as usize;
            f[slot..slot + 4].copy_from_slice(b"Slot");
            f[slot + 4..slot + 8].copy_from_slice(&(i as u32 + 1).to_le_bytes());
            f[slot + 8..slot + 12].copy_from_slice(&blkoff.to_le_bytes());
            f[slot + 12..slot + 16].copy_from_slice(&blkcnt.to_le_bytes());
            f.extend_from_slice(&b);
        }
        f
    }

    #[test]
    fn round_trip() {
        let f = build_ndb(&[b"first", b"second blob"]);
        let p = packages(&f[..]).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0], (1, b"first".to_vec()));
        assert_eq!(p[1], (2, b"second blob".to_vec()));
        assert!(packages(&f[..100]).is_some());
        assert!(packages(&b"garbage"[..]).is_none());
    }
}
