//! The internal jbd2 journal: its superblock (`journal_superblock_t`, big-endian) and, when
//! the filesystem needs recovery, an in-memory replay of the committed transactions.
//!
//! The kernel replays the journal even for a read-only mount (libguestfs gives the appliance
//! a writable overlay, so it always can). Replay here writes nothing: it builds an overlay,
//! a map from filesystem block to the journal block holding its newest committed copy,
//! which every read consults. Recovery follows `do_one_pass`: a scan finds the last
//! committed transaction (stopping at the first block out of sequence or failing its
//! checksum), revoke records are collected, and the tagged blocks of each committed
//! transaction are mapped unless a revoke of the same or a later transaction covers them.

use super::inode::Inode;
use super::{ExtFs, Run};
use crate::bytes::{try_be16, try_be32, try_be64, Fixed};
use crate::error::{Error, Result};
use crate::fs::crc32c::crc32c;
use crate::fs::UnixMode;
use std::collections::{BTreeMap, HashMap};

const JBD2_MAGIC: u32 = 0xc03b_3998;
const DESCRIPTOR_BLOCK: u32 = 1;
const COMMIT_BLOCK: u32 = 2;
const SUPERBLOCK_V1: u32 = 3;
const SUPERBLOCK_V2: u32 = 4;
const REVOKE_BLOCK: u32 = 5;

const INCOMPAT_REVOKE: u32 = 0x1;
const INCOMPAT_64BIT: u32 = 0x2;
const INCOMPAT_ASYNC_COMMIT: u32 = 0x4;
const INCOMPAT_CSUM_V2: u32 = 0x8;
const INCOMPAT_CSUM_V3: u32 = 0x10;
const INCOMPAT_FAST_COMMIT: u32 = 0x20;
const KNOWN_INCOMPAT: u32 = INCOMPAT_REVOKE
    | INCOMPAT_64BIT
    | INCOMPAT_ASYNC_COMMIT
    | INCOMPAT_CSUM_V2
    | INCOMPAT_CSUM_V3
    | INCOMPAT_FAST_COMMIT;

const FLAG_ESCAPE: u16 = 1;
const FLAG_SAME_UUID: u16 = 2;
const FLAG_LAST_TAG: u16 = 8;

/// `JBD2_MIN_JOURNAL_BLOCKS`, and the default fast-commit area.
const MIN_JOURNAL_BLOCKS: u64 = 1024;
/// The journal superblock's bytes (`journal_superblock_t`), its checksum over all of them.
const JOURNAL_SUPERBLOCK_SIZE: usize = 1024;
/// Every log block starts with magic, block type and sequence (`journal_header_t`).
const BLOCK_HEADER_SIZE: usize = 12;

/// A descriptor block's tag at `off` (`journal_block_tag3_t`, or `journal_block_tag_t`
/// before checksum v3): (target block, flags, checksum).
fn read_tag(b: &[u8], off: usize, incompat: u32) -> Option<(u64, u16, Option<u32>)> {
    let mut target = u64::from(try_be32(b, off)?);
    if incompat & INCOMPAT_64BIT != 0 {
        target |= u64::from(try_be32(b, off + 8)?) << 32;
    }
    let flags = try_be16(b, off + 6)?;
    let checksum = if incompat & INCOMPAT_CSUM_V3 != 0 {
        Some(try_be32(b, off + 12)?)
    } else if incompat & INCOMPAT_CSUM_V2 != 0 {
        Some(u32::from(try_be16(b, off + 4)?))
    } else {
        None
    };
    Some((target, flags, checksum))
}
const DEFAULT_FAST_COMMIT_BLOCKS: u64 = 256;

/// Where the newest committed copy of a filesystem block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverlayBlock {
    /// Physical filesystem block of the copy inside the journal.
    pub source: u64,
    /// The block began with the jbd2 magic, which the journal copy has zeroed.
    pub escaped: bool,
}

pub type Overlay = BTreeMap<u64, OverlayBlock>;

