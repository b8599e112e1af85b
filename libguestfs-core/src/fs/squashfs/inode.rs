//! Inodes (`struct squashfs_*_inode`): a common 16-byte header, then what each of the 14
//! types holds, and the attributes the kernel's `squashfs_read_inode` gives `stat(2)`.

use super::metadata::MetaPos;
use super::superblock::INVALID_BLK;
use super::{corrupt, SquashFs};
use crate::error::Result;
use crate::types::{
    makedev, StatNs, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK,
};

/// `SQUASHFS_INVALID_FRAG`, `SQUASHFS_INVALID_XATTR`: none.
pub const INVALID_FRAG: u32 = u32::MAX;
pub const INVALID_XATTR: u32 = u32::MAX;
/// The kernel refuses longer symlink targets (`PAGE_SIZE`).
const SYMLINK_MAX: u32 = 4096;
/// `st_blksize`: the kernel sets the superblock's block size to `SQUASHFS_DEVBLK_SIZE`.
const STAT_BLKSIZE: i64 = 1024;

/// An inode reference: the metadata block's offset in the inode table << 16, and the offset
/// in its decompressed data.
pub type InodeRef = u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Dir,
    File,
    Symlink,
    BlockDev,
    CharDev,
    Fifo,
    Socket,
}

#[derive(Debug, Clone)]
pub struct Inode {
    pub ino: u32,
    pub kind: Kind,
    /// An extended inode (`squashfs_l*_inode`).
    pub extended: bool,
    /// The mode with the file type bits.
    pub mode: u32,
    pub uid_index: u16,
    pub gid_index: u16,
    pub mtime: u32,
    pub nlink: u32,
    pub size: u64,
    /// `i_blocks` as the kernel computes it.
    pub blocks: u64,
    pub rdev: u32,
    pub xattr: u32,
    /// Directories: where the listing starts in the directory table, the parent's inode
    /// number, and (extended directories) the index entries and where they lie.
    pub dir_start: MetaPos,
    pub parent: u32,
    pub index_count: u16,
    pub index_pos: MetaPos,
    /// Regular files: the first data block's byte address, the fragment (or
    /// [`INVALID_FRAG`]) and the offset of the tail in it, and where the block size list
    /// lies.
    pub blocks_start: u64,
    pub fragment: u32,
    pub frag_offset: u32,
    pub block_list: MetaPos,
    /// Symlinks: the target.
    pub target: Vec<u8>,
}

/// The `squashfs_*_inode` type numbers.
const DIR: u16 = 1;
const REG: u16 = 2;
const SYMLINK: u16 = 3;
const BLKDEV: u16 = 4;
const CHRDEV: u16 = 5;
const FIFO: u16 = 6;
const SOCKET: u16 = 7;
const EXTENDED: u16 = 7;

impl Inode {
    pub fn is_dir(&self) -> bool {
        self.kind == Kind::Dir
    }

    /// Whether the kernel gives this inode squashfs's own listxattr: directories, symlinks
    /// and extended inodes have it; basic files, devices, FIFOs and sockets do not (the
    /// VFS then lists none).
    pub fn has_listxattr(&self) -> bool {
        self.extended || matches!(self.kind, Kind::Dir | Kind::Symlink)
    }

    /// The attributes as `stat(2)` reports them: atime and ctime are the mtime, no
    /// nanoseconds; `uid`/`gid` come from the id table.
    pub fn stat(&self, uid: u32, gid: u32) -> StatNs {
        let t = i64::from(self.mtime);
        let rdev = if matches!(self.kind, Kind::BlockDev | Kind::CharDev) {
            // new_decode_dev
            let major = (self.rdev & 0xfff00) >> 8;
            let minor = (self.rdev & 0xff) | ((self.rdev >> 12) & 0xfff00);
            makedev(u64::from(major), u64::from(minor))
        } else {
            0
        };
        StatNs {
            st_dev: 0,
            st_ino: i64::from(self.ino),
            st_mode: i64::from(self.mode),
            st_nlink: i64::from(self.nlink),
            st_uid: i64::from(uid),
            st_gid: i64::from(gid),
            st_rdev: rdev,
            st_size: self.size as i64,
            st_blksize: STAT_BLKSIZE,
            st_blocks: self.blocks as i64,
            st_atime_sec: t,
            st_mtime_sec: t,
            st_ctime_sec: t,
            ..StatNs::default()
        }
    }

    /// The number of entries in the block size list: the kernel's `squashfs_readpage`
    /// reads whole blocks up to the file size, the tail being in the fragment when there
    /// is one.
    pub fn block_count(&self, block_log: u16) -> u64 {
        if self.fragment == INVALID_FRAG {
            self.size.div_ceil(1 << block_log)
        } else {
            self.size >> block_log
        }
    }
}

impl SquashFs {
    /// Reads the inode at `r` (`squashfs_read_inode`).
    pub(super) fn read_inode(&self, r: InodeRef) -> Result<Inode> {
        let end = self.sb.directory_table_start;
        let block = self
            .sb
            .inode_table_start
            .checked_add(r >> 16)
            .ok_or_else(|| corrupt(format!("inode reference 0x{:x} out of range", r)))?;
        let mut pos = MetaPos {
            block,
            offset: (r & 0xffff) as usize,
        };
        self.parse_inode(&mut pos, end)
            .map_err(|e| e.context(&format!("inode at 0x{:x}", r)))
    }

