//! The root tree: where each tree starts, the subvolumes and the default one.

use super::{corrupt, dir, BtrfsFs, Key};
use crate::bytes::{le32, le64, u8_at};
use crate::error::Result;

pub const ROOT_ITEM_KEY: u8 = 132;
pub const EXTENT_TREE: u64 = 2;
pub const FS_TREE: u64 = 5;
const ROOT_TREE_DIR: u64 = 6;
pub const CSUM_TREE: u64 = 7;
pub const FREE_SPACE_TREE: u64 = 10;
pub const BLOCK_GROUP_TREE: u64 = 11;
pub const ROOT_BACKREF_KEY: u8 = 144;
pub const ROOT_REF_KEY: u8 = 156;
/// Subvolume and snapshot ids run from here; ids with any of the top 16 bits set are quota
/// group levels, never filesystem trees (`is_fstree`).
pub const FIRST_FREE_OBJECTID: u64 = 256;
pub const LAST_FS_TREE_ID: u64 = (1 << 48) - 1;
const ROOT_ITEM_MIN: usize = 239;

/// A tree's root item: where the tree starts and how much it occupies.
#[derive(Debug, Clone, Copy)]
pub struct RootItem {
    pub root_dirid: u64,
    pub bytenr: u64,
    pub bytes_used: u64,
    pub level: u8,
    /// Directory entries naming the tree; 0 for a deleted subvolume not yet cleaned up.
    pub refs: u32,
}

/// The root item of tree `id`, if there is one.
pub fn find(fs: &BtrfsFs, id: u64) -> Result<Option<RootItem>> {
    let Some((_, b)) = fs.find_first(
        fs.root_tree,
        Key::new(id, ROOT_ITEM_KEY, 0),
        Key::new(id, ROOT_ITEM_KEY, u64::MAX),
    )?
    else {
        return Ok(None);
    };
    parse(id, &b).map(Some)
}

/// A root item's fields (`id` names the tree in errors).
pub fn parse(id: u64, b: &[u8]) -> Result<RootItem> {
    if b.len() < ROOT_ITEM_MIN {
        return Err(corrupt(format_args!("root item {}: too short", id)));
    }
    let item = RootItem {
        root_dirid: le64(b, 168),
        bytenr: le64(b, 176),
        bytes_used: le64(b, 192),
        level: u8_at(b, 238),
        refs: le32(b, 216),
    };
    if item.level >= super::tree::MAX_LEVEL {
        return Err(corrupt(format_args!(
            "root item {}: level {}",
            id, item.level
        )));
    }
    Ok(item)
}

/// The subvolume a mount without `subvol=` or `subvolid=` shows: the top level, unless
/// `btrfs subvolume set-default` named another (the "default" entry of the root tree's
/// directory).
pub fn default_subvolume(fs: &BtrfsFs) -> Result<u64> {
    let key = Key::new(ROOT_TREE_DIR, dir::DIR_ITEM_KEY, dir::name_hash(b"default"));
    if let Some((_, d)) = fs.find_first(fs.root_tree, key, key)? {
        for e in dir::parse(&d, ROOT_TREE_DIR)? {
            if e.name == b"default" {
                return Ok(e.location.objectid);
            }
        }
    }
    Ok(FS_TREE)
}
