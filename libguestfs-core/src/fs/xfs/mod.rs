//! XFS (v4 and v5), read natively.
//!
//! The reader answers like the kernel's XFS driver on a read-only mount: `stat` fields
//! (nanosecond and big timestamps), `statfs` counts, directory contents in readdir's order,
//! file data with holes and unwritten extents as zeros, symlinks and extended attributes. It
//! does not replay the log: a filesystem whose log is not clean, or that uses what this
//! reader does not implement (realtime device, external log, unknown incompatible features),
//! is refused with ENOTSUP, and [`refusal`] says why so that `auto` uses the appliance.
//!
//! Layout of the module, one on-disk structure per file: [`superblock`], [`log`] (is it
//! clean), [`inode`] (core and forks), [`bmap`] (extent lists and block-map B-trees), [`dir`]
//! (short-form and block/leaf/node/B-tree directories), [`symlink`], [`xattr`], and [`meta`]
//! (checked field reads of metadata, checksums).

mod bmap;
mod dir;
mod inode;
mod log;
mod meta;
mod superblock;
mod symlink;
mod xattr;

use super::{DirEntry, Filesystem, Ino};
use crate::block::Device;
use crate::error::{Error, Result};
use crate::fs::UnixMode;
use crate::types::{StatNs, StatVfs};
use bmap::Extent;
use guestfs_protocol::lossless;
use inode::{Fork, Inode};
use meta::{corrupt, Meta};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use superblock::{Superblock, SB_SIZE};

/// `MAXNAMELEN - 1`.
const NAME_LEN: i64 = 255;
/// Blocks per AG the kernel keeps back from `f_bfree` (`xfs_alloc_set_aside`: four for the
/// free list and four for a split of each free-space B-tree).
const ALLOC_SET_ASIDE_PER_AG: u64 = 8;
/// `XFS_MAXINUMBER`.
const MAX_INUMBER: u64 = (1 << 56) - 1;
/// Directories with more entries than this keep a name index for lookups.
const LOOKUP_INDEX_MIN: usize = 64;
/// Metadata blocks kept in memory (`ls -l` of a directory reads each inode's block once per
/// file otherwise): at most this many, dropped all at once when full.
const BLOCK_CACHE_BLOCKS: usize = 4096;

/// A directory's names and the inodes they name.
type NameIndex = HashMap<Vec<u8>, Ino>;

/// An XFS filesystem opened read-only.
pub struct XfsFs {
    dev: Device,
    sb: Superblock,
    statvfs: StatVfs,
    /// The data fork extents of the file read last (reads come in chunks).
    extents: Mutex<Option<(Ino, Arc<Vec<Extent>>)>>,
    /// The name index of the large directory looked up in last (`ls -l` stats every name).
    names: Mutex<Option<(Ino, Arc<NameIndex>)>>,
    /// Single metadata blocks by linear block number.
    blocks: Mutex<HashMap<u64, Arc<Vec<u8>>>>,
    /// Inodes read and checked (their checksum is the costly part), at most
    /// `BLOCK_CACHE_BLOCKS`, dropped all at once when full.
    inodes: Mutex<HashMap<Ino, Arc<Inode>>>,
}

fn read_superblock(dev: &Device) -> Result<Superblock> {
    // The v5 checksum covers a whole sector, at most 32 KiB.
    let len = (dev.size().min(32768) as usize).max(SB_SIZE);
    let mut b = vec![0u8; len];
    dev.read_exact_at(&mut b, 0)
        .map_err(|e| corrupt(format!("superblock: {}", e)))?;
    Superblock::parse(&b, dev.size())
}

/// Why the native backend does not read the XFS filesystem on `dev` (a log to replay, a
/// feature it does not implement), or None when it does.
pub fn refusal(dev: &Device) -> Option<String> {
    match read_superblock(dev) {
        Err(e) if e.errno == libc::ENOTSUP => Some(e.message),
        Err(_) => None,
        Ok(sb) => log::dirty_reason(dev.as_ref(), &sb).unwrap_or_else(|e| Some(e.message)),
    }
}

impl XfsFs {
    pub fn open(dev: Device) -> Result<XfsFs> {
        let sb = read_superblock(&dev)?;
        if let Some(why) = log::dirty_reason(dev.as_ref(), &sb)? {
            return Err(Error::new(libc::ENOTSUP, format!("xfs: {}", why)));
        }
        let mut fs = XfsFs {
            dev,
            sb,
            statvfs: StatVfs::default(),
            extents: Mutex::new(None),
            names: Mutex::new(None),
            blocks: Mutex::new(HashMap::new()),
            inodes: Mutex::new(HashMap::new()),
        };
        if !fs.inode(fs.sb.rootino)?.is_dir() {
            return Err(corrupt("the root inode is not a directory"));
        }
        fs.statvfs = fs.compute_statvfs();
        Ok(fs)
    }

