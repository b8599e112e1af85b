//! What `statfs` reports: `btrfs_statfs` from the block groups' sizes and usage, the space
//! left on the device for new chunks, and the global block reserve counted as used.

use super::chunk::{BLOCK_GROUP_DATA, BLOCK_GROUP_DUP};
use super::root::{self, BLOCK_GROUP_TREE, CSUM_TREE, EXTENT_TREE, FREE_SPACE_TREE};
use super::superblock::{COMPAT_RO_BLOCK_GROUP_TREE, COMPAT_RO_FREE_SPACE_TREE};
use super::{corrupt, BtrfsFs, Key, NAME_LEN};
use crate::bytes::le64;
use crate::error::Result;
use crate::types::StatVfs;

const BLOCK_GROUP_ITEM_KEY: u8 = 192;
/// `BTRFS_STRIPE_LEN`.
const STRIPE_LEN: u64 = 65536;
/// `BTRFS_DEVICE_RANGE_RESERVED`: chunks are never allocated in the first MiB.
const DEVICE_RANGE_RESERVED: u64 = 1 << 20;
/// `BTRFS_MAX_LEVEL`.
const MAX_LEVEL: u64 = 8;
/// `BTRFS_UNLINK_METADATA_UNITS`.
const UNLINK_METADATA_UNITS: u64 = 6;
const GLOBAL_RSV_MAX: u64 = 512 << 20;
/// Bytes a block group's profile stores per logical byte.
fn factor(flags: u64) -> u64 {
    if flags & BLOCK_GROUP_DUP != 0 {
        2
    } else {
        1
    }
}

/// `btrfs_update_global_block_rsv`: the size of the global reserve, from what the extent,
/// checksum and free space trees occupy, at least enough for an insertion of one item per
/// tree plus an unlink's items and their delayed references. (The appliance's 6.1 kernel
/// and later ones agree on this.)
fn global_reserve(fs: &BtrfsFs) -> Result<u64> {
    let insert_size = |items: u64| u64::from(fs.sb.nodesize) * MAX_LEVEL * 2 * items;
    let mut used = 0u64;
    let mut items = 1u64;
    let mut trees = vec![EXTENT_TREE, CSUM_TREE, FREE_SPACE_TREE];
    if fs.sb.compat_ro & COMPAT_RO_BLOCK_GROUP_TREE != 0 {
        trees.push(BLOCK_GROUP_TREE);
    }
    for id in trees {
        if let Some(r) = root::find(fs, id)? {
            used = used.saturating_add(r.bytes_used);
            items += 1;
        }
    }
    items += UNLINK_METADATA_UNITS;
    let mut delayed_refs = insert_size(UNLINK_METADATA_UNITS);
    if fs.sb.compat_ro & COMPAT_RO_FREE_SPACE_TREE != 0 {
        delayed_refs *= 2;
    }
    Ok(used
        .max(insert_size(items) + delayed_refs)
        .min(GLOBAL_RSV_MAX))
}

pub fn statvfs(fs: &BtrfsFs) -> Result<StatVfs> {
    let bg_tree = if fs.sb.compat_ro & COMPAT_RO_BLOCK_GROUP_TREE != 0 {
        BLOCK_GROUP_TREE
    } else {
        EXTENT_TREE
    };
    let bg_root = root::find(fs, bg_tree)?.ok_or_else(|| corrupt("no block group tree"))?;
    let (mut total_used, mut free_data, mut data_factor) = (0u64, 0u64, 1u64);
    for (start, chunk) in fs.chunks.chunks() {
        let key = Key::new(*start, BLOCK_GROUP_ITEM_KEY, chunk.length);
        let Some((_, b)) = fs.find_first((bg_root.bytenr, bg_root.level), key, key)? else {
            return Err(corrupt(format_args!("no block group for chunk {}", start)));
        };
        let used = le64(&b, 0);
        let flags = le64(&b, 16);
        let f = factor(flags);
        let disk_used = used.saturating_mul(f);
        if flags & BLOCK_GROUP_DATA != 0 {
            free_data =
                free_data.saturating_add(chunk.length.saturating_mul(f).saturating_sub(disk_used));
            data_factor = f;
        }
        total_used = total_used.saturating_add(disk_used);
    }
    let bits = fs.sb.sectorsize.trailing_zeros();
    let blocks = (fs.sb.total_bytes / data_factor) >> bits;
    let mut bfree = blocks.saturating_sub((total_used / data_factor) >> bits);
    let rsv = global_reserve(fs)? >> bits;
    bfree = bfree.saturating_sub(rsv);
    // `btrfs_calc_avail_data_space` for the one device.
    let min_stripe = STRIPE_LEN * factor(if data_factor == 2 { BLOCK_GROUP_DUP } else { 0 });
    let mut avail = fs.sb.dev_total_bytes.saturating_sub(fs.sb.dev_bytes_used);
    avail -= avail % STRIPE_LEN;
    let unallocated = if avail <= DEVICE_RANGE_RESERVED + min_stripe {
        0
    } else {
        avail - DEVICE_RANGE_RESERVED
    };
    let bavail = (free_data / data_factor + unallocated / data_factor) >> bits;
    Ok(StatVfs {
        bsize: i64::from(fs.sb.sectorsize),
        frsize: i64::from(fs.sb.sectorsize),
        blocks: blocks as i64,
        bfree: bfree as i64,
        bavail: bavail as i64,
        files: 0,
        ffree: 0,
        favail: 0,
        fsid: fsid(fs, fs.mounted_subvolume()),
        flag: crate::fs::ST_RDONLY | crate::fs::ST_RELATIME,
        namemax: NAME_LEN,
    })
}

/// `f_fsid`: the filesystem's UUID folded to 64 bits, with the id of the subvolume the path is
/// in mixed in "to disambiguate subvols" (`btrfs_statfs`).
pub fn fsid(fs: &BtrfsFs, root_id: u64) -> i64 {
    let fsid = &fs.sb.fsid;
    let word = |i: usize| u32::from_be_bytes([fsid[i], fsid[i + 1], fsid[i + 2], fsid[i + 3]]);
    let val0 = word(0) ^ word(8) ^ (root_id >> 32) as u32;
    let val1 = word(4) ^ word(12) ^ root_id as u32;
    (u64::from(val0) | (u64::from(val1) << 32)) as i64
}