/// Restores the first word of an escaped block.
pub fn unescape(block: &mut [u8]) {
    if let Some(head) = block.get_mut(..4) {
        head.copy_from_slice(&JBD2_MAGIC.to_be_bytes());
    }
}

fn corrupt(msg: &str) -> Error {
    Error::corrupt(format!("ext4: journal: {}", msg))
}

/// An internal journal, opened like `jbd2_journal_init_inode` + `journal_load_superblock`.
pub struct Journal {
    /// The journal inode's logical → physical mapping of `[0, total_len)`.
    runs: Vec<Run>,
    /// `j_total_len`: blocks of the journal, as the overhead computation counts them.
    pub total_len: u64,
    first: u64,
    last: u64,
    start: u64,
    sequence: u32,
    incompat: u32,
    csum_seed: u32,
    block_size: usize,
}

impl Journal {
    pub fn open(fs: &ExtFs, inode: &Inode) -> Result<Journal> {
        let geo = fs.geometry();
        if inode.links_count == 0 {
            return Err(corrupt("journal inode is deleted"));
        }
        if !inode.is_reg() {
            return Err(corrupt("invalid journal inode"));
        }
        let inode_blocks = inode.size >> geo.block_bits;
        if inode_blocks > geo.blocks_count {
            return Err(corrupt("journal larger than the filesystem"));
        }
        let runs = fs.map_blocks(inode, 0, inode_blocks)?;
        let mut j = Journal {
            runs,
            total_len: inode_blocks,
            first: 0,
            last: 0,
            start: 0,
            sequence: 0,
            incompat: 0,
            csum_seed: 0,
            block_size: geo.block_size as usize,
        };
        let jsb = j
            .read(fs, 0)
            .map_err(|e| e.context("cannot locate journal superblock"))?;
        let Some(sb) = Fixed::<JOURNAL_SUPERBLOCK_SIZE>::new(&jsb) else {
            return Err(corrupt("no valid journal superblock found"));
        };
        let blocktype = sb.be32::<4>();
        if sb.be32::<0>() != JBD2_MAGIC
            || (blocktype != SUPERBLOCK_V1 && blocktype != SUPERBLOCK_V2)
        {
            return Err(corrupt("no valid journal superblock found"));
        }
        if u64::from(sb.be32::<0x0c>()) != geo.block_size {
            return Err(corrupt(
                "journal block size does not match the filesystem's",
            ));
        }
        let maxlen = u64::from(sb.be32::<0x10>());
        if maxlen > j.total_len {
            return Err(corrupt("journal file too short"));
        }
        j.total_len = maxlen;
        j.first = u64::from(sb.be32::<0x14>());
        j.sequence = sb.be32::<0x18>();
        j.start = u64::from(sb.be32::<0x1c>());
        if j.first == 0 || j.first >= j.total_len {
            return Err(corrupt("invalid start block of journal"));
        }
        j.last = maxlen;
        if blocktype == SUPERBLOCK_V2 {
            j.incompat = sb.be32::<0x28>();
            if j.incompat & !KNOWN_INCOMPAT != 0 {
                return Err(Error::new(
                    libc::ENOTSUP,
                    "ext4: journal has unknown incompatible features",
                ));
            }
            if j.csum_v2or3() {
                if j.incompat & INCOMPAT_CSUM_V2 != 0 && j.incompat & INCOMPAT_CSUM_V3 != 0 {
                    return Err(corrupt("checksum v2 and v3 both set"));
                }
                let mut copy = *sb.bytes();
                copy[0xfc..0x100].fill(0);
                if crc32c(!0, &copy) != sb.be32::<0xfc>() {
                    return Err(corrupt("journal superblock checksum error"));
                }
                j.csum_seed = crc32c(!0, &sb.array::<0x30, 16>());
            }
            if j.incompat & INCOMPAT_FAST_COMMIT != 0 {
                let mut num_fc = u64::from(sb.be32::<0x54>());
                if num_fc == 0 {
                    num_fc = DEFAULT_FAST_COMMIT_BLOCKS;
                }
                if maxlen.saturating_sub(num_fc) >= MIN_JOURNAL_BLOCKS {
                    j.last = maxlen - num_fc;
                }
            }
        }
        if j.first >= j.last {
            return Err(corrupt("invalid journal layout"));
        }
        if j.start != 0 && (j.start < j.first || j.start >= j.last) {
            return Err(corrupt("invalid journal start"));
        }
        Ok(j)
    }

