//! Block groups: group descriptors (`struct ext4_group_desc`, 32 or 64+ bytes), where the
//! descriptor blocks live (plain, or meta_bg), which groups carry superblock backups
//! (sparse_super, sparse_super2), and the per-group metadata overhead `statfs` subtracts.

use super::superblock::{
    Geometry, Superblock, COMPAT_SPARSE_SUPER2, INCOMPAT_FLEX_BG, INCOMPAT_META_BG,
    RO_COMPAT_BIGALLOC, RO_COMPAT_SPARSE_SUPER,
};
use crate::bytes::Fixed;
use crate::error::{Error, Result};

/// What this reader keeps of one group descriptor.
#[derive(Debug, Clone, Copy, Default)]
pub struct GroupDesc {
    pub bg_block_bitmap: u64,
    pub bg_inode_bitmap: u64,
    pub bg_inode_table: u64,
    /// Free clusters (`bg_free_blocks_count`).
    pub bg_free_blocks_count: u32,
    pub bg_free_inodes_count: u32,
}

impl GroupDesc {
    /// Decodes one descriptor (`b` holds `s_desc_size` bytes, at least 32); the `_hi`
    /// halves count only in descriptors of 64 bytes or more. None when `b` is shorter than
    /// its size says.
    pub fn parse(b: &[u8]) -> Option<GroupDesc> {
        let lo = Fixed::<32>::new(b)?;
        // The high halves, zero in a 32-byte descriptor.
        let (block_bitmap, inode_bitmap, inode_table, free_blocks, free_inodes) = match b.len() {
            ..64 => (0, 0, 0, 0, 0),
            _ => {
                let hi = Fixed::<64>::new(b)?;
                (
                    hi.le32::<0x20>(),
                    hi.le32::<0x24>(),
                    hi.le32::<0x28>(),
                    hi.le16::<0x2c>(),
                    hi.le16::<0x2e>(),
                )
            }
        };
        let wide = |low: u32, high: u32| u64::from(low) | (u64::from(high) << 32);
        let count = |low: u16, high: u16| u32::from(low) | (u32::from(high) << 16);
        Some(GroupDesc {
            bg_block_bitmap: wide(lo.le32::<0x00>(), block_bitmap),
            bg_inode_bitmap: wide(lo.le32::<0x04>(), inode_bitmap),
            bg_inode_table: wide(lo.le32::<0x08>(), inode_table),
            bg_free_blocks_count: count(lo.le16::<0x0c>(), free_blocks),
            bg_free_inodes_count: count(lo.le16::<0x0e>(), free_inodes),
        })
    }
}

fn is_power_of(mut n: u64, base: u64) -> bool {
    while n > 1 && n.is_multiple_of(base) {
        n /= base;
    }
    n == 1
}

/// `ext4_bg_has_super`: whether a group starts with a superblock (primary or backup).
pub fn has_super(sb: &Superblock, group: u64) -> bool {
    if group == 0 {
        return true;
    }
    if sb.has_compat(COMPAT_SPARSE_SUPER2) {
        return group == u64::from(sb.s_backup_bgs[0]) || group == u64::from(sb.s_backup_bgs[1]);
    }
    if group <= 1 || !sb.has_ro_compat(RO_COMPAT_SPARSE_SUPER) {
        return true;
    }
    if group.is_multiple_of(2) {
        return false;
    }
    is_power_of(group, 3) || is_power_of(group, 5) || is_power_of(group, 7)
}

/// `ext4_bg_num_gdb`: how many group descriptor blocks a group holds.
pub fn num_gdb(sb: &Superblock, geo: &Geometry, group: u64) -> u64 {
    let metagroup = group / geo.desc_per_block;
    let first_meta_bg = u64::from(sb.s_first_meta_bg);
    if !sb.has_incompat(INCOMPAT_META_BG) || metagroup < first_meta_bg {
        if !has_super(sb, group) {
            return 0;
        }
        return if sb.has_incompat(INCOMPAT_META_BG) {
            first_meta_bg
        } else {
            geo.gdb_count
        };
    }
    let first = metagroup * geo.desc_per_block;
    let last = first + geo.desc_per_block - 1;
    u64::from(group == first || group == first + 1 || group == last)
}

/// First block of a group.
pub fn group_first_block(geo: &Geometry, group: u64) -> u64 {
    geo.first_data_block + group * geo.blocks_per_group
}

/// `descriptor_loc`: the block holding descriptor block `nr` (the primary copy).
pub fn descriptor_block(sb: &Superblock, geo: &Geometry, nr: u64) -> u64 {
    // The block holding the primary superblock, in filesystem blocks.
    let sb_block = 1024 / geo.block_size;
    if !sb.has_incompat(INCOMPAT_META_BG) || nr < u64::from(sb.s_first_meta_bg) {
        return sb_block + nr + 1;
    }
    let bg = geo.desc_per_block * nr;
    let mut has = u64::from(has_super(sb, bg));
    // With 1 KiB blocks and first_data_block 0 (bigalloc), group 0's descriptors follow the
    // superblock at block 1, not block 0.
    if geo.block_size == 1024 && nr == 0 && geo.first_data_block == 0 {
        has += 1;
    }
    group_first_block(geo, bg) + has
}

