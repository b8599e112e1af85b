//! ext2, ext3 and ext4, read natively.
//!
//! The reader answers like the kernel's ext4 driver on a read-only mount (which Linux also
//! uses for ext2 and ext3): `stat` fields, `statfs` counts, directory contents and file data,
//! with the journal replayed in memory when the filesystem needs recovery.
//!
//! Layout of the module, one on-disk structure per file: [`superblock`] (and blkid's naming),
//! [`group`] (group descriptors, backups, overhead), [`inode`], [`extents`] and [`indirect`]
//! (block mapping), [`dir`] (directory entries), [`lookup`] (name lookup), [`hash`] (htree name hashes), [`readdir`]
//! (the order readdir lists a directory in), [`xattr`], [`journal`] (jbd2 replay).

mod cache;
mod dir;
mod extents;
mod group;
mod hash;
mod indirect;
mod inode;
mod journal;
mod lookup;
mod readdir;
mod superblock;
mod xattr;

use super::{DirEntry, Filesystem, Ino, Probe};
use crate::block::{BlockDevice, Device};
use crate::error::{Error, Result};
use crate::fs::UnixMode;
use crate::types::{StatNs, StatVfs};
use cache::BlockCache;
use group::GroupDesc;
use guestfs_protocol::lossless;
use inode::{Inode, EXT4_ENCRYPT_FL, EXT4_INDEX_FL, I_BLOCK_SIZE, ROOT_INO};
use journal::{Journal, Overlay};
use std::sync::{Arc, Mutex};
use superblock::{
    Geometry, Superblock, COMPAT_HAS_JOURNAL, INCOMPAT_EXTENTS, INCOMPAT_FILETYPE,
    INCOMPAT_JOURNAL_DEV, INCOMPAT_RECOVER, INCOMPAT_SUPPORTED, RO_COMPAT_BIGALLOC,
    SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE,
};

/// A run of logical blocks: mapped to consecutive physical blocks, or reading as zeros
/// (a hole or an unwritten extent) when `pblk` is None.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub lblk: u64,
    pub len: u64,
    pub pblk: Option<u64>,
}

/// `EXT4_NAME_LEN`.
const NAME_LEN: i64 = 255;
/// How many bytes of a directory are read in one go.
const DIR_CHUNK: u64 = 1 << 20;

/// blkid's view of a device: an ext2/3/4 filesystem (or an external ext journal, `jbd`).
pub fn probe(dev: &dyn BlockDevice) -> Option<Probe> {
    let mut b = vec![0u8; SUPERBLOCK_SIZE];
    dev.read_exact_at(&mut b, SUPERBLOCK_OFFSET).ok()?;
    let sb = Superblock::parse(&b)?;
    if sb.s_magic != superblock::EXT4_SUPER_MAGIC || !sb.checksum_ok {
        return None;
    }
    // Enough sanity that stray bytes with the magic at the right place are not taken for ext.
    if sb.s_log_block_size > 6
        || sb.s_blocks_per_group == 0
        || sb.s_inodes_per_group == 0
        || sb.s_inodes_count == 0
        || sb.s_blocks_count <= u64::from(sb.s_first_data_block)
    {
        return None;
    }
    let fs_type = sb.blkid_type()?;
    if !sb.has_incompat(INCOMPAT_JOURNAL_DEV) {
        // The first block of group descriptors must be on the device.
        let block_size = 1024u64 << sb.s_log_block_size;
        let gdt_end = (1024 / block_size + 2).checked_mul(block_size)?;
        if gdt_end > dev.size() {
            return None;
        }
    }
    Some(Probe {
        fs_type: fs_type.to_string(),
        label: sb.label(),
        uuid: sb.uuid(),
    })
}

/// An ext2/3/4 filesystem opened read-only.
pub struct ExtFs {
    dev: Device,
    sb: Superblock,
    geo: Geometry,
    groups: Vec<GroupDesc>,
    /// Blocks replaced by the journal replay.
    overlay: Overlay,
    cache: Mutex<BlockCache>,
    dir_indexes: lookup::DirIndexes,
    fs_type: &'static str,
    statvfs: StatVfs,
}

fn io_error(e: std::io::Error, what: &str) -> Error {
    Error::new(libc::EIO, format!("ext4: {}: {}", what, e))
}

