//! Whether the internal log is clean, as `xlog_find_tail` decides at mount: the last record
//! before the log head must be a lone unmount record. A log that is not clean would be
//! replayed by the kernel; this reader does not replay, so it refuses such a filesystem
//! (and `auto` uses the appliance).
//!
//! Every 512-byte basic block of the log starts with the cycle number of the pass that wrote
//! it (record headers start with their magic and hold it in `h_cycle`); the head is where the
//! cycle number drops.

use super::meta::corrupt;
use super::superblock::Superblock;
use crate::block::BlockDevice;
use crate::bytes::Fixed;
use crate::error::Result;

const BBSIZE: u64 = 512;
const XLOG_HEADER_MAGIC: u32 = 0xfeed_babe;
/// Header fields: cycle, length of the record's data, number of log operations, size of
/// the record (v2 logs, for the number of header blocks).
const H_CYCLE: usize = 4;
const H_VERSION: usize = 8;
const H_LEN: usize = 12;
const H_NUM_LOGOPS: usize = 40;
const H_SIZE: usize = 320;
/// `XLOG_HEADER_CYCLE_SIZE`: data bytes covered by one header block of a v2 log.
const HEADER_CYCLE_SIZE: u64 = 32 * 1024;
/// `oh_flags` of the first operation header, and its unmount bit.
const OH_FLAGS: usize = 9;
const XLOG_UNMOUNT_TRANS: u8 = 0x20;
/// The largest log record: 256 KiB of data and its header blocks.
const MAX_RECORD_BBS: u64 = (256 * 1024 + 8 * 512) / BBSIZE;

/// Why the log is not clean, or None when it is.
pub fn dirty_reason(dev: &dyn BlockDevice, sb: &Superblock) -> Result<Option<String>> {
    let log = Log {
        dev,
        start: sb
            .fsb_to_linear(sb.logstart, u64::from(sb.logblocks))
            .ok_or_else(|| corrupt("superblock: log outside the filesystem"))?
            << sb.blocklog,
        bbs: u64::from(sb.logblocks) << (sb.blocklog - 9),
    };
    let head = log.head()?;
    // The last record header before the head (scanning back, wrapping at the start).
    let mut found = None;
    for back in 1..=MAX_RECORD_BBS.min(log.bbs) {
        let blk = (head + log.bbs - back) % log.bbs;
        let bb = log.read_bb(blk)?;
        if Fixed::from(&bb).be32::<0>() == XLOG_HEADER_MAGIC {
            found = Some((blk, bb));
            break;
        }
    }
    let Some((rec, hdr)) = found else {
        return Ok(Some("no log record before the log head".into()));
    };
    let hdr = Fixed::from(&hdr);
    let hblks = if hdr.be32::<H_VERSION>() & 2 != 0 {
        u64::from(hdr.be32::<H_SIZE>())
            .div_ceil(HEADER_CYCLE_SIZE)
            .max(1)
    } else {
        1
    };
    let data_bbs = u64::from(hdr.be32::<H_LEN>()).div_ceil(BBSIZE);
    let after = (rec + hblks + data_bbs) % log.bbs;
    if after != head % log.bbs || hdr.be32::<H_NUM_LOGOPS>() != 1 {
        return Ok(Some("the log has transactions to replay".into()));
    }
    let op = log.read_bb((rec + hblks) % log.bbs)?;
    if Fixed::from(&op).u8::<OH_FLAGS>() & XLOG_UNMOUNT_TRANS == 0 {
        return Ok(Some("the log has transactions to replay".into()));
    }
    Ok(None)
}

struct Log<'a> {
    dev: &'a dyn BlockDevice,
    /// Byte offset of the log and its size in basic blocks.
    start: u64,
    bbs: u64,
}

impl Log<'_> {
    fn read_bb(&self, blk: u64) -> Result<[u8; BBSIZE as usize]> {
        let mut bb = [0u8; BBSIZE as usize];
        self.dev
            .read_exact_at(&mut bb, self.start + blk * BBSIZE)
            .map_err(|e| corrupt(format!("log block {}: {}", blk, e)))?;
        Ok(bb)
    }

    /// The cycle number of a block: in a record header's `h_cycle`, else in its first word.
    fn cycle(&self, blk: u64) -> Result<u32> {
        let bb = self.read_bb(blk)?;
        let bb = Fixed::from(&bb);
        Ok(if bb.be32::<0>() == XLOG_HEADER_MAGIC {
            bb.be32::<H_CYCLE>()
        } else {
            bb.be32::<0>()
        })
    }

    /// The first block of the log written in an older pass than block 0 (`xlog_find_head`'s
    /// binary search); 0 when the whole log is of one pass (the head wrapped to the start).
    fn head(&self) -> Result<u64> {
        let first = self.cycle(0)?;
        if first == 0 {
            return Err(corrupt("log: its first block was never written"));
        }
        let last = self.cycle(self.bbs - 1)?;
        if last == first {
            return Ok(0);
        }
        // Blocks [0, lo] are of cycle `first`, [hi, end) older.
        let (mut lo, mut hi) = (0u64, self.bbs - 1);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.cycle(mid)? == first {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Ok(hi)
    }
}
