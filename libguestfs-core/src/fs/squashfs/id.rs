//! The id table: the uids and gids inodes refer to by index (u32 each, 2048 to a metadata
//! block, the blocks listed at `id_table_start`).

use super::{corrupt, SquashFs};
use crate::error::Result;

impl SquashFs {
    /// The uid or gid at `index` (`squashfs_get_id`).
    pub(super) fn id(&self, index: u16) -> Result<u32> {
        if index >= self.sb.no_ids {
            return Err(corrupt(format!(
                "id index {} out of range ({} ids)",
                index, self.sb.no_ids
            )));
        }
        // `ls -l` asks for two ids per file: keep them (few and small).
        if let Some(id) = super::lock(&self.cache.ids).get(&index) {
            return Ok(*id);
        }
        let e = self.table_entry(self.sb.id_table_start, u64::from(index), 4, "id")?;
        let id = u32::from_le_bytes([e[0], e[1], e[2], e[3]]);
        super::lock(&self.cache.ids).insert(index, id);
        Ok(id)
    }
}