/// Reads device bytes, with the journal overlay applied.
fn read_overlaid(
    dev: &dyn BlockDevice,
    overlay: &Overlay,
    block_size: u64,
    offset: u64,
    buf: &mut [u8],
) -> Result<()> {
    dev.read_exact_at(buf, offset)
        .map_err(|e| io_error(e, &format!("read at byte {}", offset)))?;
    if overlay.is_empty() || buf.is_empty() {
        return Ok(());
    }
    let end = offset.saturating_add(buf.len() as u64);
    let first = offset / block_size;
    let last = (end - 1) / block_size;
    let mut block = Vec::new();
    for (&blk, ob) in overlay.range(first..=last) {
        block.resize(block_size as usize, 0);
        let src = ob
            .source
            .checked_mul(block_size)
            .ok_or_else(|| Error::corrupt("ext4: journal block out of range"))?;
        dev.read_exact_at(&mut block, src)
            .map_err(|e| io_error(e, "journal read"))?;
        if ob.escaped {
            journal::unescape(&mut block);
        }
        let bstart = blk * block_size;
        let s = bstart.max(offset);
        let e = (bstart + block_size).min(end);
        if s >= e {
            continue;
        }
        let dst = buf.get_mut((s - offset) as usize..(e - offset) as usize);
        let srcb = block.get((s - bstart) as usize..(e - bstart) as usize);
        if let (Some(d), Some(s)) = (dst, srcb) {
            d.copy_from_slice(s);
        }
    }
    Ok(())
}

fn read_superblock(
    dev: &dyn BlockDevice,
    overlay: &Overlay,
    block_size: u64,
) -> Result<Superblock> {
    let mut b = vec![0u8; SUPERBLOCK_SIZE];
    read_overlaid(dev, overlay, block_size, SUPERBLOCK_OFFSET, &mut b)?;
    Superblock::parse(&b).ok_or_else(|| Error::corrupt("ext4: cannot read superblock"))
}

impl ExtFs {
    /// Opens the filesystem on `dev`, replaying its journal in memory if it needs recovery.
    pub fn open(dev: Device) -> Result<ExtFs> {
        let sb = read_superblock(dev.as_ref(), &Overlay::new(), 1024)?;
        if sb.s_magic != superblock::EXT4_SUPER_MAGIC {
            return Err(Error::new(
                libc::EINVAL,
                "ext4: no ext2/ext3/ext4 superblock found",
            ));
        }
        if sb.has_incompat(INCOMPAT_JOURNAL_DEV) {
            return Err(Error::new(
                libc::EINVAL,
                "ext4: this is an external journal device, not a filesystem",
            ));
        }
        if sb.default_hash().is_none() {
            // The kernel's mount refuses it too (ext4_hash_info_init).
            return Err(Error::new(
                libc::EINVAL,
                "ext4: invalid default hash set in the superblock",
            ));
        }
        let unsupported = sb.s_feature_incompat & !INCOMPAT_SUPPORTED;
        if unsupported != 0 {
            return Err(Error::new(
                libc::ENOTSUP,
                format!(
                    "ext4: unsupported incompatible features (0x{:x})",
                    unsupported
                ),
            ));
        }
        let mut fs = ExtFs::build(dev.clone(), sb, Overlay::new())?;
        let mut journal_len = 0;
        if fs.sb.has_compat(COMPAT_HAS_JOURNAL) && fs.sb.s_journal_inum != 0 {
            let jinode = fs.load_inode(u64::from(fs.sb.s_journal_inum))?;
            let journal = Journal::open(&fs, &jinode)?;
            journal_len = journal.total_len;
            if fs.sb.has_incompat(INCOMPAT_RECOVER) && journal.needs_recovery() {
                let overlay = journal.replay(&fs)?;
                if !overlay.is_empty() {
                    let sb = read_superblock(dev.as_ref(), &overlay, fs.geo.block_size)?;
                    fs = ExtFs::build(dev, sb, overlay)?;
                }
            }
        }
        fs.statvfs = fs.compute_statvfs(journal_len);
        Ok(fs)
    }

