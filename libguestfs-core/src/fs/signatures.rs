//! Signatures of what is not a readable filesystem here (LVM2_member, swap, LUKS, md, …).
//! Being written by the signatures work.

use super::Probe;
use crate::block::BlockDevice;

/// Signatures blkid checks before filesystems (RAID and volume-manager members, LUKS).
pub fn probe_before_filesystems(_dev: &dyn BlockDevice) -> Option<Probe> {
    None
}

/// Everything else that is not ext2/3/4.
pub fn probe_other(_dev: &dyn BlockDevice) -> Option<Probe> {
    None
}
