//! SquashFS 4.0, read natively.
//!
//! The reader answers like the kernel's squashfs driver: `stat` fields (the squashfs inode
//! number, uid/gid through the id table, `st_blocks` as `squashfs_read_inode` computes them,
//! atime and ctime equal to mtime), directory contents in readdir's order, file data with
//! holes and fragments, symlinks, device nodes and extended attributes (out-of-line values
//! included), and `statfs`. Older versions (blkid's `squashfs3`) are not read here; lzo and
//! legacy lzma compression, and xz with BCJ filters other than x86, are refused with ENOTSUP and
//! [`refusal`] says why, so that `auto` uses the appliance.
//!
//! Layout, one on-disk structure per file: [`superblock`], [`compress`] (the compressors;
//! [`xz`]: the xz container and its x86 BCJ filter),
//! [`metadata`] (metadata blocks and the tables made of them), [`inode`], [`dir`]
//! (listings and their index), [`fragment`], [`id`], [`xattr`] and [`data`] (file blocks).

mod compress;
mod data;
mod dir;
mod fragment;
mod id;
mod inode;
mod metadata;
mod superblock;
mod xattr;
mod xz;

use super::{DirEntry, FileType, Filesystem, Ino};
use crate::block::Device;
use crate::error::{Error, Result};
use crate::types::{StatNs, StatVfs};
use compress::Compressor;
use data::BlockList;
use guestfs_protocol::lossless;
use inode::{Inode, InodeRef, Kind};
use metadata::MetaBlock;
use std::collections::HashMap;
use std::fmt::Display;
use std::sync::{Arc, Mutex, MutexGuard};
use superblock::{Superblock, INVALID_BLK, SB_SIZE};

/// Metadata blocks and inodes kept in memory, at most this many each, dropped all at once
/// when full.
const META_CACHE_BLOCKS: usize = 4096;
/// Decompressed data blocks kept (at most 1 MiB each).
const DATA_CACHE_BLOCKS: usize = 8;
/// Entries of the export table (inode number → reference) per metadata block.
const EXPORT_ENTRY_SIZE: usize = 8;

/// A corruption error: EIO with a message saying what is wrong and where.
fn corrupt(what: impl Display) -> Error {
    Error::corrupt(format!("squashfs: {}", what))
}