    /// Checks the geometry and loads the group descriptors.
    fn build(dev: Device, sb: Superblock, overlay: Overlay) -> Result<ExtFs> {
        let geo = Geometry::new(&sb, dev.size())?;
        let fs_type = sb
            .blkid_type()
            .filter(|t| matches!(*t, "ext2" | "ext3" | "ext4"))
            .unwrap_or("ext4");
        let mut fs = ExtFs {
            cache: Mutex::new(BlockCache::new(geo.block_size as usize)),
            dir_indexes: Default::default(),
            dev,
            sb,
            geo,
            groups: Vec::new(),
            overlay,
            fs_type,
            statvfs: StatVfs::default(),
        };
        fs.groups = fs.load_groups()?;
        Ok(fs)
    }

    pub(crate) fn geometry(&self) -> &Geometry {
        &self.geo
    }

    /// Reads the descriptor blocks (consecutive ones in one read) and decodes every group.
    fn load_groups(&self) -> Result<Vec<GroupDesc>> {
        let geo = &self.geo;
        let bs = geo.block_size;
        let mut groups = Vec::with_capacity(geo.groups_count as usize);
        let mut nr = 0u64;
        while nr < geo.gdb_count {
            // A run of consecutive descriptor blocks, at most 1 MiB.
            let start = group::descriptor_block(&self.sb, geo, nr);
            let mut len = 1u64;
            while nr + len < geo.gdb_count
                && len * bs < (1 << 20)
                && group::descriptor_block(&self.sb, geo, nr + len) == start + len
            {
                len += 1;
            }
            if start
                .checked_add(len)
                .is_none_or(|end| end > geo.blocks_count)
            {
                return Err(Error::corrupt(format!(
                    "ext4: group descriptors at block {} beyond the filesystem",
                    start
                )));
            }
            let mut buf = vec![0u8; (len * bs) as usize];
            self.read_phys(start * bs, &mut buf)?;
            for d in buf.chunks_exact(geo.desc_size as usize) {
                if groups.len() as u64 == geo.groups_count {
                    break;
                }
                let desc = GroupDesc::parse(d).ok_or_else(|| {
                    Error::corrupt(format!(
                        "ext4: group descriptor {}: {} bytes, less than 32",
                        groups.len(),
                        d.len()
                    ))
                })?;
                group::check_desc(&self.sb, geo, groups.len() as u64, &desc)?;
                groups.push(desc);
            }
            nr += len;
        }
        Ok(groups)
    }

    /// `ext4_statfs`, computed once as the kernel does at mount time.
    fn compute_statvfs(&self, journal_len: u64) -> StatVfs {
        let geo = &self.geo;
        let sb = &self.sb;
        let cb = geo.cluster_bits;
        let mut overhead = 0u64;
        if sb.has_ro_compat(RO_COMPAT_BIGALLOC) {
            overhead = u64::from(sb.s_overhead_clusters);
            if overhead > geo.blocks_count {
                overhead = 0;
            }
        }
        if overhead == 0 {
            overhead =
                group::overhead_clusters(sb, geo, &self.groups) + journal_len.div_ceil(1 << cb);
        }
        let blocks = geo.blocks_count.wrapping_sub(overhead << cb);
        let free_clusters: u64 = self
            .groups
            .iter()
            .map(|g| u64::from(g.bg_free_blocks_count))
            .sum();
        let bfree = free_clusters << cb;
        let resv_clusters = if sb.has_incompat(INCOMPAT_EXTENTS) {
            ((geo.blocks_count >> cb) / 50).min(4096)
        } else {
            0
        };
        let reserved = sb.s_r_blocks_count.saturating_add(resv_clusters << cb);
        let bavail = bfree.saturating_sub(reserved);
        let ffree: u64 = self
            .groups
            .iter()
            .map(|g| u64::from(g.bg_free_inodes_count))
            .sum();
        StatVfs {
            bsize: geo.block_size as i64,
            frsize: geo.block_size as i64,
            blocks: blocks as i64,
            bfree: bfree as i64,
            bavail: bavail as i64,
            files: geo.inodes_count as i64,
            ffree: ffree as i64,
            favail: ffree as i64,
            fsid: fsid(&sb.s_uuid),
            flag: super::ST_RDONLY | super::ST_RELATIME,
            namemax: NAME_LEN,
        }
    }