    fn csum_v2or3(&self) -> bool {
        self.incompat & (INCOMPAT_CSUM_V2 | INCOMPAT_CSUM_V3) != 0
    }

    /// Whether the log holds transactions (`s_start` non-zero).
    pub fn needs_recovery(&self) -> bool {
        self.start != 0
    }

    /// The physical block of journal block `jblk`.
    fn physical(&self, jblk: u64) -> Result<u64> {
        let i = self.runs.partition_point(|r| r.lblk + r.len <= jblk);
        match self.runs.get(i) {
            Some(r) if r.lblk <= jblk => match r.pblk {
                Some(p) => Ok(p + (jblk - r.lblk)),
                None => Err(corrupt(&format!("hole at journal block {}", jblk))),
            },
            _ => Err(corrupt(&format!("journal block {} out of range", jblk))),
        }
    }

    fn read(&self, fs: &ExtFs, jblk: u64) -> Result<Vec<u8>> {
        let p = self.physical(jblk)?;
        let mut b = vec![0u8; self.block_size];
        fs.read_raw_block(p, &mut b)?;
        Ok(b)
    }

    /// `wrap()`: journal blocks past the end of the log continue at its beginning.
    fn wrap(&self, b: u64) -> u64 {
        if b >= self.last {
            b - (self.last - self.first)
        } else {
            b
        }
    }

    fn tag_bytes(&self) -> usize {
        if self.incompat & INCOMPAT_CSUM_V3 != 0 {
            return 16;
        }
        let mut sz = 12;
        if self.incompat & INCOMPAT_CSUM_V2 != 0 {
            sz += 2;
        }
        if self.incompat & INCOMPAT_64BIT != 0 {
            sz
        } else {
            sz - 4
        }
    }

    fn tail_ok(&self, block: &[u8]) -> bool {
        if !self.csum_v2or3() {
            return true;
        }
        let n = block.len();
        let Some(want) = n.checked_sub(4).and_then(|off| try_be32(block, off)) else {
            return false;
        };
        let mut copy = block.to_vec();
        if let Some(t) = copy.get_mut(n.saturating_sub(4)..) {
            t.fill(0);
        }
        crc32c(self.csum_seed, &copy) == want
    }

    fn commit_ok(&self, block: &[u8]) -> bool {
        if !self.csum_v2or3() {
            return true;
        }
        let Some(want) = try_be32(block, 16) else {
            return false;
        };
        let mut copy = block.to_vec();
        if let Some(t) = copy.get_mut(16..20) {
            t.fill(0);
        }
        crc32c(self.csum_seed, &copy) == want
    }

