//! btrfs, read natively (single device, SINGLE and DUP profiles, the top-level subvolume).
//!
//! The reader answers like the kernel's btrfs driver on a read-only mount: `stat` fields,
//! directory contents in readdir's order (`DIR_INDEX` order), file data from inline, regular,
//! compressed (zlib, LZO, zstd) and preallocated extents and holes, symlinks, extended
//! attributes and `statfs`. What it does not read is refused with ENOTSUP at open time, and
//! [`refusal`] says why so that `auto` uses the appliance: several devices or a striped or
//! mirrored profile, a tree log to replay, unknown incompatible features, and subvolumes or
//! snapshots other than the top level (libguestfs lists each as a `btrfsvol:` mountable,
//! which the native backend does not do).
//!
//! Layout, one on-disk structure per file: [`superblock`], [`chunk`] (logical to physical
//! addresses), [`tree`] (checked nodes, key-range walks), [`root`] (the root tree: subvolumes
//! and the default one), [`inode`], [`dir`] (directory and xattr items), [`extent`] (file
//! extents), [`compress`] and [`lzo`], [`space`] (what `statfs` reports).

mod chunk;
mod compress;
mod dir;
mod extent;
mod inode;
mod lzo;
mod root;
mod space;
mod superblock;
mod tree;

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
    /// Root tree and the mounted subvolume's tree (address, level).
    root_tree: (u64, u8),
    fs_tree: (u64, u8),
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

impl BtrfsFs {
    pub fn open(dev: Device) -> Result<BtrfsFs> {
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
            fs_tree: (0, 0),
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
        let top = root::mounted_subvolume(&fs)?;
        fs.fs_tree = (top.bytenr, top.level);
        fs.root_dir = top.root_dirid;
        if !fs.inode(fs.root_dir)?.is_dir() {
            return Err(corrupt("the root inode is not a directory"));
        }
        Ok(fs)
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
        let key = Key::new(ino, inode::INODE_ITEM_KEY, 0);
        let Some((_, data)) = self.find_first(self.fs_tree, key, key)? else {
            return Err(corrupt(format_args!("inode {} not found", ino)));
        };
        let inode = Arc::new(Inode::parse(ino, &data)?);
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

    /// All items of `ty` for object `id` in the mounted tree.
    fn items_of(
        &self,
        id: u64,
        ty: u8,
        f: &mut dyn FnMut(Key, &[u8]) -> Result<bool>,
    ) -> Result<()> {
        self.walk(
            self.fs_tree.0,
            self.fs_tree.1,
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
            if *ino == inode.ino {
                return Ok(ext.clone());
            }
        }
        let mut out: Vec<FileExtent> = Vec::new();
        self.items_of(inode.ino, extent::EXTENT_DATA_KEY, &mut |k, d| {
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
        *cache = Some((inode.ino, ext.clone()));
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
        let names: NameIndex = self
            .dir_entries(dir)?
            .into_iter()
            .map(|e| (e.name, e.location.objectid))
            .collect();
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
        Ok(self
            .dir_entries(dir)?
            .into_iter()
            .map(|e| DirEntry {
                name: lossless::string_from(e.name),
                ino: e.location.objectid,
                file_type: FileType::from_dirent_type(e.file_type),
            })
            .collect())
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
        let key = Key::new(dir, dir::DIR_ITEM_KEY, dir::name_hash(&name));
        let Some((_, data)) = self.find_first(self.fs_tree, key, key)? else {
            return Ok(None);
        };
        Ok(dir::parse(&data, dir)?
            .into_iter()
            .find(|e| e.name == *name)
            .map(|e| e.location.objectid))
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

    /// The superblock's, then the mounted subvolume's (`st_dev` of its files).
    fn anonymous_devices(&self) -> u32 {
        2
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