    /// Reads device bytes with the journal overlay applied.
    fn read_phys(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        read_overlaid(
            self.dev.as_ref(),
            &self.overlay,
            self.geo.block_size,
            offset,
            buf,
        )
    }

    /// Reads one block straight from the device (the journal reads its own blocks this way).
    pub(crate) fn read_raw_block(&self, pblk: u64, buf: &mut [u8]) -> Result<()> {
        let off = pblk
            .checked_mul(self.geo.block_size)
            .ok_or_else(|| Error::corrupt("ext4: block out of range"))?;
        self.dev
            .read_exact_at(buf, off)
            .map_err(|e| io_error(e, &format!("read of block {}", pblk)))
    }

    /// A metadata block, through the cache.
    pub(crate) fn meta_block(&self, pblk: u64) -> Result<Arc<[u8]>> {
        if pblk >= self.geo.blocks_count {
            return Err(Error::corrupt(format!(
                "ext4: block {} beyond the filesystem",
                pblk
            )));
        }
        if let Some(b) = self.cache.lock().ok().and_then(|c| c.get(pblk)) {
            return Ok(b);
        }
        let mut buf = vec![0u8; self.geo.block_size as usize];
        self.read_phys(pblk * self.geo.block_size, &mut buf)?;
        let b: Arc<[u8]> = Arc::from(buf);
        if let Ok(mut c) = self.cache.lock() {
            c.insert(pblk, b.clone());
        }
        Ok(b)
    }

    /// Reads any inode, reserved ones included.
    fn load_inode(&self, ino: u64) -> Result<Inode> {
        let geo = &self.geo;
        if ino == 0 || ino > geo.inodes_count {
            return Err(Error::corrupt(format!("ext4: illegal inode #{}", ino)));
        }
        let idx = ino - 1;
        let gd = self
            .groups
            .get((idx / geo.inodes_per_group) as usize)
            .ok_or_else(|| Error::corrupt(format!("ext4: no group for inode #{}", ino)))?;
        let byte =
            gd.bg_inode_table * geo.block_size + (idx % geo.inodes_per_group) * geo.inode_size;
        let block = self.meta_block(byte / geo.block_size)?;
        let off = (byte % geo.block_size) as usize;
        let raw = block
            .get(off..off + geo.inode_size as usize)
            .ok_or_else(|| Error::corrupt(format!("ext4: inode #{} out of its block", ino)))?
            .to_vec();
        Inode::parse(&self.sb, geo, ino, raw)
    }

    /// Reads an inode a directory entry or a caller may name (`ext4_iget` without
    /// `EXT4_IGET_SPECIAL`): the root or a non-reserved inode.
    fn inode(&self, ino: Ino) -> Result<Inode> {
        if ino != ROOT_INO && ino < self.geo.first_ino {
            return Err(Error::corrupt(format!("ext4: illegal inode #{}", ino)));
        }
        self.load_inode(ino)
    }

    /// Maps logical blocks `[lo, hi)` of a block- or extent-mapped inode.
    pub(crate) fn map_blocks(&self, inode: &Inode, lo: u64, hi: u64) -> Result<Vec<Run>> {
        if inode.inline.is_some() {
            return Err(Error::corrupt(format!(
                "ext4: inode #{} has inline data, not blocks",
                inode.ino
            )));
        }
        if inode.uses_extents() {
            extents::map(self, inode, lo, hi)
        } else {
            indirect::map(self, inode, lo, hi)
        }
    }

