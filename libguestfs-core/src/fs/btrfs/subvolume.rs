//! Subvolumes and snapshots: the filesystem trees the root tree lists (`ROOT_ITEM` of the top
//! level, 5, and of ids from 256), where each hangs (`ROOT_REF` from parent to child,
//! `ROOT_BACKREF` from child to parent: the directory and name of its entry), and the inode
//! handles that say which tree an inode is in.
//!
//! A directory entry whose location is a `ROOT_ITEM` is a subvolume boundary: the kernel shows
//! the subvolume's root directory there, or, when the parent holds no `ROOT_REF` for that
//! entry (a snapshot of a subvolume that had nested ones) or the subvolume is gone, an empty
//! read-only placeholder directory numbered 2.

use super::root::{self, FIRST_FREE_OBJECTID, FS_TREE, LAST_FS_TREE_ID, ROOT_ITEM_KEY};
use super::{corrupt, BtrfsFs, Key};
use crate::bytes::{le16, le64, try_slice};
use crate::error::{Error, Result};
use crate::fs::Ino;
use std::collections::HashMap;

/// `BTRFS_EMPTY_SUBVOL_DIR_OBJECTID`: the placeholder directory's inode number.
pub const EMPTY_SUBVOL_DIR: u64 = 2;
/// `BTRFS_INODE_REF_KEY`: an inode's name in its parent directory.
const INODE_REF_KEY: u8 = 12;
/// A handle is the tree's index above the inode's objectid.
const OBJECTID_BITS: u32 = 48;
/// Trees a handle can name.
const MAX_TREES: usize = 1 << (64 - OBJECTID_BITS);
/// Directories walked up from a subvolume to the top (the kernel's paths are at most
/// `PATH_MAX` bytes, so at most half as many components).
const MAX_DEPTH: usize = 2048;

/// A subvolume's entry in its parent (`ROOT_REF` or `ROOT_BACKREF` data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ref {
    pub parent: u64,
    /// The directory (in the parent's tree) that holds the entry.
    pub dirid: u64,
    pub name: Vec<u8>,
}

/// One filesystem tree: the top level or a subvolume or snapshot.
#[derive(Debug, Clone)]
pub struct Tree {
    pub id: u64,
    /// Address and level of its root node.
    pub root: (u64, u8),
    pub root_dirid: u64,
    pub backref: Option<Ref>,
}

/// What `btrfs subvolume list` prints of a subvolume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubvolumeInfo {
    pub id: u64,
    /// The subvolume it is in.
    pub top_level: u64,
    pub path: Vec<u8>,
}

/// Every live filesystem tree, by id (the top level first), and the `ROOT_REF`s.
#[derive(Default)]
pub struct Trees {
    pub list: Vec<Tree>,
    refs: HashMap<(u64, u64), Ref>,
}

fn parse_ref(parent: u64, b: &[u8], what: &Key) -> Result<Ref> {
    let bad = || {
        corrupt(format_args!(
            "root tree item ({} {} {}): truncated",
            what.objectid, what.ty, what.offset
        ))
    };
    let head = try_slice(b, 0, 18).ok_or_else(bad)?;
    let name = try_slice(b, 18, usize::from(le16(head, 16))).ok_or_else(bad)?;
    Ok(Ref {
        parent,
        dirid: le64(head, 0),
        name: name.to_vec(),
    })
}

impl Trees {
    /// Reads the trees and references from the root tree (one walk over its fs-tree ids).
    pub fn read(fs: &BtrfsFs) -> Result<Trees> {
        let mut trees = Trees::default();
        let mut backrefs = HashMap::new();
        fs.walk(
            fs.root_tree.0,
            fs.root_tree.1,
            Key::new(FS_TREE, 0, 0),
            Key::new(LAST_FS_TREE_ID, u8::MAX, u64::MAX),
            &mut |k, d| {
                if k.objectid != FS_TREE && k.objectid < FIRST_FREE_OBJECTID {
                    return Ok(true);
                }
                match k.ty {
                    ROOT_ITEM_KEY => {
                        let item = root::parse(k.objectid, d)?;
                        // A deleted subvolume waiting for cleanup is no longer visible.
                        if item.refs > 0 || k.objectid == FS_TREE {
                            if trees.list.last().is_some_and(|t| t.id == k.objectid) {
                                return Err(corrupt(format_args!(
                                    "tree {}: several root items",
                                    k.objectid
                                )));
                            }
                            trees.list.push(Tree {
                                id: k.objectid,
                                root: (item.bytenr, item.level),
                                root_dirid: item.root_dirid,
                                backref: None,
                            });
                        }
                    }
                    root::ROOT_BACKREF_KEY => {
                        backrefs.insert(k.objectid, parse_ref(k.offset, d, &k)?);
                    }
                    root::ROOT_REF_KEY => {
                        let r = parse_ref(k.objectid, d, &k)?;
                        trees.refs.insert((k.objectid, k.offset), r);
                    }
                    _ => {}
                }
                Ok(true)
            },
        )?;
        if trees.list.len() > MAX_TREES {
            return Err(Error::new(
                libc::ENOTSUP,
                format!(
                    "btrfs: {} subvolumes (at most {} are read natively)",
                    trees.list.len(),
                    MAX_TREES
                ),
            ));
        }
        if trees.list.first().is_none_or(|t| t.id != FS_TREE) {
            return Err(corrupt("no top-level filesystem tree"));
        }
        for t in &mut trees.list {
            t.backref = backrefs.remove(&t.id);
        }
        Ok(trees)
    }

