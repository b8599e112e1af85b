//! The root tree: where each tree starts, the subvolumes and the default one.

use super::{corrupt, dir, BtrfsFs, Key};
use crate::bytes::{le64, u8_at};
use crate::error::{Error, Result};

pub const ROOT_ITEM_KEY: u8 = 132;
pub const EXTENT_TREE: u64 = 2;
pub const FS_TREE: u64 = 5;
const ROOT_TREE_DIR: u64 = 6;
pub const CSUM_TREE: u64 = 7;
pub const FREE_SPACE_TREE: u64 = 10;
pub const BLOCK_GROUP_TREE: u64 = 11;
/// Subvolume and snapshot ids run from here to `LAST_FREE_OBJECTID`.
const FIRST_FREE_OBJECTID: u64 = 256;
const LAST_FREE_OBJECTID: u64 = u64::MAX - 255;
const ROOT_ITEM_MIN: usize = 239;

/// A tree's root item: where the tree starts and how much it occupies.
#[derive(Debug, Clone, Copy)]
pub struct RootItem {
    pub root_dirid: u64,
    pub bytenr: u64,
    pub bytes_used: u64,
    pub level: u8,
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
    if b.len() < ROOT_ITEM_MIN {
        return Err(corrupt(format_args!("root item {}: too short", id)));
    }
    let item = RootItem {
        root_dirid: le64(&b, 168),
        bytenr: le64(&b, 176),
        bytes_used: le64(&b, 192),
        level: u8_at(&b, 238),
    };
    if item.level >= super::tree::MAX_LEVEL {
        return Err(corrupt(format_args!(
            "root item {}: level {}",
            id, item.level
        )));
    }
    Ok(Some(item))
}

/// The tree a mount without options shows: the top level, unless a default subvolume is
/// set. Subvolumes other than the top level are refused (see the module's documentation).
pub fn mounted_subvolume(fs: &BtrfsFs) -> Result<RootItem> {
    let mut subvolume = None;
    fs.walk(
        fs.root_tree.0,
        fs.root_tree.1,
        Key::new(FIRST_FREE_OBJECTID, ROOT_ITEM_KEY, 0),
        Key::new(LAST_FREE_OBJECTID, ROOT_ITEM_KEY, u64::MAX),
        &mut |k, _| {
            if k.ty == ROOT_ITEM_KEY {
                subvolume = Some(k.objectid);
                return Ok(false);
            }
            Ok(true)
        },
    )?;
    if let Some(id) = subvolume {
        return Err(Error::new(
            libc::ENOTSUP,
            format!(
                "btrfs: subvolume {} (subvolumes and snapshots are not read natively)",
                id
            ),
        ));
    }
    let key = Key::new(ROOT_TREE_DIR, dir::DIR_ITEM_KEY, dir::name_hash(b"default"));
    if let Some((_, d)) = fs.find_first(fs.root_tree, key, key)? {
        for e in dir::parse(&d, ROOT_TREE_DIR)? {
            if e.name == b"default" && e.location.objectid != FS_TREE {
                return Err(Error::new(
                    libc::ENOTSUP,
                    format!(
                        "btrfs: default subvolume {} (subvolumes are not read natively)",
                        e.location.objectid
                    ),
                ));
            }
        }
    }
    find(fs, FS_TREE)?.ok_or_else(|| corrupt("no top-level filesystem tree"))
}
