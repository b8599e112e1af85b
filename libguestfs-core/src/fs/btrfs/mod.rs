//! btrfs, read natively (single device, SINGLE and DUP profiles, every subvolume).
//!
//! The reader answers like the kernel's btrfs driver on a read-only mount: `stat` fields,
//! directory contents in readdir's order (`DIR_INDEX` order), file data from inline, regular,
//! compressed (zlib, LZO, zstd) and preallocated extents and holes, symlinks, extended
//! attributes and `statfs`. It shows the default subvolume, or the one `subvol=` /
//! `subvolid=` selects ([`Selection`]), and crosses into subvolumes and snapshots below it as
//! the kernel does: inode handles carry the tree (see [`subvolume`]), a subvolume's root is
//! inode 256 of its own tree with its own `st_dev` ([`Filesystem::device_part`]).
//! What it does not read is refused with ENOTSUP at open time, and [`refusal`] says why so
//! that `auto` uses the appliance: several devices or a striped or mirrored profile, a tree
//! log to replay, unknown incompatible features, more subvolumes than handles can name.
//!
//! Layout, one on-disk structure per file: [`superblock`], [`chunk`] (logical to physical
//! addresses), [`tree`] (checked nodes, key-range walks), [`root`] (the root tree: root items
//! and the default subvolume), [`subvolume`] (the filesystem trees, their references and
//! paths), [`inode`], [`dir`] (directory and xattr items), [`extent`] (file extents),
//! [`compress`] and [`lzo`], [`space`] (what `statfs` reports).

mod chunk;
mod compress;
mod dir;
mod extent;
mod inode;
mod lzo;
mod root;
mod space;
mod subvolume;
mod superblock;
mod tree;

pub use subvolume::SubvolumeInfo;

use super::{DirEntry, FileType, Filesystem, Ino};
use crate::block::Device;
use crate::error::{Error, Result};
use crate::fs::UnixMode;
use crate::types::{StatNs, StatVfs};
use chunk::ChunkMap;
use extent::{Data, FileExtent};
use guestfs_protocol::lossless;
use inode::Inode;
use std::collections::HashMap;
use std::fmt::Display;
use std::sync::{Arc, Mutex, OnceLock};
use superblock::Superblock;
use tree::Node;

/// `BTRFS_NAME_LEN`.
const NAME_LEN: i64 = 255;
/// Tree blocks and inodes kept in memory, dropped all at once when full.
const CACHE_ENTRIES: usize = 4096;
/// Directories with more entries than this keep a name index for lookups.
const LOOKUP_INDEX_MIN: usize = 64;

pub(crate) fn corrupt(what: impl Display) -> Error {
    Error::corrupt(format!("btrfs: {}", what))
}

/// The checksum of tree blocks and the superblock (crc32c with the usual inversions).
fn crc32c(data: &[u8]) -> u32 {
    !super::crc32c::crc32c(!0, data)
}

/// A B-tree key: (objectid, type, offset), ordered in that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub objectid: u64,
    pub ty: u8,
    pub offset: u64,
}

impl Key {
    pub const SIZE: usize = 17;

    pub fn parse(b: &[u8]) -> Key {
        Key {
            objectid: crate::bytes::le64(b, 0),
            ty: crate::bytes::u8_at(b, 8),
            offset: crate::bytes::le64(b, 9),
        }
    }

    pub fn new(objectid: u64, ty: u8, offset: u64) -> Key {
        Key {
            objectid,
            ty,
            offset,
        }
    }
}

type NameIndex = HashMap<Vec<u8>, Ino>;