    /// Replays the log into an overlay; empty when there is nothing to recover.
    pub fn replay(&self, fs: &ExtFs) -> Result<Overlay> {
        let mut overlay = Overlay::new();
        if !self.needs_recovery() {
            return Ok(overlay);
        }
        let blocks_count = fs.geometry().blocks_count;
        struct Tag {
            target: u64,
            data: u64,
            escaped: bool,
            checksum: Option<u32>,
        }
        struct Transaction {
            sequence: u32,
            tags: Vec<Tag>,
            revokes: Vec<u64>,
        }
        let log_len = self.last - self.first;
        let tag_bytes = self.tag_bytes();
        let tail = if self.csum_v2or3() { 4 } else { 0 };
        let is64 = self.incompat & INCOMPAT_64BIT != 0;
        let mut committed: Vec<Transaction> = Vec::new();
        let mut cur = Transaction {
            sequence: self.sequence,
            tags: Vec::new(),
            revokes: Vec::new(),
        };
        let mut blk = self.start;
        let mut steps = 0u64;
        // PASS_SCAN (collecting what the later passes need on the way).
        while steps < log_len {
            let b = self.read(fs, blk)?;
            steps += 1;
            let Some(header) = Fixed::<BLOCK_HEADER_SIZE>::new(&b) else {
                break;
            };
            if header.be32::<0>() != JBD2_MAGIC || header.be32::<8>() != cur.sequence {
                break;
            }
            match header.be32::<4>() {
                DESCRIPTOR_BLOCK => {
                    if !self.tail_ok(&b) {
                        break;
                    }
                    let limit = b.len() - tail;
                    let mut off = BLOCK_HEADER_SIZE;
                    let mut data = blk;
                    while off + tag_bytes <= limit {
                        let Some(tag) = read_tag(&b, off, self.incompat) else {
                            return Err(corrupt("descriptor tag past the end of its block"));
                        };
                        let (target, flags, checksum) = tag;
                        data = self.wrap(data + 1);
                        steps += 1;
                        cur.tags.push(Tag {
                            target,
                            data,
                            escaped: flags & FLAG_ESCAPE != 0,
                            checksum,
                        });
                        off += tag_bytes;
                        if flags & FLAG_SAME_UUID == 0 {
                            off += 16;
                        }
                        if flags & FLAG_LAST_TAG != 0 {
                            break;
                        }
                    }
                    blk = self.wrap(data + 1);
                }
                COMMIT_BLOCK => {
                    if !self.commit_ok(&b) {
                        break;
                    }
                    let next = cur.sequence.wrapping_add(1);
                    committed.push(std::mem::replace(
                        &mut cur,
                        Transaction {
                            sequence: next,
                            tags: Vec::new(),
                            revokes: Vec::new(),
                        },
                    ));
                    blk = self.wrap(blk + 1);
                }
                REVOKE_BLOCK => {
                    if !self.tail_ok(&b) {
                        break;
                    }
                    let Some(count) = try_be32(&b, BLOCK_HEADER_SIZE) else {
                        return Err(corrupt("invalid revoke block"));
                    };
                    let count = count as usize;
                    if count > b.len() - tail {
                        return Err(corrupt("invalid revoke block"));
                    }
                    let rec = if is64 { 8 } else { 4 };
                    let mut off = 16;
                    while off + rec <= count {
                        let r = match is64 {
                            true => try_be64(&b, off),
                            false => try_be32(&b, off).map(u64::from),
                        };
                        cur.revokes
                            .push(r.ok_or_else(|| corrupt("invalid revoke block"))?);
                        off += rec;
                    }
                    blk = self.wrap(blk + 1);
                }
                _ => break,
            }
        }
        // PASS_REVOKE: the newest transaction revoking each block.
        let mut revoked: HashMap<u64, u32> = HashMap::new();
        for t in &committed {
            for &r in &t.revokes {
                let e = revoked.entry(r).or_insert(t.sequence);
                if (t.sequence.wrapping_sub(*e) as i32) > 0 {
                    *e = t.sequence;
                }
            }
        }
        // PASS_REPLAY.
        for t in &committed {
            for tag in &t.tags {
                if let Some(&r) = revoked.get(&tag.target) {
                    if (t.sequence.wrapping_sub(r) as i32) <= 0 {
                        continue;
                    }
                }
                if let Some(want) = tag.checksum {
                    let data = self.read(fs, tag.data)?;
                    let crc = crc32c(crc32c(self.csum_seed, &t.sequence.to_be_bytes()), &data);
                    let ok = if self.incompat & INCOMPAT_CSUM_V3 != 0 {
                        crc == want
                    } else {
                        crc & 0xffff == want
                    };
                    if !ok {
                        return Err(corrupt(&format!(
                            "invalid checksum recovering data block {}",
                            tag.target
                        )));
                    }
                }
                if tag.target >= blocks_count {
                    return Err(corrupt(&format!(
                        "journal block {} beyond the filesystem",
                        tag.target
                    )));
                }
                let source = self.physical(tag.data)?;
                overlay.insert(
                    tag.target,
                    OverlayBlock {
                        source,
                        escaped: tag.escaped,
                    },
                );
            }
        }
        Ok(overlay)
    }
}
