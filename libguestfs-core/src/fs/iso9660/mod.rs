//! ISO 9660 (with Rock Ridge and Joliet), read natively.
//!
//! The reader answers like the kernel's isofs driver on a read-only mount with default
//! options, which is what libguestfs 1.48's appliance shows: Rock Ridge when the root
//! directory announces it (ER), else Joliet names when there is a Joliet descriptor, else
//! plain names mapped as `map=normal` maps them; inode numbers from where each directory
//! record lies (a directory's from its own `.` record); modes, links and owners from Rock
//! Ridge PX or the driver's defaults; timestamps from TF or the recording date; relocated
//! directories (CL/RE) shown where they belong; multi-extent files joined.
//!
//! Layout of the module, one on-disk structure per file: [`descriptor`] (volume
//! descriptors), [`record`] (directory records, plain and Joliet names), [`date`], [`rock`]
//! (SUSP walk and Rock Ridge names and symlinks), [`inode`] (stat from a record), [`dir`]
//! (directory listings), [`zisofs`] (transparently compressed files, RRIP ZF).

mod date;
mod descriptor;
mod dir;
mod inode;
mod record;
mod rock;
mod zisofs;

use super::{DirEntry, FileType, Filesystem, Ino};
use crate::block::Device;
use crate::error::{strerror, Error, Result};
use crate::types::{StatNs, StatVfs};
use guestfs_protocol::lossless;
use inode::{Discovery, Inode};
use record::Record;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The logical block size read natively (others are refused).
pub const BLOCK: u64 = 2048;
/// `NAME_MAX`, what statfs reports.
const NAME_MAX: i64 = 255;
/// Readlink's buffer: a page less the terminating NUL.
const LINK_MAX: usize = 4095;
/// Blocks and inodes kept in memory, dropped all at once when full.
const CACHE_ENTRIES: usize = 4096;

fn corrupt(msg: impl std::fmt::Display) -> Error {
    Error::new(libc::EIO, format!("iso9660: {}", msg))
}

fn errno(e: i32) -> Error {
    Error::new(e, strerror(e))
}

/// Where a directory record lies: the block and the byte within it. The kernel's inode
/// number is derived from it (`isofs_get_ino`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Loc {
    pub block: u64,
    pub offset: u32,
}

impl Loc {
    pub fn new(block: u64, offset: u32) -> Loc {
        Loc { block, offset }
    }
    fn from_byte(pos: u64) -> Loc {
        Loc::new(pos / BLOCK, (pos % BLOCK) as u32)
    }
    fn byte(self) -> u64 {
        self.block * BLOCK + u64::from(self.offset)
    }
    /// `(block << (bufbits - 5)) | (offset >> 5)`: records are at least 33 bytes, so two of
    /// them never share a number.
    pub fn ino(self) -> u64 {
        (self.block << 6) | u64::from(self.offset >> 5)
    }
}

/// Whether Rock Ridge entries are read: `Maybe` is the kernel's `s_rock == 2`, a volume
/// whose root announced no Rock Ridge and has no Joliet tree (entries are still honoured).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rock {
    No,
    Yes,
    Maybe,
}

/// An ISO 9660 filesystem opened read-only.
pub struct Iso9660Fs {
    dev: Device,
    volume_blocks: u64,
    device_blocks: u64,
    rock: Rock,
    /// Bytes to skip in each system use area (the root's SP entry), if it said.
    rock_offset: Option<usize>,
    joliet: bool,
    root: Loc,
    blocks: Mutex<HashMap<u64, Arc<Vec<u8>>>>,
    inodes: Mutex<HashMap<Loc, Arc<Inode>>>,
    /// Where the record of each inode number handed out lies.
    locs: Mutex<HashMap<u64, Loc>>,
    /// The entries of the directory listed last (`ls -l` looks up every name in it).
    listing: Mutex<Option<(Ino, Arc<Vec<dir::Entry>>)>>,
}

/// Why the native backend does not read the ISO 9660 filesystem on `dev`, or None.
pub fn refusal(dev: &Device) -> Option<String> {
    match descriptor::read(dev) {
        Err(e) if e.errno == libc::ENOTSUP => Some(e.message),
        _ => None,
    }
}