/// A btrfs filesystem opened read-only.
pub struct BtrfsFs {
    dev: Device,
    sb: Superblock,
    chunks: ChunkMap,
    /// The root tree (address, level).
    root_tree: (u64, u8),
    /// The filesystem trees; inode handles carry an index into them.
    trees: subvolume::Trees,
    /// The index of the subvolume the mount shows.
    mounted: usize,
    root_dir: Ino,
    statvfs: OnceLock<StatVfs>,
    nodes: Mutex<HashMap<u64, Arc<Node>>>,
    inodes: Mutex<HashMap<Ino, Arc<Inode>>>,
    extents: Mutex<Option<(Ino, Arc<Vec<FileExtent>>)>>,
    /// The compressed extent decompressed last (disk address, bytes).
    decompressed: Mutex<Option<(u64, Arc<Vec<u8>>)>>,
    names: Mutex<Option<(Ino, Arc<NameIndex>)>>,
}

fn read_superblock(dev: &Device) -> Result<Superblock> {
    let mut b = vec![0u8; superblock::SUPER_SIZE];
    dev.read_exact_at(&mut b, superblock::SUPER_OFFSET)
        .map_err(|e| corrupt(format!("superblock: {}", e)))?;
    Superblock::parse(&b)
}

/// Why the native backend does not read the btrfs filesystem on `dev`, or None when it
/// does (or when it is too damaged to say: opening it then gives the error).
pub fn refusal(dev: &Device) -> Option<String> {
    match BtrfsFs::open(dev.clone()) {
        Err(e) if e.errno == libc::ENOTSUP => Some(
            e.message
                .strip_prefix("btrfs: ")
                .unwrap_or(&e.message)
                .to_string(),
        ),
        _ => None,
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Which subvolume a mount shows: mount options `subvol=PATH` (from the top level) and
/// `subvolid=ID`; neither means the default subvolume.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub path: Option<String>,
    pub id: Option<u64>,
}

impl BtrfsFs {
    /// Opens the default subvolume, as a mount without options.
    pub fn open(dev: Device) -> Result<BtrfsFs> {
        Self::open_subvolume(dev, &Selection::default())
    }

    /// Opens the subvolume `which` selects, as the kernel mounts it (errors: ENOENT for no
    /// such subvolume, EINVAL for a path that is not a subvolume or disagrees with the id).
    pub fn open_subvolume(dev: Device, which: &Selection) -> Result<BtrfsFs> {
        let sb = read_superblock(&dev)?;
        // The kernel refuses a device smaller than its item says (a truncated image).
        if sb.dev_total_bytes > dev.size() {
            return Err(corrupt(format_args!(
                "the filesystem ({} bytes) is larger than its device ({} bytes)",
                sb.dev_total_bytes,
                dev.size()
            )));
        }
        let chunks = ChunkMap::from_sys_array(&sb.sys_chunk_array, dev.size())?;
        let mut fs = BtrfsFs {
            dev,
            chunks,
            root_tree: (sb.root, sb.root_level),
            trees: subvolume::Trees::default(),
            mounted: 0,
            root_dir: 0,
            statvfs: OnceLock::new(),
            nodes: Mutex::new(HashMap::new()),
            inodes: Mutex::new(HashMap::new()),
            extents: Mutex::new(None),
            decompressed: Mutex::new(None),
            names: Mutex::new(None),
            sb,
        };
        let mut items = Vec::new();
        fs.walk(
            fs.sb.chunk_root,
            fs.sb.chunk_root_level,
            Key::new(0, 0, 0),
            Key::new(u64::MAX, u8::MAX, u64::MAX),
            &mut |k, d| {
                if k.ty == chunk::CHUNK_ITEM_KEY {
                    items.push((k.offset, d.to_vec()));
                }
                Ok(true)
            },
        )?;
        let dev_size = fs.dev.size();
        for (logical, data) in items {
            fs.chunks.add(logical, &data, dev_size)?;
        }
        fs.trees = subvolume::Trees::read(&fs)?;
        fs.root_dir = fs.tree_root_dir(0)?;
        if !fs.inode(fs.root_dir)?.is_dir() {
            return Err(corrupt("the root inode is not a directory"));
        }
        let mounted = fs.select(which)?;
        fs.mounted = mounted;
        fs.root_dir = fs.tree_root_dir(mounted)?;
        if !fs.inode(fs.root_dir)?.is_dir() {
            return Err(corrupt("the root inode is not a directory"));
        }
        Ok(fs)
    }

    /// The index of the tree `which` selects.
    fn select(&self, which: &Selection) -> Result<usize> {
        let invalid = |what: String| Error::new(libc::EINVAL, format!("btrfs: {}", what));
        let by_path = match &which.path {
            Some(p) => Some(self.subvolume_at(p)?),
            None => None,
        };
        let id = match (which.id, by_path) {
            (Some(0), _) => Some(root::FS_TREE),
            (id, _) => id,
        };
        match (id, by_path) {
            (Some(id), Some(t)) if self.trees.list.get(t).map(|t| t.id) != Some(id) => {
                Err(invalid(format!("subvol and subvolid={} disagree", id)))
            }
            (_, Some(t)) => Ok(t),
            (Some(id), None) => self
                .trees
                .index(id)
                .ok_or_else(|| Error::new(libc::ENOENT, format!("btrfs: no subvolume {}", id))),
            (None, None) => {
                let id = root::default_subvolume(self)?;
                self.trees.index(id).ok_or_else(|| {
                    corrupt(format_args!("the default subvolume {} does not exist", id))
                })
            }
        }
    }

    /// The tree whose root `path` (from the top level) names, as `subvol=` is resolved.
    fn subvolume_at(&self, path: &str) -> Result<usize> {
        let mut at = self.tree_root_dir(0)?;
        for name in path.split('/').filter(|c| !c.is_empty() && *c != ".") {
            at = self.lookup(at, name)?.ok_or_else(|| {
                Error::new(
                    libc::ENOENT,
                    format!("btrfs: subvol={}: no such file", path),
                )
            })?;
        }
        let (tree, objectid) = subvolume::split(at);
        if self.trees.list.get(tree).map(|t| t.root_dirid) != Some(objectid) {
            return Err(Error::new(
                libc::EINVAL,
                format!("btrfs: '{}' is not a valid subvolume", path),
            ));
        }
        Ok(tree)
    }

    /// The handle of the root directory of tree number `tree`.
    fn tree_root_dir(&self, tree: usize) -> Result<Ino> {
        let t = self
            .trees
            .list
            .get(tree)
            .ok_or_else(|| corrupt(format_args!("no tree number {}", tree)))?;
        subvolume::handle(tree, t.root_dirid)
    }

    /// The root node (address, level) of tree number `tree`.
    fn tree_root(&self, tree: usize) -> (u64, u8) {
        self.trees.list.get(tree).map_or((0, 0), |t| t.root)
    }

    /// The id of the subvolume the mount shows.
    pub fn mounted_subvolume(&self) -> u64 {
        self.trees
            .list
            .get(self.mounted)
            .map_or(root::FS_TREE, |t| t.id)
    }

    /// The default subvolume's id (`btrfs subvolume get-default`).
    pub fn default_subvolume(&self) -> Result<u64> {
        root::default_subvolume(self)
    }

    /// The handle a directory entry of `dir` leads to: the subvolume's root across a boundary
    /// (or the placeholder when the parent holds no matching `ROOT_REF` or the subvolume is
    /// gone, as `fixup_tree_root_location` does), else the inode in the same tree.
    fn entry_target(&self, dir: Ino, e: &dir::DirItem) -> Result<Ino> {
        let (tree, dir_objectid) = subvolume::split(dir);
        if e.location.ty != root::ROOT_ITEM_KEY {
            return subvolume::handle(tree, e.location.objectid);
        }
        let parent = self.trees.list.get(tree).map_or(0, |t| t.id);
        let child = e.location.objectid;
        let linked = self
            .trees
            .root_ref(parent, child)
            .is_some_and(|r| r.dirid == dir_objectid && r.name == e.name);
        match self.trees.index(child) {
            Some(t) if linked => self.tree_root_dir(t),
            _ => subvolume::handle(tree, subvolume::EMPTY_SUBVOL_DIR),
        }
    }

    /// Reads `buf.len()` bytes at logical address `logical` (within one chunk).
    fn read_logical(&self, logical: u64, buf: &mut [u8], what: &dyn Fn() -> String) -> Result<()> {
        let Some(phys) = self.chunks.map(logical, buf.len() as u64) else {
            return Err(corrupt(format_args!(
                "{}: logical address {} (+{}) in no chunk",
                what(),
                logical,
                buf.len()
            )));
        };
        self.dev
            .read_exact_at(buf, phys)
            .map_err(|e| corrupt(format_args!("{}: read at byte {}: {}", what(), phys, e)))
    }

    /// The checked tree block at `logical`, which must be at `level`.
    fn node(&self, logical: u64, level: u8) -> Result<Arc<Node>> {
        if let Some(n) = lock(&self.nodes).get(&logical) {
            if n.level != level {
                return Err(corrupt(format_args!(
                    "tree block {}: level {}, expected {}",
                    logical, n.level, level
                )));
            }
            return Ok(n.clone());
        }
        // Like the kernel, a copy that fails its checks is replaced by the other (DUP).
        let Some(mirrors) = self.chunks.mirrors(logical, u64::from(self.sb.nodesize)) else {
            return Err(corrupt(format_args!(
                "tree block {}: logical address in no chunk",
                logical
            )));
        };
        let mut first_err = None;
        let mut node = None;
        for (i, phys) in mirrors.iter().enumerate() {
            if i > 0 && *phys == mirrors[0] {
                break;
            }
            let mut buf = vec![0u8; self.sb.nodesize as usize];
            let read = self.dev.read_exact_at(&mut buf, *phys).map_err(|e| {
                corrupt(format_args!(
                    "tree block {}: read at byte {}: {}",
                    logical, phys, e
                ))
            });
            match read.and_then(|()| Node::parse(self, logical, Arc::new(buf), level)) {
                Ok(n) => {
                    node = Some(Arc::new(n));
                    break;
                }
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        let Some(node) = node else {
            return Err(first_err.unwrap_or_else(|| corrupt("tree block unreadable")));
        };
        let mut cache = lock(&self.nodes);
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(logical, node.clone());
        Ok(node)
    }

    fn inode(&self, ino: Ino) -> Result<Arc<Inode>> {
        if let Some(i) = lock(&self.inodes).get(&ino) {
            return Ok(i.clone());
        }
        let (tree, objectid) = subvolume::split(ino);
        let inode = if objectid == subvolume::EMPTY_SUBVOL_DIR {
            Arc::new(Inode::empty_subvolume_dir(ino))
        } else {
            let key = Key::new(objectid, inode::INODE_ITEM_KEY, 0);
            let Some((_, data)) = self.find_first(self.tree_root(tree), key, key)? else {
                return Err(corrupt(format_args!("inode {} not found", objectid)));
            };
            Arc::new(Inode::parse(ino, objectid, &data)?)
        };
        let mut cache = lock(&self.inodes);
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(ino, inode.clone());
        Ok(inode)
    }

    fn dir_inode(&self, ino: Ino) -> Result<Arc<Inode>> {
        let inode = self.inode(ino)?;
        if !inode.is_dir() {
            return Err(Error::new(
                libc::ENOTDIR,
                crate::error::strerror(libc::ENOTDIR),
            ));
        }
        Ok(inode)
    }

    /// All items of `ty` for the object a handle names, in its tree (none for the
    /// placeholder directory, which has no items).
    fn items_of(
        &self,
        handle: Ino,
        ty: u8,
        f: &mut dyn FnMut(Key, &[u8]) -> Result<bool>,
    ) -> Result<()> {
        let (tree, id) = subvolume::split(handle);
        if id == subvolume::EMPTY_SUBVOL_DIR {
            return Ok(());
        }
        let root = self.tree_root(tree);
        self.walk(
            root.0,
            root.1,
            Key::new(id, ty, 0),
            Key::new(id, ty, u64::MAX),
            f,
        )
    }

    fn dir_entries(&self, dir: Ino) -> Result<Vec<dir::DirItem>> {
        let mut out = Vec::new();
        self.items_of(dir, dir::DIR_INDEX_KEY, &mut |_, d| {
            let mut items = dir::parse(d, dir)?;
            if items.len() != 1 {
                return Err(corrupt(format_args!("directory {}: bad index item", dir)));
            }
            out.append(&mut items);
            Ok(true)
        })?;
        Ok(out)
    }

    fn file_extents(&self, inode: &Inode) -> Result<Arc<Vec<FileExtent>>> {
        let mut cache = lock(&self.extents);
        if let Some((ino, ext)) = cache.as_ref() {
            if *ino == inode.handle {
                return Ok(ext.clone());
            }
        }
        let mut out: Vec<FileExtent> = Vec::new();
        self.items_of(inode.handle, extent::EXTENT_DATA_KEY, &mut |k, d| {
            let e = FileExtent::parse(inode.ino, k.offset, d)?;
            if out.last().is_some_and(|p| p.end() > e.off) {
                return Err(corrupt(format_args!(
                    "inode {}: overlapping extents at {}",
                    inode.ino, e.off
                )));
            }
            out.push(e);
            Ok(true)
        })?;
        let ext = Arc::new(out);
        *cache = Some((inode.handle, ext.clone()));
        Ok(ext)
    }

    /// The decompressed bytes of a compressed extent (`ram_bytes`, zero-filled if short).
    fn decompress(
        &self,
        ino: Ino,
        kind: u8,
        disk: u64,
        input: &[u8],
        ram: u64,
    ) -> Result<Arc<Vec<u8>>> {
        if disk != 0 {
            if let Some((at, bytes)) = lock(&self.decompressed).as_ref() {
                if *at == disk {
                    return Ok(bytes.clone());
                }
            }
        }
        let Some(mut out) =
            compress::decompress(kind, input, self.sb.sectorsize as usize, ram as usize)
        else {
            return Err(corrupt(format_args!(
                "inode {}: compressed extent at {} does not decompress",
                ino, disk
            )));
        };
        out.resize(ram as usize, 0);
        let out = Arc::new(out);
        if disk != 0 {
            *lock(&self.decompressed) = Some((disk, out.clone()));
        }
        Ok(out)
    }

    fn read_data(&self, inode: &Inode, offset: u64, buf: &mut [u8]) -> Result<usize> {
        if offset >= inode.size || buf.is_empty() {
            return Ok(0);
        }
        let n = (buf.len() as u64).min(inode.size - offset) as usize;
        let buf = buf.get_mut(..n).unwrap_or(&mut []);
        buf.fill(0);
        let end = offset + n as u64;
        let extents = self.file_extents(inode)?;
        let first = extents.partition_point(|e| e.end() <= offset);
        for e in extents.get(first..).unwrap_or(&[]) {
            if e.off >= end {
                break;
            }
            let s = e.off.max(offset);
            let t = e.end().min(end);
            let Some(dst) = buf.get_mut((s - offset) as usize..(t - offset) as usize) else {
                return Err(corrupt(format_args!(
                    "inode {}: extent at {}",
                    inode.ino, e.off
                )));
            };
            let within = s - e.off;
            match &e.data {
                Data::Zeros => {}
                Data::Inline {
                    compression,
                    ram_bytes,
                    bytes,
                } => {
                    let plain;
                    let src: &[u8] = if *compression == compress::COMPRESS_NONE {
                        bytes
                    } else {
                        plain = self.decompress(inode.ino, *compression, 0, bytes, *ram_bytes)?;
                        &plain
                    };
                    copy_from(dst, src, within);
                }
                Data::Regular {
                    compression,
                    disk_bytenr,
                    disk_num_bytes,
                    offset: ext_off,
                    ram_bytes,
                } => {
                    let what = || format!("inode {}: data at byte {}", inode.ino, s);
                    if *compression == compress::COMPRESS_NONE {
                        let at = disk_bytenr
                            .checked_add(*ext_off)
                            .and_then(|a| a.checked_add(within))
                            .ok_or_else(|| corrupt(what()))?;
                        self.read_logical(at, dst, &what)?;
                    } else {
                        let mut raw = vec![0u8; *disk_num_bytes as usize];
                        let cached = lock(&self.decompressed)
                            .as_ref()
                            .is_some_and(|(a, _)| a == disk_bytenr);
                        if !cached {
                            self.read_logical(*disk_bytenr, &mut raw, &what)?;
                        }
                        let plain = self.decompress(
                            inode.ino,
                            *compression,
                            *disk_bytenr,
                            &raw,
                            *ram_bytes,
                        )?;
                        copy_from(dst, &plain, ext_off.saturating_add(within));
                    }
                }
            }
        }
        Ok(n)
    }

    fn name_index(&self, dir: Ino) -> Result<Arc<NameIndex>> {
        let mut cache = lock(&self.names);
        if let Some((ino, names)) = cache.as_ref() {
            if *ino == dir {
                return Ok(names.clone());
            }
        }
        let mut names = NameIndex::new();
        for e in self.dir_entries(dir)? {
            let target = self.entry_target(dir, &e)?;
            names.insert(e.name, target);
        }
        let names = Arc::new(names);
        *cache = Some((dir, names.clone()));
        Ok(names)
    }
}

/// Copies into `dst` what `src` holds from `from` on (the rest of `dst` stays zero).
fn copy_from(dst: &mut [u8], src: &[u8], from: u64) {
    let from = usize::try_from(from).unwrap_or(usize::MAX);
    if let Some(src) = src.get(from..) {
        let k = src.len().min(dst.len());
        dst[..k].copy_from_slice(&src[..k]);
    }
}

impl Filesystem for BtrfsFs {
    fn fs_type(&self) -> &str {
        "btrfs"
    }

    fn root(&self) -> Ino {
        self.root_dir
    }

    fn stat(&self, ino: Ino) -> Result<StatNs> {
        Ok(self.inode(ino)?.stat(self.sb.sectorsize))
    }

    fn read_dir(&self, dir: Ino) -> Result<Vec<DirEntry>> {
        self.dir_inode(dir)?;
        self.dir_entries(dir)?
            .into_iter()
            .map(|e| {
                Ok(DirEntry {
                    ino: self.entry_target(dir, &e)?,
                    name: lossless::string_from(e.name),
                    file_type: FileType::from_dirent_type(e.file_type),
                })
            })
            .collect()
    }

    /// readdir numbers a subvolume's entry with the subvolume's id (its root is 256 to
    /// `stat`, the placeholder 2).
    fn dirent_ino(&self, dir: Ino, entry: &DirEntry) -> Ino {
        let (dir_tree, _) = subvolume::split(dir);
        let (tree, objectid) = subvolume::split(entry.ino);
        if objectid == subvolume::EMPTY_SUBVOL_DIR {
            let name = lossless::bytes_of(&entry.name);
            return self
                .dir_entries(dir)
                .ok()
                .and_then(|es| es.into_iter().find(|e| e.name == *name))
                .map_or(objectid, |e| e.location.objectid);
        }
        if tree != dir_tree {
            return self.trees.list.get(tree).map_or(objectid, |t| t.id);
        }
        objectid
    }

    fn lookup(&self, dir: Ino, name: &str) -> Result<Option<Ino>> {
        let inode = self.dir_inode(dir)?;
        let name = lossless::bytes_of(name);
        if name.len() > NAME_LEN as usize {
            return Err(Error::new(
                libc::ENAMETOOLONG,
                crate::error::strerror(libc::ENAMETOOLONG),
            ));
        }
        // A directory's size is twice the length of its names.
        if inode.size as usize > LOOKUP_INDEX_MIN * 32 {
            return Ok(self.name_index(dir)?.get(&*name).copied());
        }
        let (tree, objectid) = subvolume::split(dir);
        if objectid == subvolume::EMPTY_SUBVOL_DIR {
            return Ok(None);
        }
        let key = Key::new(objectid, dir::DIR_ITEM_KEY, dir::name_hash(&name));
        let Some((_, data)) = self.find_first(self.tree_root(tree), key, key)? else {
            return Ok(None);
        };
        match dir::parse(&data, objectid)?
            .into_iter()
            .find(|e| e.name == *name)
        {
            Some(e) => Ok(Some(self.entry_target(dir, &e)?)),
            None => Ok(None),
        }
    }

    fn read_link(&self, ino: Ino) -> Result<String> {
        let inode = self.inode(ino)?;
        if !inode.is_symlink() {
            return Err(Error::new(
                libc::EINVAL,
                crate::error::strerror(libc::EINVAL),
            ));
        }
        // The target is the file's (inline) data.
        let len = inode.size.min(4096) as usize;
        let mut buf = vec![0u8; len];
        let n = self.read_data(&inode, 0, &mut buf)?;
        buf.truncate(n);
        Ok(lossless::string_from(buf))
    }

    fn read_at(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let inode = self.inode(ino)?;
        inode.check_readable()?;
        self.read_data(&inode, offset, buf)
    }

    fn statvfs(&self) -> Result<StatVfs> {
        if let Some(s) = self.statvfs.get() {
            return Ok(*s);
        }
        let s = space::statvfs(self)?;
        Ok(*self.statvfs.get_or_init(|| s))
    }

    /// `f_fsid` names the subvolume the inode is in (the placeholder directory is in its
    /// parent's).
    fn statvfs_at(&self, ino: Ino) -> Result<StatVfs> {
        let mut s = self.statvfs()?;
        let (tree, _) = subvolume::split(ino);
        s.fsid = space::fsid(
            self,
            self.trees.list.get(tree).map_or(root::FS_TREE, |t| t.id),
        );
        Ok(s)
    }

    /// The superblock's; each subvolume then takes its own (`st_dev` of its files).
    fn anonymous_devices(&self) -> u32 {
        1
    }

    /// The top level, read whatever is mounted, then the subvolumes from there down to the
    /// mounted one (the kernel walks `subvol=` from the top).
    fn parts_at_mount(&self) -> Vec<u64> {
        let mut chain = Vec::new();
        let mut at = self.mounted_subvolume();
        while at != root::FS_TREE && chain.len() <= self.trees.list.len() {
            chain.push(at);
            let parent = self
                .trees
                .index(at)
                .and_then(|i| self.trees.list.get(i))
                .and_then(|t| t.backref.as_ref())
                .map(|r| r.parent);
            match parent {
                Some(p) => at = p,
                None => break,
            }
        }
        chain.push(root::FS_TREE);
        chain.reverse();
        chain
    }

    /// The subvolume's id; the placeholder directory is on the superblock's device.
    fn device_part(&self, ino: Ino) -> Option<u64> {
        let (tree, objectid) = subvolume::split(ino);
        if objectid == subvolume::EMPTY_SUBVOL_DIR {
            return Some(0);
        }
        Some(self.trees.list.get(tree).map_or(root::FS_TREE, |t| t.id))
    }

    fn xattrs(&self, ino: Ino) -> Result<Vec<(String, Vec<u8>)>> {
        self.inode(ino)?;
        let mut out = Vec::new();
        self.items_of(ino, dir::XATTR_ITEM_KEY, &mut |_, d| {
            for e in dir::parse(d, ino)? {
                out.push((lossless::string_from(e.name), e.data));
            }
            Ok(true)
        })?;
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}