fn errno(e: i32) -> Error {
    Error::new(e, crate::error::strerror(e))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Bounded caches of what was read.
#[derive(Default)]
struct Cache {
    meta: Mutex<HashMap<u64, Arc<MetaBlock>>>,
    data: Mutex<HashMap<u64, Arc<Vec<u8>>>>,
    inodes: Mutex<HashMap<InodeRef, Arc<Inode>>>,
    /// uids and gids read from the id table (at most 65536).
    ids: Mutex<HashMap<u16, u32>>,
    /// The block list of the file read last (reads come in chunks).
    blocks: Mutex<Option<(InodeRef, Arc<BlockList>)>>,
}

fn put<K: std::hash::Hash + Eq, V>(m: &Mutex<HashMap<K, V>>, max: usize, k: K, v: V) {
    let mut m = lock(m);
    if m.len() >= max {
        m.clear();
    }
    m.insert(k, v);
}

impl Cache {
    fn meta(&self, addr: u64) -> Option<Arc<MetaBlock>> {
        lock(&self.meta).get(&addr).cloned()
    }

    fn put_meta(&self, addr: u64, b: Arc<MetaBlock>) {
        put(&self.meta, META_CACHE_BLOCKS, addr, b)
    }

    fn data(&self, addr: u64) -> Option<Arc<Vec<u8>>> {
        lock(&self.data).get(&addr).cloned()
    }

    fn put_data(&self, addr: u64, b: Arc<Vec<u8>>) {
        put(&self.data, DATA_CACHE_BLOCKS, addr, b)
    }
}

/// A squashfs filesystem opened read-only.
pub struct SquashFs {
    dev: Device,
    sb: Superblock,
    root: Ino,
    /// Where each inode number seen in a directory lives (squashfs inode numbers say nothing
    /// of where the inode is; the export table, when there is one, does too). At most one
    /// entry per inode of the filesystem.
    refs: Mutex<HashMap<u32, InodeRef>>,
    cache: Cache,
}

fn read_superblock(dev: &Device) -> Result<Superblock> {
    let mut b = vec![0u8; SB_SIZE];
    dev.read_exact_at(&mut b, 0)
        .map_err(|e| corrupt(format!("superblock: {}", e)))?;
    Superblock::parse(&b, dev.size())
}

/// Why the native backend does not read the squashfs filesystem on `dev` (a compressor or
/// filter it cannot decode), or None when it does.
pub fn refusal(dev: &Device) -> Option<String> {
    match SquashFs::open(dev.clone()) {
        Err(e) if e.errno == libc::ENOTSUP => Some(
            e.message
                .strip_prefix("squashfs: ")
                .unwrap_or(&e.message)
                .to_string(),
        ),
        _ => None,
    }
}

impl SquashFs {
    pub fn open(dev: Device) -> Result<SquashFs> {
        let sb = read_superblock(&dev)?;
        let mut fs = SquashFs {
            dev,
            sb,
            root: 0,
            refs: Mutex::new(HashMap::new()),
            cache: Cache::default(),
        };
        let opts = if fs.sb.has_compressor_options() {
            let opts = fs.meta_block(SB_SIZE as u64)?;
            fs.sb.compressor.check_options(&opts.data)?;
            Some(opts)
        } else {
            None
        };
        fs.sb.xz_dict = Compressor::xz_dict(opts.as_ref().map(|o| &o.data[..]), fs.sb.block_size);
        let root = fs.inode_at(fs.sb.root_inode)?;
        if !root.is_dir() {
            return Err(corrupt("the root inode is not a directory"));
        }
        fs.root = Ino::from(root.ino);
        lock(&fs.refs).insert(root.ino, fs.sb.root_inode);
        Ok(fs)
    }

    fn read_bytes(&self, offset: u64, buf: &mut [u8], what: &str) -> Result<()> {
        if offset.saturating_add(buf.len() as u64) > self.sb.bytes_used {
            return Err(corrupt(format!(
                "{}: {} bytes at byte {} lie past the filesystem's end ({} bytes)",
                what,
                buf.len(),
                offset,
                self.sb.bytes_used
            )));
        }
        self.dev.read_exact_at(buf, offset).map_err(|e| {
            Error::new(
                libc::EIO,
                format!("squashfs: {}: read at byte {}: {}", what, offset, e),
            )
        })
    }

    /// The inode at a reference (cached).
    fn inode_at(&self, r: InodeRef) -> Result<Arc<Inode>> {
        if let Some(i) = lock(&self.cache.inodes).get(&r) {
            return Ok(i.clone());
        }
        let inode = Arc::new(self.read_inode(r)?);
        put(&self.cache.inodes, META_CACHE_BLOCKS, r, inode.clone());
        Ok(inode)
    }

    /// The inode numbered `ino`: where a directory listing said it is, else where the export
    /// table says.
    fn inode(&self, ino: Ino) -> Result<Arc<Inode>> {
        let known = u32::try_from(ino)
            .ok()
            .and_then(|n| lock(&self.refs).get(&n).copied());
        let r = match known {
            Some(r) => r,
            None => self.export_ref(ino)?,
        };
        let inode = self.inode_at(r)?;
        if Ino::from(inode.ino) != ino {
            return Err(corrupt(format!(
                "inode {} is numbered {} where it lies",
                ino, inode.ino
            )));
        }
        Ok(inode)
    }

    /// The reference of inode `ino` from the export table (`squashfs_inode_lookup`).
    fn export_ref(&self, ino: Ino) -> Result<InodeRef> {
        if ino == 0 || ino > u64::from(self.sb.inodes) || self.sb.lookup_table_start == INVALID_BLK
        {
            return Err(errno(libc::ENOENT));
        }
        let e = self.table_entry(
            self.sb.lookup_table_start,
            ino - 1,
            EXPORT_ENTRY_SIZE,
            "export table entry",
        )?;
        Ok(u64::from_le_bytes([
            e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7],
        ]))
    }

    fn dir_inode(&self, ino: Ino) -> Result<Arc<Inode>> {
        let inode = self.inode(ino)?;
        if !inode.is_dir() {
            return Err(errno(libc::ENOTDIR));
        }
        Ok(inode)
    }

    /// Remembers where the inodes of directory entries live.
    fn remember(&self, entries: &[dir::Entry]) {
        let mut refs = lock(&self.refs);
        for e in entries {
            // Bounded by the inode count: a hostile listing cannot grow the map further.
            if refs.len() < self.sb.inodes as usize || refs.contains_key(&e.ino) {
                refs.insert(e.ino, e.inode_ref);
            }
        }
    }

    fn cached_block_list(&self, inode: &Inode) -> Result<Arc<BlockList>> {
        let key = inode.block_list.block << 16 | inode.block_list.offset as u64;
        if let Some((k, list)) = lock(&self.cache.blocks).as_ref() {
            if *k == key {
                return Ok(list.clone());
            }
        }
        let list = Arc::new(self.block_list(inode)?);
        *lock(&self.cache.blocks) = Some((key, list.clone()));
        Ok(list)
    }

    /// `squashfs_statfs`.
    fn compute_statvfs(&self) -> StatVfs {
        let sb = &self.sb;
        let bsize = i64::from(sb.block_size);
        StatVfs {
            bsize,
            frsize: bsize,
            blocks: (((sb.bytes_used - 1) >> sb.block_log) + 1) as i64,
            bfree: 0,
            bavail: 0,
            files: i64::from(sb.inodes),
            ffree: 0,
            favail: 0,
            fsid: 0,
            flag: super::ST_RDONLY | super::ST_RELATIME,
            namemax: dir::NAME_LEN as i64,
        }
    }
}