impl Iso9660Fs {
    pub fn open(dev: Device) -> Result<Iso9660Fs> {
        let vol = descriptor::read(&dev)?;
        let device_blocks = dev.size() / BLOCK;
        let mut fs = Iso9660Fs {
            dev,
            volume_blocks: vol.blocks,
            device_blocks,
            rock: Rock::Maybe,
            rock_offset: None,
            joliet: false,
            root: Loc::new(vol.primary_root, 0),
            blocks: Mutex::new(HashMap::new()),
            inodes: Mutex::new(HashMap::new()),
            locs: Mutex::new(HashMap::new()),
            listing: Mutex::new(None),
        };
        // The root's record says whether Rock Ridge is used (ER), and where its entries
        // begin (SP); only then does the kernel choose between Rock Ridge and Joliet.
        let mut disc = Discovery::default();
        let mut root = inode::read(&fs, fs.root, false, &mut disc)?;
        fs.rock_offset = disc.sp_skip;
        if disc.er {
            fs.rock = Rock::Yes;
        } else if let Some(joliet_root) = vol.joliet_root {
            fs.rock = Rock::No;
            fs.joliet = true;
            if joliet_root != fs.root.block {
                fs.root = Loc::new(joliet_root, 0);
            }
        }
        // Read again with the final settings.
        root = inode::read(&fs, fs.root, false, &mut Discovery::default()).unwrap_or(root);
        if !root.is_dir() {
            return Err(corrupt("the root directory is not a directory"));
        }
        Ok(fs)
    }

    fn device_blocks(&self) -> u64 {
        self.device_blocks
    }

    fn rock_offset(&self) -> Option<usize> {
        self.rock_offset
    }

    /// One 2048-byte block of the image, from the cache or the device.
    fn block(&self, n: u64) -> Result<Arc<Vec<u8>>> {
        let lock = || self.blocks.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = lock().get(&n) {
            return Ok(b.clone());
        }
        if n >= self.device_blocks {
            return Err(corrupt(format!("block {} is beyond the image", n)));
        }
        let mut buf = vec![0u8; BLOCK as usize];
        self.dev
            .read_exact_at(&mut buf, n * BLOCK)
            .map_err(|e| corrupt(format!("read of block {}: {}", n, e)))?;
        let buf = Arc::new(buf);
        let mut cache = lock();
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(n, buf.clone());
        Ok(buf)
    }

    /// The directory record at `loc`, whose first byte gives its length.
    fn record_at(&self, loc: Loc) -> Result<Record> {
        let b = self.block(loc.block)?;
        let len = usize::from(b.get(loc.offset as usize).copied().unwrap_or(0));
        if len < record::FIXED_LEN {
            return Err(corrupt(format!(
                "directory record at block {} offset {} is {} bytes long",
                loc.block, loc.offset, len
            )));
        }
        self.record_at_len(loc, len)
    }

    /// The `len` bytes of the record at `loc`, continued into the next block if need be.
    fn record_at_len(&self, loc: Loc, len: usize) -> Result<Record> {
        let b = self.block(loc.block)?;
        let off = loc.offset as usize;
        let first = b.get(off..).unwrap_or(&[]);
        let mut raw = first.get(..len.min(first.len())).unwrap_or(&[]).to_vec();
        if raw.len() < len {
            let next = self.block(loc.block + 1)?;
            let rest = len - raw.len();
            raw.extend_from_slice(next.get(..rest).unwrap_or(&[]));
        }
        Record::new(raw).ok_or_else(|| {
            corrupt(format!(
                "directory record at block {} offset {} is cut short",
                loc.block, loc.offset
            ))
        })
    }

    /// The bytes of a record's system use area where Rock Ridge entries begin.
    fn rock_area(&self, rec: &Record, extra: usize) -> Vec<u8> {
        let skip = self.rock_offset.unwrap_or(0) + extra;
        rec.system_use().get(skip..).unwrap_or(&[]).to_vec()
    }

    fn inode_at(&self, loc: Loc) -> Result<Arc<Inode>> {
        let lock = || self.inodes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = lock().get(&loc) {
            return Ok(i.clone());
        }
        let inode = Arc::new(inode::read(self, loc, false, &mut Discovery::default())?);
        let mut cache = lock();
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(loc, inode.clone());
        Ok(inode)
    }