    /// The index of tree `id`.
    pub fn index(&self, id: u64) -> Option<usize> {
        self.list.binary_search_by_key(&id, |t| t.id).ok()
    }

    /// The `ROOT_REF` of `child` in `parent`.
    pub fn root_ref(&self, parent: u64, child: u64) -> Option<&Ref> {
        self.refs.get(&(parent, child))
    }
}

/// The handle of inode `objectid` of tree number `tree`.
pub fn handle(tree: usize, objectid: u64) -> Result<Ino> {
    if objectid >> OBJECTID_BITS != 0 {
        return Err(corrupt(format_args!(
            "inode {}: number too large",
            objectid
        )));
    }
    Ok(((tree as u64) << OBJECTID_BITS) | objectid)
}

/// The tree number and objectid of a handle.
pub fn split(handle: Ino) -> (usize, u64) {
    (
        (handle >> OBJECTID_BITS) as usize,
        handle & ((1 << OBJECTID_BITS) - 1),
    )
}

impl BtrfsFs {
    /// The path of directory `dirid` from the root of tree number `tree` (empty for the root),
    /// from the `INODE_REF`s up (a directory has one name).
    fn dir_path(&self, tree: usize, dirid: u64) -> Result<Vec<Vec<u8>>> {
        let top = self.trees.list.get(tree).map_or(0, |t| t.root_dirid);
        let mut names = Vec::new();
        let mut ino = dirid;
        while ino != top {
            if names.len() >= MAX_DEPTH {
                return Err(corrupt(format_args!(
                    "tree {}: directory {} is too deep or in a loop",
                    self.trees.list.get(tree).map_or(0, |t| t.id),
                    dirid
                )));
            }
            let Some((k, d)) = self.find_first(
                self.tree_root(tree),
                Key::new(ino, INODE_REF_KEY, 0),
                Key::new(ino, INODE_REF_KEY, u64::MAX),
            )?
            else {
                return Err(corrupt(format_args!("directory {}: no name", ino)));
            };
            let head = try_slice(&d, 0, 10)
                .ok_or_else(|| corrupt(format_args!("directory {}: bad name item", ino)))?;
            let name = try_slice(&d, 10, usize::from(le16(head, 8)))
                .ok_or_else(|| corrupt(format_args!("directory {}: bad name item", ino)))?;
            names.push(name.to_vec());
            ino = k.offset;
        }
        names.reverse();
        Ok(names)
    }

    /// The path of subvolume `id` as `btrfs subvolume list` prints it on a mount of subvolume
    /// `mounted`: from the mounted subvolume when it is below it, else from the top level.
    /// None for a subvolume that hangs nowhere.
    pub(super) fn subvolume_path(&self, id: u64, mounted: u64) -> Result<Option<Vec<u8>>> {
        let mut parts: Vec<Vec<u8>> = Vec::new();
        let mut at = id;
        let mut steps = 0;
        while at != FS_TREE && at != mounted || at == id {
            let Some(t) = self.trees.index(at).and_then(|i| self.trees.list.get(i)) else {
                return Ok(None);
            };
            let Some(r) = &t.backref else {
                return Ok(None);
            };
            steps += 1;
            if steps > self.trees.list.len() {
                return Err(corrupt(format_args!(
                    "subvolume {}: its parents form a loop",
                    id
                )));
            }
            let Some(parent) = self.trees.index(r.parent) else {
                return Ok(None);
            };
            parts.push(r.name.clone());
            for d in self.dir_path(parent, r.dirid)?.into_iter().rev() {
                parts.push(d);
            }
            at = r.parent;
            if at == id {
                return Err(corrupt(format_args!(
                    "subvolume {}: its parents form a loop",
                    id
                )));
            }
        }
        parts.reverse();
        Ok(Some(parts.join(&b'/')))
    }

    /// The subvolumes as `btrfs subvolume list` prints them for a path in subvolume `mounted`
    /// (id order; the top level is not one of them).
    pub fn subvolumes(&self, mounted: u64) -> Result<Vec<SubvolumeInfo>> {
        let mut out = Vec::new();
        for t in self.trees.list.iter().skip(1) {
            let (Some(r), Some(path)) = (&t.backref, self.subvolume_path(t.id, mounted)?) else {
                continue;
            };
            out.push(SubvolumeInfo {
                id: t.id,
                top_level: r.parent,
                path,
            });
        }
        Ok(out)
    }
}