    fn parse_inode(&self, pos: &mut MetaPos, end: u64) -> Result<Inode> {
        let mut hdr = [0u8; 16];
        self.meta_read(pos, &mut hdr, end)?;
        let h16 = |o: usize| u16::from_le_bytes([hdr[o], hdr[o + 1]]);
        let h32 = |o: usize| u32::from_le_bytes([hdr[o], hdr[o + 1], hdr[o + 2], hdr[o + 3]]);
        let itype = h16(0);
        let mut inode = Inode {
            ino: h32(12),
            kind: Kind::File,
            extended: false,
            mode: u32::from(h16(2)),
            uid_index: h16(4),
            gid_index: h16(6),
            mtime: h32(8),
            nlink: 1,
            size: 0,
            blocks: 0,
            rdev: 0,
            xattr: INVALID_XATTR,
            dir_start: MetaPos {
                block: 0,
                offset: 0,
            },
            parent: 0,
            index_count: 0,
            index_pos: *pos,
            blocks_start: 0,
            fragment: INVALID_FRAG,
            frag_offset: 0,
            block_list: *pos,
            target: Vec::new(),
        };
        let extended = itype > EXTENDED;
        let base = if extended { itype - EXTENDED } else { itype };
        if itype == 0 || base > SOCKET {
            return Err(corrupt(format!("unknown inode type {}", itype)));
        }
        let (kind, fmt) = match base {
            DIR => (Kind::Dir, S_IFDIR),
            REG => (Kind::File, S_IFREG),
            SYMLINK => (Kind::Symlink, S_IFLNK),
            BLKDEV => (Kind::BlockDev, S_IFBLK),
            CHRDEV => (Kind::CharDev, S_IFCHR),
            FIFO => (Kind::Fifo, S_IFIFO),
            _ => (Kind::Socket, S_IFSOCK),
        };
        inode.kind = kind;
        inode.extended = extended;
        inode.mode |= fmt as u32;
        let dir_table = self.sb.directory_table_start;
        match (kind, extended) {
            (Kind::Dir, false) => {
                let start = self.meta_u32(pos, end)?;
                inode.nlink = self.meta_u32(pos, end)?;
                inode.size = u64::from(self.meta_u16(pos, end)?);
                let offset = self.meta_u16(pos, end)?;
                inode.parent = self.meta_u32(pos, end)?;
                inode.dir_start = MetaPos {
                    block: dir_table + u64::from(start),
                    offset: usize::from(offset),
                };
            }
            (Kind::Dir, true) => {
                inode.nlink = self.meta_u32(pos, end)?;
                inode.size = u64::from(self.meta_u32(pos, end)?);
                let start = self.meta_u32(pos, end)?;
                inode.parent = self.meta_u32(pos, end)?;
                inode.index_count = self.meta_u16(pos, end)?;
                let offset = self.meta_u16(pos, end)?;
                inode.xattr = self.meta_u32(pos, end)?;
                inode.index_pos = *pos;
                inode.dir_start = MetaPos {
                    block: dir_table + u64::from(start),
                    offset: usize::from(offset),
                };
            }
            (Kind::File, false) => {
                inode.blocks_start = u64::from(self.meta_u32(pos, end)?);
                inode.fragment = self.meta_u32(pos, end)?;
                inode.frag_offset = self.meta_u32(pos, end)?;
                inode.size = u64::from(self.meta_u32(pos, end)?);
                inode.block_list = *pos;
                // ((i_size - 1) >> 9) + 1 on a signed size: 0 for an empty file.
                inode.blocks = (inode.size as i64 - 1).wrapping_shr(9).wrapping_add(1) as u64;
            }
            (Kind::File, true) => {
                inode.blocks_start = self.meta_u64(pos, end)?;
                inode.size = self.meta_u64(pos, end)?;
                let sparse = self.meta_u64(pos, end)?;
                inode.nlink = self.meta_u32(pos, end)?;
                inode.fragment = self.meta_u32(pos, end)?;
                inode.frag_offset = self.meta_u32(pos, end)?;
                inode.xattr = self.meta_u32(pos, end)?;
                inode.block_list = *pos;
                inode.blocks = inode.size.wrapping_sub(sparse).wrapping_add(511) >> 9;
            }
            (Kind::Symlink, _) => {
                inode.nlink = self.meta_u32(pos, end)?;
                let len = self.meta_u32(pos, end)?;
                if len > SYMLINK_MAX {
                    return Err(corrupt(format!("symlink target of {} bytes", len)));
                }
                inode.size = u64::from(len);
                inode.target = self.meta_vec(pos, len as usize, end)?;
                if extended {
                    inode.xattr = self.meta_u32(pos, end)?;
                }
            }
            (Kind::BlockDev | Kind::CharDev, _) => {
                inode.nlink = self.meta_u32(pos, end)?;
                inode.rdev = self.meta_u32(pos, end)?;
                if extended {
                    inode.xattr = self.meta_u32(pos, end)?;
                }
            }
            (Kind::Fifo | Kind::Socket, _) => {
                inode.nlink = self.meta_u32(pos, end)?;
                if extended {
                    inode.xattr = self.meta_u32(pos, end)?;
                }
            }
        }
        if inode.xattr != INVALID_XATTR && self.sb.xattr_id_table_start != INVALID_BLK {
            // The kernel counts the attributes' size in i_blocks.
            let (_, _, _, size) = self.xattr_id(inode.xattr)?;
            inode.blocks = inode
                .blocks
                .wrapping_add(u64::from((size.wrapping_sub(1) >> 9).wrapping_add(1)));
        }
        if kind == Kind::File && inode.fragment != INVALID_FRAG {
            if inode.fragment >= self.sb.fragments {
                return Err(corrupt(format!(
                    "fragment index {} out of range ({} fragments)",
                    inode.fragment, self.sb.fragments
                )));
            }
            if inode.frag_offset >= self.sb.block_size {
                return Err(corrupt(format!(
                    "fragment offset {} past the block size",
                    inode.frag_offset
                )));
            }
        }
        Ok(inode)
    }
}