    /// Where the record of inode `ino` lies: remembered from the listing that gave the
    /// number, else found in its block (directories lie at offset 0).
    fn loc_of(&self, ino: Ino) -> Result<Loc> {
        if let Some(l) = self
            .locs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&ino)
        {
            return Ok(*l);
        }
        let block = ino >> 6;
        let slot = (ino & 63) as u32;
        if slot == 0 {
            return Ok(Loc::new(block, 0));
        }
        let b = self.block(block)?;
        let mut off = 0usize;
        while off < BLOCK as usize {
            let len = usize::from(b.get(off).copied().unwrap_or(0));
            if len == 0 {
                break;
            }
            if (off as u32) >> 5 == slot {
                return Ok(Loc::new(block, off as u32));
            }
            off += len;
        }
        Err(errno(libc::ENOENT))
    }

    fn inode(&self, ino: Ino) -> Result<Arc<Inode>> {
        self.inode_at(self.loc_of(ino)?)
    }

    fn dir_inode(&self, ino: Ino) -> Result<Arc<Inode>> {
        let inode = self.inode(ino)?;
        if !inode.is_dir() {
            return Err(errno(libc::ENOTDIR));
        }
        Ok(inode)
    }

    fn entries(&self, dir: Ino) -> Result<Arc<Vec<dir::Entry>>> {
        if let Some((ino, list)) = self
            .listing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            if *ino == dir {
                return Ok(list.clone());
            }
        }
        let inode = self.dir_inode(dir)?;
        let entries = Arc::new(dir::read(self, &inode)?);
        {
            let mut locs = self.locs.lock().unwrap_or_else(|e| e.into_inner());
            if locs.len() > CACHE_ENTRIES * 64 {
                locs.clear();
            }
            for e in entries.iter() {
                locs.insert(e.loc.ino(), e.loc);
            }
        }
        *self.listing.lock().unwrap_or_else(|e| e.into_inner()) = Some((dir, entries.clone()));
        Ok(entries)
    }

    /// Reads file data at `offset` through the file's sections (all but the last one cover
    /// whole blocks, as the kernel maps them).
    fn read_data(&self, inode: &Inode, offset: u64, buf: &mut [u8]) -> Result<usize> {
        if offset >= inode.size || buf.is_empty() {
            return Ok(0);
        }
        let n = (buf.len() as u64).min(inode.size - offset) as usize;
        let mut done = 0usize;
        while done < n {
            let pos = offset + done as u64;
            let block = pos / BLOCK;
            let mut first = 0u64;
            let mut found = None;
            for (i, s) in inode.sections.iter().enumerate() {
                let count = if i + 1 == inode.sections.len() {
                    u64::MAX - first
                } else {
                    s.size / BLOCK
                };
                if block < first + count {
                    found = Some((s.start + (block - first), first.saturating_add(count)));
                    break;
                }
                first += count;
            }
            let Some((dev_block, section_end)) = found else {
                return Err(corrupt(format!(
                    "inode {}: no section for byte {}",
                    inode.ino, pos
                )));
            };
            let chunk_end = (section_end.saturating_mul(BLOCK)).min(offset + n as u64);
            let len = (chunk_end - pos) as usize;
            let dev_off = dev_block * BLOCK + pos % BLOCK;
            if dev_off.saturating_add(len as u64) > self.device_blocks * BLOCK {
                return Err(corrupt(format!(
                    "inode {}: data at block {} is beyond the image",
                    inode.ino, dev_block
                )));
            }
            let dst = buf.get_mut(done..done + len).unwrap_or(&mut []);
            self.dev
                .read_exact_at(dst, dev_off)
                .map_err(|e| corrupt(format!("inode {}: read: {}", inode.ino, e)))?;
            done += len;
        }
        Ok(n)
    }

    fn symlink_target(&self, inode: &Inode) -> Result<Vec<u8>> {
        let rec = self.record_at(inode.loc)?;
        if inode.loc.offset as usize + rec.len() > BLOCK as usize {
            return Err(corrupt("symlink record spans blocks"));
        }
        let mut out = Vec::new();
        let mut too_long = false;
        let end = rock::walk(self, &self.rock_area(&rec, 0), &mut |sig, len, rest| {
            let stop = match &sig {
                b"RR" => rock::flags_byte(rest).is_none_or(|f| f & rock::RR_SL == 0),
                b"SP" => !rock::sp_ok(rest),
                b"SL" => {
                    too_long = !rock::symlink_chunk(&mut out, len, rest, LINK_MAX);
                    too_long
                }
                _ => false,
            };
            Ok(if stop {
                rock::Flow::Stop
            } else {
                rock::Flow::Next
            })
        });
        if too_long || end != rock::End::Complete || out.is_empty() {
            return Err(corrupt(format!("inode {}: bad symlink", inode.ino)));
        }
        if let Some(nul) = out.iter().position(|&c| c == 0) {
            out.truncate(nul);
        }
        Ok(out)
    }
}