    /// The bytes of an inline-data inode: `i_block` then the `system.data` value, cut or
    /// zero-padded to `len`.
    fn inline_bytes(inode: &Inode, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len.min(I_BLOCK_SIZE + 65536));
        out.extend_from_slice(inode.i_block());
        if let Some((off, vlen)) = inode.inline {
            out.extend_from_slice(inode.raw.get(off..off + vlen).unwrap_or(&[]));
        }
        out.resize(len, 0);
        out
    }

    /// Size of an inline-data inode's inline area (`i_inline_size`).
    fn inline_size(inode: &Inode) -> usize {
        I_BLOCK_SIZE + inode.inline.map_or(0, |(_, l)| l)
    }

    /// Reads file data (regular files, slow symlinks, directories) at `offset`.
    fn read_data(&self, inode: &Inode, offset: u64, buf: &mut [u8]) -> Result<usize> {
        if offset >= inode.size || buf.is_empty() {
            return Ok(0);
        }
        let n = (buf.len() as u64).min(inode.size - offset) as usize;
        let buf = buf.get_mut(..n).unwrap_or(&mut []);
        if inode.inline.is_some() {
            // Bytes past the inline area read as zeros, as ext4_read_inline_folio pads them.
            let avail = Self::inline_size(inode).min(inode.size as usize);
            let data = Self::inline_bytes(inode, avail);
            buf.fill(0);
            let start = offset.min(avail as u64) as usize;
            let end = (offset + n as u64).min(avail as u64) as usize;
            if let (Some(src), Some(dst)) = (data.get(start..end), buf.get_mut(..end - start)) {
                dst.copy_from_slice(src);
            }
            return Ok(n);
        }
        let bs = self.geo.block_size;
        let end = offset + n as u64;
        let runs = self.map_blocks(inode, offset / bs, (end - 1) / bs + 1)?;
        for run in runs {
            let run_start = run.lblk * bs;
            let run_end = (run.lblk + run.len) * bs;
            let s = run_start.max(offset);
            let e = run_end.min(end);
            if s >= e {
                continue;
            }
            let Some(dst) = buf.get_mut((s - offset) as usize..(e - offset) as usize) else {
                return Err(Error::corrupt("ext4: internal mapping error"));
            };
            match run.pblk {
                None => dst.fill(0),
                Some(p) => self.read_phys(p * bs + (s - run_start), dst)?,
            }
        }
        Ok(n)
    }

    /// Calls `f(inode, name, file_type byte)` for each entry of a directory in on-disk order
    /// until it returns false.
    fn scan_dir(&self, dir: &Inode, mut f: impl FnMut(u32, &[u8], u8) -> bool) -> Result<()> {
        refuse_encrypted_dir(dir)?;
        let bs = self.geo.block_size;
        let inodes_count = self.geo.inodes_count;
        if dir.inline.is_some() {
            let data = Self::inline_bytes(dir, Self::inline_size(dir));
            // The first word is the parent's inode number; entries follow.
            let parent = dir.inline_dir_parent();
            if !f(parent, b"..", 2) {
                return Ok(());
            }
            dir::for_each_entry(
                data.get(4..).unwrap_or(&[]),
                bs as usize,
                inodes_count,
                |e| f(e.inode, e.name, e.file_type),
            );
            return Ok(());
        }
        if dir.size > self.geo.blocks_count.saturating_mul(bs) {
            return Err(Error::corrupt(format!(
                "ext4: directory inode #{} larger than the filesystem",
                dir.ino
            )));
        }
        let nblocks = dir.size.div_ceil(bs);
        let chunk_blocks = (DIR_CHUNK / bs).max(1);
        let mut buf = Vec::new();
        let mut lblk = 0u64;
        while lblk < nblocks {
            let hi = (lblk + chunk_blocks).min(nblocks);
            for run in self.map_blocks(dir, lblk, hi)? {
                let Some(p) = run.pblk else { continue };
                buf.resize((run.len * bs) as usize, 0);
                self.read_phys(p * bs, &mut buf)?;
                for (i, block) in buf.chunks_exact(bs as usize).enumerate() {
                    self.verify_dir_block(dir, block, run.lblk + i as u64)?;
                    let mut go_on = true;
                    dir::for_each_entry(block, bs as usize, inodes_count, |e| {
                        go_on = f(e.inode, e.name, e.file_type);
                        go_on
                    });
                    if !go_on {
                        return Ok(());
                    }
                }
            }
            lblk = hi;
        }
        Ok(())
    }

    /// Fails on a directory block whose checksum is wrong or missing, as the kernel's readdir
    /// does with metadata_csum (EBADMSG, "Bad message"); htree index blocks have none.
    fn verify_dir_block(&self, dir: &Inode, block: &[u8], logical: u64) -> Result<()> {
        let Some(seed) = self.sb.csum_seed else {
            return Ok(());
        };
        let ok = match dir::leaf_checksum(block, seed, dir.ino as u32, dir.generation) {
            dir::BlockChecksum::Good => true,
            dir::BlockChecksum::Bad => false,
            dir::BlockChecksum::Missing => {
                dir.has_flag(EXT4_INDEX_FL) && dir::is_htree_index(block, logical)
            }
        };
        if ok {
            Ok(())
        } else {
            Err(Error::new(
                libc::EBADMSG,
                format!(
                    "ext4: directory inode #{}: block {}: bad checksum",
                    dir.ino, logical
                ),
            ))
        }
    }

    fn dir_inode(&self, ino: Ino) -> Result<Inode> {
        let inode = self.inode(ino)?;
        if !inode.is_dir() {
            return Err(Error::new(
                libc::ENOTDIR,
                crate::error::strerror(libc::ENOTDIR),
            ));
        }
        Ok(inode)
    }

    /// The value of an attribute stored in an EA inode.
    fn ea_inode_value(&self, ino: u64, len: u64) -> Result<Vec<u8>> {
        if len > xattr::XATTR_SIZE_MAX {
            return Err(Error::new(
                libc::E2BIG,
                "ext4: extended attribute value too large",
            ));
        }
        let inode = self.load_inode(ino)?;
        if !inode.has_flag(inode::EXT4_EA_INODE_FL) || inode.size != len {
            return Err(Error::corrupt(format!("ext4: bad EA inode #{}", ino)));
        }
        let mut v = vec![0u8; len as usize];
        let n = self.read_data(&inode, 0, &mut v)?;
        v.truncate(n);
        Ok(v)
    }
}

