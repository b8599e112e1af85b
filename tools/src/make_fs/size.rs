//! The size of the disk virt-make-fs creates: 1.48's estimate from the size of the input,
//! and `--size` (absolute, or `+N` on top of the estimate) read as 1.48 reads it.

use crate::guestfish::numbers::xstrtoull;

/// 1.48's estimate for a filesystem of type `fstype` holding `content` bytes: room for
/// superblocks and the like, the journal or minimum size of the filesystem types that have
/// one, the partition's alignment when there is a partition table, then 10% more for what
/// cannot be foreseen (internal fragmentation, indirect blocks, extents).
pub fn estimate(content: u64, fstype: &str, partitioned: bool, sector_size: i32) -> u64 {
    let mut estimate = content as i128;
    // The first partition starts 128 sectors in, and the last 128 sectors are left free.
    // With no --blocksize, 1.48 counts sectors of 0 bytes.
    if partitioned {
        estimate += 2 * 128 * sector_size as i128;
    }
    estimate += 256 * 1024;
    if fstype.starts_with("ext") && fstype.as_bytes().get(3).is_some_and(|&c| c >= b'3') {
        // At least 1024 filesystem blocks of journal: blocks are 1 KiB on 512-byte sectors,
        // 4 KiB otherwise.
        estimate += 1024 * if sector_size == 512 { 1024 } else { 4096 };
    } else if fstype == "ntfs" {
        estimate += 4 * 1024 * 1024;
    } else if fstype == "btrfs" {
        // The minimum metadata allocation (with data and metadata not duplicated).
        estimate += 256 * 1024 * 1024;
    } else if fstype == "xfs" {
        // At least 4096 blocks of 4 KiB.
        estimate += 4096 * 4096;
    }
    // C's `uint64_t *= 1.10`: through a double, truncated.
    ((estimate as u64) as f64 * 1.10) as u64
}

/// `--size=N` or `--size=+N` (N with guestfish's suffixes: `100M`, `1G`…). Err is 1.48's
/// message (after `PROG: `).
pub fn parse(text: &str, estimate: u64) -> Result<u64, String> {
    let (plus, number) = match text.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    match xstrtoull(number) {
        Ok(n) if plus => Ok(estimate.wrapping_add(n)),
        Ok(n) => Ok(n),
        Err(code) => Err(format!(
            "parse_size: invalid size parameter ‘{}’ (xstrtoull returned {})",
            number, code
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_are_1_48s() {
        // virt-make-fs -v of a directory of 8205 bytes printed this estimate, and made a
        // 297383-byte ext2 image from it.
        assert_eq!(estimate(8205, "ext2", false, 0), 297383);
        // (content + 256 KiB + 4 MiB of journal) * 1.1
        assert_eq!(
            estimate(1 << 20, "ext4", false, 0),
            ((1u64 << 20) + (256 << 10) + (4 << 20)) * 11 / 10
        );
        assert_eq!(
            estimate(0, "ext3", true, 512),
            ((2 * 128 * 512) + (256 << 10) + (1 << 20)) * 11 / 10
        );
        assert_eq!(estimate(0, "ext", false, 0), (256 << 10) * 11 / 10);
        assert_eq!(
            estimate(0, "btrfs", false, 0),
            ((256 << 10) + (256 << 20)) * 11 / 10
        );
        assert_eq!(
            estimate(0, "xfs", true, 4096),
            ((256 << 10) + (16 << 20) + 2 * 128 * 4096) * 11 / 10
        );
        assert_eq!(
            estimate(0, "ntfs", false, 0),
            ((256 << 10) + (4 << 20)) * 11 / 10
        );
        assert_eq!(estimate(10, "vfat", false, 0), 288369);
    }

    #[test]
    fn sizes_are_read_as_1_48_reads_them() {
        assert_eq!(parse("100M", 5), Ok(100 << 20));
        assert_eq!(parse("+1M", 5), Ok(5 + (1 << 20)));
        assert_eq!(parse("1440K", 0), Ok(1440 << 10));
        assert_eq!(parse("0x1000", 0), Ok(4096));
        assert_eq!(
            parse("12Q", 0),
            Err("parse_size: invalid size parameter ‘12Q’ (xstrtoull returned 2)".into())
        );
        assert_eq!(
            parse("+abc", 0),
            Err("parse_size: invalid size parameter ‘abc’ (xstrtoull returned 4)".into())
        );
        assert_eq!(
            parse("-1", 0),
            Err("parse_size: invalid size parameter ‘-1’ (xstrtoull returned 4)".into())
        );
    }
}
