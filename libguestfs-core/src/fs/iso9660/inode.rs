//! Inodes as `isofs_read_inode` builds them from a directory record: defaults for plain
//! ISO 9660 and Joliet (r-x for all, one link, root's), then Rock Ridge's PX, PN, TF, SL,
//! CL and ZF entries in the order they appear.

use super::date::iso_date;
use super::record::{Record, FLAG_MULTI_EXTENT};
use super::rock::{self, sp_ok, Flow, RR_CL, RR_PX, RR_SL, RR_TF};
use super::{corrupt, Iso9660Fs, Loc, Rock};
use crate::bytes::Fixed;
use crate::error::Result;
use crate::types::{makedev, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};

/// `S_IRUGO | S_IXUGO`.
const DEFAULT_PERM: u32 = 0o555;
/// The kernel gives up on files of more sections than this.
const MAX_SECTIONS: usize = 100;
/// Rock Ridge entries after this many bytes of XA attributes, when no SP said where.
const XA_LEN: usize = 14;
/// `overflowuid`: what a uid of -1 shows as.
const OVERFLOW_ID: u32 = 65534;

/// One contiguous piece of a file's data.
#[derive(Debug, Clone, Copy)]
pub struct Section {
    pub start: u64,
    pub size: u64,
}

#[derive(Debug, Clone)]
pub struct Inode {
    pub loc: Loc,
    pub ino: u64,
    pub mode: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub rdev: i64,
    pub size: u64,
    pub blocks: u64,
    pub atime: i64,
    pub mtime: i64,
    pub ctime: i64,
    /// The data's sections; one for ordinary files, the whole directory for directories.
    pub sections: Vec<Section>,
    /// zisofs-compressed (RRIP ZF): (header size in 4-byte units, log2 of the block size).
    pub zisofs: Option<(u8, u8)>,
}

impl Inode {
    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT as u32 == S_IFDIR as u32
    }
    pub fn is_reg(&self) -> bool {
        self.mode & S_IFMT as u32 == S_IFREG as u32
    }
    pub fn is_symlink(&self) -> bool {
        self.mode & S_IFMT as u32 == S_IFLNK as u32
    }
    pub fn first_extent(&self) -> u64 {
        self.sections.first().map_or(0, |s| s.start)
    }
}

/// What parsing the root directory's record at mount time learns about Rock Ridge.
#[derive(Debug, Default, Clone, Copy)]
pub struct Discovery {
    /// An SP entry's skip length.
    pub sp_skip: Option<usize>,
    /// An ER entry was seen: the volume uses Rock Ridge.
    pub er: bool,
}

/// `isofs_read_inode` at `loc`; `relocated` when read through a CL entry (which must not
/// chain to another).
pub fn read(fs: &Iso9660Fs, loc: Loc, relocated: bool, disc: &mut Discovery) -> Result<Inode> {
    let rec = fs.record_at(loc)?;
    let perm = DEFAULT_PERM;
    let mode = if rec.is_dir() {
        S_IFDIR as u32 | perm
    } else {
        S_IFREG as u32 | perm
    };
    let mut sections = vec![Section {
        start: rec.data_start(),
        size: rec.size(),
    }];
    let mut size = rec.size();
    if rec.flags() & FLAG_MULTI_EXTENT != 0 {
        sections = more_sections(fs, loc, &rec)?;
        size = sections.iter().map(|s| s.size).sum();
    }
    if rec.interleaved() {
        size = 0;
    }
    let t = iso_date(&rec.date());
    let mut inode = Inode {
        loc,
        ino: loc.ino(),
        mode,
        nlink: 1,
        uid: 0,
        gid: 0,
        rdev: 0,
        size,
        blocks: size.div_ceil(512),
        atime: t,
        mtime: t,
        ctime: t,
        sections,
        zisofs: None,
    };
    if fs.rock != Rock::No {
        let area = fs.rock_area(&rec, 0);
        parse_rock(fs, &mut inode, &area, relocated, disc);
        if disc.sp_skip.is_none()
            && fs.rock_offset().is_none()
            && !disc.er
            && fs.rock == Rock::Maybe
        {
            let area = fs.rock_area(&rec, XA_LEN);
            parse_rock(fs, &mut inode, &area, relocated, disc);
        }
    }
    Ok(inode)
}

/// The sections of a multi-extent file: its record and those after it in the same
/// directory, up to the first without the multi-extent flag (`isofs_read_level3_size`).
fn more_sections(fs: &Iso9660Fs, loc: Loc, first: &Record) -> Result<Vec<Section>> {
    let mut out = vec![Section {
        start: first.data_start(),
        size: first.size(),
    }];
    let mut pos = loc.byte() + first.len() as u64;
    while out.len() <= MAX_SECTIONS {
        let block = fs.block(pos / super::BLOCK)?;
        let off = (pos % super::BLOCK) as usize;
        let len = block.get(off).copied().unwrap_or(0);
        if len == 0 {
            pos = (pos / super::BLOCK + 1) * super::BLOCK;
            continue;
        }
        let rec = fs.record_at(Loc::from_byte(pos))?;
        out.push(Section {
            start: rec.data_start(),
            size: rec.size(),
        });
        if rec.flags() & FLAG_MULTI_EXTENT == 0 {
            return Ok(out);
        }
        pos += u64::from(len);
    }
    // The kernel stops counting here and keeps what it has.
    Ok(out)
}