/// The kernel's comparison of Joliet names (`isofs_dentry_cmpi_ms`): trailing dots ignored,
/// ASCII case ignored.
fn joliet_names_equal(a: &[u8], b: &[u8]) -> bool {
    let trim = |s: &[u8]| -> usize {
        let mut n = s.len();
        while n > 0 && s[n - 1] == b'.' {
            n -= 1;
        }
        n
    };
    let (la, lb) = (trim(a), trim(b));
    la == lb && a[..la].eq_ignore_ascii_case(&b[..lb])
}

impl Filesystem for Iso9660Fs {
    fn fs_type(&self) -> &str {
        "iso9660"
    }

    fn root(&self) -> Ino {
        self.root.ino()
    }

    fn stat(&self, ino: Ino) -> Result<StatNs> {
        let i = self.inode(ino)?;
        Ok(StatNs {
            st_dev: 0,
            st_ino: i.ino as i64,
            st_mode: i64::from(i.mode),
            st_nlink: i64::from(i.nlink),
            st_uid: i64::from(i.uid),
            st_gid: i64::from(i.gid),
            st_rdev: i.rdev,
            st_size: i.size as i64,
            st_blksize: BLOCK as i64,
            st_blocks: i.blocks as i64,
            st_atime_sec: i.atime,
            st_atime_nsec: 0,
            st_mtime_sec: i.mtime,
            st_mtime_nsec: 0,
            st_ctime_sec: i.ctime,
            st_ctime_nsec: 0,
            ..Default::default()
        })
    }

    fn read_dir(&self, dir: Ino) -> Result<Vec<DirEntry>> {
        Ok(self
            .entries(dir)?
            .iter()
            .map(|e| DirEntry {
                name: lossless::string_from(e.name.clone()),
                ino: e.loc.ino(),
                // isofs's readdir says DT_UNKNOWN for everything.
                file_type: FileType::Unknown,
            })
            .collect())
    }

    /// Files are numbered by the directory's block their record lies in, counted from the
    /// directory's start (directories and `.`/`..` as `stat` numbers them).
    fn dirent_ino(&self, dir: Ino, entry: &DirEntry) -> Ino {
        if entry.name == "." || entry.name == ".." {
            return entry.ino;
        }
        let relative = || -> Result<Ino> {
            let loc = self.loc_of(entry.ino)?;
            if self.record_at(loc)?.is_dir() {
                return Ok(entry.ino);
            }
            let start = self.dir_inode(dir)?.first_extent();
            Ok((loc.block.saturating_sub(start) << 6) | u64::from(loc.offset >> 5))
        };
        relative().unwrap_or(entry.ino)
    }

    fn lookup(&self, dir: Ino, name: &str) -> Result<Option<Ino>> {
        let name = lossless::bytes_of(name);
        Ok(self
            .entries(dir)?
            .iter()
            .find(|e| {
                if self.joliet {
                    joliet_names_equal(&e.name, &name)
                } else {
                    e.name == *name
                }
            })
            .map(|e| e.loc.ino()))
    }

    fn read_link(&self, ino: Ino) -> Result<String> {
        let inode = self.inode(ino)?;
        if !inode.is_symlink() {
            return Err(errno(libc::EINVAL));
        }
        if self.rock == Rock::No {
            return Err(corrupt("symlink without Rock Ridge"));
        }
        Ok(lossless::string_from(self.symlink_target(&inode)?))
    }

    fn read_at(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let inode = self.inode(ino)?;
        if inode.is_dir() {
            return Err(errno(libc::EISDIR));
        }
        if !inode.is_reg() {
            return Err(errno(libc::EINVAL));
        }
        if let Some(params) = inode.zisofs {
            return zisofs::read(self, &inode, params, offset, buf);
        }
        self.read_data(&inode, offset, buf)
    }

    fn statvfs(&self) -> Result<StatVfs> {
        Ok(StatVfs {
            bsize: BLOCK as i64,
            frsize: BLOCK as i64,
            blocks: self.volume_blocks as i64,
            bfree: 0,
            bavail: 0,
            files: 0,
            ffree: 0,
            favail: 0,
            fsid: 0,
            flag: super::ST_RDONLY | super::ST_RELATIME,
            namemax: NAME_MAX,
        })
    }

    /// `isofs_statfs` reports the device's number.
    fn fsid_is_device(&self) -> bool {
        true
    }
}