impl Filesystem for SquashFs {
    fn fs_type(&self) -> &str {
        "squashfs"
    }

    fn root(&self) -> Ino {
        self.root
    }

    fn stat(&self, ino: Ino) -> Result<StatNs> {
        let inode = self.inode(ino)?;
        let uid = self.id(inode.uid_index)?;
        let gid = self.id(inode.gid_index)?;
        Ok(inode.stat(uid, gid))
    }

    fn read_dir(&self, dir: Ino) -> Result<Vec<DirEntry>> {
        let inode = self.dir_inode(dir)?;
        let entries = self.dir_entries(&inode, None)?;
        self.remember(&entries);
        Ok(entries
            .into_iter()
            .map(|e| DirEntry {
                name: lossless::string_from(e.name),
                ino: Ino::from(e.ino),
                file_type: e.file_type,
            })
            .collect())
    }

    /// `.` and `..` first, `..` being the parent the directory's inode records.
    fn read_dir_with_dots(&self, dir: Ino, _parent: Ino) -> Result<Vec<DirEntry>> {
        let inode = self.dir_inode(dir)?;
        let dot = |name: &str, ino| DirEntry {
            name: name.to_string(),
            ino,
            file_type: FileType::Directory,
        };
        let mut out = vec![dot(".", dir), dot("..", Ino::from(inode.parent))];
        out.extend(self.read_dir(dir)?);
        Ok(out)
    }

    fn lookup(&self, dir: Ino, name: &str) -> Result<Option<Ino>> {
        let inode = self.dir_inode(dir)?;
        let name = lossless::bytes_of(name);
        if name.len() > dir::NAME_LEN {
            return Err(errno(libc::ENAMETOOLONG));
        }
        let entries = self.dir_entries(&inode, Some(&name[..]))?;
        let Some(e) = entries.into_iter().find(|e| e.name == *name) else {
            return Ok(None);
        };
        self.remember(std::slice::from_ref(&e));
        Ok(Some(Ino::from(e.ino)))
    }

    fn read_link(&self, ino: Ino) -> Result<String> {
        let inode = self.inode(ino)?;
        if inode.kind != Kind::Symlink {
            return Err(errno(libc::EINVAL));
        }
        Ok(lossless::string_from(inode.target.clone()))
    }

    fn read_at(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let inode = self.inode(ino)?;
        match inode.kind {
            Kind::Dir => Err(errno(libc::EISDIR)),
            Kind::File => self.read_data(&inode, offset, buf),
            _ => Err(errno(libc::EINVAL)),
        }
    }

    fn statvfs(&self) -> Result<StatVfs> {
        Ok(self.compute_statvfs())
    }

    /// `squashfs_statfs` reports the device's number.
    fn fsid_is_device(&self) -> bool {
        true
    }

    fn xattrs(&self, ino: Ino) -> Result<Vec<(String, Vec<u8>)>> {
        let inode = self.inode(ino)?;
        if self.sb.xattr_id_table_start == INVALID_BLK && inode.has_listxattr() {
            // squashfs's listxattr fails on a filesystem made without attributes.
            return Err(errno(libc::EOPNOTSUPP));
        }
        // In on-disk order, as the kernel's listxattr gives them (the daemon keeps that
        // order).
        Ok(self
            .xattr_list(&inode)?
            .into_iter()
            .map(|(name, value)| (lossless::string_from(name), value))
            .collect())
    }
}