    /// Reads `count` filesystem blocks from block `fsb` (`agno << agblklog | agbno`).
    fn read_fsb(&self, fsb: u64, count: u64, what: &dyn Fn() -> String) -> Result<Vec<u8>> {
        let Some(linear) = self.sb.fsb_to_linear(fsb, count) else {
            return Err(Meta::new(&[], what).err(format_args!(
                "block {} (+{}) outside the filesystem",
                fsb, count
            )));
        };
        if count == 1 {
            return Ok(self.cached_block(linear, what)?.to_vec());
        }
        let mut buf = vec![0u8; (count << self.sb.blocklog) as usize];
        self.read_bytes(linear << self.sb.blocklog, &mut buf, what)?;
        Ok(buf)
    }

    /// One metadata block (linear number, in range), from the cache or the device.
    fn cached_block(&self, linear: u64, what: &dyn Fn() -> String) -> Result<Arc<Vec<u8>>> {
        if let Some(b) = self.lock_blocks().get(&linear) {
            return Ok(b.clone());
        }
        let mut buf = vec![0u8; 1 << self.sb.blocklog];
        self.read_bytes(linear << self.sb.blocklog, &mut buf, what)?;
        let buf = Arc::new(buf);
        let mut cache = self.lock_blocks();
        if cache.len() >= BLOCK_CACHE_BLOCKS {
            cache.clear();
        }
        cache.insert(linear, buf.clone());
        Ok(buf)
    }