/// Checks a descriptor the way `ext4_check_descriptors` does: bitmaps and the inode table lie
/// inside the group (or anywhere in the filesystem with flex_bg).
pub fn check_desc(sb: &Superblock, geo: &Geometry, group: u64, d: &GroupDesc) -> Result<()> {
    let (first, last) = if sb.has_incompat(INCOMPAT_FLEX_BG) {
        (geo.first_data_block, geo.blocks_count - 1)
    } else {
        let first = group_first_block(geo, group);
        (
            first,
            (first + geo.blocks_per_group - 1).min(geo.blocks_count - 1),
        )
    };
    let bad = |what: &str| {
        Err(Error::corrupt(format!(
            "ext4: {} for group {} not in group",
            what, group
        )))
    };
    if d.bg_block_bitmap < first || d.bg_block_bitmap > last {
        return bad("block bitmap");
    }
    if d.bg_inode_bitmap < first || d.bg_inode_bitmap > last {
        return bad("inode bitmap");
    }
    let table_end = d
        .bg_inode_table
        .checked_add(geo.itb_per_group.saturating_sub(1));
    if d.bg_inode_table < first || table_end.is_none_or(|e| e > last) {
        return bad("inode table");
    }
    Ok(())
}

/// The clusters of metadata the kernel counts as overhead (`ext4_calculate_overhead`
/// without the journal): blocks before the first group, and per group its superblock backup,
/// descriptor blocks, reserved descriptor blocks, inode table and two bitmaps. With bigalloc
/// the count is of distinct clusters each group's metadata occupies.
pub fn overhead_clusters(sb: &Superblock, geo: &Geometry, groups: &[GroupDesc]) -> u64 {
    let mut overhead = geo.first_data_block >> geo.cluster_bits;
    if !sb.has_ro_compat(RO_COMPAT_BIGALLOC) {
        for g in 0..geo.groups_count {
            let has = u64::from(has_super(sb, g));
            let reserved = if has == 1 {
                u64::from(sb.s_reserved_gdt_blocks)
            } else {
                0
            };
            overhead += has + num_gdb(sb, geo, g) + reserved + geo.itb_per_group + 2;
        }
        return overhead;
    }
    // Bigalloc: which clusters of each group hold metadata. Bucket every group's bitmaps and
    // inode table by the group they fall in, then count distinct clusters per group.
    let mut by_group: Vec<Vec<(u64, u64)>> = vec![Vec::new(); groups.len()];
    let bpg = geo.blocks_per_group;
    for d in groups {
        for (start, len) in [
            (d.bg_block_bitmap, 1),
            (d.bg_inode_bitmap, 1),
            (d.bg_inode_table, geo.itb_per_group),
        ] {
            if start < geo.first_data_block {
                continue;
            }
            let g = (start - geo.first_data_block) / bpg;
            let first = group_first_block(geo, g);
            let last = first + bpg - 1;
            // The kernel counts an inode table only when it ends inside the group.
            if len > 1 && start + len > last {
                continue;
            }
            if let Some(v) = by_group.get_mut(g as usize) {
                v.push((start - first, len));
            }
        }
    }
    for (g, ranges) in by_group.iter_mut().enumerate() {
        let g = g as u64;
        let mut s = 0u64;
        if has_super(sb, g) {
            ranges.push((0, 1));
            s = 1;
        }
        let j = num_gdb(sb, geo, g).min(bpg.saturating_sub(s));
        if j > 0 {
            ranges.push((s, j));
        }
        if ranges.is_empty() {
            continue;
        }
        // Distinct clusters covered by the ranges.
        let mut clusters: Vec<(u64, u64)> = ranges
            .iter()
            .map(|&(off, len)| (off >> geo.cluster_bits, (off + len - 1) >> geo.cluster_bits))
            .collect();
        clusters.sort_unstable();
        let mut count = 0u64;
        let mut cur: Option<(u64, u64)> = None;
        for (a, b) in clusters {
            cur = match cur {
                Some((ca, cb)) if a <= cb + 1 => Some((ca, cb.max(b))),
                Some((ca, cb)) => {
                    count += cb - ca + 1;
                    Some((a, b))
                }
                None => Some((a, b)),
            };
        }
        if let Some((ca, cb)) = cur {
            count += cb - ca + 1;
        }
        overhead += count;
    }
    overhead
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers() {
        assert!(is_power_of(1, 3));
        assert!(is_power_of(27, 3));
        assert!(is_power_of(125, 5));
        assert!(!is_power_of(15, 3));
        assert!(is_power_of(49, 7));
    }
}