fn id(v: u32) -> u32 {
    if v == u32::MAX {
        OVERFLOW_ID
    } else {
        v
    }
}

fn stamp(rest: &[u8], at: usize) -> Option<i64> {
    let b: [u8; 7] = rest.get(at..at + 7)?.try_into().ok()?;
    Some(iso_date(&b))
}

/// `parse_rock_ridge_inode_internal`; its errors leave what was read so far, as there.
fn parse_rock(
    fs: &Iso9660Fs,
    inode: &mut Inode,
    area: &[u8],
    relocated: bool,
    disc: &mut Discovery,
) {
    let mut symlink_len = 0u64;
    rock::walk(fs, area, &mut |sig, len, rest| {
        // `walk` checked that each entry's fixed fields are in `rest` (the kernel's overflow
        // check): the `else` branches below are for entries it does not know.
        let byte4 = Fixed::<5>::new(rest).map(|h| h.u8::<4>());
        match &sig {
            b"SP" => match Fixed::<7>::new(rest) {
                Some(sp) if sp_ok(rest) => disc.sp_skip = Some(usize::from(sp.u8::<6>())),
                _ => return Ok(Flow::Stop),
            },
            b"RR" if byte4.is_none_or(|f| f & (RR_PX | RR_TF | RR_SL | RR_CL) == 0) => {
                return Ok(Flow::Stop)
            }
            b"ER" => {
                if byte4.is_none_or(|l| usize::from(l) + 8 > len) {
                    return Ok(Flow::Stop);
                }
                disc.er = true;
            }
            b"PX" => {
                let Some(px) = Fixed::<32>::new(rest) else {
                    return Ok(Flow::Stop);
                };
                inode.mode = px.le32::<4>() & 0xffff;
                inode.nlink = px.le32::<12>();
                inode.uid = id(px.le32::<20>());
                inode.gid = id(px.le32::<28>());
            }
            b"PN" => {
                let Some(pn) = Fixed::<16>::new(rest) else {
                    return Ok(Flow::Stop);
                };
                let high = pn.le32::<4>() as i32;
                let low = pn.le32::<12>() as i32;
                // Writers that put the whole number in the low field (high unused).
                let dev = if (low & !0xff) != 0 && high == 0 {
                    ((low >> 8) as u32) << 20 | (low & 0xff) as u32
                } else {
                    (high as u32) << 20 | low as u32
                };
                inode.rdev = makedev(u64::from(dev >> 20), u64::from(dev & 0xfffff));
            }
            b"TF" => {
                // Short (7-byte) stamps in flag order; the kernel ignores the long-form bit.
                let flags = byte4.unwrap_or(0);
                let mut at = 5;
                let mut next = || {
                    let t = stamp(rest, at);
                    at += 7;
                    t
                };
                if flags & 1 != 0 {
                    if let Some(t) = next() {
                        inode.ctime = t;
                    }
                }
                if flags & 2 != 0 {
                    if let Some(t) = next() {
                        inode.mtime = t;
                    }
                }
                if flags & 4 != 0 {
                    if let Some(t) = next() {
                        inode.atime = t;
                    }
                }
                if flags & 8 != 0 {
                    if let Some(t) = next() {
                        inode.ctime = t;
                    }
                }
            }
            b"SL" => {
                inode.size = rock::symlink_size(symlink_len, len, rest);
                symlink_len = inode.size;
            }
            b"RE" => return Ok(Flow::Stop),
            b"CL" => {
                let Some(cl) = Fixed::<8>::new(rest) else {
                    return Ok(Flow::Stop);
                };
                let target = u64::from(cl.le32::<4>());
                if relocated || (target == inode.loc.block && inode.loc.offset == 0) {
                    return Err(corrupt("directory relocation loops"));
                }
                let mut ignored = Discovery::default();
                let reloc = read(fs, Loc::new(target, 0), true, &mut ignored)?;
                inode.mode = reloc.mode;
                inode.nlink = reloc.nlink;
                inode.uid = reloc.uid;
                inode.gid = reloc.gid;
                inode.rdev = reloc.rdev;
                inode.size = reloc.size;
                inode.blocks = reloc.blocks;
                inode.atime = reloc.atime;
                inode.ctime = reloc.ctime;
                inode.mtime = reloc.mtime;
                inode.sections = vec![Section {
                    start: target,
                    size: reloc.size,
                }];
            }
            // Algorithm "pz" (zlib), blocks of at most 128 KiB; others are left as stored.
            b"ZF" => match Fixed::<12>::new(rest) {
                Some(zf) if zf.array::<4, 2>() == *b"pz" && zf.u8::<7>() <= 17 => {
                    inode.zisofs = Some((zf.u8::<6>(), zf.u8::<7>()));
                    inode.size = u64::from(zf.le32::<8>());
                }
                _ => {}
            },
            _ => {}
        }
        Ok(Flow::Next)
    });
}