/// Encrypted directories' names cannot be read without their key.
fn refuse_encrypted_dir(dir: &Inode) -> Result<()> {
    if dir.has_flag(EXT4_ENCRYPT_FL) {
        return Err(Error::new(
            libc::ENOTSUP,
            "ext4: encrypted directories are not supported",
        ));
    }
    Ok(())
}

/// `f_fsid` as `statvfs` gives it: the kernel's `uuid_to_fsid`, the two little-endian
/// halves of the UUID xored, its two 32-bit words joined low word first.
fn fsid(uuid: &[u8; 16]) -> i64 {
    let lo = u64::from_le_bytes(uuid[..8].try_into().unwrap_or([0; 8]));
    let hi = u64::from_le_bytes(uuid[8..].try_into().unwrap_or([0; 8]));
    (lo ^ hi) as i64
}

impl Filesystem for ExtFs {
    fn fs_type(&self) -> &str {
        self.fs_type
    }

    fn root(&self) -> Ino {
        ROOT_INO
    }

    fn stat(&self, ino: Ino) -> Result<StatNs> {
        Ok(self.inode(ino)?.stat(self.geo.block_size))
    }

    fn read_dir(&self, dir: Ino) -> Result<Vec<DirEntry>> {
        Ok(super::without_dots(self.read_dir_with_dots(dir, 0)?))
    }

    /// `.` and `..` as the directory's own records give them, in readdir's order.
    fn read_dir_with_dots(&self, dir: Ino, _parent: Ino) -> Result<Vec<DirEntry>> {
        let inode = self.dir_inode(dir)?;
        let filetype = self.sb.has_incompat(INCOMPAT_FILETYPE);
        Ok(self
            .readdir_order(&inode)?
            .into_iter()
            .map(|e| DirEntry {
                name: lossless::string_of(&e.name).into_owned(),
                ino: u64::from(e.inode),
                file_type: dir::file_type(e.file_type, filetype),
            })
            .collect())
    }

    fn lookup(&self, dir: Ino, name: &str) -> Result<Option<Ino>> {
        let inode = self.dir_inode(dir)?;
        if name == "." {
            return Ok(Some(dir));
        }
        let name = lossless::bytes_of(name);
        if name.len() > NAME_LEN as usize {
            return Err(Error::new(
                libc::ENAMETOOLONG,
                crate::error::strerror(libc::ENAMETOOLONG),
            ));
        }
        Ok(self.find_name(&inode, &name)?.map(u64::from))
    }