    fn lock_blocks(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Vec<u8>>>> {
        self.blocks.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn read_bytes(&self, offset: u64, buf: &mut [u8], what: &dyn Fn() -> String) -> Result<()> {
        self.dev.read_exact_at(buf, offset).map_err(|e| {
            Error::new(
                libc::EIO,
                format!("xfs: {}: read at byte {}: {}", what(), offset, e),
            )
        })
    }

    /// Fails unless `ino` names an inode slot of the filesystem.
    fn check_ino(&self, ino: u64, what: &dyn Fn() -> String) -> Result<()> {
        if self.sb.inode_offset(ino).is_none() {
            return Err(Meta::new(&[], what).err(format_args!("bad inode number {}", ino)));
        }
        Ok(())
    }

    fn inode(&self, ino: Ino) -> Result<Arc<Inode>> {
        let lock = || self.inodes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = lock().get(&ino) {
            return Ok(i.clone());
        }
        let inode = Arc::new(self.read_inode(ino)?);
        let mut cache = lock();
        if cache.len() >= BLOCK_CACHE_BLOCKS {
            cache.clear();
        }
        cache.insert(ino, inode.clone());
        Ok(inode)
    }

    fn read_inode(&self, ino: Ino) -> Result<Inode> {
        let what = || format!("inode {}", ino);
        let Some(off) = self.sb.inode_offset(ino) else {
            return Err(Meta::new(&[], &what).err("number out of range"));
        };
        let block = self.cached_block(off >> self.sb.blocklog, &what)?;
        let start = (off & ((1 << self.sb.blocklog) - 1)) as usize;
        let raw = Meta::new(&block, &what)
            .slice(start, usize::from(self.sb.inodesize))?
            .to_vec();
        Inode::parse(&self.sb, ino, raw)
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

    fn data_extents(&self, inode: &Inode) -> Result<Arc<Vec<Extent>>> {
        let mut cache = self.extents.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((ino, ext)) = cache.as_ref() {
            if *ino == inode.ino {
                return Ok(ext.clone());
            }
        }
        let ext = Arc::new(bmap::extents(self, inode, Fork::Data)?);
        *cache = Some((inode.ino, ext.clone()));
        Ok(ext)
    }

    /// `xfs_fs_statfs` on a read-only mount, from the superblock's counters (exact on a
    /// clean filesystem).
    fn compute_statvfs(&self) -> StatVfs {
        let sb = &self.sb;
        let log = if sb.logstart != 0 {
            u64::from(sb.logblocks)
        } else {
            0
        };
        let set_aside = u64::from(sb.agcount) * ALLOC_SET_ASIDE_PER_AG;
        let bfree = sb.fdblocks.saturating_sub(set_aside);
        let fakeinos = bfree << sb.inopblog;
        let mut files = sb.icount.saturating_add(fakeinos).min(MAX_INUMBER);
        let maxicount = self.max_icount();
        if maxicount != 0 {
            files = files.min(maxicount);
        }
        files = files.max(sb.icount);
        let ffree = files.saturating_sub(sb.icount.saturating_sub(sb.ifree));
        StatVfs {
            bsize: i64::from(sb.blocksize),
            frsize: i64::from(sb.blocksize),
            blocks: sb.dblocks.saturating_sub(log) as i64,
            bfree: bfree as i64,
            bavail: bfree as i64,
            files: files as i64,
            ffree: ffree as i64,
            favail: ffree as i64,
            fsid: 0,
            flag: super::ST_RDONLY | super::ST_RELATIME,
            namemax: NAME_LEN,
        }
    }

    /// The inode limit `sb_imax_pct` sets (`igeo->maxicount`), 0 for none.
    fn max_icount(&self) -> u64 {
        let sb = &self.sb;
        if sb.imax_pct == 0 {
            return 0;
        }
        // Inodes are allocated in chunks of 64 (or a block's worth if more).
        let chunk_blocks = (64u64 >> sb.inopblog).max(1);
        let blocks = sb.dblocks.saturating_mul(u64::from(sb.imax_pct)) / 100;
        (blocks / chunk_blocks * chunk_blocks) << sb.inopblog
    }

    fn read_data(&self, inode: &Inode, offset: u64, buf: &mut [u8]) -> Result<usize> {
        if offset >= inode.size || buf.is_empty() {
            return Ok(0);
        }
        let n = (buf.len() as u64).min(inode.size - offset) as usize;
        let buf = buf.get_mut(..n).unwrap_or(&mut []);
        buf.fill(0);
        let extents = self.data_extents(inode)?;
        let bs_log = self.sb.blocklog;
        let end = offset + n as u64;
        let first = extents.partition_point(|e| (e.end() << bs_log) <= offset);
        for e in extents.get(first..).unwrap_or(&[]) {
            let (e_start, e_end) = (e.off << bs_log, e.end() << bs_log);
            if e_start >= end {
                break;
            }
            if e.unwritten {
                continue;
            }
            let s = e_start.max(offset);
            let t = e_end.min(end);
            let what = || format!("inode {}: data at byte {}", inode.ino, s);
            let linear = self
                .sb
                .fsb_to_linear(e.start, e.len)
                .ok_or_else(|| corrupt(what()))?;
            let Some(dst) = buf.get_mut((s - offset) as usize..(t - offset) as usize) else {
                return Err(corrupt(what()));
            };
            self.read_bytes((linear << bs_log) + (s - e_start), dst, &what)?;
        }
        Ok(n)
    }

    /// The name index of a directory, built once for the directory looked up in last.
    fn name_index(&self, dir: &Inode) -> Result<Arc<NameIndex>> {
        let mut cache = self.names.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((ino, names)) = cache.as_ref() {
            if *ino == dir.ino {
                return Ok(names.clone());
            }
        }
        let names: NameIndex = dir::read(self, dir)?
            .into_iter()
            .map(|e| (e.name, e.ino))
            .collect();
        let names = Arc::new(names);
        *cache = Some((dir.ino, names.clone()));
        Ok(names)
    }
}

impl Filesystem for XfsFs {
    fn fs_type(&self) -> &str {
        "xfs"
    }

    fn root(&self) -> Ino {
        self.sb.rootino
    }

    fn stat(&self, ino: Ino) -> Result<StatNs> {
        Ok(self.inode(ino)?.stat(self.sb.blocklog))
    }

    fn read_dir(&self, dir: Ino) -> Result<Vec<DirEntry>> {
        Ok(super::without_dots(self.read_dir_with_dots(dir, 0)?))
    }

    /// `.` and `..` as the directory records them, where readdir puts them (first).
    fn read_dir_with_dots(&self, dir: Ino, _parent: Ino) -> Result<Vec<DirEntry>> {
        let inode = self.dir_inode(dir)?;
        Ok(dir::read(self, &inode)?
            .into_iter()
            .map(|e| DirEntry {
                name: lossless::string_from(e.name),
                ino: e.ino,
                file_type: e.file_type,
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
        if inode.size as usize > LOOKUP_INDEX_MIN * 16 {
            return Ok(self.name_index(&inode)?.get(&*name).copied());
        }
        Ok(dir::read(self, &inode)?
            .into_iter()
            .find(|e| e.name == *name)
            .map(|e| e.ino))
    }

    fn read_link(&self, ino: Ino) -> Result<String> {
        let inode = self.inode(ino)?;
        if !inode.is_symlink() {
            return Err(Error::new(
                libc::EINVAL,
                crate::error::strerror(libc::EINVAL),
            ));
        }
        Ok(lossless::string_from(symlink::target(self, &inode)?))
    }

    fn read_at(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let inode = self.inode(ino)?;
        inode.check_readable()?;
        self.read_data(&inode, offset, buf)
    }

    fn statvfs(&self) -> Result<StatVfs> {
        Ok(self.statvfs)
    }

    /// `xfs_fs_statfs` reports the data device's number.
    fn fsid_is_device(&self) -> bool {
        true
    }

    fn xattrs(&self, ino: Ino) -> Result<Vec<(String, Vec<u8>)>> {
        let inode = self.inode(ino)?;
        let mut out: Vec<(String, Vec<u8>)> = xattr::list(self, &inode)?
            .into_iter()
            .map(|(name, value)| (lossless::string_from(name), value))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}
