//! MBR (msdos) partition tables. Being written by the partition-table work.

use super::PartitionTable;
use crate::block::BlockDevice;
use crate::error::Result;

pub fn read(_dev: &dyn BlockDevice, _sector_size: u64) -> Result<Option<PartitionTable>> {
    Ok(None)
}