    fn read_link(&self, ino: Ino) -> Result<String> {
        let inode = self.inode(ino)?;
        if !inode.is_symlink() {
            return Err(Error::new(
                libc::EINVAL,
                crate::error::strerror(libc::EINVAL),
            ));
        }
        if inode.has_flag(EXT4_ENCRYPT_FL) {
            return Err(Error::new(
                libc::ENOTSUP,
                "ext4: encrypted symlinks are not supported",
            ));
        }
        let bs = self.geo.block_size;
        let mut target = if inode.inline.is_some() {
            let len = (inode.size as usize).min(Self::inline_size(&inode));
            Self::inline_bytes(&inode, len)
        } else if inode.is_fast_symlink(bs << self.geo.cluster_bits) {
            let len = (inode.size as usize).min(I_BLOCK_SIZE);
            inode.i_block().get(..len).unwrap_or(&[]).to_vec()
        } else {
            // ext4_get_link: the first block, cut at i_size and at block size - 1.
            let len = inode.size.min(bs - 1) as usize;
            let runs = self.map_blocks(&inode, 0, 1)?;
            if runs.first().and_then(|r| r.pblk).is_none() {
                return Err(Error::corrupt(format!("ext4: inode #{}: bad symlink", ino)));
            }
            let mut v = vec![0u8; len];
            let n = self.read_data(&inode, 0, &mut v)?;
            v.truncate(n);
            v
        };
        if let Some(nul) = target.iter().position(|&c| c == 0) {
            target.truncate(nul);
        }
        Ok(lossless::string_from(target))
    }

    fn read_at(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let inode = self.inode(ino)?;
        inode.check_readable()?;
        if inode.has_flag(EXT4_ENCRYPT_FL) {
            return Err(Error::new(
                libc::ENOTSUP,
                "ext4: encrypted files are not supported",
            ));
        }
        self.read_data(&inode, offset, buf)
    }

    fn statvfs(&self) -> Result<StatVfs> {
        Ok(self.statvfs)
    }

    fn xattrs(&self, ino: Ino) -> Result<Vec<(String, Vec<u8>)>> {
        let inode = self.inode(ino)?;
        let inodes_count = self.geo.inodes_count;
        let mut out = Vec::new();
        let mut add = |entries: Vec<xattr::Entry>, buf: &[u8]| -> Result<()> {
            for e in entries {
                let Some(name) = xattr::full_name(e.index, &e.name) else {
                    continue;
                };
                let mut value = match e.value {
                    xattr::Value::Here { offset, len } => {
                        buf.get(offset..offset + len).unwrap_or(&[]).to_vec()
                    }
                    xattr::Value::Inode { ino, len } => self.ea_inode_value(ino, len)?,
                };
                if value.len() as u64 > xattr::XATTR_SIZE_MAX {
                    return Err(Error::new(
                        libc::E2BIG,
                        "ext4: extended attribute value too large",
                    ));
                }
                if xattr::is_acl(e.index) {
                    match xattr::acl_to_xattr(&value)? {
                        Some(v) => value = v,
                        None => continue,
                    }
                }
                out.push((String::from_utf8_lossy(&name).into_owned(), value));
            }
            Ok(())
        };
        if let Some(start) = inode.ibody_xattrs {
            let entries = xattr::parse_entries(&inode.raw, start, start, inodes_count)?;
            add(entries, &inode.raw)?;
        }
        if inode.file_acl != 0 {
            let block = self.meta_block(inode.file_acl)?;
            let header = crate::bytes::Fixed::<{ xattr::BLOCK_HEADER_SIZE }>::new(&block);
            if header.is_none_or(|h| h.le32::<0>() != xattr::XATTR_MAGIC || h.le32::<8>() != 1) {
                return Err(Error::corrupt(format!(
                    "ext4: inode #{}: bad extended attribute block {}",
                    ino, inode.file_acl
                )));
            }
            let entries = xattr::parse_entries(&block, xattr::BLOCK_HEADER_SIZE, 0, inodes_count)?;
            add(entries, &block)?;
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fsid_matches_the_kernel_and_glibc() {
        // 8b07cfe4-6b3c-4019-96d2-2eea8ef60e0d gave 0x144ecae50ee1d51d on a real mount.
        let uuid = [
            0x8b, 0x07, 0xcf, 0xe4, 0x6b, 0x3c, 0x40, 0x19, 0x96, 0xd2, 0x2e, 0xea, 0x8e, 0xf6,
            0x0e, 0x0d,
        ];
        assert_eq!(fsid(&uuid), 0x144e_cae5_0ee1_d51d);
    }
}
